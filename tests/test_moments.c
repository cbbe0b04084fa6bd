/* test_moments.c: per-draw statistics against direct computation, full vs diagonal agreement,
 * Welford accumulation against the two-pass formulas, and the writers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "moments.h"
#include "rng.h"
#include "testutil.h"

#define B 7
#define N 20 /* above the plain-loop limit, so the full matrix goes through dsyrk */

static void fill(double *y, size_t n, uint64_t stream)
{
    il_rng r;
    il_rng_seed(&r, 5, stream);
    il_rng_fill_normal(&r, y, n, 0.3, 1.5);
}

static void test_draw_by_hand(void **state)
{
    (void)state;
    double y[B * N], mvec[N], sec[N * N], mvec2[N], sec2[N];
    fill(y, B * N, 0);
    il_layer_draw full = {.mvec = mvec, .sec = sec}, diag = {.mvec = mvec2, .sec = sec2};
    il_layer_draw_compute(&full, y, B, N, 1);
    il_layer_draw_compute(&diag, y, B, N, 0);
    double q = 0, m4 = 0, off = 0, within = 0, mbar = 0;
    for (int i = 0; i < N; i++) {
        double m = 0, s = 0;
        for (int b = 0; b < B; b++) {
            m += y[b * N + i] / B;
            s += y[b * N + i] * y[b * N + i] / B;
            m4 += pow(y[b * N + i], 4) / (B * N);
        }
        assert_close_rel(mvec[i], m, TEST_TOL1);
        assert_close_rel(sec[i * N + i], s, TEST_TOL1);
        assert_close_rel(sec2[i], s, TEST_TOL1);
        for (int j = 0; j < N; j++) {
            double c = 0;
            for (int b = 0; b < B; b++)
                c += y[b * N + i] * y[b * N + j] / B;
            assert_close_rel(sec[i * N + j], c, TEST_TOL1);
            if (i != j)
                off += c / (N * (N - 1.0));
        }
        double w = 0;
        for (int b = 0; b < B; b++)
            w += (y[b * N + i] - m) * (y[b * N + i] - m) / (B - 1.0);
        within += w / N;
        q += s / N;
        mbar += m / N;
    }
    /* sums of up to B*N terms: a few hundred ulps at most */
    const double tol = 256 * DBL_EPSILON;
    assert_close_rel(full.q, q, tol);
    assert_close_rel(diag.q, q, tol);
    assert_close_rel(full.m4, m4, tol);
    assert_close_rel(full.offdiag, off, tol);
    assert_close_rel(diag.offdiag, off, tol); /* from row sums, without the matrix */
    assert_close_rel(full.within, within, tol);
    assert_close_rel(full.mbar, mbar, tol);
    /* one input: no within-batch variance */
    il_layer_draw_compute(&full, y, 1, N, 1);
    assert_true(isnan(full.within));
}

static void test_welford(void **state)
{
    (void)state;
    enum { D = 500, n = 3 };
    il_layer_acc a;
    assert_int_equal(il_layer_acc_init(&a, n, 1, B), IL_OK);
    double y[B * n], mvec[n], sec[n * n], qs[D];
    il_layer_draw d = {.mvec = mvec, .sec = sec};
    for (int k = 0; k < D; k++) {
        fill(y, B * n, (uint64_t)k + 1);
        for (int i = 0; i < B * n; i++)
            y[i] += 1e6; /* a large offset: Welford keeps the variance accurate */
        il_layer_draw_compute(&d, y, B, n, 1);
        il_layer_acc_push(&a, &d);
        qs[k] = d.q;
    }
    double mean = 0, var = 0;
    for (int k = 0; k < D; k++)
        mean += qs[k] / D;
    for (int k = 0; k < D; k++)
        var += (qs[k] - mean) * (qs[k] - mean) / (D - 1);
    il_layer_summary s;
    il_layer_acc_summary(&a, &s);
    assert_int_equal(s.draws, D);
    assert_close_rel(s.q, mean, 1e-15);
    assert_close_rel(s.q_se, sqrt(var / D), 1e-9);
    assert_close_rel(s.q_sd, sqrt(var), 1e-9);
    double c, se;
    assert_int_equal(il_layer_acc_cov(&a, 0, 0, &c, &se), IL_OK);
    assert_true(c > 0.0);
    assert_int_equal(il_layer_acc_cov(&a, 0, 5, &c, &se), IL_EINVAL);
    il_layer_acc_release(&a);
    il_layer_acc_release(&a); /* twice is harmless */
}

static void test_writers(void **state)
{
    (void)state;
    il_layer_acc a;
    assert_int_equal(il_layer_acc_init(&a, 2, 1, 1), IL_OK);
    double y[2] = {1.0, -2.0}, mvec[2], sec[4];
    il_layer_draw d = {.mvec = mvec, .sec = sec};
    il_layer_draw_compute(&d, y, 1, 2, 1);
    il_layer_acc_push(&a, &d);
    il_param p[] = {{"seed", "3", 1}, {"act", "relu", 0}};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(il_moments_write_tsv(f, "sim", p, 2, &a, NULL, 1), IL_OK);
    fclose(f);
    assert_non_null(strstr(buf, "# seed = 3\n"));
    assert_non_null(strstr(buf, "\tq_se\t"));
    assert_non_null(strstr(buf, "1\tpre\t2\t1\t")); /* one draw ... */
    assert_non_null(strstr(buf, "NaN"));            /* ... so the SEs are NaN, written as such */
    free(buf);
    json_t *j = il_moments_to_json("sim", p, 2, &a, NULL, 1, 1);
    assert_non_null(j);
    assert_true(json_is_null(json_object_get(json_array_get(json_object_get(j, "layers"), 0), "q_se")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "params"), "seed")), 3);
    assert_true(json_real_value(json_object_get(json_array_get(json_object_get(j, "layers"), 0), "q")) == 2.5);
    json_decref(j);
    il_layer_acc_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_draw_by_hand),
        cmocka_unit_test(test_welford),
        cmocka_unit_test(test_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
