#!/usr/bin/env bash
# Reruns the full examples (release build) into a scratch folder and compares every number
# of the new run record with the committed one, so the book never quotes numbers the code
# no longer produces.
#
# Usage: bash scripts/reproduce.sh [chapter...]      (default: every examples/*.rs)
#
# For each chapter:
#   1. run `cargo run --release --example <chapter> -- --out target/reproduce/<chapter>`
#      with the committed run's seed and thread count (RAYON_NUM_THREADS), so a
#      deterministic computation repeats bit for bit;
#   2. compare target/reproduce/<chapter>/run.{md,json} with figures/<chapter>/run.{md,json}
#      (scripts/reproduce_compare.py; its header states which keys are timings and how
#      they are tolerated) and the lists of files written.
# Prints a summary per chapter and exits non-zero if any chapter differs.
# Extra arguments for the comparison can be given in REPRODUCE_COMPARE_ARGS
# (e.g. REPRODUCE_COMPARE_ARGS=--strict-timings).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -gt 0 ]; then
    chapters=("$@")
else
    mapfile -t chapters < <(ls examples/*.rs | xargs -n1 basename | sed 's/\.rs$//')
fi

json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

status=0
summaries=()
for ch in "${chapters[@]}"; do
    committed=figures/$ch
    out=target/reproduce/$ch
    if [ ! -f "examples/$ch.rs" ] || [ ! -f "$committed/run.json" ]; then
        echo "no example or committed run for '$ch' (expected examples/$ch.rs and $committed/run.json)" >&2
        status=1
        summaries+=("$ch: MISSING")
        continue
    fi
    seed=$(json_field "$committed/run.json" seed)
    threads=$(json_field "$committed/run.json" threads)
    rm -rf "$out"
    mkdir -p "$out"
    printf '\n==> %s: full run, seed %s, %s thread(s), into %s\n' "$ch" "$seed" "$threads" "$out"
    start=$(date +%s)
    if ! RAYON_NUM_THREADS=$threads cargo run --locked --release --quiet --example "$ch" -- \
        --seed "$seed" --out "$out"; then
        echo "$ch: the full run failed" >&2
        status=1
        summaries+=("$ch: RUN FAILED")
        continue
    fi
    echo "    ran in $(( $(date +%s) - start )) s"
    # shellcheck disable=SC2086
    if python3 scripts/reproduce_compare.py ${REPRODUCE_COMPARE_ARGS:-} \
        --chapter "$ch" "$committed" "$out" | tee "target/reproduce/$ch.compare.txt"; then
        summaries+=("$ch: $(tail -n 1 "target/reproduce/$ch.compare.txt")")
    else
        status=1
        summaries+=("$ch: $(tail -n 1 "target/reproduce/$ch.compare.txt")")
    fi
done

printf '\n==> summary\n'
printf '%s\n' "${summaries[@]}"
exit "$status"
