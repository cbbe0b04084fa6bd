/* test_registry.c: the claim registry (analysis/registry.c) and its tools.
 *
 *   - the built-in table: every claim of the issue is registered once, with a source, the claim as written and a
 *     check; the registry refuses malformed, incomplete and duplicate entries;
 *   - the finite-difference checker: a right derivative holds and wrong ones (a wrong sign, a factor 1 + 1e-6, a
 *     missing factor) are refuted; its bound covers the true error at many random points yet is not loose by
 *     orders of magnitude; unsnapped parameters are refused;
 *   - running error bounds (il_registry_ev) contain the error against a long-double reference;
 *   - the verdict mapping of Monte Carlo families (holds / refuted / undecided, margins, borderline);
 *   - a user-added claim (the worked example of docs/claims.md) runs and is decided;
 *   - runs of built-in claims: the verdicts the checks compute for a fast subset, the same results for the same
 *     seed and for any thread count, other numbers for another seed, data files, and the writers. */
#include "testutil.h"

#include <cblas.h>
#include <dirent.h>
#include <gsl/gsl_errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry.h"

/* ---- the built-in table ---- */

static const char *const ISSUE_IDS[] = {
    "S000-P1a", "S000-P1b", "S000-P1c", "S000-P1d", "S000-P1e", "S000-P1f", "S000-P1g", "S000-P1h", "S000-P1i",
    "S000-P2a", "S000-P2b", "S000-P3a", "S000-P3b", "S001-P1a", "S001-P1b", "S001-P1c", "S001-P1d", "S001-P2a",
    "S001-P2b", "S001-P2c", "S001-P2d", "S001-P2e", "S001-P2f", "S001-P2g", "S001-P2h", "S001-P3a", "S001-P3b",
    "S001-P3c", "S001-P3d", "S001-P4a", "S001-P4b", "S002-P1",  "S002-P2a", "S002-P2b", "S002-P2c", "S002-P2d",
    "S002-P3a", "S002-P3b", "S002-P3c"};
#define N_ISSUE (sizeof ISSUE_IDS / sizeof ISSUE_IDS[0])

static il_registry *builtin(void)
{
    il_registry *r = il_registry_alloc();
    char err[256] = "";
    assert_non_null(r);
    if (il_registry_add_builtin(r, err, sizeof err) != IL_OK)
        fail_msg("il_registry_add_builtin: %s", err);
    return r;
}

static void test_builtin_table(void **state)
{
    (void)state;
    il_registry *r = builtin();
    assert_int_equal(il_registry_count(r), N_ISSUE);
    for (size_t i = 0; i < N_ISSUE; i++) {
        size_t k = il_registry_find(r, ISSUE_IDS[i]);
        if (k >= il_registry_count(r))
            fail_msg("claim %s of the issue is not registered", ISSUE_IDS[i]);
        const il_registry_entry *e = il_registry_at(r, k);
        assert_non_null(e->check);
        assert_true(e->source && strncmp(e->source, "seed 00", 7) == 0);
        assert_true(e->claim && strlen(e->claim) > 10);
        assert_non_null(e->reading);
        assert_int_equal(strncmp(e->id, e->source[7] == '0' ? "S000" : e->source[7] == '1' ? "S001" : "S002", 4), 0);
    }
    assert_null(il_registry_at(r, N_ISSUE));
    assert_int_equal(il_registry_find(r, "S999-P1"), N_ISSUE);
    il_registry_free(r);
    il_registry_free(NULL);
}

static il_status dummy_check(const il_registry_entry *e, il_registry_ctx *ctx, il_registry_result *res)
{
    (void)e;
    (void)ctx;
    il_registry_evidence(res, "dummy");
    il_registry_decide(res, IL_REGISTRY_HOLDS, INFINITY);
    return IL_OK;
}

static void test_add_refuses(void **state)
{
    (void)state;
    il_registry *r = builtin();
    char err[256] = "";
    il_registry_entry dup = {"S000-P1a", "mine", "a claim of mine", "", dummy_check, NULL};
    assert_int_equal(il_registry_add(r, &dup, err, sizeof err), IL_EINVAL);
    assert_non_null(strstr(err, "twice"));
    il_registry_entry bad_id = {"has space", "mine", "a claim of mine", "", dummy_check, NULL};
    assert_int_equal(il_registry_add(r, &bad_id, err, sizeof err), IL_EINVAL);
    il_registry_entry comma = {"A,B", "mine", "a claim of mine", "", dummy_check, NULL};
    assert_int_equal(il_registry_add(r, &comma, err, sizeof err), IL_EINVAL);
    il_registry_entry no_check = {"MINE-1", "mine", "a claim of mine", "", NULL, NULL};
    assert_int_equal(il_registry_add(r, &no_check, err, sizeof err), IL_EINVAL);
    il_registry_entry no_claim = {"MINE-1", "mine", "", "", dummy_check, NULL};
    assert_int_equal(il_registry_add(r, &no_claim, err, sizeof err), IL_EINVAL);
    assert_int_equal(il_registry_count(r), N_ISSUE);
    il_registry_entry ok = {"MINE-1", "mine", "a claim of mine", "", dummy_check, NULL};
    assert_int_equal(il_registry_add(r, &ok, err, sizeof err), IL_OK);
    assert_int_equal(il_registry_count(r), N_ISSUE + 1);
    il_registry_free(r);
}

/* ---- the finite-difference checker ---- */

/* f(t) = (sigmoid(a t0 + t1) - c)^2 / 2 + t0 t1^2: smooth, with an error-tracked evaluation. */
typedef struct {
    double a, c;
} toy;

static il_status toy_eval(const void *model, const double *t, il_registry_ev *out)
{
    const toy *m = model;
    il_act sg;
    il_act_default(IL_ACT_SIGMOID, &sg);
    il_registry_ev s = il_registry_ev_act(
        &sg, il_registry_ev_add(il_registry_ev_mul(il_registry_ev_exact(m->a), il_registry_ev_exact(t[0])),
                                il_registry_ev_exact(t[1])));
    il_registry_ev d = il_registry_ev_sub(s, il_registry_ev_exact(m->c));
    il_registry_ev q = il_registry_ev_mul(il_registry_ev_mul(d, d), il_registry_ev_exact(0.5));
    il_registry_ev p = il_registry_ev_mul(il_registry_ev_exact(t[0]),
                                          il_registry_ev_mul(il_registry_ev_exact(t[1]), il_registry_ev_exact(t[1])));
    out[0] = il_registry_ev_add(q, p);
    return IL_OK;
}

static void toy_grad(const toy *m, const double *t, double *g)
{
    double s = 1.0 / (1.0 + exp(-(m->a * t[0] + t[1]))), ds = s * (1.0 - s), d = s - m->c;
    g[0] = d * ds * m->a + t[1] * t[1];
    g[1] = d * ds + 2.0 * t[0] * t[1];
}

static void test_fd_right_and_wrong(void **state)
{
    (void)state;
    il_registry_fdcmp right, sign, tiny, missing;
    il_registry_fdcmp_reset(&right);
    il_registry_fdcmp_reset(&sign);
    il_registry_fdcmp_reset(&tiny);
    il_registry_fdcmp_reset(&missing);
    il_rng r;
    il_rng_seed(&r, 42, 7);
    double min_ratio = INFINITY;
    for (size_t i = 0; i < 1000; i++) {
        toy m;
        double t[2], g[2], w[2], fd[2], bd[2];
        m.a = -3.0 + 6.0 * il_rng_uniform(&r);
        m.c = il_rng_uniform(&r);
        t[0] = -2.0 + 4.0 * il_rng_uniform(&r);
        t[1] = -2.0 + 4.0 * il_rng_uniform(&r);
        il_registry_snap(t, 2, IL_REGISTRY_FD_H);
        il_registry_fn fn = {2, 1, toy_eval, &m, NAN};
        assert_int_equal(il_registry_fd(&fn, t, 0, 2, fd, bd), IL_OK);
        toy_grad(&m, t, g);
        il_registry_fdcmp_add(&right, i, g, NULL, fd, bd, 2);
        w[0] = -g[0];
        w[1] = -g[1];
        il_registry_fdcmp_add(&sign, i, w, NULL, fd, bd, 2);
        w[0] = g[0] * (1.0 + 1e-6);
        w[1] = g[1] * (1.0 + 1e-6);
        il_registry_fdcmp_add(&tiny, i, w, NULL, fd, bd, 2);
        w[0] = g[0] - t[1] * t[1]; /* a term forgotten */
        w[1] = g[1];
        il_registry_fdcmp_add(&missing, i, w, NULL, fd, bd, 2);
        il_registry_fdcmp one;
        il_registry_fdcmp_reset(&one);
        il_registry_fdcmp_add(&one, i, g, NULL, fd, bd, 2);
        if (one.max_ratio > 0.0 && one.max_ratio < min_ratio)
            min_ratio = one.max_ratio;
    }
    if (!(right.max_ratio <= 1.0))
        fail_msg("a right derivative exceeds the bound: ratio %.3g at point %zu (claimed %.17g, fd %.17g, bound %.3g)",
                 right.max_ratio, right.worst_instance, right.worst_claimed, right.worst_fd, right.worst_bound);
    /* the bound is not loose by orders of magnitude: the actual error reaches a sizeable part of it */
    if (!(right.max_ratio > 1e-3))
        fail_msg("the bound is loose: max ratio %.3g over 1000 points", right.max_ratio);
    assert_true(sign.max_ratio > 1e6);
    assert_true(tiny.max_ratio > 1.0);
    assert_true(missing.max_ratio > 1e6);
    assert_int_equal(right.compared, 2000);
}

static void test_fd_refuses_unsnapped(void **state)
{
    (void)state;
    toy m = {1.0, 0.5};
    /* just below 2 with an odd last bit: 2 - 2^-52 + 2^-17 needs a finer ulp than [2, 4) has */
    double t[2] = {nextafter(2.0, 0.0), 0.3}, fd[2], bd[2];
    il_registry_fn fn = {2, 1, toy_eval, &m, NAN};
    assert_int_equal(il_registry_fd(&fn, t, 0, 2, fd, bd), IL_EINVAL);
    t[0] = 0x1p40 + 1.0; /* ulp 2^-12 > h */
    assert_int_equal(il_registry_fd(&fn, t, 0, 1, fd, bd), IL_EINVAL);
    t[0] = nextafter(2.0, 0.0);
    il_registry_snap(t, 2, IL_REGISTRY_FD_H);
    assert_true(t[0] == 2.0);
    assert_int_equal(il_registry_fd(&fn, t, 0, 2, fd, bd), IL_OK);
    assert_int_equal(il_registry_fd(&fn, t, 1, 2, fd, bd), IL_EINVAL); /* past the end */
}

/* A NaN claimed value counts as an infinite ratio. */
static void test_fd_nan_claim(void **state)
{
    (void)state;
    il_registry_fdcmp c;
    il_registry_fdcmp_reset(&c);
    double cl[2] = {1.0, NAN}, fd[2] = {1.0, 0.0}, bd[2] = {1e-10, 1e-10};
    il_registry_fdcmp_add(&c, 0, cl, NULL, fd, bd, 2);
    assert_true(isinf(c.max_ratio));
    assert_int_equal(c.worst_index, 1);
}

/* ---- running error bounds ---- */

static void test_ev_bounds(void **state)
{
    (void)state;
    il_rng r;
    il_rng_seed(&r, 9, 9);
    il_act sg, th;
    il_act_default(IL_ACT_SIGMOID, &sg);
    il_act_default(IL_ACT_TANH, &th);
    for (size_t t = 0; t < 2000; t++) {
        enum { N = 17 };
        il_registry_ev a[N], b[N];
        long double exact = 0.0L;
        for (size_t j = 0; j < N; j++) {
            a[j] = il_registry_ev_exact(il_rng_normal(&r) * 1e3);
            b[j] = il_registry_ev_exact(il_rng_normal(&r));
            exact += (long double)a[j].v * (long double)b[j].v;
        }
        il_registry_ev c = il_registry_ev_exact(il_rng_normal(&r));
        exact += (long double)c.v;
        il_registry_ev d = il_registry_ev_dot(a, b, N, c);
        if (!(fabsl((long double)d.v - exact) <= (long double)d.e))
            fail_msg("dot: error %.3Lg exceeds the bound %.3g", fabsl((long double)d.v - exact), d.e);
        /* a chain with cancellation, a square root, a division and activations */
        il_registry_ev x = il_registry_ev_sub(d, il_registry_ev_exact(d.v * 0.999));
        il_registry_ev y = il_registry_ev_div(il_registry_ev_sqrt(il_registry_ev_mul(x, x)),
                                              il_registry_ev_add(il_registry_ev_exact(1.0), il_registry_ev_mul(x, x)));
        il_registry_ev s = il_registry_ev_act(&sg, y), h = il_registry_ev_act(&th, y);
        long double xe = exact - (long double)(d.v * 0.999);
        long double ye = sqrtl(xe * xe) / (1.0L + xe * xe);
        long double se = 1.0L / (1.0L + expl(-ye)), he = tanhl(ye);
        if (!(fabsl((long double)y.v - ye) <= (long double)y.e))
            fail_msg("chain: error %.3Lg exceeds the bound %.3g", fabsl((long double)y.v - ye), y.e);
        if (!(fabsl((long double)s.v - se) <= (long double)s.e) || !(fabsl((long double)h.v - he) <= (long double)h.e))
            fail_msg("activation: errors %.3Lg, %.3Lg exceed the bounds %.3g, %.3g", fabsl((long double)s.v - se),
                     fabsl((long double)h.v - he), s.e, h.e);
    }
    il_registry_ev z = il_registry_ev_div(il_registry_ev_exact(1.0), (il_registry_ev){1e-20, 1e-19});
    assert_true(isinf(z.e));
    il_act gelu;
    il_act_default(IL_ACT_GELU, &gelu);
    assert_true(isinf(il_registry_ev_act(&gelu, il_registry_ev_exact(0.3)).e));
}

/* ---- the verdict mapping ---- */

static void test_family_mapping(void **state)
{
    (void)state;
    il_registry_family_result fr;
    il_verdict_item it[3];
    double v[3] = {1.0, 2.0, 3.0}, good[3] = {1.0001, 1.9999, 3.0002}, se[3] = {1e-4, 1e-4, 1e-4};
    assert_int_equal(il_registry_family(good, se, v, NULL, 3, 100000, 0.01, it, &fr), IL_OK);
    assert_int_equal(fr.verdict, IL_REGISTRY_HOLDS);
    assert_true(fr.margin >= IL_REGISTRY_CLEAR_MARGIN); /* delta = 0.01 |v| against ~4 SE = 4e-4 */
    double bad[3] = {1.0001, 2.1, 3.0};
    assert_int_equal(il_registry_family(bad, se, v, NULL, 3, 100000, 0.01, it, &fr), IL_OK);
    assert_int_equal(fr.verdict, IL_REGISTRY_REFUTED);
    assert_int_equal(fr.worst, 1);
    assert_true(fr.margin > 100.0); /* z = 1000 against a critical value ~3.6 */
    double wide[3] = {1e-1, 1e-1, 1e-1};
    assert_int_equal(il_registry_family(good, wide, v, NULL, 3, 100000, 0.01, it, &fr), IL_OK);
    assert_int_equal(fr.verdict, IL_REGISTRY_UNDECIDED);
    assert_true(isnan(fr.margin));
    assert_true(fr.n_needed > 100000.0);
    /* the decision and the borderline flag */
    il_registry_result res;
    memset(&res, 0, sizeof res);
    il_registry_decide(&res, IL_REGISTRY_HOLDS, 1.5);
    assert_true(res.borderline);
    assert_non_null(strstr(res.evidence, "BORDERLINE"));
    memset(&res, 0, sizeof res);
    il_registry_decide(&res, IL_REGISTRY_REFUTED, 5.0);
    assert_false(res.borderline);
    il_registry_decide(&res, IL_REGISTRY_UNDECIDED, NAN);
    assert_false(res.borderline);
    assert_string_equal(il_registry_verdict_name(IL_REGISTRY_CAVEAT), "holds-with-caveat");
    assert_string_equal(il_registry_verdict_name(IL_REGISTRY_HOLDS), "holds");
    assert_string_equal(il_registry_verdict_name(IL_REGISTRY_REFUTED), "refuted");
}

/* ---- a user-added claim: the worked example of docs/claims.md ---- */

typedef struct {
    int wrong; /* 0: the claim d tanh/dx = 1 - tanh^2; 1: d tanh/dx = 1 - tanh */
} ex_spec;

static il_status ex_eval(const void *model, const double *x, il_registry_ev *out)
{
    (void)model;
    il_act th;
    il_act_default(IL_ACT_TANH, &th);
    out[0] = il_registry_ev_act(&th, il_registry_ev_exact(x[0]));
    return IL_OK;
}

static il_status ex_check(const il_registry_entry *e, il_registry_ctx *ctx, il_registry_result *res)
{
    const ex_spec *sp = e->data;
    il_registry_fdcmp c;
    il_registry_fdcmp_reset(&c);
    for (size_t i = 0; i < 100; i++) {
        il_rng r;
        il_registry_rng(ctx, "EX-tanh", i, &r);
        double x = -3.0 + 6.0 * il_rng_uniform(&r), fd, bd;
        il_registry_snap(&x, 1, IL_REGISTRY_FD_H);
        il_registry_fn fn = {1, 1, ex_eval, NULL, NAN};
        IL_TRY(il_registry_fd(&fn, &x, 0, 1, &fd, &bd));
        double t = tanh(x), claimed = sp->wrong ? 1.0 - t : 1.0 - t * t;
        il_registry_fdcmp_add(&c, i, &claimed, NULL, &fd, &bd, 1);
    }
    il_registry_num_add(res, "max_ratio", c.max_ratio);
    il_registry_evidence(res, "max |claimed - D|/bound = %.3g over 100 points", c.max_ratio);
    if (c.max_ratio <= 1.0) {
        il_registry_decide(res, IL_REGISTRY_HOLDS, 1.0 / c.max_ratio);
    } else {
        il_registry_correct(res, "d tanh(x)/dx = 1 - tanh(x)^2");
        il_registry_decide(res, IL_REGISTRY_REFUTED, c.max_ratio);
    }
    return IL_OK;
}

static const ex_spec EX_RIGHT = {0}, EX_WRONG = {1};

static void test_user_claim(void **state)
{
    (void)state;
    static const il_registry_entry mine[] = {
        {"EX-1", "my notes", "d tanh(x)/dx = 1 - tanh(x)^2", "", ex_check, &EX_RIGHT},
        {"EX-2", "my notes", "d tanh(x)/dx = 1 - tanh(x)", "", ex_check, &EX_WRONG},
    };
    il_registry *r = il_registry_alloc();
    char err[256];
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(il_registry_add(r, &mine[i], err, sizeof err), IL_OK);
    il_registry_opts o;
    il_registry_opts_default(&o);
    il_registry_result res[2];
    assert_int_equal(il_registry_run(r, NULL, 0, &o, res, err, sizeof err), IL_OK);
    assert_int_equal(res[0].verdict, IL_REGISTRY_HOLDS);
    assert_int_equal(res[1].verdict, IL_REGISTRY_REFUTED);
    assert_string_equal(res[1].correct, "d tanh(x)/dx = 1 - tanh(x)^2");
    assert_ptr_equal(res[0].entry, &mine[0]);
    assert_int_equal(res[0].seed, 1);
    size_t bad = 5;
    assert_int_equal(il_registry_run(r, &bad, 1, &o, res, err, sizeof err), IL_EINVAL);
    il_registry_free(r);
}

/* ---- runs of built-in claims ---- */

/* Fast claims (no large Monte Carlo) and the verdicts their checks compute with the default seed. */
static const struct {
    const char *id;
    il_registry_verdict v;
} FAST[] = {
    {"S000-P1a", IL_REGISTRY_REFUTED}, {"S000-P1g", IL_REGISTRY_REFUTED}, {"S000-P1i", IL_REGISTRY_HOLDS},
    {"S000-P3a", IL_REGISTRY_HOLDS},   {"S000-P3b", IL_REGISTRY_REFUTED}, {"S001-P1a", IL_REGISTRY_CAVEAT},
    {"S001-P1b", IL_REGISTRY_HOLDS},   {"S001-P1c", IL_REGISTRY_HOLDS},   {"S001-P2a", IL_REGISTRY_HOLDS},
    {"S001-P3a", IL_REGISTRY_HOLDS},   {"S001-P3b", IL_REGISTRY_HOLDS},   {"S001-P3c", IL_REGISTRY_HOLDS},
    {"S001-P3d", IL_REGISTRY_HOLDS},   {"S001-P4a", IL_REGISTRY_CAVEAT},  {"S001-P4b", IL_REGISTRY_CAVEAT},
    {"S002-P1", IL_REGISTRY_HOLDS},    {"S002-P2a", IL_REGISTRY_HOLDS},   {"S002-P2b", IL_REGISTRY_REFUTED},
    {"S002-P2c", IL_REGISTRY_REFUTED}, {"S002-P2d", IL_REGISTRY_HOLDS},   {"S002-P3a", IL_REGISTRY_HOLDS},
    {"S002-P3b", IL_REGISTRY_HOLDS},   {"S002-P3c", IL_REGISTRY_HOLDS},
};
#define N_FAST (sizeof FAST / sizeof FAST[0])

static void run_fast(il_registry *r, uint64_t seed, int threads, const char *data_dir, il_registry_result *res)
{
    size_t which[N_FAST];
    for (size_t i = 0; i < N_FAST; i++) {
        which[i] = il_registry_find(r, FAST[i].id);
        assert_true(which[i] < il_registry_count(r));
    }
    il_registry_opts o;
    il_registry_opts_default(&o);
    o.seed = seed;
    o.threads = threads;
    o.data_dir = data_dir;
    char err[512] = "";
    if (il_registry_run(r, which, N_FAST, &o, res, err, sizeof err) != IL_OK)
        fail_msg("il_registry_run: %s", err);
}

static int same_result(const il_registry_result *a, const il_registry_result *b)
{
    if (a->entry != b->entry || a->verdict != b->verdict || a->n_nums != b->n_nums || a->borderline != b->borderline)
        return 0;
    if (memcmp(&a->margin, &b->margin, sizeof a->margin) != 0)
        return 0;
    for (size_t k = 0; k < a->n_nums; k++)
        if (strcmp(a->nums[k].name, b->nums[k].name) != 0 ||
            memcmp(&a->nums[k].value, &b->nums[k].value, sizeof(double)) != 0)
            return 0;
    return strcmp(a->evidence, b->evidence) == 0 && strcmp(a->correct, b->correct) == 0 &&
           strcmp(a->config, b->config) == 0 && strcmp(a->test, b->test) == 0;
}

static void test_fast_claims(void **state)
{
    (void)state;
    il_registry *r = builtin();
    static il_registry_result a[N_FAST], b[N_FAST], c[N_FAST], d[N_FAST];
    run_fast(r, 1, 1, NULL, a);
    for (size_t i = 0; i < N_FAST; i++) {
        if (a[i].verdict != FAST[i].v)
            fail_msg("%s: verdict %s, expected %s: %s", FAST[i].id, il_registry_verdict_name(a[i].verdict),
                     il_registry_verdict_name(FAST[i].v), a[i].evidence);
        assert_false(a[i].borderline);
        assert_true(a[i].margin >= IL_REGISTRY_CLEAR_MARGIN);
        assert_true(a[i].evidence[0] && a[i].test[0] && a[i].config[0] && a[i].n_nums > 0);
        if (a[i].verdict != IL_REGISTRY_HOLDS && !a[i].correct[0])
            fail_msg("%s: %s without a correct statement", FAST[i].id, il_registry_verdict_name(a[i].verdict));
        for (const char *p = a[i].evidence; *p; p++)
            assert_true(*p != '\t' && *p != '\n');
    }
    run_fast(r, 1, 3, NULL, b); /* same seed, other thread count */
    for (size_t i = 0; i < N_FAST; i++)
        if (!same_result(&a[i], &b[i]))
            fail_msg("%s differs between runs with the same seed (threads 1 and 3)", FAST[i].id);
    run_fast(r, 2, 1, NULL, c); /* another seed: other numbers, same verdicts */
    size_t differ = 0;
    for (size_t i = 0; i < N_FAST; i++) {
        differ += !same_result(&a[i], &c[i]);
        if (c[i].verdict != FAST[i].v)
            fail_msg("%s with seed 2: verdict %s, expected %s", FAST[i].id, il_registry_verdict_name(c[i].verdict),
                     il_registry_verdict_name(FAST[i].v));
    }
    assert_true(differ >= N_FAST / 2);
    /* data files: written into the directory and named in the result */
    char dir[] = "/tmp/test_registry.XXXXXX";
    assert_non_null(mkdtemp(dir));
    run_fast(r, 1, 1, dir, d);
    size_t files = 0;
    for (size_t i = 0; i < N_FAST; i++) {
        assert_int_equal(d[i].verdict, a[i].verdict);
        const char *p = d[i].data;
        while (*p) {
            char path[512];
            size_t len = strcspn(p, ",");
            snprintf(path, sizeof path, "%s/%.*s", dir, (int)len, p);
            if (access(path, R_OK) != 0)
                fail_msg("%s names data file %s, which does not exist", FAST[i].id, path);
            files++;
            p += len + (p[len] == ',');
        }
    }
    assert_true(files >= 5);
    DIR *dd = opendir(dir);
    struct dirent *ent;
    while (dd && (ent = readdir(dd))) {
        if (ent->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        unlink(path);
    }
    if (dd)
        closedir(dd);
    rmdir(dir);

    /* the writers */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    il_param ps[1] = {{"seed", "1", 1}};
    assert_int_equal(il_registry_write_tsv(f, "claims", ps, 1, a, N_FAST), IL_OK);
    fclose(f);
    assert_non_null(strstr(buf, "\nid\tsource\tverdict\tevidence\tcorrect_statement\t"));
    size_t lines = 0;
    for (char *p = buf; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 3 + N_FAST); /* two header lines, the column line, one per claim */
    free(buf);
    json_t *j = il_registry_to_json("claims", ps, 1, a, N_FAST);
    assert_non_null(j);
    char *txt = json_dumps(j, JSON_COMPACT);
    json_error_t jerr;
    json_t *back = json_loads(txt, JSON_REJECT_DUPLICATES, &jerr);
    assert_non_null(back);
    assert_int_equal(json_array_size(json_object_get(back, "claims")), N_FAST);
    json_t *first = json_array_get(json_object_get(back, "claims"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "id")), FAST[0].id);
    assert_string_equal(json_string_value(json_object_get(first, "verdict")), "refuted");
    assert_true(json_is_object(json_object_get(first, "numbers")));
    free(txt);
    json_decref(back);
    json_decref(j);
    il_registry_free(r);
}

int main(void)
{
    gsl_set_error_handler_off();
    openblas_set_num_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_table),
        cmocka_unit_test(test_add_refuses),
        cmocka_unit_test(test_fd_right_and_wrong),
        cmocka_unit_test(test_fd_refuses_unsnapped),
        cmocka_unit_test(test_fd_nan_claim),
        cmocka_unit_test(test_ev_bounds),
        cmocka_unit_test(test_family_mapping),
        cmocka_unit_test(test_user_claim),
        cmocka_unit_test(test_fast_claims),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
