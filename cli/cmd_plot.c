/* cmd_plot.c: `initlab plot KIND`: figures with gnuplot from the files initlab writes (plots/plot.h,
 * docs/plots.md). The distribution figure runs the engine itself for one unit's samples; the covariance
 * figure asks the theory for the value it expects. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "mc.h"
#include "netopts.h"
#include "parse.h"
#include "plot.h"
#include "theory.h"

static const char *const CMD = "plot";

#define MAX_SAMPLES 10000000 /* draws x batch of the distribution figure */

static const char *const kinds[] = {"variance", "fluctuations", "commute", "distribution", "covariance", NULL};
enum { K_VARIANCE, K_FLUCT, K_COMMUTE, K_DIST, K_COV };

static const il_optdef plot_opts[] = {
    {"in", "FILE[=LABEL]",
     "input file, written by initlab: variance: TSVs of 'sim', 'sim --compare' or 'theory' (up to 12, each --in "
     "one colour; LABEL names it in the legend, by default the parameters in which the inputs differ); "
     "fluctuations: 'sim' TSVs (up to 12); commute: one 'commute' TSV; covariance: one 'sim --format json "
     "--matrices' file; distribution: optionally one 'sim' TSV whose header gives the network, draws, batch and "
     "seed (instead of the network options). The label starts after the first '=' that follows an existing file"},
    {"out", "FILE", "the figure: FILE.png (pngcairo) or FILE.svg; with --format, FILE may have no extension"},
    {"format", "FMT", "png, svg or png,svg: the formats to write (default: from the extension of --out)"},
    {"theory", "FILE", "variance: an 'initlab theory' TSV drawn as the theory line of every 'sim' input with the "
     "same network parameters; may be repeated"},
    {"point", "POINT", "pre (the linear outputs y_l) or post (the layer outputs; the inputs need rows with "
     "point=post, e.g. sim --post) (default pre)"},
    {"relative", NULL, "fluctuations: Var(M_l) / q_l^2 instead of Var(M_l)"},
    {"value", "V", "commute: the pathwise discrepancy shown: frac_differ (share of inputs where the two orders "
     "differ), max_rel_diff or max_diff (default frac_differ)"},
    {"layer", "L", "distribution, covariance: the layer (1-based; default: the last layer for distribution, 1 for "
     "covariance)"},
    {"unit", "I", "distribution: the unit of the layer, 1-based (default 1)"},
    {"draws", "D", "distribution: independent networks, in [2, 10^6] (default 1000, or the --in run's)"},
    {"batch", "B", "distribution: inputs per network, in [2, 10^6], draws x batch at most 10^7 (default 64, or the "
     "--in run's)"},
    {"seed", "S", "distribution: seed; network d uses the same stream as draw d of 'initlab sim' (default 1, or the "
     "--in run's)"},
    {"bins", "K", "distribution: histogram bins, in [5, 1000] (default: Freedman-Diaconis, within [10, 60])"},
    {"logy", NULL, "distribution: log density axis (shows the tails)"},
    {"title", "TEXT", "the figure's title (default: one per kind)"},
    {"size", "W,H", "the figure's size in pixels (SVG: points), each in [300, 6000] (default: one per kind)"},
    {"keep", NULL, "also keep FILE.gp (renders the figure: gnuplot FILE.gp), FILE.vars.gp and the derived data "
     "FILE.NAME.tsv next to the figure"},
    {"scripts", "DIR", "the directory of initlab's gnuplot scripts (default: plots/ next to the directory of the "
     "initlab executable, or PREFIX/share/initlab/plots)"},
    {"gnuplot", "PROG", "the gnuplot program (default gnuplot, searched on PATH)"},
};

/* Which of the command's own options each kind takes (network options: distribution only). */
static int option_applies(const char *name, int kind)
{
    static const struct {
        const char *name;
        unsigned kinds; /* bit k: kind k */
    } only[] = {
        {"theory", 1u << K_VARIANCE},
        {"point", (1u << K_VARIANCE) | (1u << K_FLUCT) | (1u << K_DIST) | (1u << K_COV)},
        {"relative", 1u << K_FLUCT},
        {"value", 1u << K_COMMUTE},
        {"layer", (1u << K_DIST) | (1u << K_COV)},
        {"unit", 1u << K_DIST},
        {"draws", 1u << K_DIST},
        {"batch", 1u << K_DIST},
        {"seed", 1u << K_DIST},
        {"bins", 1u << K_DIST},
        {"logy", 1u << K_DIST},
    };
    for (size_t i = 0; i < sizeof only / sizeof only[0]; i++)
        if (strcmp(only[i].name, name) == 0)
            return (only[i].kinds >> kind) & 1u;
    for (size_t i = 0; i < il_net_n_optdefs; i++)
        if (strcmp(il_net_optdefs[i].name, name) == 0)
            return kind == K_DIST;
    return 1;
}

static const char *kind_list(void)
{
    return "variance, fluctuations, commute, distribution, covariance";
}

/* --in FILE[=LABEL]: the label starts after the first '=' whose prefix names an existing file. */
static void split_input(char *arg, il_plot_input *in)
{
    in->path = arg;
    in->label = NULL;
    if (access(arg, F_OK) == 0)
        return;
    char *first = strchr(arg, '=');
    for (char *eq = first; eq; eq = strchr(eq + 1, '=')) {
        *eq = '\0';
        int exists = access(arg, F_OK) == 0;
        if (exists) {
            in->label = eq + 1;
            return;
        }
        *eq = '=';
    }
    if (first) {
        /* no prefix exists: report the part before the first '=' as the file */
        *first = '\0';
        in->label = first + 1;
    }
}

/* The header parameters of a run, as network options: a run is rebuilt from what it recorded. */
static int net_from_params(const char *const *keys, const char *const *vals, size_t n, size_t batch, il_net *net,
                           il_params *ps)
{
    static il_cmdopts no;
    static const struct {
        const char *key, *opt;
        int flag; /* 0: the value; 1: the flag when the value is "1"; 2: when "0"; 3: when "eval" */
    } map[] = {
        {"widths", "widths", 0},       {"act", "act", 0},           {"last_act", "last-act", 1},
        {"bias", "no-bias", 2},        {"dropout", "dropout", 0},   {"dropout_at", "dropout-at", 0},
        {"residual", "residual", 1},   {"batchnorm", "batchnorm", 1}, {"arch", "arch", 0},
        {"dropout_mode", "dropout-mode", 0}, {"init", "init", 0},   {"bias_init", "bias-init", 0},
        {"mode", "eval", 3},           {"input", "input", 0},       {"input_var", "input-var", 0},
    };
    il_cmdopts_init(&no, NULL, 0, 1);
    for (size_t m = 0; m < sizeof map / sizeof map[0]; m++) {
        const char *v = NULL;
        for (size_t i = 0; i < n; i++)
            if (strcmp(keys[i], map[m].key) == 0)
                v = vals[i];
        if (!v)
            continue;
        if ((map[m].flag == 1 && strcmp(v, "1") != 0) || (map[m].flag == 2 && strcmp(v, "0") != 0) ||
            (map[m].flag == 3 && strcmp(v, "eval") != 0))
            continue;
        size_t k = il_opt_index(no.defs, no.n, map[m].opt);
        if (k >= no.n)
            return il_fail(CMD, "internal error: no network option --%s", map[m].opt);
        no.vals[k].value = map[m].flag ? "1" : v;
        no.vals[k].set = 1;
    }
    return il_cli_net(CMD, &no, batch, net, ps);
}

/* Maps a figure function's status to the exit status, printing the one-line reason. */
static int plot_status(il_status st, const char *err)
{
    switch (st) {
    case IL_OK: return IL_EXIT_OK;
    case IL_EUNSUPPORTED: return IL_EXIT_PARTIAL; /* the script and the data were written; msg said how */
    case IL_EINVAL: return il_usage_error(CMD, "%s", err);
    default: return il_fail(CMD, "%s", err[0] ? err : il_strerror(st));
    }
}

/* Collects one unit's values at one layer during the forward pass. */
typedef struct {
    size_t layer, unit;
    int post;
    double *dst; /* batch values */
    int seen;
} unit_visit;

static void visit_unit(void *ctx, size_t layer, int post, const double *y, size_t batch, size_t width)
{
    unit_visit *u = ctx;
    if (layer != u->layer || post != u->post || u->unit > width)
        return;
    for (size_t b = 0; b < batch; b++)
        u->dst[b] = y[b * width + (u->unit - 1)];
    u->seen = 1;
}

static int cmd_distribution(const il_cmdopts *o, const il_plot_input *in, size_t n_in, const char *out,
                            const il_plot_opts *po)
{
    static il_net net;
    il_params ps = {.n = 0};
    size_t draws = 1000, batch = 64, layer = 0, unit = 1, bins = 0;
    uint64_t seed = 1;
    il_plot_table t;
    int have_t = 0, rc = 0;
    if (n_in > 1)
        return il_usage_error(CMD, "distribution takes at most one --in (a sim TSV that names the network)");
    if (n_in == 1) {
        for (size_t i = 0; i < il_net_n_optdefs; i++)
            if (il_cmdopts_get(o, il_net_optdefs[i].name))
                return il_usage_error(CMD, "--in '%s' already gives the network; drop --%s", in[0].path,
                                      il_net_optdefs[i].name);
        char err[512] = "";
        il_status st = il_plot_table_read(&t, in[0].path, err, sizeof err);
        if (st != IL_OK)
            return plot_status(st, err);
        have_t = 1;
        if (strcmp(t.command, "sim") != 0 && strcmp(t.command, "sim --compare") != 0) {
            rc = il_usage_error(CMD, "--in '%s' is the output of 'initlab %s'; distribution takes an 'initlab sim' TSV "
                                "(or the network options)", in[0].path, t.command);
            goto done;
        }
        const char *fx = il_plot_table_param(&t, "fixed_net");
        if (fx && strcmp(fx, "1") == 0) {
            rc = il_usage_error(CMD, "--in '%s' is a --fixed-net run: one network has no between-network spread",
                                in[0].path);
            goto done;
        }
        const char *v;
        if ((v = il_plot_table_param(&t, "draws")) && il_parse_size(v, 2, 1000000, &draws) != IL_OK)
            draws = 1000;
        if ((v = il_plot_table_param(&t, "batch")) && il_parse_size(v, 2, 1000000, &batch) != IL_OK)
            batch = 64;
        if ((v = il_plot_table_param(&t, "seed")) && il_parse_u64(v, &seed) != IL_OK)
            seed = 1;
    }
    if ((rc = il_cli_size(CMD, o, "draws", 2, 1000000, draws, &draws)) ||
        (rc = il_cli_size(CMD, o, "batch", 2, 1000000, batch, &batch)) ||
        (rc = il_cli_u64(CMD, o, "seed", seed, &seed)) || (rc = il_cli_size(CMD, o, "unit", 1, 1u << 31, 1, &unit)) ||
        (rc = il_cli_size(CMD, o, "layer", 1, 1u << 20, 0, &layer)) ||
        (rc = il_cli_size(CMD, o, "bins", 5, 1000, 0, &bins)))
        goto done;
    if (draws * batch > MAX_SAMPLES) {
        rc = il_usage_error(CMD, "--draws x --batch must be at most %d, got %zu x %zu", MAX_SAMPLES, draws, batch);
        goto done;
    }
    il_net_init(&net);
    if (have_t)
        rc = net_from_params((const char *const *)t.keys, (const char *const *)t.values, t.n_params, batch, &net, &ps);
    else
        rc = il_cli_net(CMD, o, batch, &net, &ps);
    if (rc)
        goto release;
    size_t L = il_net_layers(&net);
    size_t *widths = malloc((L + 1) * sizeof *widths);
    if (!widths) {
        rc = il_fail(CMD, "out of memory");
        goto release;
    }
    il_net_widths(&net, widths);
    if (!layer)
        layer = L;
    if (layer > L) {
        rc = il_usage_error(CMD, "--layer must be in [1, %zu] (the network's layers), got %zu", L, layer);
    } else if (unit > widths[layer]) {
        rc = il_usage_error(CMD, "--unit must be in [1, %zu] (the width of layer %zu), got %zu", widths[layer], layer,
                            unit);
    }
    free(widths);
    if (rc)
        goto release;
    const char *point = il_cmdopts_get(o, "point") ? il_cmdopts_get(o, "point") : "pre";
    int post = strcmp(point, "post") == 0;

    /* the samples: network d is draw d of `initlab sim` with the same seed (weights, then inputs and masks) */
    double *y = malloc(draws * batch * sizeof *y);
    il_net_ws *ws = il_net_ws_alloc(&net, batch);
    il_status st = y && ws ? IL_OK : IL_ENOMEM;
    for (size_t d = 0; d < draws && st == IL_OK; d++) {
        il_rng r;
        il_rng_seed_draw(&r, seed, (uint64_t)d);
        unit_visit u = {layer, unit, post, y + d * batch, 0};
        size_t bad = 0;
        st = il_net_draw_weights(&net, ws, &r);
        if (st == IL_OK)
            st = il_net_forward(&net, ws, &r, post, visit_unit, &u, &bad);
        if (st == IL_ENUMERIC) {
            rc = il_fail(CMD, "non-finite value at layer %zu in network %zu (reduce the gain or the depth)", bad, d);
            break;
        }
        if (st == IL_OK && !u.seen)
            st = IL_EINVAL;
    }
    il_net_ws_free(ws);
    if (!rc && st != IL_OK)
        rc = il_fail(CMD, "running the network failed: %s", il_strerror(st));
    /* the theory of that unit: units of a linear output are exchangeable, so E[y_i^2] = q (docs/theory.md) */
    double tq = NAN, tm = NAN;
    const char *method = NULL;
    if (!rc) {
        il_theory_layer *th = calloc(L, sizeof *th);
        char terr[256];
        if (th && il_theory_run(&net, th, NULL, terr, sizeof terr) == IL_OK) {
            const il_theory_point *tp = post ? &th[layer - 1].post : &th[layer - 1].pre;
            tq = tp->q;
            tm = tp->mean;
            method = il_theory_method_name(tp->q_method);
        }
        free(th);
    }
    if (!rc) {
        il_params_add(&ps, "seed", 1, "%llu", (unsigned long long)seed);
        const char *keys[IL_MAX_PARAMS], *vals[IL_MAX_PARAMS];
        for (size_t i = 0; i < ps.n; i++) {
            keys[i] = ps.p[i].key;
            vals[i] = ps.p[i].value;
        }
        il_plot_dist dd = {y, draws, batch, layer, unit, point, tm, tq, method, keys, vals, ps.n, bins,
                           il_cmdopts_get(o, "logy") != NULL};
        char err[700] = "";
        rc = plot_status(il_plot_distribution(&dd, out, po, stderr, err, sizeof err), err);
    }
    free(y);
release:
    il_net_release(&net);
done:
    if (have_t)
        il_plot_table_release(&t);
    return rc;
}

/* The theory's covariance of one layer of a JSON run, as a subtitle line ("" if the file has no
 * parameters, "theory: none ..." if the theory does not cover the network). Returns 0, or the exit
 * status after a message when the recorded parameters do not rebuild a network (a hand-edited file). */
static int covariance_note(const char *path, size_t layer, int post, char *note, size_t n)
{
    static il_net net;
    note[0] = '\0';
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    const json_t *p = root ? json_object_get(root, "params") : NULL;
    if (!json_is_object(p)) {
        json_decref(root);
        return 0; /* il_plot_covariance says what is wrong with the file */
    }
    size_t np = 0, cap = json_object_size(p);
    const char **keys = calloc(cap + 1, sizeof *keys);
    char **vals = calloc(cap + 1, sizeof *vals);
    const char *k;
    json_t *v;
    int rc = keys && vals ? 0 : il_fail(CMD, "out of memory");
    json_object_foreach((json_t *)p, k, v)
    {
        if (rc || !(vals[np] = malloc(300))) {
            rc = rc ? rc : il_fail(CMD, "out of memory");
            break;
        }
        keys[np] = k;
        if (json_is_string(v))
            snprintf(vals[np], 300, "%s", json_string_value(v));
        else if (json_is_integer(v))
            snprintf(vals[np], 300, "%lld", (long long)json_integer_value(v));
        else if (json_is_real(v))
            snprintf(vals[np], 300, "%.17g", json_real_value(v));
        else
            snprintf(vals[np], 300, "NaN");
        np++;
    }
    il_params ps = {.n = 0};
    il_net_init(&net);
    if (!rc)
        rc = net_from_params(keys, (const char *const *)vals, np, 2, &net, &ps);
    size_t L = rc ? 0 : il_net_layers(&net);
    il_theory_layer *th = L ? calloc(L, sizeof *th) : NULL;
    char terr[256];
    if (th && layer <= L && il_theory_run(&net, th, NULL, terr, sizeof terr) == IL_OK) {
        const il_theory_point *tp = post ? &th[layer - 1].post : &th[layer - 1].pre;
        double var = tp->q - tp->mean * tp->mean;
        snprintf(note, n, "theory: diagonal q − mean² = %.4g (%s), off-diagonal %.4g (%s)", var,
                 il_theory_method_name(tp->q_method), tp->offdiag, il_theory_method_name(tp->offdiag_method));
    } else if (!rc && layer <= L) {
        snprintf(note, n, "theory: none for this network");
    }
    free(th);
    il_net_release(&net);
    for (size_t i = 0; vals && i < np; i++)
        free(vals[i]);
    free(keys);
    free(vals);
    json_decref(root);
    return rc;
}

int cmd_plot(int argc, char **argv)
{
    static il_cmdopts o;
    static char *args[4096];
    static il_plot_input ins[IL_PLOT_MAX_INPUTS + 1];
    static const char *theories[IL_PLOT_MAX_INPUTS + 1];
    size_t n_in = 0, n_th = 0;
    il_cmdopts_init(&o, plot_opts, sizeof plot_opts / sizeof plot_opts[0], 1);
    if (argc > 4096)
        return il_usage_error(CMD, "too many arguments");
    /* --in and --theory may be repeated: take them out before the strict parse (which refuses repeats),
     * stepping over the values of the other options so that a value is never mistaken for an option */
    int nargs = 0, only_pos = 0;
    args[nargs++] = argv[0];
    for (int a = 1; a < argc; a++) {
        char *arg = argv[a];
        if (only_pos || strcmp(arg, "--") == 0) {
            only_pos = 1;
            args[nargs++] = arg;
            continue;
        }
        int is_in = strcmp(arg, "--in") == 0 || strncmp(arg, "--in=", 5) == 0;
        int is_th = strcmp(arg, "--theory") == 0 || strncmp(arg, "--theory=", 9) == 0;
        if (is_in || is_th) {
            char *v = strchr(arg, '=');
            if (v)
                v++;
            else if (a + 1 < argc)
                v = argv[++a];
            else
                return il_usage_error(CMD, "%s needs a value (%s)", arg, is_in ? "FILE[=LABEL]" : "FILE");
            if ((is_in ? n_in : n_th) >= IL_PLOT_MAX_INPUTS)
                return il_usage_error(CMD, "at most %d %s files", IL_PLOT_MAX_INPUTS, is_in ? "--in" : "--theory");
            if (!*v)
                return il_usage_error(CMD, "%s needs a file name, got ''", is_in ? "--in" : "--theory");
            if (is_in)
                split_input(v, &ins[n_in++]);
            else
                theories[n_th++] = v;
            continue;
        }
        args[nargs++] = arg;
        if (strncmp(arg, "--", 2) == 0 && !strchr(arg, '=')) {
            size_t i = il_opt_index(o.defs, o.n, arg + 2);
            if (i < o.n && o.defs[i].metavar && a + 1 < argc)
                args[nargs++] = argv[++a];
        }
    }
    const char *pos[1];
    size_t npos;
    int rc = il_opts_parse(CMD, o.defs, o.n, nargs, args, o.vals, pos, 1, &npos, "KIND [options] --in FILE --out FILE",
                           "Draws a figure with gnuplot from the files initlab writes, as PNG (pngcairo) and/or SVG, "
                           "with title, axis labels, legend and the run's parameters in a subtitle. KIND: variance "
                           "(per-layer q against depth, log scale: Monte Carlo with +-2 SE bars, theory lines, claims "
                           "dashed; several runs on one figure), fluctuations (between-network variance of each "
                           "layer's mean square), commute (activation x p heat map of the pathwise discrepancy, with "
                           "verdicts), distribution (histogram of one unit's output against the Gaussian with the "
                           "theory's variance, and the spread between networks; runs the engine with the network "
                           "options below or those of an --in run), covariance (heat map of one layer's covariance "
                           "matrix). The figure is written whole or not at all. Without gnuplot, FILE.gp and the data "
                           "are written instead, with the command that renders them. Exit status: 0 done, 1 runtime "
                           "failure (gnuplot failed or warned, unreadable input), 2 bad command line or input of the "
                           "wrong kind, 3 gnuplot not found (script and data written). Details: docs/plots.md.");
    if (rc)
        return rc < 0 ? IL_EXIT_OK : rc;
    if (npos == 0)
        return il_usage_error(CMD, "no figure kind given; kinds are %s (see 'initlab plot --help')", kind_list());
    int kind = -1;
    for (int k = 0; kinds[k]; k++)
        if (strcmp(pos[0], kinds[k]) == 0)
            kind = k;
    if (kind < 0)
        return il_usage_error(CMD, "unknown figure kind '%s'; kinds are %s", pos[0], kind_list());
    for (size_t i = 0; i < o.n; i++)
        if (o.vals[i].set && !option_applies(o.defs[i].name, kind))
            return il_usage_error(CMD, "--%s does not apply to 'plot %s' (see 'initlab plot --help')", o.defs[i].name,
                                  kinds[kind]);
    if (n_th && kind != K_VARIANCE)
        return il_usage_error(CMD, "--theory does not apply to 'plot %s' (see 'initlab plot --help')", kinds[kind]);
    const char *out = il_cmdopts_get(&o, "out");
    if (!out)
        return il_usage_error(CMD, "%s needs --out FILE (.png or .svg)", kinds[kind]);
    if (n_in == 0 && kind != K_DIST)
        return il_usage_error(CMD, "%s needs --in FILE", kinds[kind]);
    if (n_in > 1 && (kind == K_COMMUTE || kind == K_COV))
        return il_usage_error(CMD, "%s takes one --in, got %zu", kinds[kind], n_in);
    for (size_t i = 0; i < n_in; i++)
        if (ins[i].label && !*ins[i].label)
            return il_usage_error(CMD, "--in '%s=': the label after '=' is empty", ins[i].path);

    il_plot_opts po;
    il_plot_opts_default(&po);
    const char *fmt = il_cmdopts_get(&o, "format");
    if (fmt && il_plot_parse_formats(fmt, &po.formats) != IL_OK)
        return il_usage_error(CMD, "--format must be png, svg or png,svg, got '%s'", fmt);
    const char *size = il_cmdopts_get(&o, "size");
    if (size) {
        size_t wh[3], nwh = 0;
        char perr[128];
        if (il_parse_size_list(size, 300, 6000, wh, 2, &nwh, perr, sizeof perr) != IL_OK || nwh != 2)
            return il_usage_error(CMD, "--size must be W,H with each in [300, 6000], got '%s'", size);
        po.width = (int)wh[0];
        po.height = (int)wh[1];
    }
    po.title = il_cmdopts_get(&o, "title");
    if (po.title && strlen(po.title) > 300)
        return il_usage_error(CMD, "--title must be at most 300 characters");
    po.keep = il_cmdopts_get(&o, "keep") != NULL;
    po.scripts = il_cmdopts_get(&o, "scripts");
    po.gnuplot = il_cmdopts_get(&o, "gnuplot");
    if (po.gnuplot && !*po.gnuplot)
        return il_usage_error(CMD, "--gnuplot needs a program name, got ''");
    static const char *const points[] = {"pre", "post", NULL};
    int pt;
    if ((rc = il_cli_choice(CMD, &o, "point", points, 0, &pt)))
        return rc;
    const char *point = points[pt];
    static const char *const values[] = {"frac_differ", "max_rel_diff", "max_diff", NULL};
    int vi;
    if ((rc = il_cli_choice(CMD, &o, "value", values, 0, &vi)))
        return rc;
    {
        /* refuse a bad --out before any work */
        char *base = NULL;
        unsigned fm;
        char err[512];
        il_status st = il_plot_resolve_out(out, po.formats, &base, &fm, err, sizeof err);
        free(base);
        if (st != IL_OK)
            return il_usage_error(CMD, "--out: %s", err);
    }

    char err[700] = "";
    il_status st;
    switch (kind) {
    case K_VARIANCE:
        st = il_plot_variance(ins, n_in, theories, n_th, point, out, &po, stderr, err, sizeof err);
        return plot_status(st, err);
    case K_FLUCT:
        st = il_plot_fluctuations(ins, n_in, point, il_cmdopts_get(&o, "relative") != NULL, out, &po, stderr, err,
                                  sizeof err);
        return plot_status(st, err);
    case K_COMMUTE:
        st = il_plot_commute(ins[0].path, values[vi], out, &po, stderr, err, sizeof err);
        return plot_status(st, err);
    case K_COV: {
        size_t layer;
        if ((rc = il_cli_size(CMD, &o, "layer", 1, 1u << 20, 1, &layer)))
            return rc;
        char note[300];
        if ((rc = covariance_note(ins[0].path, layer, pt == 1, note, sizeof note)))
            return rc;
        st = il_plot_covariance(ins[0].path, layer, point, note, out, &po, stderr, err, sizeof err);
        return plot_status(st, err);
    }
    default:
        return cmd_distribution(&o, ins, n_in, out, &po);
    }
}
