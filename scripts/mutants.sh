#!/usr/bin/env bash
# Mutation testing, per chapter module: cargo-mutants changes one piece of the module's code at
# a time (a return value, an operator, a comparison) and runs that chapter's tests; a mutant the
# tests do not notice ("missed") is code a ledger row may rely on without a test that checks it.
# Slow (one incremental build and one test run per mutant), so not part of CI.
#
# Usage: bash scripts/mutants.sh [module...]
#   modules: taylor newton rectifier softmax sphereface alignment oecnn pca_ae review core
#            (default: all of them)
# env:     MUTANTS_TIMEOUT  seconds per test run before a mutant counts as a timeout (default 120)
#          MUTANTS_SHARD    k/N: every N-th mutant of each module starting at the k-th, a
#                           round-robin sample (default: all). Passes with different k add up:
#                           each pass writes its own output, and the report counts them all.
#          MUTANTS_RECHECK  1: run again only the mutants the earlier passes missed, against the
#                           tests as they are now (a timeout already means the tests did not pass); the report's "after" counts
#                           take these outcomes, its "before" counts keep the first ones.
#
# Drawing code (`figure.rs`, `src/plot*`) is left out: no ledger row relies on how a figure is
# drawn (the numbers a figure shows are computed elsewhere and tested there).
#
# It works in a detached copy of HEAD (target/mutants-tree, a git worktree), so the checkout is
# never modified; it builds into the checkout's target directory, whose compiled dependencies
# (from `cargo test`) it reuses. It writes:
#   target/mutants/<module>/<pass>/mutants.out/   cargo-mutants' own output (caught.txt, ...);
#                                                 <pass> is "all" or "shard-k-of-N"
#   target/mutants/<module>/total.txt       how many mutants the module has in all
#   mutants/<module>.md                     missed mutants of the module, one per line
#   mutants/REPORT.md                       caught / missed / unviable / timeout per file
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
version=27.1.0
if ! command -v cargo-mutants >/dev/null || ! cargo mutants --version | grep -q "$version"; then
    cargo install cargo-mutants --locked --version "$version"
fi

modules=("$@")
[ ${#modules[@]} -gt 0 ] || modules=(taylor newton rectifier softmax sphereface alignment oecnn pca_ae review core)

tree=$root/target/mutants-tree
if [ ! -d "$tree" ]; then
    git worktree add --detach "$tree" HEAD >/dev/null
else
    git -C "$tree" checkout --detach --force HEAD >/dev/null 2>&1 || true
    git -C "$tree" reset --hard "$(git rev-parse HEAD)" >/dev/null
fi
export CARGO_TARGET_DIR=$root/target
mkdir -p mutants target/mutants

for m in "${modules[@]}"; do
    case $m in
        core)
            files=(-f src/numeric.rs -f src/diff.rs -f src/functions.rs -f src/error.rs
                   -f 'src/nn/*.rs' -f src/run.rs)
            tests=(--cargo-arg=--test=foundation --cargo-arg=--test=nn --cargo-arg=--test=plot) ;;
        taylor | newton | rectifier | softmax | sphereface | alignment | oecnn | pca_ae | review)
            files=(-f "src/$m/*.rs" -e "src/$m/figure.rs")
            tests=(--cargo-arg="--test=$m") ;;
        *)
            echo "unknown module '$m'" >&2
            exit 2 ;;
    esac
    shard=()
    pass=all
    if [ -n "${MUTANTS_RECHECK:-}" ]; then
        # One --re per earlier survivor, its exact name (file, line, column, change): the
        # recheck is for new tests against code that has not moved.
        mapfile -t survivors < <(cat target/mutants/"$m"/shard-*/mutants.out/missed.txt \
            target/mutants/"$m"/all/mutants.out/missed.txt 2>/dev/null | sort -u)
        [ ${#survivors[@]} -gt 0 ] || { echo "==> $m: no survivors to recheck"; continue; }
        for line in "${survivors[@]}"; do
            shard+=(--re "^$(python3 -c 'import re,sys; print(re.escape(sys.argv[1]))' "$line")\$")
        done
        pass=recheck
    elif [ -n "${MUTANTS_SHARD:-}" ]; then
        shard=(--shard "$MUTANTS_SHARD" --sharding round-robin)
        pass=shard-${MUTANTS_SHARD%/*}-of-${MUTANTS_SHARD#*/}
    fi
    mkdir -p "target/mutants/$m"
    [ "$pass" = recheck ] ||
        (cd "$tree" && cargo mutants --list "${files[@]}" | wc -l) >"target/mutants/$m/total.txt"
    echo "==> $m: $(cat "target/mutants/$m/total.txt") mutants, pass $pass"
    start=$(date +%s)
    # The test target goes to every cargo call (--cargo-arg), so that each mutant builds only
    # the library and that chapter's test binary, not every test and example.
    # Exit status 2 (mutants missed) and 3 (timeouts) are what the report is for.
    rc=0
    (cd "$tree" && cargo mutants --in-place --baseline skip \
        --timeout "${MUTANTS_TIMEOUT:-120}" --output "$root/target/mutants/$m/$pass" \
        "${shard[@]}" "${files[@]}" "${tests[@]}") || rc=$?
    case $rc in 0 | 2 | 3) ;; *) echo "cargo mutants failed on $m (exit $rc)" >&2; exit "$rc" ;; esac
    git rev-parse HEAD >"target/mutants/$m/$pass/commit.txt"
    echo "    $m: $(( $(date +%s) - start )) s"
done

python3 scripts/mutants_report.py target/mutants mutants
