/* roofline.c: the per-draw lower bound of `initlab sim` on this machine, from figures measured on the spot.
 *
 * usage: roofline [--reps R] [--min-time S] N:L:B [N:L:B ...]
 *
 * Measured (one thread, OpenBLAS set to one thread, each figure the median of R timings of at least S seconds):
 *   - ns per number of il_rng_fill_uniform and il_rng_fill_normal (the project's generator, libinitlab.a),
 *     filling a 4096-element buffer;
 *   - GFLOP/s of cblas_dgemm at the engine's shape for width n and batch B: (B x n) times (n x n)^T
 *     (net.c's linear_forward), 2 B n^2 flops; and of cblas_dsyrk (n x n from B rows, B n (n + 1) flops), which
 *     the engine uses for the full second-moment matrix when n <= the covariance limit (64);
 *   - the same for cblas_sgemm / cblas_ssyrk, for a float32 engine (the generator rates are the float64 fills:
 *     the project has no float32 fill).
 *
 * Model, per draw of a network of L linear layers of width n with a batch of B:
 *   t_rng  = L (n^2 + n) ns_uniform + B n ns_normal          (weights and biases, then the inputs)
 *   t_blas = L 2 B n^2 / R_gemm(B, n) + [n <= 64] L B n (n + 1) / R_syrk(n, B)
 *   bound (1 core) = max(t_rng, t_blas);  bound (2 cores) = bound (1 core) / 2
 * The max assumes the two could overlap perfectly (they cannot on one core, where the sum is closer to what is
 * achievable), and everything else (bias, activation, the O(L B n) statistics, the O(L n^2) accumulation) is free:
 * it is a lower bound, not a prediction. Both t_rng and t_blas are printed so the sum can be formed too.
 *
 * Output: TSV on standard output, a '#' header, one row per workload and dtype. Exit status 2 on bad usage. */
#include <cblas.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rng.h"

#define RF_FILL_N 4096      /* elements per generator fill: a buffer that stays in L1 */
#define RF_REPS_DEFAULT 5
#define RF_MIN_TIME_DEFAULT 0.1
#define RF_COV_LIMIT 64     /* initlab's default --cov-limit */
#define RF_MAX_WORKLOADS 64

typedef struct {
    size_t n, L, B;
} workload;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The timed operations. */
typedef enum { OP_UNIFORM, OP_NORMAL, OP_DGEMM, OP_DSYRK, OP_SGEMM, OP_SSYRK } op_kind;

typedef struct {
    op_kind kind;
    int n, B;
    il_rng rng;
    double *x, *w, *y;  /* float64 buffers */
    float *xf, *wf, *yf; /* float32 buffers */
} op_ctx;

static void op_run(op_ctx *c)
{
    const int n = c->n, B = c->B;
    switch (c->kind) {
    case OP_UNIFORM: il_rng_fill_uniform(&c->rng, c->x, RF_FILL_N, -0.5, 0.5); break;
    case OP_NORMAL: il_rng_fill_normal(&c->rng, c->x, RF_FILL_N, 0.0, 1.0); break;
    case OP_DGEMM:
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, n, n, 1.0, c->x, n, c->w, n, 0.0, c->y, n);
        break;
    case OP_DSYRK:
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, n, B, 1.0 / B, c->x, n, 0.0, c->y, n);
        break;
    case OP_SGEMM:
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, n, n, 1.0f, c->xf, n, c->wf, n, 0.0f, c->yf, n);
        break;
    case OP_SSYRK:
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, n, B, 1.0f / (float)B, c->xf, n, 0.0f, c->yf, n);
        break;
    }
}

/* Seconds per call of op: the median over reps of (elapsed / calls), each timing at least min_time. */
static double time_op(op_ctx *c, int reps, double min_time)
{
    double t[64];
    if (reps > 64)
        reps = 64;
    op_run(c); /* warm-up: pages, caches, BLAS buffers */
    for (int r = 0; r < reps; r++) {
        size_t calls = 1;
        for (;;) {
            double t0 = now();
            for (size_t i = 0; i < calls; i++)
                op_run(c);
            double el = now() - t0;
            if (el >= min_time) {
                t[r] = el / (double)calls;
                break;
            }
            /* aim past min_time in one more step */
            double f = el > 0.0 ? 1.2 * min_time / el : 100.0;
            calls = (size_t)((double)calls * (f > 100.0 ? 100.0 : f < 2.0 ? 2.0 : f)) + 1;
        }
    }
    qsort(t, (size_t)reps, sizeof t[0], cmp_double);
    return reps % 2 ? t[reps / 2] : 0.5 * (t[reps / 2 - 1] + t[reps / 2]);
}

static int parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || v < 1 || v > (unsigned long long)INT_MAX)
        return -1;
    *out = (size_t)v;
    return (int)(end - s);
}

/* "N:L:B" -> w; 0 on success. */
static int parse_workload(const char *s, workload *w)
{
    int k;
    if ((k = parse_size(s, &w->n)) < 0 || s[k] != ':')
        return -1;
    s += k + 1;
    if ((k = parse_size(s, &w->L)) < 0 || s[k] != ':')
        return -1;
    s += k + 1;
    if ((k = parse_size(s, &w->B)) < 0 || s[k] != '\0')
        return -1;
    /* the largest buffer is n x max(n, B) elements */
    size_t m = w->n > w->B ? w->n : w->B;
    return w->n > (size_t)INT_MAX / m ? -1 : 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: roofline [--reps R] [--min-time S] N:L:B [N:L:B ...]\n"
               "Measures generator ns per number and OpenBLAS GEMM/SYRK rates on one thread and prints the\n"
               "per-draw roofline bound of `initlab sim --widths N,...,N (L+1 times) --batch B` as TSV.\n");
}

int main(int argc, char **argv)
{
    int reps = RF_REPS_DEFAULT;
    double min_time = RF_MIN_TIME_DEFAULT;
    workload wl[RF_MAX_WORKLOADS];
    size_t nw = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 64) {
                fprintf(stderr, "roofline: --reps must be in [1, 64], got '%s'\n", argv[i]);
                return 2;
            }
            reps = (int)v;
        } else if (strcmp(argv[i], "--min-time") == 0 && i + 1 < argc) {
            char *end;
            double v = strtod(argv[++i], &end);
            if (*end || !(v > 0.0 && v <= 10.0)) {
                fprintf(stderr, "roofline: --min-time must be in (0, 10] seconds, got '%s'\n", argv[i]);
                return 2;
            }
            min_time = v;
        } else if (nw < RF_MAX_WORKLOADS && parse_workload(argv[i], &wl[nw]) == 0) {
            nw++;
        } else {
            fprintf(stderr, "roofline: expected a workload N:L:B (each in [1, 2^31-1]) or an option, got '%s'\n",
                    argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (nw == 0) {
        usage(stderr);
        return 2;
    }
    openblas_set_num_threads(1);

    int rc = 1;
    size_t cap = RF_FILL_N;
    for (size_t i = 0; i < nw; i++) {
        size_t m = wl[i].n > wl[i].B ? wl[i].n : wl[i].B;
        if (wl[i].n * m > cap)
            cap = wl[i].n * m;
    }
    op_ctx c;
    memset(&c, 0, sizeof c);
    c.x = malloc(cap * sizeof *c.x);
    c.w = malloc(cap * sizeof *c.w);
    c.y = malloc(cap * sizeof *c.y);
    c.xf = malloc(cap * sizeof *c.xf);
    c.wf = malloc(cap * sizeof *c.wf);
    c.yf = malloc(cap * sizeof *c.yf);
    if (!c.x || !c.w || !c.y || !c.xf || !c.wf || !c.yf) {
        fprintf(stderr, "roofline: out of memory for %zu-element buffers\n", cap);
        goto done;
    }
    il_rng_seed(&c.rng, 1, 0);
    il_rng_fill_normal(&c.rng, c.x, cap, 0.0, 1.0);
    il_rng_fill_uniform(&c.rng, c.w, cap, -0.1, 0.1);
    memset(c.y, 0, cap * sizeof *c.y);
    for (size_t i = 0; i < cap; i++) {
        c.xf[i] = (float)c.x[i];
        c.wf[i] = (float)c.w[i];
        c.yf[i] = 0.0f;
    }

    c.kind = OP_UNIFORM;
    double ns_u = 1e9 * time_op(&c, reps, min_time) / RF_FILL_N;
    c.kind = OP_NORMAL;
    double ns_n = 1e9 * time_op(&c, reps, min_time) / RF_FILL_N;

    printf("# roofline: initlab %s; 1 thread (OpenBLAS %s); each rate the median of %d timings >= %g s\n",
           IL_VERSION, openblas_get_config(), reps, min_time);
    printf("# t_rng = L(n^2+n) ns_uniform + B n ns_normal; t_blas = L 2Bn^2/R_gemm + [n<=%d] L Bn(n+1)/R_syrk; "
           "bound1 = max(t_rng, t_blas); bound2 = bound1/2\n",
           RF_COV_LIMIT);
    printf("n\tL\tB\tdtype\tns_uniform\tns_normal\trandom_numbers\tt_rng_ms\tgemm_gflops\tsyrk_gflops\tflops\t"
           "t_blas_ms\tbound1_ms\tbound2_ms\n");
    for (size_t i = 0; i < nw; i++) {
        const workload *w = &wl[i];
        const double n = (double)w->n, L = (double)w->L, B = (double)w->B;
        const int full = w->n <= RF_COV_LIMIT;
        c.n = (int)w->n;
        c.B = (int)w->B;
        for (int f32 = 0; f32 < 2; f32++) {
            c.kind = f32 ? OP_SGEMM : OP_DGEMM;
            double gemm_flops = 2.0 * B * n * n;
            double r_gemm = gemm_flops / time_op(&c, reps, min_time);
            double syrk_flops = B * n * (n + 1.0), r_syrk = NAN;
            if (full) {
                c.kind = f32 ? OP_SSYRK : OP_DSYRK;
                r_syrk = syrk_flops / time_op(&c, reps, min_time);
            }
            double rn = L * (n * n + n) + B * n;
            double t_rng = 1e-6 * (L * (n * n + n) * ns_u + B * n * ns_n); /* ms */
            double flops = L * gemm_flops + (full ? L * syrk_flops : 0.0);
            double t_blas = 1e3 * (L * gemm_flops / r_gemm + (full ? L * syrk_flops / r_syrk : 0.0));
            double b1 = t_rng > t_blas ? t_rng : t_blas;
            printf("%zu\t%zu\t%zu\t%s\t%.4g\t%.4g\t%.0f\t%.6g\t%.4g\t%.4g\t%.0f\t%.6g\t%.6g\t%.6g\n", w->n, w->L, w->B,
                   f32 ? "float32" : "float64", ns_u, ns_n, rn, t_rng, 1e-9 * r_gemm,
                   full ? 1e-9 * r_syrk : NAN, flops, t_blas, b1, b1 / 2.0);
            fflush(stdout);
        }
    }
    rc = ferror(stdout) ? 1 : 0;
done:
    free(c.x);
    free(c.w);
    free(c.y);
    free(c.xf);
    free(c.wf);
    free(c.yf);
    return rc;
}
