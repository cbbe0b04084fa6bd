"""refcommon.py: what the reference implementations (ref_numpy.py, ref_torch.py) share.

The per-draw statistics vector (the same as initlab's il_layer_draw, sim/moments.c), per layer l of width n and
for the layer's pre-activation output Y (B x n), in this order:
    mvec     n          batch mean of each unit
    sec      n*n or n   batch mean of y_i y_j (full matrix when n <= cov_limit) or of y_i^2 (diagonal)
    mbar     1          mean of mvec over units
    q        1          mean over units of the batch mean of y_i^2
    m4       1          mean over units and batch of y^4
    within   1          mean over units of the unbiased within-batch variance
    offdiag  1          mean over i != j of the batch mean of y_i y_j
Every entry is accumulated across draws with Welford's update (running mean and sum of squared deviations), in
float64, exactly what initlab accumulates; standard errors are across draws.

A reference runs either once from the command line (prints per-layer mean and q with SEs as TSV), or as a worker
for bench.py (--serve): it reads one JSON object per line on standard input,
    {"n": 64, "L": 20, "B": 64, "dtype": "float64", "draws": 100, "seed": 3}
runs it, and answers one JSON line with "secs" (elapsed), "draws", and per layer "mean", "q", their Welford
sums of squared deviations "mean_m2", "q_m2" and standard errors "mean_se", "q_se",
timing only the draws (not the interpreter's start or the import of the library).
"""
import argparse
import json
import math
import sys
import time

COV_LIMIT = 64  # initlab's default --cov-limit
N_SCALARS = 5   # mbar, q, m4, within, offdiag
IDX_MBAR, IDX_Q = 0, 1


def layer_len(n, cov_limit=COV_LIMIT):
    """Entries of one layer's statistics vector."""
    return n + (n * n if n <= cov_limit else n) + N_SCALARS


def summary(mean, m2, count, n, L, cov_limit=COV_LIMIT):
    """Per layer: the Welford mean and sum of squared deviations of the layer mean ("mean", "mean_m2") and of q
    ("q", "q_m2"), and their standard errors ("mean_se", "q_se"), from flat float64 Welford arrays."""
    k = layer_len(n, cov_limit)
    out = {"count": count}
    for key in ("mean", "q"):
        out[key], out[key + "_m2"], out[key + "_se"] = [], [], []
    for l in range(L):
        base = l * k + k - N_SCALARS
        for key, idx in (("mean", IDX_MBAR), ("q", IDX_Q)):
            v, s2 = float(mean[base + idx]), float(m2[base + idx])
            out[key].append(v)
            out[key + "_m2"].append(s2)
            out[key + "_se"].append(math.sqrt(s2 / (count - 1) / count) if count > 1 else float("nan"))
    return out


def main(name, simulate, setup_threads):
    """Command line of a reference. simulate(n, L, B, dtype, draws, seed) -> (mean, m2, count) flat Welford arrays;
    setup_threads(threads) configures the library's own thread pool (before any work)."""
    p = argparse.ArgumentParser(prog=name, description=__doc__.split("\n")[0])
    p.add_argument("--serve", action="store_true", help="worker mode: JSON requests on stdin, one per line")
    p.add_argument("--threads", type=int, default=1, help="the library's own thread pool (default 1)")
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--L", type=int, default=20)
    p.add_argument("--B", type=int, default=64)
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    p.add_argument("--draws", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if a.threads < 1:
        p.error("--threads must be >= 1")
    setup_threads(a.threads)
    if not a.serve:
        t0 = time.perf_counter()
        mean, m2, count = simulate(a.n, a.L, a.B, a.dtype, a.draws, a.seed)
        secs = time.perf_counter() - t0
        s = summary(mean, m2, count, a.n, a.L)
        print(f"# {name}: n={a.n} L={a.L} B={a.B} dtype={a.dtype} draws={a.draws} seed={a.seed} "
              f"threads={a.threads}: {1e3 * secs / a.draws:.4g} ms/draw")
        print("layer\tmean\tmean_se\tq\tq_se")
        for l in range(a.L):
            print(f"{l + 1}\t{s['mean'][l]:.10g}\t{s['mean_se'][l]:.4g}\t{s['q'][l]:.10g}\t{s['q_se'][l]:.4g}")
        return 0
    print(json.dumps({"ready": name}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        r = json.loads(line)
        t0 = time.perf_counter()
        mean, m2, count = simulate(r["n"], r["L"], r["B"], r["dtype"], r["draws"], r["seed"])
        secs = time.perf_counter() - t0
        s = summary(mean, m2, count, r["n"], r["L"])
        s.update(secs=secs, draws=count)
        print(json.dumps(s), flush=True)
    return 0
