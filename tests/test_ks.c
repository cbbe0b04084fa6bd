/* test_ks.c: the two-sample Kolmogorov-Smirnov test (analysis/ks.c): Kolmogorov's survival function
 * and its inverse against published values, Stephens' p-values against reference values, the
 * asymptotic p-values and the test's size against the exact null distribution for equal sample
 * sizes (computed here, independently), D by hand with ties, the order of the keys and the radix
 * sort, and calibration by simulation: false rejections on identical laws within binomial error of
 * alpha, conservative with atoms, and the planned power reached.
 *
 * Reference values: scipy 1.10.1 (Debian python3-scipy), scipy.special.kolmogorov(l) = Q_KS(l) and
 * scipy.special.kolmogi(a) = Q_KS^-1(a); the two-sample ones are kolmogorov((sqrt(ne) + 0.12 +
 * 0.11/sqrt(ne)) d) with ne = n1 n2 / (n1 + n2). The quantiles agree with the classical table of the
 * Kolmogorov distribution (Smirnov 1948): 1.22 (0.10), 1.36 (0.05), 1.63 (0.01), 1.95 (0.001). */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "ks.h"
#include "rng.h"

/* Q_KS by its series: truncation below 1e-17 relative, plus the rounding of exp: 1e-13 relative is
 * ample and still catches any wrong term. */
#define KS_TOL 1e-13
/* Asymptotic p-values against exact ones for n1 = n2 = n: |p - p_exact| <= KS_ASYM_C / sqrt(n) over
 * p_exact in [1e-4, 0.5]. The error of the Kolmogorov approximation is O(n^-1/2); the constant is the
 * envelope of the worst errors seen with scipy's exact distribution (0.060 at n = 20, 0.038 at 50,
 * 0.026 at 100, 0.018 at 200, i.e. 0.26 to 0.27 / sqrt(n)) with a margin. */
#define KS_ASYM_C 0.3
/* The test's exact size for n1 = n2 >= 20 is at most this multiple of the nominal level (scipy's
 * exact distribution: 0.0123 at 0.01 for n = 20, 0.00131 at 0.001 for n = 50). */
#define KS_SIZE_FACTOR 1.35

/* Binomial rate checks fail only past a tail probability equal to the normal tail at Z_THRESHOLD
 * (as tests/test_verdict.c). */
static double binom_tail(void)
{
    return gsl_cdf_ugaussian_Q(Z_THRESHOLD);
}

#define assert_rate_at_most(x, n, p0, what)                                                          \
    do {                                                                                             \
        double t_ = (x) == 0 ? 1.0 : gsl_cdf_binomial_Q((x) - 1, (p0), (n));                         \
        if (!(t_ >= binom_tail()))                                                                   \
            fail_msg("%s: %u of %u (rate %.4g) is too many for a rate <= %.4g: P(X >= x) = %.3g", \
                     (what), (unsigned)(x), (unsigned)(n), (double)(x) / (n), (double)(p0), t_);     \
    } while (0)

#define assert_rate_at_least(x, n, p0, what)                                                         \
    do {                                                                                             \
        double t_ = gsl_cdf_binomial_P((x), (p0), (n));                                              \
        if (!(t_ >= binom_tail()))                                                                   \
            fail_msg("%s: %u of %u (rate %.4g) is too few for a rate >= %.4g: P(X <= x) = %.3g",  \
                     (what), (unsigned)(x), (unsigned)(n), (double)(x) / (n), (double)(p0), t_);     \
    } while (0)

/* Relative comparison for values that may be tiny. */
#define assert_rel(got, want, tol)                                                                   \
    do {                                                                                             \
        double g_ = (got), w_ = (want);                                                              \
        if (!(fabs(g_ - w_) <= (tol) * fabs(w_)))                                                    \
            fail_msg("%s = %.17g, want %.17g (rel tol %.3g)", #got, g_, w_, (double)(tol));          \
    } while (0)

static void test_kolmogorov_q(void **state)
{
    (void)state;
    static const struct {
        double l, q;
    } ref[] = {
        {0.3, 0.9999906941986655},     {0.5, 0.9639452436648751},   {0.8, 0.5441424115741981},
        {1.0, 0.26999967167735456},    {1.2, 0.11224966667072497},  {1.5, 0.022217962616525127},
        {2.0, 0.0006709252557796953},  {3.0, 3.045995948942526e-08}, {5.0, 3.8574996959278356e-22},
    };
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++)
        assert_rel(il_ks_q(ref[i].l), ref[i].q, KS_TOL);
    /* limits, and the two series agree where they meet */
    assert_true(il_ks_q(0.0) == 1.0);
    assert_true(il_ks_q(-1.0) == 1.0);
    assert_true(il_ks_q(0.01) == 1.0);
    assert_true(il_ks_q(40.0) == 0.0);
    assert_true(isnan(il_ks_q(NAN)));
    assert_rel(il_ks_q(nextafter(1.0, 0.0)), il_ks_q(1.0), KS_TOL);
    /* monotone on a fine grid through the switch */
    double prev = 1.0;
    for (double l = 0.02; l < 6.0; l += 0.001) {
        double q = il_ks_q(l);
        if (!(q <= prev))
            fail_msg("Q_KS not decreasing at %g: %.17g after %.17g", l, q, prev);
        prev = q;
    }
}

static void test_kolmogorov_quantiles(void **state)
{
    (void)state;
    static const struct {
        double a, l;
    } ref[] = {
        {0.10, 1.2238478702170823}, {0.05, 1.3580986393225507}, {0.01, 1.6276236115189504},
        {0.001, 1.9494746035043753},
    };
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        assert_rel(il_ks_q_inv(ref[i].a), ref[i].l, 1e-12);
        assert_rel(il_ks_q(il_ks_q_inv(ref[i].a)), ref[i].a, 1e-12);
    }
    assert_true(isnan(il_ks_q_inv(0.0)));
    assert_true(isnan(il_ks_q_inv(1.0)));
    assert_true(isnan(il_ks_q_inv(NAN)));
}

static void test_stephens_pvalues(void **state)
{
    (void)state;
    static const struct {
        double d;
        size_t n1, n2;
        double lambda, p;
    } ref[] = {
        {0.2, 50, 50, 1.0284000000000002, 0.24079199341891797},
        {0.1, 200, 300, 1.1084492730324251, 0.1712208163870983},
        {0.05, 1000, 1000, 1.12427995622742, 0.15955408974378785},
        {0.3, 10, 20, 0.8233775142839678, 0.506617536482555},
        {0.02, 10000, 20000, 1.635420106242623, 0.009503921514503803},
    };
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        assert_rel(il_ks_lambda(ref[i].d, ref[i].n1, ref[i].n2), ref[i].lambda, 1e-14);
        assert_rel(il_ks_pvalue(ref[i].d, ref[i].n1, ref[i].n2), ref[i].p, KS_TOL);
        /* symmetric in the two sizes */
        assert_rel(il_ks_pvalue(ref[i].d, ref[i].n2, ref[i].n1), ref[i].p, KS_TOL);
    }
    assert_true(isnan(il_ks_pvalue(0.1, 0, 10)));
    assert_true(il_ks_pvalue(0.0, 10, 10) == 1.0);
    assert_true(il_ks_pvalue(1.0, 10000, 10000) == 0.0);
}

/* log C(n, k) */
static double lchoose(double n, double k)
{
    return lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0);
}

/* The exact null law for n1 = n2 = n (Gnedenko and Korolyuk 1951): P(D >= k/n) =
 * 2 sum_{j >= 1} (-1)^(j-1) C(2n, n - jk) / C(2n, n). */
static double exact_tail(int n, int k)
{
    double s = 0.0, l0 = lchoose(2.0 * n, n);
    for (int j = 1; j * k <= n; j++)
        s += ((j & 1) ? 1.0 : -1.0) * exp(lchoose(2.0 * n, n - j * k) - l0);
    return 2.0 * s;
}

static void test_against_exact_equal_sizes(void **state)
{
    (void)state;
    /* the exact formula itself against scipy's exact two-sample values */
    assert_rel(exact_tail(20, 8), 0.08105771161340151, 1e-10);
    assert_rel(exact_tail(100, 23), 0.009878183186176533, 1e-10);
    static const int ns[] = {20, 50, 100, 200};
    static const double alphas[] = {0.05, 0.01, 0.001};
    for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++) {
        int n = ns[t];
        double bound = KS_ASYM_C / sqrt((double)n), worst = 0.0;
        for (int k = 1; k <= n; k++) {
            double e = exact_tail(n, k);
            if (e < 1e-4 || e > 0.5)
                continue;
            double p = il_ks_pvalue((double)k / n, (size_t)n, (size_t)n);
            worst = fmax(worst, fabs(p - e));
        }
        if (!(worst <= bound))
            fail_msg("n1 = n2 = %d: asymptotic p-values differ from exact ones by up to %.4g > %.4g", n, worst, bound);
        /* size: the exact probability that p <= alpha */
        for (size_t a = 0; a < sizeof alphas / sizeof alphas[0]; a++) {
            int k = 1;
            while (k <= n && il_ks_pvalue((double)k / n, (size_t)n, (size_t)n) > alphas[a])
                k++;
            double size = k <= n ? exact_tail(n, k) : 0.0;
            if (!(size <= KS_SIZE_FACTOR * alphas[a]))
                fail_msg("n1 = n2 = %d: the test at %g rejects with exact probability %.4g", n, alphas[a], size);
        }
    }
}

static void test_statistic_by_hand(void **state)
{
    (void)state;
    il_ks_result r;
    /* Ties across and within samples: after all 2s F1 = 3/4 and F2 = 1/5, so D = 0.55 (stepping one
     * value at a time would report 3/4 - 0 = 0.75). */
    const double x[] = {3.0, 2.0, 1.0, 2.0}, y[] = {5.0, 3.0, 2.0, 4.0, 3.0};
    assert_int_equal(il_ks_two_sample(x, 4, y, 5, &r), IL_OK);
    assert_close_rel(r.d, 0.55, TEST_TOL0);
    assert_close_rel(r.p, il_ks_pvalue(0.55, 4, 5), TEST_TOL0);
    /* identical samples, and the two zeros */
    assert_int_equal(il_ks_two_sample(x, 4, x, 4, &r), IL_OK);
    assert_true(r.d == 0.0 && r.p == 1.0);
    const double nz[] = {-0.0, -0.0, 1.0}, pz[] = {0.0, 1.0, 0.0};
    assert_int_equal(il_ks_two_sample(nz, 3, pz, 3, &r), IL_OK);
    assert_true(r.d == 0.0);
    /* disjoint supports: D = 1 */
    const double lo[] = {-3.0, -2.0}, hi[] = {2.0, 3.0, 4.0};
    assert_int_equal(il_ks_two_sample(lo, 2, hi, 3, &r), IL_OK);
    assert_true(r.d == 1.0);
    /* one side */
    const double a[] = {0.0, 0.0, 0.0, 1.0}, b[] = {1.0, 1.0};
    assert_int_equal(il_ks_two_sample(a, 4, b, 2, &r), IL_OK);
    assert_close_rel(r.d, 0.75, TEST_TOL0);
    /* refusals */
    const double bad[] = {1.0, NAN};
    assert_int_equal(il_ks_two_sample(bad, 2, x, 4, &r), IL_EINVAL);
    assert_int_equal(il_ks_two_sample(x, 0, y, 5, &r), IL_EINVAL);
    assert_int_equal(il_ks_two_sample(NULL, 2, y, 5, &r), IL_EINVAL);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_keys_and_sort(void **state)
{
    (void)state;
    enum { N = 5000 };
    double *v = malloc(N * sizeof *v);
    uint64_t *k = malloc(N * sizeof *k), *scr = malloc(N * sizeof *scr);
    assert_non_null(v);
    assert_non_null(k);
    assert_non_null(scr);
    il_rng r;
    il_rng_seed(&r, 11, 0);
    const double special[] = {0.0, -0.0, INFINITY, -INFINITY, DBL_MIN, -DBL_MIN, DBL_TRUE_MIN, -DBL_TRUE_MIN,
                              DBL_MAX, -DBL_MAX, 1.0, -1.0, 1.0, 0.5};
    size_t ns = sizeof special / sizeof special[0];
    for (size_t i = 0; i < N; i++) {
        if (i < ns)
            v[i] = special[i];
        else if (i % 3 == 0)
            v[i] = il_rng_normal(&r) * exp2(40.0 * il_rng_normal(&r)); /* all scales */
        else
            v[i] = (double)(int)(10.0 * il_rng_normal(&r)); /* many ties */
    }
    /* keys order like values; zeros share a key; unkey inverts */
    for (size_t i = 0; i + 1 < N; i++) {
        uint64_t a = il_ks_key(v[i]), b = il_ks_key(v[i + 1]);
        assert_int_equal(a < b, v[i] < v[i + 1]);
        assert_int_equal(a == b, v[i] == v[i + 1]);
        assert_true(il_ks_unkey(a) == v[i]);
    }
    assert_true(il_ks_key(-0.0) == il_ks_key(0.0));
    for (size_t i = 0; i < N; i++)
        k[i] = il_ks_key(v[i]);
    il_ks_sort_keys(k, N, scr);
    qsort(v, N, sizeof *v, cmp_double);
    for (size_t i = 0; i < N; i++)
        if (!(il_ks_unkey(k[i]) == v[i]))
            fail_msg("sorted keys differ from qsort at %zu: %.17g vs %.17g", i, il_ks_unkey(k[i]), v[i]);
    /* sizes 0 and 1 */
    il_ks_sort_keys(k, 0, scr);
    il_ks_sort_keys(k, 1, scr);
    free(scr);
    free(k);
    free(v);
}

/* Rejection count at level alpha over reps replications of samples of n1 and n2 drawn by draw(). */
typedef void (*draw_fn)(il_rng *r, double *x, size_t n, double shift);

static void draw_normal(il_rng *r, double *x, size_t n, double shift)
{
    for (size_t i = 0; i < n; i++)
        x[i] = il_rng_normal(r) + shift;
}

/* Half exact zeros, half |N(0,1)|: atoms as in relu outputs and dropped units. */
static void draw_atoms(il_rng *r, double *x, size_t n, double shift)
{
    (void)shift;
    for (size_t i = 0; i < n; i++) {
        double z = il_rng_normal(r);
        x[i] = il_rng_uniform(r) < 0.5 ? 0.0 : fabs(z);
    }
}

static unsigned rejections(draw_fn draw, size_t n1, size_t n2, double shift, double alpha, unsigned reps,
                           uint64_t seed, int wrong_ne)
{
    double *x = malloc(n1 * sizeof *x), *y = malloc(n2 * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    unsigned rej = 0;
    for (unsigned t = 0; t < reps; t++) {
        il_rng r;
        il_rng_seed_draw(&r, seed, t);
        draw(&r, x, n1, 0.0);
        draw(&r, y, n2, shift);
        il_ks_result res;
        assert_int_equal(il_ks_two_sample(x, n1, y, n2, &res), IL_OK);
        /* wrong_ne: the p-value with n1 + n2 in place of n1 n2 / (n1 + n2), a plausible slip */
        double p = wrong_ne ? il_ks_q(sqrt((double)(n1 + n2)) * res.d) : res.p;
        rej += p <= alpha;
    }
    free(y);
    free(x);
    return rej;
}

static void test_calibration_null(void **state)
{
    (void)state;
    const unsigned reps = 3000;
    const double alpha = 0.05;
    /* identical continuous laws: the rate is alpha within binomial error, from both sides (the exact
     * size for 200 vs 300 is 0.0489) */
    unsigned x = rejections(draw_normal, 200, 300, 0.0, alpha, reps, 1, 0);
    assert_rate_at_most(x, reps, alpha, "false rejections, continuous law");
    assert_rate_at_least(x, reps, 0.8 * alpha, "false rejections, continuous law (not too conservative)");
    /* with atoms the test is conservative: at most alpha */
    unsigned xa = rejections(draw_atoms, 200, 300, 0.0, alpha, reps, 2, 0);
    assert_rate_at_most(xa, reps, alpha, "false rejections, law with an atom");
    /* the check can fail: a p-value with the wrong effective size rejects far too often */
    unsigned xw = rejections(draw_normal, 200, 300, 0.0, alpha, reps, 1, 1);
    double t = gsl_cdf_binomial_Q(xw - 1, alpha, reps);
    if (!(t < binom_tail()))
        fail_msg("the rate check accepts a miscalibrated p-value (%u of %u rejections)", xw, reps);
}

static void test_power_planning(void **state)
{
    (void)state;
    const size_t n1 = 400, n2 = 400;
    const double alpha = 0.01, beta = 0.2;
    double dd = il_ks_detectable(n1, n2, alpha, beta);
    /* power at the detectable distance is 1 - beta by construction */
    assert_close_rel(il_ks_power(dd, n1, n2, alpha), 1.0 - beta, 1e-9);
    assert_true(il_ks_power(0.0, n1, n2, alpha) < alpha);
    assert_true(isnan(il_ks_detectable(0, n2, alpha, beta)));
    /* N(0,1) against N(delta,1) has KS distance 2 Phi(delta/2) - 1; choose delta so that the distance
     * is the detectable one: the simulated power must reach 1 - beta (the bound is conservative) */
    double delta = 2.0 * gsl_cdf_ugaussian_Pinv((dd + 1.0) / 2.0);
    const unsigned reps = 600;
    unsigned x = rejections(draw_normal, n1, n2, delta, alpha, reps, 3, 0);
    assert_rate_at_least(x, reps, 1.0 - beta, "power at the detectable distance");
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kolmogorov_q),
        cmocka_unit_test(test_kolmogorov_quantiles),
        cmocka_unit_test(test_stephens_pvalues),
        cmocka_unit_test(test_against_exact_equal_sizes),
        cmocka_unit_test(test_statistic_by_hand),
        cmocka_unit_test(test_keys_and_sort),
        cmocka_unit_test(test_calibration_null),
        cmocka_unit_test(test_power_planning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
