/* init.c: weight and bias initializers with torch.nn.init's semantics (see init.h).
 *
 * Generator steps. Every fill of a random kind (all kinds but ZEROS and CONSTANT) draws from *r in
 * order, advancing it by as many steps as it uses (a normal fill uses a value-dependent number:
 * the ziggurat rejects now and then), so consecutive fills read consecutive, disjoint stretches of
 * the stream and the whole is deterministic. (An earlier version gave every fill a block of 2^64
 * steps by jumping ahead; that made values at the same position of different blocks, and of
 * different streams, measurably correlated, because a^(2^64) = 1 mod 2^64 for the LCG multiplier:
 * the blocks' states share their low 64 bits. Do not reintroduce it.) ZEROS and CONSTANT use no
 * steps. A call that fails validation (IL_EINVAL, IL_ERANGE) leaves *r and the output untouched.
 *
 * Orthogonal (torch.nn.init.orthogonal_): G is a rows x cols matrix filled row-major by one
 * il_rng_fill_normal(copy, G, rows*cols, 0, 1) call (torch: tensor.new(rows, cols).normal_()).
 * A = G if rows >= cols, else A = G^T, so A is m x n with m = max(rows, cols) >= n = min(rows, cols).
 * A = Q R by GSL's Level-3 Householder QR, gsl_linalg_QR_decomp_r (Elmroth-Gustavson; GSL's
 * recommended interface for m >= n), which leaves R on and above the diagonal of A, the unit lower
 * trapezoidal V below it, and T (n x n, upper triangular) with Q = I - V T V^T. The thin Q (first n
 * columns) is E - V Y with E = [I_n; 0] and Y = T V1^T (V1 = top n x n block of V, V2 the rest):
 * its top block is I - V1 Y (dtrmm), its bottom block -V2 Y (dgemm). Column k of Q is multiplied by
 * sign(R_kk) (torch's d.sign(), except that R_kk = 0, an event of probability 0, counts as +1
 * instead of zeroing the column), and W = gain * Q (rows >= cols) or gain * Q^T (rows < cols; then
 * W = [I - Y^T V1^T, -Y^T V2^T]). The result is the unique semi-orthogonal factor with a positive
 * diagonal in R, hence Haar-distributed, and torch's for the same G. Q is written straight into w;
 * the workspace holds A (m*n doubles), T and Y (n*n each). (Forming Q with the Level-2 routines,
 * gsl_linalg_QR_unpack or QR_Qvec, is 30-100x slower at 512 x 512.) The BLAS take int sizes, so an
 * orthogonal fill with max(rows, cols) > INT_MAX is IL_ERANGE. */
#include "init.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

/* torch's default negative slope for leaky_relu when calculate_gain gets no param. */
#define IL_LEAKY_RELU_DEFAULT_SLOPE 0.01

struct il_init_ws {
    size_t cap_elems; /* capacity of a: m*n doubles */
    size_t cap_n;     /* largest n = min(rows, cols): t and y hold cap_n^2 doubles each */
    double *a;        /* the Gaussian matrix A (m x n), overwritten by R and V */
    double *t;        /* T of the block reflector Q = I - V T V^T */
    double *y;        /* Y = T V1^T */
};

static const char *const kind_names[IL_INIT_COUNT] = {
    [IL_INIT_TORCH] = "torch",
    [IL_INIT_KAIMING_UNIFORM] = "kaiming_uniform",
    [IL_INIT_KAIMING_NORMAL] = "kaiming_normal",
    [IL_INIT_XAVIER_UNIFORM] = "xavier_uniform",
    [IL_INIT_XAVIER_NORMAL] = "xavier_normal",
    [IL_INIT_LECUN_NORMAL] = "lecun_normal",
    [IL_INIT_ORTHOGONAL] = "orthogonal",
    [IL_INIT_NORMAL] = "normal",
    [IL_INIT_UNIFORM] = "uniform",
    [IL_INIT_ZEROS] = "zeros",
    [IL_INIT_CONSTANT] = "constant",
};

static const struct {
    const char *alias;
    il_init_kind kind;
} kind_aliases[] = {
    {"default", IL_INIT_TORCH},
    {"pytorch", IL_INIT_TORCH},
    {"zero", IL_INIT_ZEROS},
};

/* calculate_gain's table for the names whose gain is a constant. relu and leaky_relu are computed
 * (sqrt is not a constant expression). */
static const struct {
    const char *name;
    double gain;
} gain_table[] = {
    {"linear", 1.0},           {"conv1d", 1.0},           {"conv2d", 1.0},
    {"conv3d", 1.0},           {"conv_transpose1d", 1.0}, {"conv_transpose2d", 1.0},
    {"conv_transpose3d", 1.0}, {"sigmoid", 1.0},          {"tanh", 5.0 / 3},
    {"selu", 3.0 / 4},
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void il_init_spec_default(il_init_kind kind, il_init_spec *s)
{
    if (!s)
        return;
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->a = 0.0;
    s->mode = IL_FAN_IN;
    strcpy(s->nonlinearity, "leaky_relu");
    s->gain = 1.0;
    s->mean = 0.0;
    s->std = 1.0;
    s->lo = 0.0;
    s->hi = 1.0;
    s->value = 0.0;
}

il_status il_init_parse_kind(const char *name, il_init_kind *out)
{
    if (!name || !out)
        return IL_EINVAL;
    for (int k = 0; k < IL_INIT_COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0) {
            *out = (il_init_kind)k;
            return IL_OK;
        }
    for (size_t i = 0; i < ARRAY_LEN(kind_aliases); i++)
        if (strcmp(name, kind_aliases[i].alias) == 0) {
            *out = kind_aliases[i].kind;
            return IL_OK;
        }
    return IL_EINVAL;
}

/* il_init_name: the canonical name; "unknown" (never NULL) for a value outside the enum. */
const char *il_init_name(il_init_kind kind)
{
    if ((int)kind < 0 || kind >= IL_INIT_COUNT)
        return "unknown";
    return kind_names[kind];
}

const char *il_init_names(void)
{
    /* Same order as kind_names; tests/test_init.c checks that the two agree. */
    return "torch, kaiming_uniform, kaiming_normal, xavier_uniform, xavier_normal, lecun_normal, "
           "orthogonal, normal, uniform, zeros, constant";
}

/* gain_of: calculate_gain with the leaky_relu slope given explicitly (kaiming passes its `a`,
 * which may be negative). *gain is written only on success. */
static il_status gain_of(const char *name, double slope, double *gain)
{
    if (!name)
        return IL_EINVAL;
    for (size_t i = 0; i < ARRAY_LEN(gain_table); i++)
        if (strcmp(name, gain_table[i].name) == 0) {
            *gain = gain_table[i].gain;
            return IL_OK;
        }
    if (strcmp(name, "relu") == 0) {
        *gain = sqrt(2.0);
        return IL_OK;
    }
    if (strcmp(name, "leaky_relu") == 0) {
        if (!isfinite(slope))
            return IL_EINVAL;
        *gain = sqrt(2.0 / (1 + slope * slope));
        return IL_OK;
    }
    return IL_EINVAL;
}

il_status il_init_calculate_gain(const char *nonlinearity, double param, double *gain)
{
    if (!gain)
        return IL_EINVAL;
    double slope = param < 0 ? IL_LEAKY_RELU_DEFAULT_SLOPE : param;
    return gain_of(nonlinearity, slope, gain);
}

il_status il_init_fans(const size_t *shape, size_t ndim, size_t *fan_in, size_t *fan_out)
{
    if (!shape || ndim < 2 || !fan_in || !fan_out)
        return IL_EINVAL;
    size_t receptive = 1;
    for (size_t d = 2; d < ndim; d++) {
        if (shape[d] != 0 && receptive > SIZE_MAX / shape[d])
            return IL_ERANGE;
        receptive *= shape[d];
    }
    if ((receptive != 0 && shape[1] > SIZE_MAX / receptive) ||
        (receptive != 0 && shape[0] > SIZE_MAX / receptive))
        return IL_ERANGE;
    *fan_in = shape[1] * receptive;
    *fan_out = shape[0] * receptive;
    return IL_OK;
}

static int kind_is_valid(il_init_kind kind)
{
    return (int)kind >= 0 && kind < IL_INIT_COUNT;
}

/* Checks the parameters of the distributions shared by weights and biases. */
static il_status check_plain(const il_init_spec *s)
{
    switch (s->kind) {
    case IL_INIT_NORMAL:
        return isfinite(s->mean) && isfinite(s->std) && s->std >= 0 ? IL_OK : IL_EINVAL;
    case IL_INIT_UNIFORM:
        return isfinite(s->lo) && isfinite(s->hi) && s->lo < s->hi && isfinite(s->hi - s->lo)
                   ? IL_OK
                   : IL_EINVAL;
    case IL_INIT_CONSTANT:
        return isfinite(s->value) ? IL_OK : IL_EINVAL;
    case IL_INIT_ZEROS:
        return IL_OK;
    default:
        return IL_EINVAL;
    }
}

/* kaiming_gain: gain for a kaiming spec (torch: calculate_gain(nonlinearity, a)). */
static il_status kaiming_gain(const il_init_spec *s, double *gain)
{
    if (!memchr(s->nonlinearity, '\0', sizeof s->nonlinearity))
        return IL_EINVAL;
    if (!isfinite(s->a))
        return IL_EINVAL;
    return gain_of(s->nonlinearity, s->a, gain);
}

il_status il_init_check(const il_init_spec *s, size_t rows, size_t cols)
{
    if (!s || !kind_is_valid(s->kind))
        return IL_EINVAL;
    if (rows != 0 && cols > SIZE_MAX / rows)
        return IL_EINVAL;
    double gain;
    switch (s->kind) {
    case IL_INIT_TORCH:
    case IL_INIT_LECUN_NORMAL:
        return cols > 0 ? IL_OK : IL_EINVAL;
    case IL_INIT_KAIMING_UNIFORM:
    case IL_INIT_KAIMING_NORMAL:
        if (s->mode != IL_FAN_IN && s->mode != IL_FAN_OUT)
            return IL_EINVAL;
        IL_TRY(kaiming_gain(s, &gain));
        return (s->mode == IL_FAN_IN ? cols : rows) > 0 ? IL_OK : IL_EINVAL;
    case IL_INIT_XAVIER_UNIFORM:
    case IL_INIT_XAVIER_NORMAL:
        /* torch raises for a negative gain (uniform_(-a, a) with a < 0, normal_ with std < 0). */
        if (!isfinite(s->gain) || s->gain < 0)
            return IL_EINVAL;
        return rows > 0 || cols > 0 ? IL_OK : IL_EINVAL;
    case IL_INIT_ORTHOGONAL:
        /* torch only multiplies by gain, so any finite gain (even negative) is accepted. */
        return isfinite(s->gain) && rows > 0 && cols > 0 ? IL_OK : IL_EINVAL;
    default:
        return check_plain(s);
    }
}

/* scale_of: for the fan-based kinds, the uniform bound (*uniform = 1) or the normal std
 * (*uniform = 0), evaluated in torch's order of operations. s must have passed il_init_check. */
static double scale_of(const il_init_spec *s, size_t rows, size_t cols, int *uniform)
{
    double fan_in = (double)cols, fan_out = (double)rows, gain = 1.0;
    *uniform = 0;
    switch (s->kind) {
    case IL_INIT_TORCH:
        *uniform = 1;
        return 1.0 / sqrt(fan_in);
    case IL_INIT_KAIMING_UNIFORM:
    case IL_INIT_KAIMING_NORMAL: {
        (void)kaiming_gain(s, &gain);
        double std = gain / sqrt(s->mode == IL_FAN_IN ? fan_in : fan_out);
        if (s->kind == IL_INIT_KAIMING_NORMAL)
            return std;
        *uniform = 1;
        return sqrt(3.0) * std;
    }
    case IL_INIT_XAVIER_UNIFORM:
    case IL_INIT_XAVIER_NORMAL: {
        double std = s->gain * sqrt(2.0 / (fan_in + fan_out));
        if (s->kind == IL_INIT_XAVIER_NORMAL)
            return std;
        *uniform = 1;
        return sqrt(3.0) * std;
    }
    case IL_INIT_LECUN_NORMAL:
        return 1.0 / sqrt(fan_in);
    default:
        return 0.0;
    }
}

/* il_init_variance: NaN for a spec that il_init_check rejects. */
double il_init_variance(const il_init_spec *s, size_t rows, size_t cols)
{
    if (il_init_check(s, rows, cols) != IL_OK)
        return NAN;
    switch (s->kind) {
    case IL_INIT_ORTHOGONAL:
        return s->gain * s->gain / (double)(rows > cols ? rows : cols);
    case IL_INIT_NORMAL:
        return s->std * s->std;
    case IL_INIT_UNIFORM:
        return (s->hi - s->lo) * (s->hi - s->lo) / 12.0;
    case IL_INIT_ZEROS:
    case IL_INIT_CONSTANT:
        return 0.0;
    default: {
        int uniform;
        double c = scale_of(s, rows, cols, &uniform);
        return uniform ? c * c / 3.0 : c * c;
    }
    }
}

il_init_ws *il_init_ws_alloc(size_t max_rows, size_t max_cols)
{
    if (max_rows != 0 && max_cols > SIZE_MAX / max_rows)
        return NULL;
    size_t elems = max_rows * max_cols;
    size_t n = max_rows < max_cols ? max_rows : max_cols; /* n * n <= elems */
    if (elems > (SIZE_MAX / sizeof(double) - 3) / 3)
        return NULL;
    il_init_ws *ws = malloc(sizeof *ws);
    if (!ws)
        return NULL;
    /* One block: a (elems), t (n*n), y (n*n), plus one spare double so malloc never sees 0. */
    ws->a = malloc((elems + 2 * n * n + 1) * sizeof(double));
    if (!ws->a) {
        free(ws);
        return NULL;
    }
    ws->t = ws->a + elems;
    ws->y = ws->t + n * n;
    ws->cap_elems = elems;
    ws->cap_n = n;
    return ws;
}

void il_init_ws_free(il_init_ws *ws)
{
    if (!ws)
        return;
    free(ws->a);
    free(ws);
}

/* A workspace fits a rows x cols orthogonal fill if its buffers are large enough; this accepts any
 * shape with rows*cols <= max_rows*max_cols and min(rows, cols) <= min(max_rows, max_cols), which
 * includes the transposed shape (cols x rows). */
static int ws_fits(const il_init_ws *ws, size_t rows, size_t cols)
{
    size_t n = rows < cols ? rows : cols;
    return ws && rows * cols <= ws->cap_elems && n <= ws->cap_n;
}

static void fill_value(double *x, size_t n, double v)
{
    for (size_t i = 0; i < n; i++)
        x[i] = v;
}

/* U(-bound, bound); bound 0 (gain 0) gives zeros, as torch's uniform_(-0, 0). */
static void fill_symmetric(il_rng *g, double *x, size_t n, double bound)
{
    if (bound > 0)
        il_rng_fill_uniform(g, x, n, -bound, bound);
    else
        fill_value(x, n, 0.0);
}

/* See the top of the file. rows, cols >= 1; ws fits; w holds rows*cols; m <= INT_MAX. */
static il_status fill_orthogonal(double gain, il_rng *g, double *w, size_t rows, size_t cols,
                                 il_init_ws *ws)
{
    const int tall = rows >= cols;
    const size_t m = tall ? rows : cols, n = tall ? cols : rows;
    double *a = ws->a;

    if (tall) {
        il_rng_fill_normal(g, a, rows * cols, 0.0, 1.0);
    } else {
        il_rng_fill_normal(g, w, rows * cols, 0.0, 1.0);
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < cols; j++)
                a[j * n + i] = w[i * cols + j];
    }

    gsl_matrix_view A = gsl_matrix_view_array(a, m, n);
    gsl_matrix_view T = gsl_matrix_view_array(ws->t, n, n);
    gsl_matrix_view Y = gsl_matrix_view_array(ws->y, n, n);
    gsl_matrix_view V1 = gsl_matrix_submatrix(&A.matrix, 0, 0, n, n);
    gsl_matrix_view W = gsl_matrix_view_array(w, rows, cols);
    gsl_matrix_view Wtop = gsl_matrix_submatrix(&W.matrix, 0, 0, n, n);
    if (gsl_linalg_QR_decomp_r(&A.matrix, &T.matrix) != GSL_SUCCESS)
        return IL_EGSL;

    /* Y = T V1^T, T taken as upper triangular. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            ws->y[i * n + j] = j >= i ? ws->t[i * n + j] : 0.0;
    if (gsl_blas_dtrmm(CblasRight, CblasLower, CblasTrans, CblasUnit, 1.0, &V1.matrix, &Y.matrix))
        return IL_EGSL;

    /* Top (tall) or left (wide) n x n block: V1 Y or (V1 Y)^T = Y^T V1^T. */
    int rc;
    if (tall) {
        rc = gsl_matrix_memcpy(&Wtop.matrix, &Y.matrix);
        rc = rc ? rc
                : gsl_blas_dtrmm(CblasLeft, CblasLower, CblasNoTrans, CblasUnit, 1.0, &V1.matrix,
                                 &Wtop.matrix);
    } else {
        rc = gsl_matrix_transpose_memcpy(&Wtop.matrix, &Y.matrix);
        rc = rc ? rc
                : gsl_blas_dtrmm(CblasRight, CblasLower, CblasTrans, CblasUnit, 1.0, &V1.matrix,
                                 &Wtop.matrix);
    }
    if (rc)
        return IL_EGSL;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            w[i * cols + j] = (i == j) - w[i * cols + j];

    /* The rest: -V2 Y below (tall) or -Y^T V2^T to the right (wide). */
    if (m > n) {
        gsl_matrix_view V2 = gsl_matrix_submatrix(&A.matrix, n, 0, m - n, n);
        if (tall) {
            gsl_matrix_view Wb = gsl_matrix_submatrix(&W.matrix, n, 0, m - n, n);
            rc = gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, -1.0, &V2.matrix, &Y.matrix, 0.0,
                                &Wb.matrix);
        } else {
            gsl_matrix_view Wr = gsl_matrix_submatrix(&W.matrix, 0, n, n, m - n);
            rc = gsl_blas_dgemm(CblasTrans, CblasTrans, -1.0, &Y.matrix, &V2.matrix, 0.0,
                                &Wr.matrix);
        }
        if (rc)
            return IL_EGSL;
    }

    /* Signs of diag(R), and the gain: columns of Q are columns (tall) or rows (wide) of w. */
    for (size_t k = 0; k < n; k++) {
        double scale = a[k * n + k] < 0 ? -gain : gain;
        gsl_vector_view q = tall ? gsl_matrix_column(&W.matrix, k) : gsl_matrix_row(&W.matrix, k);
        gsl_vector_scale(&q.vector, scale);
    }
    return IL_OK;
}

/* il_init_fill_weight: besides init.h's codes, IL_ERANGE for an orthogonal fill with a dimension
 * beyond INT_MAX (BLAS sizes). Errors other than IL_EGSL leave *r and w untouched. */
il_status il_init_fill_weight(const il_init_spec *s, il_rng *r, double *w, size_t rows, size_t cols,
                              il_init_ws *ws)
{
    IL_TRY(il_init_check(s, rows, cols));
    const size_t count = rows * cols;
    if (count > 0 && !w)
        return IL_EINVAL;
    if (s->kind == IL_INIT_ZEROS || s->kind == IL_INIT_CONSTANT) {
        fill_value(w, count, s->kind == IL_INIT_CONSTANT ? s->value : 0.0);
        return IL_OK;
    }
    if (!r)
        return IL_EINVAL;
    if (s->kind == IL_INIT_ORTHOGONAL) {
        if (rows > INT_MAX || cols > INT_MAX)
            return IL_ERANGE;
        if (!ws_fits(ws, rows, cols))
            return IL_EINVAL;
    }

    il_rng *g = r; /* fills consume the caller's stream in order */

    switch (s->kind) {
    case IL_INIT_ORTHOGONAL:
        return fill_orthogonal(s->gain, g, w, rows, cols, ws);
    case IL_INIT_NORMAL:
        il_rng_fill_normal(g, w, count, s->mean, s->std);
        return IL_OK;
    case IL_INIT_UNIFORM:
        il_rng_fill_uniform(g, w, count, s->lo, s->hi);
        return IL_OK;
    default: {
        int uniform;
        double c = scale_of(s, rows, cols, &uniform);
        if (uniform)
            fill_symmetric(g, w, count, c);
        else
            il_rng_fill_normal(g, w, count, 0.0, c);
        return IL_OK;
    }
    }
}

/* Biases: TORCH plus the kinds that do not depend on fans. */
static il_status check_bias(const il_init_spec *s)
{
    if (!s || !kind_is_valid(s->kind))
        return IL_EINVAL;
    return s->kind == IL_INIT_TORCH ? IL_OK : check_plain(s);
}

/* torch's Linear/ConvNd bias bound: 1/sqrt(fan_in), 0 when fan_in = 0. */
static double torch_bias_bound(size_t fan_in)
{
    return fan_in > 0 ? 1.0 / sqrt((double)fan_in) : 0.0;
}

/* il_init_fill_bias: steps as for weights (consecutive draws from *r). */
il_status il_init_fill_bias(const il_init_spec *s, il_rng *r, double *b, size_t n, size_t fan_in)
{
    IL_TRY(check_bias(s));
    if (n > 0 && !b)
        return IL_EINVAL;
    if (s->kind == IL_INIT_ZEROS || s->kind == IL_INIT_CONSTANT) {
        fill_value(b, n, s->kind == IL_INIT_CONSTANT ? s->value : 0.0);
        return IL_OK;
    }
    if (!r)
        return IL_EINVAL;
    il_rng *g = r;
    switch (s->kind) {
    case IL_INIT_TORCH:
        fill_symmetric(g, b, n, torch_bias_bound(fan_in));
        break;
    case IL_INIT_NORMAL:
        il_rng_fill_normal(g, b, n, s->mean, s->std);
        break;
    default: /* IL_INIT_UNIFORM */
        il_rng_fill_uniform(g, b, n, s->lo, s->hi);
        break;
    }
    return IL_OK;
}

/* il_init_bias_variance: NaN for a spec that il_init_fill_bias would reject. */
double il_init_bias_variance(const il_init_spec *s, size_t fan_in)
{
    if (check_bias(s) != IL_OK)
        return NAN;
    switch (s->kind) {
    case IL_INIT_TORCH: {
        double bound = torch_bias_bound(fan_in);
        return bound * bound / 3.0;
    }
    case IL_INIT_NORMAL:
        return s->std * s->std;
    case IL_INIT_UNIFORM:
        return (s->hi - s->lo) * (s->hi - s->lo) / 12.0;
    default:
        return 0.0;
    }
}
