/* cmd_sim.c: `initlab sim`: Monte Carlo per-layer moments. */
#include <jansson.h>
#include <omp.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "claim.h"
#include "commands.h"
#include "compare.h"
#include "mc.h"
#include "mpi_ranks.h"
#include "netopts.h"
#include "parse.h"
#include "plot.h"

static const char *const CMD = "sim";

static const il_optdef sim_opts[] = {
    {"draws", "D", "independent networks (weight draws), in [1, 10^9] (default 1000)"},
    {"batch", "B", "inputs pushed through each network, in [1, 10^7], or 'auto': the split between draws and batch "
     "that minimises SE^2 x time for the last layer's q, chosen by short timed pilot runs (the choice, its "
     "variance components and timings are printed on standard error and recorded in the header; pass the "
     "chosen B to reproduce the run) (default 64)"},
    {"fixed-net", NULL, "draw one network and reuse it for every draw (D batches of inputs through the same "
     "weights; standard errors are then conditional on that network)"},
    {"float32", NULL, "propagate in single precision (the same random numbers rounded to float), accumulating "
     "the statistics in double; faster at large widths, with numbers of its own (deterministic, thread-independent)"},
    {"exact", NULL, "exact conditional estimator of a linear stack (identity activations, no dropout, BatchNorm or "
     "residual, normal inputs): each network's exact moments given its weights replace the batch average, as if "
     "B were infinite; standard errors across networks. Not with --fixed-net or --float32"},
    {"post", NULL, "also report each layer's output (after activation, dropout, residual) as rows with point=post"},
    {"cov-limit", "N", "keep the full covariance matrix for widths up to N, in [1, 1024]; wider layers keep the "
     "diagonal and off-diagonal summaries (default 64)"},
    {"seed", "S", "seed of the generator, in [0, 2^64-1]; draw i uses stream i (default 1)"},
    {"threads", "T", "worker threads, in [1, 256]; the output does not depend on it (default: all processors)"},
    {"format", "FMT", "tsv or json (default tsv)"},
    {"matrices", NULL, "with --format json, include each layer's unit means and covariance matrix with SEs"},
    {"out", "FILE", "write to FILE (written whole or not at all) instead of standard output"},
    {"compare", NULL, "compare every layer with the analytic formulas of 'initlab theory': per layer the estimate "
     "+- SE, the theory value, z, p and a verdict (consistent, refuted or inconclusive, with the draws needed to "
     "decide), for q, the mean and the mean off-diagonal covariance, and every unit's mean and covariance entry "
     "when the full matrix is kept; Holm's correction over the whole table"},
    {"claim", "EXPR", "with --compare: a claimed per-layer q to test, as a closed form in l (layer), n (its input "
     "width), m (its output width), n0, L, p, or a recursion in q (the previous layer's value), e.g. "
     "'q*(n+1)/(3*n)'"},
    {"claim-q0", "Q", "the value of q at layer 0 for a recursive --claim (default 1: unit-variance inputs)"},
    {"alpha", "A", "family-wise level of the verdicts, in (0, 0.5) (default 0.001)"},
    {"rel-tol", "R", "relevant relative deviation for 'consistent', in (0, 1) (default 0.01)"},
    {"checkpoint", "FILE", "save the run's state to FILE every --checkpoint-every seconds, when interrupted, and at "
     "the end (written whole or not at all)"},
    {"checkpoint-every", "SECONDS", "seconds between checkpoints, in [1, 86400] (default 60)"},
    {"resume", "FILE", "continue the run saved in FILE (a --checkpoint file from a run with exactly the same "
     "options; the output is then bit-identical to an uninterrupted run)"},
    {"stop-after", "N", "stop after at least N more draws (at the end of a group of draws), as if interrupted: "
     "with --checkpoint, a long run can be done in chunks, each continued with --resume"},
    {"plot", "FILE", "after the run, draw the variance-vs-depth figure of the --out TSV (with its theory and claim "
     "under --compare) into FILE.png or FILE.svg; needs --out and the tsv format"},
    {"progress", NULL, "show progress on standard error even when it is not a terminal"},
    {"quiet", NULL, "no progress on standard error"},
};

static const char *const formats[] = {"tsv", "json", NULL};

/* --batch auto: the planner's range and the time its pilot runs take. */
enum { BATCH_DEFAULT = 64, BATCH_AUTO_MAX = 4096 };
static const double BATCH_AUTO_PILOT_SECONDS = 1.0;

/* --batch auto: runs the planner for the last layer's q, sets cfg->batch, rewrites the batch parameter
 * (ps->p[at]) and records the plan. 0, or the exit status after printing one line. */
static int plan_batch(il_mc_cfg *cfg, il_params *ps, size_t at, const il_net *net)
{
    il_mc_plan plan;
    cfg->batch = BATCH_DEFAULT; /* for the comparison the plan reports */
    il_status st = il_mc_plan_batch(cfg, il_net_layers(net), 0, BATCH_AUTO_MAX, BATCH_AUTO_PILOT_SECONDS, &plan);
    if (st == IL_ENUMERIC)
        return il_fail(CMD, "--batch auto: a pilot run overflowed (non-finite values); reduce the gain or the depth");
    if (st != IL_OK)
        return il_fail(CMD, "--batch auto: the pilot runs failed: %s", il_strerror(st));
    cfg->batch = plan.batch;
    snprintf(ps->p[at].value, sizeof ps->p[at].value, "%zu", plan.batch);
    il_params_add(ps, "batch_plan", 0,
                  "auto: minimises SE^2 x time of the last layer's q; V_between=%.4g V_within=%.4g, "
                  "seconds per draw=%.3g+%.3g*B, cost at B=%d / at the choice = %.3g",
                  plan.v_between, plan.v_within, plan.t0, plan.t1, BATCH_DEFAULT,
                  plan.cost > 0.0 ? plan.cost_given / plan.cost : 1.0);
    fprintf(stderr, "initlab sim: --batch auto chose B = %zu (variance between networks %.4g, within %.4g; "
            "%.3g + %.3g*B seconds per draw; %.2fx less SE^2 x time than B = %d)\n", plan.batch, plan.v_between,
            plan.v_within, plan.t0, plan.t1, plan.cost > 0.0 ? plan.cost_given / plan.cost : 1.0, BATCH_DEFAULT);
    return 0;
}

/* Set by SIGINT/SIGTERM: the run stops after the draws under way and writes what it has. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = sig;
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* What the per-group callback does: progress on stderr (on a terminal, one line rewritten at each
 * whole percent; elsewhere, a line at every tenth) and periodic checkpoints. */
typedef struct {
    int show, tty, last;
    const char *ckpt;          /* checkpoint path, or NULL */
    double every, last_save;   /* seconds */
    const il_mc_result *res;
    const char *fingerprint;
    int warned;
    size_t start, stop_after; /* draws done when this invocation began; 0: no limit */
} run_state;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Writes the checkpoint atomically; 0 or -1 with errno. */
static int save_checkpoint(const char *path, const il_mc_result *res, const char *fingerprint)
{
    il_outfile o;
    if (il_outfile_open(&o, path) != 0)
        return -1;
    if (il_checkpoint_save(o.f, res, fingerprint) != IL_OK) {
        il_outfile_abort(&o);
        errno = EIO;
        return -1;
    }
    return il_outfile_commit(&o);
}

static void on_group(void *ctx, size_t done, size_t total)
{
    run_state *rs = ctx;
    if (rs->stop_after && done - rs->start >= rs->stop_after && done < total)
        interrupted = -1;
    if (rs->ckpt && now_seconds() - rs->last_save >= rs->every) {
        if (save_checkpoint(rs->ckpt, rs->res, rs->fingerprint) != 0 && !rs->warned) {
            fprintf(stderr, "initlab sim: cannot write --checkpoint '%s': %s (the run goes on)\n", rs->ckpt,
                    strerror(errno));
            rs->warned = 1;
        }
        rs->last_save = now_seconds();
    }
    if (!rs->show)
        return;
    int pct = (int)(100.0 * (double)done / (double)total);
    int step = rs->tty ? 1 : 10;
    if (done < total && pct / step == rs->last / step)
        return;
    rs->last = pct;
    fprintf(stderr, "%sinitlab sim: %zu/%zu draws (%3d%%)%s", rs->tty ? "\r" : "", done, total, pct,
            rs->tty && done < total ? "" : "\n");
    fflush(stderr);
}

static void put_num(FILE *f, double v)
{
    if (isnan(v))
        fputs("NaN", f);
    else if (isinf(v))
        fputs(v > 0 ? "Inf" : "-Inf", f);
    else
        fprintf(f, "%.17g", v);
}

static void put_cell(FILE *f, const il_compare_cell *c, int with_est)
{
    double vals[] = {c->est, c->se, c->theory, c->v.z, c->v.p_adj, c->v.n_needed};
    for (size_t i = with_est ? 0 : 2; i < 6; i++) {
        fputc('\t', f);
        put_num(f, c->tested ? vals[i] : NAN);
    }
    fprintf(f, "\t%s", c->tested ? il_verdict_name(c->v.verdict) : "untested");
}

static json_t *cell_json(const il_compare_cell *c)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "estimate", il_json_number(c->est));
    json_object_set_new(o, "se", il_json_number(c->se));
    json_object_set_new(o, "value", il_json_number(c->theory));
    json_object_set_new(o, "z", il_json_number(c->v.z));
    json_object_set_new(o, "p", il_json_number(c->v.p));
    json_object_set_new(o, "p_holm", il_json_number(c->v.p_adj));
    json_object_set_new(o, "verdict", json_string(c->tested ? il_verdict_name(c->v.verdict) : "untested"));
    json_object_set_new(o, "draws_needed", il_json_number(c->v.n_needed));
    json_object_set_new(o, "reason", json_string(c->v.reason ? c->v.reason : ""));
    return o;
}

/* The --compare table: one row per layer and point. p columns are Holm-adjusted. */
static il_status write_compare(FILE *f, int fmt, const il_params *ps, const il_compare_row *rows, size_t R,
                               const il_compare_summary *sum)
{
    if (fmt == 0) {
        il_write_header(f, "sim --compare", ps->p, ps->n);
        fprintf(f, "# verdicts: Holm over %zu tests (every layer's q, mean, offdiag and unit entries); p is "
                   "Holm-adjusted; draws_needed only for inconclusive tests\n# method: exact = the exact "
                   "expectation at these widths; mean-field = approximate (infinite width)\n",
                sum->family_size);
        fprintf(f, "layer\tpoint\twidth\tmethod\tq\tq_se\tq_theory\tz\tp\tdraws_needed\tverdict"
                   "\tmean\tmean_se\tmean_theory\tz_mean\tp_mean\tdraws_needed_mean\tverdict_mean"
                   "\toffdiag\toffdiag_se\toffdiag_theory\tz_offdiag\tp_offdiag\tdraws_needed_offdiag"
                   "\tverdict_offdiag\tunits_tested\tunits_refuted");
        if (sum->has_claim)
            fprintf(f, "\tq_claim\tz_claim\tp_claim\tdraws_needed_claim\tverdict_claim");
        fputc('\n', f);
        for (size_t r = 0; r < R; r++) {
            const il_compare_row *w = &rows[r];
            fprintf(f, "%zu\t%s\t%zu\t%s", w->layer, w->post ? "post" : "pre", w->width,
                    il_theory_method_name(w->method));
            put_cell(f, &w->q, 1);
            put_cell(f, &w->mean, 1);
            put_cell(f, &w->offdiag, 1);
            fprintf(f, "\t%zu\t%zu", w->units_tested, w->units_refuted);
            if (sum->has_claim)
                put_cell(f, &w->claim, 0);
            fputc('\n', f);
        }
        fprintf(f, "# overall: %s (%zu refuted, %zu consistent, %zu inconclusive of %zu tests)\n",
                il_verdict_name(sum->theory.overall), sum->theory.refuted, sum->theory.consistent,
                sum->theory.inconclusive, sum->family_size);
        if (sum->has_claim)
            fprintf(f, "# claim: %s (%zu refuted, %zu consistent, %zu inconclusive of %zu layers)\n",
                    il_verdict_name(sum->claim.overall), sum->claim.refuted, sum->claim.consistent,
                    sum->claim.inconclusive, sum->claim.refuted + sum->claim.consistent + sum->claim.inconclusive);
        return ferror(f) ? IL_EIO : IL_OK;
    }
    json_t *root = json_object(), *arr = json_array();
    if (!root || !arr) {
        json_decref(root);
        json_decref(arr);
        return IL_ENOMEM;
    }
    json_object_set_new(root, "tool", json_string("initlab"));
    json_object_set_new(root, "version", json_string(IL_VERSION));
    json_object_set_new(root, "command", json_string("sim --compare"));
    json_object_set_new(root, "params", il_params_to_json(ps->p, ps->n));
    json_object_set_new(root, "layers", arr);
    for (size_t r = 0; r < R; r++) {
        const il_compare_row *w = &rows[r];
        json_t *o = json_object();
        json_array_append_new(arr, o);
        json_object_set_new(o, "layer", json_integer((json_int_t)w->layer));
        json_object_set_new(o, "point", json_string(w->post ? "post" : "pre"));
        json_object_set_new(o, "width", json_integer((json_int_t)w->width));
        json_object_set_new(o, "method", json_string(il_theory_method_name(w->method)));
        json_object_set_new(o, "q", cell_json(&w->q));
        json_object_set_new(o, "mean", cell_json(&w->mean));
        json_object_set_new(o, "offdiag", cell_json(&w->offdiag));
        json_object_set_new(o, "units_tested", json_integer((json_int_t)w->units_tested));
        json_object_set_new(o, "units_refuted", json_integer((json_int_t)w->units_refuted));
        if (sum->has_claim && !w->post)
            json_object_set_new(o, "claim", cell_json(&w->claim));
    }
    json_t *ov = json_object();
    json_object_set_new(root, "overall", ov);
    json_object_set_new(ov, "verdict", json_string(il_verdict_name(sum->theory.overall)));
    json_object_set_new(ov, "tests", json_integer((json_int_t)sum->family_size));
    json_object_set_new(ov, "refuted", json_integer((json_int_t)sum->theory.refuted));
    json_object_set_new(ov, "consistent", json_integer((json_int_t)sum->theory.consistent));
    json_object_set_new(ov, "inconclusive", json_integer((json_int_t)sum->theory.inconclusive));
    if (sum->has_claim)
        json_object_set_new(root, "claim_overall", json_string(il_verdict_name(sum->claim.overall)));
    int bad = json_dumpf(root, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0 || fputc('\n', f) == EOF;
    json_decref(root);
    return bad ? IL_EIO : IL_OK;
}

/* The dropout probability a claim's variable p refers to: the first dropout or DropConnect. */
static double net_dropout_p(const il_net *net)
{
    for (size_t i = 0; i < net->n_ops; i++) {
        if (net->ops[i].kind == IL_OP_DROPOUT && net->ops[i].p > 0)
            return net->ops[i].p;
        if (net->ops[i].kind == IL_OP_LINEAR && net->ops[i].dc_p > 0)
            return net->ops[i].dc_p;
    }
    return 0.0;
}

/* The command on one rank (the only one without MPI): every rank parses the same options and makes the same
 * checks; rank 0 then reads and writes the files while the others compute their parts of the draws. */
static int sim_rank(il_mpi *m, int argc, char **argv)
{
    static il_cmdopts o;
    static il_net net;
    const char *pos[1];
    size_t npos;
    il_cmdopts_init(&o, sim_opts, sizeof sim_opts / sizeof sim_opts[0], 1);
    int rc = il_opts_parse(CMD, o.defs, o.n, argc, argv, o.vals, pos, 0, &npos, "[options]",
                           "Draws D independent networks (weights from the chosen initializer), pushes B inputs "
                           "through each, and prints per layer the mean, the mean square q and their standard "
                           "errors (computed across networks), the within/between-network split of the variance, "
                           "off-diagonal covariances and fourth moments. Output is TSV (a '#' header with every "
                           "parameter, then one row per layer) or JSON. Exit status: 0 done, 1 runtime failure (nothing "
                           "written, except that with --plot the TSV is kept when only the figure failed), 2 bad command line (nothing written), 3 stopped early by a signal or --stop-after "
                           "(the finished draws were written, marked partial).");
    if (rc)
        return rc < 0 ? IL_EXIT_OK : rc;

    il_mc_cfg cfg;
    il_mc_cfg_default(&cfg);
    size_t threads, cov_limit;
    int fmt;
    int procs = omp_get_num_procs();
    const char *batch_text = il_cmdopts_get(&o, "batch");
    int batch_auto = batch_text && strcmp(batch_text, "auto") == 0;
    cfg.batch = BATCH_DEFAULT;
    if (batch_auto)
        cfg.batch = BATCH_AUTO_MAX; /* for the network's checks; the planner chooses below */
    else if (batch_text && il_parse_size(batch_text, 1, 10000000, &cfg.batch) != IL_OK)
        return il_usage_error(CMD, "--batch must be an integer in [1, 10000000] or 'auto', got '%s'", batch_text);
    if ((rc = il_cli_size(CMD, &o, "draws", 1, 1000000000, 1000, &cfg.draws)) ||
        (rc = il_cli_size(CMD, &o, "cov-limit", 1, 1024, IL_MC_COV_LIMIT_DEFAULT, &cov_limit)) ||
        (rc = il_cli_u64(CMD, &o, "seed", 1, &cfg.seed)) ||
        (rc = il_cli_size(CMD, &o, "threads", 1, 256, (size_t)(procs > 0 ? procs : 1), &threads)) ||
        (rc = il_cli_choice(CMD, &o, "format", formats, 0, &fmt)))
        return rc;
    if (il_cmdopts_get(&o, "matrices") && fmt != 1)
        return il_usage_error(CMD, "--matrices needs --format json");
    const char *plot_path = il_cmdopts_get(&o, "plot");
    if (plot_path) {
        char perr[512], *pbase = NULL;
        unsigned pfmt;
        const char *op = il_cmdopts_get(&o, "out");
        if (fmt != 0 || !op || strcmp(op, "-") == 0)
            return il_usage_error(CMD, "--plot needs --out FILE and --format tsv (the figure is drawn from that file)");
        if (il_plot_resolve_out(plot_path, 0, &pbase, &pfmt, perr, sizeof perr) != IL_OK)
            return il_usage_error(CMD, "--plot: %s", perr);
        free(pbase);
    }
    if (il_cmdopts_get(&o, "progress") && il_cmdopts_get(&o, "quiet"))
        return il_usage_error(CMD, "--progress and --quiet contradict each other");
    cfg.threads = (int)threads;
    cfg.cov_limit = cov_limit;
    cfg.fixed_net = il_cmdopts_get(&o, "fixed-net") != NULL;
    cfg.want_post = il_cmdopts_get(&o, "post") != NULL;
    cfg.float32 = il_cmdopts_get(&o, "float32") != NULL;
    cfg.exact = il_cmdopts_get(&o, "exact") != NULL;
    if (cfg.exact && cfg.fixed_net)
        return il_usage_error(CMD, "--exact and --fixed-net cannot be combined (the exact estimator averages over "
                              "inputs analytically, for independent networks)");
    if (cfg.exact && cfg.float32)
        return il_usage_error(CMD, "--exact and --float32 cannot be combined (the exact estimator is in double)");
    if (cfg.exact && batch_auto)
        return il_usage_error(CMD, "--batch auto and --exact cannot be combined (the exact estimator has no batch)");

    il_params ps = {.n = 0};
    il_params_add(&ps, "seed", 1, "%llu", (unsigned long long)cfg.seed);
    il_params_add(&ps, "draws", 1, "%zu", cfg.draws);
    size_t batch_param = ps.n;
    il_params_add(&ps, "batch", 1, "%zu", cfg.batch);
    il_params_add(&ps, "fixed_net", 1, "%d", cfg.fixed_net);
    il_net_init(&net);
    if ((rc = il_cli_net(CMD, &o, cfg.batch, &net, &ps))) {
        il_net_release(&net);
        return rc;
    }
    if (cfg.exact) {
        char err[256] = "";
        if (!il_mc_exact_supported(&net, err, sizeof err)) {
            il_net_release(&net);
            return il_usage_error(CMD, "--exact: %s", err);
        }
        il_params_add(&ps, "estimator", 0, "%s", "exact conditional (batch ignored: as if infinite)");
    }
    if (cfg.float32)
        il_params_add(&ps, "precision", 0, "%s", "float32 propagation, float64 accumulation");
    il_params_add(&ps, "cov_limit", 1, "%zu", cfg.cov_limit);
    il_params_add(&ps, "se", 0, "%s", cfg.fixed_net ? "across input batches of one network (conditional)"
                                                  : "across independent networks");
    cfg.net = &net;
    /* the pilot runs are timed: rank 0 chooses for every rank */
    if (batch_auto && (rc = il_mpi_share(m, m->rank == 0 ? plan_batch(&cfg, &ps, batch_param, &net) : 0,
                                         &cfg.batch))) {
        il_net_release(&net);
        return rc;
    }

    /* --compare: the theory and the claim are computed before the run, so that a network without
     * theory or a malformed claim is refused at once. */
    int compare = il_cmdopts_get(&o, "compare") != NULL;
    const char *claim_text = il_cmdopts_get(&o, "claim");
    il_verdict_opts vopts;
    il_verdict_opts_default(&vopts);
    double claim_q0;
    if ((rc = il_cli_double(CMD, &o, "alpha", 0.0, 0.5, 1, 1, IL_VERDICT_ALPHA, &vopts.alpha)) ||
        (rc = il_cli_double(CMD, &o, "rel-tol", 0.0, 1.0, 1, 1, IL_VERDICT_REL_TOL, &vopts.rel_tol)) ||
        (rc = il_cli_double(CMD, &o, "claim-q0", -1e300, 1e300, 0, 0, 1.0, &claim_q0))) {
        il_net_release(&net);
        return rc;
    }
    static const char *const compare_only[] = {"claim", "claim-q0", "alpha", "rel-tol"};
    for (size_t i = 0; i < sizeof compare_only / sizeof compare_only[0]; i++)
        if (!compare && il_cmdopts_get(&o, compare_only[i])) {
            il_net_release(&net);
            return il_usage_error(CMD, "--%s needs --compare", compare_only[i]);
        }
    if (compare && cfg.draws < 2) {
        il_net_release(&net);
        return il_usage_error(CMD, "--compare needs --draws >= 2 (standard errors come from independent draws)");
    }
    if (il_cmdopts_get(&o, "matrices") && compare) {
        il_net_release(&net);
        return il_usage_error(CMD, "--matrices and --compare cannot be combined (the comparison tests the matrix "
                              "entries itself)");
    }
    const size_t L = il_net_layers(&net);
    il_theory_layer *th = NULL;
    il_claim *claim = NULL;
    double *claim_values = NULL;
    if (compare) {
        char err[512] = "";
        th = calloc(L, sizeof *th);
        il_status tst = th ? il_theory_run(&net, th, NULL, err, sizeof err) : IL_ENOMEM;
        if (tst == IL_OK && claim_text) {
            claim = il_claim_alloc(claim_text, err, sizeof err);
            claim_values = malloc(L * sizeof *claim_values);
            if (!claim || !claim_values)
                tst = IL_EINVAL;
        }
        if (tst == IL_OK && claim) {
            size_t *widths = malloc((L + 1) * sizeof *widths);
            il_claim_ctx cctx = {widths, L, net_dropout_p(&net), claim_q0};
            if (!widths) {
                tst = IL_ENOMEM;
            } else {
                il_net_widths(&net, widths);
                tst = il_claim_eval(claim, &cctx, claim_values, err, sizeof err);
                free(widths);
            }
            if (tst == IL_ENUMERIC)
                tst = IL_EINVAL;
        }
        if (tst != IL_OK) {
            if (tst == IL_EUNSUPPORTED)
                rc = il_usage_error(CMD, "--compare: no theory for this network: %s", err);
            else if (claim_text && th && tst == IL_EINVAL)
                rc = il_usage_error(CMD, "--claim: %s", err);
            else
                rc = il_fail(CMD, "--compare: %s%s%s", il_strerror(tst), err[0] ? ": " : "", err);
            il_claim_free(claim);
            free(claim_values);
            free(th);
            il_net_release(&net);
            return rc;
        }
        il_params_add(&ps, "compare", 1, "1");
        il_params_add(&ps, "alpha", 1, "%.17g", vopts.alpha);
        il_params_add(&ps, "rel_tol", 1, "%.17g", vopts.rel_tol);
        if (claim_text) {
            il_params_add(&ps, "claim", 0, "%s", claim_text);
            il_params_add(&ps, "claim_q0", 1, "%.17g", claim_q0);
        }
    }

    /* From here on, a check may fail on one rank only (memory, files): every exit before the run goes
     * through il_mpi_prepare, which tells every rank whether all are ready. */
    int agreed = 0;
    size_t need = il_mc_memory(&cfg), have = il_machine_memory();
    if (need == SIZE_MAX || (have && need > have / 10 * 9)) {
        rc = il_usage_error(CMD, "the run needs about %.3g GiB of memory, more than this machine's %.3g GiB; reduce "
                              "--widths, --batch, --threads or --cov-limit", (double)need / 1073741824.0,
                              (double)have / 1073741824.0);
        goto early;
    }
    int show = il_cmdopts_get(&o, "progress") || (!il_cmdopts_get(&o, "quiet") && isatty(STDERR_FILENO));
    run_state rstate = {show, isatty(STDERR_FILENO), -1, il_cmdopts_get(&o, "checkpoint"), 60.0, 0.0, NULL, NULL, 0,
                        0, 0};
    size_t every;
    if ((rc = il_cli_size(CMD, &o, "checkpoint-every", 1, 86400, 60, &every)))
        goto early;
    if ((rc = il_cli_size(CMD, &o, "stop-after", 1, 1000000000, 0, &rstate.stop_after)))
        goto early;
    if (il_cmdopts_get(&o, "checkpoint-every") && !rstate.ckpt) {
        rc = il_usage_error(CMD, "--checkpoint-every needs --checkpoint FILE");
        goto early;
    }
    rstate.every = (double)every;
    /* The fingerprint: every parameter that affects the numbers (the header, without run notes). */
    char fingerprint[IL_MAX_PARAMS * 300];
    size_t fl = 0;
    for (size_t i = 0; i < ps.n && fl < sizeof fingerprint; i++)
        fl += (size_t)snprintf(fingerprint + fl, sizeof fingerprint - fl, "%s=%s;", ps.p[i].key, ps.p[i].value);
    rstate.fingerprint = fingerprint;
    cfg.progress = on_group;
    cfg.progress_ctx = &rstate;
    if (m->rank != 0) {
        /* another rank: its parts of the draws, no files */
        agreed = 1;
        if (!(rc = il_mpi_prepare(m, CMD, &cfg, 0))) {
            catch_signals();
            il_mpi_run(m, &cfg, NULL, &interrupted);
        }
        goto early;
    }

    il_mc_result res;
    il_outfile out;
    int committed = 0;
    il_status st = il_mc_result_init(&res, &cfg);
    if (st != IL_OK) {
        rc = il_fail(CMD, "%s", il_strerror(st));
        goto early;
    }
    rstate.res = &res;
    const char *resume = il_cmdopts_get(&o, "resume");
    if (resume) {
        char err[256] = "";
        FILE *rf = fopen(resume, "rb");
        if (!rf) {
            rc = il_fail(CMD, "cannot open --resume '%s': %s", resume, strerror(errno));
        } else {
            il_status lst = il_checkpoint_load(rf, &res, fingerprint, err, sizeof err);
            fclose(rf);
            if (lst != IL_OK)
                rc = il_usage_error(CMD, "--resume '%s': %s", resume, err[0] ? err : il_strerror(lst));
        }
        if (rc) {
            il_mc_result_release(&res);
            goto early;
        }
    }
    rstate.start = res.draws_done;
    if (rstate.ckpt) {
        if (save_checkpoint(rstate.ckpt, &res, fingerprint) != 0) {
            rc = il_fail(CMD, "cannot write --checkpoint '%s': %s", rstate.ckpt, strerror(errno));
            il_mc_result_release(&res);
            goto early;
        }
        rstate.last_save = now_seconds();
    }
    const char *path = il_cmdopts_get(&o, "out");
    if (il_outfile_open(&out, path) != 0) {
        rc = il_fail(CMD, "cannot create --out '%s': %s", path, strerror(errno));
        il_mc_result_release(&res);
        goto early;
    }
    agreed = 1;
    if ((rc = il_mpi_prepare(m, CMD, &cfg, 0)))
        goto done;
    cfg.stop = &interrupted;
    catch_signals();
    st = il_mpi_run(m, &cfg, &res, &interrupted);
    int partial = st == IL_EINTR;
    if (rstate.ckpt && (st == IL_OK || partial) && save_checkpoint(rstate.ckpt, &res, fingerprint) != 0)
        fprintf(stderr, "initlab sim: cannot write --checkpoint '%s': %s\n", rstate.ckpt, strerror(errno));
    if (partial) {
        if (show && rstate.tty)
            fputc('\n', stderr);
        if (res.draws_done < 1) {
            rc = il_fail(CMD, "interrupted before the first draw finished; nothing was written");
            goto done;
        }
        il_params_add(&ps, "partial", 0, "yes: stopped after %zu of %zu draws", res.draws_done, cfg.draws);
        st = IL_OK;
    }
    if (st == IL_ENUMERIC) {
        rc = il_fail(CMD, "non-finite value (overflow or NaN) at layer %zu in draw %zu; nothing was written "
                     "(reduce the gain or the depth)", res.bad_layer, res.bad_draw);
        goto done;
    }
    if (st != IL_OK) {
        rc = il_fail(CMD, "%s", il_strerror(st));
        goto done;
    }
    if (compare) {
        size_t R = il_compare_rows(&res);
        il_compare_row *rows = calloc(R, sizeof *rows);
        il_compare_summary sum;
        st = rows ? il_compare_run(&res, th, claim_values, &vopts, rows, &sum) : IL_ENOMEM;
        if (st == IL_OK)
            st = write_compare(out.f, fmt, &ps, rows, R, &sum);
        free(rows);
    } else if (fmt == 0) {
        st = il_moments_write_tsv(out.f, CMD, ps.p, ps.n, res.pre, res.post, res.layers);
    } else {
        json_t *j = il_moments_to_json(CMD, ps.p, ps.n, res.pre, res.post, res.layers,
                                       il_cmdopts_get(&o, "matrices") != NULL);
        st = j && json_dumpf(j, out.f, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) == 0 && fputc('\n', out.f) != EOF
                 ? IL_OK
                 : IL_EIO;
        json_decref(j);
    }
    if (st != IL_OK) {
        rc = il_fail(CMD, "writing the output failed: %s", il_strerror(st));
        goto done;
    }
    committed = 1;
    if (il_outfile_commit(&out) != 0)
        rc = il_fail(CMD, "writing '%s' failed: %s", path ? path : "standard output", strerror(errno));
    else if (partial) {
        if (interrupted < 0)
            fprintf(stderr, "initlab sim: stopped after %zu draws this run (--stop-after): wrote partial results of "
                    "%zu of %zu draws\n", res.draws_done - rstate.start, res.draws_done, cfg.draws);
        else
            fprintf(stderr, "initlab sim: interrupted by signal %d: wrote partial results of %zu of %zu draws\n",
                    (int)interrupted, res.draws_done, cfg.draws);
        rc = IL_EXIT_PARTIAL;
    }
    if (plot_path && rc != IL_EXIT_FAIL) {
        char perr[700] = "";
        il_status pst = il_plot_sim(path, plot_path, stderr, perr, sizeof perr);
        if (pst == IL_EUNSUPPORTED)
            rc = IL_EXIT_PARTIAL; /* the TSV is complete; the figure's script and data are written, and stderr
                                   * says how to render them */
        else if (pst != IL_OK)
            rc = il_fail(CMD, "--plot '%s': %s", plot_path, perr);
    }
done:
    if (!committed)
        il_outfile_abort(&out);
    il_mc_result_release(&res);
early:
    if (!agreed)
        rc = il_mpi_prepare(m, CMD, &cfg, rc);
    il_claim_free(claim);
    free(claim_values);
    free(th);
    il_net_release(&net);
    return rc;
}

int cmd_sim(int argc, char **argv)
{
    il_mpi m;
    il_mpi_init(&m, &argc, &argv);
    int rc = sim_rank(&m, argc, argv);
    return il_mpi_finalize(&m, rc);
}
