#!/usr/bin/env python3
"""Peer comparison for the alignment chapter: papernotes vs OpenCV and scikit-image.

Not run by CI. Needs a venv outside the repository, e.g.
    python3 -m venv /tmp/venv-align
    /tmp/venv-align/bin/pip install numpy opencv-python-headless scikit-image
and the committed full run (figures/alignment/run.json). Usage, from the repository root:
    /tmp/venv-align/bin/python scripts/compare_alignment.py
It builds and runs `cargo run --release --example performance -- --warp-bench N --warp-out F`
for the Rust warp timing, all in this one run, and writes
benches/alignment_peer.json and benches/alignment_peer.md (snippets the book includes).

What is compared, and with which algorithm (they are not all the same algorithm):
* similarity: skimage SimilarityTransform.estimate (Umeyama, the same closed form) and
  cv2.estimateAffinePartial2D (RANSAC with a 1e9 px threshold, so every point is an inlier,
  then Levenberg-Marquardt refinement on all points; OpenCV 5 refuses method=0).
* affine: numpy.linalg.lstsq (the same linear least squares) and cv2.estimateAffine2D (as above).
* projective: cv2.findHomography(method=0) (least squares on all points, with LM refinement of
  the point residual, as papernotes does) and skimage ProjectiveTransform.estimate (the
  algebraic/total-least-squares DLT, compared with papernotes' DLT-only fit).
* 3-D affine camera: numpy.linalg.lstsq of x = P [X; 1].
* warp: cv2.warpAffine(INTER_LINEAR | WARP_INVERSE_MAP, BORDER_CONSTANT 0) on the same decoded
  pixels; OpenCV works on uint8 with 5-bit fixed-point weights, papernotes on f32.
"""
import json
import os
import subprocess
import sys
import time

import cv2
import numpy as np
import skimage
from skimage.transform import ProjectiveTransform, SimilarityTransform

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pts(name):
    lines = open(os.path.join(ROOT, "data", "faces", name + ".pts")).read().split("{")[1].split("}")[0]
    return np.array([[float(v) for v in l.split()] for l in lines.strip().splitlines()]) - 1.0


def mesh_anchors():
    d = os.path.join(ROOT, "data", "mesh")
    v = np.loadtxt(os.path.join(d, "vertices.csv"), delimiter=",", skiprows=1)[:, :3]
    ids = np.loadtxt(os.path.join(d, "ibug68_to_mesh.csv"), delimiter=",", skiprows=1, dtype=int)[:, 1]
    return v[ids]


def h3(m):
    m = np.asarray(m, dtype=float)
    if m.shape == (2, 3):
        m = np.vstack([m, [0, 0, 1]])
    return m / m[2, 2]


def rms(m, src, dst):
    p = np.hstack([src, np.ones((len(src), 1))]) @ h3(m).T
    return float(np.sqrt(np.mean(np.sum((p[:, :2] / p[:, 2:] - dst) ** 2, axis=1))))


def main():
    run = json.load(open(os.path.join(ROOT, "figures", "alignment", "run.json")))
    ours = run["results"]["fits_einstein_to_takeo"]
    src, dst = pts("einstein"), pts("takeo")
    s32, d32 = src.astype(np.float32), dst.astype(np.float32)
    big = dict(method=cv2.RANSAC, ransacReprojThreshold=1e9, maxIters=10, confidence=0.99, refineIters=100)
    peers = {}
    sim = SimilarityTransform()
    sim.estimate(src, dst)
    peers["similarity: skimage SimilarityTransform (Umeyama)"] = ("similarity", sim.params)
    m, _ = cv2.estimateAffinePartial2D(s32, d32, **big)
    peers["similarity: cv2.estimateAffinePartial2D (RANSAC, all inliers, LM)"] = ("similarity", m)
    a = np.hstack([src, np.ones((68, 1))])
    sol, *_ = np.linalg.lstsq(a, dst, rcond=None)
    peers["affine: numpy.linalg.lstsq"] = ("affine", sol.T)
    m, _ = cv2.estimateAffine2D(s32, d32, **big)
    peers["affine: cv2.estimateAffine2D (RANSAC, all inliers, LM)"] = ("affine", m)
    h, _ = cv2.findHomography(src, dst, 0)
    peers["projective: cv2.findHomography(method=0) (LS + LM)"] = ("projective", h)
    pt = ProjectiveTransform()
    pt.estimate(src, dst)
    peers["projective DLT: skimage ProjectiveTransform (algebraic)"] = ("projective_dlt", pt.params)

    rows, record = [], {}
    for label, (key, m) in peers.items():
        diff = float(np.max(np.abs(h3(m) - np.asarray(ours[key]["matrix"]))))
        r_peer, r_ours = rms(m, src, dst), ours[key]["rms"]
        rows.append((label, diff, r_ours, r_peer))
        record[label] = {"max_abs_matrix_diff": diff, "rms_ours": r_ours, "rms_peer": r_peer}

    # 3-D affine camera
    x3 = mesh_anchors()
    cam_rows = []
    for name in ["einstein", "takeo"]:
        x2 = pts(name)
        a = np.hstack([x3, np.ones((68, 1))])
        sol, *_ = np.linalg.lstsq(a, x2, rcond=None)
        p_peer = sol.T
        p_ours = np.asarray(run["results"]["cameras"][name]["P"])[:2]
        d = float(np.max(np.abs(p_peer - p_ours)))
        cam_rows.append((name, d))
        record[f"camera {name}: numpy.linalg.lstsq"] = {"max_abs_matrix_diff": d}

    # Warp: agreement and speed, one run.
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "performance"], cwd=ROOT, check=True)
    out = "/tmp/papernotes_alignment_warp.pgm"
    reps = 30
    res = subprocess.run(
        ["cargo", "run", "--release", "--quiet", "--example", "performance", "--",
         "--warp-bench", str(reps), "--warp-out", out],
        cwd=ROOT, check=True, capture_output=True, text=True)
    rust = json.loads(res.stdout.strip().splitlines()[-1])
    ours_img = cv2.imread(out, cv2.IMREAD_UNCHANGED)
    src_img = cv2.imread(out.replace(".pgm", ".src.pgm"), cv2.IMREAD_UNCHANGED)
    m = np.array(rust["matrix"], dtype=np.float64)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    size = (rust["width"], rust["height"])
    cv_img = cv2.warpAffine(src_img, m, size, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    diff = np.abs(cv_img.astype(int) - ours_img.astype(int))
    timing = {}
    for threads in [1, cv2.getNumberOfCPUs()]:
        cv2.setNumThreads(threads)
        t = []
        for _ in range(reps):
            s = time.perf_counter()
            cv2.warpAffine(src_img, m, size, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
            t.append(time.perf_counter() - s)
        timing[threads] = float(np.median(t))
    record["warp"] = {
        "image": f"{size[0]} x {size[1]} (einstein.jpg, decoded by papernotes)",
        "max_abs_diff_grey_levels": int(diff.max()),
        "share_of_pixels_differing_by_more_than_1": float(np.mean(diff > 1)),
        "papernotes_median_s": rust["median_s"],
        "opencv_median_s_by_threads": timing,
        "ratio_papernotes_over_opencv_1_thread": rust["median_s"] / timing[1],
        "versions": {"opencv": cv2.__version__, "scikit-image": skimage.__version__, "numpy": np.__version__},
    }
    os.makedirs(os.path.join(ROOT, "benches"), exist_ok=True)
    with open(os.path.join(ROOT, "benches", "alignment_peer.json"), "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")

    md = ["# Peer comparison (written by scripts/compare_alignment.py)", ""]

    def snip(key, text):
        md.extend([f"<!-- ANCHOR: {key} -->", text, f"<!-- ANCHOR_END: {key} -->", ""])

    table = ["| peer (einstein → takeo, 68 points) | max abs difference of the 3 × 3 matrices | RMS residual, papernotes (px) | RMS residual, peer (px) |",
             "|---|---|---|---|"]
    table += [f"| {l} | {d:.1e} | {a:.9f} | {b:.9f} |" for l, d, a, b in rows]
    table += [f"| 3-D affine camera, {n}: numpy.linalg.lstsq | {d:.1e} | | |" for n, d in cam_rows]
    snip("peer_fits", "\n".join(table))
    w = record["warp"]
    snip("peer_versions", f"OpenCV {cv2.__version__}, scikit-image {skimage.__version__}, NumPy {np.__version__}")
    snip("peer_warp_maxdiff", str(w["max_abs_diff_grey_levels"]))
    snip("peer_warp_share", f"{100 * w['share_of_pixels_differing_by_more_than_1']:.2f}")
    snip("peer_warp_ours_ms", f"{1e3 * rust['median_s']:.2f}")
    snip("peer_warp_cv1_ms", f"{1e3 * timing[1]:.2f}")
    nmax = max(timing)
    snip("peer_warp_cvn_ms", f"{1e3 * timing[nmax]:.2f}")
    snip("peer_warp_cvn_threads", str(nmax))
    snip("peer_warp_ratio", f"{rust['median_s'] / timing[1]:.1f}")
    snip("peer_warp_size", f"{size[0]} × {size[1]}")
    with open(os.path.join(ROOT, "benches", "alignment_peer.md"), "w") as f:
        f.write("\n".join(md))
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    sys.exit(main())
