#!/usr/bin/env bash
# Runs every check CI runs, from a fresh clone or a warm tree: formatting, clippy, the
# tests, every example in --quick mode, the claims ledgers, the book, and the book opened
# in a headless browser.
# Usage: bash scripts/check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
step() { printf '\n==> %s\n' "$*"; }
mkdir -p target
# A fresh clone gains nothing from incremental caches, and they take disk space.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}; fi
disk() { df -h . | awk 'NR==2 {print "    disk: " $4 " free; target/ " t}' t="$(du -sh target 2>/dev/null | cut -f1)"; }
# Property tests draw 256 cases (proptest default) from a fixed seed here, so a failure CI
# reports is the same on any machine; a plain `cargo test` draws a fresh seed each run.
export PROPTEST_RNG_SEED=${PROPTEST_RNG_SEED:-1592598549}

step "tools"
disk
ensure_book_tools
cargo --version; mdbook --version; mdbook-katex --version

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --locked --all-targets -- -D warnings

step "cargo test"
cargo test --locked 2>&1 | tee target/test.log
disk

step "examples in --quick mode (debug build, the one cargo test made)"
examples=$(ls examples/*.rs | xargs -n1 basename | sed 's/\.rs$//')
for ex in $examples; do
    out=target/quick/$ex
    rm -rf "$out"
    start=$(date +%s%N)
    cargo run --locked --quiet --example "$ex" -- --quick --out "$out"
    echo "    $ex --quick: $(( ($(date +%s%N) - start) / 1000000 )) ms"
    # The quick run must write the same files and snippet keys as the committed full run,
    # or the book quotes numbers and shows figures that the code no longer produces.
    diff <(ls "figures/$ex") <(ls "$out") || { echo "figures/$ex and the quick run's files differ" >&2; exit 1; }
    keys() { grep -oE 'ANCHOR: [A-Za-z0-9_-]+' "$1" | sort; }
    diff <(keys "figures/$ex/run.md") <(keys "$out/run.md") || { echo "figures/$ex/run.md snippet keys differ from the quick run" >&2; exit 1; }
done

step "claims ledgers name tests that cargo test really runs"
cargo test --locked -q -- --list 2>/dev/null | sed -n 's/: test$//p' | sed 's/.*:://' | sort -u > target/test-names.txt
missing=0
for t in $(grep -hE '^\|' book/src/*.md | grep -iE '\*\*(holds|wrong|ill-posed|not decidable here)' | awk -F'|' '{print $(NF-1)}' | grep -oE '`[a-z_][a-z0-9_]*`' | tr -d '`' | sort -u); do
    grep -qx "$t" target/test-names.txt || { echo "ledger names \`$t\`, which cargo test does not list" >&2; missing=1; }
done
[ "$missing" = 0 ]
echo "    $(wc -l < target/test-names.txt) tests listed; every ledger test is among them"

step "book"
bash scripts/check_book.sh

step "book in a browser (headless Chromium: every page, both themes, print, search)"
start=$(date +%s)
bash scripts/browser_check.sh
echo "    browser check: $(( $(date +%s) - start )) s"

step "all checks passed"
disk
grep -E '^test result:' target/test.log | awk '{p+=$4; f+=$6} END {print p " passed, " f " failed"}'
