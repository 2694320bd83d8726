#!/usr/bin/env python3
"""mdBook preprocessor for the claims ledger (standard library only).

At book-build time it
  * fills the "Tests" appendix (tests.md, marker `<!-- ledger:tests -->`) with the
    source of every test in tests/*.rs, one anchor per test, so the appendix cannot
    drift from the code;
  * turns every backticked test name in a chapter into a link to that test's source;
  * after each entry of the register (register.md) writes the verdict the ledgers give
    it and the chapter(s) deciding it, and replaces `<!-- ledger:coverage -->` with the
    coverage per chapter, computed from the ledgers;
  * writes under each "## Claims ledger" heading how many register entries that
    chapter decides, by verdict.

tests/ledger.rs checks the same ledgers with a Rust parser and fails the build on any
inconsistency; this script only renders. mdBook calls it as
`python3 scripts/book_ledger.py` with the book as JSON on stdin (see book/book.toml),
and as `python3 scripts/book_ledger.py supports <renderer>` (answer: yes).
"""

import html
import json
import re
import sys
from pathlib import Path

VERDICTS = [
    "holds",
    "holds under conditions",
    "wrong",
    "ill-posed",
    "not decidable here",
]
ENTRY = re.compile(r'^- <a id="([A-Z]{2}-\d{2})"></a>')
IDREF = re.compile(r"\[([A-Z]{2}-\d{2})\]\(register\.md#\1\)")


# ----------------------------------------------------------------- test sources


def skip_string(src, i):
    """Index just past the string literal starting at src[i] (`"`, `r"`, `r#"`, `b"`)."""
    j = i
    if src[j] == "b":
        j += 1
    if src[j] == "r":
        j += 1
        hashes = 0
        while src[j] == "#":
            hashes += 1
            j += 1
        end = '"' + "#" * hashes
        return src.index(end, j + 1) + len(end)
    j += 1
    while src[j] != '"':
        j += 2 if src[j] == "\\" else 1
    return j + 1


def mask(src):
    """src with the insides of comments, strings and char literals blanked (newlines
    kept), so that braces and `fn` are only found in code."""
    out = list(src)
    i = 0
    n = len(src)

    def blank(a, b):
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
        elif src.startswith("/*", i):
            j = src.index("*/", i) + 2
        elif c == '"' or (c in "rb" and re.match(r'(b?r#*"|b")', src[i:i + 4])
                          and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_"))):
            j = skip_string(src, i)
        elif c == "'" and re.match(r"'(\\.[^']*|[^\\'])'", src[i:]):
            j = i + len(re.match(r"'(\\.[^']*|[^\\'])'", src[i:]).group(0))
        else:
            i += 1
            continue
        blank(i, j)
        i = j
    return "".join(out)


def matching_brace(code, open_idx):
    """Index of the `}` closing the `{` at open_idx in masked code."""
    depth = 0
    for i in range(open_idx, len(code)):
        if code[i] == "{":
            depth += 1
        elif code[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError("unbalanced braces")


def tests_in(path):
    """[(name, first_line, source)] for every `#[test]` fn in a test file."""
    src = path.read_text(encoding="utf-8")
    code = mask(src)
    out = []
    for m in re.finditer(r"\bfn\s+([a-z_][a-z0-9_]*)\s*\(", code):
        name = m.group(1)
        # The attribute and doc-comment lines directly above the fn.
        line_start = src.rfind("\n", 0, m.start()) + 1
        lines_above = src[:line_start].split("\n")[:-1]
        attrs = []
        for line in reversed(lines_above):
            t = line.strip()
            if t.startswith("#[") or t.startswith("///") or t.startswith("//"):
                attrs.append(line)
            else:
                break
        if not any(a.strip().startswith("#[test]") for a in attrs):
            continue
        body_open = code.index("{", m.end())
        end = matching_brace(code, body_open)
        start = line_start - sum(len(a) + 1 for a in attrs)
        text = src[start:end + 1]
        # Remove the common indentation (tests inside `proptest!` are indented).
        rows = text.split("\n")
        indent = min((len(r) - len(r.lstrip()) for r in rows if r.strip()), default=0)
        text = "\n".join(r[indent:] for r in rows)
        first_line = src.count("\n", 0, start) + 1
        out.append((name, first_line, text))
    return out


def collect_tests(root):
    tests = {}  # stem -> [(name, line, source)]
    for path in sorted((root / "tests").glob("*.rs")):
        tests[path.stem] = tests_in(path)
    return tests


def anchor(stem, name):
    return f"{stem}-{name}"


def tests_page(tests):
    out = []
    for stem, items in tests.items():
        if not items:
            continue
        out.append(f"## `tests/{stem}.rs`\n")
        for name, line, text in items:
            out.append(f'<a id="{anchor(stem, name)}"></a>\n')
            out.append(f"### `{name}`\n")
            out.append(f"`tests/{stem}.rs`, line {line}\n")
            out.append("```rust,noplayground\n" + text + "\n```\n")
    return "\n".join(out)


# ----------------------------------------------------------------- ledgers


def cells(line):
    t = line.strip().strip("|")
    return [c.strip() for c in t.split("|")]


def ledger_rows(content):
    """[(ids, verdict)] for every row of the ledger tables in a chapter's markdown."""
    rows = []
    lines = content.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if line.startswith("|") and nxt.startswith("|-"):
            header = [c.lower() for c in cells(line)]
            if any("verdict" in c for c in header):
                vcol = next(k for k, c in enumerate(header) if "verdict" in c)
                icol = header.index("id") if "id" in header else None
                i += 2
                while i < len(lines) and lines[i].strip().startswith("|"):
                    c = cells(lines[i])
                    verdict = c[vcol].replace("*", "").strip().lower() if vcol < len(c) else ""
                    ids = IDREF.findall(c[icol]) if icol is not None and icol < len(c) else []
                    rows.append((ids, verdict))
                    i += 1
                continue
        i += 1
    return rows


def walk(items):
    for item in items:
        ch = item.get("Chapter") if isinstance(item, dict) else None
        if ch is None:
            continue
        yield ch
        yield from walk(ch.get("sub_items", []))


def link_test_names(content, links):
    """`name` -> [`name`](tests.md#anchor) outside fenced code and existing links."""
    out = []
    fence = False
    for line in content.split("\n"):
        if line.lstrip().startswith("```"):
            fence = not fence
            out.append(line)
            continue
        if fence:
            out.append(line)
            continue

        def repl(m):
            name = m.group(2)
            if name not in links or m.group(1) == "[":
                return m.group(0)
            return f"{m.group(1)}[`{name}`]({links[name]})"

        out.append(re.sub(r"(^|.)`([a-z_][a-z0-9_]*)`(?!\]\()", repl, line))
    return "\n".join(out)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "supports":
        sys.exit(0)
    context, book = json.load(sys.stdin)
    root = Path(context["root"]).resolve().parent
    items_key = "items" if "items" in book else "sections"
    chapters = list(walk(book[items_key]))

    tests = collect_tests(root)
    counts = {}
    for items in tests.values():
        for name, _, _ in items:
            counts[name] = counts.get(name, 0) + 1
    links = {
        name: f"tests.md#{anchor(stem, name)}"
        for stem, items in tests.items()
        for name, _, _ in items
        if counts[name] == 1
    }

    # Verdicts per register id, from every chapter's ledger.
    decided = {}  # id -> [(chapter name, path, verdict)]
    per_chapter = []  # (name, path, rows, {verdict: ids})
    for ch in chapters:
        path = ch.get("path") or ""
        if path in ("register.md", "tests.md"):
            continue
        rows = ledger_rows(ch["content"])
        if not rows:
            continue
        by_verdict = {}
        for ids, verdict in rows:
            for i in ids:
                decided.setdefault(i, []).append((ch["name"], path, verdict))
                by_verdict.setdefault(verdict, set()).add(i)
        per_chapter.append((ch["name"], path, rows, by_verdict))

    for ch in chapters:
        path = ch.get("path") or ""
        if path == "tests.md":
            ch["content"] = ch["content"].replace("<!-- ledger:tests -->", tests_page(tests))
        elif path == "register.md":
            ch["content"] = render_register(ch["content"], decided, per_chapter)
        else:
            content = link_test_names(ch["content"], links)
            for name, p, rows, by_verdict in per_chapter:
                if p == path:
                    content = content.replace(
                        "## Claims ledger\n",
                        "## Claims ledger\n\n" + chapter_summary(rows, by_verdict) + "\n",
                        1,
                    )
            ch["content"] = content
    json.dump(book, sys.stdout)


def verdict_counts(by_verdict):
    parts = []
    for v in VERDICTS:
        n = len(by_verdict.get(v, ()))
        if n:
            parts.append(f"{n} {v}")
    return ", ".join(parts) if parts else "none"


def chapter_summary(rows, by_verdict):
    ids = set().union(*by_verdict.values()) if by_verdict else set()
    added = sum(1 for r_ids, _ in rows if not r_ids)
    return (
        f"*Coverage (computed when the book is built): this ledger decides {len(ids)} "
        f"[register](register.md) entries ({verdict_counts(by_verdict)}) in "
        f"{len(rows) - added} rows, plus {added} {'row' if added == 1 else 'rows'} this "
        "chapter adds.*\n"
    )


def entry_html(line, status):
    """One register entry as a raw HTML line.

    The register quotes the notes' formulas as TeX source in code spans. Written as raw
    HTML with `$` as an entity, the quote stays verbatim on the page and no `$` reaches
    the math preprocessor.
    """
    m = re.match(r'^- <a id="([A-Z]{2}-\d{2})"></a>\*\*\1\*\* (.*?)( · \*pending: [^*]+\*)?$', line)
    gid, text, pending = m.group(1), m.group(2), m.group(3)

    def esc(t):
        # mdBook re-serializes the HTML (decoding entities), so a `$$` is also split by
        # an empty element: the page shows and copies `$$`, but holds no raw `$$`.
        t = html.escape(t, quote=False).replace("$", "&#36;")
        return t.replace("&#36;&#36;", "&#36;<span></span>&#36;")

    parts = re.split(r"`([^`]+)`", text)
    body = "".join(
        f"<code>{esc(p)}</code>" if k % 2 else esc(re.sub(r"\\([*_])", r"\1", p))
        for k, p in enumerate(parts)
    )
    if pending:
        body += " · <em>" + esc(pending.strip(" ·*")) + "</em>"
    return f'<p class="register-entry"><a id="{gid}"></a><strong>{gid}</strong> {body}{status}</p>'


def render_register(content, decided, per_chapter):
    lines = content.split("\n")
    entries, pending = [], {}
    for k, line in enumerate(lines):
        m = ENTRY.match(line)
        if not m:
            continue
        gid = m.group(1)
        entries.append(gid)
        pm = re.search(r"\*pending: ([^*]+)\*", line)
        if pm and gid not in decided:
            pending.setdefault(pm.group(1).strip(), []).append(gid)
            lines[k] = entry_html(line, "")
            continue
        if gid in decided:
            verdicts = sorted({v for _, _, v in decided[gid]})
            where = ", ".join(
                f'<a href="{path[:-3]}.html#claims-ledger">{html.escape(name)}</a>'
                for name, path in dict.fromkeys((n, p) for n, p, _ in decided[gid])
            )
            shown = " / ".join(f"<strong>{v}</strong>" for v in verdicts)
            lines[k] = entry_html(line, f" → {shown} in {where}")
        else:
            lines[k] = entry_html(line, " → <strong>not covered by any ledger</strong>")
    total = len(entries)
    covered = sum(1 for e in entries if e in decided)
    n_pending = sum(len(v) for v in pending.values())
    table = [
        f"**{total} entries**: {covered} decided by a chapter's ledger, {n_pending} pending, "
        f"{total - covered - n_pending} uncovered (computed from the ledgers when the book "
        "is built).",
        "",
        "| chapter | entries decided | by verdict | ledger rows (of which added) |",
        "|---|---|---|---|",
    ]
    for name, path, rows, by_verdict in per_chapter:
        ids = set().union(*by_verdict.values()) if by_verdict else set()
        added = sum(1 for r_ids, _ in rows if not r_ids)
        table.append(
            f"| [{name}]({path}#claims-ledger) | {len(ids)} | {verdict_counts(by_verdict)} "
            f"| {len(rows)} ({added}) |"
        )
    for chapter, ids in pending.items():
        table.append(f"| {chapter} (not yet written) | 0 | {len(ids)} pending | – |")
    return "\n".join(lines).replace("<!-- ledger:coverage -->", "\n".join(table))


if __name__ == "__main__":
    main()
