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
#          MUTANTS_SHARD    e.g. 0/20: every 20th mutant of each module, a sample (default: all)
#
# It works in a detached copy of HEAD (target/mutants-tree, a git worktree), so the checkout is
# never modified; it builds into the checkout's target directory, whose compiled dependencies
# (from `cargo test`) it reuses. It writes:
#   target/mutants/<module>/mutants.out/   cargo-mutants' own output (caught.txt, missed.txt, ...)
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
            tests=(--test foundation --test plot) ;;
        taylor | newton | rectifier | softmax | sphereface | alignment | oecnn | pca_ae | review)
            files=(-f "src/$m/*.rs")
            tests=(--test "$m") ;;
        *)
            echo "unknown module '$m'" >&2
            exit 2 ;;
    esac
    shard=()
    [ -n "${MUTANTS_SHARD:-}" ] && shard=(--shard "$MUTANTS_SHARD" --sharding round-robin)
    echo "==> $m: $(cd "$tree" && cargo mutants --list "${files[@]}" | wc -l) mutants"
    start=$(date +%s)
    # Exit status 2 (mutants missed) and 3 (timeouts) are what the report is for.
    rc=0
    (cd "$tree" && cargo mutants --in-place --baseline skip \
        --timeout "${MUTANTS_TIMEOUT:-120}" --output "$root/target/mutants/$m" \
        "${shard[@]}" "${files[@]}" -- "${tests[@]}") || rc=$?
    case $rc in 0 | 2 | 3) ;; *) echo "cargo mutants failed on $m (exit $rc)" >&2; exit "$rc" ;; esac
    echo "    $m: $(( $(date +%s) - start )) s"
done

python3 scripts/mutants_report.py target/mutants mutants
