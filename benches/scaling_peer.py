#!/usr/bin/env python3
"""Scaling against size, papernotes next to the LAPACK-based tools a reader would use,
timed in one script run.

1. A Newton step with an n x n Hessian (chapter 2), n = 10 ... 2000: the Cholesky
   factorisation and solve, and the explicit inverse then multiply, on a random symmetric
   positive definite A = M^T M / n + I. papernotes: nalgebra (`cargo run --release --example
   performance -- --newton-bench SIZES`, which calls `newton::experiments::solve_cost`);
   peer: SciPy's `cho_factor` + `cho_solve` and NumPy's `inv` then `@` (LAPACK through
   OpenBLAS). Both sides take the best of the same number of repetitions,
   clamp(2e8 / n^3, 3, 50).
2. The PCA fit of the "Autoencoders vs PCA" chapter (an SVD of the centred rows) on
   Gaussian matrices: more rows at the one-hot table's 321 columns, and more columns at its
   1758 training rows. papernotes: `--pca-bench SHAPES` (`pca_ae::experiments::fit_timing`,
   nalgebra's SVD); peer: scikit-learn's `PCA(svd_solver="full")`. Both sides: one warm-up
   fit, then the median of 5.

Each round runs papernotes, then the peer, on one thread each (RAYON_NUM_THREADS=1;
threadpoolctl limits OpenBLAS to 1), so that both see the same machine load; the tables give
the median over the rounds of each time and of the per-round ratio papernotes / peer, with
its range. The time of these factorisations depends on the shape, not the entries, so each
side draws its own matrix of the same shape and kind.

Writes benches/scaling_peer.json (drawn by `cargo run --release --example performance`) and
benches/scaling_peer.md (ANCHOR snippets the Performance appendix includes). Not run by CI.
Without SciPy and scikit-learn it creates a virtual environment in
target/scaling_peer_venv, installs numpy, scipy, scikit-learn and threadpoolctl there with
pip, and runs itself in it.

Usage: python3 benches/scaling_peer.py        (from the repository root)
PEER_ROUNDS (default 3) sets the rounds; PAPERNOTES_EXAMPLES, a directory of prebuilt
release examples (e.g. target/release/examples), skips `cargo run`.
"""

import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

import peer_venv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "target", "scaling_peer_venv")
BIN_DIR = os.environ.get("PAPERNOTES_EXAMPLES")
NEWTON_SIZES = [10, 20, 50, 100, 200, 500, 1000, 2000]
FIT_FROM = 100  # the exponent is fitted to n >= FIT_FROM, where the O(n^3) work dominates
PCA_COLS = 321
PCA_ROWS = 1758
ROW_SWEEP = [250, 500, 1000, 2000, 4000]
COL_SWEEP = [40, 80, 160, 321, 640]
PCA_REPS = 5

for var in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"]:
    os.environ.setdefault(var, "1")


def rust(*flags):
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    cmd = ([os.path.join(BIN_DIR, "performance")] if BIN_DIR else
           ["cargo", "run", "--quiet", "--release", "--example", "performance", "--"]) + list(flags)
    out = subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.strip().splitlines() if line.startswith("{")]


def loadavg():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def best_of(reps, f):
    best = math.inf
    for _ in range(max(reps, 1)):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def peer_newton(np, linalg, n, rng):
    m = rng.standard_normal((n, n))
    a = m.T @ m / n + np.eye(n)
    b = rng.standard_normal(n)
    reps = int(min(max(2e8 / n ** 3, 3.0), 50.0))
    chol = best_of(reps, lambda: linalg.cho_solve(linalg.cho_factor(a.copy()), b))
    inv = best_of(reps, lambda: np.linalg.inv(a) @ b)
    return {"n": n, "cholesky_s": chol, "inverse_s": inv}


def peer_pca(np, PCA, rows, cols, rng):
    x = rng.standard_normal((rows, cols))
    PCA(svd_solver="full").fit(x)
    times = []
    for _ in range(PCA_REPS):
        t = time.perf_counter()
        PCA(svd_solver="full").fit(x)
        times.append(time.perf_counter() - t)
    return {"rows": rows, "cols": cols, "median_s": statistics.median(times), "best_s": min(times)}


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def fmt_ms(v):
    """Three significant digits, never in exponent notation."""
    return f"{v:.0f}" if v >= 100 else f"{v:.3g}" if v >= 0.001 else f"{v:.6f}".rstrip("0")


def stat(values):
    v = sorted(values)
    return {"median": statistics.median(v), "min": v[0], "max": v[-1]}


def loglog_slope(xs, ys):
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def main():
    peer_venv.ensure(VENV, ["scipy", "sklearn", "threadpoolctl"], ["numpy", "scipy", "scikit-learn", "threadpoolctl"], __file__)
    import numpy as np
    import scipy
    import sklearn
    from scipy import linalg
    from sklearn.decomposition import PCA
    from threadpoolctl import threadpool_info, threadpool_limits

    rounds = int(os.environ.get("PEER_ROUNDS", "3"))
    shapes = [(r, PCA_COLS) for r in ROW_SWEEP] + [(PCA_ROWS, c) for c in COL_SWEEP]
    shape_arg = ",".join(f"{r}x{c}" for r, c in shapes)
    rng = np.random.default_rng(42)
    load_start = loadavg()
    runs = []
    with threadpool_limits(limits=1):
        blas = sorted({f'{i["internal_api"]} {i["version"]}' for i in threadpool_info()
                       if i["user_api"] == "blas"})
        for r in range(rounds):
            rec = {"loadavg": loadavg()}
            rec["newton_ours"] = rust("--newton-bench", ",".join(map(str, NEWTON_SIZES)))[0]["rows"]
            rec["newton_peer"] = [peer_newton(np, linalg, n, rng) for n in NEWTON_SIZES]
            rec["pca_ours"] = rust("--pca-bench", shape_arg)
            rec["pca_peer"] = [peer_pca(np, PCA, r_, c, rng) for r_, c in shapes]
            runs.append(rec)
            print(f"round {r + 1}/{rounds}, load {rec['loadavg']}", file=sys.stderr)
    load_end = loadavg()

    ms = lambda vs: stat([1000 * v for v in vs])
    newton = []
    for k, n in enumerate(NEWTON_SIZES):
        row = {"n": n}
        for way in ["cholesky", "inverse"]:
            ours = [x["newton_ours"][k][f"{way}_s"] for x in runs]
            peer = [x["newton_peer"][k][f"{way}_s"] for x in runs]
            assert all(x["newton_ours"][k]["n"] == n for x in runs)
            row[f"ours_{way}_ms"] = ms(ours)
            row[f"peer_{way}_ms"] = ms(peer)
            row[f"ratio_{way}"] = stat([o / p for o, p in zip(ours, peer)])
        newton.append(row)
    fits = {}
    for side in ["ours", "peer"]:
        for way in ["cholesky", "inverse"]:
            pts = [(r["n"], r[f"{side}_{way}_ms"]["median"]) for r in newton if r["n"] >= FIT_FROM]
            fits[f"{side}_{way}"] = loglog_slope(*zip(*pts))
    pca = {"rows": [], "cols": []}
    for k, (r_, c) in enumerate(shapes):
        ours = [x["pca_ours"][k]["median_s"] for x in runs]
        peer = [x["pca_peer"][k]["median_s"] for x in runs]
        assert all((x["pca_ours"][k]["rows"], x["pca_ours"][k]["cols"]) == (r_, c) for x in runs)
        assert all(x["pca_ours"][k]["by_svd"] for x in runs)
        pca["rows" if k < len(ROW_SWEEP) else "cols"].append({
            "rows": r_, "cols": c, "work": r_ * c * c, "ours_ms": ms(ours), "peer_ms": ms(peer),
            "ratio": stat([o / p for o, p in zip(ours, peer)])})
    result = {
        "machine": {"python": platform.python_version(), "numpy": np.__version__,
                    "scipy": scipy.__version__, "sklearn": sklearn.__version__, "blas": blas,
                    "cpu": cpu_model(), "logical_cpus": os.cpu_count(),
                    "date": time.strftime("%Y-%m-%d", time.gmtime()), "rounds": rounds,
                    "loadavg_start": load_start, "loadavg_end": load_end},
        "fit_from_n": FIT_FROM, "fits": fits, "newton": newton, "pca": pca, "raw": runs,
    }
    with open(os.path.join(ROOT, "benches", "scaling_peer.json"), "w") as fh:
        json.dump(result, fh, indent=2)
        fh.write("\n")

    f = lambda d: fmt_ms(d["median"])
    rng_ = lambda d: f'{d["median"]:.2f} ({d["min"]:.2f}–{d["max"]:.2f})'
    newton_table = ("| n | papernotes Cholesky (ms) | SciPy Cholesky (ms) | ratio | papernotes inverse (ms) "
                    "| NumPy inverse (ms) | ratio |\n|---|---|---|---|---|---|---|\n" + "\n".join(
                        f'| {r["n"]} | {f(r["ours_cholesky_ms"])} | {f(r["peer_cholesky_ms"])} | '
                        f'{rng_(r["ratio_cholesky"])} | {f(r["ours_inverse_ms"])} | {f(r["peer_inverse_ms"])} | '
                        f'{rng_(r["ratio_inverse"])} |' for r in newton))
    pca_table = ("| rows × columns | papernotes (ms) | scikit-learn (ms) | ratio |\n|---|---|---|---|\n" +
                 "\n".join(f'| {r["rows"]} × {r["cols"]} | {f(r["ours_ms"])} | {f(r["peer_ms"])} | '
                           f'{rng_(r["ratio"])} |' for r in pca["rows"] + pca["cols"]))
    big = newton[-1]
    gflops = lambda n, s: (n ** 3 / 3) / s / 1e9
    snippets = {
        "newton_table": newton_table,
        "newton_slopes": (f'{fits["ours_cholesky"]:.2f} (papernotes) and {fits["peer_cholesky"]:.2f} (SciPy) '
                          f'for the Cholesky solve, {fits["ours_inverse"]:.2f} and {fits["peer_inverse"]:.2f} '
                          f'for the inverse, fitted to n ≥ {FIT_FROM}'),
        "newton_gflops": (f'{gflops(big["n"], big["ours_cholesky_ms"]["median"] / 1000):.1f} GFLOP/s for '
                          f'papernotes and {gflops(big["n"], big["peer_cholesky_ms"]["median"] / 1000):.1f} '
                          f'GFLOP/s for SciPy'),
        "pca_table": pca_table,
        "scaling_setup": (f'{rounds} rounds alternating papernotes and the peer, one thread each; load average '
                          f'{load_start} at the start and {load_end} at the end'),
        "scaling_machine": (f'{result["machine"]["cpu"]}, {os.cpu_count()} logical CPUs, '
                            f'{result["machine"]["date"]}; NumPy {np.__version__}, '
                            f'SciPy {scipy.__version__}, scikit-learn {sklearn.__version__} '
                            f'({", ".join(blas) or "BLAS unknown"}), Python {platform.python_version()}'),
    }
    md = ["# Scaling against size: papernotes and LAPACK-based peers", "",
          "Written by `python3 benches/scaling_peer.py`; the Performance appendix includes the "
          "snippets below by anchor."]
    for k, v in snippets.items():
        md += ["", f"<!-- ANCHOR: {k} -->", v, f"<!-- ANCHOR_END: {k} -->"]
    with open(os.path.join(ROOT, "benches", "scaling_peer.md"), "w") as fh:
        fh.write("\n".join(md) + "\n")
    print("\n".join(f"{k}: {v}" for k, v in snippets.items()))


if __name__ == "__main__":
    main()
