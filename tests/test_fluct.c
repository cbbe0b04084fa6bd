/* test_fluct.c: the fluctuation statistics (per-draw values, accumulators, estimates), the exact
 * theory of E[M^k] against independent closed forms, the theory against the Monte Carlo engine at
 * widths 5 to 100 and depths 1 to 20, wrong formulas refuted by the same test, the calibration of the
 * standard-error rule (and why the empirical SEs alone are not enough), the leading-order path, and
 * checkpoints of versions 1 and 2.
 *
 * Closed forms used below (docs/fluct.md §2): with Gaussian weights of variance sw2 / fan-in, no
 * biases, and input x,
 *   deep linear:  M_L = (|x|^2 / n0) prod_l sw2 chi2_{n_l} / n_l,  so E[M^k] = E[A0^k] prod_l sw2^k
 *                 prod_{j<k} (1 + 2j / n_l)  and  m2_ratio = R_in prod_l (1 + 2/n_l);
 *   relu:         |h_l|^2 = (sw2 / n_{l-1}) |h_{l-1}|^2 chi2_{K_l}, K_l ~ Binomial(n_l, 1/2), so
 *                 m2_ratio = R_in prod_{l<L} (1 + 5/n_l) (1 + 2/n_L);
 *   leaky relu (slope a): the hidden factor is 1 + (5 + 5 a^4 - 2 a^2) / (n (1 + a^2)^2);
 * R_in = E[|x|^4] / E[|x|^2]^2 = 1 + (kappa - 1) sum v^2 / (sum v)^2, kappa = E[u^4] = 3, 9/5, 1 for
 * normal, uniform, Rademacher inputs. Uniform weights with identity activation and no bias follow
 * the two-state recursion (P, Q) = (E|y|^4, E sum y^4) of §2.3. */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "checkpoint.h"
#include "fluct.h"
#include "theory.h"
#include "testutil.h"

/* The exact engine works in long double; closed forms below in long double too. Ratios are sums and
 * products of at most a few hundred positive terms: agreement to TOL_RATIO. The kurtosis is a
 * difference of raw moments that cancel to 1/n^2 of their size (n <= 100): TOL_KURT. */
#define TOL_RATIO tol_ratio()
#define TOL_KURT 1e-9
/* A per-draw statistic against its direct computation: sums of B N = 35 terms. */
#define TOL_DRAW (64 * DBL_EPSILON)
/* Streaming sums (Welford, batch means, jackknife) against two-pass sums over 1000 draws: the
 * co-moments are sums of products of deviations, which cancel; 1e-9 leaves room for that. */
#define TOL_STREAM 1e-9
/* A double-precision computation against the long-double engine. */
#define TOL_DOUBLE 1e-12
/* A binomial count is implausible when its tail probability is below this. */
#define BINOM_TAIL 1e-6

#define MAXL 24

typedef long double ld;

/* ---- helpers ---------------------------------------------------------------------------------- */

/* A plain stack: widths w[0..nw-1], activation act between linear ops, weights init (a torch.nn.init
 * spec: "kaiming_normal:relu" gives nonlinearity=relu), biases (torch's) or none, input law. */
static void build(il_net *net, const size_t *w, size_t nw, const char *act, const char *init, int bias,
                  il_input_kind input)
{
    il_net_shape s;
    char err[256], name[64];
    memset(&s, 0, sizeof s);
    s.widths = w;
    s.n_widths = nw;
    assert_int_equal(il_act_parse(act, &s.act), IL_OK);
    s.bias = bias;
    il_net_init(net);
    assert_int_equal(il_net_build(net, &s, err, sizeof err), IL_OK);
    snprintf(name, sizeof name, "%s", init);
    char *colon = strchr(name, ':');
    if (colon)
        *colon = '\0';
    il_init_kind kind;
    assert_int_equal(il_init_parse_kind(name, &kind), IL_OK);
    il_init_spec_default(kind, &net->winit);
    if (colon)
        snprintf(net->winit.nonlinearity, sizeof net->winit.nonlinearity, "%s", colon + 1);
    net->input = input;
}

static void const_widths(size_t *w, size_t n, size_t L)
{
    for (size_t l = 0; l <= L; l++)
        w[l] = n;
}

static void run(const il_net *net, size_t draws, size_t batch, uint64_t seed, int threads, il_mc_result *res)
{
    il_mc_cfg cfg;
    il_mc_cfg_default(&cfg);
    cfg.net = net;
    cfg.draws = draws;
    cfg.batch = batch;
    cfg.seed = seed;
    cfg.threads = threads;
    cfg.cov_limit = 0;
    assert_int_equal(il_mc_result_init(res, &cfg), IL_OK);
    assert_int_equal(il_mc_run(&cfg, res), IL_OK);
}

static void theory(const il_net *net, il_fluct_theory_layer *th)
{
    char err[256];
    assert_int_equal(il_fluct_theory(net, th, err, sizeof err), IL_OK);
}

/* R_in for unit-variance inputs of width n0. */
static ld r_in(il_input_kind k, size_t n0)
{
    ld kappa = k == IL_INPUT_NORMAL ? 3.0L : k == IL_INPUT_UNIFORM ? 1.8L : 1.0L;
    return 1.0L + (kappa - 1.0L) / (ld)n0;
}

/* The unit roundoff of long double as the arithmetic actually delivers it (not LDBL_EPSILON: valgrind
 * emulates the x87's 80-bit arithmetic with 64-bit doubles, and the sums above then round like doubles). */
static double measured_ld_eps(void)
{
    volatile ld one = 1.0L, e = 1.0L;
    while (one + e / 2.0L != one)
        e /= 2.0L;
    return (double)e;
}

/* 1e-13 with the x87's 64-bit significand; where long double is only double, 2^16 roundings of it
 * (1.5e-11): the deepest recursions (20 layers of moments of order up to 8, where the kurtosis terms
 * cancel) then differ from the closed forms by up to 9.3e-13, as measured under valgrind, and the
 * tolerance keeps a factor of 16 above that. */
static double tol_ratio(void)
{
    double t = 65536.0 * measured_ld_eps();
    return t > 1e-13 ? t : 1e-13;
}

static void assert_rel_ld(ld got, ld want, double tol, const char *what, size_t layer)
{
    if (!(fabsl(got - want) <= (ld)tol * fabsl(want)))
        fail_msg("%s at layer %zu: %.17Lg, want %.17Lg (rel tol %.1e)", what, layer, got, want, tol);
}

/* ---- per-draw statistics and accumulators ------------------------------------------------------ */

static void test_draw_by_hand(void **state)
{
    (void)state;
    enum { B = 7, N = 5 };
    double y[B * N], mvec[N], sec[N * N];
    il_rng r;
    il_rng_seed(&r, 3, 1);
    il_rng_fill_normal(&r, y, B * N, 0.2, 1.3);
    for (int full = 0; full < 2; full++) {
        il_layer_draw d = {.mvec = mvec, .sec = sec};
        il_layer_draw_compute(&d, y, B, N, full);
        double M[B], p[4] = {0}, pair = 0.0;
        for (int b = 0; b < B; b++) {
            M[b] = 0.0;
            for (int i = 0; i < N; i++)
                M[b] += y[b * N + i] * y[b * N + i] / N;
            for (int k = 0; k < 4; k++)
                p[k] += pow(M[b], k + 1) / B;
        }
        for (int a = 0; a < B; a++)
            for (int b = 0; b < B; b++)
                if (a != b)
                    pair += M[a] * M[b] / (B * (B - 1.0));
        for (int k = 0; k < 4; k++)
            assert_close_rel(d.mpow[k], p[k], TOL_DRAW);
        assert_close_rel(d.mpair, pair, TOL_DRAW);
        assert_close_rel(d.mpow[0], d.q, TOL_DRAW);
        il_layer_draw_compute(&d, y, 1, N, full);
        assert_true(isnan(d.mpair));
        assert_close_rel(d.mpow[1], d.mpow[0] * d.mpow[0], TOL_DRAW);
    }
}

/* Welford co-moments against two passes, the batch-means store against direct block means, and the
 * delete-one jackknife (D < 64: one draw per batch) against its textbook form. */
static void test_accumulator(void **state)
{
    (void)state;
    enum { D = 1000, N = 3, B = 2 };
    il_layer_acc a;
    assert_int_equal(il_layer_acc_init(&a, N, 0, B), IL_OK);
    static double t[D][IL_FLUCT_NSTAT];
    double y[B * N], mvec[N], sec[N];
    il_layer_draw d = {.mvec = mvec, .sec = sec};
    il_rng r;
    il_rng_seed(&r, 11, 2);
    for (int k = 0; k < D; k++) {
        il_rng_fill_normal(&r, y, B * N, 0.0, 1.0 + 0.001 * k);
        il_layer_draw_compute(&d, y, B, N, 0);
        il_layer_acc_push(&a, &d);
        double v[IL_FLUCT_NSTAT] = {d.mpow[0], d.mpow[1], d.mpow[2], d.mpow[3], d.mpair};
        memcpy(t[k], v, sizeof v);
        if (k + 1 == 40) {
            /* 40 draws: 40 batches of one; the jackknife equals the delete-one jackknife of R */
            il_fluct_est e;
            assert_int_equal(il_fluct_estimate(&a, &e), IL_OK);
            assert_int_equal(e.groups, 40);
            double s1 = 0, s2 = 0, th[40], mean = 0, ss = 0;
            for (int j = 0; j < 40; j++) {
                s1 += t[j][0];
                s2 += t[j][1];
            }
            for (int j = 0; j < 40; j++) {
                double m1 = (s1 - t[j][0]) / 39, m2 = (s2 - t[j][1]) / 39;
                th[j] = m2 / (m1 * m1);
                mean += th[j] / 40;
            }
            for (int j = 0; j < 40; j++)
                ss += (th[j] - mean) * (th[j] - mean);
            assert_close_rel(e.se_batch, sqrt(ss * 39.0 / 40.0), TOL_STREAM);
        }
    }
    assert_int_equal(a.fl.count, D);
    assert_true(il_layer_acc_fluct_valid(&a));
    /* 1000 draws: batches of 16 (doubled at 64, 128, 256, 512), 62 complete, 8 draws pending */
    assert_int_equal(a.fl.bsize, 16);
    assert_int_equal(a.fl.nbatch, 62);
    assert_int_equal(a.fl.cur_n, 8);
    for (int g = 0; g < 62; g += 7)
        for (int i = 0; i < IL_FLUCT_NSTAT; i++) {
            double m = 0;
            for (int k = 0; k < 16; k++)
                m += t[g * 16 + k][i] / 16;
            assert_close_rel(a.fl.batch[g * IL_FLUCT_NSTAT + i], m, TOL_STREAM);
        }
    double mean[IL_FLUCT_NSTAT] = {0};
    for (int k = 0; k < D; k++)
        for (int i = 0; i < IL_FLUCT_NSTAT; i++)
            mean[i] += t[k][i] / D;
    for (int i = 0; i < IL_FLUCT_NSTAT; i++) {
        assert_close_rel(a.fl.mean[i], mean[i], TOL_STREAM);
        for (int j = i; j < IL_FLUCT_NSTAT; j++) {
            double c = 0;
            for (int k = 0; k < D; k++)
                c += (t[k][i] - mean[i]) * (t[k][j] - mean[j]);
            assert_close_rel(a.fl.cm[i * IL_FLUCT_NSTAT + j], c, TOL_STREAM);
        }
    }
    /* the estimates from those sums: R, its delta-method SE, and the split */
    il_fluct_est e;
    assert_int_equal(il_fluct_estimate(&a, &e), IL_OK);
    double R = mean[1] / (mean[0] * mean[0]), g1 = -2 * mean[1] / pow(mean[0], 3), g2 = 1 / (mean[0] * mean[0]);
    double v11 = 0, v12 = 0, v22 = 0;
    for (int k = 0; k < D; k++) {
        v11 += (t[k][0] - mean[0]) * (t[k][0] - mean[0]) / (D - 1);
        v12 += (t[k][0] - mean[0]) * (t[k][1] - mean[1]) / (D - 1);
        v22 += (t[k][1] - mean[1]) * (t[k][1] - mean[1]) / (D - 1);
    }
    assert_close_rel(e.m2_ratio, R, TOL_STREAM);
    assert_close_rel(e.se_delta, sqrt((g1 * g1 * v11 + 2 * g1 * g2 * v12 + g2 * g2 * v22) / D), TOL_STREAM);
    assert_close_rel(e.var_between + e.var_within, e.var, TOL_STREAM);
    assert_close_rel(e.var_between, mean[4] - mean[0] * mean[0], TOL_STREAM);
    /* two estimates of one SE; with 62 groups the jackknife is within ~10 % (1/sqrt(2 x 61)) */
    assert_true(e.se_batch > 0.5 * e.se_delta && e.se_batch < 2.0 * e.se_delta);
    il_layer_acc_release(&a);
}

/* ---- the exact theory against closed forms (no simulation) ------------------------------------ */

/* E[(chi2_K)^k] for K ~ Binomial(n, 1/2), by direct summation. */
static ld chi2_binom_moment(size_t n, int k)
{
    ld s = 0.0L;
    for (size_t K = 0; K <= n; K++) {
        ld lp = lgammal((ld)n + 1) - lgammal((ld)K + 1) - lgammal((ld)(n - K) + 1) - (ld)n * logl(2.0L);
        ld m = 1.0L;
        for (int j = 0; j < k; j++)
            m *= (ld)K + 2.0L * j;
        s += expl(lp) * m;
    }
    return s;
}

static ld kurt_of(const ld *m) /* m[1..4] */
{
    ld var = m[2] - m[1] * m[1];
    return (m[4] - 4 * m[3] * m[1] + 6 * m[2] * m[1] * m[1] - 3 * m[1] * m[1] * m[1] * m[1]) / (var * var);
}

static void test_closed_forms_gaussian(void **state)
{
    (void)state;
    static const size_t ns[] = {5, 10, 20, 50, 100};
    static const il_input_kind inputs[] = {IL_INPUT_NORMAL, IL_INPUT_UNIFORM, IL_INPUT_RADEMACHER};
    const size_t L = 20;
    size_t w[MAXL];
    il_fluct_theory_layer th[MAXL];
    for (size_t a = 0; a < 5; a++)
        for (size_t in = 0; in < 3; in++) {
            il_net net;
            const_widths(w, ns[a], L);
            w[3] = 7; /* one odd width inside */
            /* relu */
            build(&net, w, L + 1, "relu", "kaiming_normal:relu", 0, inputs[in]);
            theory(&net, th);
            ld R = r_in(inputs[in], w[0]);
            for (size_t l = 1; l <= L; l++) {
                assert_int_equal(th[l - 1].method, IL_FLUCT_EXACT);
                assert_rel_ld(th[l - 1].m2_ratio, R * (1.0L + 2.0L / w[l]), TOL_RATIO, "relu m2_ratio", l);
                assert_rel_ld(th[l - 1].q, 2.0L, TOL_RATIO, "relu E[M] (He: 2 for unit inputs)", l);
                R *= 1.0L + 5.0L / w[l];
            }
            il_net_release(&net);
            /* deep linear */
            build(&net, w, L + 1, "identity", "kaiming_normal:linear", 0, inputs[in]);
            theory(&net, th);
            R = r_in(inputs[in], w[0]);
            for (size_t l = 1; l <= L; l++) {
                R *= 1.0L + 2.0L / w[l];
                assert_rel_ld(th[l - 1].m2_ratio, R, TOL_RATIO, "linear m2_ratio", l);
            }
            il_net_release(&net);
        }
    /* leaky relu, slope 0.3, Rademacher inputs */
    const_widths(w, 6, 8);
    il_net net;
    build(&net, w, 9, "leaky_relu:0.3", "kaiming_normal:linear", 0, IL_INPUT_RADEMACHER);
    theory(&net, th);
    ld a2 = 0.09L, R = 1.0L;
    for (size_t l = 1; l <= 8; l++) {
        assert_rel_ld(th[l - 1].m2_ratio, R * (1.0L + 2.0L / 6), TOL_RATIO, "leaky m2_ratio", l);
        R *= 1.0L + (5 + 5 * a2 * a2 - 2 * a2) / (6 * (1 + a2) * (1 + a2));
    }
    il_net_release(&net);
}

/* Every moment up to 4, hence the kurtosis: deep linear (products of chi-square moments) and relu
 * (binomial mixtures summed directly), Rademacher inputs (|x|^2 = n0 exactly). */
static void test_closed_forms_kurtosis(void **state)
{
    (void)state;
    static const size_t ns[] = {5, 10, 20, 50, 100};
    const size_t L = 20;
    size_t w[MAXL];
    il_fluct_theory_layer th[MAXL];
    for (size_t a = 0; a < 5; a++) {
        for (int relu = 0; relu < 2; relu++) {
            il_net net;
            const_widths(w, ns[a], L);
            build(&net, w, L + 1, relu ? "relu" : "identity", relu ? "kaiming_normal:relu" : "kaiming_normal:linear",
                  0, IL_INPUT_RADEMACHER);
            theory(&net, th);
            ld hidden[5] = {1, 1, 1, 1, 1}; /* prod over hidden layers of the k-th moment factor */
            ld fac[5];
            for (int k = 1; k <= 4; k++)
                fac[k] = relu ? chi2_binom_moment(ns[a], k) : 1.0L;
            for (size_t l = 1; l <= L; l++) {
                ld m[5];
                for (int k = 1; k <= 4; k++) {
                    ld last = 1.0L;
                    for (int j = 0; j < k; j++)
                        last *= 1.0L + 2.0L * j / ns[a];
                    m[k] = hidden[k] * last;
                }
                /* the scale constants cancel in both ratios */
                assert_rel_ld(th[l - 1].m2_ratio, m[2] / (m[1] * m[1]), TOL_RATIO, "m2_ratio", l);
                assert_rel_ld(th[l - 1].kurt, kurt_of(m), TOL_KURT, "kurtosis", l);
                for (int k = 1; k <= 4; k++) {
                    ld f = relu ? fac[k] / powl(fac[1], k) : 1.0L;
                    if (!relu)
                        for (int j = 0; j < k; j++)
                            f *= 1.0L + 2.0L * j / ns[a];
                    hidden[k] *= f;
                }
            }
            il_net_release(&net);
        }
    }
}

/* Uniform weights (PyTorch's default, kaiming_uniform) with identity activation and no bias: the
 * two-state recursion of §2.3, which carries the weights' fourth cumulant. */
static void test_closed_forms_uniform(void **state)
{
    (void)state;
    static const size_t ws[] = {5, 3, 9, 5, 100, 20, 7};
    const size_t nw = sizeof ws / sizeof ws[0];
    il_fluct_theory_layer th[MAXL];
    static const il_input_kind inputs[] = {IL_INPUT_NORMAL, IL_INPUT_RADEMACHER};
    for (int in = 0; in < 2; in++) {
        il_net net;
        build(&net, ws, nw, "identity", "torch", 0, inputs[in]);
        theory(&net, th);
        ld n0 = ws[0], P = inputs[in] == IL_INPUT_NORMAL ? n0 * n0 + 2 * n0 : n0 * n0,
           Q = inputs[in] == IL_INPUT_NORMAL ? 3 * n0 : n0, E2 = n0;
        const ld kw = 1.8L; /* E[W^4] / E[W^2]^2 for a uniform law */
        for (size_t l = 1; l < nw; l++) {
            ld n = ws[l], s2 = 1.0L / (3.0L * ws[l - 1]), s4 = s2 * s2;
            ld P1 = s4 * ((n * n + 2 * n) * P + n * (kw - 3) * Q), Q1 = n * s4 * (3 * P + (kw - 3) * Q);
            P = P1;
            Q = Q1;
            E2 = n * s2 * E2;
            assert_rel_ld(th[l - 1].m2_ratio, P / (E2 * E2), TOL_RATIO, "uniform m2_ratio", l);
            assert_rel_ld(th[l - 1].q, E2 / n, TOL_RATIO, "uniform E[M]", l);
        }
        il_net_release(&net);
    }
}

/* E[M] of the exact engine is the exact q of analysis/theory.h wherever both are exact. */
static void test_mean_matches_theory(void **state)
{
    (void)state;
    il_net net;
    char err[256];
    il_net_init(&net);
    assert_int_equal(il_net_parse_arch(&net, "input:6,linear:5,leaky_relu:0.3,dropout:0.2,dropconnect:0.25,"
                                             "linear:7,abs,linear:4,relu,dropout:0.5:classic,linear:3",
                                       IL_DROP_INVERTED, err, sizeof err),
                     IL_OK);
    static const double var[] = {0.5, 2.0, 1.0, 3.0, 0.25, 1.5};
    assert_int_equal(il_net_set_input_var(&net, var, 6), IL_OK);
    for (int mode = 0; mode < 2; mode++) {
        net.train = mode == 0;
        net.input = mode ? IL_INPUT_UNIFORM : IL_INPUT_NORMAL;
        il_fluct_theory_layer th[4];
        il_theory_layer tt[4];
        theory(&net, th);
        assert_int_equal(il_theory_run(&net, tt, NULL, err, sizeof err), IL_OK);
        for (size_t l = 0; l < 4; l++) {
            assert_int_equal(th[l].method, IL_FLUCT_EXACT);
            assert_int_equal(tt[l].pre.q_method, IL_THEORY_EXACT);
            assert_close_rel(th[l].q, tt[l].pre.q, TOL_DOUBLE);
        }
    }
    il_net_release(&net);
}

/* What is exact, what is mean-field, what has no theory. */
static void test_methods(void **state)
{
    (void)state;
    static const struct {
        const char *arch, *init;
        il_fluct_method want[3];
    } cases[] = {
        {"input:4,linear:4,tanh,linear:4,linear:4", "torch", {IL_FLUCT_EXACT, IL_FLUCT_MEANFIELD, IL_FLUCT_MEANFIELD}},
        {"input:4,linear:4,relu,linear:4,linear:4", "orthogonal", {IL_FLUCT_NONE, IL_FLUCT_NONE, IL_FLUCT_NONE}},
        {"input:4,linear:4,bn,relu,linear:4,linear:4", "torch", {IL_FLUCT_EXACT, IL_FLUCT_NONE, IL_FLUCT_NONE}},
        {"input:4,linear:4,res(linear:4,relu),linear:4", "torch", {IL_FLUCT_EXACT, IL_FLUCT_EXACT, IL_FLUCT_NONE}},
        {"input:4,linear:4,gelu,dropout:0.1,linear:4,relu,linear:4", "torch",
         {IL_FLUCT_EXACT, IL_FLUCT_MEANFIELD, IL_FLUCT_MEANFIELD}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        il_net net;
        char err[256];
        il_net_init(&net);
        assert_int_equal(il_net_parse_arch(&net, cases[c].arch, IL_DROP_INVERTED, err, sizeof err), IL_OK);
        il_init_kind k;
        assert_int_equal(il_init_parse_kind(cases[c].init, &k), IL_OK);
        il_init_spec_default(k, &net.winit);
        il_fluct_theory_layer th[3];
        assert_int_equal(il_fluct_theory(&net, th, err, sizeof err), IL_OK);
        for (size_t l = 0; l < 3; l++)
            if (th[l].method != cases[c].want[l])
                fail_msg("%s (%s) layer %zu: method %s, want %s", cases[c].arch, cases[c].init, l + 1,
                         il_fluct_method_name(th[l].method), il_fluct_method_name(cases[c].want[l]));
        assert_true(strlen(err) > 0); /* says why the first inexact layer is not exact */
        il_net_release(&net);
    }
    /* weights with a nonzero mean: no theory at all (as in analysis/theory.h) */
    {
        size_t w0[] = {3, 3, 3};
        il_net n0;
        build(&n0, w0, 3, "relu", "normal", 0, IL_INPUT_NORMAL);
        n0.winit.mean = 0.1;
        il_fluct_theory_layer t0[2];
        theory(&n0, t0);
        assert_int_equal(t0[0].method, IL_FLUCT_NONE);
        assert_int_equal(t0[1].method, IL_FLUCT_NONE);
        il_net_release(&n0);
    }
    /* a bias with a nonzero mean: mean-field from the first layer */
    size_t w[] = {3, 3, 3};
    il_net net;
    build(&net, w, 3, "relu", "torch", 1, IL_INPUT_NORMAL);
    il_init_spec_default(IL_INIT_CONSTANT, &net.binit);
    net.binit.value = 0.5;
    il_fluct_theory_layer th[2];
    theory(&net, th);
    assert_int_equal(th[0].method, IL_FLUCT_MEANFIELD);
    il_net_release(&net);
}

/* ---- the theory against the engine ------------------------------------------------------------ */

typedef struct {
    size_t n, L;
    const char *act, *init;
    int bias;
    il_input_kind input;
    size_t draws, batch;
    int threads;
    size_t decisive; /* layers 1..decisive must have SE <= SE_INFORMATIVE x (m2_ratio - 1) */
} grid_case;

/* In the decisive layers the test must be able to tell: the SE at most this fraction of the excess
 * (a formula off by half the excess is then refuted at 5 SE). */
#define SE_INFORMATIVE 0.1

static void check_case(const grid_case *c, uint64_t seed, il_fluct_row *rows, il_fluct_summary *sum)
{
    size_t w[MAXL];
    il_net net;
    const_widths(w, c->n, c->L);
    build(&net, w, c->L + 1, c->act, c->init, c->bias, c->input);
    il_fluct_theory_layer th[MAXL];
    theory(&net, th);
    il_mc_result res;
    run(&net, c->draws, c->batch, seed, c->threads, &res);
    assert_int_equal(il_fluct_compare(&res, th, NULL, rows, sum), IL_OK);
    double zmax = 0.0;
    for (size_t l = 0; l < c->L; l++)
        zmax = fabs(rows[l].v.z) > zmax ? fabs(rows[l].v.z) : zmax;
    print_message("width %3zu depth %2zu %-14s %-26s D %6zu B %zu: m2_ratio %.4g..%.4g, max |z| %.2f, %zu consistent, "
                  "%zu inconclusive\n", c->n, c->L, c->act, c->init, c->draws, c->batch, rows[0].th.m2_ratio,
                  rows[c->L - 1].th.m2_ratio, zmax, sum->ratio.consistent, sum->ratio.inconclusive);
    for (size_t l = 0; l < c->L; l++) {
        const il_fluct_row *r = &rows[l];
        assert_int_equal(r->th.method, IL_FLUCT_EXACT);
        assert_true(r->tested);
        if (r->v.verdict == IL_VERDICT_REFUTED || !(fabs(r->v.z) <= Z_THRESHOLD))
            fail_msg("n=%zu %s %s: layer %zu m2_ratio %.6g +- %.3g (%s) vs exact %.6g: z = %.2f, %s", c->n, c->act,
                     c->init, l + 1, r->est.m2_ratio, r->se, r->se_kind, r->th.m2_ratio, r->v.z,
                     il_verdict_name(r->v.verdict));
        if (l < c->decisive && !(r->se <= SE_INFORMATIVE * (r->th.m2_ratio - 1.0)))
            fail_msg("n=%zu %s: layer %zu SE %.3g is not below %.2f of the excess %.4g", c->n, c->act, l + 1, r->se,
                     SE_INFORMATIVE, r->th.m2_ratio - 1.0);
    }
    il_mc_result_release(&res);
    il_net_release(&net);
}

/* Widths 5 to 100, depths 1 to 20, the exact cases: relu and deep linear with Gaussian (He) weights,
 * and PyTorch's default (uniform weights and biases). Where E[M^4] / E[M^2]^2 is astronomically
 * large (width 5 at depth 20: m2_ratio ~ 1e6) no affordable simulation decides, and the test must
 * not refute: the rows are inconclusive, never wrong. */
static void test_mc_grid(void **state)
{
    (void)state;
    static const grid_case cases[] = {
        {5, 3, "relu", "kaiming_normal:relu", 0, IL_INPUT_NORMAL, 40000, 1, 1, 2},
        {10, 5, "relu", "kaiming_normal:relu", 0, IL_INPUT_RADEMACHER, 20000, 1, 1, 3},
        {20, 8, "relu", "kaiming_normal:relu", 0, IL_INPUT_UNIFORM, 10000, 2, 1, 4},
        {50, 20, "relu", "kaiming_normal:relu", 0, IL_INPUT_NORMAL, 1200, 4, 2, 5},
        {100, 20, "relu", "kaiming_normal:relu", 0, IL_INPUT_RADEMACHER, 400, 4, 2, 8},
        {5, 20, "relu", "kaiming_normal:relu", 0, IL_INPUT_NORMAL, 3000, 1, 1, 0},
        {5, 6, "identity", "kaiming_normal:linear", 0, IL_INPUT_NORMAL, 40000, 1, 1, 3},
        {20, 20, "identity", "xavier_normal", 0, IL_INPUT_RADEMACHER, 4000, 2, 1, 8},
        {5, 5, "identity", "torch", 1, IL_INPUT_NORMAL, 40000, 1, 1, 3},
        {10, 10, "relu", "torch", 1, IL_INPUT_NORMAL, 20000, 1, 1, 2},
        {5, 8, "leaky_relu:0.2", "kaiming_uniform:leaky_relu", 1, IL_INPUT_UNIFORM, 20000, 2, 1, 2},
    };
    il_fluct_row rows[MAXL];
    il_fluct_summary sum;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        check_case(&cases[c], 100 + c, rows, &sum);
        assert_int_equal(sum.ratio.refuted, 0);
    }
    /* the corner: m2_ratio ~ 1e6 at width 5, depth 20: inconclusive, with the theory's SE */
    check_case(&cases[5], 7, rows, &sum);
    assert_true(rows[19].th.m2_ratio > 1e5);
    assert_int_equal(rows[19].v.verdict, IL_VERDICT_INCONCLUSIVE);
    assert_string_equal(rows[19].se_kind, "theory");
}

/* A right formula is confirmed, not merely unrefuted, once the draws allow it. */
static void test_consistent(void **state)
{
    (void)state;
    grid_case c = {8, 2, "relu", "kaiming_normal:relu", 0, IL_INPUT_RADEMACHER, 200000, 1, 1, 2};
    il_fluct_row rows[2];
    il_fluct_summary sum;
    check_case(&c, 5, rows, &sum);
    assert_int_equal(sum.ratio.overall, IL_VERDICT_CONSISTENT);
}

/* ---- test of the test: wrong formulas are refuted by the same data and the same SE ------------ */

/* Applies the verdict rule of il_fluct_compare to values[] instead of the theory. */
static il_verdict family_verdict(const il_fluct_row *rows, size_t L, const il_fluct_summary *sum, const double *values)
{
    double est[MAXL], se[MAXL], scale[MAXL];
    il_verdict_item it[MAXL];
    il_verdict_summary vs;
    for (size_t l = 0; l < L; l++) {
        est[l] = rows[l].est.m2_ratio;
        se[l] = rows[l].se;
        scale[l] = values[l] - 1.0;
    }
    il_verdict_opts vo;
    il_verdict_opts_default(&vo);
    vo.rel_tol = IL_FLUCT_REL_TOL;
    assert_int_equal(il_verdict_family(est, se, values, scale, L, sum->groups, &vo, it, &vs), IL_OK);
    return vs.overall;
}

static void test_wrong_formulas_refuted(void **state)
{
    (void)state;
    /* relu, He, width 10, depth 4, Rademacher inputs: the right ratio is prod_{l<L} (1 + 5/n) (1 + 2/n) */
    grid_case c = {10, 4, "relu", "kaiming_normal:relu", 0, IL_INPUT_RADEMACHER, 100000, 1, 1, 4};
    il_fluct_row rows[4];
    il_fluct_summary sum;
    check_case(&c, 21, rows, &sum);
    double right[4], c4[4], c6[4], last5[4], hr[4];
    for (size_t l = 1; l <= 4; l++) {
        right[l - 1] = pow(1.5, (double)l - 1) * 1.2;
        c4[l - 1] = pow(1.4, (double)l - 1) * 1.2;    /* exponent constant 4 instead of 5 */
        c6[l - 1] = pow(1.6, (double)l - 1) * 1.2;    /* ... 6 instead of 5 */
        last5[l - 1] = pow(1.5, (double)l);           /* 1 + 5/n also for the pre-activation layer itself */
        hr[l - 1] = exp(5.0 * (double)l / 10.0);      /* exp(5 sum 1/n), the large-width asymptote */
        assert_close_rel(rows[l - 1].th.m2_ratio, right[l - 1], TOL_DOUBLE);
    }
    assert_int_not_equal(family_verdict(rows, 4, &sum, right), IL_VERDICT_REFUTED);
    assert_int_equal(family_verdict(rows, 4, &sum, c4), IL_VERDICT_REFUTED);
    assert_int_equal(family_verdict(rows, 4, &sum, c6), IL_VERDICT_REFUTED);
    assert_int_equal(family_verdict(rows, 4, &sum, last5), IL_VERDICT_REFUTED);
    assert_int_equal(family_verdict(rows, 4, &sum, hr), IL_VERDICT_REFUTED);
    for (size_t l = 0; l < 4; l++)
        assert_z_refutes(rows[l].est.m2_ratio, rows[l].se, last5[l]);

    /* uniform weights (PyTorch's default, no bias), width 5: the Gaussian formula prod (1 + 2/n),
     * which ignores the weights' fourth cumulant, is refuted; the exact one is not */
    size_t w[5];
    il_net net;
    const_widths(w, 5, 4);
    build(&net, w, 5, "identity", "torch", 0, IL_INPUT_RADEMACHER);
    il_fluct_theory_layer th[4];
    theory(&net, th);
    il_mc_result res;
    run(&net, 100000, 1, 22, 1, &res);
    assert_int_equal(il_fluct_compare(&res, th, NULL, rows, &sum), IL_OK);
    double gauss[4];
    for (size_t l = 0; l < 4; l++) {
        gauss[l] = pow(1.4, (double)l + 1);
        assert_true(rows[l].th.m2_ratio < gauss[l]); /* kappa_4 < 0 lowers the ratio */
    }
    assert_int_not_equal(sum.ratio.overall, IL_VERDICT_REFUTED);
    assert_int_equal(family_verdict(rows, 4, &sum, gauss), IL_VERDICT_REFUTED);
    il_mc_result_release(&res);
    il_net_release(&net);
}

/* ---- calibration of the SE rule --------------------------------------------------------------- */

#define SEEDS 200

static int binom_too_high(unsigned k, double p, unsigned n)
{
    return k > 0 && gsl_cdf_binomial_Q(k - 1, p, n) < BINOM_TAIL;
}

/* Over SEEDS independent runs of relu, He, width 5 (m2_ratio 2.0 to 7.8 at layers 1-3), a single test
 * at level 0.05 refutes the right formula at most at rate 0.05. The same tests with the empirical
 * SEs alone (delta method, df D - 1) refute it far more often: the tails of M^2 are heavy, and the
 * SE estimated from the sample misses the rare large values. The theory's SE is what keeps the
 * rule honest. */
static void test_calibration(void **state)
{
    (void)state;
    size_t w[4];
    il_net net;
    const_widths(w, 5, 3);
    build(&net, w, 4, "relu", "kaiming_normal:relu", 0, IL_INPUT_NORMAL);
    il_fluct_theory_layer th[3];
    theory(&net, th);
    il_verdict_opts vo;
    il_verdict_opts_default(&vo);
    vo.alpha = 0.05;
    unsigned used[3] = {0}, delta[3] = {0};
    for (uint64_t s = 1; s <= SEEDS; s++) {
        il_mc_result res;
        il_fluct_row rows[3];
        il_fluct_summary sum;
        run(&net, 2000, 1, 5000 + s, 1, &res);
        assert_int_equal(il_fluct_compare(&res, th, &vo, rows, &sum), IL_OK);
        for (size_t l = 0; l < 3; l++) {
            used[l] += il_verdict_p_two_sided(rows[l].v.z, (double)sum.groups - 1) <= 0.05;
            double zd = (rows[l].est.m2_ratio - th[l].m2_ratio) / rows[l].est.se_delta;
            delta[l] += il_verdict_p_two_sided(zd, 1999.0) <= 0.05;
        }
        il_mc_result_release(&res);
    }
    for (size_t l = 0; l < 3; l++) {
        print_message("layer %zu (m2_ratio %.3g): false refutations at 0.05 in %d seeds: rule %u, delta SE alone %u\n",
                      l + 1, th[l].m2_ratio, SEEDS, used[l], delta[l]);
        if (binom_too_high(used[l], 0.05, SEEDS))
            fail_msg("layer %zu: the rule refuted the right formula %u times in %d (level 0.05)", l + 1, used[l],
                     SEEDS);
    }
    /* test of the test: the delta SE alone is anticonservative at depth 3 */
    if (!binom_too_high(delta[2], 0.05, SEEDS))
        fail_msg("the delta-method SE alone refuted only %u of %d at layer 3: expected far above 5 %%", delta[2],
                 SEEDS);
    il_net_release(&net);
}

/* ---- within / between ------------------------------------------------------------------------- */

/* Layer 1 without bias, Gaussian weights, independent inputs a, b through the same W:
 * E[M_a M_b] / E[M]^2 = 1 + 2 / (n1 n0), and E[M^2] / E[M]^2 = 1 + 2/n1 for Rademacher inputs. */
static void test_between(void **state)
{
    (void)state;
    size_t w[] = {4, 3, 3};
    il_net net;
    build(&net, w, 3, "relu", "kaiming_normal:relu", 0, IL_INPUT_RADEMACHER);
    il_fluct_theory_layer th[2];
    theory(&net, th);
    il_mc_result res;
    run(&net, 40000, 4, 31, 1, &res);
    il_fluct_row rows[2];
    il_fluct_summary sum;
    assert_int_equal(il_fluct_compare(&res, th, NULL, rows, &sum), IL_OK);
    const il_fluct_est *e = &rows[0].est;
    assert_z(e->m2_ratio_between, e->m2_ratio_between_se, 1.0 + 2.0 / 12.0);
    assert_z_refutes(e->m2_ratio_between, e->m2_ratio_between_se, 1.0 + 2.0 / 3.0);
    assert_z(e->m2_ratio, rows[0].se, 1.0 + 2.0 / 3.0);
    assert_close_rel(e->var_between + e->var_within, e->var, TOL_STREAM);
    assert_true(e->between_frac > 0.0 && e->between_frac < 1.0);
    il_mc_result_release(&res);
    /* one input per network: no split */
    run(&net, 100, 1, 31, 1, &res);
    assert_int_equal(il_fluct_compare(&res, th, NULL, rows, &sum), IL_OK);
    assert_true(isnan(rows[0].est.var_between) && isnan(rows[0].est.m2_ratio_between));
    il_mc_result_release(&res);
    il_net_release(&net);
}

/* ---- the leading-order (mean-field) path ------------------------------------------------------ */

static void test_meanfield(void **state)
{
    (void)state;
    /* first order in sum 1/n: at width 1000 and depth 10 it differs from the exact ratio by a
     * second-order amount, (5 L / n)^2 at most */
    size_t w[11];
    il_net net;
    il_fluct_theory_layer th[10];
    const_widths(w, 1000, 10);
    build(&net, w, 11, "relu", "kaiming_normal:relu", 0, IL_INPUT_NORMAL);
    theory(&net, th);
    for (size_t l = 0; l < 10; l++) {
        double ex = th[l].m2_ratio - 1.0, bound = pow(5.0 * (l + 1) / 1000.0, 2);
        if (!(fabs(th[l].m2_ratio_mf - th[l].m2_ratio) <= bound))
            fail_msg("layer %zu: leading order %.10g vs exact %.10g beyond %.3g", l + 1, th[l].m2_ratio_mf,
                     th[l].m2_ratio, bound);
        assert_true(ex > 0.0);
    }
    il_net_release(&net);
    /* and the first layer is exact: Gaussian weights, or uniform weights and biases (PyTorch's
     * default), whose fourth cumulants enter Var(y^2 | h) */
    const_widths(w, 7, 2);
    build(&net, w, 3, "identity", "kaiming_normal:linear", 0, IL_INPUT_NORMAL);
    theory(&net, th);
    assert_close_rel(th[0].m2_ratio_mf, th[0].m2_ratio, TOL_DOUBLE);
    il_net_release(&net);
    const_widths(w, 5, 2);
    build(&net, w, 3, "identity", "torch", 1, IL_INPUT_UNIFORM);
    theory(&net, th);
    assert_close_rel(th[0].m2_ratio_mf, th[0].m2_ratio, TOL_DOUBLE);
    assert_true(fabs(th[1].m2_ratio_mf - th[1].m2_ratio) > 1e-3); /* and the second is not */
    il_net_release(&net);
    /* tanh, xavier, width 40: the simulation agrees with the leading order; at width 2 it refutes it */
    const_widths(w, 40, 4);
    build(&net, w, 5, "tanh", "xavier_normal", 0, IL_INPUT_NORMAL);
    theory(&net, th);
    il_mc_result res;
    il_fluct_row rows[4];
    il_fluct_summary sum;
    run(&net, 3000, 4, 41, 2, &res);
    assert_int_equal(il_fluct_compare(&res, th, NULL, rows, &sum), IL_OK);
    for (size_t l = 1; l < 4; l++) {
        assert_int_equal(rows[l].th.method, IL_FLUCT_MEANFIELD);
        assert_z(rows[l].est.m2_ratio, rows[l].se, rows[l].th.m2_ratio);
    }
    il_mc_result_release(&res);
    il_net_release(&net);
    const_widths(w, 2, 4);
    build(&net, w, 5, "tanh", "normal", 0, IL_INPUT_NORMAL);
    net.winit.std = 1.5;
    theory(&net, th);
    run(&net, 100000, 1, 42, 1, &res);
    assert_int_equal(il_fluct_compare(&res, th, NULL, rows, &sum), IL_OK);
    assert_int_equal(rows[3].th.method, IL_FLUCT_MEANFIELD);
    assert_int_equal(rows[3].v.verdict, IL_VERDICT_REFUTED);
    il_mc_result_release(&res);
    il_net_release(&net);
}

/* ---- checkpoints ------------------------------------------------------------------------------ */

typedef struct {
    FILE *f;
    uint64_t h;
} v1_stream;

static void v1_put(v1_stream *s, const void *p, size_t n)
{
    const unsigned char *b = p;
    fwrite(p, 1, n, s->f);
    for (size_t i = 0; i < n; i++) {
        s->h ^= b[i];
        s->h *= 1099511628211ULL;
    }
}

/* A version-1 checkpoint of res, byte for byte as initlab 0.1.0 wrote it. */
static void write_v1(FILE *f, const il_mc_result *res, const char *fp)
{
    fprintf(f, "initlab-checkpoint 1\nfingerprint %zu\n%s\ndraws_done %zu layers %zu post %d\n", strlen(fp), fp,
            res->draws_done, res->layers, res->post != NULL);
    v1_stream s = {f, 14695981039346656037ULL};
    for (int pt = 0; pt < (res->post ? 2 : 1); pt++)
        for (size_t l = 0; l < res->layers; l++) {
            const il_layer_acc *a = pt ? &res->post[l] : &res->pre[l];
            uint64_t hdr[4] = {a->width, (uint64_t)a->full, a->batch, a->count};
            v1_put(&s, hdr, sizeof hdr);
            v1_put(&s, a->mvec, a->width * sizeof *a->mvec);
            v1_put(&s, a->sec, (a->full ? a->width * a->width : a->width) * sizeof *a->sec);
            const il_wacc scal[5] = {a->mbar, a->q, a->m4, a->within, a->offdiag};
            v1_put(&s, scal, sizeof scal);
        }
    fwrite(&s.h, sizeof s.h, 1, f);
}

static void test_checkpoint(void **state)
{
    (void)state;
    size_t w[] = {6, 70, 5}; /* one diagonal-only layer, one full */
    il_net net;
    build(&net, w, 3, "relu", "torch", 1, IL_INPUT_NORMAL);
    il_mc_cfg cfg;
    il_mc_cfg_default(&cfg);
    cfg.net = &net;
    cfg.draws = 300;
    cfg.batch = 3;
    cfg.want_post = 1;
    cfg.seed = 9;
    il_mc_result full, half, back, old;
    assert_int_equal(il_mc_result_init(&full, &cfg), IL_OK);
    assert_int_equal(il_mc_run(&cfg, &full), IL_OK);
    cfg.draws = 130;
    assert_int_equal(il_mc_result_init(&half, &cfg), IL_OK);
    assert_int_equal(il_mc_run(&cfg, &half), IL_OK);
    char *buf = NULL, *buf1 = NULL, err[256] = "";
    size_t len = 0, len1 = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(il_checkpoint_save(f, &half, "fp"), IL_OK);
    fclose(f);
    assert_memory_equal(buf, "initlab-checkpoint 2\n", 21);
    f = open_memstream(&buf1, &len1);
    write_v1(f, &half, "fp");
    fclose(f);
    cfg.draws = 300;
    assert_int_equal(il_mc_result_init(&back, &cfg), IL_OK);
    assert_int_equal(il_mc_result_init(&old, &cfg), IL_OK);
    f = fmemopen(buf, len, "rb");
    assert_int_equal(il_checkpoint_load(f, &back, "fp", err, sizeof err), IL_OK);
    fclose(f);
    f = fmemopen(buf1, len1, "rb");
    assert_int_equal(il_checkpoint_load(f, &old, "fp", err, sizeof err), IL_OK);
    fclose(f);
    assert_int_equal(il_mc_run(&cfg, &back), IL_OK);
    assert_int_equal(il_mc_run(&cfg, &old), IL_OK);
    for (size_t l = 0; l < 2; l++) {
        /* version 2: the fluctuation statistics continue bit for bit */
        assert_memory_equal(&back.pre[l].fl, &full.pre[l].fl, sizeof full.pre[l].fl);
        assert_memory_equal(&back.post[l].fl, &full.post[l].fl, sizeof full.post[l].fl);
        /* version 1: sim's statistics continue bit for bit, the fluctuation statistics are unusable */
        assert_memory_equal(&old.pre[l].q, &full.pre[l].q, sizeof full.pre[l].q);
        assert_memory_equal(&old.post[l].m4, &full.post[l].m4, sizeof full.post[l].m4);
        assert_memory_equal(old.pre[l].sec, full.pre[l].sec, w[l + 1] * sizeof(il_wacc));
        assert_false(il_layer_acc_fluct_valid(&old.pre[l]));
        il_fluct_est e;
        assert_int_equal(il_fluct_estimate(&old.pre[l], &e), IL_EINVAL);
    }
    il_fluct_theory_layer th[2];
    il_fluct_row rows[2];
    il_fluct_summary sum;
    theory(&net, th);
    assert_int_equal(il_fluct_compare(&old, th, NULL, rows, &sum), IL_EINVAL);
    /* a corrupted fluctuation block is refused (the checksum, or its own consistency check) */
    buf[len - 200] ^= 0x10;
    il_mc_result r;
    assert_int_equal(il_mc_result_init(&r, &cfg), IL_OK);
    f = fmemopen(buf, len, "rb");
    assert_int_equal(il_checkpoint_load(f, &r, "fp", err, sizeof err), IL_EINVAL);
    fclose(f);
    free(buf);
    free(buf1);
    il_mc_result_release(&r);
    il_mc_result_release(&full);
    il_mc_result_release(&half);
    il_mc_result_release(&back);
    il_mc_result_release(&old);
    il_net_release(&net);
}

/* ---- writers ---------------------------------------------------------------------------------- */

static void test_writers(void **state)
{
    (void)state;
    size_t w[] = {4, 4, 4};
    il_net net;
    build(&net, w, 3, "tanh", "torch", 1, IL_INPUT_NORMAL);
    il_fluct_theory_layer th[2];
    theory(&net, th);
    il_mc_result res;
    run(&net, 200, 2, 3, 1, &res);
    il_fluct_row rows[2];
    il_fluct_summary sum;
    assert_int_equal(il_fluct_compare(&res, th, NULL, rows, &sum), IL_OK);
    il_param p[] = {{"seed", "3", 1}};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(il_fluct_write_tsv(f, "fluct", p, 1, rows, 2, &sum), IL_OK);
    fclose(f);
    assert_non_null(strstr(buf, "\nlayer\twidth\tdraws\tbatch\tgroups\tmethod\tq\tq_se\tq_theory\tm2_ratio\t"
                                "m2_ratio_se\tm2_ratio_theory\tz\tp\tdraws_needed\tverdict\t"));
    assert_non_null(strstr(buf, "\tvar_between\t"));
    assert_non_null(strstr(buf, "\n1\t4\t200\t2\t"));
    assert_non_null(strstr(buf, "\tmean-field\t"));
    assert_non_null(strstr(buf, "# overall: "));
    free(buf);
    buf = NULL;
    f = open_memstream(&buf, &len);
    assert_int_equal(il_fluct_write_json(f, "fluct", p, 1, rows, 2, &sum), IL_OK);
    fclose(f);
    json_error_t je;
    json_t *j = json_loads(buf, 0, &je);
    assert_non_null(j);
    json_t *l2 = json_array_get(json_object_get(j, "layers"), 1);
    assert_string_equal(json_string_value(json_object_get(l2, "method")), "mean-field");
    assert_true(json_is_null(json_object_get(l2, "kurt_theory")));
    assert_int_equal(json_integer_value(json_object_get(l2, "layer")), 2);
    json_decref(j);
    free(buf);
    il_mc_result_release(&res);
    il_net_release(&net);
}

int main(void)
{
    gsl_set_error_handler_off();
    openblas_set_num_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_draw_by_hand),
        cmocka_unit_test(test_accumulator),
        cmocka_unit_test(test_closed_forms_gaussian),
        cmocka_unit_test(test_closed_forms_kurtosis),
        cmocka_unit_test(test_closed_forms_uniform),
        cmocka_unit_test(test_mean_matches_theory),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_mc_grid),
        cmocka_unit_test(test_consistent),
        cmocka_unit_test(test_wrong_formulas_refuted),
        cmocka_unit_test(test_calibration),
        cmocka_unit_test(test_between),
        cmocka_unit_test(test_meanfield),
        cmocka_unit_test(test_checkpoint),
        cmocka_unit_test(test_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
