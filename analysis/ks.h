/* ks.h: the two-sample Kolmogorov-Smirnov test: the statistic D = sup_t |F1(t) - F2(t)| of two
 * empirical distribution functions, computed exactly with ties, and its p-value from Kolmogorov's
 * limiting distribution with Stephens' small-sample correction.
 *
 * P-VALUE. With n_e = n1 n2 / (n1 + n2) and
 *     lambda = (sqrt(n_e) + 0.12 + 0.11 / sqrt(n_e)) D            (Stephens 1970; Numerical Recipes'
 *                                                                   kstwo uses the same form)
 * the p-value is Q_KS(lambda), where Q_KS is the survival function of Kolmogorov's distribution
 *     Q_KS(l) = P(K > l) = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 l^2)
 *             = 1 - (sqrt(2 pi) / l) sum_{k>=1} exp(-(2k-1)^2 pi^2 / (8 l^2))   (Jacobi's form).
 * The first series is used for l >= 1 (relative accuracy in the far tail, down to underflow near
 * l = 19), the second below (where the first converges slowly). Tested against scipy.special.
 * kolmogorov and against the exact null distribution for n1 = n2 (tests/test_ks.c). The corrected
 * p-value is within about 0.01 of the exact one for n1 = n2 >= 20 at the levels that matter; the
 * asymptotic form without the correction is noticeably conservative at small n.
 *
 * TIES AND ATOMS. D is computed on the right-continuous empirical CDFs, stepping over all values
 * equal to the current one in both samples before comparing, so tied values are handled exactly
 * (-0.0 and +0.0 are one value). Kolmogorov's distribution is the null law of sqrt(n_e) D only for
 * continuous distributions. When the common distribution has atoms (relu outputs, dropped units at
 * exactly 0), the null law of D is stochastically smaller (the Brownian bridge is only examined at
 * the points F(t) the distribution attains), so the p-value is conservative: valid, with a false
 * rejection rate at most the nominal level, and some power lost. No tie correction is attempted.
 *
 * NaNs cannot be ordered: every function that reads samples refuses them (IL_EINVAL). */
#ifndef IL_KS_H
#define IL_KS_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

/* il_ks_q: Q_KS(lambda), the Kolmogorov survival function; 1 for lambda <= 0, NaN for NaN. */
double il_ks_q(double lambda);

/* il_ks_q_inv: the lambda with Q_KS(lambda) = a, for a in (0, 1) (bisection to full precision);
 * NaN outside. E.g. il_ks_q_inv(0.05) = 1.3581. */
double il_ks_q_inv(double a);

/* il_ks_lambda: Stephens' corrected statistic (sqrt(n_e) + 0.12 + 0.11/sqrt(n_e)) d for sample sizes
 * n1, n2 >= 1; NaN if either is 0. */
double il_ks_lambda(double d, size_t n1, size_t n2);

/* il_ks_pvalue: Q_KS(il_ks_lambda(d, n1, n2)), in [0, 1]; NaN if d is NaN or a size is 0. */
double il_ks_pvalue(double d, size_t n1, size_t n2);

/* il_ks_detectable: the population KS distance the test detects with probability >= 1 - beta at
 * level alpha (both in (0, 1)), for sizes n1, n2:
 *     D_det = (Q_KS^-1(alpha) + z_beta / 2) / (sqrt(n_e) + 0.12 + 0.11 / sqrt(n_e)).
 * Derivation: at the point t* where |F1 - F2| = D, sqrt(n_e) (F1_n - F2_n)(t*) is asymptotically
 * normal with mean sqrt(n_e) D and variance F(1 - F) <= 1/4, and D_n >= |(F1_n - F2_n)(t*)|; so the
 * test rejects with probability >= Phi((sqrt(n_e) D - lambda_alpha) / (1/2)). A planning figure:
 * conservative in the variance bound, asymptotic in the normal approximation. */
double il_ks_detectable(size_t n1, size_t n2, double alpha, double beta);

/* il_ks_power: the same approximation read the other way: a lower bound on the probability that
 * the test at level alpha rejects when the population distance is effect >= 0, namely
 * Phi(2 (sqrt(n_e) effect - lambda_alpha)) with the Stephens factor in place of sqrt(n_e). */
double il_ks_power(double effect, size_t n1, size_t n2, double alpha);

/* Order-preserving keys: key(a) < key(b) iff a < b, key(a) == key(b) iff a == b (so -0.0 and +0.0
 * share a key), for non-NaN doubles. il_ks_unkey inverts it (giving +0.0 for zero). */
uint64_t il_ks_key(double x);
double il_ks_unkey(uint64_t k);

/* il_ks_sort_keys: sorts k[0..n-1] ascending (LSD radix sort, 8 bits per pass, passes where every
 * key has the same byte skipped; stable, O(n)). scratch has n elements. */
void il_ks_sort_keys(uint64_t *k, size_t n, uint64_t *scratch);

/* il_ks_stat_keys: D of two sorted key arrays (n1, n2 >= 1), ties handled as above. */
double il_ks_stat_keys(const uint64_t *a, size_t n1, const uint64_t *b, size_t n2);

typedef struct {
    size_t n1, n2;
    double d;       /* sup |F1 - F2| */
    double lambda;  /* Stephens' corrected statistic */
    double p;       /* Q_KS(lambda) */
} il_ks_result;

/* il_ks_two_sample: the test on x[0..n1-1] and y[0..n2-1] (borrowed, not modified; n1, n2 >= 1).
 * Allocates and frees its own workspace (n1 + n2 + max(n1, n2) 64-bit words). IL_EINVAL for a size 0, NULL
 * arrays or a NaN; IL_ENOMEM. */
il_status il_ks_two_sample(const double *x, size_t n1, const double *y, size_t n2, il_ks_result *out);

#endif
