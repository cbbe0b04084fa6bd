/* theory.h: analytic per-layer moments of the networks sim/ simulates, and the mean-field
 * (infinite-width) signal-propagation maps of Poole et al. 2016 and Schoenholz et al. 2017.
 * Derivations, assumptions and references: docs/theory.md.
 *
 * Two kinds of result, and every number says which one it is:
 *   IL_THEORY_EXACT      the exact expectation at the network's finite widths (up to floating-point
 *                        rounding and, where an integral over the known input law is needed, the
 *                        quadrature tolerance IL_THEORY_EPSREL);
 *   IL_THEORY_MEANFIELD  the value in the infinite-width (Gaussian) approximation: every pre-activation
 *                        y_i is replaced by a Gaussian with the exact mean and second moment of y_i.
 * A quantity computed from a mean-field input is mean-field.
 *
 * GSL: quadrature failures are reported as IL_EGSL, which requires GSL's default error handler to
 * be off (gsl_set_error_handler_off(), as initlab's main and the tests do); with the default handler
 * a GSL failure aborts inside GSL. */
#ifndef IL_THEORY_H
#define IL_THEORY_H

#include <stddef.h>

#include "act.h"
#include "error.h"
#include "net.h"

/* Quadrature targets: relative and (relative to the integral of |f|) absolute tolerances of every
 * one-dimensional integral, and the error bound up to which a result GSL could not certify to the
 * target is still accepted (beyond it: IL_EGSL). */
#define IL_THEORY_EPSREL 1e-12
#define IL_THEORY_EPSABS 1e-14
#define IL_THEORY_ACCEPT 1e-10

typedef enum { IL_THEORY_EXACT, IL_THEORY_MEANFIELD } il_theory_method;

/* il_theory_method_name: "exact" or "mean-field" (static strings; "?" for other values). */
const char *il_theory_method_name(il_theory_method m);

/* Moments of one point of a layer (the linear output "pre", or what leaves the layer, "post"),
 * with the same meaning as the simulation's (sim/moments.h):
 *   q       = mean over units i of E[x_i^2];
 *   mean    = mean over units i of E[x_i];
 *   offdiag = mean over i != j of Cov(x_i, x_j)  (NaN when width = 1, as in the simulation).
 * Expectations are over weights, biases, inputs and masks. */
typedef struct {
    double q, mean, offdiag;
    il_theory_method q_method, mean_method, offdiag_method;
} il_theory_point;

typedef struct {
    size_t layer;          /* 1..L */
    size_t width;          /* n_l */
    il_theory_point pre;   /* y_l = W_l h_{l-1} + b_l */
    il_theory_point post;  /* the input of the next linear op, or the network output */
    il_theory_method method; /* IL_THEORY_EXACT iff all six quantities are exact */
} il_theory_layer;

/* Quadrature workspace (GSL adaptive-integration workspaces for nested integrals and a Gauss-Hermite
 * rule). One per thread; il_theory_ws_alloc returns NULL on ENOMEM; il_theory_ws_free(NULL) does
 * nothing. Every function below taking a ws accepts NULL and then allocates one for the call. */
typedef struct il_theory_ws il_theory_ws;
il_theory_ws *il_theory_ws_alloc(void);
void il_theory_ws_free(il_theory_ws *ws);

/* il_theory_run: the per-layer moments of *net (any op list il_net_check accepts: widths, inputs
 * with per-coordinate variances net->input_var, biases, dropout of each kind and place, DropConnect,
 * batchnorm, residual blocks; train or eval mode net->train). out has il_net_layers(net) rows and is
 * caller-owned; it is written only on success. err (may be NULL, errlen bytes) receives a reason on
 * failure.
 * Returns IL_OK; IL_EINVAL for a network il_net_check rejects; IL_EUNSUPPORTED (with the reason) for
 *   - weights whose law has a nonzero mean (normal with mean != 0, uniform with lo != -hi,
 *     constant != 0): every formula here needs zero-mean weights;
 *   - a residual block without a linear op;
 *   - more than 10 random dropout masks or 32 elementwise ops between two linear ops;
 * IL_EGSL if a quadrature fails; IL_ENOMEM. */
il_status il_theory_run(const il_net *net, il_theory_layer *out, il_theory_ws *ws, char *err, size_t errlen);

/* il_theory_act_moments: E[phi(y)] and E[phi(y)^2] for y ~ N(mean, var), var >= 0, by the same
 * quadrature as the mean-field path of il_theory_run. e1 or e2 may be NULL. IL_EINVAL for a negative
 * or non-finite var or mean; IL_EGSL; IL_ENOMEM. */
il_status il_theory_act_moments(const il_act *a, double mean, double var, double *e1, double *e2,
                                il_theory_ws *ws);

/* ---- Mean-field signal propagation (Poole et al. 2016, Schoenholz et al. 2017) ----
 *
 * A deep network of constant width n -> infinity: y^l = W^l h^{l-1} + b^l with W_ij ~ (0, sw2 / n),
 * b_i ~ (0, sb2), h^l = g(y^l) where g is the activation with an optional dropout before or after it.
 * For two inputs a, b with q^l = E[(y_i^{l,a})^2] and c^l = E[y_i^{l,a} y_i^{l,b}] / q^l:
 *   q-map   q^{l+1} = sw2_eff E_z E_m[g(sqrt(q) z)^2] + sb2
 *   c-map   c^{l+1} = (sw2_eff E[gbar(u1) gbar(u2)] + sb2) / q^{l+1},
 *           u1 = sqrt(q) z1, u2 = sqrt(q) (c z1 + sqrt(1 - c^2) z2),
 * where gbar = E_m[g] averages over the dropout mask (the two inputs get independent masks, so the
 * off-diagonal term sees gbar(u1) gbar(u2), the diagonal E_m[g^2]), and sw2_eff = sw2 except for
 * DropConnect (one weight mask shared by all inputs): sw2 (1-p) in training, sw2 (1-p)^2 in eval. */
typedef struct {
    il_act act;
    double sw2;          /* sigma_w^2 >= 0: weight variance times fan-in */
    double sb2;          /* sigma_b^2 >= 0: bias variance */
    double p;            /* drop probability in [0, 1); 0 for none */
    il_drop_kind drop;   /* inverted, classic (masks on h) or DropConnect (masks on W) */
    il_drop_at drop_at;  /* dropout before or after the activation (not used by DropConnect) */
    int train;           /* 1: masks are drawn; 0: eval mode (classic scales by 1 - p) */
} il_theory_mf;

/* il_theory_mf_default: tanh, sw2 = 1, sb2 = 0, no dropout (inverted, after), train mode. */
void il_theory_mf_default(il_theory_mf *mf);

/* il_theory_qmap: *q_next = the q-map at q >= 0. il_theory_qmap_slope: its derivative d q_next / dq
 * (Stein's lemma: sw2_eff E[(E_m g^2)'(sqrt(q) z) z] / (2 sqrt(q)), only first derivatives of phi),
 * at q > 0 (q = 0 is evaluated as q = 1e-24). IL_EINVAL for an invalid mf or q; IL_EGSL; IL_ENOMEM. */
il_status il_theory_qmap(const il_theory_mf *mf, double q, double *q_next, il_theory_ws *ws);
il_status il_theory_qmap_slope(const il_theory_mf *mf, double q, double *slope, il_theory_ws *ws);

/* il_theory_qstar: the fixed point q* reached by iterating the q-map from q0 >= 0 (at most 10000
 * iterations), polished by Newton's method until |q_map(q*) - q*| <= 1e-14 max(q*, sb2) (or, when
 * the steps stall at the quadrature's rounding level, <= 1e-12 max(q*, sb2)). q* = 0 when the
 * iteration goes to 0. When every q is a fixed point (relu at sw2 = 2, sb2 = 0) the result is q0.
 * IL_ENUMERIC if the q-map diverges or no fixed point is reached (e.g. relu with sw2 > 2, identity
 * with sw2 >= 1 and sb2 > 0); IL_EINVAL; IL_EGSL; IL_ENOMEM. */
il_status il_theory_qstar(const il_theory_mf *mf, double q0, double *qstar, il_theory_ws *ws);

/* il_theory_cmap: *c_next = the c-map at second moment q >= 0 and correlation c in [-1, 1] (the
 * denominator is q_map(q), which is q when q = q*). il_theory_cmap_slope: d c_next / dc by Price's
 * theorem, sw2_eff q E[gbar'(u1) gbar'(u2)] / q_map(q); at q = q* this is chi_c(c) =
 * sw2_eff E[gbar'(u1) gbar'(u2)]. IL_EINVAL (also when q_map(q) = 0); IL_EGSL; IL_ENOMEM. */
il_status il_theory_cmap(const il_theory_mf *mf, double q, double c, double *c_next, il_theory_ws *ws);
il_status il_theory_cmap_slope(const il_theory_mf *mf, double q, double c, double *slope, il_theory_ws *ws);

/* il_theory_chi1: chi_1 = sw2_eff E[gbar'(sqrt(q) z)^2], the slope of the c-map at c = 1 when q = q*
 * (Schoenholz et al.'s chi_1 = sw2 E[phi'(sqrt(q*) z)^2] without dropout or with inverted dropout
 * after the activation). IL_EINVAL; IL_EGSL; IL_ENOMEM. */
il_status il_theory_chi1(const il_theory_mf *mf, double qstar, double *chi1, il_theory_ws *ws);

/* il_theory_cstar: the fixed point c* in [0, 1] of the c-map at q = qstar that attracts [0, 1).
 * The c-map is increasing and convex on [0, 1] (nonnegative Hermite coefficients), so: without
 * random masks c = 1 is a fixed point and c* = 1 iff chi_1 <= 1; otherwise (chi_1 > 1, or dropout
 * masks, which make c_map(1) < 1) c* is the unique root in [0, 1) of c_map(c) - c, found by Brent's
 * method to 1e-12. qstar must be a fixed point (il_theory_qstar). IL_EINVAL; IL_ENUMERIC if the
 * root cannot be bracketed; IL_EGSL; IL_ENOMEM. */
il_status il_theory_cstar(const il_theory_mf *mf, double qstar, double *cstar, il_theory_ws *ws);

/* il_theory_depth_scales: xi_q = -1/log|chi_q| with chi_q = q_map'(q*) (Schoenholz et al.'s
 * chi_1 + sw2 E[phi'' phi], computed here without phi''), and xi_c = -1/log|chi_c(c*)|. A
 * slope of modulus >= 1 gives +INFINITY (criticality), a slope of 0 gives 0. IL_EINVAL; IL_EGSL;
 * IL_ENOMEM. */
il_status il_theory_depth_scales(const il_theory_mf *mf, double qstar, double cstar, double *xi_q, double *xi_c,
                                 il_theory_ws *ws);

/* Everything at once. */
typedef struct {
    double qstar, cstar;
    double chi1;    /* slope of the c-map at c = 1 */
    double chi_c;   /* slope of the c-map at c* */
    double chi_q;   /* slope of the q-map at q* */
    double xi_q, xi_c;
} il_theory_fixed;

/* il_theory_fixed_points: q* from q0, then c*, chi_1, the slopes and the depth scales. Errors as
 * il_theory_qstar and il_theory_cstar; *out is written only on success. */
il_status il_theory_fixed_points(const il_theory_mf *mf, double q0, il_theory_fixed *out, il_theory_ws *ws);

#endif
