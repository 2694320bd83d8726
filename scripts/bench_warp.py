#!/usr/bin/env python3
"""Speed of papernotes' bilinear warp against OpenCV's warpAffine, measured in one run.

Not run by CI (it needs OpenCV). On first use it creates its own venv under
target/peer-venv and installs numpy and opencv-python-headless from PyPI into it, then
re-runs itself there. Usage, from the repository root:
    python3 scripts/bench_warp.py [--rounds 7] [--reps 30] [--before BIN]
It builds the performance example in release (`cargo build --release --example performance`,
honouring CARGO_TARGET_DIR) and alternates, round after round, papernotes' timing runs
(`--warp-bench`) with OpenCV's on the same pixels and the same matrix, so that both see the
same machine load; each round gives one ratio per workload, and the tables report the
median ratio with its range over the rounds. `--before BIN` adds an older build of the
example to the rounds (the speed before a change, in the same run).

Writes benches/warp_peer.json (every measurement) and benches/warp_peer.md (snippets the
book's Performance appendix includes), and benches/warp_scaling.json, which
`cargo run --example performance` draws.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "target", "peer-venv")
SCALES = [0.25, 0.5, 2.0, 3.0]
# The keys of a round that hold papernotes' runs (each keyed by scale).
OURS_KEYS = ("simd", "simd2", "portable", "before")


def ensure_venv():
    py = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(py):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([py, "-m", "pip", "install", "--quiet", "numpy", "opencv-python-headless"], check=True)
    os.execv(py, [py] + sys.argv)


def loadavg():
    return open("/proc/loadavg").read().split()[:3]


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def ours(binary, reps, out, kernel=None, scales=True, threads=1):
    cmd = [binary, "--warp-bench", str(reps), "--warp-out", out]
    if kernel:
        cmd += ["--warp-kernel", kernel]
    if scales:
        cmd += ["--warp-scales", ",".join(str(s) for s in SCALES)]
    if threads != 1:
        cmd += ["--warp-threads", str(threads)]
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    res = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True, env=env)
    rows = [json.loads(l) for l in res.stdout.strip().splitlines() if l.startswith("{")]
    return {r.get("scale", 1.0): r for r in rows}


def main():
    ensure_venv()
    import cv2
    import numpy as np

    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--before", help="an older build of the alignment example, timed in the same rounds")
    ap.add_argument("--binary", help="the performance example to time (default: build it with cargo)")
    args = ap.parse_args()

    binary = args.binary
    if not binary:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "performance"], cwd=ROOT, check=True)
        tdir = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
        binary = os.path.join(tdir, "release", "examples", "performance")
    out = os.path.join(ROOT, "target", "bench_warp", "warp.pgm")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    load_start = loadavg()

    # Inputs, agreement and the maps, from one untimed run.
    first = ours(binary, 1, out)
    srcs, maps = {}, {}
    for s, r in first.items():
        img = cv2.imread(r["src"], cv2.IMREAD_UNCHANGED)
        srcs[s] = (img, img.astype(np.float32))
        maps[s] = (np.array(r["matrix"], dtype=np.float64), (r["width"], r["height"]))
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP

    def cv_warp(s, dtype, dst=None):
        img = srcs[s][0 if dtype == "u8" else 1]
        m, size = maps[s]
        return cv2.warpAffine(img, m, size, dst=dst, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=0)

    ours_img = cv2.imread(out, cv2.IMREAD_UNCHANGED).astype(int)
    agree = {
        "u8": int(np.abs(cv_warp(1.0, "u8").astype(int) - ours_img).max()),
        "f32": int(np.abs(np.rint(cv_warp(1.0, "f32")).astype(int) - ours_img).max()),
    }

    def cv_time(s, dtype, threads):
        # Repetitions alternate between a new output array per call and one
        # array reused (OpenCV's dst argument), as papernotes' timing runs do.
        cv2.setNumThreads(threads)
        fresh, reused = [], []
        dst = cv_warp(s, dtype)
        for _ in range(args.reps):
            st = time.perf_counter()
            cv_warp(s, dtype)
            fresh.append(time.perf_counter() - st)
            st = time.perf_counter()
            cv_warp(s, dtype, dst)
            reused.append(time.perf_counter() - st)
        return {"median": median(fresh), "min": min(fresh)}, {"median": median(reused), "min": min(reused)}

    ncpu = cv2.getNumberOfCPUs()
    threads = sorted({1, min(2, ncpu)})
    rounds = []
    for r in range(args.rounds):
        rec = {"loadavg": loadavg()}
        rec["simd"] = ours(binary, args.reps, out, "simd")
        rec["portable"] = ours(binary, args.reps, out, "portable", scales=False)
        if len(threads) > 1:
            rec["simd2"] = ours(binary, args.reps, out, "simd", scales=False, threads=threads[-1])
        if args.before:
            rec["before"] = ours(args.before, args.reps, out + ".before", scales=False)
        rec["opencv"] = {}
        for dtype in ["u8", "f32"]:
            for n in threads:
                for s in srcs:
                    fresh, reused = cv_time(s, dtype, n)
                    rec["opencv"].setdefault(f"{dtype} {n}", {})[str(s)] = fresh
                    rec["opencv"].setdefault(f"{dtype} {n} reused", {})[str(s)] = reused
        rounds.append(rec)
        with open(os.path.join(ROOT, "target", "bench_warp", "rounds.json"), "w") as f:
            json.dump([{k: ({str(a): b for a, b in v.items()} if k in OURS_KEYS else v)
                        for k, v in r.items()} for r in rounds], f)
        print(f"round {r + 1}/{args.rounds}: ours {1e3 * rec['simd'][1.0]['median_s']:.2f} ms "
              f"(reused buffer {1e3 * rec['simd'][1.0]['reused_median_s']:.2f} ms), "
              f"OpenCV u8 1 thread {1e3 * rec['opencv']['u8 1']['1.0']['median']:.2f} ms, load {rec['loadavg']}",
              file=sys.stderr)
    load_end = loadavg()

    def ratios(f):
        v = [f(rec) for rec in rounds]
        return {"median": median(v), "min": min(v), "max": max(v)}

    ms = lambda f: ratios(lambda rec: 1e3 * f(rec))
    cv_s = lambda key, s=1.0: (lambda rec: rec["opencv"][key][str(s)]["median"])
    rows = []
    # (papernotes' label, its run, its timing field) against (OpenCV's key, label):
    # each of papernotes' runs meets OpenCV at the same thread count and with the
    # same output handling (a new output per call, or one buffer reused).
    plural = lambda n: f"{n} thread{'s' if n > 1 else ''}"
    pairs = []
    for n in threads:
        k = "simd" if n == 1 else "simd2"
        for field, how in [("", "new output per call"), ("reused_", "output buffer reused")]:
            for dtype, name in [("u8", "8-bit"), ("f32", "f32")]:
                pairs.append((f"AVX2 kernel, {plural(n)}, {how}", k, field,
                              f"{dtype} {n}" + (" reused" if field else ""), f"OpenCV {name}, {plural(n)}, {how}"))
    for dtype, name in [("u8", "8-bit"), ("f32", "f32")]:
        pairs.append(("portable kernel, 1 thread, new output per call", "portable", "",
                      f"{dtype} 1", f"OpenCV {name}, 1 thread, new output per call"))
        if args.before:
            pairs.append(("before (scalar f64 positions), 1 thread, new output per call", "before", "",
                          f"{dtype} 1", f"OpenCV {name}, 1 thread, new output per call"))
    for label, k, field, key, peer in pairs:
        ours_s = lambda rec, k=k, field=field: rec[k][1.0][field + "median_s"]
        # An older build may not report its fastest repetition.
        ours_best = min(rec[k][1.0].get(field + "min_s", float("nan")) for rec in rounds)
        peer_best = min(rec["opencv"][key]["1.0"]["min"] for rec in rounds)
        rows.append({
            "ours": label, "peer": peer,
            "ours_ms": ms(ours_s), "peer_ms": ms(cv_s(key)),
            "ratio": ratios(lambda rec, f=ours_s, key=key: f(rec) / cv_s(key)(rec)),
            "ours_best_ms": 1e3 * ours_best if ours_best == ours_best else None,
            "peer_best_ms": 1e3 * peer_best,
            "ratio_best": ours_best / peer_best if ours_best == ours_best else None,
        })
    floor_fresh = ratios(lambda rec: rec["simd"][1.0]["median_s"] / rec["simd"][1.0]["copy_fresh_s"])
    floor_reused = ratios(lambda rec: rec["simd"][1.0]["median_s"] / rec["simd"][1.0]["copy_reused_s"])
    best_warp = min(rec["simd"][1.0]["min_s"] for rec in rounds)
    best_copy = min(rec["simd"][1.0]["copy_fresh_s"] for rec in rounds)
    best_copy_reused = min(rec["simd"][1.0]["copy_reused_s"] for rec in rounds)
    best_warp_reused = min(rec["simd"][1.0]["reused_min_s"] for rec in rounds)
    floor_reused_buf = ratios(lambda rec: rec["simd"][1.0]["reused_median_s"] / rec["simd"][1.0]["copy_reused_s"])
    # The peer against the same floor: how far the fastest bilinear warp there is stays above it.
    cv_best = {key: min(rec["opencv"][key]["1.0"]["min"] for rec in rounds) for key in ["f32 1", "u8 1"]}
    copy_ms = ms(lambda rec: rec["simd"][1.0]["copy_fresh_s"])
    copy_reused_ms = ms(lambda rec: rec["simd"][1.0]["copy_reused_s"])
    w, h = maps[1.0][1]
    mb = 2 * w * h * 4 / 1e6

    scaling = []
    for s in sorted(srcs):
        sw, sh = maps[s][1]
        scaling.append({
            "scale": s, "width": sw, "height": sh, "pixels": sw * sh,
            "ours_ms": ms(lambda rec, s=s: rec["simd"][s]["median_s"]),
            "opencv_u8_ms": ms(cv_s("u8 1", s)),
            "opencv_f32_ms": ms(cv_s("f32 1", s)),
            "copy_ms": ms(lambda rec, s=s: rec["simd"][s]["copy_fresh_s"]),
            "ratio_u8": ratios(lambda rec, s=s: rec["simd"][s]["median_s"] / rec["opencv"]["u8 1"][str(s)]["median"]),
        })
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    machine = {
        "cpu": cpu_model(), "logical_cpus": os.cpu_count(), "loadavg_start": load_start,
        "loadavg_end": load_end, "opencv": cv2.__version__, "numpy": np.__version__,
        "python": platform.python_version(), "rustc": rustc,
    }
    record = {
        "image": f"{w} x {h}", "rounds": args.rounds, "reps": args.reps, "threads_ours": 1,
        "max_abs_diff_grey_levels": agree, "rows": rows, "scaling": scaling,
        "floor": {"bytes_mb": mb, "copy_fresh_ms": copy_ms, "copy_reused_ms": copy_reused_ms,
                  "ours_over_copy_fresh": floor_fresh, "ours_over_copy_reused": floor_reused,
                  "best_warp_over_best_copy_fresh": best_warp / best_copy,
                  "best_warp_over_best_copy_reused": best_warp / best_copy_reused,
                  "reused_warp_over_copy_reused": floor_reused_buf,
                  "best_reused_warp_over_best_copy_reused": best_warp_reused / best_copy_reused,
                  "best_opencv_f32_over_best_copy_fresh": cv_best["f32 1"] / best_copy,
                  "best_opencv_u8_over_quarter_best_copy_fresh": cv_best["u8 1"] / (best_copy / 4)},
        "machine": machine, "raw": [{k: ({str(a): b for a, b in v.items()} if k in OURS_KEYS else v)
                                     for k, v in r.items()} for r in rounds],
    }
    bdir = os.path.join(ROOT, "benches")
    with open(os.path.join(bdir, "warp_peer.json"), "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    with open(os.path.join(bdir, "warp_scaling.json"), "w") as f:
        json.dump({"image": "einstein.jpg resampled", "scaling": scaling, "machine": machine}, f, indent=2)
        f.write("\n")

    md = ["# Warp speed against OpenCV (written by scripts/bench_warp.py)", ""]

    def snip(key, text):
        md.extend([f"<!-- ANCHOR: {key} -->", text, f"<!-- ANCHOR_END: {key} -->", ""])

    rng = lambda d, f="{:.2f}": f"{f.format(d['median'])} ({f.format(d['min'])}–{f.format(d['max'])})"
    table = ["| papernotes | peer | papernotes (ms) | peer (ms) | ratio papernotes / peer | fastest repetitions (ms) | their ratio |",
             "|---|---|---|---|---|---|---|"]
    table += [f"| {r['ours']} | {r['peer']} | {rng(r['ours_ms'])} | {rng(r['peer_ms'])} | {rng(r['ratio'])} | "
              + (f"{r['ours_best_ms']:.2f} / {r['peer_best_ms']:.2f} | {r['ratio_best']:.2f} |"
                 if r['ours_best_ms'] is not None else "– | – |")
              for r in rows]
    snip("warp_table", "\n".join(table))
    floor = ["| quantity | value |", "|---|---|",
             f"| bytes a same-size warp must move (read + write, f32) | {mb:.1f} MB |",
             f"| copy of the image into a fresh buffer (ms) | {rng(copy_ms, '{:.3f}')} |",
             f"| copy into a reused buffer (ms) | {rng(copy_reused_ms, '{:.3f}')} |",
             f"| papernotes (AVX2) / fresh copy, medians per round | {rng(floor_fresh)} |",
             f"| papernotes (AVX2) / reused copy, medians per round | {rng(floor_reused)} |",
             f"| fastest warp / fastest fresh copy, whole run | {best_warp / best_copy:.1f} |",
             f"| fastest warp / fastest reused copy, whole run | {best_warp / best_copy_reused:.1f} |",
             f"| papernotes (AVX2) into a reused buffer / reused copy, medians per round | {rng(floor_reused_buf)} |",
             f"| fastest warp into a reused buffer / fastest reused copy, whole run | "
             f"{best_warp_reused / best_copy_reused:.1f} |",
             f"| fastest OpenCV f32 warp (1 thread) / fastest fresh copy, whole run | "
             f"{cv_best['f32 1'] / best_copy:.1f} |",
             f"| fastest OpenCV 8-bit warp (1 thread) / a quarter of the fastest fresh copy "
             f"(its bytes), whole run | {cv_best['u8 1'] / (best_copy / 4):.1f} |"]
    snip("warp_floor", "\n".join(floor))
    sc = ["| source (pixels) | papernotes (ms) | OpenCV 8-bit (ms) | OpenCV f32 (ms) | ratio to OpenCV 8-bit |",
          "|---|---|---|---|---|"]
    sc += [f"| {r['width']} × {r['height']} | {rng(r['ours_ms'], '{:.3f}')} | {rng(r['opencv_u8_ms'], '{:.3f}')} | "
           f"{rng(r['opencv_f32_ms'], '{:.3f}')} | {rng(r['ratio_u8'])} |" for r in scaling]
    snip("warp_scaling_table", "\n".join(sc))
    snip("warp_agreement", f"{agree['u8']} grey level(s) against OpenCV 8-bit and {agree['f32']} against OpenCV f32")
    snip("warp_setup", f"{w} × {h} pixels, {args.rounds} rounds of {args.reps} timed repetitions each, "
                       f"median per round; on each side the repetitions alternate between a new output "
                       f"per call and one output buffer reused")
    snip("warp_machine", f"{machine['cpu']}, {machine['logical_cpus']} logical CPUs (shared; load average "
                         f"{' '.join(load_start)} at the start, {' '.join(load_end)} at the end); "
                         f"OpenCV {cv2.__version__}, NumPy {np.__version__}, Python {machine['python']}, {rustc}")
    with open(os.path.join(bdir, "warp_peer.md"), "w") as f:
        f.write("\n".join(md))
    print(json.dumps({k: record[k] for k in ["rows", "floor", "max_abs_diff_grey_levels"]}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
