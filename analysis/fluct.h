/* fluct.h: finite-width fluctuations of the per-layer mean square across networks drawn from one
 * initialisation: Monte Carlo estimates with honest standard errors, exact theory where it exists,
 * a labelled leading-order approximation elsewhere, and verdicts. Derivations: docs/fluct.md.
 *
 * THE QUANTITY. For layer l (the l-th linear op) and ONE input x pushed through one network,
 *     M_l = |y_l|^2 / n_l,     y_l = W_l h_{l-1} + b_l   (the "pre" value of sim/net.h),
 * a random variable over weights, biases, the input and dropout masks. The table reports its
 * moments E[M^k] (k = 1..4), the ratio  m2_ratio = E[M^2] / E[M]^2  (= 1 + Var(M) / E[M]^2, which
 * Hanin & Rolnick 2018 show grows exponentially in sum_l 1/n_l for ReLU), the kurtosis
 * E[(M - E M)^4] / Var(M)^2, and, when each network sees B >= 2 inputs, the split of Var(M) into a
 * between-network part Var(E[M | network]) = E[M_a M_b] - E[M]^2 (two inputs a != b through the same
 * weights) and a within-network part E[Var(M | network)] = E[M^2] - E[M_a M_b].
 *
 * Every draw (network) contributes the per-draw averages of sim/moments.h (il_layer_draw.mpow,
 * .mpair), which are unbiased for the single-input moments at any batch size B and independent
 * across draws. The per-draw batch mean of M (sim's q) is NOT used for the ratio: its second moment
 * mixes within- and between-network parts in proportions that depend on B. With B = 1 the two
 * coincide and M of each draw is one independent sample of M.
 *
 * THEORY (il_fluct_theory), per layer, labelled:
 *   IL_FLUCT_EXACT      E[M^k], k <= 4, exactly at the network's finite widths: every linear op with
 *                       iid weights from a zero-mean symmetric law (normal kinds, uniform kinds,
 *                       torch's default; not orthogonal), biases absent or iid symmetric about 0,
 *                       and between linear ops only positively homogeneous activations (identity,
 *                       relu, leaky_relu, prelu, abs), dropout (any kind, train or eval) and eval-mode
 *                       batchnorm. Inputs normal, uniform or Rademacher with any variances. This
 *                       covers deep linear and ReLU networks with Gaussian (He) weights, where the
 *                       ratio has the closed forms prod (1 + 2/n_l) and (1 + 5/n_l), and uniform
 *                       (PyTorch) weights, whose fourth cumulant adds an O(1/n^2) correction.
 *   IL_FLUCT_MEANFIELD  m2_ratio and E[M] to leading order in 1/n: each layer's units are treated as
 *                       independent given the previous layer, with a fluctuating variance K whose
 *                       variance is propagated linearly through the mean-field (Gaussian) law of the
 *                       activations; the layer's own Var(y^2 | h) is exact (fourth cumulants of weights
 *                       and biases included). Exact at layer 1 and as depth/width -> 0; wrong at
 *                       O((sum 1/n)^2). Any activation, dropout, DropConnect, eval batchnorm, any
 *                       bias mean.
 *   IL_FLUCT_NONE       no theory: orthogonal weights (rows not independent), training-mode
 *                       batchnorm, residual blocks, more than IL_FLUCT_MAX_MASKS dropout masks
 *                       between two linear ops; and every layer after such an op.
 *
 * STANDARD ERRORS (il_fluct_estimate, il_fluct_compare). Three are computed for m2_ratio:
 *   se_delta  the delta method from the Welford covariance of the per-draw statistics (needs
 *             E[M^4] to be well sampled);
 *   se_batch  a delete-one-group jackknife over the 32-63 equal batches of consecutive draws kept by
 *             sim/moments.h (D batches of one draw while D < 64), rescaled to all D draws;
 *   floor     (exact rows) the SE the estimate must have if the theory is right: the delta-method
 *             SE from the exact E[M^k] of one input, divided by sqrt(D B). For B = 1 it is the
 *             SE itself; for B > 1 a lower bound (B exchangeable inputs cannot average better).
 * The test uses the largest of the three, with Student t on G - 1 degrees of freedom (G groups):
 * heavy tails make the two empirical SEs too small when the rare large values of M^2 have not been
 * sampled, and the floor and the few degrees of freedom keep the test conservative then. */
#ifndef IL_FLUCT_H
#define IL_FLUCT_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "mc.h"
#include "moments.h"
#include "net.h"
#include "verdict.h"

/* The default relevant deviation for "consistent": 10 % of the theory's excess over its trivial
 * value (m2_ratio - 1, kurt - 3). The excess is the fluctuation itself; 1 % of m2_ratio, the verdict
 * module's default, would be a large fraction of it at wide layers. */
#define IL_FLUCT_REL_TOL 0.1

/* Dropout ops with random masks between two linear ops that the mean-field path enumerates. */
#define IL_FLUCT_MAX_MASKS 4

typedef enum { IL_FLUCT_EXACT, IL_FLUCT_MEANFIELD, IL_FLUCT_NONE } il_fluct_method;

/* il_fluct_method_name: "exact", "mean-field" or "none" (static strings; "?" otherwise). */
const char *il_fluct_method_name(il_fluct_method m);

/* Theory of one layer. NaN where not available. */
typedef struct {
    size_t layer, width;
    il_fluct_method method; /* of q and m2_ratio */
    double q;               /* E[M] */
    double m2_ratio;        /* E[M^2] / E[M]^2 */
    double kurt;            /* E[(M - E M)^4] / Var(M)^2: exact rows only */
    double kurt_se1;        /* exact rows: the same for the kurtosis estimate (from E[M^k], k <= 8; NaN
                             * when rounding would spoil it, at widths beyond a few thousand) */
    double m[4];            /* E[M^k], k = 1..4: exact rows only */
    double se1;             /* exact rows: sqrt of the delta-method variance of the m2_ratio estimate
                             * from one input of one network (the SE for D draws of B = 1 input is
                             * se1 / sqrt(D)) */
    double m2_ratio_mf;     /* the leading-order (mean-field) value, also on exact rows (NaN if none) */
} il_fluct_theory_layer;

/* il_fluct_theory: the theory of every layer of *net into out[0..il_net_layers(net)-1] (caller-owned).
 * Layers without theory get method IL_FLUCT_NONE and NaNs; that is not an error. err (may be NULL)
 * receives, on success, why the first layer without exact theory has none ("" if all are exact),
 * and on failure the reason.
 * A layer whose moments overflow, or whose mean-field integrals GSL cannot certify, gets
 * IL_FLUCT_NONE (and so do the layers after it on the mean-field path).
 * Returns IL_OK; IL_EINVAL for a network il_net_check rejects (checked for a batch of 2); IL_EGSL if
 * an integral over the input law fails (elementwise ops before the first linear op; GSL's error
 * handler must be off); IL_ENOMEM. */
il_status il_fluct_theory(const il_net *net, il_fluct_theory_layer *out, char *err, size_t errlen);

/* Estimates from one accumulator (one layer). NaN where undefined: every SE with fewer than 2
 * draws; the between/within split with B = 1. */
typedef struct {
    size_t draws, batch, groups; /* D, B, and G: complete batches of draws used by the jackknife */
    double q, q_se;              /* E[M] */
    double m2_ratio, se_delta, se_batch;
    double kurt, kurt_se_delta, kurt_se_batch;
    double var, var_se;                     /* Var(M) */
    double var_between, var_between_se;     /* Var(E[M | network]) */
    double var_within, var_within_se;       /* E[Var(M | network)] */
    double between_frac;                    /* var_between / var */
    double m2_ratio_between, m2_ratio_between_se; /* E[M_a M_b] / E[M]^2, a != b */
} il_fluct_est;

/* il_fluct_estimate: the estimates of accumulator *a (il_layer_acc of a run). IL_EINVAL if its
 * fluctuation statistics are unusable (il_layer_acc_fluct_valid) or it has no draw. */
il_status il_fluct_estimate(const il_layer_acc *a, il_fluct_est *e);

/* One row of the comparison. */
typedef struct {
    size_t layer, width;
    il_fluct_est est;
    il_fluct_theory_layer th;
    double se;               /* the SE the m2_ratio test used: max(se_delta, se_batch, se_floor) */
    double se_floor;         /* th.se1 / sqrt(D B) on exact rows, else NaN */
    const char *se_kind;     /* which of the three was largest: "delta", "batch" or "theory" */
    int tested;              /* 0: no theory (or no estimate) */
    il_verdict_item v;       /* m2_ratio against th.m2_ratio */
    double draws_needed;     /* inconclusive: draws that would decide (NaN otherwise, inf: none can) */
    double kurt_se;          /* max(kurt_se_delta, kurt_se_batch, kurt_se_floor) */
    double kurt_se_floor;    /* th.kurt_se1 / sqrt(D B) on exact rows, else NaN */
    int kurt_tested;         /* exact rows with a finite kurtosis estimate */
    il_verdict_item vk;      /* kurtosis against th.kurt (its own family) */
} il_fluct_row;

typedef struct {
    il_verdict_summary ratio; /* Holm over the tested layers' m2_ratio */
    il_verdict_summary kurt;  /* Holm over the tested layers' kurtosis */
    size_t tested, kurt_tested;
    size_t groups;            /* G, whose G - 1 are the degrees of freedom of every test */
} il_fluct_summary;

/* il_fluct_compare: rows[0..res->layers-1] (caller-owned) and *sum from the pre accumulators of res
 * and th (il_fluct_theory of the same network). The relevant deviation for "consistent" is
 * opts->rel_tol times the theory's excess over its trivial value (m2_ratio - 1, kurt - 3). opts NULL:
 * the verdict defaults with rel_tol = IL_FLUCT_REL_TOL. Returns IL_OK; IL_EINVAL for fewer than 2
 * draws, unusable accumulators or bad opts; IL_ENOMEM. */
il_status il_fluct_compare(const il_mc_result *res, const il_fluct_theory_layer *th, const il_verdict_opts *opts,
                           il_fluct_row *rows, il_fluct_summary *sum);

/* Writers: a '#' header (il_write_header, then notes on M, the SEs and the verdict rule), the column
 * line and one row per layer, numbers with %.17g (NaN as "NaN"), then "# overall: ..." lines; or the
 * same as one JSON object (NaN as null). Returns IL_OK, IL_EIO, IL_ENOMEM. */
il_status il_fluct_write_tsv(FILE *f, const char *command, const il_param *params, size_t n_params,
                             const il_fluct_row *rows, size_t layers, const il_fluct_summary *sum);
il_status il_fluct_write_json(FILE *f, const char *command, const il_param *params, size_t n_params,
                              const il_fluct_row *rows, size_t layers, const il_fluct_summary *sum);

#endif
