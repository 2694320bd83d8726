#!/usr/bin/env python3
"""PyTorch (CPU) as a peer for two candle measurements, timed in one script run.

1. One training step of the rectifier chapter's MLP (7 layers, 64-64-64-64-64-64-64-10,
   ReLU, batch 32, f32, SGD with momentum 0.9 and lr 0.01; forward, cross-entropy,
   backward, update, and reading the loss back as a number).
2. The A-Softmax chapter's head benchmark: logits (plain softmax without bias, and
   A-Softmax m = 4 with the annealed target logit at lambda = 5) + cross-entropy +
   backward, at batch x dim x classes = 64 x 3 x 10 and 256 x 512 x 1000.

Both sides run on one thread (candle: RAYON_NUM_THREADS=1; torch: set_num_threads(1)),
with the same warm-up and repetitions as the Rust benchmarks, which this script runs as
subprocesses (`--bench-step`, `--bench-head`) right before the PyTorch timings.

Writes benches/peer_torch.json and benches/peer_torch.md (ANCHOR snippets that the
rectifier and sphereface chapters include). Not run by CI: it needs PyTorch
(`pip install torch`, a large download).

Usage: python3 benches/peer_torch.py        (from the repository root)
PEER_ROUNDS (default 3) sets the rounds; PAPERNOTES_EXAMPLES, a directory of prebuilt
release examples (e.g. target/release/examples), skips `cargo run`. Each round times
papernotes, then PyTorch, so that both see the same machine load; the tables give the median
over the rounds and the ratio's range. A third measurement times the parts of the
A-Softmax head (`cargo run --example performance -- --bench-head-parts N`): the matrix
product alone (with the GFLOP/s both sides reach), the softmax head, and A-Softmax unfused and
fused, against the same parts in PyTorch.
"""

import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


BIN_DIR = os.environ.get("PAPERNOTES_EXAMPLES")  # prebuilt release examples, else `cargo run`


def rust(example, *flags):
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    cmd = ([os.path.join(BIN_DIR, example)] if BIN_DIR else
           ["cargo", "run", "--quiet", "--release", "--example", example, "--"]) + list(flags)
    out = subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def loadavg():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def quantiles(times):
    times = sorted(times)
    q = lambda p: times[round((len(times) - 1) * p)]
    return {"median_ms": q(0.5), "p10_ms": q(0.1), "p90_ms": q(0.9)}


def torch_mlp_step(steps):
    torch.manual_seed(42)
    sizes = [64, 64, 64, 64, 64, 64, 64, 10]
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)  # buf = mu*buf + g; p -= lr*buf
    x = torch.rand(32, 64)
    y = torch.randint(0, 10, (32,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(min(10, steps)):
        step()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(1000.0 * (time.perf_counter() - t))
    out = quantiles(times)
    # The same step again, its three parts timed apart, as the Rust benchmark does.
    parts = {"forward_ms": [], "backward_ms": [], "update_ms": []}
    for _ in range(steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        loss.item()
        t3 = time.perf_counter()
        for k, (a, b) in zip(parts, [(t0, t1), (t1, t2), (t2, t3)]):
            parts[k].append(1000.0 * (b - a))
    out.update({k: statistics.median(v) for k, v in parts.items()})
    return out


def psi(c, m):
    """psi(theta) from c = cos(theta): Chebyshev T_m(c) = cos(m theta) and the piece k."""
    t_prev, t = torch.ones_like(c), c
    for _ in range(1, m):
        t_prev, t = t, 2.0 * c * t - t_prev
    k = torch.zeros_like(c)
    sign = torch.ones_like(c)
    for j in range(1, m):
        passed = (c <= math.cos(j * math.pi / m)).to(c.dtype)
        k = k + passed
        sign = sign * (1.0 - 2.0 * passed)
    return sign * t - 2.0 * k


def head_logits(f, w, y, head, lam=5.0, eps=1e-12):
    if head == "softmax":
        return f @ w.t()
    m = 4
    norm = (f.pow(2).sum(1, keepdim=True) + eps).sqrt()
    wn = w / (w.pow(2).sum(1, keepdim=True) + eps).sqrt()
    cos = ((f / norm) @ wn.t()).clamp(-1.0, 1.0)
    cos_y = cos.gather(1, y[:, None])
    target = (lam * cos_y + psi(cos_y, m)) / (1.0 + lam)
    onehot = F.one_hot(y, w.shape[0]).to(f.dtype)
    return (cos + onehot * (target - cos_y)) * norm


def torch_heads(reps):
    rows = []
    torch.manual_seed(0)
    for b, d, c in [(64, 3, 10), (256, 512, 1000)]:
        x = torch.randn(b, d, requires_grad=True)
        w = torch.randn(c, d, requires_grad=True)
        y = torch.arange(b) % c
        for head in ["softmax", "A-Softmax m=4"]:
            times = []
            for rep in range(reps + 2):
                t = time.perf_counter()
                z = head_logits(x, w, y, "softmax" if head == "softmax" else "asoftmax")
                loss = F.cross_entropy(z, y)
                loss.backward()
                _ = x.grad
                if rep >= 2:
                    times.append(1000.0 * (time.perf_counter() - t))
                x.grad = None
                w.grad = None
            rows.append(dict(head=head, batch=b, dim=d, classes=c, **quantiles(times)))
    return rows


def torch_parts(reps):
    """The parts of the A-Softmax head at 256 x 512 x 1000, as `--bench-head-parts` times them."""
    torch.manual_seed(0)
    b, d, c = 256, 512, 1000
    x = torch.randn(b, d, requires_grad=True)
    w = torch.randn(c, d, requires_grad=True)
    y = torch.arange(b) % c
    parts = {
        "matmul x Wᵀ": lambda: (x @ w.t()).sum(),
        "softmax": lambda: F.cross_entropy(x @ w.t(), y),
        "A-Softmax m=4, unfused": lambda: F.cross_entropy(head_logits(x, w, y, "asoftmax"), y),
    }
    rows = []
    for name, loss in parts.items():
        times = []
        for rep in range(reps + 2):
            t = time.perf_counter()
            loss().backward()
            _ = x.grad
            if rep >= 2:
                times.append(1000.0 * (time.perf_counter() - t))
            x.grad = None
            w.grad = None
        rows.append(dict(head=name, **quantiles(times)))
    return rows


def check_head_agreement():
    """The torch A-Softmax logits equal a direct angle computation (guards the port)."""
    torch.manual_seed(1)
    f = torch.randn(16, 5, dtype=torch.float64)
    w = torch.randn(7, 5, dtype=torch.float64)
    y = torch.arange(16) % 7
    z = head_logits(f, w, y, "asoftmax", lam=0.0)
    for i in range(16):
        j = int(y[i])
        cos = torch.dot(f[i], w[j]) / (f[i].norm() * w[j].norm())
        theta = math.acos(max(-1.0, min(1.0, float(cos))))
        k = min(int(theta * 4 / math.pi), 3)
        psi_ref = (-1) ** k * math.cos(4 * theta) - 2 * k
        assert abs(float(z[i, j]) - float(f[i].norm()) * psi_ref) < 1e-9, (i, float(z[i, j]))


def peak_gflops(n=2048, reps=5):
    """The machine's practical peak for f32 products on one thread: the best GFLOP/s of
    PyTorch's BLAS on a large square product (2 n^3 flops), whose blocking reaches the
    kernel's limit."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = math.inf
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2.0 * n ** 3 / best / 1e9


def main():
    torch.set_num_threads(1)
    check_head_agreement()
    peak = peak_gflops()
    rounds = int(os.environ.get("PEER_ROUNDS", "3"))
    load_start = loadavg()
    runs = []
    # Alternate papernotes and PyTorch, round after round, so both see the same load.
    for r in range(rounds):
        rec = {"loadavg": loadavg()}
        rec["rect_rust"] = rust("rectifier", "--bench-step")
        rec["rect_torch"] = torch_mlp_step(rec["rect_rust"]["steps"])
        rec["head_rust"] = rust("sphereface", "--bench-head")
        rec["head_torch"] = torch_heads(rec["head_rust"]["reps"])
        rec["parts_rust"] = rust("performance", "--bench-head-parts", str(rec["head_rust"]["reps"]))
        rec["parts_torch"] = torch_parts(rec["head_rust"]["reps"])
        runs.append(rec)
        print(f"round {r + 1}/{rounds}, load {rec['loadavg']}", file=sys.stderr)
    load_end = loadavg()

    def stat(values):
        v = sorted(values)
        return {"median": statistics.median(v), "min": v[0], "max": v[-1]}

    rng = lambda d, f="{:.2f}": f"{f.format(d['median'])} ({f.format(d['min'])}–{f.format(d['max'])})"
    mlp_c = stat([r["rect_rust"]["median_ms"] for r in runs])
    mlp_t = stat([r["rect_torch"]["median_ms"] for r in runs])
    mlp_ratio = stat([r["rect_rust"]["median_ms"] / r["rect_torch"]["median_ms"] for r in runs])
    mlp_parts = [
        {"part": name, "candle_ms": stat([r["rect_rust"][k] for r in runs]),
         "torch_ms": stat([r["rect_torch"][k] for r in runs]),
         "ratio_candle_over_torch": stat([r["rect_rust"][k] / r["rect_torch"][k] for r in runs])}
        for name, k in [("forward and cross-entropy", "forward_ms"), ("backward", "backward_ms"),
                        ("SGD update and reading the loss", "update_ms")]]
    result = {
        "machine": {"python": platform.python_version(), "torch": torch.__version__,
                    "torch_threads": torch.get_num_threads(), "cpu": platform.processor() or platform.machine(),
                    "date": time.strftime("%Y-%m-%d", time.gmtime()), "rounds": rounds,
                    "loadavg_start": load_start, "loadavg_end": load_end, "peak_gflops_f32": peak},
        "mlp_step": {"candle_ms": mlp_c, "torch_ms": mlp_t, "ratio_candle_over_torch": mlp_ratio,
                     "parts": mlp_parts},
        "heads": [], "parts": [], "raw": runs,
    }
    for k, r in enumerate(runs[0]["head_rust"]["rows"]):
        t = runs[0]["head_torch"][k]
        assert (r["head"], r["batch"], r["dim"], r["classes"]) == (t["head"], t["batch"], t["dim"], t["classes"])
        result["heads"].append({
            "head": r["head"], "size": f'{r["batch"]} × {r["dim"]} × {r["classes"]}',
            "candle_ms": stat([x["head_rust"]["rows"][k]["median_ms"] for x in runs]),
            "torch_ms": stat([x["head_torch"][k]["median_ms"] for x in runs]),
            "ratio_candle_over_torch": stat([x["head_rust"]["rows"][k]["median_ms"] / x["head_torch"][k]["median_ms"]
                                             for x in runs])})
    flop = 2.0 * 256 * 512 * 1000  # one product x W^T; forward + backward is three
    torch_by_name = {t["head"]: k for k, t in enumerate(runs[0]["parts_torch"])}
    for k, r in enumerate(runs[0]["parts_rust"]["rows"]):
        ours = stat([x["parts_rust"]["rows"][k]["median_ms"] for x in runs])
        # The fused head has no PyTorch counterpart: it is compared with PyTorch's unfused head.
        tk = torch_by_name.get(r["head"], torch_by_name["A-Softmax m=4, unfused"])
        peer = stat([x["parts_torch"][tk]["median_ms"] for x in runs])
        ratio = stat([x["parts_rust"]["rows"][k]["median_ms"] / x["parts_torch"][tk]["median_ms"] for x in runs])
        row = {"part": r["head"], "peer_part": runs[0]["parts_torch"][tk]["head"], "candle_ms": ours,
               "torch_ms": peer, "ratio_candle_over_torch": ratio}
        if r["head"].startswith("matmul"):
            row["gflops_candle"] = 3 * flop / ours["median"] / 1e6
            row["gflops_torch"] = 3 * flop / peer["median"] / 1e6
        result["parts"].append(row)
    with open(os.path.join(ROOT, "benches", "peer_torch.json"), "w") as fh:
        json.dump(result, fh, indent=2)
        fh.write("\n")

    m = result["mlp_step"]
    parts = "| part (256 × 512 × 1000, forward + backward) | candle (ms) | PyTorch part | PyTorch (ms) | candle / PyTorch |\n|---|---|---|---|---|\n"
    parts += "\n".join(f'| {p["part"]} | {rng(p["candle_ms"], "{:.3f}")} | {p["peer_part"]} | '
                       f'{rng(p["torch_ms"], "{:.3f}")} | {rng(p["ratio_candle_over_torch"])} |' for p in result["parts"])
    mm = result["parts"][0]
    snippets = {
        "torch_version": f'PyTorch {torch.__version__} (CPU, 1 thread)',
        "mlp_candle_ms": f'{m["candle_ms"]["median"]:.3f}',
        "mlp_torch_ms": f'{m["torch_ms"]["median"]:.3f}',
        "mlp_ratio": f'{m["ratio_candle_over_torch"]["median"]:.2f}',
        "mlp_ratio_range": f'{m["ratio_candle_over_torch"]["min"]:.2f}–{m["ratio_candle_over_torch"]["max"]:.2f}',
        "mlp_parts_table": "| part of the step | candle (ms) | PyTorch (ms) | candle / PyTorch |\n"
                           "|---|---|---|---|\n" + "\n".join(
                               f'| {p["part"]} | {rng(p["candle_ms"], "{:.3f}")} | {rng(p["torch_ms"], "{:.3f}")} | '
                               f'{rng(p["ratio_candle_over_torch"])} |' for p in m["parts"]),
        "heads_table": "| head | batch × dim × classes | candle (ms) | PyTorch (ms) | candle / PyTorch |\n"
                       "|---|---|---|---|---|\n" + "\n".join(
                           f'| {h["head"]} | {h["size"]} | {h["candle_ms"]["median"]:.3f} | {h["torch_ms"]["median"]:.3f} | '
                           f'{rng(h["ratio_candle_over_torch"])} |'
                           for h in result["heads"]),
        "parts_table": parts,
        "matmul_gflops": f'{mm["gflops_candle"]:.1f} GFLOP/s for candle and {mm["gflops_torch"]:.1f} GFLOP/s for PyTorch',
        "matmul_peak": (f"{peak:.1f} GFLOP/s (PyTorch on a 2048 × 2048 product, one thread); the head's "
                        f"products reach {100 * mm['gflops_candle'] / peak:.0f} % of it in candle and "
                        f"{100 * mm['gflops_torch'] / peak:.0f} % in PyTorch"),
        "torch_setup": f'{rounds} rounds alternating candle and PyTorch, medians per round, one thread each; '
                       f'load average {load_start} at the start and {load_end} at the end',
    }
    md = ["# PyTorch peer measurements",
          "",
          "Written by `python3 benches/peer_torch.py`; the chapters include the snippets below by anchor.",
          f'Run on {result["machine"]["date"]}, one thread on each side.']
    for k, v in snippets.items():
        md += ["", f"<!-- ANCHOR: {k} -->", v, f"<!-- ANCHOR_END: {k} -->"]
    with open(os.path.join(ROOT, "benches", "peer_torch.md"), "w") as fh:
        fh.write("\n".join(md) + "\n")
    print(json.dumps({k: result[k] for k in ["mlp_step", "heads", "parts"]}, indent=2))


if __name__ == "__main__":
    sys.exit(main())
