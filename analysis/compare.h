/* compare.h: Monte Carlo moments against their formulas, layer by layer, with calibrated verdicts.
 *
 * For each layer (and point: pre, and post when the run has it) three summary quantities are tested
 * against the theory (analysis/theory.h): q (mean square), the mean, and the mean off-diagonal
 * covariance; and, for layers whose full covariance matrix was kept, every unit's mean and every
 * covariance entry. All of them form ONE family for Holm's correction (analysis/verdict.h), so the
 * probability that any correct formula is refuted anywhere in the table is at most alpha.
 * Relevant deviations ("consistent" needs the confidence interval inside them): rel_tol times q for
 * q and covariances, rel_tol times sqrt(q) (the standard deviation) for means.
 *
 * A user-stated claim (analysis/claim.h) gives one value per layer for the pre-activation q; the
 * claims form a second family of their own. */
#ifndef IL_COMPARE_H
#define IL_COMPARE_H

#include <stddef.h>
#include "mc.h"
#include "theory.h"
#include "verdict.h"

typedef struct {
    double est, se, theory;
    il_verdict_item v;
    int tested; /* 0 when the quantity is undefined (e.g. offdiag at width 1) */
} il_compare_cell;

typedef struct {
    size_t layer, width;
    int post;                   /* 0: pre (linear output), 1: post (layer output) */
    il_theory_method method;    /* exact or mean-field (of q; the mean and offdiag have their own) */
    il_theory_method mean_method, offdiag_method;
    il_compare_cell q, mean, offdiag;
    size_t units_tested, units_refuted; /* per-unit means and covariance entries */
    il_compare_cell claim;      /* tested only when a claim was given (pre rows) */
} il_compare_row;

typedef struct {
    il_verdict_summary theory; /* over the whole theory family */
    il_verdict_summary claim;  /* over the claim family (counts 0 without a claim) */
    int has_claim;
    size_t family_size;
} il_compare_summary;

/* il_compare_rows: the number of rows for res (layers, twice with post). */
size_t il_compare_rows(const il_mc_result *res);

/* il_compare_run: fills rows[0..il_compare_rows(res)-1] (caller-owned; pre rows of every layer, then
 * post rows) and *sum. th has res->layers entries (il_theory_run of the same network). claim is
 * NULL or res->layers claimed q values for the pre rows. opts NULL: verdict defaults.
 * Returns IL_OK; IL_EINVAL (fewer than 2 draws, bad opts); IL_ENOMEM. */
il_status il_compare_run(const il_mc_result *res, const il_theory_layer *th, const double *claim,
                         const il_verdict_opts *opts, il_compare_row *rows, il_compare_summary *sum);

#endif
