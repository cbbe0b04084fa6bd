/* test_verdict.c: the verdict rule (analysis/verdict.c) on constructed cases, Holm's procedure against
 * hand-worked adjusted p-values, the se = 0 and untestable cases, and calibration by simulation:
 * false refutations and false confirmations at most alpha, the planned power reached at n_needed,
 * and the Student reference holding its level where the normal one does not.
 *
 * Reference quantiles are independent of GSL: normal ones from Python's statistics.NormalDist,
 * Student ones from mpmath (30 digits, regularized incomplete beta). */
#include "testutil.h"

#include <fenv.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "verdict.h"

/* Upper quantiles Q^-1(a). */
#define ZQ_5E4 3.2905267314919255   /* N(0,1), a = 5e-4 (two-sided 1e-3) */
#define ZQ_1E3 3.090232306167813    /* N(0,1), a = 1e-3 */
#define ZQ_0_2 0.8416212335729144   /* N(0,1), a = 0.2 */
#define ZQ_0_1 1.2815515655446008   /* N(0,1), a = 0.1 */
#define ZQ_0_025 1.959963984540054  /* N(0,1), a = 0.025 */
#define T9_5E4 4.780912585931139    /* t_9, a = 5e-4 */
#define T9_0_2 0.8834038596855345   /* t_9, a = 0.2 */
#define T1_0_025 12.706204736174705 /* t_1, a = 0.025 */

/* Binomial rate checks fail only past a tail probability equal to the normal tail at Z_THRESHOLD. */
#define BINOM_TAIL_Z Z_THRESHOLD
static double binom_tail(void)
{
    return gsl_cdf_ugaussian_Q(BINOM_TAIL_Z);
}

/* P(Bin(n, p0) >= x) */
static double binom_ge(unsigned x, unsigned n, double p0)
{
    return x == 0 ? 1.0 : gsl_cdf_binomial_Q(x - 1, p0, n);
}

/* P(Bin(n, p0) <= x) */
static double binom_le(unsigned x, unsigned n, double p0)
{
    return gsl_cdf_binomial_P(x, p0, n);
}

/* The observed count x of n must not be implausibly high for a rate <= p0. */
#define assert_rate_at_most(x, n, p0, what)                                                          \
    do {                                                                                             \
        double t_ = binom_ge((x), (n), (p0));                                                        \
        if (!(t_ >= binom_tail()))                                                                   \
            fail_msg("%s: %u of %u (rate %.4g) is too many for a rate <= %.4g: P(X >= x) = %.3g", \
                     (what), (unsigned)(x), (unsigned)(n), (double)(x) / (n), (double)(p0), t_);     \
    } while (0)

/* ... nor implausibly low for a rate >= p0. */
#define assert_rate_at_least(x, n, p0, what)                                                         \
    do {                                                                                             \
        double t_ = binom_le((x), (n), (p0));                                                        \
        if (!(t_ >= binom_tail()))                                                                   \
            fail_msg("%s: %u of %u (rate %.4g) is too few for a rate >= %.4g: P(X <= x) = %.3g",  \
                     (what), (unsigned)(x), (unsigned)(n), (double)(x) / (n), (double)(p0), t_);     \
    } while (0)

static il_verdict_opts opts_with(double alpha, il_verdict_ref ref)
{
    il_verdict_opts o;
    il_verdict_opts_default(&o);
    o.alpha = alpha;
    o.ref = ref;
    return o;
}

/* One item, default options except the reference. */
static il_verdict_item one(double est, double se, double value, size_t draws, il_verdict_ref ref)
{
    il_verdict_opts o = opts_with(IL_VERDICT_ALPHA, ref);
    il_verdict_item it;
    il_verdict_summary s;
    assert_int_equal(il_verdict_family(&est, &se, &value, NULL, 1, draws, &o, &it, &s), IL_OK);
    assert_int_equal(s.overall, it.verdict);
    return it;
}

static void test_names_and_defaults(void **state)
{
    (void)state;
    assert_string_equal(il_verdict_name(IL_VERDICT_CONSISTENT), "consistent");
    assert_string_equal(il_verdict_name(IL_VERDICT_REFUTED), "refuted");
    assert_string_equal(il_verdict_name(IL_VERDICT_INCONCLUSIVE), "inconclusive");
    assert_string_equal(il_verdict_name((il_verdict)42), "unknown");
    il_verdict_opts o;
    il_verdict_opts_default(&o);
    assert_true(o.alpha == 1e-3 && o.rel_tol == 0.01 && o.abs_tol == 0.0 && o.beta == 0.2);
    assert_int_equal(o.ref, IL_VERDICT_REF_STUDENT);
    assert_int_equal(il_verdict_opts_check(&o), IL_OK);
}

static void test_p_two_sided(void **state)
{
    (void)state;
    assert_close_rel(il_verdict_p_two_sided(ZQ_0_025, 0), 0.05, 1e-12);
    assert_close_rel(il_verdict_p_two_sided(-ZQ_0_025, 0), 0.05, 1e-12);
    assert_close_rel(il_verdict_p_two_sided(ZQ_5E4, 0), 1e-3, 1e-12);
    assert_close_rel(il_verdict_p_two_sided(0.0, 0), 1.0, TEST_TOL0);
    assert_true(isnan(il_verdict_p_two_sided(NAN, 0)));
    /* t_1 is Cauchy: P(|T| > 1) = 1/2 exactly */
    assert_close_rel(il_verdict_p_two_sided(1.0, 1.0), 0.5, 1e-12);
    assert_close_rel(il_verdict_p_two_sided(T1_0_025, 1.0), 0.05, 1e-10);
    assert_close_rel(il_verdict_p_two_sided(T9_5E4, 9.0), 1e-3, 1e-9);
    /* far tail: no cancellation */
    assert_true(il_verdict_p_two_sided(30.0, 0) > 0.0 && il_verdict_p_two_sided(30.0, 0) < 1e-190);
}

/* Holm (1979); the example on Wikipedia's "Holm-Bonferroni method" page: p = 0.01, 0.04, 0.03,
 * 0.005 at alpha = 0.05 rejects H1 and H4. By hand: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1
 * = 0.02, 0.03, 0.06, 0.04; running maximum 0.02, 0.03, 0.06, 0.06. */
static void test_holm_hand(void **state)
{
    (void)state;
    const double p[4] = { 0.01, 0.04, 0.03, 0.005 };
    const double want[4] = { 0.03, 0.06, 0.06, 0.02 };
    double adj[4];
    int rej[4];
    assert_int_equal(il_verdict_holm_adjust(p, 4, adj), IL_OK);
    for (int i = 0; i < 4; i++)
        assert_close_rel(adj[i], want[i], TEST_TOL1);
    assert_int_equal(il_verdict_holm(p, 4, 0.05, rej), IL_OK);
    assert_true(rej[0] == 1 && rej[1] == 0 && rej[2] == 0 && rej[3] == 1);
    assert_int_equal(il_verdict_holm(p, 4, 0.025, rej), IL_OK); /* only 0.005 * 4 = 0.02 */
    assert_true(rej[0] == 0 && rej[1] == 0 && rej[2] == 0 && rej[3] == 1);
    assert_int_equal(il_verdict_holm(p, 4, 0.1, rej), IL_OK);
    assert_true(rej[0] && rej[1] && rej[2] && rej[3]);

    /* Step-down stops: 0.026 * 2 > 0.05, so 0.03 is not rejected although 0.03 <= 0.05. */
    const double q[2] = { 0.03, 0.026 };
    assert_int_equal(il_verdict_holm_adjust(q, 2, adj), IL_OK);
    assert_close_rel(adj[0], 0.052, TEST_TOL1);
    assert_close_rel(adj[1], 0.052, TEST_TOL1);
    assert_int_equal(il_verdict_holm(q, 2, 0.05, rej), IL_OK);
    assert_true(!rej[0] && !rej[1]);

    /* Ties, clamping at 1, NaN as 1, in place. */
    double t[3] = { 0.01, 0.5, 0.01 };
    assert_int_equal(il_verdict_holm_adjust(t, 3, t), IL_OK);
    assert_close_rel(t[0], 0.03, TEST_TOL1);
    assert_close_rel(t[1], 0.5, TEST_TOL1);
    assert_close_rel(t[2], 0.03, TEST_TOL1);
    const double c[2] = { 0.6, 0.7 };
    assert_int_equal(il_verdict_holm_adjust(c, 2, adj), IL_OK);
    assert_true(adj[0] == 1.0 && adj[1] == 1.0);
    const double n[2] = { NAN, 0.01 };
    assert_int_equal(il_verdict_holm_adjust(n, 2, adj), IL_OK);
    assert_true(adj[0] == 1.0);
    assert_close_rel(adj[1], 0.02, TEST_TOL1);

    /* Errors. */
    const double bad1[1] = { -0.1 }, bad2[1] = { 1.5 };
    assert_int_equal(il_verdict_holm_adjust(bad1, 1, adj), IL_EINVAL);
    assert_int_equal(il_verdict_holm_adjust(bad2, 1, adj), IL_EINVAL);
    assert_int_equal(il_verdict_holm(p, 4, 0.0, rej), IL_EINVAL);
    assert_int_equal(il_verdict_holm(p, 4, 1.0, rej), IL_EINVAL);
    assert_int_equal(il_verdict_holm(NULL, 4, 0.05, rej), IL_EINVAL);
    assert_int_equal(il_verdict_holm(NULL, 0, 0.05, NULL), IL_OK);
}

static void test_clear_refutation(void **state)
{
    (void)state;
    il_verdict_item it = one(1.1, 0.01, 1.0, 1000, IL_VERDICT_REF_NORMAL);
    assert_int_equal(it.verdict, IL_VERDICT_REFUTED);
    assert_close_rel(it.z, 10.0, 1e-12);
    assert_true(it.p < 1e-20 && it.reject && !it.equiv);
    assert_true(isnan(it.n_needed));
    assert_non_null(strstr(it.reason, "significant"));
    it = one(0.9, 0.01, 1.0, 1000, IL_VERDICT_REF_STUDENT);
    assert_int_equal(it.verdict, IL_VERDICT_REFUTED);
    assert_close_rel(it.z, -10.0, 1e-12);
}

static void test_clear_consistency(void **state)
{
    (void)state;
    /* |d| + z se = 1e-4 + 3.09e-3 < delta = 0.01 */
    il_verdict_item it = one(1.0001, 0.001, 1.0, 1000, IL_VERDICT_REF_NORMAL);
    assert_int_equal(it.verdict, IL_VERDICT_CONSISTENT);
    assert_true(!it.reject && it.equiv);
    assert_close_rel(it.delta, 0.01, TEST_TOL1);
    /* p_equiv = Q((delta - d) / se) = Q(9.9) */
    assert_close_rel(it.p_equiv, gsl_cdf_ugaussian_Q(9.9), 1e-6);
    assert_true(isnan(it.n_needed));
    /* The boundary of the interval rule: |d| + z se = delta exactly is the edge (p_equiv = alpha). */
    double se = 0.002, d = 0.01 - ZQ_1E3 * se; /* z = 1.9: not refuted */
    it = one(1.0 + d * 1.0001, se, 1.0, 1000, IL_VERDICT_REF_NORMAL);
    assert_int_equal(it.verdict, IL_VERDICT_INCONCLUSIVE);
    it = one(1.0 + d * 0.9999, se, 1.0, 1000, IL_VERDICT_REF_NORMAL);
    assert_int_equal(it.verdict, IL_VERDICT_CONSISTENT);
}

/* Power of the two-sided test at |z| > zr when the deviation is e and the SE s. */
static double power_refute(double e, double s, double zr)
{
    return gsl_cdf_ugaussian_Q(zr - e / s) + gsl_cdf_ugaussian_P(-zr - e / s);
}

/* Power of TOST (one-sided quantile ze) at true deviation e in (-delta, delta). */
static double power_equiv(double e, double delta, double s, double ze)
{
    double hi = (delta - e) / s - ze, lo = (-delta - e) / s + ze;
    return hi > lo ? gsl_cdf_ugaussian_P(hi) - gsl_cdf_ugaussian_P(lo) : 0.0;
}

static void test_inconclusive_n_needed(void **state)
{
    (void)state;
    /* Large observed effect: d = 0.02 = 2 delta, z = 1. Plan to refute it:
     * n = D ((z_r + z_b) se / d)^2 = 100 (3.2905 + 0.8416)^2 = 1707.46 -> 1708. */
    il_verdict_item it = one(1.02, 0.02, 1.0, 100, IL_VERDICT_REF_NORMAL);
    assert_int_equal(it.verdict, IL_VERDICT_INCONCLUSIVE);
    assert_non_null(strstr(it.reason, "too large"));
    assert_close_rel(it.se_needed, 0.02 / (ZQ_5E4 + ZQ_0_2), 1e-12);
    assert_true(it.n_needed == 1708.0);
    /* The plan delivers: at n_needed the power is >= 1 - beta, and only just. */
    double s = 0.02 * sqrt(100.0 / it.n_needed);
    double pw = power_refute(0.02, s, ZQ_5E4);
    assert_true(pw >= 0.8 && pw < 0.81);

    /* Tiny observed effect: d = 0. Plan to confirm (effect = the tolerance delta = 0.01):
     * n = D ((z_e + z_b2) se / delta)^2 = 100 (3.0902 + 1.2816)^2 = 1911.25 -> 1912. */
    it = one(1.0, 0.01, 1.0, 100, IL_VERDICT_REF_NORMAL);
    assert_int_equal(it.verdict, IL_VERDICT_INCONCLUSIVE);
    assert_true(it.n_needed == 1912.0);
    s = 0.01 * sqrt(100.0 / it.n_needed);
    pw = power_equiv(0.0, 0.01, s, ZQ_1E3);
    assert_true(pw >= 0.8 && pw < 0.81);

    /* In between, whichever decision needs fewer draws; both plans exceed D. */
    it = one(1.006, 0.01, 1.0, 100, IL_VERDICT_REF_NORMAL);
    assert_int_equal(it.verdict, IL_VERDICT_INCONCLUSIVE);
    double se_r = 0.006 / (ZQ_5E4 + ZQ_0_2), se_e = 0.004 / (ZQ_1E3 + ZQ_0_1);
    assert_close_rel(it.se_needed, fmax(se_r, se_e), 1e-12);
    assert_true(it.n_needed > 100.0);

    /* Student reference, D = 10: t_9 quantiles, n = 10 (4.7809 + 0.8834)^2 = 320.84 -> 321. */
    it = one(1.02, 0.02, 1.0, 10, IL_VERDICT_REF_STUDENT);
    assert_int_equal(it.verdict, IL_VERDICT_INCONCLUSIVE);
    assert_close_rel(it.se_needed, 0.02 / (T9_5E4 + T9_0_2), 1e-8);
    assert_true(it.n_needed == 321.0);

    /* D unknown: no n_needed, but se_needed. */
    it = one(1.02, 0.02, 1.0, 0, IL_VERDICT_REF_STUDENT);
    assert_int_equal(it.verdict, IL_VERDICT_INCONCLUSIVE);
    assert_true(isnan(it.n_needed));
    assert_close_rel(it.se_needed, 0.02 / (ZQ_5E4 + ZQ_0_2), 1e-12);
}

static void test_zero_value_needs_a_tolerance(void **state)
{
    (void)state;
    double est = 0.0, se = 1e-3, value = 0.0, scale = 1.0;
    il_verdict_opts o = opts_with(IL_VERDICT_ALPHA, IL_VERDICT_REF_NORMAL);
    il_verdict_item it;
    assert_int_equal(il_verdict_family(&est, &se, &value, NULL, 1, 100, &o, &it, NULL), IL_OK);
    assert_int_equal(it.verdict, IL_VERDICT_INCONCLUSIVE);
    assert_non_null(strstr(it.reason, "tolerance"));
    assert_true(it.n_needed == INFINITY); /* d = 0 and delta = 0: no number of draws decides */
    /* with a scale: delta = 0.01 * 1 */
    assert_int_equal(il_verdict_family(&est, &se, &value, &scale, 1, 100, &o, &it, NULL), IL_OK);
    assert_int_equal(it.verdict, IL_VERDICT_CONSISTENT);
    /* with abs_tol */
    o.abs_tol = 0.01;
    assert_int_equal(il_verdict_family(&est, &se, &value, NULL, 1, 100, &o, &it, NULL), IL_OK);
    assert_int_equal(it.verdict, IL_VERDICT_CONSISTENT);
    assert_close_rel(it.delta, 0.01, TEST_TOL0);
}

static void test_refuted_within_tolerance(void **state)
{
    (void)state;
    il_verdict_item it = one(1.001, 1e-5, 1.0, 1000, IL_VERDICT_REF_NORMAL);
    assert_int_equal(it.verdict, IL_VERDICT_REFUTED);
    assert_true(it.reject && it.equiv);
    assert_non_null(strstr(it.reason, "within the tolerance"));
}

#define FP_TRAPS (FE_DIVBYZERO | FE_INVALID)

static void test_se_zero(void **state)
{
    (void)state;
    il_verdict_opts o;
    il_verdict_opts_default(&o);
    const double est[5] = { 1.0 + 2 * DBL_EPSILON, 1.0 + 1e-10, 0.0, 0.0, -3.0 };
    const double se[5] = { 0.0, 0.0, 0.0, 0.0, 0.0 };
    const double value[5] = { 1.0, 1.0, 0.0, 1e-300, -3.0 };
    il_verdict_item it[5];
    il_verdict_summary s;
    feclearexcept(FE_ALL_EXCEPT);
    assert_int_equal(il_verdict_family(est, se, value, NULL, 5, 1000, &o, it, &s), IL_OK);
    assert_false(fetestexcept(FP_TRAPS));
    assert_int_equal(it[0].verdict, IL_VERDICT_CONSISTENT); /* within exact_ulps */
    assert_true(it[0].z == 0.0 && it[0].p == 1.0);
    assert_non_null(strstr(it[0].reason, "se = 0"));
    assert_int_equal(it[1].verdict, IL_VERDICT_REFUTED);
    assert_true(it[1].z == INFINITY && it[1].p == 0.0);
    assert_non_null(strstr(it[1].reason, "differ"));
    assert_int_equal(it[2].verdict, IL_VERDICT_CONSISTENT); /* exact 0 = 0, even with delta = 0 */
    assert_int_equal(it[3].verdict, IL_VERDICT_REFUTED);
    assert_true(it[3].z == -INFINITY);
    assert_int_equal(it[4].verdict, IL_VERDICT_CONSISTENT);
    assert_int_equal(s.overall, IL_VERDICT_REFUTED);
    assert_true(s.refuted == 2 && s.consistent == 3 && s.inconclusive == 0);
    /* exact_ulps = 0 demands bit equality */
    o.exact_ulps = 0.0;
    assert_int_equal(il_verdict_family(est, se, value, NULL, 1, 1000, &o, it, &s), IL_OK);
    assert_int_equal(it[0].verdict, IL_VERDICT_REFUTED);
}

static void test_not_testable(void **state)
{
    (void)state;
    il_verdict_opts o;
    il_verdict_opts_default(&o);
    const double est[7] = { NAN, INFINITY, 1.0, 1.0, 1.0, 1.0, 1.0 };
    const double se[7] = { 0.1, 0.1, 0.1, NAN, -0.1, INFINITY, 0.1 };
    const double value[7] = { 1.0, 1.0, NAN, 1.0, 1.0, 1.0, 1.0 };
    const char *why[7] = { "estimate is NaN", "estimate is infinite", "formula value", "standard error is NaN",
                           "negative", "standard error is infinite", "n_draws >= 2" };
    il_verdict_item it[7];
    il_verdict_summary s;
    for (int i = 0; i < 7; i++) {
        size_t draws = i == 6 ? 1 : 100;
        feclearexcept(FE_ALL_EXCEPT);
        assert_int_equal(il_verdict_family(est + i, se + i, value + i, NULL, 1, draws, &o, it + i, &s), IL_OK);
        if (fetestexcept(FP_TRAPS))
            fail_msg("item %d raised a floating-point exception", i);
        assert_int_equal(it[i].verdict, IL_VERDICT_INCONCLUSIVE);
        assert_int_equal(s.overall, IL_VERDICT_INCONCLUSIVE);
        assert_true(isnan(it[i].z) && isnan(it[i].p) && isnan(it[i].n_needed) && !it[i].reject);
        if (!strstr(it[i].reason, why[i]))
            fail_msg("item %d: reason '%s' lacks '%s'", i, it[i].reason, why[i]);
    }
    /* An untestable item still counts in m: p = 0.04 alone is rejected at 0.05, not beside it. */
    il_verdict_opts o5 = opts_with(0.05, IL_VERDICT_REF_NORMAL);
    double z = ZQ_0_025 * 1.0 + 0.1; /* p slightly below 0.05 */
    const double e2[2] = { 1.0 + z * 0.01, NAN }, s2[2] = { 0.01, 0.01 }, v2[2] = { 1.0, 1.0 };
    il_verdict_item i2[2];
    assert_int_equal(il_verdict_family(e2, s2, v2, NULL, 1, 100, &o5, i2, &s), IL_OK);
    assert_int_equal(i2[0].verdict, IL_VERDICT_REFUTED);
    assert_int_equal(il_verdict_family(e2, s2, v2, NULL, 2, 100, &o5, i2, &s), IL_OK);
    assert_int_equal(i2[0].verdict, IL_VERDICT_INCONCLUSIVE);
    assert_close_rel(i2[0].p_adj, 2.0 * i2[0].p, TEST_TOL1);
    assert_true(i2[1].p_adj == 1.0 || isnan(i2[1].p_adj));
}

static void test_overall(void **state)
{
    (void)state;
    il_verdict_opts o = opts_with(IL_VERDICT_ALPHA, IL_VERDICT_REF_NORMAL);
    /* consistent, inconclusive, refuted */
    const double est[3] = { 1.0001, 1.02, 1.1 }, se[3] = { 0.001, 0.02, 0.01 }, value[3] = { 1.0, 1.0, 1.0 };
    il_verdict_item it[3];
    il_verdict_summary s;
    assert_int_equal(il_verdict_family(est, se, value, NULL, 1, 1000, &o, it, &s), IL_OK);
    assert_int_equal(s.overall, IL_VERDICT_CONSISTENT);
    assert_int_equal(il_verdict_family(est, se, value, NULL, 2, 1000, &o, it, &s), IL_OK);
    assert_int_equal(s.overall, IL_VERDICT_INCONCLUSIVE);
    assert_true(s.consistent == 1 && s.inconclusive == 1 && s.refuted == 0);
    assert_int_equal(il_verdict_family(est, se, value, NULL, 3, 1000, &o, it, &s), IL_OK);
    assert_int_equal(s.overall, IL_VERDICT_REFUTED);
    assert_true(s.consistent == 1 && s.inconclusive == 1 && s.refuted == 1);
    /* n_needed in a family of 3 uses the Bonferroni quantile alpha / (2 * 3). */
    double zr = gsl_cdf_ugaussian_Qinv(IL_VERDICT_ALPHA / 6.0);
    assert_close_rel(it[1].se_needed, 0.02 / (zr + ZQ_0_2), 1e-12);
    /* ... and the confirming plan the one-sided alpha / m: for m = 2, Q^-1(5e-4). */
    const double e2[2] = { 1.0, 1.0 }, s2[2] = { 0.01, 0.01 };
    assert_int_equal(il_verdict_family(e2, s2, value, NULL, 2, 100, &o, it, &s), IL_OK);
    assert_int_equal(it[0].verdict, IL_VERDICT_INCONCLUSIVE);
    assert_close_rel(it[0].se_needed, 0.01 / (ZQ_5E4 + ZQ_0_1), 1e-12);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    double e = 1.0, s = 0.1, v = 1.0;
    il_verdict_item it;
    il_verdict_opts o;
    assert_int_equal(il_verdict_family(&e, &s, &v, NULL, 0, 10, NULL, &it, NULL), IL_EINVAL);
    assert_int_equal(il_verdict_family(NULL, &s, &v, NULL, 1, 10, NULL, &it, NULL), IL_EINVAL);
    assert_int_equal(il_verdict_family(&e, &s, &v, NULL, 1, 10, NULL, NULL, NULL), IL_EINVAL);
    assert_int_equal(il_verdict_family(&e, &s, &v, NULL, 1, 10, NULL, &it, NULL), IL_OK);
    const struct {
        double alpha, rel, abs, beta, ulps;
        int ref;
    } bad[] = {
        { 0.0, 0.01, 0, 0.2, 4, 0 }, { 0.5, 0.01, 0, 0.2, 4, 0 }, { NAN, 0.01, 0, 0.2, 4, 0 },
        { 1e-3, -0.01, 0, 0.2, 4, 0 }, { 1e-3, INFINITY, 0, 0.2, 4, 0 }, { 1e-3, 0.01, NAN, 0.2, 4, 0 },
        { 1e-3, 0.01, 0, 0.5, 4, 0 }, { 1e-3, 0.01, 0, 0.0, 4, 0 }, { 1e-3, 0.01, 0, 0.2, -1, 0 },
        { 1e-3, 0.01, 0, 0.2, 4, 7 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        il_verdict_opts_default(&o);
        o.alpha = bad[i].alpha;
        o.rel_tol = bad[i].rel;
        o.abs_tol = bad[i].abs;
        o.beta = bad[i].beta;
        o.exact_ulps = bad[i].ulps;
        o.ref = (il_verdict_ref)bad[i].ref;
        if (il_verdict_family(&e, &s, &v, NULL, 1, 10, &o, &it, NULL) != IL_EINVAL)
            fail_msg("bad options #%zu accepted", i);
    }
}

/* ---- Calibration by simulation ---------------------------------------------------------------- */

#define CAL_FAMILIES 2000u
#define CAL_M 10
#define CAL_SEED 20240611ul

/* Every formula right: estimates from N(value, se^2) with the SE known (normal reference). Holm
 * refutes something iff min p <= alpha / m, so the family-wise rate is exactly 1 - (1 - alpha/m)^m
 * for independent items: checked from both sides. Unadjusted per-item tests must fail the check. */
static void calibrate_null(double alpha, int check_lower)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    gsl_rng_set(r, CAL_SEED);
    il_verdict_opts o = opts_with(alpha, IL_VERDICT_REF_NORMAL);
    double est[CAL_M], se[CAL_M], value[CAL_M];
    il_verdict_item it[CAL_M];
    il_verdict_summary s;
    unsigned holm = 0, unadj = 0;
    for (unsigned f = 0; f < CAL_FAMILIES; f++) {
        int any = 0;
        for (int i = 0; i < CAL_M; i++) {
            value[i] = 1.0 + i;
            se[i] = 0.01 * (i + 1);
            est[i] = value[i] + gsl_ran_gaussian(r, se[i]);
        }
        assert_int_equal(il_verdict_family(est, se, value, NULL, CAL_M, 1000, &o, it, &s), IL_OK);
        holm += s.overall == IL_VERDICT_REFUTED;
        for (int i = 0; i < CAL_M; i++)
            any |= it[i].p <= alpha;
        unadj += any;
    }
    gsl_rng_free(r);
    double exact = 1.0 - pow(1.0 - alpha / CAL_M, CAL_M);
    assert_rate_at_most(holm, CAL_FAMILIES, alpha, "false refutations (Holm)");
    assert_rate_at_most(holm, CAL_FAMILIES, exact, "false refutations vs 1 - (1 - a/m)^m");
    if (check_lower)
        assert_rate_at_least(holm, CAL_FAMILIES, exact, "false refutations vs 1 - (1 - a/m)^m");
    /* test of the test: without the correction the rate is ~ 1 - (1 - a)^m, and the check sees it */
    if (check_lower && binom_ge(unadj, CAL_FAMILIES, alpha) >= binom_tail())
        fail_msg("the rate check did not flag unadjusted tests: %u of %u", unadj, CAL_FAMILIES);
}

static void test_calibration_null(void **state)
{
    (void)state;
    calibrate_null(0.05, 1);             /* enough events for a two-sided check */
    calibrate_null(IL_VERDICT_ALPHA, 0); /* the default level: ~2 events expected */
}

/* Power: an inconclusive item's n_needed, then fresh families at the SE n_needed draws give,
 * with that item off by the observed deviation: it is refuted at least 1 - beta of the time. Holm's
 * power for it lies between Bonferroni's (alpha / m) and the unadjusted test's (alpha). */
static void test_calibration_power(void **state)
{
    (void)state;
    il_verdict_opts o = opts_with(IL_VERDICT_ALPHA, IL_VERDICT_REF_NORMAL);
    const size_t D = 100;
    const double se0 = 0.02, dev = 0.02;
    double est[CAL_M], se[CAL_M], value[CAL_M];
    il_verdict_item it[CAL_M];
    il_verdict_summary s;
    for (int i = 0; i < CAL_M; i++) {
        value[i] = 1.0;
        se[i] = se0;
        est[i] = value[i] + (i == 0 ? dev : 0.0);
    }
    assert_int_equal(il_verdict_family(est, se, value, NULL, CAL_M, D, &o, it, &s), IL_OK);
    assert_int_equal(it[0].verdict, IL_VERDICT_INCONCLUSIVE);
    double n = it[0].n_needed, se1 = se0 * sqrt((double)D / n);
    double zb = gsl_cdf_ugaussian_Qinv(o.alpha / (2.0 * CAL_M)), zu = gsl_cdf_ugaussian_Qinv(o.alpha / 2.0);
    double p_bonf = power_refute(dev, se1, zb), p_unadj = power_refute(dev, se1, zu);
    assert_true(p_bonf >= 1.0 - o.beta);

    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    gsl_rng_set(r, CAL_SEED + 1);
    unsigned hit = 0, other = 0;
    for (unsigned f = 0; f < CAL_FAMILIES; f++) {
        for (int i = 0; i < CAL_M; i++) {
            se[i] = se1;
            est[i] = value[i] + (i == 0 ? dev : 0.0) + gsl_ran_gaussian(r, se1);
        }
        assert_int_equal(il_verdict_family(est, se, value, NULL, CAL_M, (size_t)n, &o, it, &s), IL_OK);
        hit += it[0].verdict == IL_VERDICT_REFUTED;
        int any = 0;
        for (int i = 1; i < CAL_M; i++)
            any |= it[i].verdict == IL_VERDICT_REFUTED;
        other += any;
    }
    gsl_rng_free(r);
    assert_rate_at_least(hit, CAL_FAMILIES, 1.0 - o.beta, "refutations at n_needed (planned power)");
    assert_rate_at_least(hit, CAL_FAMILIES, p_bonf, "refutations at n_needed (Bonferroni power)");
    assert_rate_at_most(hit, CAL_FAMILIES, p_unadj, "refutations at n_needed (unadjusted power)");
    assert_rate_at_most(other, CAL_FAMILIES, o.alpha, "false refutations beside a true effect");
}

/* False confirmations: every item off by exactly delta (the edge of non-equivalence), SE delta/10 so
 * that the far one-sided test never binds. P(some item called equivalent) is then
 * 1 - (1 - a/m)^m <= a. */
static void test_calibration_false_confirmation(void **state)
{
    (void)state;
    il_verdict_opts o = opts_with(0.05, IL_VERDICT_REF_NORMAL);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    gsl_rng_set(r, CAL_SEED + 2);
    double est[CAL_M], se[CAL_M], value[CAL_M];
    il_verdict_item it[CAL_M];
    il_verdict_summary s;
    unsigned eq = 0, cons = 0;
    for (unsigned f = 0; f < CAL_FAMILIES; f++) {
        int any = 0, anyc = 0;
        for (int i = 0; i < CAL_M; i++) {
            value[i] = 2.0 + i;
            double delta = o.rel_tol * value[i];
            se[i] = delta / 10.0;
            est[i] = value[i] + (i % 2 ? delta : -delta) + gsl_ran_gaussian(r, se[i]);
        }
        assert_int_equal(il_verdict_family(est, se, value, NULL, CAL_M, 1000, &o, it, &s), IL_OK);
        for (int i = 0; i < CAL_M; i++) {
            any |= it[i].equiv;
            anyc |= it[i].verdict == IL_VERDICT_CONSISTENT;
        }
        eq += any;
        cons += anyc;
    }
    gsl_rng_free(r);
    double exact = 1.0 - pow(1.0 - o.alpha / CAL_M, CAL_M);
    assert_rate_at_most(eq, CAL_FAMILIES, o.alpha, "false confirmations");
    assert_rate_at_least(eq, CAL_FAMILIES, exact, "false confirmations vs 1 - (1 - a/m)^m");
    assert_true(cons <= eq);
}

/* Estimated SEs from D = 8 draws: the Student reference holds the level, the normal one does not
 * (its family-wise rate is ~ 0.17 = 3.4 alpha here), which is why Student is the default. */
static void test_calibration_student(void **state)
{
    (void)state;
    enum { M = 5, D = 8 };
    il_verdict_opts ot = opts_with(0.05, IL_VERDICT_REF_STUDENT), on = opts_with(0.05, IL_VERDICT_REF_NORMAL);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    gsl_rng_set(r, CAL_SEED + 3);
    double est[M], se[M], value[M];
    il_verdict_item it[M];
    il_verdict_summary st, sn;
    unsigned xt = 0, xn = 0;
    for (unsigned f = 0; f < CAL_FAMILIES; f++) {
        for (int i = 0; i < M; i++) {
            double sigma = 0.5 + i, sum = 0.0, sum2 = 0.0;
            value[i] = 1.0 + 0.5 * i;
            double x[D];
            for (int k = 0; k < D; k++) {
                x[k] = value[i] + gsl_ran_gaussian(r, sigma);
                sum += x[k];
            }
            double mean = sum / D;
            for (int k = 0; k < D; k++)
                sum2 += (x[k] - mean) * (x[k] - mean);
            est[i] = mean;
            se[i] = sqrt(sum2 / (D - 1) / D);
        }
        assert_int_equal(il_verdict_family(est, se, value, NULL, M, D, &ot, it, &st), IL_OK);
        assert_int_equal(il_verdict_family(est, se, value, NULL, M, D, &on, it, &sn), IL_OK);
        xt += st.overall == IL_VERDICT_REFUTED;
        xn += sn.overall == IL_VERDICT_REFUTED;
    }
    gsl_rng_free(r);
    double exact = 1.0 - pow(1.0 - ot.alpha / M, M);
    assert_rate_at_most(xt, CAL_FAMILIES, ot.alpha, "false refutations, Student, D = 8");
    assert_rate_at_least(xt, CAL_FAMILIES, exact, "false refutations, Student, D = 8");
    if (binom_ge(xn, CAL_FAMILIES, on.alpha) >= binom_tail())
        fail_msg("normal reference at D = 8 should exceed alpha visibly: %u of %u", xn, CAL_FAMILIES);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_defaults),
        cmocka_unit_test(test_p_two_sided),
        cmocka_unit_test(test_holm_hand),
        cmocka_unit_test(test_clear_refutation),
        cmocka_unit_test(test_clear_consistency),
        cmocka_unit_test(test_inconclusive_n_needed),
        cmocka_unit_test(test_zero_value_needs_a_tolerance),
        cmocka_unit_test(test_refuted_within_tolerance),
        cmocka_unit_test(test_se_zero),
        cmocka_unit_test(test_not_testable),
        cmocka_unit_test(test_overall),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_calibration_null),
        cmocka_unit_test(test_calibration_power),
        cmocka_unit_test(test_calibration_false_confirmation),
        cmocka_unit_test(test_calibration_student),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
