/* verdict.h: is a Monte Carlo estimate consistent with a formula? A stated test per item, Holm's
 * correction over a family, and a three-way verdict with the number of draws needed to decide.
 *
 * Input per item i: an estimate est_i with its standard error se_i (the across-draw standard error
 * of a mean over D independent networks, as sim/moments.h reports it) and the formula's value_i.
 * The test assumes est_i is unbiased for the quantity the formula predicts and that
 * (est_i - truth_i) / se_i is (approximately) standard normal or, with the SE itself estimated from
 * D draws, Student t with D - 1 degrees of freedom.
 *
 * THE RULE. Let d = est - value, s = se, and the relevant deviation
 *     delta = max(rel_tol * |scale|, abs_tol),   scale = value unless the caller gives one
 * (default rel_tol = 1 %, abs_tol = 0). F is the reference distribution (t_{D-1} by default,
 * N(0,1) on request or when D is unknown), Q_F its upper tail.
 *   1. Refutation test, H0: truth = value.  z = d / s,  p = 2 Q_F(|z|).
 *   2. Confirmation test (equivalence, TOST), H0: |truth - value| >= delta.
 *        p_equiv = max( Q_F((d + delta) / s), Q_F((delta - d) / s) ).
 *      p_equiv <= a is the same as: the (1 - 2a) confidence interval d -/+ Q_F^-1(a) s lies inside
 *      [-delta, delta]. With delta = 0 (value 0, no abs_tol, no scale) p_equiv >= 1/2: nothing can
 *      be confirmed without a tolerance.
 *   3. Holm's step-down procedure at level alpha (default 1e-3) is applied to the m p-values of the
 *      family, and separately to the m p_equiv. reject_i and equiv_i are its decisions.
 *   4. verdict_i = REFUTED if reject_i; else CONSISTENT if equiv_i; else INCONCLUSIVE.
 *      overall = REFUTED if any item is; else INCONCLUSIVE if any is; else CONSISTENT.
 * What it guarantees (under the distributional assumption above, for any dependence between items):
 *   - P(some correct formula is refuted) <= alpha         (Holm controls the family-wise error).
 *   - P(some item is called consistent although its true deviation is >= delta) <= alpha.
 * So "consistent" is a positive finding of the same strength as "refuted": the data exclude any
 * relevant deviation, not merely fail to show one. (Post-hoc power computed from the observed effect
 * is a function of the p-value and would add nothing; the interval rule is the honest form of "the
 * test had enough power to see a relevant effect".) An item can be refuted with equiv_i = 1: a real
 * deviation smaller than delta. It stays REFUTED (a formula claimed exact is wrong) and the reason
 * says the deviation is within tolerance.
 *
 * EXACT CASE, se = 0 (e.g. a deterministic quantity): no division. The item is CONSISTENT if
 * |d| <= exact_ulps * DBL_EPSILON * max(|est|, |value|) (p = 1, p_equiv = 0, z = 0), else REFUTED
 * (p = 0, p_equiv = 1, z = +-inf). These p-values enter Holm like any other.
 * NOT TESTABLE: a NaN or infinite est or value, a NaN, infinite or negative se, a non-finite scale,
 * or D = 1 with the Student reference. The item is INCONCLUSIVE with a reason; z, p, p_equiv,
 * n_needed are NaN; it still counts in m and enters Holm as p = 1 (conservative).
 *
 * DRAWS NEEDED (INCONCLUSIVE items only; NaN otherwise). A planning figure that takes the observed
 * |d| as the true deviation and assumes se ~ 1/sqrt(D). With the strictest Holm thresholds (those of
 * Bonferroni, so they suffice wherever the item falls in the step-down)
 *     z_r = Q_F^-1(alpha / (2m)),  z_e = Q_F^-1(alpha / m),  z_b = Q_F^-1(beta),  z_b2 = Q_F^-1(beta / 2),
 *     se_refute = |d| / (z_r + z_b)                         SE refuting a deviation |d| w.p. >= 1 - beta
 *     se_equiv  = (delta - |d|) / (z_e + z_b2)  if |d| < delta, else 0
 *                                                           SE confirming it w.p. >= 1 - beta
 *     se_needed = max(se_refute, se_equiv),   n_needed = ceil(D * (se / se_needed)^2)
 * i.e. D ((z_alpha + z_beta) se / effect)^2 with effect = |d| to refute, and effect = delta - |d|
 * (= delta, the tolerance, when the observed deviation is tiny) to confirm, whichever needs fewer
 * draws. Under the Student reference the quantiles are those of t_{D-1}, larger than at
 * n_needed - 1 degrees of freedom, so the figure errs high. n_needed > D always; +inf when no
 * number of draws can decide (d = 0 and delta = 0); NaN when D is unknown (0), in which case
 * se_needed still says how small the SE must get. Default beta = 0.2 (power 80 %).
 * Do not top up the same run and test again: every look spends alpha. Run a fresh, independent
 * batch of n_needed draws (or divide alpha among the looks). */
#ifndef IL_VERDICT_H
#define IL_VERDICT_H

#include <stddef.h>
#include "error.h"

/* Defaults (see il_verdict_opts). */
#define IL_VERDICT_ALPHA 1e-3       /* family-wise level of refutation and of confirmation */
#define IL_VERDICT_REL_TOL 0.01     /* a relevant deviation: 1 % of |value| */
#define IL_VERDICT_ABS_TOL 0.0      /* absolute floor on the relevant deviation */
#define IL_VERDICT_BETA 0.2         /* 1 - power used for n_needed */
#define IL_VERDICT_EXACT_ULPS 4.0   /* se = 0: equal within this many DBL_EPSILON (relative) */

typedef enum { IL_VERDICT_CONSISTENT = 0, IL_VERDICT_REFUTED, IL_VERDICT_INCONCLUSIVE } il_verdict;

/* il_verdict_name: "consistent", "refuted", "inconclusive" ("unknown" for anything else). */
const char *il_verdict_name(il_verdict v);

typedef enum {
    IL_VERDICT_REF_STUDENT = 0, /* t with D - 1 degrees of freedom (D >= 2); N(0,1) when D = 0 */
    IL_VERDICT_REF_NORMAL       /* N(0,1): for SEs known exactly, or as D -> infinity */
} il_verdict_ref;

typedef struct {
    double alpha;       /* (0, 0.5): family-wise level, for refutations and for confirmations */
    double rel_tol;     /* >= 0: relevant deviation relative to |scale| */
    double abs_tol;     /* >= 0: relevant deviation floor, for values at or near 0 */
    double beta;        /* (0, 0.5): 1 - power for n_needed */
    double exact_ulps;  /* >= 0: tolerance of the se = 0 comparison */
    il_verdict_ref ref;
} il_verdict_opts;

/* il_verdict_opts_default: the IL_VERDICT_* defaults and the Student reference. */
void il_verdict_opts_default(il_verdict_opts *o);

/* il_verdict_opts_check: IL_OK if every field is in range, else IL_EINVAL. */
il_status il_verdict_opts_check(const il_verdict_opts *o);

/* il_verdict_p_two_sided: 2 Q(|z|) for N(0,1) (df <= 0 or infinite) or for t_df; NaN for NaN z.
 * From gsl_cdf_ugaussian_Q / gsl_cdf_tdist_Q, accurate in the far tail (underflows to 0 past
 * |z| ~ 38 for the normal). */
double il_verdict_p_two_sided(double z, double df);

/* il_verdict_holm_adjust: Holm's adjusted p-values of p[0..m-1] into p_adj (caller-owned, m;
 * may alias p): sorted ascending, p~_(k) = max_{j<=k} min(1, (m - j + 1) p_(j)). Rejecting
 * p_adj[i] <= alpha is exactly Holm's step-down at alpha. NaN p counts as 1 (p_adj = 1).
 * IL_EINVAL for a p outside [0, 1] or NULL arrays with m > 0; IL_ENOMEM. m = 0 does nothing. */
il_status il_verdict_holm_adjust(const double *p, size_t m, double *p_adj);

/* il_verdict_holm: reject[i] = 1 if Holm's step-down rejects hypothesis i at family-wise level
 * alpha in (0, 1), else 0. Same errors as il_verdict_holm_adjust, and IL_EINVAL for alpha. */
il_status il_verdict_holm(const double *p, size_t m, double alpha, int *reject);

/* One item's result. */
typedef struct {
    double z;           /* (est - value) / se; +-inf or 0 when se = 0; NaN when not testable */
    double p;           /* two-sided p of H0: truth = value */
    double p_adj;       /* Holm-adjusted p */
    int reject;         /* Holm rejects at alpha */
    double delta;       /* relevant deviation used */
    double p_equiv;     /* TOST p of H0: |truth - value| >= delta */
    double p_equiv_adj; /* Holm-adjusted */
    int equiv;          /* Holm rejects non-equivalence at alpha */
    il_verdict verdict;
    double se_needed;   /* INCONCLUSIVE: SE that would decide (see above); else NaN */
    double n_needed;    /* INCONCLUSIVE: draws that would decide; +inf: none can; else NaN */
    const char *reason; /* static English text, never NULL */
} il_verdict_item;

typedef struct {
    il_verdict overall;
    size_t refuted, consistent, inconclusive; /* counts of items */
} il_verdict_summary;

/* il_verdict_family: applies THE RULE to m >= 1 items est[i], se[i], value[i] (borrowed arrays of
 * m), with scale[i] as the size that rel_tol multiplies (scale = NULL: |value[i]|; give e.g. the
 * variance as the scale of a covariance whose claimed value is 0). n_draws = D, the number of
 * independent draws behind every se (0: unknown). opts = NULL uses the defaults. Fills items[0..m-1]
 * (caller-owned) and *summary (may be NULL).
 * Returns IL_OK (untestable items are verdicts, not errors), IL_EINVAL for m = 0, NULL arrays or
 * options out of range, IL_ENOMEM. Thread-safe (no shared state). */
il_status il_verdict_family(const double *est, const double *se, const double *value, const double *scale,
                            size_t m, size_t n_draws, const il_verdict_opts *opts, il_verdict_item *items,
                            il_verdict_summary *summary);

#endif
