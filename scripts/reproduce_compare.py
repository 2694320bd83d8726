#!/usr/bin/env python3
"""Compares a fresh full run of a chapter's example with the committed one.

Usage: python3 scripts/reproduce_compare.py [--chapter NAME] [--timing-factor F]
                                            [--strict-timings] COMMITTED_DIR NEW_DIR

Both folders hold what an example writes: run.json, run.md and the figures. Every number
is compared:

* run.json: every leaf under "results" and the figure captions; a JSON number is one
  number, a string (a table cell, a caption) contributes each number written in it, and
  the words around those numbers must match too (a verdict such as "holds"/"fails" or
  "(wrong)" is text).
* run.md: every snippet between ANCHOR comments except `provenance` (date, wall time;
  its seed, mode, device and thread count are checked from run.json) and `figures` (the
  captions, already compared from run.json). Tables are compared cell by cell.
* the run's settings (chapter, command, mode, device, seed, threads) must be equal, or
  the two runs are not comparable; `date` and `crate_version` are not compared.
* the lists of files the two runs wrote must be equal (figure contents are not compared).

Deterministic numbers (everything but timings: the examples fix the seed and the thread
count, and scripts/reproduce.sh reruns with the committed seed and RAYON_NUM_THREADS) must
be equal exactly: a JSON number bit for bit, a number in text as the same characters.
Chapters may list keys whose computation is not deterministic in NONDETERMINISTIC below,
with a relative tolerance; none is known today.

Timings are not deterministic. The run's total wall time (`wall_time_s`) and its list of
timed steps (`timings_s`, the `timings` table) are not compared at all. Other timings are
matched by name (TIMING_KEY, TIMING_COLUMN and TIMING_EXTRA below): the `item_timings`
table, any result key with a word `ms`, `seconds`, `time`, `times` or `timings` (`warp_ms`,
`epoch_ms_relu`, `logistic_gd_time_s`, `logistic_ratio_time`, `bounds_seconds`,
`epoch_seconds`, ...), any table column whose header names seconds or milliseconds
("(s)", "(ms)", "ms per epoch", "wall time"), and in newton the exponents and ratios fitted
to the step-cost timings (`exp_cholesky`, `exp_inverse`, `exp_hessian`,
`inverse_over_cholesky`, `hessian_over_cholesky`, and the `step_cost_table` columns
"local exponent of the solve" and "inverse / solve"). A timing is "within tolerance"
when new/old lies within a factor --timing-factor (default 3) either way; one outside it
is listed as a warning, and fails the comparison only with --strict-timings (a shared,
busy machine slows every timing down).

The last line printed is a one-line summary; the exit status is 1 on any difference.
"""
import argparse
import json
import os
import re
import sys

# Numbers as the run records write them: 12, -3.8, 0.5, 6.7e-14, 1e5, with "−" (U+2212)
# accepted as a minus sign. A digit glued to a letter (fp32, m4) is part of a word.
NUM = re.compile(r"(?<![A-Za-z0-9_.])[-\u2212]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+\u2212]?\d+)?")

TIMING_KEY = re.compile(r"(^|_)(ms|seconds|time|times|timings)(_|$)|_time_s$|^wall_time_s$")
TIMING_COLUMN = re.compile(r"\((m?s)\)|(^|[^A-Za-z])ms([^A-Za-z]|$)|wall time|seconds")
TIMING_EXTRA = {
    "newton": {
        "keys": {"exp_cholesky", "exp_inverse", "exp_hessian", "inverse_over_cholesky",
                 "hessian_over_cholesky"},
        "columns": {("step_cost_table", "local exponent of the solve"),
                    ("step_cost_table", "inverse / solve")},
    },
}
# chapter -> [(regex on the key path, relative tolerance)] for deterministic-looking keys
# whose computation is not deterministic. Empty: every non-timing number is exact.
NONDETERMINISTIC = {}

# Not compared at all: the record's own list of timed steps (which steps a run times is a
# detail of the example, and every entry is a wall time) and the total wall time.
EXCLUDED = {"timings", "timings_s", "wall_time_s"}

SETTINGS = ["chapter", "command", "mode", "device", "seed", "threads"]
SKIPPED_SNIPPETS = {"provenance", "figures"}


def is_timing(chapter, key, column):
    """Whether the value at result `key` (and table `column`, if any) is a timing."""
    extra = TIMING_EXTRA.get(chapter, {})
    if TIMING_KEY.search(key) or key in extra.get("keys", set()):
        return True
    if column is not None:
        return bool(TIMING_COLUMN.search(column)) or (key, column) in extra.get("columns", set())
    return False


def leaves(value, path, key, column, out):
    """Flattens a JSON value into (path, result key, innermost dict key, leaf) tuples."""
    if isinstance(value, dict):
        for k, v in value.items():
            # The innermost dict key names the value: a table row's column header.
            leaves(v, f"{path}.{k}", key, k, out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            leaves(v, f"{path}[{i}]", key, column, out)
    else:
        out.append((path, key, column, value))


def json_leaves(record):
    out = []
    for key, value in record.get("results", {}).items():
        leaves(value, f"results.{key}", key, None, out)
    for i, fig in enumerate(record.get("figures", [])):
        out.append((f"figures[{i}].file", "figures", None, fig.get("file")))
        out.append((f"figures[{i}].caption", "figures", None, fig.get("caption")))
    for k in ("wall_time_s",):
        if k in record:
            out.append((k, k, None, record[k]))
    for k, v in record.get("timings_s", {}).items():
        out.append((f"timings_s.{k}", "timings_s", None, v))
    return out


def snippets(md):
    return {m.group(1): m.group(2) for m in re.finditer(
        r"<!-- ANCHOR: (\S+) -->\n(.*?)\n?<!-- ANCHOR_END: \1 -->", md, re.S)}


def md_leaves(md):
    out = []
    for key, text in snippets(md).items():
        if key in SKIPPED_SNIPPETS:
            continue
        lines = text.strip("\n").split("\n")
        if len(lines) >= 2 and lines[0].startswith("|") and re.match(r"^\|(\s*:?-+:?\s*\|)+$", lines[1]):
            header = [c.strip() for c in lines[0].strip().strip("|").split("|")]
            for r, line in enumerate(lines[2:]):
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                for c, cell in enumerate(cells):
                    col = header[c] if c < len(header) else f"column {c}"
                    out.append((f"md:{key}[{r}].{col}", key, col, cell))
        else:
            out.append((f"md:{key}", key, None, text))
    return out


def as_float(text):
    return float(text.replace("\u2212", "-"))


class Tally:
    def __init__(self, chapter, factor, strict_timings):
        self.chapter, self.factor, self.strict = chapter, factor, strict_timings
        self.compared = self.equal = self.tolerated = self.excluded = 0
        self.timing_keys = set()
        self.differing = []  # (path, old, new, why)
        self.only = {}  # (result key, which run) -> paths present in that run only
        self.warnings = []

    def number(self, path, key, column, old, new):
        """Compares one number (given as JSON numbers or as their text)."""
        self.compared += 1
        if old == new:
            self.equal += 1
            return
        a = old if isinstance(old, (int, float)) else as_float(old)
        b = new if isinstance(new, (int, float)) else as_float(new)
        if is_timing(self.chapter, key, column):
            self.timing_keys.add(key if column is None else f"{key}: {column}")
            ok = a > 0 and b > 0 and 1 / self.factor <= b / a <= self.factor or a == b
            if ok:
                self.tolerated += 1
            elif self.strict:
                self.differing.append((path, old, new, f"timing outside x{self.factor:g}"))
            else:
                self.warnings.append((path, old, new, f"timing outside x{self.factor:g}"))
            return
        for pattern, rtol in NONDETERMINISTIC.get(self.chapter, []):
            if re.search(pattern, path) and abs(a - b) <= rtol * max(abs(a), abs(b)):
                self.tolerated += 1
                return
        self.differing.append((path, old, new, "not equal"))

    def leaf(self, path, key, column, old, new):
        if isinstance(old, bool) or isinstance(new, bool) or old is None or new is None:
            self.compared += 1
            if old == new:
                self.equal += 1
            else:
                self.differing.append((path, old, new, "not equal"))
        elif isinstance(old, (int, float)) and isinstance(new, (int, float)):
            self.number(path, key, column, old, new)
        elif isinstance(old, str) and isinstance(new, str):
            a, b = NUM.findall(old), NUM.findall(new)
            if NUM.sub("#", old) != NUM.sub("#", new) or len(a) != len(b):
                self.compared += max(len(a), len(b), 1)
                self.differing.append((path, old, new, "text differs"))
                return
            for i, (x, y) in enumerate(zip(a, b)):
                self.number(f"{path} #{i + 1}" if len(a) > 1 else path, key, column, x, y)
        else:
            self.compared += 1
            self.differing.append((path, old, new, "type differs"))

    def compare(self, old_leaves, new_leaves):
        new_by_path = {p: (k, c, v) for p, k, c, v in new_leaves}
        old_paths = set()
        for path, key, column, value in old_leaves:
            old_paths.add(path)
            if key in EXCLUDED:
                self.excluded += 1
                continue
            if path not in new_by_path:
                self.compared += 1
                self.only.setdefault((key, "committed"), []).append(path)
                continue
            self.leaf(path, key, column, value, new_by_path[path][2])
        for path, key, column, value in new_leaves:
            if path not in old_paths and key not in EXCLUDED:
                self.compared += 1
                self.only.setdefault((key, "new"), []).append(path)

    def n_differing(self):
        return len(self.differing) + sum(len(v) for v in self.only.values())


def load(folder):
    with open(os.path.join(folder, "run.json"), encoding="utf-8") as f:
        record = json.load(f)
    with open(os.path.join(folder, "run.md"), encoding="utf-8") as f:
        md = f.read()
    return record, md


def files(folder):
    return sorted(n for n in os.listdir(folder) if not n.startswith("."))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("committed")
    ap.add_argument("new")
    ap.add_argument("--chapter")
    ap.add_argument("--timing-factor", type=float, default=3.0)
    ap.add_argument("--strict-timings", action="store_true")
    args = ap.parse_args()
    old, old_md = load(args.committed)
    new, new_md = load(args.new)
    chapter = args.chapter or old.get("chapter", "?")

    problems = []
    for k in SETTINGS:
        if old.get(k) != new.get(k):
            problems.append(f"setting {k}: committed {old.get(k)!r}, new {new.get(k)!r}")
    only_old = sorted(set(files(args.committed)) - set(files(args.new)))
    only_new = sorted(set(files(args.new)) - set(files(args.committed)))
    if only_old:
        problems.append("files only in the committed run: " + ", ".join(only_old))
    if only_new:
        problems.append("files only in the new run: " + ", ".join(only_new))

    js = Tally(chapter, args.timing_factor, args.strict_timings)
    js.compare(json_leaves(old), json_leaves(new))
    mds = Tally(chapter, args.timing_factor, args.strict_timings)
    mds.compare(md_leaves(old_md), md_leaves(new_md))

    print(f"{chapter}: committed {args.committed}, new {args.new}")
    for name, t in (("run.json", js), ("run.md", mds)):
        print(f"  {name}: {t.compared} numbers compared, {t.equal} equal, "
              f"{t.tolerated} within tolerance, {len(t.warnings)} timing(s) outside it, "
              f"{t.n_differing()} differing "
              f"({t.excluded} values of the step timings and wall time not compared)")
        if t.timing_keys:
            print("    timings that moved: "
                  + "; ".join(sorted(t.timing_keys)))
        for path, a, b, why in t.warnings:
            print(f"    warning: {path}: {a} -> {b} ({why}; a failure only with --strict-timings)")
        for path, a, b, why in t.differing:
            print(f"    DIFFERS {path}: {a!r} -> {b!r} ({why})")
        for (key, run), paths in sorted(t.only.items()):
            shown = ", ".join(paths[:3]) + (", ..." if len(paths) > 3 else "")
            print(f"    DIFFERS {key}: {len(paths)} value(s) only in the {run} run ({shown})")
    for p in problems:
        print(f"  DIFFERS {p}")

    compared = js.compared + mds.compared
    equal = js.equal + mds.equal
    tolerated = js.tolerated + mds.tolerated
    slow = len(js.warnings) + len(mds.warnings)
    differing = js.n_differing() + mds.n_differing() + len(problems)
    keys = {p.split("[")[0].split(" #")[0] for p, *_ in js.differing + mds.differing}
    keys |= {k for t in (js, mds) for (k, _) in t.only}
    keys = sorted(keys)
    verdict = "OK" if differing == 0 else "DIFFERS"
    print(f"{verdict}: {compared} numbers compared, {equal} equal, {tolerated} within tolerance, "
          f"{slow} timing(s) outside tolerance (warning), {differing} differing" + (f" ({', '.join(keys)})" if keys else ""))
    return 0 if differing == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
