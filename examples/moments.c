/* moments.c: libinitlab from the outside, through its public headers only.
 *
 * Builds a 4-layer ReLU network (widths 8, 32, 32, 32, 4; Kaiming-normal weights for ReLU, PyTorch's
 * default biases), draws independent networks with il_mc_run, computes the exact per-layer moments
 * with il_theory_run, tests every layer against them with il_compare_run (Holm's correction over the
 * whole table: q, mean, off-diagonal covariance and every unit's entries), and prints per layer
 *     q +- SE (Monte Carlo, across independent networks)   q (theory)   z   verdict
 * Exit status: 0 if nothing was refuted, 1 if some test was refuted or the library failed, 2 for a
 * bad command line.
 *
 * Usage: moments [DRAWS [SEED]]   (defaults 2000 and 1; the output depends only on them)
 *
 * Build against an installed initlab:
 *     cc -o moments moments.c $(pkg-config --cflags --libs initlab)
 * or, linking the library statically:
 *     cc -o moments moments.c $(pkg-config --cflags --static --libs initlab | sed 's/-linitlab /-l:libinitlab.a /')
 * `make check` builds it against the headers as they are installed (build/include/initlab/). */
#include <cblas.h>
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <initlab/initlab.h>

#define EXAMPLE_BATCH 16   /* inputs pushed through each network */
#define EXAMPLE_THREADS 2  /* worker threads; the numbers do not depend on it */

int main(int argc, char **argv)
{
    static const size_t widths[] = {8, 32, 32, 32, 4};
    const size_t n_widths = sizeof widths / sizeof widths[0];
    size_t draws = 2000;
    uint64_t seed = 1;
    if (argc > 3 || (argc > 1 && il_parse_size(argv[1], 2, 100000000, &draws) != IL_OK) ||
        (argc > 2 && il_parse_u64(argv[2], &seed) != IL_OK)) {
        fprintf(stderr, "usage: moments [DRAWS [SEED]]  (DRAWS in [2, 10^8], SEED in [0, 2^64-1])\n");
        return 2;
    }

    /* The calling program's two duties (initlab.h): single-threaded BLAS inside the draws, and GSL
     * errors returned rather than aborting. */
    openblas_set_num_threads(1);
    gsl_set_error_handler_off();

    int rc = 1;
    il_status st;
    char err[512] = "";
    il_net net;
    il_mc_cfg cfg;
    il_mc_result res;
    il_theory_layer *th = NULL;
    il_compare_row *rows = NULL;
    int have_res = 0;

    /* The network: widths, activation, dropout, ... in a shape, then the initializers. */
    il_net_init(&net);
    il_net_shape shape;
    memset(&shape, 0, sizeof shape);
    shape.widths = widths;
    shape.n_widths = n_widths;
    il_act_default(IL_ACT_RELU, &shape.act);
    shape.bias = 1;
    if ((st = il_net_build(&net, &shape, err, sizeof err)) != IL_OK)
        goto fail;
    il_init_spec_default(IL_INIT_KAIMING_NORMAL, &net.winit);
    snprintf(net.winit.nonlinearity, sizeof net.winit.nonlinearity, "relu");
    il_init_spec_default(IL_INIT_TORCH, &net.binit);
    if ((st = il_net_check(&net, EXAMPLE_BATCH, err, sizeof err)) != IL_OK)
        goto fail;

    /* Monte Carlo: draw i uses the generator il_rng_seed_draw(seed, i) whatever the thread count. */
    il_mc_cfg_default(&cfg);
    cfg.net = &net;
    cfg.draws = draws;
    cfg.batch = EXAMPLE_BATCH;
    cfg.seed = seed;
    cfg.threads = EXAMPLE_THREADS;
    if ((st = il_mc_result_init(&res, &cfg)) != IL_OK)
        goto fail;
    have_res = 1;
    if ((st = il_mc_run(&cfg, &res)) != IL_OK) {
        if (st == IL_ENUMERIC)
            snprintf(err, sizeof err, "layer %zu, draw %zu", res.bad_layer, res.bad_draw);
        goto fail;
    }

    /* Theory, then the comparison (caller-owned arrays, sized by the library's own counts). */
    const size_t L = il_net_layers(&net);
    const size_t R = il_compare_rows(&res);
    th = calloc(L, sizeof *th);
    rows = calloc(R, sizeof *rows);
    if (!th || !rows) {
        st = IL_ENOMEM;
        goto fail;
    }
    if ((st = il_theory_run(&net, th, NULL, err, sizeof err)) != IL_OK)
        goto fail;
    il_compare_summary sum;
    if ((st = il_compare_run(&res, th, NULL, NULL, rows, &sum)) != IL_OK)
        goto fail;

    printf("# widths 8,32,32,32,4, relu, kaiming_normal(relu) weights, torch biases; %zu draws x %d inputs, "
           "seed %llu\n", draws, EXAMPLE_BATCH, (unsigned long long)seed);
    printf("%-5s %-5s %-24s %-12s %-10s %-7s %s\n", "layer", "width", "q +- SE (Monte Carlo)", "q (theory)",
           "method", "z", "verdict");
    for (size_t r = 0; r < R; r++) {
        const il_compare_row *w = &rows[r];
        char mc[64], verdict[96];
        snprintf(mc, sizeof mc, "%.5f +- %.5f", w->q.est, w->q.se);
        if (w->q.v.verdict == IL_VERDICT_INCONCLUSIVE)
            snprintf(verdict, sizeof verdict, "inconclusive (about %.0f draws would decide)", w->q.v.n_needed);
        else
            snprintf(verdict, sizeof verdict, "%s", il_verdict_name(w->q.v.verdict));
        printf("%-5zu %-5zu %-24s %-12.5f %-10s %-7.2f %s\n", w->layer, w->width, mc, w->q.theory,
               il_theory_method_name(w->method), w->q.v.z, verdict);
    }
    printf("overall: %s (%zu refuted, %zu consistent, %zu inconclusive of %zu tests: every layer's q, mean, "
           "off-diagonal covariance and unit entries, Holm at alpha = %g)\n",
           il_verdict_name(sum.theory.overall), sum.theory.refuted, sum.theory.consistent, sum.theory.inconclusive,
           sum.family_size, IL_VERDICT_ALPHA);
    rc = sum.theory.refuted > 0 ? 1 : 0;
    goto done;

fail:
    fprintf(stderr, "moments: %s%s%s\n", il_strerror(st), err[0] ? ": " : "", err);
    rc = 1;
done:
    free(rows);
    free(th);
    if (have_res)
        il_mc_result_release(&res);
    il_net_release(&net);
    return rc;
}
