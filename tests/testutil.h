/* testutil.h: shared helpers for the cmocka unit tests: named tolerances and z-score checks that
 * print both sides. */
#ifndef IL_TESTUTIL_H
#define IL_TESTUTIL_H

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

/* Exact identities: a few ulps. */
#define TEST_TOL0 (2.0 * DBL_EPSILON)
#define TEST_TOL1 (16.0 * DBL_EPSILON)
/* Monte Carlo against a formula: fail past this many standard errors. With a handful of such
 * checks per test file, a correct formula fails with probability ~1e-6 per check. */
#define Z_THRESHOLD 5.0

/* Fails, printing both sides, unless |got - want| <= tol * max(1, |want|). */
#define assert_close_rel(got, want, tol)                                                         \
    do {                                                                                          \
        double g_ = (got), w_ = (want), t_ = (tol);                                               \
        double s_ = fabs(w_) > 1.0 ? fabs(w_) : 1.0;                                              \
        if (!(fabs(g_ - w_) <= t_ * s_))                                                          \
            fail_msg("%s = %.17g, want %.17g (rel tol %.3g)", #got, g_, w_, t_);                 \
    } while (0)

/* Fails unless |est - want| <= Z_THRESHOLD * se, printing the z-score. se must be > 0. */
#define assert_z(est, se, want)                                                                   \
    do {                                                                                          \
        double e_ = (est), s_ = (se), w_ = (want);                                                \
        if (!(s_ > 0.0))                                                                          \
            fail_msg("%s: standard error %.3g is not positive", #est, s_);                        \
        double z_ = (e_ - w_) / s_;                                                               \
        if (!(fabs(z_) <= Z_THRESHOLD))                                                           \
            fail_msg("%s = %.10g +- %.3g, want %.10g: z = %.2f beyond %.1f", #est, e_, s_, w_, z_, \
                     Z_THRESHOLD);                                                                \
    } while (0)

/* Test of the test: the estimate must be refuted (|z| > Z_THRESHOLD) against a wrong value. */
#define assert_z_refutes(est, se, wrong)                                                          \
    do {                                                                                          \
        double e_ = (est), s_ = (se), w_ = (wrong);                                               \
        double z_ = (e_ - w_) / s_;                                                               \
        if (!(fabs(z_) > Z_THRESHOLD))                                                            \
            fail_msg("%s = %.10g +- %.3g was not refuted against wrong value %.10g (z = %.2f)",   \
                     #est, e_, s_, w_, z_);                                                       \
    } while (0)

#endif
