/* test_net.c: network construction, the architecture parser, and the forward pass on networks whose
 * outputs can be computed by hand. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "testutil.h"

/* Constant weights and biases make every output computable by hand. */
static void constant_net(il_net *net, double w, double b)
{
    il_init_spec_default(IL_INIT_CONSTANT, &net->winit);
    net->winit.value = w;
    il_init_spec_default(IL_INIT_CONSTANT, &net->binit);
    net->binit.value = b;
}

static void build(il_net *net, const size_t *widths, size_t nw, const char *act, double p, il_drop_kind drop,
                  il_drop_at at, int residual, int bn, int last_act)
{
    il_net_shape s;
    char err[256];
    memset(&s, 0, sizeof s);
    s.widths = widths;
    s.n_widths = nw;
    assert_int_equal(il_act_parse(act, &s.act), IL_OK);
    s.p = p;
    s.drop = drop;
    s.drop_at = at;
    s.residual = residual;
    s.batchnorm = bn;
    s.last_act = last_act;
    s.bias = 1;
    il_status rc = il_net_build(net, &s, err, sizeof err);
    if (rc != IL_OK)
        fail_msg("il_net_build: %s", err);
}

static void test_build_ops(void **state)
{
    (void)state;
    il_net net;
    il_net_init(&net);
    const size_t w[] = {4, 4, 4, 2};
    build(&net, w, 4, "relu", 0.2, IL_DROP_INVERTED, IL_DROP_BEFORE, 1, 1, 0);
    /* layers 1, 2: res( linear bn dropout act ); layer 3: linear */
    static const il_op_kind want[] = {IL_OP_RES_BEGIN, IL_OP_LINEAR,    IL_OP_BATCHNORM, IL_OP_DROPOUT,
                                      IL_OP_ACT,       IL_OP_RES_END,   IL_OP_RES_BEGIN, IL_OP_LINEAR,
                                      IL_OP_BATCHNORM, IL_OP_DROPOUT,   IL_OP_ACT,       IL_OP_RES_END,
                                      IL_OP_LINEAR};
    assert_int_equal(net.n_ops, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < net.n_ops; i++)
        assert_int_equal(net.ops[i].kind, want[i]);
    assert_int_equal(il_net_layers(&net), 3);
    size_t ws[4];
    il_net_widths(&net, ws);
    assert_true(ws[0] == 4 && ws[1] == 4 && ws[2] == 4 && ws[3] == 2);
    assert_int_equal(il_net_param_count(&net), (4 * 4 + 4) + (4 * 4 + 4) + (2 * 4 + 2));
    /* DropConnect goes on the linear ops, after the activation is irrelevant */
    build(&net, w, 4, "tanh", 0.3, IL_DROP_CONNECT, IL_DROP_AFTER, 0, 0, 1);
    size_t lin = 0;
    for (size_t i = 0; i < net.n_ops; i++) {
        assert_true(net.ops[i].kind != IL_OP_DROPOUT);
        if (net.ops[i].kind == IL_OP_LINEAR) {
            assert_true(net.ops[i].dc_p == 0.3);
            lin++;
        }
    }
    assert_int_equal(lin, 3);
    il_net_release(&net);
}

static void test_build_rejects(void **state)
{
    (void)state;
    il_net net;
    il_net_init(&net);
    il_net_shape s;
    char err[256] = "";
    memset(&s, 0, sizeof s);
    const size_t w0[] = {4, 0, 3}, w1[] = {4};
    s.widths = w0;
    s.n_widths = 3;
    il_act_default(IL_ACT_RELU, &s.act);
    assert_int_equal(il_net_build(&net, &s, err, sizeof err), IL_EINVAL);
    assert_non_null(strstr(err, "width"));
    s.widths = w1;
    s.n_widths = 1;
    assert_int_equal(il_net_build(&net, &s, err, sizeof err), IL_EINVAL);
    const size_t w2[] = {4, 4};
    s.widths = w2;
    s.n_widths = 2;
    s.p = 1.0;
    assert_int_equal(il_net_build(&net, &s, err, sizeof err), IL_EINVAL);
    s.p = -0.1;
    assert_int_equal(il_net_build(&net, &s, err, sizeof err), IL_EINVAL);
    il_net_release(&net);
}

static void test_parse_arch(void **state)
{
    (void)state;
    il_net net;
    char err[512];
    il_net_init(&net);
    assert_int_equal(il_net_parse_arch(&net, "input:16,linear:64,leaky_relu:0.2,dropout:0.2:classic,"
                                             "res(linear:64,tanh),dropconnect:0.5,linear:1:nobias,bn",
                                       IL_DROP_INVERTED, err, sizeof err),
                     IL_OK);
    assert_int_equal(net.n_in, 16);
    static const il_op_kind want[] = {IL_OP_LINEAR,  IL_OP_ACT,     IL_OP_DROPOUT, IL_OP_RES_BEGIN, IL_OP_LINEAR,
                                      IL_OP_ACT,     IL_OP_RES_END, IL_OP_LINEAR,  IL_OP_BATCHNORM};
    assert_int_equal(net.n_ops, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < net.n_ops; i++)
        assert_int_equal(net.ops[i].kind, want[i]);
    assert_true(net.ops[1].act.kind == IL_ACT_LEAKY_RELU && net.ops[1].act.p1 == 0.2);
    assert_true(net.ops[2].drop == IL_DROP_CLASSIC && net.ops[2].p == 0.2);
    assert_true(net.ops[7].dc_p == 0.5 && net.ops[7].bias == 0);
    assert_true(net.ops[0].bias == 1 && net.ops[0].dc_p == 0.0);
    assert_int_equal(il_net_check(&net, 4, err, sizeof err), IL_OK);
    assert_int_equal(il_net_check(&net, 1, err, sizeof err), IL_EINVAL); /* batchnorm in training with B = 1 */
    assert_non_null(strstr(err, "batch"));

    static const struct {
        const char *spec, *needle;
    } bad[] = {
        {"", "empty"},
        {"linear:4", "input"},
        {"input:4", "no linear"},
        {"input:0,linear:4", "input"},
        {"input:4,linear:0", "linear:0"},
        {"input:4,linear:4x", "linear:4x"},
        {"input:4,linear:4:bias", "nobias"},
        {"input:4,linear:4,foo", "foo"},
        {"input:4,linear:4,dropout:1", "dropout"},
        {"input:4,linear:4,dropout:0.5:gaussian", "inverted or classic"},
        {"input:4,linear:4,dropconnect:0.5", "dropconnect"},
        {"input:4,dropconnect:0.5,relu,linear:4", "dropconnect"},
        {"input:4,res(linear:4,relu", "not closed"},
        {"input:4,linear:4,relu)", "without"},
        {"input:4,res(linear:4,res(linear:4))", "nested"},
        {"input:4,linear:4,,relu", "empty token"},
        {"input:4,input:4,linear:4", "input"},
        {"input:4,linear:4,relu:1", "relu:1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        if (il_net_parse_arch(&net, bad[i].spec, IL_DROP_INVERTED, err, sizeof err) != IL_EINVAL)
            fail_msg("spec '%s' accepted", bad[i].spec);
        if (!strstr(err, bad[i].needle))
            fail_msg("spec '%s': message '%s' does not mention '%s'", bad[i].spec, err, bad[i].needle);
    }
    /* a residual block that changes the width parses but fails the check */
    assert_int_equal(il_net_parse_arch(&net, "input:4,res(linear:5,relu),linear:1", IL_DROP_INVERTED, err, sizeof err),
                     IL_OK);
    assert_int_equal(il_net_check(&net, 4, err, sizeof err), IL_EINVAL);
    assert_non_null(strstr(err, "width"));
    il_net_release(&net);
}

typedef struct {
    double pre[8][64], post[8][64];
    size_t width[8], calls;
} capture;

static void cap_visit(void *ctx, size_t layer, int post, const double *y, size_t batch, size_t width)
{
    capture *c = ctx;
    assert_true(layer >= 1 && layer < 8 && batch * width <= 64);
    memcpy(post ? c->post[layer] : c->pre[layer], y, batch * width * sizeof *y);
    c->width[layer] = width;
    c->calls++;
}

static void test_forward_by_hand(void **state)
{
    (void)state;
    il_net net;
    il_net_init(&net);
    const size_t w[] = {2, 3, 1};
    build(&net, w, 3, "relu", 0.0, IL_DROP_INVERTED, IL_DROP_AFTER, 0, 0, 0);
    constant_net(&net, 0.5, 0.1);
    il_net_ws *ws = il_net_ws_alloc(&net, 2);
    assert_non_null(ws);
    il_rng r;
    il_rng_seed(&r, 1, 0);
    assert_int_equal(il_net_draw_weights(&net, ws, &r), IL_OK);
    const double x[] = {1.0, 2.0, -3.0, 1.0}; /* two inputs of width 2 */
    capture c;
    memset(&c, 0, sizeof c);
    size_t bad = 0;
    assert_int_equal(il_net_forward_input(&net, ws, x, &r, 1, cap_visit, &c, &bad), IL_OK);
    assert_int_equal(c.calls, 4); /* pre and post of two layers */
    double y1a = 0.5 * 3.0 + 0.1, y1b = 0.5 * -2.0 + 0.1;
    for (int u = 0; u < 3; u++) {
        assert_close_rel(c.pre[1][u], y1a, TEST_TOL0);
        assert_close_rel(c.pre[1][3 + u], y1b, TEST_TOL0);
        assert_close_rel(c.post[1][u], y1a, TEST_TOL0);
        assert_close_rel(c.post[1][3 + u], 0.0, TEST_TOL0); /* relu of a negative value */
    }
    assert_close_rel(c.pre[2][0], 0.5 * 3 * y1a + 0.1, TEST_TOL0);
    assert_close_rel(c.pre[2][1], 0.1, TEST_TOL0);
    assert_close_rel(c.post[2][0], c.pre[2][0], TEST_TOL0); /* no activation after the last layer */
    il_net_ws_free(ws);
    il_net_release(&net);
}

static void test_residual_and_eval_dropout(void **state)
{
    (void)state;
    il_net net;
    il_net_init(&net);
    const size_t w[] = {2, 2, 1};
    build(&net, w, 3, "tanh", 0.25, IL_DROP_CLASSIC, IL_DROP_AFTER, 1, 0, 0);
    constant_net(&net, 0.5, 0.0);
    net.train = 0; /* classic dropout at test time multiplies by 1 - p */
    il_net_ws *ws = il_net_ws_alloc(&net, 1);
    il_rng r;
    il_rng_seed(&r, 1, 0);
    assert_int_equal(il_net_draw_weights(&net, ws, &r), IL_OK);
    const double x[] = {0.3, -0.1};
    capture c;
    memset(&c, 0, sizeof c);
    size_t bad = 0;
    assert_int_equal(il_net_forward_input(&net, ws, x, &r, 1, cap_visit, &c, &bad), IL_OK);
    double y = 0.5 * (0.3 - 0.1);
    assert_close_rel(c.post[1][0], 0.3 + 0.75 * tanh(y), TEST_TOL1);
    assert_close_rel(c.post[1][1], -0.1 + 0.75 * tanh(y), TEST_TOL1);
    il_net_ws_free(ws);
    il_net_release(&net);
}

/* Inverted dropout in training: each value is 0 or value/(1-p); the zero fraction is p (z-test). */
static void test_dropout_masks(void **state)
{
    (void)state;
    il_net net;
    char err[256];
    il_net_init(&net);
    assert_int_equal(il_net_parse_arch(&net, "input:1,linear:64,dropout:0.3", IL_DROP_INVERTED, err, sizeof err), IL_OK);
    constant_net(&net, 1.0, 0.0);
    il_net_ws *ws = il_net_ws_alloc(&net, 1);
    il_rng r;
    il_rng_seed(&r, 7, 3);
    assert_int_equal(il_net_draw_weights(&net, ws, &r), IL_OK);
    const double x[] = {2.0};
    size_t zeros = 0, total = 0, bad = 0;
    for (int rep = 0; rep < 400; rep++) {
        capture c;
        memset(&c, 0, sizeof c);
        assert_int_equal(il_net_forward_input(&net, ws, x, &r, 1, cap_visit, &c, &bad), IL_OK);
        for (int u = 0; u < 64; u++) {
            double v = c.post[1][u];
            if (v == 0.0)
                zeros++;
            else
                assert_close_rel(v, 2.0 / 0.7, TEST_TOL0);
            total++;
        }
    }
    double f = (double)zeros / (double)total;
    assert_z(f, sqrt(0.3 * 0.7 / (double)total), 0.3);
    assert_z_refutes(f, sqrt(0.3 * 0.7 / (double)total), 0.25);
    il_net_ws_free(ws);
    il_net_release(&net);
}

/* DropConnect with unit weights and input 1: each output is the number of kept weights. */
static void test_dropconnect(void **state)
{
    (void)state;
    il_net net;
    char err[256];
    il_net_init(&net);
    assert_int_equal(il_net_parse_arch(&net, "input:32,dropconnect:0.25,linear:2:nobias", IL_DROP_INVERTED, err,
                                       sizeof err),
                     IL_OK);
    constant_net(&net, 1.0, 0.0);
    il_net_ws *ws = il_net_ws_alloc(&net, 1);
    il_rng r;
    il_rng_seed(&r, 9, 1);
    assert_int_equal(il_net_draw_weights(&net, ws, &r), IL_OK);
    double x[32];
    for (int i = 0; i < 32; i++)
        x[i] = 1.0;
    double sum = 0.0;
    size_t n = 0, bad = 0;
    for (int rep = 0; rep < 2000; rep++) {
        capture c;
        memset(&c, 0, sizeof c);
        assert_int_equal(il_net_forward_input(&net, ws, x, &r, 0, cap_visit, &c, &bad), IL_OK);
        for (int u = 0; u < 2; u++) {
            double v = c.pre[1][u];
            assert_true(v == floor(v) && v >= 0.0 && v <= 32.0);
            sum += v;
            n++;
        }
    }
    /* Binomial(32, 0.75): mean 24, variance 32 * 0.75 * 0.25 = 6 */
    assert_z(sum / (double)n, sqrt(6.0 / (double)n), 24.0);
    /* eval mode: the weights are scaled by 1 - p */
    net.train = 0;
    capture c;
    memset(&c, 0, sizeof c);
    assert_int_equal(il_net_forward_input(&net, ws, x, &r, 0, cap_visit, &c, &bad), IL_OK);
    assert_close_rel(c.pre[1][0], 24.0, TEST_TOL1);
    il_net_ws_free(ws);
    il_net_release(&net);
}

/* BatchNorm in training: each unit has batch mean 0 and biased batch variance v / (v + eps). */
static void test_batchnorm(void **state)
{
    (void)state;
    il_net net;
    char err[256];
    il_net_init(&net);
    assert_int_equal(il_net_parse_arch(&net, "input:3,linear:4,bn", IL_DROP_INVERTED, err, sizeof err), IL_OK);
    il_net_ws *ws = il_net_ws_alloc(&net, 8);
    il_rng r;
    il_rng_seed(&r, 11, 0);
    assert_int_equal(il_net_draw_weights(&net, ws, &r), IL_OK);
    double x[24];
    il_rng_fill_normal(&r, x, 24, 0.0, 1.0);
    capture c;
    memset(&c, 0, sizeof c);
    size_t bad = 0;
    assert_int_equal(il_net_forward_input(&net, ws, x, &r, 1, cap_visit, &c, &bad), IL_OK);
    for (int u = 0; u < 4; u++) {
        double m = 0, v = 0, pm = 0, pv = 0;
        for (int b = 0; b < 8; b++)
            pm += c.pre[1][b * 4 + u] / 8.0;
        for (int b = 0; b < 8; b++) {
            double d = c.pre[1][b * 4 + u] - pm;
            pv += d * d / 8.0;
            m += c.post[1][b * 4 + u] / 8.0;
        }
        for (int b = 0; b < 8; b++)
            v += (c.post[1][b * 4 + u] - m) * (c.post[1][b * 4 + u] - m) / 8.0;
        assert_true(fabs(m) <= 64 * DBL_EPSILON);
        assert_close_rel(v, pv / (pv + IL_BN_EPS), 64 * DBL_EPSILON);
    }
    il_net_ws_free(ws);
    il_net_release(&net);
}

static void test_nonfinite_detected(void **state)
{
    (void)state;
    il_net net;
    il_net_init(&net);
    const size_t w[] = {4, 4, 4, 4};
    build(&net, w, 4, "identity", 0.0, IL_DROP_INVERTED, IL_DROP_AFTER, 0, 0, 0);
    constant_net(&net, 1e200, 0.0);
    il_net_ws *ws = il_net_ws_alloc(&net, 2);
    il_rng r;
    il_rng_seed(&r, 1, 0);
    assert_int_equal(il_net_draw_weights(&net, ws, &r), IL_OK);
    size_t bad = 0;
    assert_int_equal(il_net_forward(&net, ws, &r, 0, NULL, NULL, &bad), IL_ENUMERIC);
    assert_int_equal(bad, 2); /* layer 1 is ~1e200, layer 2 overflows */
    il_net_ws_free(ws);
    il_net_release(&net);
}

/* il_net_draw_forward gives the values of il_net_draw_weights + il_net_forward bit for bit, and leaves the
 * generator in the same state, for the kinds it draws layer by layer and for those it does not. */
typedef struct {
    double v[4096];
    size_t n;
} trace;

static void trace_visit(void *ctx, size_t layer, int post, const double *y, size_t batch, size_t width)
{
    trace *t = ctx;
    (void)layer;
    (void)post;
    for (size_t i = 0; i < batch * width && t->n < 4096; i++)
        t->v[t->n++] = y[i];
}

static void test_draw_forward_same(void **state)
{
    (void)state;
    static const struct {
        const char *arch;
        il_init_kind w, b;
        double gain;
    } cases[] = {
        {"input:5,linear:7,relu,dropout:0.3,linear:3,tanh,dropconnect:0.2,linear:4", IL_INIT_TORCH, IL_INIT_TORCH, 1},
        {"input:4,linear:4:nobias,relu,linear:6", IL_INIT_XAVIER_UNIFORM, IL_INIT_ZEROS, 0.0},
        {"input:4,linear:4,relu,linear:6", IL_INIT_XAVIER_UNIFORM, IL_INIT_UNIFORM, 1.3},
        {"input:3,linear:8,relu,linear:2", IL_INIT_KAIMING_UNIFORM, IL_INIT_CONSTANT, 1},
        {"input:3,linear:8,relu,linear:2", IL_INIT_KAIMING_NORMAL, IL_INIT_TORCH, 1},
        {"input:3,linear:8,relu,linear:20,linear:2", IL_INIT_TORCH, IL_INIT_NORMAL, 1},
        {"input:6,linear:6,relu,linear:6", IL_INIT_ORTHOGONAL, IL_INIT_TORCH, 1},
    };
    static trace ta, tb;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        il_net net;
        char err[128];
        il_net_init(&net);
        assert_int_equal(il_net_parse_arch(&net, cases[c].arch, IL_DROP_INVERTED, err, sizeof err), IL_OK);
        il_init_spec_default(cases[c].w, &net.winit);
        il_init_spec_default(cases[c].b, &net.binit);
        net.winit.gain = cases[c].gain;
        net.binit.value = 0.25;
        il_net_ws *wa = il_net_ws_alloc(&net, 3), *wb = il_net_ws_alloc(&net, 3);
        assert_non_null(wa);
        assert_non_null(wb);
        for (uint64_t d = 0; d < 3; d++) { /* the second call reuses the probe's verdict */
            il_rng ra, rb;
            il_rng_seed_draw(&ra, 9, d);
            rb = ra;
            size_t bad = 0;
            ta.n = tb.n = 0;
            assert_int_equal(il_net_draw_weights(&net, wa, &ra), IL_OK);
            assert_int_equal(il_net_forward(&net, wa, &ra, 1, trace_visit, &ta, &bad), IL_OK);
            assert_int_equal(il_net_draw_forward(&net, wb, &rb, 1, trace_visit, &tb, &bad), IL_OK);
            assert_int_equal(ta.n, tb.n);
            if (memcmp(ta.v, tb.v, ta.n * sizeof ta.v[0]) != 0)
                fail_msg("case %zu (%s), draw %llu: values differ", c, cases[c].arch, (unsigned long long)d);
            assert_true(ra.state == rb.state && ra.inc == rb.inc);
        }
        il_net_ws_free(wa);
        il_net_ws_free(wb);
        il_net_release(&net);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_ops),        cmocka_unit_test(test_build_rejects),
        cmocka_unit_test(test_parse_arch),       cmocka_unit_test(test_forward_by_hand),
        cmocka_unit_test(test_residual_and_eval_dropout), cmocka_unit_test(test_dropout_masks),
        cmocka_unit_test(test_dropconnect),      cmocka_unit_test(test_batchnorm),
        cmocka_unit_test(test_nonfinite_detected), cmocka_unit_test(test_draw_forward_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
