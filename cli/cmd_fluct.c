/* cmd_fluct.c: `initlab fluct`: network-to-network fluctuations of each layer's mean square
 * M_l = |y_l|^2 / n_l, simulated and held against the exact (or leading-order) theory. */
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fluct.h"
#include "mc.h"
#include "netopts.h"

static const char *const CMD = "fluct";

static const il_optdef fluct_opts[] = {
    {"draws", "D", "independent networks (weight draws), in [2, 10^9] (default 10000)"},
    {"batch", "B", "inputs pushed through each network, in [1, 10^7]; every statistic is of ONE input, so B only "
     "adds (correlated) samples per network and, with B >= 2, the between/within-network split (default 1)"},
    {"seed", "S", "seed of the generator, in [0, 2^64-1]; draw i uses stream i (default 1)"},
    {"threads", "T", "worker threads, in [1, 256]; the output does not depend on it (default: all processors)"},
    {"format", "FMT", "tsv or json (default tsv)"},
    {"out", "FILE", "write to FILE (written whole or not at all) instead of standard output"},
    {"alpha", "A", "family-wise level of the verdicts, in (0, 0.5) (default 0.001)"},
    {"rel-tol", "R", "relevant deviation for 'consistent', relative to the theory's excess m2_ratio - 1 (and "
     "kurt - 3), in (0, 1) (default 0.1)"},
};

static const char *const formats[] = {"tsv", "json", NULL};

int cmd_fluct(int argc, char **argv)
{
    static il_cmdopts o;
    static il_net net;
    const char *pos[1];
    size_t npos;
    il_cmdopts_init(&o, fluct_opts, sizeof fluct_opts / sizeof fluct_opts[0], 1);
    int rc = il_opts_parse(CMD, o.defs, o.n, argc, argv, o.vals, pos, 0, &npos, "[options]",
                           "Draws D independent networks, pushes B inputs through each, and prints per layer the "
                           "distribution across networks of M = |y_l|^2 / n_l for one input: E[M], m2_ratio = "
                           "E[M^2]/E[M]^2, the kurtosis of M and (B >= 2) the between/within-network split of "
                           "Var(M), each with a standard error that holds for heavy tails, against the exact finite-"
                           "width theory (iid symmetric weights, symmetric biases, identity/relu/leaky_relu/prelu/abs, "
                           "dropout) or its leading order in 1/n (other activations), with verdicts (Holm over "
                           "layers). Output is TSV (a '#' header with every parameter, then one row per layer) or "
                           "JSON. Derivations: docs/fluct.md. Exit status: 0 done (whatever the verdicts), 1 runtime "
                           "failure (nothing written), 2 bad command line (nothing written).");
    if (rc)
        return rc < 0 ? IL_EXIT_OK : rc;

    il_mc_cfg cfg;
    il_mc_cfg_default(&cfg);
    size_t threads;
    int fmt;
    int procs = omp_get_num_procs();
    il_verdict_opts vopts;
    il_verdict_opts_default(&vopts);
    if ((rc = il_cli_size(CMD, &o, "draws", 2, 1000000000, 10000, &cfg.draws)) ||
        (rc = il_cli_size(CMD, &o, "batch", 1, 10000000, 1, &cfg.batch)) ||
        (rc = il_cli_u64(CMD, &o, "seed", 1, &cfg.seed)) ||
        (rc = il_cli_size(CMD, &o, "threads", 1, 256, (size_t)(procs > 0 ? procs : 1), &threads)) ||
        (rc = il_cli_choice(CMD, &o, "format", formats, 0, &fmt)) ||
        (rc = il_cli_double(CMD, &o, "alpha", 0.0, 0.5, 1, 1, IL_VERDICT_ALPHA, &vopts.alpha)) ||
        (rc = il_cli_double(CMD, &o, "rel-tol", 0.0, 1.0, 1, 1, IL_FLUCT_REL_TOL, &vopts.rel_tol)))
        return rc;
    cfg.threads = (int)threads;
    cfg.cov_limit = 0; /* only the mean squares are needed: no covariance matrices */

    il_params ps = {.n = 0};
    il_params_add(&ps, "seed", 1, "%llu", (unsigned long long)cfg.seed);
    il_params_add(&ps, "draws", 1, "%zu", cfg.draws);
    il_params_add(&ps, "batch", 1, "%zu", cfg.batch);
    il_net_init(&net);
    if ((rc = il_cli_net(CMD, &o, cfg.batch, &net, &ps))) {
        il_net_release(&net);
        return rc;
    }
    il_params_add(&ps, "alpha", 1, "%.17g", vopts.alpha);
    il_params_add(&ps, "rel_tol", 1, "%.17g", vopts.rel_tol);
    cfg.net = &net;

    const size_t L = il_net_layers(&net);
    il_fluct_theory_layer *th = calloc(L, sizeof *th);
    il_fluct_row *rows = calloc(L, sizeof *rows);
    il_mc_result res;
    il_outfile out;
    int have_res = 0, have_out = 0;
    char err[512] = "";
    if (!th || !rows) {
        rc = il_fail(CMD, "out of memory");
        goto done;
    }
    il_status st = il_fluct_theory(&net, th, err, sizeof err);
    if (st != IL_OK) {
        rc = il_fail(CMD, "theory: %s%s%s", il_strerror(st), err[0] ? ": " : "", err);
        goto done;
    }
    il_params_add(&ps, "theory", 0, "%s", err[0] ? err : "exact for every layer");

    size_t need = il_mc_memory(&cfg), have = il_machine_memory();
    if (need == SIZE_MAX || (have && need > have / 10 * 9)) {
        rc = il_usage_error(CMD, "the run needs about %.3g GiB of memory, more than this machine's %.3g GiB; reduce "
                              "--widths, --batch or --threads", (double)need / 1073741824.0,
                              (double)have / 1073741824.0);
        goto done;
    }
    if ((st = il_mc_result_init(&res, &cfg)) != IL_OK) {
        rc = il_fail(CMD, "%s", il_strerror(st));
        goto done;
    }
    have_res = 1;
    const char *path = il_cmdopts_get(&o, "out");
    if (il_outfile_open(&out, path) != 0) {
        rc = il_fail(CMD, "cannot create --out '%s': %s", path, strerror(errno));
        goto done;
    }
    have_out = 1;
    st = il_mc_run(&cfg, &res);
    if (st == IL_ENUMERIC) {
        rc = il_fail(CMD, "non-finite value (overflow or NaN) at layer %zu in draw %zu; nothing was written "
                     "(reduce the gain or the depth)", res.bad_layer, res.bad_draw);
        goto done;
    }
    if (st != IL_OK) {
        rc = il_fail(CMD, "%s", il_strerror(st));
        goto done;
    }
    il_fluct_summary sum;
    st = il_fluct_compare(&res, th, &vopts, rows, &sum);
    if (st == IL_OK)
        st = fmt == 0 ? il_fluct_write_tsv(out.f, CMD, ps.p, ps.n, rows, L, &sum)
                      : il_fluct_write_json(out.f, CMD, ps.p, ps.n, rows, L, &sum);
    if (st != IL_OK) {
        rc = il_fail(CMD, "writing the output failed: %s", il_strerror(st));
        goto done;
    }
    have_out = 0;
    if (il_outfile_commit(&out) != 0)
        rc = il_fail(CMD, "writing '%s' failed: %s", path ? path : "standard output", strerror(errno));
done:
    if (have_out)
        il_outfile_abort(&out);
    if (have_res)
        il_mc_result_release(&res);
    free(rows);
    free(th);
    il_net_release(&net);
    return rc;
}
