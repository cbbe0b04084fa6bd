/* mc.c: the Monte Carlo driver: draws in groups, computed in parallel into per-draw slots and
 * reduced in draw order. */
#include "mc.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* Draws per thread in one group (the draws computed between two barriers). Each barrier can cost a
 * scheduler quantum when the machine is loaded (a spinning thread waits for a descheduled one), so
 * groups are as large as a memory budget for the per-draw slots allows, within these bounds. */
#define IL_MC_SLOTS_MIN 4
#define IL_MC_SLOTS_MAX 128
#define IL_MC_SLOT_BUDGET ((size_t)64 << 20) /* bytes for all slots of a group */

void il_mc_cfg_default(il_mc_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->draws = 1000;
    cfg->batch = 64;
    cfg->threads = 1;
    cfg->cov_limit = IL_MC_COV_LIMIT_DEFAULT;
}

/* One draw's statistics for every layer (and point). */
typedef struct {
    il_layer_draw *pre, *post;
    double *store;
    il_status rc;
    size_t bad_layer;
} slot;

static size_t slot_doubles(const il_net *net, const size_t *widths, size_t cov_limit, int want_post)
{
    size_t L = il_net_layers(net), n = 0;
    for (size_t l = 1; l <= L; l++)
        n += il_layer_draw_doubles(widths[l], widths[l] <= cov_limit);
    return want_post ? 2 * n : n;
}

static size_t group_size(const il_mc_cfg *cfg)
{
    size_t L = il_net_layers(cfg->net), per = 1;
    size_t *widths = malloc((L + 1) * sizeof *widths);
    if (widths) {
        il_net_widths(cfg->net, widths);
        per = slot_doubles(cfg->net, widths, cfg->cov_limit, cfg->want_post) * sizeof(double) + 1;
        free(widths);
    }
    size_t T = (size_t)cfg->threads, k = IL_MC_SLOT_BUDGET / (T * per);
    k = k < IL_MC_SLOTS_MIN ? IL_MC_SLOTS_MIN : k > IL_MC_SLOTS_MAX ? IL_MC_SLOTS_MAX : k;
    size_t g = T * k;
    return g < cfg->draws ? g : cfg->draws;
}

/* Checked size arithmetic for the memory estimate. */
static size_t add_sz(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static size_t mul_sz(size_t a, size_t b)
{
    return b && a > SIZE_MAX / b ? SIZE_MAX : a * b;
}

size_t il_mc_memory(const il_mc_cfg *cfg)
{
    const il_net *net = cfg->net;
    size_t L = il_net_layers(net);
    size_t *widths = malloc((L + 1) * sizeof *widths);
    if (!widths)
        return SIZE_MAX;
    il_net_widths(net, widths);
    size_t total = 0;
    for (size_t l = 1; l <= L; l++) {
        int full = widths[l] <= cfg->cov_limit;
        /* overflow-safe: full matrices are only kept for widths <= cov_limit */
        total = add_sz(total, mul_sz(cfg->want_post ? 2 : 1, il_layer_acc_bytes(widths[l], full)));
    }
    size_t sd = slot_doubles(net, widths, cfg->cov_limit, cfg->want_post);
    total = add_sz(total, mul_sz(mul_sz(group_size(cfg), sd), sizeof(double)));
    size_t nthreads = (size_t)cfg->threads + (cfg->fixed_net ? 1 : 0);
    /* the workspace: weights, batch activations; computed without overflow checks inside, so bound
     * the dominant terms here first */
    size_t nmax = il_net_max_width(net);
    size_t act = mul_sz(mul_sz(cfg->batch, nmax), 5 * sizeof(double));
    size_t params = mul_sz(il_net_param_count(net), 2 * sizeof(double));
    total = add_sz(total, mul_sz(nthreads, add_sz(act, params)));
    free(widths);
    return total;
}

il_status il_mc_result_init(il_mc_result *res, const il_mc_cfg *cfg)
{
    memset(res, 0, sizeof *res);
    size_t L = il_net_layers(cfg->net);
    size_t *widths = malloc((L + 1) * sizeof *widths);
    if (!widths)
        return IL_ENOMEM;
    il_net_widths(cfg->net, widths);
    res->layers = L;
    res->pre = calloc(L, sizeof *res->pre);
    if (cfg->want_post)
        res->post = calloc(L, sizeof *res->post);
    il_status rc = (!res->pre || (cfg->want_post && !res->post)) ? IL_ENOMEM : IL_OK;
    for (size_t l = 0; l < L && rc == IL_OK; l++) {
        int full = widths[l + 1] <= cfg->cov_limit;
        rc = il_layer_acc_init(&res->pre[l], widths[l + 1], full, cfg->batch);
        if (rc == IL_OK && res->post)
            rc = il_layer_acc_init(&res->post[l], widths[l + 1], full, cfg->batch);
    }
    free(widths);
    if (rc != IL_OK)
        il_mc_result_release(res);
    return rc;
}

void il_mc_result_release(il_mc_result *res)
{
    if (!res)
        return;
    for (size_t l = 0; l < res->layers; l++) {
        if (res->pre)
            il_layer_acc_release(&res->pre[l]);
        if (res->post)
            il_layer_acc_release(&res->post[l]);
    }
    free(res->pre);
    free(res->post);
    res->pre = res->post = NULL;
    res->layers = 0;
}

typedef struct {
    slot *s;
    size_t cov_limit;
} visit_ctx;

static void visit_layer(void *vctx, size_t layer, int post, const double *y, size_t batch, size_t width)
{
    visit_ctx *c = vctx;
    il_layer_draw *d = post ? &c->s->post[layer - 1] : &c->s->pre[layer - 1];
    il_layer_draw_compute(d, y, batch, width, width <= c->cov_limit);
}

/* Points slot storage at its layer records. */
static void slot_layout(slot *s, const size_t *widths, size_t L, size_t cov_limit, int want_post)
{
    double *p = s->store;
    for (int pt = 0; pt < (want_post ? 2 : 1); pt++) {
        il_layer_draw *d = pt ? s->post : s->pre;
        for (size_t l = 0; l < L; l++) {
            size_t n = widths[l + 1];
            int full = n <= cov_limit;
            d[l].mvec = p;
            d[l].sec = p + n;
            p += il_layer_draw_doubles(n, full);
        }
    }
}

il_status il_mc_run(const il_mc_cfg *cfg, il_mc_result *res)
{
    char err[256];
    const il_net *net = cfg->net;
    if (cfg->draws < 1 || cfg->threads < 1 || cfg->cov_limit > 4096)
        return IL_EINVAL;
    IL_TRY(il_net_check(net, cfg->batch, err, sizeof err));
    const size_t L = il_net_layers(net), G = group_size(cfg), T = (size_t)cfg->threads;
    il_status rc = IL_ENOMEM;
    size_t *widths = malloc((L + 1) * sizeof *widths);
    slot *slots = calloc(G, sizeof *slots);
    il_net_ws **ws = calloc(T, sizeof *ws);
    il_net_ws *fixed = NULL;
    il_layer_draw *draws_mem = NULL;
    double *store = NULL;
    if (!widths || !slots || !ws)
        goto done;
    il_net_widths(net, widths);
    size_t sd = slot_doubles(net, widths, cfg->cov_limit, cfg->want_post);
    size_t per = cfg->want_post ? 2 * L : L;
    draws_mem = calloc(G * per, sizeof *draws_mem);
    store = malloc(G * sd * sizeof *store);
    if (!draws_mem || !store)
        goto done;
    for (size_t g = 0; g < G; g++) {
        slots[g].pre = draws_mem + g * per;
        slots[g].post = cfg->want_post ? slots[g].pre + L : NULL;
        slots[g].store = store + g * sd;
        slot_layout(&slots[g], widths, L, cfg->cov_limit, cfg->want_post);
    }
    for (size_t t = 0; t < T; t++)
        if (!(ws[t] = il_net_ws_alloc(net, cfg->batch)))
            goto done;
    if (cfg->fixed_net) {
        il_rng r;
        if (!(fixed = il_net_ws_alloc(net, 1)))
            goto done;
        il_rng_seed_draw(&r, cfg->seed, IL_MC_FIXED_STREAM);
        if ((rc = il_net_draw_weights(net, fixed, &r)) != IL_OK)
            goto done;
        for (size_t t = 0; t < T; t++)
            il_net_copy_weights(net, fixed, ws[t]);
    }

    rc = IL_OK;
    size_t done_draws = res->draws_done;
    int halt = 0;
    while (done_draws < cfg->draws && !halt) {
        size_t n = cfg->draws - done_draws < G ? cfg->draws - done_draws : G;
        size_t base = done_draws;
#pragma omp parallel for schedule(static) num_threads(cfg->threads)
        for (size_t k = 0; k < n; k++) {
            il_net_ws *w = ws[omp_get_thread_num()];
            slot *s = &slots[k];
            il_rng r;
            il_rng_seed_draw(&r, cfg->seed, (uint64_t)(base + k));
            s->rc = IL_OK;
            if (!cfg->fixed_net)
                s->rc = il_net_draw_weights(net, w, &r);
            if (s->rc == IL_OK) {
                visit_ctx vc = {s, cfg->cov_limit};
                s->rc = il_net_forward(net, w, &r, cfg->want_post, visit_layer, &vc, &s->bad_layer);
            }
        }
        for (size_t k = 0; k < n; k++) {
            if (slots[k].rc != IL_OK) {
                rc = slots[k].rc;
                res->bad_layer = slots[k].bad_layer;
                res->bad_draw = base + k;
                halt = 1;
                break;
            }
            for (size_t l = 0; l < L; l++) {
                il_layer_acc_push(&res->pre[l], &slots[k].pre[l]);
                if (res->post)
                    il_layer_acc_push(&res->post[l], &slots[k].post[l]);
            }
            done_draws++;
        }
        res->draws_done = done_draws;
        if (cfg->progress)
            cfg->progress(cfg->progress_ctx, done_draws, cfg->draws);
        if (!halt && cfg->stop && *cfg->stop && done_draws < cfg->draws) {
            rc = IL_EINTR;
            halt = 1;
        }
    }

done:
    if (ws)
        for (size_t t = 0; t < T; t++)
            il_net_ws_free(ws[t]);
    il_net_ws_free(fixed);
    free(ws);
    free(store);
    free(draws_mem);
    free(slots);
    free(widths);
    return rc;
}
