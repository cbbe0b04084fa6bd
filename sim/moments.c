/* moments.c: per-draw statistics, Welford accumulation across draws, summaries and writers. */
#include "moments.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t il_layer_draw_doubles(size_t n, int full)
{
    return n + (full ? n * n : n);
}

size_t il_layer_draw_upper_doubles(size_t n)
{
    return n + n * (n + 1) / 2;
}

size_t il_layer_draw_scratch_doubles(size_t n)
{
    return n * n + (n > 0 ? n * (n - 1) / 2 : 0) + 1;
}

/* ---- per-draw statistics ------------------------------------------------------------------------------
 * The values are pinned to one definition, the order of every rounding included (the engine's outputs are
 * bit-identical across versions and thread counts): with sums taken from 0.0 in the order written,
 *   mvec[i] = (sum over b of y[b][i]) * (1/B)            sec (diagonal)[i] = (sum over b of y[b][i]^2) * (1/B)
 *   rs_b = sum over i of y[b][i],  rs2_b = sum over i of y[b][i]^2   (row sums)
 *   off = sum over b of (rs_b rs_b - rs2_b)              m4 = sum over b, then i, of (y^2)^2
 *   mb_b = rs2_b / n,  mp[k] = sum over b of mb_b^(k+1) (as mb, mb2, mb2 mb, mb2 mb2 with mb2 = mb mb)
 *   within = sum over b, then i, of (y[b][i] - mvec[i])^2
 *   full matrix: sec[i][j] = (sum over b of y[b][i] y[b][j]) * (1/B) for n <= IL_SMALL_SYRK, else dsyrk's;
 *   q = (sum over i of sec[i][i]) / n;  offsum = sum over i < j (row by row) of 2 sec[i][j].
 * The code below computes exactly these, but not in the textbook loop order: independent sums run side by
 * side (several rows at once, the whole-batch chains of m4 and within together) so that the adds of one
 * long chain do not wait on each other's latency, and the small matrix is an outer-product update in
 * vector lanes (each entry still summed over b in order). tests/test_moments.c compares every field,
 * bit for bit, with the textbook loops at many shapes. */

/* Widths up to this use plain loops for the second-moment matrix; above, dsyrk. */
#define IL_SMALL_SYRK 16

typedef double il_v4m __attribute__((vector_size(32)));
typedef double il_v4mu __attribute__((vector_size(32), aligned(8), may_alias));

/* S (n x n, full) = sum over b of y[b]^T y[b], each entry summed over b in order from 0.0; n <= NP <= 16,
 * NP a multiple of 4 known at compile time (so that for NP <= 8 the sums stay in registers). Entry (i, j) is
 * y[b][i] * y[b][j]: the product is commutative, so the lower triangle equals the upper. Columns past n
 * are sums of zeros and are not stored. */
static inline __attribute__((always_inline)) void outer_np(const double *y, size_t B, size_t n, double *S,
                                                           const size_t NP)
{
    il_v4m acc[IL_SMALL_SYRK][IL_SMALL_SYRK / 4];
#pragma GCC unroll 16
    for (size_t i = 0; i < NP; i++)
#pragma GCC unroll 4
        for (size_t c = 0; c < NP / 4; c++)
            acc[i][c] = (il_v4m){0.0, 0.0, 0.0, 0.0};
    for (size_t b = 0; b < B; b++) {
        const double *yb = y + b * n;
        il_v4m rv[IL_SMALL_SYRK / 4] = {{0.0, 0.0, 0.0, 0.0}};
#pragma GCC unroll 4
        for (size_t c = 0; c < NP / 4; c++) {
            size_t j = 4 * c;
            /* built from scalars (a wide load of narrower stores would stall); zeros past n */
            rv[c] = (il_v4m){j < n ? yb[j] : 0.0, j + 1 < n ? yb[j + 1] : 0.0, j + 2 < n ? yb[j + 2] : 0.0,
                             j + 3 < n ? yb[j + 3] : 0.0};
        }
#pragma GCC unroll 16
        for (size_t i = 0; i < NP; i++) {
            if (i >= n)
                break;
            il_v4m yi = {yb[i], yb[i], yb[i], yb[i]};
#pragma GCC unroll 4
            for (size_t c = 0; c < NP / 4; c++)
                acc[i][c] = acc[i][c] + yi * rv[c];
        }
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            S[i * n + j] = acc[i][j / 4][j % 4];
}

__attribute__((target_clones("avx2", "default"))) static void small_outer(const double *y, size_t B, size_t n,
                                                                          double *S)
{
    if (n <= 4)
        outer_np(y, B, n, S, 4);
    else if (n <= 8)
        outer_np(y, B, n, S, 8);
    else if (n <= 12)
        outer_np(y, B, n, S, 12);
    else
        outer_np(y, B, n, S, 16);
}

/* Pass over the rows: mvec (and the diagonal of sec) summed over b in order, the row sums rs_b, rs2_b, and
 * from them off and mp, in row order. Four rows at a time, so that the row sums (chains along i) of four
 * rows overlap. mvec and dsec (or NULL) hold the sums over b on return (not yet divided by B). */
__attribute__((target_clones("avx2", "default"))) static void rows_pass(const double *y, size_t B, size_t n,
                                                                        double *mvec, double *dsec, double *off,
                                                                        double *mp)
{
    const double dn = (double)n;
    double o = 0.0, p0 = 0.0, p1 = 0.0, p2 = 0.0, p3 = 0.0;
    for (size_t i = 0; i < n; i++)
        mvec[i] = 0.0;
    if (dsec)
        for (size_t i = 0; i < n; i++)
            dsec[i] = 0.0;
    size_t b = 0;
    double rs[4] = {0.0, 0.0, 0.0, 0.0}, rs2[4] = {0.0, 0.0, 0.0, 0.0};
    for (; b < B; b += 4) {
        size_t m = B - b < 4 ? B - b : 4;
        if (m == 4) {
            const double *y0 = y + b * n, *y1 = y0 + n, *y2 = y1 + n, *y3 = y2 + n;
            /* four columns of four rows at a time: mvec and the diagonal in column lanes, the row sums in row
             * lanes (the block transposed), each sum still taken element by element in its own order */
            il_v4m sv = {0.0, 0.0, 0.0, 0.0}, tv = sv;
            size_t i = 0;
            for (; i + 4 <= n; i += 4) {
                il_v4m r0 = *(const il_v4mu *)(y0 + i), r1 = *(const il_v4mu *)(y1 + i);
                il_v4m r2 = *(const il_v4mu *)(y2 + i), r3 = *(const il_v4mu *)(y3 + i);
                il_v4m mv = *(il_v4mu *)(mvec + i);
                *(il_v4mu *)(mvec + i) = (((mv + r0) + r1) + r2) + r3;
                if (dsec) {
                    il_v4m dv = *(il_v4mu *)(dsec + i);
                    *(il_v4mu *)(dsec + i) = (((dv + r0 * r0) + r1 * r1) + r2 * r2) + r3 * r3;
                }
                il_v4m t0 = __builtin_shufflevector(r0, r1, 0, 4, 2, 6), t1 = __builtin_shufflevector(r0, r1, 1, 5, 3, 7);
                il_v4m t2 = __builtin_shufflevector(r2, r3, 0, 4, 2, 6), t3 = __builtin_shufflevector(r2, r3, 1, 5, 3, 7);
                il_v4m c0 = __builtin_shufflevector(t0, t2, 0, 1, 4, 5), c1 = __builtin_shufflevector(t1, t3, 0, 1, 4, 5);
                il_v4m c2 = __builtin_shufflevector(t0, t2, 2, 3, 6, 7), c3 = __builtin_shufflevector(t1, t3, 2, 3, 6, 7);
                sv = (((sv + c0) + c1) + c2) + c3;
                tv = (((tv + c0 * c0) + c1 * c1) + c2 * c2) + c3 * c3;
            }
            double s0 = sv[0], s1 = sv[1], s2 = sv[2], s3 = sv[3];
            double t0 = tv[0], t1 = tv[1], t2 = tv[2], t3 = tv[3];
            for (; i < n; i++) {
                double v0 = y0[i], v1 = y1[i], v2 = y2[i], v3 = y3[i];
                double q0 = v0 * v0, q1 = v1 * v1, q2 = v2 * v2, q3 = v3 * v3;
                mvec[i] = (((mvec[i] + v0) + v1) + v2) + v3;
                s0 += v0;
                s1 += v1;
                s2 += v2;
                s3 += v3;
                t0 += q0;
                t1 += q1;
                t2 += q2;
                t3 += q3;
                if (dsec)
                    dsec[i] = (((dsec[i] + q0) + q1) + q2) + q3;
            }
            rs[0] = s0, rs[1] = s1, rs[2] = s2, rs[3] = s3;
            rs2[0] = t0, rs2[1] = t1, rs2[2] = t2, rs2[3] = t3;
        } else {
            for (size_t k = 0; k < m; k++) {
                const double *yr = y + (b + k) * n;
                double s = 0.0, t = 0.0;
                for (size_t i = 0; i < n; i++) {
                    double v = yr[i], q = v * v;
                    mvec[i] += v;
                    s += v;
                    t += q;
                    if (dsec)
                        dsec[i] += q;
                }
                rs[k] = s;
                rs2[k] = t;
            }
        }
        /* mb = rs2 / n for the four rows in one vector division; the sums over rows then in row order */
        il_v4m vs2 = {rs2[0], rs2[1], rs2[2], rs2[3]}, vn = {dn, dn, dn, dn};
        il_v4m vmb = vs2 / vn, vmb2 = vmb * vmb, vmb3 = vmb2 * vmb, vmb4 = vmb2 * vmb2;
        for (size_t k = 0; k < m; k++) {
            o += rs[k] * rs[k] - rs2[k];
            p0 += vmb[k];
            p1 += vmb2[k];
            p2 += vmb3[k];
            p3 += vmb4[k];
        }
    }
    *off = o;
    mp[0] = p0, mp[1] = p1, mp[2] = p2, mp[3] = p3;
}

/* The whole-batch chains of one or two layers, side by side: for each, m4 and the within-batch sum of squares
 * about mvec (summed over b, then i), and the off-diagonal sum of the strict upper triangle `up` (np entries,
 * row by row), if any. Four to six independent chains, each summed in its own order. */
typedef struct {
    const double *y, *mvec, *up;
    size_t len, n, np;
    double m4, w, offsum; /* in: offsum's starting value */
} chain_job;

/* Two layers of the same shape (the common case): the chains in two phases, the off-diagonal sums in the
 * first only, with one column index for both. */
static void chains_run_same(chain_job *A, chain_job *Bj)
{
    double a0 = 0.0, c0 = 0.0, e0 = A->offsum, a1 = 0.0, c1 = 0.0, e1 = Bj->offsum;
    const double *ya = A->y, *ma = A->mvec, *ua = A->up, *yb = Bj->y, *mb = Bj->mvec, *ub = Bj->up;
    const size_t len = A->len, n = A->n, np = A->np < len ? A->np : len;
    size_t t = 0, i = 0;
    for (; t < np; t++) {
        double v = ya[t], v2 = v * v, d = v - ma[i];
        double u = yb[t], u2 = u * u, f = u - mb[i];
        a0 += v2 * v2;
        c0 += d * d;
        a1 += u2 * u2;
        c1 += f * f;
        e0 += 2.0 * ua[t];
        e1 += 2.0 * ub[t];
        if (++i == n)
            i = 0;
    }
    /* the rest of the current row, then whole rows */
    for (; i != 0 && t < len; t++) {
        double v = ya[t], v2 = v * v, d = v - ma[i];
        double u = yb[t], u2 = u * u, f = u - mb[i];
        a0 += v2 * v2;
        c0 += d * d;
        a1 += u2 * u2;
        c1 += f * f;
        if (++i == n)
            i = 0;
    }
    for (; t < len; t += n)
        for (size_t j = 0; j < n; j++) {
            double v = ya[t + j], v2 = v * v, d = v - ma[j];
            double u = yb[t + j], u2 = u * u, f = u - mb[j];
            a0 += v2 * v2;
            c0 += d * d;
            a1 += u2 * u2;
            c1 += f * f;
        }
    for (t = np; t < A->np; t++) {
        e0 += 2.0 * ua[t];
        e1 += 2.0 * ub[t];
    }
    A->m4 = a0, A->w = c0, A->offsum = e0;
    Bj->m4 = a1, Bj->w = c1, Bj->offsum = e1;
}

static void chains_run(chain_job *A, chain_job *Bj)
{
    if (Bj && Bj->n == A->n && Bj->len == A->len && Bj->np == A->np) {
        chains_run_same(A, Bj);
        return;
    }
    double a0 = 0.0, c0 = 0.0, e0 = A->offsum, a1 = 0.0, c1 = 0.0, e1 = Bj ? Bj->offsum : 0.0;
    const double *ya = A->y, *ma = A->mvec, *ua = A->up;
    size_t la = A->len, na = A->n, npa = A->np, t = 0, ia = 0, pa = 0;
    if (Bj) {
        const double *yb = Bj->y, *mb = Bj->mvec, *ub = Bj->up;
        size_t lb = Bj->len, nb = Bj->n, npb = Bj->np, ib = 0, pb = 0;
        size_t common = la < lb ? la : lb;
        for (; t < common; t++) {
            double v = ya[t], v2 = v * v, d = v - ma[ia];
            double u = yb[t], u2 = u * u, f = u - mb[ib];
            a0 += v2 * v2;
            c0 += d * d;
            a1 += u2 * u2;
            c1 += f * f;
            if (++ia == na)
                ia = 0;
            if (++ib == nb)
                ib = 0;
            if (pa < npa)
                e0 += 2.0 * ua[pa++];
            if (pb < npb)
                e1 += 2.0 * ub[pb++];
        }
        for (size_t tb = t; tb < lb; tb++) {
            double u = yb[tb], u2 = u * u, f = u - mb[ib];
            a1 += u2 * u2;
            c1 += f * f;
            if (++ib == nb)
                ib = 0;
            if (pb < npb)
                e1 += 2.0 * ub[pb++];
        }
        for (; pb < npb; pb++)
            e1 += 2.0 * ub[pb];
        Bj->m4 = a1;
        Bj->w = c1;
        Bj->offsum = e1;
    }
    for (; t < la; t++) {
        double v = ya[t], v2 = v * v, d = v - ma[ia];
        a0 += v2 * v2;
        c0 += d * d;
        if (++ia == na)
            ia = 0;
        if (pa < npa)
            e0 += 2.0 * ua[pa++];
    }
    for (; pa < npa; pa++)
        e0 += 2.0 * ua[pa];
    A->m4 = a0;
    A->w = c0;
    A->offsum = e0;
}

/* The statistics of one draw, in two steps: draw_start does everything but the whole-batch chains and
 * leaves them in *job (reading y and, for a packed matrix, the strict upper triangle in scratch, both of
 * which must stay unchanged until draw_finish); draw_finish runs the chains, of one layer or two side by
 * side, and completes the records. With scratch == NULL the second-moment matrix is written as the full
 * n x n matrix into d->sec (full) or its diagonal (!full); with scratch (full only) as its packed upper
 * triangle (row by row, j >= i: n (n + 1) / 2 entries), scratch holding il_layer_draw_scratch_doubles(n). */
static void draw_start(il_layer_pending *job, il_layer_draw *d, const double *y, size_t B, size_t n, int full,
                       double *scratch)
{
    const double inv_b = 1.0 / (double)B;
    double off, mp[4], offsum = 0.0;
    const double *strict = NULL;
    size_t nstrict = 0;
    rows_pass(y, B, n, d->mvec, full ? NULL : d->sec, &off, mp);
    for (int k = 0; k < 4; k++)
        d->mpow[k] = mp[k] * inv_b;
    d->mpair = B > 1 ? (mp[0] * mp[0] - mp[1]) / ((double)B * (double)(B - 1)) : NAN;
    for (size_t i = 0; i < n; i++)
        d->mvec[i] *= inv_b;
    double q = 0.0;
    if (!full) {
        for (size_t i = 0; i < n; i++) {
            d->sec[i] *= inv_b;
            q += d->sec[i];
        }
    } else {
        /* S: the n x n matrix (upper triangle at least), in the output or in scratch */
        double *S = scratch ? scratch : d->sec;
        if (n <= IL_SMALL_SYRK) {
            small_outer(y, B, n, S);
            for (size_t t = 0; t < n * n; t++)
                S[t] *= inv_b;
        } else {
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)n, (int)B, inv_b, y, (int)n, 0.0, S, (int)n);
        }
        for (size_t i = 0; i < n; i++)
            q += S[i * n + i];
        if (scratch) {
            /* packed output; the strict upper triangle gathered after S for the chain of offsum */
            double *st = scratch + n * n;
            size_t p = 0;
            for (size_t i = 0; i < n; i++) {
                memcpy(d->sec + p, S + i * n + i, (n - i) * sizeof *S);
                memcpy(st + nstrict, S + i * n + i + 1, (n - i - 1) * sizeof *S);
                p += n - i;
                nstrict += n - i - 1;
            }
            strict = st;
        } else {
            for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++) {
                    S[j * n + i] = S[i * n + j];
                    offsum += 2.0 * S[i * n + j];
                }
        }
    }
    job->d = d;
    job->y = y;
    job->B = B;
    job->n = n;
    job->full = full;
    job->strict = strict;
    job->nstrict = nstrict;
    job->offsum = offsum;
    job->off = off;
    job->q = q;
}

static void finish_one(const il_layer_pending *job, const chain_job *c)
{
    il_layer_draw *d = job->d;
    const size_t B = job->B, n = job->n;
    const double inv_b = 1.0 / (double)B, dn = (double)n;
    if (job->full)
        d->offdiag = n > 1 ? c->offsum / (dn * (double)(n - 1)) : NAN;
    else
        d->offdiag = n > 1 ? job->off * inv_b / (dn * (double)(n - 1)) : NAN;
    d->q = job->q / dn;
    d->m4 = c->m4 * inv_b / dn;
    double mb = 0.0;
    for (size_t i = 0; i < n; i++)
        mb += d->mvec[i];
    d->mbar = mb / dn;
    d->within = B > 1 ? c->w / ((double)(B - 1) * dn) : NAN;
}

static void to_chain(const il_layer_pending *job, chain_job *c)
{
    c->y = job->y;
    c->mvec = job->d->mvec;
    c->up = job->strict;
    c->len = job->B * job->n;
    c->n = job->n;
    c->np = job->nstrict;
    c->offsum = job->offsum;
}

void il_layer_draw_start(il_layer_pending *job, il_layer_draw *d, const double *y, size_t B, size_t n, int full,
                         double *scratch)
{
    draw_start(job, d, y, B, n, full, full ? scratch : NULL);
}

void il_layer_draw_finish(il_layer_pending *a, il_layer_pending *b)
{
    chain_job ca, cb;
    to_chain(a, &ca);
    if (b)
        to_chain(b, &cb);
    chains_run(&ca, b ? &cb : NULL);
    finish_one(a, &ca);
    if (b)
        finish_one(b, &cb);
}

void il_layer_draw_compute(il_layer_draw *d, const double *y, size_t B, size_t n, int full)
{
    il_layer_pending job;
    draw_start(&job, d, y, B, n, full, NULL);
    il_layer_draw_finish(&job, NULL);
}

void il_layer_draw_compute_upper(il_layer_draw *d, const double *y, size_t B, size_t n, double *scratch)
{
    il_layer_pending job;
    draw_start(&job, d, y, B, n, 1, scratch);
    il_layer_draw_finish(&job, NULL);
}

size_t il_layer_acc_bytes(size_t n, int full)
{
    return (n + (full ? n * n : n)) * sizeof(il_wacc);
}

il_status il_layer_acc_init(il_layer_acc *a, size_t n, int full, size_t batch)
{
    memset(a, 0, sizeof *a);
    a->width = n;
    a->full = full;
    a->batch = batch;
    a->fl.bsize = 1;
    a->mvec = calloc(n, sizeof *a->mvec);
    a->sec = calloc(full ? n * n : n, sizeof *a->sec);
    if (!a->mvec || !a->sec) {
        il_layer_acc_release(a);
        return IL_ENOMEM;
    }
    return IL_OK;
}

void il_layer_acc_release(il_layer_acc *a)
{
    if (!a)
        return;
    free(a->mvec);
    free(a->sec);
    a->mvec = a->sec = NULL;
}

static inline void wpush(il_wacc *w, double x, double k)
{
    double d = x - w->mean;
    w->mean += d / k;
    w->m2 += d * (x - w->mean);
}

/* wpush on n accumulators at once (independent: vector lanes give the same roundings, divisions included). */
__attribute__((target_clones("avx512f", "avx2", "default"))) static void wpush_n(il_wacc *w, const double *x, size_t n, double k)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - w[i].mean, m = w[i].mean + d / k;
        w[i].mean = m;
        w[i].m2 = w[i].m2 + d * (x[i] - m);
    }
}

/* The fluctuation statistics: multivariate Welford, then the batch-means store. */
static void fluct_push(il_fluct_acc *f, const il_layer_draw *d)
{
    enum { S = IL_FLUCT_NSTAT, G = IL_FLUCT_MAX_BATCHES };
    const double x[IL_FLUCT_NSTAT] = {d->mpow[0], d->mpow[1], d->mpow[2], d->mpow[3], d->mpair};
    double k = (double)(++f->count), dev[IL_FLUCT_NSTAT];
    for (int i = 0; i < S; i++) {
        dev[i] = x[i] - f->mean[i];
        f->mean[i] += dev[i] / k;
    }
    for (int i = 0; i < S; i++)
        for (int j = i; j < S; j++)
            f->cm[i * S + j] += dev[i] * (x[j] - f->mean[j]);
    double c = (double)(++f->cur_n);
    for (int i = 0; i < S; i++)
        f->cur[i] += (x[i] - f->cur[i]) / c;
    if (f->cur_n < f->bsize)
        return;
    memcpy(&f->batch[f->nbatch * S], f->cur, sizeof f->cur);
    memset(f->cur, 0, sizeof f->cur);
    f->cur_n = 0;
    if (++f->nbatch < G)
        return;
    for (int g = 0; g < G / 2; g++)
        for (int i = 0; i < S; i++)
            f->batch[g * S + i] = 0.5 * (f->batch[2 * g * S + i] + f->batch[(2 * g + 1) * S + i]);
    memset(&f->batch[(G / 2) * S], 0, (size_t)(G / 2) * S * sizeof f->batch[0]);
    f->nbatch = G / 2;
    f->bsize *= 2;
}

int il_layer_acc_fluct_valid(const il_layer_acc *a)
{
    return a->fl.count == a->count;
}

/* The accumulators other than the second-moment matrix. */
static void push_rest(il_layer_acc *a, const il_layer_draw *d, double k)
{
    wpush(&a->mbar, d->mbar, k);
    wpush(&a->q, d->q, k);
    wpush(&a->m4, d->m4, k);
    wpush(&a->within, d->within, k);
    wpush(&a->offdiag, d->offdiag, k);
    fluct_push(&a->fl, d);
}

void il_layer_acc_push_upper(il_layer_acc *a, const il_layer_draw *d)
{
    double k = (double)(++a->count);
    size_t n = a->width;
    wpush_n(a->mvec, d->mvec, n, k);
    for (size_t i = 0, p = 0; i < n; p += n - i, i++)
        wpush_n(&a->sec[i * n + i], &d->sec[p], n - i, k);
    push_rest(a, d, k);
}

void il_layer_acc_mirror(il_layer_acc *a)
{
    size_t n = a->width;
    if (!a->full)
        return;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            a->sec[j * n + i] = a->sec[i * n + j];
}

void il_layer_acc_push(il_layer_acc *a, const il_layer_draw *d)
{
    double k = (double)(++a->count);
    size_t n = a->width, ns = a->full ? n * n : n;
    wpush_n(a->mvec, d->mvec, n, k);
    wpush_n(a->sec, d->sec, ns, k);
    push_rest(a, d, k);
}

/* Standard error of a Welford mean over D draws; NaN for D < 2. */
static double wse(const il_wacc *w, size_t D)
{
    return D > 1 ? sqrt(w->m2 / (double)(D - 1) / (double)D) : NAN;
}

static double wvar(const il_wacc *w, size_t D)
{
    return D > 1 ? w->m2 / (double)(D - 1) : NAN;
}

void il_layer_acc_summary(const il_layer_acc *a, il_layer_summary *s)
{
    size_t n = a->width, D = a->count;
    s->width = n;
    s->draws = D;
    s->mean = a->mbar.mean;
    s->mean_se = wse(&a->mbar, D);
    s->q = a->q.mean;
    s->q_se = wse(&a->q, D);
    s->q_sd = D > 1 ? sqrt(wvar(&a->q, D)) : NAN;
    double msq = 0.0, msum = 0.0, mvar = 0.0;
    for (size_t i = 0; i < n; i++) {
        double m = a->mvec[i].mean;
        msq += m * m;
        msum += m;
        mvar += wvar(&a->mvec[i], D);
    }
    s->var = s->q - msq / (double)n;
    s->var_within = a->within.mean;
    s->var_between = mvar / (double)n - s->var_within / (double)a->batch;
    if (a->batch < 2) {
        s->var_within = NAN;
        s->var_between = NAN;
    }
    s->offdiag = n > 1 ? a->offdiag.mean - (msum * msum - msq) / ((double)n * (double)(n - 1)) : NAN;
    s->offdiag_se = n > 1 ? wse(&a->offdiag, D) : NAN;
    s->m4 = a->m4.mean;
    s->m4_se = wse(&a->m4, D);
}

void il_layer_acc_unit_mean(const il_layer_acc *a, size_t i, double *m, double *se)
{
    *m = a->mvec[i].mean;
    *se = wse(&a->mvec[i], a->count);
}

il_status il_layer_acc_cov(const il_layer_acc *a, size_t i, size_t j, double *c, double *se)
{
    size_t n = a->width;
    if (i >= n || j >= n || (!a->full && i != j))
        return IL_EINVAL;
    const il_wacc *w = a->full ? &a->sec[i * n + j] : &a->sec[i];
    *c = w->mean - a->mvec[i].mean * a->mvec[j].mean;
    *se = wse(w, a->count);
    return IL_OK;
}

static void put_num(FILE *f, double v)
{
    if (isnan(v))
        fputs("NaN", f);
    else if (isinf(v))
        fputs(v > 0 ? "Inf" : "-Inf", f);
    else
        fprintf(f, "%.17g", v);
}

void il_write_header(FILE *f, const char *command, const il_param *params, size_t n_params)
{
    fprintf(f, "# initlab %s %s\n", IL_VERSION, command);
    for (size_t i = 0; i < n_params; i++)
        fprintf(f, "# %s = %s\n", params[i].key, params[i].value);
}

static const char *const tsv_cols[] = {"layer", "point", "width", "draws", "mean", "mean_se", "q", "q_se", "q_sd",
                                       "var", "var_within", "var_between", "offdiag_mean", "offdiag_se", "m4",
                                       "m4_se"};
#define N_TSV_COLS (sizeof tsv_cols / sizeof tsv_cols[0])

static void summary_values(const il_layer_summary *s, double *v)
{
    double vals[] = {s->mean, s->mean_se, s->q, s->q_se, s->q_sd, s->var, s->var_within, s->var_between,
                     s->offdiag, s->offdiag_se, s->m4, s->m4_se};
    memcpy(v, vals, sizeof vals);
}

il_status il_moments_write_tsv(FILE *f, const char *command, const il_param *params, size_t n_params,
                               const il_layer_acc *pre, const il_layer_acc *post, size_t layers)
{
    il_write_header(f, command, params, n_params);
    for (size_t c = 0; c < N_TSV_COLS; c++)
        fprintf(f, "%s%s", tsv_cols[c], c + 1 < N_TSV_COLS ? "\t" : "\n");
    for (int pt = 0; pt < 2; pt++) {
        const il_layer_acc *acc = pt ? post : pre;
        if (!acc)
            continue;
        for (size_t l = 0; l < layers; l++) {
            il_layer_summary s;
            double v[N_TSV_COLS - 4];
            il_layer_acc_summary(&acc[l], &s);
            summary_values(&s, v);
            fprintf(f, "%zu\t%s\t%zu\t%zu", l + 1, pt ? "post" : "pre", s.width, s.draws);
            for (size_t c = 0; c < N_TSV_COLS - 4; c++) {
                fputc('\t', f);
                put_num(f, v[c]);
            }
            fputc('\n', f);
        }
    }
    return ferror(f) ? IL_EIO : IL_OK;
}

json_t *il_json_number(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *il_params_to_json(const il_param *params, size_t n_params)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (size_t i = 0; i < n_params; i++) {
        json_t *v = NULL;
        if (params[i].numeric) {
            const char *t = params[i].value;
            int integral = *t != '\0' && strspn(t + (*t == '-'), "0123456789") == strlen(t + (*t == '-'));
            if (integral) {
                /* integers beyond 2^53 (64-bit seeds) would lose digits as JSON numbers in most readers */
                long long ll = strtoll(t, NULL, 10);
                v = strlen(t) < 16 ? json_integer(ll) : json_string(t);
            } else {
                v = il_json_number(strtod(t, NULL));
            }
        } else {
            v = json_string(params[i].value);
        }
        if (!v || json_object_set_new(o, params[i].key, v) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

static json_t *layer_json(const il_layer_acc *a, size_t l, int post, int matrices)
{
    il_layer_summary s;
    double v[N_TSV_COLS - 4];
    il_layer_acc_summary(a, &s);
    summary_values(&s, v);
    json_t *o = json_object();
    if (!o)
        return NULL;
    int bad = json_object_set_new(o, "layer", json_integer((json_int_t)(l + 1)));
    bad |= json_object_set_new(o, "point", json_string(post ? "post" : "pre"));
    bad |= json_object_set_new(o, "width", json_integer((json_int_t)s.width));
    bad |= json_object_set_new(o, "draws", json_integer((json_int_t)s.draws));
    for (size_t c = 0; c < N_TSV_COLS - 4; c++)
        bad |= json_object_set_new(o, tsv_cols[c + 4], il_json_number(v[c]));
    if (matrices) {
        size_t n = a->width;
        json_t *mean = json_array(), *mse = json_array(), *cov = json_array(), *cse = json_array();
        bad |= json_object_set_new(o, "unit_mean", mean);
        bad |= json_object_set_new(o, "unit_mean_se", mse);
        bad |= json_object_set_new(o, a->full ? "cov" : "unit_var", cov);
        bad |= json_object_set_new(o, a->full ? "cov_se" : "unit_var_se", cse);
        for (size_t i = 0; i < n && !bad; i++) {
            double m, se;
            il_layer_acc_unit_mean(a, i, &m, &se);
            bad |= json_array_append_new(mean, il_json_number(m));
            bad |= json_array_append_new(mse, il_json_number(se));
            if (a->full) {
                json_t *row = json_array(), *rse = json_array();
                bad |= json_array_append_new(cov, row);
                bad |= json_array_append_new(cse, rse);
                for (size_t j = 0; j < n && !bad; j++) {
                    double c, e;
                    il_layer_acc_cov(a, i, j, &c, &e);
                    bad |= json_array_append_new(row, il_json_number(c));
                    bad |= json_array_append_new(rse, il_json_number(e));
                }
            } else {
                double c, e;
                il_layer_acc_cov(a, i, i, &c, &e);
                bad |= json_array_append_new(cov, il_json_number(c));
                bad |= json_array_append_new(cse, il_json_number(e));
            }
        }
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *il_moments_to_json(const char *command, const il_param *params, size_t n_params, const il_layer_acc *pre,
                           const il_layer_acc *post, size_t layers, int matrices)
{
    json_t *root = json_object(), *arr = json_array();
    json_t *ps = il_params_to_json(params, n_params);
    if (!root || !arr || !ps) {
        json_decref(root);
        json_decref(arr);
        json_decref(ps);
        return NULL;
    }
    int bad = json_object_set_new(root, "tool", json_string("initlab"));
    bad |= json_object_set_new(root, "version", json_string(IL_VERSION));
    bad |= json_object_set_new(root, "command", json_string(command));
    bad |= json_object_set_new(root, "params", ps);
    bad |= json_object_set_new(root, "layers", arr);
    for (int pt = 0; pt < 2 && !bad; pt++) {
        const il_layer_acc *acc = pt ? post : pre;
        if (!acc)
            continue;
        for (size_t l = 0; l < layers && !bad; l++) {
            json_t *o = layer_json(&acc[l], l, pt, matrices);
            bad |= !o || json_array_append_new(arr, o);
        }
    }
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}
