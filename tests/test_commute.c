/* test_commute.c: does dropout commute with an activation? (analysis/commute.c)
 *
 * The verdicts are never tabulated here. For every activation of the engine, p in {0.1, 0.3, 0.5,
 * 0.8} and both dropout kinds, the test derives its own prediction from the definition of the two
 * orders: with p > 0 both mask values 0 and c occur, so phi(m y) = m phi(y) for all y and m iff
 * phi(0) = 0 (m = 0) and phi(c y) = c phi(y) (m = c; c = 1/(1-p) inverted, c = 1 classic). The test
 * checks those two properties on a grid of its own (random points of every scale, not the library's
 * grid) and compares the prediction with the library's three levels. It then checks that the levels
 * agree with each other, that the test-time results follow the derivation (E[m phi(Y)] = E[m] E[phi(Y)]
 * exactly, the variance shift Var(m) E[phi(Y)^2], and for gelu before dropout the closed form of the
 * mean gap), the edge cases (p = 0, p = 1, activations with parameters), determinism, and the input
 * pools drawn through a real random stack.
 *
 * Inputs: iid N(0, SIGMA^2) (so that the closed forms below apply and the test is fast), and in one
 * test the pre-activations of a random stack. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "commute.h"

#define SIGMA 1.5       /* scale of the test inputs: activations are nonlinear there */
#define TEST_PI 3.14159265358979323846
#define N_POOL 40000    /* inputs per pool */
#define SEED 20240601
#define N_PS 4
static const double PS[N_PS] = {0.1, 0.3, 0.5, 0.8};

/* The test's own derivation: the property checks on its own grid, with a tolerance of 64 ulps
 * (relative): the two sides are a few roundings apart when the identity holds, and far apart when it
 * does not. */
#define PROP_ULPS 64.0
#define PROP_POINTS 20000

static int close_ulps(double a, double b)
{
    return a == b || fabs(a - b) <= PROP_ULPS * DBL_EPSILON * fmax(fabs(a), fabs(b)) ||
           fabs(a - b) <= PROP_ULPS * DBL_TRUE_MIN;
}

/* phi(c y) = c phi(y) on PROP_POINTS points y = +-u * 2^e, u uniform, e uniform in [-30, 12]. */
static int homogeneous_at(const il_act *a, double c)
{
    il_rng r;
    il_rng_seed(&r, 777, 0);
    for (int i = 0; i < PROP_POINTS; i++) {
        double u = il_rng_uniform_pos(&r), e = -30.0 + 42.0 * il_rng_uniform(&r);
        double y = (il_rng_u64(&r) >> 63 ? -u : u) * exp2(e);
        if (!close_ulps(il_act_eval(a, c * y), c * il_act_eval(a, y)))
            return 0;
    }
    return 1;
}

static int predicted_commutes(const il_commute_case *k)
{
    if (k->p == 0.0)
        return 1; /* the mask is always 1 */
    int zero = il_act_eval(&k->act, 0.0) == 0.0;
    if (k->kind == IL_DROP_CLASSIC)
        return zero; /* c = 1: only m = 0 matters */
    return zero && homogeneous_at(&k->act, 1.0 / (1.0 - k->p));
}

static void normal_pool(double *y, size_t n, uint64_t stream)
{
    il_rng r;
    il_rng_seed_draw(&r, SEED, stream);
    il_rng_fill_normal(&r, y, n, 0.0, SIGMA);
}

/* All activations with defaults x PS x {inverted, classic}. */
static size_t all_cases(il_commute_case *c)
{
    size_t m = 0;
    for (int a = 0; a < IL_ACT_COUNT; a++)
        for (size_t i = 0; i < N_PS; i++)
            for (int k = 0; k < 2; k++) {
                il_act_default((il_act_kind)a, &c[m].act);
                c[m].p = PS[i];
                c[m].kind = k ? IL_DROP_CLASSIC : IL_DROP_INVERTED;
                m++;
            }
    return m;
}

typedef struct {
    double *ya, *yb;
    il_commute_case cases[IL_ACT_COUNT * N_PS * 2];
    il_commute_row rows[IL_ACT_COUNT * N_PS * 2];
    size_t m;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->ya = malloc(N_POOL * sizeof(double));
    f->yb = malloc(N_POOL * sizeof(double));
    if (!f->ya || !f->yb)
        return -1;
    normal_pool(f->ya, N_POOL, 0);
    normal_pool(f->yb, N_POOL, 1);
    f->m = all_cases(f->cases);
    il_commute_opts o;
    il_commute_opts_default(&o);
    o.threads = 2;
    if (il_commute_run(f->cases, f->m, f->ya, N_POOL, f->yb, N_POOL, SEED, &o, f->rows) != IL_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f) {
        free(f->ya);
        free(f->yb);
        free(f);
    }
    return 0;
}

static const char *label(const il_commute_case *c, char *buf, size_t n)
{
    char s[96];
    il_act_format(&c->act, s, sizeof s);
    snprintf(buf, n, "%s p=%g %s", s, c->p, il_drop_name(c->kind));
    return buf;
}

/* The verdicts equal the test's own derivation for every activation of the engine. */
static void test_verdicts_match_derivation(void **state)
{
    fixture *f = *state;
    size_t n_commute = 0;
    for (size_t i = 0; i < f->m; i++) {
        char b[160];
        int want = predicted_commutes(&f->cases[i]);
        n_commute += want;
        if (f->rows[i].commutes != want)
            fail_msg("%s: verdict %s, the derivation predicts %s", label(&f->cases[i], b, sizeof b),
                     f->rows[i].commutes ? "commutes" : "does-not-commute", want ? "commutes" : "does-not-commute");
        assert_int_equal(f->rows[i].crit.holds, want);
    }
    /* the derivation itself can say both things (a test of the test) */
    assert_true(n_commute > 0 && n_commute < f->m);
}

/* Seed 001, problem 1: relu and leaky relu commute with (inverted) dropout, sigmoid does not. */
static void test_seed_claims(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < f->m; i++) {
        const il_commute_case *c = &f->cases[i];
        if (c->kind != IL_DROP_INVERTED)
            continue;
        if (c->act.kind == IL_ACT_RELU || c->act.kind == IL_ACT_LEAKY_RELU)
            assert_true(f->rows[i].commutes);
        if (c->act.kind == IL_ACT_SIGMOID) {
            assert_false(f->rows[i].commutes);
            /* the seed's reason: sigma(y/(1-p)) < sigma(y)/(1-p) for large y; and sigma(0) != 0 */
            assert_false(f->rows[i].crit.zero_ok);
            assert_false(f->rows[i].crit.scale_ok);
        }
    }
}

/* Each counterexample is one: recomputed here, the two orders differ at it. */
static void test_counterexamples(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < f->m; i++) {
        const il_commute_row *r = &f->rows[i];
        char b[160];
        assert_int_equal(r->crit.has_cx, !r->commutes);
        if (!r->crit.has_cx)
            continue;
        double y = r->crit.cx_y, mm = r->crit.cx_m;
        double a = il_act_eval(&r->c.act, mm * y), bb = mm * il_act_eval(&r->c.act, y);
        assert_true(a == r->crit.cx_drop_first && bb == r->crit.cx_act_first);
        if (close_ulps(a, bb))
            fail_msg("%s: counterexample y=%g m=%g is not one (%.17g vs %.17g)", label(&r->c, b, sizeof b), y, mm, a,
                     bb);
        assert_true(mm == 0.0 || mm == il_commute_keep_value(&r->c));
    }
}

/* The levels agree; where one cannot see the difference, the row says why and the reason holds. */
static void test_levels_agree(void **state)
{
    fixture *f = *state;
    il_commute_opts o;
    il_commute_opts_default(&o);
    size_t partial = 0;
    for (size_t i = 0; i < f->m; i++) {
        const il_commute_row *r = &f->rows[i];
        char b[160];
        label(&r->c, b, sizeof b);
        if (r->levels == IL_COMMUTE_DISAGREE)
            fail_msg("%s: the levels disagree: %s", b, r->note);
        if (r->commutes) {
            /* criterion holds: no pathwise difference at all, distribution SAME */
            if (r->path.n_differ != 0 || r->dist.status != IL_COMMUTE_SAME || r->levels != IL_COMMUTE_AGREE)
                fail_msg("%s commutes, but pathwise %zu differ, distribution %s", b, r->path.n_differ,
                         il_commute_dist_name(r->dist.status));
            assert_true(r->dist.effect == 0.0);
            continue;
        }
        if (r->levels == IL_COMMUTE_AGREE) {
            assert_true(r->path.n_differ > 0 && r->dist.status == IL_COMMUTE_DIFFER);
            continue;
        }
        /* partial: either no input reached the failure region, or the effect is below detection */
        partial++;
        assert_true(r->note[0] != '\0');
        int unseen = r->path.n_differ == 0;
        int weak = r->dist.status != IL_COMMUTE_DIFFER && !(r->dist.power >= 1.0 - o.beta);
        if (!unseen && !weak)
            fail_msg("%s: partial without a reason (pathwise %zu differ, distribution %s, power %.3g)", b,
                     r->path.n_differ, il_commute_dist_name(r->dist.status), r->dist.power);
        print_message("partial (as expected for its power): %s: %s\n", b, r->note);
        /* the coupling bound on the effect: p [phi(0) != 0] + (1-p) (share of inputs where phi(c y) and
         * c phi(y) differ), the share counted here */
        size_t k = 0;
        double c = il_commute_keep_value(&r->c);
        for (size_t j = 0; j < N_POOL; j++) {
            double a = il_act_eval(&r->c.act, c * f->ya[j]), bb = c * il_act_eval(&r->c.act, f->ya[j]);
            k += !(a == bb || fabs(a - bb) <= IL_COMMUTE_ULPS * DBL_EPSILON * fmax(fabs(a), fabs(bb)));
        }
        double bound = (r->crit.zero_ok ? 0.0 : r->c.p) + (1.0 - r->c.p) * (double)k / N_POOL;
        if (!(r->dist.effect <= bound * (1.0 + TEST_TOL1)))
            fail_msg("%s: effect %.17g above the coupling bound %.17g", b, r->dist.effect, bound);
    }
    /* Detectable failures are detected: a failing case against whose effect the KS test has power
     * >= 0.99 must be called "differ" (relu6 at small p is not such a case: its failure region y > 6(1-p)
     * has probability 1.6e-4 at p = 0.1 under N(0, 1.5^2)). */
    for (size_t i = 0; i < f->m; i++) {
        const il_commute_row *r = &f->rows[i];
        char b[160];
        if (r->commutes || !(r->dist.power >= 0.99))
            continue;
        if (r->dist.status != IL_COMMUTE_DIFFER)
            fail_msg("%s: power %.3g against the effect %.3g but not detected", label(&r->c, b, sizeof b),
                     r->dist.power, r->dist.effect);
    }
    /* the partial rows are a minority: the failures that need more samples than the test draws */
    assert_true(partial * 8 <= f->m);
    /* sigmoid at p = 0.1, the example, is detected with power ~1 */
    for (size_t i = 0; i < f->m; i++)
        if (f->cases[i].act.kind == IL_ACT_SIGMOID && f->cases[i].p == 0.1)
            assert_true(f->rows[i].dist.status == IL_COMMUTE_DIFFER && f->rows[i].dist.power > 0.999);
}

/* E[phi(Y)^2] for Y ~ N(0, s^2), for the activations with a closed form. */
static double second_moment(il_act_kind k, double s)
{
    switch (k) {
    case IL_ACT_IDENTITY:
    case IL_ACT_ABS: return s * s;
    case IL_ACT_RELU: return s * s / 2.0;
    default: return NAN;
    }
}

/* Test time: with dropout after phi the mean is reproduced exactly (E[m] = s); the variance shift is
 * Var(m) E[phi(Y)^2]; with dropout before gelu the mean gap has a closed form. */
static void test_test_time(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < f->m; i++) {
        const il_commute_row *r = &f->rows[i];
        const il_commute_case *c = &r->c;
        char b[160];
        label(c, b, sizeof b);
        /* dropout after phi: E[train - test] = (E[m] - s) E[phi] = 0 */
        if (r->after.gap_se > 0.0)
            assert_z(r->after.gap, r->after.gap_se, 0.0);
        if (r->after.item.verdict == IL_VERDICT_REFUTED)
            fail_msg("%s: the test-time mean after phi is refuted (gap %.4g +- %.2g)", b, r->after.gap,
                     r->after.gap_se);
        /* the variance shift: measured against the formula with E[phi^2] estimated, and where known exactly */
        assert_z(r->after.shift, r->after.shift_se, r->after.shift_formula);
        double e2 = second_moment(c->act.kind, SIGMA);
        if (!isnan(e2))
            assert_z(r->after.shift, r->after.shift_se, il_commute_mask_var(c) * e2);
        /* dropout before a positively homogeneous phi with phi(0) = 0: the inverted rule reproduces the mean */
        if (c->kind == IL_DROP_INVERTED && r->commutes)
            assert_z(r->before.gap, r->before.gap_se, 0.0);
        /* gelu: E[gelu(aY)] = a^2 s^2 / sqrt(2 pi (1 + a^2 s^2)) (Stein's lemma); before dropout the gap is
         * (1-p) E[gelu(cY)] - E[gelu(sY)], c the kept value and s the test scale */
        if (c->act.kind == IL_ACT_GELU) {
            double cv = il_commute_keep_value(c), sv = il_commute_test_scale(c), v = SIGMA * SIGMA;
            double eg_c = cv * cv * v / sqrt(2.0 * TEST_PI * (1.0 + cv * cv * v));
            double eg_s = sv * sv * v / sqrt(2.0 * TEST_PI * (1.0 + sv * sv * v));
            double want = (1.0 - c->p) * eg_c - eg_s;
            assert_z(r->before.gap, r->before.gap_se, want);
            assert_z_refutes(r->before.gap, r->before.gap_se, 0.0);
            assert_int_equal(r->before.item.verdict, IL_VERDICT_REFUTED);
        }
    }
}

/* p = 0 commutes for every activation; p = 1 is refused for inverted dropout and decided by phi(0)
 * for classic dropout. */
static void test_edges(void **state)
{
    fixture *f = *state;
    il_commute_case cs[2 * IL_ACT_COUNT + 2];
    il_commute_row *rows = malloc(sizeof(il_commute_row) * (2 * IL_ACT_COUNT + 2));
    assert_non_null(rows);
    size_t m = 0;
    for (int a = 0; a < IL_ACT_COUNT; a++) {
        il_act_default((il_act_kind)a, &cs[m].act);
        cs[m].p = 0.0;
        cs[m].kind = a % 2 ? IL_DROP_CLASSIC : IL_DROP_INVERTED;
        m++;
        il_act_default((il_act_kind)a, &cs[m].act);
        cs[m].p = 1.0;
        cs[m].kind = IL_DROP_CLASSIC;
        m++;
    }
    assert_int_equal(il_commute_run(cs, m, f->ya, 20000, f->yb, 20000, SEED, NULL, rows), IL_OK);
    for (size_t i = 0; i < m; i++) {
        char b[160];
        label(&cs[i], b, sizeof b);
        int want = cs[i].p == 0.0 ? 1 : il_act_eval(&cs[i].act, 0.0) == 0.0;
        if (rows[i].commutes != want || rows[i].levels != IL_COMMUTE_AGREE)
            fail_msg("%s: %s, levels %s (%s)", b, rows[i].commutes ? "commutes" : "does-not-commute",
                     il_commute_levels_name(rows[i].levels), rows[i].note);
        if (cs[i].p == 0.0)
            assert_true(rows[i].path.max_abs_diff == 0.0 && rows[i].dist.effect == 0.0);
    }
    /* p = 1 with inverted dropout: refused, with a message that says why */
    il_commute_case bad = cs[0];
    char err[256] = "";
    bad.p = 1.0;
    bad.kind = IL_DROP_INVERTED;
    assert_int_equal(il_commute_case_check(&bad, err, sizeof err), IL_EINVAL);
    assert_non_null(strstr(err, "inverted"));
    assert_non_null(strstr(err, "1/(1-p)"));
    assert_int_equal(il_commute_run(&bad, 1, f->ya, 100, f->yb, 100, SEED, NULL, rows), IL_EINVAL);
    il_commute_criterion cr;
    assert_int_equal(il_commute_criterion_check(&bad, 8.0, &cr), IL_EINVAL);
    bad.p = -0.1;
    bad.kind = IL_DROP_CLASSIC;
    assert_int_equal(il_commute_case_check(&bad, err, sizeof err), IL_EINVAL);
    bad.p = 0.5;
    bad.kind = IL_DROP_CONNECT;
    assert_int_equal(il_commute_case_check(&bad, err, sizeof err), IL_EINVAL);
    /* other refusals */
    assert_int_equal(il_commute_run(cs, m, f->ya, 1, f->yb, 100, SEED, NULL, rows), IL_EINVAL);
    double nan_pool[4] = {0.0, NAN, 1.0, 2.0};
    assert_int_equal(il_commute_run(cs, 1, nan_pool, 4, f->yb, 100, SEED, NULL, rows), IL_EINVAL);
    free(rows);
}

/* Activations with parameters: the verdict follows the parameter as the derivation says. */
static void test_parameters(void **state)
{
    fixture *f = *state;
    static const char *const specs[] = {"leaky_relu:0.2", "leaky_relu:-0.3", "leaky_relu:1.5", "prelu:2",
                                        "elu:0.5", "elu:2", "hardtanh:0:1", "hardtanh:0.5:2", "hardtanh:-3:-1",
                                        "softplus:2:5", "softplus:0.5:40"};
    enum { NS = sizeof specs / sizeof specs[0] };
    il_commute_case cs[NS * 2];
    il_commute_row rows[NS * 2];
    for (size_t i = 0; i < NS; i++)
        for (int k = 0; k < 2; k++) {
            assert_int_equal(il_act_parse(specs[i], &cs[2 * i + k].act), IL_OK);
            cs[2 * i + k].p = 0.3;
            cs[2 * i + k].kind = k ? IL_DROP_CLASSIC : IL_DROP_INVERTED;
        }
    assert_int_equal(il_commute_run(cs, NS * 2, f->ya, 20000, f->yb, 20000, SEED, NULL, rows), IL_OK);
    for (size_t i = 0; i < NS * 2; i++) {
        char b[160];
        int want = predicted_commutes(&cs[i]);
        if (rows[i].commutes != want)
            fail_msg("%s: %s, the derivation predicts the opposite", label(&cs[i], b, sizeof b),
                     rows[i].commutes ? "commutes" : "does-not-commute");
        assert_true(rows[i].levels != IL_COMMUTE_DISAGREE);
    }
    /* leaky relu of any slope commutes; elu of any alpha does not (inverted); hardtanh with 0 outside
     * [min, max] fails even classic dropout */
    assert_true(rows[0].commutes && rows[2].commutes && rows[4].commutes && rows[6].commutes);
    assert_false(rows[8].commutes || rows[10].commutes);
    assert_true(rows[9].commutes && rows[11].commutes);
    assert_false(rows[15].commutes || rows[17].commutes);
}

/* A case's numbers do not depend on the thread count nor on which other cases run. */
static void test_determinism(void **state)
{
    fixture *f = *state;
    il_commute_case cs[3];
    il_commute_row r1[3], r2[3], solo;
    for (int i = 0; i < 3; i++)
        cs[i] = f->cases[8 * (size_t)(i + 4) + 5]; /* three different activations */
    il_commute_opts o;
    il_commute_opts_default(&o);
    o.threads = 1;
    assert_int_equal(il_commute_run(cs, 3, f->ya, 5000, f->yb, 5000, 9, &o, r1), IL_OK);
    o.threads = 3;
    assert_int_equal(il_commute_run(cs, 3, f->ya, 5000, f->yb, 5000, 9, &o, r2), IL_OK);
    assert_int_equal(il_commute_run(&cs[1], 1, f->ya, 5000, f->yb, 5000, 9, NULL, &solo), IL_OK);
    for (int i = 0; i < 3; i++) {
        assert_true(r1[i].dist.ks.d == r2[i].dist.ks.d && r1[i].dist.ks_p_adj == r2[i].dist.ks_p_adj);
        assert_true(r1[i].path.max_abs_diff == r2[i].path.max_abs_diff && r1[i].path.n_differ == r2[i].path.n_differ);
        assert_true(r1[i].after.shift == r2[i].after.shift && r1[i].before.gap == r2[i].before.gap);
        assert_true(r1[i].dist.mean_diff == r2[i].dist.mean_diff && r1[i].dist.effect == r2[i].dist.effect);
        assert_int_equal(r1[i].levels, r2[i].levels);
    }
    assert_true(solo.dist.ks.d == r1[1].dist.ks.d && solo.dist.ks.p == r1[1].dist.ks.p);
    assert_true(solo.path.n_differ == r1[1].path.n_differ && solo.after.gap == r1[1].after.gap);
    /* another seed gives other masks */
    assert_int_equal(il_commute_run(&cs[1], 1, f->ya, 5000, f->yb, 5000, 10, NULL, &solo), IL_OK);
    assert_true(solo.dist.mean_diff != r1[1].dist.mean_diff);
}

/* The criterion alone: the grid, phi(0), and a ulp tolerance that matters. */
static void test_criterion(void **state)
{
    (void)state;
    il_commute_case c;
    il_commute_criterion cr;
    il_act_default(IL_ACT_LEAKY_RELU, &c.act);
    c.p = 0.3;
    c.kind = IL_DROP_INVERTED;
    assert_int_equal(il_commute_criterion_check(&c, IL_COMMUTE_ULPS, &cr), IL_OK);
    assert_true(cr.holds && cr.points > 70000 && cr.failures == 0);
    assert_close_rel(cr.c, 1.0 / 0.7, TEST_TOL0);
    /* with no tolerance at all, the different rounding of slope * (c y) and c * (slope y) shows */
    assert_int_equal(il_commute_criterion_check(&c, 0.0, &cr), IL_OK);
    assert_false(cr.holds);
    assert_true(cr.failures > 0 && cr.max_abs_diff > 0.0);
    /* tanh: phi(0) = 0 but not homogeneous; classic only needs phi(0) = 0 */
    il_act_default(IL_ACT_TANH, &c.act);
    assert_int_equal(il_commute_criterion_check(&c, IL_COMMUTE_ULPS, &cr), IL_OK);
    assert_true(cr.zero_ok && !cr.scale_ok && !cr.holds && cr.need_scale);
    assert_true(cr.cx_m == cr.c && fabs(cr.cx_y) < 1.0); /* a small |y| is a counterexample already */
    c.kind = IL_DROP_CLASSIC;
    assert_int_equal(il_commute_criterion_check(&c, IL_COMMUTE_ULPS, &cr), IL_OK);
    assert_true(cr.holds && !cr.need_scale && cr.points == 0);
    /* relu6: fails only beyond 6/c */
    il_act_default(IL_ACT_RELU6, &c.act);
    c.kind = IL_DROP_INVERTED;
    c.p = 0.5;
    assert_int_equal(il_commute_criterion_check(&c, IL_COMMUTE_ULPS, &cr), IL_OK);
    assert_false(cr.holds);
    assert_true(cr.cx_y > 3.0 && cr.cx_y < 3.1);
}

/* The inputs through a real random stack: deterministic for any thread count, the pre-activation of
 * the last layer of draw i, and the three levels on them. */
static void test_stack_inputs(void **state)
{
    (void)state;
    il_net net;
    const size_t w[] = {8, 8, 1};
    il_net_shape s;
    char err[256];
    memset(&s, 0, sizeof s);
    s.widths = w;
    s.n_widths = 3;
    assert_int_equal(il_act_parse("relu", &s.act), IL_OK);
    s.bias = 1;
    il_net_init(&net);
    assert_int_equal(il_net_build(&net, &s, err, sizeof err), IL_OK);
    enum { N = 6000 };
    double *y1 = malloc(N * sizeof *y1), *y2 = malloc(N * sizeof *y2);
    assert_non_null(y1);
    assert_non_null(y2);
    size_t bad;
    assert_int_equal(il_commute_draw_inputs(&net, 5, 0, N, 1, y1, &bad, err, sizeof err), IL_OK);
    assert_int_equal(il_commute_draw_inputs(&net, 5, 0, N, 2, y2, &bad, err, sizeof err), IL_OK);
    assert_memory_equal(y1, y2, N * sizeof *y1);
    /* draw 3 recomputed by hand: weights then input from draw 3's generator, y = W2 relu(W1 x + b1) + b2 */
    il_net_ws *ws = il_net_ws_alloc(&net, 1);
    assert_non_null(ws);
    il_rng r;
    il_rng_seed_draw(&r, 5, 3);
    assert_int_equal(il_net_draw_weights(&net, ws, &r), IL_OK);
    double x[8], h[8], want;
    il_rng_fill_normal(&r, x, 8, 0.0, 1.0);
    const double *W1 = il_net_weight(ws, 1), *b1 = il_net_bias(ws, 1), *W2 = il_net_weight(ws, 2),
                 *b2 = il_net_bias(ws, 2);
    for (int i = 0; i < 8; i++) {
        double a = b1[i];
        for (int k = 0; k < 8; k++)
            a += W1[i * 8 + k] * x[k];
        h[i] = a > 0.0 ? a : 0.0;
    }
    want = b2[0];
    for (int k = 0; k < 8; k++)
        want += W2[k] * h[k];
    assert_close_rel(y1[3], want, TEST_TOL1);
    il_net_ws_free(ws);
    /* the pre-activation is symmetric about 0 (W has a symmetric law): mean 0 within its SE */
    double sum = 0.0, sq = 0.0;
    for (size_t i = 0; i < N; i++) {
        sum += y1[i];
        sq += y1[i] * y1[i];
    }
    double mean = sum / N, sd = sqrt(sq / N - mean * mean);
    assert_z(mean, sd / sqrt((double)N), 0.0);
    /* the levels on these inputs: sigmoid and tanh (inverted) are detected, relu agrees */
    assert_int_equal(il_commute_draw_inputs(&net, 5, IL_COMMUTE_DRAW_B, N, 2, y2, &bad, err, sizeof err), IL_OK);
    il_commute_case cs[3];
    il_commute_row rows[3];
    const il_act_kind ks[3] = {IL_ACT_RELU, IL_ACT_SIGMOID, IL_ACT_TANH};
    for (int i = 0; i < 3; i++) {
        il_act_default(ks[i], &cs[i].act);
        cs[i].p = 0.5;
        cs[i].kind = IL_DROP_INVERTED;
    }
    assert_int_equal(il_commute_run(cs, 3, y1, N, y2, N, 5, NULL, rows), IL_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(rows[i].levels, IL_COMMUTE_AGREE);
    assert_true(rows[0].commutes && !rows[1].commutes && !rows[2].commutes);
    /* refusals: a network that batch 1 cannot run */
    net.ops[0].kind = IL_OP_BATCHNORM;
    assert_int_equal(il_commute_draw_inputs(&net, 5, 0, 10, 1, y1, &bad, err, sizeof err), IL_EINVAL);
    free(y2);
    free(y1);
    il_net_release(&net);
}

/* The writers: the TSV's first columns, one row per case, and JSON that round-trips. */
static void test_writers(void **state)
{
    fixture *f = *state;
    il_param ps[1] = {{"seed", "20240601", 1}};
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_non_null(mem);
    assert_int_equal(il_commute_write_tsv(mem, "commute", ps, 1, f->rows, 16), IL_OK);
    fclose(mem);
    assert_non_null(strstr(buf, "# initlab "));
    assert_non_null(strstr(buf, "\nactivation\tp\tkind\tverdict\tcriterion\tpathwise_max_diff\tks_p\tcounterexample\t"));
    size_t lines = 0;
    for (char *p = buf; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 3 + 16); /* two header lines, the column line, 16 rows */
    assert_non_null(strstr(buf, "\nrelu\t0.10000000000000001\tinverted\tcommutes\tholds\t0\t"));
    free(buf);
    json_t *j = il_commute_to_json("commute", ps, 1, f->rows, f->m);
    assert_non_null(j);
    json_t *rows = json_object_get(j, "rows");
    assert_int_equal(json_array_size(rows), f->m);
    json_t *r0 = json_array_get(rows, 0);
    assert_string_equal(json_string_value(json_object_get(r0, "activation")), "identity");
    assert_non_null(json_object_get(json_object_get(r0, "distribution"), "ks"));
    json_decref(j);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdicts_match_derivation),
        cmocka_unit_test(test_seed_claims),
        cmocka_unit_test(test_counterexamples),
        cmocka_unit_test(test_levels_agree),
        cmocka_unit_test(test_test_time),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_parameters),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_criterion),
        cmocka_unit_test(test_stack_inputs),
        cmocka_unit_test(test_writers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
