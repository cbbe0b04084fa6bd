/* test_compare.c: the --compare machinery on the real engine: calibration of the false-refutation
 * rate over many seeds, consistency of right formulas, refutation of wrong ones. */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "compare.h"
#include "testutil.h"

/* A binomial count is implausible when its two-sided tail probability is below this. */
#define BINOM_TAIL 1e-6
#define SEEDS 200

static void build(il_net *net, const size_t *w, size_t nw, const char *act, double p)
{
    il_net_shape s;
    char err[128];
    memset(&s, 0, sizeof s);
    s.widths = w;
    s.n_widths = nw;
    assert_int_equal(il_act_parse(act, &s.act), IL_OK);
    s.p = p;
    s.drop = IL_DROP_INVERTED;
    s.bias = 1;
    il_net_init(net);
    assert_int_equal(il_net_build(net, &s, err, sizeof err), IL_OK);
}

static void run_compare(const il_net *net, size_t draws, uint64_t seed, const double *claim,
                        const il_verdict_opts *vo, il_compare_row *rows, il_compare_summary *sum)
{
    il_mc_cfg cfg;
    il_mc_cfg_default(&cfg);
    cfg.net = net;
    cfg.draws = draws;
    cfg.batch = 4;
    cfg.seed = seed;
    il_mc_result res;
    assert_int_equal(il_mc_result_init(&res, &cfg), IL_OK);
    assert_int_equal(il_mc_run(&cfg, &res), IL_OK);
    size_t L = res.layers;
    il_theory_layer *th = calloc(L, sizeof *th);
    char err[256];
    assert_int_equal(il_theory_run(net, th, NULL, err, sizeof err), IL_OK);
    assert_int_equal(il_compare_run(&res, th, claim, vo, rows, sum), IL_OK);
    free(th);
    il_mc_result_release(&res);
}

/* Over SEEDS independent runs of a network whose theory is exact (relu, inverted dropout), a single
 * test at level 0.05 (layer 2's q, alone in its family) refutes at rate 0.05 within binomial error;
 * the whole table under Holm (family-wise 0.05) refutes at most at that rate. */
static void test_false_refutation_rate(void **state)
{
    (void)state;
    const size_t w[] = {4, 3, 5, 3};
    il_net net;
    build(&net, w, 4, "relu", 0.2);
    il_verdict_opts vo;
    il_verdict_opts_default(&vo);
    vo.alpha = 0.05;
    il_compare_row rows[3];
    il_compare_summary sum;
    unsigned single = 0, family = 0;
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        run_compare(&net, 1000, seed, NULL, &vo, rows, &sum);
        family += sum.theory.refuted > 0;
        /* the single test: layer 2's q on its own (m = 1) */
        il_verdict_item it;
        assert_int_equal(il_verdict_family(&rows[1].q.est, &rows[1].q.se, &rows[1].q.theory, NULL, 1, 1000, &vo,
                                           &it, NULL),
                         IL_OK);
        single += it.verdict == IL_VERDICT_REFUTED;
    }
    double lo = gsl_cdf_binomial_P(single, 0.05, SEEDS), hi = gsl_cdf_binomial_Q(single - 1, 0.05, SEEDS);
    if (lo < BINOM_TAIL || hi < BINOM_TAIL)
        fail_msg("single test refuted a right formula %u times in %d seeds (expected %.0f at alpha 0.05)", single,
                 SEEDS, 0.05 * SEEDS);
    if (gsl_cdf_binomial_Q(family - 1, 0.05, SEEDS) < BINOM_TAIL)
        fail_msg("the Holm family refuted a right theory %u times in %d seeds (at most %.0f expected)", family, SEEDS,
                 0.05 * SEEDS);
    print_message("false refutations in %d seeds: single test %u (expected 10), family %u (at most 10)\n", SEEDS,
                  single, family);
    il_net_release(&net);
}

/* Test of the test: feeding the same runs a wrong value (q 3 % too high) must refute it. */
static void test_wrong_formula_refuted(void **state)
{
    (void)state;
    const size_t w[] = {4, 3, 5, 3};
    il_net net;
    build(&net, w, 4, "relu", 0.2);
    il_compare_row rows[3];
    il_compare_summary sum;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        run_compare(&net, 40000, seed, NULL, NULL, rows, &sum);
        double claim[3];
        for (int l = 0; l < 3; l++)
            claim[l] = 1.03 * rows[l].q.theory;
        run_compare(&net, 40000, seed, claim, NULL, rows, &sum);
        assert_int_equal(sum.claim.overall, IL_VERDICT_REFUTED);
        assert_int_equal(sum.theory.refuted, 0);
    }
    il_net_release(&net);
}

/* A right formula is called consistent (not merely unrefuted) once the SE allows it. */
static void test_right_formula_consistent(void **state)
{
    (void)state;
    const size_t w[] = {6, 6};
    il_net net;
    build(&net, w, 2, "identity", 0.0);
    il_verdict_opts vo;
    il_verdict_opts_default(&vo);
    vo.rel_tol = 0.05;
    il_compare_row rows[1];
    il_compare_summary sum;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        run_compare(&net, 20000, seed, NULL, &vo, rows, &sum);
        assert_int_equal(rows[0].q.v.verdict, IL_VERDICT_CONSISTENT);
        assert_int_equal(rows[0].units_refuted, 0);
    }
    il_net_release(&net);
}

int main(void)
{
    gsl_set_error_handler_off();
    openblas_set_num_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_false_refutation_rate),
        cmocka_unit_test(test_wrong_formula_refuted),
        cmocka_unit_test(test_right_formula_consistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
