/* act.c: elementwise activations with PyTorch's definitions (see act.h).
 *
 * One static inline function per activation computes phi(x); il_act_eval and the per-kind loops of
 * il_act_apply both call it, so the two give bit-identical values. Beyond PyTorch's formulas:
 *   - sigmoid, its derivative and tanh' avoid exp overflow and the cancellation in 1 - s, 1 - t^2;
 *   - gelu is 0.5 x erfc(-x/sqrt2), which equals x Phi(x) without the cancellation of 1 + erf in
 *     the left tail (there the rounding of x/sqrt2 still costs a relative (x^2 + 1) eps: 3e-14 at
 *     x = -12, where |gelu| < 1e-31);
 *   - softplus below the threshold is computed as z + log1p(exp(-z)) for z = beta x > 0, so a large
 *     threshold does not overflow (PyTorch gives inf there; elsewhere the values agree to rounding).
 * NaN inputs propagate through every eval. */
#include "act.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Not using M_SQRT1_2 and friends: they are not declared under strict C11 + POSIX. */
#define IL_SQRT1_2 0.70710678118654752440084436210484903928     /* 1/sqrt(2) */
#define IL_INV_SQRT_2PI 0.39894228040143267793994605993438186848 /* 1/sqrt(2 pi) */
#define IL_SELU_ALPHA 1.6732632423543772848170429916717
#define IL_SELU_SCALE 1.0507009873554804934193349852946

#ifdef _OPENMP
#define IL_SIMD _Pragma("omp simd")
#else
#define IL_SIMD
#endif

/* Per kind: canonical name, how many parameters the spec may carry, and their defaults. */
static const struct {
    const char *name;
    int nparams;
    double p1, p2;
} kinds[IL_ACT_COUNT] = {
    [IL_ACT_IDENTITY]   = { "identity", 0, 0.0, 0.0 },
    [IL_ACT_RELU]       = { "relu", 0, 0.0, 0.0 },
    [IL_ACT_LEAKY_RELU] = { "leaky_relu", 1, 0.01, 0.0 },
    [IL_ACT_PRELU]      = { "prelu", 1, 0.25, 0.0 },
    [IL_ACT_ABS]        = { "abs", 0, 0.0, 0.0 },
    [IL_ACT_SIGMOID]    = { "sigmoid", 0, 0.0, 0.0 },
    [IL_ACT_TANH]       = { "tanh", 0, 0.0, 0.0 },
    [IL_ACT_GELU]       = { "gelu", 0, 0.0, 0.0 },
    [IL_ACT_ELU]        = { "elu", 1, 1.0, 0.0 },
    [IL_ACT_SELU]       = { "selu", 0, 0.0, 0.0 },
    [IL_ACT_SOFTPLUS]   = { "softplus", 2, 1.0, 20.0 },
    [IL_ACT_SILU]       = { "silu", 0, 0.0, 0.0 },
    [IL_ACT_RELU6]      = { "relu6", 0, 0.0, 0.0 },
    [IL_ACT_HARDTANH]   = { "hardtanh", 2, -1.0, 1.0 },
};

/* Other names il_act_parse accepts. */
static const struct {
    const char *name;
    il_act_kind kind;
} aliases[] = {
    { "linear", IL_ACT_IDENTITY },
    { "swish", IL_ACT_SILU },
};

static const char all_names[] = "identity, relu, leaky_relu, prelu, abs, sigmoid, tanh, gelu, elu, selu, "
                                "softplus, silu, relu6, hardtanh";

static int kind_valid(il_act_kind kind)
{
    return (unsigned)kind < (unsigned)IL_ACT_COUNT;
}

/* ---- phi(x), one per kind ---- */

static inline double relu_f(double x) { return x < 0.0 ? 0.0 : x; }

/* x >= 0 ? x : slope * x, written as pos + slope * neg so that the product is not under a branch:
 * under -ftrapping-math GCC would not if-convert it, and the loop would neither vectorise nor avoid
 * mispredictions on random signs. The -0.0 fillers make a + (-0) = a exact, so the value always
 * equals the branchy form's (NaN included); under GCC even the bits do for slope >= +0 (a negative
 * slope turns leaky(-0) into +0; clang 14 may flip the sign of other zero results). */
static inline double leaky_f(double x, double slope)
{
    double pos = x < 0.0 ? -0.0 : x;
    double neg = x < 0.0 ? x : -0.0;
    return pos + slope * neg;
}
static inline double clamp_f(double x, double lo, double hi) { return x < lo ? lo : (x > hi ? hi : x); }

static inline double sigmoid_f(double x)
{
    if (x >= 0.0)
        return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

static inline double gelu_f(double x) { return 0.5 * x * erfc(-x * IL_SQRT1_2); }
static inline double elu_f(double x, double alpha) { return x > 0.0 ? x : alpha * expm1(x); }

/* PyTorch's elu kernel with scale: x > 0 ? x * scale : expm1(x) * (alpha * scale). */
static inline double selu_f(double x)
{
    return x > 0.0 ? x * IL_SELU_SCALE : expm1(x) * (IL_SELU_ALPHA * IL_SELU_SCALE);
}

static inline double softplus_f(double x, double beta, double threshold)
{
    double z = beta * x;
    if (z > threshold)
        return x;
    double sp = z > 0.0 ? z + log1p(exp(-z)) : log1p(exp(z)); /* log(1 + e^z) */
    return sp / beta;
}

static inline double silu_f(double x) { return x * sigmoid_f(x); }

/* ---- phi'(x) ---- */

/* sigmoid'(x) = s(x) s(-x) = e / (1 + e)^2 with e = exp(-|x|): no overflow, no cancellation. */
static double sigmoid_d(double x)
{
    double e = exp(-fabs(x));
    double d = 1.0 + e;
    return e / (d * d);
}

/* tanh'(x) = 1 - tanh^2 x = 4 e / (1 + e)^2 with e = exp(-2|x|). */
static double tanh_d(double x)
{
    double e = exp(-2.0 * fabs(x));
    double d = 1.0 + e;
    return 4.0 * e / (d * d);
}

double il_act_eval(const il_act *a, double x)
{
    switch (a->kind) {
    case IL_ACT_IDENTITY: return x;
    case IL_ACT_RELU: return relu_f(x);
    case IL_ACT_LEAKY_RELU:
    case IL_ACT_PRELU: return leaky_f(x, a->p1);
    case IL_ACT_ABS: return fabs(x);
    case IL_ACT_SIGMOID: return sigmoid_f(x);
    case IL_ACT_TANH: return tanh(x);
    case IL_ACT_GELU: return gelu_f(x);
    case IL_ACT_ELU: return elu_f(x, a->p1);
    case IL_ACT_SELU: return selu_f(x);
    case IL_ACT_SOFTPLUS: return softplus_f(x, a->p1, a->p2);
    case IL_ACT_SILU: return silu_f(x);
    case IL_ACT_RELU6: return clamp_f(x, 0.0, 6.0);
    case IL_ACT_HARDTANH: return clamp_f(x, a->p1, a->p2);
    case IL_ACT_COUNT: break;
    }
    return NAN;
}

double il_act_deriv(const il_act *a, double x)
{
    switch (a->kind) {
    case IL_ACT_IDENTITY: return 1.0;
    case IL_ACT_RELU: return x > 0.0 ? 1.0 : 0.0;
    case IL_ACT_LEAKY_RELU:
    case IL_ACT_PRELU: return x > 0.0 ? 1.0 : a->p1;
    case IL_ACT_ABS: return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : 0.0);
    case IL_ACT_SIGMOID: return sigmoid_d(x);
    case IL_ACT_TANH: return tanh_d(x);
    case IL_ACT_GELU: /* Phi(x) + x phi(x) */
        return 0.5 * erfc(-x * IL_SQRT1_2) + x * (IL_INV_SQRT_2PI * exp(-0.5 * x * x));
    case IL_ACT_ELU: return x > 0.0 ? 1.0 : a->p1 * exp(x);
    case IL_ACT_SELU: return x > 0.0 ? IL_SELU_SCALE : (IL_SELU_ALPHA * IL_SELU_SCALE) * exp(x);
    case IL_ACT_SOFTPLUS: {
        double z = a->p1 * x;
        return z > a->p2 ? 1.0 : sigmoid_f(z);
    }
    case IL_ACT_SILU: /* s(x) (1 + x (1 - s(x))), with 1 - s(x) = s(-x) */
        return sigmoid_f(x) * (1.0 + x * sigmoid_f(-x));
    case IL_ACT_RELU6: return (x <= 0.0 || x >= 6.0) ? 0.0 : 1.0;
    case IL_ACT_HARDTANH: return (x <= a->p1 || x >= a->p2) ? 0.0 : 1.0;
    case IL_ACT_COUNT: break;
    }
    return NAN;
}

void il_act_apply(const il_act *a, double *x, size_t n)
{
    /* Copies, so the compiler knows the parameters do not alias x. The branch-free kinds carry
     * `omp simd` (active under -fopenmp/-fopenmp-simd), since -O2's cost model will not vectorise a
     * loop of unknown length; loops that call libm stay scalar so they match il_act_eval exactly. */
    const double p1 = a->p1, p2 = a->p2;
    size_t i;

    switch (a->kind) {
    case IL_ACT_IDENTITY: return;
    case IL_ACT_RELU:
IL_SIMD
        for (i = 0; i < n; i++) x[i] = relu_f(x[i]);
        return;
    case IL_ACT_LEAKY_RELU:
    case IL_ACT_PRELU:
IL_SIMD
        for (i = 0; i < n; i++) x[i] = leaky_f(x[i], p1);
        return;
    case IL_ACT_ABS:
IL_SIMD
        for (i = 0; i < n; i++) x[i] = fabs(x[i]);
        return;
    case IL_ACT_SIGMOID:
        for (i = 0; i < n; i++) x[i] = sigmoid_f(x[i]);
        return;
    case IL_ACT_TANH:
        for (i = 0; i < n; i++) x[i] = tanh(x[i]);
        return;
    case IL_ACT_GELU:
        for (i = 0; i < n; i++) x[i] = gelu_f(x[i]);
        return;
    case IL_ACT_ELU:
        for (i = 0; i < n; i++) x[i] = elu_f(x[i], p1);
        return;
    case IL_ACT_SELU:
        for (i = 0; i < n; i++) x[i] = selu_f(x[i]);
        return;
    case IL_ACT_SOFTPLUS:
        for (i = 0; i < n; i++) x[i] = softplus_f(x[i], p1, p2);
        return;
    case IL_ACT_SILU:
        for (i = 0; i < n; i++) x[i] = silu_f(x[i]);
        return;
    case IL_ACT_RELU6:
IL_SIMD
        for (i = 0; i < n; i++) x[i] = clamp_f(x[i], 0.0, 6.0);
        return;
    case IL_ACT_HARDTANH:
IL_SIMD
        for (i = 0; i < n; i++) x[i] = clamp_f(x[i], p1, p2);
        return;
    case IL_ACT_COUNT: break;
    }
    for (i = 0; i < n; i++) x[i] = NAN; /* unknown kind: make the misuse visible */
}

/* ---- names, parsing, formatting ---- */

void il_act_default(il_act_kind kind, il_act *out)
{
    out->kind = kind;
    out->p1 = kind_valid(kind) ? kinds[kind].p1 : 0.0;
    out->p2 = kind_valid(kind) ? kinds[kind].p2 : 0.0;
}

const char *il_act_name(il_act_kind kind)
{
    return kind_valid(kind) ? kinds[kind].name : "unknown";
}

const char *il_act_names(void)
{
    return all_names;
}

/* Looks up the name text[0 .. len); returns 0 and sets *kind if known. */
static int lookup(const char *text, size_t len, il_act_kind *kind)
{
    for (int k = 0; k < IL_ACT_COUNT; k++)
        if (strlen(kinds[k].name) == len && memcmp(kinds[k].name, text, len) == 0) {
            *kind = (il_act_kind)k;
            return 0;
        }
    for (size_t j = 0; j < sizeof aliases / sizeof aliases[0]; j++)
        if (strlen(aliases[j].name) == len && memcmp(aliases[j].name, text, len) == 0) {
            *kind = aliases[j].kind;
            return 0;
        }
    return -1;
}

/* Parses one parameter starting at s and ending at the next ':' or the end of the string: a finite
 * number with nothing before or after it (no blanks). Sets *end to the character after it. */
static int parse_param(const char *s, double *v, const char **end)
{
    char *e;
    if (*s == '\0' || *s == ':' || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    double d = strtod(s, &e);
    if (e == s || (*e != '\0' && *e != ':') || errno == ERANGE || !isfinite(d))
        return -1;
    *v = d;
    *end = e;
    return 0;
}

il_status il_act_parse(const char *text, il_act *out)
{
    if (!text || !out)
        return IL_EINVAL;

    size_t len = strcspn(text, ":");
    il_act_kind kind;
    if (lookup(text, len, &kind) != 0)
        return IL_EINVAL;

    il_act a;
    il_act_default(kind, &a);
    double *params[2] = { &a.p1, &a.p2 };
    const char *s = text + len;
    for (int i = 0; *s == ':'; i++) {
        if (i >= kinds[kind].nparams || parse_param(s + 1, params[i], &s) != 0)
            return IL_EINVAL;
    }

    switch (kind) {
    case IL_ACT_ELU:
        if (!(a.p1 > 0.0))
            return IL_EINVAL;
        break;
    case IL_ACT_SOFTPLUS:
        if (!(a.p1 > 0.0) || !(a.p2 > 0.0))
            return IL_EINVAL;
        break;
    case IL_ACT_HARDTANH:
        if (!(a.p1 < a.p2))
            return IL_EINVAL;
        break;
    default: break;
    }
    *out = a;
    return IL_OK;
}

/* The shortest %.Ng (N <= 17) that reads back as v: 0.2, not 0.20000000000000001; an exponent only where
 * %.17g would write one too (20, not 2e+01). */
static void shortest(double v, char *out, size_t n)
{
    double m = fabs(v);
    int plain = m == 0.0 || (m >= 1e-4 && m < 1e17);
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, n, "%.*g", prec, v);
        if (strtod(out, NULL) == v && !(plain && strchr(out, 'e')))
            return;
    }
}

int il_act_format(const il_act *a, char *buf, size_t n)
{
    const char *name = il_act_name(a->kind);
    char p1[32], p2[32];
    shortest(a->p1, p1, sizeof p1);
    shortest(a->p2, p2, sizeof p2);
    switch (kind_valid(a->kind) ? kinds[a->kind].nparams : 0) {
    case 1: return snprintf(buf, n, "%s:%s", name, p1);
    case 2: return snprintf(buf, n, "%s:%s:%s", name, p1, p2);
    default: return snprintf(buf, n, "%s", name);
    }
}
