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

/* il_mc_run: runs the draws and accumulates into *res (il_mc_result_init'ed for cfg).
 * Returns IL_OK; IL_EINVAL for an invalid cfg (il_net_check); IL_ENOMEM; IL_ENUMERIC with
 * res->bad_layer and bad_draw set (draws before bad_draw are accumulated); IL_EINTR if stopped. */
il_status il_mc_run(const il_mc_cfg *cfg, il_mc_result *res);

#endif
