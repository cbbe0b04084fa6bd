#!/usr/bin/python3
"""bench.py: `make bench`: times initlab against its PyTorch and NumPy references on the same workloads, in one
run, and prints a table (also written as TSV). See bench/README.md for the method.

usage: bench.py --initlab BUILD/initlab --roofline BUILD/bench/roofline [--mpi build-mpi/initlab] [--out DIR]
                [--quick] [--workloads ...]
"""
import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
import time

import json

HERE = os.path.dirname(os.path.abspath(__file__))
PY = sys.executable

WORKLOADS = [(4, 10, 64), (64, 20, 64), (256, 50, 256), (1024, 20, 256)]
DTYPES = ["float64", "float32"]
THREADS = [1, 2]
MPI_RANKS = [2]          # with --mpi: rows of R ranks x 1 thread (mpirun), next to 1 rank x THREADS
REPS = 5
TARGET_SECS = 0.6        # aim of one timed run (the issue asks for 0.5 to 2 s)
PILOT_SECS = 0.1         # calibration runs grow until they take this long
SLOPE_FRACTION = 5       # in-process time from runs of D and D / SLOPE_FRACTION draws
CHECK_ALPHA = 1e-3       # same-workload check: family-wise error rate (Bonferroni over every comparison)

# Reference settings: (label, library threads, OPENBLAS_NUM_THREADS, processes). Cores a setting may use is
# the larger of the two pools times the processes; a row for T threads compares with settings using <= T.
TORCH_SETTINGS = [("t1/ob1", 1, 1, 1), ("t2/ob1", 2, 1, 1), ("t1/ob2", 1, 2, 1), ("t2/ob2", 2, 2, 1),
                  ("2proc:t1/ob1", 1, 1, 2)]
NUMPY_SETTINGS = [("ob1", 1, 1, 1), ("ob2", 1, 2, 1), ("2proc:ob1", 1, 1, 2)]
TARGETS = {(4, 10, 64): 200.0, (64, 20, 64): 10.0}   # torch / initlab, float64
ROOF_TARGETS = {(256, 50, 256): 1.2, (1024, 20, 256): 1.2}  # initlab / 2-core roofline


def cores(setting):
    _, lib, ob, procs = setting
    return max(lib, ob) * procs


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def widths_arg(n, L):
    return ",".join([str(n)] * (L + 1))


def wl_name(w):
    return "(%d,%d,%d)" % w


# ---- initlab -----------------------------------------------------------------------------------------------

# initlab calls OpenBLAS single-threaded (openblas_set_num_threads(1) in main), but the pthreads OpenBLAS
# starts its worker threads when the library is loaded, before main, and each spins for ~2^28 cycles before
# it sleeps: up to ~0.1 s of a second core per process. The same setting as the references' ob1 avoids it.
INITLAB_ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1")


def mpirun_cmd(ranks):
    """mpirun for `ranks` processes on this machine (oversubscribed if need be; as root where CI runs as root),
    each bound to a core."""
    cmd = ["mpirun", "--oversubscribe", "--bind-to", "core", "-np", str(ranks)]
    return cmd + (["--allow-run-as-root"] if os.getuid() == 0 else [])


class Initlab:
    """initlab runs; a configuration `rt` is (ranks, threads): ranks > 1 run the MPI build under mpirun."""
    def __init__(self, exe, outdir, mpi_exe=None):
        self.exe, self.outdir, self.mpi_exe = exe, outdir, mpi_exe
        # float32 rows only where the command has the option (sim --float32)
        h = subprocess.run([exe, "sim", "--help"], capture_output=True, text=True)
        self.f32 = "--float32" in h.stdout

    def has(self, dtype):
        return dtype == "float64" or (dtype == "float32" and self.f32)

    def configs(self):
        return [(1, T) for T in THREADS] + ([(R, 1) for R in MPI_RANKS] if self.mpi_exe else [])

    def path(self, w, rt, dtype="float64"):
        R, T = rt
        return os.path.join(self.outdir, "initlab_n%d_L%d_B%d_%sT%d%s.tsv" % (
            w + ("R%d" % R if R > 1 else "", T, "_f32" if dtype == "float32" else "")))

    def run(self, w, rt, D, seed=1, dtype="float64"):
        """Whole-process wall seconds of one `initlab sim` run (with mpirun's start and end for ranks > 1)."""
        n, L, B = w
        R, T = rt
        cmd = (mpirun_cmd(R) + [self.mpi_exe]) if R > 1 else [self.exe]
        cmd += ["sim", "--widths", widths_arg(n, L), "--act", "relu", "--draws", str(D), "--batch", str(B),
                "--threads", str(T), "--seed", str(seed), "--quiet", "--out", self.path(w, rt, dtype)]
        if dtype == "float32":
            cmd.append("--float32")
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=INITLAB_ENV)
        secs = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError("initlab failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr))
        return secs

    def startup(self, rt):
        """Seconds of a one-draw run of a width-1 network: the start and end of the processes (median of 3)."""
        return median([self.run((1, 1, 1), rt, 1) for _ in range(3)])

    def read(self, w, rt, dtype="float64"):
        """Per-layer Welford summary of the last run's output ({"count", "mean", "mean_m2", "q", "q_m2"}; the
        sums of squared deviations are recovered from the standard errors, printed with 17 digits)."""
        out = {"mean": [], "mean_se": [], "q": [], "q_se": [], "draws": []}
        with open(self.path(w, rt, dtype)) as f:
            cols = None
            for line in f:
                if line.startswith("#"):
                    continue
                parts = line.rstrip("\n").split("\t")
                if cols is None:
                    cols = {c: i for i, c in enumerate(parts)}
                    continue
                if parts[cols["point"]] != "pre":
                    continue
                for k in out:
                    out[k].append(float(parts[cols[k]]))
        c = int(out.pop("draws")[0])
        res = {"count": c}
        for key in ("mean", "q"):
            res[key] = out[key]
            res[key + "_m2"] = [se * se * c * (c - 1) if c > 1 else 0.0 for se in out[key + "_se"]]
        return res


# ---- reference workers -------------------------------------------------------------------------------------

class Workers:
    """One setting of a reference: `procs` worker processes, each with its own thread settings."""

    def __init__(self, script, setting):
        self.label, lib, ob, procs = setting
        env = dict(os.environ)
        env["OPENBLAS_NUM_THREADS"] = str(ob)
        self.procs = []
        for _ in range(procs):
            p = subprocess.Popen([PY, os.path.join(HERE, script), "--serve", "--threads", str(lib)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True, bufsize=1)
            self.procs.append(p)
        for p in self.procs:
            line = p.stdout.readline()
            if not line:
                raise RuntimeError("%s (%s) did not start" % (script, self.label))

    def run(self, w, dtype, D, seed):
        """Runs D draws in each process at once; returns (seconds, draws in all, first process's answer).
        One process: its own timing of the draws; several: wall time from the request to the last answer."""
        n, L, B = w
        t0 = time.perf_counter()
        for i, p in enumerate(self.procs):
            req = {"n": n, "L": L, "B": B, "dtype": dtype, "draws": D, "seed": seed * 16 + i}
            p.stdin.write(json.dumps(req) + "\n")
            p.stdin.flush()
        answers = []
        for p in self.procs:
            line = p.stdout.readline()
            if not line:
                raise RuntimeError("a reference worker (%s) died" % self.label)
            answers.append(json.loads(line))
        wall = time.perf_counter() - t0
        secs = answers[0]["secs"] if len(self.procs) == 1 else wall
        return secs, D * len(self.procs), answers[0]

    def close(self):
        for p in self.procs:
            p.stdin.close()
        for p in self.procs:
            p.wait()


def calibrate(run, target, d0=1):
    """Smallest sensible D for a timed run of about `target` seconds; run(D) -> seconds. The first call is a
    warm-up (lazy initialisation, page faults) and is not used."""
    run(d0)
    D = d0
    while True:
        t = run(D)
        if t >= PILOT_SECS or D >= 10 ** 8:
            break
        D = max(D * 2, int(D * 1.5 * PILOT_SECS / max(t, 1e-6)))
    return max(d0, int(round(D * target / t)))


def median(xs):
    return statistics.median(xs)


# ---- the same-workload check -----------------------------------------------------------------------------

def merge(acc, new):
    """Chan et al.'s merge of per-layer Welford summaries {"count", "mean", "mean_m2", "q", "q_m2"}."""
    if acc is None:
        return {k: (list(v) if isinstance(v, list) else v) for k, v in new.items()}
    ca, cb = acc["count"], new["count"]
    c = ca + cb
    for key in ("mean", "q"):
        for l in range(len(acc[key])):
            d = new[key][l] - acc[key][l]
            acc[key][l] += d * cb / c
            acc[key + "_m2"][l] += new[key + "_m2"][l] + d * d * ca * cb / c
    acc["count"] = c
    return acc


def betacf(a, b, x):
    """Continued fraction of the incomplete beta function (modified Lentz; Numerical Recipes 6.4)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 1000):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def betai(a, b, x):
    """Regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    bt = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return bt * betacf(a, b, x) / a
    return 1.0 - bt * betacf(b, a, 1.0 - x) / b


def t_pvalue(t, dof):
    """Two-sided p-value of Student's t with dof degrees of freedom."""
    return betai(0.5 * dof, 0.5, dof / (dof + t * t))


def welch(a, b, key, l):
    """Welch's t of a[key][l] - b[key][l] (means over independent draws), its degrees of freedom and p-value;
    None when either side has fewer than 2 draws or no spread."""
    ca, cb = a["count"], b["count"]
    if ca < 2 or cb < 2:
        return None
    va = a[key + "_m2"][l] / (ca - 1) / ca  # squared standard errors
    vb = b[key + "_m2"][l] / (cb - 1) / cb
    if not va + vb > 0:
        return None
    t = (a[key][l] - b[key][l]) / math.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va * va / (ca - 1) + vb * vb / (cb - 1))
    return t, dof, t_pvalue(t, dof)


class CpuMeter:
    """CPU time that processes other than this run used meanwhile, in cores on average: busy time from /proc/stat
    minus this process's, its waited-for children's (os.times) and its live workers' (/proc/PID/stat)."""

    HZ = os.sysconf("SC_CLK_TCK")

    def __init__(self, live=lambda: ()):
        self.live = live
        self.t0, self.busy0, self.own0 = time.perf_counter(), self._busy(), self._own()

    @classmethod
    def _busy(cls):
        try:
            with open("/proc/stat") as f:
                v = [int(x) for x in f.readline().split()[1:]]
            # user nice system idle iowait irq softirq steal ...
            return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / cls.HZ
        except (OSError, ValueError, IndexError):
            return float("nan")

    def _own(self):
        t = os.times()
        own = t.user + t.system + t.children_user + t.children_system
        for pid in self.live():
            try:
                with open("/proc/%d/stat" % pid) as f:
                    v = f.read().rsplit(")", 1)[1].split()
                own += (int(v[11]) + int(v[12])) / self.HZ  # utime, stime: fields 14 and 15
            except (OSError, ValueError, IndexError):
                pass
        return own

    def others(self):
        el = time.perf_counter() - self.t0
        return max(0.0, (self._busy() - self.busy0) - (self._own() - self.own0)) / el if el > 0 else float("nan")


# ---- the run ---------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--initlab", required=True)
    ap.add_argument("--roofline", required=True)
    ap.add_argument("--mpi", default=None, help="an initlab built with MPI=1: adds rows of 2 ranks x 1 thread")
    ap.add_argument("--out", default="out/bench")
    ap.add_argument("--quick", action="store_true", help="development: 3 repetitions of ~0.15 s")
    ap.add_argument("--workloads", default=None, help="subset, e.g. 4:10:64,64:20:64")
    ap.add_argument("--no-ref", action="store_true", help="development: initlab and roofline only")
    a = ap.parse_args()
    reps, target = (3, 0.15) if a.quick else (REPS, TARGET_SECS)
    workloads = WORKLOADS
    if a.workloads:
        workloads = [tuple(int(v) for v in s.split(":")) for s in a.workloads.split(",")]
    os.makedirs(a.out, exist_ok=True)
    t_start = time.perf_counter()
    load0 = os.getloadavg()
    raw = []  # (tool, setting, workload, dtype, D, rep, secs, ms_per_draw)
    background = []  # (phase, seconds, other processes' CPU use in cores)
    workers = []     # (ref, setting, Workers), all alive during the measurements
    live = lambda: [p.pid for _, _, wk in workers for p in wk.procs]
    meter = CpuMeter(live)

    def phase_done(name):
        nonlocal meter
        background.append((name, time.perf_counter() - meter.t0, meter.others()))
        meter = CpuMeter(live)

    # 1. roofline
    log("bench: roofline (generator ns/number, OpenBLAS GEMM/SYRK rates, 1 thread)")
    p = subprocess.run([a.roofline] + ["%d:%d:%d" % w for w in workloads], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("roofline failed: %s" % p.stderr)
    with open(os.path.join(a.out, "roofline.tsv"), "w") as f:
        f.write(p.stdout)
    roof, roof_hdr = {}, []
    cols = None
    for line in p.stdout.splitlines():
        if line.startswith("#"):
            roof_hdr.append(line)
            continue
        parts = line.split("\t")
        if cols is None:
            cols = parts
            continue
        r = dict(zip(cols, parts))
        roof[(int(r["n"]), int(r["L"]), int(r["B"]), r["dtype"])] = r
    phase_done("roofline")

    # 2. measurements, interleaved: for each workload and dtype every tool and setting is calibrated, then each
    # repetition runs all of them back to back, so a change in background load hits them alike.
    il = Initlab(a.initlab, a.out, a.mpi)
    il_ms, il_slope, il_D = {}, {}, {}
    il_acc = {}    # (w, dtype) -> the merged 1-thread runs of D draws (independent seeds), for the check
    ref_ms = {}    # (ref, setting label, w, dtype) -> ms/draw
    ref_acc = {}   # (ref, w, dtype) -> the merged timed runs of the first (1-thread) setting, for the check
    refs = [] if a.no_ref else [("torch", "ref_torch.py", TORCH_SETTINGS), ("numpy", "ref_numpy.py", NUMPY_SETTINGS)]
    try:
        log("bench: starting the reference workers")
        for ref, script, settings in refs:
            for st in settings:
                workers.append((ref, st, Workers(script, st)))
        phase_done("start")
        for w in workloads:
            for dtype in DTYPES:
                plan = []  # (tool, threads or setting, D, worker)
                if il.has(dtype):
                    for rt in il.configs():
                        # under mpirun, D is set so that the draws take the target without mpirun's own start
                        # and end (~0.3 s, timed on a tiny run)
                        t0 = il.startup(rt) if rt[0] > 1 else 0.0
                        plan.append(("initlab", rt, calibrate(
                            lambda d: max(il.run(w, rt, d, dtype=dtype) - t0, 0.1 * t0), target, d0=2), None))
                for ref, st, wk in workers:
                    plan.append((ref, st, calibrate(lambda d: wk.run(w, dtype, d, 0)[0], target), wk))
                times = {i: ([], []) for i in range(len(plan))}  # D runs, and D / SLOPE_FRACTION runs (initlab)
                for rep in range(reps):
                    for i, (tool, st, D, wk) in enumerate(plan):
                        if tool == "initlab":
                            Ds = max(1, D // SLOPE_FRACTION)
                            secs = il.run(w, st, Ds, seed=rep + 1, dtype=dtype)
                            times[i][1].append(secs)
                            raw.append(("initlab", "R%dT%d" % st, w, dtype, Ds, rep, secs, 1e3 * secs / Ds))
                            secs = il.run(w, st, D, seed=rep + 1, dtype=dtype)
                            times[i][0].append(secs / D)
                            raw.append(("initlab", "R%dT%d" % st, w, dtype, D, rep, secs, 1e3 * secs / D))
                            if st == (1, 1):
                                il_acc[(w, dtype)] = merge(il_acc.get((w, dtype)), il.read(w, st, dtype))
                        else:
                            secs, draws, ans = wk.run(w, dtype, D, rep + 1)
                            times[i][0].append(secs / draws)
                            raw.append((tool, st[0], w, dtype, draws, rep, secs, 1e3 * secs / draws))
                            if st in (TORCH_SETTINGS[0], NUMPY_SETTINGS[0]):
                                ref_acc[(tool, w, dtype)] = merge(ref_acc.get((tool, w, dtype)), ans)
                for i, (tool, st, D, _) in enumerate(plan):
                    ms = 1e3 * median(times[i][0])
                    if tool == "initlab":
                        Ds = max(1, D // SLOPE_FRACTION)
                        il_ms[(w, dtype, st)], il_D[(w, dtype, st)] = ms, D
                        il_slope[(w, dtype, st)] = (1e3 * (D * median(times[i][0]) - median(times[i][1])) / (D - Ds)
                                             if D > Ds else float("nan"))
                        log("bench: %s %s initlab R=%d T=%d: D=%d, %.4g ms/draw (in-process %.4g)"
                            % ((wl_name(w), dtype) + st + (D, ms, il_slope[(w, dtype, st)])))
                    else:
                        ref_ms[(tool, st[0], w, dtype)] = ms
                        log("bench: %s %s %s %s: D=%d, %.4g ms/draw" % (wl_name(w), dtype, tool, st[0], D, ms))
            phase_done(wl_name(w))
    finally:
        for _, _, wk in workers:
            wk.close()

    # 4. the table
    def best(ref, settings, w, dtype, T):
        c = [(ref_ms[(ref, s[0], w, dtype)], s[0]) for s in settings
             if cores(s) <= T and (ref, s[0], w, dtype) in ref_ms]
        return min(c) if c else (float("nan"), "-")

    head = ["workload", "dtype", "ranks", "threads", "initlab ms/draw", "draws/s", "torch ms/draw (setting)",
            "numpy ms/draw (setting)", "torch/initlab", "numpy/initlab", "roofline ms/draw", "initlab/roofline",
            "initlab in-process ms/draw"]
    rows, tsv = [], []
    for w in workloads:
        for dtype in DTYPES:
            for rt in il.configs():
                R, T = rt
                have = (w, dtype, rt) in il_ms
                ms = il_ms[(w, dtype, rt)] if have else float("nan")
                # references and the roofline at as many cores as the ranks' threads
                tq, tl = best("torch", TORCH_SETTINGS, w, dtype, R * T)
                nq, nl = best("numpy", NUMPY_SETTINGS, w, dtype, R * T)
                r = roof[w + (dtype,)]
                rb = float(r["bound1_ms" if R * T == 1 else "bound2_ms"])
                slope = il_slope[(w, dtype, rt)] if have else float("nan")
                rows.append([wl_name(w), dtype, str(R), str(T),
                             fmt(ms) if have else "n/a (no --float32)",
                             fmt(1e3 / ms, 4) if have else "n/a",
                             "%s (%s)" % (fmt(tq), tl), "%s (%s)" % (fmt(nq), nl),
                             fmt(tq / ms, 3) if have else "n/a", fmt(nq / ms, 3) if have else "n/a",
                             fmt(rb), fmt(ms / rb, 3) if have else "n/a",
                             fmt(slope) if have else "n/a"])
                tsv.append([wl_name(w), dtype, R, T, ms, 1e3 / ms, tq, tl, nq, nl, tq / ms, nq / ms, rb, ms / rb,
                            slope, il_D[(w, dtype, rt)] if have else "", r["t_rng_ms"], r["t_blas_ms"]])

    elapsed = time.perf_counter() - t_start
    load1 = os.getloadavg()
    meta = ("initlab bench: %s, %s, %d CPUs, python %s; median of %d runs of ~%.2g s each; load average %.2f at "
            "start, %.2f at end; %.0f s" % (platform.node(), platform.machine(), os.cpu_count(),
                                             platform.python_version(), reps, target, load0[0], load1[0],
                                             elapsed))
    print(meta)
    print("other processes' CPU use during each phase (cores, of %d): %s" % (
        os.cpu_count(), ", ".join("%s %.2f" % (b[0], b[2]) for b in background)))
    print_table(head, rows)
    print("initlab ms/draw: whole process (start, draws, output; with mpirun for ranks > 1) / D, median of %d runs; "
          "in-process: slope between runs of D and D/%d draws.\n"
          "torch, numpy: in-process, the fastest of their settings using at most `threads` cores (t = "
          "torch.set_num_threads, ob = OPENBLAS_NUM_THREADS,\n"
          "2proc = two processes doing half the draws each). roofline: the 1-core bound for threads 1, the 2-core "
          "bound for threads 2 (%s/roofline.tsv)." % (reps, SLOPE_FRACTION, a.out))

    with open(os.path.join(a.out, "bench.tsv"), "w") as f:
        f.write("# %s\n" % meta)
        f.write("# other processes' CPU use (cores): %s\n" % ", ".join("%s %.2f" % (b[0], b[2]) for b in background))
        for h in roof_hdr:
            f.write("# %s\n" % h.lstrip("# "))
        f.write("\t".join(["workload", "dtype", "ranks", "threads", "initlab_ms_per_draw", "initlab_draws_per_s",
                           "torch_ms_per_draw", "torch_setting", "numpy_ms_per_draw", "numpy_setting",
                           "ratio_torch_initlab", "ratio_numpy_initlab", "roofline_ms_per_draw",
                           "initlab_over_roofline", "initlab_inprocess_ms_per_draw", "initlab_draws_per_run",
                           "roofline_t_rng_ms", "roofline_t_blas_ms"]) + "\n")
        for r in tsv:
            f.write("\t".join(tsvfmt(v) for v in r) + "\n")
    with open(os.path.join(a.out, "raw.tsv"), "w") as f:
        f.write("# every timed run: whole process for initlab, in-process for the references\n")
        f.write("tool\tsetting\tworkload\tdtype\tdraws\trep\tsecs\tms_per_draw\n")
        for r in raw:
            f.write("\t".join(tsvfmt(v) for v in (r[0], r[1], wl_name(r[2])) + r[3:]) + "\n")

    # all reference settings, so the choice of the fastest can be seen
    if refs:
        print()
        print("reference settings, ms/draw (median):")
        head2 = ["workload", "dtype"] + ["torch " + s[0] for s in TORCH_SETTINGS] + \
                ["numpy " + s[0] for s in NUMPY_SETTINGS]
        rows2 = []
        with open(os.path.join(a.out, "settings.tsv"), "w") as f:
            f.write("\t".join(head2) + "\n")
            for w in workloads:
                for dtype in DTYPES:
                    v = [ref_ms.get(("torch", s[0], w, dtype), float("nan")) for s in TORCH_SETTINGS] + \
                        [ref_ms.get(("numpy", s[0], w, dtype), float("nan")) for s in NUMPY_SETTINGS]
                    rows2.append([wl_name(w), dtype] + [fmt(x) for x in v])
                    f.write("\t".join([wl_name(w), dtype] + [tsvfmt(x) for x in v]) + "\n")
        print_table(head2, rows2)

    # 5. the same-workload check and the targets
    status = 0
    if ref_acc:
        checks, skipped = [], 0  # (ref, w, dtype, layer, quantity, t, dof, p, draws ref, draws initlab)
        for (ref, w, dtype), acc in ref_acc.items():
            for qty in ("mean", "q"):
                for l in range(w[1]):
                    mine = il_acc.get((w, dtype), il_acc[(w, "float64")])
                    r = welch(acc, mine, qty, l)
                    if r is None:
                        skipped += 1
                    else:
                        checks.append((ref, w, dtype, l + 1, qty) + r + (acc["count"], mine["count"]))
        with open(os.path.join(a.out, "check.tsv"), "w") as f:
            f.write("# per layer: Welch's t of reference minus initlab (pooled timed runs, independent seeds), its "
                    "degrees of freedom and two-sided p-value\n")
            f.write("ref\tworkload\tdtype\tlayer\tquantity\tt\tdof\tp\tdraws_ref\tdraws_initlab\n")
            for c in checks:
                f.write("%s\t%s\t%s\t%d\t%s\t%.3f\t%.1f\t%.3g\t%d\t%d\n" % ((c[0], wl_name(c[1])) + c[2:]))
        print()
        if checks:
            worst = min(checks, key=lambda c: c[7])
            p_adj = min(1.0, worst[7] * len(checks))
            ok = p_adj >= CHECK_ALPHA
            print("same-workload check: per-layer mean and q of each reference against initlab, Welch's t on pooled "
                  "timed runs: %d comparisons%s; smallest p = %.3g (t = %.2f, %.0f dof: %s %s %s layer %d %s), "
                  "Bonferroni-adjusted %.3g; fails below %g: %s"
                  % (len(checks), " (%d skipped: under 2 draws)" % skipped if skipped else "", worst[7], worst[5],
                     worst[6], worst[0], wl_name(worst[1]), worst[2], worst[3], worst[4], p_adj, CHECK_ALPHA,
                     "ok" if ok else "FAILED"))
            if not ok:
                status = 1
    print()
    for w, goal in TARGETS.items():
        if w not in workloads or not refs:
            continue
        tq, tl = best("torch", TORCH_SETTINGS, w, "float64", max(THREADS))
        T = min(THREADS, key=lambda t: il_ms[(w, "float64", (1, t))])
        ratio = tq / il_ms[(w, "float64", (1, T))]
        print("target %s float64: torch/initlab >= %g: %.3g (torch %s ms/draw at %s; initlab %s ms/draw at %d "
              "thread%s): %s" % (wl_name(w), goal, ratio, fmt(tq), tl, fmt(il_ms[(w, "float64", (1, T))]), T, "s" if T > 1 else "",
                                 "met" if ratio >= goal else "NOT MET"))
    for w, goal in ROOF_TARGETS.items():
        if w not in workloads:
            continue
        T = min(THREADS, key=lambda t: il_ms[(w, "float64", (1, t))])
        rb = float(roof[w + ("float64",)]["bound2_ms"])
        ratio = il_ms[(w, "float64", (1, T))] / rb
        print("target %s float64: initlab / 2-core roofline <= %g: %.3g (initlab %s ms/draw at %d thread%s, bound "
              "%s ms/draw): %s" % (wl_name(w), goal, ratio, fmt(il_ms[(w, "float64", (1, T))]), T, "s" if T > 1 else "", fmt(rb),
                                   "met" if ratio <= goal else "NOT MET"))
    print("written: %s/bench.tsv, roofline.tsv, raw.tsv%s" % (a.out, ", settings.tsv, check.tsv" if refs else ""))
    return status


def fmt(x, sig=4):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if abs(x) >= 10 ** sig:
        return "%.0f" % x
    return "%.*g" % (sig, x)


def tsvfmt(v):
    if isinstance(v, float):
        return "NaN" if math.isnan(v) else "%.6g" % v
    return str(v)


def print_table(head, rows):
    wd = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    line = lambda cells: "  ".join(c.ljust(wd[i]) if i < 3 else c.rjust(wd[i]) for i, c in enumerate(cells))
    print(line(head).rstrip())
    print("  ".join("-" * x for x in wd))
    for r in rows:
        print(line(r).rstrip())


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, OSError) as e:
        print("bench: %s" % e, file=sys.stderr)
        sys.exit(1)
