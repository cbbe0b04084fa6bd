/* checks_s000.c: the claims of seed homework 000 (registry.h; readings and methods in docs/claims.md).
 *
 *   P1  the gradients of e = (t - y)^2 / 2 for s = W1 x + b1, h = sigmoid(s), z = W2 h + b2, y = sigmoid(z), and
 *       for the variant z = W2 h + b2 + s: the seed's formulas, literally, against central differences of the
 *       network itself;
 *   P2  DropConnect: E[w'] = E[w] (1 - p), through the engine's DropConnect layer, and the inference rule it
 *       implies (weights times 1 - p) against the training-time mean, before and after a nonlinearity;
 *   P3  Linear -> BatchNorm: the bias cancels (the engine's BatchNorm with and without bias, to a floating-point
 *       bound), and the seed's argument for it (the derivative it implies against finite differences). */
#include "registry.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

#define SRC1 "seed 000, problem 1"
#define SRC2 "seed 000, problem 2"
#define SRC3 "seed 000, problem 3"

/* ====================================================================================================== P1 */

/* The network of problem 1 with x in R^n, s, h in R^m, z, y in R^k; e = sum_o (t_o - y_o)^2 / 2.
 * theta = W1 (m x n, row-major) | b1 (m) | W2 (k x m) | b2 (k). With skip, z = W2 h + b2 + s (k = m).
 * With h0 set, h is held at h0 (the skip path alone). */
typedef struct {
    size_t n, m, k;
    int skip;
    const double *x, *t, *h0;
    il_act sig;
} p1_net;

#define P1_MAXN 4
#define P1_MAXD (P1_MAXN * P1_MAXN * 2 + 2 * P1_MAXN)

static size_t p1_dim(const p1_net *net)
{
    return net->m * net->n + net->m + net->k * net->m + net->k;
}

static il_status p1_eval(const void *model, const double *th, il_registry_ev *out)
{
    const p1_net *net = model;
    const size_t n = net->n, m = net->m, k = net->k;
    const double *W1 = th, *b1 = th + m * n, *W2 = b1 + m, *b2 = W2 + k * m;
    il_registry_ev x[P1_MAXN], w[P1_MAXN], s[P1_MAXN], h[P1_MAXN];
    for (size_t j = 0; j < n; j++)
        x[j] = il_registry_ev_exact(net->x[j]);
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++)
            w[j] = il_registry_ev_exact(W1[i * n + j]);
        s[i] = il_registry_ev_dot(x, w, n, il_registry_ev_exact(b1[i]));
        h[i] = net->h0 ? il_registry_ev_exact(net->h0[i]) : il_registry_ev_act(&net->sig, s[i]);
    }
    il_registry_ev e = il_registry_ev_exact(0.0);
    for (size_t o = 0; o < k; o++) {
        for (size_t i = 0; i < m; i++)
            w[i] = il_registry_ev_exact(W2[o * m + i]);
        il_registry_ev z = il_registry_ev_dot(h, w, m, il_registry_ev_exact(b2[o]));
        if (net->skip)
            z = il_registry_ev_add(z, s[o]);
        il_registry_ev y = il_registry_ev_act(&net->sig, z);
        il_registry_ev d = il_registry_ev_sub(il_registry_ev_exact(net->t[o]), y);
        e = il_registry_ev_add(e, il_registry_ev_mul(il_registry_ev_mul(d, d), il_registry_ev_exact(0.5)));
    }
    out[0] = e;
    return IL_OK;
}

/* Forward values in plain doubles (for the formulas). */
static void p1_forward(const p1_net *net, const double *th, double *s, double *h, double *z, double *y)
{
    const size_t n = net->n, m = net->m, k = net->k;
    const double *W1 = th, *b1 = th + m * n, *W2 = b1 + m, *b2 = W2 + k * m;
    for (size_t i = 0; i < m; i++) {
        double a = 0.0;
        for (size_t j = 0; j < n; j++)
            a += net->x[j] * W1[i * n + j];
        s[i] = a + b1[i];
        h[i] = il_act_eval(&net->sig, s[i]);
    }
    for (size_t o = 0; o < k; o++) {
        double a = 0.0;
        for (size_t i = 0; i < m; i++)
            a += h[i] * W2[o * m + i];
        z[o] = a + b2[o] + (net->skip ? s[o] : 0.0);
        y[o] = il_act_eval(&net->sig, z[o]);
    }
}

enum { BLK_W2, BLK_B2, BLK_W1, BLK_B1 };

static void p1_block(const p1_net *net, int blk, size_t *off, size_t *len)
{
    const size_t n = net->n, m = net->m, k = net->k;
    switch (blk) {
    case BLK_W1: *off = 0; *len = m * n; break;
    case BLK_B1: *off = m * n; *len = m; break;
    case BLK_W2: *off = m * n + m; *len = k * m; break;
    default: *off = m * n + m + k * m; *len = k; break;
    }
}

/* The seed's formula for block blk, literally, read with the shapes (see docs/claims.md):
 *   dW2 = -s(z)(1-s(z)) h^T              db2 = -s(z)(1-s(z))
 *   dW1 = -[(W2^T s'(z)) o s(s)(1-s(s)) (+ s'(z) with the skip)] x^T     db1 = the bracket,
 * with s'(z) = s(z)(1-s(z)) elementwise. correct = 1 multiplies s'(z) by de/dy = -(t - y), which the seed omits. */
static void p1_formula(const p1_net *net, const double *th, int blk, int correct, double *g)
{
    const size_t n = net->n, m = net->m, k = net->k;
    const double *W2 = th + m * n + m;
    double s[P1_MAXN], h[P1_MAXN], z[P1_MAXN], y[P1_MAXN], dz[P1_MAXN], ds[P1_MAXN];
    p1_forward(net, th, s, h, z, y);
    for (size_t o = 0; o < k; o++)
        dz[o] = -(y[o] * (1.0 - y[o])) * (correct ? (net->t[o] - y[o]) : 1.0);
    for (size_t i = 0; i < m; i++) {
        double a = 0.0;
        for (size_t o = 0; o < k; o++)
            a += W2[o * m + i] * dz[o];
        ds[i] = a * (h[i] * (1.0 - h[i])) + (net->skip ? dz[i] : 0.0);
    }
    switch (blk) {
    case BLK_W2:
        for (size_t o = 0; o < k; o++)
            for (size_t i = 0; i < m; i++)
                g[o * m + i] = dz[o] * h[i];
        break;
    case BLK_B2:
        for (size_t o = 0; o < k; o++)
            g[o] = dz[o];
        break;
    case BLK_W1:
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++)
                g[i * n + j] = ds[i] * net->x[j];
        break;
    default:
        for (size_t i = 0; i < m; i++)
            g[i] = ds[i];
        break;
    }
}

/* Instances: 10 scalar (n = m = k = 1) and 10 vector ones (n = 3, m = 4, k = 2, or k = m = 4 with the skip).
 * W1, b1, W2, b2 ~ U(-1.5, 1.5) snapped to multiples of h; x ~ N(0, 1); t ~ U(0, 1). */
#define P1_INSTANCES 20

typedef struct {
    p1_net net;
    double x[P1_MAXN], t[P1_MAXN], th[P1_MAXD];
} p1_instance;

static void p1_draw(il_registry_ctx *ctx, int skip, size_t i, p1_instance *in)
{
    il_rng r;
    il_registry_rng(ctx, "S000-P1", (uint64_t)i + (skip ? 1000u : 0u), &r);
    memset(in, 0, sizeof *in);
    int vec = i >= P1_INSTANCES / 2;
    in->net.n = vec ? 3 : 1;
    in->net.m = vec ? 4 : 1;
    in->net.k = vec ? (skip ? 4 : 2) : 1;
    in->net.skip = skip;
    il_act_default(IL_ACT_SIGMOID, &in->net.sig);
    il_rng_fill_normal(&r, in->x, in->net.n, 0.0, 1.0);
    il_rng_fill_uniform(&r, in->t, in->net.k, 0.0, 1.0);
    size_t d = p1_dim(&in->net);
    il_rng_fill_uniform(&r, in->th, d, -1.5, 1.5);
    il_registry_snap(in->th, d, IL_REGISTRY_FD_H);
    in->net.x = in->x;
    in->net.t = in->t;
}

typedef struct {
    int skip, blk;
    const char *name;     /* "dW2" ... */
    const char *correct;  /* the correct formula, as text */
} p1_spec;

static const char P1_READING[] =
    "Shapes: x in R^n, s, h in R^m, z, y in R^k, e = sum_o (t_o - y_o)^2/2 (the variant needs k = m). The seed's "
    "products are read with the transposes the shapes need: sigma(z)(1-sigma(z)) h as the outer product "
    "sigma'(z) h^T, and sigma'(z) W2 sigma'(s) x as ((W2^T sigma'(z)) o sigma'(s)) x^T, with sigma'(u) = "
    "sigma(u)(1-sigma(u)) elementwise and exactly the factors the seed writes. Checked at n = m = k = 1 (where "
    "the seed's scalar expressions are unambiguous) and at n = 3, m = 4, k = 2 (k = 4 for the variant).";

static void p1_common_config(il_registry_result *res, int skip)
{
    il_registry_config(res, "%d random instances of the network%s: 10 with n = m = k = 1 and 10 with n = 3, "
                       "m = 4, k = %d; W1, b1, W2, b2 ~ U(-1.5, 1.5) snapped to multiples of h = 2^-17, x ~ N(0, 1), "
                       "t ~ U(0, 1); sigmoid from sim/act.h; central differences with step h = 2^-17; generator "
                       "il_rng_seed_draw(il_registry_seed(seed, 'S000-P1'), i%s)", P1_INSTANCES,
                       skip ? " with z = W2 h + b2 + s" : "", skip ? 4 : 2, skip ? " + 1000" : "");
}

static void p1_test_text(il_registry_result *res)
{
    il_registry_test(res, "every entry of the claimed gradient against the central difference D of e at the same "
                     "parameters: |claimed - D| <= bound = h^2 M3/6 + (err(e+) + err(e-))/2h + u|D| + "
                     "gamma_32 (|claimed| + max|claimed|), where err(.) is a running floating-point error bound "
                     "of the loss evaluation and M3 an estimate of |d^3 e/d theta^3| (twice the largest third "
                     "difference at steps 2^-5, 2^-7); holds iff max |claimed - D|/bound <= 1 over all instances "
                     "and entries; the same test is applied to the correct formula as a control");
}

static il_status check_p1_formula(const il_registry_entry *e, il_registry_ctx *ctx, il_registry_result *res)
{
    const p1_spec *sp = e->data;
    il_registry_fdcmp seed, corr;
    il_registry_fdcmp_reset(&seed);
    il_registry_fdcmp_reset(&corr);
    FILE *df = NULL;
    char name[64];
    snprintf(name, sizeof name, "%s.tsv", e->id);
    il_status rc = il_registry_data_open(ctx, res, name, &df);
    if (rc != IL_OK)
        return rc;
    if (df)
        fprintf(df, "# %s: the seed's formula and the correct one against central differences, per instance\n"
                    "instance\tn\tm\tk\tmax_ratio_seed\tmax_rel_err_seed\tmax_ratio_correct\n", e->id);
    for (size_t i = 0; i < P1_INSTANCES && rc == IL_OK; i++) {
        p1_instance in;
        p1_draw(ctx, sp->skip, i, &in);
        size_t off, len;
        p1_block(&in.net, sp->blk, &off, &len);
        double fd[P1_MAXD], bd[P1_MAXD], g[P1_MAXD], gc[P1_MAXD];
        il_registry_fn fn = {p1_dim(&in.net), 1, p1_eval, &in.net, NAN};
        if ((rc = il_registry_fd(&fn, in.th, off, len, fd, bd)) != IL_OK)
            break;
        p1_formula(&in.net, in.th, sp->blk, 0, g);
        p1_formula(&in.net, in.th, sp->blk, 1, gc);
        il_registry_fdcmp one, onec;
        il_registry_fdcmp_reset(&one);
        il_registry_fdcmp_reset(&onec);
        il_registry_fdcmp_add(&seed, i, g, NULL, fd, bd, len);
        il_registry_fdcmp_add(&corr, i, gc, NULL, fd, bd, len);
        il_registry_fdcmp_add(&one, i, g, NULL, fd, bd, len);
        il_registry_fdcmp_add(&onec, i, gc, NULL, fd, bd, len);
        if (df)
            fprintf(df, "%zu\t%zu\t%zu\t%zu\t%.17g\t%.17g\t%.17g\n", i, in.net.n, in.net.m, in.net.k, one.max_ratio,
                    one.max_rel_err, onec.max_ratio);
    }
    il_status rc2 = il_registry_data_close(df);
    if (rc != IL_OK)
        return rc;
    if (rc2 != IL_OK)
        return rc2;
    p1_common_config(res, sp->skip);
    p1_test_text(res);
    il_registry_num_add(res, "max_ratio", seed.max_ratio);
    il_registry_num_add(res, "max_rel_err", seed.max_rel_err);
    il_registry_num_add(res, "max_abs_err", seed.max_abs_err);
    il_registry_num_add(res, "worst_instance", (double)seed.worst_instance);
    il_registry_num_add(res, "worst_claimed", seed.worst_claimed);
    il_registry_num_add(res, "worst_fd", seed.worst_fd);
    il_registry_num_add(res, "worst_bound", seed.worst_bound);
    il_registry_num_add(res, "control_max_ratio", corr.max_ratio);
    il_registry_num_add(res, "entries", (double)seed.compared);
    if (!(corr.max_ratio <= 1.0)) {
        il_registry_evidence(res, "the checker failed its control: the correct formula %s exceeds the bound (max "
                             "ratio %.3g at instance %zu); no verdict", sp->correct, corr.max_ratio,
                             corr.worst_instance);
        il_registry_decide(res, IL_REGISTRY_UNDECIDED, NAN);
        return IL_OK;
    }
    if (seed.max_ratio <= 1.0) {
        il_registry_evidence(res, "The seed's %s agrees with the central differences of e at every entry of %d "
                             "instances: max |claimed - D|/bound = %.3g (max relative error %.2g).", sp->name,
                             P1_INSTANCES, seed.max_ratio, seed.max_rel_err);
        il_registry_decide(res, IL_REGISTRY_HOLDS, 1.0 / seed.max_ratio);
    } else {
        il_registry_evidence(res, "The seed's %s disagrees with the central differences of e: max |claimed - D|/bound "
                             "= %.3g (instance %zu: claimed %.6g, finite difference %.6g, bound %.2g); max relative "
                             "error %.3g over %zu entries of %zu instances. The seed's expression drops the "
                             "factor (t - y) of de/dy = -(t - y) (it uses de/dy = -1). With that factor the formula "
                             "passes the same test (max ratio %.3g).", sp->name, seed.max_ratio,
                             seed.worst_instance, seed.worst_claimed, seed.worst_fd, seed.worst_bound,
                             seed.max_rel_err, seed.compared, (size_t)P1_INSTANCES, corr.max_ratio);
        il_registry_correct(res, "%s", sp->correct);
        il_registry_decide(res, IL_REGISTRY_REFUTED, seed.max_ratio);
    }
    return IL_OK;
}

/* P1i: the skip path alone (h held at its value) contributes (de/dz) x^T to de/dW1 and de/dz to de/db1, where
 * de/dz is read off the same network as de/db2. */
static il_status check_p1_skip(const il_registry_entry *e, il_registry_ctx *ctx, il_registry_result *res)
{
    (void)e;
    il_registry_fdcmp cw, cb;
    il_registry_fdcmp_reset(&cw);
    il_registry_fdcmp_reset(&cb);
    const double g1 = (double)IL_REGISTRY_U * 4.0;
    for (size_t i = 0; i < P1_INSTANCES; i++) {
        p1_instance in;
        p1_draw(ctx, 1, i, &in);
        const size_t n = in.net.n, m = in.net.m;
        double s[P1_MAXN], h[P1_MAXN], z[P1_MAXN], y[P1_MAXN];
        p1_forward(&in.net, in.th, s, h, z, y);
        double dz[P1_MAXN], dzb[P1_MAXN], fd[P1_MAXD], bd[P1_MAXD], cl[P1_MAXD], ce[P1_MAXD];
        size_t off, len;
        il_registry_fn fn = {p1_dim(&in.net), 1, p1_eval, &in.net, NAN};
        p1_block(&in.net, BLK_B2, &off, &len);
        IL_TRY(il_registry_fd(&fn, in.th, off, len, dz, dzb));
        p1_net frozen = in.net;
        frozen.h0 = h;
        il_registry_fn ff = {p1_dim(&frozen), 1, p1_eval, &frozen, NAN};
        p1_block(&frozen, BLK_W1, &off, &len);
        IL_TRY(il_registry_fd(&ff, in.th, off, len, fd, bd));
        for (size_t a = 0; a < m; a++)
            for (size_t j = 0; j < n; j++) {
                cl[a * n + j] = dz[a] * in.x[j];
                ce[a * n + j] = dzb[a] * fabs(in.x[j]) + g1 * fabs(cl[a * n + j]);
            }
        il_registry_fdcmp_add(&cw, i, cl, ce, fd, bd, len);
        p1_block(&frozen, BLK_B1, &off, &len);
        IL_TRY(il_registry_fd(&ff, in.th, off, len, fd, bd));
        il_registry_fdcmp_add(&cb, i, dz, dzb, fd, bd, len);
    }
    p1_common_config(res, 1);
    il_registry_test(res, "through the skip path alone (h held at its value, so that z depends on W1, b1 only "
                     "through s), the central differences of e with respect to W1 and b1 against (de/dz) x^T and "
                     "de/dz, where de/dz is the central difference of e with respect to b2 in the same network "
                     "(its bound propagated); same bound as S000-P1a; holds iff max ratio <= 1");
    double mr = fmax(cw.max_ratio, cb.max_ratio);
    il_registry_num_add(res, "max_ratio_W1", cw.max_ratio);
    il_registry_num_add(res, "max_ratio_b1", cb.max_ratio);
    il_registry_num_add(res, "max_rel_err_W1", cw.max_rel_err);
    il_registry_num_add(res, "max_rel_err_b1", cb.max_rel_err);
    if (mr <= 1.0) {
        il_registry_evidence(res, "Through the skip path alone, de/dW1 = (de/dz) x^T and de/db1 = de/dz at every entry "
                             "of %d instances (max ratio %.3g for W1, %.3g for b1): the skip adds the seed's '+ x' "
                             "and '+ 1' inside the bracket, multiplied by the common factor de/dz. (That factor is "
                             "-(t - y) sigma(z)(1 - sigma(z)), not -sigma(z)(1 - sigma(z)) as the seed writes it: "
                             "see S000-P1e..h.)", P1_INSTANCES, cw.max_ratio, cb.max_ratio);
        il_registry_decide(res, IL_REGISTRY_HOLDS, 1.0 / mr);
    } else {
        il_registry_evidence(res, "The skip path does not contribute (de/dz) x^T and de/dz: max ratio %.3g (W1), %.3g "
                             "(b1).", cw.max_ratio, cb.max_ratio);
        il_registry_correct(res, "the skip path contributes what the central differences show");
        il_registry_decide(res, IL_REGISTRY_REFUTED, mr);
    }
    return IL_OK;
}

static const p1_spec P1A = {0, BLK_W2, "de/dW2 = -sigma(z)(1-sigma(z)) h",
                            "de/dW2 = -(t - y) sigma(z)(1 - sigma(z)) h (vector form: delta h^T with delta = -(t - y) o "
                            "sigma'(z))"};
static const p1_spec P1B = {0, BLK_B2, "de/db2 = -sigma(z)(1-sigma(z))",
                            "de/db2 = -(t - y) sigma(z)(1 - sigma(z)) (= delta)"};
static const p1_spec P1C = {0, BLK_W1, "de/dW1 = -sigma(z)(1-sigma(z)) W2 sigma(s)(1-sigma(s)) x",
                            "de/dW1 = -(t - y) sigma(z)(1 - sigma(z)) W2 sigma(s)(1 - sigma(s)) x (vector form: "
                            "((W2^T delta) o sigma'(s)) x^T)"};
static const p1_spec P1D = {0, BLK_B1, "de/db1 = -sigma(z)(1-sigma(z)) W2 sigma(s)(1-sigma(s))",
                            "de/db1 = -(t - y) sigma(z)(1 - sigma(z)) W2 sigma(s)(1 - sigma(s)) (vector form: "
                            "(W2^T delta) o sigma'(s))"};
static const p1_spec P1E = {1, BLK_W2, "de/dW2 = -sigma(z)(1-sigma(z)) h (with z = W2 h + b2 + s)",
                            "de/dW2 = -(t - y) sigma(z)(1 - sigma(z)) h, with z = W2 h + b2 + s"};
static const p1_spec P1F = {1, BLK_B2, "de/db2 = -sigma(z)(1-sigma(z)) (with z = W2 h + b2 + s)",
                            "de/db2 = -(t - y) sigma(z)(1 - sigma(z)), with z = W2 h + b2 + s"};
static const p1_spec P1G = {1, BLK_W1, "de/dW1 = -sigma(z)(1-sigma(z)) (W2 sigma(s)(1-sigma(s)) x + x)",
                            "de/dW1 = -(t - y) sigma(z)(1 - sigma(z)) (W2 sigma(s)(1 - sigma(s)) + 1) x (vector form: "
                            "((W2^T delta) o sigma'(s) + delta) x^T)"};
static const p1_spec P1H = {1, BLK_B1, "de/db1 = -sigma(z)(1-sigma(z)) (W2 sigma(s)(1-sigma(s)) + 1)",
                            "de/db1 = -(t - y) sigma(z)(1 - sigma(z)) (W2 sigma(s)(1 - sigma(s)) + 1) (vector form: "
                            "(W2^T delta) o sigma'(s) + delta)"};

/* ====================================================================================================== P2 */


/* Keeps the values of one layer of a forward pass (sim/net.h's visitor). */
typedef struct {
    size_t layer;
    double *pre, *post; /* batch x width each, or NULL */
} capture;

static void cap_visit(void *c, size_t layer, int post, const double *y, size_t batch, size_t width)
{
    capture *cp = c;
    double *dst = post ? cp->post : cp->pre;
    if (layer == cp->layer && dst)
        memcpy(dst, y, batch * width * sizeof *y);
}

/* Welford accumulators for a vector of means. */
typedef struct {
    double mean, m2;
} wacc;

static void wacc_push(wacc *a, double x, size_t count_after)
{
    double d = x - a->mean;
    a->mean += d / (double)count_after;
    a->m2 += d * (x - a->mean);
}

static double wacc_se(const wacc *a, size_t n)
{
    return sqrt(a->m2 / (double)(n - 1) / (double)n);
}

/* P2a: "input:N,dropconnect:p,linear:1:nobias" with weights U(0.5, 1.5) (E[w] = 1) and the input all ones: each
 * draw's output / N is the mean of N independent w' = w xi, xi drawn by the engine's DropConnect. */
#define P2A_N 1000
#define P2A_DRAWS 20000
#define P2A_NP 3
static const double P2A_P[P2A_NP] = {0.1, 0.5, 0.8};

static il_status p2a_run(il_registry_ctx *ctx, double p, size_t pi, double *mean, double *se)
{
    il_net net;
    il_net_init(&net);
    char spec[96], err[256];
    snprintf(spec, sizeof spec, "input:%d,dropconnect:%.17g,linear:1:nobias", P2A_N, p);
    il_status rc = il_net_parse_arch(&net, spec, IL_DROP_INVERTED, err, sizeof err);
    il_init_spec_default(IL_INIT_UNIFORM, &net.winit);
    net.winit.lo = 0.5;
    net.winit.hi = 1.5;
    net.train = 1;
    il_net_ws *ws = NULL;
    double *x = malloc(P2A_N * sizeof *x), y = 0.0;
    if (rc == IL_OK)
        rc = il_net_check(&net, 1, err, sizeof err);
    if (rc == IL_OK && (!(ws = il_net_ws_alloc(&net, 1)) || !x))
        rc = IL_ENOMEM;
    for (size_t i = 0; i < P2A_N && x; i++)
        x[i] = 1.0;
    capture cap = {1, &y, NULL};
    wacc a = {0.0, 0.0};
    for (size_t d = 0; d < P2A_DRAWS && rc == IL_OK; d++) {
        il_rng r;
        il_registry_rng(ctx, "S000-P2a", ((uint64_t)pi << 40) + d, &r);
        size_t bad;
        rc = il_net_draw_weights(&net, ws, &r);
        if (rc == IL_OK)
            rc = il_net_forward_input(&net, ws, x, &r, 0, cap_visit, &cap, &bad);
        if (rc == IL_OK)
            wacc_push(&a, y / P2A_N, d + 1);
    }
    *mean = a.mean;
    *se = wacc_se(&a, P2A_DRAWS);
    il_net_ws_free(ws);
    free(x);
    il_net_release(&net);
    return rc;
}

static il_status check_p2a(const il_registry_entry *e, il_registry_ctx *ctx, il_registry_result *res)
{
    double est[P2A_NP], se[P2A_NP], val[P2A_NP];
    il_verdict_item items[P2A_NP];
    for (size_t i = 0; i < P2A_NP; i++) {
        IL_TRY(p2a_run(ctx, P2A_P[i], i, &est[i], &se[i]));
        val[i] = 1.0 * (1.0 - P2A_P[i]); /* E[w] (1 - p), E[w] = 1 */
    }
    il_registry_family_result fr;
    IL_TRY(il_registry_family(est, se, val, NULL, P2A_NP, P2A_DRAWS, IL_VERDICT_REL_TOL, items, &fr));
    il_registry_config(res, "for p in {0.1, 0.5, 0.8}: %d draws of the engine's network 'input:%d,dropconnect:p,"
                       "linear:1:nobias' in training mode (one DropConnect mask per draw, il_rng_fill_bernoulli as "
                       "sim/net.c draws it), weights U(0.5, 1.5) so E[w] = 1, input all ones: a draw's output / %d "
                       "is the mean of %d independent w' = w xi; generator il_rng_seed_draw(il_registry_seed(seed, "
                       "'S000-P2a'), 2^40 i_p + d)", P2A_DRAWS, P2A_N, P2A_N, P2A_N);
    il_registry_test(res, "THE RULE of analysis/verdict.h over the 3 values of p (Holm, alpha = 10^-5): z = (estimate "
                     "- E[w](1 - p)) / SE with the SE across draws; 'consistent' needs the equivalence test to bound "
                     "the deviation by 1%% of E[w](1 - p); holds iff all consistent, refuted iff any refuted");
    FILE *df;
    IL_TRY(il_registry_data_open(ctx, res, "S000-P2a.tsv", &df));
    if (df) {
        fprintf(df, "# S000-P2a: mean of w' = w xi (engine DropConnect) against E[w](1-p), E[w] = 1\np\testimate\tse"
                    "\tclaimed\tz\n");
        for (size_t i = 0; i < P2A_NP; i++)
            fprintf(df, "%.17g\t%.17g\t%.17g\t%.17g\t%.17g\n", P2A_P[i], est[i], se[i], val[i], items[i].z);
    }
    IL_TRY(il_registry_data_close(df));
    for (size_t i = 0; i < P2A_NP; i++) {
        char nm[IL_REGISTRY_NAME];
        snprintf(nm, sizeof nm, "est_p%.1f", P2A_P[i]);
        il_registry_num_add(res, nm, est[i]);
        snprintf(nm, sizeof nm, "se_p%.1f", P2A_P[i]);
        il_registry_num_add(res, nm, se[i]);
        snprintf(nm, sizeof nm, "z_p%.1f", P2A_P[i]);
        il_registry_num_add(res, nm, items[i].z);
    }
    il_registry_evidence(res, "E[w'] against E[w](1 - p): p = 0.1: %.5f +- %.5f vs %.5f (z = %.2f); p = 0.5: %.5f +- "
                         "%.5f vs %.5f (z = %.2f); p = 0.8: %.5f +- %.5f vs %.5f (z = %.2f).", est[0], se[0], val[0],
                         items[0].z, est[1], se[1], val[1], items[1].z, est[2], se[2], val[2], items[2].z);
    if (fr.verdict == IL_REGISTRY_HOLDS)
        il_registry_evidence(res, " All consistent within 1%%: w' = w xi with xi ~ Bernoulli(1 - p) independent of w "
                             "has E[w'] = E[w] E[xi] = E[w](1 - p).");
    else if (fr.verdict == IL_REGISTRY_REFUTED)
        il_registry_correct(res, "E[w'] is what the estimates show");
    else
        il_registry_evidence(res, " Not decided at this size; about %.3g draws would decide.", fr.n_needed);
    (void)e;
    il_registry_decide(res, fr.verdict, fr.margin);
    return IL_OK;
}

/* P2b: one network 'input:8,dropconnect:0.5,linear:8:nobias,sigmoid' (weights N(0, 1)) and one fixed input; the
 * training-time outputs over many masks against the inference-time output with weights w (1 - p). */
#define P2B_W 8
#define P2B_DRAWS 6000000
#define P2B_P 0.5

static il_status check_p2b(const il_registry_entry *e, il_registry_ctx *ctx, il_registry_result *res)
{
    (void)e;
    il_net tr, ev;
    il_net_init(&tr);
    il_net_init(&ev);
    char spec[128], err[256];
    snprintf(spec, sizeof spec, "input:%d,dropconnect:%g,linear:%d:nobias,sigmoid", P2B_W, P2B_P, P2B_W);
    il_status rc = il_net_parse_arch(&tr, spec, IL_DROP_INVERTED, err, sizeof err);
    if (rc == IL_OK)
        rc = il_net_parse_arch(&ev, spec, IL_DROP_INVERTED, err, sizeof err);
    il_init_spec_default(IL_INIT_NORMAL, &tr.winit);
    ev.winit = tr.winit;
    tr.train = 1;
    ev.train = 0;
    il_net_ws *wt = NULL, *we = NULL;
    if (rc == IL_OK)
        rc = il_net_check(&tr, 1, err, sizeof err);
    if (rc == IL_OK && (!(wt = il_net_ws_alloc(&tr, 1)) || !(we = il_net_ws_alloc(&ev, 1))))
        rc = IL_ENOMEM;
    double x[P2B_W], pre[P2B_W], post[P2B_W], epre[P2B_W], epost[P2B_W];
    wacc apre[P2B_W], apost[P2B_W], sq_pre[P2B_W], sq_post[P2B_W];
    memset(apre, 0, sizeof apre);
    memset(apost, 0, sizeof apost);
    memset(sq_pre, 0, sizeof sq_pre);
    memset(sq_post, 0, sizeof sq_post);
    capture cap = {1, pre, post}, ecap = {1, epre, epost};
    size_t bad;
    if (rc == IL_OK) {
        il_rng r;
        il_registry_rng(ctx, "S000-P2b/net", 0, &r);
        rc = il_net_draw_weights(&tr, wt, &r);
        il_rng_fill_normal(&r, x, P2B_W, 0.0, 1.0);
        if (rc == IL_OK) {
            il_net_copy_weights(&tr, wt, we);
            rc = il_net_forward_input(&ev, we, x, &r, 1, cap_visit, &ecap, &bad);
        }
    }
    for (size_t d = 0; d < P2B_DRAWS && rc == IL_OK; d++) {
        il_rng r;
        il_registry_rng(ctx, "S000-P2b/masks", d, &r);
        rc = il_net_forward_input(&tr, wt, x, &r, 1, cap_visit, &cap, &bad);
        for (size_t i = 0; i < P2B_W && rc == IL_OK; i++) {
            wacc_push(&apre[i], pre[i], d + 1);
            wacc_push(&apost[i], post[i], d + 1);
            wacc_push(&sq_pre[i], pre[i] * pre[i], d + 1);
            wacc_push(&sq_post[i], post[i] * post[i], d + 1);
        }
    }
    il_net_ws_free(wt);
    il_net_ws_free(we);
    il_net_release(&tr);
    il_net_release(&ev);
    IL_TRY(rc);
    double est[2][P2B_W], se[2][P2B_W], val[2][P2B_W], scale[2][P2B_W];
    for (size_t i = 0; i < P2B_W; i++) {
        est[0][i] = apre[i].mean;
        se[0][i] = wacc_se(&apre[i], P2B_DRAWS);
        val[0][i] = epre[i];
        scale[0][i] = sqrt(sq_pre[i].mean);
        est[1][i] = apost[i].mean;
        se[1][i] = wacc_se(&apost[i], P2B_DRAWS);
        val[1][i] = epost[i];
        scale[1][i] = sqrt(sq_post[i].mean);
    }
    il_verdict_item it[2][P2B_W];
    il_registry_family_result fpre, fpost;
    IL_TRY(il_registry_family(est[0], se[0], val[0], scale[0], P2B_W, P2B_DRAWS, IL_VERDICT_REL_TOL, it[0], &fpre));
    IL_TRY(il_registry_family(est[1], se[1], val[1], scale[1], P2B_W, P2B_DRAWS, IL_VERDICT_REL_TOL, it[1], &fpost));
    il_registry_config(res, "one network '%s' (weights N(0, 1), drawn once) and one input x ~ N(0, 1)^%d; %d "
                       "training-time forward passes with independent DropConnect masks (p = %g) against one "
                       "inference-time pass (the engine's eval mode: weights w (1 - p)); generators "
                       "il_rng_seed_draw(il_registry_seed(seed, 'S000-P2b/net'), 0) and (.., 'S000-P2b/masks'), d)",
                       spec, P2B_W, P2B_DRAWS, P2B_P);
    il_registry_test(res, "THE RULE (analysis/verdict.h, Holm, alpha = 10^-5) per unit: the mean training-time "
                     "output against the inference-time output, 'consistent' within 1%% of the unit's RMS; first "
                     "for the linear output (8 units), then after the sigmoid (8 units, a separate family); holds "
                     "if both are consistent, holds-with-caveat if the linear outputs are and the activated ones "
                     "are refuted, refuted if the linear outputs are refuted");
    il_registry_num_add(res, "pre_max_abs_z", fpre.max_abs_z);
    il_registry_num_add(res, "pre_margin", fpre.margin);
    il_registry_num_add(res, "post_max_abs_z", fpost.max_abs_z);
    size_t w = fpost.worst;
    il_registry_num_add(res, "post_worst_unit", (double)w);
    il_registry_num_add(res, "post_train_mean", est[1][w]);
    il_registry_num_add(res, "post_train_se", se[1][w]);
    il_registry_num_add(res, "post_inference", val[1][w]);
    il_registry_evidence(res, "Reading of the implied rule: at inference, use each weight's expectation w (1 - p). "
                         "Linear outputs: the training-time mean equals the inference output at every unit (max |z| = "
                         "%.2f over %d units; %s). After the sigmoid: %s (max |z| = %.1f; unit %zu: E[sigma(W'x)] = "
                         "%.5f +- %.5f, sigma(E[W']x) = %.5f).", fpre.max_abs_z, P2B_W,
                         il_registry_verdict_name(fpre.verdict), il_registry_verdict_name(fpost.verdict),
                         fpost.max_abs_z, w, est[1][w], se[1][w], val[1][w]);
    FILE *df;
    IL_TRY(il_registry_data_open(ctx, res, "S000-P2b.tsv", &df));
    if (df) {
        fprintf(df, "# S000-P2b: training-time mean over DropConnect masks vs the inference rule w(1-p)\n"
                    "unit\tpoint\ttrain_mean\ttrain_se\tinference\tz\n");
        for (int pt = 0; pt < 2; pt++)
            for (size_t i = 0; i < P2B_W; i++)
                fprintf(df, "%zu\t%s\t%.17g\t%.17g\t%.17g\t%.17g\n", i, pt ? "post" : "pre", est[pt][i], se[pt][i],
                        val[pt][i], it[pt][i].z);
    }
    IL_TRY(il_registry_data_close(df));
    if (fpre.verdict == IL_REGISTRY_HOLDS && fpost.verdict == IL_REGISTRY_REFUTED) {
        il_registry_evidence(res, " The rule reproduces the mean of each linear output exactly (E[W'] x = (1 - p) W x), "
                             "but not after a nonlinearity: E[phi(W'x)] != phi(E[W'x]) (Wan et al. 2013 use a "
                             "moment-matched Gaussian at inference for this reason). The seed's own sentence, 'the "
                             "drop-out rate is p during training time', restates p and derives no rule.");
        il_registry_correct(res, "scaling the weights by the keep probability 1 - p at inference reproduces the "
                            "training-time mean of every linear output (pre-activation), exactly; it does not "
                            "reproduce the mean after a nonlinearity, nor the training-time variance");
        il_registry_decide(res, IL_REGISTRY_CAVEAT, fmin(fpre.margin, fpost.margin));
    } else if (fpre.verdict == IL_REGISTRY_HOLDS && fpost.verdict == IL_REGISTRY_HOLDS) {
        il_registry_decide(res, IL_REGISTRY_HOLDS, fmin(fpre.margin, fpost.margin));
    } else if (fpre.verdict == IL_REGISTRY_REFUTED) {
        il_registry_correct(res, "the inference output with weights w (1 - p) differs from the training-time mean");
        il_registry_decide(res, IL_REGISTRY_REFUTED, fpre.margin);
    } else {
        il_registry_evidence(res, " Not decided at this size.");
        il_registry_decide(res, IL_REGISTRY_UNDECIDED, NAN);
    }
    return IL_OK;
}

/* ====================================================================================================== P3 */

/* BatchNorm in training mode, gamma 1, beta 0, exactly as sim/net.c computes it, on error-tracked values:
 * v[r] (r < B) -> (v[r] - m) / sqrt(var + eps), m and var the batch mean and biased variance. */
#define P3_B 16
#define P3_N 8

static void bn_ev(const il_registry_ev *v, size_t B, il_registry_ev *out)
{
    il_registry_ev m = il_registry_ev_exact(0.0), var = il_registry_ev_exact(0.0);
    il_registry_ev nb = il_registry_ev_exact((double)B);
    for (size_t r = 0; r < B; r++)
        m = il_registry_ev_add(m, v[r]);
    m = il_registry_ev_div(m, nb);
    for (size_t r = 0; r < B; r++) {
        il_registry_ev c = il_registry_ev_sub(v[r], m);
        var = il_registry_ev_add(var, il_registry_ev_mul(c, c));
    }
    var = il_registry_ev_div(var, nb);
    il_registry_ev inv = il_registry_ev_div(il_registry_ev_exact(1.0),
                                            il_registry_ev_sqrt(il_registry_ev_add(var, il_registry_ev_exact(IL_BN_EPS))));
    for (size_t r = 0; r < B; r++)
        out[r] = il_registry_ev_mul(il_registry_ev_sub(v[r], m), inv);
}

/* The floating-point error bounds of the engine's outputs for 'linear(+bias) -> batchnorm' (bias b may be
 * NULL): X is B x n, W is k x n; err is B x k. */
static void lin_bn_err(const double *X, const double *W, const double *b, size_t B, size_t n, size_t k, double *err)
{
    il_registry_ev xs[P3_N], ws[P3_N], v[P3_B], out[P3_B];
    for (size_t o = 0; o < k; o++) {
        for (size_t j = 0; j < n; j++)
            ws[j] = il_registry_ev_exact(W[o * n + j]);
        for (size_t r = 0; r < B; r++) {
            for (size_t j = 0; j < n; j++)
                xs[j] = il_registry_ev_exact(X[r * n + j]);
            v[r] = il_registry_ev_dot(xs, ws, n, il_registry_ev_exact(b ? b[o] : 0.0));
        }
        bn_ev(v, B, out);
        for (size_t r = 0; r < B; r++)
            err[r * k + o] = out[r].e;
    }
}

#define P3_INSTANCES 200

static il_status p3_nets(il_net *a, il_net *nb, int train)
{
    char spec[96], err[256];
    snprintf(spec, sizeof spec, "input:%d,linear:%d,batchnorm", P3_N, P3_N);
    IL_TRY(il_net_parse_arch(a, spec, IL_DROP_INVERTED, err, sizeof err));
    snprintf(spec, sizeof spec, "input:%d,linear:%d:nobias,batchnorm", P3_N, P3_N);
    IL_TRY(il_net_parse_arch(nb, spec, IL_DROP_INVERTED, err, sizeof err));
    il_init_spec_default(IL_INIT_UNIFORM, &a->binit);
    a->binit.lo = -10.0;
    a->binit.hi = 10.0;
    a->train = nb->train = train;
    IL_TRY(il_net_check(a, P3_B, err, sizeof err));
    return il_net_check(nb, P3_B, err, sizeof err);
}

static il_status check_p3a(const il_registry_entry *e, il_registry_ctx *ctx, il_registry_result *res)
{
    (void)e;
    il_net A, Bn, Ae, Be;
    il_net_init(&A);
    il_net_init(&Bn);
    il_net_init(&Ae);
    il_net_init(&Be);
    il_status rc = p3_nets(&A, &Bn, 1);
    if (rc == IL_OK)
        rc = p3_nets(&Ae, &Be, 0);
    il_net_ws *wa = NULL, *wb = NULL;
    if (rc == IL_OK && (!(wa = il_net_ws_alloc(&A, P3_B)) || !(wb = il_net_ws_alloc(&Bn, P3_B))))
        rc = IL_ENOMEM;
    double X[P3_B * P3_N], ya[P3_B * P3_N], yb[P3_B * P3_N], ea[P3_B * P3_N], eb[P3_B * P3_N];
    double max_ratio = 0.0, max_diff = 0.0, max_eval_diff = 0.0, max_eval_pred_err = 0.0, max_b = 0.0;
    size_t worst = 0;
    for (size_t i = 0; i < P3_INSTANCES && rc == IL_OK; i++) {
        il_rng r, r2, rx;
        il_registry_rng(ctx, "S000-P3", i, &r);
        r2 = r; /* the same stream: W comes first in both, then A's bias */
        il_registry_rng(ctx, "S000-P3/x", i, &rx);
        il_rng_fill_normal(&rx, X, P3_B * P3_N, 0.0, 1.0);
        size_t bad;
        capture ca = {1, NULL, ya}, cb = {1, NULL, yb};
        rc = il_net_draw_weights(&A, wa, &r);
        if (rc == IL_OK)
            rc = il_net_draw_weights(&Bn, wb, &r2);
        if (rc == IL_OK)
            rc = il_net_forward_input(&A, wa, X, &r, 1, cap_visit, &ca, &bad);
        if (rc == IL_OK)
            rc = il_net_forward_input(&Bn, wb, X, &r2, 1, cap_visit, &cb, &bad);
        if (rc != IL_OK)
            break;
        const double *W = il_net_weight(wa, 1), *b = il_net_bias(wa, 1);
        if (memcmp(W, il_net_weight(wb, 1), sizeof(double) * P3_N * P3_N) != 0) {
            snprintf(res->evidence, sizeof res->evidence, "the two networks did not get the same weights");
            rc = IL_EINVAL;
            break;
        }
        lin_bn_err(X, W, b, P3_B, P3_N, P3_N, ea);
        lin_bn_err(X, W, NULL, P3_B, P3_N, P3_N, eb);
        for (size_t k = 0; k < P3_B * P3_N; k++) {
            double d = fabs(ya[k] - yb[k]), ratio = d / (ea[k] + eb[k]);
            if (d > max_diff)
                max_diff = d;
            if (ratio > max_ratio || isnan(ratio)) {
                max_ratio = ratio;
                worst = i;
            }
        }
        /* eval mode at the initial running statistics (mean 0, var 1): y = v / sqrt(1 + eps) */
        capture cea = {1, NULL, ya}, ceb = {1, NULL, yb};
        rc = il_net_forward_input(&Ae, wa, X, &r, 1, cap_visit, &cea, &bad);
        if (rc == IL_OK)
            rc = il_net_forward_input(&Be, wb, X, &r2, 1, cap_visit, &ceb, &bad);
        for (size_t k = 0; k < P3_B * P3_N && rc == IL_OK; k++) {
            double d = fabs(ya[k] - yb[k]), pred = fabs(b[k % P3_N]) / sqrt(1.0 + IL_BN_EPS);
            if (d > max_eval_diff)
                max_eval_diff = d;
            if (fabs(d - pred) > max_eval_pred_err)
                max_eval_pred_err = fabs(d - pred);
            if (fabs(b[k % P3_N]) > max_b)
                max_b = fabs(b[k % P3_N]);
        }
    }
    il_net_ws_free(wa);
    il_net_ws_free(wb);
    il_net_release(&A);
    il_net_release(&Bn);
    il_net_release(&Ae);
    il_net_release(&Be);
    IL_TRY(rc);
    il_registry_config(res, "%d instances: the engine's 'input:%d,linear:%d,batchnorm' (bias U(-10, 10), so the bias "
                       "dominates W x) and 'input:%d,linear:%d:nobias,batchnorm' with the same weights (torch init) "
                       "and the same batch of %d inputs ~ N(0, 1); BatchNorm gamma = 1, beta = 0, eps = 1e-5; "
                       "generators il_rng_seed_draw(il_registry_seed(seed, 'S000-P3'), i) and (.., 'S000-P3/x'), i)",
                       P3_INSTANCES, P3_N, P3_N, P3_N, P3_N, P3_B);
    il_registry_test(res, "exact identity BN(Wx + b) = BN(Wx) in exact arithmetic (the batch mean contains b); in "
                     "floating point |y_bias - y_nobias| <= err_bias + err_nobias, the running error bounds of the two "
                     "evaluations (linear layer for any summation order, then the batch mean, centring, biased "
                     "variance, 1/sqrt(var + eps), product, as sim/net.c computes them); holds iff the ratio <= 1 for "
                     "every output of every instance");
    il_registry_num_add(res, "max_ratio", max_ratio);
    il_registry_num_add(res, "max_abs_diff", max_diff);
    il_registry_num_add(res, "worst_instance", (double)worst);
    il_registry_num_add(res, "eval_init_max_abs_diff", max_eval_diff);
    il_registry_num_add(res, "max_abs_bias", max_b);
    if (max_ratio <= 1.0) {
        il_registry_evidence(res, "Training mode: the outputs with and without the bias agree within their floating-"
                             "point bound at every output of %d instances (max |difference| = %.3g, max difference/"
                             "bound = %.3g): the batch mean moves with b, so (Wx + b) - mean = Wx - mean(Wx) and the "
                             "variance does not see b. With bias=False the layer computes the same function, and "
                             "beta still supplies the shift. Note: in eval mode with the initial running statistics "
                             "(mean 0, var 1) the outputs differ by |b|/sqrt(1 + eps) (max %.3g; prediction error "
                             "%.2g): at inference the bias cancels only once the running mean has absorbed it (a "
                             "residual 0.9^T b/sqrt(running_var + eps) after T updates with PyTorch's momentum 0.1), "
                             "so a fitted model loses nothing.", P3_INSTANCES, max_diff, max_ratio, max_eval_diff,
                             max_eval_pred_err);
        il_registry_decide(res, IL_REGISTRY_HOLDS, max_ratio > 0.0 ? 1.0 / max_ratio : INFINITY);
    } else {
        il_registry_evidence(res, "The outputs with and without the bias differ beyond their floating-point bound "
                             "(max ratio %.3g at instance %zu, max |difference| %.3g).", max_ratio, worst, max_diff);
        il_registry_correct(res, "the bias changes the output of Linear -> BatchNorm");
        il_registry_decide(res, IL_REGISTRY_REFUTED, max_ratio);
    }
    return IL_OK;
}

/* P3b: the derivative of the BatchNorm output with respect to the linear bias. Model: theta = (b), outputs
 * BN(s + b) over a batch, s fixed. */
typedef struct {
    const double *s;
} p3_model;

static il_status p3_eval(const void *model, const double *th, il_registry_ev *out)
{
    const p3_model *pm = model;
    il_registry_ev v[P3_B];
    for (size_t r = 0; r < P3_B; r++)
        v[r] = il_registry_ev_add(il_registry_ev_exact(pm->s[r]), il_registry_ev_exact(th[0]));
    bn_ev(v, P3_B, out);
    return IL_OK;
}

#define P3B_INSTANCES 50

static il_status check_p3b(const il_registry_entry *e, il_registry_ctx *ctx, il_registry_result *res)
{
    (void)e;
    il_registry_fdcmp seed, corr;
    il_registry_fdcmp_reset(&seed);
    il_registry_fdcmp_reset(&corr);
    double W[P3_N * P3_N], b[P3_N], X[P3_B * P3_N], s[P3_B], fd[P3_B], bd[P3_B], cl[P3_B], zero[P3_B];
    double max_inv_sd = 0.0;
    memset(zero, 0, sizeof zero);
    for (size_t i = 0; i < P3B_INSTANCES; i++) {
        il_rng r;
        il_registry_rng(ctx, "S000-P3b", i, &r);
        double bound = 1.0 / sqrt((double)P3_N);
        il_rng_fill_uniform(&r, W, P3_N * P3_N, -bound, bound);
        il_rng_fill_uniform(&r, b, P3_N, -10.0, 10.0);
        il_registry_snap(b, P3_N, IL_REGISTRY_FD_H);
        il_rng_fill_normal(&r, X, P3_B * P3_N, 0.0, 1.0);
        for (size_t o = 0; o < P3_N; o++) {
            double mean = 0.0, var = 0.0;
            for (size_t rr = 0; rr < P3_B; rr++) {
                double a = 0.0;
                for (size_t j = 0; j < P3_N; j++)
                    a += X[rr * P3_N + j] * W[o * P3_N + j];
                s[rr] = a;
                mean += a + b[o];
            }
            mean /= P3_B;
            for (size_t rr = 0; rr < P3_B; rr++)
                var += (s[rr] + b[o] - mean) * (s[rr] + b[o] - mean);
            var /= P3_B;
            double inv_sd = 1.0 / sqrt(var + IL_BN_EPS); /* gamma / sigma, gamma = 1 */
            if (inv_sd > max_inv_sd)
                max_inv_sd = inv_sd;
            for (size_t rr = 0; rr < P3_B; rr++)
                cl[rr] = inv_sd; /* the seed's y' = (gamma/sigma) x + (beta - gamma mu/sigma), mu, sigma constants */
            p3_model pm = {s};
            il_registry_fn fn = {1, P3_B, p3_eval, &pm, NAN};
            IL_TRY(il_registry_fd(&fn, &b[o], 0, 1, fd, bd));
            il_registry_fdcmp_add(&seed, i, cl, NULL, fd, bd, P3_B);
            il_registry_fdcmp_add(&corr, i, zero, NULL, fd, bd, P3_B);
        }
    }
    il_registry_config(res, "%d instances x %d units: W ~ U(-1/sqrt(%d), 1/sqrt(%d)) (torch), b ~ U(-10, 10), a batch "
                       "of %d inputs ~ N(0, 1); BatchNorm in training mode as sim/net.c computes it (gamma = 1, beta = "
                       "0, eps = 1e-5); central differences in b with h = 2^-17; generator il_rng_seed_draw("
                       "il_registry_seed(seed, 'S000-P3b'), i)", P3B_INSTANCES, P3_N, P3_N, P3_N, P3_B);
    il_registry_test(res, "the derivative of every BatchNorm output with respect to b that the argument implies (its "
                     "identity y' = (gamma/sigma) x + (beta - gamma mu/sigma) with mu and sigma held fixed, as the "
                     "argument treats them when it calls beta - gamma mu/sigma a bias: dy'/db = gamma/sigma) against "
                     "central differences of the network's output; bound as in S000-P1a; refuted iff the ratio exceeds "
                     "1 somewhere; control: the derivative 0 passes");
    il_registry_num_add(res, "max_ratio", seed.max_ratio);
    il_registry_num_add(res, "max_abs_fd", seed.max_abs_fd);
    il_registry_num_add(res, "max_claimed", max_inv_sd);
    il_registry_num_add(res, "control_max_ratio", corr.max_ratio);
    if (!(corr.max_ratio <= 1.0)) {
        il_registry_evidence(res, "the checker failed its control (derivative 0: max ratio %.3g)", corr.max_ratio);
        il_registry_decide(res, IL_REGISTRY_UNDECIDED, NAN);
        return IL_OK;
    }
    if (seed.max_ratio > 1.0) {
        il_registry_evidence(res, "The network's BatchNorm output does not depend on b: every central difference is 0 "
                             "within its bound (max |D| = %.3g; the derivative 0 passes with max ratio %.3g), while the "
                             "argument, reading beta - gamma mu/sigma as a bias that takes over from b with mu and "
                             "sigma fixed, implies dy'/db = gamma/sigma (up to %.3g here): max ratio %.3g. The identity "
                             "y' = (gamma/sigma) x + (beta - gamma mu/sigma) is true algebra, but it does not show that "
                             "b is unnecessary: mu is the batch mean of wx + b and contains b. The claim (S000-P3a) holds "
                             "for a different reason than the one given.", seed.max_abs_fd, corr.max_ratio, max_inv_sd,
                             seed.max_ratio);
        il_registry_correct(res, "mu is the batch mean of wx + b, so (wx + b) - mu = wx - mean(wx), and sigma does not "
                            "depend on b: BN(wx + b) = BN(wx) exactly for every b (training mode; at inference once "
                            "the running mean has tracked b). The bias cancels; it is not absorbed by beta, which "
                            "plays the same role with or without it");
        il_registry_decide(res, IL_REGISTRY_REFUTED, seed.max_ratio);
    } else {
        il_registry_evidence(res, "The implied derivative gamma/sigma agrees with the network (max ratio %.3g).",
                             seed.max_ratio);
        il_registry_decide(res, IL_REGISTRY_HOLDS, 1.0 / seed.max_ratio);
    }
    return IL_OK;
}

/* ====================================================================================================== table */

const il_registry_entry il_checks_s000[] = {
    {"S000-P1a", SRC1, "de/dW2 = (de/dy)(dy/dz)(dz/dW2) = -sigma(z)(1 - sigma(z)) h", P1_READING, check_p1_formula, &P1A},
    {"S000-P1b", SRC1, "de/db2 = (de/dy)(dy/dz)(dz/db2) = -sigma(z)(1 - sigma(z))", P1_READING, check_p1_formula, &P1B},
    {"S000-P1c", SRC1, "de/dW1 = (de/dy)(dy/dz)(dz/dh)(dh/ds)(ds/dW1) = -sigma(z)(1 - sigma(z)) W2 sigma(s)(1 - sigma(s)) x",
     P1_READING, check_p1_formula, &P1C},
    {"S000-P1d", SRC1, "de/db1 = -sigma(z)(1 - sigma(z)) W2 sigma(s)(1 - sigma(s))", P1_READING, check_p1_formula, &P1D},
    {"S000-P1e", SRC1, "If z = W2 h + b2 + s: de/dW2 = -sigma(z)(1 - sigma(z)) h", P1_READING, check_p1_formula, &P1E},
    {"S000-P1f", SRC1, "If z = W2 h + b2 + s: de/db2 = -sigma(z)(1 - sigma(z))", P1_READING, check_p1_formula, &P1F},
    {"S000-P1g", SRC1, "If z = W2 h + b2 + s: de/dW1 = -sigma(z)(1 - sigma(z)) (W2 sigma(s)(1 - sigma(s)) x + x)",
     P1_READING, check_p1_formula, &P1G},
    {"S000-P1h", SRC1, "If z = W2 h + b2 + s: de/db1 = -sigma(z)(1 - sigma(z)) (W2 sigma(s)(1 - sigma(s)) + 1)",
     P1_READING, check_p1_formula, &P1H},
    {"S000-P1i", SRC1, "In the variant z = W2 h + b2 + s, the skip path (dz/ds)(ds/dW1) adds the term '+ x' to the W1 "
     "gradient and '+ 1' to the b1 gradient (inside the bracket)",
     "The added terms are read as multiplied by the common factor (de/dy)(dy/dz) = de/dz, as in the seed's chain-rule "
     "line; the check isolates the skip path by holding h at its value.", check_p1_skip, NULL},
    {"S000-P2a", SRC2, "DropConnect: w' = w xi with xi ~ Bernoulli(1 - p) independent of w; E[w'] = E[w] (1 - p)",
     "xi = 0 with probability p (dropped), 1 otherwise, no rescaling, as the problem describes (the engine's "
     "DropConnect).", check_p2a, NULL},
    {"S000-P2b", SRC2, "The inference-time rule the answer implies: use E[w'] = E[w](1 - p) at inference ('Which means the "
     "drop-out rate is p during training time')",
     "The answer gives no rule explicitly; the question says the expected value is what is used, so the implied rule is: "
     "at inference, replace each weight by w (1 - p) (the engine's DropConnect eval mode). 'Reproduces training' is "
     "read as: the inference output equals the mean training-time output.", check_p2b, NULL},
    {"S000-P3a", SRC3, "After Linear -> BatchNorm the Linear bias is unnecessary: with nn.Linear(..., bias=False) no "
     "information is lost",
     "BatchNorm1d with affine gamma, beta (here 1 and 0, which does not matter for the identity), batch statistics in "
     "training mode; 'no information is lost' = the output is the same function of the input.", check_p3a, NULL},
    {"S000-P3b", SRC3, "The seed's argument: y' = gamma (x - mu)/sigma + beta = (gamma/sigma) x + (beta - gamma mu/sigma); "
     "b can be replaced by (beta - gamma mu/sigma) because gamma and beta can be seen as two biases",
     "x in the seed's formula is the BatchNorm input (the linear output wx + b), mu and sigma its batch mean and "
     "standard deviation. The argument treats mu and sigma as constants and beta - gamma mu/sigma as a bias that takes "
     "over from b; its implied dependence of the output on b (gamma/sigma per unit of b) is what is checked.",
     check_p3b, NULL},
};
const size_t il_checks_s000_count = sizeof il_checks_s000 / sizeof il_checks_s000[0];
