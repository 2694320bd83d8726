#!/usr/bin/env python3
"""scikit-learn as a peer for the PCA of the "Autoencoders vs PCA" chapter, timed in one
script run.

Runs the release example with `--bench-pca DIR`, which prepares the Ames one-hot table
exactly as the chapter does (seeded split, median imputation, one-hot, standardisation on
the training rows), writes its training rows to DIR/onehot_train.csv and prints the median
time of `Pca::fit` (nalgebra SVD, f64, one thread) over 7 fits after a warm-up, and the
singular values. Then fits scikit-learn's PCA (svd_solver="full", LAPACK) to the same
matrix, on one thread, with the same warm-up and repetitions, and compares the singular
values.

Writes benches/pca_peer.md (ANCHOR snippets the software appendix includes). Not run by
CI. Without scikit-learn it creates a virtual environment in target/pca_peer_venv,
installs numpy, scikit-learn and threadpoolctl there with pip, and runs itself in it.

Usage: python3 benches/pca_peer.py [path to the release pca_ae binary]
       (from the repository root; default target/release/examples/pca_ae)
"""

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import peer_venv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "target", "pca_peer_venv")

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")


def main() -> None:
    peer_venv.ensure(VENV, ["sklearn", "threadpoolctl"], ["numpy", "scikit-learn", "threadpoolctl"], __file__)
    import numpy as np
    import sklearn
    from sklearn.decomposition import PCA
    from threadpoolctl import threadpool_limits

    binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/examples/pca_ae"
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, RAYON_NUM_THREADS="1")
        out = subprocess.run([binary, "--bench-pca", tmp], check=True, capture_output=True,
                             text=True, env=env).stdout
        ours = json.loads(out.strip().splitlines()[-1])
        x = np.loadtxt(os.path.join(tmp, "onehot_train.csv"), delimiter=",")
    assert x.shape == (ours["rows"], ours["cols"]), (x.shape, ours)
    times = []
    with threadpool_limits(limits=1):
        for i in range(8):
            t0 = time.perf_counter()
            pca = PCA(svd_solver="full").fit(x)
            if i > 0:
                times.append(time.perf_counter() - t0)
    peer = statistics.median(times)
    ratio = ours["median_seconds"] / peer
    theirs = np.asarray(pca.singular_values_)
    mine = np.asarray(ours["singular"])[: len(theirs)]
    top = theirs[0]
    diff = float(np.max(np.abs(mine - theirs)) / top)
    date = time.strftime("%Y-%m-%d", time.gmtime())
    snippets = {
        "sklearn_version": f"scikit-learn {sklearn.__version__}, numpy {np.__version__} "
                           f"(Python {platform.python_version()}, 1 thread)",
        "shape": f"{x.shape[0]} × {x.shape[1]}",
        "ours_ms": f"{1000 * ours['median_seconds']:.1f}",
        "sklearn_ms": f"{1000 * peer:.1f}",
        "ratio": f"{ratio:.2f}",
        "top_singular": f"{top:.6f}",
        "singular_diff": f"{diff:.1e}",
    }
    lines = ["# scikit-learn PCA peer measurement", "",
             "Written by `python3 benches/pca_peer.py`; one script run, one thread on each side, "
             f"run on {date}. `ratio` is papernotes' time over scikit-learn's (median of 7 fits "
             "after a warm-up each); `singular_diff` is the largest difference of the two "
             "sets of singular values, relative to the largest.", ""]
    for k, v in snippets.items():
        lines += [f"<!-- ANCHOR: {k} -->", v, f"<!-- ANCHOR_END: {k} -->", ""]
    with open(os.path.join(ROOT, "benches", "pca_peer.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(f"{k}: {v}" for k, v in snippets.items()))


if __name__ == "__main__":
    main()
