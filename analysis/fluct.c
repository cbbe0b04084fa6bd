/* fluct.c: finite-width fluctuations of M_l = |y_l|^2 / n_l: the exact moment engine, the
 * leading-order (mean-field) path, estimates with delta-method and jackknife standard errors,
 * verdicts and writers. The derivations are in docs/fluct.md; the section numbers below refer to it. */
#include "fluct.h"

#include <float.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *il_fluct_method_name(il_fluct_method m)
{
    switch (m) {
    case IL_FLUCT_EXACT: return "exact";
    case IL_FLUCT_MEANFIELD: return "mean-field";
    case IL_FLUCT_NONE: return "none";
    }
    return "?";
}

/* ------------------------------------------------------------------------------------------------
 * The exact engine (docs/fluct.md §3).
 *
 * The state of a random vector v (width n) is the list of expectations E[prod_r p_{2 a_r}(v)] of
 * products of its even power sums p_{2a}(v) = sum_i v_i^{2a}, one for every multiset {a_r} with
 * sum a_r <= FK: the integer partitions of 0..FK ("monomials"). E[M^k] = E[p_2^k] / n^k, k <= FK.
 * A linear op followed by elementwise ops maps the state of its input linearly to the state of its
 * output; the map is built from the cumulants of the weight and bias laws. FK = 8 gives E[M^k] for
 * k <= 8: the values need k <= 4, the theory's standard errors of the kurtosis need k <= 8. */

typedef long double ld;

#define FK 8      /* highest power of M */
#define NP_MAX 67 /* partitions of 0, 1, ..., 8 */

typedef struct {
    int n;        /* number of parts */
    int deg;      /* their sum */
    int part[FK]; /* non-increasing */
} partition;

/* For a state monomial lambda, the set partitions of its parts grouped by the multiset of block sums
 * ("key", itself a monomial): count of set partitions with that key. */
typedef struct {
    int key;
    ld count;
} group;

typedef struct {
    int np;
    partition parts[NP_MAX];
    signed char mul[NP_MAX][NP_MAX]; /* index of the product monomial, -1 beyond degree FK */
    int single[FK + 1];              /* index of (a) */
    int ones[FK + 1];                /* index of (1^k) */
    group grp[NP_MAX][NP_MAX];
    int ngrp[NP_MAX];
} engine;

typedef struct {
    ld c[NP_MAX];
} poly; /* a polynomial in the power sums of the previous layer's vector */

static int part_index(const engine *e, const int *parts, int n)
{
    for (int k = 0; k < e->np; k++) {
        if (e->parts[k].n != n)
            continue;
        int same = 1;
        for (int i = 0; i < n && same; i++)
            same = e->parts[k].part[i] == parts[i];
        if (same)
            return k;
    }
    return -1;
}

static void gen_parts(engine *e, int *cur, int n, int left, int maxpart)
{
    if (left == 0) {
        partition *p = &e->parts[e->np++];
        p->n = n;
        p->deg = 0;
        for (int i = 0; i < n; i++) {
            p->part[i] = cur[i];
            p->deg += cur[i];
        }
        return;
    }
    for (int a = left < maxpart ? left : maxpart; a >= 1; a--) {
        cur[n] = a;
        gen_parts(e, cur, n + 1, left - a, a);
    }
}

static int cmp_int_desc(const void *a, const void *b)
{
    return *(const int *)b - *(const int *)a;
}

/* Set partitions of {0..R-1} as restricted growth strings: blk[i] = block of element i. */
typedef void (*setpart_fn)(void *ctx, const int *blk, int R, int nb);

static void setpart_rec(int *blk, int i, int R, int nb, setpart_fn fn, void *ctx)
{
    if (i == R) {
        fn(ctx, blk, R, nb);
        return;
    }
    for (int b = 0; b <= nb; b++) {
        blk[i] = b;
        setpart_rec(blk, i + 1, R, b == nb ? nb + 1 : nb, fn, ctx);
    }
}

static void setpart_each(int R, setpart_fn fn, void *ctx)
{
    int blk[FK] = {0};
    if (R == 0) {
        fn(ctx, blk, 0, 0);
        return;
    }
    setpart_rec(blk, 1, R, 1, fn, ctx);
}

typedef struct {
    engine *e;
    int lam;
} group_ctx;

static void group_setpart(void *vctx, const int *blk, int R, int nb)
{
    group_ctx *c = vctx;
    engine *e = c->e;
    int a[FK] = {0};
    for (int i = 0; i < R; i++)
        a[blk[i]] += e->parts[c->lam].part[i];
    qsort(a, (size_t)nb, sizeof a[0], cmp_int_desc);
    int key = part_index(e, a, nb);
    for (int g = 0; g < e->ngrp[c->lam]; g++)
        if (e->grp[c->lam][g].key == key) {
            e->grp[c->lam][g].count += 1.0L;
            return;
        }
    e->grp[c->lam][e->ngrp[c->lam]++] = (group){key, 1.0L};
}

static void engine_init(engine *e)
{
    memset(e, 0, sizeof *e);
    int cur[FK];
    for (int d = 0; d <= FK; d++)
        gen_parts(e, cur, 0, d, FK);
    for (int i = 0; i < e->np; i++)
        for (int j = 0; j < e->np; j++) {
            const partition *a = &e->parts[i], *b = &e->parts[j];
            e->mul[i][j] = -1;
            if (a->deg + b->deg > FK)
                continue;
            int m[FK], n = 0, x = 0, y = 0;
            while (x < a->n || y < b->n)
                m[n++] = (y >= b->n || (x < a->n && a->part[x] >= b->part[y])) ? a->part[x++] : b->part[y++];
            e->mul[i][j] = (signed char)part_index(e, m, n);
        }
    for (int a = 0; a <= FK; a++) {
        int one[1] = {a}, ones[FK];
        for (int i = 0; i < a; i++)
            ones[i] = 1;
        e->single[a] = a ? part_index(e, one, 1) : 0;
        e->ones[a] = part_index(e, ones, a);
    }
    for (int l = 0; l < e->np; l++) {
        group_ctx c = {e, l};
        setpart_each(e->parts[l].n, group_setpart, &c);
    }
}

static void poly_zero(const engine *e, poly *p)
{
    for (int k = 0; k < e->np; k++)
        p->c[k] = 0.0L;
}

static void poly_mul(const engine *e, const poly *a, const poly *b, poly *out)
{
    poly r;
    poly_zero(e, &r);
    for (int i = 0; i < e->np; i++) {
        if (a->c[i] == 0.0L)
            continue;
        for (int j = 0; j < e->np; j++) {
            int k = e->mul[i][j];
            if (b->c[j] != 0.0L && k >= 0)
                r.c[k] += a->c[i] * b->c[j];
        }
    }
    *out = r;
}

static ld binom(int n, int k)
{
    ld r = 1.0L;
    for (int i = 1; i <= k; i++)
        r = r * (ld)(n - k + i) / (ld)i;
    return r;
}

static ld falling(ld n, int b)
{
    ld r = 1.0L;
    for (int i = 0; i < b; i++)
        r *= n - (ld)i;
    return r;
}

/* Even cumulants kappa[j] = kappa_{2j} from even moments m[j] = E[X^{2j}] of a law symmetric about
 * 0 (odd moments and cumulants vanish): kappa_n = m_n - sum_{k<n} C(n-1, k-1) kappa_k m_{n-k}. */
static void cumulants(const ld *m, ld *kappa)
{
    ld mm[2 * FK + 1], kk[2 * FK + 1];
    for (int n = 0; n <= 2 * FK; n++) {
        mm[n] = n % 2 ? 0.0L : m[n / 2];
        kk[n] = 0.0L;
    }
    for (int n = 1; n <= 2 * FK; n++) {
        ld s = mm[n];
        for (int k = 1; k < n; k++)
            s -= binom(n - 1, k - 1) * kk[k] * mm[n - k];
        kk[n] = s;
    }
    kappa[0] = 0.0L;
    for (int j = 1; j <= FK; j++)
        kappa[j] = kk[2 * j];
}

/* One layer: y_i = sum_j W_ij h_j + b_i (n units), then z = F(y) elementwise. kw, kb: the even
 * cumulants of the weight and bias laws; cmul[a]: E[z^{2a}] = cmul[a] E[y^{2a}] given h. */
typedef struct {
    ld n;
    ld kw[FK + 1], kb[FK + 1];
    ld cmul[FK + 1];
} layer_law;

/* out = the state of z from the state in of h (§3.2). */
static void transition(const engine *e, const layer_law *t, const ld *in, ld *out)
{
    /* E[y_i^{2a} | h] as polynomials in the power sums of h: the cumulants of y_i given h are
     * kappa_{2j}(y) = kw[j] p_{2j}(h) + kb[j], and moments follow from cumulants by
     * m_{2a} = sum_j C(2a-1, 2j-1) kappa_{2j} m_{2a-2j} */
    poly kap[FK + 1], mom[FK + 1], zmom[FK + 1], keyp[NP_MAX];
    for (int j = 1; j <= FK; j++) {
        poly_zero(e, &kap[j]);
        kap[j].c[e->single[j]] = t->kw[j];
        kap[j].c[0] += t->kb[j];
    }
    poly_zero(e, &mom[0]);
    mom[0].c[0] = 1.0L;
    for (int a = 1; a <= FK; a++) {
        poly_zero(e, &mom[a]);
        for (int j = 1; j <= a; j++) {
            poly p;
            poly_mul(e, &kap[j], &mom[a - j], &p);
            ld c = binom(2 * a - 1, 2 * j - 1);
            for (int k = 0; k < e->np; k++)
                mom[a].c[k] += c * p.c[k];
        }
    }
    for (int a = 0; a <= FK; a++) /* E[z^{2a} | h] */
        for (int k = 0; k < e->np; k++)
            zmom[a].c[k] = a ? t->cmul[a] * mom[a].c[k] : mom[a].c[k];
    /* for every key (block sums a_1 >= a_2 >= ...): prod_B E[z^{2 a_B} | h], built part by part
     * (the keys are listed by degree, so the key without its last part comes first) */
    for (int k = 0; k < e->np; k++) {
        const partition *p = &e->parts[k];
        if (p->n == 0) {
            poly_zero(e, &keyp[k]);
            keyp[k].c[0] = 1.0L;
            continue;
        }
        int rest = part_index(e, p->part, p->n - 1);
        poly_mul(e, &keyp[rest], &zmom[p->part[p->n - 1]], &keyp[k]);
    }
    /* E[prod_r p_{2 a_r}(z) | h] = sum over set partitions of the factors (which unit indices
     * coincide) of n (n-1) ... (n - nb + 1) prod_B E[z^{2 a_B} | h]; then E over h */
    for (int l = 0; l < e->np; l++) {
        ld s = 0.0L;
        for (int g = 0; g < e->ngrp[l]; g++) {
            const group *gr = &e->grp[l][g];
            ld c = gr->count * falling(t->n, e->parts[gr->key].n);
            if (c == 0.0L)
                continue;
            for (int k = 0; k < e->np; k++)
                s += c * keyp[gr->key].c[k] * in[k];
        }
        out[l] = s;
    }
}

/* Sum over distinct indices i_1, ..., i_nb of prod_B v_{i_B}^{a_B} (a = the key's parts), by
 * Moebius inversion over the set partitions of the blocks: P[t] = sum_k v_k^t. */
typedef struct {
    const int *a;
    const ld *P;
    ld sum;
} mobius_ctx;

static void mobius_setpart(void *vctx, const int *blk, int R, int nb)
{
    mobius_ctx *c = vctx;
    int deg[FK] = {0}, size[FK] = {0};
    for (int i = 0; i < R; i++) {
        deg[blk[i]] += c->a[i];
        size[blk[i]]++;
    }
    ld term = 1.0L;
    for (int b = 0; b < nb; b++) {
        for (int k = 1; k < size[b]; k++)
            term *= -(ld)k; /* (-1)^{s-1} (s-1)! */
        term *= c->P[deg[b]];
    }
    c->sum += term;
}

/* The input state (§3.4): coordinates x_k = sqrt(v_k) u_k with u_k iid, E[u^{2a}] = mu[a], then
 * the elementwise ops before the first linear op (multipliers cmul). */
static void input_state(const engine *e, const il_net *net, const ld *cmul, ld *S)
{
    ld mu[FK + 1], P[FK + 1], keyv[NP_MAX];
    for (int a = 0; a <= FK; a++) {
        switch (net->input) {
        case IL_INPUT_NORMAL: {
            ld df = 1.0L;
            for (int k = 1; k < 2 * a; k += 2)
                df *= (ld)k;
            mu[a] = df;
            break;
        }
        case IL_INPUT_UNIFORM: mu[a] = powl(3.0L, (ld)a) / (ld)(2 * a + 1); break;
        default: mu[a] = 1.0L; break;
        }
        P[a] = 0.0L;
    }
    if (net->input_var)
        for (size_t k = 0; k < net->n_in; k++) {
            ld v = (ld)net->input_var[k], p = 1.0L;
            for (int a = 0; a <= FK; a++, p *= v)
                P[a] += p;
        }
    for (int k = 0; k < e->np; k++) {
        const partition *p = &e->parts[k];
        ld v = 1.0L;
        for (int i = 0; i < p->n; i++)
            v *= cmul[p->part[i]] * mu[p->part[i]];
        if (net->input_var) {
            mobius_ctx m = {p->part, P, 0.0L};
            setpart_each(p->n, mobius_setpart, &m);
            v *= m.sum;
        } else {
            v *= falling((ld)net->n_in, p->n);
        }
        keyv[k] = v;
    }
    for (int l = 0; l < e->np; l++) {
        ld s = 0.0L;
        for (int g = 0; g < e->ngrp[l]; g++)
            s += e->grp[l][g].count * keyv[e->grp[l][g].key];
        S[l] = s;
    }
}

/* ------------------------------------------------------------------------------------------------
 * Laws of weights and biases. */

typedef enum { LAW_ZERO, LAW_NORMAL, LAW_UNIFORM, LAW_OTHER } law_kind;

typedef struct {
    law_kind kind;
    double mean, var;
} law;

static law weight_law(const il_init_spec *s, size_t rows, size_t cols)
{
    law w = {LAW_OTHER, 0.0, il_init_variance(s, rows, cols)};
    switch (s->kind) {
    case IL_INIT_TORCH:
    case IL_INIT_KAIMING_UNIFORM:
    case IL_INIT_XAVIER_UNIFORM: w.kind = LAW_UNIFORM; break;
    case IL_INIT_KAIMING_NORMAL:
    case IL_INIT_XAVIER_NORMAL:
    case IL_INIT_LECUN_NORMAL: w.kind = LAW_NORMAL; break;
    case IL_INIT_NORMAL: w.kind = LAW_NORMAL; w.mean = s->mean; break;
    case IL_INIT_UNIFORM: w.kind = LAW_UNIFORM; w.mean = 0.5 * (s->lo + s->hi); break;
    case IL_INIT_ZEROS: w.kind = LAW_ZERO; break;
    case IL_INIT_CONSTANT: w.kind = LAW_ZERO; w.mean = s->value; break;
    default: break; /* orthogonal */
    }
    if (w.kind == LAW_ZERO)
        w.var = 0.0;
    return w;
}

static law bias_law(const il_init_spec *s, size_t fan_in)
{
    law b = {LAW_OTHER, 0.0, il_init_bias_variance(s, fan_in)};
    switch (s->kind) {
    case IL_INIT_TORCH: b.kind = LAW_UNIFORM; break;
    case IL_INIT_NORMAL: b.kind = LAW_NORMAL; b.mean = s->mean; break;
    case IL_INIT_UNIFORM: b.kind = LAW_UNIFORM; b.mean = 0.5 * (s->lo + s->hi); break;
    case IL_INIT_ZEROS: b.kind = LAW_ZERO; break;
    case IL_INIT_CONSTANT: b.kind = LAW_ZERO; b.mean = s->value; break;
    default: break;
    }
    if (b.kind == LAW_ZERO)
        b.var = 0.0;
    return b;
}

/* Even moments m[j] = E[X^{2j}] of a zero-mean law of variance var. */
static void law_moments(const law *w, ld *m)
{
    ld v = (ld)w->var, p = 1.0L;
    for (int j = 0; j <= FK; j++, p *= v) {
        if (w->kind == LAW_NORMAL) {
            ld df = 1.0L;
            for (int k = 1; k < 2 * j; k += 2)
                df *= (ld)k;
            m[j] = df * p;
        } else if (w->kind == LAW_UNIFORM) {
            m[j] = powl(3.0L, (ld)j) * p / (ld)(2 * j + 1);
        } else {
            m[j] = j == 0 ? 1.0L : 0.0L;
        }
    }
}

/* ------------------------------------------------------------------------------------------------
 * Elementwise segments: the ops between two linear ops (or before the first). */

typedef enum { STEP_ACT, STEP_SCALE, STEP_MASK } step_kind;

typedef struct {
    step_kind kind;
    il_act act;     /* STEP_ACT */
    double s;       /* STEP_SCALE: factor; STEP_MASK: the kept units' factor */
    double p;       /* STEP_MASK: drop probability */
} step;

#define MAX_STEPS 32 /* elementwise ops between two linear ops */

typedef struct {
    step st[MAX_STEPS];
    int n, masks;
    int ok;             /* 0: an op without theory (training batchnorm, residual sum, too many ops) */
    const char *why;    /* when !ok */
} segment;

/* The segment starting at op index *i (stops before the next linear op or at the end). */
static void read_segment(const il_net *net, size_t *i, segment *seg)
{
    memset(seg, 0, sizeof *seg);
    seg->ok = 1;
    for (; *i < net->n_ops && net->ops[*i].kind != IL_OP_LINEAR; (*i)++) {
        const il_op *op = &net->ops[*i];
        step s;
        memset(&s, 0, sizeof s);
        switch (op->kind) {
        case IL_OP_ACT:
            s.kind = STEP_ACT;
            s.act = op->act;
            break;
        case IL_OP_DROPOUT:
            if (op->p <= 0.0)
                continue; /* skipped by the engine too */
            if (net->train) {
                s.kind = STEP_MASK;
                s.p = op->p;
                s.s = op->drop == IL_DROP_INVERTED ? 1.0 / (1.0 - op->p) : 1.0;
                seg->masks++;
            } else if (op->drop == IL_DROP_CLASSIC) {
                s.kind = STEP_SCALE;
                s.s = 1.0 - op->p;
            } else {
                continue; /* inverted dropout in eval mode: identity */
            }
            break;
        case IL_OP_BATCHNORM:
            if (net->train) {
                seg->ok = 0;
                seg->why = "training-mode batchnorm couples the inputs of a batch";
                continue;
            }
            s.kind = STEP_SCALE;
            s.s = 1.0 / sqrt(1.0 + IL_BN_EPS);
            break;
        case IL_OP_RES_BEGIN:
            continue; /* saves the value; the sum at RES_END is what has no theory */
        case IL_OP_RES_END:
            seg->ok = 0;
            seg->why = "residual sums are not covered";
            continue;
        default: continue;
        }
        if (seg->n == MAX_STEPS) {
            seg->ok = 0;
            seg->why = "too many elementwise ops between two linear ops";
            continue;
        }
        seg->st[seg->n++] = s;
    }
}

/* Positively homogeneous activations: phi(y) = tp y for y > 0, tn y for y < 0. */
static int act_slopes(const il_act *a, double *tp, double *tn)
{
    switch (a->kind) {
    case IL_ACT_IDENTITY: *tp = 1.0; *tn = 1.0; return 1;
    case IL_ACT_RELU: *tp = 1.0; *tn = 0.0; return 1;
    case IL_ACT_LEAKY_RELU:
    case IL_ACT_PRELU: *tp = 1.0; *tn = a->p1; return 1;
    case IL_ACT_ABS: *tp = 1.0; *tn = -1.0; return 1;
    default: return 0;
    }
}

/* Exact multipliers of a segment applied to a value symmetric about 0 (§3.3): the composite is
 * r * psi(y), psi positively homogeneous with slopes (sp, sn), r >= 0 independent of y. Returns 0
 * with *why if the segment has no exact rule. */
static int exact_multipliers(const segment *seg, ld *cmul, const char **why)
{
    if (!seg->ok) {
        *why = seg->why;
        return 0;
    }
    double sp = 1.0, sn = 1.0;
    ld r[FK + 1];
    for (int a = 0; a <= FK; a++)
        r[a] = 1.0L;
    for (int k = 0; k < seg->n; k++) {
        const step *s = &seg->st[k];
        if (s->kind == STEP_ACT) {
            double tp, tn;
            if (!act_slopes(&s->act, &tp, &tn)) {
                *why = "the activation is not positively homogeneous (exact only for identity, relu, leaky_relu, "
                       "prelu, abs)";
                return 0;
            }
            double np = (sp >= 0.0 ? tp : tn) * sp, nn = (sn > 0.0 ? tn : tp) * sn;
            sp = np;
            sn = nn;
        } else {
            /* r *= m s, m in {0, 1} with P(m = 1) = keep (keep = 1 for a fixed scale):
             * E[(m s)^{2a}] = keep s^{2a} for a >= 1 */
            ld keep = s->kind == STEP_MASK ? (ld)(1.0 - s->p) : 1.0L, f = (ld)s->s * (ld)s->s;
            for (int a = 1; a <= FK; a++)
                r[a] *= keep * powl(f, (ld)a);
        }
    }
    for (int a = 0; a <= FK; a++) {
        ld psp = powl((ld)sp, 2.0L * a), psn = powl((ld)sn, 2.0L * a);
        cmul[a] = a == 0 ? 1.0L : r[a] * 0.5L * (psp + psn);
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------------
 * The mean-field (leading order in 1/n) path (§4): expectations of the segment's output powers over
 * a Gaussian, uniform or two-point base law. */

typedef struct {
    const segment *seg;
    double mu, sd;     /* base y = mu + sd * z */
    int power;         /* 2 or 4 */
    int weight;        /* 0: phi(z); 1: phi(z) (z^2 - 1) (derivative in the variance); 2: uniform density */
} quad_ctx;

/* E over the masks of F(y)^power. */
static double seg_power(const segment *seg, double y, int power)
{
    double total = 0.0;
    unsigned combos = 1u << seg->masks;
    for (unsigned c = 0; c < combos; c++) {
        double v = y, prob = 1.0;
        int m = 0;
        for (int k = 0; k < seg->n; k++) {
            const step *s = &seg->st[k];
            if (s->kind == STEP_ACT) {
                v = il_act_eval(&s->act, v);
            } else if (s->kind == STEP_SCALE) {
                v *= s->s;
            } else {
                int keep = !((c >> m++) & 1u);
                prob *= keep ? 1.0 - s->p : s->p;
                v = keep ? v * s->s : 0.0;
            }
        }
        double v2 = v * v;
        total += prob * (power == 2 ? v2 : v2 * v2);
    }
    return total;
}

static double quad_integrand(double z, void *vctx)
{
    const quad_ctx *q = vctx;
    double f = seg_power(q->seg, q->mu + q->sd * z, q->power);
    if (q->weight == 2)
        return f;
    double phi = exp(-0.5 * z * z) * 0.3989422804014326779;
    return q->weight == 1 ? f * phi * (z * z - 1.0) : f * phi;
}

/* Kinks of an activation (points where it or its derivative jumps). */
static int act_kinks(const il_act *a, double *k)
{
    switch (a->kind) {
    case IL_ACT_RELU:
    case IL_ACT_LEAKY_RELU:
    case IL_ACT_PRELU:
    case IL_ACT_ABS:
    case IL_ACT_ELU:
    case IL_ACT_SELU: k[0] = 0.0; return 1;
    case IL_ACT_RELU6: k[0] = 0.0; k[1] = 6.0; return 2;
    case IL_ACT_HARDTANH: k[0] = a->p1; k[1] = a->p2; return 2;
    case IL_ACT_SOFTPLUS: k[0] = a->p2 / a->p1; return 1;
    default: return 0;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define QUAD_LIMIT 1000
#define QUAD_EPSREL 1e-11
#define QUAD_ACCEPT 1e-8 /* relative error estimate up to which a result GSL did not certify is kept */
#define Z_RANGE 12.0

/* The integral of quad_integrand over [lo, hi] (in z), with break points at the kinks of the
 * segment's activations mapped to z. epsabs: absolute target. */
static il_status integrate(quad_ctx *q, double lo, double hi, double epsabs, gsl_integration_workspace *w,
                           double *out)
{
    double pts[2 + 4]; /* the ends and at most 2 kinks x 2 scales */
    size_t np = 0;
    pts[np++] = lo;
    double pre = 1.0, pre_det = 1.0; /* scale of the base value before the first act: all kept / masks ignored */
    for (int k = 0; k < q->seg->n && q->sd > 0.0; k++) {
        const step *s = &q->seg->st[k];
        if (s->kind == STEP_SCALE) {
            pre *= s->s;
            pre_det *= s->s;
        } else if (s->kind == STEP_MASK) {
            pre *= s->s;
        } else {
            double kk[2];
            int nk = act_kinks(&s->act, kk);
            for (int j = 0; j < nk; j++) {
                double zs[2] = {(kk[j] / pre - q->mu) / q->sd, (kk[j] / pre_det - q->mu) / q->sd};
                for (int t = 0; t < 2; t++)
                    if (zs[t] > lo && zs[t] < hi)
                        pts[np++] = zs[t];
            }
            break; /* later activations see a transformed value: their kinks are left to the bisection */
        }
    }
    qsort(pts + 1, np - 1, sizeof *pts, cmp_double);
    size_t m = 1;
    for (size_t i = 1; i < np; i++)
        if (pts[i] > pts[m - 1])
            pts[m++] = pts[i];
    pts[m++] = hi;
    gsl_function F = {quad_integrand, q};
    double res = 0.0, err = 0.0;
    int st = gsl_integration_qagp(&F, pts, m, epsabs, QUAD_EPSREL, QUAD_LIMIT, w, &res, &err);
    if (st != GSL_SUCCESS && !(err <= QUAD_ACCEPT * fabs(res) || err <= epsabs * 10.0))
        return IL_EGSL;
    *out = res;
    return IL_OK;
}

/* g = E[F(y)^2], e4 = E[F(y)^4] and dg = dg/dK for y ~ N(mu, K). */
static il_status gauss_moments(const segment *seg, double mu, double K, gsl_integration_workspace *w, double *g,
                               double *e4, double *dg)
{
    if (!(K > 0.0)) {
        *g = seg_power(seg, mu, 2);
        *e4 = seg_power(seg, mu, 4);
        *dg = 0.0; /* multiplies Var(K) = 0 */
        return IL_OK;
    }
    quad_ctx q = {seg, mu, sqrt(K), 2, 0};
    IL_TRY(integrate(&q, -Z_RANGE, Z_RANGE, 1e-300, w, g));
    double a = fabs(*g) > 0 ? fabs(*g) : 1e-300; /* F = 0: every integral is 0 */
    q.power = 4;
    IL_TRY(integrate(&q, -Z_RANGE, Z_RANGE, 1e-14 * a * a, w, e4));
    q.power = 2;
    q.weight = 1;
    double d;
    IL_TRY(integrate(&q, -Z_RANGE, Z_RANGE, 1e-14 * a, w, &d));
    *dg = d / (2.0 * K);
    return IL_OK;
}

/* E[F(x)^2], E[F(x)^4] for one input coordinate x = sqrt(v) u with the input law. */
static il_status input_moments(const il_net *net, const segment *seg, double v, gsl_integration_workspace *w,
                               double *e2, double *e4)
{
    double sd = sqrt(v);
    if (net->input == IL_INPUT_RADEMACHER) {
        *e2 = 0.5 * (seg_power(seg, sd, 2) + seg_power(seg, -sd, 2));
        *e4 = 0.5 * (seg_power(seg, sd, 4) + seg_power(seg, -sd, 4));
        return IL_OK;
    }
    if (net->input == IL_INPUT_NORMAL)
        return gauss_moments(seg, 0.0, v, w, e2, e4, &(double){0.0});
    /* uniform on [-sqrt 3, sqrt 3] sd: density 1 / (2 sqrt 3) in u */
    quad_ctx q = {seg, 0.0, sd, 2, 2};
    double h = sqrt(3.0), a;
    IL_TRY(integrate(&q, -h, h, 1e-300, w, &a));
    *e2 = a / (2.0 * h);
    q.power = 4;
    IL_TRY(integrate(&q, -h, h, 1e-14 * fabs(a) + 1e-300, w, &a));
    *e4 = a / (2.0 * h);
    return IL_OK;
}

/* ------------------------------------------------------------------------------------------------
 * The driver. */

static void set_err(char *err, size_t errlen, const char *fmt, size_t layer, const char *why)
{
    if (err && errlen && !err[0])
        snprintf(err, errlen, fmt, layer, why);
}

/* Central moments have relative rounding errors of about LDBL_EPSILON (E[M]^2 / Var(M))^(k/2); the
 * kurtosis SE (k = 8) is given only while that is below this. */
#define KURT_SE_PRECISION 1e-6L

/* The row values from m[k] = E[M^k], k = 1..FK (§3.5). */
static void exact_row(const ld *m, il_fluct_theory_layer *o)
{
    for (int k = 0; k < 4; k++)
        o->m[k] = (double)m[k + 1];
    o->method = IL_FLUCT_EXACT;
    o->q = (double)m[1];
    if (!(m[1] > 0.0L))
        return; /* M = 0 always (e.g. zero weights and biases): no ratio */
    o->m2_ratio = (double)(m[2] / (m[1] * m[1]));
    /* central moments c[k] = E[(M - E M)^k] */
    ld c[FK + 1];
    for (int k = 0; k <= FK; k++) {
        ld s = 0.0L, p = 1.0L;
        for (int j = k; j >= 0; j--, p *= -m[1])
            s += binom(k, j) * (j ? m[j] : 1.0L) * p;
        c[k] = s;
    }
    ld var = c[2];
    /* the ratio estimate m2/m1^2 has influence function (M^2 - m2)/m1^2 - 2 m2 (M - m1)/m1^3 */
    ld g1 = -2.0L * m[2] / (m[1] * m[1] * m[1]), g2 = 1.0L / (m[1] * m[1]);
    ld v1 = g1 * g1 * var + 2.0L * g1 * g2 * (m[3] - m[1] * m[2]) + g2 * g2 * (m[4] - m[2] * m[2]);
    o->se1 = v1 >= 0.0L ? (double)sqrtl(v1) : NAN;
    if (!(var > 0.0L))
        return;
    ld kurt = c[4] / (var * var);
    o->kurt = (double)kurt;
    /* the kurtosis estimate has influence function (u^4 - 2 kurt c2 u^2 - 4 c3 u + c4) / c2^2,
     * u = M - E M; its variance needs central moments up to 8 */
    ld a = -2.0L * kurt * var, b = -4.0L * c[3], d = c[4];
    ld vk = c[8] + a * a * c[4] + b * b * c[2] + d * d + 2.0L * a * c[6] + 2.0L * b * c[5] + 2.0L * d * c[4] +
            2.0L * a * b * c[3] + 2.0L * a * d * c[2];
    ld cond = powl(m[1] * m[1] / var, 4.0L) * LDBL_EPSILON;
    o->kurt_se1 = vk >= 0.0L && cond < KURT_SE_PRECISION ? (double)(sqrtl(vk) / (var * var)) : NAN;
}

il_status il_fluct_theory(const il_net *net, il_fluct_theory_layer *out, char *err, size_t errlen)
{
    char cerr[256];
    if (err && errlen)
        err[0] = '\0';
    if (il_net_check(net, 2, cerr, sizeof cerr) != IL_OK) { /* batch 2: the theory is for any batch */
        if (err && errlen)
            snprintf(err, errlen, "%s", cerr);
        return IL_EINVAL;
    }
    const size_t L = il_net_layers(net);
    for (size_t l = 0; l < L; l++) {
        il_fluct_theory_layer *o = &out[l];
        o->layer = l + 1;
        o->width = 0;
        o->method = IL_FLUCT_NONE;
        o->q = o->m2_ratio = o->kurt = o->se1 = o->kurt_se1 = o->m2_ratio_mf = NAN;
        for (int k = 0; k < 4; k++)
            o->m[k] = NAN;
    }
    engine *e = malloc(sizeof *e);
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(QUAD_LIMIT);
    if (!e || !w) {
        free(e);
        if (w)
            gsl_integration_workspace_free(w);
        return IL_ENOMEM;
    }
    engine_init(e);
    il_status rc = IL_OK;
    ld S[NP_MAX];
    int exact_ok = 1, mf_ok = 1;
    /* mean-field: E[p_2], Var(p_2) and E[p_4] of the current value */
    double mfP = 0.0, mfVP = 0.0, mfP4 = 0.0;
    size_t i = 0, width = net->n_in, layer = 0;

    /* the input and the ops before the first linear op */
    segment seg;
    read_segment(net, &i, &seg);
    {
        ld cmul[FK + 1];
        const char *why = NULL;
        if (exact_multipliers(&seg, cmul, &why)) {
            input_state(e, net, cmul, S);
        } else {
            exact_ok = 0;
            set_err(err, errlen, "no exact theory from layer %zu on: %s", 1, why);
        }
        if (!seg.ok || seg.masks > IL_FLUCT_MAX_MASKS) {
            mf_ok = 0;
        } else {
            double last_v = NAN, e2 = 0.0, e4 = 0.0;
            ld P = 0.0L, VP = 0.0L, P4 = 0.0L;
            for (size_t k = 0; k < net->n_in && rc == IL_OK; k++) {
                double v = net->input_var ? net->input_var[k] : 1.0;
                if (v != last_v) {
                    if (seg.n == 0) {
                        double mu4 = net->input == IL_INPUT_NORMAL ? 3.0 : net->input == IL_INPUT_UNIFORM ? 1.8 : 1.0;
                        e2 = v;
                        e4 = mu4 * v * v;
                    } else {
                        rc = input_moments(net, &seg, v, w, &e2, &e4);
                    }
                    last_v = v;
                }
                P += e2;
                VP += (ld)e4 - (ld)e2 * e2;
                P4 += e4;
            }
            mfP = (double)P;
            mfVP = (double)VP;
            mfP4 = (double)P4;
        }
    }

    while (rc == IL_OK && i < net->n_ops) {
        const il_op *op = &net->ops[i++]; /* a linear op */
        size_t n = op->width, fan = width;
        il_fluct_theory_layer *o = &out[layer++];
        o->width = n;
        law wl = weight_law(&net->winit, n, fan);
        law bl = {LAW_ZERO, 0.0, 0.0};
        if (op->bias)
            bl = bias_law(&net->binit, fan);
        double dc = op->dc_p, keep_w = 1.0 - dc;
        read_segment(net, &i, &seg);

        /* exact */
        if (exact_ok) {
            const char *why = NULL;
            if (wl.kind == LAW_OTHER)
                why = "orthogonal weights: the rows of W are not independent";
            else if (wl.mean != 0.0)
                why = "the weights' law has a nonzero mean";
            else if (bl.kind == LAW_OTHER || bl.mean != 0.0)
                why = "the biases' law is not symmetric about 0";
            if (why) {
                exact_ok = 0;
                set_err(err, errlen, "no exact theory from layer %zu on: %s", layer, why);
            }
        }
        if (exact_ok) {
            layer_law t;
            memset(&t, 0, sizeof t);
            t.n = (ld)n;
            ld mw[FK + 1], mb[FK + 1];
            law_moments(&wl, mw);
            if (dc > 0.0) /* DropConnect: W m, m in {0, 1}, or W (1 - p) in eval mode */
                for (int j = 1; j <= FK; j++)
                    mw[j] *= net->train ? (ld)keep_w : powl((ld)keep_w, 2.0L * j);
            law_moments(&bl, mb);
            cumulants(mw, t.kw);
            cumulants(mb, t.kb);
            for (int a = 0; a <= FK; a++)
                t.cmul[a] = 1.0L;
            ld Sy[NP_MAX], m[FK + 1];
            transition(e, &t, S, Sy);
            for (int k = 1; k <= FK; k++)
                m[k] = Sy[e->ones[k]] / powl((ld)n, (ld)k);
            exact_row(m, o);
            const char *why = NULL;
            if (exact_multipliers(&seg, t.cmul, &why)) {
                ld Sh[NP_MAX];
                transition(e, &t, S, Sh);
                memcpy(S, Sh, sizeof S);
            } else {
                exact_ok = 0;
                set_err(err, errlen, "no exact theory after layer %zu: %s", layer, why);
            }
        }

        /* mean-field, leading order in 1/n (§4) */
        if (mf_ok && (wl.kind == LAW_OTHER || wl.mean != 0.0))
            mf_ok = 0; /* orthogonal rows are dependent; a weight mean adds (sum h)^2 terms */
        if (mf_ok) {
            double s2 = wl.var * (dc > 0.0 ? (net->train ? keep_w : keep_w * keep_w) : 1.0);
            double mub = bl.mean, sb2 = bl.var;
            /* the fourth cumulants of the weights (with DropConnect's masks) and of the biases */
            ld mw[FK + 1], mb[FK + 1], kw[FK + 1], kb[FK + 1];
            law_moments(&wl, mw);
            if (dc > 0.0)
                for (int j = 1; j <= FK; j++)
                    mw[j] *= net->train ? (ld)keep_w : powl((ld)keep_w, 2.0L * j);
            law_moments(&bl, mb);
            cumulants(mw, kw);
            cumulants(mb, kb);
            double Kbar = s2 * mfP + sb2, V = s2 * s2 * mfVP, nd = (double)n;
            double EM = Kbar + mub * mub;
            /* Var(y^2 | h) = 2 K^2 + 4 mu_b^2 K + kappa_4(W) p_4(h) + kappa_4(b) */
            double VarM =
                (2.0 * (Kbar * Kbar + V) + 4.0 * mub * mub * Kbar + (double)kw[2] * mfP4 + (double)kb[2]) / nd + V;
            o->m2_ratio_mf = EM > 0.0 ? 1.0 + VarM / (EM * EM) : NAN;
            if (o->method != IL_FLUCT_EXACT) {
                o->method = IL_FLUCT_MEANFIELD;
                o->q = EM;
                o->m2_ratio = o->m2_ratio_mf;
            }
            double g = NAN, e4 = NAN, dg = NAN;
            if (!seg.ok || seg.masks > IL_FLUCT_MAX_MASKS) {
                mf_ok = 0;
            } else if (!isfinite(Kbar) || !isfinite(V) ||
                       gauss_moments(&seg, mub, Kbar, w, &g, &e4, &dg) != IL_OK) {
                /* overflow, or an integral GSL cannot certify: no value from the next layer on */
                mf_ok = 0;
                set_err(err, errlen, "the mean-field integrals failed after layer %zu%s", layer, "");
            } else {
                mfP = nd * g;
                mfVP = nd * (e4 - g * g) + nd * nd * dg * dg * V;
                mfP4 = nd * e4;
            }
        }
        if (!isfinite(o->m2_ratio)) /* overflowed or undefined (M = 0): not a testable value */
            o->method = IL_FLUCT_NONE;
        if (o->method == IL_FLUCT_NONE && err && errlen && !err[0])
            set_err(err, errlen, "no theory from layer %zu on: %s", layer,
                    wl.kind == LAW_OTHER ? "orthogonal weights: the rows of W are not independent"
                    : wl.mean != 0.0     ? "the weights' law has a nonzero mean"
                    : seg.why            ? seg.why
                                         : "unsupported op");
        width = n;
    }
    free(e);
    gsl_integration_workspace_free(w);
    if (rc != IL_OK && err && errlen)
        snprintf(err, errlen, "a quadrature over the input law failed");
    return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Estimates (§5). The per-draw vector t = (M, M^2, M^3, M^4 averaged over the batch, pair product). */

enum { T1, T2, T3, T4, T11 };
enum { ST_RATIO, ST_KURT, ST_VAR, ST_BETWEEN, ST_WITHIN, ST_RATIO_BETWEEN };

/* Value and gradient (g may be NULL) of a statistic of the mean vector T. */
static double stat_eval(int which, const double *T, double *g)
{
    double a = T[T1], b = T[T2], c = T[T3], d = T[T4], e = T[T11];
    double gg[IL_FLUCT_NSTAT] = {0};
    double v = NAN;
    switch (which) {
    case ST_RATIO:
        v = b / (a * a);
        gg[T1] = -2.0 * b / (a * a * a);
        gg[T2] = 1.0 / (a * a);
        break;
    case ST_KURT: {
        double var = b - a * a;
        double c4 = d - 4.0 * c * a + 6.0 * b * a * a - 3.0 * a * a * a * a;
        v = c4 / (var * var);
        double dc4[4] = {-4.0 * c + 12.0 * b * a - 12.0 * a * a * a, 6.0 * a * a, -4.0 * a, 1.0};
        double dv[4] = {-2.0 * a, 1.0, 0.0, 0.0};
        for (int k = 0; k < 4; k++)
            gg[k] = dc4[k] / (var * var) - 2.0 * c4 * dv[k] / (var * var * var);
        break;
    }
    case ST_VAR:
        v = b - a * a;
        gg[T1] = -2.0 * a;
        gg[T2] = 1.0;
        break;
    case ST_BETWEEN:
        v = e - a * a;
        gg[T1] = -2.0 * a;
        gg[T11] = 1.0;
        break;
    case ST_WITHIN:
        v = b - e;
        gg[T2] = 1.0;
        gg[T11] = -1.0;
        break;
    case ST_RATIO_BETWEEN:
        v = e / (a * a);
        gg[T1] = -2.0 * e / (a * a * a);
        gg[T11] = 1.0 / (a * a);
        break;
    }
    if (g)
        memcpy(g, gg, sizeof gg);
    return v;
}

typedef struct {
    const il_fluct_acc *f;
    size_t D;
    double cov[IL_FLUCT_NSTAT * IL_FLUCT_NSTAT]; /* sample covariance of t */
} est_ctx;

/* The delta-method SE of a statistic: sqrt(g' Cov g / D), over the components it uses. */
static double se_delta(const est_ctx *c, int which)
{
    if (c->D < 2)
        return NAN;
    double g[IL_FLUCT_NSTAT], s = 0.0;
    stat_eval(which, c->f->mean, g);
    for (int i = 0; i < IL_FLUCT_NSTAT; i++)
        for (int j = 0; j < IL_FLUCT_NSTAT; j++)
            if (g[i] != 0.0 && g[j] != 0.0)
                s += g[i] * g[j] * c->cov[i * IL_FLUCT_NSTAT + j];
    return s >= 0.0 ? sqrt(s / (double)c->D) : NAN;
}

/* The delete-one-group jackknife SE over the complete batches, rescaled from G m draws to D. */
static double se_jack(const est_ctx *c, int which)
{
    const il_fluct_acc *f = c->f;
    size_t G = f->nbatch;
    if (G < 2)
        return NAN;
    double tbar[IL_FLUCT_NSTAT] = {0}, th[IL_FLUCT_MAX_BATCHES], mean = 0.0;
    for (size_t g = 0; g < G; g++)
        for (int k = 0; k < IL_FLUCT_NSTAT; k++)
            tbar[k] += f->batch[g * IL_FLUCT_NSTAT + k] / (double)G;
    for (size_t g = 0; g < G; g++) {
        double t[IL_FLUCT_NSTAT];
        for (int k = 0; k < IL_FLUCT_NSTAT; k++)
            t[k] = ((double)G * tbar[k] - f->batch[g * IL_FLUCT_NSTAT + k]) / (double)(G - 1);
        th[g] = stat_eval(which, t, NULL);
        mean += th[g] / (double)G;
    }
    double s = 0.0;
    for (size_t g = 0; g < G; g++)
        s += (th[g] - mean) * (th[g] - mean);
    double used = (double)G * (double)f->bsize;
    return sqrt(s * (double)(G - 1) / (double)G * used / (double)c->D);
}

il_status il_fluct_estimate(const il_layer_acc *a, il_fluct_est *e)
{
    const il_fluct_acc *f = &a->fl;
    if (!il_layer_acc_fluct_valid(a) || f->count == 0)
        return IL_EINVAL;
    est_ctx c = {f, f->count, {0}};
    const int S = IL_FLUCT_NSTAT;
    for (int i = 0; i < S; i++)
        for (int j = 0; j < S; j++) {
            int lo = i < j ? i : j, hi = i < j ? j : i;
            c.cov[i * S + j] = c.D > 1 ? f->cm[lo * S + hi] / (double)(c.D - 1) : NAN;
        }
    const double *T = f->mean;
    e->draws = c.D;
    e->batch = a->batch;
    e->groups = f->nbatch;
    e->q = T[T1];
    e->q_se = c.D > 1 ? sqrt(c.cov[0] / (double)c.D) : NAN;
    e->m2_ratio = stat_eval(ST_RATIO, T, NULL);
    e->se_delta = se_delta(&c, ST_RATIO);
    e->se_batch = se_jack(&c, ST_RATIO);
    e->kurt = stat_eval(ST_KURT, T, NULL);
    e->kurt_se_delta = se_delta(&c, ST_KURT);
    e->kurt_se_batch = se_jack(&c, ST_KURT);
    e->var = stat_eval(ST_VAR, T, NULL);
    e->var_se = se_delta(&c, ST_VAR);
    if (a->batch >= 2) {
        e->var_between = stat_eval(ST_BETWEEN, T, NULL);
        e->var_between_se = se_delta(&c, ST_BETWEEN);
        e->var_within = stat_eval(ST_WITHIN, T, NULL);
        e->var_within_se = se_delta(&c, ST_WITHIN);
        e->between_frac = e->var_between / e->var;
        e->m2_ratio_between = stat_eval(ST_RATIO_BETWEEN, T, NULL);
        e->m2_ratio_between_se = se_delta(&c, ST_RATIO_BETWEEN);
    } else {
        e->var_between = e->var_between_se = e->var_within = e->var_within_se = NAN;
        e->between_frac = e->m2_ratio_between = e->m2_ratio_between_se = NAN;
    }
    return IL_OK;
}

/* ------------------------------------------------------------------------------------------------
 * Verdicts (§6). */

static double nanmax(double a, double b)
{
    return isnan(a) ? b : isnan(b) ? a : a > b ? a : b;
}

il_status il_fluct_compare(const il_mc_result *res, const il_fluct_theory_layer *th, const il_verdict_opts *opts,
                           il_fluct_row *rows, il_fluct_summary *sum)
{
    const size_t L = res->layers;
    if (res->draws_done < 2 || L == 0)
        return IL_EINVAL;
    il_verdict_opts def;
    if (!opts) {
        il_verdict_opts_default(&def);
        def.rel_tol = IL_FLUCT_REL_TOL;
        opts = &def;
    }
    if (il_verdict_opts_check(opts) != IL_OK)
        return IL_EINVAL;
    memset(sum, 0, sizeof *sum);
    double *buf = malloc(8 * L * sizeof *buf);
    size_t *idx = malloc(2 * L * sizeof *idx);
    il_verdict_item *items = calloc(L, sizeof *items);
    if (!buf || !idx || !items) {
        free(buf);
        free(idx);
        free(items);
        return IL_ENOMEM;
    }
    double *est = buf, *se = buf + L, *val = buf + 2 * L, *scale = buf + 3 * L;
    double *kest = buf + 4 * L, *kse = buf + 5 * L, *kval = buf + 6 * L, *kscale = buf + 7 * L;
    size_t *kidx = idx + L, m = 0, mk = 0;
    il_status rc = IL_OK;
    for (size_t l = 0; l < L && rc == IL_OK; l++) {
        il_fluct_row *r = &rows[l];
        memset(r, 0, sizeof *r);
        r->layer = l + 1;
        r->width = res->pre[l].width;
        r->th = th[l];
        if ((rc = il_fluct_estimate(&res->pre[l], &r->est)) != IL_OK)
            break;
        const il_fluct_est *e = &r->est;
        sum->groups = e->groups;
        r->se_floor = th[l].method == IL_FLUCT_EXACT
                          ? th[l].se1 / sqrt((double)e->draws * (double)e->batch)
                          : NAN;
        r->se = nanmax(nanmax(e->se_delta, e->se_batch), r->se_floor);
        r->se_kind = isnan(r->se)             ? "none"
                     : r->se == e->se_delta ? "delta"
                     : r->se == e->se_batch ? "batch"
                                            : "theory";
        r->draws_needed = NAN;
        r->tested = th[l].method != IL_FLUCT_NONE && isfinite(th[l].m2_ratio) && isfinite(e->m2_ratio) &&
                    isfinite(r->se);
        if (r->tested) {
            est[m] = e->m2_ratio;
            se[m] = r->se;
            val[m] = th[l].m2_ratio;
            scale[m] = th[l].m2_ratio - 1.0;
            idx[m++] = l;
        }
        r->kurt_se_floor = th[l].method == IL_FLUCT_EXACT
                               ? th[l].kurt_se1 / sqrt((double)e->draws * (double)e->batch)
                               : NAN;
        r->kurt_se = nanmax(nanmax(e->kurt_se_delta, e->kurt_se_batch), r->kurt_se_floor);
        r->kurt_tested = th[l].method == IL_FLUCT_EXACT && isfinite(th[l].kurt) && isfinite(e->kurt) &&
                         isfinite(r->kurt_se);
        if (r->kurt_tested) {
            kest[mk] = e->kurt;
            kse[mk] = r->kurt_se;
            kval[mk] = th[l].kurt;
            kscale[mk] = th[l].kurt - 3.0;
            kidx[mk++] = l;
        }
    }
    /* every test has G - 1 degrees of freedom (G = D while D < 64) */
    size_t G = sum->groups >= 2 ? sum->groups : res->draws_done;
    if (rc == IL_OK && m > 0) {
        rc = il_verdict_family(est, se, val, scale, m, G, opts, items, &sum->ratio);
        for (size_t k = 0; k < m && rc == IL_OK; k++) {
            il_fluct_row *r = &rows[idx[k]];
            r->v = items[k];
            if (r->v.verdict == IL_VERDICT_INCONCLUSIVE && r->v.se_needed > 0.0)
                r->draws_needed = ceil((double)r->est.draws * (r->se / r->v.se_needed) * (r->se / r->v.se_needed));
            else if (r->v.verdict == IL_VERDICT_INCONCLUSIVE)
                r->draws_needed = r->v.n_needed;
        }
    }
    if (rc == IL_OK && mk > 0) {
        rc = il_verdict_family(kest, kse, kval, kscale, mk, G, opts, items, &sum->kurt);
        for (size_t k = 0; k < mk && rc == IL_OK; k++)
            rows[kidx[k]].vk = items[k];
    }
    sum->tested = m;
    sum->kurt_tested = mk;
    free(buf);
    free(idx);
    free(items);
    return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Writers. */

static void put_num(FILE *f, double v)
{
    if (isnan(v))
        fputs("NaN", f);
    else if (isinf(v))
        fputs(v > 0 ? "Inf" : "-Inf", f);
    else
        fprintf(f, "%.17g", v);
}

/* The columns, in order: name and value of row r. */
typedef struct {
    const char *name;
    int kind; /* 0 number, 1 string, 2 size */
} column;

static const column COLS[] = {
    {"layer", 2}, {"width", 2}, {"draws", 2}, {"batch", 2}, {"groups", 2}, {"method", 1},
    {"q", 0}, {"q_se", 0}, {"q_theory", 0},
    {"m2_ratio", 0}, {"m2_ratio_se", 0}, {"m2_ratio_theory", 0}, {"z", 0}, {"p", 0}, {"draws_needed", 0},
    {"verdict", 1}, {"se_kind", 1}, {"m2_ratio_se_delta", 0}, {"m2_ratio_se_batch", 0},
    {"m2_ratio_se_theory", 0}, {"m2_ratio_mf", 0},
    {"kurt", 0}, {"kurt_se", 0}, {"kurt_theory", 0}, {"z_kurt", 0}, {"p_kurt", 0}, {"verdict_kurt", 1},
    {"kurt_se_delta", 0}, {"kurt_se_batch", 0}, {"kurt_se_theory", 0},
    {"var", 0}, {"var_se", 0}, {"var_between", 0}, {"var_between_se", 0}, {"var_within", 0},
    {"var_within_se", 0}, {"between_frac", 0}, {"m2_ratio_between", 0}, {"m2_ratio_between_se", 0},
};
#define NCOLS (sizeof COLS / sizeof COLS[0])

static double col_num(const il_fluct_row *r, size_t c)
{
    const il_fluct_est *e = &r->est;
    switch (c) {
    case 0: return (double)r->layer;
    case 1: return (double)r->width;
    case 2: return (double)e->draws;
    case 3: return (double)e->batch;
    case 4: return (double)e->groups;
    case 6: return e->q;
    case 7: return e->q_se;
    case 8: return r->th.q;
    case 9: return e->m2_ratio;
    case 10: return r->se;
    case 11: return r->th.m2_ratio;
    case 12: return r->tested ? r->v.z : NAN;
    case 13: return r->tested ? r->v.p_adj : NAN;
    case 14: return r->draws_needed;
    case 17: return e->se_delta;
    case 18: return e->se_batch;
    case 19: return r->se_floor;
    case 20: return r->th.m2_ratio_mf;
    case 21: return e->kurt;
    case 22: return r->kurt_se;
    case 23: return r->th.kurt;
    case 24: return r->kurt_tested ? r->vk.z : NAN;
    case 25: return r->kurt_tested ? r->vk.p_adj : NAN;
    case 27: return e->kurt_se_delta;
    case 28: return e->kurt_se_batch;
    case 29: return r->kurt_se_floor;
    case 30: return e->var;
    case 31: return e->var_se;
    case 32: return e->var_between;
    case 33: return e->var_between_se;
    case 34: return e->var_within;
    case 35: return e->var_within_se;
    case 36: return e->between_frac;
    case 37: return e->m2_ratio_between;
    case 38: return e->m2_ratio_between_se;
    default: return NAN;
    }
}

static const char *col_str(const il_fluct_row *r, size_t c)
{
    switch (c) {
    case 5: return il_fluct_method_name(r->th.method);
    case 15: return r->tested ? il_verdict_name(r->v.verdict) : "untested";
    case 16: return r->se_kind ? r->se_kind : "none";
    case 26: return r->kurt_tested ? il_verdict_name(r->vk.verdict) : "untested";
    default: return "";
    }
}

static const char *const NOTES =
    "# M = |y_l|^2 / n_l for ONE input (y_l the l-th linear output); m2_ratio = E[M^2] / E[M]^2, kurt = "
    "E[(M - E M)^4] / Var(M)^2, estimated from the per-network averages over the batch of M^k (unbiased for "
    "one input at any batch); var_between = Var(E[M | network]) and var_within = E[Var(M | network)] need "
    "batch >= 2\n"
    "# method: exact = the exact moments at these finite widths; mean-field = m2_ratio to leading order in 1/n "
    "(Gaussian pre-activations given the previous layer); none = no theory\n"
    "# se: m2_ratio_se = max(m2_ratio_se_delta (delta method), m2_ratio_se_batch (jackknife over groups of "
    "draws), m2_ratio_se_theory (the exact theory's SE / sqrt(draws batch): the SE if the theory is right; "
    "a lower bound for batch > 1)); se_kind says which; kurt_se likewise\n";

il_status il_fluct_write_tsv(FILE *f, const char *command, const il_param *params, size_t n_params,
                             const il_fluct_row *rows, size_t layers, const il_fluct_summary *sum)
{
    il_write_header(f, command, params, n_params);
    fputs(NOTES, f);
    fprintf(f, "# verdicts: m2_ratio of %zu layers in one Holm family, kurt of %zu in another; p is Holm-adjusted; "
               "Student t with %zu degrees of freedom (groups - 1); consistent needs the interval within rel_tol "
               "of the theory's excess (m2_ratio - 1, kurt - 3)\n",
            sum->tested, sum->kurt_tested, sum->groups > 1 ? sum->groups - 1 : 0);
    for (size_t c = 0; c < NCOLS; c++)
        fprintf(f, "%s%s", COLS[c].name, c + 1 < NCOLS ? "\t" : "\n");
    for (size_t l = 0; l < layers; l++) {
        for (size_t c = 0; c < NCOLS; c++) {
            if (c)
                fputc('\t', f);
            if (COLS[c].kind == 1)
                fputs(col_str(&rows[l], c), f);
            else if (COLS[c].kind == 2)
                fprintf(f, "%.0f", col_num(&rows[l], c));
            else
                put_num(f, col_num(&rows[l], c));
        }
        fputc('\n', f);
    }
    fprintf(f, "# overall: %s (%zu refuted, %zu consistent, %zu inconclusive of %zu layers tested)\n",
            sum->tested ? il_verdict_name(sum->ratio.overall) : "untested", sum->ratio.refuted, sum->ratio.consistent,
            sum->ratio.inconclusive, sum->tested);
    fprintf(f, "# kurtosis: %s (%zu refuted, %zu consistent, %zu inconclusive of %zu layers tested)\n",
            sum->kurt_tested ? il_verdict_name(sum->kurt.overall) : "untested", sum->kurt.refuted,
            sum->kurt.consistent, sum->kurt.inconclusive, sum->kurt_tested);
    return ferror(f) ? IL_EIO : IL_OK;
}

il_status il_fluct_write_json(FILE *f, const char *command, const il_param *params, size_t n_params,
                              const il_fluct_row *rows, size_t layers, const il_fluct_summary *sum)
{
    json_t *root = json_object(), *arr = json_array(), *ps = il_params_to_json(params, n_params);
    json_t *ov = json_object(), *ok = json_object();
    int bad = !root || !arr || !ps || !ov || !ok;
    if (bad) {
        json_decref(root);
        json_decref(arr);
        json_decref(ps);
        json_decref(ov);
        json_decref(ok);
        return IL_ENOMEM;
    }
    bad |= json_object_set_new(root, "tool", json_string("initlab"));
    bad |= json_object_set_new(root, "version", json_string(IL_VERSION));
    bad |= json_object_set_new(root, "command", json_string(command));
    bad |= json_object_set_new(root, "params", ps);
    bad |= json_object_set_new(root, "layers", arr);
    for (size_t l = 0; l < layers && !bad; l++) {
        json_t *o = json_object();
        bad |= !o || json_array_append_new(arr, o);
        for (size_t c = 0; c < NCOLS && !bad; c++) {
            json_t *v = COLS[c].kind == 1   ? json_string(col_str(&rows[l], c))
                        : COLS[c].kind == 2 ? json_integer((json_int_t)col_num(&rows[l], c))
                                            : il_json_number(col_num(&rows[l], c));
            bad |= json_object_set_new(o, COLS[c].name, v);
        }
    }
    bad |= json_object_set_new(root, "overall", ov);
    bad |= json_object_set_new(ov, "verdict", json_string(sum->tested ? il_verdict_name(sum->ratio.overall)
                                                                      : "untested"));
    bad |= json_object_set_new(ov, "tested", json_integer((json_int_t)sum->tested));
    bad |= json_object_set_new(ov, "refuted", json_integer((json_int_t)sum->ratio.refuted));
    bad |= json_object_set_new(ov, "consistent", json_integer((json_int_t)sum->ratio.consistent));
    bad |= json_object_set_new(ov, "inconclusive", json_integer((json_int_t)sum->ratio.inconclusive));
    bad |= json_object_set_new(ov, "df", json_integer((json_int_t)(sum->groups > 1 ? sum->groups - 1 : 0)));
    bad |= json_object_set_new(root, "kurtosis", ok);
    bad |= json_object_set_new(ok, "verdict", json_string(sum->kurt_tested ? il_verdict_name(sum->kurt.overall)
                                                                           : "untested"));
    bad |= json_object_set_new(ok, "tested", json_integer((json_int_t)sum->kurt_tested));
    bad |= json_object_set_new(ok, "refuted", json_integer((json_int_t)sum->kurt.refuted));
    if (!bad)
        bad = json_dumpf(root, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0 || fputc('\n', f) == EOF;
    json_decref(root);
    return bad ? IL_EIO : IL_OK;
}
