/* cmd_commute.c: `initlab commute`: does dropout commute with an activation? (analysis/commute.h) */
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "commute.h"
#include "netopts.h"
#include "parse.h"

static const char *const CMD = "commute";

#define MAX_ACTS 64
#define MAX_PS 1000
#define MAX_ROWS 20000
#define DEFAULT_P "0.1,0.3,0.5,0.8"
#define DEFAULT_WIDTHS "16,16,1"
#define DEFAULT_INIT "kaiming_normal:nonlinearity=relu"

static const il_optdef commute_opts[] = {
    {"act", "NAME[,NAME...]",
     "activations to test, each with its parameters as in sim --act (leaky_relu:0.2, elu:0.5, hardtanh:-2:2), "
     "or 'all': every activation of the engine with its default parameters (may be combined with others) "
     "(default all)"},
    {"p", "P[,P...]|LO:HI:STEP",
     "drop probabilities, each in [0, 1]: a list, or a grid from LO to HI (inclusive) in steps of STEP; p = 1 only "
     "with classic dropout (default " DEFAULT_P ")"},
    {"kind", "KIND[,KIND]", "dropout kinds: inverted (kept units x 1/(1-p), as nn.Dropout), classic (no scaling "
     "in training, x(1-p) at test time) (default inverted,classic)"},
    {"samples", "N", "inputs per pool, in [100, 10^8]: the pathwise level uses pool A, the distribution level "
     "compares pool A (dropout first) with an independent pool B (activation first) (default 200000)"},
    {"seed", "S", "seed of the generator, in [0, 2^64-1] (default 1)"},
    {"widths", "N0,...,NL", "the random stack that produces the inputs: each input is unit 1 of the last linear "
     "layer of an independently drawn network with these widths (default " DEFAULT_WIDTHS ")"},
    {"stack-act", "NAME[:P]", "activation between the stack's linear layers; not the activation under test "
     "(default relu)"},
    {"init", "NAME[:K=V,...]", "weight initializer of the stack, as in sim --init; the default keeps the inputs at "
     "unit scale, where activations are nonlinear (default " DEFAULT_INIT ")"},
    {"bias-init", "NAME[:K=V]", "bias initializer of the stack, as in sim --bias-init (default torch)"},
    {"no-bias", NULL, "stack without biases"},
    {"input", "KIND", "input distribution of the stack: normal, uniform, rademacher (default normal)"},
    {"input-var", "V[,V...]", "per-coordinate input variances of the stack, each > 0: one value or N0 values "
     "(default 1)"},
    {"alpha", "A", "family-wise level of the run, in (0, 0.5): the distribution tests split it between the z-tests "
     "and the KS tests (default 0.001)"},
    {"tol", "T", "equivalence margin, in (0, 1]: 'same' in distribution needs the KS distance between the two "
     "laws bounded by T (DKW confidence bound); the mean and variance verdicts use T times the outputs' RMS and "
     "T times their mean variance (default 0.1)"},
    {"ulps", "U", "tolerance of every 'equal' in units of DBL_EPSILON (relative), in [0, 2^20] (default 8)"},
    {"threads", "T", "worker threads, in [1, 256]; the output does not depend on it (default: all processors)"},
    {"format", "FMT", "tsv, json or table (default tsv)"},
    {"out", "FILE", "write to FILE (written whole or not at all) instead of standard output"},
};

static const char *const formats[] = {"tsv", "json", "table", NULL};

/* Splits text at commas into items (each copied into buf, NUL-terminated). Returns the count, or 0 for
 * an empty item or too many. */
static size_t split(const char *text, char *buf, size_t bufn, const char **items, size_t cap)
{
    size_t len = strlen(text);
    if (len == 0 || len >= bufn)
        return 0;
    memcpy(buf, text, len + 1);
    size_t n = 0;
    char *p = buf;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (*p == '\0' || n >= cap)
            return 0;
        items[n++] = p;
        if (!comma)
            break;
        p = comma + 1;
    }
    return n;
}

static int parse_acts(const char *text, il_act *acts, size_t *n)
{
    char buf[2048];
    const char *items[MAX_ACTS];
    size_t k = split(text, buf, sizeof buf, items, MAX_ACTS);
    if (k == 0)
        return il_usage_error(CMD, "--act must be a comma-separated list of activations or 'all' (at most %d), got "
                              "'%s'", MAX_ACTS, text);
    *n = 0;
    for (size_t i = 0; i < k; i++) {
        il_act one[IL_ACT_COUNT];
        size_t none = 0;
        if (strcmp(items[i], "all") == 0) {
            for (int a = 0; a < IL_ACT_COUNT; a++)
                il_act_default((il_act_kind)a, &one[none++]);
        } else if (il_act_parse(items[i], &one[none]) == IL_OK) {
            none++;
        } else {
            return il_usage_error(CMD, "--act: unknown or malformed activation '%s' (choose from all, %s)", items[i],
                                  il_act_names());
        }
        for (size_t j = 0; j < none; j++) {
            char s1[128], s2[128];
            il_act_format(&one[j], s1, sizeof s1);
            int dup = 0;
            for (size_t q = 0; q < *n && !dup; q++) {
                il_act_format(&acts[q], s2, sizeof s2);
                dup = strcmp(s1, s2) == 0;
            }
            if (dup)
                continue; /* 'all,relu' asks for relu once */
            if (*n >= MAX_ACTS)
                return il_usage_error(CMD, "--act: more than %d activations in '%s'", MAX_ACTS, text);
            acts[(*n)++] = one[j];
        }
    }
    return 0;
}

static int parse_ps(const char *text, double *ps, size_t *n)
{
    char err[256];
    if (strchr(text, ':')) {
        char buf[256];
        double v[3];
        size_t len = strlen(text);
        int ok = len < sizeof buf;
        if (ok) {
            memcpy(buf, text, len + 1);
            char *a = buf, *b = strchr(a, ':'), *c = b ? strchr(b + 1, ':') : NULL;
            ok = b && c && !strchr(c + 1, ':');
            if (ok) {
                *b = *c = '\0';
                ok = il_parse_double(a, &v[0]) == IL_OK && il_parse_double(b + 1, &v[1]) == IL_OK &&
                     il_parse_double(c + 1, &v[2]) == IL_OK;
            }
        }
        if (!ok)
            return il_usage_error(CMD, "--p grid must be LO:HI:STEP with three numbers, got '%s'", text);
        if (!(v[0] >= 0.0 && v[0] <= v[1] && v[1] <= 1.0 && v[2] > 0.0))
            return il_usage_error(CMD, "--p grid LO:HI:STEP needs 0 <= LO <= HI <= 1 and STEP > 0, got '%s'", text);
        double count = floor((v[1] - v[0]) / v[2] * (1.0 + 1e-12) + 1e-9) + 1.0;
        if (!(count <= MAX_PS))
            return il_usage_error(CMD, "--p grid '%s' has more than %d points", text, MAX_PS);
        *n = (size_t)count;
        for (size_t i = 0; i < *n; i++) {
            double p = v[0] + (double)i * v[2];
            ps[i] = p > v[1] ? v[1] : p;
        }
    } else if (il_parse_double_list(text, 0.0, 1.0, ps, MAX_PS, n, err, sizeof err) != IL_OK) {
        return il_usage_error(CMD, "--p must be a comma-separated list of probabilities in [0, 1] (or LO:HI:STEP): %s "
                              "in '%s'", err, text);
    }
    for (size_t i = 0; i < *n; i++)
        for (size_t j = 0; j < i; j++)
            if (ps[i] == ps[j])
                return il_usage_error(CMD, "--p lists %g twice in '%s'", ps[i], text);
    return 0;
}

static int parse_kinds(const char *text, il_drop_kind *kinds, size_t *n)
{
    char buf[256];
    const char *items[4];
    size_t k = split(text, buf, sizeof buf, items, 2);
    if (k == 0)
        return il_usage_error(CMD, "--kind must be inverted, classic or inverted,classic, got '%s'", text);
    for (size_t i = 0; i < k; i++) {
        if (strcmp(items[i], "inverted") == 0)
            kinds[i] = IL_DROP_INVERTED;
        else if (strcmp(items[i], "classic") == 0)
            kinds[i] = IL_DROP_CLASSIC;
        else
            return il_usage_error(CMD, "--kind must be inverted, classic or inverted,classic, got '%s'", text);
        if (i == 1 && kinds[0] == kinds[1])
            return il_usage_error(CMD, "--kind lists %s twice", items[i]);
    }
    *n = k;
    return 0;
}

/* The stack's header parameters, renamed so they cannot be mistaken for the activation under test. */
static const struct {
    const char *from, *to;
} stack_keys[] = {
    {"widths", "stack_widths"}, {"act", "stack_act"},       {"bias", "stack_bias"},
    {"init", "stack_init"},     {"bias_init", "stack_bias_init"}, {"input", "stack_input"},
    {"input_var", "stack_input_var"},
};

/* Builds the stack through the shared network options (same names, same messages), with this
 * command's defaults. */
static int build_stack(const il_cmdopts *o, il_net *net, il_params *ps)
{
    static il_cmdopts no;
    static const struct {
        const char *mine, *net, *dflt;
    } map[] = {
        {"widths", "widths", DEFAULT_WIDTHS}, {"stack-act", "act", "relu"}, {"init", "init", DEFAULT_INIT},
        {"bias-init", "bias-init", NULL},     {"no-bias", "no-bias", NULL}, {"input", "input", NULL},
        {"input-var", "input-var", NULL},
    };
    il_cmdopts_init(&no, NULL, 0, 1);
    const char *sa = il_cmdopts_get(o, "stack-act");
    il_act tmp;
    if (sa && il_act_parse(sa, &tmp) != IL_OK)
        return il_usage_error(CMD, "--stack-act: unknown or malformed activation '%s' (choose from %s)", sa,
                              il_act_names());
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        const char *v = il_cmdopts_get(o, map[i].mine);
        if (!v)
            v = map[i].dflt;
        if (!v)
            continue;
        size_t k = il_opt_index(no.defs, no.n, map[i].net);
        if (k >= no.n)
            return il_fail(CMD, "internal error: no network option --%s", map[i].net);
        no.vals[k].value = v;
        no.vals[k].set = 1;
    }
    il_params tp = {.n = 0};
    int rc = il_cli_net(CMD, &no, 1, net, &tp);
    if (rc)
        return rc;
    for (size_t i = 0; i < tp.n; i++)
        for (size_t j = 0; j < sizeof stack_keys / sizeof stack_keys[0]; j++)
            if (strcmp(tp.p[i].key, stack_keys[j].from) == 0)
                il_params_add(ps, stack_keys[j].to, tp.p[i].numeric, "%s", tp.p[i].value);
    return 0;
}

/* Header lists: the items joined by commas if they fit in a header value, else a summary that does
 * (every row names its own activation and p anyway). */
#define HEADER_VALUE_MAX 250

static void header_list(il_params *ps, const char *key, const char *const *items, size_t n)
{
    char buf[HEADER_VALUE_MAX + 1] = "";
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t need = strlen(items[i]) + (i ? 1 : 0);
        if (len + need > HEADER_VALUE_MAX) {
            il_params_add(ps, key, 0, "%zu values from %.100s to %.100s", n, items[0], items[n - 1]);
            return;
        }
        snprintf(buf + len, sizeof buf - len, "%s%s", i ? "," : "", items[i]);
        len += need;
    }
    il_params_add(ps, key, 0, "%s", buf);
}

int cmd_commute(int argc, char **argv)
{
    static il_cmdopts o;
    static il_net net;
    static il_act acts[MAX_ACTS];
    static double ps_list[MAX_PS];
    const char *pos[1];
    size_t npos;
    il_cmdopts_init(&o, commute_opts, sizeof commute_opts / sizeof commute_opts[0], 0);
    int rc = il_opts_parse(CMD, o.defs, o.n, argc, argv, o.vals, pos, 0, &npos, "[options]",
                           "Decides, for each activation, drop probability p and dropout kind, whether linear -> "
                           "dropout -> activation equals linear -> activation -> dropout, at three levels: the "
                           "criterion (phi(0) = 0, and phi(c y) = c phi(y) for inverted dropout, c = 1/(1-p); "
                           "checked on a dense grid, with a counterexample when it fails), pathwise (same inputs, "
                           "same masks, both orders) and in distribution (independent masks, inputs from a random "
                           "stack: z-tests of means and variances and a two-sample Kolmogorov-Smirnov test, with "
                           "Holm's correction over the run and the power against the estimated difference). Also "
                           "the test-time behaviour: whether the test-time rule reproduces the training-time mean "
                           "after the activation, and the train/test variance shift. One row per case; derivations "
                           "in docs/commute.md.");
    if (rc)
        return rc < 0 ? IL_EXIT_OK : rc;

    size_t n_acts = 0, n_ps = 0, n_kinds = 0, samples = 0, threads = 1;
    il_drop_kind kinds[2];
    uint64_t seed;
    int fmt;
    int procs = omp_get_num_procs();
    il_commute_opts co;
    il_commute_opts_default(&co);
    const char *at = il_cmdopts_get(&o, "act"), *pt = il_cmdopts_get(&o, "p"), *kt = il_cmdopts_get(&o, "kind");
    if ((rc = parse_acts(at ? at : "all", acts, &n_acts)) || (rc = parse_ps(pt ? pt : DEFAULT_P, ps_list, &n_ps)) ||
        (rc = parse_kinds(kt ? kt : "inverted,classic", kinds, &n_kinds)) ||
        (rc = il_cli_size(CMD, &o, "samples", 100, 100000000, 200000, &samples)) ||
        (rc = il_cli_u64(CMD, &o, "seed", 1, &seed)) ||
        (rc = il_cli_double(CMD, &o, "alpha", 0.0, 0.5, 1, 1, IL_VERDICT_ALPHA, &co.alpha)) ||
        (rc = il_cli_double(CMD, &o, "tol", 0.0, 1.0, 1, 0, IL_COMMUTE_TOL, &co.tol)) ||
        (rc = il_cli_double(CMD, &o, "ulps", 0.0, 1048576.0, 0, 0, IL_COMMUTE_ULPS, &co.ulps)) ||
        (rc = il_cli_size(CMD, &o, "threads", 1, 256, (size_t)(procs > 0 ? procs : 1), &threads)) ||
        (rc = il_cli_choice(CMD, &o, "format", formats, 0, &fmt)))
        return rc;
    for (size_t k = 0; k < n_kinds; k++)
        for (size_t i = 0; i < n_ps; i++)
            if (kinds[k] == IL_DROP_INVERTED && ps_list[i] == 1.0)
                return il_usage_error(CMD, "--p 1 is not allowed with inverted dropout: kept units would be scaled by "
                                      "1/(1-p) = 1/0; use p < 1, or --kind classic");
    size_t m = n_acts * n_ps * n_kinds;
    if (m > MAX_ROWS)
        return il_usage_error(CMD, "%zu cases (--act x --p x --kind) is more than %d", m, MAX_ROWS);
    co.threads = (int)threads;

    static il_params ps;
    static char texts[MAX_PS][128];
    const char *items[MAX_PS];
    ps.n = 0;
    for (size_t i = 0; i < n_acts; i++) {
        il_act_format(&acts[i], texts[i], sizeof texts[i]);
        items[i] = texts[i];
    }
    header_list(&ps, "activations", items, n_acts);
    for (size_t i = 0; i < n_ps; i++) {
        snprintf(texts[i], sizeof texts[i], "%.17g", ps_list[i]);
        items[i] = texts[i];
    }
    header_list(&ps, "p", items, n_ps);
    for (size_t k = 0; k < n_kinds; k++)
        items[k] = il_drop_name(kinds[k]);
    header_list(&ps, "kinds", items, n_kinds);
    il_params_add(&ps, "seed", 1, "%llu", (unsigned long long)seed);
    il_params_add(&ps, "samples", 1, "%zu", samples);
    il_params_add(&ps, "alpha", 1, "%.17g", co.alpha);
    il_params_add(&ps, "tol", 1, "%.17g", co.tol);
    il_params_add(&ps, "ulps", 1, "%.17g", co.ulps);
    il_params_add(&ps, "beta", 1, "%.17g", co.beta);
    il_net_init(&net);
    if ((rc = build_stack(&o, &net, &ps))) {
        il_net_release(&net);
        return rc;
    }
    il_params_add(&ps, "inputs", 0, "unit 1 of the last linear layer of network draw i; pool A (dropout first, "
                  "pathwise): il_rng_seed_draw(seed, i), pool B (activation first): draw 2^62 + i; masks: draws "
                  ">= 2^63 keyed by case");

    size_t need = il_commute_memory(samples, samples, (int)threads);
    size_t have = il_machine_memory();
    need += 2 * samples * sizeof(double);
    if (have && need > have / 10 * 9) {
        il_net_release(&net);
        return il_usage_error(CMD, "the run needs about %.3g GiB of memory, more than this machine's %.3g GiB; reduce "
                              "--samples or --threads", (double)need / 1073741824.0, (double)have / 1073741824.0);
    }

    il_commute_case *cases = malloc(m * sizeof *cases);
    il_commute_row *rows = malloc(m * sizeof *rows);
    double *ya = malloc(samples * sizeof *ya), *yb = malloc(samples * sizeof *yb);
    il_outfile out;
    int opened = 0, committed = 0;
    const char *path = il_cmdopts_get(&o, "out");
    if (!cases || !rows || !ya || !yb) {
        rc = il_fail(CMD, "out of memory");
        goto done;
    }
    size_t r = 0;
    for (size_t i = 0; i < n_acts; i++)
        for (size_t j = 0; j < n_ps; j++)
            for (size_t k = 0; k < n_kinds; k++) {
                cases[r].act = acts[i];
                cases[r].p = ps_list[j];
                cases[r].kind = kinds[k];
                r++;
            }
    if (il_outfile_open(&out, path) != 0) {
        rc = il_fail(CMD, "cannot create --out '%s': %s", path, strerror(errno));
        goto done;
    }
    opened = 1;
    char err[512];
    size_t bad = 0;
    il_status st = il_commute_draw_inputs(&net, seed, 0, samples, (int)threads, ya, &bad, err, sizeof err);
    if (st == IL_OK)
        st = il_commute_draw_inputs(&net, seed, IL_COMMUTE_DRAW_B, samples, (int)threads, yb, &bad, err,
                                    sizeof err);
    if (st == IL_ENUMERIC) {
        rc = il_fail(CMD, "non-finite input from the stack in network draw %zu; nothing was written (reduce the "
                     "stack's gain or depth)", bad);
        goto done;
    }
    if (st != IL_OK) {
        rc = il_fail(CMD, "drawing the inputs failed: %s", err);
        goto done;
    }
    st = il_commute_run(cases, m, ya, samples, yb, samples, seed, &co, rows);
    if (st == IL_ENUMERIC) {
        rc = il_fail(CMD, "an activation output overflowed on the stack's inputs; nothing was written");
        goto done;
    }
    if (st != IL_OK) {
        rc = il_fail(CMD, "%s", il_strerror(st));
        goto done;
    }
    if (fmt == 0) {
        st = il_commute_write_tsv(out.f, CMD, ps.p, ps.n, rows, m);
    } else if (fmt == 1) {
        json_t *j = il_commute_to_json(CMD, ps.p, ps.n, rows, m);
        st = j && json_dumpf(j, out.f, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) == 0 && fputc('\n', out.f) != EOF
                 ? IL_OK
                 : IL_EIO;
        json_decref(j);
    } else {
        st = il_commute_write_table(out.f, CMD, ps.p, ps.n, rows, m);
    }
    if (st != IL_OK) {
        rc = il_fail(CMD, "writing the output failed: %s", il_strerror(st));
        goto done;
    }
    committed = 1;
    if (il_outfile_commit(&out) != 0) {
        rc = il_fail(CMD, "writing '%s' failed: %s", path ? path : "standard output", strerror(errno));
        goto done;
    }
    size_t disagree = 0;
    for (size_t i = 0; i < m; i++)
        disagree += rows[i].levels == IL_COMMUTE_DISAGREE;
    if (disagree)
        fprintf(stderr, "initlab %s: warning: in %zu case(s) a level contradicts the criterion (levels = disagree)\n",
                CMD, disagree);
done:
    if (opened && !committed)
        il_outfile_abort(&out);
    free(yb);
    free(ya);
    free(rows);
    free(cases);
    il_net_release(&net);
    return rc;
}
