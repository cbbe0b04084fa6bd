/* init.h: weight and bias initializers with PyTorch's names and semantics (torch.nn.init, and the
 * default reset_parameters of nn.Linear / nn.ConvNd).
 *
 * Weights are row-major (rows = fan_out side = out_features, cols = in_features), as a torch
 * Linear weight of shape (out, in). For a 2-D weight fan_in = cols, fan_out = rows; for conv
 * weights use il_init_fans. */
#ifndef IL_INIT_H
#define IL_INIT_H

#include <stddef.h>
#include "error.h"
#include "rng.h"

typedef enum {
    IL_INIT_TORCH,           /* nn.Linear / nn.ConvNd default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) */
    IL_INIT_KAIMING_UNIFORM, /* U(-b, b), b = gain*sqrt(3/fan), gain = calculate_gain(nonlin, a) */
    IL_INIT_KAIMING_NORMAL,  /* N(0, (gain/sqrt(fan))^2) */
    IL_INIT_XAVIER_UNIFORM,  /* U(-b, b), b = gain*sqrt(6/(fan_in+fan_out)) */
    IL_INIT_XAVIER_NORMAL,   /* N(0, gain^2 * 2/(fan_in+fan_out)) */
    IL_INIT_LECUN_NORMAL,    /* N(0, 1/fan_in) */
    IL_INIT_ORTHOGONAL,      /* gain * Q from QR of a Gaussian matrix, signs fixed by diag(R) */
    IL_INIT_NORMAL,          /* N(mean, std^2): spec.mean, spec.std */
    IL_INIT_UNIFORM,         /* U(lo, hi): spec.lo, spec.hi */
    IL_INIT_ZEROS,
    IL_INIT_CONSTANT,        /* spec.value */
    IL_INIT_COUNT
} il_init_kind;

typedef enum { IL_FAN_IN, IL_FAN_OUT } il_fan_mode;

typedef struct {
    il_init_kind kind;
    double a;            /* kaiming: negative slope for leaky_relu gain (PyTorch default 0) */
    il_fan_mode mode;    /* kaiming: fan_in (default) or fan_out */
    char nonlinearity[24]; /* kaiming: name for calculate_gain (PyTorch default "leaky_relu") */
    double gain;         /* xavier, orthogonal: gain (default 1) */
    double mean, std;    /* normal */
    double lo, hi;       /* uniform */
    double value;        /* constant */
} il_init_spec;

/* il_init_spec_default: *s = kind with PyTorch's default arguments (a = 0, fan_in, "leaky_relu",
 * gain 1, mean 0, std 1, lo 0, hi 1, value 0 -- the defaults of torch.nn.init's functions). */
void il_init_spec_default(il_init_kind kind, il_init_spec *s);

/* il_init_parse_kind: name -> kind. Accepts "torch" (alias "default", "pytorch"), "kaiming_uniform",
 * "kaiming_normal", "xavier_uniform", "xavier_normal", "lecun_normal", "orthogonal", "normal",
 * "uniform", "zeros" (alias "zero"), "constant". IL_EINVAL for anything else. */
il_status il_init_parse_kind(const char *name, il_init_kind *out);
const char *il_init_name(il_init_kind kind);
const char *il_init_names(void); /* all canonical names joined by ", " */

/* il_init_calculate_gain: PyTorch's torch.nn.init.calculate_gain(nonlinearity, param):
 * linear, conv1d, conv2d, conv3d, conv_transpose1d/2d/3d, sigmoid -> 1; tanh -> 5/3; relu -> sqrt(2);
 * leaky_relu -> sqrt(2/(1+slope^2)) with slope = param (param < 0 means "not given": 0.01);
 * selu -> 3/4. IL_EINVAL for an unknown name. */
il_status il_init_calculate_gain(const char *nonlinearity, double param, double *gain);

/* il_init_fans: torch's _calculate_fan_in_and_fan_out for a weight of shape[0..ndim-1]
 * (out, in/groups, k1, k2, ...): fan_in = shape[1]*prod(k), fan_out = shape[0]*prod(k).
 * IL_EINVAL for ndim < 2. */
il_status il_init_fans(const size_t *shape, size_t ndim, size_t *fan_in, size_t *fan_out);

/* il_init_check: validates *s for a rows x cols weight (e.g. std >= 0, lo < hi, known nonlinearity,
 * finite numbers, nonzero fans). IL_EINVAL with nothing changed otherwise. */
il_status il_init_check(const il_init_spec *s, size_t rows, size_t cols);

/* il_init_variance: the variance of one weight entry under *s (E[w^2] - E[w]^2); for orthogonal,
 * gain^2 / max(rows, cols) (each entry's marginal variance). */
double il_init_variance(const il_init_spec *s, size_t rows, size_t cols);

/* Orthogonal needs scratch space; other kinds do not (ws may be NULL for them).
 * il_init_ws_alloc(max_rows, max_cols): enough for any weight up to that shape. NULL on ENOMEM.
 * il_init_ws_free(NULL) does nothing. One workspace per thread. */
typedef struct il_init_ws il_init_ws;
il_init_ws *il_init_ws_alloc(size_t max_rows, size_t max_cols);
void il_init_ws_free(il_init_ws *ws);

/* il_init_fill_weight: fills w[rows*cols] (row-major) from r under *s. Does not allocate.
 * Returns IL_EINVAL for an invalid spec or a workspace too small for an orthogonal fill, IL_EGSL if
 * the QR fails. Random kinds read r in order (one step per value for uniform kinds; a value-
 * dependent number for normal kinds), so the result is deterministic for a given generator state. */
il_status il_init_fill_weight(const il_init_spec *s, il_rng *r, double *w, size_t rows, size_t cols,
                              il_init_ws *ws);

/* il_init_fill_bias: fills b[n] for a layer with the given fan_in. IL_INIT_TORCH gives
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (0 when fan_in = 0, as newer PyTorch); ZEROS, CONSTANT,
 * NORMAL and UNIFORM as for weights; other kinds are IL_EINVAL for biases. */
il_status il_init_fill_bias(const il_init_spec *s, il_rng *r, double *b, size_t n, size_t fan_in);

/* il_init_bias_variance: the variance of one bias entry (0 for zeros/constant). */
double il_init_bias_variance(const il_init_spec *s, size_t fan_in);

#endif
