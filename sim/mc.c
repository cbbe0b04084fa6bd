/* mc.c: the Monte Carlo driver: draws in groups, computed in parallel into per-draw records (here, or by
 * other processes through il_mc_remote) and accumulated in draw order. */
#include "mc.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Draws per thread in one group (the draws computed between two barriers). Each barrier can cost a
 * scheduler quantum when the machine is loaded (a thread waits for a descheduled one), so groups grow as
 * large as a memory budget for the per-draw slots allows, within these bounds: the first group of a call
 * has IL_MC_SLOTS_START draws per thread, and each later one at most as many draws as the call has done so
 * far (so that a run stopped after N draws, by --stop-after or a signal, stops within about 2N) and no more
 * once a group takes over IL_MC_GROUP_SECONDS. */
#define IL_MC_SLOTS_MIN 4
#define IL_MC_SLOTS_START 16
#define IL_MC_SLOTS_MAX 4096
#define IL_MC_SLOT_BUDGET ((size_t)64 << 20) /* bytes for all slots of a group */
#define IL_MC_GROUP_SECONDS 0.5

void il_mc_cfg_default(il_mc_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->draws = 1000;
    cfg->batch = 64;
    cfg->threads = 1;
    cfg->cov_limit = IL_MC_COV_LIMIT_DEFAULT;
}

/* A draw's record: one contiguous run of il_mc_engine_record_doubles doubles, so that records can be
 * computed anywhere (another thread, another process) and accumulated later in draw order:
 *   [0, sd)                          every unit's mvec and sec (slot_layout: pre layers, then post layers)
 *   [sd, sd + units * REC_SCALARS)   every unit's scalars (pack_scalars)
 *   [sd + units * REC_SCALARS]       the draw's il_status, then its bad layer (small integers, exact) */
enum { REC_SCALARS = 10 };

/* One thread's view of the draw it computes: its per-layer records point into the draw's record. */
typedef struct {
    il_layer_draw *pre, *post;
    double *store;
    il_status rc;
    size_t bad_layer;
} slot;

/* A draw's record of one layer: the unit means and the diagonal, or the packed upper triangle of the
 * second-moment matrix (il_layer_draw_compute_upper). */
static size_t layer_doubles(size_t n, size_t cov_limit)
{
    return n <= cov_limit ? il_layer_draw_upper_doubles(n) : il_layer_draw_doubles(n, 0);
}

static size_t slot_doubles(const il_net *net, const size_t *widths, size_t cov_limit, int want_post)
{
    size_t L = il_net_layers(net), n = 0;
    for (size_t l = 1; l <= L; l++)
        n += layer_doubles(widths[l], cov_limit);
    return want_post ? 2 * n : n;
}

static size_t record_doubles(const il_net *net, const size_t *widths, size_t cov_limit, int want_post)
{
    size_t units = (want_post ? 2 : 1) * il_net_layers(net);
    return slot_doubles(net, widths, cov_limit, want_post) + units * REC_SCALARS + 2;
}

/* Scratch of one thread for the full matrices: the largest il_layer_draw_scratch_doubles over full layers. */
static size_t scratch_doubles(const size_t *widths, size_t L, size_t cov_limit)
{
    size_t m = 1;
    for (size_t l = 1; l <= L; l++)
        if (widths[l] <= cov_limit && il_layer_draw_scratch_doubles(widths[l]) > m)
            m = il_layer_draw_scratch_doubles(widths[l]);
    return m;
}

static size_t group_size(const il_mc_cfg *cfg)
{
    size_t L = il_net_layers(cfg->net), per = 1;
    size_t *widths = malloc((L + 1) * sizeof *widths);
    if (widths) {
        il_net_widths(cfg->net, widths);
        per = record_doubles(cfg->net, widths, cfg->cov_limit, cfg->want_post) * sizeof(double);
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
    size_t rd = record_doubles(net, widths, cfg->cov_limit, cfg->want_post);
    total = add_sz(total, mul_sz(mul_sz(group_size(cfg), rd), sizeof(double)));
    size_t nthreads = (size_t)cfg->threads + (cfg->fixed_net ? 1 : 0);
    size_t nmx = il_net_max_width(net);
    size_t per_thread = add_sz(mul_sz(2, scratch_doubles(widths, L, cfg->cov_limit)),
                               cfg->exact ? add_sz(mul_sz(4, nmx), mul_sz(3, mul_sz(nmx, nmx)))
                                          : mul_sz(cfg->batch, nmx));
    total = add_sz(total, mul_sz(mul_sz((size_t)cfg->threads, per_thread), sizeof(double)));
    /* the workspace: weights, batch activations; computed without overflow checks inside, so bound
     * the dominant terms here first */
    size_t nmax = il_net_max_width(net);
    size_t act = mul_sz(mul_sz(cfg->batch, nmax), (cfg->float32 ? 7 : 5) * sizeof(double));
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
        /* the exact estimator has no batch: its within-batch correction vanishes */
        size_t batch = cfg->exact ? SIZE_MAX : cfg->batch;
        rc = il_layer_acc_init(&res->pre[l], widths[l + 1], full, batch);
        if (rc == IL_OK && res->post)
            rc = il_layer_acc_init(&res->post[l], widths[l + 1], full, batch);
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

/* One thread's state during a draw's forward pass. The long sums of a layer's statistics (il_layer_draw_finish)
 * are run two layers at a time: the first of a pair is kept pending, its values copied to the stash (the
 * forward pass goes on to overwrite them) and its matrix scratch kept, until the next layer arrives. */
typedef struct {
    slot *s;
    size_t cov_limit;
    double *scratch[2]; /* matrix scratch of the pending layer and of the current one */
    double *stash;      /* batch x max width */
    il_layer_pending pending;
    int has_pending, cur;
} visit_ctx;

static void visit_layer(void *vctx, size_t layer, int post, const double *y, size_t batch, size_t width)
{
    visit_ctx *c = vctx;
    il_layer_draw *d = post ? &c->s->post[layer - 1] : &c->s->pre[layer - 1];
    il_layer_pending job;
    il_layer_draw_start(&job, d, y, batch, width, width <= c->cov_limit, c->scratch[c->cur]);
    if (c->has_pending) {
        il_layer_draw_finish(&c->pending, &job);
        c->has_pending = 0;
        return;
    }
    memcpy(c->stash, y, batch * width * sizeof *y);
    job.y = c->stash;
    c->pending = job;
    c->has_pending = 1;
    c->cur ^= 1;
}

/* After the forward pass: the last layer, if it was left pending. */
static void visit_flush(visit_ctx *c)
{
    if (c->has_pending)
        il_layer_draw_finish(&c->pending, NULL);
    c->has_pending = 0;
}

/* Points slot storage at its layer records. */
static void slot_layout(slot *s, const size_t *widths, size_t L, size_t cov_limit, int want_post)
{
    double *p = s->store;
    for (int pt = 0; pt < (want_post ? 2 : 1); pt++) {
        il_layer_draw *d = pt ? s->post : s->pre;
        for (size_t l = 0; l < L; l++) {
            size_t n = widths[l + 1];
            d[l].mvec = p;
            d[l].sec = p + n;
            p += layer_doubles(n, cov_limit);
        }
    }
}

/* ---- the exact conditional estimator of linear stacks ------------------------------------------------
 * Given the weights, a linear stack maps the inputs x ~ N(0, diag(input_var)) to y_l ~ N(mu_l, Sigma_l) with
 *   mu_l = W_l mu_{l-1} + b_l,   Sigma_l = W_l Sigma_{l-1} W_l^T   (mu_0 = 0, Sigma_0 = diag(input_var)).
 * The per-draw record is then the conditional expectation of what a batch would average: mvec = mu,
 * sec = Sigma + mu mu^T, q = tr(sec) / n, offdiag its mean off-diagonal entry, within = tr(Sigma) / n (the
 * expected unbiased within-batch variance), m4 = mean over units of mu^4 + 6 mu^2 s^2 + 3 s^4, and for
 * M = Q / n, Q = |y|^2, the moments E[M^k | W] from the cumulants of a Gaussian quadratic form,
 *   kappa_r = 2^(r-1) (r-1)! (tr(Sigma^r) + r mu^T Sigma^(r-1) mu),
 * with mpair = E[M | W]^2 (two independent inputs through the same network). */
int il_mc_exact_supported(const il_net *net, char *err, size_t errlen)
{
    if (net->input != IL_INPUT_NORMAL) {
        snprintf(err, errlen, "the exact estimator needs normal inputs (the fourth moments are Gaussian)");
        return 0;
    }
    for (size_t i = 0; i < net->n_ops; i++) {
        const il_op *op = &net->ops[i];
        int ok = (op->kind == IL_OP_LINEAR && op->dc_p == 0.0) ||
                 (op->kind == IL_OP_ACT && op->act.kind == IL_ACT_IDENTITY) ||
                 (op->kind == IL_OP_DROPOUT && (op->p == 0.0 || (!net->train && op->drop == IL_DROP_INVERTED)));
        if (!ok) {
            snprintf(err, errlen, "the exact estimator is for linear stacks: linear layers and identity "
                                  "activations only (no dropout, DropConnect, BatchNorm or residual blocks)");
            return 0;
        }
    }
    return 1;
}

typedef struct {
    double *mu, *mu2, *S, *T, *S2, *v; /* nmax, nmax, nmax^2 x 3, 2 nmax */
} exact_ws;

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* The record of one layer from mu and Sigma (n x n, symmetric). */
static void exact_record(il_layer_draw *d, const double *mu, const double *S, size_t n, int full, exact_ws *e)
{
    const double dn = (double)n;
    double tr = 0.0, trs = 0.0, all = 0.0, m4 = 0.0, msum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double m = mu[i], s2 = S[i * n + i];
        d->mvec[i] = m;
        trs += s2;
        tr += s2 + m * m;
        m4 += m * m * m * m + 6.0 * m * m * s2 + 3.0 * s2 * s2;
        msum += m;
        if (!full)
            d->sec[i] = s2 + m * m;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            all += S[i * n + j] + mu[i] * mu[j];
    if (full)
        for (size_t i = 0, p = 0; i < n; i++)
            for (size_t j = i; j < n; j++)
                d->sec[p++] = S[i * n + j] + mu[i] * mu[j];
    d->mbar = msum / dn;
    d->q = tr / dn;
    d->within = trs / dn;
    d->offdiag = n > 1 ? (all - tr) / (dn * (double)(n - 1)) : NAN;
    d->m4 = m4 / dn;
    /* cumulants of Q = |y|^2 */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n, 1.0, S, (int)n, S, (int)n, 0.0,
                e->S2, (int)n);
    double t2 = 0.0, t3 = 0.0, t4 = 0.0;
    for (size_t i = 0; i < n * n; i++) {
        t2 += S[i] * S[i];
        t3 += e->S2[i] * S[i];
        t4 += e->S2[i] * e->S2[i];
    }
    double *v1 = e->v, *v2 = e->v + n;
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)n, 1.0, S, (int)n, mu, 1, 0.0, v1, 1);
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)n, 1.0, S, (int)n, v1, 1, 0.0, v2, 1);
    double u1 = dot(mu, mu, n), u2 = dot(mu, v1, n), u3 = dot(v1, v1, n), u4 = dot(v1, v2, n);
    double k1 = trs + u1, k2 = 2.0 * (t2 + 2.0 * u2), k3 = 8.0 * (t3 + 3.0 * u3), k4 = 48.0 * (t4 + 4.0 * u4);
    double q1 = k1, q2 = k2 + k1 * k1, q3 = k3 + 3.0 * k2 * k1 + k1 * k1 * k1;
    double q4 = k4 + 4.0 * k3 * k1 + 3.0 * k2 * k2 + 6.0 * k2 * k1 * k1 + k1 * k1 * k1 * k1;
    d->mpow[0] = q1 / dn;
    d->mpow[1] = q2 / (dn * dn);
    d->mpow[2] = q3 / (dn * dn * dn);
    d->mpow[3] = q4 / (dn * dn * dn * dn);
    d->mpair = d->mpow[0] * d->mpow[0];
}

/* One draw: the moments propagated through the weights in ws; a record per layer (and the same as post). */
static il_status exact_draw(const il_net *net, il_net_ws *ws, exact_ws *e, slot *s, int want_post,
                            size_t cov_limit)
{
    size_t k = net->n_in, layer = 0;
    for (size_t i = 0; i < k; i++) {
        e->mu[i] = 0.0;
        for (size_t j = 0; j < k; j++)
            e->S[i * k + j] = i == j ? (net->input_var ? net->input_var[i] : 1.0) : 0.0;
    }
    for (size_t o = 0; o < net->n_ops; o++) {
        const il_op *op = &net->ops[o];
        if (op->kind != IL_OP_LINEAR)
            continue;
        size_t n = op->width, l = layer++;
        const double *W = il_net_weight(ws, l + 1), *b = il_net_bias(ws, l + 1);
        /* mu = W mu + b, Sigma = (W Sigma) W^T, symmetrised */
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)k, 1.0, W, (int)k, e->mu, 1, 0.0, e->mu2, 1);
        for (size_t i = 0; i < n; i++)
            e->mu[i] = b ? e->mu2[i] + b[i] : e->mu2[i];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)k, (int)k, 1.0, W, (int)k, e->S, (int)k,
                    0.0, e->T, (int)k);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)n, (int)k, 1.0, e->T, (int)k, W, (int)k,
                    0.0, e->S, (int)n);
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                e->S[i * n + j] = e->S[j * n + i] = 0.5 * (e->S[i * n + j] + e->S[j * n + i]);
        for (size_t i = 0; i < n; i++)
            if (!isfinite(e->mu[i]) || !isfinite(e->S[i * n + i])) {
                s->bad_layer = l + 1;
                return IL_ENUMERIC;
            }
        exact_record(&s->pre[l], e->mu, e->S, n, n <= cov_limit, e);
        if (want_post) {
            /* identity activations: what leaves the layer is its linear output */
            il_layer_draw *p = &s->post[l];
            size_t nd = n + (n <= cov_limit ? n * (n + 1) / 2 : n);
            memcpy(p->mvec, s->pre[l].mvec, n * sizeof *p->mvec);
            memcpy(p->sec, s->pre[l].sec, (nd - n) * sizeof *p->sec);
            p->mbar = s->pre[l].mbar, p->q = s->pre[l].q, p->m4 = s->pre[l].m4, p->within = s->pre[l].within;
            p->offdiag = s->pre[l].offdiag, p->mpair = s->pre[l].mpair;
            memcpy(p->mpow, s->pre[l].mpow, sizeof p->mpow);
        }
        k = n;
    }
    return IL_OK;
}

/* ---- the engine: per-draw records, computed in parallel, accumulated in draw order -------------------- */

struct il_mc_engine {
    il_mc_cfg cfg;
    size_t L, units, T;
    size_t sd, rec;       /* doubles of a record's layer data, of the whole record */
    size_t cap;           /* draws per il_mc_engine_compute */
    size_t sc, tsz, nmx;  /* matrix scratch, per-thread scratch (doubles), the widest layer */
    size_t *widths;       /* L + 1 */
    size_t *uoff;         /* units: offset of each unit's mvec in a record */
    il_net_ws **ws;       /* T */
    il_net_ws *fixed;
    double *scratch;      /* T x tsz */
    slot *views;          /* T */
    il_layer_draw *views_mem;
    double *records;      /* cap x rec */
};

static void pack_scalars(double *p, const il_layer_draw *d)
{
    p[0] = d->mbar, p[1] = d->q, p[2] = d->m4, p[3] = d->within, p[4] = d->offdiag;
    p[5] = d->mpow[0], p[6] = d->mpow[1], p[7] = d->mpow[2], p[8] = d->mpow[3], p[9] = d->mpair;
}

static void unpack_scalars(il_layer_draw *d, const double *p)
{
    d->mbar = p[0], d->q = p[1], d->m4 = p[2], d->within = p[3], d->offdiag = p[4];
    d->mpow[0] = p[5], d->mpow[1] = p[6], d->mpow[2] = p[7], d->mpow[3] = p[8], d->mpair = p[9];
}

static il_status rec_status(const il_mc_engine *e, const double *r)
{
    return (il_status)(int)r[e->sd + e->units * REC_SCALARS];
}

/* The checks il_mc_run makes before it starts. */
static il_status check_cfg(const il_mc_cfg *cfg)
{
    char err[256];
    if (cfg->draws < 1 || cfg->threads < 1 || cfg->cov_limit > 4096)
        return IL_EINVAL;
    IL_TRY(il_net_check(cfg->net, cfg->batch, err, sizeof err));
    if (cfg->exact && (cfg->fixed_net || cfg->float32 || !il_mc_exact_supported(cfg->net, err, sizeof err)))
        return IL_EINVAL;
    return IL_OK;
}

void il_mc_engine_free(il_mc_engine *e)
{
    if (!e)
        return;
    if (e->ws)
        for (size_t t = 0; t < e->T; t++)
            il_net_ws_free(e->ws[t]);
    il_net_ws_free(e->fixed);
    free(e->ws);
    free(e->scratch);
    free(e->records);
    free(e->views_mem);
    free(e->views);
    free(e->uoff);
    free(e->widths);
    free(e);
}

il_status il_mc_engine_alloc(const il_mc_cfg *cfg, il_mc_engine **out)
{
    *out = NULL;
    IL_TRY(check_cfg(cfg));
    il_mc_engine *e = calloc(1, sizeof *e);
    if (!e)
        return IL_ENOMEM;
    il_status rc = IL_ENOMEM;
    const il_net *net = cfg->net;
    e->cfg = *cfg;
    e->L = il_net_layers(net);
    e->units = cfg->want_post ? 2 * e->L : e->L;
    e->T = (size_t)cfg->threads;
    e->cap = group_size(cfg);
    e->widths = malloc((e->L + 1) * sizeof *e->widths);
    e->uoff = malloc(e->units * sizeof *e->uoff);
    e->views = calloc(e->T, sizeof *e->views);
    e->views_mem = calloc(e->T * e->units, sizeof *e->views_mem);
    e->ws = calloc(e->T, sizeof *e->ws);
    if (!e->widths || !e->uoff || !e->views || !e->views_mem || !e->ws)
        goto done;
    il_net_widths(net, e->widths);
    e->sd = slot_doubles(net, e->widths, cfg->cov_limit, cfg->want_post);
    e->rec = record_doubles(net, e->widths, cfg->cov_limit, cfg->want_post);
    for (size_t u = 0, off = 0; u < e->units; u++) {
        e->uoff[u] = off;
        off += layer_doubles(e->widths[u % e->L + 1], cfg->cov_limit);
    }
    e->sc = scratch_doubles(e->widths, e->L, cfg->cov_limit);
    e->nmx = il_net_max_width(net);
    /* the exact estimator's workspace instead of the stash of a pending layer */
    size_t stash_n = cfg->exact ? 4 * e->nmx + 3 * e->nmx * e->nmx : cfg->batch * e->nmx;
    e->tsz = 2 * e->sc + stash_n;
    e->records = malloc(e->cap * e->rec * sizeof *e->records);
    e->scratch = malloc(e->T * e->tsz * sizeof *e->scratch);
    if (!e->records || !e->scratch)
        goto done;
    for (size_t t = 0; t < e->T; t++) {
        e->views[t].pre = e->views_mem + t * e->units;
        e->views[t].post = cfg->want_post ? e->views[t].pre + e->L : NULL;
        if (!(e->ws[t] = cfg->float32 ? il_net_ws_alloc_f32(net, cfg->batch) : il_net_ws_alloc(net, cfg->batch)))
            goto done;
    }
    if (cfg->fixed_net) {
        il_rng r;
        if (!(e->fixed = il_net_ws_alloc(net, 1)))
            goto done;
        il_rng_seed_draw(&r, cfg->seed, IL_MC_FIXED_STREAM);
        if ((rc = il_net_draw_weights(net, e->fixed, &r)) != IL_OK)
            goto done;
        for (size_t t = 0; t < e->T; t++)
            il_net_copy_weights(net, e->fixed, e->ws[t]);
    }
    rc = IL_OK;
done:
    if (rc != IL_OK)
        il_mc_engine_free(e);
    else
        *out = e;
    return rc;
}

il_status il_mc_engine_shape(const il_mc_cfg *cfg, size_t *capacity, size_t *record)
{
    IL_TRY(check_cfg(cfg));
    size_t L = il_net_layers(cfg->net);
    size_t *widths = malloc((L + 1) * sizeof *widths);
    if (!widths)
        return IL_ENOMEM;
    il_net_widths(cfg->net, widths);
    *record = record_doubles(cfg->net, widths, cfg->cov_limit, cfg->want_post);
    *capacity = group_size(cfg);
    free(widths);
    return IL_OK;
}

size_t il_mc_engine_capacity(const il_mc_engine *e)
{
    return e->cap;
}

size_t il_mc_engine_record_doubles(const il_mc_engine *e)
{
    return e->rec;
}

double *il_mc_engine_records(il_mc_engine *e)
{
    return e->records;
}

/* One draw, on thread t, into its record r. */
static void compute_one(il_mc_engine *e, int t, size_t draw, double *r)
{
    const il_mc_cfg *cfg = &e->cfg;
    const il_net *net = cfg->net;
    il_net_ws *w = e->ws[t];
    double *sk = e->scratch + (size_t)t * e->tsz;
    slot *s = &e->views[t];
    s->store = r;
    s->bad_layer = 0;
    slot_layout(s, e->widths, e->L, cfg->cov_limit, cfg->want_post);
    il_rng rng;
    il_rng_seed_draw(&rng, cfg->seed, (uint64_t)draw);
    visit_ctx vc = {s, cfg->cov_limit, {sk, sk + e->sc}, sk + 2 * e->sc, {0}, 0, 0};
    if (cfg->exact) {
        size_t nmx = e->nmx;
        double *q = sk + 2 * e->sc;
        exact_ws x = {q, q + nmx, q + 2 * nmx, q + 2 * nmx + nmx * nmx, q + 2 * nmx + 2 * nmx * nmx,
                      q + 2 * nmx + 3 * nmx * nmx};
        s->rc = il_net_draw_weights(net, w, &rng);
        if (s->rc == IL_OK)
            s->rc = exact_draw(net, w, &x, s, cfg->want_post, cfg->cov_limit);
    } else if (cfg->float32)
        s->rc = cfg->fixed_net ? il_net_forward_f32(net, w, &rng, cfg->want_post, visit_layer, &vc, &s->bad_layer)
                               : il_net_draw_forward_f32(net, w, &rng, cfg->want_post, visit_layer, &vc,
                                                         &s->bad_layer);
    else if (cfg->fixed_net)
        s->rc = il_net_forward(net, w, &rng, cfg->want_post, visit_layer, &vc, &s->bad_layer);
    else
        s->rc = il_net_draw_forward(net, w, &rng, cfg->want_post, visit_layer, &vc, &s->bad_layer);
    visit_flush(&vc);
    double *tail = r + e->sd;
    for (size_t u = 0; u < e->units; u++)
        pack_scalars(tail + u * REC_SCALARS, u < e->L ? &s->pre[u] : &s->post[u - e->L]);
    tail[e->units * REC_SCALARS] = (double)s->rc;
    tail[e->units * REC_SCALARS + 1] = (double)s->bad_layer;
}

/* Draws per grab of the dynamic schedule: small enough that a thread descheduled by other load does not
 * hold up the group, large enough that grabbing costs nothing. */
static int dyn_chunk(size_t n, size_t T)
{
    size_t c = n / (8 * T);
    return c < 1 ? 1 : c > 16 ? 16 : (int)c;
}

/* Inside a parallel region of e->T threads: draws first..first+n-1 into records[0..n-1], in any order on
 * any thread (each depends only on its index). */
static void compute_draws(il_mc_engine *e, size_t first, size_t n, double *records)
{
    const int t = omp_get_thread_num(), chunk = dyn_chunk(n, e->T);
#pragma omp for schedule(dynamic, chunk)
    for (size_t k = 0; k < n; k++)
        compute_one(e, t, first + k, records + k * e->rec);
}

void il_mc_engine_compute(il_mc_engine *e, size_t first, size_t n, double *records)
{
#pragma omp parallel num_threads(e->cfg.threads)
    compute_draws(e, first, n, records);
}

/* The number of leading records of n without a failed draw. */
static size_t leading_ok(const il_mc_engine *e, const double *records, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (rec_status(e, records + k * e->rec) != IL_OK)
            return k;
    return n;
}

/* Pushes records 0..n-1 into the accumulator of unit u (layer u % L, pre or post), in draw order, and
 * mirrors its matrix. */
static void reduce_unit(const il_mc_engine *e, const double *records, size_t n, il_mc_result *res, size_t u)
{
    size_t L = e->L, l = u % L, width = e->widths[l + 1];
    il_layer_acc *a = u >= L ? &res->post[l] : &res->pre[l];
    il_layer_draw d;
    for (size_t k = 0; k < n; k++) {
        const double *r = records + k * e->rec;
        d.mvec = (double *)r + e->uoff[u];
        d.sec = d.mvec + width;
        unpack_scalars(&d, r + e->sd + u * REC_SCALARS);
        if (a->full)
            il_layer_acc_push_upper(a, &d);
        else
            il_layer_acc_push(a, &d);
    }
    il_layer_acc_mirror(a);
}

/* Inside a parallel region: accumulates the leading records of n that have no failed draw, each unit in
 * draw order, one unit per thread at a time (units are independent); returns their number. Every thread
 * finds the first failed draw for itself (a scan of n flags, no barrier). */
static size_t reduce_draws(const il_mc_engine *e, const double *records, size_t n, il_mc_result *res)
{
    size_t ok = leading_ok(e, records, n);
#pragma omp for schedule(dynamic, 1)
    for (size_t u = 0; u < e->units; u++)
        reduce_unit(e, records, ok, res, u);
    return ok;
}

/* After reduce_draws stopped at record ok of a part that starts at draw first: the failure. */
static il_status note_failure(const il_mc_engine *e, const double *records, size_t ok, size_t first,
                              il_mc_result *res)
{
    const double *r = records + ok * e->rec;
    res->bad_layer = (size_t)r[e->sd + e->units * REC_SCALARS + 1];
    res->bad_draw = first + ok;
    return rec_status(e, r);
}

il_status il_mc_run(const il_mc_cfg *cfg, il_mc_result *res)
{
    il_mc_engine *e;
    IL_TRY(il_mc_engine_alloc(cfg, &e));
    const il_mc_remote *rem = cfg->remote;
    const size_t T = e->T, parts = rem && rem->parts > 1 ? rem->parts : 1;
    /* a group is split into parts, each at most one engine's capacity (here and on the remote side) */
    size_t per_part = rem && rem->part_cap < e->cap ? rem->part_cap : e->cap, G = parts * per_part;
    if (per_part < 1) {
        il_mc_engine_free(e);
        return IL_EINVAL;
    }
    G = G < cfg->draws ? G : cfg->draws;
    il_status rc = IL_OK;
    size_t done_draws = res->draws_done;
    const size_t start_draws = done_draws;
    size_t g_cur = parts * T * IL_MC_SLOTS_START < G ? parts * T * IL_MC_SLOTS_START : G;
    int halt = 0;
    while (done_draws < cfg->draws && !halt) {
        size_t n = cfg->draws - done_draws < g_cur ? cfg->draws - done_draws : g_cur;
        double t0 = omp_get_wtime();
        size_t base = done_draws, n_ok = 0, n0 = n / parts;
        if (parts > 1)
            rem->assign(rem->ctx, base, n);
        /* part 0, here: the draws, then the accumulators, in one parallel region */
#pragma omp parallel num_threads(cfg->threads)
        {
            compute_draws(e, base, n0, e->records);
            size_t ok = reduce_draws(e, e->records, n0, res);
#pragma omp master
            n_ok = ok;
        }
        if (n_ok < n0) {
            rc = note_failure(e, e->records, n_ok, base, res);
            halt = 1;
        }
        /* the other parts, in order: each is fetched (all of them, so that nothing is left in flight) and
         * accumulated unless an earlier draw failed */
        for (size_t p = 1; p < parts; p++) {
            size_t first = base + n * p / parts, np = base + n * (p + 1) / parts - first;
            const double *recs = rem->fetch(rem->ctx, p);
            if (!recs) {
                rc = halt ? rc : IL_EIO;
                halt = 1;
            }
            if (halt || np == 0)
                continue;
            size_t ok = 0;
#pragma omp parallel num_threads(cfg->threads)
            {
                size_t k = reduce_draws(e, recs, np, res);
#pragma omp master
                ok = k;
            }
            n_ok += ok;
            if (ok < np) {
                rc = note_failure(e, recs, ok, first, res);
                halt = 1;
            }
        }
        done_draws += n_ok;
        if (omp_get_wtime() - t0 < IL_MC_GROUP_SECONDS) {
            size_t next = done_draws - start_draws;
            next = next > g_cur ? next : g_cur;
            g_cur = next < G ? next : G;
        }
        res->draws_done = done_draws;
        if (cfg->progress)
            cfg->progress(cfg->progress_ctx, done_draws, cfg->draws);
        if (!halt && cfg->stop && *cfg->stop && done_draws < cfg->draws) {
            rc = IL_EINTR;
            halt = 1;
        }
    }
    il_mc_engine_free(e);
    return rc;
}

/* ---- choosing the batch ------------------------------------------------------------------------------ */

/* One pilot: D draws at batch B; seconds per draw, and the fluctuation means of the chosen layer. */
static il_status pilot(const il_mc_cfg *cfg, size_t D, size_t B, size_t layer, int post, double *secs,
                       double *m1, double *m2, double *mp)
{
    il_mc_cfg c = *cfg;
    c.draws = D;
    c.batch = B;
    c.seed = cfg->seed ^ 0x9e3779b97f4a7c15ULL; /* independent of the run that follows */
    c.want_post = post;
    c.progress = NULL;
    c.stop = NULL;
    c.exact = 0;
    il_mc_result res;
    IL_TRY(il_mc_result_init(&res, &c));
    double t = omp_get_wtime();
    il_status rc = il_mc_run(&c, &res);
    *secs = (omp_get_wtime() - t) / (double)D;
    if (rc == IL_OK) {
        const il_fluct_acc *f = post ? &res.post[layer - 1].fl : &res.pre[layer - 1].fl;
        *m1 = f->mean[0];
        *m2 = f->mean[1];
        *mp = f->mean[4];
    }
    il_mc_result_release(&res);
    return rc;
}

static double plan_cost(const il_mc_plan *p, double B)
{
    return (p->v_between + p->v_within / B) * (p->t0 + p->t1 * B);
}

il_status il_mc_plan_batch(const il_mc_cfg *cfg, size_t layer, int post, size_t b_max, double pilot_seconds,
                           il_mc_plan *out)
{
    if (layer < 1 || layer > il_net_layers(cfg->net) || b_max < 2 || !(pilot_seconds > 0.0))
        return IL_EINVAL;
    memset(out, 0, sizeof *out);
    size_t b1 = cfg->batch < 2 ? 2 : cfg->batch > b_max ? b_max : cfg->batch;
    size_t b2 = 4 * b1 <= b_max ? 4 * b1 : b_max;
    if (b2 == b1)
        b1 = b2 / 4 > 2 ? b2 / 4 : 2;
    /* a short run to size the pilots, then two of about pilot_seconds / 2 each */
    double s1, s2, a1, a2, q1, q2, p1, p2;
    size_t D = 16;
    IL_TRY(pilot(cfg, D, b2, layer, post, &s2, &a2, &q2, &p2));
    double per = 0.5 * pilot_seconds / (s2 > 0.0 ? s2 : 1e-9);
    D = per < 32.0 ? 32 : per > 1e6 ? 1000000 : (size_t)per;
    IL_TRY(pilot(cfg, D, b1, layer, post, &s1, &a1, &q1, &p1));
    IL_TRY(pilot(cfg, D, b2, layer, post, &s2, &a2, &q2, &p2));
    /* V_b = E[M_a M_b] - E[M]^2, V_w = E[M^2] - E[M_a M_b]: both pilots estimate them; averaged */
    double m1 = 0.5 * (a1 + a2), mm = 0.5 * (q1 + q2), mp = 0.5 * (p1 + p2);
    out->v_between = mp - m1 * m1;
    out->v_within = mm - mp;
    out->t1 = (s2 - s1) / (double)(b2 - b1);
    if (!(out->t1 > 0.0))
        out->t1 = 1e-12;
    out->t0 = s1 - out->t1 * (double)b1;
    if (!(out->t0 > 0.0))
        out->t0 = 1e-12;
    out->pilot_draws = D;
    out->pilot_b1 = b1;
    out->pilot_b2 = b2;
    double bstar;
    if (!(out->v_within > 0.0))
        bstar = 1.0;
    else if (!(out->v_between > 0.0))
        bstar = (double)b_max;
    else
        bstar = sqrt(out->v_within * out->t0 / (out->v_between * out->t1));
    if (!(bstar >= 1.0))
        bstar = 1.0;
    if (bstar > (double)b_max)
        bstar = (double)b_max;
    size_t lo = (size_t)floor(bstar), hi = lo < b_max ? lo + 1 : lo;
    out->batch = plan_cost(out, (double)lo) <= plan_cost(out, (double)hi) ? lo : hi;
    out->cost = plan_cost(out, (double)out->batch);
    out->cost_given = plan_cost(out, (double)cfg->batch);
    return IL_OK;
}
