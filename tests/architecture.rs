//! The layering of the crate, checked: the core never imports a topic, and a
//! topic imports another only along the edges of the table in `src/lib.rs`.
//!
//! Every `.rs` file under `src/` is read; comments and string literals are
//! removed; every path that starts with `crate::` (including grouped
//! `use crate::{a::x, b}` imports) or climbs out of its module with `super::`
//! is resolved to the top-level module it names. An edge from one top-level
//! module to another that the table does not allow fails the test, with the
//! file and line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The shared core: may be used by every module, imports no topic.
const CORE: &[&str] = &[
    "error",
    "numeric",
    "diff",
    "functions",
    "plot",
    "device",
    "run",
    "data",
    "nn",
];

/// Each topic and the other topics it may use (besides the core).
const TOPICS: &[(&str, &[&str])] = &[
    ("taylor", &[]),
    ("newton", &["taylor"]),
    ("rectifier", &[]),
    ("softmax", &[]),
    ("sphereface", &["softmax"]),
    ("alignment", &[]),
    ("oecnn", &["sphereface", "softmax"]),
    ("pca_ae", &[]),
    ("review", &["newton", "rectifier"]),
];

fn allowed(from: &str, to: &str) -> Option<bool> {
    if from == to || CORE.contains(&to) {
        return Some(true);
    }
    if CORE.contains(&from) {
        return Some(false);
    }
    TOPICS
        .iter()
        .find(|(t, _)| *t == from)
        .map(|(_, deps)| deps.contains(&to))
}

fn known(m: &str) -> bool {
    CORE.contains(&m) || TOPICS.iter().any(|(t, _)| *t == m)
}

/// Source text with comments and string/char literals blanked out (newlines
/// kept, so line numbers stay right).
fn strip(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !ident_char(b.get(i.wrapping_sub(1)).copied())
        {
            // Raw string r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            for &ch in &b[i..j.min(b.len())] {
                out.push(blank(ch));
            }
            i = j;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < b.len() {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && char_literal_len(&b[i..]).is_some() {
            let n = char_literal_len(&b[i..]).unwrap_or(1);
            out.extend(std::iter::repeat_n(' ', n));
            i += n;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Length of a char literal starting at `s[0] == '\''`, or `None` for a lifetime.
fn char_literal_len(s: &[char]) -> Option<usize> {
    if s.get(1) == Some(&'\\') {
        let end = s.iter().skip(2).position(|&c| c == '\'')?;
        return Some(end + 3);
    }
    (s.get(2) == Some(&'\'')).then_some(3)
}

fn ident_at(s: &[char], mut i: usize) -> (String, usize) {
    while i < s.len() && s[i].is_whitespace() {
        i += 1;
    }
    let start = i;
    while i < s.len() && (s[i].is_alphanumeric() || s[i] == '_') {
        i += 1;
    }
    (s[start..i].iter().collect(), i)
}

/// The first path segment of every item of a brace group `{a::x, b, c::{..}}`
/// starting at `s[i] == '{'`.
fn group_heads(s: &[char], i: usize) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expect = true;
    let mut j = i;
    while j < s.len() {
        match s[j] {
            '{' => {
                depth += 1;
                expect = depth == 1;
                j += 1;
            }
            '}' => {
                depth -= 1;
                j += 1;
                if depth == 0 {
                    break;
                }
            }
            ',' => {
                expect = depth == 1;
                j += 1;
            }
            c if expect && (c.is_alphabetic() || c == '_') => {
                let (id, k) = ident_at(s, j);
                heads.push(id);
                expect = false;
                j = k;
            }
            _ => j += 1,
        }
    }
    heads
}

/// Top-level modules named by `crate::` paths (and `super::` chains that
/// climb to the crate root) in `code`, a file of module path `modpath`
/// (e.g. `["softmax", "train"]`), with the line of each.
fn references(code: &str, modpath: &[String]) -> Vec<(String, usize)> {
    let s: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < s.len() {
        if s[i] == '\n' {
            line += 1;
            i += 1;
            continue;
        }
        let starts_word = (s[i].is_alphabetic() || s[i] == '_')
            && !ident_char(i.checked_sub(1).map(|k| s[k]))
            && !(i >= 2 && s[i - 1] == ':' && s[i - 2] == ':');
        if !starts_word {
            i += 1;
            continue;
        }
        let (word, end) = ident_at(&s, i);
        if word.is_empty() {
            i += 1;
            continue;
        }
        let mut to_root = false;
        let mut j = end;
        if word == "crate" {
            to_root = true;
        } else if word == "super" {
            let mut up = 1;
            while s
                .get(j..j + 7)
                .is_some_and(|w| w.iter().collect::<String>() == "::super")
            {
                up += 1;
                j += 7;
            }
            // A file's module path: super from `a::b` is `a`; from a top-level
            // module it is the crate root.
            if up >= modpath.len() {
                to_root = true;
            }
        }
        if to_root && s.get(j..j + 2).is_some_and(|w| w == [':', ':']) {
            let k = j + 2;
            if s.get(k) == Some(&'{') {
                for h in group_heads(&s, k) {
                    out.push((h, line));
                }
            } else {
                let (head, _) = ident_at(&s, k);
                if !head.is_empty() {
                    out.push((head, line));
                }
            }
        }
        i = end.max(i + 1);
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Module path of a file under `src/`: `src/softmax/train.rs` → `[softmax, train]`,
/// `src/softmax/mod.rs` → `[softmax]`, `src/lib.rs` → `[]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("file under src/");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_forbidden_module_edges() {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.len() > 10,
        "found only {} files under src/",
        files.len()
    );
    let mut problems = Vec::new();
    let mut edges: BTreeMap<(String, String), usize> = BTreeMap::new();
    for f in &files {
        let modpath = module_path(&src, f);
        let Some(from) = modpath.first() else {
            continue; // lib.rs: the root declares the modules
        };
        if !known(from) {
            problems.push(format!(
                "{}: module `{from}` is in neither the core nor the topic table of tests/architecture.rs",
                f.display()
            ));
            continue;
        }
        let text = std::fs::read_to_string(f).expect("readable source");
        for (to, line) in references(&strip(&text), &modpath) {
            if !known(&to) {
                // `crate::Result`, `crate::Error` and other root re-exports.
                continue;
            }
            *edges.entry((from.clone(), to.clone())).or_default() += 1;
            if allowed(from, &to) == Some(false) {
                problems.push(format!(
                    "{}:{line}: `{from}` may not use `{to}` ({})",
                    f.strip_prefix(src.parent().unwrap_or(&src))
                        .unwrap_or(f)
                        .display(),
                    if CORE.contains(&from.as_str()) {
                        "the core never imports a topic".to_string()
                    } else {
                        format!("allowed: the core and {:?}", deps_of(from))
                    }
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "forbidden module edges:\n{}",
        problems.join("\n")
    );
    // The scan found the edges it must (a parser that sees nothing passes nothing).
    for need in [
        ("sphereface", "softmax"),
        ("softmax", "nn"),
        ("newton", "error"),
    ] {
        assert!(
            edges.contains_key(&(need.0.to_string(), need.1.to_string())),
            "expected an edge {need:?}; edges found: {:?}",
            edges.keys().collect::<Vec<_>>()
        );
    }
}

fn deps_of(topic: &str) -> Vec<&'static str> {
    TOPICS
        .iter()
        .find(|(t, _)| *t == topic)
        .map(|(_, d)| d.to_vec())
        .unwrap_or_default()
}

#[test]
fn lib_rs_declares_only_known_modules_and_documents_the_table() {
    let lib = std::fs::read_to_string(src_dir().join("lib.rs")).expect("src/lib.rs");
    for line in lib.lines() {
        if let Some(m) = line.trim().strip_prefix("pub mod ") {
            let m = m.trim_end_matches(';');
            assert!(
                known(m),
                "lib.rs declares `{m}`, which the tables here do not place"
            );
        }
    }
    // The documented table: rows `//! | `topic` | `a`, `b` |` (or `—`).
    let mut documented: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in lib.lines() {
        let Some(row) = line.trim().strip_prefix("//! | `") else {
            continue;
        };
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let name = cells[0].trim_end_matches('`');
        if TOPICS.iter().any(|(t, _)| *t == name) {
            let deps = cells
                .get(1)
                .map(|c| {
                    c.split(',')
                        .map(|d| d.trim().trim_matches('`').to_string())
                        .filter(|d| !d.is_empty() && d != "—")
                        .collect()
                })
                .unwrap_or_default();
            documented.insert(name.to_string(), deps);
        }
    }
    let expected: BTreeMap<String, BTreeSet<String>> = TOPICS
        .iter()
        .map(|(t, d)| (t.to_string(), d.iter().map(|s| s.to_string()).collect()))
        .collect();
    assert_eq!(
        documented, expected,
        "the allowed-dependency table in src/lib.rs and the one in tests/architecture.rs differ"
    );
}

#[test]
fn the_scanner_sees_every_form_of_path() {
    let code = strip(
        "use crate::softmax::train::Head;\n\
         use crate::{nn::Data, rectifier};\n\
         // use crate::taylor::x;\n\
         let s = \"crate::newton::y\";\n\
         fn f() -> crate::Result<()> { crate::alignment::warp::f()?; Ok(()) }\n\
         use super::super::review::z;\n\
         use super::sibling;\n",
    );
    let refs: Vec<String> = references(&code, &["oecnn".into(), "train".into()])
        .into_iter()
        .map(|(m, _)| m)
        .collect();
    assert_eq!(
        refs,
        [
            "softmax",
            "nn",
            "rectifier",
            "Result",
            "alignment",
            "review"
        ],
        "comments and strings are skipped, groups split, super chains resolved"
    );
    assert_eq!(allowed("oecnn", "rectifier"), Some(false));
    assert_eq!(allowed("nn", "softmax"), Some(false));
    assert_eq!(allowed("sphereface", "softmax"), Some(true));
    assert_eq!(allowed("softmax", "sphereface"), Some(false));
}
