#!/usr/bin/env bash
# Builds every example with `--features cuda`, so that the GPU path keeps compiling. No GPU
# and no CUDA toolkit are needed: shared/gpu/build-cuda.sh fetches nvcc 13.0 from PyPI
# wheels, generates link stubs for the CUDA libraries, and runs
# `cargo build --release --features cuda --examples`. Run it after any change to device or
# candle code (src/device.rs, src/nn/, the candle models, the candle version); CI does not.
# It takes 10-15 minutes from cold on 2 cores, and keeps its own target directory
# (target/cuda) so that it never replaces the CPU build.
#
# Usage: bash scripts/check-cuda.sh
# env:   PAPERNOTES_SHARED  the folder holding gpu/build-cuda.sh (default: the first `shared/`
#                           found beside the checkout or one level further up)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

shared=${PAPERNOTES_SHARED:-}
if [ -z "$shared" ]; then
    for cand in ../shared ../../shared; do
        [ -f "$cand/gpu/build-cuda.sh" ] && { shared=$(cd "$cand" && pwd); break; }
    done
fi
if [ -z "$shared" ] || [ ! -f "$shared/gpu/build-cuda.sh" ]; then
    echo "error: gpu/build-cuda.sh not found beside the checkout; set PAPERNOTES_SHARED" >&2
    exit 1
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}/cuda"
start=$(date +%s)
bash "$shared/gpu/build-cuda.sh" "$root" cuda --locked --examples

# Every example must exist and be linked against the CUDA driver library, or the feature
# did not reach candle.
fail=0
for src in examples/*.rs; do
    ex=$(basename "${src%.rs}")
    bin=$CARGO_TARGET_DIR/release/examples/$ex
    if [ ! -x "$bin" ]; then
        echo "CUDA CHECK FAILED: $bin was not built" >&2; fail=1; continue
    fi
    if ! readelf -d "$bin" | grep -q 'libcuda\.so'; then
        echo "    $ex: built (does not link libcuda: it uses no candle code)"
    else
        echo "    $ex: built with CUDA ($(du -h "$bin" | cut -f1))"
    fi
done
[ "$fail" = 0 ] && echo "cuda check: ok, every example builds with --features cuda ($(( $(date +%s) - start )) s)"
exit "$fail"
