/* act.h: elementwise activation functions with PyTorch's definitions and default parameters. */
#ifndef IL_ACT_H
#define IL_ACT_H

#include <stddef.h>
#include "error.h"

typedef enum {
    IL_ACT_IDENTITY,
    IL_ACT_RELU,
    IL_ACT_LEAKY_RELU, /* p1 = negative_slope (default 0.01) */
    IL_ACT_PRELU,      /* p1 = weight (default 0.25, nn.PReLU's init; one shared parameter) */
    IL_ACT_ABS,
    IL_ACT_SIGMOID,
    IL_ACT_TANH,
    IL_ACT_GELU,       /* exact: x * Phi(x) (nn.GELU(approximate='none')) */
    IL_ACT_ELU,        /* p1 = alpha (default 1) */
    IL_ACT_SELU,       /* Klambauer et al. constants as in PyTorch */
    IL_ACT_SOFTPLUS,   /* p1 = beta (default 1), p2 = threshold (default 20): x when beta*x > threshold */
    IL_ACT_SILU,
    IL_ACT_RELU6,
    IL_ACT_HARDTANH,   /* p1 = min_val (default -1), p2 = max_val (default 1) */
    IL_ACT_COUNT
} il_act_kind;

typedef struct {
    il_act_kind kind;
    double p1, p2; /* parameters as documented above; unused ones are 0 */
} il_act;

/* il_act_parse: reads "name" or "name:p1" or "name:p1:p2" (e.g. "leaky_relu:0.2", "hardtanh:-2:2"),
 * filling defaults for omitted parameters. Numbers are parsed strictly (finite, no trailing text).
 * Returns IL_EINVAL for an unknown name, a malformed or out-of-range parameter (elu alpha and
 * softplus beta and threshold must be > 0; hardtanh needs min < max); *out is untouched then. */
il_status il_act_parse(const char *text, il_act *out);

/* il_act_default: *out = kind with PyTorch's default parameters. */
void il_act_default(il_act_kind kind, il_act *out);

/* il_act_name: the canonical name ("relu", "leaky_relu", ...); il_act_names: all names joined by
 * ", " for error messages. Both return static strings. */
const char *il_act_name(il_act_kind kind);
const char *il_act_names(void);

/* il_act_format: writes the parseable spec of *a ("leaky_relu:0.2") into buf (size n, always
 * NUL-terminated). Returns the length it needed, as snprintf. */
int il_act_format(const il_act *a, char *buf, size_t n);

/* il_act_eval / il_act_deriv: phi(x) and phi'(x). At kinks the derivative follows PyTorch's
 * autograd convention (relu'(0) = 0, abs'(0) = 0, leaky_relu'(0) = slope, relu6'(0) = relu6'(6) = 0,
 * hardtanh'(min) = hardtanh'(max) = 0, elu'(0) = alpha, selu'(0) = scale * alpha, softplus' = 1
 * where beta * x > threshold). */
double il_act_eval(const il_act *a, double x);
double il_act_deriv(const il_act *a, double x);

/* il_act_apply: x[i] = phi(x[i]) for i < n, in place; same values as il_act_eval. */
void il_act_apply(const il_act *a, double *x, size_t n);


#endif
