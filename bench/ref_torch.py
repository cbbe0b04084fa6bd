#!/usr/bin/python3
"""ref_torch.py: the PyTorch reference of `initlab sim --act relu` (Debian's python3-torch, CPU).

Per draw, under torch.no_grad(), for a network of L linear layers of width n and a batch of B:
  1. a new nn.Sequential(Linear(n, n), ReLU(), ..., Linear(n, n)) (L Linear layers, no activation after the
     last), so every weight and bias comes from torch's own nn.Linear.reset_parameters (kaiming_uniform_ with
     a = sqrt(5) for the weight, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias);
  2. B standard-normal inputs of width n (torch.randn);
  3. forward through the Sequential's modules in order, keeping the output of every Linear (the pre-activation,
     what initlab reports), stacked into an (L, B, n) tensor;
  4. the statistics of every layer (see refcommon.py: unit means, the n x n second-moment matrix Y^T Y / B for
     n <= 64 (torch.bmm) or the mean squares, the mean, q, fourth moment, within-batch variance and off-diagonal
     mean), for all layers at once with batched tensor operations;
  5. Welford's update of flat float64 accumulators with that vector.
float32 builds the layers with dtype=torch.float32 and runs steps 2-4 in float32; accumulation stays float64.
Threads: torch.set_num_threads(--threads) for torch's own (OpenMP) pool; OpenBLAS, which torch calls for
float32/float64 matmul, has its own pool set by OPENBLAS_NUM_THREADS in this process's environment.
"""
import sys

import torch
from torch import nn

import refcommon


def simulate(n, L, B, dtype, draws, seed, cov_limit=refcommon.COV_LIMIT):
    dt = torch.float64 if dtype == "float64" else torch.float32
    torch.manual_seed(seed)
    full = n <= cov_limit
    k = refcommon.layer_len(n, cov_limit)
    mean = torch.zeros(L * k, dtype=torch.float64)
    m2 = torch.zeros(L * k, dtype=torch.float64)
    d = torch.empty(L * k, dtype=torch.float64)
    t = torch.empty(L * k, dtype=torch.float64)
    inv_nn1 = 1.0 / (n * (n - 1)) if n > 1 else float("nan")
    with torch.no_grad():
        for i in range(draws):
            # 1. a new network, torch's own initialisation
            mods = []
            for l in range(L):
                mods.append(nn.Linear(n, n, dtype=dt))
                if l < L - 1:
                    mods.append(nn.ReLU())
            net = nn.Sequential(*mods)
            # 2. inputs
            h = torch.randn(B, n, dtype=dt)
            # 3. forward, keeping every Linear's output
            ys = []
            for m in net:
                h = m(h)
                if isinstance(m, nn.Linear):
                    ys.append(h)
            Y = torch.stack(ys)
            # 4. statistics of every layer
            mvec = Y.mean(dim=1)
            Y2 = Y * Y
            if full:
                S = torch.bmm(Y.transpose(1, 2), Y).mul_(1.0 / B)
                tr = S.diagonal(dim1=1, dim2=2).sum(dim=1)
                q = tr / n
                off = (S.sum(dim=(1, 2)) - tr) * inv_nn1
                sec = S.reshape(L, n * n)
            else:
                sec = Y2.mean(dim=1)
                q = sec.mean(dim=1)
                rs = Y.sum(dim=2)
                rs2 = Y2.sum(dim=2)
                off = (rs * rs - rs2).sum(dim=1) * (inv_nn1 / B)
            m4 = Y2.square_().mean(dim=(1, 2))
            within = (Y - mvec[:, None, :]).square_().sum(dim=(1, 2)) / ((B - 1) * n) if B > 1 \
                else torch.full((L,), float("nan"), dtype=dt)
            sc = torch.stack((mvec.mean(dim=1), q, m4, within, off), dim=1)
            x = torch.cat((mvec, sec, sc), dim=1).reshape(-1).to(torch.float64)
            # 5. Welford, float64
            torch.sub(x, mean, out=d)
            mean.add_(d, alpha=1.0 / (i + 1))
            torch.sub(x, mean, out=t)
            m2.addcmul_(t, d)
    return mean.tolist(), m2.tolist(), draws


def setup_threads(threads):
    torch.set_num_threads(threads)


if __name__ == "__main__":
    sys.exit(refcommon.main("ref_torch", simulate, setup_threads))
