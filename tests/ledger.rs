//! The claims-ledger check. It reads code, not substrings:
//!
//! * every test a chapter's ledger names exists exactly once in `tests/*.rs`, is a
//!   `#[test]` fn or a fn inside `proptest!` (whose body tokens are parsed too), and
//!   contains an assertion macro whose condition is not a literal (directly, or in a
//!   helper fn of `tests/` that it calls);
//! * every test name written anywhere in the book's prose exists;
//! * every verdict is a word of the Introduction's scale, and a row that is not
//!   "not decidable here" names a deciding test;
//! * every entry of the register (`book/src/register.md`) has exactly one verdict
//!   across the book and is decided by a ledger row or marked "pending: <chapter>"
//!   for a chapter not yet written; every id a ledger names is in the register.
//!
//! A ledger is any markdown table in `book/src/*.md` whose header has a "verdict"
//! column; its "id" column names register entries (or says "added"), its last column
//! the deciding tests in backticks. The book shows the same coverage, computed at
//! build time by `scripts/book_ledger.py`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::punctuated::Punctuated;
use syn::visit::Visit;
use syn::{Expr, Token};

const VERDICTS: [&str; 5] = [
    "holds",
    "holds under conditions",
    "wrong",
    "ill-posed",
    "not decidable here",
];
const NOT_DECIDABLE: &str = "not decidable here";
/// Assertion macros whose first argument is the condition.
const ASSERT_ONE: [&str; 4] = [
    "assert",
    "debug_assert",
    "prop_assert",
    "prop_assert_matches",
];
/// Assertion macros comparing two values (and `approx`'s tolerance comparisons).
const ASSERT_TWO: [&str; 12] = [
    "assert_eq",
    "assert_ne",
    "debug_assert_eq",
    "debug_assert_ne",
    "prop_assert_eq",
    "prop_assert_ne",
    "assert_relative_eq",
    "assert_relative_ne",
    "assert_abs_diff_eq",
    "assert_abs_diff_ne",
    "assert_ulps_eq",
    "assert_ulps_ne",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

// ------------------------------------------------------------------ test code

/// A fn found in `tests/`: whether it is a test and what its body does.
#[derive(Debug, Clone)]
struct FnInfo {
    file: String,
    is_test: bool,
    /// An assertion macro with a non-literal condition occurs in the body.
    asserts: bool,
    /// Names of the fns the body calls by path (`helper(..)`, `common::helper(..)`).
    calls: BTreeSet<String>,
}

/// Collects assertions and calls in one fn body.
#[derive(Default)]
struct BodyScan {
    asserts: bool,
    calls: BTreeSet<String>,
}

fn is_literal(e: &Expr) -> bool {
    match e {
        Expr::Lit(_) => true,
        Expr::Paren(p) => is_literal(&p.expr),
        Expr::Group(g) => is_literal(&g.expr),
        Expr::Unary(u) => is_literal(&u.expr),
        _ => false,
    }
}

/// Whether an assertion macro's arguments make a real check: the condition (or, for
/// a comparison, at least one of the two compared values) is not a literal.
fn assertion_is_real(name: &str, tokens: &TokenStream) -> bool {
    let parsed = syn::parse::Parser::parse2(
        Punctuated::<Expr, Token![,]>::parse_terminated,
        tokens.clone(),
    );
    let Ok(args) = parsed else {
        // Not a plain expression list (e.g. `prop_assert_matches!(x, Pat)`): real unless
        // there are no tokens at all.
        return !tokens.is_empty();
    };
    let args: Vec<&Expr> = args.iter().collect();
    if ASSERT_ONE.contains(&name) {
        args.first().is_some_and(|c| !is_literal(c))
    } else {
        args.len() >= 2 && !(is_literal(args[0]) && is_literal(args[1]))
    }
}

impl<'ast> Visit<'ast> for BodyScan {
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if let Some(last) = mac.path.segments.last() {
            let name = last.ident.to_string();
            if (ASSERT_ONE.contains(&name.as_str()) || ASSERT_TWO.contains(&name.as_str()))
                && assertion_is_real(&name, &mac.tokens)
            {
                self.asserts = true;
            }
        }
        // Statements inside other macros (`proptest!` in a test, `for` in `vec!`...).
        if let Ok(block) = syn::parse2::<syn::Block>(braced(mac.tokens.clone())) {
            self.visit_block(&block);
        }
        syn::visit::visit_macro(self, mac);
    }

    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if let Expr::Path(p) = &*call.func
            && let Some(last) = p.path.segments.last()
        {
            self.calls.insert(last.ident.to_string());
        }
        syn::visit::visit_expr_call(self, call);
    }
}

fn braced(tokens: TokenStream) -> TokenStream {
    TokenStream::from(TokenTree::Group(proc_macro2::Group::new(
        Delimiter::Brace,
        tokens,
    )))
}

fn scan_block(block: &syn::Block) -> BodyScan {
    let mut scan = BodyScan::default();
    scan.visit_block(block);
    scan
}

/// Every fn of one test file, including those inside `proptest!` blocks.
struct FileScan<'a> {
    file: &'a str,
    fns: Vec<(String, FnInfo)>,
}

fn has_test_attr(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("test"))
}

impl FileScan<'_> {
    fn push(&mut self, name: String, is_test: bool, block: &syn::Block) {
        let scan = scan_block(block);
        self.fns.push((
            name,
            FnInfo {
                file: self.file.to_string(),
                is_test,
                asserts: scan.asserts,
                calls: scan.calls,
            },
        ));
    }

    /// The fns of a `proptest! { ... }` body: `#[test] fn name(args in strategies) { .. }`
    /// is not Rust syntax, so the tokens are walked: `fn`, a name, a parenthesised
    /// argument list, then the first brace group is the body.
    fn proptest_fns(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut k = 0;
        while k < trees.len() {
            if let TokenTree::Ident(kw) = &trees[k]
                && kw == "fn"
                && let Some(TokenTree::Ident(name)) = trees.get(k + 1)
                && let Some(body) = trees[k + 2..].iter().find_map(|t| match t {
                    TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => Some(g),
                    _ => None,
                })
            {
                if let Ok(block) =
                    syn::parse2::<syn::Block>(TokenStream::from(TokenTree::Group(body.clone())))
                {
                    self.push(name.to_string(), true, &block);
                }
                k += 2;
                continue;
            }
            if let TokenTree::Group(g) = &trees[k] {
                self.proptest_fns(g.stream());
            }
            k += 1;
        }
    }
}

impl<'ast> Visit<'ast> for FileScan<'_> {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.push(f.sig.ident.to_string(), has_test_attr(&f.attrs), &f.block);
        syn::visit::visit_item_fn(self, f);
    }

    fn visit_item_macro(&mut self, m: &'ast syn::ItemMacro) {
        if m.mac
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "proptest")
        {
            self.proptest_fns(m.mac.tokens.clone());
        }
        syn::visit::visit_item_macro(self, m);
    }

    fn visit_stmt_macro(&mut self, m: &'ast syn::StmtMacro) {
        if m.mac
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "proptest")
        {
            self.proptest_fns(m.mac.tokens.clone());
        }
        syn::visit::visit_stmt_macro(self, m);
    }
}

/// Every fn in a source text (one test file).
fn scan_source(file: &str, src: &str) -> Result<Vec<(String, FnInfo)>, String> {
    let ast = syn::parse_file(src).map_err(|e| format!("{file}: does not parse: {e}"))?;
    let mut scan = FileScan {
        file,
        fns: Vec::new(),
    };
    scan.visit_file(&ast);
    Ok(scan.fns)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
}

/// Every fn under `tests/`, by name (a name may occur in several files).
fn test_fns() -> BTreeMap<String, Vec<FnInfo>> {
    let mut files = Vec::new();
    rust_files(&root().join("tests"), &mut files);
    let mut out: BTreeMap<String, Vec<FnInfo>> = BTreeMap::new();
    for p in files {
        let rel = p.strip_prefix(root()).unwrap().display().to_string();
        let src = fs::read_to_string(&p).unwrap();
        for (name, info) in scan_source(&rel, &src).unwrap() {
            out.entry(name).or_default().push(info);
        }
    }
    out
}

/// Whether the fn asserts, directly or through helpers of `tests/` it calls.
fn asserts_transitively(
    info: &FnInfo,
    fns: &BTreeMap<String, Vec<FnInfo>>,
    seen: &mut BTreeSet<String>,
) -> bool {
    if info.asserts {
        return true;
    }
    info.calls.iter().any(|c| {
        seen.insert(c.clone())
            && fns.get(c).is_some_and(|defs| {
                defs.iter()
                    .any(|d| !d.is_test && asserts_transitively(d, fns, seen))
            })
    })
}

/// Every identifier in the crate's own code outside `tests/` (src, examples, benches).
fn code_identifiers() -> BTreeSet<String> {
    fn walk(ts: TokenStream, out: &mut BTreeSet<String>) {
        for t in ts {
            match t {
                TokenTree::Ident(i) => {
                    out.insert(i.to_string());
                }
                TokenTree::Group(g) => walk(g.stream(), out),
                _ => {}
            }
        }
    }
    let mut files = Vec::new();
    for d in ["src", "examples", "benches"] {
        rust_files(&root().join(d), &mut files);
    }
    let mut out = BTreeSet::new();
    for p in files {
        let src = fs::read_to_string(&p).unwrap();
        let ts = TokenStream::from_str(&src).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        walk(ts, &mut out);
    }
    out
}

// ------------------------------------------------------------------ the book

#[derive(Debug)]
struct Row {
    file: String,
    line: usize,
    verdict: String,
    /// Register ids in the id column; empty for an "added" row.
    ids: Vec<String>,
    id_cell: String,
    tests: Vec<String>,
}

fn cells(line: &str) -> Vec<String> {
    let t = line.trim().trim_start_matches('|').trim_end_matches('|');
    // A `|` inside backticks or math would split a cell; ledgers avoid it.
    t.split('|').map(|c| c.trim().to_string()).collect()
}

fn is_identifier(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Every code span of a text.
fn code_spans(text: &str) -> Vec<String> {
    text.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.trim().to_string())
        .collect()
}

/// The code spans of a text that are snake_case identifiers.
fn backticked(text: &str) -> Vec<String> {
    code_spans(text)
        .into_iter()
        .filter(|s| is_identifier(s))
        .collect()
}

/// Register ids linked in a cell: `[SF-08](register.md#SF-08)`.
fn register_refs(cell: &str) -> Vec<String> {
    cell.split("](register.md#")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .map(str::to_string)
        .collect()
}

fn chapter_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(root().join("book/src"))
        .expect("book/src exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    files
}

fn ledger_rows_in(file: &str, text: &str) -> Vec<Row> {
    let mut rows = Vec::new();
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
        let header: Vec<String> = cells(l).iter().map(|c| c.to_lowercase()).collect();
        let vcol = header.iter().position(|c| c.contains("verdict")).unwrap();
        let icol = header.iter().position(|c| c == "id");
        i += 2;
        while i < lines.len() && lines[i].trim().starts_with('|') {
            let c = cells(lines[i]);
            let id_cell = icol.and_then(|k| c.get(k).cloned()).unwrap_or_default();
            rows.push(Row {
                file: file.to_string(),
                line: i + 1,
                verdict: c.get(vcol).cloned().unwrap_or_default(),
                ids: register_refs(&id_cell),
                id_cell,
                // Every code span of the last column must name a test (checked below).
                tests: c.last().map(|s| code_spans(s)).unwrap_or_default(),
            });
            i += 1;
        }
    }
    rows
}

/// Parses every ledger row in the book.
fn ledger_rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for path in chapter_files() {
        let text = fs::read_to_string(&path).expect("readable chapter");
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        rows.extend(ledger_rows_in(&file, &text));
    }
    rows
}

fn normalise_verdict(v: &str) -> String {
    v.replace('*', "").trim().to_lowercase()
}

/// The register: id -> the chapter it is pending on, if any.
fn register() -> BTreeMap<String, Option<String>> {
    let text = fs::read_to_string(root().join("book/src/register.md")).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("- <a id=\"") else {
            continue;
        };
        let id = rest.split('"').next().unwrap().to_string();
        let pending = line
            .split("*pending: ")
            .nth(1)
            .map(|p| p.split('*').next().unwrap().trim().to_string());
        assert!(
            out.insert(id.clone(), pending).is_none(),
            "register id {id} is listed twice"
        );
    }
    out
}

/// Chapters of SUMMARY.md: (title, file), with an empty file for a draft chapter.
fn summary_chapters() -> Vec<(String, String)> {
    let summary = fs::read_to_string(root().join("book/src/SUMMARY.md")).unwrap();
    summary
        .lines()
        .filter_map(|line| {
            let title = line.split('[').nth(1)?.split("](").next()?.to_string();
            let file = line.split("](").nth(1)?.trim_end_matches(')').to_string();
            Some((title, file))
        })
        .collect()
}

/// Backticked identifiers in a page's prose (outside fenced code) with their lines.
fn prose_identifiers(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut fence = false;
    for (k, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fence = !fence;
            continue;
        }
        if !fence {
            out.extend(backticked(line).into_iter().map(|n| (k + 1, n)));
        }
    }
    out
}

// ------------------------------------------------------------------ the checks

fn test_problems(rows: &[Row], fns: &BTreeMap<String, Vec<FnInfo>>) -> Vec<String> {
    let mut problems = Vec::new();
    for row in rows {
        let verdict = normalise_verdict(&row.verdict);
        if !VERDICTS.contains(&verdict.as_str()) {
            problems.push(format!(
                "{}:{}: verdict `{}` is not one of {VERDICTS:?}",
                row.file, row.line, row.verdict
            ));
        }
        if row.tests.is_empty() && verdict != NOT_DECIDABLE {
            problems.push(format!(
                "{}:{}: no deciding test named (in backticks, last column); only a \
                 \"not decidable here\" row may name none",
                row.file, row.line
            ));
        }
        for t in &row.tests {
            if !is_identifier(t) {
                problems.push(format!(
                    "{}:{}: `{t}` in the deciding-test column is not a test name",
                    row.file, row.line
                ));
                continue;
            }
            let defs = fns.get(t).map(Vec::as_slice).unwrap_or_default();
            match defs {
                [] => problems.push(format!(
                    "{}:{}: test `{t}` not found in tests/",
                    row.file, row.line
                )),
                [info] => {
                    if !info.is_test {
                        problems.push(format!(
                            "{}:{}: `{t}` in {} is not a #[test] or proptest",
                            row.file, row.line, info.file
                        ));
                    }
                    if !asserts_transitively(info, fns, &mut BTreeSet::new()) {
                        problems.push(format!(
                            "{}:{}: `{t}` has no assertion with a non-literal condition",
                            row.file, row.line
                        ));
                    }
                }
                _ => problems.push(format!(
                    "{}:{}: `{t}` is defined more than once in tests/",
                    row.file, row.line
                )),
            }
        }
    }
    problems
}

fn register_problems(
    rows: &[Row],
    register: &BTreeMap<String, Option<String>>,
    drafts: &BTreeSet<String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut verdicts: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for row in rows {
        if row.ids.is_empty() && row.id_cell != "added" {
            problems.push(format!(
                "{}:{}: the id column names no register entry and does not say `added`",
                row.file, row.line
            ));
        }
        for id in &row.ids {
            if !register.contains_key(id) {
                problems.push(format!(
                    "{}:{}: `{id}` is not in the register",
                    row.file, row.line
                ));
            }
            verdicts
                .entry(id)
                .or_default()
                .insert(normalise_verdict(&row.verdict));
        }
    }
    for (id, pending) in register {
        match (verdicts.get(id.as_str()), pending) {
            (Some(v), _) if v.len() > 1 => problems.push(format!(
                "register {id}: the ledgers give it {} verdicts: {v:?}",
                v.len()
            )),
            (Some(_), Some(ch)) => problems.push(format!(
                "register {id}: decided by a ledger but still marked pending on {ch}"
            )),
            (None, None) => problems.push(format!(
                "register {id}: no ledger row decides it and it is not marked pending"
            )),
            (None, Some(ch)) if !drafts.contains(ch) => problems.push(format!(
                "register {id}: pending on `{ch}`, which is not a chapter still to be written \
                 in SUMMARY.md"
            )),
            _ => {}
        }
    }
    problems
}

fn prose_problems(fns: &BTreeMap<String, Vec<FnInfo>>, code: &BTreeSet<String>) -> Vec<String> {
    // A backticked snake_case name of four or more words that is not an identifier of
    // src/, examples/ or benches/ can only be a test's name: it must exist as a test.
    let tests: BTreeSet<&str> = fns
        .iter()
        .filter(|(_, d)| d.iter().any(|i| i.is_test))
        .map(|(n, _)| n.as_str())
        .collect();
    let mut problems = Vec::new();
    for path in chapter_files() {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = fs::read_to_string(&path).unwrap();
        for (line, name) in prose_identifiers(&text) {
            let looks_like_test = name.matches('_').count() >= 3 && !code.contains(&name);
            let is_helper = fns.contains_key(&name) && !tests.contains(name.as_str());
            if (looks_like_test || is_helper) && !tests.contains(name.as_str()) {
                problems.push(format!(
                    "{file}:{line}: `{name}` reads as a test name but no test has it"
                ));
            }
        }
    }
    problems
}

#[test]
fn every_ledger_test_exists_and_asserts() {
    let p = test_problems(&ledger_rows(), &test_fns());
    assert!(p.is_empty(), "claims-ledger problems:\n{}", p.join("\n"));
}

#[test]
fn every_test_name_in_the_book_exists() {
    let p = prose_problems(&test_fns(), &code_identifiers());
    assert!(p.is_empty(), "test names in the book:\n{}", p.join("\n"));
}

#[test]
fn every_register_entry_has_one_verdict_or_is_pending() {
    let drafts: BTreeSet<String> = summary_chapters()
        .into_iter()
        .filter(|(_, f)| f.is_empty())
        .map(|(t, _)| t)
        .collect();
    let rows = ledger_rows();
    let register = register();
    assert!(register.len() >= 100, "the register lost its entries");
    let p = register_problems(&rows, &register, &drafts);
    // The coverage per chapter, as the book shows it.
    let mut per_chapter: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in &rows {
        per_chapter
            .entry(&r.file)
            .or_default()
            .extend(r.ids.iter().map(String::as_str));
    }
    for (file, ids) in &per_chapter {
        eprintln!("{file}: decides {} register entries", ids.len());
    }
    let pending = register.values().filter(|p| p.is_some()).count();
    eprintln!("register: {} entries, {pending} pending", register.len());
    assert!(p.is_empty(), "register problems:\n{}", p.join("\n"));
}

/// The register's quote of one entry, as the notes spell it (markdown escapes undone).
fn register_quote(line: &str) -> Option<String> {
    let rest = line.split("</a>**").nth(1)?.split_once("** ")?.1;
    let rest = rest.split(" · *pending: ").next()?;
    let rest = rest.trim_end_matches(" (only in the garbled copy)");
    if let Some(code) = rest.strip_prefix('`') {
        return Some(code.split('`').next()?.to_string());
    }
    let q = rest.strip_prefix('“')?.rsplit_once('”')?.0;
    Some(q.replace("\\_", "_").replace("\\*", "*"))
}

#[test]
fn register_quotes_are_verbatim_where_the_notes_are_at_hand() {
    // The notes are not part of the repository; where a checkout sits next to them
    // (`../shared/notes` or `../../shared/notes`), every quote must occur in them.
    let Some(dir) = ["../shared/notes", "../../shared/notes"]
        .iter()
        .map(|d| root().join(d))
        .find(|d| d.is_dir())
    else {
        eprintln!("notes not found next to the checkout; quotes not compared");
        return;
    };
    let mut notes = String::new();
    for e in fs::read_dir(&dir).unwrap().flatten() {
        notes.push_str(&fs::read_to_string(e.path()).unwrap_or_default());
    }
    let text = fs::read_to_string(root().join("book/src/register.md")).unwrap();
    let mut problems = Vec::new();
    let mut n = 0;
    for line in text.lines().filter(|l| l.starts_with("- <a id=\"")) {
        let Some(q) = register_quote(line) else {
            problems.push(format!("no quote in: {line}"));
            continue;
        };
        n += 1;
        // A row of the fields table is quoted cell by cell.
        let found = if line.contains("(row of the table") {
            q.split(" | ").all(|cell| notes.contains(cell))
        } else {
            notes.contains(&q)
        };
        if !found {
            problems.push(format!("not in the notes: {q}"));
        }
    }
    assert!(n >= 100, "only {n} quotes parsed");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_written_chapter_has_a_ledger() {
    let rows = ledger_rows();
    let front = [
        "introduction.md",
        "notation.md",
        "figures.md",
        "errata.md",
        "software.md",
        "performance.md",
        "register.md",
        "tests.md",
    ];
    for (_, file) in summary_chapters() {
        if file.is_empty() || front.contains(&file.as_str()) {
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
fn the_ledger_parser_catches_what_it_must() {
    // The checker itself must be able to fail.
    let src = r#"
        #[test]
        fn real_one() { let x = 2; assert!(x > 1); }
        #[test]
        fn literal_only() { assert!(true); assert_eq!(1, 1); }
        #[test]
        fn through_a_helper() { helper(3); }
        fn helper(v: i32) { assert_eq!(v % 2, 1); }
        fn not_a_test() { let _x = 1; }
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(8))]
            #[test]
            fn inside_proptest(x in 0..10i32, v in prop::collection::vec(0..3u8, 4)) {
                prop_assert!(x < 10 && v.len() == 4);
            }
            #[test]
            fn proptest_without_assertion(x in 0..10i32) { let _y = x; }
        }
    "#;
    let fns: BTreeMap<String, Vec<FnInfo>> = scan_source("sample.rs", src)
        .unwrap()
        .into_iter()
        .map(|(n, i)| (n, vec![i]))
        .collect();
    let ok = |n: &str| {
        let i = &fns[n][0];
        (
            i.is_test,
            asserts_transitively(i, &fns, &mut BTreeSet::new()),
        )
    };
    assert_eq!(ok("real_one"), (true, true));
    assert_eq!(ok("literal_only"), (true, false));
    assert_eq!(ok("through_a_helper"), (true, true));
    assert_eq!(ok("not_a_test"), (false, false));
    assert_eq!(ok("inside_proptest"), (true, true));
    assert_eq!(ok("proptest_without_assertion"), (true, false));
    assert!(!fns.contains_key("made_up_name"));

    let md = "| id | claim | verdict | corrected | deciding test |\n|---|---|---|---|---|\n\
              | [SF-01](register.md#SF-01) | c | **wrong** | x | `real_one` |\n\
              | added | c | **holds** | x | `made_up_name`<br>`literal_only`<br>`Not_a_name` |\n\
              | | c | **not decidable here** | x | — |\n\
              | [SF-01](register.md#SF-01) | c | **holds** | x | `not_a_test` |\n";
    let rows = ledger_rows_in("sample.md", md);
    assert_eq!(rows.len(), 4);
    assert_eq!(
        rows[1].tests,
        vec!["made_up_name", "literal_only", "Not_a_name"]
    );
    let p = test_problems(&rows, &fns);
    assert!(p.iter().any(|m| m.contains("`made_up_name` not found")));
    assert!(
        p.iter()
            .any(|m| m.contains("`literal_only` has no assertion"))
    );
    assert!(
        p.iter()
            .any(|m| m.contains("`not_a_test` in sample.rs is not a #[test]"))
    );
    assert!(
        p.iter()
            .any(|m| m.contains("`Not_a_name` in the deciding-test column"))
    );
    assert!(!p.iter().any(|m| m.contains("real_one")));
    let register: BTreeMap<String, Option<String>> = [
        ("SF-01".to_string(), None),
        ("SF-02".to_string(), None),
        ("OE-01".to_string(), Some("Written chapter".to_string())),
    ]
    .into();
    let p = register_problems(&rows, &register, &BTreeSet::new());
    assert!(
        p.iter()
            .any(|m| m.contains("SF-01: the ledgers give it 2 verdicts"))
    );
    assert!(
        p.iter()
            .any(|m| m.contains("SF-02: no ledger row decides it"))
    );
    assert!(
        p.iter()
            .any(|m| m.contains("OE-01: pending on `Written chapter`"))
    );
    assert!(p.iter().any(|m| m.contains("sample.md:5: the id column")));
}
