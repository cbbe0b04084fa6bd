/* test_moments.c: per-draw statistics against direct computation, full vs diagonal agreement,
 * Welford accumulation against the two-pass formulas, and the writers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

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

/* ---- bit for bit against the definition ----------------------------------------------------------------
 * ref_draw_compute is the textbook loop nest that defines every per-draw value, order of roundings included
 * (moments.c's comment); the engine computes the same values in another loop order and must agree in every
 * bit, for both matrix layouts, and so must the accumulators after pushes of the full and the packed form. */
static void ref_draw_compute(il_layer_draw *d, const double *y, size_t Bn, size_t n, int full)
{
    const double inv_b = 1.0 / (double)Bn;
    double m4 = 0.0, off = 0.0, mp[4] = {0.0, 0.0, 0.0, 0.0};
    for (size_t i = 0; i < n; i++)
        d->mvec[i] = 0.0;
    if (!full)
        for (size_t i = 0; i < n; i++)
            d->sec[i] = 0.0;
    for (size_t b = 0; b < Bn; b++) {
        const double *row = y + b * n;
        double rs = 0.0, rs2 = 0.0;
        for (size_t i = 0; i < n; i++) {
            double v = row[i], v2 = v * v;
            d->mvec[i] += v;
            rs += v;
            rs2 += v2;
            m4 += v2 * v2;
            if (!full)
                d->sec[i] += v2;
        }
        if (!full)
            off += rs * rs - rs2;
        double mb = rs2 / (double)n, mb2 = mb * mb;
        mp[0] += mb;
        mp[1] += mb2;
        mp[2] += mb2 * mb;
        mp[3] += mb2 * mb2;
    }
    for (int k = 0; k < 4; k++)
        d->mpow[k] = mp[k] * inv_b;
    d->mpair = Bn > 1 ? (mp[0] * mp[0] - mp[1]) / ((double)Bn * (double)(Bn - 1)) : NAN;
    for (size_t i = 0; i < n; i++)
        d->mvec[i] *= inv_b;
    double q = 0.0;
    if (full) {
        if (n <= 16) {
            for (size_t i = 0; i < n; i++)
                for (size_t j = i; j < n; j++) {
                    double sum = 0.0;
                    for (size_t b = 0; b < Bn; b++)
                        sum += y[b * n + i] * y[b * n + j];
                    d->sec[i * n + j] = sum * inv_b;
                }
        } else {
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)n, (int)Bn, inv_b, y, (int)n, 0.0, d->sec,
                        (int)n);
        }
        double offsum = 0.0;
        for (size_t i = 0; i < n; i++) {
            q += d->sec[i * n + i];
            for (size_t j = i + 1; j < n; j++) {
                d->sec[j * n + i] = d->sec[i * n + j];
                offsum += 2.0 * d->sec[i * n + j];
            }
        }
        d->offdiag = n > 1 ? offsum / ((double)n * (double)(n - 1)) : NAN;
    } else {
        for (size_t i = 0; i < n; i++) {
            d->sec[i] *= inv_b;
            q += d->sec[i];
        }
        d->offdiag = n > 1 ? off * inv_b / ((double)n * (double)(n - 1)) : NAN;
    }
    d->q = q / (double)n;
    d->m4 = m4 * inv_b / (double)n;
    double mb = 0.0;
    for (size_t i = 0; i < n; i++)
        mb += d->mvec[i];
    d->mbar = mb / (double)n;
    if (Bn > 1) {
        double w = 0.0;
        for (size_t b = 0; b < Bn; b++)
            for (size_t i = 0; i < n; i++) {
                double e = y[b * n + i] - d->mvec[i];
                w += e * e;
            }
        d->within = w / ((double)(Bn - 1) * (double)n);
    } else {
        d->within = NAN;
    }
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void assert_same_draw(const il_layer_draw *a, const il_layer_draw *b, size_t n, size_t ns, size_t Bn)
{
    const double sa[] = {a->mbar, a->q, a->m4, a->within, a->offdiag, a->mpow[0], a->mpow[1], a->mpow[2],
                         a->mpow[3], a->mpair};
    const double sb[] = {b->mbar, b->q, b->m4, b->within, b->offdiag, b->mpow[0], b->mpow[1], b->mpow[2],
                         b->mpow[3], b->mpair};
    for (size_t t = 0; t < sizeof sa / sizeof sa[0]; t++)
        if (!same_bits(sa[t], sb[t]))
            fail_msg("B = %zu, n = %zu: scalar %zu is %.17g, the definition gives %.17g", Bn, n, t, sa[t], sb[t]);
    for (size_t i = 0; i < n; i++)
        if (!same_bits(a->mvec[i], b->mvec[i]))
            fail_msg("B = %zu, n = %zu: mvec[%zu] differs", Bn, n, i);
    for (size_t i = 0; i < ns; i++)
        if (!same_bits(a->sec[i], b->sec[i]))
            fail_msg("B = %zu, n = %zu: sec[%zu] = %.17g, the definition gives %.17g", Bn, n, i, a->sec[i],
                     b->sec[i]);
}

static int same_wacc(const il_wacc *a, const il_wacc *b)
{
    return same_bits(a->mean, b->mean) && same_bits(a->m2, b->m2);
}

static void test_draw_bit_identical(void **state)
{
    (void)state;
    static const size_t ns_[] = {1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 24, 33, 64, 65, 130};
    static const size_t bs_[] = {1, 2, 3, 4, 5, 7, 9, 16, 33, 64};
    enum { NMAX = 130, BMAX = 64 };
    static double y[BMAX * NMAX], m1[NMAX], m2[NMAX], s1[NMAX * NMAX], s2[NMAX * NMAX];
    static double scratch[NMAX * NMAX + NMAX * NMAX / 2 + 1];
    for (size_t a = 0; a < sizeof ns_ / sizeof ns_[0]; a++)
        for (size_t c = 0; c < sizeof bs_ / sizeof bs_[0]; c++) {
            size_t n = ns_[a], Bn = bs_[c];
            il_rng r;
            il_rng_seed(&r, 31 + n, Bn);
            il_rng_fill_normal(&r, y, Bn * n, 0.2, 1.3);
            if (n > 2)
                y[n + 1] = -0.0, y[2] = 0.0; /* signed zeros take part too */
            for (int full = 0; full <= 1; full++) {
                il_layer_draw want = {.mvec = m1, .sec = s1}, got = {.mvec = m2, .sec = s2};
                ref_draw_compute(&want, y, Bn, n, full);
                il_layer_draw_compute(&got, y, Bn, n, full);
                assert_same_draw(&got, &want, n, full ? n * n : n, Bn);
                if (!full)
                    continue;
                il_layer_draw_compute_upper(&got, y, Bn, n, scratch);
                double packed[NMAX * (NMAX + 1) / 2];
                for (size_t i = 0, p = 0; i < n; i++)
                    for (size_t j = i; j < n; j++)
                        packed[p++] = s1[i * n + j];
                il_layer_draw pw = want;
                pw.sec = packed;
                assert_same_draw(&got, &pw, n, n * (n + 1) / 2, Bn);
            }
        }

    /* accumulators: full pushes against packed pushes and a mirror */
    const size_t n = 9, Bn = 5;
    il_layer_acc full, up;
    assert_int_equal(il_layer_acc_init(&full, n, 1, Bn), IL_OK);
    assert_int_equal(il_layer_acc_init(&up, n, 1, Bn), IL_OK);
    for (int k = 0; k < 50; k++) {
        il_rng r;
        il_rng_seed(&r, 77, (uint64_t)k);
        il_rng_fill_normal(&r, y, Bn * n, 0.0, 1.0 + 0.1 * k);
        il_layer_draw d1 = {.mvec = m1, .sec = s1}, d2 = {.mvec = m2, .sec = s2};
        il_layer_draw_compute(&d1, y, Bn, n, 1);
        il_layer_draw_compute_upper(&d2, y, Bn, n, scratch);
        il_layer_acc_push(&full, &d1);
        il_layer_acc_push_upper(&up, &d2);
    }
    il_layer_acc_mirror(&up);
    for (size_t i = 0; i < n * n; i++)
        assert_true(same_wacc(&full.sec[i], &up.sec[i]));
    for (size_t i = 0; i < n; i++)
        assert_true(same_wacc(&full.mvec[i], &up.mvec[i]));
    assert_true(same_wacc(&full.q, &up.q) && same_wacc(&full.within, &up.within) &&
                same_wacc(&full.offdiag, &up.offdiag) && same_wacc(&full.m4, &up.m4));
    assert_memory_equal(&full.fl, &up.fl, sizeof full.fl);
    il_layer_acc_release(&full);
    il_layer_acc_release(&up);
}

/* Two layers finished side by side give the records of one-step computation, for equal and unequal shapes. */
static void test_draw_pairs(void **state)
{
    (void)state;
    static const size_t shapes[][3] = {{4, 4, 64}, {3, 7, 5}, {20, 20, 3}, {17, 2, 9}, {5, 1, 1}, {70, 70, 4},
                                       {1, 6, 2}};
    enum { NM = 70, BM = 64 };
    static double ya[BM * NM], yb[BM * NM], m1[NM], m2[NM], s1[NM * NM], s2[NM * NM], r1[NM], r2[NM],
        q1[NM * NM], q2[NM * NM];
    static double sa[NM * NM + NM * NM / 2 + 1], sb[NM * NM + NM * NM / 2 + 1];
    for (size_t c = 0; c < sizeof shapes / sizeof shapes[0]; c++)
        for (int full = 0; full <= 1; full++) {
            size_t na = shapes[c][0], nb = shapes[c][1], Bn = shapes[c][2];
            il_rng r;
            il_rng_seed(&r, 3, c);
            il_rng_fill_normal(&r, ya, Bn * na, 0.1, 1.0);
            il_rng_fill_normal(&r, yb, Bn * nb, -0.2, 2.0);
            int fa = full && na <= 64, fb = full && nb <= 64;
            il_layer_draw da = {.mvec = m1, .sec = s1}, db = {.mvec = m2, .sec = s2};
            il_layer_draw wa = {.mvec = r1, .sec = q1}, wb = {.mvec = r2, .sec = q2};
            il_layer_pending pa, pb;
            il_layer_draw_start(&pa, &da, ya, Bn, na, fa, sa);
            il_layer_draw_start(&pb, &db, yb, Bn, nb, fb, sb);
            il_layer_draw_finish(&pa, &pb);
            if (fa)
                il_layer_draw_compute_upper(&wa, ya, Bn, na, sa);
            else
                il_layer_draw_compute(&wa, ya, Bn, na, 0);
            if (fb)
                il_layer_draw_compute_upper(&wb, yb, Bn, nb, sb);
            else
                il_layer_draw_compute(&wb, yb, Bn, nb, 0);
            assert_same_draw(&da, &wa, na, fa ? na * (na + 1) / 2 : na, Bn);
            assert_same_draw(&db, &wb, nb, fb ? nb * (nb + 1) / 2 : nb, Bn);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_draw_by_hand),
        cmocka_unit_test(test_welford),
        cmocka_unit_test(test_writers),
        cmocka_unit_test(test_draw_bit_identical),
        cmocka_unit_test(test_draw_pairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
