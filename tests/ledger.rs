//! The claims-ledger check: every test a chapter's ledger names must exist,
//! be a real test (`#[test]` or inside `proptest!`), and assert something.
//!
//! A ledger is any markdown table in `book/src/*.md` whose header has a
//! "verdict" column. Its last column names the deciding test(s) in backticks.
//! CI additionally checks each name against `cargo test -- --list`, so a test
//! that is compiled out cannot satisfy the ledger either.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

const VERDICTS: [&str; 4] = ["holds under conditions", "holds", "wrong", "ill-posed"];
const ASSERTIONS: [&str; 4] = [
    "assert",
    "prop_assert",
    "assert_relative_eq",
    "assert_abs_diff_eq",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[derive(Debug)]
struct Row {
    file: String,
    line: usize,
    verdict: String,
    tests: Vec<String>,
}

fn cells(line: &str) -> Vec<String> {
    let t = line.trim().trim_start_matches('|').trim_end_matches('|');
    // A `|` inside backticks or math would split a cell; ledgers avoid it.
    t.split('|').map(|c| c.trim().to_string()).collect()
}

fn backticked(cell: &str) -> Vec<String> {
    cell.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.trim().to_string())
        .filter(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
        .collect()
}

/// Parses every ledger row in the book.
fn ledger_rows() -> Vec<Row> {
    let mut rows = Vec::new();
    let mut files: Vec<PathBuf> = fs::read_dir(root().join("book/src"))
        .expect("book/src exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    for path in files {
        let text = fs::read_to_string(&path).expect("readable chapter");
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let l = lines[i].trim();
            let is_header = l.starts_with('|')
                && cells(l)
                    .iter()
                    .any(|c| c.to_lowercase().contains("verdict"))
                && lines
                    .get(i + 1)
                    .is_some_and(|n| n.trim().starts_with("|-") || n.trim().starts_with("| -"));
            if !is_header {
                i += 1;
                continue;
            }
            let header = cells(l);
            let vcol = header
                .iter()
                .position(|c| c.to_lowercase().contains("verdict"))
                .unwrap();
            i += 2;
            while i < lines.len() && lines[i].trim().starts_with('|') {
                let c = cells(lines[i]);
                rows.push(Row {
                    file: path.file_name().unwrap().to_string_lossy().into_owned(),
                    line: i + 1,
                    verdict: c.get(vcol).cloned().unwrap_or_default(),
                    tests: c.last().map(|s| backticked(s)).unwrap_or_default(),
                });
                i += 1;
            }
        }
    }
    rows
}

/// All test sources, by file.
fn test_sources() -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    for e in fs::read_dir(root().join("tests"))
        .expect("tests/ exists")
        .flatten()
    {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "rs")
            && p.file_name().is_some_and(|n| n != "ledger.rs")
        {
            out.insert(p.clone(), fs::read_to_string(&p).unwrap());
        }
    }
    out
}

/// The body of `fn name` in `src` and whether it is marked as a test.
fn find_test(src: &str, name: &str) -> Option<(bool, String)> {
    let needle = format!("fn {name}(");
    let start = src.find(&needle)?;
    let before = &src[..start];
    // `#[test]` among the attributes and doc comments directly above the fn, or the fn
    // sits inside a `proptest!` block.
    let above = &before[..before.rfind('\n').unwrap_or(0)]; // drop the fn's own line
    let attrs: Vec<&str> = above
        .lines()
        .rev()
        .map(str::trim)
        .take_while(|l| l.starts_with("#[") || l.starts_with("///") || l.starts_with("//"))
        .collect();
    let in_proptest = before.rfind("proptest!").is_some_and(|p| {
        let between = &before[p..];
        between.matches('{').count() > between.matches('}').count()
    });
    let is_test = attrs.contains(&"#[test]") || in_proptest;
    let open = start + src[start..].find('{')?;
    let mut depth = 0usize;
    for (k, ch) in src[open..].char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some((is_test, src[open..open + k + 1].to_string()));
                }
            }
            _ => {}
        }
    }
    None
}

fn problems() -> Vec<String> {
    let sources = test_sources();
    let mut problems = Vec::new();
    for row in ledger_rows() {
        let verdict = row.verdict.replace('*', "").to_lowercase();
        if !VERDICTS.iter().any(|v| verdict == *v) {
            problems.push(format!(
                "{}:{}: verdict `{}` is not one of {VERDICTS:?}",
                row.file, row.line, row.verdict
            ));
        }
        if row.tests.is_empty() {
            problems.push(format!(
                "{}:{}: no deciding test named (in backticks, last column)",
                row.file, row.line
            ));
        }
        for t in &row.tests {
            let found: Vec<(&Path, (bool, String))> = sources
                .iter()
                .filter_map(|(p, s)| find_test(s, t).map(|b| (p.as_path(), b)))
                .collect();
            match found.as_slice() {
                [] => problems.push(format!(
                    "{}:{}: test `{t}` not found in tests/",
                    row.file, row.line
                )),
                [(p, (is_test, body))] => {
                    if !is_test {
                        problems.push(format!(
                            "{}:{}: `{t}` in {} is not a #[test] or proptest",
                            row.file,
                            row.line,
                            p.display()
                        ));
                    }
                    if !ASSERTIONS.iter().any(|a| body.contains(a)) {
                        problems.push(format!("{}:{}: `{t}` asserts nothing", row.file, row.line));
                    }
                }
                _ => problems.push(format!(
                    "{}:{}: `{t}` is defined more than once",
                    row.file, row.line
                )),
            }
        }
    }
    problems
}

#[test]
fn every_ledger_test_exists_and_asserts() {
    let p = problems();
    assert!(p.is_empty(), "claims-ledger problems:\n{}", p.join("\n"));
}

#[test]
fn every_written_chapter_has_a_ledger() {
    let rows = ledger_rows();
    let summary = fs::read_to_string(root().join("book/src/SUMMARY.md")).unwrap();
    let front = [
        "introduction.md",
        "notation.md",
        "software.md",
        "figures.md",
        "errata.md",
    ];
    for line in summary.lines() {
        let Some(file) = line.split("](").nth(1).map(|s| s.trim_end_matches(')')) else {
            continue;
        };
        if file.is_empty() || front.contains(&file) {
            continue;
        }
        let n = rows.iter().filter(|r| r.file == file).count();
        assert!(
            n >= 3,
            "chapter {file} has {n} ledger rows; every chapter ends with a claims ledger"
        );
    }
}

#[test]
fn the_ledger_parser_catches_a_missing_test() {
    // The checker itself must be able to fail: a made-up name is not found,
    // and a body without assertions is flagged.
    let src = "#[test]\nfn real_one() { assert!(true); }\nfn helper() { let _x = 1; }\n";
    assert!(find_test(src, "made_up_name").is_none());
    let (is_test, body) = find_test(src, "real_one").unwrap();
    assert!(is_test && body.contains("assert"));
    let (is_test, body) = find_test(src, "helper").unwrap();
    assert!(!is_test && !ASSERTIONS.iter().any(|a| body.contains(a)));
    assert_eq!(
        backticked("`a_test` and `other_test`"),
        vec!["a_test", "other_test"]
    );
}
