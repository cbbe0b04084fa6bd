/* commute.h: does dropout commute with an activation? Is linear -> dropout -> phi the same as
 * linear -> phi -> dropout? Decided at three levels, each of which can fail on its own, for one
 * activation, one drop probability p and one dropout kind at a time. Derivations: docs/commute.md.
 *
 * NOTATION. y is a unit's linear output, m its mask: m = c with probability 1 - p, else 0, where
 * c = 1/(1-p) for inverted dropout (nn.Dropout) and c = 1 for classic dropout (Srivastava et al.
 * 2014). "dropout first" is phi(m y), "act first" is m phi(y). At test time the mask is replaced by
 * the kind's rule, the factor s = 1 (inverted: identity) or s = 1 - p (classic); in both s = E[m].
 *
 * THE CRITERION (derived in docs/commute.md). For p > 0 both mask values occur, so the orders agree
 * for every y and mask if and only if
 *     phi(0) = 0                       (m = 0)          and
 *     phi(c y) = c phi(y) for all y    (m = c; vacuous for classic dropout, where c = 1).
 * For p = 0 the mask is always 1 and the orders always agree; for classic p = 1 it is always 0 and
 * they agree iff phi(0) = 0. il_commute_criterion_check tests this on a grid (a linear grid on
 * [-30, 30] with step 2^-10, a geometric grid +-2^(k/4) for |k| <= 4000 as far as c y stays finite,
 * and special points: +-0, the smallest normal and subnormal numbers, and the kinks of phi with their
 * images under c and 1/c), comparing a = phi(fl(c y)) with b = fl(c phi(y)) with a ulp-aware rule:
 *     equal  iff  |a - b| <= ulps * DBL_EPSILON * max(|a|, |b|)  or  |a - b| <= ulps * DBL_TRUE_MIN.
 * A grid cannot prove an identity; it can refute one, and for the activations of sim/act.h the
 * derivation says which ones hold (the tests compare the two).
 *
 * PATHWISE. The same inputs y_i and the same masks m_i (drawn as sim/net.c draws them, with
 * il_rng_fill_bernoulli(keep 1 - p, value c)) through both orders: the maximum absolute and relative
 * difference and the fraction of samples that differ beyond the ulp rule.
 *
 * IN DISTRIBUTION. Two independent samples: dropout-first outputs from pool A (inputs ya, masks of
 * generator A), act-first outputs from pool B (inputs yb, independent masks of generator B). Means and
 * variances are compared with z-tests (normal reference; the SE of a variance difference from the
 * fourth central moments) through analysis/verdict.h's rule, with an equivalence margin of
 * opts.tol times the outputs' root mean square (means) or their mean variance (variances); the
 * whole laws with the two-sample Kolmogorov-Smirnov test (analysis/ks.h). Holm's procedure runs over
 * the whole run: the z-tests of all cases form one family at level alpha/2, the KS tests another at
 * alpha/2, so the probability that any case whose orders have the same law is called "differ" is at
 * most alpha. The KS distance between the two laws is bounded above with confidence 1 - alpha/2
 * (over the run) by the Dvoretzky-Kiefer-Wolfowitz inequality with Massart's constant, which holds
 * for any law, atoms included: ks_upper = D + sum_j sqrt(log(4 m / (alpha/2)) / (2 n_j)).
 * Power: the KS distance between the two laws is estimated on pool A with common inputs,
 *     effect = sup_t | p 1[phi(0) <= t] + (1-p) F^_{phi(cY)}(t) - p 1[0 <= t] - (1-p) F^_{c phi(Y)}(t) |,
 * where only the samples with phi(c y_i) != c phi(y_i) contribute, so it is far less noisy than the
 * two-sample D; by the coupling inequality it is at most p 1[phi(0) != 0] + (1-p) (fraction of inputs
 * where phi(c y) != c phi(y)). With it: the distance detectable with power 1 - beta at the strictest
 * Holm level (il_ks_detectable), the power against the effect (il_ks_power), and the sample size per
 * pool that would reach power 1 - beta. Status:
 *     DIFFER        some test rejects (after Holm);
 *     SAME          nothing rejects, effect = 0 (the two laws coincide on pool A), and ks_upper <=
 *                   opts.tol (the sample bounds the distance between the laws by the margin);
 *     INCONCLUSIVE  otherwise: a difference exists on pool A but is too small to be detected by
 *                   samples of this size (see n_needed), or the distance is not bounded by the margin.
 * The mean and variance verdicts (consistent = equal within the margin, shown by equivalence tests)
 * are reported but do not gate SAME: outputs with many dropped units have heavy tails, and their
 * variance needs far more samples to pin down than their distribution function.
 *
 * TEST TIME. For the unit's output after the activation, in each order, the training-time output
 * (with masks) against the test-time output (the kind's rule: identity for inverted, times (1 - p)
 * for classic, applied where the dropout sits): the mean gap E[train - test] on paired samples with
 * its SE and a verdict (analysis/verdict.h, margin tol times the test output's RMS; one Holm family
 * at alpha over all cases and both orders), and the variance shift Var(train) - Var(test) (Li et al.
 * 2019) with its SE (delta method). With the dropout after phi, E[train] = E[m] E[phi(Y)] =
 * s E[phi(Y)] exactly, and the shift is Var(m) E[phi(Y)^2], Var(m) = p/(1-p) (inverted) or p(1-p)
 * (classic); shift_formula evaluates it with E[phi(Y)^2] estimated on the same inputs. With the
 * dropout before phi, E[phi(mY)] = p phi(0) + (1-p) E[phi(cY)] against E[phi(sY)]: equal for every
 * law of Y when phi(0) = 0 and phi is positively homogeneous, not in general.
 *
 * LEVELS. agree: criterion holds, no pathwise difference, distribution SAME; or criterion fails,
 * pathwise differences, distribution DIFFER. partial: no level contradicts another but one could not
 * see the difference (failure region never sampled; effect below detection) or could not confirm
 * the equality (distance between the laws not bounded by the margin); the note says which. disagree: the criterion holds but a
 * pathwise difference or a distributional rejection was found (a rejection happens by chance with
 * probability at most alpha over the run; a pathwise difference never should).
 *
 * RANDOMNESS. Every generator is il_rng_seed_draw(seed, d) for a draw number d (not il_rng_seed with
 * consecutive streams, whose values are correlated across streams; sim/rng.h). Input i of a pool is
 * draw d0 + i, with d0 given to il_commute_draw_inputs (the command uses 0 for pool A and 2^62 for
 * pool B). The masks of a case come from draws 2^63 + 2h and 2^63 + 2h + 1, where h is a 62-bit
 * FNV-1a hash of the case ("spec|p|kind", p with %.17g), so a case's numbers do not depend on which
 * other cases are run (Holm-adjusted p-values and verdicts do: they depend on the family). Cases
 * run in parallel; the output does not depend on the thread count. */
#ifndef IL_COMMUTE_H
#define IL_COMMUTE_H

#include <stddef.h>
#include <stdint.h>

#include <stdio.h>
#include <jansson.h>

#include "act.h"
#include "error.h"
#include "ks.h"
#include "moments.h"
#include "net.h"
#include "verdict.h"

#define IL_COMMUTE_ULPS 8.0   /* default ulp tolerance of every "equal" */
#define IL_COMMUTE_TOL 0.1    /* default equivalence margin, relative */
#define IL_COMMUTE_DRAW_B (UINT64_C(1) << 62) /* first draw number of pool B (the command's choice) */

typedef struct {
    il_act act;
    double p;          /* in [0, 1) for inverted, [0, 1] for classic */
    il_drop_kind kind; /* IL_DROP_INVERTED or IL_DROP_CLASSIC */
} il_commute_case;

/* il_commute_case_check: IL_OK, or IL_EINVAL with a one-line reason in err (errlen bytes) for a kind
 * other than inverted or classic, a p outside [0, 1], or p = 1 with inverted dropout. */
il_status il_commute_case_check(const il_commute_case *c, char *err, size_t errlen);

/* il_commute_keep_value: c, the value of a kept unit's mask (1/(1-p) or 1). il_commute_test_scale: s,
 * the test-time factor (1 or 1-p). il_commute_mask_var: Var(m) = p/(1-p) or p(1-p). */
double il_commute_keep_value(const il_commute_case *c);
double il_commute_test_scale(const il_commute_case *c);
double il_commute_mask_var(const il_commute_case *c);

typedef struct {
    double ulps;     /* >= 0: tolerance of the "equal" rule (default IL_COMMUTE_ULPS) */
    double alpha;    /* (0, 0.5): family-wise level (default IL_VERDICT_ALPHA) */
    double tol;      /* > 0: equivalence margin, relative (default IL_COMMUTE_TOL) */
    double beta;     /* (0, 0.5): 1 - power used for planning (default IL_VERDICT_BETA) */
    int threads;     /* >= 1 (default 1) */
} il_commute_opts;

void il_commute_opts_default(il_commute_opts *o);

/* ---- level 1: the criterion ---- */

typedef struct {
    int holds;            /* the criterion holds at every grid point */
    int need_zero;        /* phi(0) = 0 is part of the criterion (p > 0) */
    int need_scale;       /* phi(c y) = c phi(y) is part of it (inverted, 0 < p < 1) */
    int zero_ok;          /* phi(0) = 0 (and phi(-0) = 0) */
    double phi0;          /* phi(0) */
    int scale_ok;         /* phi(c y) = c phi(y) at every grid point (1 when not needed) */
    double c;             /* the kept mask value */
    size_t points;        /* grid points where the scaling was compared */
    size_t failures;      /* of those, where it fails */
    double max_abs_diff;  /* max |phi(c y) - c phi(y)| over the grid (0 when not needed) */
    int has_cx;           /* a counterexample follows */
    double cx_y, cx_m;    /* an input and mask value where the orders differ */
    double cx_drop_first; /* phi(m y) */
    double cx_act_first;  /* m phi(y) */
} il_commute_criterion;

/* il_commute_criterion_check: the criterion for case *c (il_commute_case_check'ed) with the ulp
 * tolerance ulps. The counterexample, when it fails: y = 1, m = 0 if phi(0) != 0; else the grid
 * point of smallest |y| in [-30, 30] whose relative difference exceeds 1 %, or failing that the point
 * of largest difference. IL_EINVAL for an invalid case. */
il_status il_commute_criterion_check(const il_commute_case *c, double ulps, il_commute_criterion *out);

/* ---- the inputs ---- */

/* il_commute_draw_inputs: y[i] (i < n) = unit 1 of the last linear layer's output (its "pre" value)
 * of a network drawn, with its input, from il_rng_seed_draw(seed, draw0 + i), so the y[i]
 * are independent and identically distributed and the result does not depend on threads (>= 1).
 * net must pass il_net_check for batch 1; dropout ops in it are applied as in training. Returns
 * IL_OK; IL_EINVAL (a reason in err); IL_ENOMEM; IL_ENUMERIC with *bad_draw = the first draw whose
 * values overflowed. */
il_status il_commute_draw_inputs(const il_net *net, uint64_t seed, uint64_t draw0, size_t n, int threads,
                                 double *y, size_t *bad_draw, char *err, size_t errlen);

/* ---- one row of results ---- */

typedef struct {
    size_t n;             /* samples */
    size_t n_dropped;     /* of which m = 0 */
    size_t n_differ;      /* where phi(m y) and m phi(y) differ beyond the ulp rule */
    double frac_differ;   /* n_differ / n */
    double max_abs_diff;
    double max_rel_diff;  /* |a - b| / max(|a|, |b|); 0 where both are 0 */
} il_commute_pathwise;

typedef enum { IL_COMMUTE_SAME = 0, IL_COMMUTE_DIFFER, IL_COMMUTE_INCONCLUSIVE } il_commute_dist_status;
typedef enum { IL_COMMUTE_AGREE = 0, IL_COMMUTE_PARTIAL, IL_COMMUTE_DISAGREE } il_commute_levels;

/* "same", "differ", "inconclusive"; "agree", "partial", "disagree". Static strings. */
const char *il_commute_dist_name(il_commute_dist_status s);
const char *il_commute_levels_name(il_commute_levels l);

typedef struct {
    size_t n1, n2;                  /* pool sizes: dropout-first sample, act-first sample */
    double mean_drop_first, mean_act_first, var_drop_first, var_act_first;
    double mean_diff, mean_se;      /* difference dropout-first minus act-first, and its SE */
    double var_diff, var_se;
    il_verdict_item mean, var;      /* verdicts on "difference = 0" (Holm over the run) */
    il_ks_result ks;
    double ks_p_adj;                /* Holm-adjusted over the run */
    int ks_reject;
    double ks_upper;                /* DKW (Massart) upper confidence bound, level alpha/2 Bonferroni
                                     * over the run, on the KS distance between the two laws */
    double effect;                  /* estimated KS distance between the laws (see above) */
    double detectable;              /* detectable with power 1 - beta at the strictest Holm level */
    double power;                   /* lower bound on the KS test's power against effect (NaN when
                                     * effect = 0: there is nothing to detect) */
    double n_needed;                /* per-pool size for power 1 - beta against effect (NaN if the
                                     * effect is 0 or already detectable) */
    il_commute_dist_status status;
} il_commute_dist;

typedef struct {
    double train_mean, test_mean;
    double gap, gap_se;             /* mean of train - test over paired samples, and its SE */
    il_verdict_item item;           /* verdict on gap = 0 (Holm over the run) */
    double train_var, test_var;
    double shift, shift_se;         /* train_var - test_var and its delta-method SE */
    double shift_formula;           /* Var(m) E[phi(Y)^2] (dropout after phi only; NaN otherwise) */
    double var_ratio;               /* train_var / test_var (NaN if test_var = 0) */
} il_commute_testtime;

typedef struct {
    il_commute_case c;
    int commutes;                   /* the verdict: the criterion holds */
    il_commute_criterion crit;
    il_commute_pathwise path;
    il_commute_dist dist;
    il_commute_testtime after;      /* dropout after phi: train m phi(y), test s phi(y) */
    il_commute_testtime before;     /* dropout before phi: train phi(m y), test phi(s y) */
    il_commute_levels levels;
    char note[320];                 /* what a partial or disagreeing row lacks; "" otherwise */
} il_commute_row;

/* il_commute_run: every level for cases[0..m-1] (each il_commute_case_check'ed) on the inputs ya
 * (n1 >= 2) and yb (n2 >= 2), borrowed and finite, with masks from seed as described above; fills
 * rows[0..m-1] (caller-owned). opts = NULL uses the defaults. Returns IL_OK; IL_EINVAL for an invalid
 * case, option or input; IL_ENOMEM; IL_ENUMERIC if an activation output is not finite. */
il_status il_commute_run(const il_commute_case *cases, size_t m, const double *ya, size_t n1, const double *yb,
                         size_t n2, uint64_t seed, const il_commute_opts *opts, il_commute_row *rows);

/* il_commute_memory: bytes il_commute_run allocates for pools of n1, n2 with `threads` threads. */
size_t il_commute_memory(size_t n1, size_t n2, int threads);

/* ---- writers ---- */

/* il_commute_test_name: the test-time verdict as a word: "reproduced" (consistent), "not-reproduced"
 * (refuted), "inconclusive". */
const char *il_commute_test_name(il_verdict v);

/* il_commute_write_tsv: the '#' header (il_write_header), a column line and one row per case; the
 * first columns are activation, p, kind, verdict (commutes | does-not-commute), criterion (holds |
 * fails), pathwise_max_diff, ks_p, counterexample ("y=Y,m=M" or "none"); every other column is
 * listed in docs/commute.md. Numbers with %.17g, NaN as "NaN". IL_EIO if the stream reports an error. */
il_status il_commute_write_tsv(FILE *f, const char *command, const il_param *params, size_t n_params,
                               const il_commute_row *rows, size_t m);

/* il_commute_to_json: the same content as one JSON object {tool, version, command, params, rows: [...]}
 * with each row's levels as nested objects (NaN and infinities as null). NULL on ENOMEM. */
json_t *il_commute_to_json(const char *command, const il_param *params, size_t n_params, const il_commute_row *rows,
                           size_t m);

/* il_commute_write_table: a table for people: the header, one line per case with the verdict and the
 * evidence of each level, the notes, and a second table of the test-time behaviour. */
il_status il_commute_write_table(FILE *f, const char *command, const il_param *params, size_t n_params,
                                 const il_commute_row *rows, size_t m);

#endif
