/* theory.c: analytic per-layer moments and the mean-field maps (see theory.h and docs/theory.md).
 *
 * il_theory_run walks the op list once, carrying for the current value h (a vector of width n):
 *   - q = mean_k E[h_k^2], m = mean_k E[h_k], off = mean_{k != j} Cov(h_k, h_j), each with its method;
 *   - indep: the units are independent (the input and elementwise functions of it);
 *   - flip: whether, for every unit i, some law-preserving change of the randomness maps h_i to
 *     2c - h_i and leaves every other unit unchanged (the "sign-flip symmetry"; c is the centre). A
 *     linear op with zero-mean bias creates it (flip row i of W and b_i); odd elementwise ops keep it.
 *     It gives exact zeros: E[h_i] = c, Cov(h_i, h_j) = 0, E[r h_i] = c E[r] for anything r the flip
 *     does not touch, and the exact E[relu(h)^2] = E[h^2] / 2 (c = 0: h_i is symmetric);
 *   - law: a model of the marginal law of one unit, for everything the exact rules do not give: a base
 *     variable (the input coordinate law, exact; or a Gaussian N(mu, sd^2) standing for a linear output,
 *     the mean-field approximation) pushed through the elementwise ops since (activations, dropout
 *     masks, scalings). Expectations under the law are one-dimensional integrals (masks enumerated).
 *
 * Quadrature: every expectation E[f(X)] over a Gaussian base is the integral of f(mu + sd z) phi(z)
 * over z in [-IL_ZMAX, IL_ZMAX] by GSL's adaptive QAGP (21-point Gauss-Kronrod with bisection), with
 * the kinks of the first activation as break points. Adaptive rather than a fixed Gauss-Hermite rule
 * because relu, relu6, hardtanh, selu, abs... have kinks, where an n-node Gauss-Hermite rule converges
 * only algebraically (docs/theory.md, "Quadrature"); a 16-node Gauss-Hermite rule gives the scale
 * E|f| that sets the absolute tolerance. */
#include "theory.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_roots.h>

/* Integration range in standard-normal units: the neglected tails of f phi with |f(z)| <= A + B z^2
 * are below 2 (A + 13 B) phi(12) / 12 < 1e-31 (A + B). */
#define IL_ZMAX 12.0
/* Subintervals per adaptive integral. */
#define IL_QUAD_LIMIT 1000
/* Nodes of the Gauss-Hermite rule that estimates E|f| (a scale for the absolute tolerance only). */
#define IL_GH_SCALE_NODES 16
/* Law model limits: elementwise ops and random masks between two linear ops. */
#define IL_MAX_PIPE 32
#define IL_MAX_MASK 10
#define IL_MAX_KINKS 64
/* Fixed points. */
#define IL_QSTAR_MAXITER 10000
#define IL_QSTAR_ITER_TOL 1e-10
#define IL_QSTAR_TOL 1e-14
#define IL_QSTAR_ACCEPT 1e-12
#define IL_QSTAR_NEWTON_MAXITER 2000
#define IL_QSTAR_HUGE 1e250
#define IL_QSTAR_TINY 1e-280
#define IL_Q_SLOPE_MIN 1e-24
#define IL_CSTAR_TOL 1e-13
#define IL_CSTAR_MAXITER 200
#define IL_CHI_CRIT_TOL 1e-12

#define IL_SQRT3 1.73205080756887729352744634150587236694
#define IL_INV_SQRT_2PI 0.39894228040143267793994605993438186848

struct il_theory_ws {
    gsl_integration_workspace *w[2]; /* outer and inner level of nested integrals */
    gsl_integration_fixed_workspace *gh;
};

il_theory_ws *il_theory_ws_alloc(void)
{
    il_theory_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->w[0] = gsl_integration_workspace_alloc(IL_QUAD_LIMIT);
    ws->w[1] = gsl_integration_workspace_alloc(IL_QUAD_LIMIT);
    /* weight exp(-x^2 / 2): a = 0, b = 1/2 */
    ws->gh = gsl_integration_fixed_alloc(gsl_integration_fixed_hermite, IL_GH_SCALE_NODES, 0.0, 0.5, 0.0, 0.0);
    if (!ws->w[0] || !ws->w[1] || !ws->gh) {
        il_theory_ws_free(ws);
        return NULL;
    }
    return ws;
}

void il_theory_ws_free(il_theory_ws *ws)
{
    if (!ws)
        return;
    if (ws->w[0])
        gsl_integration_workspace_free(ws->w[0]);
    if (ws->w[1])
        gsl_integration_workspace_free(ws->w[1]);
    if (ws->gh)
        gsl_integration_fixed_free(ws->gh);
    free(ws);
}

const char *il_theory_method_name(il_theory_method m)
{
    switch (m) {
    case IL_THEORY_EXACT: return "exact";
    case IL_THEORY_MEANFIELD: return "mean-field";
    }
    return "?";
}

static il_theory_method worst(il_theory_method a, il_theory_method b)
{
    return a == IL_THEORY_MEANFIELD || b == IL_THEORY_MEANFIELD ? IL_THEORY_MEANFIELD : IL_THEORY_EXACT;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------------------------------------
 * The law model: a base variable pushed through elementwise ops.
 * ------------------------------------------------------------------------------------------- */

typedef enum { POP_ACT, POP_MASK, POP_AFFINE } pop_kind;

typedef struct {
    pop_kind kind;
    il_act act;          /* POP_ACT */
    double keep, scale;  /* POP_MASK: x -> scale x with probability keep, else 0 */
    double a, c;         /* POP_AFFINE: x -> a x + c */
} pop;

typedef enum { BASE_GAUSS, BASE_INPUT } base_kind;

typedef struct {
    base_kind base;
    double mu, sd;           /* BASE_GAUSS */
    il_input_kind input;     /* BASE_INPUT: coordinate k is sqrt(var[k]) times a unit variable */
    const double *var;       /* n values, or NULL for all 1 */
    size_t n;
    int exact;               /* 1: the law is the true law (no Gaussian or batchnorm approximation) */
    size_t nops, nmask;
    pop ops[IL_MAX_PIPE];
} law_t;

static void law_gauss(law_t *lw, double mu, double sd)
{
    lw->base = BASE_GAUSS;
    lw->mu = mu;
    lw->sd = sd;
    lw->input = IL_INPUT_NORMAL;
    lw->var = NULL;
    lw->n = 0;
    lw->exact = 0;
    lw->nops = lw->nmask = 0;
}

static il_status law_push(law_t *lw, const pop *o, char *err, size_t errlen)
{
    if (lw->nops >= IL_MAX_PIPE || (o->kind == POP_MASK && lw->nmask >= IL_MAX_MASK)) {
        set_err(err, errlen, "more than %d elementwise ops or %d dropout masks between two linear ops",
                IL_MAX_PIPE, IL_MAX_MASK);
        return IL_EUNSUPPORTED;
    }
    lw->ops[lw->nops++] = *o;
    lw->nmask += o->kind == POP_MASK;
    return IL_OK;
}

static il_status law_push_act(law_t *lw, const il_act *a, char *err, size_t errlen)
{
    pop o;
    memset(&o, 0, sizeof o);
    o.kind = POP_ACT;
    o.act = *a;
    return law_push(lw, &o, err, errlen);
}

static il_status law_push_mask(law_t *lw, double keep, double scale, char *err, size_t errlen)
{
    pop o;
    memset(&o, 0, sizeof o);
    o.kind = POP_MASK;
    o.keep = keep;
    o.scale = scale;
    return law_push(lw, &o, err, errlen);
}

static il_status law_push_affine(law_t *lw, double a, double c, char *err, size_t errlen)
{
    pop o;
    memset(&o, 0, sizeof o);
    o.kind = POP_AFFINE;
    o.a = a;
    o.c = c;
    return law_push(lw, &o, err, errlen);
}

/* Probability of each mask pattern (bit j set: mask j keeps). prob has 2^nmask entries. */
static void law_probs(const law_t *lw, double *prob)
{
    size_t np = (size_t)1 << lw->nmask;
    for (size_t pat = 0; pat < np; pat++) {
        double pr = 1.0;
        size_t bit = 0;
        for (size_t i = 0; i < lw->nops; i++)
            if (lw->ops[i].kind == POP_MASK) {
                pr *= (pat >> bit & 1u) ? lw->ops[i].keep : 1.0 - lw->ops[i].keep;
                bit++;
            }
        prob[pat] = pr;
    }
}

/* The pipeline under mask pattern pat at x; *dx (if not NULL) gets the derivative d/dx. */
static double pipe_eval(const law_t *lw, size_t pat, double x, double *dx)
{
    double d = 1.0;
    size_t bit = 0;
    for (size_t i = 0; i < lw->nops; i++) {
        const pop *o = &lw->ops[i];
        switch (o->kind) {
        case POP_ACT:
            if (dx)
                d *= il_act_deriv(&o->act, x);
            x = il_act_eval(&o->act, x);
            break;
        case POP_MASK:
            if (pat >> bit & 1u) {
                x *= o->scale;
                d *= o->scale;
            } else {
                x = 0.0;
                d = 0.0;
            }
            bit++;
            break;
        case POP_AFFINE:
            x = o->a * x + o->c;
            d *= o->a;
            break;
        }
    }
    if (dx)
        *dx = d;
    return x;
}

/* Mask averages at x: gbar = E_m[g], g2 = E_m[g^2], dgbar = E_m[g'], dg2 = E_m[(g^2)'] = E_m[2 g g']. */
typedef struct {
    double gbar, g2, dgbar, dg2;
} pipe_avg;

static void pipe_average(const law_t *lw, const double *prob, double x, int want_d, pipe_avg *out)
{
    size_t np = (size_t)1 << lw->nmask;
    double gb = 0.0, g2 = 0.0, dgb = 0.0, dg2 = 0.0;
    for (size_t pat = 0; pat < np; pat++) {
        if (prob[pat] == 0.0)
            continue;
        double d = 0.0;
        double g = pipe_eval(lw, pat, x, want_d ? &d : NULL);
        gb += prob[pat] * g;
        g2 += prob[pat] * g * g;
        dgb += prob[pat] * d;
        dg2 += prob[pat] * 2.0 * g * d;
    }
    out->gbar = gb;
    out->g2 = g2;
    out->dgbar = dgb;
    out->dg2 = dg2;
}

/* Kinks of phi (points where phi or phi' is not smooth). */
static size_t act_kinks(const il_act *a, double *k)
{
    switch (a->kind) {
    case IL_ACT_RELU:
    case IL_ACT_LEAKY_RELU:
    case IL_ACT_PRELU:
    case IL_ACT_ABS:
    case IL_ACT_ELU:
    case IL_ACT_SELU:
        k[0] = 0.0;
        return 1;
    case IL_ACT_RELU6:
        k[0] = 0.0;
        k[1] = 6.0;
        return 2;
    case IL_ACT_HARDTANH:
        k[0] = a->p1;
        k[1] = a->p2;
        return 2;
    case IL_ACT_SOFTPLUS:
        k[0] = a->p2 / a->p1;
        return 1;
    default:
        return 0;
    }
}

/* Break points, in the base variable t (x = mu + sd t), at the kinks of the first activation of the
 * pipeline, for every pattern of the masks before it. Returns how many were written (<= cap). */
static size_t law_kinks(const law_t *lw, double mu, double sd, double *t, size_t cap)
{
    if (!(sd > 0.0))
        return 0;
    size_t first = lw->nops, nm = 0;
    for (size_t i = 0; i < lw->nops; i++) {
        if (lw->ops[i].kind == POP_ACT) {
            first = i;
            break;
        }
        nm += lw->ops[i].kind == POP_MASK;
    }
    if (first == lw->nops)
        return 0;
    double k[2];
    size_t nk = act_kinks(&lw->ops[first].act, k), n = 0;
    for (size_t pat = 0; pat < ((size_t)1 << nm); pat++) {
        double a = 1.0, c = 0.0; /* value before the activation = a x + c */
        size_t bit = 0;
        for (size_t i = 0; i < first; i++) {
            const pop *o = &lw->ops[i];
            if (o->kind == POP_MASK) {
                double s = (pat >> bit & 1u) ? o->scale : 0.0;
                a *= s;
                c *= s;
                bit++;
            } else {
                a *= o->a;
                c = o->a * c + o->c;
            }
        }
        if (a == 0.0)
            continue;
        for (size_t j = 0; j < nk && n < cap; j++) {
            double tj = ((k[j] - c) / a - mu) / sd;
            if (isfinite(tj))
                t[n++] = tj;
        }
    }
    return n;
}

/* ---------------------------------------------------------------------------------------------
 * One-dimensional integration over a base variable.
 * ------------------------------------------------------------------------------------------- */

typedef double (*tfun)(double t, void *p);

typedef struct {
    tfun f;
    void *p;
} dens_ctx;

static double dens_normal(double t, void *vp)
{
    const dens_ctx *d = vp;
    double e = exp(-0.5 * t * t);
    return e == 0.0 ? 0.0 : d->f(t, d->p) * e * IL_INV_SQRT_2PI;
}

static double dens_uniform(double t, void *vp)
{
    const dens_ctx *d = vp;
    return d->f(t, d->p) * (0.5 / IL_SQRT3);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* E[f(T)] for T standard normal, uniform on [-sqrt3, sqrt3] or Rademacher (the unit-variance input
 * laws), with break points kinks[0..nk-1] (any order; those outside the range are ignored). level
 * selects the GSL workspace (0 outer, 1 inner). */
static il_status integrate(il_theory_ws *ws, int level, il_input_kind base, tfun f, void *p, const double *kinks,
                           size_t nk, double *out)
{
    if (base == IL_INPUT_RADEMACHER) {
        *out = 0.5 * (f(1.0, p) + f(-1.0, p));
        return isfinite(*out) ? IL_OK : IL_ENUMERIC;
    }
    dens_ctx dc = {f, p};
    gsl_function F;
    double lo, hi, scale = 0.0;
    F.params = &dc;
    if (base == IL_INPUT_NORMAL) {
        lo = -IL_ZMAX;
        hi = IL_ZMAX;
        F.function = dens_normal;
        const double *x = gsl_integration_fixed_nodes(ws->gh), *w = gsl_integration_fixed_weights(ws->gh);
        size_t n = gsl_integration_fixed_n(ws->gh);
        for (size_t i = 0; i < n; i++)
            scale += w[i] * fabs(f(x[i], p));
        scale *= IL_INV_SQRT_2PI;
    } else {
        lo = -IL_SQRT3;
        hi = IL_SQRT3;
        F.function = dens_uniform;
        for (int i = 0; i < IL_GH_SCALE_NODES; i++)
            scale += fabs(f(lo + (i + 0.5) * (hi - lo) / IL_GH_SCALE_NODES, p));
        scale /= IL_GH_SCALE_NODES;
    }
    double pts[IL_MAX_KINKS + 2];
    size_t np = 0;
    pts[np++] = lo;
    for (size_t i = 0; i < nk && np < IL_MAX_KINKS + 1; i++)
        if (kinks[i] > lo && kinks[i] < hi)
            pts[np++] = kinks[i];
    qsort(pts + 1, np - 1, sizeof *pts, cmp_double);
    size_t u = 1; /* drop duplicates */
    for (size_t i = 1; i < np; i++)
        if (pts[i] != pts[u - 1])
            pts[u++] = pts[i];
    np = u;
    pts[np++] = hi;
    double res = 0.0, abserr = 0.0;
    int st = gsl_integration_qagp(&F, pts, np, IL_THEORY_EPSABS * scale, IL_THEORY_EPSREL, IL_QUAD_LIMIT,
                                  ws->w[level], &res, &abserr);
    if (!isfinite(res))
        return IL_ENUMERIC;
    if (st != GSL_SUCCESS && !(abserr <= IL_THEORY_ACCEPT * fmax(scale, fabs(res))))
        return IL_EGSL;
    *out = res;
    return IL_OK;
}

/* What a one-dimensional expectation integrates. */
typedef enum {
    W_GBAR,   /* E_m[g](x) */
    W_G2,     /* E_m[g^2](x) */
    W_DGBAR2, /* (E_m[g'](x))^2 */
    W_SLOPE   /* E_m[(g^2)'](x) t / (2 sd): d/d(sd^2) of E[g2] by Stein's lemma */
} what_t;

typedef struct {
    const law_t *lw;
    const double *prob;
    what_t what;
    double mu, sd;
} ctx1;

static double f1(double t, void *vp)
{
    const ctx1 *c = vp;
    pipe_avg a;
    pipe_average(c->lw, c->prob, c->mu + c->sd * t, c->what == W_DGBAR2 || c->what == W_SLOPE, &a);
    switch (c->what) {
    case W_GBAR: return a.gbar;
    case W_G2: return a.g2;
    case W_DGBAR2: return a.dgbar * a.dgbar;
    case W_SLOPE: return a.dg2 * t / (2.0 * c->sd);
    }
    return NAN;
}

/* E[w(X)] under the law (for BASE_INPUT: the mean over coordinates). */
static il_status law_expect(il_theory_ws *ws, const law_t *lw, what_t what, double *out)
{
    double prob[(size_t)1 << IL_MAX_MASK];
    double kinks[IL_MAX_KINKS];
    law_probs(lw, prob);
    ctx1 c = {lw, prob, what, lw->mu, lw->sd};
    if (lw->base == BASE_GAUSS) {
        if (!(lw->sd > 0.0)) {
            *out = f1(0.0, &c);
            return isfinite(*out) ? IL_OK : IL_ENUMERIC;
        }
        size_t nk = law_kinks(lw, lw->mu, lw->sd, kinks, IL_MAX_KINKS);
        return integrate(ws, 0, IL_INPUT_NORMAL, f1, &c, kinks, nk, out);
    }
    double acc = 0.0, prev_v = NAN, prev = 0.0;
    for (size_t k = 0; k < lw->n; k++) {
        double v = lw->var ? lw->var[k] : 1.0;
        if (v != prev_v) {
            c.mu = 0.0;
            c.sd = sqrt(v);
            size_t nk = law_kinks(lw, 0.0, c.sd, kinks, IL_MAX_KINKS);
            IL_TRY(integrate(ws, 0, lw->input, f1, &c, kinks, nk, &prev));
            prev_v = v;
        }
        acc += prev;
    }
    *out = acc / (double)lw->n;
    return IL_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Two-dimensional Gaussian expectations E[G(u1) G(u2)] with u1 = sq z1, u2 = sq (c z1 + s z2),
 * G = gbar or gbar', by nested adaptive integration (inner over z2 given z1).
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    const law_t *lw;
    const double *prob;
    int deriv;
    double sq, c, s;
    double z1;           /* inner: the current outer point */
    il_theory_ws *ws;
    il_status rc;        /* first failure of an inner integral */
} ctx2;

static double gfun(const ctx2 *c, double x)
{
    pipe_avg a;
    pipe_average(c->lw, c->prob, x, c->deriv, &a);
    return c->deriv ? a.dgbar : a.gbar;
}

static double f2_inner(double t, void *vp)
{
    const ctx2 *c = vp;
    return gfun(c, c->sq * (c->c * c->z1 + c->s * t));
}

static double f2_outer(double z1, void *vp)
{
    ctx2 *c = vp;
    double g1 = gfun(c, c->sq * z1);
    if (g1 == 0.0 || c->rc != IL_OK)
        return 0.0;
    double kinks[IL_MAX_KINKS], inner = 0.0;
    c->z1 = z1;
    size_t nk = law_kinks(c->lw, c->sq * c->c * z1, c->sq * c->s, kinks, IL_MAX_KINKS);
    il_status rc = integrate(c->ws, 1, IL_INPUT_NORMAL, f2_inner, c, kinks, nk, &inner);
    if (rc != IL_OK) {
        c->rc = rc;
        return 0.0;
    }
    return g1 * inner;
}

static double f2_diag(double z, void *vp)
{
    const ctx2 *c = vp;
    return gfun(c, c->sq * z) * gfun(c, c->c * c->sq * z);
}

static double f2_single(double z, void *vp)
{
    const ctx2 *c = vp;
    return gfun(c, c->sq * z);
}

static il_status pair_expect(il_theory_ws *ws, const law_t *lw, int deriv, double q, double corr, double *out)
{
    double prob[(size_t)1 << IL_MAX_MASK];
    double kinks[IL_MAX_KINKS];
    law_probs(lw, prob);
    ctx2 c = {lw, prob, deriv, sqrt(q), corr, sqrt(fmax(0.0, 1.0 - corr * corr)), 0.0, ws, IL_OK};
    if (!(c.sq > 0.0)) {
        double g = gfun(&c, 0.0);
        *out = g * g;
        return IL_OK;
    }
    size_t nk = law_kinks(lw, 0.0, c.sq, kinks, IL_MAX_KINKS);
    if (corr == 0.0) { /* independent: the square of a mean */
        double m;
        IL_TRY(integrate(ws, 0, IL_INPUT_NORMAL, f2_single, &c, kinks, nk, &m));
        *out = m * m;
        return IL_OK;
    }
    if (c.s == 0.0) { /* c = +-1: u2 = c u1 */
        if (corr < 0.0 && nk < IL_MAX_KINKS) { /* kinks of G(-u) as well */
            size_t n0 = nk;
            for (size_t i = 0; i < n0 && nk < IL_MAX_KINKS; i++)
                kinks[nk++] = -kinks[i];
        }
        return integrate(ws, 0, IL_INPUT_NORMAL, f2_diag, &c, kinks, nk, out);
    }
    il_status rc = integrate(ws, 0, IL_INPUT_NORMAL, f2_outer, &c, kinks, nk, out);
    return rc != IL_OK ? rc : c.rc;
}

/* ---------------------------------------------------------------------------------------------
 * Moments of an activation under a Gaussian.
 * ------------------------------------------------------------------------------------------- */

static int act_valid(const il_act *a)
{
    return a && (unsigned)a->kind < (unsigned)IL_ACT_COUNT;
}

il_status il_theory_act_moments(const il_act *a, double mean, double var, double *e1, double *e2,
                                il_theory_ws *ws)
{
    if (!act_valid(a) || !isfinite(mean) || !isfinite(var) || var < 0.0)
        return IL_EINVAL;
    il_theory_ws *own = NULL;
    if (!ws && !(ws = own = il_theory_ws_alloc()))
        return IL_ENOMEM;
    law_t lw;
    law_gauss(&lw, mean, sqrt(var));
    il_status rc = law_push_act(&lw, a, NULL, 0);
    double m1 = 0.0, m2 = 0.0;
    if (rc == IL_OK && e1)
        rc = law_expect(ws, &lw, W_GBAR, &m1);
    if (rc == IL_OK && e2)
        rc = law_expect(ws, &lw, W_G2, &m2);
    if (rc == IL_OK) {
        if (e1)
            *e1 = m1;
        if (e2)
            *e2 = m2;
    }
    il_theory_ws_free(own);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * il_theory_run
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    int has;          /* the flip exists */
    int unit_center;  /* 1: h_i -> 2 c_i - h_i with c_i fixed within a draw (a bias of nonzero mean) */
    double center;    /* the constant centre c (unit_center = 0) */
    size_t min_layer; /* earliest layer whose randomness the flip changes (0: the input) */
} flip_t;

typedef struct {
    size_t width;
    double q, m, off;
    il_theory_method mq, mm, moff;
    int indep;
    flip_t flip;
    law_t lw;
} state_t;

typedef struct {
    int active;
    state_t r;        /* the value saved at RES_BEGIN */
    size_t l_begin;   /* linear ops before the block */
    int path_odd;     /* every op from RES_BEGIN to the block's first linear op is odd */
    int has_linear;
} block_t;

/* flip with centre 0: each unit is symmetric, E[h_i] = 0. */
static int flip_sym(const flip_t *f)
{
    return f->has && !f->unit_center && f->center == 0.0;
}

static double init_mean(const il_init_spec *s)
{
    switch (s->kind) {
    case IL_INIT_NORMAL: return s->mean;
    case IL_INIT_UNIFORM: return 0.5 * (s->lo + s->hi);
    case IL_INIT_CONSTANT: return s->value;
    default: return 0.0; /* the fan-based kinds, orthogonal and zeros are symmetric about 0 */
    }
}

/* phi odd up to a constant: phi(x) - phi(0) is odd. */
static int act_odd_shift(const il_act *a)
{
    switch (a->kind) {
    case IL_ACT_IDENTITY:
    case IL_ACT_TANH:
    case IL_ACT_SIGMOID:
        return 1;
    case IL_ACT_HARDTANH:
        return a->p1 == -a->p2;
    default:
        return 0;
    }
}

/* phi odd: phi(-x) = -phi(x). */
static int act_odd(const il_act *a)
{
    return act_odd_shift(a) && a->kind != IL_ACT_SIGMOID;
}

static il_status do_linear(const il_net *net, const il_op *op, size_t layer, state_t *st)
{
    size_t n = st->width;
    double sw2 = il_init_variance(&net->winit, op->width, n);
    if (op->dc_p > 0.0)
        sw2 *= net->train ? 1.0 - op->dc_p : (1.0 - op->dc_p) * (1.0 - op->dc_p);
    double sb2 = 0.0, mub = 0.0;
    if (op->bias) {
        sb2 = il_init_bias_variance(&net->binit, n);
        mub = init_mean(&net->binit);
    }
    if (!isfinite(sw2) || !isfinite(sb2))
        return IL_EINVAL;
    double q = sw2 * (double)n * st->q + sb2 + mub * mub;
    st->width = op->width;
    st->q = q; /* method: that of the input's q */
    st->m = mub;
    st->mm = IL_THEORY_EXACT;
    st->off = 0.0;
    st->moff = IL_THEORY_EXACT;
    st->indep = 0;
    st->flip.has = 1;
    st->flip.unit_center = op->bias && mub != 0.0;
    st->flip.center = 0.0;
    st->flip.min_layer = layer;
    law_gauss(&st->lw, mub, sqrt(fmax(0.0, q - mub * mub)));
    return IL_OK;
}

static il_status do_act(state_t *st, const il_act *a, il_theory_ws *ws, char *err, size_t errlen)
{
    if (a->kind == IL_ACT_IDENTITY)
        return IL_OK;
    int sym = flip_sym(&st->flip);
    IL_TRY(law_push_act(&st->lw, a, err, errlen));
    il_theory_method lm = st->lw.exact ? IL_THEORY_EXACT : IL_THEORY_MEANFIELD;
    double e1, e2;
    IL_TRY(law_expect(ws, &st->lw, W_GBAR, &e1));
    IL_TRY(law_expect(ws, &st->lw, W_G2, &e2));

    /* second moment */
    if (a->kind == IL_ACT_ABS) {
        /* |h|^2 = h^2: unchanged */
    } else if (sym && a->kind == IL_ACT_RELU) {
        st->q *= 0.5;
    } else if (sym && (a->kind == IL_ACT_LEAKY_RELU || a->kind == IL_ACT_PRELU)) {
        st->q *= 0.5 * (1.0 + a->p1 * a->p1);
    } else {
        st->q = e2;
        st->mq = lm;
    }
    /* mean, covariance, flip */
    if (sym && act_odd_shift(a)) {
        st->m = il_act_eval(a, 0.0);
        st->mm = IL_THEORY_EXACT;
        st->off = 0.0;
        st->moff = IL_THEORY_EXACT;
        st->flip.center = st->m;
    } else {
        st->m = e1;
        st->mm = lm;
        st->off = 0.0;
        st->moff = st->indep ? IL_THEORY_EXACT : IL_THEORY_MEANFIELD;
        st->flip.has = 0;
    }
    return IL_OK;
}

static il_status do_dropout(const il_net *net, const il_op *op, state_t *st, char *err, size_t errlen)
{
    double p = op->p, keep = 1.0 - p;
    if (p <= 0.0)
        return IL_OK;
    if (net->train) {
        /* net.c: inverted scales kept units by 1/(1-p); every other kind keeps them as they are */
        int inv = op->drop == IL_DROP_INVERTED;
        double s = inv ? 1.0 / keep : 1.0;
        st->q *= keep * s * s;
        st->m *= keep * s;
        st->off *= keep * s * keep * s;
        if (!flip_sym(&st->flip))
            st->flip.has = 0;
        return law_push_mask(&st->lw, keep, s, err, errlen);
    }
    if (op->drop != IL_DROP_CLASSIC)
        return IL_OK; /* eval: inverted dropout is the identity */
    st->q *= keep * keep;
    st->m *= keep;
    st->off *= keep * keep;
    st->flip.center *= keep;
    return law_push_affine(&st->lw, keep, 0.0, err, errlen);
}

static il_status do_batchnorm(const il_net *net, state_t *st, char *err, size_t errlen)
{
    if (!net->train) { /* running statistics at init: (x - 0) / sqrt(1 + eps) */
        double s = 1.0 / sqrt(1.0 + IL_BN_EPS);
        st->q *= s * s;
        st->m *= s;
        st->off *= s * s;
        st->flip.center *= s;
        return law_push_affine(&st->lw, s, 0.0, err, errlen);
    }
    /* Training: every unit is standardised over the batch. Its batch mean is 0 in every draw, so
     * E = 0 exactly; its batch mean square is v / (v + eps) with v the batch variance, approximated
     * by the unconditional variance (mean-field: large width and batch). A flip of unit i with any
     * centre (even a per-unit bias, which batchnorm removes) becomes a flip with centre 0. */
    double v = fmax(0.0, st->q - st->m * st->m), sd = sqrt(v + IL_BN_EPS), m0 = st->m;
    st->q = v / (v + IL_BN_EPS);
    st->mq = IL_THEORY_MEANFIELD;
    st->m = 0.0;
    st->mm = IL_THEORY_EXACT;
    st->off = 0.0;
    st->moff = st->indep || st->flip.has ? IL_THEORY_EXACT : IL_THEORY_MEANFIELD;
    if (st->flip.has) {
        st->flip.unit_center = 0;
        st->flip.center = 0.0;
    }
    st->lw.exact = 0;
    return law_push_affine(&st->lw, 1.0 / sd, -m0 / sd, err, errlen);
}

/* h = r + u at the end of a residual block (u: the block's output). See docs/theory.md. */
static void do_res_end(const block_t *b, state_t *st)
{
    const state_t *r = &b->r;
    state_t u = *st;
    /* (a) r is flip-symmetric with centre 0 and reaches the block's first linear op through odd ops:
     *     flip r_i and column i of that linear op; u is unchanged, r_i changes sign.
     * (b) u has a flip from inside the block (a row of its last linear op), which leaves r alone;
     *     its centre (a constant, or that op's bias b_i) is independent of r. */
    int case_a = flip_sym(&r->flip) && b->path_odd;
    int case_b = u.flip.has && u.flip.min_layer > b->l_begin;
    /* q = q_r + q_u + 2 mean_i E[r_i u_i]. Exact cross terms: (a) E[r_i u_j] = 0 and m_r = 0;
     * (b) E[r_i u_j] = E[r_i] E[c_j] = m_r m_u. Otherwise the mean-field value m_r m_u. */
    il_theory_method cross;
    if (case_a || (case_b && u.m == 0.0 && u.mm == IL_THEORY_EXACT))
        cross = IL_THEORY_EXACT;
    else if (case_b)
        cross = worst(r->mm, u.mm);
    else
        cross = IL_THEORY_MEANFIELD;
    st->q = r->q + u.q + 2.0 * r->m * u.m;
    st->mq = worst(worst(r->mq, u.mq), cross);
    st->m = r->m + u.m;
    st->mm = worst(r->mm, u.mm);
    st->off = r->off + u.off;
    st->moff = case_a || case_b ? worst(r->moff, u.moff) : IL_THEORY_MEANFIELD;
    st->indep = 0;
    if (case_a && case_b && flip_sym(&u.flip)) {
        st->flip.has = 1; /* both flips together change the sign of h_i alone */
        st->flip.unit_center = 0;
        st->flip.center = 0.0;
        st->flip.min_layer = r->flip.min_layer;
    } else {
        st->flip.has = 0;
    }
    law_gauss(&st->lw, st->m, sqrt(fmax(0.0, st->q - st->m * st->m))); /* moment-matched Gaussian */
}

static void record(il_theory_point *pt, const state_t *st)
{
    pt->q = st->q;
    pt->mean = st->m;
    pt->offdiag = st->width > 1 ? st->off : NAN;
    pt->q_method = st->mq;
    pt->mean_method = st->mm;
    pt->offdiag_method = st->moff;
}

static il_theory_method row_method(const il_theory_layer *r)
{
    il_theory_method m = worst(r->pre.q_method, r->pre.mean_method);
    m = worst(m, worst(r->pre.offdiag_method, r->post.q_method));
    return worst(m, worst(r->post.mean_method, r->post.offdiag_method));
}

static il_status run(const il_net *net, il_theory_layer *rows, il_theory_ws *ws, state_t *st, block_t *blk,
                     char *err, size_t errlen)
{
    size_t layer = 0;
    memset(st, 0, sizeof *st);
    st->width = net->n_in;
    st->q = 0.0;
    for (size_t k = 0; k < net->n_in; k++)
        st->q += net->input_var ? net->input_var[k] : 1.0;
    st->q /= (double)net->n_in;
    st->m = st->off = 0.0;
    st->mq = st->mm = st->moff = IL_THEORY_EXACT;
    st->indep = 1;
    st->flip.has = 1; /* independent coordinates with symmetric laws */
    st->flip.min_layer = 0;
    st->lw.base = BASE_INPUT;
    st->lw.input = net->input;
    st->lw.var = net->input_var;
    st->lw.n = net->n_in;
    st->lw.exact = 1;
    st->lw.nops = st->lw.nmask = 0;
    memset(blk, 0, sizeof *blk);

    for (size_t i = 0; i < net->n_ops; i++) {
        const il_op *op = &net->ops[i];
        if (blk->active && !blk->has_linear) {
            int odd = op->kind == IL_OP_DROPOUT || op->kind == IL_OP_BATCHNORM ||
                      (op->kind == IL_OP_ACT && act_odd(&op->act));
            if (op->kind != IL_OP_LINEAR && !odd)
                blk->path_odd = 0;
        }
        switch (op->kind) {
        case IL_OP_LINEAR:
            if (layer > 0)
                record(&rows[layer - 1].post, st);
            layer++;
            if (blk->active)
                blk->has_linear = 1;
            IL_TRY(do_linear(net, op, layer, st));
            rows[layer - 1].layer = layer;
            rows[layer - 1].width = op->width;
            record(&rows[layer - 1].pre, st);
            break;
        case IL_OP_ACT:
            IL_TRY(do_act(st, &op->act, ws, err, errlen));
            break;
        case IL_OP_DROPOUT:
            IL_TRY(do_dropout(net, op, st, err, errlen));
            break;
        case IL_OP_BATCHNORM:
            IL_TRY(do_batchnorm(net, st, err, errlen));
            break;
        case IL_OP_RES_BEGIN:
            blk->active = 1;
            blk->r = *st;
            blk->l_begin = layer;
            blk->path_odd = 1;
            blk->has_linear = 0;
            break;
        case IL_OP_RES_END:
            if (!blk->has_linear) {
                set_err(err, errlen, "residual block ending at op %zu has no linear op (not supported)", i + 1);
                return IL_EUNSUPPORTED;
            }
            do_res_end(blk, st);
            blk->active = 0;
            break;
        }
    }
    record(&rows[layer - 1].post, st);
    for (size_t l = 0; l < layer; l++)
        rows[l].method = row_method(&rows[l]);
    return IL_OK;
}

il_status il_theory_run(const il_net *net, il_theory_layer *out, il_theory_ws *ws, char *err, size_t errlen)
{
    char buf[256];
    if (!net || !out)
        return IL_EINVAL;
    /* batch 2: the theory does not depend on it; a batchnorm in training needs >= 2 to be valid */
    if (il_net_check(net, 2, buf, sizeof buf) != IL_OK) {
        set_err(err, errlen, "%s", buf);
        return IL_EINVAL;
    }
    double wm = init_mean(&net->winit);
    if (wm != 0.0) {
        set_err(err, errlen, "weights must have zero mean for the theory (init %s has mean %g)",
                il_init_name(net->winit.kind), wm);
        return IL_EUNSUPPORTED;
    }
    size_t L = il_net_layers(net);
    il_theory_ws *own = NULL;
    il_theory_layer *rows = calloc(L, sizeof *rows);
    state_t *st = malloc(sizeof *st);
    block_t *blk = malloc(sizeof *blk);
    il_status rc = IL_ENOMEM;
    if (!rows || !st || !blk || (!ws && !(ws = own = il_theory_ws_alloc())))
        goto done;
    rc = run(net, rows, ws, st, blk, err, errlen);
    if (rc == IL_OK)
        memcpy(out, rows, L * sizeof *rows);
    else if (rc == IL_EGSL)
        set_err(err, errlen, "a quadrature did not reach its tolerance");
done:
    il_theory_ws_free(own);
    free(blk);
    free(st);
    free(rows);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Mean-field maps
 * ------------------------------------------------------------------------------------------- */

void il_theory_mf_default(il_theory_mf *mf)
{
    memset(mf, 0, sizeof *mf);
    il_act_default(IL_ACT_TANH, &mf->act);
    mf->sw2 = 1.0;
    mf->sb2 = 0.0;
    mf->p = 0.0;
    mf->drop = IL_DROP_INVERTED;
    mf->drop_at = IL_DROP_AFTER;
    mf->train = 1;
}

static il_status mf_check(const il_theory_mf *mf)
{
    if (!mf || !act_valid(&mf->act) || !isfinite(mf->sw2) || mf->sw2 < 0.0 || !isfinite(mf->sb2) ||
        mf->sb2 < 0.0 || !(mf->p >= 0.0 && mf->p < 1.0))
        return IL_EINVAL;
    if (mf->drop != IL_DROP_INVERTED && mf->drop != IL_DROP_CLASSIC && mf->drop != IL_DROP_CONNECT)
        return IL_EINVAL;
    if (mf->drop_at != IL_DROP_AFTER && mf->drop_at != IL_DROP_BEFORE)
        return IL_EINVAL;
    return IL_OK;
}

/* The law of h = g(y) for y ~ N(0, q), and the effective weight variance. */
static void mf_law(const il_theory_mf *mf, double q, law_t *lw, double *sw2_eff)
{
    double keep = 1.0 - mf->p;
    law_gauss(lw, 0.0, sqrt(q));
    *sw2_eff = mf->sw2;
    pop d;
    int has_d = 0;
    memset(&d, 0, sizeof d);
    if (mf->p > 0.0) {
        if (mf->drop == IL_DROP_CONNECT) {
            *sw2_eff = mf->sw2 * (mf->train ? keep : keep * keep);
        } else if (mf->train) {
            d.kind = POP_MASK;
            d.keep = keep;
            d.scale = mf->drop == IL_DROP_INVERTED ? 1.0 / keep : 1.0;
            has_d = 1;
        } else if (mf->drop == IL_DROP_CLASSIC) {
            d.kind = POP_AFFINE;
            d.a = keep;
            has_d = 1;
        }
    }
    pop a;
    memset(&a, 0, sizeof a);
    a.kind = POP_ACT;
    a.act = mf->act;
    if (has_d && mf->drop_at == IL_DROP_BEFORE)
        (void)law_push(lw, &d, NULL, 0);
    (void)law_push(lw, &a, NULL, 0);
    if (has_d && mf->drop_at == IL_DROP_AFTER)
        (void)law_push(lw, &d, NULL, 0);
}

static il_status mf_begin(const il_theory_mf *mf, il_theory_ws **ws, il_theory_ws **own)
{
    IL_TRY(mf_check(mf));
    *own = NULL;
    if (!*ws && !(*ws = *own = il_theory_ws_alloc()))
        return IL_ENOMEM;
    return IL_OK;
}

static il_status qmap(il_theory_ws *ws, const il_theory_mf *mf, double q, double *out)
{
    law_t lw;
    double sw2, e2;
    mf_law(mf, q, &lw, &sw2);
    IL_TRY(law_expect(ws, &lw, W_G2, &e2));
    *out = sw2 * e2 + mf->sb2;
    return IL_OK;
}

static il_status qmap_slope(il_theory_ws *ws, const il_theory_mf *mf, double q, double *out)
{
    law_t lw;
    double sw2, e;
    mf_law(mf, fmax(q, IL_Q_SLOPE_MIN), &lw, &sw2);
    IL_TRY(law_expect(ws, &lw, W_SLOPE, &e));
    *out = sw2 * e;
    return IL_OK;
}

il_status il_theory_qmap(const il_theory_mf *mf, double q, double *q_next, il_theory_ws *ws)
{
    il_theory_ws *own;
    if (!q_next || !isfinite(q) || q < 0.0)
        return IL_EINVAL;
    IL_TRY(mf_begin(mf, &ws, &own));
    il_status rc = qmap(ws, mf, q, q_next);
    il_theory_ws_free(own);
    return rc;
}

il_status il_theory_qmap_slope(const il_theory_mf *mf, double q, double *slope, il_theory_ws *ws)
{
    il_theory_ws *own;
    if (!slope || !isfinite(q) || q < 0.0)
        return IL_EINVAL;
    IL_TRY(mf_begin(mf, &ws, &own));
    il_status rc = qmap_slope(ws, mf, q, slope);
    il_theory_ws_free(own);
    return rc;
}

static il_status qstar(il_theory_ws *ws, const il_theory_mf *mf, double q0, double *out)
{
    double q = q0, qn = q0;
    for (int it = 0; it < IL_QSTAR_MAXITER; it++) {
        IL_TRY(qmap(ws, mf, q, &qn));
        if (!isfinite(qn) || qn > IL_QSTAR_HUGE)
            return IL_ENUMERIC;
        if (fabs(qn - q) <= IL_QSTAR_ITER_TOL * fmax(q, qn)) {
            q = qn;
            break;
        }
        q = qn;
        if (q < IL_QSTAR_TINY)
            break;
    }
    /* Newton on F(q) = q_map(q) - q with F' = q_map'(q) - 1, until |F| <= IL_QSTAR_TOL scale or the
     * steps stall at rounding level (the quadrature's own noise); then |F| <= IL_QSTAR_ACCEPT scale. */
    for (int it = 0; it < IL_QSTAR_NEWTON_MAXITER; it++) {
        if (q < IL_QSTAR_TINY) {
            double f0;
            IL_TRY(qmap(ws, mf, 0.0, &f0));
            if (f0 == 0.0) {
                *out = 0.0;
                return IL_OK;
            }
        }
        IL_TRY(qmap(ws, mf, q, &qn));
        double F = qn - q;
        if (fabs(F) <= IL_QSTAR_TOL * fmax(q, mf->sb2)) {
            *out = q;
            return IL_OK;
        }
        double s;
        IL_TRY(qmap_slope(ws, mf, q, &s));
        if (!isfinite(s) || s == 1.0)
            break;
        double qt = q - F / (s - 1.0);
        if (!isfinite(qt))
            break;
        if (qt < 0.0)
            qt = 0.5 * q;
        int stalled = fabs(qt - q) <= 4.0 * DBL_EPSILON * q;
        q = qt;
        if (stalled)
            break;
    }
    IL_TRY(qmap(ws, mf, q, &qn));
    if (fabs(qn - q) <= IL_QSTAR_ACCEPT * fmax(q, mf->sb2)) {
        *out = q;
        return IL_OK;
    }
    return IL_ENUMERIC;
}

il_status il_theory_qstar(const il_theory_mf *mf, double q0, double *out, il_theory_ws *ws)
{
    il_theory_ws *own;
    if (!out || !isfinite(q0) || q0 < 0.0)
        return IL_EINVAL;
    IL_TRY(mf_begin(mf, &ws, &own));
    il_status rc = qstar(ws, mf, q0, out);
    il_theory_ws_free(own);
    return rc;
}

static il_status cmap(il_theory_ws *ws, const il_theory_mf *mf, double q, double c, double *out)
{
    law_t lw;
    double sw2, e, qn;
    IL_TRY(qmap(ws, mf, q, &qn));
    if (!(qn > 0.0))
        return IL_EINVAL;
    mf_law(mf, q, &lw, &sw2);
    IL_TRY(pair_expect(ws, &lw, 0, q, c, &e));
    *out = (sw2 * e + mf->sb2) / qn;
    return IL_OK;
}

static il_status cmap_slope(il_theory_ws *ws, const il_theory_mf *mf, double q, double c, double *out)
{
    law_t lw;
    double sw2, e, qn;
    IL_TRY(qmap(ws, mf, q, &qn));
    if (!(qn > 0.0))
        return IL_EINVAL;
    mf_law(mf, q, &lw, &sw2);
    IL_TRY(pair_expect(ws, &lw, 1, q, c, &e));
    *out = sw2 * q * e / qn;
    return IL_OK;
}

static int corr_ok(double c)
{
    return c >= -1.0 && c <= 1.0;
}

il_status il_theory_cmap(const il_theory_mf *mf, double q, double c, double *c_next, il_theory_ws *ws)
{
    il_theory_ws *own;
    if (!c_next || !isfinite(q) || q < 0.0 || !corr_ok(c))
        return IL_EINVAL;
    IL_TRY(mf_begin(mf, &ws, &own));
    il_status rc = cmap(ws, mf, q, c, c_next);
    il_theory_ws_free(own);
    return rc;
}

il_status il_theory_cmap_slope(const il_theory_mf *mf, double q, double c, double *slope, il_theory_ws *ws)
{
    il_theory_ws *own;
    if (!slope || !isfinite(q) || q < 0.0 || !corr_ok(c))
        return IL_EINVAL;
    IL_TRY(mf_begin(mf, &ws, &own));
    il_status rc = cmap_slope(ws, mf, q, c, slope);
    il_theory_ws_free(own);
    return rc;
}

static il_status chi1(il_theory_ws *ws, const il_theory_mf *mf, double q, double *out)
{
    law_t lw;
    double sw2, e;
    mf_law(mf, q, &lw, &sw2);
    IL_TRY(law_expect(ws, &lw, W_DGBAR2, &e));
    *out = sw2 * e;
    return IL_OK;
}

il_status il_theory_chi1(const il_theory_mf *mf, double qs, double *out, il_theory_ws *ws)
{
    il_theory_ws *own;
    if (!out || !isfinite(qs) || qs < 0.0)
        return IL_EINVAL;
    IL_TRY(mf_begin(mf, &ws, &own));
    il_status rc = chi1(ws, mf, qs, out);
    il_theory_ws_free(own);
    return rc;
}

typedef struct {
    il_theory_ws *ws;
    const il_theory_mf *mf;
    double q;
    il_status rc;
} cfun_ctx;

static double cfun(double c, void *vp)
{
    cfun_ctx *x = vp;
    double cn = 0.0;
    if (x->rc == IL_OK)
        x->rc = cmap(x->ws, x->mf, x->q, c, &cn);
    return cn - c;
}

static il_status cstar(il_theory_ws *ws, const il_theory_mf *mf, double q, double *out)
{
    cfun_ctx x = {ws, mf, q, IL_OK};
    law_t lw;
    double sw2, hi = 1.0;
    mf_law(mf, q, &lw, &sw2);
    if (lw.nmask == 0) { /* c = 1 is a fixed point; it attracts iff the slope there is <= 1 */
        double s;
        IL_TRY(cmap_slope(ws, mf, q, 1.0, &s));
        if (s <= 1.0 + IL_CHI_CRIT_TOL) {
            *out = 1.0;
            return IL_OK;
        }
        hi = NAN;
        for (double d = 0.1; d >= 1e-12; d *= 0.1) {
            double f = cfun(1.0 - d, &x);
            IL_TRY(x.rc);
            if (f < 0.0) {
                hi = 1.0 - d;
                break;
            }
        }
        if (isnan(hi)) { /* slope > 1 but no sign change down to 1e-12: indistinguishable from 1 */
            *out = 1.0;
            return IL_OK;
        }
    } else {
        double f1v = cfun(1.0, &x);
        IL_TRY(x.rc);
        if (f1v >= 0.0) {
            *out = 1.0;
            return IL_OK;
        }
    }
    double f0 = cfun(0.0, &x);
    IL_TRY(x.rc);
    if (f0 <= 0.0) {
        *out = 0.0;
        return IL_OK;
    }
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!s)
        return IL_ENOMEM;
    gsl_function F = {cfun, &x};
    il_status rc = IL_ENUMERIC;
    if (gsl_root_fsolver_set(s, &F, 0.0, hi) != GSL_SUCCESS || x.rc != IL_OK) {
        rc = x.rc != IL_OK ? x.rc : IL_ENUMERIC;
        goto done;
    }
    for (int it = 0; it < IL_CSTAR_MAXITER; it++) {
        if (gsl_root_fsolver_iterate(s) != GSL_SUCCESS || x.rc != IL_OK) {
            rc = x.rc != IL_OK ? x.rc : IL_ENUMERIC;
            goto done;
        }
        double lo = gsl_root_fsolver_x_lower(s), up = gsl_root_fsolver_x_upper(s);
        if (gsl_root_test_interval(lo, up, IL_CSTAR_TOL, 0.0) == GSL_SUCCESS) {
            *out = gsl_root_fsolver_root(s);
            rc = IL_OK;
            goto done;
        }
    }
done:
    gsl_root_fsolver_free(s);
    return rc;
}

il_status il_theory_cstar(const il_theory_mf *mf, double qs, double *out, il_theory_ws *ws)
{
    il_theory_ws *own;
    if (!out || !isfinite(qs) || qs < 0.0)
        return IL_EINVAL;
    IL_TRY(mf_begin(mf, &ws, &own));
    il_status rc = cstar(ws, mf, qs, out);
    il_theory_ws_free(own);
    return rc;
}

static double depth(double chi)
{
    double a = fabs(chi);
    if (a >= 1.0)
        return INFINITY;
    if (a == 0.0)
        return 0.0;
    return -1.0 / log(a);
}

il_status il_theory_depth_scales(const il_theory_mf *mf, double qs, double cs, double *xi_q, double *xi_c,
                                 il_theory_ws *ws)
{
    il_theory_ws *own;
    if (!xi_q || !xi_c || !isfinite(qs) || qs < 0.0 || !corr_ok(cs))
        return IL_EINVAL;
    IL_TRY(mf_begin(mf, &ws, &own));
    double sq = 0.0, sc = 0.0;
    il_status rc = qmap_slope(ws, mf, qs, &sq);
    if (rc == IL_OK)
        rc = cmap_slope(ws, mf, qs, cs, &sc);
    if (rc == IL_OK) {
        *xi_q = depth(sq);
        *xi_c = depth(sc);
    }
    il_theory_ws_free(own);
    return rc;
}

il_status il_theory_fixed_points(const il_theory_mf *mf, double q0, il_theory_fixed *out, il_theory_ws *ws)
{
    il_theory_ws *own;
    if (!out || !isfinite(q0) || q0 < 0.0)
        return IL_EINVAL;
    IL_TRY(mf_begin(mf, &ws, &own));
    il_theory_fixed f;
    il_status rc = qstar(ws, mf, q0, &f.qstar);
    if (rc == IL_OK)
        rc = cstar(ws, mf, f.qstar, &f.cstar);
    if (rc == IL_OK)
        rc = chi1(ws, mf, f.qstar, &f.chi1);
    if (rc == IL_OK)
        rc = cmap_slope(ws, mf, f.qstar, f.cstar, &f.chi_c);
    if (rc == IL_OK)
        rc = qmap_slope(ws, mf, f.qstar, &f.chi_q);
    if (rc == IL_OK) {
        f.xi_q = depth(f.chi_q);
        f.xi_c = depth(f.chi_c);
        *out = f;
    }
    il_theory_ws_free(own);
    return rc;
}
