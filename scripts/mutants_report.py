#!/usr/bin/env python3
"""Summarises cargo-mutants output per module and per file into mutants/REPORT.md.

Usage: python3 scripts/mutants_report.py target/mutants mutants

Reads <in>/<module>/mutants.out/{caught,missed,unviable,timeout}.txt (one mutant per line,
`file:line:col: description`), writes <out>/<module>.md (the missed mutants, with the
explanations kept from an earlier report) and <out>/REPORT.md (counts per module and file).
Explanations of equivalent mutants live in <out>/explained.txt, one per line:
`file:line: description || why no test can notice it`.
"""
import collections
import pathlib
import sys

KINDS = ["caught", "missed", "unviable", "timeout"]


def read(path):
    return [l.strip() for l in path.read_text().splitlines() if l.strip()] if path.exists() else []


def key(line):
    # "src/x.rs:12:5: replace ..." -> "src/x.rs:12: replace ..."
    parts = line.split(":", 3)
    return f"{parts[0]}:{parts[1]}:{parts[3]}" if len(parts) == 4 else line


def main():
    src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    explained = {}
    for l in read(out / "explained.txt"):
        if "||" in l:
            k, why = l.split("||", 1)
            explained[k.strip()] = why.strip()
    rows, totals = [], collections.Counter()
    for mdir in sorted(p for p in src.iterdir() if (p / "mutants.out").is_dir()):
        module = mdir.name
        per_file = collections.defaultdict(collections.Counter)
        missed = []
        for kind in KINDS:
            for line in read(mdir / "mutants.out" / f"{kind}.txt"):
                per_file[line.split(":", 1)[0]][kind] += 1
                if kind == "missed":
                    missed.append(line)
        for f, c in sorted(per_file.items()):
            n_expl = sum(1 for l in missed if l.startswith(f + ":") and key(l) in explained)
            rows.append((module, f, c, n_expl))
            totals.update(c)
            totals["explained"] += n_expl
        lines = [f"# Missed mutants: {module}", ""]
        for l in missed:
            why = explained.get(key(l))
            lines.append(f"- `{l}`" + (f": equivalent, {why}" if why else ""))
        (out / f"{module}.md").write_text("\n".join(lines) + "\n")
    table = ["# Mutation testing", "",
             "Written by `scripts/mutants_report.py` from the output of `bash scripts/mutants.sh`",
             "(cargo-mutants, each module's mutants against that chapter's tests). A *missed*",
             "mutant changes the code without any of the tests noticing; *explained* counts the",
             "missed ones listed in `mutants/explained.txt` as equivalent (no observable change).",
             "Each module's missed mutants are listed in `mutants/<module>.md`.", "",
             "| module | file | caught | missed | explained | unviable | timeout |",
             "|---|---|---|---|---|---|---|"]
    for module, f, c, n_expl in rows:
        table.append(f"| {module} | `{f}` | {c['caught']} | {c['missed']} | {n_expl} | "
                     f"{c['unviable']} | {c['timeout']} |")
    table.append(f"| **all** | | {totals['caught']} | {totals['missed']} | {totals['explained']} | "
                 f"{totals['unviable']} | {totals['timeout']} |")
    (out / "REPORT.md").write_text("\n".join(table) + "\n")
    print("\n".join(table[-1:]))


if __name__ == "__main__":
    main()
