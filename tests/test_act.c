/* test_act.c: activations (sim/act.c) against independent formulas (libm, GSL, and constants computed
 * with mpmath at 40 digits), finite-difference derivatives, PyTorch's kink conventions, strict parsing,
 * formatting round-trips and il_act_apply == il_act_eval. */
#include "testutil.h"

#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_erf.h>
#include <gsl/gsl_sf_log.h>

#include "act.h"

#define SELU_ALPHA 1.6732632423543772848170429916717
#define SELU_SCALE 1.0507009873554804934193349852946
#define SQRT1_2 0.70710678118654752440084436210484903928

/* Fails, printing both sides, unless |got - want| <= tol * |want| (relative, also for tiny values,
 * where assert_close_rel would only check an absolute error). want == 0 demands got == 0. */
#define assert_rel(got, want, tol)                                                                 \
    do {                                                                                          \
        double g_ = (got), w_ = (want), t_ = (tol);                                               \
        if (!(fabs(g_ - w_) <= t_ * fabs(w_)))                                                    \
            fail_msg("%s = %.17g, want %.17g (strict rel tol %.3g)", #got, g_, w_, t_);          \
    } while (0)

/* Same bits, or both NaN. */
static int same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static il_act mk(il_act_kind kind, double p1, double p2)
{
    il_act a = { kind, p1, p2 };
    return a;
}

static il_act dflt(il_act_kind kind)
{
    il_act a;
    il_act_default(kind, &a);
    return a;
}

/* Every kind with its defaults plus non-default parameters, each with:
 *   m3: a bound on |phi'''| on [-8, 8] away from kinks, for the finite-difference tolerance
 *       (sigmoid 1/8, tanh 2 (at 0), gelu 0.78 -> 1, silu 0.31 -> 0.5, softplus beta^2 * 0.0962 ->
 *       beta^2 / 8, elu alpha, selu scale*alpha; the piecewise linear ones 0), and
 *   kinks: where phi' jumps, to keep the finite differences away from them. */
struct variant {
    il_act a;
    double m3;
    int nk;
    double kinks[2];
};

static const struct variant variants[] = {
    { { IL_ACT_IDENTITY, 0, 0 }, 0.0, 0, { 0 } },
    { { IL_ACT_RELU, 0, 0 }, 0.0, 1, { 0.0 } },
    { { IL_ACT_LEAKY_RELU, 0.01, 0 }, 0.0, 1, { 0.0 } },
    { { IL_ACT_LEAKY_RELU, 0.2, 0 }, 0.0, 1, { 0.0 } },
    { { IL_ACT_PRELU, 0.25, 0 }, 0.0, 1, { 0.0 } },
    { { IL_ACT_PRELU, -0.5, 0 }, 0.0, 1, { 0.0 } },
    { { IL_ACT_ABS, 0, 0 }, 0.0, 1, { 0.0 } },
    { { IL_ACT_SIGMOID, 0, 0 }, 0.125, 0, { 0 } },
    { { IL_ACT_TANH, 0, 0 }, 2.0, 0, { 0 } },
    { { IL_ACT_GELU, 0, 0 }, 1.0, 0, { 0 } },
    { { IL_ACT_ELU, 1.0, 0 }, 1.0, 1, { 0.0 } },
    { { IL_ACT_ELU, 2.5, 0 }, 2.5, 1, { 0.0 } },
    { { IL_ACT_SELU, 0, 0 }, SELU_SCALE * SELU_ALPHA, 1, { 0.0 } },
    { { IL_ACT_SOFTPLUS, 1.0, 20.0 }, 0.125, 0, { 0 } },
    { { IL_ACT_SOFTPLUS, 2.0, 5.0 }, 0.5, 1, { 2.5 } },
    { { IL_ACT_SOFTPLUS, 0.5, 1.0 }, 0.03125, 1, { 2.0 } },
    { { IL_ACT_SILU, 0, 0 }, 0.5, 0, { 0 } },
    { { IL_ACT_RELU6, 0, 0 }, 0.0, 2, { 0.0, 6.0 } },
    { { IL_ACT_HARDTANH, -1.0, 1.0 }, 0.0, 2, { -1.0, 1.0 } },
    { { IL_ACT_HARDTANH, -2.0, 3.0 }, 0.0, 2, { -2.0, 3.0 } },
};
#define N_VARIANTS (sizeof variants / sizeof variants[0])

static void test_defaults_and_names(void **state)
{
    (void)state;
    il_act a;
    il_act_default(IL_ACT_LEAKY_RELU, &a);
    assert_true(a.kind == IL_ACT_LEAKY_RELU && a.p1 == 0.01 && a.p2 == 0.0);
    il_act_default(IL_ACT_PRELU, &a);
    assert_true(a.p1 == 0.25 && a.p2 == 0.0);
    il_act_default(IL_ACT_ELU, &a);
    assert_true(a.p1 == 1.0 && a.p2 == 0.0);
    il_act_default(IL_ACT_SOFTPLUS, &a);
    assert_true(a.p1 == 1.0 && a.p2 == 20.0);
    il_act_default(IL_ACT_HARDTANH, &a);
    assert_true(a.p1 == -1.0 && a.p2 == 1.0);
    il_act_default(IL_ACT_GELU, &a);
    assert_true(a.kind == IL_ACT_GELU && a.p1 == 0.0 && a.p2 == 0.0);

    /* il_act_names is il_act_name over all kinds joined by ", ", and each name parses to its kind
     * with default parameters. */
    char joined[512] = "";
    for (int k = 0; k < IL_ACT_COUNT; k++) {
        const char *name = il_act_name((il_act_kind)k);
        assert_non_null(name);
        if (k > 0)
            strcat(joined, ", ");
        strcat(joined, name);
        il_act p, d = dflt((il_act_kind)k);
        assert_int_equal(il_act_parse(name, &p), IL_OK);
        assert_int_equal(p.kind, k);
        assert_true(same_double(p.p1, d.p1) && same_double(p.p2, d.p2));
    }
    assert_string_equal(il_act_names(), joined);
    assert_string_equal(il_act_name(IL_ACT_COUNT), "unknown");
    il_act bad = { IL_ACT_COUNT, 0, 0 };
    assert_true(isnan(il_act_eval(&bad, 1.0)) && isnan(il_act_deriv(&bad, 1.0)));
}

/* Piecewise linear kinds: exact values. */
static void test_values_exact(void **state)
{
    (void)state;
    il_act relu = dflt(IL_ACT_RELU), leaky = dflt(IL_ACT_LEAKY_RELU), prelu = dflt(IL_ACT_PRELU);
    il_act abs_ = dflt(IL_ACT_ABS), id = dflt(IL_ACT_IDENTITY), r6 = dflt(IL_ACT_RELU6);
    il_act ht = dflt(IL_ACT_HARDTANH), ht2 = mk(IL_ACT_HARDTANH, -2.0, 3.0);

    assert_true(il_act_eval(&id, -3.25) == -3.25);
    assert_true(il_act_eval(&relu, -3.0) == 0.0 && il_act_eval(&relu, 2.5) == 2.5);
    assert_true(il_act_eval(&relu, 0.0) == 0.0);
    assert_true(il_act_eval(&leaky, -3.0) == 0.01 * -3.0 && il_act_eval(&leaky, 2.5) == 2.5);
    assert_true(il_act_eval(&prelu, -3.0) == -0.75 && il_act_eval(&prelu, 2.5) == 2.5);
    assert_true(il_act_eval(&abs_, -3.0) == 3.0 && il_act_eval(&abs_, 2.5) == 2.5);
    assert_true(il_act_eval(&r6, -1.0) == 0.0 && il_act_eval(&r6, 3.5) == 3.5);
    assert_true(il_act_eval(&r6, 6.0) == 6.0 && il_act_eval(&r6, 7.0) == 6.0);
    assert_true(il_act_eval(&ht, -5.0) == -1.0 && il_act_eval(&ht, 0.5) == 0.5);
    assert_true(il_act_eval(&ht, 5.0) == 1.0);
    assert_true(il_act_eval(&ht2, -5.0) == -2.0 && il_act_eval(&ht2, 2.75) == 2.75);
    assert_true(il_act_eval(&ht2, 5.0) == 3.0);

    /* leaky_relu is computed branch-free; it must equal PyTorch's x >= 0 ? x : slope * x for every
     * slope (NaN and tiny products included). Only the sign of a zero result is not checked: GCC
     * keeps it too, but clang 14 folds x < 0 ? -0.0 : x into x <= 0 ? -0.0 : x. */
    const double slopes[] = { 0.01, 0.2, 0.0, 1.0, 3.0, -0.5, -0.0 };
    const double xs[] = { 0.0, -0.0, 1e-320, -1e-320, -DBL_MIN, DBL_MAX, -DBL_MAX, -2.5, 7.0, NAN };
    for (size_t s = 0; s < sizeof slopes / sizeof slopes[0]; s++)
        for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
            il_act a = mk(IL_ACT_LEAKY_RELU, slopes[s], 0.0);
            double x = xs[i], want = x >= 0.0 ? x : slopes[s] * x;
            double got = il_act_eval(&a, x);
            if (!(got == want || (isnan(got) && isnan(want))))
                fail_msg("leaky_relu:%g(%g) = %.17g, want %.17g", slopes[s], x, got, want);
        }
    /* NaN propagates through the clamps too. */
    assert_true(isnan(il_act_eval(&relu, NAN)) && isnan(il_act_eval(&r6, NAN)));
    assert_true(isnan(il_act_eval(&ht, NAN)));
}

/* Smooth kinds at ordinary points, against formulas that share no code with act.c: GSL's erf and
 * Gaussian cdf, plain exp/log forms where they are accurate, and mpmath constants. Each reference
 * and each implementation has a few ulps of error: TEST_TOL1 (16 eps) covers both. */
static void test_values_smooth(void **state)
{
    (void)state;
    const double tol = TEST_TOL1;
    il_act sig = dflt(IL_ACT_SIGMOID), th = dflt(IL_ACT_TANH), gelu = dflt(IL_ACT_GELU);
    il_act elu = dflt(IL_ACT_ELU), elu2 = mk(IL_ACT_ELU, 2.5, 0.0), selu = dflt(IL_ACT_SELU);
    il_act sp = dflt(IL_ACT_SOFTPLUS), sp2 = mk(IL_ACT_SOFTPLUS, 2.0, 20.0), silu = dflt(IL_ACT_SILU);

    for (double x = -30.0; x <= 30.0; x += 0.75) {
        assert_rel(il_act_eval(&sig, x), 1.0 / (1.0 + exp(-x)), tol);
        assert_rel(il_act_eval(&silu, x), x / (1.0 + exp(-x)), tol);
    }
    /* gelu = x Phi(x): GSL's erf where 1 + erf has no cancellation, GSL's Gaussian cdf everywhere.
     * In the left tail act.c's 0.5 x erfc(-x/sqrt2) inherits the rounding of z = x/sqrt2 (|dz| <=
     * eps |z|), amplified by erfc's condition number |z erfc'(z) / erfc(z)| <= 2 z^2 + 1 = x^2 + 1:
     * relative error up to (x^2 + 1) eps (3e-14 at x = -12, where |gelu| ~ 2e-32). */
    for (double x = -0.5; x <= 6.0; x += 0.25)
        assert_rel(il_act_eval(&gelu, x), 0.5 * x * (1.0 + gsl_sf_erf(x * SQRT1_2)), tol);
    for (double x = -12.0; x <= 6.0; x += 0.25)
        assert_rel(il_act_eval(&gelu, x), x * gsl_cdf_ugaussian_P(x), tol + (x * x + 1.0) * DBL_EPSILON);
    assert_rel(il_act_eval(&gelu, -1.0), -0.15865525393145705141, tol);
    assert_rel(il_act_eval(&gelu, -10.0), -7.619853024160526066e-23, tol + 101.0 * DBL_EPSILON);
    assert_rel(il_act_eval(&gelu, -30.0), -1.4720141781444561179e-196, tol + 901.0 * DBL_EPSILON);

    for (double x = -3.0; x <= 3.0; x += 0.375) /* (e^2x - 1)/(e^2x + 1), |x| >= 0.375: no cancellation */
        if (fabs(x) > 0.3)
            assert_rel(il_act_eval(&th, x), (exp(2 * x) - 1.0) / (exp(2 * x) + 1.0), tol);
    assert_rel(il_act_eval(&th, 0.5), 0.4621171572600097585, tol);

    for (double x = -8.0; x <= -0.5; x += 0.5) { /* exp(x) - 1 without cancellation for x <= -0.5 */
        assert_rel(il_act_eval(&elu, x), exp(x) - 1.0, tol);
        assert_rel(il_act_eval(&elu2, x), 2.5 * (exp(x) - 1.0), tol);
        assert_rel(il_act_eval(&selu, x), SELU_SCALE * (SELU_ALPHA * (exp(x) - 1.0)), tol);
    }
    assert_true(il_act_eval(&elu2, 1.5) == 1.5);
    assert_rel(il_act_eval(&elu, -0x1p-27), -7.4505805691682525783e-9, tol); /* expm1, not exp - 1 */
    assert_rel(il_act_eval(&selu, -1.0), -1.1113307378125627618, tol);
    assert_rel(il_act_eval(&selu, 2.0), 2.0 * SELU_SCALE, tol);

    /* log(1 + e^x) loses e^-x relative digits for x < 0 (1 + e^x rounds): GSL's log(1 + y) there. */
    for (double x = -10.0; x <= 15.0; x += 0.5) {
        assert_rel(il_act_eval(&sp, x), x < 0.0 ? gsl_sf_log_1plusx(exp(x)) : log(1.0 + exp(x)), tol);
        if (2.0 * x <= 20.0) /* below the threshold; above it softplus is x (test_kink_conventions) */
            assert_rel(il_act_eval(&sp2, x),
                       0.5 * (x < 0.0 ? gsl_sf_log_1plusx(exp(2.0 * x)) : log(1.0 + exp(2.0 * x))), tol);
    }
    assert_rel(il_act_eval(&sp, 15.0), 15.000000305902273714, tol);
    assert_rel(il_act_eval(&sp, -40.0), 4.2483542552915889863e-18, tol);
    assert_rel(il_act_eval(&sp2, 0.375), 0.56843550305744997183, tol);
}

/* Tails and extremes: no overflow to NaN, correct limits, relative accuracy where values are tiny. */
static void test_asymptotics(void **state)
{
    (void)state;
    const double tol = TEST_TOL1;
    il_act sig = dflt(IL_ACT_SIGMOID), th = dflt(IL_ACT_TANH), gelu = dflt(IL_ACT_GELU);
    il_act sp = dflt(IL_ACT_SOFTPLUS), silu = dflt(IL_ACT_SILU), elu = dflt(IL_ACT_ELU);
    il_act selu = dflt(IL_ACT_SELU);

    /* sigmoid(-800) = e^-800 ~ 4e-348 is below the smallest subnormal: it must round to 0, not NaN. */
    assert_true(il_act_eval(&sig, -800.0) == 0.0);
    assert_rel(il_act_eval(&sig, -700.0), 9.8596765437597708567e-305, tol);
    assert_rel(il_act_eval(&sig, -40.0), 4.2483542552915889773e-18, tol);
    assert_true(il_act_eval(&sig, 800.0) == 1.0);
    assert_rel(il_act_deriv(&sig, 40.0), 4.2483542552915889592e-18, tol); /* not 1 - s(40) = 0 */
    assert_rel(il_act_deriv(&sig, -40.0), 4.2483542552915889592e-18, tol);
    assert_rel(il_act_deriv(&th, 20.0), 1.6993417021166355837e-17, tol); /* not 1 - tanh^2 = 0 */
    assert_true(il_act_eval(&th, 1000.0) == 1.0 && il_act_eval(&th, -1000.0) == -1.0);

    assert_true(il_act_eval(&sp, 1000.0) == 1000.0);
    assert_true(il_act_eval(&sp, -1000.0) == 0.0);
    il_act sp_big = mk(IL_ACT_SOFTPLUS, 1.0, 1e6); /* threshold not reached: still no overflow */
    assert_true(il_act_eval(&sp_big, 800.0) == 800.0);
    assert_true(il_act_deriv(&sp_big, 800.0) == 1.0);

    double g = il_act_eval(&gelu, -40.0); /* -40 Phi(-40) ~ -1e-350: -0 */
    assert_true(g == 0.0);
    assert_true(il_act_eval(&gelu, 40.0) == 40.0);
    assert_true(il_act_deriv(&gelu, 40.0) == 1.0 && il_act_deriv(&gelu, -40.0) == 0.0);
    assert_rel(il_act_deriv(&gelu, -10.0), -7.6184000964648140857e-22, tol);

    assert_rel(il_act_eval(&silu, -40.0), -1.6993417021166355909e-16, tol);
    assert_rel(il_act_deriv(&silu, -40.0), -1.6568581595637196939e-16, tol);
    assert_true(il_act_eval(&silu, -800.0) == 0.0 && il_act_eval(&silu, 800.0) == 800.0);

    assert_true(il_act_eval(&elu, -1000.0) == -1.0);
    assert_rel(il_act_eval(&selu, -1000.0), -SELU_SCALE * SELU_ALPHA, tol);

    /* Every variant, value and derivative, finite on a grid over [-1e3, 1e3]; ranges respected. */
    for (size_t v = 0; v < N_VARIANTS; v++) {
        const il_act *a = &variants[v].a;
        for (int i = 0; i <= 8000; i++) {
            double x = -1000.0 + 0.25 * i;
            double f = il_act_eval(a, x), d = il_act_deriv(a, x);
            if (!isfinite(f) || !isfinite(d))
                fail_msg("%s(%g) = %g, derivative %g", il_act_name(a->kind), x, f, d);
            if ((a->kind == IL_ACT_SIGMOID && !(f >= 0.0 && f <= 1.0)) ||
                (a->kind == IL_ACT_TANH && !(f >= -1.0 && f <= 1.0)) ||
                (a->kind == IL_ACT_SOFTPLUS && !(f >= 0.0)))
                fail_msg("%s(%g) = %g out of range", il_act_name(a->kind), x, f);
        }
    }
}

/* Finite-difference check with step H. The central difference (f(x+h) - f(x-h)) / (xp - xm), using
 * the step actually represented, differs from f'(x) by at most
 *   truncation  h^2 / 6 * max|f'''|
 *   rounding    TEST_TOL1 * max(|f(xp)|, |f(xm)|) / h   (f evaluated to within 16 eps, relative)
 * plus TEST_TOL1 * |f'(x)| for the rounding of il_act_deriv itself. With h = 1e-5 and |f| <= 8 on
 * [-8, 8]: ~3e-11 + ~3e-9. Returns the number of grid points outside that bound; `bias` is added to
 * the analytic derivative so the test of the test can feed it a wrong one. */
#define FD_H 1e-5

static int fd_failures(const struct variant *var, double bias, int verbose)
{
    const il_act *a = &var->a;
    int bad = 0;
    for (int k = 0; k < 256; k++) {
        double x = -8.0 + k / 16.0 + 1.0 / 64.0; /* kinks in the table lie on the 1/16 grid */
        int near_kink = 0;
        for (int j = 0; j < var->nk; j++)
            near_kink |= fabs(x - var->kinks[j]) < 4.0 * FD_H;
        if (near_kink)
            continue;
        double xp = x + FD_H, xm = x - FD_H;
        double fp = il_act_eval(a, xp), fm = il_act_eval(a, xm);
        double fd = (fp - fm) / (xp - xm);
        double d = il_act_deriv(a, x) + bias;
        double h = 0.5 * (xp - xm);
        double tol = h * h / 6.0 * var->m3 + TEST_TOL1 * fmax(fabs(fp), fabs(fm)) / h + TEST_TOL1 * fabs(d);
        if (!(fabs(fd - d) <= tol)) {
            if (verbose && bad == 0)
                print_message("%s:%g:%g at x = %g: derivative %.17g, central difference %.17g, tol %.3g\n",
                              il_act_name(a->kind), a->p1, a->p2, x, d, fd, tol);
            bad++;
        }
    }
    return bad;
}

static void test_deriv_finite_difference(void **state)
{
    (void)state;
    for (size_t v = 0; v < N_VARIANTS; v++) {
        int bad = fd_failures(&variants[v], 0.0, 1);
        if (bad)
            fail_msg("%s: %d grid points fail the finite-difference check",
                     il_act_name(variants[v].a.kind), bad);
        /* Test of the test: a derivative off by 1e-6 (~300 times the bound) fails everywhere. */
        if (fd_failures(&variants[v], 1e-6, 0) == 0)
            fail_msg("%s: finite-difference check accepted a wrong derivative",
                     il_act_name(variants[v].a.kind));
    }
}

/* At the kinks, PyTorch's autograd values (see act.h). */
static void test_kink_conventions(void **state)
{
    (void)state;
    il_act relu = dflt(IL_ACT_RELU), leaky = dflt(IL_ACT_LEAKY_RELU), prelu = dflt(IL_ACT_PRELU);
    il_act abs_ = dflt(IL_ACT_ABS), r6 = dflt(IL_ACT_RELU6), ht = dflt(IL_ACT_HARDTANH);
    il_act ht2 = mk(IL_ACT_HARDTANH, -2.0, 3.0), elu = dflt(IL_ACT_ELU), elu2 = mk(IL_ACT_ELU, 2.5, 0.0);
    il_act selu = dflt(IL_ACT_SELU), sp = mk(IL_ACT_SOFTPLUS, 2.0, 5.0), id = dflt(IL_ACT_IDENTITY);
    il_act leaky2 = mk(IL_ACT_LEAKY_RELU, 0.2, 0.0);
    const double tiny = 1e-300;

    assert_true(il_act_deriv(&id, 0.0) == 1.0);
    assert_true(il_act_deriv(&relu, 0.0) == 0.0 && il_act_deriv(&relu, -0.0) == 0.0);
    assert_true(il_act_deriv(&relu, tiny) == 1.0 && il_act_deriv(&relu, -tiny) == 0.0);
    assert_true(il_act_deriv(&leaky, 0.0) == 0.01 && il_act_deriv(&leaky, tiny) == 1.0);
    assert_true(il_act_deriv(&leaky2, 0.0) == 0.2 && il_act_deriv(&leaky2, -tiny) == 0.2);
    assert_true(il_act_deriv(&prelu, 0.0) == 0.25 && il_act_deriv(&prelu, -1.0) == 0.25);
    assert_true(il_act_deriv(&abs_, 0.0) == 0.0 && il_act_deriv(&abs_, -0.0) == 0.0);
    assert_true(il_act_deriv(&abs_, -tiny) == -1.0 && il_act_deriv(&abs_, tiny) == 1.0);
    assert_true(il_act_deriv(&r6, 0.0) == 0.0 && il_act_deriv(&r6, 6.0) == 0.0);
    assert_true(il_act_deriv(&r6, tiny) == 1.0 && il_act_deriv(&r6, nextafter(6.0, 0.0)) == 1.0);
    assert_true(il_act_deriv(&r6, -1.0) == 0.0 && il_act_deriv(&r6, 7.0) == 0.0);
    assert_true(il_act_deriv(&ht, -1.0) == 0.0 && il_act_deriv(&ht, 1.0) == 0.0);
    assert_true(il_act_deriv(&ht, 0.0) == 1.0 && il_act_deriv(&ht, nextafter(1.0, 0.0)) == 1.0);
    assert_true(il_act_deriv(&ht2, -2.0) == 0.0 && il_act_deriv(&ht2, 3.0) == 0.0);
    assert_true(il_act_deriv(&ht2, nextafter(-2.0, 0.0)) == 1.0);
    /* elu_backward takes the x <= 0 branch at 0: alpha * exp(0) = alpha; selu: scale * alpha. */
    assert_true(il_act_deriv(&elu, 0.0) == 1.0 && il_act_deriv(&elu2, 0.0) == 2.5);
    assert_true(il_act_deriv(&elu2, tiny) == 1.0);
    assert_rel(il_act_deriv(&selu, 0.0), 1.7580993408473768599, TEST_TOL0);
    assert_true(il_act_deriv(&selu, tiny) == SELU_SCALE);
    /* softplus: beta x > threshold is the linear branch (slope 1); at beta x == threshold it is
     * still sigmoid(threshold). */
    assert_rel(il_act_deriv(&sp, 2.5), 1.0 / (1.0 + exp(-5.0)), TEST_TOL1);
    assert_true(il_act_deriv(&sp, nextafter(2.5, 3.0)) == 1.0);
    assert_rel(il_act_eval(&sp, 2.5), 0.5 * log1p(exp(5.0)), TEST_TOL1);
    assert_true(il_act_eval(&sp, nextafter(2.5, 3.0)) == nextafter(2.5, 3.0));
}

static void test_parse_good(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        il_act_kind kind;
        double p1, p2;
    } good[] = {
        { "identity", IL_ACT_IDENTITY, 0, 0 },
        { "linear", IL_ACT_IDENTITY, 0, 0 },
        { "relu", IL_ACT_RELU, 0, 0 },
        { "leaky_relu", IL_ACT_LEAKY_RELU, 0.01, 0 },
        { "leaky_relu:0.2", IL_ACT_LEAKY_RELU, 0.2, 0 },
        { "leaky_relu:+0.2", IL_ACT_LEAKY_RELU, 0.2, 0 },
        { "leaky_relu:-1.5e-1", IL_ACT_LEAKY_RELU, -0.15, 0 },
        { "leaky_relu:0", IL_ACT_LEAKY_RELU, 0, 0 },
        { "prelu", IL_ACT_PRELU, 0.25, 0 },
        { "prelu:.5", IL_ACT_PRELU, 0.5, 0 },
        { "abs", IL_ACT_ABS, 0, 0 },
        { "sigmoid", IL_ACT_SIGMOID, 0, 0 },
        { "tanh", IL_ACT_TANH, 0, 0 },
        { "gelu", IL_ACT_GELU, 0, 0 },
        { "elu", IL_ACT_ELU, 1, 0 },
        { "elu:2", IL_ACT_ELU, 2, 0 },
        { "elu:1e-3", IL_ACT_ELU, 1e-3, 0 },
        { "selu", IL_ACT_SELU, 0, 0 },
        { "softplus", IL_ACT_SOFTPLUS, 1, 20 },
        { "softplus:2", IL_ACT_SOFTPLUS, 2, 20 },
        { "softplus:2:10", IL_ACT_SOFTPLUS, 2, 10 },
        { "silu", IL_ACT_SILU, 0, 0 },
        { "swish", IL_ACT_SILU, 0, 0 },
        { "relu6", IL_ACT_RELU6, 0, 0 },
        { "hardtanh", IL_ACT_HARDTANH, -1, 1 },
        { "hardtanh:-2", IL_ACT_HARDTANH, -2, 1 },
        { "hardtanh:-2:2", IL_ACT_HARDTANH, -2, 2 },
        { "hardtanh:0:6", IL_ACT_HARDTANH, 0, 6 },
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        il_act a = { IL_ACT_TANH, 42.0, 43.0 };
        il_status rc = il_act_parse(good[i].text, &a);
        if (rc != IL_OK)
            fail_msg("il_act_parse(\"%s\") = %s, want success", good[i].text, il_strerror(rc));
        if (a.kind != good[i].kind || a.p1 != good[i].p1 || a.p2 != good[i].p2)
            fail_msg("il_act_parse(\"%s\") = {%s, %g, %g}, want {%s, %g, %g}", good[i].text,
                     il_act_name(a.kind), a.p1, a.p2, il_act_name(good[i].kind), good[i].p1, good[i].p2);
    }
}

static void test_parse_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", ":", "Relu", "RELU", "relu ", " relu", "relu:", "relu:1", "relu6:", "selu:1",
        "gelu:tanh", "linear:1", "swish:1", "unknown", "sigmoid:0", "re", "relux", "leaky",
        "leaky_relu:", "leaky_relu::", "leaky_relu:abc", "leaky_relu:0.2x", "leaky_relu:0.2 ",
        "leaky_relu: 0.2", "leaky_relu:nan", "leaky_relu:NaN", "leaky_relu:inf", "leaky_relu:-inf",
        "leaky_relu:infinity", "leaky_relu:1e999", "leaky_relu:-1e999", "leaky_relu:1e-400",
        "leaky_relu:0.1:0.2", "leaky_relu:0.1:", "prelu:1,", "leaky_relu:0x", "leaky_relu:1e",
        "leaky_relu:--1", "elu:0", "elu:-0", "elu:-1", "softplus:0", "softplus:-1", "softplus:1:0",
        "softplus:1:-5", "softplus:1:20:3", "softplus::20", "softplus:1:", "hardtanh:1:1",
        "hardtanh:2:1", "hardtanh:2", "hardtanh::1", "hardtanh:-1:", "hardtanh:-1:1:0",
        "hardtanh:-inf:1", "hardtanh:-1:nan",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        il_act a = { IL_ACT_TANH, 42.0, 43.0 };
        il_status rc = il_act_parse(bad[i], &a);
        if (rc != IL_EINVAL)
            fail_msg("il_act_parse(\"%s\") = %s, want %s", bad[i], il_strerror(rc), il_strerror(IL_EINVAL));
        if (a.kind != IL_ACT_TANH || a.p1 != 42.0 || a.p2 != 43.0)
            fail_msg("il_act_parse(\"%s\") failed but changed *out", bad[i]);
    }
    il_act a;
    assert_int_equal(il_act_parse(NULL, &a), IL_EINVAL);
    assert_int_equal(il_act_parse("relu", NULL), IL_EINVAL);
}

static void test_format_roundtrip(void **state)
{
    (void)state;
    char buf[128];
    static const struct {
        il_act_kind kind;
        const char *text;
    } canon[] = {
        { IL_ACT_RELU, "relu" },
        { IL_ACT_LEAKY_RELU, "leaky_relu:0.01" },
        { IL_ACT_PRELU, "prelu:0.25" },
        { IL_ACT_ELU, "elu:1" },
        { IL_ACT_SOFTPLUS, "softplus:1:20" },
        { IL_ACT_HARDTANH, "hardtanh:-1:1" },
        { IL_ACT_IDENTITY, "identity" },
        { IL_ACT_SILU, "silu" },
    };
    for (size_t i = 0; i < sizeof canon / sizeof canon[0]; i++) {
        il_act a = dflt(canon[i].kind);
        int len = il_act_format(&a, buf, sizeof buf);
        assert_string_equal(buf, canon[i].text);
        assert_int_equal(len, (int)strlen(canon[i].text));
    }
    /* Parameters in their shortest round-trip form: 0.2, not 0.20000000000000001. */
    {
        il_act a = mk(IL_ACT_LEAKY_RELU, 0.2, 0.0);
        il_act_format(&a, buf, sizeof buf);
        assert_string_equal(buf, "leaky_relu:0.2");
        a = mk(IL_ACT_HARDTANH, -0.1, 0.1 + 0.2);
        il_act_format(&a, buf, sizeof buf);
        assert_string_equal(buf, "hardtanh:-0.1:0.30000000000000004");
    }

    /* Every variant plus awkward parameters: format -> parse gives the same bits back. */
    il_act list[N_VARIANTS + 7];
    size_t n = 0;
    for (size_t v = 0; v < N_VARIANTS; v++)
        list[n++] = variants[v].a;
    list[n++] = mk(IL_ACT_LEAKY_RELU, 0.1, 0.0);
    list[n++] = mk(IL_ACT_PRELU, 1.0 / 3.0, 0.0);
    list[n++] = mk(IL_ACT_LEAKY_RELU, -0.0, 0.0);
    list[n++] = mk(IL_ACT_ELU, nextafter(1.0, 2.0), 0.0);
    list[n++] = mk(IL_ACT_SOFTPLUS, 1e-300, 1.7976931348623157e308);
    list[n++] = mk(IL_ACT_HARDTANH, -0.1, 0.1 + 0.2);
    list[n++] = mk(IL_ACT_HARDTANH, -DBL_MAX, DBL_MIN);
    for (size_t i = 0; i < n; i++) {
        int len = il_act_format(&list[i], buf, sizeof buf);
        assert_true(len > 0 && (size_t)len < sizeof buf);
        il_act back = { IL_ACT_COUNT, 0, 0 };
        il_status rc = il_act_parse(buf, &back);
        if (rc != IL_OK || back.kind != list[i].kind || !same_double(back.p1, list[i].p1) ||
            !same_double(back.p2, list[i].p2))
            fail_msg("\"%s\" did not round-trip (%s; {%s, %.17g, %.17g})", buf, il_strerror(rc),
                     il_act_name(back.kind), back.p1, back.p2);
    }

    /* Short buffers: truncated and NUL-terminated, return value as snprintf. */
    il_act a = mk(IL_ACT_HARDTANH, -2.0, 2.0);
    char small[5] = "xxxx";
    assert_int_equal(il_act_format(&a, small, sizeof small), (int)strlen("hardtanh:-2:2"));
    assert_string_equal(small, "hard");
    assert_int_equal(il_act_format(&a, NULL, 0), (int)strlen("hardtanh:-2:2"));
}

/* il_act_apply gives il_act_eval's values bit for bit, for every kind, on an odd-length array (so
 * vectorised loops run their remainder too) with signed zeros, kinks, extremes and NaN. */
static void test_apply_equals_eval(void **state)
{
    (void)state;
    enum { N = 1001 };
    static double x[N], y[N];
    static const double special[] = { 0.0, -0.0, 6.0, -1.0, 1.0, -2.0, 3.0, 2.5, 1e-300, -1e-300,
                                      1e-320, -1e-320, 700.0, -700.0, 800.0, -800.0, 1e3, -1e3,
                                      DBL_MAX, -DBL_MAX, NAN };
    const size_t ns = sizeof special / sizeof special[0];
    for (size_t i = 0; i < N; i++)
        x[i] = i < ns ? special[i] : -60.0 + 0.123 * (double)(i - ns);

    il_act all[N_VARIANTS + IL_ACT_COUNT];
    size_t n = 0;
    for (size_t v = 0; v < N_VARIANTS; v++)
        all[n++] = variants[v].a;
    for (int k = 0; k < IL_ACT_COUNT; k++) /* defaults as il_act_default sets them */
        all[n++] = dflt((il_act_kind)k);
    for (size_t v = 0; v < n; v++) {
        memcpy(y, x, sizeof y);
        il_act_apply(&all[v], y, N);
        for (size_t i = 0; i < N; i++) {
            double want = il_act_eval(&all[v], x[i]);
            if (!same_double(y[i], want))
                fail_msg("%s:%g:%g: apply(%.17g) = %.17g, eval = %.17g", il_act_name(all[v].kind), all[v].p1,
                         all[v].p2, x[i], y[i], want);
        }
    }
    il_act_apply(&all[0], NULL, 0); /* n = 0 touches nothing */
    il_act relu = dflt(IL_ACT_RELU);
    il_act_apply(&relu, NULL, 0);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_names),
        cmocka_unit_test(test_values_exact),
        cmocka_unit_test(test_values_smooth),
        cmocka_unit_test(test_asymptotics),
        cmocka_unit_test(test_deriv_finite_difference),
        cmocka_unit_test(test_kink_conventions),
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_format_roundtrip),
        cmocka_unit_test(test_apply_equals_eval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
