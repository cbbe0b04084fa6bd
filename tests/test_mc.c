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

/* The remote side of il_mc_remote, in process: every part p >= 1 is computed by an engine of its own with
 * another thread count (as another MPI rank would), and every fetch is checked to come in order. */
typedef struct {
    il_mc_engine *eng[4];
    size_t parts, base, n, next, fetches;
    int out_of_order;
} fake_remote;

static void fake_assign(void *ctx, size_t base, size_t n)
{
    fake_remote *f = ctx;
    f->out_of_order |= f->next != 0 && f->next != f->parts;
    f->base = base, f->n = n, f->next = 1;
}

static const double *fake_fetch(void *ctx, size_t p)
{
    fake_remote *f = ctx;
    f->out_of_order |= p != f->next++;
    f->fetches++;
    size_t first = f->base + f->n * p / f->parts, count = f->base + f->n * (p + 1) / f->parts - first;
    il_mc_engine *e = f->eng[p];
    if (count > il_mc_engine_capacity(e))
        return NULL;
    il_mc_engine_compute(e, first, count, il_mc_engine_records(e));
    return il_mc_engine_records(e);
}

/* Parts of every group computed by other engines and accumulated in draw order: the bits of one process,
 * for 2 to 4 parts, small part capacities (many groups, parts of one draw or none) and thread counts. */
static void test_remote_parts_bit_identical(void **state)
{
    (void)state;
    il_net net;
    char err[256];
    il_net_init(&net);
    assert_int_equal(il_net_parse_arch(&net, "input:7,linear:70,tanh,dropout:0.2,res(linear:70,relu),linear:5",
                                       IL_DROP_INVERTED, err, sizeof err),
                     IL_OK);
    il_mc_result ref;
    run(&net, 211, 3, 1, 17, &ref);
    static const size_t caps[] = {1, 4, 1000};
    for (size_t parts = 2; parts <= 4; parts++)
        for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
            il_mc_cfg cfg;
            il_mc_cfg_default(&cfg);
            cfg.net = &net, cfg.draws = 211, cfg.batch = 3, cfg.seed = 17, cfg.want_post = 1;
            cfg.threads = (int)(parts % 2 + 1);
            fake_remote f = {{NULL}, parts, 0, 0, 0, 0, 0};
            for (size_t p = 1; p < parts; p++) {
                il_mc_cfg rc = cfg;
                rc.threads = (int)p;
                assert_int_equal(il_mc_engine_alloc(&rc, &f.eng[p]), IL_OK);
            }
            il_mc_remote rem = {parts, caps[c], &f, fake_assign, fake_fetch};
            cfg.remote = &rem;
            il_mc_result res;
            assert_int_equal(il_mc_result_init(&res, &cfg), IL_OK);
            assert_int_equal(il_mc_run(&cfg, &res), IL_OK);
            assert_int_equal(res.draws_done, 211);
            assert_false(f.out_of_order);
            assert_true(f.fetches >= parts - 1);
            for (size_t l = 0; l < ref.layers; l++)
                assert_true(same_acc(&ref.pre[l], &res.pre[l]) && same_acc(&ref.post[l], &res.post[l]));
            il_mc_result_release(&res);
            for (size_t p = 1; p < parts; p++)
                il_mc_engine_free(f.eng[p]);
        }
    il_mc_result_release(&ref);
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


/* The exact conditional estimator of a linear stack against sampling (independent seeds): every per-draw
 * statistic has the same expectation, so each layer's q, mean, m4, within, offdiag and the fluctuation means
 * E[M^k] agree within Z_THRESHOLD combined standard errors; and its SE of q is smaller. It refuses nonlinear
 * networks. */
static double fl_se(const il_fluct_acc *f, int k)
{
    return sqrt(f->cm[k * IL_FLUCT_NSTAT + k] / (double)(f->count - 1) / (double)f->count);
}

static void test_exact_linear(void **state)
{
    (void)state;
    const size_t w[] = {5, 7, 6, 4};
    il_net net;
    shape_net(&net, w, 4, "identity", 0.0, IL_DROP_INVERTED);
    char err[256];
    assert_true(il_mc_exact_supported(&net, err, sizeof err));
    il_mc_cfg cfg;
    il_mc_cfg_default(&cfg);
    cfg.net = &net;
    cfg.draws = 20000;
    cfg.batch = 4;
    cfg.threads = 2;
    cfg.want_post = 1;
    il_mc_result ex, sa;
    cfg.exact = 1;
    cfg.seed = 5;
    assert_int_equal(il_mc_result_init(&ex, &cfg), IL_OK);
    assert_int_equal(il_mc_run(&cfg, &ex), IL_OK);
    cfg.exact = 0;
    cfg.seed = 6;
    assert_int_equal(il_mc_result_init(&sa, &cfg), IL_OK);
    assert_int_equal(il_mc_run(&cfg, &sa), IL_OK);
    for (size_t l = 0; l < ex.layers; l++) {
        il_layer_summary a, b;
        il_layer_acc_summary(&ex.pre[l], &a);
        il_layer_acc_summary(&sa.pre[l], &b);
        assert_z(a.q - b.q, sqrt(a.q_se * a.q_se + b.q_se * b.q_se), 0.0);
        assert_z(a.mean - b.mean, sqrt(a.mean_se * a.mean_se + b.mean_se * b.mean_se), 0.0);
        assert_z(a.m4 - b.m4, sqrt(a.m4_se * a.m4_se + b.m4_se * b.m4_se), 0.0);
        assert_z(a.offdiag - b.offdiag, sqrt(a.offdiag_se * a.offdiag_se + b.offdiag_se * b.offdiag_se), 0.0);
        const il_wacc *wa = &ex.pre[l].within, *wb = &sa.pre[l].within;
        double sw = sqrt(wa->m2 / 19999.0 / 20000.0 + wb->m2 / 19999.0 / 20000.0);
        assert_z(wa->mean - wb->mean, sw, 0.0);
        for (int k = 0; k < 4; k++) {
            const il_fluct_acc *fa = &ex.pre[l].fl, *fb = &sa.pre[l].fl;
            double se = sqrt(fl_se(fa, k) * fl_se(fa, k) + fl_se(fb, k) * fl_se(fb, k));
            assert_z(fa->mean[k] - fb->mean[k], se, 0.0);
        }
        assert_true(a.q_se < b.q_se);
        /* post = pre for identity activations */
        il_layer_acc_summary(&ex.post[l], &b);
        assert_true(a.q == b.q && a.m4 == b.m4);
    }
    /* a test of the test: the exact q refutes a q off by 2% */
    il_layer_summary a;
    il_layer_acc_summary(&ex.pre[0], &a);
    assert_z_refutes(a.q, a.q_se, 1.02 * a.q);
    il_mc_result_release(&ex);
    il_mc_result_release(&sa);
    il_net_release(&net);

    const size_t w2[] = {3, 3, 3};
    shape_net(&net, w2, 3, "relu", 0.0, IL_DROP_INVERTED);
    assert_false(il_mc_exact_supported(&net, err, sizeof err));
    cfg.net = &net;
    cfg.exact = 1;
    il_mc_result r;
    assert_int_equal(il_mc_result_init(&r, &cfg), IL_OK);
    assert_int_equal(il_mc_run(&cfg, &r), IL_EINVAL);
    il_mc_result_release(&r);
    il_net_release(&net);
}

/* The batch planner: bounds, its own optimality (no worse than the batch it was given), and the direction of
 * the choice: a deep narrow ReLU stack (inputs nearly collapse: between-network variance dominates) gets a
 * smaller batch than one linear layer of width 32 (within-network variance dominates). */
static void test_plan_batch(void **state)
{
    (void)state;
    il_net a, b;
    const size_t wa[] = {4, 4, 4, 4, 4, 4, 4, 4, 4}, wb[] = {32, 32};
    shape_net(&a, wa, 9, "relu", 0.0, IL_DROP_INVERTED);
    shape_net(&b, wb, 2, "identity", 0.0, IL_DROP_INVERTED);
    il_mc_cfg cfg;
    il_mc_cfg_default(&cfg);
    cfg.batch = 16;
    cfg.threads = 2;
    il_mc_plan pa, pb;
    cfg.net = &a;
    assert_int_equal(il_mc_plan_batch(&cfg, 8, 0, 1024, 0.1, &pa), IL_OK);
    cfg.net = &b;
    assert_int_equal(il_mc_plan_batch(&cfg, 1, 0, 1024, 0.1, &pb), IL_OK);
    assert_true(pa.batch >= 1 && pa.batch <= 1024 && pb.batch >= 1 && pb.batch <= 1024);
    assert_true(pa.cost <= pa.cost_given * (1 + 1e-12) && pb.cost <= pb.cost_given * (1 + 1e-12));
    /* between / within larger for the deep stack (cross-multiplied: an estimate of V_b may come out < 0) */
    assert_true(pa.v_within > 0.0 && pb.v_within > 0.0);
    assert_true(pa.v_between * pb.v_within > pb.v_between * pa.v_within);
    if (!(pa.batch < pb.batch))
        fail_msg("deep narrow stack chose batch %zu, the wide linear layer %zu", pa.batch, pb.batch);
    assert_int_equal(il_mc_plan_batch(&cfg, 2, 0, 1024, 0.1, &pb), IL_EINVAL); /* no layer 2 */
    il_net_release(&a);
    il_net_release(&b);
}

/* Float32 propagation: thread-count invariant like float64, and the same networks, inputs and masks, so
 * each layer's q is within float32 rounding (relative FLOAT32_TOL) of the float64 run's. */
#define FLOAT32_TOL 1e-4

static void test_float32(void **state)
{
    (void)state;
    il_net net;
    char err[256];
    il_net_init(&net);
    assert_int_equal(il_net_parse_arch(&net, "input:20,linear:70,gelu,dropout:0.2,res(linear:70,relu),"
                                             "dropconnect:0.1,linear:30,bn,tanh,linear:5",
                                       IL_DROP_INVERTED, err, sizeof err),
                     IL_OK);
    il_mc_cfg cfg;
    il_mc_cfg_default(&cfg);
    cfg.net = &net;
    cfg.draws = 60;
    cfg.batch = 6;
    cfg.seed = 3;
    cfg.want_post = 1;
    cfg.float32 = 1;
    il_mc_result r[3], d;
    for (int t = 0; t < 3; t++) {
        cfg.threads = t + 1;
        assert_int_equal(il_mc_result_init(&r[t], &cfg), IL_OK);
        assert_int_equal(il_mc_run(&cfg, &r[t]), IL_OK);
    }
    cfg.float32 = 0;
    assert_int_equal(il_mc_result_init(&d, &cfg), IL_OK);
    assert_int_equal(il_mc_run(&cfg, &d), IL_OK);
    for (size_t l = 0; l < d.layers; l++) {
        assert_true(same_acc(&r[0].pre[l], &r[1].pre[l]) && same_acc(&r[0].pre[l], &r[2].pre[l]));
        assert_true(same_acc(&r[0].post[l], &r[1].post[l]) && same_acc(&r[0].post[l], &r[2].post[l]));
        assert_false(same_acc(&r[0].pre[l], &d.pre[l])); /* its own numbers */
        assert_close_rel(r[0].pre[l].q.mean, d.pre[l].q.mean, FLOAT32_TOL);
        assert_close_rel(r[0].post[l].q.mean, d.post[l].q.mean, FLOAT32_TOL);
    }
    for (int t = 0; t < 3; t++)
        il_mc_result_release(&r[t]);
    il_mc_result_release(&d);
    il_net_release(&net);
}

/* ---- golden outputs: the optimisation rule ---------------------------------------------------------
 * "Optimisations change no result": every accumulator bit of these runs was recorded (as a 64-bit FNV-1a
 * hash) with the engine before the performance work of issue #7, and must stay the same at 1, 2 and 3
 * threads. The cases cover the small-GEMM path and its boundary (k n = 256 / 272), the BLAS path, full
 * and diagonal second moments, every dropout kind, residual blocks, BatchNorm, train and eval mode,
 * fixed-network mode, B = 1, and the initializer and input kinds with their own fills. bench/invariance.sh
 * checks the same rule on the command's whole output for many more cases.
 * The hashes were recorded on x86-64 with Debian 12's glibc and OpenBLAS 0.3.21. Cases that reach OpenBLAS
 * (wider than the small-GEMM path, and orthogonal's QR, whose dnrm2 uses the x87) depend on the kernels
 * OpenBLAS picks for the CPU: their hashes are recorded per OpenBLAS core (each forced here with
 * OPENBLAS_CORETYPE, every one also checked against the engine before issue #7 with bench/invariance.sh),
 * and they are checked only on a recorded core with genuine x87 arithmetic (valgrind emulates the x87 in
 * double precision); elsewhere they are skipped with a note. The other cases (the engine's own code,
 * whichever of its SIMD paths the CPU takes) have one hash everywhere. */
typedef struct {
    const char *arch;
    size_t draws, batch;
    uint64_t seed;
    int train, fixed, post;
    size_t cov_limit;
    il_init_kind winit;
    il_input_kind input;
    uint64_t hash; /* recorded (on a Cooperlake or SkylakeX core for the BLAS cases) */
    int blas;      /* index in golden_blas[] of the per-core hashes, or -1: the same on every CPU */
} golden_case;

/* OpenBLAS cores with recorded hashes (openblas_get_corename), and the hashes of the cases that depend on
 * them, in golden[] order of the cases with blas >= 0. */
static const char *const golden_cores[] = {"Cooperlake", "SkylakeX", "Haswell", "Zen", "Sandybridge", "Nehalem",
                                           "Prescott"};
enum { N_GOLDEN_CORES = sizeof golden_cores / sizeof golden_cores[0] };
static const uint64_t golden_blas[][N_GOLDEN_CORES] = {
    {0xc9a46df8f3f1473cULL, 0xc9a46df8f3f1473cULL, 0xe59da1dcd8843c08ULL, 0xe59da1dcd8843c08ULL,
     0x0f37accff26f6671ULL, 0x209696b4c9087959ULL, 0x6bb81ec68ce8fbdbULL},
    {0xf342bb04c1548feeULL, 0xf342bb04c1548feeULL, 0x37dd706e651d9b11ULL, 0x37dd706e651d9b11ULL,
     0x847227162735db8dULL, 0x9c714fc16b231a53ULL, 0x7b58c1e7e02681bfULL},
    {0x3bc5625256035383ULL, 0x3bc5625256035383ULL, 0x3bc5625256035383ULL, 0x3bc5625256035383ULL,
     0xe170d57aa476ed87ULL, 0xe170d57aa476ed87ULL, 0xe170d57aa476ed87ULL},
    {0x947cffa470bebc7fULL, 0x947cffa470bebc7fULL, 0xbcac40e8ad65dc25ULL, 0xbcac40e8ad65dc25ULL,
     0x6899a46fd6fe702bULL, 0x4dd959d5756bcaf2ULL, 0x5ab8276c0d813d30ULL},
    {0x62820f2c04eb4698ULL, 0x62820f2c04eb4698ULL, 0x415d1709b554cf7cULL, 0x415d1709b554cf7cULL,
     0x9bd7cf315fb2cb2bULL, 0xa0ac72c9fffac4b7ULL, 0xed3924e3cc9f3eadULL},
};

/* The index of this process's OpenBLAS core in golden_cores, or -1 when it has no recorded hashes or the
 * x87 does not round in 64-bit precision (valgrind). */
static int golden_core(const char **name)
{
    *name = openblas_get_corename();
    volatile long double one = 1.0L, tiny = 0x1p-60L;
    if (one + tiny == one)
        return -1;
    for (int i = 0; i < N_GOLDEN_CORES; i++)
        if (*name && strcmp(*name, golden_cores[i]) == 0)
            return i;
    return -1;
}

static uint64_t fnv_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t fnv_size(uint64_t h, size_t v)
{
    uint64_t u = v;
    return fnv_bytes(h, &u, sizeof u);
}

static uint64_t hash_acc(uint64_t h, const il_layer_acc *a)
{
    size_t n = a->width, ns = a->full ? n * n : n;
    h = fnv_size(h, a->count);
    for (size_t i = 0; i < n; i++)
        h = fnv_bytes(fnv_bytes(h, &a->mvec[i].mean, 8), &a->mvec[i].m2, 8);
    for (size_t i = 0; i < ns; i++)
        h = fnv_bytes(fnv_bytes(h, &a->sec[i].mean, 8), &a->sec[i].m2, 8);
    const il_wacc *sc[] = {&a->mbar, &a->q, &a->m4, &a->within, &a->offdiag};
    for (size_t i = 0; i < 5; i++)
        h = fnv_bytes(fnv_bytes(h, &sc[i]->mean, 8), &sc[i]->m2, 8);
    const il_fluct_acc *f = &a->fl;
    h = fnv_size(h, f->count);
    h = fnv_bytes(h, f->mean, sizeof f->mean);
    h = fnv_bytes(h, f->cm, sizeof f->cm);
    h = fnv_size(fnv_size(fnv_size(h, f->nbatch), f->bsize), f->cur_n);
    h = fnv_bytes(h, f->cur, sizeof f->cur);
    return fnv_bytes(h, f->batch, sizeof f->batch);
}

static uint64_t golden_run(const golden_case *c, int threads)
{
    il_net net;
    char err[256];
    il_net_init(&net);
    assert_int_equal(il_net_parse_arch(&net, c->arch, IL_DROP_INVERTED, err, sizeof err), IL_OK);
    net.train = c->train;
    net.input = c->input;
    il_init_spec_default(c->winit, &net.winit);
    if (c->winit == IL_INIT_NORMAL)
        net.winit.std = 0.4;
    il_mc_cfg cfg;
    il_mc_cfg_default(&cfg);
    cfg.net = &net;
    cfg.draws = c->draws;
    cfg.batch = c->batch;
    cfg.seed = c->seed;
    cfg.threads = threads;
    cfg.fixed_net = c->fixed;
    cfg.want_post = c->post;
    cfg.cov_limit = c->cov_limit;
    il_mc_result res;
    assert_int_equal(il_mc_result_init(&res, &cfg), IL_OK);
    assert_int_equal(il_mc_run(&cfg, &res), IL_OK);
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t l = 0; l < res.layers; l++) {
        h = hash_acc(h, &res.pre[l]);
        if (res.post)
            h = hash_acc(h, &res.post[l]);
    }
    il_mc_result_release(&res);
    il_net_release(&net);
    return h;
}

static const golden_case golden[] = {
    {"input:4,linear:4,relu,linear:4,relu,linear:4,relu,linear:4", 300, 16, 1, 1, 0, 1, 64, IL_INIT_TORCH,
     IL_INPUT_NORMAL, 0xa0b43e161521248eULL, -1},
    {"input:1,linear:3,relu,linear:300,relu,linear:17,relu,linear:2", 6, 5, 4, 1, 0, 1, 64, IL_INIT_TORCH,
     IL_INPUT_NORMAL, 0xc9a46df8f3f1473cULL, 0},
    {"input:16,linear:16,relu,linear:17,relu,linear:16,relu,linear:15", 20, 9, 6, 1, 0, 0, 64, IL_INIT_TORCH,
     IL_INPUT_NORMAL, 0xf342bb04c1548feeULL, 1},
    {"input:64,linear:64,relu,linear:64,relu,linear:64", 20, 64, 7, 1, 0, 0, 64, IL_INIT_TORCH, IL_INPUT_NORMAL, 0x3bc5625256035383ULL, 2},
    {"input:65,linear:65,relu,linear:70", 10, 33, 8, 1, 0, 1, 64, IL_INIT_TORCH, IL_INPUT_NORMAL, 0x947cffa470bebc7fULL, 3},
    {"input:10,linear:10,relu,linear:10", 30, 12, 11, 1, 0, 0, 8, IL_INIT_TORCH, IL_INPUT_NORMAL, 0xe97ddc9b8e2638d8ULL, -1},
    {"input:6,linear:8,relu,dropout:0.2,res(linear:8,tanh),dropconnect:0.3,linear:4,batchnorm,relu,"
     "dropout:0.3:classic,linear:1:nobias", 60, 10, 21, 1, 0, 1, 64, IL_INIT_TORCH, IL_INPUT_NORMAL, 0x4f0282d482712e12ULL, -1},
    {"input:6,linear:8,relu,dropout:0.2,res(linear:8,tanh),dropconnect:0.3,linear:4,batchnorm,relu,"
     "dropout:0.3:classic,linear:1:nobias", 60, 10, 21, 0, 0, 1, 64, IL_INIT_TORCH, IL_INPUT_NORMAL, 0x30ce7207291bc5ebULL, -1},
    {"input:8,linear:8,relu,dropout:0.2,linear:8", 100, 10, 16, 1, 1, 1, 64, IL_INIT_TORCH, IL_INPUT_NORMAL, 0xe68b5ef517ab4a1fULL, -1},
    {"input:3,linear:5,relu,linear:2", 40, 1, 2, 1, 0, 1, 64, IL_INIT_TORCH, IL_INPUT_NORMAL, 0x2b755091045620c2ULL, -1},
    {"input:8,linear:12,relu,linear:5,relu,linear:5", 30, 10, 18, 1, 0, 1, 64, IL_INIT_ORTHOGONAL,
     IL_INPUT_UNIFORM, 0x62820f2c04eb4698ULL, 4},
    {"input:8,linear:8,gelu,linear:8", 30, 10, 19, 1, 0, 0, 64, IL_INIT_NORMAL, IL_INPUT_RADEMACHER, 0xac5b1499d03a863dULL, -1},
};

static void test_golden_outputs(void **state)
{
    (void)state;
    const char *core;
    int ci = golden_core(&core), bad = 0, skipped = 0;
    for (size_t i = 0; i < sizeof golden / sizeof golden[0]; i++) {
        uint64_t want = golden[i].hash;
        if (golden[i].blas >= 0) {
            if (ci < 0) {
                skipped++;
                continue;
            }
            want = golden_blas[golden[i].blas][ci];
        }
        for (int t = 1; t <= 3; t++) {
            uint64_t h = golden_run(&golden[i], t);
            if (h != want) {
                print_error("golden case %zu (%s, threads %d, OpenBLAS core %s): hash 0x%016llxULL, recorded "
                            "0x%016llxULL\n", i, golden[i].arch, t, core ? core : "?", (unsigned long long)h,
                            (unsigned long long)want);
                bad = 1;
            }
        }
    }
    if (skipped)
        print_message("golden: %d cases that depend on OpenBLAS's kernels skipped: no hashes recorded for core '%s' "
                      "with this arithmetic (bench/invariance.sh compares whole outputs with a reference build on "
                      "any machine)\n", skipped, core ? core : "?");
    assert_false(bad);
}

int main(void)
{
    openblas_set_num_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deep_linear_exact),  cmocka_unit_test(test_relu_inverted_dropout_exact),
        cmocka_unit_test(test_dropconnect_exact),  cmocka_unit_test(test_wide_layer),
        cmocka_unit_test(test_within_between),     cmocka_unit_test(test_fixed_net),
        cmocka_unit_test(test_threads_bit_identical), cmocka_unit_test(test_interrupt_and_continue),
        cmocka_unit_test(test_numeric_fault),      cmocka_unit_test(test_golden_outputs),
        cmocka_unit_test(test_exact_linear),      cmocka_unit_test(test_plan_batch),
        cmocka_unit_test(test_float32),           cmocka_unit_test(test_remote_parts_bit_identical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
