#!/usr/bin/python3
"""efficiency.py: statistical efficiency of `initlab sim`, 1 / (SE^2 x seconds) of q per layer, for the exact
conditional estimator of linear stacks (sim --exact) against sampling with several batch sizes, and the batch
that `sim --batch auto` chooses. Higher is better: the number of (SE = 1) units of information per second.

usage: efficiency.py [--initlab build/initlab] [--threads 1] [--seconds 1.0]

Each configuration runs once per method with the draws calibrated to about --seconds; time is the whole process
(wall clock). Needs a command with --exact (and --batch auto for the auto row)."""
import argparse
import os
import subprocess
import sys
import time

CONFIGS = [  # widths, description
    ([16] * 6, "linear 16 x 5"),
    ([64] * 6, "linear 64 x 5"),
    ([4] * 11, "linear 4 x 10"),
]
BATCHES = [1, 8, 64]
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1")


def run(exe, widths, extra, draws, threads):
    cmd = [exe, "sim", "--widths", ",".join(map(str, widths)), "--act", "identity", "--draws", str(draws),
           "--threads", str(threads), "--seed", "7", "--quiet"] + extra
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
    secs = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), p.stderr))
    rows, cols, hdr = [], None, {}
    for line in p.stdout.splitlines():
        if line.startswith("# "):
            k, _, v = line[2:].partition(" = ")
            hdr[k] = v
            continue
        parts = line.split("\t")
        if cols is None:
            cols = {c: i for i, c in enumerate(parts)}
            continue
        if parts[cols["point"]] == "pre":
            rows.append((float(parts[cols["q"]]), float(parts[cols["q_se"]])))
    return secs, rows, hdr


def calibrated(exe, widths, extra, threads, seconds):
    d = 200
    while True:
        secs, rows, hdr = run(exe, widths, extra, d, threads)
        if secs >= 0.3 * seconds or d >= 10 ** 7:
            break
        d = int(d * min(20.0, 1.2 * seconds / max(secs, 1e-3)))
    d = max(2, int(d * seconds / secs))
    return (d,) + run(exe, widths, extra, d, threads)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--initlab", default="build/initlab")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=1.0)
    a = ap.parse_args()
    h = subprocess.run([a.initlab, "sim", "--help"], capture_output=True, text=True).stdout
    if "--exact" not in h:
        print("efficiency: %s has no sim --exact" % a.initlab, file=sys.stderr)
        return 2
    print("1 / (SE(q)^2 x seconds) per layer (higher is better), threads %d, load %.2f"
          % (a.threads, os.getloadavg()[0]))
    for widths, name in CONFIGS:
        methods = [("batch %d" % b, ["--batch", str(b)]) for b in BATCHES]
        if "'auto'" in h:
            # the choice (its pilot runs, about a second, are not counted: they are paid once per run)
            _, _, hdr = run(a.initlab, widths, ["--batch", "auto"], 2, a.threads)
            methods.append(("auto: batch %s" % hdr.get("batch", "?"), ["--batch", hdr.get("batch", "64")]))
        methods.append(("exact", ["--exact"]))
        res = {}
        for label, extra in methods:
            d, secs, rows, hdr = calibrated(a.initlab, widths, extra, a.threads, a.seconds)
            res[label] = [1.0 / (se * se * secs) for _, se in rows]
        print("\n%s (n0..nL = %s)" % (name, ",".join(map(str, widths))))
        labels = list(res)
        print("layer\t" + "\t".join(labels) + "\texact / best sampling")
        for l in range(len(widths) - 1):
            best = max(v[l] for k, v in res.items() if k != "exact")
            print("%d\t%s\t%.3g" % (l + 1, "\t".join("%.4g" % res[k][l] for k in labels), res["exact"][l] / best))
    return 0


if __name__ == "__main__":
    sys.exit(main())
