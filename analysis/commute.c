/* commute.c: does dropout commute with an activation? (see commute.h) */
#include "commute.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* The criterion's grid (see commute.h). */
#define GRID_HALF 30.0        /* linear grid on [-GRID_HALF, GRID_HALF] ... */
#define GRID_STEPS_PER_UNIT 1024 /* ... with step 2^-10 (exact in binary) */
#define GRID_GEO_MAX 4000     /* geometric grid +-2^(k/4), |k| <= GRID_GEO_MAX */
#define GRID_GEO_LIMIT 0x1p1000 /* |c y| stays below this (so c phi(y) is finite too) */
#define CX_REL 0.01           /* a counterexample must differ by more than 1 % (relative) */

void il_commute_opts_default(il_commute_opts *o)
{
    o->ulps = IL_COMMUTE_ULPS;
    o->alpha = IL_VERDICT_ALPHA;
    o->tol = IL_COMMUTE_TOL;
    o->beta = IL_VERDICT_BETA;
    o->threads = 1;
}

static il_status opts_check(const il_commute_opts *o)
{
    int ok = o->ulps >= 0.0 && isfinite(o->ulps) && o->alpha > 0.0 && o->alpha < 0.5 && o->tol > 0.0 &&
             isfinite(o->tol) && o->beta > 0.0 && o->beta < 0.5 && o->threads >= 1;
    return ok ? IL_OK : IL_EINVAL;
}

il_status il_commute_case_check(const il_commute_case *c, char *err, size_t errlen)
{
    if (!c) {
        snprintf(err, errlen, "no case");
        return IL_EINVAL;
    }
    if (c->kind != IL_DROP_INVERTED && c->kind != IL_DROP_CLASSIC) {
        snprintf(err, errlen, "the dropout kind must be inverted or classic");
        return IL_EINVAL;
    }
    if (!(c->p >= 0.0 && c->p <= 1.0)) {
        snprintf(err, errlen, "the drop probability must be in [0, 1], got %g", c->p);
        return IL_EINVAL;
    }
    if (c->p == 1.0 && c->kind == IL_DROP_INVERTED) {
        snprintf(err, errlen, "p = 1 is not defined for inverted dropout: kept units are scaled by 1/(1-p) = "
                              "1/0 (use p < 1, or classic dropout)");
        return IL_EINVAL;
    }
    if ((unsigned)c->act.kind >= (unsigned)IL_ACT_COUNT) {
        snprintf(err, errlen, "unknown activation");
        return IL_EINVAL;
    }
    return IL_OK;
}

double il_commute_keep_value(const il_commute_case *c)
{
    return c->kind == IL_DROP_INVERTED ? 1.0 / (1.0 - c->p) : 1.0;
}

double il_commute_test_scale(const il_commute_case *c)
{
    return c->kind == IL_DROP_INVERTED ? 1.0 : 1.0 - c->p;
}

double il_commute_mask_var(const il_commute_case *c)
{
    return c->kind == IL_DROP_INVERTED ? c->p / (1.0 - c->p) : c->p * (1.0 - c->p);
}

const char *il_commute_dist_name(il_commute_dist_status s)
{
    switch (s) {
    case IL_COMMUTE_SAME: return "same";
    case IL_COMMUTE_DIFFER: return "differ";
    case IL_COMMUTE_INCONCLUSIVE: return "inconclusive";
    }
    return "unknown";
}

const char *il_commute_levels_name(il_commute_levels l)
{
    switch (l) {
    case IL_COMMUTE_AGREE: return "agree";
    case IL_COMMUTE_PARTIAL: return "partial";
    case IL_COMMUTE_DISAGREE: return "disagree";
    }
    return "unknown";
}

/* The ulp-aware equality of commute.h. */
static int ulp_equal(double a, double b, double ulps)
{
    if (a == b)
        return 1;
    if (isnan(a) || isnan(b))
        return 0;
    double d = fabs(a - b), s = fmax(fabs(a), fabs(b));
    return d <= ulps * DBL_EPSILON * s || d <= ulps * DBL_TRUE_MIN;
}

static double rel_diff(double a, double b)
{
    double s = fmax(fabs(a), fabs(b));
    return s > 0.0 ? fabs(a - b) / s : 0.0;
}

/* ---- the criterion ---- */

typedef struct {
    const il_act *act;
    double c, ulps;
    il_commute_criterion *out;
    double cx_abs;      /* |y| of the current 1 % counterexample (inf: none yet) */
    double max_y;       /* y of the largest difference */
} crit_state;

/* Compares phi(fl(c y)) with fl(c phi(y)) at one point; lin: y is on the linear grid. */
static void crit_point(crit_state *s, double y, int lin)
{
    double cy = s->c * y;
    if (!isfinite(cy) || fabs(cy) > GRID_GEO_LIMIT)
        return;
    double a = il_act_eval(s->act, cy), b = s->c * il_act_eval(s->act, y);
    if (!isfinite(a) || !isfinite(b))
        return;
    il_commute_criterion *o = s->out;
    o->points++;
    if (ulp_equal(a, b, s->ulps))
        return;
    o->failures++;
    double d = fabs(a - b);
    if (d > o->max_abs_diff) {
        o->max_abs_diff = d;
        s->max_y = y;
    }
    if (lin && rel_diff(a, b) > CX_REL && fabs(y) < s->cx_abs) {
        s->cx_abs = fabs(y);
        o->has_cx = 1;
        o->cx_y = y;
        o->cx_m = s->c;
        o->cx_drop_first = a;
        o->cx_act_first = b;
    }
}

/* The kinks of phi: where its formula changes. */
static size_t kinks(const il_act *a, double *k)
{
    switch (a->kind) {
    case IL_ACT_RELU6: k[0] = 0.0; k[1] = 6.0; return 2;
    case IL_ACT_HARDTANH: k[0] = a->p1; k[1] = a->p2; k[2] = 0.0; return 3;
    case IL_ACT_SOFTPLUS: k[0] = a->p2 / a->p1; k[1] = 0.0; return 2;
    default: k[0] = 0.0; return 1;
    }
}

il_status il_commute_criterion_check(const il_commute_case *c, double ulps, il_commute_criterion *out)
{
    char err[160];
    if (!out || il_commute_case_check(c, err, sizeof err) != IL_OK || !(ulps >= 0.0))
        return IL_EINVAL;
    memset(out, 0, sizeof *out);
    const il_act *act = &c->act;
    out->c = il_commute_keep_value(c);
    out->need_zero = c->p > 0.0;
    out->need_scale = c->kind == IL_DROP_INVERTED && c->p > 0.0;
    out->phi0 = il_act_eval(act, 0.0);
    out->zero_ok = ulp_equal(out->phi0, 0.0, ulps) && ulp_equal(il_act_eval(act, -0.0), 0.0, ulps);
    out->scale_ok = 1;
    out->cx_y = out->cx_m = out->cx_drop_first = out->cx_act_first = NAN;
    if (out->need_scale) {
        crit_state s = {act, out->c, ulps, out, INFINITY, NAN};
        long nlin = (long)(2.0 * GRID_HALF * GRID_STEPS_PER_UNIT);
        for (long k = 0; k <= nlin; k++)
            crit_point(&s, -GRID_HALF + (double)k / GRID_STEPS_PER_UNIT, 1);
        for (int k = -GRID_GEO_MAX; k <= GRID_GEO_MAX; k++) {
            double y = exp2((double)k / 4.0);
            crit_point(&s, y, 0);
            crit_point(&s, -y, 0);
        }
        double sp[] = {0.0, -0.0, DBL_MIN, -DBL_MIN, DBL_TRUE_MIN, -DBL_TRUE_MIN, 1.0, -1.0};
        for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++)
            crit_point(&s, sp[i], 0);
        double kk[3];
        size_t nk = kinks(act, kk);
        for (size_t i = 0; i < nk; i++) {
            double pts[] = {kk[i], kk[i] / out->c, kk[i] * out->c};
            for (size_t j = 0; j < 3; j++) {
                crit_point(&s, pts[j], 0);
                crit_point(&s, nextafter(pts[j], INFINITY), 0);
                crit_point(&s, nextafter(pts[j], -INFINITY), 0);
            }
        }
        out->scale_ok = out->failures == 0;
        if (!out->scale_ok && !out->has_cx) {
            double y = s.max_y;
            out->has_cx = 1;
            out->cx_y = y;
            out->cx_m = out->c;
            out->cx_drop_first = il_act_eval(act, out->c * y);
            out->cx_act_first = out->c * il_act_eval(act, y);
        }
    }
    /* phi(0) != 0 gives the simplest counterexample: any y with a dropped unit. */
    if (out->need_zero && !out->zero_ok) {
        out->has_cx = 1;
        out->cx_y = 1.0;
        out->cx_m = 0.0;
        out->cx_drop_first = il_act_eval(act, 0.0 * 1.0);
        out->cx_act_first = 0.0 * il_act_eval(act, 1.0);
    }
    out->holds = (!out->need_zero || out->zero_ok) && (!out->need_scale || out->scale_ok);
    return IL_OK;
}

/* ---- the inputs ---- */

typedef struct {
    size_t layer;
    double *out;
} grab_ctx;

static void grab(void *ctx, size_t layer, int post, const double *y, size_t batch, size_t width)
{
    grab_ctx *g = ctx;
    (void)batch;
    (void)width;
    if (!post && layer == g->layer)
        *g->out = y[0];
}

il_status il_commute_draw_inputs(const il_net *net, uint64_t seed, uint64_t draw0, size_t n, int threads,
                                 double *y, size_t *bad_draw, char *err, size_t errlen)
{
    if (!net || !y || threads < 1 || n == 0) {
        snprintf(err, errlen, "no network, no output or no threads");
        return IL_EINVAL;
    }
    if (il_net_check(net, 1, err, errlen) != IL_OK)
        return IL_EINVAL;
    size_t L = il_net_layers(net);
    if (L < 1) {
        snprintf(err, errlen, "the network has no linear layer");
        return IL_EINVAL;
    }
    il_status rc = IL_OK;
    size_t first_bad = SIZE_MAX;
    int nomem = 0;
#pragma omp parallel num_threads(threads)
    {
        il_net_ws *ws = il_net_ws_alloc(net, 1);
        if (!ws) {
#pragma omp atomic write
            nomem = 1;
        }
#pragma omp barrier
        if (!nomem) {
#pragma omp for schedule(static)
            for (size_t i = 0; i < n; i++) {
                il_rng r;
                size_t bad_layer;
                grab_ctx g = {L, &y[i]};
                il_rng_seed_draw(&r, seed, draw0 + i);
                il_status st = il_net_draw_weights(net, ws, &r);
                if (st == IL_OK)
                    st = il_net_forward(net, ws, &r, 0, grab, &g, &bad_layer);
                if (st == IL_OK && !isfinite(y[i]))
                    st = IL_ENUMERIC;
                if (st != IL_OK) {
#pragma omp critical(il_commute_draw)
                    if (i < first_bad) {
                        first_bad = i;
                        rc = st;
                    }
                }
            }
        }
        il_net_ws_free(ws);
    }
    if (nomem)
        return IL_ENOMEM;
    if (rc != IL_OK) {
        if (bad_draw)
            *bad_draw = first_bad;
        snprintf(err, errlen, "%s in network draw %zu", il_strerror(rc), first_bad);
    }
    return rc;
}

/* ---- one case ---- */

/* Per-thread workspace. */
typedef struct {
    double *phi_y;   /* n1: phi(y) */
    double *mask;    /* n1: masks of pool A */
    double *drop;    /* n1: phi(m y), the dropout-first outputs */
    double *aux;     /* n1: phi(c y), then phi(s y) */
    double *outb;    /* n2: m' phi(y'), the act-first outputs of pool B */
    double *maskb;   /* n2 */
    uint64_t *ka, *kb, *scr; /* n1, n2, max(n1, n2) keys */
} work;

static void work_free(work *w)
{
    free(w->phi_y);
    free(w->mask);
    free(w->drop);
    free(w->aux);
    free(w->outb);
    free(w->maskb);
    free(w->ka);
    free(w->kb);
    free(w->scr);
}

static il_status work_alloc(work *w, size_t n1, size_t n2)
{
    size_t nm = n1 > n2 ? n1 : n2;
    memset(w, 0, sizeof *w);
    w->phi_y = malloc(n1 * sizeof(double));
    w->mask = malloc(n1 * sizeof(double));
    w->drop = malloc(n1 * sizeof(double));
    w->aux = malloc(n1 * sizeof(double));
    w->outb = malloc(n2 * sizeof(double));
    w->maskb = malloc(n2 * sizeof(double));
    w->ka = malloc(n1 * sizeof(uint64_t));
    w->kb = malloc(n2 * sizeof(uint64_t));
    w->scr = malloc(nm * sizeof(uint64_t));
    if (!w->phi_y || !w->mask || !w->drop || !w->aux || !w->outb || !w->maskb || !w->ka || !w->kb || !w->scr) {
        work_free(w);
        return IL_ENOMEM;
    }
    return IL_OK;
}

size_t il_commute_memory(size_t n1, size_t n2, int threads)
{
    size_t nm = n1 > n2 ? n1 : n2;
    double per = 8.0 * (5.0 * (double)n1 + 3.0 * (double)n2 + (double)nm);
    double tot = per * (threads > 0 ? threads : 1);
    return tot >= (double)SIZE_MAX ? SIZE_MAX : (size_t)tot;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    while (*s) {
        h ^= (unsigned char)*s++;
        h *= 1099511628211ULL;
    }
    return h;
}

/* The two mask draw numbers of a case (>= 2^63, see commute.h). */
static void mask_draws(const il_commute_case *c, uint64_t *sa, uint64_t *sb)
{
    char spec[128], key[256];
    il_act_format(&c->act, spec, sizeof spec);
    snprintf(key, sizeof key, "%s|%.17g|%s", spec, c->p, il_drop_name(c->kind));
    uint64_t base = (fnv1a(key) & 0x3fffffffffffffffULL) << 1;
    *sa = (UINT64_C(1) << 63) | base;
    *sb = *sa | 1u;
}

static int all_finite(const double *x, size_t n)
{
    double acc = 0.0;
    for (size_t i = 0; i < n; i++)
        acc += x[i] * 0.0;
    return acc == 0.0;
}

/* Mean, unbiased variance and the fourth central moment (divided by n) of x[0..n-1]. */
static void moments(const double *x, size_t n, double *mean, double *var, double *m4)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    double m = s / (double)n, s2 = 0.0, s4 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - m, d2 = d * d;
        s2 += d2;
        s4 += d2 * d2;
    }
    *mean = m;
    *var = s2 / (double)(n - 1);
    *m4 = s4 / (double)n;
}

/* The effect of commute.h: the KS distance between the two laws, estimated on common inputs. a[i] =
 * phi(c y_i), phi_y[i] = phi(y_i). Uses w->ka, w->kb, w->scr. */
static double effect_ks(const double *a, const double *phi_y, double c, size_t n, double p, double phi0,
                        double ulps, work *w)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        double b = c * phi_y[i];
        if (!ulp_equal(a[i], b, ulps)) {
            w->ka[k] = il_ks_key(a[i]);
            w->kb[k] = il_ks_key(b);
            k++;
        }
    }
    il_ks_sort_keys(w->ka, k, w->scr);
    il_ks_sort_keys(w->kb, k, w->scr);
    /* Atoms: +p at phi(0) (dropout first), -p at 0 (act first); they cancel when phi(0) = 0. */
    int atoms = p > 0.0 && !ulp_equal(phi0, 0.0, ulps);
    uint64_t at_pos[2] = {il_ks_key(phi0), il_ks_key(0.0)};
    double at_w[2] = {p, -p};
    int at_done[2] = {!atoms, !atoms};
    double wt = (1.0 - p) / (double)n, best = 0.0;
    long long cnt = 0; /* (# a <= t) - (# b <= t) among the differing pairs */
    double atom_cum = 0.0;
    size_t i = 0, j = 0;
    for (;;) {
        int have = 0;
        uint64_t v = UINT64_MAX;
        if (i < k) { v = w->ka[i]; have = 1; }
        if (j < k && (!have || w->kb[j] < v)) { v = w->kb[j]; have = 1; }
        for (int t = 0; t < 2; t++)
            if (!at_done[t] && (!have || at_pos[t] < v)) { v = at_pos[t]; have = 1; }
        if (!have)
            break;
        while (i < k && w->ka[i] == v) { cnt++; i++; }
        while (j < k && w->kb[j] == v) { cnt--; j++; }
        for (int t = 0; t < 2; t++)
            if (!at_done[t] && at_pos[t] == v) { atom_cum += at_w[t]; at_done[t] = 1; }
        double cum = fabs(wt * (double)cnt + atom_cum);
        if (cum > best)
            best = cum;
    }
    return best;
}

/* Fills a test-time block from paired train and test outputs (train[i], test[i]), given as
 * train = ta * xa[i] and test = tb * xb[i] to avoid copies. */
static void testtime(const double *xa, double ta, const double *xb, double tb, size_t n, il_commute_testtime *t)
{
    double sa = 0.0, sb = 0.0;
    for (size_t i = 0; i < n; i++) {
        sa += ta * xa[i];
        sb += tb * xb[i];
    }
    double ma = sa / (double)n, mb = sb / (double)n;
    double va = 0.0, vb = 0.0;
    for (size_t i = 0; i < n; i++) {
        double da = ta * xa[i] - ma, db = tb * xb[i] - mb;
        va += da * da;
        vb += db * db;
    }
    double g = ma - mb;
    double vad = va / (double)n, vbd = vb / (double)n;
    double gv = 0.0, iv = 0.0;
    for (size_t i = 0; i < n; i++) {
        double da = ta * xa[i] - ma, db = tb * xb[i] - mb;
        double e = (ta * xa[i] - tb * xb[i]) - g;
        double f = (da * da - db * db) - (vad - vbd); /* influence function of the variance gap */
        gv += e * e;
        iv += f * f;
    }
    double dn = (double)n;
    t->train_mean = ma;
    t->test_mean = mb;
    t->gap = g;
    t->gap_se = sqrt(gv / (dn - 1.0) / dn);
    t->train_var = va / (dn - 1.0);
    t->test_var = vb / (dn - 1.0);
    t->shift = t->train_var - t->test_var;
    t->shift_se = sqrt(iv / (dn - 1.0) / dn);
    t->var_ratio = t->test_var > 0.0 ? t->train_var / t->test_var : NAN;
    t->shift_formula = NAN;
}

/* Everything but the Holm-dependent parts, for one case. */
static il_status one_case(const il_commute_case *c, const double *ya, size_t n1, const double *yb, size_t n2,
                          uint64_t seed, const il_commute_opts *o, work *w, il_commute_row *row)
{
    const il_act *act = &c->act;
    const double p = c->p, cv = il_commute_keep_value(c), s = il_commute_test_scale(c);
    memset(row, 0, sizeof *row);
    row->c = *c;
    IL_TRY(il_commute_criterion_check(c, o->ulps, &row->crit));
    row->commutes = row->crit.holds;

    uint64_t sa, sb;
    il_rng ra, rb;
    mask_draws(c, &sa, &sb);
    il_rng_seed_draw(&ra, seed, sa);
    il_rng_seed_draw(&rb, seed, sb);

    /* Pool A: masks as sim/net.c draws them; dropout first = phi(m y) (mask, then activation, as the
     * engine applies them); phi(y) for act first. */
    il_rng_fill_bernoulli(&ra, w->mask, n1, 1.0 - p, cv);
    memcpy(w->phi_y, ya, n1 * sizeof(double));
    il_act_apply(act, w->phi_y, n1);
    for (size_t i = 0; i < n1; i++)
        w->drop[i] = ya[i] * w->mask[i];
    il_act_apply(act, w->drop, n1);
    /* Pool B: act first = phi(y') m'. */
    il_rng_fill_bernoulli(&rb, w->maskb, n2, 1.0 - p, cv);
    memcpy(w->outb, yb, n2 * sizeof(double));
    il_act_apply(act, w->outb, n2);
    for (size_t i = 0; i < n2; i++)
        w->outb[i] *= w->maskb[i];
    if (!all_finite(w->phi_y, n1) || !all_finite(w->drop, n1) || !all_finite(w->outb, n2))
        return IL_ENUMERIC;

    /* Pathwise: phi(m y) against m phi(y) on pool A. */
    il_commute_pathwise *pw = &row->path;
    pw->n = n1;
    for (size_t i = 0; i < n1; i++) {
        double a = w->drop[i], b = w->phi_y[i] * w->mask[i];
        pw->n_dropped += w->mask[i] == 0.0;
        if (!ulp_equal(a, b, o->ulps))
            pw->n_differ++;
        double d = fabs(a - b), r = rel_diff(a, b);
        if (d > pw->max_abs_diff)
            pw->max_abs_diff = d;
        if (r > pw->max_rel_diff)
            pw->max_rel_diff = r;
    }
    pw->frac_differ = (double)pw->n_differ / (double)n1;

    /* In distribution: dropout first from pool A, act first from pool B. */
    il_commute_dist *d = &row->dist;
    double m4a, m4b;
    d->n1 = n1;
    d->n2 = n2;
    moments(w->drop, n1, &d->mean_drop_first, &d->var_drop_first, &m4a);
    moments(w->outb, n2, &d->mean_act_first, &d->var_act_first, &m4b);
    d->mean_diff = d->mean_drop_first - d->mean_act_first;
    d->mean_se = sqrt(d->var_drop_first / (double)n1 + d->var_act_first / (double)n2);
    d->var_diff = d->var_drop_first - d->var_act_first;
    double qa = m4a - d->var_drop_first * d->var_drop_first, qb = m4b - d->var_act_first * d->var_act_first;
    d->var_se = sqrt(fmax(qa, 0.0) / (double)n1 + fmax(qb, 0.0) / (double)n2);
    for (size_t i = 0; i < n1; i++)
        w->ka[i] = il_ks_key(w->drop[i]);
    for (size_t i = 0; i < n2; i++)
        w->kb[i] = il_ks_key(w->outb[i]);
    il_ks_sort_keys(w->ka, n1, w->scr);
    il_ks_sort_keys(w->kb, n2, w->scr);
    d->ks.n1 = n1;
    d->ks.n2 = n2;
    d->ks.d = il_ks_stat_keys(w->ka, n1, w->kb, n2);
    d->ks.lambda = il_ks_lambda(d->ks.d, n1, n2);
    d->ks.p = il_ks_q(d->ks.lambda);

    /* The effect, from phi(c y) and c phi(y) on pool A. */
    for (size_t i = 0; i < n1; i++)
        w->aux[i] = cv * ya[i];
    il_act_apply(act, w->aux, n1);
    if (!all_finite(w->aux, n1))
        return IL_ENUMERIC;
    d->effect = effect_ks(w->aux, w->phi_y, cv, n1, p, row->crit.phi0, o->ulps, w);

    /* Test time, dropout after phi: train m phi(y), test s phi(y). */
    {
        /* train = mask[i] * phi_y[i]: reuse aux as the product */
        for (size_t i = 0; i < n1; i++)
            w->aux[i] = w->phi_y[i] * w->mask[i];
        testtime(w->aux, 1.0, w->phi_y, s, n1, &row->after);
        double e2 = 0.0;
        for (size_t i = 0; i < n1; i++)
            e2 += w->phi_y[i] * w->phi_y[i];
        row->after.shift_formula = il_commute_mask_var(c) * e2 / (double)n1;
    }
    /* Test time, dropout before phi: train phi(m y), test phi(s y). */
    if (s == 1.0) {
        testtime(w->drop, 1.0, w->phi_y, 1.0, n1, &row->before);
    } else {
        for (size_t i = 0; i < n1; i++)
            w->aux[i] = ya[i] * s;
        il_act_apply(act, w->aux, n1);
        if (!all_finite(w->aux, n1))
            return IL_ENUMERIC;
        testtime(w->drop, 1.0, w->aux, 1.0, n1, &row->before);
    }
    return IL_OK;
}

/* Per-pool size that gives power 1 - beta against effect at level a (NaN if effect is 0). */
static double needed(double effect, double a, double beta)
{
    if (!(effect > 0.0))
        return NAN;
    double f = (il_ks_q_inv(a) + 0.5 * gsl_cdf_ugaussian_Qinv(beta)) / effect; /* Stephens factor needed */
    double g = f - 0.12;
    double disc = g * g - 0.44;
    double r = disc > 0.0 ? 0.5 * (g + sqrt(disc)) : 1.0; /* sqrt(n_e) */
    return ceil(2.0 * r * r);                             /* equal pools: n_e = n / 2 */
}

static void append(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t n, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 3 >= n)
        return;
    if (len) {
        strcat(buf, "; ");
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, n - len, fmt, ap);
    va_end(ap);
}

static void decide(il_commute_row *row, const il_commute_opts *o)
{
    il_commute_dist *d = &row->dist;
    int differ = d->ks_reject || d->mean.verdict == IL_VERDICT_REFUTED || d->var.verdict == IL_VERDICT_REFUTED;
    int bounded = d->ks_upper <= o->tol;
    d->status = differ ? IL_COMMUTE_DIFFER
                : (bounded && d->effect == 0.0) ? IL_COMMUTE_SAME
                                                : IL_COMMUTE_INCONCLUSIVE;
    char *note = row->note;
    size_t nn = sizeof row->note;
    note[0] = '\0';
    int seen = row->path.n_differ > 0;
    if (row->commutes) {
        if (seen || d->status == IL_COMMUTE_DIFFER) {
            row->levels = IL_COMMUTE_DISAGREE;
            if (seen)
                append(note, nn, "criterion holds but %zu of %zu inputs differ pathwise", row->path.n_differ,
                       row->path.n);
            if (d->status == IL_COMMUTE_DIFFER)
                append(note, nn, "criterion holds but the distribution tests reject (chance <= %.3g over the run)",
                       o->alpha);
        } else if (d->status == IL_COMMUTE_SAME) {
            row->levels = IL_COMMUTE_AGREE;
        } else {
            row->levels = IL_COMMUTE_PARTIAL;
            append(note, nn, "distribution: no rejection, but the KS distance between the laws is only bounded by "
                   "%.3g, above the margin %.3g (more samples)", d->ks_upper, o->tol);
        }
        return;
    }
    if (seen && d->status == IL_COMMUTE_DIFFER) {
        row->levels = IL_COMMUTE_AGREE;
        return;
    }
    row->levels = IL_COMMUTE_PARTIAL;
    if (!seen)
        append(note, nn, "pathwise: none of %zu inputs fell where the orders differ (e.g. y = %.6g); that region "
               "has probability below about %.2g under these inputs", row->path.n, row->crit.cx_y,
               3.0 / (double)row->path.n);
    if (d->status != IL_COMMUTE_DIFFER) {
        if (d->effect > 0.0)
            append(note, nn, "distribution: the laws differ by KS distance %.3g, below the %.3g these samples "
                   "detect (power %.2g); about %.3g inputs per pool needed", d->effect, d->detectable, d->power,
                   d->n_needed);
        else
            append(note, nn, "distribution: the laws coincide on these inputs (no input reached the region where "
                   "the orders differ)");
    }
}

il_status il_commute_run(const il_commute_case *cases, size_t m, const double *ya, size_t n1, const double *yb,
                         size_t n2, uint64_t seed, const il_commute_opts *opts, il_commute_row *rows)
{
    il_commute_opts def;
    if (!opts) {
        il_commute_opts_default(&def);
        opts = &def;
    }
    char err[160];
    if (!cases || !rows || m == 0 || !ya || !yb || n1 < 2 || n2 < 2 || opts_check(opts) != IL_OK)
        return IL_EINVAL;
    for (size_t i = 0; i < m; i++)
        if (il_commute_case_check(&cases[i], err, sizeof err) != IL_OK)
            return IL_EINVAL;
    if (!all_finite(ya, n1) || !all_finite(yb, n2))
        return IL_EINVAL;

    il_status rc = IL_OK;
    int threads = opts->threads;
    if ((size_t)threads > m)
        threads = (int)m;
    il_status *st = calloc(m, sizeof *st);
    if (!st)
        return IL_ENOMEM;
#pragma omp parallel num_threads(threads)
    {
        work w;
        il_status wrc = work_alloc(&w, n1, n2);
#pragma omp for schedule(dynamic, 1)
        for (size_t i = 0; i < m; i++)
            st[i] = wrc != IL_OK ? wrc : one_case(&cases[i], ya, n1, yb, n2, seed, opts, &w, &rows[i]);
        if (wrc == IL_OK)
            work_free(&w);
    }
    for (size_t i = 0; i < m && rc == IL_OK; i++)
        rc = st[i];
    free(st);
    if (rc != IL_OK)
        return rc;

    /* The Holm families of the run. */
    size_t m2 = 2 * m;
    double *est = malloc(4 * m2 * sizeof *est);
    double *kp = malloc(m * sizeof *kp);
    il_verdict_item *items = malloc(m2 * sizeof *items);
    if (!est || !kp || !items) {
        rc = IL_ENOMEM;
        goto done;
    }
    double *se = est + m2, *val = se + m2, *scale = val + m2;
    il_verdict_opts vo;
    il_verdict_opts_default(&vo);
    vo.ref = IL_VERDICT_REF_NORMAL;
    vo.rel_tol = opts->tol;
    vo.beta = opts->beta;
    vo.exact_ulps = opts->ulps;

    /* Distribution: means and variances at alpha/2. */
    vo.alpha = opts->alpha / 2.0;
    for (size_t i = 0; i < m; i++) {
        const il_commute_dist *d = &rows[i].dist;
        double ms_a = d->var_drop_first + d->mean_drop_first * d->mean_drop_first;
        double ms_b = d->var_act_first + d->mean_act_first * d->mean_act_first;
        est[2 * i] = d->mean_diff;
        se[2 * i] = d->mean_se;
        scale[2 * i] = sqrt(0.5 * (ms_a + ms_b));
        est[2 * i + 1] = d->var_diff;
        se[2 * i + 1] = d->var_se;
        scale[2 * i + 1] = 0.5 * (d->var_drop_first + d->var_act_first);
        val[2 * i] = val[2 * i + 1] = 0.0;
    }
    if ((rc = il_verdict_family(est, se, val, scale, m2, 0, &vo, items, NULL)) != IL_OK)
        goto done;
    for (size_t i = 0; i < m; i++) {
        rows[i].dist.mean = items[2 * i];
        rows[i].dist.var = items[2 * i + 1];
    }
    /* Distribution: KS at alpha/2. */
    for (size_t i = 0; i < m; i++)
        kp[i] = rows[i].dist.ks.p;
    if ((rc = il_verdict_holm_adjust(kp, m, kp)) != IL_OK)
        goto done;
    double a_ks = opts->alpha / 2.0, a_strict = a_ks / (double)m;
    double eps1 = sqrt(log(4.0 / a_strict) / (2.0 * (double)n1)), eps2 = sqrt(log(4.0 / a_strict) / (2.0 * (double)n2));
    for (size_t i = 0; i < m; i++) {
        il_commute_dist *d = &rows[i].dist;
        d->ks_p_adj = kp[i];
        d->ks_reject = kp[i] <= a_ks;
        d->ks_upper = fmin(1.0, d->ks.d + eps1 + eps2);
        d->detectable = il_ks_detectable(n1, n2, a_strict, opts->beta);
        d->power = d->effect > 0.0 ? il_ks_power(d->effect, n1, n2, a_strict) : NAN;
        d->n_needed = d->power < 1.0 - opts->beta ? needed(d->effect, a_strict, opts->beta) : NAN;
    }
    /* Test time: the mean gaps of both orders, at alpha. */
    vo.alpha = opts->alpha;
    for (size_t i = 0; i < m; i++) {
        const il_commute_testtime *t[2] = {&rows[i].after, &rows[i].before};
        for (int k = 0; k < 2; k++) {
            est[2 * i + k] = t[k]->gap;
            se[2 * i + k] = t[k]->gap_se;
            val[2 * i + k] = 0.0;
            scale[2 * i + k] = sqrt(t[k]->test_var + t[k]->test_mean * t[k]->test_mean);
        }
    }
    if ((rc = il_verdict_family(est, se, val, scale, m2, 0, &vo, items, NULL)) != IL_OK)
        goto done;
    for (size_t i = 0; i < m; i++) {
        rows[i].after.item = items[2 * i];
        rows[i].before.item = items[2 * i + 1];
        decide(&rows[i], opts);
    }
done:
    free(items);
    free(kp);
    free(est);
    return rc;
}

/* ---- writers ---- */

const char *il_commute_test_name(il_verdict v)
{
    switch (v) {
    case IL_VERDICT_CONSISTENT: return "reproduced";
    case IL_VERDICT_REFUTED: return "not-reproduced";
    case IL_VERDICT_INCONCLUSIVE: return "inconclusive";
    }
    return "unknown";
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

static void cx_text(const il_commute_criterion *c, char *buf, size_t n)
{
    if (c->has_cx)
        snprintf(buf, n, "y=%.17g,m=%.17g", c->cx_y, c->cx_m);
    else
        snprintf(buf, n, "none");
}

static const char *const tsv_cols[] = {
    "activation", "p", "kind", "verdict", "criterion", "pathwise_max_diff", "ks_p", "counterexample",
    "levels", "distribution", "phi0", "criterion_points", "criterion_failures", "criterion_max_diff",
    "cx_y", "cx_m", "cx_dropout_first", "cx_act_first",
    "pathwise_n", "pathwise_n_differ", "pathwise_frac_differ", "pathwise_max_rel_diff",
    "n_dropout_first", "n_act_first",
    "mean_dropout_first", "mean_act_first", "mean_diff", "mean_se", "mean_p_adj", "mean_verdict",
    "var_dropout_first", "var_act_first", "var_diff", "var_se", "var_p_adj", "var_verdict",
    "ks_d", "ks_p_adj", "ks_upper", "ks_effect", "ks_detectable", "ks_power", "ks_n_needed",
    "after_train_mean", "after_test_mean", "after_gap", "after_gap_se", "after_mean",
    "after_var_shift", "after_var_shift_se", "after_var_shift_formula", "after_var_ratio",
    "before_train_mean", "before_test_mean", "before_gap", "before_gap_se", "before_mean",
    "before_var_shift", "before_var_shift_se", "before_var_ratio", "note"};
#define N_TSV_COLS (sizeof tsv_cols / sizeof tsv_cols[0])

static void tab_num(FILE *f, double v)
{
    fputc('\t', f);
    put_num(f, v);
}

static void tab_str(FILE *f, const char *s)
{
    fputc('\t', f);
    fputs(s, f);
}

il_status il_commute_write_tsv(FILE *f, const char *command, const il_param *params, size_t n_params,
                               const il_commute_row *rows, size_t m)
{
    il_write_header(f, command, params, n_params);
    for (size_t c = 0; c < N_TSV_COLS; c++)
        fprintf(f, "%s%s", tsv_cols[c], c + 1 < N_TSV_COLS ? "\t" : "\n");
    for (size_t i = 0; i < m; i++) {
        const il_commute_row *r = &rows[i];
        const il_commute_criterion *cr = &r->crit;
        const il_commute_dist *d = &r->dist;
        char spec[128], cx[128];
        il_act_format(&r->c.act, spec, sizeof spec);
        cx_text(cr, cx, sizeof cx);
        fputs(spec, f);
        tab_num(f, r->c.p);
        tab_str(f, il_drop_name(r->c.kind));
        tab_str(f, r->commutes ? "commutes" : "does-not-commute");
        tab_str(f, cr->holds ? "holds" : "fails");
        tab_num(f, r->path.max_abs_diff);
        tab_num(f, d->ks.p);
        tab_str(f, cx);
        tab_str(f, il_commute_levels_name(r->levels));
        tab_str(f, il_commute_dist_name(d->status));
        tab_num(f, cr->phi0);
        fprintf(f, "\t%zu\t%zu", cr->points, cr->failures);
        tab_num(f, cr->max_abs_diff);
        tab_num(f, cr->cx_y);
        tab_num(f, cr->cx_m);
        tab_num(f, cr->cx_drop_first);
        tab_num(f, cr->cx_act_first);
        fprintf(f, "\t%zu\t%zu", r->path.n, r->path.n_differ);
        tab_num(f, r->path.frac_differ);
        tab_num(f, r->path.max_rel_diff);
        fprintf(f, "\t%zu\t%zu", d->n1, d->n2);
        tab_num(f, d->mean_drop_first);
        tab_num(f, d->mean_act_first);
        tab_num(f, d->mean_diff);
        tab_num(f, d->mean_se);
        tab_num(f, d->mean.p_adj);
        tab_str(f, il_verdict_name(d->mean.verdict));
        tab_num(f, d->var_drop_first);
        tab_num(f, d->var_act_first);
        tab_num(f, d->var_diff);
        tab_num(f, d->var_se);
        tab_num(f, d->var.p_adj);
        tab_str(f, il_verdict_name(d->var.verdict));
        tab_num(f, d->ks.d);
        tab_num(f, d->ks_p_adj);
        tab_num(f, d->ks_upper);
        tab_num(f, d->effect);
        tab_num(f, d->detectable);
        tab_num(f, d->power);
        tab_num(f, d->n_needed);
        const il_commute_testtime *t[2] = {&r->after, &r->before};
        for (int k = 0; k < 2; k++) {
            tab_num(f, t[k]->train_mean);
            tab_num(f, t[k]->test_mean);
            tab_num(f, t[k]->gap);
            tab_num(f, t[k]->gap_se);
            tab_str(f, il_commute_test_name(t[k]->item.verdict));
            tab_num(f, t[k]->shift);
            tab_num(f, t[k]->shift_se);
            if (k == 0)
                tab_num(f, t[k]->shift_formula);
            tab_num(f, t[k]->var_ratio);
        }
        tab_str(f, r->note[0] ? r->note : "-");
        fputc('\n', f);
    }
    return ferror(f) ? IL_EIO : IL_OK;
}

/* JSON helpers: each returns nonzero on failure. */
static int jnum(json_t *o, const char *k, double v)
{
    return json_object_set_new(o, k, il_json_number(v));
}

static int jstr(json_t *o, const char *k, const char *v)
{
    return json_object_set_new(o, k, json_string(v));
}

static int jint(json_t *o, const char *k, size_t v)
{
    return json_object_set_new(o, k, json_integer((json_int_t)v));
}

static int jbool(json_t *o, const char *k, int v)
{
    return json_object_set_new(o, k, json_boolean(v));
}

static int jobj(json_t *o, const char *k, json_t **child)
{
    *child = json_object();
    return !*child || json_object_set_new(o, k, *child);
}

static int test_json(json_t *o, const il_verdict_item *it, double est, double se)
{
    int bad = jnum(o, "diff", est);
    bad |= jnum(o, "se", se);
    bad |= jnum(o, "z", it->z);
    bad |= jnum(o, "p", it->p);
    bad |= jnum(o, "p_adj", it->p_adj);
    bad |= jnum(o, "margin", it->delta);
    bad |= jnum(o, "p_equiv_adj", it->p_equiv_adj);
    bad |= jstr(o, "verdict", il_verdict_name(it->verdict));
    return bad;
}

static json_t *row_json(const il_commute_row *r)
{
    const il_commute_criterion *cr = &r->crit;
    const il_commute_dist *d = &r->dist;
    json_t *o = json_object(), *c, *cx, *pw, *di, *mean, *var, *ks, *tt, *t;
    if (!o)
        return NULL;
    char spec[128];
    il_act_format(&r->c.act, spec, sizeof spec);
    int bad = jstr(o, "activation", spec);
    bad |= jnum(o, "p", r->c.p);
    bad |= jstr(o, "kind", il_drop_name(r->c.kind));
    bad |= jstr(o, "verdict", r->commutes ? "commutes" : "does-not-commute");
    bad |= jstr(o, "levels", il_commute_levels_name(r->levels));
    bad |= jstr(o, "note", r->note);

    bad |= jobj(o, "criterion", &c);
    if (!bad) {
        bad |= jbool(c, "holds", cr->holds);
        bad |= jnum(c, "keep_value", cr->c);
        bad |= jbool(c, "needs_phi0_zero", cr->need_zero);
        bad |= jbool(c, "needs_homogeneity", cr->need_scale);
        bad |= jnum(c, "phi0", cr->phi0);
        bad |= jbool(c, "phi0_zero", cr->zero_ok);
        bad |= jbool(c, "homogeneous_on_grid", cr->scale_ok);
        bad |= jint(c, "points", cr->points);
        bad |= jint(c, "failures", cr->failures);
        bad |= jnum(c, "max_diff", cr->max_abs_diff);
        if (cr->has_cx) {
            bad |= jobj(c, "counterexample", &cx);
            if (!bad) {
                bad |= jnum(cx, "y", cr->cx_y);
                bad |= jnum(cx, "m", cr->cx_m);
                bad |= jnum(cx, "dropout_first", cr->cx_drop_first);
                bad |= jnum(cx, "act_first", cr->cx_act_first);
            }
        } else {
            bad |= json_object_set_new(c, "counterexample", json_null());
        }
    }
    bad |= jobj(o, "pathwise", &pw);
    if (!bad) {
        bad |= jint(pw, "n", r->path.n);
        bad |= jint(pw, "n_dropped", r->path.n_dropped);
        bad |= jint(pw, "n_differ", r->path.n_differ);
        bad |= jnum(pw, "frac_differ", r->path.frac_differ);
        bad |= jnum(pw, "max_abs_diff", r->path.max_abs_diff);
        bad |= jnum(pw, "max_rel_diff", r->path.max_rel_diff);
    }
    bad |= jobj(o, "distribution", &di);
    if (!bad) {
        bad |= jstr(di, "status", il_commute_dist_name(d->status));
        bad |= jint(di, "n_dropout_first", d->n1);
        bad |= jint(di, "n_act_first", d->n2);
        bad |= jobj(di, "mean", &mean);
        if (!bad) {
            bad |= jnum(mean, "dropout_first", d->mean_drop_first);
            bad |= jnum(mean, "act_first", d->mean_act_first);
            bad |= test_json(mean, &d->mean, d->mean_diff, d->mean_se);
        }
        bad |= jobj(di, "var", &var);
        if (!bad) {
            bad |= jnum(var, "dropout_first", d->var_drop_first);
            bad |= jnum(var, "act_first", d->var_act_first);
            bad |= test_json(var, &d->var, d->var_diff, d->var_se);
        }
        bad |= jobj(di, "ks", &ks);
        if (!bad) {
            bad |= jnum(ks, "d", d->ks.d);
            bad |= jnum(ks, "lambda", d->ks.lambda);
            bad |= jnum(ks, "p", d->ks.p);
            bad |= jnum(ks, "p_adj", d->ks_p_adj);
            bad |= jbool(ks, "reject", d->ks_reject);
            bad |= jnum(ks, "upper", d->ks_upper);
            bad |= jnum(ks, "effect", d->effect);
            bad |= jnum(ks, "detectable", d->detectable);
            bad |= jnum(ks, "power", d->power);
            bad |= jnum(ks, "n_needed", d->n_needed);
        }
    }
    bad |= jobj(o, "test_time", &tt);
    const il_commute_testtime *tv[2] = {&r->after, &r->before};
    const char *names[2] = {"dropout_after_act", "dropout_before_act"};
    for (int k = 0; k < 2 && !bad; k++) {
        bad |= jobj(tt, names[k], &t);
        if (bad)
            break;
        bad |= jnum(t, "train_mean", tv[k]->train_mean);
        bad |= jnum(t, "test_mean", tv[k]->test_mean);
        bad |= jnum(t, "gap", tv[k]->gap);
        bad |= jnum(t, "gap_se", tv[k]->gap_se);
        bad |= jnum(t, "gap_p_adj", tv[k]->item.p_adj);
        bad |= jstr(t, "mean", il_commute_test_name(tv[k]->item.verdict));
        bad |= jnum(t, "train_var", tv[k]->train_var);
        bad |= jnum(t, "test_var", tv[k]->test_var);
        bad |= jnum(t, "var_shift", tv[k]->shift);
        bad |= jnum(t, "var_shift_se", tv[k]->shift_se);
        if (k == 0)
            bad |= jnum(t, "var_shift_formula", tv[k]->shift_formula);
        bad |= jnum(t, "var_ratio", tv[k]->var_ratio);
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *il_commute_to_json(const char *command, const il_param *params, size_t n_params, const il_commute_row *rows,
                           size_t m)
{
    json_t *root = json_object(), *arr = json_array(), *ps = il_params_to_json(params, n_params);
    if (!root || !arr || !ps) {
        json_decref(root);
        json_decref(arr);
        json_decref(ps);
        return NULL;
    }
    int bad = jstr(root, "tool", "initlab");
    bad |= jstr(root, "version", IL_VERSION);
    bad |= jstr(root, "command", command);
    bad |= json_object_set_new(root, "params", ps);
    bad |= json_object_set_new(root, "rows", arr);
    for (size_t i = 0; i < m && !bad; i++) {
        json_t *o = row_json(&rows[i]);
        bad |= !o || json_array_append_new(arr, o);
    }
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* A number for people: 4 significant digits, "-" for NaN. */
static void fmt_g(char *buf, size_t n, double v)
{
    if (isnan(v))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.4g", v);
}

il_status il_commute_write_table(FILE *f, const char *command, const il_param *params, size_t n_params,
                                 const il_commute_row *rows, size_t m)
{
    int aw = 10; /* width of the activation column */
    for (size_t i = 0; i < m; i++) {
        char spec[128];
        int len = il_act_format(&rows[i].c.act, spec, sizeof spec);
        if (len > aw)
            aw = len;
    }
    il_write_header(f, command, params, n_params);
    fprintf(f, "\nDoes linear -> dropout -> phi equal linear -> phi -> dropout?  (dropout first: phi(m y); act "
               "first: m phi(y))\n\n");
    fprintf(f, "%-4s %-*s %-5s %-8s %-16s %-8s %-10s %-9s %-9s %-9s %-9s %-6s %-12s %-8s %s\n", "#", aw,
            "activation", "p", "kind", "verdict", "criter.", "path.diff", "path.frac", "KS D", "KS p.adj",
            "KS effect", "power", "distribution", "levels", "counterexample");
    size_t notes = 0;
    for (size_t i = 0; i < m; i++) {
        const il_commute_row *r = &rows[i];
        const il_commute_dist *d = &r->dist;
        char spec[128], cx[160], a[6][32];
        il_act_format(&r->c.act, spec, sizeof spec);
        if (r->crit.has_cx)
            snprintf(cx, sizeof cx, "y=%.6g m=%.6g: %.6g vs %.6g", r->crit.cx_y, r->crit.cx_m, r->crit.cx_drop_first,
                     r->crit.cx_act_first);
        else
            snprintf(cx, sizeof cx, "none");
        fmt_g(a[0], sizeof a[0], r->path.max_abs_diff);
        fmt_g(a[1], sizeof a[1], r->path.frac_differ);
        fmt_g(a[2], sizeof a[2], d->ks.d);
        snprintf(a[3], sizeof a[3], "%.3g", d->ks_p_adj);
        fmt_g(a[4], sizeof a[4], d->effect);
        if (isnan(d->power))
            snprintf(a[5], sizeof a[5], "-");
        else
            snprintf(a[5], sizeof a[5], "%.2f", d->power);
        fprintf(f, "%-4zu %-*s %-5g %-8s %-16s %-8s %-10s %-9s %-9s %-9s %-9s %-6s %-12s %-8s %s\n", i + 1, aw, spec,
                r->c.p, il_drop_name(r->c.kind), r->commutes ? "commutes" : "does-not-commute",
                r->crit.holds ? "holds" : "fails", a[0], a[1], a[2], a[3], a[4], a[5], il_commute_dist_name(d->status),
                il_commute_levels_name(r->levels), cx);
        notes += r->note[0] != '\0';
    }
    if (notes) {
        fprintf(f, "\nnotes:\n");
        for (size_t i = 0; i < m; i++)
            if (rows[i].note[0])
                fprintf(f, "  #%zu: %s\n", i + 1, rows[i].note);
    }
    fprintf(f, "\nTest time: the unit's output after phi, training (masks) against test (the kind's rule: identity "
               "for inverted, x(1-p) for classic).\n");
    fprintf(f, "%-4s %-*s %-5s %-8s | %-24s %-14s %-10s %-10s | %-24s %-14s %-9s\n", "#", aw, "activation", "p",
            "kind", "after phi: mean gap+-se", "mean", "var shift", "formula", "before phi: mean gap+-se", "mean",
            "var ratio");
    for (size_t i = 0; i < m; i++) {
        const il_commute_row *r = &rows[i];
        char spec[128], g1[48], g2[48], s1[32], s2[32], v2[32];
        il_act_format(&r->c.act, spec, sizeof spec);
        snprintf(g1, sizeof g1, "%.3g +- %.2g", r->after.gap, r->after.gap_se);
        snprintf(g2, sizeof g2, "%.3g +- %.2g", r->before.gap, r->before.gap_se);
        fmt_g(s1, sizeof s1, r->after.shift);
        fmt_g(s2, sizeof s2, r->after.shift_formula);
        fmt_g(v2, sizeof v2, r->before.var_ratio);
        fprintf(f, "%-4zu %-*s %-5g %-8s | %-24s %-14s %-10s %-10s | %-24s %-14s %-9s\n", i + 1, aw, spec, r->c.p,
                il_drop_name(r->c.kind), g1, il_commute_test_name(r->after.item.verdict), s1, s2, g2,
                il_commute_test_name(r->before.item.verdict), v2);
    }
    return ferror(f) ? IL_EIO : IL_OK;
}
