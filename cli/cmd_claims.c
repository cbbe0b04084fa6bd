/* cmd_claims.c: `initlab claims`: every checkable claim of the seed homeworks, decided by simulation or exact
 * computation (analysis/registry.h; methods and readings in docs/claims.md). */
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "netopts.h"
#include "registry.h"

static const char *const CMD = "claims";

static const il_optdef claims_opts[] = {
    {"id", "ID[,ID...]", "claims to run: ids as --list shows them (e.g. S001-P2h), or a prefix ending in '*' "
     "(S001-P2*) (default: all)"},
    {"seed", "S", "seed of every generator, in [0, 2^64-1]; each computation derives its own from it and its name "
     "(default 1)"},
    {"format", "FMT", "tsv, json or table (default tsv)"},
    {"out", "FILE", "write to FILE (written whole or not at all) instead of standard output"},
    {"list", NULL, "list the claims (id, source, the claim as written, the reading used) without running them"},
    {"threads", "T", "worker threads, in [1, 256]; the output does not depend on it (default: all processors)"},
    {"data-dir", "DIR", "also write, into the existing directory DIR, the data files a figure of each claim needs "
     "(named in the data column)"},
    {"progress", NULL, "show progress on standard error even when it is not a terminal"},
    {"quiet", NULL, "no progress on standard error"},
};

static const char *const formats[] = {"tsv", "json", "table", NULL};

#define MAX_LIST 4096

/* Marks the claims named in text (comma-separated ids or PREFIX*) in sel[]. Returns 0 or IL_EXIT_USAGE after
 * one error line naming every unknown id. */
static int mark_ids(const char *cmd, const il_registry *reg, const char *text, unsigned char *sel)
{
    size_t len = strlen(text), n = il_registry_count(reg);
    if (len == 0 || len >= MAX_LIST)
        return il_usage_error(cmd, "--id must be a comma-separated list of claim ids, got '%s'", text);
    char buf[MAX_LIST], bad[MAX_LIST] = "";
    memcpy(buf, text, len + 1);
    size_t nbad = 0;
    char *p = buf;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (*p == '\0')
            return il_usage_error(cmd, "--id has an empty item in '%s'", text);
        size_t plen = strlen(p);
        int star = p[plen - 1] == '*', found = 0;
        for (size_t i = 0; i < n; i++) {
            const char *id = il_registry_at(reg, i)->id;
            if (star ? strncmp(id, p, plen - 1) == 0 : strcmp(id, p) == 0) {
                sel[i] = 1;
                found = 1;
            }
        }
        if (!found) {
            size_t bl = strlen(bad);
            snprintf(bad + bl, sizeof bad - bl, "%s'%.100s'", nbad ? ", " : "", p);
            nbad++;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    if (nbad) {
        char known[MAX_LIST] = "";
        for (size_t i = 0; i < n; i++) {
            size_t kl = strlen(known);
            snprintf(known + kl, sizeof known - kl, "%s%.64s", i ? ", " : "", il_registry_at(reg, i)->id);
        }
        return il_usage_error(cmd, "unknown claim id%s %s in --id (known: %s)", nbad > 1 ? "s" : "", bad, known);
    }
    return 0;
}

int il_cli_select_claims(const char *cmd, const il_registry *reg, const char *text, size_t *which, size_t *m)
{
    size_t n = il_registry_count(reg);
    unsigned char *sel = calloc(n ? n : 1, 1);
    if (!sel)
        return il_fail(cmd, "out of memory");
    int rc = 0;
    if (text)
        rc = mark_ids(cmd, reg, text, sel);
    else
        memset(sel, 1, n);
    *m = 0;
    for (size_t i = 0; i < n && !rc; i++)
        if (sel[i])
            which[(*m)++] = i;
    free(sel);
    return rc;
}

static json_t *list_json(const il_registry *reg)
{
    json_t *root = json_object(), *arr = json_array();
    if (!root || !arr) {
        json_decref(root);
        json_decref(arr);
        return NULL;
    }
    json_object_set_new(root, "tool", json_string("initlab"));
    json_object_set_new(root, "version", json_string(IL_VERSION));
    json_object_set_new(root, "command", json_string("claims --list"));
    json_object_set_new(root, "claims", arr);
    for (size_t i = 0; i < il_registry_count(reg); i++) {
        const il_registry_entry *e = il_registry_at(reg, i);
        json_t *o = json_object();
        if (!o || json_array_append_new(arr, o)) {
            json_decref(root);
            return NULL;
        }
        json_object_set_new(o, "id", json_string(e->id));
        json_object_set_new(o, "source", json_string(e->source));
        json_object_set_new(o, "claim", json_string(e->claim));
        json_object_set_new(o, "reading", json_string(e->reading ? e->reading : ""));
    }
    return root;
}

typedef struct {
    int tty;
} progress_state;

static void on_progress(void *ctx, size_t done, size_t total, const char *id)
{
    progress_state *ps = ctx;
    fprintf(stderr, "%sinitlab claims: %zu/%zu %-10s%s", ps->tty ? "\r" : "", done + 1, total, id,
            ps->tty ? "" : "\n");
    fflush(stderr);
}

static int write_json(FILE *f, json_t *j)
{
    int bad = !j || json_dumpf(j, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0 || fputc('\n', f) == EOF;
    json_decref(j);
    return bad;
}

int cmd_claims(int argc, char **argv)
{
    static il_cmdopts o;
    const char *pos[1];
    size_t npos;
    il_cmdopts_init(&o, claims_opts, sizeof claims_opts / sizeof claims_opts[0], 0);
    int rc = il_opts_parse(CMD, o.defs, o.n, argc, argv, o.vals, pos, 0, &npos, "[options]",
                           "Checks every checkable claim of the seed homeworks (../shared/seeds/) by simulation or "
                           "exact computation and prints one row per claim: the verdict (holds, refuted, "
                           "holds-with-caveat), the evidence with its decisive numbers, the correct statement when "
                           "the claim is wrong or needs a condition, the test and its threshold, the margin by which "
                           "the decisive statistic clears it, the configuration and the seed. Gradient claims are "
                           "checked against central differences of the network itself, statistical ones by Monte "
                           "Carlo with the verdict rule of 'sim --compare'. The output is the same for a given seed "
                           "whatever --threads is. Readings and methods: docs/claims.md.");
    if (rc)
        return rc < 0 ? IL_EXIT_OK : rc;
    uint64_t seed;
    size_t threads;
    int fmt, procs = omp_get_num_procs();
    if ((rc = il_cli_u64(CMD, &o, "seed", 1, &seed)) ||
        (rc = il_cli_choice(CMD, &o, "format", formats, 0, &fmt)) ||
        (rc = il_cli_size(CMD, &o, "threads", 1, 256, (size_t)(procs > 0 ? procs : 1), &threads)))
        return rc;
    if (il_cmdopts_get(&o, "progress") && il_cmdopts_get(&o, "quiet"))
        return il_usage_error(CMD, "--progress and --quiet contradict each other");
    int list = il_cmdopts_get(&o, "list") != NULL;
    const char *ids = il_cmdopts_get(&o, "id"), *data_dir = il_cmdopts_get(&o, "data-dir");
    if (list) {
        static const char *const not_with_list[] = {"seed", "threads", "data-dir", "id", "progress", "quiet"};
        for (size_t i = 0; i < sizeof not_with_list / sizeof not_with_list[0]; i++)
            if (il_cmdopts_get(&o, not_with_list[i]))
                return il_usage_error(CMD, "--%s has no effect with --list", not_with_list[i]);
        if (fmt == 2)
            return il_usage_error(CMD, "--list writes tsv or json, not --format table");
    }
    if (data_dir) {
        struct stat st;
        if (*data_dir == '\0' || stat(data_dir, &st) != 0 || !S_ISDIR(st.st_mode))
            return il_usage_error(CMD, "--data-dir '%s' is not an existing directory", data_dir);
    }

    char err[1024] = "";
    il_registry *reg = il_registry_alloc();
    if (!reg)
        return il_fail(CMD, "out of memory");
    il_status st = il_registry_add_builtin(reg, err, sizeof err);
    if (st != IL_OK) {
        il_registry_free(reg);
        return il_fail(CMD, "internal error in the claim registry: %s", err);
    }
    size_t n = il_registry_count(reg), m = 0;
    size_t *which = malloc((n ? n : 1) * sizeof *which);
    il_registry_result *res = NULL;
    il_outfile out;
    int opened = 0, committed = 0;
    const char *path = il_cmdopts_get(&o, "out");
    if (!which) {
        rc = il_fail(CMD, "out of memory");
        goto done;
    }
    if ((rc = il_cli_select_claims(CMD, reg, ids, which, &m)))
        goto done;
    if (!list && !(res = calloc(m ? m : 1, sizeof *res))) {
        rc = il_fail(CMD, "out of memory");
        goto done;
    }
    if (il_outfile_open(&out, path) != 0) {
        rc = il_fail(CMD, "cannot create --out '%s': %s", path, strerror(errno));
        goto done;
    }
    opened = 1;
    if (list) {
        st = fmt == 1 ? (write_json(out.f, list_json(reg)) ? IL_EIO : IL_OK) : il_registry_write_list(out.f, reg);
    } else {
        il_registry_opts ro;
        il_registry_opts_default(&ro);
        ro.seed = seed;
        ro.threads = (int)threads;
        ro.data_dir = data_dir;
        progress_state pst = {isatty(STDERR_FILENO)};
        if (il_cmdopts_get(&o, "progress") || (!il_cmdopts_get(&o, "quiet") && pst.tty)) {
            ro.progress = on_progress;
            ro.progress_ctx = &pst;
        }
        st = il_registry_run(reg, which, m, &ro, res, err, sizeof err);
        if (ro.progress && pst.tty)
            fprintf(stderr, "\r%60s\r", "");
        if (st != IL_OK) {
            rc = il_fail(CMD, "%s; nothing was written", err);
            goto done;
        }
        static il_params ps;
        ps.n = 0;
        il_params_add(&ps, "seed", 1, "%llu", (unsigned long long)seed);
        il_params_add(&ps, "claims", 1, "%zu", m);
        il_params_add(&ps, "ids", 0, "%.250s", ids ? ids : "all");
        if (data_dir)
            il_params_add(&ps, "data_dir", 0, "%.250s", data_dir);
        il_params_add(&ps, "verdicts", 0, "holds | refuted | holds-with-caveat (| undecided); margin = factor by "
                      "which the decisive statistic clears its threshold, borderline below 2");
        if (fmt == 0)
            st = il_registry_write_tsv(out.f, CMD, ps.p, ps.n, res, m);
        else if (fmt == 1)
            st = write_json(out.f, il_registry_to_json(CMD, ps.p, ps.n, res, m)) ? IL_EIO : IL_OK;
        else
            st = il_registry_write_table(out.f, CMD, ps.p, ps.n, res, m);
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
    if (!list) {
        size_t undecided = 0, borderline = 0;
        for (size_t i = 0; i < m; i++) {
            undecided += res[i].verdict == IL_REGISTRY_UNDECIDED;
            borderline += res[i].borderline != 0;
        }
        if (undecided || borderline)
            fprintf(stderr, "initlab %s: warning: %zu claim(s) undecided, %zu borderline; see the evidence\n", CMD,
                    undecided, borderline);
    }
done:
    if (opened && !committed)
        il_outfile_abort(&out);
    free(res);
    free(which);
    il_registry_free(reg);
    return rc;
}
