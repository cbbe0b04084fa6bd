/* cmd_report.c: `initlab report -o DIR`: runs the claims of the seed homeworks (analysis/registry.h), draws the
 * figure of each (plots/plot.h) from the data files the checks write, and writes DIR/report.md and a
 * self-contained DIR/report.html (analysis/report.h), with the data and the figures beside them. Everything is
 * built in a private directory inside DIR and renamed into place at the end (docs/report.md). */
#define _XOPEN_SOURCE 700 /* mkdtemp, strtok_r */
#include <cblas.h>
#include <errno.h>
#include <gsl/gsl_version.h>
#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "netopts.h"
#include "plot.h"
#include "registry.h"
#include "report.h"

static const char *const CMD = "report";

static const il_optdef report_opts[] = {
    {"out", "DIR", "the report's directory (also -o DIR): created if absent (its parent must exist); report.md, "
     "report.html, claims.tsv and the files of figures/ and data/ are replaced, nothing else is touched"},
    {"id", "ID[,ID...]", "claims to report: ids as 'initlab claims --list' shows them, or a prefix ending in '*' "
     "(default: all)"},
    {"seed", "S", "seed of every generator, in [0, 2^64-1], as for 'initlab claims' (default 1)"},
    {"threads", "T", "worker threads, in [1, 256]; the report does not depend on it (default: all processors)"},
    {"no-timings", NULL, "leave out the run times (and the date): the report is then the same bytes for a seed"},
    {"progress", NULL, "show progress on standard error even when it is not a terminal"},
    {"quiet", NULL, "no progress on standard error"},
    {"scripts", "DIR", "the directory of initlab's gnuplot scripts (default: plots/ next to the directory of the "
     "initlab executable, or PREFIX/share/initlab/plots)"},
    {"gnuplot", "PROG", "the gnuplot program (default gnuplot, searched on PATH)"},
};

#define MAX_ARGS 256
#define PATH_LEN 4096
#define MAX_FILES 512    /* files written into the report's directory */
#define CAPTION_LEN 600

/* ---------------------------------------------------------------- the private directory */

/* The files written into the private directory, relative to it, in order. */
typedef struct {
    char dir[PATH_LEN];  /* DIR as given */
    char tmp[PATH_LEN];  /* DIR/.initlab-report.XXXXXX */
    int created_dir;     /* DIR did not exist */
    char *files[MAX_FILES];
    size_t n_files;
} outdir;

static int joinp(char *buf, size_t n, const char *a, const char *b)
{
    return snprintf(buf, n, "%s/%s", a, b) < (int)n ? 0 : -1;
}

/* Records rel as written (the caller creates it). Returns the absolute-ish path in buf, or -1. */
static int out_file(outdir *od, const char *rel, char *buf, size_t n)
{
    if (od->n_files >= MAX_FILES || joinp(buf, n, od->tmp, rel) != 0)
        return -1;
    char *copy = malloc(strlen(rel) + 1);
    if (!copy)
        return -1;
    strcpy(copy, rel);
    od->files[od->n_files++] = copy;
    return 0;
}

static void out_cleanup(outdir *od, int remove_files)
{
    char p[PATH_LEN];
    for (size_t i = 0; i < od->n_files; i++) {
        if (remove_files && joinp(p, sizeof p, od->tmp, od->files[i]) == 0)
            unlink(p);
        free(od->files[i]);
    }
    od->n_files = 0;
    if (od->tmp[0]) {
        static const char *const subdirs[] = {"figures", "data", "work"};
        for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++)
            if (joinp(p, sizeof p, od->tmp, subdirs[i]) == 0)
                rmdir(p);
        rmdir(od->tmp);
        od->tmp[0] = '\0';
    }
    if (remove_files && od->created_dir)
        rmdir(od->dir);
}

/* Makes DIR (if absent) and the private directory with its figures/, data/ and work/. 0, or the exit status
 * after one message. */
static int out_open(outdir *od, const char *dir)
{
    memset(od, 0, sizeof *od);
    struct stat st;
    if (strlen(dir) >= PATH_LEN - 64)
        return il_usage_error(CMD, "--out must be a path of at most %d bytes", PATH_LEN - 64);
    snprintf(od->dir, sizeof od->dir, "%s", dir);
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return il_usage_error(CMD, "--out '%s' exists and is not a directory", dir);
    } else if (errno != ENOENT || mkdir(dir, 0777) != 0) {
        return il_fail(CMD, "cannot create --out '%s': %s", dir, strerror(errno));
    } else {
        od->created_dir = 1;
    }
    snprintf(od->tmp, sizeof od->tmp, "%s/.initlab-report.XXXXXX", dir);
    if (!mkdtemp(od->tmp)) {
        int e = errno;
        od->tmp[0] = '\0';
        out_cleanup(od, 1);
        return il_fail(CMD, "cannot write into --out '%s': %s", dir, strerror(e));
    }
    static const char *const subdirs[] = {"figures", "data", "work"};
    char p[PATH_LEN];
    for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++)
        if (joinp(p, sizeof p, od->tmp, subdirs[i]) != 0 || mkdir(p, 0777) != 0) {
            int e = errno;
            out_cleanup(od, 1);
            return il_fail(CMD, "cannot write into --out '%s': %s", dir, strerror(e));
        }
    return 0;
}

/* Moves every recorded file except those under work/ from the private directory into DIR (report.html and
 * report.md last), then removes the private directory. 0 or -1 with errno. */
static int out_commit(outdir *od)
{
    char from[PATH_LEN], to[PATH_LEN];
    int bad = 0;
    for (int pass = 0; pass < 2 && !bad; pass++) {
        for (size_t i = 0; i < od->n_files && !bad; i++) {
            const char *rel = od->files[i];
            int last = strncmp(rel, "report.", 7) == 0;
            if (strncmp(rel, "work/", 5) == 0 || last != pass)
                continue;
            const char *slash = strchr(rel, '/');
            if (slash) {
                char sub[PATH_LEN];
                if (snprintf(sub, sizeof sub, "%s/%.*s", od->dir, (int)(slash - rel), rel) >= (int)sizeof sub ||
                    (mkdir(sub, 0777) != 0 && errno != EEXIST))
                    bad = 1;
            }
            if (!bad && (joinp(from, sizeof from, od->tmp, rel) != 0 || joinp(to, sizeof to, od->dir, rel) != 0 ||
                         rename(from, to) != 0))
                bad = 1;
        }
    }
    int e = errno;
    out_cleanup(od, 1); /* what was renamed is no longer there */
    errno = e;
    return bad ? -1 : 0;
}

/* ---------------------------------------------------------------- progress and time */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    int show, tty;
    double *start; /* start[i]: when claim i began */
} progress_state;

static void on_progress(void *ctx, size_t done, size_t total, const char *id)
{
    progress_state *ps = ctx;
    ps->start[done] = now();
    if (!ps->show)
        return;
    fprintf(stderr, "%sinitlab report: claim %zu/%zu %-10s%s", ps->tty ? "\r" : "", done + 1, total, id,
            ps->tty ? "" : "\n");
    fflush(stderr);
}

static void progress_figure(const progress_state *ps, size_t k, const char *name)
{
    if (!ps->show)
        return;
    fprintf(stderr, "%sinitlab report: figure %zu %-28.28s%s", ps->tty ? "\r" : "", k, name, ps->tty ? "" : "\n");
    fflush(stderr);
}

/* ---------------------------------------------------------------- reading the checks' data files */

/* A small TSV: '#' lines skipped, the first other line names the columns. */
typedef struct {
    char *text;
    const char *reproduce; /* the value of a "# reproduce = ..." header line, or NULL */
    size_t n_cols, n_rows;
    char **cols;
    char **cells; /* n_rows x n_cols; missing cells "" */
} tsv;

static void tsv_release(tsv *t)
{
    free(t->text);
    free(t->cols);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

static size_t split(char *line, char **out, size_t cap)
{
    size_t k = 0;
    for (char *p = line; k < cap;) {
        out[k++] = p;
        char *tab = strchr(p, '\t');
        if (!tab)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    return k;
}

/* 0, or -1 (unreadable, no column line, out of memory). */
static int tsv_read(const char *path, tsv *t)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t cap = 0, len = 0;
    char buf[8192];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) {
        if (len + k + 1 > cap) {
            size_t nc = 2 * (len + k + 1);
            char *nt = realloc(t->text, nc);
            if (!nt) {
                fclose(f);
                tsv_release(t);
                return -1;
            }
            t->text = nt;
            cap = nc;
        }
        memcpy(t->text + len, buf, k);
        len += k;
    }
    fclose(f);
    if (!t->text)
        return -1;
    t->text[len] = '\0';
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += t->text[i] == '\n';
    char **row = NULL;
    for (char *save = NULL, *line = strtok_r(t->text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "# reproduce = ", 14) == 0)
            t->reproduce = line + 14;
        if (line[0] == '#')
            continue;
        if (!t->cols) {
            size_t nc = 1;
            for (char *p = line; *p; p++)
                nc += *p == '\t';
            if (!(t->cols = calloc(nc, sizeof *t->cols)) || !(t->cells = calloc(lines * nc, sizeof *t->cells)))
                break;
            t->n_cols = split(line, t->cols, nc);
            continue;
        }
        row = t->cells + t->n_rows * t->n_cols;
        size_t got = split(line, row, t->n_cols);
        static char empty[1];
        for (size_t c = got; c < t->n_cols; c++)
            row[c] = empty;
        t->n_rows++;
    }
    if (!t->cols || !t->cells) {
        tsv_release(t);
        return -1;
    }
    return 0;
}

static long tsv_col(const tsv *t, const char *name)
{
    for (size_t c = 0; c < t->n_cols; c++)
        if (strcmp(t->cols[c], name) == 0)
            return (long)c;
    return -1;
}

static const char *tsv_cell(const tsv *t, size_t r, long c)
{
    return c < 0 ? "NaN" : t->cells[r * t->n_cols + (size_t)c];
}

/* ---------------------------------------------------------------- figures */

enum { FIG_NONE, FIG_ITEMS, FIG_P, FIG_TRAIN, FIG_FD };

/* Which figure a data file of a check gives, from its columns. */
static int data_kind(const tsv *t)
{
    if (tsv_col(t, "item") >= 0 && tsv_col(t, "estimate") >= 0 && tsv_col(t, "se") >= 0 && tsv_col(t, "claimed") >= 0)
        return FIG_ITEMS;
    if (tsv_col(t, "p") >= 0 && tsv_col(t, "estimate") >= 0 && tsv_col(t, "se") >= 0 && tsv_col(t, "claimed") >= 0)
        return FIG_P;
    if (tsv_col(t, "unit") >= 0 && tsv_col(t, "point") >= 0 && tsv_col(t, "train_mean") >= 0 &&
        tsv_col(t, "train_se") >= 0 && tsv_col(t, "inference") >= 0)
        return FIG_TRAIN;
    if (tsv_col(t, "instance") >= 0 && tsv_col(t, "max_ratio_seed") >= 0 && tsv_col(t, "max_ratio_correct") >= 0)
        return FIG_FD;
    return FIG_NONE;
}

/* Items named q1, q2, ...: a sequence of layers. */
static int layer_items(const tsv *t)
{
    long ci = tsv_col(t, "item");
    for (size_t r = 0; r < t->n_rows; r++) {
        const char *s = tsv_cell(t, r, ci);
        if (s[0] != 'q' || !s[1] || strspn(s + 1, "0123456789") != strlen(s + 1))
            return 0;
    }
    return t->n_rows > 0;
}

/* "Cov(yA,yB)" -> A, B (1-based); "Var(yA)" -> A, A. 1 on a match. */
static int cov_item(const char *s, size_t *a, size_t *b)
{
    unsigned x, y;
    char end;
    if (sscanf(s, "Cov(y%u,y%u%c", &x, &y, &end) == 3 && end == ')' && x && y) {
        *a = x;
        *b = y;
        return 1;
    }
    if (sscanf(s, "Var(y%u%c", &x, &end) == 2 && end == ')' && x) {
        *a = *b = x;
        return 1;
    }
    return 0;
}

/* Off-diagonal covariance items only. */
static int offdiag_items(const tsv *t)
{
    long ci = tsv_col(t, "item");
    size_t a, b;
    for (size_t r = 0; r < t->n_rows; r++)
        if (!cov_item(tsv_cell(t, r, ci), &a, &b) || a == b)
            return 0;
    return t->n_rows > 0;
}

/* Writes the items file of il_plot_estimates from a check's data file. */
static int write_items(const tsv *t, int kind, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# initlab %s report\nitem\testimate\tse\tclaimed\tcorrect\n", IL_VERSION);
    for (size_t r = 0; r < t->n_rows; r++) {
        if (kind == FIG_ITEMS)
            fprintf(f, "%s\t%s\t%s\t%s\t%s\n", tsv_cell(t, r, tsv_col(t, "item")), tsv_cell(t, r, tsv_col(t, "estimate")),
                    tsv_cell(t, r, tsv_col(t, "se")), tsv_cell(t, r, tsv_col(t, "claimed")),
                    tsv_cell(t, r, tsv_col(t, "correct")));
        else if (kind == FIG_P)
            fprintf(f, "p = %.4g\t%s\t%s\t%s\tNaN\n", strtod(tsv_cell(t, r, tsv_col(t, "p")), NULL),
                    tsv_cell(t, r, tsv_col(t, "estimate")), tsv_cell(t, r, tsv_col(t, "se")),
                    tsv_cell(t, r, tsv_col(t, "claimed")));
        else
            fprintf(f, "%s %s\t%s\t%s\t%s\tNaN\n", tsv_cell(t, r, tsv_col(t, "point")), tsv_cell(t, r, tsv_col(t, "unit")),
                    tsv_cell(t, r, tsv_col(t, "train_mean")), tsv_cell(t, r, tsv_col(t, "train_se")),
                    tsv_cell(t, r, tsv_col(t, "inference")));
    }
    return fclose(f) != 0 ? -1 : 0;
}

static int write_fd(const tsv *t, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# initlab %s report\ninstance\tclaimed\tcorrect\n", IL_VERSION);
    for (size_t r = 0; r < t->n_rows; r++)
        fprintf(f, "%s\t%s\t%s\n", tsv_cell(t, r, tsv_col(t, "instance")), tsv_cell(t, r, tsv_col(t, "max_ratio_seed")),
                tsv_cell(t, r, tsv_col(t, "max_ratio_correct")));
    return fclose(f) != 0 ? -1 : 0;
}

#define COV_MAX 16

/* The covariance matrix of a layer from the Var/Cov items of every data file that names the same simulation
 * (sim_name) among the results, with the simulation's off-diagonal mean and its parameters, as the JSON
 * il_plot_covariance reads. 0; 1 when the results do not give every entry (e.g. --id without the claim on the
 * variances: no figure then); -1 on failure. */
static int write_cov_json(const il_registry_result *res, size_t m, const char *data_dir, const char *sim_name,
                          const char *path)
{
    double cov[COV_MAX][COV_MAX], se[COV_MAX][COV_MAX];
    size_t n = 0;
    for (size_t i = 0; i < COV_MAX; i++)
        for (size_t k = 0; k < COV_MAX; k++)
            cov[i][k] = se[i][k] = NAN;
    char p[PATH_LEN];
    for (size_t i = 0; i < m; i++) {
        char names[IL_REGISTRY_TEXT];
        snprintf(names, sizeof names, "%s", res[i].data);
        int shares = 0;
        for (char *save = NULL, *tok = strtok_r(names, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
            shares |= strcmp(tok, sim_name) == 0;
        if (!shares)
            continue;
        snprintf(names, sizeof names, "%s", res[i].data);
        for (char *save = NULL, *tok = strtok_r(names, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            tsv t;
            if (joinp(p, sizeof p, data_dir, tok) != 0 || tsv_read(p, &t) != 0)
                continue;
            if (data_kind(&t) == FIG_ITEMS)
                for (size_t r = 0; r < t.n_rows; r++) {
                    size_t a, b;
                    if (!cov_item(tsv_cell(&t, r, tsv_col(&t, "item")), &a, &b) || a > COV_MAX || b > COV_MAX)
                        continue;
                    double v = strtod(tsv_cell(&t, r, tsv_col(&t, "estimate")), NULL),
                           s = strtod(tsv_cell(&t, r, tsv_col(&t, "se")), NULL);
                    cov[a - 1][b - 1] = cov[b - 1][a - 1] = v;
                    se[a - 1][b - 1] = se[b - 1][a - 1] = s;
                    n = a > n ? a : n;
                    n = b > n ? b : n;
                }
            tsv_release(&t);
        }
    }
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < n; k++)
            if (isnan(cov[i][k]))
                return 1;
    if (n == 0)
        return 1;
    json_t *root = json_object(), *layers = json_array(), *layer = json_object(), *params = json_object(),
           *jc = json_array(), *js = json_array();
    int bad = !root || !layers || !layer || !params || !jc || !js;
    for (size_t i = 0; i < n && !bad; i++) {
        json_t *rc = json_array(), *rs = json_array();
        bad = !rc || !rs;
        for (size_t k = 0; k < n && !bad; k++)
            bad = json_array_append_new(rc, il_json_number(cov[i][k])) || json_array_append_new(rs, il_json_number(se[i][k]));
        bad |= json_array_append_new(jc, rc) | json_array_append_new(js, rs);
    }
    /* the simulation's own off-diagonal mean and parameters */
    tsv sim;
    if (!bad && joinp(p, sizeof p, data_dir, sim_name) == 0 && tsv_read(p, &sim) == 0) {
        if (sim.n_rows) {
            json_object_set_new(layer, "offdiag_mean", il_json_number(strtod(tsv_cell(&sim, 0, tsv_col(&sim, "offdiag_mean")), NULL)));
            json_object_set_new(layer, "offdiag_se", il_json_number(strtod(tsv_cell(&sim, 0, tsv_col(&sim, "offdiag_se")), NULL)));
            json_object_set_new(params, "draws", json_string(tsv_cell(&sim, 0, tsv_col(&sim, "draws"))));
            const char *b = sim.reproduce ? strstr(sim.reproduce, "--batch ") : NULL;
            if (b)
                json_object_set_new(params, "batch", json_stringn(b + 8, strcspn(b + 8, " ")));
        }
        tsv_release(&sim);
    }
    if (!bad) {
        json_object_set_new(root, "tool", json_string("initlab"));
        json_object_set_new(root, "version", json_string(IL_VERSION));
        json_object_set_new(root, "command", json_string("sim"));
        json_object_set_new(root, "params", params);
        params = NULL;
        json_object_set_new(layer, "layer", json_integer(1));
        json_object_set_new(layer, "point", json_string("pre"));
        json_object_set_new(layer, "width", json_integer((json_int_t)n));
        json_object_set_new(layer, "cov", jc);
        json_object_set_new(layer, "cov_se", js);
        jc = js = NULL;
        json_array_append_new(layers, layer);
        layer = NULL;
        json_object_set_new(root, "layers", layers);
        layers = NULL;
        bad = json_dump_file(root, path, JSON_REAL_PRECISION(17)) != 0;
    }
    json_decref(root);
    json_decref(layers);
    json_decref(layer);
    json_decref(params);
    json_decref(jc);
    json_decref(js);
    return bad ? -1 : 0;
}

/* The figures of one claim, with their texts. */
typedef struct {
    char png[IL_REPORT_MAX_FIGS][PATH_LEN];
    char href[IL_REPORT_MAX_FIGS][PATH_LEN];
    char caption[IL_REPORT_MAX_FIGS][CAPTION_LEN];
    char missing[IL_REPORT_MAX_FIGS][CAPTION_LEN];
    int rendered[IL_REPORT_MAX_FIGS];
    size_t n;
} claim_figs;

typedef struct {
    outdir *od;
    const il_plot_opts *po;
    int have_gnuplot;
    char gp_missing[CAPTION_LEN];
    progress_state *ps;
    size_t n_rendered;
    char commute_done[8][128]; /* shared commutation maps already rendered (figure names) */
    size_t n_commute;
} fig_ctx;

/* Renders one figure (kind-specific arguments in the closure below) and records it. Returns 0 or the exit
 * status after a message. */
typedef enum { R_ESTIMATES, R_FD, R_COMMUTE, R_COV } render_kind;

typedef struct {
    render_kind kind;
    const char *input; /* the figure's input file */
    unsigned flags;    /* il_plot_estimates */
    const char *x_label, *y_label, *note, *title;
} render_spec;

static int add_figure(fig_ctx *fc, claim_figs *cf, const char *name, const render_spec *rs, const char *caption)
{
    if (cf->n >= IL_REPORT_MAX_FIGS)
        return 0;
    size_t k = cf->n;
    char rel[PATH_LEN];
    snprintf(rel, sizeof rel, "figures/%s.png", name);
    snprintf(cf->href[k], PATH_LEN, "%s", rel);
    snprintf(cf->caption[k], CAPTION_LEN, "%s", caption);
    cf->rendered[k] = 0;
    cf->n++;
    if (joinp(cf->png[k], PATH_LEN, fc->od->tmp, rel) != 0)
        return il_fail(CMD, "the path of --out is too long");
    for (size_t i = 0; i < fc->n_commute; i++)
        if (strcmp(fc->commute_done[i], name) == 0) {
            cf->rendered[k] = 1; /* a shared figure, already rendered */
            return 0;
        }
    if (!fc->have_gnuplot) {
        snprintf(cf->missing[k], CAPTION_LEN, "%s", fc->gp_missing);
        return 0;
    }
    char path[PATH_LEN];
    if (out_file(fc->od, rel, path, sizeof path) != 0)
        return il_fail(CMD, "out of memory");
    progress_figure(fc->ps, ++fc->n_rendered, name);
    il_plot_opts po = *fc->po;
    po.formats = IL_PLOT_PNG;
    po.title = rs->title;
    char err[700] = "";
    il_status st;
    switch (rs->kind) {
    case R_ESTIMATES:
        st = il_plot_estimates(rs->input, rs->flags, rs->x_label, rs->y_label, rs->note, path, &po, NULL, err, sizeof err);
        break;
    case R_FD:
        st = il_plot_fd_errors(rs->input, rs->note, path, &po, NULL, err, sizeof err);
        break;
    case R_COMMUTE:
        st = il_plot_commute(rs->input, NULL, path, &po, NULL, err, sizeof err);
        if (st == IL_OK && fc->n_commute < 8)
            snprintf(fc->commute_done[fc->n_commute++], 128, "%s", name);
        break;
    default:
        st = il_plot_covariance(rs->input, 1, "pre", rs->note, path, &po, NULL, err, sizeof err);
        break;
    }
    if (st != IL_OK)
        return il_fail(CMD, "figure %s: %s", name, err[0] ? err : il_strerror(st));
    cf->rendered[k] = 1;
    return 0;
}

/* The figures of result i: one per data file that has a figure; the commutation map once for all the claims
 * that name it. */
static int claim_figures(fig_ctx *fc, const il_registry_result *res, size_t m, size_t i, const char *data_dir,
                         claim_figs *cf)
{
    const il_registry_result *r = &res[i];
    const char *id = r->entry->id;
    char names[IL_REGISTRY_TEXT], p[PATH_LEN], work[PATH_LEN], rel[PATH_LEN], fig[256], note[CAPTION_LEN],
        title[CAPTION_LEN], caption[CAPTION_LEN];
    int rc = 0;
    cf->n = 0;
    snprintf(names, sizeof names, "%s", r->data);
    /* the simulation file a claim shares with others (for the covariance matrix) */
    char sim_name[256] = "";
    for (char *save = NULL, *tok = strtok_r(names, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        if (strncmp(tok, id, strlen(id)) != 0 && !strstr(tok, "commute"))
            snprintf(sim_name, sizeof sim_name, "%s", tok);
    snprintf(names, sizeof names, "%s", r->data);
    for (char *save = NULL, *tok = strtok_r(names, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        size_t tl = strlen(tok);
        if (joinp(p, sizeof p, data_dir, tok) != 0)
            continue;
        snprintf(fig, sizeof fig, "%.*s", (int)(tl > 4 ? tl - 4 : tl), tok); /* without .tsv */
        if (tl > 12 && strcmp(tok + tl - 12, "-commute.tsv") == 0) {
            render_spec rs = {R_COMMUTE, p, 0, NULL, NULL, NULL, NULL};
            snprintf(caption, sizeof caption, "Commutation map (data/%s): for each activation and dropout rate p, "
                     "the share of inputs where dropout then activation and activation then dropout differ on the "
                     "same masks; = commutes, ≠ does not.", tok);
            rc = add_figure(fc, cf, fig, &rs, caption);
            continue;
        }
        tsv t;
        if (tsv_read(p, &t) != 0)
            continue; /* not a table: no figure */
        int kind = data_kind(&t);
        snprintf(note, sizeof note, "data/%s, seed %llu", tok, (unsigned long long)r->seed);
        if (kind == FIG_FD) {
            snprintf(rel, sizeof rel, "work/%s.fd.tsv", fig);
            if (out_file(fc->od, rel, work, sizeof work) != 0 || write_fd(&t, work) != 0) {
                rc = il_fail(CMD, "cannot write the figure data of %s", id);
            } else {
                render_spec rs = {R_FD, work, 0, NULL, NULL, note, title};
                snprintf(title, sizeof title, "%s: the claimed derivative against central differences", id);
                snprintf(caption, sizeof caption, "%s: per random instance (network, input, target), the largest "
                         "|formula − central difference| / error bound over the entries, for the claim's formula and "
                         "the correct one; at most 1 (dashed) is consistent.", id);
                rc = add_figure(fc, cf, fig, &rs, caption);
            }
        } else if (kind != FIG_NONE) {
            snprintf(rel, sizeof rel, "work/%s.items.tsv", fig);
            if (out_file(fc->od, rel, work, sizeof work) != 0 || write_items(&t, kind, work) != 0) {
                rc = il_fail(CMD, "cannot write the figure data of %s", id);
            } else {
                int layers = kind == FIG_ITEMS && layer_items(&t);
                render_spec rs = {R_ESTIMATES, work, layers ? IL_PLOT_EST_LOGY | IL_PLOT_EST_LINES : 0,
                                  layers       ? "layer l (item q_l)"
                                  : kind == FIG_P ? "drop rate p"
                                  : kind == FIG_TRAIN
                                      ? "output unit: pre (the linear output) or post (after the activation)"
                                      : "item",
                                  layers ? "q_l = E[y_l,i²], log scale" : "value", note, title};
                if (layers) {
                    snprintf(title, sizeof title, "%s: the mean square q_l against depth", id);
                    snprintf(caption, sizeof caption, "%s: variance against depth: the Monte Carlo q_l (±2 SE) with "
                             "the claim's formula (crosses, dashed) and the correct value (circles).", id);
                } else {
                    snprintf(title, sizeof title, "%s: Monte Carlo estimates against the claimed values", id);
                    snprintf(caption, sizeof caption, "%s: each Monte Carlo estimate with ±2 SE bars, the value the "
                             "claim states (crosses) and, where the check has one, the correct value (circles).", id);
                }
                rc = add_figure(fc, cf, fig, &rs, caption);
                if (!rc && kind == FIG_ITEMS && offdiag_items(&t) && sim_name[0]) {
                    snprintf(rel, sizeof rel, "work/%s.cov.json", fig);
                    int cst = out_file(fc->od, rel, work, sizeof work) != 0
                                  ? -1
                                  : write_cov_json(res, m, data_dir, sim_name, work);
                    if (cst < 0) {
                        rc = il_fail(CMD, "cannot write the covariance matrix of %s", id);
                    } else if (cst == 0) {
                        double cl = strtod(tsv_cell(&t, 0, tsv_col(&t, "claimed")), NULL),
                               co = strtod(tsv_cell(&t, 0, tsv_col(&t, "correct")), NULL);
                        snprintf(note, sizeof note, "off-diagonal: claimed %.4g, correct %.4g", cl, co);
                        render_spec cs = {R_COV, work, 0, NULL, NULL, note, NULL};
                        snprintf(caption, sizeof caption, "%s: the covariance matrix of the layer, Monte Carlo "
                                 "estimate ± SE per cell (diverging colours centred on 0), from data/%s and the "
                                 "variances of the other claims on data/%s.", id, tok, sim_name);
                        char cname[300];
                        snprintf(cname, sizeof cname, "%s-covariance", fig);
                        rc = add_figure(fc, cf, cname, &cs, caption);
                    }
                }
            }
        }
        tsv_release(&t);
    }
    return rc;
}

/* ---------------------------------------------------------------- the command */

static int write_file(outdir *od, const char *rel, int (*fn)(FILE *f, void *ctx), void *ctx)
{
    char path[PATH_LEN];
    if (out_file(od, rel, path, sizeof path) != 0)
        return il_fail(CMD, "out of memory");
    FILE *f = fopen(path, "w");
    if (!f)
        return il_fail(CMD, "cannot write '%s': %s", rel, strerror(errno));
    int bad = fn(f, ctx);
    bad |= fclose(f) != 0;
    return bad ? il_fail(CMD, "writing '%s' failed", rel) : 0;
}

typedef struct {
    const il_report *rep;
    const il_param *ps;
    size_t n_ps;
    const il_registry_result *res;
    size_t m;
} write_ctx;

static int put_md(FILE *f, void *ctx)
{
    return il_report_write_md(f, ((write_ctx *)ctx)->rep) != IL_OK;
}

static int put_html(FILE *f, void *ctx)
{
    char err[600] = "";
    il_status st = il_report_write_html(f, ((write_ctx *)ctx)->rep, err, sizeof err);
    if (st != IL_OK)
        fprintf(stderr, "initlab %s: %s\n", CMD, err[0] ? err : il_strerror(st));
    return st != IL_OK;
}

static int put_tsv(FILE *f, void *ctx)
{
    write_ctx *w = ctx;
    return il_registry_write_tsv(f, CMD, w->ps, w->n_ps, w->res, w->m) != IL_OK;
}

int cmd_report(int argc, char **argv)
{
    static il_cmdopts o;
    static char *args[MAX_ARGS];
    if (argc > MAX_ARGS)
        return il_usage_error(CMD, "too many arguments");
    /* -o DIR is --out DIR */
    static char out_opt[] = "--out";
    for (int a = 0; a < argc; a++)
        args[a] = strcmp(argv[a], "-o") == 0 && a > 0 ? out_opt : argv[a];
    il_cmdopts_init(&o, report_opts, sizeof report_opts / sizeof report_opts[0], 0);
    const char *pos[1];
    size_t npos;
    int rc = il_opts_parse(CMD, o.defs, o.n, argc, args, o.vals, pos, 0, &npos, "-o DIR [options]",
                           "Runs the claims of the seed homeworks as 'initlab claims' does, draws the figure of each "
                           "with gnuplot, and writes DIR/report.md and DIR/report.html: the verdict table, one section "
                           "per claim (the claim as written, the reading used, the test and its threshold, the "
                           "evidence, estimate ± SE against the claimed and the correct value, the verdict and its "
                           "margin, the correct statement) with its figures, and an appendix of parameters, seeds, "
                           "versions and run times. report.html is self-contained (figures embedded, no external "
                           "resource); report.md links the PNGs in DIR/figures/. DIR also gets claims.tsv (the "
                           "'initlab claims' table) and data/ (the checks' data files). Everything is written into a "
                           "private directory first and moved into place at the end: a failed run leaves nothing. "
                           "Exit status: 0 done, 1 runtime failure, 2 bad command line, 3 gnuplot not found (the "
                           "report was written with a note in place of each figure). Details: docs/report.md.");
    if (rc)
        return rc < 0 ? IL_EXIT_OK : rc;
    uint64_t seed;
    size_t threads;
    int procs = omp_get_num_procs();
    const char *dir = il_cmdopts_get(&o, "out");
    if (!dir)
        return il_usage_error(CMD, "-o DIR (--out DIR) is required: the directory to write the report into");
    if (!*dir)
        return il_usage_error(CMD, "--out needs a directory name, got ''");
    if ((rc = il_cli_u64(CMD, &o, "seed", 1, &seed)) ||
        (rc = il_cli_size(CMD, &o, "threads", 1, 256, (size_t)(procs > 0 ? procs : 1), &threads)))
        return rc;
    if (il_cmdopts_get(&o, "progress") && il_cmdopts_get(&o, "quiet"))
        return il_usage_error(CMD, "--progress and --quiet contradict each other");
    const char *gp = il_cmdopts_get(&o, "gnuplot");
    if (gp && !*gp)
        return il_usage_error(CMD, "--gnuplot needs a program name, got ''");
    const char *scripts = il_cmdopts_get(&o, "scripts");
    if (scripts) {
        struct stat sst;
        if (!*scripts || stat(scripts, &sst) != 0 || !S_ISDIR(sst.st_mode))
            return il_usage_error(CMD, "--scripts '%s' is not an existing directory", scripts);
    }
    int timings = il_cmdopts_get(&o, "no-timings") == NULL;
    const char *ids = il_cmdopts_get(&o, "id");
    double t0 = now();

    char err[1024] = "";
    il_registry *reg = il_registry_alloc();
    if (!reg)
        return il_fail(CMD, "out of memory");
    if (il_registry_add_builtin(reg, err, sizeof err) != IL_OK) {
        il_registry_free(reg);
        return il_fail(CMD, "internal error in the claim registry: %s", err);
    }
    size_t n = il_registry_count(reg), m = 0;
    size_t *which = malloc((n ? n : 1) * sizeof *which);
    il_registry_result *res = NULL;
    il_report_claim *rcl = NULL;
    claim_figs *figs = NULL;
    double *start = NULL;
    outdir od;
    memset(&od, 0, sizeof od);
    int opened = 0, gnuplot_missing = 0;
    if (!which) {
        rc = il_fail(CMD, "out of memory");
        goto done;
    }
    if ((rc = il_cli_select_claims(CMD, reg, ids, which, &m)))
        goto done;
    res = calloc(m ? m : 1, sizeof *res);
    rcl = calloc(m ? m : 1, sizeof *rcl);
    figs = calloc(m ? m : 1, sizeof *figs);
    start = calloc(m + 1, sizeof *start);
    if (!res || !rcl || !figs || !start) {
        rc = il_fail(CMD, "out of memory");
        goto done;
    }
    if ((rc = out_open(&od, dir)))
        goto done;
    opened = 1;

    /* the claims, with their data files in data/ */
    char data_dir[PATH_LEN];
    joinp(data_dir, sizeof data_dir, od.tmp, "data");
    il_registry_opts ro;
    il_registry_opts_default(&ro);
    ro.seed = seed;
    ro.threads = (int)threads;
    ro.data_dir = data_dir;
    progress_state pst = {0, isatty(STDERR_FILENO), start};
    pst.show = il_cmdopts_get(&o, "progress") || (!il_cmdopts_get(&o, "quiet") && pst.tty);
    ro.progress = on_progress;
    ro.progress_ctx = &pst;
    il_status st = il_registry_run(reg, which, m, &ro, res, err, sizeof err);
    start[m] = now();
    if (st != IL_OK) {
        rc = il_fail(CMD, "%s; nothing was written", err);
        goto done;
    }
    for (size_t i = 0; i < m; i++) {
        char rel[PATH_LEN], p[PATH_LEN], names[IL_REGISTRY_TEXT];
        snprintf(names, sizeof names, "%s", res[i].data);
        for (char *save = NULL, *tok = strtok_r(names, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            int seen = 0;
            snprintf(rel, sizeof rel, "data/%s", tok);
            for (size_t k = 0; k < od.n_files; k++)
                seen |= strcmp(od.files[k], rel) == 0;
            if (!seen && out_file(&od, rel, p, sizeof p) != 0) {
                rc = il_fail(CMD, "out of memory");
                goto done;
            }
        }
    }

    /* the figures */
    il_plot_opts po;
    il_plot_opts_default(&po);
    po.gnuplot = gp;
    po.scripts = scripts;
    fig_ctx fc;
    memset(&fc, 0, sizeof fc);
    fc.od = &od;
    fc.po = &po;
    fc.ps = &pst;
    char gp_version[256];
    il_status gst = il_plot_gnuplot_version(gp, gp_version, sizeof gp_version);
    fc.have_gnuplot = gst != IL_EUNSUPPORTED; /* a gnuplot whose version cannot be read may still render */
    gnuplot_missing = gst == IL_EUNSUPPORTED;
    snprintf(fc.gp_missing, sizeof fc.gp_missing, "gnuplot was not found (Debian: sudo apt-get install gnuplot-nox; "
             "then run initlab report again)");
    for (size_t i = 0; i < m && !rc; i++) {
        rc = claim_figures(&fc, res, m, i, data_dir, &figs[i]);
        rcl[i].res = &res[i];
        rcl[i].seconds = start[i + 1] - start[i];
        rcl[i].n_figs = figs[i].n;
        for (size_t k = 0; k < figs[i].n; k++) {
            rcl[i].figs[k].png = figs[i].rendered[k] ? figs[i].png[k] : NULL;
            rcl[i].figs[k].href = figs[i].href[k];
            rcl[i].figs[k].caption = figs[i].caption[k];
            rcl[i].figs[k].missing = figs[i].rendered[k] ? NULL : figs[i].missing[k];
        }
    }
    if (rc)
        goto done;
    if (pst.show && pst.tty)
        fprintf(stderr, "\r%70s\r", "");

    /* the appendix */
    char seedbuf[32], mbuf[32], alpha[64], clear[32], fdh[32], thr[32], reproduce[PATH_LEN], blas[512], cc[256],
        jv[64], date[64];
    snprintf(seedbuf, sizeof seedbuf, "%llu", (unsigned long long)seed);
    snprintf(mbuf, sizeof mbuf, "%zu", m);
    snprintf(alpha, sizeof alpha, "%g (Holm over each claim's items)", IL_REGISTRY_ALPHA);
    snprintf(clear, sizeof clear, "%g", IL_REGISTRY_CLEAR_MARGIN);
    snprintf(fdh, sizeof fdh, "2^-17 = %g", IL_REGISTRY_FD_H);
    snprintf(thr, sizeof thr, "%zu", threads);
    snprintf(reproduce, sizeof reproduce, "initlab claims --seed %llu%s%.3000s --format table",
             (unsigned long long)seed, ids ? " --id " : "", ids ? ids : "");
    const char *cfg = openblas_get_config();
    snprintf(blas, sizeof blas, "%s", cfg ? cfg : "unknown");
#ifdef __VERSION__
    snprintf(cc, sizeof cc, "%s%s", strstr(__VERSION__, "clang") ? "" : "gcc ", __VERSION__);
#else
    snprintf(cc, sizeof cc, "unknown");
#endif
    snprintf(jv, sizeof jv, "%s", JANSSON_VERSION);
    const il_report_kv params[] = {
        {"seed", seedbuf},
        {"claims", mbuf},
        {"ids", ids ? ids : "all"},
        {"seeds of the computations", "each derived from the seed and the computation's name (il_registry_seed; "
         "the configuration of each claim gives its own)"},
        {"alpha of the Monte Carlo claims", alpha},
        {"clear margin (below: borderline)", clear},
        {"finite-difference step", fdh},
    };
    const il_report_kv versions[] = {
        {"initlab", IL_VERSION},
        {"GSL", gsl_version},
        {"OpenBLAS", blas},
        {"jansson", jv},
        {"gnuplot", gp_version},
        {"compiler", cc},
    };
    time_t tt = time(NULL);
    struct tm tmv;
    if (gmtime_r(&tt, &tmv))
        strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", &tmv);
    else
        snprintf(date, sizeof date, "unknown");
    const il_report_kv run[] = {
        {"date", date},
        {"threads", thr},
        {"note", "a computation shared by several claims is timed with the first claim that needs it"},
    };
    il_report rep = {"initlab: the claims of the seed homeworks, checked", rcl, m, params,
                     sizeof params / sizeof params[0], versions, sizeof versions / sizeof versions[0], reproduce,
                     timings, now() - t0, run, sizeof run / sizeof run[0]};
    static il_params ps;
    ps.n = 0;
    il_params_add(&ps, "seed", 1, "%llu", (unsigned long long)seed);
    il_params_add(&ps, "claims", 1, "%zu", m);
    il_params_add(&ps, "ids", 0, "%.250s", ids ? ids : "all");
    write_ctx w = {&rep, ps.p, ps.n, res, m};
    if ((rc = write_file(&od, "claims.tsv", put_tsv, &w)) || (rc = write_file(&od, "report.md", put_md, &w)) ||
        (rc = write_file(&od, "report.html", put_html, &w)))
        goto done;
    if (out_commit(&od) != 0) {
        opened = 0;
        rc = il_fail(CMD, "moving the report into '%s' failed: %s", dir, strerror(errno));
        goto done;
    }
    opened = 0;
    if (pst.show)
        fprintf(stderr, "initlab report: wrote %s/report.html and %s/report.md\n", dir, dir);
    if (gnuplot_missing) {
        fprintf(stderr, "initlab %s: gnuplot not found: the report in '%s' has a note in place of each figure "
                "(Debian: sudo apt-get install gnuplot-nox)\n", CMD, dir);
        rc = IL_EXIT_PARTIAL;
    }
done:
    if (opened)
        out_cleanup(&od, 1);
    free(start);
    free(figs);
    free(rcl);
    free(res);
    free(which);
    il_registry_free(reg);
    return rc;
}
