/* claim.h: a user-stated per-layer formula, parsed and evaluated by GNU libmatheval.
 *
 * A claim gives one value per layer l = 1..L as an expression in
 *     l   the layer index, 1-based
 *     n   the layer's input width n_{l-1}
 *     m   the layer's output width n_l
 *     n0  the network's input width
 *     L   the depth
 *     p   the dropout probability
 *     q   the previous layer's value (q0, given, for layer 1)
 * An expression that mentions q is a recursion: value_l = f(q = value_{l-1}, ...), value_0 = q0;
 * e.g. "q*(n+1)/(3*n)" with q0 = 1. Any other is a closed form, evaluated at each l. Names are
 * case-sensitive. Besides these variables, libmatheval's functions (exp, log, sqrt, sin, ..., abs,
 * erf, step) and constants (e, pi, pi_2, pi_4, 1_pi, 2_pi, 2_sqrtpi, sqrt2, sqrt1_2, ln2, ln10,
 * log2e, log10e) may be used. Numbers: 3, 0.5, .5, 5., 1e-3.
 *
 * libmatheval quirks, and what il_claim does about them:
 *   - an unknown character is silently dropped and echoed to stdout ("n!" evaluates as n): refused;
 *     only letters, digits, '_', '.', + - * / ^ ( ) and blanks are accepted;
 *   - "a^b^c" means (a^b)^c, not the usual a^(b^c): refused, parenthesise it;
 *   - simplification drops variables ("x^0" becomes 1), so evaluator_get_variables alone would miss
 *     them: every name in the text is checked as well;
 *   - unary minus binds looser than ^ ("-n^2" is -(n^2), "2^-1" is 0.5), as usual; unary plus is
 *     a syntax error; "2n" (implicit product) is a syntax error; log of a negative number is NaN,
 *     x/0 is +-inf: both are caught at evaluation, with the layer.
 *   - on some syntax errors ("q*(n+", "2n") libmatheval leaks a 32-byte node; nothing to do
 *     about it here (leak checkers need a suppression for libmatheval.so).
 * THREAD SAFETY: libmatheval's parser keeps global state, and evaluation writes the variable values
 * into the evaluator. No two il_claim calls (alloc, eval, free; even on distinct claims) may run at
 * the same time; serialise them. */
#ifndef IL_CLAIM_H
#define IL_CLAIM_H

#include <stddef.h>
#include "error.h"

typedef struct il_claim il_claim;

/* What a claim is evaluated for. */
typedef struct {
    const size_t *widths; /* L + 1 entries n_0, ..., n_L, each >= 1 (borrowed) */
    size_t L;             /* depth, >= 1 */
    double p;             /* dropout probability in [0, 1] */
    double q0;            /* value at layer 0; must be finite for a recursion, ignored otherwise */
} il_claim_ctx;

/* il_claim_variables: the allowed variable names, "l, n, m, n0, L, p, q". */
const char *il_claim_variables(void);

/* il_claim_alloc: parses expr (copied). Returns a claim the caller frees with il_claim_free, or NULL
 * with a message in err (errlen bytes, always NUL-terminated if errlen > 0; err may be NULL) for an
 * empty or unparsable expression, a refused character or power chain, unknown variables (all named,
 * with the allowed ones listed), or no memory. */
il_claim *il_claim_alloc(const char *expr, char *err, size_t errlen);

/* il_claim_free: frees c; NULL does nothing. */
void il_claim_free(il_claim *c);

/* il_claim_is_recursive: 1 if the expression mentions q, else 0. */
int il_claim_is_recursive(const il_claim *c);

/* il_claim_expr: the expression as given (owned by c). */
const char *il_claim_expr(const il_claim *c);

/* il_claim_eval: values[l - 1] = the claim at layer l, for l = 1..L (caller-owned, L doubles).
 * Returns IL_OK; IL_EINVAL for a bad ctx (message in err); IL_ENUMERIC when a value is NaN or
 * infinite, naming the first layer where it arises and the variables there (earlier layers are
 * filled, that layer holds the non-finite value, later ones NaN). Not thread-safe (see above). */
il_status il_claim_eval(const il_claim *c, const il_claim_ctx *ctx, double *values, char *err, size_t errlen);

#endif
