/* mc.h: the Monte Carlo driver. D independent draws (networks), B inputs each, per-layer moments.
 *
 * Draw i uses the generator il_rng_seed_draw(seed, i) for its weights, inputs and masks, and draws are
 * accumulated in order 0, 1, ..., D-1, so the result is bit-identical for any number of threads.
 * In fixed-network mode the weights are drawn once from il_rng_seed_draw(seed, IL_MC_FIXED_STREAM)
 * and draw i only draws inputs and masks from its own generator (the standard errors are then conditional on that network).
 *
 * BLAS must be single-threaded inside the draws (the caller sets openblas_set_num_threads(1)); the
 * parallelism is across draws, with OpenMP. */
#ifndef IL_MC_H
#define IL_MC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "moments.h"
#include "net.h"

#define IL_MC_FIXED_STREAM UINT64_MAX
#define IL_MC_COV_LIMIT_DEFAULT 64

/* Draws computed elsewhere, e.g. by other processes (cli/mpi_ranks.c does it with MPI). Each group of n draws
 * from draw base is split into `parts` contiguous parts, part p being draws base + n p / parts up to (not
 * including) base + n (p + 1) / parts. il_mc_run computes part 0 itself and calls assign once per group,
 * before it; the remote side computes every other part with an il_mc_engine of the same configuration
 * (il_mc_engine_compute, whose records are bit for bit the ones il_mc_run would compute), and fetch
 * hands part p's records over, for p = 1, ..., parts - 1 in order, every part of every assigned group
 * (NULL: failed; the run ends with IL_EIO). The records are accumulated in draw order, as in one process,
 * so the result is bit-identical to a run without remote parts. fetch may set *cfg->stop to ask for a
 * stop (a signal that reached the remote side). */
typedef struct {
    size_t parts;    /* >= 1; 1: everything is computed here and the callbacks are not called */
    size_t part_cap; /* the most draws a remote part may hold (the smallest remote il_mc_engine_capacity) */
    void *ctx;
    void (*assign)(void *ctx, size_t base, size_t n);
    const double *(*fetch)(void *ctx, size_t part); /* valid until the next call */
} il_mc_remote;

typedef struct {
    const il_net *net;
    size_t draws;        /* D >= 1 */
    size_t batch;        /* B >= 1 */
    uint64_t seed;
    int threads;         /* >= 1 */
    int fixed_net;       /* 1: one network, D batches of inputs */
    int want_post;       /* 1: also the post-activation (layer output) statistics */
    size_t cov_limit;    /* full covariance for widths <= cov_limit, diagonal above */
    /* Optional: called from one thread after each group of finished draws. */
    void (*progress)(void *ctx, size_t done, size_t total);
    void *progress_ctx;
    /* Optional: when *stop becomes nonzero, the run ends after the draws under way and returns
     * IL_EINTR with the finished draws accumulated. */
    const volatile sig_atomic_t *stop;
    /* 1: propagate in float32 (il_net_forward_f32: the same random numbers rounded to float, every layer in
     * float32), accumulating the statistics in float64; deterministic and thread-independent like the
     * float64 default, with numbers of its own. */
    int float32;
    /* 1: the exact conditional estimator of a linear stack (il_mc_exact_supported): each drawn network's
     * per-draw statistics are its exact conditional moments given the weights (the means and covariances
     * propagated through the layers, and for M = |y|^2/n the moments of a Gaussian quadratic form) instead
     * of averages over a batch of inputs; as if batch were infinite. Draw i is the same network as in the
     * sampling mode; the standard errors are across networks only. Not with fixed_net or float32. */
    int exact;
    /* Optional: parts of every group computed elsewhere (il_mc_remote); NULL: all here. */
    const il_mc_remote *remote;
} il_mc_cfg;

typedef struct {
    size_t layers;
    il_layer_acc *pre;   /* [layers] */
    il_layer_acc *post;  /* [layers], or NULL without want_post */
    size_t draws_done;
    size_t bad_layer;    /* with IL_ENUMERIC: the first layer with a NaN or infinity ... */
    size_t bad_draw;     /* ... and the draw where it appeared */
} il_mc_result;

/* il_mc_cfg_default: draws 1000, batch 64, seed 0, 1 thread, cov_limit 64. net must be set. */
void il_mc_cfg_default(il_mc_cfg *cfg);

/* il_mc_memory: bytes il_mc_run will allocate for cfg (accumulators, per-thread workspaces and the
 * per-draw buffers); SIZE_MAX if the computation overflows. */
size_t il_mc_memory(const il_mc_cfg *cfg);

/* il_mc_result_init / _release: the caller-owned result, sized for cfg. IL_ENOMEM. */
il_status il_mc_result_init(il_mc_result *res, const il_mc_cfg *cfg);
void il_mc_result_release(il_mc_result *res);

/* il_mc_exact_supported: 1 if cfg->exact can be used for net (linear layers without DropConnect, identity
 * activations, no dropout, BatchNorm or residual blocks, normal inputs); else 0 with the reason in err. */
int il_mc_exact_supported(const il_net *net, char *err, size_t errlen);

/* il_mc_plan_batch: the split between draws and batch that minimises SE^2 x time for q (the mean square M)
 * of one layer (1..L; post = 1 for its output). One draw with a batch of B gives q_B, the mean over the batch
 * of M, with Var(q_B) = V_b + V_w / B, where V_b = Var(E[M | network]) (between networks) and
 * V_w = E[Var(M | network)] (within); a draw costs about t(B) = t0 + t1 B seconds. For a fixed budget of time
 * the SE^2 of q is then proportional to (V_b + V_w / B) t(B), smallest at B* = sqrt(V_w t0 / (V_b t1)).
 * Pilot runs (on a seed derived from cfg->seed, so that the run that follows is independent of the choice)
 * estimate V_b and V_w (from the per-draw E[M], E[M^2] and pair products) and t0, t1 (timed at two batch
 * sizes); the chosen B is rounded to the better neighbour and kept in [1, b_max]. Uses cfg->threads; takes
 * about pilot_seconds (at least two short runs). Returns IL_EINVAL for a bad layer or b_max < 2, or what the
 * pilot runs return. */
typedef struct {
    size_t batch;                 /* the choice */
    double v_between, v_within;   /* the variance components of M */
    double t0, t1;                /* seconds per draw = t0 + t1 B */
    double cost, cost_given;      /* (V_b + V_w / B)(t0 + t1 B): at the choice, at cfg->batch */
    size_t pilot_draws, pilot_b1, pilot_b2;
} il_mc_plan;

il_status il_mc_plan_batch(const il_mc_cfg *cfg, size_t layer, int post, size_t b_max, double pilot_seconds,
                           il_mc_plan *out);

/* il_mc_run: runs the draws and accumulates into *res (il_mc_result_init'ed for cfg).
 * Returns IL_OK; IL_EINVAL for an invalid cfg (il_net_check); IL_ENOMEM; IL_ENUMERIC with
 * res->bad_layer and bad_draw set (draws before bad_draw are accumulated); IL_EINTR if stopped. */
il_status il_mc_run(const il_mc_cfg *cfg, il_mc_result *res);

/* The engine under il_mc_run, for the remote side of an il_mc_remote: it computes per-draw records (every
 * layer's statistics of one draw, il_mc_engine_record_doubles doubles each, laid out as il_mc_run expects
 * them from fetch) for ranges of draws, with cfg->threads threads; cfg->remote, progress and stop are
 * ignored.
 * il_mc_engine_alloc: the workspaces for cfg (checked as by il_mc_run: IL_EINVAL; IL_ENOMEM) into *out.
 * il_mc_engine_capacity: the most draws one il_mc_engine_compute may take (il_mc_run's group per part).
 * il_mc_engine_records: the engine's own buffer of capacity records.
 * il_mc_engine_compute: draws first, ..., first + n - 1 (n <= capacity) into records[0 .. n x record).
 *   A draw that fails (IL_ENUMERIC) is marked in its record; il_mc_run reports the first.
 * il_mc_engine_free: NULL does nothing.
 * il_mc_engine_shape: the capacity and record size an engine for cfg would have, without allocating it
 *   (IL_EINVAL as il_mc_engine_alloc). */
typedef struct il_mc_engine il_mc_engine;
il_status il_mc_engine_alloc(const il_mc_cfg *cfg, il_mc_engine **out);
size_t il_mc_engine_capacity(const il_mc_engine *e);
size_t il_mc_engine_record_doubles(const il_mc_engine *e);
double *il_mc_engine_records(il_mc_engine *e);
void il_mc_engine_compute(il_mc_engine *e, size_t first, size_t n, double *records);
void il_mc_engine_free(il_mc_engine *e);
il_status il_mc_engine_shape(const il_mc_cfg *cfg, size_t *capacity, size_t *record);

#endif
