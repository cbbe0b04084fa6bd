/* moments.h: streaming per-layer moments across independent draws, with standard errors.
 *
 * One draw is one network (weights drawn once) pushed with a batch of B inputs. From the batch
 * Y (B x n) a draw yields per-draw statistics (il_layer_draw); these are independent across draws,
 * so every standard error here is the across-draw standard deviation over sqrt(D). Samples within
 * one draw share weights and are never treated as independent.
 *
 * Accumulation is Welford's update in draw order, so the result depends only on the sequence of
 * draws, not on how they were computed. */
#ifndef IL_MOMENTS_H
#define IL_MOMENTS_H

#include <stddef.h>
#include <stdio.h>
#include <jansson.h>
#include "error.h"

/* Statistics of one layer in one draw. Arrays are owned by whoever set them up. */
typedef struct {
    double *mvec;   /* n: batch mean of each unit */
    double *sec;    /* full ? n*n : n: batch mean of y_i y_j (or of y_i^2) */
    double mbar;    /* mean of mvec over units */
    double q;       /* mean over units of the batch mean of y_i^2 (the layer's mean square M) */
    double m4;      /* mean over units and batch of y^4 */
    double within;  /* mean over units of the unbiased within-batch variance (NaN if B = 1) */
    double offdiag; /* mean over i != j of the batch mean of y_i y_j (NaN if n = 1) */
    /* Fluctuation statistics of the per-input mean square M_b = |y_b|^2 / n (b-th input of the batch):
     * mpow[k-1] = (1/B) sum_b M_b^k, k = 1..4, unbiased for E[M^k] of ONE input at every B; mpair =
     * mean over ordered pairs a != b of M_a M_b, unbiased for E[M_a M_b] of two inputs through the
     * same network (NaN if B = 1). mpow[0] equals q up to rounding. */
    double mpow[4];
    double mpair;
} il_layer_draw;

typedef struct {
    double mean, m2; /* Welford: running mean and sum of squared deviations */
} il_wacc;

/* Streaming statistics of the per-draw vector t = (mpow[0..3], mpair) of il_layer_draw, for the
 * network-to-network fluctuations of M (analysis/fluct.h turns them into ratios, kurtosis and the
 * within/between split with standard errors; docs/fluct.md). Both parts are updated in draw order
 * only, so they depend on the sequence of draws and not on threads:
 *   - mean[] and cm[] (upper triangle, i <= j): Welford's multivariate update, cm[i][j] = sum over
 *     draws of (t_i - mean_i)(t_j - mean_j), for delta-method standard errors;
 *   - batch means: draws are grouped in order into batches of bsize draws; whenever
 *     IL_FLUCT_MAX_BATCHES batches are complete, neighbours are merged pairwise and bsize doubles.
 *     After D >= IL_FLUCT_MAX_BATCHES draws there are between IL_FLUCT_MAX_BATCHES/2 and
 *     IL_FLUCT_MAX_BATCHES - 1 complete batches of equal size (plus cur_n < bsize draws in the
 *     current one); for smaller D, D batches of one draw. */
#define IL_FLUCT_NSTAT 5
#define IL_FLUCT_MAX_BATCHES 64

typedef struct {
    size_t count;                                /* draws pushed (see il_layer_acc.count) */
    double mean[IL_FLUCT_NSTAT];                 /* running means of t */
    double cm[IL_FLUCT_NSTAT * IL_FLUCT_NSTAT];  /* co-moment sums, row-major, i <= j used */
    size_t nbatch, bsize, cur_n;                 /* complete batches, their size, draws in the current */
    double cur[IL_FLUCT_NSTAT];                  /* running mean of t in the current batch */
    double batch[IL_FLUCT_MAX_BATCHES * IL_FLUCT_NSTAT]; /* mean of t in complete batch g: [g * NSTAT + i] */
} il_fluct_acc;

typedef struct {
    size_t width;
    int full;        /* 1: the full n x n second-moment matrix is kept; 0: its diagonal */
    size_t batch;    /* B, for the within/between split */
    size_t count;    /* draws accumulated */
    il_wacc *mvec;   /* n */
    il_wacc *sec;    /* n*n or n */
    il_wacc mbar, q, m4, within, offdiag;
    il_fluct_acc fl; /* fluctuations of M; fl.count != count when restored from a version-1 checkpoint,
                      * which did not save them (then they are unusable: il_layer_acc_fluct_valid) */
} il_layer_acc;

/* Summary of one layer, as printed. NaN where undefined (one draw: every SE; B = 1: the split). */
typedef struct {
    size_t width, draws;
    double mean, mean_se;       /* mean over units of E[y_i], and its SE */
    double q, q_se;             /* E[M], M = |y|^2 / n, and its SE */
    double q_sd;                /* sd of the per-network M across networks (network-to-network spread) */
    double var;                 /* mean over units of Var(y_i) = E[y_i^2] - E[y_i]^2 */
    double var_within, var_between; /* ANOVA split, per unit: var ~ var_within + var_between (equal in
                                     * expectation; the estimators differ by O(1/(D B))) */
    double offdiag, offdiag_se; /* mean over i != j of Cov(y_i, y_j), and its SE */
    double m4, m4_se;           /* mean over units of E[y_i^4], and its SE */
} il_layer_summary;

/* il_layer_draw_size: doubles needed by one il_layer_draw of width n (full or diagonal). */
size_t il_layer_draw_doubles(size_t n, int full);

/* il_layer_draw_compute: the per-draw statistics of y (B x n row-major) into *d, whose mvec and sec
 * point to storage of the right size. Uses CBLAS for the full matrix when n is large enough. */
void il_layer_draw_compute(il_layer_draw *d, const double *y, size_t B, size_t n, int full);

/* For the Monte Carlo driver, which keeps only the upper triangle of each draw's matrix (half the memory
 * and half the accumulation; the matrix is symmetric):
 * il_layer_draw_compute_upper: as il_layer_draw_compute with full = 1, but d->sec receives the packed upper
 *   triangle (row by row, j >= i: n (n + 1) / 2 doubles, il_layer_draw_upper_doubles(n) in all with mvec);
 *   scratch is caller-owned storage of il_layer_draw_scratch_doubles(n) doubles. Every value equals
 *   il_layer_draw_compute's, bit for bit.
 * il_layer_acc_push_upper: il_layer_acc_push of such a draw into a full accumulator; it updates the upper
 *   triangle only, and il_layer_acc_mirror must be called before the lower triangle is read (it copies the
 *   upper into the lower; the result is bit-identical to il_layer_acc_push of the full matrices). */
/* The statistics of one draw in two steps, so that the long sums of two layers (m4 and the within-batch
 * variance: B n additions each, in a fixed order) can run side by side:
 * il_layer_draw_start: everything but those sums, for a layer of width n: full = 0 as
 *   il_layer_draw_compute(..., 0); full = 1 as il_layer_draw_compute_upper (packed upper triangle, scratch as
 *   there). y and scratch are read again by il_layer_draw_finish: they must stay unchanged until then.
 * il_layer_draw_finish: completes a (and b, if not NULL); the records equal those of one-step computation,
 *   bit for bit. */
typedef struct {
    il_layer_draw *d;
    const double *y;
    size_t B, n;
    int full;
    const double *strict; /* packed strict upper triangle (in scratch), or NULL */
    size_t nstrict;
    double offsum, off, q;
} il_layer_pending;

void il_layer_draw_start(il_layer_pending *job, il_layer_draw *d, const double *y, size_t B, size_t n, int full,
                         double *scratch);
void il_layer_draw_finish(il_layer_pending *a, il_layer_pending *b);

size_t il_layer_draw_upper_doubles(size_t n);
size_t il_layer_draw_scratch_doubles(size_t n);
void il_layer_draw_compute_upper(il_layer_draw *d, const double *y, size_t B, size_t n, double *scratch);
void il_layer_acc_push_upper(il_layer_acc *a, const il_layer_draw *d);
void il_layer_acc_mirror(il_layer_acc *a);

/* il_layer_acc_init: allocates the accumulators for width n; IL_ENOMEM. il_layer_acc_release frees
 * them (NULL-safe on a zeroed struct). */
il_status il_layer_acc_init(il_layer_acc *a, size_t n, int full, size_t batch);
void il_layer_acc_release(il_layer_acc *a);
size_t il_layer_acc_bytes(size_t n, int full);

/* il_layer_acc_push: adds one draw. */
void il_layer_acc_push(il_layer_acc *a, const il_layer_draw *d);

/* il_layer_acc_fluct_valid: 1 if a->fl holds every draw of a (always, except after restoring a
 * checkpoint written before the fluctuation statistics existed), else 0. */
int il_layer_acc_fluct_valid(const il_layer_acc *a);

/* il_layer_acc_summary: the printed summary. */
void il_layer_acc_summary(const il_layer_acc *a, il_layer_summary *s);

/* Per-entry estimates with SEs: E[y_i], and Cov(y_i, y_j) = E[y_i y_j] - E[y_i] E[y_j] (the SE is
 * that of the E[y_i y_j] term; the product term's error is O(1/D)). For a diagonal-only
 * accumulator, il_layer_acc_cov returns IL_EINVAL unless i == j. */
void il_layer_acc_unit_mean(const il_layer_acc *a, size_t i, double *m, double *se);
il_status il_layer_acc_cov(const il_layer_acc *a, size_t i, size_t j, double *c, double *se);

/* A header parameter for output files. */
typedef struct {
    const char *key;
    char value[256];
    int numeric; /* 1: JSON number */
} il_param;

/* Writers. il_moments_write_tsv: a '#' header (tool, version, every parameter), the column line, and
 * one row per layer and point (pre, then post if given), numbers with %.17g, NaN as "NaN".
 * il_moments_to_json: the same content as a JSON object (NaN as null); with matrices, each layer's
 * unit means and covariance matrix with SEs as well ("cov", "cov_se"; for layers wider than the
 * covariance limit, the diagonal only as "unit_var", "unit_var_se"). Returns NULL on ENOMEM. */
il_status il_moments_write_tsv(FILE *f, const char *command, const il_param *params, size_t n_params,
                               const il_layer_acc *pre, const il_layer_acc *post, size_t layers);
json_t *il_moments_to_json(const char *command, const il_param *params, size_t n_params, const il_layer_acc *pre,
                           const il_layer_acc *post, size_t layers, int matrices);

/* Shared by every writer: the header lines and the JSON "params" object. */
void il_write_header(FILE *f, const char *command, const il_param *params, size_t n_params);
json_t *il_params_to_json(const il_param *params, size_t n_params);
json_t *il_json_number(double v); /* json_real, or null for NaN/inf */

#endif
