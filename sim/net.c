/* net.c: network construction, parsing, weight draws and the forward pass. */
#include "net.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* Below this many multiply-adds per output row a plain loop beats a BLAS call's overhead. */
#define IL_SMALL_GEMM_MACS 256

struct il_net_ws {
    size_t batch, layers, nmax;
    double **w;      /* per layer: width x fan_in */
    double **b;      /* per layer: width, or NULL */
    size_t *fan_in;  /* per layer */
    size_t *width;   /* per layer */
    double *wmask;   /* scratch: max width x fan_in, for DropConnect */
    double *x;       /* batch x n_in */
    double *buf[2];  /* batch x nmax */
    double *res;     /* batch x nmax */
    double *mask;    /* batch x nmax */
    double *lw;      /* one layer's weights, then its bias, for il_net_draw_forward */
    double *block;   /* one allocation holding all of the above */
    il_init_ws *init_ws; /* scratch for orthogonal weights, or NULL */
    /* float32 propagation (il_net_ws_alloc_f32; NULL otherwise) */
    float *x32, *buf32[2], *res32, *w32; /* inputs, activations, residual, one layer's weights and bias */
    double *vis;     /* batch x nmax: a float32 layer widened for the visitor */
    void *block32;
    int lazy;        /* il_net_draw_forward: 0 not yet known, 1 layer by layer, -1 all weights first */
    size_t psteps;   /* generator steps of all weights and biases (lazy = 1) */
};

void il_net_init(il_net *net)
{
    memset(net, 0, sizeof *net);
    il_init_spec_default(IL_INIT_TORCH, &net->winit);
    il_init_spec_default(IL_INIT_TORCH, &net->binit);
    net->train = 1;
    net->input = IL_INPUT_NORMAL;
}

void il_net_release(il_net *net)
{
    if (!net)
        return;
    free(net->input_var);
    net->input_var = NULL;
}

const char *il_drop_name(il_drop_kind k)
{
    switch (k) {
    case IL_DROP_INVERTED: return "inverted";
    case IL_DROP_CLASSIC: return "classic";
    case IL_DROP_CONNECT: return "dropconnect";
    }
    return "?";
}

const char *il_input_name(il_input_kind k)
{
    switch (k) {
    case IL_INPUT_NORMAL: return "normal";
    case IL_INPUT_UNIFORM: return "uniform";
    case IL_INPUT_RADEMACHER: return "rademacher";
    }
    return "?";
}

static il_status push_op(il_net *net, il_op op, char *err, size_t errlen)
{
    if (net->n_ops >= IL_NET_MAX_OPS) {
        snprintf(err, errlen, "more than %d operations", IL_NET_MAX_OPS);
        return IL_EINVAL;
    }
    net->ops[net->n_ops++] = op;
    return IL_OK;
}

static il_op make_op(il_op_kind kind)
{
    il_op op;
    memset(&op, 0, sizeof op);
    op.kind = kind;
    return op;
}

il_status il_net_build(il_net *net, const il_net_shape *s, char *err, size_t errlen)
{
    if (s->n_widths < 2) {
        snprintf(err, errlen, "need at least two widths (input and one layer), got %zu", s->n_widths);
        return IL_EINVAL;
    }
    for (size_t i = 0; i < s->n_widths; i++) {
        if (s->widths[i] < 1) {
            snprintf(err, errlen, "width %zu is 0; widths must be >= 1", i);
            return IL_EINVAL;
        }
    }
    if (!(s->p >= 0.0 && s->p < 1.0)) {
        snprintf(err, errlen, "dropout probability must be in [0, 1), got %g", s->p);
        return IL_EINVAL;
    }
    net->n_ops = 0;
    net->n_in = s->widths[0];
    size_t L = s->n_widths - 1;
    for (size_t l = 1; l <= L; l++) {
        int has_act = l < L || s->last_act;
        int res = s->residual && has_act && s->widths[l - 1] == s->widths[l];
        int drop = s->p > 0.0 && s->drop != IL_DROP_CONNECT && has_act;
        il_op op;
        if (res)
            IL_TRY(push_op(net, make_op(IL_OP_RES_BEGIN), err, errlen));
        op = make_op(IL_OP_LINEAR);
        op.width = s->widths[l];
        op.bias = s->bias;
        op.dc_p = s->drop == IL_DROP_CONNECT ? s->p : 0.0;
        IL_TRY(push_op(net, op, err, errlen));
        if (s->batchnorm && has_act)
            IL_TRY(push_op(net, make_op(IL_OP_BATCHNORM), err, errlen));
        il_op dop = make_op(IL_OP_DROPOUT);
        dop.p = s->p;
        dop.drop = s->drop;
        if (drop && s->drop_at == IL_DROP_BEFORE)
            IL_TRY(push_op(net, dop, err, errlen));
        if (has_act) {
            op = make_op(IL_OP_ACT);
            op.act = s->act;
            IL_TRY(push_op(net, op, err, errlen));
        }
        if (drop && s->drop_at == IL_DROP_AFTER)
            IL_TRY(push_op(net, dop, err, errlen));
        if (res)
            IL_TRY(push_op(net, make_op(IL_OP_RES_END), err, errlen));
    }
    return IL_OK;
}

static il_status parse_prob(const char *text, double *p)
{
    if (il_parse_double(text, p) != IL_OK || !(*p >= 0.0 && *p < 1.0))
        return IL_EINVAL;
    return IL_OK;
}

/* Parses one token (without res( and ) decorations). */
static il_status parse_token(il_net *net, const char *tok, size_t pos, int *saw_input, double *pending_dc,
                             il_drop_kind default_drop, char *err, size_t errlen)
{
    il_op op;
    char head[32];
    const char *colon = strchr(tok, ':');
    size_t hl = colon ? (size_t)(colon - tok) : strlen(tok);
    if (hl >= sizeof head)
        hl = sizeof head - 1;
    memcpy(head, tok, hl);
    head[hl] = '\0';
    const char *arg = colon ? colon + 1 : NULL;

    if (strcmp(head, "input") == 0) {
        if (pos != 0 || *saw_input) {
            snprintf(err, errlen, "'input:N' must be the first token and appear once (token %zu)", pos + 1);
            return IL_EINVAL;
        }
        if (!arg || il_parse_size(arg, 1, (size_t)INT_MAX, &net->n_in) != IL_OK) {
            snprintf(err, errlen, "token %zu '%s': input width must be an integer in [1, %d]", pos + 1, tok,
                     INT_MAX);
            return IL_EINVAL;
        }
        *saw_input = 1;
        return IL_OK;
    }
    if (!*saw_input) {
        snprintf(err, errlen, "the spec must start with 'input:N' (got '%s')", tok);
        return IL_EINVAL;
    }
    if (strcmp(head, "linear") == 0) {
        op = make_op(IL_OP_LINEAR);
        op.bias = 1;
        char wbuf[32];
        const char *c2 = arg ? strchr(arg, ':') : NULL;
        if (!arg || (c2 ? (size_t)(c2 - arg) : strlen(arg)) >= sizeof wbuf) {
            snprintf(err, errlen, "token %zu '%s': expected linear:N or linear:N:nobias", pos + 1, tok);
            return IL_EINVAL;
        }
        size_t wl = c2 ? (size_t)(c2 - arg) : strlen(arg);
        memcpy(wbuf, arg, wl);
        wbuf[wl] = '\0';
        if (il_parse_size(wbuf, 1, (size_t)INT_MAX, &op.width) != IL_OK) {
            snprintf(err, errlen, "token %zu '%s': width must be an integer in [1, %d]", pos + 1, tok, INT_MAX);
            return IL_EINVAL;
        }
        if (c2) {
            if (strcmp(c2 + 1, "nobias") != 0) {
                snprintf(err, errlen, "token %zu '%s': the only linear option is 'nobias'", pos + 1, tok);
                return IL_EINVAL;
            }
            op.bias = 0;
        }
        op.dc_p = *pending_dc;
        *pending_dc = 0.0;
        return push_op(net, op, err, errlen);
    }
    if (*pending_dc > 0.0) {
        snprintf(err, errlen, "token %zu '%s': dropconnect must be followed by a linear token", pos + 1, tok);
        return IL_EINVAL;
    }
    if (strcmp(head, "dropout") == 0) {
        op = make_op(IL_OP_DROPOUT);
        op.drop = default_drop == IL_DROP_CONNECT ? IL_DROP_INVERTED : default_drop;
        char pbuf[64];
        const char *c2 = arg ? strchr(arg, ':') : NULL;
        size_t pl = arg ? (c2 ? (size_t)(c2 - arg) : strlen(arg)) : 0;
        if (!arg || pl >= sizeof pbuf) {
            snprintf(err, errlen, "token %zu '%s': expected dropout:P[:inverted|classic]", pos + 1, tok);
            return IL_EINVAL;
        }
        memcpy(pbuf, arg, pl);
        pbuf[pl] = '\0';
        if (parse_prob(pbuf, &op.p) != IL_OK) {
            snprintf(err, errlen, "token %zu '%s': dropout probability must be in [0, 1)", pos + 1, tok);
            return IL_EINVAL;
        }
        if (c2) {
            if (strcmp(c2 + 1, "inverted") == 0)
                op.drop = IL_DROP_INVERTED;
            else if (strcmp(c2 + 1, "classic") == 0)
                op.drop = IL_DROP_CLASSIC;
            else {
                snprintf(err, errlen, "token %zu '%s': dropout kind must be inverted or classic", pos + 1, tok);
                return IL_EINVAL;
            }
        }
        return push_op(net, op, err, errlen);
    }
    if (strcmp(head, "dropconnect") == 0) {
        double p;
        if (!arg || parse_prob(arg, &p) != IL_OK) {
            snprintf(err, errlen, "token %zu '%s': dropconnect probability must be in [0, 1)", pos + 1, tok);
            return IL_EINVAL;
        }
        *pending_dc = p > 0.0 ? p : 0.0;
        return IL_OK;
    }
    if (strcmp(tok, "batchnorm") == 0 || strcmp(tok, "bn") == 0)
        return push_op(net, make_op(IL_OP_BATCHNORM), err, errlen);
    op = make_op(IL_OP_ACT);
    if (il_act_parse(tok, &op.act) != IL_OK) {
        snprintf(err, errlen,
                 "token %zu '%s' is not understood (expected input:N, linear:N[:nobias], dropout:P[:kind], "
                 "dropconnect:P, batchnorm, res(...), or an activation: %s)",
                 pos + 1, tok, il_act_names());
        return IL_EINVAL;
    }
    return push_op(net, op, err, errlen);
}

il_status il_net_parse_arch(il_net *net, const char *spec, il_drop_kind default_drop, char *err, size_t errlen)
{
    if (!spec || !*spec) {
        snprintf(err, errlen, "empty architecture spec");
        return IL_EINVAL;
    }
    size_t len = strlen(spec);
    char *copy = malloc(len + 1);
    if (!copy)
        return IL_ENOMEM;
    memcpy(copy, spec, len + 1);
    net->n_ops = 0;
    net->n_in = 0;
    il_status rc = IL_OK;
    int saw_input = 0, in_res = 0;
    double pending_dc = 0.0;
    size_t pos = 0;
    char *p = copy;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        char *tok = p;
        int open = 0, close = 0;
        if (strncmp(tok, "res(", 4) == 0) {
            open = 1;
            tok += 4;
        }
        size_t tl = strlen(tok);
        if (tl > 0 && tok[tl - 1] == ')') {
            close = 1;
            tok[tl - 1] = '\0';
        }
        if (!*tok) {
            snprintf(err, errlen, "empty token at position %zu", pos + 1);
            rc = IL_EINVAL;
            break;
        }
        if (open) {
            if (in_res) {
                snprintf(err, errlen, "token %zu: residual blocks cannot be nested", pos + 1);
                rc = IL_EINVAL;
                break;
            }
            if ((rc = push_op(net, make_op(IL_OP_RES_BEGIN), err, errlen)) != IL_OK)
                break;
            in_res = 1;
        }
        if ((rc = parse_token(net, tok, pos, &saw_input, &pending_dc, default_drop, err, errlen)) != IL_OK)
            break;
        if (close) {
            if (!in_res) {
                snprintf(err, errlen, "token %zu: ')' without a matching 'res('", pos + 1);
                rc = IL_EINVAL;
                break;
            }
            if ((rc = push_op(net, make_op(IL_OP_RES_END), err, errlen)) != IL_OK)
                break;
            in_res = 0;
        }
        pos++;
        if (!comma)
            break;
        p = comma + 1;
    }
    if (rc == IL_OK && in_res) {
        snprintf(err, errlen, "'res(' is not closed by ')'");
        rc = IL_EINVAL;
    }
    if (rc == IL_OK && pending_dc > 0.0) {
        snprintf(err, errlen, "dropconnect must be followed by a linear token");
        rc = IL_EINVAL;
    }
    if (rc == IL_OK && il_net_layers(net) == 0) {
        snprintf(err, errlen, "the spec has no linear layer");
        rc = IL_EINVAL;
    }
    free(copy);
    return rc;
}

il_status il_net_set_input_var(il_net *net, const double *var, size_t n)
{
    if (n != 1 && n != net->n_in)
        return IL_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!(var[i] > 0.0) || !isfinite(var[i]))
            return IL_EINVAL;
    double *v = malloc(net->n_in * sizeof *v);
    if (!v)
        return IL_ENOMEM;
    for (size_t i = 0; i < net->n_in; i++)
        v[i] = var[n == 1 ? 0 : i];
    free(net->input_var);
    net->input_var = v;
    return IL_OK;
}

size_t il_net_layers(const il_net *net)
{
    size_t L = 0;
    for (size_t i = 0; i < net->n_ops; i++)
        L += net->ops[i].kind == IL_OP_LINEAR;
    return L;
}

size_t il_net_max_width(const il_net *net)
{
    size_t m = net->n_in;
    for (size_t i = 0; i < net->n_ops; i++)
        if (net->ops[i].kind == IL_OP_LINEAR && net->ops[i].width > m)
            m = net->ops[i].width;
    return m;
}

void il_net_widths(const il_net *net, size_t *widths)
{
    size_t l = 0;
    widths[l++] = net->n_in;
    for (size_t i = 0; i < net->n_ops; i++)
        if (net->ops[i].kind == IL_OP_LINEAR)
            widths[l++] = net->ops[i].width;
}

size_t il_net_param_count(const il_net *net)
{
    size_t prev = net->n_in, n = 0;
    for (size_t i = 0; i < net->n_ops; i++) {
        const il_op *op = &net->ops[i];
        if (op->kind != IL_OP_LINEAR)
            continue;
        n += op->width * prev + (op->bias ? op->width : 0);
        prev = op->width;
    }
    return n;
}

il_status il_net_check(const il_net *net, size_t batch, char *err, size_t errlen)
{
    if (net->n_in < 1 || net->n_in > (size_t)INT_MAX) {
        snprintf(err, errlen, "input width must be in [1, %d]", INT_MAX);
        return IL_EINVAL;
    }
    if (batch < 1 || batch > (size_t)INT_MAX) {
        snprintf(err, errlen, "batch must be in [1, %d]", INT_MAX);
        return IL_EINVAL;
    }
    if (il_net_layers(net) == 0) {
        snprintf(err, errlen, "the network has no linear layer");
        return IL_EINVAL;
    }
    size_t width = net->n_in, res_width = 0, layer = 0;
    int in_res = 0;
    for (size_t i = 0; i < net->n_ops; i++) {
        const il_op *op = &net->ops[i];
        switch (op->kind) {
        case IL_OP_LINEAR:
            layer++;
            if (op->width < 1 || op->width > (size_t)INT_MAX) {
                snprintf(err, errlen, "layer %zu: width must be in [1, %d]", layer, INT_MAX);
                return IL_EINVAL;
            }
            if (op->width > SIZE_MAX / width / sizeof(double)) {
                snprintf(err, errlen, "layer %zu: weight matrix %zu x %zu is too large", layer, op->width, width);
                return IL_ERANGE;
            }
            if (il_init_check(&net->winit, op->width, width) != IL_OK) {
                snprintf(err, errlen, "layer %zu: weight init %s is invalid for a %zu x %zu weight", layer,
                         il_init_name(net->winit.kind), op->width, width);
                return IL_EINVAL;
            }
            if (op->bias) {
                il_init_kind k = net->binit.kind;
                if (k != IL_INIT_TORCH && k != IL_INIT_ZEROS && k != IL_INIT_CONSTANT && k != IL_INIT_NORMAL &&
                    k != IL_INIT_UNIFORM) {
                    snprintf(err, errlen,
                             "bias init must be torch, zeros, constant, normal or uniform, got %s",
                             il_init_name(k));
                    return IL_EINVAL;
                }
            }
            if (!(op->dc_p >= 0.0 && op->dc_p < 1.0)) {
                snprintf(err, errlen, "layer %zu: dropconnect probability must be in [0, 1)", layer);
                return IL_EINVAL;
            }
            width = op->width;
            break;
        case IL_OP_DROPOUT:
            if (!(op->p >= 0.0 && op->p < 1.0)) {
                snprintf(err, errlen, "dropout probability must be in [0, 1), got %g", op->p);
                return IL_EINVAL;
            }
            break;
        case IL_OP_BATCHNORM:
            if (net->train && batch < 2) {
                snprintf(err, errlen, "batchnorm in training mode needs --batch >= 2 (batch statistics)");
                return IL_EINVAL;
            }
            break;
        case IL_OP_RES_BEGIN:
            if (in_res) {
                snprintf(err, errlen, "residual blocks cannot be nested");
                return IL_EINVAL;
            }
            in_res = 1;
            res_width = width;
            break;
        case IL_OP_RES_END:
            if (!in_res) {
                snprintf(err, errlen, "residual end without a beginning");
                return IL_EINVAL;
            }
            if (width != res_width) {
                snprintf(err, errlen, "residual block changes the width from %zu to %zu", res_width, width);
                return IL_EINVAL;
            }
            in_res = 0;
            break;
        case IL_OP_ACT:
            break;
        }
    }
    if (in_res) {
        snprintf(err, errlen, "residual block is not closed");
        return IL_EINVAL;
    }
    if (net->input_var == NULL)
        return IL_OK;
    for (size_t i = 0; i < net->n_in; i++)
        if (!(net->input_var[i] > 0.0) || !isfinite(net->input_var[i])) {
            snprintf(err, errlen, "input variance %zu must be positive and finite", i + 1);
            return IL_EINVAL;
        }
    return IL_OK;
}

/* The largest layer's weights plus bias, in doubles. */
static size_t layer_doubles_max(const il_net *net)
{
    size_t prev = net->n_in, mx = 0;
    for (size_t i = 0; i < net->n_ops; i++) {
        const il_op *op = &net->ops[i];
        if (op->kind != IL_OP_LINEAR)
            continue;
        size_t d = op->width * prev + op->width;
        mx = d > mx ? d : mx;
        prev = op->width;
    }
    return mx;
}

/* Sizes of the workspace, in doubles, for il_net_ws_alloc and il_net_ws_bytes. */
static size_t ws_doubles(const il_net *net, size_t batch, size_t *wmax)
{
    size_t prev = net->n_in, total = 0, mx = 0, nmax = il_net_max_width(net);
    for (size_t i = 0; i < net->n_ops; i++) {
        const il_op *op = &net->ops[i];
        if (op->kind != IL_OP_LINEAR)
            continue;
        total += op->width * prev + (op->bias ? op->width : 0);
        if (op->dc_p > 0.0 && op->width * prev > mx)
            mx = op->width * prev;
        prev = op->width;
    }
    *wmax = mx;
    return total + mx + layer_doubles_max(net) + batch * net->n_in + 4 * batch * nmax;
}

size_t il_net_ws_bytes(const il_net *net, size_t batch)
{
    size_t wmax, L = il_net_layers(net), nmax = il_net_max_width(net);
    size_t ortho = net->winit.kind == IL_INIT_ORTHOGONAL ? 3 * nmax * nmax * sizeof(double) : 0;
    return sizeof(struct il_net_ws) + ortho + ws_doubles(net, batch, &wmax) * sizeof(double) +
           L * (2 * sizeof(double *) + 2 * sizeof(size_t));
}

il_net_ws *il_net_ws_alloc(const il_net *net, size_t batch)
{
    size_t wmax, L = il_net_layers(net), nmax = il_net_max_width(net);
    size_t nd = ws_doubles(net, batch, &wmax);
    il_net_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->batch = batch;
    ws->layers = L;
    ws->nmax = nmax;
    ws->w = calloc(L, sizeof *ws->w);
    ws->b = calloc(L, sizeof *ws->b);
    ws->fan_in = calloc(L, sizeof *ws->fan_in);
    ws->width = calloc(L, sizeof *ws->width);
    ws->block = malloc(nd * sizeof(double));
    if (net->winit.kind == IL_INIT_ORTHOGONAL)
        ws->init_ws = il_init_ws_alloc(nmax, nmax);
    if (!ws->w || !ws->b || !ws->fan_in || !ws->width || !ws->block ||
        (net->winit.kind == IL_INIT_ORTHOGONAL && !ws->init_ws)) {
        il_net_ws_free(ws);
        return NULL;
    }
    double *p = ws->block;
    size_t prev = net->n_in, l = 0;
    for (size_t i = 0; i < net->n_ops; i++) {
        const il_op *op = &net->ops[i];
        if (op->kind != IL_OP_LINEAR)
            continue;
        ws->fan_in[l] = prev;
        ws->width[l] = op->width;
        ws->w[l] = p;
        p += op->width * prev;
        if (op->bias) {
            ws->b[l] = p;
            p += op->width;
        }
        prev = op->width;
        l++;
    }
    ws->wmask = p;
    p += wmax;
    ws->lw = p;
    p += layer_doubles_max(net);
    ws->x = p;
    p += batch * net->n_in;
    ws->buf[0] = p;
    p += batch * nmax;
    ws->buf[1] = p;
    p += batch * nmax;
    ws->res = p;
    p += batch * nmax;
    ws->mask = p;
    return ws;
}

void il_net_ws_free(il_net_ws *ws)
{
    if (!ws)
        return;
    free(ws->w);
    free(ws->b);
    free(ws->fan_in);
    free(ws->width);
    free(ws->block);
    free(ws->block32);
    il_init_ws_free(ws->init_ws);
    free(ws);
}

const double *il_net_weight(const il_net_ws *ws, size_t layer)
{
    return layer >= 1 && layer <= ws->layers ? ws->w[layer - 1] : NULL;
}

const double *il_net_bias(const il_net_ws *ws, size_t layer)
{
    return layer >= 1 && layer <= ws->layers ? ws->b[layer - 1] : NULL;
}

il_status il_net_draw_weights(const il_net *net, il_net_ws *ws, il_rng *r)
{
    for (size_t l = 0; l < ws->layers; l++) {
        IL_TRY(il_init_fill_weight(&net->winit, r, ws->w[l], ws->width[l], ws->fan_in[l], ws->init_ws));
        if (ws->b[l])
            IL_TRY(il_init_fill_bias(&net->binit, r, ws->b[l], ws->width[l], ws->fan_in[l]));
    }
    return IL_OK;
}

void il_net_copy_weights(const il_net *net, const il_net_ws *src, il_net_ws *dst)
{
    (void)net;
    for (size_t l = 0; l < src->layers; l++) {
        memcpy(dst->w[l], src->w[l], src->width[l] * src->fan_in[l] * sizeof(double));
        if (src->b[l])
            memcpy(dst->b[l], src->b[l], src->width[l] * sizeof(double));
    }
}

/* ---- the small-matrix path ---------------------------------------------------------------------------
 * For k n <= IL_SMALL_GEMM_MACS every output is y[r][o] = s + b[o] (or s without bias) with
 * s = (((0.0 + x[r][0] w[o][0]) + x[r][1] w[o][1]) + ...) in that order: the definition the results are
 * pinned to. The kernels below compute several outputs at once in vector lanes (GCC vector extensions,
 * cloned for AVX2 and the baseline), each lane doing exactly that sequence of roundings: a multiply and a
 * separate add (the build uses -ffp-contract=off, and no FMA target is enabled). */
typedef double il_v4d __attribute__((vector_size(32)));
#define IL_SMALL_MAX_K IL_SMALL_GEMM_MACS          /* k <= 256 on this path (n >= 1) */
#define IL_SMALL_WT (IL_SMALL_GEMM_MACS + 3 * IL_SMALL_MAX_K) /* k x (n rounded up to 4) */

/* Unaligned vector access to double arrays. */
typedef double il_v4du __attribute__((vector_size(32), aligned(8), may_alias));
#define V4_LOAD(p) (*(const il_v4du *)(p))
#define V4_STORE(p, v) (*(il_v4du *)(p) = (v))

/* Lanes across 4 output units: wt is k x np (np = n rounded up to 4, the extra columns 0), bp has np
 * entries (or NULL). Four rows at a time, so that four independent sums are in flight. */
/* y[o .. o+3] = the lanes of acc, or only those below n. */
#define STORE_PART(y, acc, o, n)                                                                                \
    do {                                                                                                     \
        if ((o) + 4 <= (n)) {                                                                                \
            V4_STORE((y) + (o), (acc));                                                                      \
        } else {                                                                                             \
            for (size_t l_ = 0; (o) + l_ < (n); l_++)                                                        \
                (y)[(o) + l_] = (acc)[l_];                                                                   \
        }                                                                                                    \
    } while (0)

__attribute__((target_clones("avx2", "default"))) static void small_gemm_o(const double *src, const double *wt,
                                                                           const double *bp, double *dst, size_t B,
                                                                           size_t k, size_t n, size_t np)
{
    size_t r = 0;
    for (; r + 4 <= B; r += 4) {
        const double *x0 = src + r * k, *x1 = x0 + k, *x2 = x1 + k, *x3 = x2 + k;
        double *y0 = dst + r * n, *y1 = y0 + n, *y2 = y1 + n, *y3 = y2 + n;
        for (size_t o = 0; o < np; o += 4) {
            il_v4d a0 = {0.0, 0.0, 0.0, 0.0}, a1 = a0, a2 = a0, a3 = a0;
            const double *wc = wt + o;
            for (size_t j = 0; j < k; j++) {
                il_v4d wj = V4_LOAD(wc + j * np);
                il_v4d b0 = {x0[j], x0[j], x0[j], x0[j]}, b1 = {x1[j], x1[j], x1[j], x1[j]};
                il_v4d b2 = {x2[j], x2[j], x2[j], x2[j]}, b3 = {x3[j], x3[j], x3[j], x3[j]};
                a0 = a0 + b0 * wj;
                a1 = a1 + b1 * wj;
                a2 = a2 + b2 * wj;
                a3 = a3 + b3 * wj;
            }
            if (bp) {
                il_v4d bb = V4_LOAD(bp + o);
                a0 = a0 + bb;
                a1 = a1 + bb;
                a2 = a2 + bb;
                a3 = a3 + bb;
            }
            STORE_PART(y0, a0, o, n);
            STORE_PART(y1, a1, o, n);
            STORE_PART(y2, a2, o, n);
            STORE_PART(y3, a3, o, n);
        }
    }
    for (; r < B; r++) {
        const double *x = src + r * k;
        double *y = dst + r * n;
        for (size_t o = 0; o < np; o += 4) {
            il_v4d acc = {0.0, 0.0, 0.0, 0.0};
            for (size_t j = 0; j < k; j++) {
                il_v4d xj = {x[j], x[j], x[j], x[j]};
                acc = acc + xj * V4_LOAD(wt + j * np + o);
            }
            if (bp)
                acc = acc + V4_LOAD(bp + o);
            STORE_PART(y, acc, o, n);
        }
    }
}

/* Lanes across 4 batch rows, for n < 4 outputs: xt holds a 4-row block of src transposed (k x 4). Rows
 * past the last multiple of 4 are done one at a time (the same sequence, scalar). */
__attribute__((target_clones("avx2", "default"))) static void small_gemm_r(const double *src, const double *w,
                                                                           const double *b, double *dst, size_t B,
                                                                           size_t k, size_t n, double *xt)
{
    size_t r = 0;
    for (; r + 4 <= B; r += 4) {
        for (size_t j = 0; j < k; j++)
            for (size_t l = 0; l < 4; l++)
                xt[j * 4 + l] = src[(r + l) * k + j];
        for (size_t o = 0; o < n; o++) {
            const double *wo = w + o * k;
            il_v4d acc = {0.0, 0.0, 0.0, 0.0};
            for (size_t j = 0; j < k; j++) {
                il_v4d wj = {wo[j], wo[j], wo[j], wo[j]};
                acc = acc + V4_LOAD(xt + j * 4) * wj;
            }
            if (b) {
                il_v4d bo = {b[o], b[o], b[o], b[o]};
                acc = acc + bo;
            }
            for (size_t l = 0; l < 4; l++)
                dst[(r + l) * n + o] = acc[l];
        }
    }
    for (; r < B; r++) {
        const double *x = src + r * k;
        double *y = dst + r * n;
        for (size_t o = 0; o < n; o++) {
            const double *wo = w + o * k;
            double s = 0.0;
            for (size_t j = 0; j < k; j++)
                s += x[j] * wo[j];
            y[o] = b ? s + b[o] : s;
        }
    }
}

/* dst (B x n) = src (B x k) W^T + 1 b^T, W is n x k row-major. */
static void linear_forward(const double *src, const double *w, const double *b, double *dst, size_t B, size_t k,
                           size_t n)
{
    if (k * n <= IL_SMALL_GEMM_MACS) {
        double scratch[IL_SMALL_WT + 4];
        if (n < 4) {
            small_gemm_r(src, w, b, dst, B, k, n, scratch);
            return;
        }
        /* W^T padded to np columns, and the bias padded alike */
        size_t np = (n + 3) & ~(size_t)3;
        double *wt = scratch, *bp = b ? scratch + k * np : NULL;
        for (size_t j = 0; j < k; j++) {
            for (size_t o = 0; o < n; o++)
                wt[j * np + o] = w[o * k + j];
            for (size_t o = n; o < np; o++)
                wt[j * np + o] = 0.0;
        }
        if (bp) {
            for (size_t o = 0; o < n; o++)
                bp[o] = b[o];
            for (size_t o = n; o < np; o++)
                bp[o] = 0.0;
        }
        small_gemm_o(src, wt, bp, dst, B, k, n, np);
        return;
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)n, (int)k, 1.0, src, (int)k, w, (int)k, 0.0,
                dst, (int)n);
    if (b)
        for (size_t r = 0; r < B; r++) {
            double *y = dst + r * n;
#pragma omp simd
            for (size_t o = 0; o < n; o++)
                y[o] += b[o];
        }
}

static void batchnorm_train(double *y, size_t B, size_t n)
{
    for (size_t o = 0; o < n; o++) {
        double m = 0.0, v = 0.0;
        for (size_t r = 0; r < B; r++)
            m += y[r * n + o];
        m /= (double)B;
        for (size_t r = 0; r < B; r++) {
            double d = y[r * n + o] - m;
            v += d * d;
        }
        v /= (double)B;
        double s = 1.0 / sqrt(v + IL_BN_EPS);
        for (size_t r = 0; r < B; r++)
            y[r * n + o] = (y[r * n + o] - m) * s;
    }
}

/* 1 if no y[i] is a NaN or an infinity (all exponent bits set), tested on the bits, four at a time. */
typedef uint64_t il_v4u __attribute__((vector_size(32), aligned(8), may_alias));
typedef int64_t il_v4s __attribute__((vector_size(32)));

__attribute__((target_clones("avx2", "default"))) static int all_finite(const double *y, size_t n)
{
    const uint64_t expo = 0x7ff0000000000000ULL;
    const il_v4u ve = {expo, expo, expo, expo};
    il_v4s bad4 = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        bad4 |= (*(const il_v4u *)(y + i) & ve) == ve;
    uint64_t bad = (uint64_t)(bad4[0] | bad4[1] | bad4[2] | bad4[3]);
    for (; i < n; i++) {
        uint64_t b;
        memcpy(&b, &y[i], sizeof b);
        bad |= (uint64_t)((b & expo) == expo);
    }
    return bad == 0;
}

static void draw_inputs(const il_net *net, il_rng *r, double *x, size_t B)
{
    size_t n = B * net->n_in;
    switch (net->input) {
    case IL_INPUT_NORMAL: il_rng_fill_normal(r, x, n, 0.0, 1.0); break;
    case IL_INPUT_UNIFORM: il_rng_fill_uniform(r, x, n, -sqrt(3.0), sqrt(3.0)); break;
    case IL_INPUT_RADEMACHER: il_rng_fill_rademacher(r, x, n); break;
    }
    if (net->input_var) {
        for (size_t i = 0; i < net->n_in; i++) {
            double s = sqrt(net->input_var[i]);
            for (size_t b = 0; b < B; b++)
                x[b * net->n_in + i] *= s;
        }
    }
}

il_status il_net_forward(const il_net *net, il_net_ws *ws, il_rng *r, int want_post, il_net_visit visit, void *ctx,
                         size_t *bad_layer)
{
    draw_inputs(net, r, ws->x, ws->batch);
    return il_net_forward_input(net, ws, ws->x, r, want_post, visit, ctx, bad_layer);
}

static il_status forward_core(const il_net *net, il_net_ws *ws, const double *x, il_rng *r, int want_post,
                              il_net_visit visit, void *ctx, size_t *bad_layer, il_rng *rw);

il_status il_net_forward_input(const il_net *net, il_net_ws *ws, const double *x, il_rng *r, int want_post,
                               il_net_visit visit, void *ctx, size_t *bad_layer)
{
    return forward_core(net, ws, x, r, want_post, visit, ctx, bad_layer, NULL);
}

/* Kinds whose fills take a fixed number of generator steps (one per value, or none), so that a layer's
 * parameters can be drawn from their place in the stream without drawing the layers before them. */
static int fixed_steps_kind(il_init_kind k, int bias)
{
    switch (k) {
    case IL_INIT_TORCH:
    case IL_INIT_UNIFORM:
    case IL_INIT_ZEROS:
    case IL_INIT_CONSTANT:
        return 1;
    case IL_INIT_KAIMING_UNIFORM:
    case IL_INIT_XAVIER_UNIFORM:
        return !bias;
    default:
        return 0;
    }
}

/* Steps of one fill, measured: 0 if it left the generator alone, count if it took exactly count steps;
 * SIZE_MAX otherwise. */
static size_t measured_steps(const il_rng *before, const il_rng *after, size_t count)
{
    if (before->state == after->state)
        return 0;
    il_rng g = *before;
    il_rng_advance(&g, count);
    return g.state == after->state ? count : SIZE_MAX;
}

/* Decides whether il_net_draw_forward can go layer by layer: fixed-step kinds only, each layer's steps
 * measured once on a probe generator, and their total kept. */
static int lazy_probe(const il_net *net, il_net_ws *ws)
{
    if (!fixed_steps_kind(net->winit.kind, 0) || !fixed_steps_kind(net->binit.kind, 1))
        return -1;
    il_rng g;
    il_rng_seed(&g, 0x5eed, 0x1a2b);
    size_t total = 0;
    for (size_t l = 0; l < ws->layers; l++) {
        size_t rows = ws->width[l], cols = ws->fan_in[l];
        il_rng g0 = g;
        if (il_init_fill_weight(&net->winit, &g, ws->lw, rows, cols, ws->init_ws) != IL_OK)
            return -1;
        size_t sw = measured_steps(&g0, &g, rows * cols);
        if (sw == SIZE_MAX)
            return -1;
        total += sw;
        if (ws->b[l]) {
            g0 = g;
            if (il_init_fill_bias(&net->binit, &g, ws->lw + rows * cols, rows, cols) != IL_OK)
                return -1;
            size_t sb = measured_steps(&g0, &g, rows);
            if (sb == SIZE_MAX)
                return -1;
            total += sb;
        }
    }
    ws->psteps = total;
    return 1;
}

il_status il_net_draw_forward(const il_net *net, il_net_ws *ws, il_rng *r, int want_post, il_net_visit visit,
                              void *ctx, size_t *bad_layer)
{
    if (ws->lazy == 0)
        ws->lazy = lazy_probe(net, ws);
    if (ws->lazy < 0) {
        IL_TRY(il_net_draw_weights(net, ws, r));
        return il_net_forward(net, ws, r, want_post, visit, ctx, bad_layer);
    }
    il_rng rw = *r; /* the parameters, layer by layer, from where the draw begins */
    il_rng_advance(r, ws->psteps); /* the inputs and masks, from where the parameters end */
    draw_inputs(net, r, ws->buf[0], ws->batch); /* straight into the first activation buffer */
    return forward_core(net, ws, ws->buf[0], r, want_post, visit, ctx, bad_layer, &rw);
}

static il_status forward_core(const il_net *net, il_net_ws *ws, const double *x, il_rng *r, int want_post,
                              il_net_visit visit, void *ctx, size_t *bad_layer, il_rng *rw)
{
    const size_t B = ws->batch;
    int cur = 0;
    size_t width = net->n_in, layer = 0, res_width = 0;
    if (x != ws->buf[0])
        memmove(ws->buf[0], x, B * width * sizeof(double));
    for (size_t i = 0; i < net->n_ops; i++) {
        const il_op *op = &net->ops[i];
        double *y = ws->buf[cur];
        switch (op->kind) {
        case IL_OP_LINEAR: {
            if (layer > 0 && want_post) {
                if (!all_finite(y, B * width)) {
                    *bad_layer = layer;
                    return IL_ENUMERIC;
                }
                if (visit)
                    visit(ctx, layer, 1, y, B, width);
            }
            size_t l = layer++;
            const double *w = ws->w[l], *bias = ws->b[l];
            size_t nw = op->width * width;
            if (rw) {
                double *lw = ws->lw, *lb = op->bias ? ws->lw + nw : NULL;
                IL_TRY(il_init_fill_weight(&net->winit, rw, lw, op->width, width, ws->init_ws));
                if (lb)
                    IL_TRY(il_init_fill_bias(&net->binit, rw, lb, op->width, width));
                w = lw;
                bias = lb;
            }
            if (op->dc_p > 0.0) {
                if (net->train) {
                    il_rng_fill_bernoulli(r, ws->wmask, nw, 1.0 - op->dc_p, 1.0);
                    for (size_t j = 0; j < nw; j++)
                        ws->wmask[j] *= w[j];
                } else {
                    for (size_t j = 0; j < nw; j++)
                        ws->wmask[j] = w[j] * (1.0 - op->dc_p);
                }
                w = ws->wmask;
            }
            double *dst = ws->buf[1 - cur];
            linear_forward(y, w, bias, dst, B, width, op->width);
            cur = 1 - cur;
            width = op->width;
            if (!all_finite(dst, B * width)) {
                *bad_layer = layer;
                return IL_ENUMERIC;
            }
            if (visit)
                visit(ctx, layer, 0, dst, B, width);
            break;
        }
        case IL_OP_ACT:
            il_act_apply(&op->act, y, B * width);
            break;
        case IL_OP_DROPOUT:
            if (op->p <= 0.0)
                break;
            if (net->train) {
                double keep = 1.0 - op->p;
                il_rng_fill_bernoulli(r, ws->mask, B * width, keep,
                                      op->drop == IL_DROP_INVERTED ? 1.0 / keep : 1.0);
                for (size_t j = 0; j < B * width; j++)
                    y[j] *= ws->mask[j];
            } else if (op->drop == IL_DROP_CLASSIC) {
                for (size_t j = 0; j < B * width; j++)
                    y[j] *= 1.0 - op->p;
            }
            break;
        case IL_OP_BATCHNORM:
            if (net->train) {
                batchnorm_train(y, B, width);
            } else {
                double s = 1.0 / sqrt(1.0 + IL_BN_EPS); /* running statistics at init: mean 0, var 1 */
                for (size_t j = 0; j < B * width; j++)
                    y[j] *= s;
            }
            break;
        case IL_OP_RES_BEGIN:
            memcpy(ws->res, y, B * width * sizeof(double));
            res_width = width;
            break;
        case IL_OP_RES_END:
            if (res_width != width)
                return IL_EINVAL;
            for (size_t j = 0; j < B * width; j++)
                y[j] += ws->res[j];
            break;
        }
    }
    if (want_post && layer > 0) {
        const double *y = ws->buf[cur];
        if (!all_finite(y, B * width)) {
            *bad_layer = layer;
            return IL_ENUMERIC;
        }
        if (visit)
            visit(ctx, layer, 1, y, B, width);
    }
    return IL_OK;
}

/* ---- float32 propagation ------------------------------------------------------------------------------
 * The same random numbers as the float64 engine (weights, biases, inputs and masks are drawn as doubles from
 * the same stream positions) rounded to float; then every layer in float32: the linear map by cblas_sgemm
 * (or, for k n <= IL_SMALL_GEMM_MACS, s = 0; s += x w in float, in order, then + b), dropout masks and scales
 * as floats, activations and BatchNorm evaluated in double from the float values and rounded back to
 * float, residual sums in float. Each visited layer is widened to double for the statistics, which are
 * accumulated in float64 as in the float64 engine. Deterministic for a seed and independent of threads,
 * like everything else; its numbers are its own. */

static size_t ws32_floats(const il_net *net, size_t batch)
{
    size_t nmax = il_net_max_width(net);
    return batch * net->n_in + 3 * batch * nmax + layer_doubles_max(net);
}

size_t il_net_ws_bytes_f32(const il_net *net, size_t batch)
{
    return il_net_ws_bytes(net, batch) + ws32_floats(net, batch) * sizeof(float) +
           batch * il_net_max_width(net) * sizeof(double);
}

il_net_ws *il_net_ws_alloc_f32(const il_net *net, size_t batch)
{
    il_net_ws *ws = il_net_ws_alloc(net, batch);
    if (!ws)
        return NULL;
    size_t nmax = il_net_max_width(net), nf = ws32_floats(net, batch);
    /* doubles first (alignment), then the floats */
    ws->block32 = malloc(batch * nmax * sizeof(double) + nf * sizeof(float));
    if (!ws->block32) {
        il_net_ws_free(ws);
        return NULL;
    }
    ws->vis = ws->block32;
    float *f = (float *)(ws->vis + batch * nmax);
    ws->x32 = f;
    f += batch * net->n_in;
    ws->buf32[0] = f;
    f += batch * nmax;
    ws->buf32[1] = f;
    f += batch * nmax;
    ws->res32 = f;
    f += batch * nmax;
    ws->w32 = f;
    return ws;
}

static int all_finite_f(const float *y, size_t n)
{
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t b;
        memcpy(&b, &y[i], sizeof b);
        bad |= (uint32_t)((b & 0x7f800000u) == 0x7f800000u);
    }
    return bad == 0;
}

/* dst (B x n) = src (B x k) W^T + 1 b^T in float32. */
static void linear_forward_f(const float *src, const float *w, const float *b, float *dst, size_t B, size_t k,
                             size_t n)
{
    if (k * n <= IL_SMALL_GEMM_MACS) {
        for (size_t r = 0; r < B; r++) {
            const float *x = src + r * k;
            float *y = dst + r * n;
            for (size_t o = 0; o < n; o++) {
                const float *wo = w + o * k;
                float acc = 0.0f;
                for (size_t j = 0; j < k; j++)
                    acc += x[j] * wo[j];
                y[o] = b ? acc + b[o] : acc;
            }
        }
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)n, (int)k, 1.0f, src, (int)k, w, (int)k, 0.0f,
                dst, (int)n);
    if (b)
        for (size_t r = 0; r < B; r++) {
            float *y = dst + r * n;
#pragma omp simd
            for (size_t o = 0; o < n; o++)
                y[o] += b[o];
        }
}

static void act_apply_f(const il_act *a, float *x, size_t n)
{
    switch (a->kind) {
    case IL_ACT_IDENTITY:
        return;
    case IL_ACT_RELU:
#pragma omp simd
        for (size_t i = 0; i < n; i++)
            x[i] = x[i] < 0.0f ? 0.0f : x[i]; /* = (float)relu((double)x) */
        return;
    default:
        for (size_t i = 0; i < n; i++)
            x[i] = (float)il_act_eval(a, (double)x[i]);
        return;
    }
}

static void batchnorm_train_f(float *y, size_t B, size_t n)
{
    for (size_t o = 0; o < n; o++) {
        double m = 0.0, v = 0.0;
        for (size_t r = 0; r < B; r++)
            m += (double)y[r * n + o];
        m /= (double)B;
        for (size_t r = 0; r < B; r++) {
            double d = (double)y[r * n + o] - m;
            v += d * d;
        }
        v /= (double)B;
        double sc = 1.0 / sqrt(v + IL_BN_EPS);
        for (size_t r = 0; r < B; r++)
            y[r * n + o] = (float)(((double)y[r * n + o] - m) * sc);
    }
}

static void widen(const float *y, double *v, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        v[i] = (double)y[i];
}

static il_status visit_f(il_net_ws *ws, il_net_visit visit, void *ctx, size_t layer, int post, const float *y,
                         size_t B, size_t width, size_t *bad_layer)
{
    if (!all_finite_f(y, B * width)) {
        *bad_layer = layer;
        return IL_ENUMERIC;
    }
    if (visit) {
        widen(y, ws->vis, B * width);
        visit(ctx, layer, post, ws->vis, B, width);
    }
    return IL_OK;
}

/* The float32 forward pass; weights from ws (rw == NULL) or drawn layer by layer from rw. */
static il_status forward_f32(const il_net *net, il_net_ws *ws, il_rng *r, int want_post, il_net_visit visit,
                             void *ctx, size_t *bad_layer, il_rng *rw)
{
    const size_t B = ws->batch;
    int cur = 0;
    size_t width = net->n_in, layer = 0, res_width = 0;
    if (!ws->block32)
        return IL_EINVAL;
    for (size_t j = 0; j < B * width; j++)
        ws->buf32[0][j] = (float)ws->x[j];
    for (size_t i = 0; i < net->n_ops; i++) {
        const il_op *op = &net->ops[i];
        float *y = ws->buf32[cur];
        switch (op->kind) {
        case IL_OP_LINEAR: {
            if (layer > 0 && want_post)
                IL_TRY(visit_f(ws, visit, ctx, layer, 1, y, B, width, bad_layer));
            size_t l = layer++;
            const double *w = ws->w[l], *bias = ws->b[l];
            size_t nw = op->width * width;
            if (rw) {
                double *lw = ws->lw, *lb = op->bias ? ws->lw + nw : NULL;
                IL_TRY(il_init_fill_weight(&net->winit, rw, lw, op->width, width, ws->init_ws));
                if (lb)
                    IL_TRY(il_init_fill_bias(&net->binit, rw, lb, op->width, width));
                w = lw;
                bias = lb;
            }
            float *w32 = ws->w32, *b32 = bias ? ws->w32 + nw : NULL;
            for (size_t j = 0; j < nw; j++)
                w32[j] = (float)w[j];
            if (b32)
                for (size_t j = 0; j < op->width; j++)
                    b32[j] = (float)bias[j];
            if (op->dc_p > 0.0) {
                if (net->train) {
                    il_rng_fill_bernoulli(r, ws->wmask, nw, 1.0 - op->dc_p, 1.0);
                    for (size_t j = 0; j < nw; j++)
                        w32[j] *= (float)ws->wmask[j];
                } else {
                    float keep = (float)(1.0 - op->dc_p);
                    for (size_t j = 0; j < nw; j++)
                        w32[j] *= keep;
                }
            }
            float *dst = ws->buf32[1 - cur];
            linear_forward_f(y, w32, b32, dst, B, width, op->width);
            cur = 1 - cur;
            width = op->width;
            IL_TRY(visit_f(ws, visit, ctx, layer, 0, dst, B, width, bad_layer));
            break;
        }
        case IL_OP_ACT:
            act_apply_f(&op->act, y, B * width);
            break;
        case IL_OP_DROPOUT:
            if (op->p <= 0.0)
                break;
            if (net->train) {
                double keep = 1.0 - op->p;
                il_rng_fill_bernoulli(r, ws->mask, B * width, keep,
                                      op->drop == IL_DROP_INVERTED ? 1.0 / keep : 1.0);
                for (size_t j = 0; j < B * width; j++)
                    y[j] *= (float)ws->mask[j];
            } else if (op->drop == IL_DROP_CLASSIC) {
                float keep = (float)(1.0 - op->p);
                for (size_t j = 0; j < B * width; j++)
                    y[j] *= keep;
            }
            break;
        case IL_OP_BATCHNORM:
            if (net->train) {
                batchnorm_train_f(y, B, width);
            } else {
                double sc = 1.0 / sqrt(1.0 + IL_BN_EPS);
                for (size_t j = 0; j < B * width; j++)
                    y[j] = (float)((double)y[j] * sc);
            }
            break;
        case IL_OP_RES_BEGIN:
            memcpy(ws->res32, y, B * width * sizeof(float));
            res_width = width;
            break;
        case IL_OP_RES_END:
            if (res_width != width)
                return IL_EINVAL;
            for (size_t j = 0; j < B * width; j++)
                y[j] += ws->res32[j];
            break;
        }
    }
    if (want_post && layer > 0)
        IL_TRY(visit_f(ws, visit, ctx, layer, 1, ws->buf32[cur], B, width, bad_layer));
    return IL_OK;
}

il_status il_net_forward_f32(const il_net *net, il_net_ws *ws, il_rng *r, int want_post, il_net_visit visit,
                             void *ctx, size_t *bad_layer)
{
    draw_inputs(net, r, ws->x, ws->batch);
    return forward_f32(net, ws, r, want_post, visit, ctx, bad_layer, NULL);
}

il_status il_net_draw_forward_f32(const il_net *net, il_net_ws *ws, il_rng *r, int want_post, il_net_visit visit,
                                  void *ctx, size_t *bad_layer)
{
    if (ws->lazy == 0)
        ws->lazy = lazy_probe(net, ws);
    if (ws->lazy < 0) {
        IL_TRY(il_net_draw_weights(net, ws, r));
        return il_net_forward_f32(net, ws, r, want_post, visit, ctx, bad_layer);
    }
    il_rng rw = *r;
    il_rng_advance(r, ws->psteps);
    draw_inputs(net, r, ws->x, ws->batch);
    return forward_f32(net, ws, r, want_post, visit, ctx, bad_layer, &rw);
}
