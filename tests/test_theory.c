/* test_theory.c: analytic moments (analysis/theory.c) against the Monte Carlo engine and against
 * closed forms; the mean-field maps against closed forms and their own definitions.
 *
 * Monte Carlo checks: every quantity the theory labels exact is z-tested against il_mc_run
 * (|z| <= Z_THRESHOLD from the across-draw standard error); quantities labelled mean-field are not
 * expected to match at finite width and are only checked for their label. Some wrong formulas (the
 * seed homework's, and dropout scalings with the wrong power) must be refuted by the same data. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>

#include "mc.h"
#include "testutil.h"
#include "theory.h"

#define MAXL 16
/* Monte Carlo budgets: draws x batch for the small nets, and for width 64. z-scores of correct
 * formulas do not depend on them; they are set so that the refutations below stay beyond 10 sigma
 * and the whole file runs in a few seconds on 2 cores. */
#define DRAWS 8000
#define BATCH 8
#define DRAWS_WIDE 600
#define PI 3.14159265358979323846264338327950288 /* M_PI is not in strict C11 + POSIX */
/* Closed forms vs the quadrature (target IL_THEORY_EPSREL = 1e-12, usually met with margin). */
#define QUAD_TOL 1e-11
/* Fixed-point residual required by the brief. */
#define QSTAR_TOL 1e-12
/* Central difference with step FD_H: truncation error ~ FD_H^2 |c'''| / 6 ~ 1e-9 here. */
#define FD_H 1e-4
#define FD_TOL 1e-7
/* Ratio of successive distances to c* against chi_c once |c_l - c*| < RATIO_NEAR: the ratio's
 * error is O(|c_l - c*| c''/c'), well inside RATIO_TOL. */
#define RATIO_NEAR 1e-4
#define RATIO_TOL 1e-3
/* When the MC standard error is at rounding level (a quantity constant in every draw, e.g. the
 * batch mean after batchnorm in training), compare with this absolute-relative tolerance instead. */
#define SE_DEGENERATE 1e-12
#define TOL_DEGENERATE 1e-10

static double max_abs_z; /* largest |z| of a passing check, printed per test */

/* One z-check. Returns 1 on failure: with final = 0 it only prints, with final = 1 it fails. */
static int expect_z(const char *what, size_t layer, const char *qty, double est, double se, double want, int final)
{
    char msg[320];
    double scale = fabs(want) > 1.0 ? fabs(want) : 1.0;
    if (se < SE_DEGENERATE * scale) {
        if (fabs(est - want) <= TOL_DEGENERATE * scale)
            return 0;
        snprintf(msg, sizeof msg, "%s layer %zu %s: MC %.12g (se %.3g, degenerate), theory %.12g", what, layer, qty,
                 est, se, want);
    } else {
        double z = (est - want) / se;
        if (fabs(z) <= Z_THRESHOLD) {
            if (fabs(z) > max_abs_z)
                max_abs_z = fabs(z);
            return 0;
        }
        snprintf(msg, sizeof msg, "%s layer %zu %s: MC %.10g +- %.3g, theory %.10g: z = %.2f beyond %.1f", what, layer,
                 qty, est, se, want, z, Z_THRESHOLD);
    }
    if (final)
        fail_msg("%s", msg);
    print_message("  (first attempt) %s\n", msg);
    return 1;
}

static void run_mc(const il_net *net, size_t draws, size_t batch, uint64_t seed, il_mc_result *res)
{
    il_mc_cfg cfg;
    il_mc_cfg_default(&cfg);
    cfg.net = net;
    cfg.draws = draws;
    cfg.batch = batch;
    cfg.threads = 1; /* results do not depend on it (test_mc); one thread avoids OpenMP spin-waits on a busy machine */
    cfg.seed = seed;
    cfg.want_post = 1;
    assert_int_equal(il_mc_result_init(res, &cfg), IL_OK);
    assert_int_equal(il_mc_run(&cfg, res), IL_OK);
}

static void theory(const il_net *net, il_theory_layer *th)
{
    char err[256] = "";
    il_status rc = il_theory_run(net, th, NULL, err, sizeof err);
    if (rc != IL_OK)
        fail_msg("il_theory_run: %s (%s)", il_strerror(rc), err);
}

static int check_point(const char *what, size_t layer, const char *side, const il_theory_point *t,
                       const il_layer_acc *acc, int final)
{
    il_layer_summary s;
    char qty[32];
    int bad = 0;
    il_layer_acc_summary(acc, &s);
    if (t->q_method == IL_THEORY_EXACT) {
        snprintf(qty, sizeof qty, "%s q", side);
        bad += expect_z(what, layer, qty, s.q, s.q_se, t->q, final);
    }
    if (t->mean_method == IL_THEORY_EXACT) {
        snprintf(qty, sizeof qty, "%s mean", side);
        bad += expect_z(what, layer, qty, s.mean, s.mean_se, t->mean, final);
    }
    if (t->offdiag_method == IL_THEORY_EXACT && s.width > 1) {
        snprintf(qty, sizeof qty, "%s offdiag", side);
        bad += expect_z(what, layer, qty, s.offdiag, s.offdiag_se, t->offdiag, final);
    }
    return bad;
}

static int check_all(const char *what, const il_theory_layer *th, const il_mc_result *res, int final)
{
    int bad = 0;
    for (size_t l = 0; l < res->layers; l++) {
        bad += check_point(what, l + 1, "pre", &th[l].pre, &res->pre[l], final);
        bad += check_point(what, l + 1, "post", &th[l].post, &res->post[l], final);
    }
    return bad;
}

/* Theory vs Monte Carlo for every quantity the theory calls exact. With a few hundred z-checks in
 * this file, a correct formula would fail somewhere with probability ~1e-4 per run at 5 sigma; as in
 * GSL's randist tests, a configuration with a failed check is therefore run once more with
 * RETRY_FACTOR times the draws and a fresh seed, and only a second failure fails the test (a wrong
 * formula fails both). If keep is not NULL the (last) result is handed over, else released.
 * Returns how many q values (pre and post) were exact. */
#define RETRY_FACTOR 4
static int compare(const char *what, const il_net *net, size_t draws, size_t batch, uint64_t seed, il_theory_layer *th,
                   il_mc_result *keep)
{
    il_mc_result res;
    theory(net, th);
    run_mc(net, draws, batch, seed, &res);
    if (check_all(what, th, &res, 0) > 0) {
        print_message("  %s: retrying with %d times the draws\n", what, RETRY_FACTOR);
        il_mc_result_release(&res);
        run_mc(net, RETRY_FACTOR * draws, batch, seed + 0x9e3779b97f4a7c15ULL, &res);
        check_all(what, th, &res, 1);
    }
    int n = 0;
    for (size_t l = 0; l < res.layers; l++)
        n += (th[l].pre.q_method == IL_THEORY_EXACT) + (th[l].post.q_method == IL_THEORY_EXACT);
    if (keep)
        *keep = res;
    else
        il_mc_result_release(&res);
    return n;
}

/* A wrong value must be refuted (assert_z_refutes); prints the margin. */
static void refute(const char *what, double est, double se, double wrong)
{
    print_message("  refuted: %s, z = %.1f\n", what, (est - wrong) / se);
    assert_z_refutes(est, se, wrong);
}

typedef struct {
    const char *act;
    int bias;
    double p;
    il_drop_kind drop;
    il_drop_at at;
    int residual, last_act, batchnorm;
} opts;

static void build(il_net *net, const size_t *w, size_t nw, const opts *o)
{
    il_net_shape s;
    char err[256];
    memset(&s, 0, sizeof s);
    s.widths = w;
    s.n_widths = nw;
    assert_int_equal(il_act_parse(o->act, &s.act), IL_OK);
    s.p = o->p;
    s.drop = o->drop;
    s.drop_at = o->at;
    s.residual = o->residual;
    s.last_act = o->last_act;
    s.batchnorm = o->batchnorm;
    s.bias = o->bias;
    il_net_init(net);
    if (il_net_build(net, &s, err, sizeof err) != IL_OK)
        fail_msg("il_net_build: %s", err);
}

static void parse(il_net *net, const char *spec)
{
    char err[256];
    il_net_init(net);
    if (il_net_parse_arch(net, spec, IL_DROP_INVERTED, err, sizeof err) != IL_OK)
        fail_msg("il_net_parse_arch(%s): %s", spec, err);
}

static void report(const char *name)
{
    print_message("  %s: largest |z| of the exact checks %.2f (threshold %.1f)\n", name, max_abs_z, Z_THRESHOLD);
    max_abs_z = 0.0;
}

/* ---- linear stacks ---- */

static void test_linear_stacks(void **state)
{
    (void)state;
    static const size_t p1[] = {4, 3, 5, 2, 6}, p2[] = {2, 8, 2, 8, 3}, p3[] = {7, 1, 4};
    const struct {
        const size_t *w;
        size_t nw;
        int bias;
        il_input_kind input;
    } cases[] = {{p1, 5, 1, IL_INPUT_NORMAL}, {p2, 5, 0, IL_INPUT_UNIFORM}, {p3, 3, 1, IL_INPUT_RADEMACHER}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        il_net net;
        il_theory_layer th[MAXL];
        opts o = {"identity", cases[c].bias, 0.0, IL_DROP_INVERTED, IL_DROP_AFTER, 0, 0, 0};
        build(&net, cases[c].w, cases[c].nw, &o);
        net.input = cases[c].input;
        compare("linear", &net, DRAWS, BATCH, 100 + c, th, NULL);
        for (size_t l = 0; l + 1 < cases[c].nw; l++)
            assert_int_equal(th[l].method, IL_THEORY_EXACT);
        il_net_release(&net);
    }
    /* biases with a nonzero mean: E[y_i] = mu_b, q gains mu_b^2, covariances stay 0; in a residual
     * block the cross term E[r_i u_i] = m_r mu_b is exact; after a relu only q is not exact */
    const char *specs[] = {"input:3,linear:4,linear:2,linear:5", "input:4,linear:4,res(linear:4),linear:3",
                           "input:4,linear:4,relu,linear:3"};
    for (int i = 0; i < 3; i++) {
        il_net net;
        il_theory_layer th[MAXL];
        parse(&net, specs[i]);
        il_init_spec_default(IL_INIT_NORMAL, &net.binit);
        net.binit.mean = 0.4;
        net.binit.std = 0.3;
        compare(specs[i], &net, DRAWS, BATCH, 110 + (uint64_t)i, th, NULL);
        assert_close_rel(th[0].pre.mean, 0.4, TEST_TOL0);
        if (i == 1) {
            assert_int_equal(th[1].post.q_method, IL_THEORY_EXACT);
            assert_close_rel(th[1].post.q, th[0].pre.q + th[1].pre.q + 2.0 * 0.4 * 0.4, TEST_TOL1);
        }
        if (i == 2)
            assert_int_equal(th[0].post.q_method, IL_THEORY_MEANFIELD);
        il_net_release(&net);
    }
    report("linear stacks");
}

/* Non-unit, unequal input variances: only sum_k Var(x_k) enters layer 1. */
static void test_input_variances(void **state)
{
    (void)state;
    static const size_t w[] = {4, 3, 6, 2};
    const double var[] = {0.25, 4.0, 1.0, 9.0};
    il_net net;
    il_theory_layer th[MAXL];
    opts o = {"relu", 1, 0.0, IL_DROP_INVERTED, IL_DROP_AFTER, 0, 0, 0};
    build(&net, w, 4, &o);
    assert_int_equal(il_net_set_input_var(&net, var, 4), IL_OK);
    il_mc_result res;
    compare("input var", &net, DRAWS, BATCH, 7, th, &res);
    /* every unit of layer 1 has the same variance although the inputs' differ (exchangeable rows) */
    for (size_t i = 0; i < 3; i++) {
        double c, se;
        assert_int_equal(il_layer_acc_cov(&res.pre[0], i, i, &c, &se), IL_OK);
        expect_z("input var, one unit", 1, "Var(y_i)", c, se, th[0].pre.q, 1);
    }
    il_mc_result_release(&res);
    assert_close_rel(th[0].pre.q, (0.25 + 4.0 + 1.0 + 9.0 + 1.0) / 12.0, TEST_TOL1);
    assert_int_equal(th[0].post.q_method, IL_THEORY_EXACT);
    assert_int_equal(th[0].post.mean_method, IL_THEORY_MEANFIELD); /* E|y| is not a second moment */
    il_net_release(&net);
    report("input variances");
}

/* Seed 001, problem 2: a deep linear net with torch's default init (weights and biases
 * U(-1/sqrt n, 1/sqrt n)) and unit inputs. True: E y_l = 0, Cov(y_l) = q_l I with
 * q_l = (n_{l-1} q_{l-1} + 1) / (3 n_{l-1}). The seed's claims Cov(y_i, y_j) = 1/(3 n) for i != j and
 * Cov(y_L) = prod (n_l + 1) / (3 n_l) are refuted. */
static void test_seed_problem2(void **state)
{
    (void)state;
    static const size_t w[] = {3, 2, 4, 2, 3};
    il_net net;
    il_theory_layer th[MAXL];
    il_mc_result res;
    opts o = {"identity", 1, 0.0, IL_DROP_INVERTED, IL_DROP_AFTER, 0, 0, 0};
    build(&net, w, 5, &o);
    compare("seed p2", &net, 2 * DRAWS, BATCH, 2024, th, &res);
    double q = 1.0, prod = 1.0;
    for (size_t l = 1; l < 5; l++) {
        double n = (double)w[l - 1];
        q = (n * q + 1.0) / (3.0 * n);
        prod *= (n + 1.0) / (3.0 * n);
        assert_close_rel(th[l - 1].pre.q, q, TEST_TOL1);
        il_layer_summary s;
        il_layer_acc_summary(&res.pre[l - 1], &s);
        if (l >= 2)
            refute("seed's prod (n_l + 1) / (3 n_l)", s.q, s.q_se, prod);
        if (s.width > 1)
            refute("seed's Cov(y_i, y_j) = 1/(3n)", s.offdiag, s.offdiag_se, 1.0 / (3.0 * n));
    }
    il_mc_result_release(&res);
    il_net_release(&net);
    report("seed problem 2");
}

/* ---- relu family ---- */

static void test_relu_family(void **state)
{
    (void)state;
    static const size_t w[] = {5, 6, 3, 7, 4};
    const char *acts[] = {"relu", "leaky_relu:0.2", "prelu", "abs"};
    for (size_t a = 0; a < 4; a++) {
        il_net net;
        il_theory_layer th[MAXL];
        opts o = {acts[a], (int)(a % 2 == 0), 0.0, IL_DROP_INVERTED, IL_DROP_AFTER, 0, 1, 0};
        build(&net, w, 5, &o);
        assert_int_equal(compare(acts[a], &net, DRAWS, BATCH, 300 + a, th, NULL), 8); /* every q exact */
        il_net_release(&net);
    }
    report("relu family");
}

/* Every dropout kind, before and after the activation, train and eval; a too-small power of the
 * eval scaling is refuted. */
static void test_dropout_kinds(void **state)
{
    (void)state;
    static const size_t w[] = {4, 6, 5, 3};
    const il_drop_kind kinds[] = {IL_DROP_INVERTED, IL_DROP_CLASSIC, IL_DROP_CONNECT};
    const double p = 0.3;
    for (size_t k = 0; k < 3; k++)
        for (int at = 0; at < 2; at++)
            for (int train = 1; train >= 0; train--) {
                if (kinds[k] == IL_DROP_CONNECT && at == 1)
                    continue; /* DropConnect has no placement */
                il_net net;
                il_theory_layer th[MAXL];
                char name[64];
                /* biases in training; none in eval, where the refutation below needs the weight part */
                opts o = {"leaky_relu:0.1", train, p, kinds[k], at ? IL_DROP_BEFORE : IL_DROP_AFTER, 0, 0, 0};
                build(&net, w, 4, &o);
                net.train = train;
                snprintf(name, sizeof name, "%s %s %s", il_drop_name(kinds[k]), at ? "before" : "after",
                         train ? "train" : "eval");
                il_mc_result res;
                assert_int_equal(compare(name, &net, DRAWS, BATCH, 400 + 10 * k + 2 * (size_t)at + (size_t)train, th, &res),
                                 6);
                if (!train && kinds[k] != IL_DROP_INVERTED) {
                    /* eval scales by (1-p) (classic: h; DropConnect: W): the second moment by
                     * (1-p)^2, not (1-p) as a training-mode mask would. Layer 3 (no bias) with (1-p)
                     * in place of (1-p)^2 in its last scaling: */
                    il_layer_summary s;
                    il_layer_acc_summary(&res.pre[2], &s);
                    double wrong = th[2].pre.q / (1.0 - p);
                    refute("eval scaling (1-p) instead of (1-p)^2", s.q, s.q_se, wrong);
                }
                il_mc_result_release(&res);
                il_net_release(&net);
            }
    report("dropout kinds");
}

/* A larger width, with orthogonal weights too (not iid: only their second moments are used). */
static void test_wide_and_orthogonal(void **state)
{
    (void)state;
    static const size_t w[] = {64, 64, 48, 64};
    for (int ortho = 0; ortho < 2; ortho++) {
        il_net net;
        il_theory_layer th[MAXL];
        opts o = {"relu", 1, 0.2, IL_DROP_INVERTED, IL_DROP_AFTER, 0, 0, 0};
        build(&net, w, 4, &o);
        if (ortho) {
            il_init_spec_default(IL_INIT_ORTHOGONAL, &net.winit);
            net.winit.gain = sqrt(2.0);
        }
        assert_int_equal(compare(ortho ? "orthogonal" : "wide", &net, DRAWS_WIDE, BATCH, 500 + (uint64_t)ortho, th, NULL), 6);
        il_net_release(&net);
    }
    static const size_t w2[] = {3, 7, 2, 5, 5};
    il_net net;
    il_theory_layer th[MAXL];
    opts o = {"relu", 1, 0.0, IL_DROP_INVERTED, IL_DROP_AFTER, 0, 1, 0};
    build(&net, w2, 5, &o);
    il_init_spec_default(IL_INIT_ORTHOGONAL, &net.winit);
    assert_int_equal(compare("orthogonal small", &net, DRAWS, BATCH, 510, th, NULL), 8);
    il_net_release(&net);
    report("wide and orthogonal");
}

/* ---- residual blocks ---- */

static void test_residual(void **state)
{
    (void)state;
    il_net net;
    il_theory_layer th[MAXL];
    /* identity residual: E[h_l^2] = E[h_{l-1}^2] + E[y_l^2], all exact */
    static const size_t w[] = {5, 5, 5, 5, 2};
    opts o = {"identity", 1, 0.0, IL_DROP_INVERTED, IL_DROP_AFTER, 1, 0, 0};
    build(&net, w, 5, &o);
    compare("identity residual", &net, DRAWS, BATCH, 600, th, NULL);
    for (size_t l = 0; l < 4; l++)
        assert_int_equal(th[l].method, IL_THEORY_EXACT);
    assert_close_rel(th[1].post.q, th[0].post.q + th[1].pre.q, TEST_TOL1);
    il_net_release(&net);

    /* relu residual: exact in the first block (the saved value is the input), mean-field after */
    static const size_t w2[] = {4, 4, 4, 4};
    opts o2 = {"relu", 1, 0.1, IL_DROP_INVERTED, IL_DROP_AFTER, 1, 1, 0};
    build(&net, w2, 4, &o2);
    il_mc_result res;
    compare("relu residual", &net, 2 * DRAWS, BATCH, 601, th, &res);
    assert_int_equal(th[0].post.q_method, IL_THEORY_EXACT);
    assert_int_equal(th[1].post.q_method, IL_THEORY_MEANFIELD);
    assert_int_equal(th[2].pre.q_method, IL_THEORY_MEANFIELD);
    /* ...and rightly so: at width 4 the mean-field cross term E[r_i relu(y_i)] ~ m_r m_u and the
     * zero covariance are visibly wrong (relu(y_i) and r_j share |h|) */
    il_layer_summary s;
    il_layer_acc_summary(&res.post[1], &s);
    refute("mean-field covariance after a relu residual block, width 4", s.offdiag, s.offdiag_se, th[1].post.offdiag);
    il_mc_result_release(&res);
    il_net_release(&net);

    /* a block ending in a linear op (the flip of its rows leaves the skip path alone): exact, also
     * with a relu skip path; the relu after the sum is mean-field */
    parse(&net, "input:6,linear:6,relu,res(linear:6,relu,linear:6),relu,linear:3");
    compare("res(linear,relu,linear)", &net, DRAWS, BATCH, 602, th, NULL);
    assert_int_equal(th[2].pre.q_method, IL_THEORY_EXACT);
    assert_int_equal(th[2].post.q_method, IL_THEORY_MEANFIELD);
    il_net_release(&net);

    /* unsupported: a block without a linear op */
    char err[256];
    parse(&net, "input:3,linear:3,res(relu),linear:2");
    assert_int_equal(il_theory_run(&net, th, NULL, err, sizeof err), IL_EUNSUPPORTED);
    il_net_release(&net);
    report("residual");
}

/* ---- other ops: odd activations, batchnorm, activations on the raw input ---- */

static void test_odd_bn_input(void **state)
{
    (void)state;
    il_net net;
    il_theory_layer th[MAXL];
    /* tanh / sigmoid after symmetric pre-activations: mean 0 resp. 1/2 and zero covariance exact */
    parse(&net, "input:4,linear:5,tanh,linear:3,sigmoid,linear:2");
    compare("odd acts", &net, DRAWS, BATCH, 700, th, NULL);
    assert_int_equal(th[0].post.mean_method, IL_THEORY_EXACT);
    assert_int_equal(th[0].post.q_method, IL_THEORY_MEANFIELD);
    assert_close_rel(th[1].post.mean, 0.5, TEST_TOL0);
    il_net_release(&net);
    /* at width 2 the mean-field E[tanh(y)^2] (y Gaussian) is visibly off: y is a scale mixture */
    il_mc_result res;
    il_layer_summary s;
    parse(&net, "input:2,linear:2,relu,linear:2,relu,linear:2,tanh,linear:2");
    compare("tanh width 2", &net, 4 * DRAWS, BATCH, 701, th, &res);
    assert_int_equal(th[2].post.q_method, IL_THEORY_MEANFIELD);
    il_layer_acc_summary(&res.post[2], &s);
    refute("mean-field E[tanh(y)^2] at width 2", s.q, s.q_se, th[2].post.q);
    il_mc_result_release(&res);
    il_net_release(&net);

    /* batchnorm in eval (exact) and training (mean and covariance exact, q mean-field) */
    static const size_t w[] = {4, 5, 6, 3};
    opts o = {"relu", 1, 0.2, IL_DROP_CLASSIC, IL_DROP_BEFORE, 0, 0, 1};
    for (int train = 0; train < 2; train++) {
        build(&net, w, 4, &o);
        net.train = train;
        compare(train ? "bn train" : "bn eval", &net, DRAWS, BATCH, 710 + (uint64_t)train, th, NULL);
        assert_int_equal(th[0].post.q_method, train ? IL_THEORY_MEANFIELD : IL_THEORY_EXACT);
        if (!train) /* eval: y / sqrt(1 + eps), classic dropout (1-p), relu 1/2 */
            assert_close_rel(th[0].post.q, th[0].pre.q * 0.8 * 0.8 / (2.0 * (1.0 + IL_BN_EPS)), TEST_TOL1);
        il_net_release(&net);
    }
    parse(&net, "input:4,linear:5,bn,linear:3");
    compare("bn output", &net, DRAWS / 2, BATCH, 712, th, NULL);
    assert_int_equal(th[0].post.mean_method, IL_THEORY_EXACT);
    assert_int_equal(th[0].post.offdiag_method, IL_THEORY_EXACT);
    il_net_release(&net);

    /* activations on the raw input: integrals over the known input law, exact */
    const char *specs[] = {"input:3,tanh,linear:4,relu,linear:2", "input:3,gelu,dropout:0.3,linear:4",
                           "input:2,sigmoid,linear:3"};
    const il_input_kind kinds[] = {IL_INPUT_NORMAL, IL_INPUT_UNIFORM, IL_INPUT_RADEMACHER};
    for (int i = 0; i < 3; i++) {
        parse(&net, specs[i]);
        net.input = kinds[i];
        compare(specs[i], &net, DRAWS, BATCH, 720 + (uint64_t)i, th, NULL);
        assert_int_equal(th[0].pre.q_method, IL_THEORY_EXACT);
        il_net_release(&net);
    }
    report("odd acts, batchnorm, input acts");
}

static void test_unsupported(void **state)
{
    (void)state;
    il_net net;
    il_theory_layer th[MAXL];
    char err[256] = "";
    static const size_t w[] = {3, 3, 2};
    opts o = {"relu", 1, 0.0, IL_DROP_INVERTED, IL_DROP_AFTER, 0, 0, 0};
    build(&net, w, 3, &o);
    il_init_spec_default(IL_INIT_NORMAL, &net.winit);
    net.winit.mean = 0.1;
    assert_int_equal(il_theory_run(&net, th, NULL, err, sizeof err), IL_EUNSUPPORTED);
    assert_non_null(strstr(err, "zero mean"));
    il_init_spec_default(IL_INIT_UNIFORM, &net.winit); /* U(0, 1): mean 1/2 */
    assert_int_equal(il_theory_run(&net, th, NULL, err, sizeof err), IL_EUNSUPPORTED);
    il_init_spec_default(IL_INIT_NORMAL, &net.winit); /* N(0, 1) weights are fine */
    assert_int_equal(il_theory_run(&net, th, NULL, err, sizeof err), IL_OK);
    il_net_release(&net);
}

/* ---- quadrature against closed forms ---- */

/* Independent reference for smooth integrands: composite 20-point Gauss-Legendre on GL_PANELS
 * panels over [-GL_ZMAX, GL_ZMAX] against the standard normal density (a fixed rule, unlike the
 * library's adaptive Gauss-Kronrod). For tanh^2 at q = 7.5, Gauss-Hermite with 200 nodes is still
 * 2e-6 off (its analytic strip narrows like 1/sqrt(q)); this rule is converged to rounding. */
#define GL_PANELS 400
#define GL_ZMAX 14.0
static double gl_expect(double (*f)(double, void *), void *p)
{
    gsl_integration_glfixed_table *t = gsl_integration_glfixed_table_alloc(20);
    double h = 2.0 * GL_ZMAX / GL_PANELS, s = 0.0;
    assert_non_null(t);
    for (int i = 0; i < GL_PANELS; i++) {
        double lo = -GL_ZMAX + i * h, acc = 0.0;
        for (size_t k = 0; k < 20; k++) {
            double x, w;
            gsl_integration_glfixed_point(lo, lo + h, k, &x, &w, t);
            acc += w * f(x, p) * exp(-0.5 * x * x);
        }
        s += acc;
    }
    gsl_integration_glfixed_table_free(t);
    return s / sqrt(2.0 * PI);
}

typedef struct {
    il_act a;
    double sd;
    int square;
} ghp;

static double gh_act(double z, void *vp)
{
    const ghp *g = vp;
    double v = il_act_eval(&g->a, g->sd * z);
    return g->square ? v * v : v;
}

static void test_quadrature_closed_forms(void **state)
{
    (void)state;
    il_theory_ws *ws = il_theory_ws_alloc();
    il_act a;
    double e1, e2;
    assert_non_null(ws);
    const double qs[] = {0.01, 1.0, 7.5};
    for (int i = 0; i < 3; i++) {
        double q = qs[i], sd = sqrt(q);
        il_act_default(IL_ACT_RELU, &a);
        assert_int_equal(il_theory_act_moments(&a, 0.0, q, &e1, &e2, ws), IL_OK);
        assert_close_rel(e2, q / 2.0, QUAD_TOL * q);
        assert_close_rel(e1, sqrt(q / (2.0 * PI)), QUAD_TOL);
        il_act_default(IL_ACT_IDENTITY, &a);
        assert_int_equal(il_theory_act_moments(&a, 0.0, q, &e1, &e2, ws), IL_OK);
        assert_close_rel(e2, q, QUAD_TOL);
        il_act_default(IL_ACT_ABS, &a);
        assert_int_equal(il_theory_act_moments(&a, 0.0, q, &e1, &e2, ws), IL_OK);
        assert_close_rel(e1, sqrt(2.0 * q / PI), QUAD_TOL);
        assert_int_equal(il_act_parse("leaky_relu:0.3", &a), IL_OK);
        assert_int_equal(il_theory_act_moments(&a, 0.0, q, &e1, &e2, ws), IL_OK);
        assert_close_rel(e2, 0.5 * (1.0 + 0.09) * q, QUAD_TOL);
        /* gelu: E[y Phi(y)] = q E[phi(y)] (Stein) = q / sqrt(2 pi (1 + q)) */
        il_act_default(IL_ACT_GELU, &a);
        assert_int_equal(il_theory_act_moments(&a, 0.0, q, &e1, NULL, ws), IL_OK);
        assert_close_rel(e1, q / sqrt(2.0 * PI * (1.0 + q)), QUAD_TOL);
        /* hardtanh (kinks at +-1): E[min(y^2, 1)] = q (erf(A) - 2 A' phi(A')) + erfc(A), A' = 1/sd */
        il_act_default(IL_ACT_HARDTANH, &a);
        assert_int_equal(il_theory_act_moments(&a, 0.0, q, &e1, &e2, ws), IL_OK);
        double A = 1.0 / sd;
        double want = q * (erf(A / sqrt(2.0)) - 2.0 * A * exp(-A * A / 2.0) / sqrt(2.0 * PI)) + erfc(A / sqrt(2.0));
        assert_close_rel(e2, want, QUAD_TOL);
        assert_close_rel(e1, 0.0, QUAD_TOL);
        /* relu of a shifted Gaussian (the break point moves to -mu/sd) */
        double mu = 0.7 * sd, t = mu / sd;
        il_act_default(IL_ACT_RELU, &a);
        assert_int_equal(il_theory_act_moments(&a, mu, q, &e1, &e2, ws), IL_OK);
        assert_close_rel(e1, mu * 0.5 * erfc(-t / sqrt(2.0)) + sd * exp(-t * t / 2.0) / sqrt(2.0 * PI), QUAD_TOL);
        assert_close_rel(e2, (mu * mu + q) * 0.5 * erfc(-t / sqrt(2.0)) + mu * sd * exp(-t * t / 2.0) / sqrt(2.0 * PI),
                         QUAD_TOL);
        /* smooth activations against an independent fixed rule */
        const il_act_kind smooth[] = {IL_ACT_TANH, IL_ACT_SIGMOID, IL_ACT_GELU, IL_ACT_SILU};
        for (int k = 0; k < 4; k++) {
            ghp g;
            il_act_default(smooth[k], &g.a);
            g.sd = sd;
            assert_int_equal(il_theory_act_moments(&g.a, 0.0, q, &e1, &e2, ws), IL_OK);
            g.square = 0;
            assert_close_rel(e1, gl_expect(gh_act, &g), QUAD_TOL);
            g.square = 1;
            assert_close_rel(e2, gl_expect(gh_act, &g), QUAD_TOL);
        }
    }
    assert_int_equal(il_theory_act_moments(&a, 0.0, -1.0, &e1, &e2, ws), IL_EINVAL);
    il_theory_ws_free(ws);
}

/* ---- mean-field maps ---- */

typedef struct {
    double sd;
} tanh2p;

static double tanh2(double z, void *vp)
{
    double t = tanh(((const tanh2p *)vp)->sd * z);
    return t * t;
}

/* relu c-map in closed form (arc-cosine kernel, Cho & Saul 2009): E[relu(u1) relu(u2)] =
 * q (sqrt(1 - c^2) + (pi - acos c) c) / (2 pi). */
static double relu_cmap(double sw2, double sb2, double q, double c, double pkeep)
{
    double off = sw2 * q * (sqrt(1.0 - c * c) + (PI - acos(c)) * c) / (2.0 * PI) + sb2;
    return off / (sw2 * q / (2.0 * pkeep) + sb2);
}

static void test_meanfield_maps(void **state)
{
    (void)state;
    il_theory_ws *ws = il_theory_ws_alloc();
    il_theory_mf mf;
    il_theory_fixed f;
    assert_non_null(ws);

    /* tanh: q* solves q* = sw2 E[tanh(sqrt(q*) z)^2] + sb2 (checked with an independent rule) */
    const double tw[][2] = {{1.5, 0.05}, {4.0, 0.05}, {1.0, 0.3}};
    for (int i = 0; i < 3; i++) {
        il_theory_mf_default(&mf);
        mf.sw2 = tw[i][0];
        mf.sb2 = tw[i][1];
        assert_int_equal(il_theory_fixed_points(&mf, 1.0, &f, ws), IL_OK);
        tanh2p tp = {sqrt(f.qstar)};
        double rhs = mf.sw2 * gl_expect(tanh2, &tp) + mf.sb2;
        assert_close_rel(f.qstar, rhs, QSTAR_TOL);
        /* chi_1 is the slope of the c-map at 1; cstar is a fixed point */
        double s1, cn;
        assert_int_equal(il_theory_cmap_slope(&mf, f.qstar, 1.0, &s1, ws), IL_OK);
        assert_close_rel(s1, f.chi1, QUAD_TOL);
        assert_int_equal(il_theory_cmap(&mf, f.qstar, f.cstar, &cn, ws), IL_OK);
        assert_close_rel(cn, f.cstar, QUAD_TOL);
        if (f.chi1 <= 1.0)
            assert_true(f.cstar == 1.0);
        else
            assert_true(f.cstar < 1.0 && f.chi_c < 1.0);
    }
    /* tanh in the chaotic phase: c-map iterates approach c* at the rate chi_c = exp(-1/xi_c) */
    il_theory_mf_default(&mf);
    mf.sw2 = 4.0;
    mf.sb2 = 0.05;
    assert_int_equal(il_theory_fixed_points(&mf, 1.0, &f, ws), IL_OK);
    assert_true(f.cstar > 0.0 && f.cstar < 1.0);
    double c = 0.2, prev = NAN;
    int checked = 0;
    for (int l = 0; l < 60 && !checked; l++) {
        double cn;
        assert_int_equal(il_theory_cmap(&mf, f.qstar, c, &cn, ws), IL_OK);
        if (fabs(c - f.cstar) < RATIO_NEAR && isfinite(prev)) {
            assert_close_rel((cn - f.cstar) / (c - f.cstar), f.chi_c, RATIO_TOL);
            assert_close_rel(-1.0 / log(f.chi_c), f.xi_c, TEST_TOL1);
            checked = 1;
        }
        prev = c;
        c = cn;
    }
    assert_true(checked);
    /* slope of the c-map = its central difference */
    double sl, cp, cm;
    assert_int_equal(il_theory_cmap_slope(&mf, f.qstar, 0.5, &sl, ws), IL_OK);
    assert_int_equal(il_theory_cmap(&mf, f.qstar, 0.5 + FD_H, &cp, ws), IL_OK);
    assert_int_equal(il_theory_cmap(&mf, f.qstar, 0.5 - FD_H, &cm, ws), IL_OK);
    assert_close_rel(sl, (cp - cm) / (2.0 * FD_H), FD_TOL);
    /* slope of the q-map = its central difference */
    double qp, qm;
    assert_int_equal(il_theory_qmap_slope(&mf, 0.8, &sl, ws), IL_OK);
    assert_int_equal(il_theory_qmap(&mf, 0.8 + FD_H, &qp, ws), IL_OK);
    assert_int_equal(il_theory_qmap(&mf, 0.8 - FD_H, &qm, ws), IL_OK);
    assert_close_rel(sl, (qp - qm) / (2.0 * FD_H), FD_TOL);

    /* relu: chi_1 = 1 at the critical point sw2 = 2, sb2 = 0; depth scales infinite */
    il_act_default(IL_ACT_RELU, &mf.act);
    mf.sw2 = 2.0;
    mf.sb2 = 0.0;
    assert_int_equal(il_theory_fixed_points(&mf, 1.0, &f, ws), IL_OK);
    assert_close_rel(f.chi1, 1.0, QUAD_TOL);
    assert_true(f.cstar == 1.0 && isinf(f.xi_c));
    /* relu c-map = arc-cosine kernel; slope = its derivative */
    mf.sw2 = 1.7;
    mf.sb2 = 0.2;
    double q = 1.3;
    const double cs[] = {-1.0, -0.9, -0.3, 0.0, 0.4, 0.95, 1.0};
    for (int i = 0; i < 7; i++) {
        double cn;
        assert_int_equal(il_theory_cmap(&mf, q, cs[i], &cn, ws), IL_OK);
        assert_close_rel(cn, relu_cmap(mf.sw2, mf.sb2, q, cs[i], 1.0), QUAD_TOL);
        assert_int_equal(il_theory_cmap_slope(&mf, q, cs[i], &sl, ws), IL_OK);
        double want = mf.sw2 * q * (PI - acos(cs[i])) / (2.0 * PI) / (mf.sw2 * q / 2.0 + mf.sb2);
        assert_close_rel(sl, want, QUAD_TOL);
    }
    /* relu beyond criticality has no finite q* */
    mf.sw2 = 2.5;
    mf.sb2 = 0.0;
    double qs;
    assert_int_equal(il_theory_qstar(&mf, 1.0, &qs, ws), IL_ENUMERIC);
    il_theory_ws_free(ws);
}

/* Inverted dropout multiplies the diagonal term by 1/(1-p) but not the off-diagonal one, so the
 * c-map has c_map(1) < 1 and c* < 1 even at what would be the critical point. */
static void test_meanfield_dropout(void **state)
{
    (void)state;
    il_theory_ws *ws = il_theory_ws_alloc();
    il_theory_mf mf;
    il_theory_fixed f;
    assert_non_null(ws);
    il_theory_mf_default(&mf);
    il_act_default(IL_ACT_RELU, &mf.act);
    mf.sw2 = 1.5;
    mf.sb2 = 0.1;
    mf.p = 0.2;
    assert_int_equal(il_theory_fixed_points(&mf, 1.0, &f, ws), IL_OK);
    double keep = 1.0 - mf.p, qs = mf.sb2 / (1.0 - mf.sw2 / (2.0 * keep));
    assert_close_rel(f.qstar, qs, QSTAR_TOL);
    double c1;
    assert_int_equal(il_theory_cmap(&mf, f.qstar, 1.0, &c1, ws), IL_OK);
    assert_close_rel(c1, relu_cmap(mf.sw2, mf.sb2, qs, 1.0, keep), QUAD_TOL);
    assert_true(c1 < 1.0);
    /* c* from the closed form by bisection */
    double lo = 0.0, hi = 1.0;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (relu_cmap(mf.sw2, mf.sb2, qs, mid, keep) - mid > 0.0)
            lo = mid;
        else
            hi = mid;
    }
    assert_close_rel(f.cstar, 0.5 * (lo + hi), QUAD_TOL);
    assert_true(f.cstar < 1.0);
    /* for relu (positively homogeneous) dropout before and after the activation give the same maps;
     * for tanh they do not */
    double a1, a2;
    mf.drop_at = IL_DROP_BEFORE;
    assert_int_equal(il_theory_cmap(&mf, qs, 0.3, &a1, ws), IL_OK);
    mf.drop_at = IL_DROP_AFTER;
    assert_int_equal(il_theory_cmap(&mf, qs, 0.3, &a2, ws), IL_OK);
    assert_close_rel(a1, a2, QUAD_TOL);
    il_act_default(IL_ACT_TANH, &mf.act);
    assert_int_equal(il_theory_qmap(&mf, 1.0, &a1, ws), IL_OK);
    mf.drop_at = IL_DROP_BEFORE;
    assert_int_equal(il_theory_qmap(&mf, 1.0, &a2, ws), IL_OK);
    assert_true(fabs(a1 - a2) > 1e-3);
    il_theory_ws_free(ws);
}

int main(void)
{
    openblas_set_num_threads(1);
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quadrature_closed_forms),
        cmocka_unit_test(test_meanfield_maps),
        cmocka_unit_test(test_meanfield_dropout),
        cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_linear_stacks),
        cmocka_unit_test(test_input_variances),
        cmocka_unit_test(test_seed_problem2),
        cmocka_unit_test(test_relu_family),
        cmocka_unit_test(test_dropout_kinds),
        cmocka_unit_test(test_wide_and_orthogonal),
        cmocka_unit_test(test_residual),
        cmocka_unit_test(test_odd_bn_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
