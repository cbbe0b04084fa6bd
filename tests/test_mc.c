/* test_mc.c: the Monte Carlo driver against exact moments derived here, standard errors, the
 * thread-count invariance, fixed-network mode, interruption and continuation.
 *
 * Exact second moments used below (derivation): for a layer y_i = sum_k w_ik h_k + b_i with weights
 * and biases independent, zero-mean and independent of h, E[y_i y_j] = delta_ij (s_w^2 sum_k E[h_k^2]
 * + s_b^2), and E[y_i] = 0. With PyTorch's default init, s_w^2 = s_b^2 = 1/(3 fan_in), so with
 * q_h = mean_k E[h_k^2]:   q_y = (n_in q_h + 1) / (3 n_in) = (q_h + 1/n_in) / 3.
 * h = relu(y) with y symmetric: E[h^2] = q_y / 2. Inverted dropout after it: E[h^2] / (1-p).
 * DropConnect (mask on weights, unscaled): s_w^2 -> (1-p) s_w^2. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "mc.h"
#include "testutil.h"

#define MAXL 16

static void run(il_net *net, size_t draws, size_t batch, int threads, uint64_t seed, il_mc_result *res)
{
    il_mc_cfg cfg;
    il_mc_cfg_default(&cfg);
    cfg.net = net;
    cfg.draws = draws;
    cfg.batch = batch;
    cfg.threads = threads;
    cfg.seed = seed;
    cfg.want_post = 1;
    assert_int_equal(il_mc_result_init(res, &cfg), IL_OK);
    assert_int_equal(il_mc_run(&cfg, res), IL_OK);
    assert_int_equal(res->draws_done, draws);
}

static void shape_net(il_net *net, const size_t *w, size_t nw, const char *act, double p, il_drop_kind kind)
{
    il_net_shape s;
    char err[256];
    memset(&s, 0, sizeof s);
    s.widths = w;
    s.n_widths = nw;
    assert_int_equal(il_act_parse(act, &s.act), IL_OK);
    s.p = p;
    s.drop = kind;
    s.drop_at = IL_DROP_AFTER;
    s.bias = 1;
    il_net_init(net);
    assert_int_equal(il_net_build(net, &s, err, sizeof err), IL_OK);
}

/* Exact q per layer for torch init, unit-variance inputs, act relu or identity, dropout after act. */
static void exact_q(const size_t *w, size_t nw, int relu, double p, il_drop_kind kind, double *q)
{
    double qh = 1.0;
    for (size_t l = 1; l < nw; l++) {
        double n = (double)w[l - 1];
        double sw = kind == IL_DROP_CONNECT ? 1.0 - p : 1.0;
        q[l] = (sw * n * qh + 1.0) / (3.0 * n);
        qh = relu ? q[l] / 2.0 : q[l];
        if (kind != IL_DROP_CONNECT)
            qh /= 1.0 - p;
    }
}

static void check_layers(const il_mc_result *res, const double *q)
{
    for (size_t l = 0; l < res->layers; l++) {
        il_layer_summary s;
        il_layer_acc_summary(&res->pre[l], &s);
        assert_z(s.q, s.q_se, q[l + 1]);
        assert_z(s.mean, s.mean_se, 0.0);
        assert_z(s.offdiag, s.offdiag_se, 0.0);
    }
}

static void test_deep_linear_exact(void **state)
{
    (void)state;
    const size_t w[] = {4, 3, 5, 2, 6, 6};
    il_net net;
    il_mc_result res;
    double q[6];
    shape_net(&net, w, 6, "identity", 0.0, IL_DROP_INVERTED);
    run(&net, 20000, 8, 2, 12345, &res);
    exact_q(w, 6, 0, 0.0, IL_DROP_INVERTED, q);
    check_layers(&res, q);
    /* Test of the test: the product formula prod (n_l + 1) / (3 n_l) (which treats q_{l-1} as if
     * the bias were scaled with it) must be refuted from layer 2 on. */
    double wrong = 1.0;
    for (size_t l = 1; l < 6; l++) {
        wrong *= ((double)w[l - 1] + 1.0) / (3.0 * (double)w[l - 1]);
        il_layer_summary s;
        il_layer_acc_summary(&res.pre[l - 1], &s);
        if (l >= 2)
            assert_z_refutes(s.q, s.q_se, wrong);
    }
    il_mc_result_release(&res);
    il_net_release(&net);
}

static void test_relu_inverted_dropout_exact(void **state)
{
    (void)state;
    const size_t w[] = {8, 8, 16, 8};
    il_net net;
    il_mc_result res;
    double q[4];
    shape_net(&net, w, 4, "relu", 0.3, IL_DROP_INVERTED);
    run(&net, 20000, 4, 2, 7, &res);
    exact_q(w, 4, 1, 0.3, IL_DROP_INVERTED, q);
    check_layers(&res, q);
    /* the same formula without the 1/(1-p) of inverted dropout is refuted */
    double q0[4];
    exact_q(w, 4, 1, 0.0, IL_DROP_INVERTED, q0);
    il_layer_summary s;
    il_layer_acc_summary(&res.pre[2], &s);
    assert_z_refutes(s.q, s.q_se, q0[3]);
    il_mc_result_release(&res);
    il_net_release(&net);
}

static void test_dropconnect_exact(void **state)
{
    (void)state;
    const size_t w[] = {6, 6, 6};
    il_net net;
    il_mc_result res;
    double q[3];
    shape_net(&net, w, 3, "identity", 0.5, IL_DROP_CONNECT);
    run(&net, 20000, 4, 2, 99, &res);
    exact_q(w, 3, 0, 0.5, IL_DROP_CONNECT, q);
    check_layers(&res, q);
    il_mc_result_release(&res);
    il_net_release(&net);
}

/* Width 100 > cov_limit: diagonal accumulators and the off-diagonal summary from row sums. */
static void test_wide_layer(void **state)
{
    (void)state;
    const size_t w[] = {100, 100, 3};
    il_net net;
    il_mc_result res;
    double q[3];
    shape_net(&net, w, 3, "identity", 0.0, IL_DROP_INVERTED);
    run(&net, 3000, 16, 2, 5, &res);
    assert_false(res.pre[0].full);
    assert_true(res.pre[1].full);
    exact_q(w, 3, 0, 0.0, IL_DROP_INVERTED, q);
    check_layers(&res, q);
    double c, se;
    assert_int_equal(il_layer_acc_cov(&res.pre[0], 0, 1, &c, &se), IL_EINVAL);
    assert_int_equal(il_layer_acc_cov(&res.pre[1], 0, 1, &c, &se), IL_OK);
    assert_z(c, se, 0.0);
    il_mc_result_release(&res);
    il_net_release(&net);
}

/* One linear layer, unit normal inputs: given W, Var(y_i | W) = sum_k W_ik^2, whose mean over
 * networks is 1/3; the between-network part is Var(b_i) = 1/(3 n). */
static void test_within_between(void **state)
{
    (void)state;
    const size_t w[] = {5, 4};
    il_net net;
    il_mc_result res;
    shape_net(&net, w, 2, "identity", 0.0, IL_DROP_INVERTED);
    run(&net, 20000, 16, 2, 3, &res);
    il_layer_summary s;
    il_layer_acc_summary(&res.pre[0], &s);
    const il_wacc *wa = &res.pre[0].within;
    double wse = sqrt(wa->m2 / (double)(res.draws_done - 1) / (double)res.draws_done);
    assert_z(s.var_within, wse, 1.0 / 3.0);
    /* the two parts add up to the total variance, up to estimator differences of order 1/(D B) */
    assert_z(s.var_within + s.var_between, s.q_se, s.var);
    assert_z_refutes(s.var_within, wse, 1.0 / 3.0 + 1.0 / 15.0);
    il_mc_result_release(&res);
    il_net_release(&net);
}

/* Fixed-network mode: E[M | W] = (1/n) sum_i (sum_k W_ik^2 + b_i^2) for unit normal inputs. */
static void test_fixed_net(void **state)
{
    (void)state;
    const size_t w[] = {6, 5};
    il_net net;
    shape_net(&net, w, 2, "identity", 0.0, IL_DROP_INVERTED);
    il_mc_cfg cfg;
    il_mc_cfg_default(&cfg);
    cfg.net = &net;
    cfg.draws = 4000;
    cfg.batch = 8;
    cfg.threads = 2;
    cfg.seed = 21;
    cfg.fixed_net = 1;
    il_mc_result res;
    assert_int_equal(il_mc_result_init(&res, &cfg), IL_OK);
    assert_int_equal(il_mc_run(&cfg, &res), IL_OK);
    il_net_ws *ws = il_net_ws_alloc(&net, 1);
    il_rng r;
    il_rng_seed_draw(&r, 21, IL_MC_FIXED_STREAM);
    assert_int_equal(il_net_draw_weights(&net, ws, &r), IL_OK);
    const double *W = il_net_weight(ws, 1), *b = il_net_bias(ws, 1);
    double want = 0.0;
    for (int i = 0; i < 5; i++) {
        double s = b[i] * b[i];
        for (int k = 0; k < 6; k++)
            s += W[i * 6 + k] * W[i * 6 + k];
        want += s / 5.0;
        double m, se;
        il_layer_acc_unit_mean(&res.pre[0], (size_t)i, &m, &se);
        assert_z(m, se, b[i]); /* E[y_i | W] = b_i */
    }
    il_layer_summary s;
    il_layer_acc_summary(&res.pre[0], &s);
    assert_z(s.q, s.q_se, want);
    il_net_ws_free(ws);
    il_mc_result_release(&res);
    il_net_release(&net);
}

static int same_acc(const il_layer_acc *a, const il_layer_acc *b)
{
    size_t n = a->width, ns = a->full ? n * n : n;
    return a->count == b->count && memcmp(a->mvec, b->mvec, n * sizeof *a->mvec) == 0 &&
           memcmp(a->sec, b->sec, ns * sizeof *a->sec) == 0 && memcmp(&a->q, &b->q, sizeof a->q) == 0 &&
           memcmp(&a->m4, &b->m4, sizeof a->m4) == 0 && memcmp(&a->within, &b->within, sizeof a->within) == 0 &&
           memcmp(&a->offdiag, &b->offdiag, sizeof a->offdiag) == 0;
}

static void test_threads_bit_identical(void **state)
{
    (void)state;
    il_net net;
    char err[256];
    il_net_init(&net);
    assert_int_equal(il_net_parse_arch(&net, "input:20,linear:70,gelu,dropout:0.2,res(linear:70,tanh),"
                                             "dropconnect:0.1,linear:3,bn,elu",
                                       IL_DROP_INVERTED, err, sizeof err),
                     IL_OK);
    il_mc_result r1, r2, r3;
    run(&net, 103, 5, 1, 42, &r1);
    run(&net, 103, 5, 2, 42, &r2);
    run(&net, 103, 5, 3, 42, &r3);
    for (size_t l = 0; l < r1.layers; l++) {
        assert_true(same_acc(&r1.pre[l], &r2.pre[l]) && same_acc(&r1.pre[l], &r3.pre[l]));
        assert_true(same_acc(&r1.post[l], &r2.post[l]) && same_acc(&r1.post[l], &r3.post[l]));
    }
    /* and a different seed gives different numbers */
    il_mc_result r4;
    run(&net, 103, 5, 2, 43, &r4);
    assert_false(same_acc(&r1.pre[0], &r4.pre[0]));
    il_mc_result_release(&r1);
    il_mc_result_release(&r2);
    il_mc_result_release(&r3);
    il_mc_result_release(&r4);
    il_net_release(&net);
}

typedef struct {
    volatile sig_atomic_t *stop;
    size_t after;
} stopper;

static void stop_progress(void *ctx, size_t done, size_t total)
{
    stopper *s = ctx;
    (void)total;
    if (done >= s->after)
        *s->stop = 1;
}

/* A run stopped part-way and continued gives the same bytes as an uninterrupted run. */
static void test_interrupt_and_continue(void **state)
{
    (void)state;
    const size_t w[] = {5, 7, 7};
    il_net net;
    shape_net(&net, w, 3, "tanh", 0.1, IL_DROP_INVERTED);
    il_mc_result full, part;
    run(&net, 300, 4, 2, 8, &full);
    il_mc_cfg cfg;
    il_mc_cfg_default(&cfg);
    cfg.net = &net;
    cfg.draws = 300;
    cfg.batch = 4;
    cfg.threads = 2;
    cfg.seed = 8;
    cfg.want_post = 1;
    volatile sig_atomic_t stop = 0;
    stopper st = {&stop, 50};
    cfg.stop = &stop;
    cfg.progress = stop_progress;
    cfg.progress_ctx = &st;
    assert_int_equal(il_mc_result_init(&part, &cfg), IL_OK);
    assert_int_equal(il_mc_run(&cfg, &part), IL_EINTR);
    assert_true(part.draws_done >= 50 && part.draws_done < 300);
    stop = 0;
    st.after = SIZE_MAX;
    assert_int_equal(il_mc_run(&cfg, &part), IL_OK);
    assert_int_equal(part.draws_done, 300);
    for (size_t l = 0; l < full.layers; l++)
        assert_true(same_acc(&full.pre[l], &part.pre[l]) && same_acc(&full.post[l], &part.post[l]));
    il_mc_result_release(&full);
    il_mc_result_release(&part);
    il_net_release(&net);
}

static void test_numeric_fault(void **state)
{
    (void)state;
    const size_t w[] = {4, 4, 4, 4};
    il_net net;
    shape_net(&net, w, 4, "identity", 0.0, IL_DROP_INVERTED);
    il_init_spec_default(IL_INIT_NORMAL, &net.winit);
    net.winit.std = 1e120;
    il_mc_cfg cfg;
    il_mc_cfg_default(&cfg);
    cfg.net = &net;
    cfg.draws = 10;
    cfg.batch = 2;
    il_mc_result res;
    assert_int_equal(il_mc_result_init(&res, &cfg), IL_OK);
    assert_int_equal(il_mc_run(&cfg, &res), IL_ENUMERIC);
    assert_int_equal(res.bad_layer, 3); /* ~1e120, ~1e240, overflow */
    assert_int_equal(res.bad_draw, 0);
    il_mc_result_release(&res);
    il_net_release(&net);
}

int main(void)
{
    openblas_set_num_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deep_linear_exact),  cmocka_unit_test(test_relu_inverted_dropout_exact),
        cmocka_unit_test(test_dropconnect_exact),  cmocka_unit_test(test_wide_layer),
        cmocka_unit_test(test_within_between),     cmocka_unit_test(test_fixed_net),
        cmocka_unit_test(test_threads_bit_identical), cmocka_unit_test(test_interrupt_and_continue),
        cmocka_unit_test(test_numeric_fault),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
