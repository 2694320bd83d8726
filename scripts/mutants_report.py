#!/usr/bin/env python3
"""Summarises cargo-mutants output per module and per file into mutants/REPORT.md.

Usage: python3 scripts/mutants_report.py target/mutants mutants

Reads <in>/<module>/<pass>/mutants.out/{caught,missed,unviable,timeout}.txt (one mutant per
line, `file:line:col: description`), where a pass is the whole module ("all"), one
round-robin shard of it ("shard-k-of-N"; passes add up), or "recheck" (the earlier passes'
survivors run again after new tests: `MUTANTS_RECHECK=1 bash scripts/mutants.sh`), and
<in>/<module>/total.txt (the module's mutants in all). Writes <out>/<module>.md (the
mutants still missed, with their explanations) and <out>/REPORT.md.

"Before" counts are the first outcome of each mutant; "after" counts replace the outcome of
each missed mutant by its recheck outcome where it was rechecked.
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


def change(line):
    # "src/x.rs:12:5: replace ..." -> "src/x.rs: replace ..." (file and change, no position)
    parts = line.split(":", 3)
    return f"{parts[0]}:{parts[3]}" if len(parts) == 4 else line


def recheck_outcome(recheck, line):
    """The recheck's outcome for one earlier survivor: its own, found by its exact name (file,
    line, column, change) when the code has not moved; otherwise the worst outcome among the
    mutants of the same file and change (caught only if all of them were caught); None if the
    recheck did not run it."""
    if line in recheck:
        return recheck[line]
    kinds = {k for l, k in recheck.items() if change(l) == change(line)}
    return next((o for o in ["missed", "timeout", "unviable", "caught"] if o in kinds), None)


def outcomes(pass_dir):
    """{mutant: kind} of one pass."""
    return {line: kind for kind in KINDS for line in read(pass_dir / "mutants.out" / f"{kind}.txt")}


def main():
    src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    explained = {}
    for l in read(out / "explained.txt"):
        if " || " in l:  # the last one: a change may itself read "with ||"
            k, why = l.rsplit(" || ", 1)
            explained[k.strip()] = why.strip()
    rows, totals, sample, commits, recheck_commits = [], collections.Counter(), [], set(), set()
    for mdir in sorted(p for p in src.iterdir() if p.is_dir()):
        module = mdir.name
        passes = sorted(p.parent.name for p in mdir.glob("*/mutants.out") if p.parent.name != "recheck")
        if not passes:
            continue
        for p in passes:
            commits.update(read(mdir / p / "commit.txt"))
        recheck_commits.update(read(mdir / "recheck" / "commit.txt"))
        before = {}
        for p in passes:
            for line, kind in outcomes(mdir / p).items():
                before.setdefault(line, kind)  # a mutant tested in two passes counts once
        recheck = outcomes(mdir / "recheck")
        after = {line: (recheck_outcome(recheck, line) or kind) if kind == "missed" else kind
                 for line, kind in before.items()}
        # The recheck selects by file and change, so it also runs mutants outside the sample.
        outside = sorted(l for l, k in recheck.items() if l not in before and k == "missed")
        total = read(mdir / "total.txt")
        sample.append((module, len(before), int(total[0]) if total else None, passes,
                       sum(1 for l, k in before.items() if k == "missed" and recheck_outcome(recheck, l))))
        files = sorted({l.split(":", 1)[0] for l in before})
        for f in files:
            b = collections.Counter(k for l, k in before.items() if l.startswith(f + ":"))
            a = collections.Counter(k for l, k in after.items() if l.startswith(f + ":"))
            n_expl = sum(1 for l, k in after.items()
                         if l.startswith(f + ":") and k == "missed" and key(l) in explained)
            rows.append((module, f, b, a, n_expl))
            totals.update({f"a_{k}": v for k, v in a.items()})
            totals.update({f"b_{k}": v for k, v in b.items()})
            totals["explained"] += n_expl
        missed = sorted((l for l, k in after.items() if k == "missed"),
                        key=lambda l: (l.split(":")[0], int(l.split(":")[1])))
        lines = [f"# Missed mutants: {module}", "",
                 "Mutants no test of the chapter notices (after the recheck); an equivalent one",
                 "changes nothing a caller can observe, and says why.", ""]
        for l in missed:
            why = explained.get(key(l))
            lines.append(f"- `{l}`" + (f": equivalent, {why}" if why else ""))
        if not missed:
            lines.append("None.")
        if outside:
            lines += ["", "Outside the sample: cargo-mutants 27.1.0 runs its delete-field mutants whatever",
                      "`--re` selects, so the recheck also ran these, which no test notices either",
                      "(not counted in the report's tables):", ""]
            lines += [f"- `{l}`" for l in outside]
        (out / f"{module}.md").write_text("\n".join(lines) + "\n")
    table = ["# Mutation testing", "",
             "Written by `scripts/mutants_report.py` from the output of `bash scripts/mutants.sh`",
             "(cargo-mutants 27.1.0, each module's mutants against that chapter's tests; the",
             "shared core against `tests/foundation.rs`, `tests/nn.rs` and `tests/plot.rs`). A *missed* mutant",
             "changes the code without any of those tests noticing; *explained* counts the missed",
             "ones listed in `mutants/explained.txt` as equivalent (no observable change). Each",
             "module's missed mutants are listed in `mutants/<module>.md`.", "",
             f"Code mutated in the passes: commit {', '.join(sorted(commits)) or 'unknown'}; the rechecks",
             f"ran against commit {', '.join(sorted(recheck_commits)) or '(none)'} (the mutated lines unchanged; new tests).", "",
             "Drawing code (`figure.rs`, `src/plot*`) is not mutated: no ledger row relies on how",
             "a figure is drawn. The modules were run in round-robin shards (`MUTANTS_SHARD=k/N`:",
             "every N-th mutant in cargo-mutants' order, starting at the k-th), so the counts below",
             "are **a sample** of each module, not the whole of it. *Before* is each mutant's first",
             "outcome; the missed ones were then run again against the tests added for them",
             "(`MUTANTS_RECHECK=1`, each by its exact name), and *after* counts their new outcome.",
             "cargo-mutants also runs its delete-field mutants whatever `--re` selects; those outside",
             "the sample are listed, not counted, in `mutants/<module>.md`.", "",
             "| module | mutants in all | tested | share | passes | survivors rechecked |",
             "|---|---|---|---|---|---|"]
    for module, n, total, passes, rechecked in sample:
        share = f"{100 * n / total:.1f} %" if total else "?"
        table.append(f"| {module} | {total if total else '?'} | {n} | {share} | "
                     f"{', '.join(passes)} | {rechecked} |")
    n_all = sum(s[1] for s in sample)
    t_all = sum(s[2] for s in sample if s[2])
    table.append(f"| **all** | {t_all} | {n_all} | {100 * n_all / max(t_all, 1):.1f} % | | "
                 f"{sum(s[4] for s in sample)} |")
    table += ["",
              "| module | file | caught (after) | missed before | missed after | explained | unviable | timeout before | timeout after |",
              "|---|---|---|---|---|---|---|---|---|"]
    for module, f, b, a, n_expl in rows:
        table.append(f"| {module} | `{f}` | {a['caught']} | {b['missed']} | {a['missed']} | {n_expl} | "
                     f"{a['unviable']} | {b['timeout']} | {a['timeout']} |")
    table.append(f"| **all** | | {totals['a_caught']} | {totals['b_missed']} | {totals['a_missed']} | "
                 f"{totals['explained']} | {totals['a_unviable']} | {totals['b_timeout']} | "
                 f"{totals['a_timeout']} |")
    (out / "REPORT.md").write_text("\n".join(table) + "\n")
    print(table[-1])


if __name__ == "__main__":
    main()
