/* cmd_sim.c: `initlab sim`: Monte Carlo per-layer moments. */
#include <jansson.h>
#include <omp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "commands.h"
#include "mc.h"
#include "netopts.h"

static const char *const CMD = "sim";

static const il_optdef sim_opts[] = {
    {"draws", "D", "independent networks (weight draws), in [1, 10^9] (default 1000)"},
    {"batch", "B", "inputs pushed through each network, in [1, 10^7] (default 64)"},
    {"fixed-net", NULL, "draw one network and reuse it for every draw (D batches of inputs through the same "
     "weights; standard errors are then conditional on that network)"},
    {"post", NULL, "also report each layer's output (after activation, dropout, residual) as rows with point=post"},
    {"cov-limit", "N", "keep the full covariance matrix for widths up to N, in [1, 1024]; wider layers keep the "
     "diagonal and off-diagonal summaries (default 64)"},
    {"seed", "S", "seed of the generator, in [0, 2^64-1]; draw i uses stream i (default 1)"},
    {"threads", "T", "worker threads, in [1, 256]; the output does not depend on it (default: all processors)"},
    {"format", "FMT", "tsv or json (default tsv)"},
    {"matrices", NULL, "with --format json, include each layer's unit means and covariance matrix with SEs"},
    {"out", "FILE", "write to FILE (written whole or not at all) instead of standard output"},
    {"checkpoint", "FILE", "save the run's state to FILE every --checkpoint-every seconds, when interrupted, and at "
     "the end (written whole or not at all)"},
    {"checkpoint-every", "SECONDS", "seconds between checkpoints, in [1, 86400] (default 60)"},
    {"resume", "FILE", "continue the run saved in FILE (a --checkpoint file from a run with exactly the same "
     "options; the output is then bit-identical to an uninterrupted run)"},
    {"stop-after", "N", "stop after at least N more draws (at the end of a group of draws), as if interrupted: "
     "with --checkpoint, a long run can be done in chunks, each continued with --resume"},
    {"progress", NULL, "show progress on standard error even when it is not a terminal"},
    {"quiet", NULL, "no progress on standard error"},
};

static const char *const formats[] = {"tsv", "json", NULL};

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

int cmd_sim(int argc, char **argv)
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
                           "written), 2 bad command line (nothing written), 3 stopped early by a signal or --stop-after "
                           "(the finished draws were written, marked partial).");
    if (rc)
        return rc < 0 ? IL_EXIT_OK : rc;

    il_mc_cfg cfg;
    il_mc_cfg_default(&cfg);
    size_t threads, cov_limit;
    int fmt;
    int procs = omp_get_num_procs();
    if ((rc = il_cli_size(CMD, &o, "draws", 1, 1000000000, 1000, &cfg.draws)) ||
        (rc = il_cli_size(CMD, &o, "batch", 1, 10000000, 64, &cfg.batch)) ||
        (rc = il_cli_size(CMD, &o, "cov-limit", 1, 1024, IL_MC_COV_LIMIT_DEFAULT, &cov_limit)) ||
        (rc = il_cli_u64(CMD, &o, "seed", 1, &cfg.seed)) ||
        (rc = il_cli_size(CMD, &o, "threads", 1, 256, (size_t)(procs > 0 ? procs : 1), &threads)) ||
        (rc = il_cli_choice(CMD, &o, "format", formats, 0, &fmt)))
        return rc;
    if (il_cmdopts_get(&o, "matrices") && fmt != 1)
        return il_usage_error(CMD, "--matrices needs --format json");
    if (il_cmdopts_get(&o, "progress") && il_cmdopts_get(&o, "quiet"))
        return il_usage_error(CMD, "--progress and --quiet contradict each other");
    cfg.threads = (int)threads;
    cfg.cov_limit = cov_limit;
    cfg.fixed_net = il_cmdopts_get(&o, "fixed-net") != NULL;
    cfg.want_post = il_cmdopts_get(&o, "post") != NULL;

    il_params ps = {.n = 0};
    il_params_add(&ps, "seed", 1, "%llu", (unsigned long long)cfg.seed);
    il_params_add(&ps, "draws", 1, "%zu", cfg.draws);
    il_params_add(&ps, "batch", 1, "%zu", cfg.batch);
    il_params_add(&ps, "fixed_net", 1, "%d", cfg.fixed_net);
    il_net_init(&net);
    if ((rc = il_cli_net(CMD, &o, cfg.batch, &net, &ps))) {
        il_net_release(&net);
        return rc;
    }
    il_params_add(&ps, "cov_limit", 1, "%zu", cfg.cov_limit);
    il_params_add(&ps, "se", 0, "%s", cfg.fixed_net ? "across input batches of one network (conditional)"
                                                  : "across independent networks");
    cfg.net = &net;

    size_t need = il_mc_memory(&cfg), have = il_machine_memory();
    if (need == SIZE_MAX || (have && need > have / 10 * 9)) {
        il_net_release(&net);
        return il_usage_error(CMD, "the run needs about %.3g GiB of memory, more than this machine's %.3g GiB; reduce "
                              "--widths, --batch, --threads or --cov-limit", (double)need / 1073741824.0,
                              (double)have / 1073741824.0);
    }
    int show = il_cmdopts_get(&o, "progress") || (!il_cmdopts_get(&o, "quiet") && isatty(STDERR_FILENO));
    run_state rstate = {show, isatty(STDERR_FILENO), -1, il_cmdopts_get(&o, "checkpoint"), 60.0, 0.0, NULL, NULL, 0,
                        0, 0};
    size_t every;
    if ((rc = il_cli_size(CMD, &o, "checkpoint-every", 1, 86400, 60, &every))) {
        il_net_release(&net);
        return rc;
    }
    if ((rc = il_cli_size(CMD, &o, "stop-after", 1, 1000000000, 0, &rstate.stop_after))) {
        il_net_release(&net);
        return rc;
    }
    if (il_cmdopts_get(&o, "checkpoint-every") && !rstate.ckpt) {
        il_net_release(&net);
        return il_usage_error(CMD, "--checkpoint-every needs --checkpoint FILE");
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

    il_mc_result res;
    il_outfile out;
    int committed = 0;
    il_status st = il_mc_result_init(&res, &cfg);
    if (st != IL_OK) {
        il_net_release(&net);
        return il_fail(CMD, "%s", il_strerror(st));
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
            il_net_release(&net);
            return rc;
        }
    }
    rstate.start = res.draws_done;
    if (rstate.ckpt) {
        if (save_checkpoint(rstate.ckpt, &res, fingerprint) != 0) {
            rc = il_fail(CMD, "cannot write --checkpoint '%s': %s", rstate.ckpt, strerror(errno));
            il_mc_result_release(&res);
            il_net_release(&net);
            return rc;
        }
        rstate.last_save = now_seconds();
    }
    const char *path = il_cmdopts_get(&o, "out");
    if (il_outfile_open(&out, path) != 0) {
        rc = il_fail(CMD, "cannot create --out '%s': %s", path, strerror(errno));
        il_mc_result_release(&res);
        il_net_release(&net);
        return rc;
    }
    cfg.stop = &interrupted;
    catch_signals();
    st = il_mc_run(&cfg, &res);
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
    if (fmt == 0) {
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
done:
    if (!committed)
        il_outfile_abort(&out);
    il_mc_result_release(&res);
    il_net_release(&net);
    return rc;
}
