/* net.h: a random feed-forward network as a flat list of operations, its construction from widths
 * or from a free-form spec, and one forward pass over a batch.
 *
 * Layer l (1-based) is the l-th LINEAR op. Its "pre" value is the linear output y_l = W_l h + b_l
 * (the seeds' y_l); its "post" value is what leaves the layer: the input of the next linear op, or
 * the network output after the last op.
 *
 * Randomness of one draw, in this order: the weights and biases of every linear op in order
 * (il_net_draw_weights, from the weight generator), then the batch of inputs, then every mask in
 * forward order (il_net_forward, from the data generator). In the ordinary mode both generators are
 * the same stream, so draw i depends only on (seed, i). */
#ifndef IL_NET_H
#define IL_NET_H

#include <stddef.h>
#include "act.h"
#include "error.h"
#include "init.h"
#include "rng.h"

typedef enum { IL_DROP_INVERTED, IL_DROP_CLASSIC, IL_DROP_CONNECT } il_drop_kind;
typedef enum { IL_DROP_AFTER, IL_DROP_BEFORE } il_drop_at;
typedef enum { IL_INPUT_NORMAL, IL_INPUT_UNIFORM, IL_INPUT_RADEMACHER } il_input_kind;

typedef enum {
    IL_OP_LINEAR,    /* width = out features; bias on/off; dc_p = DropConnect probability (0: none) */
    IL_OP_ACT,       /* act */
    IL_OP_DROPOUT,   /* p, drop (IL_DROP_INVERTED or IL_DROP_CLASSIC) */
    IL_OP_BATCHNORM, /* per unit over the batch: (y - mean) / sqrt(biased var + eps), gamma 1, beta 0 */
    IL_OP_RES_BEGIN, /* saves the current value */
    IL_OP_RES_END    /* adds the saved value (same width required) */
} il_op_kind;

typedef struct {
    il_op_kind kind;
    size_t width;   /* LINEAR */
    int bias;       /* LINEAR: 1 with bias, 0 without */
    double dc_p;    /* LINEAR: DropConnect drop probability in [0, 1) */
    il_act act;     /* ACT */
    double p;       /* DROPOUT: drop probability in [0, 1) (classic also allows p -> eval scale) */
    il_drop_kind drop; /* DROPOUT */
} il_op;

#define IL_NET_MAX_OPS 4096
#define IL_BN_EPS 1e-5

typedef struct {
    size_t n_in;            /* input width n0 */
    size_t n_ops;
    il_op ops[IL_NET_MAX_OPS];
    il_init_spec winit;     /* weights of every linear op */
    il_init_spec binit;     /* biases of every linear op that has one */
    int train;              /* 1: training mode (masks drawn, batch statistics); 0: eval mode */
    il_input_kind input;
    double *input_var;      /* n_in per-coordinate input variances, or NULL for all 1; owned */
} il_net;

/* How il_net_build turns widths into ops. */
typedef struct {
    const size_t *widths;   /* n0, n1, ..., nL (L >= 1), each >= 1 */
    size_t n_widths;        /* L + 1 */
    il_act act;
    int last_act;           /* 1: activation (and dropout) after the last linear too */
    double p;               /* dropout probability; 0 for none */
    il_drop_kind drop;
    il_drop_at drop_at;     /* before or after the activation (inverted, classic) */
    int residual;           /* h_l = h_{l-1} + block(h_{l-1}) where n_{l-1} = n_l (hidden layers) */
    int batchnorm;          /* BatchNorm after every linear op that is followed by an activation */
    int bias;               /* 1: linear layers have biases */
} il_net_shape;

/* il_net_init: *net = an empty network (no ops, torch init, train mode, normal inputs).
 * il_net_release: frees what *net owns (input_var); the struct itself is the caller's. */
void il_net_init(il_net *net);
void il_net_release(il_net *net);

/* il_net_build: fills net->ops and n_in from *shape. IL_EINVAL (with a reason in err) for widths
 * of 0, L = 0, p outside [0, 1), or more ops than IL_NET_MAX_OPS. */
il_status il_net_build(il_net *net, const il_net_shape *shape, char *err, size_t errlen);

/* il_net_parse_arch: fills net->ops and n_in from a spec such as
 *   "input:16,linear:64,relu,dropout:0.2,linear:64,tanh,linear:1"
 * Tokens (comma-separated): input:N (first, once); linear:N or linear:N:nobias; any activation
 * il_act_parse accepts (leaky_relu:0.2); dropout:P[:inverted|classic]; dropconnect:P (applies to
 * the next linear); batchnorm (alias bn); res( ... ) around a block whose output width equals its
 * input width (no nesting). IL_EINVAL with a reason naming the token otherwise. default_drop is the
 * dropout kind when a dropout token names none. */
il_status il_net_parse_arch(il_net *net, const char *spec, il_drop_kind default_drop, char *err,
                            size_t errlen);

/* il_net_set_input_var: per-coordinate input variances (n values > 0, n = n_in, or n = 1 for all). */
il_status il_net_set_input_var(il_net *net, const double *var, size_t n);

/* il_net_check: validates a built network (init specs against every layer shape, widths, BN with
 * batch, residual widths). batch is the number of inputs per draw. */
il_status il_net_check(const il_net *net, size_t batch, char *err, size_t errlen);

/* Queries. */
size_t il_net_layers(const il_net *net);             /* number of linear ops L */
size_t il_net_max_width(const il_net *net);          /* max over n0 and every linear width */
void il_net_widths(const il_net *net, size_t *widths); /* widths[0..L]: n0, n1, ..., nL */
size_t il_net_param_count(const il_net *net);        /* weights plus biases */

/* A per-thread workspace for one network: weights, masks and activations for a batch of `batch`. */
typedef struct il_net_ws il_net_ws;

/* il_net_ws_alloc: NULL on ENOMEM. il_net_ws_bytes: what it will allocate (for memory checks). */
il_net_ws *il_net_ws_alloc(const il_net *net, size_t batch);
size_t il_net_ws_bytes(const il_net *net, size_t batch);
void il_net_ws_free(il_net_ws *ws);

/* il_net_draw_weights: draws every weight and bias into ws from r. */
il_status il_net_draw_weights(const il_net *net, il_net_ws *ws, il_rng *r);

/* il_net_copy_weights: copies the weights of src into dst (same net and batch). */
void il_net_copy_weights(const il_net *net, const il_net_ws *src, il_net_ws *dst);

/* Called by il_net_forward with layer l's pre value (post = 0) and, if want_post, its post value
 * (post = 1): y is batch x width, row-major, valid only during the call. */
typedef void (*il_net_visit)(void *ctx, size_t layer, int post, const double *y, size_t batch,
                             size_t width);

/* il_net_forward: draws a batch of inputs and then the masks from r and runs the network with the
 * weights in ws, calling visit for every layer. Returns IL_ENUMERIC (and *bad_layer = l) if a layer's
 * pre or post values contain a NaN or infinity. */
il_status il_net_forward(const il_net *net, il_net_ws *ws, il_rng *r, int want_post, il_net_visit visit,
                         void *ctx, size_t *bad_layer);

/* il_net_draw_forward: il_net_draw_weights followed by il_net_forward, with the same results bit for bit and
 * r left in the same state, but where every fill of the network's initializers takes a fixed number of
 * generator steps (torch, kaiming_uniform, xavier_uniform, uniform, zeros, constant), each layer's weights
 * are drawn from their place in the stream just before the layer, into one layer-sized buffer of ws: the
 * weights stay in cache and the memory of all layers' weights is never touched. Other kinds fall back to
 * the two calls. The weights are then not kept: il_net_weight does not give them. */
il_status il_net_draw_forward(const il_net *net, il_net_ws *ws, il_rng *r, int want_post, il_net_visit visit,
                              void *ctx, size_t *bad_layer);

/* il_net_forward_input: as il_net_forward with given inputs x (batch x n_in) instead of drawn ones;
 * masks still come from r. */
il_status il_net_forward_input(const il_net *net, il_net_ws *ws, const double *x, il_rng *r,
                               int want_post, il_net_visit visit, void *ctx, size_t *bad_layer);

/* Float32 propagation (see net.c): the same random numbers rounded to float, every layer computed in
 * float32, each visited layer widened to double (so statistics accumulate in float64). Needs a workspace
 * from il_net_ws_alloc_f32 (il_net_ws_bytes_f32 bytes; it also serves the float64 calls); IL_EINVAL with
 * another. il_net_forward_f32 and il_net_draw_forward_f32 are the float32 counterparts of il_net_forward
 * and il_net_draw_forward, drawing exactly the same generator outputs. */
il_net_ws *il_net_ws_alloc_f32(const il_net *net, size_t batch);
size_t il_net_ws_bytes_f32(const il_net *net, size_t batch);
il_status il_net_forward_f32(const il_net *net, il_net_ws *ws, il_rng *r, int want_post, il_net_visit visit,
                             void *ctx, size_t *bad_layer);
il_status il_net_draw_forward_f32(const il_net *net, il_net_ws *ws, il_rng *r, int want_post, il_net_visit visit,
                                  void *ctx, size_t *bad_layer);

/* Access to a drawn layer's parameters (layer 1..L): W is width x fan_in row-major, b has width
 * entries (NULL without bias). */
const double *il_net_weight(const il_net_ws *ws, size_t layer);
const double *il_net_bias(const il_net_ws *ws, size_t layer);

/* Names for options and headers. */
const char *il_drop_name(il_drop_kind k);
const char *il_input_name(il_input_kind k);

#endif
