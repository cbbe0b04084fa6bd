#!/usr/bin/python3
"""ref_numpy.py: the NumPy reference of `initlab sim --act relu` (Debian's python3-numpy, OpenBLAS underneath).

Per draw, for a network of L linear layers of width n and a batch of B:
  1. all weights and biases at once, PyTorch's nn.Linear default: W_l, b_l ~ U(-1/sqrt(n), 1/sqrt(n)),
     drawn as one (L, n, n) and one (L, n) array from numpy's Generator (PCG64, as initlab's generator);
  2. B standard-normal inputs of width n (numpy's ziggurat, as initlab);
  3. forward: Y_l = H_{l-1} W_l^T + b_l (one BLAS GEMM per layer, into a preallocated (L, B, n) array),
     H_l = relu(Y_l) for l < L, no activation after the last layer;
  4. the statistics of every Y_l (see refcommon.py: unit means, the n x n second-moment matrix Y^T Y / B for
     n <= 64 or the mean squares, the mean, q, fourth moment, within-batch variance and off-diagonal mean), for
     all layers at once with batched (L, ...) array operations;
  5. Welford's update of the flat float64 accumulators with that vector.
float32 runs steps 1-4 in float32 and accumulates in float64. Threads: OpenBLAS's, set by OPENBLAS_NUM_THREADS in
this process's environment (numpy has no pool of its own); --threads is accepted and ignored.
"""
import sys

import numpy as np

import refcommon


def simulate(n, L, B, dtype, draws, seed, cov_limit=refcommon.COV_LIMIT):
    dt = np.float64 if dtype == "float64" else np.float32
    rng = np.random.default_rng(seed)
    full = n <= cov_limit
    bound = 1.0 / np.sqrt(n)
    k = refcommon.layer_len(n, cov_limit)
    Y = np.empty((L, B, n), dt)
    H = np.empty((B, n), dt)
    stats = np.empty((L, k), dt)
    nsec = n * n if full else n
    s_m, s_sec, s_sc = stats[:, :n], stats[:, n:n + nsec], stats[:, n + nsec:]
    mean = np.zeros(L * k)
    m2 = np.zeros(L * k)
    d = np.empty(L * k)
    t = np.empty(L * k)
    inv_nn1 = 1.0 / (n * (n - 1)) if n > 1 else float("nan")
    for i in range(draws):
        # 1. weights and biases
        if dt is np.float64:
            W = rng.uniform(-bound, bound, (L, n, n))
            b = rng.uniform(-bound, bound, (L, n))
        else:
            W = rng.random((L, n, n), dtype=dt)
            W *= dt(2 * bound)
            W -= dt(bound)
            b = rng.random((L, n), dtype=dt)
            b *= dt(2 * bound)
            b -= dt(bound)
        # 2. inputs
        h = rng.standard_normal((B, n), dtype=dt)
        # 3. forward
        for l in range(L):
            np.matmul(h, W[l].T, out=Y[l])
            Y[l] += b[l]
            if l < L - 1:
                np.maximum(Y[l], 0, out=H)
                h = H
        # 4. statistics of every layer
        np.mean(Y, axis=1, out=s_m)
        Y2 = Y * Y
        if full:
            S = np.matmul(Y.transpose(0, 2, 1), Y)
            S *= dt(1.0 / B)
            s_sec[:] = S.reshape(L, n * n)
            tr = np.trace(S, axis1=1, axis2=2)
            q = tr / n
            off = (S.sum(axis=(1, 2)) - tr) * inv_nn1
        else:
            np.mean(Y2, axis=1, out=s_sec)
            q = s_sec.mean(axis=1)
            rs = Y.sum(axis=2)
            rs2 = Y2.sum(axis=2)
            off = (rs * rs - rs2).sum(axis=1) * (inv_nn1 / B)
        s_sc[:, 0] = s_m.mean(axis=1)
        s_sc[:, 1] = q
        Y2 *= Y2
        s_sc[:, 2] = Y2.mean(axis=(1, 2))
        dev = Y - s_m[:, None, :]
        dev *= dev
        s_sc[:, 3] = dev.sum(axis=(1, 2)) / ((B - 1) * n) if B > 1 else np.nan
        s_sc[:, 4] = off
        # 5. Welford, float64
        x = stats.reshape(-1)
        np.subtract(x, mean, out=d)
        mean += d / (i + 1)
        np.subtract(x, mean, out=t)
        t *= d
        m2 += t
    return mean, m2, draws


if __name__ == "__main__":
    sys.exit(refcommon.main("ref_numpy", simulate, lambda threads: None))
