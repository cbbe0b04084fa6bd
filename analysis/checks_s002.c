/* checks_s002.c: the claims of seed homework 002 (registry.h; readings and methods in docs/claims.md).
 *
 *   P1  the given weights implement "1 iff x1 < x2 < x3 < x4" with hard-threshold units: exhaustively on integer
 *       grids (ties included) and on random inputs;
 *   P2  the backprop equations of J = R + S for a network with a skip from x to y: each scalar and vector form
 *       against central differences of J (with zero probes on h to read off dJ/dh);
 *   P3  which weight derivatives of a small relu network are guaranteed to be 0: central differences over many
 *       random completions of the parameters the seed leaves out. */
#include "registry.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SRC1 "seed 002, problem 1"
#define SRC2 "seed 002, problem 2"
#define SRC3 "seed 002, problem 3"

/* ====================================================================================================== P1 */

static const double P1_W1[3][4] = {{1, -1, 0, 0}, {0, 1, -1, 0}, {0, 0, 1, -1}};
static const double P1_B1[3] = {0, 0, 0};
static const double P1_W2[3] = {-1, -1, -1};
static const double P1_B2 = 0;

/* Hard threshold: phi(z) = 1 for z >= 0 (ge = 1) or for z > 0 (ge = 0), else 0. */
static double step(double z, int ge)
{
    return ge ? (z >= 0.0 ? 1.0 : 0.0) : (z > 0.0 ? 1.0 : 0.0);
}

static double p1_net(const double *x, int ge)
{
    double o = P1_B2;
    for (size_t i = 0; i < 3; i++) {
        double z = P1_B1[i];
        for (size_t j = 0; j < 4; j++)
            z += P1_W1[i][j] * x[j];
        o += P1_W2[i] * step(z, ge);
    }
    return step(o, ge);
}

static int p1_target(const double *x)
{
    return x[0] < x[1] && x[1] < x[2] && x[2] < x[3];
}

typedef struct {
    size_t n, wrong, wrong_alt, positives, ties;
    double cx[4], cx_alt[4];
    int has_cx, has_cx_alt;
} p1_count;

static void p1_test_point(p1_count *c, const double *x)
{
    int t = p1_target(x);
    c->n++;
    c->positives += t;
    c->ties += x[0] == x[1] || x[1] == x[2] || x[2] == x[3];
    if ((p1_net(x, 1) != 0.0) != t) {
        if (!c->has_cx)
            memcpy(c->cx, x, sizeof c->cx);
        c->has_cx = 1;
        c->wrong++;
    }
    if ((p1_net(x, 0) != 0.0) != t) {
        if (!c->has_cx_alt)
            memcpy(c->cx_alt, x, sizeof c->cx_alt);
        c->has_cx_alt = 1;
        c->wrong_alt++;
    }
}

#define P1_RANDOM 100000

static il_status check_p1(const il_registry_entry *e, il_registry_ctx *ctx, il_registry_result *res)
{
    (void)e;
    p1_count c;
    memset(&c, 0, sizeof c);
    double x[4];
    /* every point of {-2, ..., 2}^4: all orderings of four values, with every pattern of ties */
    for (int a = 0; a < 625; a++) {
        int v = a;
        for (size_t j = 0; j < 4; j++) {
            x[j] = (double)(v % 5 - 2);
            v /= 5;
        }
        p1_test_point(&c, x);
    }
    size_t grid = c.n;
    il_rng r;
    il_registry_rng(ctx, "S002-P1", 0, &r);
    for (size_t i = 0; i < P1_RANDOM; i++) {
        il_rng_fill_normal(&r, x, 4, 0.0, 1.0);
        p1_test_point(&c, x);
    }
    /* near-ties: differences of one ulp */
    for (size_t i = 0; i < P1_RANDOM / 10; i++) {
        il_rng_fill_normal(&r, x, 4, 0.0, 1.0);
        size_t k = (size_t)(il_rng_u64(&r) % 3);
        x[k + 1] = nextafter(x[k], (il_rng_u64(&r) & 1) ? INFINITY : -INFINITY);
        p1_test_point(&c, x);
    }
    il_registry_config(res, "W1 = [[1,-1,0,0],[0,1,-1,0],[0,0,1,-1]], b1 = 0, w2 = [-1,-1,-1], b2 = 0 as given; all "
                       "%zu points of {-2,...,2}^4 (every ordering and tie pattern of four values), %d inputs ~ "
                       "N(0, I_4) and %d with two neighbours one ulp apart; generator il_rng_seed_draw("
                       "il_registry_seed(seed, 'S002-P1'), 0)", grid, P1_RANDOM, P1_RANDOM / 10);
    il_registry_test(res, "exact computation (integer weights; the sign of a floating-point difference is exact): "
                     "holds iff the network's output equals [x1 < x2 < x3 < x4] at every input");
    il_registry_num_add(res, "inputs", (double)c.n);
    il_registry_num_add(res, "grid_points", (double)grid);
    il_registry_num_add(res, "with_ties", (double)c.ties);
    il_registry_num_add(res, "increasing", (double)c.positives);
    il_registry_num_add(res, "wrong", (double)c.wrong);
    il_registry_num_add(res, "wrong_if_phi0_is_0", (double)c.wrong_alt);
    il_registry_evidence(res, "With phi(z) = 1 for z >= 0: the output equals [x1 < x2 < x3 < x4] at all %zu inputs "
                         "(%zu increasing, %zu with ties; %zu wrong). Hidden unit i fires iff x_i >= x_{i+1}; the "
                         "output fires iff none does (-h1 - h2 - h3 >= 0). The convention phi(0) = 1 matters: with "
                         "phi(z) = 1 only for z > 0 the output is phi(0) = 0 on every increasing input (%zu wrong).",
                         c.n, c.positives, c.ties, c.wrong, c.wrong_alt);
    if (c.wrong == 0) {
        il_registry_decide(res, IL_REGISTRY_HOLDS, INFINITY);
    } else {
        il_registry_evidence(res, " First wrong input: (%g, %g, %g, %g).", c.cx[0], c.cx[1], c.cx[2], c.cx[3]);
        il_registry_correct(res, "the network is wrong on %zu inputs", c.wrong);
        il_registry_decide(res, IL_REGISTRY_REFUTED, INFINITY);
    }
    return IL_OK;
}

/* ====================================================================================================== P2 */

/* z = W1 x + b1 (W1: m x n), h = sigma(z) + ph (ph = 0: a probe to read off dJ/dh), y = x + W2 h + b2 (W2: n x m),
 * R = sum r_i h_i, S = sum (y_i - s_i)^2 / 2, J = R + S.
 * theta = W1 | b1 (m) | W2 | b2 (n) | x (n) | ph (m). */
#define P2_MAX 5
#define P2_MAXD (2 * P2_MAX * P2_MAX + 4 * P2_MAX)

typedef struct {
    size_t n, m;
    const double *r, *s;
    il_act sig;
} p2_net;

enum { P2_W1, P2_B1, P2_W2, P2_B2, P2_X, P2_PH };

static size_t p2_off(const p2_net *net, int blk)
{
    const size_t n = net->n, m = net->m;
    size_t off[6] = {0, m * n, m * n + m, 2 * m * n + m, 2 * m * n + m + n, 2 * m * n + m + 2 * n};
    return off[blk];
}

static size_t p2_dim(const p2_net *net)
{
    return p2_off(net, P2_PH) + net->m;
}

static il_status p2_eval(const void *model, const double *th, il_registry_ev *out)
{
    const p2_net *net = model;
    const size_t n = net->n, m = net->m;
    const double *W1 = th, *b1 = th + p2_off(net, P2_B1), *W2 = th + p2_off(net, P2_W2), *b2 = th + p2_off(net, P2_B2),
                 *x = th + p2_off(net, P2_X), *ph = th + p2_off(net, P2_PH);
    il_registry_ev xs[P2_MAX], w[P2_MAX], h[P2_MAX];
    for (size_t j = 0; j < n; j++)
        xs[j] = il_registry_ev_exact(x[j]);
    il_registry_ev J = il_registry_ev_exact(0.0);
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++)
            w[j] = il_registry_ev_exact(W1[i * n + j]);
        il_registry_ev z = il_registry_ev_dot(xs, w, n, il_registry_ev_exact(b1[i]));
        h[i] = il_registry_ev_add(il_registry_ev_act(&net->sig, z), il_registry_ev_exact(ph[i]));
        J = il_registry_ev_add(J, il_registry_ev_mul(il_registry_ev_exact(net->r[i]), h[i]));
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < m; j++)
            w[j] = il_registry_ev_exact(W2[i * m + j]);
        il_registry_ev y = il_registry_ev_add(xs[i], il_registry_ev_dot(h, w, m, il_registry_ev_exact(b2[i])));
        il_registry_ev d = il_registry_ev_sub(y, il_registry_ev_exact(net->s[i]));
        J = il_registry_ev_add(J, il_registry_ev_mul(il_registry_ev_mul(d, d), il_registry_ev_exact(0.5)));
    }
    out[0] = J;
    return IL_OK;
}

typedef struct {
    double z[P2_MAX], h[P2_MAX], y[P2_MAX], dz[P2_MAX]; /* dz = sigma'(z) */
} p2_fwd;

static void p2_forward(const p2_net *net, const double *th, p2_fwd *f)
{
    const size_t n = net->n, m = net->m;
    const double *W1 = th, *b1 = th + p2_off(net, P2_B1), *W2 = th + p2_off(net, P2_W2), *b2 = th + p2_off(net, P2_B2),
                 *x = th + p2_off(net, P2_X), *ph = th + p2_off(net, P2_PH);
    for (size_t i = 0; i < m; i++) {
        double a = 0.0;
        for (size_t j = 0; j < n; j++)
            a += x[j] * W1[i * n + j];
        f->z[i] = a + b1[i];
        f->h[i] = il_act_eval(&net->sig, f->z[i]) + ph[i];
        f->dz[i] = il_act_deriv(&net->sig, f->z[i]);
    }
    for (size_t i = 0; i < n; i++) {
        double a = 0.0;
        for (size_t j = 0; j < m; j++)
            a += f->h[j] * W2[i * m + j];
        f->y[i] = x[i] + (a + b2[i]);
    }
}

typedef struct {
    p2_net net;
    double r[P2_MAX], s[P2_MAX], th[P2_MAXD];
    p2_fwd f;
    /* central differences of J and their bounds for each block */
    double fd[6][P2_MAX * P2_MAX], bd[6][P2_MAX * P2_MAX];
} p2_instance;

#define P2_INSTANCES 20

/* Instance i: n = m = 4 (the seed's scalar forms index W2 and W1 as if square), or n = 3, m = 5 when square = 0;
 * W1, W2 ~ U(-1.5, 1.5), b1, b2 ~ U(-1, 1), x, r, s ~ N(0, 1), ph = 0, snapped to multiples of h. */
static il_status p2_draw(il_registry_ctx *ctx, size_t i, int square, p2_instance *in)
{
    il_rng r;
    il_registry_rng(ctx, "S002-P2", i + (square ? 0u : 1000u), &r);
    memset(in, 0, sizeof *in);
    in->net.n = square ? 4 : 3;
    in->net.m = square ? 4 : 5;
    il_act_default(IL_ACT_SIGMOID, &in->net.sig);
    const size_t n = in->net.n, m = in->net.m;
    il_rng_fill_normal(&r, in->r, m, 0.0, 1.0);
    il_rng_fill_normal(&r, in->s, n, 0.0, 1.0);
    in->net.r = in->r;
    in->net.s = in->s;
    il_rng_fill_uniform(&r, in->th + p2_off(&in->net, P2_W1), m * n, -1.5, 1.5);
    il_rng_fill_uniform(&r, in->th + p2_off(&in->net, P2_B1), m, -1.0, 1.0);
    il_rng_fill_uniform(&r, in->th + p2_off(&in->net, P2_W2), n * m, -1.5, 1.5);
    il_rng_fill_uniform(&r, in->th + p2_off(&in->net, P2_B2), n, -1.0, 1.0);
    il_rng_fill_normal(&r, in->th + p2_off(&in->net, P2_X), n, 0.0, 1.0);
    il_registry_snap(in->th, p2_dim(&in->net), IL_REGISTRY_FD_H);
    p2_forward(&in->net, in->th, &in->f);
    il_registry_fn fn = {p2_dim(&in->net), 1, p2_eval, &in->net, NAN};
    static const int blks[4] = {P2_B1, P2_B2, P2_X, P2_PH};
    for (size_t b = 0; b < 4; b++) {
        int blk = blks[b];
        size_t len = blk == P2_B1 || blk == P2_PH ? m : n;
        IL_TRY(il_registry_fd(&fn, in->th, p2_off(&in->net, blk), len, in->fd[blk], in->bd[blk]));
    }
    return IL_OK;
}

static void p2_config(il_registry_result *res, int nonsquare)
{
    il_registry_config(res, "%d random instances with n = m = 4%s: W1, W2 ~ U(-1.5, 1.5), b1, b2 ~ U(-1, 1), x, r, s ~ "
                       "N(0, 1), sigma = sigmoid, snapped to multiples of h = 2^-17; y-bar = dJ/db2, z-bar = dJ/db1, "
                       "h-bar = dJ/d(probe on h), x-bar = dJ/dx, all central differences of J with h = 2^-17; "
                       "generator il_rng_seed_draw(il_registry_seed(seed, 'S002-P2'), i%s)", P2_INSTANCES,
                       nonsquare ? ", and as many with n = 3, m = 5" : "", nonsquare ? " or 1000 + i" : "");
}

static void p2_test(il_registry_result *res)
{
    il_registry_test(res, "every entry of the claimed derivative against the central difference of J with respect to "
                     "the matching quantity: |claimed - D| <= bound (as S000-P1a), where a claimed value built from "
                     "other finite differences carries their bounds; holds iff max ratio <= 1 over all instances; "
                     "the correct form passes the same test as a control");
}

/* h-bar_i per a form: 0 the seed's literal r_i + sum_k y_k w2_ik; 1 the same with y-bar for y; 2 correct:
 * r_i + sum_k ybar_k w2_ki; ybar = y - s (the formula of P2a). */
static void p2_hbar(const p2_instance *in, int form, double *hb)
{
    const size_t n = in->net.n, m = in->net.m;
    const double *W2 = in->th + p2_off(&in->net, P2_W2);
    for (size_t i = 0; i < m; i++) {
        double a = 0.0;
        for (size_t k = 0; k < n; k++) {
            double yb = in->f.y[k] - in->s[k];
            if (form == 0)
                a += in->f.y[k] * W2[i * m + k]; /* w2_ik, square only */
            else if (form == 1)
                a += yb * W2[i * m + k];
            else
                a += yb * W2[k * m + i];
        }
        hb[i] = in->r[i] + a;
    }
}

static il_status check_p2a(const il_registry_entry *e, il_registry_ctx *ctx, il_registry_result *res)
{
    (void)e;
    il_registry_fdcmp cy, cz;
    il_registry_fdcmp_reset(&cy);
    il_registry_fdcmp_reset(&cz);
    for (size_t i = 0; i < P2_INSTANCES; i++) {
        p2_instance in;
        IL_TRY(p2_draw(ctx, i, 1, &in));
        const size_t n = in.net.n, m = in.net.m;
        double cl[P2_MAX], ce[P2_MAX];
        for (size_t k = 0; k < n; k++)
            cl[k] = 1.0 * (in.f.y[k] - in.s[k]); /* S-bar (y_i - s_i), S-bar = 1 */
        il_registry_fdcmp_add(&cy, i, cl, NULL, in.fd[P2_B2], in.bd[P2_B2], n);
        for (size_t k = 0; k < m; k++) {
            cl[k] = in.fd[P2_PH][k] * in.f.dz[k]; /* h-bar_i sigma'(z_i) with h-bar from the network */
            ce[k] = in.bd[P2_PH][k] * in.f.dz[k] + 4.0 * IL_REGISTRY_U * fabs(cl[k]);
        }
        il_registry_fdcmp_add(&cz, i, cl, ce, in.fd[P2_B1], in.bd[P2_B1], m);
    }
    p2_config(res, 0);
    p2_test(res);
    double mr = fmax(cy.max_ratio, cz.max_ratio);
    il_registry_num_add(res, "max_ratio_ybar", cy.max_ratio);
    il_registry_num_add(res, "max_ratio_zbar", cz.max_ratio);
    if (mr <= 1.0) {
        il_registry_evidence(res, "y-bar_i = S-bar (y_i - s_i) agrees with dJ/db2 (max ratio %.3g) and z-bar_i = h-bar_i "
                             "sigma'(z_i) with dJ/db1, given the network's h-bar (max ratio %.3g), in %d instances.",
                             cy.max_ratio, cz.max_ratio, P2_INSTANCES);
        il_registry_decide(res, IL_REGISTRY_HOLDS, 1.0 / mr);
    } else {
        il_registry_evidence(res, "Disagreement: max ratio %.3g (y-bar), %.3g (z-bar).", cy.max_ratio, cz.max_ratio);
        il_registry_correct(res, "see the finite differences");
        il_registry_decide(res, IL_REGISTRY_REFUTED, mr);
    }
    return IL_OK;
}

static il_status check_p2b(const il_registry_entry *e, il_registry_ctx *ctx, il_registry_result *res)
{
    (void)e;
    il_registry_fdcmp c[3];
    for (int f = 0; f < 3; f++)
        il_registry_fdcmp_reset(&c[f]);
    for (size_t i = 0; i < P2_INSTANCES; i++) {
        p2_instance in;
        IL_TRY(p2_draw(ctx, i, 1, &in));
        double hb[P2_MAX];
        for (int f = 0; f < 3; f++) {
            p2_hbar(&in, f, hb);
            il_registry_fdcmp_add(&c[f], i, hb, NULL, in.fd[P2_PH], in.bd[P2_PH], in.net.m);
        }
    }
    p2_config(res, 0);
    p2_test(res);
    il_registry_num_add(res, "max_ratio", c[0].max_ratio);
    il_registry_num_add(res, "max_rel_err", c[0].max_rel_err);
    il_registry_num_add(res, "worst_claimed", c[0].worst_claimed);
    il_registry_num_add(res, "worst_fd", c[0].worst_fd);
    il_registry_num_add(res, "ybar_for_y_max_ratio", c[1].max_ratio);
    il_registry_num_add(res, "control_max_ratio", c[2].max_ratio);
    if (!(c[2].max_ratio <= 1.0)) {
        il_registry_evidence(res, "the checker failed its control (max ratio %.3g); no verdict", c[2].max_ratio);
        il_registry_decide(res, IL_REGISTRY_UNDECIDED, NAN);
        return IL_OK;
    }
    il_registry_evidence(res, "Literally, h-bar_i = R-bar r_i + sum_k y_k w2_ik: max ratio %.3g against dJ/dh (instance "
                         "%zu: claimed %.6g, finite difference %.6g; max relative error %.3g). Two slips: y_k where "
                         "y-bar_k is meant (the vector form has W2^T y-bar), and w2_ik where y_k = x_k + sum_j w2_kj h_j "
                         "gives dy_k/dh_i = w2_ki. With y-bar but the same index order: max ratio %.3g (refuted unless "
                         "W2 is symmetric). The correct R-bar r_i + sum_k y-bar_k w2_ki passes (max ratio %.3g).",
                         c[0].max_ratio, c[0].worst_instance, c[0].worst_claimed, c[0].worst_fd, c[0].max_rel_err,
                         c[1].max_ratio, c[2].max_ratio);
    if (c[0].max_ratio > 1.0) {
        il_registry_correct(res, "h-bar_i = R-bar r_i + sum_k y-bar_k w2_ki (= (R-bar r + W2^T y-bar)_i, as the seed's "
                            "own vector form says)");
        il_registry_decide(res, IL_REGISTRY_REFUTED, c[0].max_ratio);
    } else {
        il_registry_decide(res, IL_REGISTRY_HOLDS, 1.0 / c[0].max_ratio);
    }
    return IL_OK;
}

static il_status check_p2c(const il_registry_entry *e, il_registry_ctx *ctx, il_registry_result *res)
{
    (void)e;
    il_registry_fdcmp c[2];
    il_registry_fdcmp_reset(&c[0]);
    il_registry_fdcmp_reset(&c[1]);
    for (size_t i = 0; i < P2_INSTANCES; i++) {
        p2_instance in;
        IL_TRY(p2_draw(ctx, i, 1, &in));
        const size_t n = in.net.n, m = in.net.m;
        const double *W1 = in.th + p2_off(&in.net, P2_W1);
        for (int f = 0; f < 2; f++) {
            double xb[P2_MAX], xe[P2_MAX];
            for (size_t a = 0; a < n; a++) {
                double s = in.fd[P2_B2][a], err = in.bd[P2_B2][a], mag = fabs(s);
                for (size_t k = 0; k < m; k++) {
                    double w = f == 0 ? W1[a * n + k] : W1[k * n + a]; /* w1_ik (seed, square) or w1_ki */
                    s += in.fd[P2_B1][k] * w;
                    err += in.bd[P2_B1][k] * fabs(w);
                    mag += fabs(in.fd[P2_B1][k] * w);
                }
                xb[a] = s;
                xe[a] = err + (double)(m + 2) * IL_REGISTRY_U * mag;
            }
            il_registry_fdcmp_add(&c[f], i, xb, xe, in.fd[P2_X], in.bd[P2_X], n);
        }
    }
    p2_config(res, 0);
    p2_test(res);
    il_registry_num_add(res, "max_ratio", c[0].max_ratio);
    il_registry_num_add(res, "max_rel_err", c[0].max_rel_err);
    il_registry_num_add(res, "worst_claimed", c[0].worst_claimed);
    il_registry_num_add(res, "worst_fd", c[0].worst_fd);
    il_registry_num_add(res, "control_max_ratio", c[1].max_ratio);
    if (!(c[1].max_ratio <= 1.0)) {
        il_registry_evidence(res, "the checker failed its control (max ratio %.3g); no verdict", c[1].max_ratio);
        il_registry_decide(res, IL_REGISTRY_UNDECIDED, NAN);
        return IL_OK;
    }
    il_registry_evidence(res, "x-bar_i = y-bar_i + sum_k z-bar_k w1_ik, evaluated with the network's own y-bar and z-bar "
                         "(dJ/db2, dJ/db1), against dJ/dx: max ratio %.3g (instance %zu: claimed %.6g, finite "
                         "difference %.6g). With z_k = sum_j w1_kj x_j + b1_k, dz_k/dx_i = w1_ki: the index order is "
                         "transposed. With w1_ki the form passes (max ratio %.3g).", c[0].max_ratio,
                         c[0].worst_instance, c[0].worst_claimed, c[0].worst_fd, c[1].max_ratio);
    if (c[0].max_ratio > 1.0) {
        il_registry_correct(res, "x-bar_i = y-bar_i + sum_k z-bar_k w1_ki (= (y-bar + W1^T z-bar)_i, the seed's own "
                            "vector form)");
        il_registry_decide(res, IL_REGISTRY_REFUTED, c[0].max_ratio);
    } else {
        il_registry_decide(res, IL_REGISTRY_HOLDS, 1.0 / c[0].max_ratio);
    }
    return IL_OK;
}

static il_status check_p2d(const il_registry_entry *e, il_registry_ctx *ctx, il_registry_result *res)
{
    (void)e;
    il_registry_fdcmp c[5]; /* y-bar, h-bar, z-bar, x-bar, closed form */
    for (int f = 0; f < 5; f++)
        il_registry_fdcmp_reset(&c[f]);
    for (int sq = 1; sq >= 0; sq--)
        for (size_t i = 0; i < P2_INSTANCES; i++) {
            p2_instance in;
            IL_TRY(p2_draw(ctx, i, sq, &in));
            const size_t n = in.net.n, m = in.net.m;
            const double *W1 = in.th + p2_off(&in.net, P2_W1), *W2 = in.th + p2_off(&in.net, P2_W2);
            double yb[P2_MAX], hb[P2_MAX], zb[P2_MAX], xb[P2_MAX], xc[P2_MAX];
            for (size_t k = 0; k < n; k++)
                yb[k] = in.f.y[k] - in.s[k];
            p2_hbar(&in, 2, hb); /* r + W2^T y-bar */
            for (size_t k = 0; k < m; k++)
                zb[k] = hb[k] * in.f.dz[k];
            for (size_t a = 0; a < n; a++) {
                double s = 0.0;
                for (size_t k = 0; k < m; k++)
                    s += W1[k * n + a] * zb[k];
                xb[a] = yb[a] + s;
                /* the closed form, as one expression: (y - s) + W1^T ((r + W2^T (y - s)) o sigma'(z)) */
                double t = 0.0;
                for (size_t k = 0; k < m; k++) {
                    double u = 0.0;
                    for (size_t j = 0; j < n; j++)
                        u += W2[j * m + k] * (in.f.y[j] - in.s[j]);
                    t += W1[k * n + a] * ((in.r[k] + u) * in.f.dz[k]);
                }
                xc[a] = (in.f.y[a] - in.s[a]) + t;
            }
            size_t id = i + (sq ? 0 : P2_INSTANCES);
            il_registry_fdcmp_add(&c[0], id, yb, NULL, in.fd[P2_B2], in.bd[P2_B2], n);
            il_registry_fdcmp_add(&c[1], id, hb, NULL, in.fd[P2_PH], in.bd[P2_PH], m);
            il_registry_fdcmp_add(&c[2], id, zb, NULL, in.fd[P2_B1], in.bd[P2_B1], m);
            il_registry_fdcmp_add(&c[3], id, xb, NULL, in.fd[P2_X], in.bd[P2_X], n);
            il_registry_fdcmp_add(&c[4], id, xc, NULL, in.fd[P2_X], in.bd[P2_X], n);
        }
    p2_config(res, 1);
    p2_test(res);
    static const char *const names[5] = {"ybar", "hbar", "zbar", "xbar", "closed_form"};
    double mr = 0.0;
    for (int f = 0; f < 5; f++) {
        char nm[IL_REGISTRY_NAME];
        snprintf(nm, sizeof nm, "max_ratio_%s", names[f]);
        il_registry_num_add(res, nm, c[f].max_ratio);
        mr = fmax(mr, c[f].max_ratio);
    }
    il_registry_evidence(res, "y-bar = S-bar (y - s), h-bar = R-bar r + W2^T y-bar, z-bar = h-bar o sigma'(z), x-bar = "
                         "y-bar + W1^T z-bar and the closed form x-bar = (y - s) + W1^T((r + W2^T (y - s)) o "
                         "sigma'(z)) against the central differences of J, square and non-square (n = 3, m = 5): max "
                         "ratios %.3g, %.3g, %.3g, %.3g, %.3g. (These vector forms contradict the seed's scalar forms "
                         "S002-P2b and P2c, which transpose the indices.)", c[0].max_ratio, c[1].max_ratio,
                         c[2].max_ratio, c[3].max_ratio, c[4].max_ratio);
    if (mr <= 1.0) {
        il_registry_decide(res, IL_REGISTRY_HOLDS, 1.0 / mr);
    } else {
        il_registry_correct(res, "see the finite differences");
        il_registry_decide(res, IL_REGISTRY_REFUTED, mr);
    }
    return IL_OK;
}

/* ====================================================================================================== P3 */

/* L = (y - 2)^2 / 2, y = relu(h1 w1 + h2 w5), h1 = relu(h3 w2 + c1), h2 = relu(h3 w4 + c2), h3 = relu(x1 w3 + c3):
 * the seed's "..." are the unknown rest of each pre-activation, here c1, c2, c3.
 * theta = w1 w2 w3 w4 w5 x1 c1 c2 c3. */
enum { W1_, W2_, W3_, W4_, W5_, X1_, C1_, C2_, C3_, P3_D };

static il_status p3_eval(const void *model, const double *th, il_registry_ev *out)
{
    (void)model;
    il_act relu;
    il_act_default(IL_ACT_RELU, &relu);
    il_registry_ev v[P3_D];
    for (size_t i = 0; i < P3_D; i++)
        v[i] = il_registry_ev_exact(th[i]);
    il_registry_ev h3 = il_registry_ev_act(&relu, il_registry_ev_add(il_registry_ev_mul(v[X1_], v[W3_]), v[C3_]));
    il_registry_ev h1 = il_registry_ev_act(&relu, il_registry_ev_add(il_registry_ev_mul(h3, v[W2_]), v[C1_]));
    il_registry_ev h2 = il_registry_ev_act(&relu, il_registry_ev_add(il_registry_ev_mul(h3, v[W4_]), v[C2_]));
    il_registry_ev y = il_registry_ev_act(&relu, il_registry_ev_add(il_registry_ev_mul(h1, v[W1_]),
                                                                    il_registry_ev_mul(h2, v[W5_])));
    il_registry_ev d = il_registry_ev_sub(y, il_registry_ev_exact(2.0));
    out[0] = il_registry_ev_mul(il_registry_ev_mul(d, d), il_registry_ev_exact(0.5));
    return IL_OK;
}

#define P3_INSTANCES 10000
#define P3_KINK 1e-3 /* pre-activations kept at least this far from 0 (the steps move them by < 2^-17 x 4) */

typedef struct {
    size_t instances, tried;
    size_t exact_zero[3], nonzero[3];
    double max_abs[3], max_ratio[3];
    size_t h1_pre_not_m1;
    size_t y_active;
} p3_stats;

static void p3_pre(const double *th, double *pre)
{
    double h3p = th[X1_] * th[W3_] + th[C3_], h3 = h3p > 0 ? h3p : 0;
    double h1p = h3 * th[W2_] + th[C1_], h1 = h1p > 0 ? h1p : 0;
    double h2p = h3 * th[W4_] + th[C2_], h2 = h2p > 0 ? h2p : 0;
    pre[0] = h3p;
    pre[1] = h1p;
    pre[2] = h2p;
    pre[3] = h1 * th[W1_] + h2 * th[W5_];
}

static il_status p3_get(il_registry_ctx *ctx, const p3_stats **out)
{
    p3_stats *s = il_registry_cache_get(ctx, "S002-P3");
    if (s) {
        *out = s;
        return IL_OK;
    }
    if (!(s = calloc(1, sizeof *s)))
        return IL_ENOMEM;
    il_registry_fn fn = {P3_D, 1, p3_eval, NULL, 0.0}; /* piecewise quadratic in each parameter: M3 = 0 */
    for (size_t i = 0; s->instances < P3_INSTANCES && i < 10 * P3_INSTANCES; i++) {
        il_rng r;
        il_registry_rng(ctx, "S002-P3", i, &r);
        double th[P3_D], pre[4];
        il_rng_fill_uniform(&r, th, P3_D, -2.0, 2.0);
        il_registry_snap(th, P3_D, IL_REGISTRY_FD_H);
        double h3p = th[X1_] * th[W3_] + th[C3_], h3 = h3p > 0 ? h3p : 0;
        th[C1_] = -1.0 - h3 * th[W2_]; /* the training case: the pre-activation of h1 is -1 */
        p3_pre(th, pre);
        s->tried++;
        s->h1_pre_not_m1 += fabs(pre[1] + 1.0) > 4.0 * DBL_EPSILON;
        /* y's pre-activation is exactly 0, and stays so, when h1 = h2 = 0; otherwise it must be off the kink */
        int y_const = pre[1] <= 0.0 && pre[2] <= 0.0;
        if (fabs(pre[0]) < P3_KINK || fabs(pre[2]) < P3_KINK || (!y_const && fabs(pre[3]) < P3_KINK))
            continue;
        s->instances++;
        s->y_active += pre[3] > 0.0;
        for (int k = 0; k < 3; k++) {
            double fd, bd;
            il_status rc = il_registry_fd(&fn, th, (size_t)(W1_ + k), 1, &fd, &bd);
            if (rc != IL_OK) {
                free(s);
                return rc;
            }
            s->exact_zero[k] += fd == 0.0;
            s->nonzero[k] += fabs(fd) > bd;
            s->max_abs[k] = fmax(s->max_abs[k], fabs(fd));
            s->max_ratio[k] = fmax(s->max_ratio[k], fabs(fd) / bd);
        }
    }
    if (s->instances < P3_INSTANCES) {
        free(s);
        return IL_ENUMERIC;
    }
    *out = s;
    return il_registry_cache_put(ctx, "S002-P3", s, free);
}

static il_status check_p3(const il_registry_entry *e, il_registry_ctx *ctx, il_registry_result *res)
{
    const int k = (int)(*(const char *)e->data - '1'); /* weight w1, w2 or w3 */
    const int guaranteed = k < 2;                        /* the seed's answer: YES, YES, NO */
    const p3_stats *s;
    IL_TRY(p3_get(ctx, &s));
    il_registry_config(res, "%zu random completions (of %zu drawn; pre-activations of h3, h2 and y at least 10^-3 "
                       "from the kink, unless y's is identically 0 because h1 = h2 = 0): w1..w5, x1, c2, c3 ~ U(-2, 2) snapped to multiples of h = 2^-17, and c1 = -1 - "
                       "h3 w2 so that h1's pre-activation is -1 (the seed's training case; %zu completions off by more "
                       "than 4 ulps); central differences of L with h = 2^-17; generator il_rng_seed_draw("
                       "il_registry_seed(seed, 'S002-P3'), i)", s->instances, s->tried, s->h1_pre_not_m1);
    il_registry_test(res, "'guaranteed 0' holds iff the central difference dL/dw is exactly 0.0 in every completion "
                     "(L at w + h and w - h bitwise equal); 'not guaranteed' holds iff |dL/dw| exceeds its finite-"
                     "difference bound (rounding only: L is quadratic in w on each linear piece) in some completion");
    char nm[IL_REGISTRY_NAME];
    snprintf(nm, sizeof nm, "exact_zero_w%d", k + 1);
    il_registry_num_add(res, nm, (double)s->exact_zero[k]);
    snprintf(nm, sizeof nm, "nonzero_w%d", k + 1);
    il_registry_num_add(res, nm, (double)s->nonzero[k]);
    il_registry_num_add(res, "instances", (double)s->instances);
    il_registry_num_add(res, "y_active", (double)s->y_active);
    snprintf(nm, sizeof nm, "max_abs_dL_dw%d", k + 1);
    il_registry_num_add(res, nm, s->max_abs[k]);
    il_registry_evidence(res, "dL/dw%d is exactly 0 in %zu of %zu completions (y active in %zu of them) and beyond its "
                         "bound in %zu (max |dL/dw%d| = %.4g).", k + 1, s->exact_zero[k], s->instances, s->y_active,
                         s->nonzero[k], k + 1, s->max_abs[k]);
    static const char *const why[3] = {
        " h1 = relu(-1) = 0 multiplies w1 in y, so y does not move with w1.",
        " relu'(-1) = 0: a small change of w2 leaves h1's pre-activation negative and h1 = 0.",
        " The path through h1 is dead (relu'(-1) = 0), but the path x1 -> h3 -> h2 -> y is not: w3 reaches y through "
        "w4 and w5 whenever h3, h2 and y are active."};
    il_registry_evidence(res, "%s", why[k]);
    if (guaranteed) {
        if (s->exact_zero[k] == s->instances) {
            il_registry_decide(res, IL_REGISTRY_HOLDS, INFINITY);
        } else {
            il_registry_correct(res, "dL/dw%d is not guaranteed to be 0: nonzero in %zu of %zu completions", k + 1,
                                s->nonzero[k], s->instances);
            il_registry_decide(res, IL_REGISTRY_REFUTED, s->max_ratio[k]);
        }
    } else {
        if (s->nonzero[k] > 0) {
            il_registry_evidence(res, " Nonzero in %.1f%% of completions.", 100.0 * (double)s->nonzero[k] /
                                 (double)s->instances);
            il_registry_decide(res, IL_REGISTRY_HOLDS, s->max_ratio[k]);
        } else {
            il_registry_correct(res, "dL/dw%d is 0 in every completion tried", k + 1);
            il_registry_decide(res, IL_REGISTRY_REFUTED, INFINITY);
        }
    }
    return IL_OK;
}

/* ====================================================================================================== table */

static const char P2_READING[] =
    "J = R + S, R = sum_i r_i h_i, S = sum_i (y_i - s_i)^2/2, y_i = x_i + sum_j w2_ij h_j + b2_i, h_i = sigma(z_i), "
    "z_i = sum_j w1_ij x_j + b1_i, so W1 is m x n and W2 is n x m (x, y, s in R^n; z, h, r in R^m); R-bar = S-bar = 1; "
    "sigma = the logistic sigmoid. A scalar form is checked with the true values of the quantities it uses (the "
    "network's own finite differences), so that an error is charged to the step where it occurs. The scalar forms "
    "index W2 and W1 as w2_ik and w1_ik, which exist only when n = m: they are checked at n = m = 4.";
static const char P3_READING[] =
    "The figure is missing; the network is the one the seed's equations give: L = (y - 2)^2/2, y = ReLU(h1 w1 + h2 w5), "
    "h1 = ReLU(h3 w2 + ...), h2 = ReLU(h3 w4 + ...), h3 = ReLU(x1 w3 + ...), each '...' an unknown remainder of the "
    "pre-activation (a constant here), and in this training case the pre-activation of h1 is -1, as the seed says. "
    "'Guaranteed 0' = 0 for every completion of the unknowns consistent with that.";

const il_registry_entry il_checks_s002[] = {
    {"S002-P1", SRC1, "W1 = [[1,-1,0,0],[0,1,-1,0],[0,0,1,-1]], b1 = 0, w2 = [-1,-1,-1], b2 = 0 correctly implement the "
     "function",
     "The problem statement is missing; the function is read as: output 1 iff x1 < x2 < x3 < x4 (strictly increasing), "
     "else 0, with hard-threshold units phi(z) = 1 for z >= 0, 0 for z < 0.", check_p1, NULL},
    {"S002-P2a", SRC2, "y-bar_i = S-bar (y_i - s_i) and z-bar_i = h-bar_i sigma'(z_i)", P2_READING, check_p2a, NULL},
    {"S002-P2b", SRC2, "h-bar_i = R-bar r_i + sum_k y_k w2_ik", P2_READING, check_p2b, NULL},
    {"S002-P2c", SRC2, "x-bar_i = y-bar_i + sum_k z-bar_k w1_ik", P2_READING, check_p2c, NULL},
    {"S002-P2d", SRC2, "Vectorised: y-bar = S-bar (y - s), h-bar = R-bar r + W2^T y-bar, z-bar = h-bar o sigma'(z), x-bar "
     "= y-bar + W1^T z-bar; thus x-bar = (y - s) + W1^T((r + W2^T (y - s)) o sigma'(z))", P2_READING, check_p2d, NULL},
    {"S002-P3a", SRC3, "dL/dw1 is guaranteed to be 0 for this training case: YES", P3_READING, check_p3, "1"},
    {"S002-P3b", SRC3, "dL/dw2 is guaranteed to be 0 for this training case: YES", P3_READING, check_p3, "2"},
    {"S002-P3c", SRC3, "dL/dw3 is guaranteed to be 0 for this training case: NO", P3_READING, check_p3, "3"},
};
const size_t il_checks_s002_count = sizeof il_checks_s002 / sizeof il_checks_s002[0];
