/* plot.c: figures with gnuplot: reading initlab's TSVs, the VARS file of each script, running gnuplot
 * without a shell, and putting the figures in place whole or not at all (plot.h, docs/plots.md). */
#define _XOPEN_SOURCE 700 /* realpath */
#include "plot.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* gnuplot's captured output is kept up to this many bytes (the rest is read and dropped). */
#define CAPTURE_MAX 65536
/* Default figure sizes (pixels for PNG, points for SVG). */
#define VARIANCE_W 1000
#define VARIANCE_H 720
#define DIST_W 1250
#define DIST_H 620
#define COV_W 820
#define COV_H 760
/* Colours of the inputs (Okabe-Ito without yellow and black, then Tol's muted scheme); plots/common.gp
 * defines the same as line types 1-12. */
#define N_COLOURS 12

/* ---------------------------------------------------------------- small helpers */

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* A growing string. On allocation failure it stays NULL-terminated and sets bad. */
typedef struct {
    char *s;
    size_t len, cap;
    int bad;
} sbuf;

static void sb_putn(sbuf *b, const char *s, size_t n)
{
    if (b->bad)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->bad = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_putn(b, s, strlen(s));
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->bad = 1;
        return;
    }
    if ((size_t)n < sizeof tmp) {
        sb_putn(b, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->bad = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_putn(b, big, (size_t)n);
    free(big);
}

static const char *sb_str(const sbuf *b)
{
    return b->s ? b->s : "";
}

/* Strict number parsing of a cell: the whole string, "NaN" and "Inf" accepted. */
static int cell_num(const char *s, double *v)
{
    if (!s || !*s)
        return 0;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*end != '\0')
        return 0;
    *v = d;
    return 1;
}

/* A number written for people: %.4g, or the text itself when it is not a number. */
static void short_num(const char *s, char *buf, size_t n)
{
    double v;
    if (cell_num(s, &v) && isfinite(v))
        snprintf(buf, n, "%.4g", v);
    else
        snprintf(buf, n, "%s", s);
}

/* The number of UTF-8 characters in s[0..n). */
static size_t utf8_chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

/* ---------------------------------------------------------------- options and output paths */

void il_plot_opts_default(il_plot_opts *o)
{
    memset(o, 0, sizeof *o);
}

il_status il_plot_parse_formats(const char *text, unsigned *fmts)
{
    if (!text)
        return IL_EINVAL;
    unsigned f = 0;
    const char *p = text;
    for (;;) {
        size_t n = strcspn(p, ",");
        unsigned one = 0;
        if (n == 3 && strncmp(p, "png", 3) == 0)
            one = IL_PLOT_PNG;
        else if (n == 3 && strncmp(p, "svg", 3) == 0)
            one = IL_PLOT_SVG;
        if (!one || (f & one))
            return IL_EINVAL;
        f |= one;
        if (!p[n])
            break;
        p += n + 1;
    }
    *fmts = f;
    return IL_OK;
}

static int has_ext(const char *path, const char *ext)
{
    size_t n = strlen(path), e = strlen(ext);
    if (n < e)
        return 0;
    for (size_t i = 0; i < e; i++)
        if (tolower((unsigned char)path[n - e + i]) != ext[i])
            return 0;
    return 1;
}

il_status il_plot_resolve_out(const char *out, unsigned fmts, char **base, unsigned *resolved, char *err,
                              size_t errlen)
{
    *base = NULL;
    if (!out || !*out) {
        seterr(err, errlen, "the output path is empty");
        return IL_EINVAL;
    }
    size_t n = strlen(out);
    if (out[n - 1] == '/') {
        seterr(err, errlen, "the output path '%s' is a directory; give a file name ending in .png or .svg", out);
        return IL_EINVAL;
    }
    struct stat st;
    if (stat(out, &st) == 0 && S_ISDIR(st.st_mode)) {
        seterr(err, errlen, "the output path '%s' is a directory; give a file name ending in .png or .svg", out);
        return IL_EINVAL;
    }
    unsigned ext = has_ext(out, ".png") ? IL_PLOT_PNG : has_ext(out, ".svg") ? IL_PLOT_SVG : 0;
    if (!fmts && !ext) {
        seterr(err, errlen, "the output '%s' must end in .png or .svg (or give the formats, e.g. png,svg)", out);
        return IL_EINVAL;
    }
    if (fmts && ext && !(fmts & ext)) {
        seterr(err, errlen, "the output '%s' ends in .%s but the formats asked for are %s", out,
               ext == IL_PLOT_PNG ? "png" : "svg", fmts == IL_PLOT_PNG ? "png" : "svg");
        return IL_EINVAL;
    }
    size_t keep = ext ? n - 4 : n;
    if (keep == 0 || out[keep - 1] == '/') {
        seterr(err, errlen, "the output '%s' has no name before its extension", out);
        return IL_EINVAL;
    }
    char *b = malloc(keep + 1);
    if (!b)
        return IL_ENOMEM;
    memcpy(b, out, keep);
    b[keep] = '\0';
    *base = b;
    *resolved = fmts ? fmts : ext;
    return IL_OK;
}

const char *il_plot_default_scripts(char *buf, size_t n)
{
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            static const char *const rel[] = {"/../plots", "/../share/initlab/plots"};
            for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
                char cand[PATH_MAX + 64], probe[PATH_MAX + 96];
                snprintf(cand, sizeof cand, "%s%s", exe, rel[i]);
                snprintf(probe, sizeof probe, "%s/variance_depth.gp", cand);
                if (access(probe, R_OK) == 0) {
                    char real[PATH_MAX];
                    snprintf(buf, n, "%s", realpath(cand, real) ? real : cand);
                    return buf;
                }
            }
        }
    }
    snprintf(buf, n, "plots");
    return buf;
}

/* ---------------------------------------------------------------- quoting and diagnostics */

size_t il_plot_gp_quote(const char *s, char *buf, size_t n)
{
    size_t need = 0;
#define PUT(c)                       \
    do {                             \
        if (buf && need + 1 < n)     \
            buf[need] = (c);         \
        need++;                      \
    } while (0)
    PUT('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            PUT(' ');
        } else if (isalnum(*p) || strchr(" _.,:/+=()-", *p)) {
            PUT((char)*p);
        } else {
            /* octal: no quote can end the string, and gnuplot's `backquote` substitution and @macro
             * expansion, which act on the raw line, never see the character */
            PUT('\\');
            PUT((char)('0' + (*p >> 6)));
            PUT((char)('0' + ((*p >> 3) & 7)));
            PUT((char)('0' + (*p & 7)));
        }
    }
    PUT('"');
#undef PUT
    if (buf && n)
        buf[need < n ? need : n - 1] = '\0';
    return need;
}

static void sb_gp(sbuf *b, const char *s)
{
    size_t need = il_plot_gp_quote(s, NULL, 0);
    char *q = malloc(need + 1);
    if (!q) {
        b->bad = 1;
        return;
    }
    il_plot_gp_quote(s, q, need + 1);
    sb_putn(b, q, need);
    free(q);
}

char *il_plot_sh_quote(const char *s)
{
    int bare = *s != '\0';
    for (const char *p = s; *p && bare; p++)
        bare = isalnum((unsigned char)*p) || strchr("_./=:,+-", *p);
    sbuf b = {0};
    if (bare) {
        sb_puts(&b, s);
    } else {
        sb_putn(&b, "'", 1);
        for (const char *p = s; *p; p++) {
            if (*p == '\'')
                sb_puts(&b, "'\\''");
            else
                sb_putn(&b, p, 1);
        }
        sb_putn(&b, "'", 1);
    }
    if (b.bad) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* Whether line[0..n) contains "warning" in any case. */
static int mentions_warning(const char *line, size_t n)
{
    static const char w[] = "warning";
    for (size_t i = 0; i + 7 <= n; i++) {
        size_t k = 0;
        while (k < 7 && tolower((unsigned char)line[i + k]) == w[k])
            k++;
        if (k == 7)
            return 1;
    }
    return 0;
}

size_t il_plot_diagnostic(const char *output, char *line, size_t n)
{
    size_t count = 0;
    const char *first = NULL, *warn = NULL;
    size_t first_len = 0, warn_len = 0;
    for (const char *p = output; p && *p;) {
        size_t len = strcspn(p, "\n");
        const char *q = p;
        size_t ql = len;
        while (ql && isspace((unsigned char)*q)) {
            q++;
            ql--;
        }
        while (ql && isspace((unsigned char)q[ql - 1]))
            ql--;
        /* gnuplot echoes the offending command and a caret under it: those lines are context */
        int caret = ql > 0 && strspn(q, "^ ") >= ql;
        if (ql && !caret) {
            count++;
            if (!first) {
                first = q;
                first_len = ql;
            }
            if (!warn && mentions_warning(q, ql)) {
                warn = q;
                warn_len = ql;
            }
        }
        p += len;
        if (*p == '\n')
            p++;
    }
    if (line && n) {
        const char *show = warn ? warn : first;
        size_t sl = warn ? warn_len : first_len;
        if (!show)
            line[0] = '\0';
        else if (count > 1)
            snprintf(line, n, "%.*s (and %zu more line%s)", (int)(sl > 400 ? 400 : sl), show, count - 1,
                     count > 2 ? "s" : "");
        else
            snprintf(line, n, "%.*s", (int)(sl > 400 ? 400 : sl), show);
    }
    return count;
}

/* ---------------------------------------------------------------- running gnuplot */

il_status il_plot_exec(const char *gnuplot, const char *const *args, size_t nargs, char *err, size_t errlen)
{
    if (!gnuplot || !*gnuplot || nargs > 64) {
        seterr(err, errlen, "no gnuplot program given");
        return IL_EINVAL;
    }
    char *argv[66];
    argv[0] = (char *)gnuplot;
    for (size_t i = 0; i < nargs; i++)
        argv[i + 1] = (char *)args[i];
    argv[nargs + 1] = NULL;
    int p[2];
    if (pipe(p) != 0) {
        seterr(err, errlen, "cannot create a pipe for gnuplot: %s", strerror(errno));
        return IL_EIO;
    }
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0) {
        close(p[0]);
        close(p[1]);
        seterr(err, errlen, "cannot start gnuplot: out of memory");
        return IL_ENOMEM;
    }
    int bad = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
              posix_spawn_file_actions_adddup2(&fa, p[1], 1) != 0 ||
              posix_spawn_file_actions_adddup2(&fa, p[1], 2) != 0;
    pid_t pid = 0;
    int rc = bad ? ENOMEM : posix_spawnp(&pid, gnuplot, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (rc != 0) {
        close(p[0]);
        if (rc == ENOENT || rc == EACCES || rc == ENOTDIR || rc == ENOEXEC) {
            seterr(err, errlen, "cannot run '%s': %s", gnuplot, strerror(rc));
            return IL_EUNSUPPORTED;
        }
        seterr(err, errlen, "cannot start '%s': %s", gnuplot, strerror(rc));
        return IL_EIO;
    }
    char *cap = malloc(CAPTURE_MAX + 1);
    size_t len = 0;
    char chunk[4096];
    for (;;) {
        ssize_t k = read(p[0], chunk, sizeof chunk);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        size_t room = cap ? CAPTURE_MAX - len : 0;
        size_t take = (size_t)k < room ? (size_t)k : room;
        if (take) {
            memcpy(cap + len, chunk, take);
            len += take;
        }
    }
    close(p[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            free(cap);
            seterr(err, errlen, "waiting for gnuplot failed: %s", strerror(errno));
            return IL_EIO;
        }
    }
    if (!cap) {
        seterr(err, errlen, "out of memory reading gnuplot's output");
        return IL_ENOMEM;
    }
    cap[len] = '\0';
    char line[600];
    size_t lines = il_plot_diagnostic(cap, line, sizeof line);
    free(cap);
    int exited0 = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && lines == 0) {
        seterr(err, errlen, "cannot run '%s'", gnuplot);
        return IL_EUNSUPPORTED;
    }
    if (exited0 && lines == 0)
        return IL_OK;
    if (lines)
        seterr(err, errlen, "gnuplot: %s", line);
    else if (WIFEXITED(status))
        seterr(err, errlen, "gnuplot exited with status %d", WEXITSTATUS(status));
    else
        seterr(err, errlen, "gnuplot was killed by signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return IL_EIO;
}

/* ---------------------------------------------------------------- initlab TSVs */

static int is_key(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
            return 0;
    return 1;
}

/* Splits line (modified in place) at tabs into at most cap fields. Returns the count. */
static size_t split_tabs(char *line, char **fields, size_t cap)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        char *tab = strchr(p, '\t');
        if (tab)
            *tab = '\0';
        if (n < cap)
            fields[n] = p;
        n++;
        if (!tab)
            break;
        p = tab + 1;
    }
    return n;
}

void il_plot_table_release(il_plot_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_params; i++) {
        free(t->keys[i]);
        free(t->values[i]);
    }
    for (size_t i = 0; i < t->n_cols; i++)
        free(t->cols[i]);
    if (t->cells)
        for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
            free(t->cells[i]);
    free(t->command);
    free(t->keys);
    free(t->values);
    free(t->cols);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

static il_status table_add_param(il_plot_table *t, const char *k, size_t kl, const char *v)
{
    char **nk = realloc(t->keys, (t->n_params + 1) * sizeof *nk);
    if (!nk)
        return IL_ENOMEM;
    t->keys = nk;
    char **nv = realloc(t->values, (t->n_params + 1) * sizeof *nv);
    if (!nv)
        return IL_ENOMEM;
    t->values = nv;
    char *key = malloc(kl + 1), *val = xstrdup(v);
    if (!key || !val) {
        free(key);
        free(val);
        return IL_ENOMEM;
    }
    memcpy(key, k, kl);
    key[kl] = '\0';
    t->keys[t->n_params] = key;
    t->values[t->n_params] = val;
    t->n_params++;
    return IL_OK;
}

il_status il_plot_table_read(il_plot_table *t, const char *path, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f) {
        seterr(err, errlen, "cannot read '%s': %s", path, strerror(errno));
        return IL_EIO;
    }
    il_status rc = IL_OK;
    char *line = NULL, **fields = NULL;
    size_t cap = 0, row_cap = 0;
    ssize_t got;
    size_t lineno = 0;
    int in_header = 1;
    while ((got = getline(&line, &cap, f)) > 0) {
        lineno++;
        size_t n = (size_t)got;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (memchr(line, '\0', n)) {
            seterr(err, errlen, "'%s' is not a text file (a NUL byte on line %zu)", path, lineno);
            rc = IL_EINVAL;
            break;
        }
        if (lineno == 1) {
            if (strncmp(line, "# initlab ", 10) != 0) {
                seterr(err, errlen, "'%s' is not a TSV written by initlab (its first line is not '# initlab VERSION "
                       "COMMAND')", path);
                rc = IL_EINVAL;
                break;
            }
            const char *cmd = strchr(line + 10, ' ');
            if (!cmd || !cmd[1]) {
                seterr(err, errlen, "'%s': the first line names no command", path);
                rc = IL_EINVAL;
                break;
            }
            if (!(t->command = xstrdup(cmd + 1))) {
                rc = IL_ENOMEM;
                break;
            }
            continue;
        }
        if (line[0] == '#') {
            /* "# key = value" while in the header; other comment lines are notes */
            const char *k = line + 1;
            while (*k == ' ')
                k++;
            const char *eq = strstr(k, " = ");
            if (in_header && eq && is_key(k, (size_t)(eq - k)) &&
                (rc = table_add_param(t, k, (size_t)(eq - k), eq + 3)) != IL_OK)
                break;
            continue;
        }
        if (n == 0)
            continue;
        if (in_header) {
            in_header = 0;
            size_t nc = 1;
            for (const char *c = line; *c; c++)
                nc += *c == '\t';
            if (!(t->cols = calloc(nc, sizeof *t->cols)) || !(fields = calloc(nc, sizeof *fields))) {
                rc = IL_ENOMEM;
                break;
            }
            split_tabs(line, fields, nc);
            for (size_t i = 0; i < nc; i++) {
                if (!(t->cols[i] = xstrdup(fields[i]))) {
                    rc = IL_ENOMEM;
                    break;
                }
                t->n_cols++;
            }
            if (rc != IL_OK)
                break;
            continue;
        }
        size_t nc = split_tabs(line, fields, t->n_cols);
        if (nc > t->n_cols) {
            seterr(err, errlen, "'%s' line %zu has %zu fields but the column line has %zu", path, lineno, nc, t->n_cols);
            rc = IL_EINVAL;
            break;
        }
        if (t->n_rows == row_cap) {
            size_t nr = row_cap ? 2 * row_cap : 64;
            char **nc2 = realloc(t->cells, nr * t->n_cols * sizeof *nc2);
            if (!nc2) {
                rc = IL_ENOMEM;
                break;
            }
            t->cells = nc2;
            row_cap = nr;
        }
        char **row = t->cells + t->n_rows * t->n_cols;
        for (size_t i = 0; i < t->n_cols; i++)
            row[i] = NULL;
        t->n_rows++;
        for (size_t i = 0; i < t->n_cols; i++)
            if (!(row[i] = xstrdup(i < nc ? fields[i] : ""))) {
                rc = IL_ENOMEM;
                break;
            }
        if (rc != IL_OK)
            break;
    }
    if (rc == IL_OK && ferror(f)) {
        seterr(err, errlen, "reading '%s' failed: %s", path, strerror(errno));
        rc = IL_EIO;
    }
    if (rc == IL_OK && lineno == 0) {
        seterr(err, errlen, "'%s' is empty", path);
        rc = IL_EINVAL;
    }
    if (rc == IL_OK && !t->n_cols) {
        seterr(err, errlen, "'%s' has no column line (a TSV written by initlab has one after its '#' header)", path);
        rc = IL_EINVAL;
    }
    if (rc == IL_ENOMEM)
        seterr(err, errlen, "out of memory reading '%s'", path);
    free(fields);
    free(line);
    fclose(f);
    if (rc != IL_OK)
        il_plot_table_release(t);
    return rc;
}

const char *il_plot_table_param(const il_plot_table *t, const char *key)
{
    for (size_t i = 0; i < t->n_params; i++)
        if (strcmp(t->keys[i], key) == 0)
            return t->values[i];
    return NULL;
}

long il_plot_table_col(const il_plot_table *t, const char *name)
{
    for (size_t i = 0; i < t->n_cols; i++)
        if (strcmp(t->cols[i], name) == 0)
            return (long)i;
    return -1;
}

const char *il_plot_table_cell(const il_plot_table *t, size_t row, size_t col)
{
    if (row >= t->n_rows || col >= t->n_cols)
        return "";
    return t->cells[row * t->n_cols + col];
}

size_t il_plot_histogram(const double *x, size_t n, double lo, double hi, size_t bins, size_t *counts)
{
    for (size_t b = 0; b < bins; b++)
        counts[b] = 0;
    if (!bins || !(hi > lo))
        return 0;
    size_t total = 0;
    double w = (hi - lo) / (double)bins;
    for (size_t i = 0; i < n; i++) {
        if (!(x[i] >= lo && x[i] <= hi))
            continue;
        size_t b = (size_t)((x[i] - lo) / w);
        if (b >= bins)
            b = bins - 1;
        counts[b]++;
        total++;
    }
    return total;
}

/* ---------------------------------------------------------------- a figure being prepared */

typedef enum { VAR_STR, VAR_NUM, VAR_DATA } var_kind;

typedef struct {
    char *name;
    size_t index; /* 0: a scalar; >= 1: an element of the array name */
    var_kind kind;
    char *text;   /* VAR_STR: the string; VAR_DATA: the data file's name */
    double num;
} gp_var;

typedef struct {
    const il_plot_opts *o;
    char *script;   /* absolute path of plots/KIND.gp */
    char *base;     /* the figure's path without extension, as given */
    char *absbase;  /* the same, absolute */
    unsigned fmts;
    char *tmpdir;   /* absolute; removed by job_close */
    size_t n_data;
    char *data_names[8];
    FILE *data_files[8];
    gp_var *vars;
    size_t n_vars, cap_vars;
    int bad;        /* errno of a failed setter (ENOMEM, or an input that cannot be resolved) */
    char bad_what[256];
    int width, height;
} job;

static char *join_path(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *p = malloc(na + nb + 2);
    if (!p)
        return NULL;
    memcpy(p, a, na);
    p[na] = '/';
    memcpy(p + na + 1, b, nb + 1);
    return p;
}

static char *concat(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *p = malloc(na + nb + 1);
    if (!p)
        return NULL;
    memcpy(p, a, na);
    memcpy(p + na, b, nb + 1);
    return p;
}

static void job_close(job *j)
{
    for (size_t i = 0; i < j->n_data; i++) {
        if (j->data_files[i])
            fclose(j->data_files[i]);
        if (j->tmpdir) {
            char name[300];
            snprintf(name, sizeof name, "%s.tsv", j->data_names[i]);
            char *p = join_path(j->tmpdir, name);
            if (p)
                unlink(p);
            free(p);
        }
        free(j->data_names[i]);
    }
    if (j->tmpdir) {
        static const char *const extra[] = {"vars.gp", "vars.final.gp", "render.gp"};
        for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
            char *p = join_path(j->tmpdir, extra[i]);
            if (p)
                unlink(p);
            free(p);
        }
        rmdir(j->tmpdir);
    }
    for (size_t i = 0; i < j->n_vars; i++) {
        free(j->vars[i].name);
        free(j->vars[i].text);
    }
    free(j->vars);
    free(j->tmpdir);
    free(j->script);
    free(j->base);
    free(j->absbase);
    memset(j, 0, sizeof *j);
}

/* job_open: resolves the output and the script, and makes the private directory beside the figure. */
static il_status job_open(job *j, const char *script_name, const char *out, const il_plot_opts *o, int dflt_w,
                          int dflt_h, char *err, size_t errlen)
{
    memset(j, 0, sizeof *j);
    j->o = o;
    j->width = o->width > 0 ? o->width : dflt_w;
    j->height = o->height > 0 ? o->height : dflt_h;
    il_status st = il_plot_resolve_out(out, o->formats, &j->base, &j->fmts, err, errlen);
    if (st != IL_OK)
        return st;
    char dirbuf[PATH_MAX];
    const char *dir = o->scripts ? o->scripts : il_plot_default_scripts(dirbuf, sizeof dirbuf);
    char *script = join_path(dir, script_name);
    if (!script) {
        job_close(j);
        return IL_ENOMEM;
    }
    char real[PATH_MAX];
    if (!realpath(script, real) || access(real, R_OK) != 0) {
        seterr(err, errlen, "the gnuplot script '%s' cannot be read (%s); give the directory of initlab's plots/ "
               "scripts", script, strerror(errno));
        free(script);
        job_close(j);
        return IL_EINVAL;
    }
    free(script);
    if (!(j->script = xstrdup(real))) {
        job_close(j);
        return IL_ENOMEM;
    }
    /* the absolute base: the real directory of the output, then its name */
    const char *slash = strrchr(j->base, '/');
    char *d = slash ? malloc((size_t)(slash - j->base) + 2) : xstrdup(".");
    if (!d) {
        job_close(j);
        return IL_ENOMEM;
    }
    if (slash) {
        size_t dl = slash == j->base ? 1 : (size_t)(slash - j->base);
        memcpy(d, j->base, dl);
        d[dl] = '\0';
    }
    const char *name = slash ? slash + 1 : j->base;
    if (!realpath(d, real)) {
        seterr(err, errlen, "cannot write into the directory '%s' of the output: %s", d, strerror(errno));
        free(d);
        job_close(j);
        return IL_EIO;
    }
    free(d);
    j->absbase = join_path(strcmp(real, "/") == 0 ? "" : real, name);
    char tmpl[64];
    snprintf(tmpl, sizeof tmpl, ".initlab-plot.XXXXXX");
    char *t = j->absbase ? join_path(strcmp(real, "/") == 0 ? "" : real, tmpl) : NULL;
    if (!t) {
        job_close(j);
        return IL_ENOMEM;
    }
    if (!mkdtemp(t)) {
        seterr(err, errlen, "cannot create a temporary directory in '%s': %s", real, strerror(errno));
        free(t);
        job_close(j);
        return IL_EIO;
    }
    j->tmpdir = t;
    return IL_OK;
}

static gp_var *job_var(job *j, const char *name, size_t index, var_kind kind)
{
    if (j->bad)
        return NULL;
    if (j->n_vars == j->cap_vars) {
        size_t nc = j->cap_vars ? 2 * j->cap_vars : 32;
        gp_var *nv = realloc(j->vars, nc * sizeof *nv);
        if (!nv) {
            j->bad = ENOMEM;
            return NULL;
        }
        j->vars = nv;
        j->cap_vars = nc;
    }
    gp_var *v = &j->vars[j->n_vars];
    memset(v, 0, sizeof *v);
    if (!(v->name = xstrdup(name))) {
        j->bad = ENOMEM;
        return NULL;
    }
    v->index = index;
    v->kind = kind;
    j->n_vars++;
    return v;
}

static void job_str(job *j, const char *name, size_t index, const char *text)
{
    gp_var *v = job_var(j, name, index, VAR_STR);
    if (v && !(v->text = xstrdup(text ? text : "")))
        j->bad = ENOMEM;
}

static void job_num(job *j, const char *name, size_t index, double num)
{
    gp_var *v = job_var(j, name, index, VAR_NUM);
    if (v)
        v->num = num;
}

/* An input file: its absolute path, so the kept BASE.gp renders from any directory. */
static void job_input(job *j, const char *name, size_t index, const char *path)
{
    char real[PATH_MAX];
    if (j->bad)
        return;
    if (!realpath(path, real)) {
        j->bad = errno ? errno : EIO;
        snprintf(j->bad_what, sizeof j->bad_what, "cannot resolve '%.200s'", path);
        return;
    }
    job_str(j, name, index, real);
}

/* A data file of the figure (NAME.tsv in the private directory; BASE.NAME.tsv when kept); its
 * path becomes the variable var. Returns the open file (the job closes it), or NULL. */
static FILE *job_data(job *j, const char *dataname, const char *var)
{
    if (j->bad || j->n_data >= sizeof j->data_files / sizeof j->data_files[0]) {
        if (!j->bad)
            j->bad = EINVAL;
        return NULL;
    }
    char name[300];
    snprintf(name, sizeof name, "%s.tsv", dataname);
    char *p = join_path(j->tmpdir, name);
    FILE *f = p ? fopen(p, "w") : NULL;
    int e = errno;
    free(p);
    if (!f) {
        j->bad = p ? e : ENOMEM;
        snprintf(j->bad_what, sizeof j->bad_what, "cannot create a data file in '%.200s'", j->tmpdir);
        return NULL;
    }
    if (!(j->data_names[j->n_data] = xstrdup(dataname))) {
        fclose(f);
        j->bad = ENOMEM;
        return NULL;
    }
    j->data_files[j->n_data++] = f;
    gp_var *v = job_var(j, var, 0, VAR_DATA);
    if (v && !(v->text = xstrdup(dataname)))
        j->bad = ENOMEM;
    return f;
}

/* The path of data file dataname: in the private directory, or (final) beside the figure. */
static char *data_path(const job *j, const char *dataname, int final)
{
    char name[300];
    if (final) {
        snprintf(name, sizeof name, ".%s.tsv", dataname);
        return concat(j->absbase, name);
    }
    snprintf(name, sizeof name, "%s.tsv", dataname);
    return join_path(j->tmpdir, name);
}

/* Writes the VARS file: scalars first, then each array declared and filled. */
static il_status write_vars(const job *j, const char *path, int final)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return IL_EIO;
    sbuf b = {0};
    sb_puts(&b, "# Variables of the figure, written by initlab plot (docs/plots.md); loaded by the script.\n");
    sb_printf(&b, "fig_w = %d\nfig_h = %d\n", j->width, j->height);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < j->n_vars; i++) {
            const gp_var *v = &j->vars[i];
            if ((pass == 0) != (v->index == 0))
                continue;
            if (pass == 1) {
                /* the declaration, before the array's first element */
                size_t first = i, max = 0;
                for (size_t k = 0; k < j->n_vars; k++)
                    if (j->vars[k].index && strcmp(j->vars[k].name, v->name) == 0) {
                        if (k < first)
                            first = k;
                        if (j->vars[k].index > max)
                            max = j->vars[k].index;
                    }
                if (first == i)
                    sb_printf(&b, "array %s[%zu]\n", v->name, max);
                sb_printf(&b, "%s[%zu] = ", v->name, v->index);
            } else {
                sb_printf(&b, "%s = ", v->name);
            }
            if (v->kind == VAR_NUM) {
                if (isnan(v->num))
                    sb_puts(&b, "NaN");
                else if (isinf(v->num))
                    sb_puts(&b, v->num > 0 ? "1e308*10" : "-1e308*10");
                else
                    sb_printf(&b, "%.17g", v->num);
            } else if (v->kind == VAR_DATA) {
                char *p = data_path(j, v->text, final);
                if (!p)
                    b.bad = 1;
                else
                    sb_gp(&b, p);
                free(p);
            } else {
                sb_gp(&b, v->text);
            }
            sb_puts(&b, "\n");
        }
    int bad = b.bad || fputs(sb_str(&b), f) == EOF;
    free(b.s);
    bad |= fclose(f) != 0;
    return bad ? IL_EIO : IL_OK;
}

static const char *fmt_ext(unsigned f)
{
    return f == IL_PLOT_PNG ? "png" : "svg";
}

/* Leaves BASE.gp, BASE.vars.gp and BASE.NAME.tsv next to the figure (each renamed into place whole). */
static il_status keep_files(job *j, char *err, size_t errlen)
{
    char *vt = join_path(j->tmpdir, "vars.final.gp"), *rt = join_path(j->tmpdir, "render.gp");
    char *vf = concat(j->absbase, ".vars.gp"), *rf = concat(j->absbase, ".gp");
    il_status st = vt && rt && vf && rf ? IL_OK : IL_ENOMEM;
    if (st == IL_OK && write_vars(j, vt, 1) != IL_OK)
        st = IL_EIO;
    if (st == IL_OK) {
        sbuf b = {0};
        char *sh = il_plot_sh_quote(rf);
        sb_printf(&b, "# Renders the figure written by initlab plot from the data next to this file. Run: gnuplot %s\n",
                  sh ? sh : rf);
        free(sh);
        for (unsigned f = IL_PLOT_PNG; f <= IL_PLOT_SVG; f <<= 1) {
            if (!(j->fmts & f))
                continue;
            char *outp = concat(j->absbase, f == IL_PLOT_PNG ? ".png" : ".svg");
            if (!outp) {
                b.bad = 1;
                break;
            }
            sb_puts(&b, "call ");
            sb_gp(&b, j->script);
            sb_puts(&b, " ");
            sb_gp(&b, vf);
            sb_puts(&b, " ");
            sb_gp(&b, outp);
            sb_printf(&b, " '%s'\n", fmt_ext(f));
            free(outp);
        }
        FILE *f = b.bad ? NULL : fopen(rt, "w");
        int bad = !f || fputs(sb_str(&b), f) == EOF;
        if (f)
            bad |= fclose(f) != 0;
        free(b.s);
        if (bad)
            st = IL_EIO;
    }
    for (size_t i = 0; i < j->n_data && st == IL_OK; i++) {
        char *from = data_path(j, j->data_names[i], 0), *to = data_path(j, j->data_names[i], 1);
        if (!from || !to)
            st = IL_ENOMEM;
        else if (rename(from, to) != 0)
            st = IL_EIO;
        free(from);
        free(to);
    }
    if (st == IL_OK && (rename(vt, vf) != 0 || rename(rt, rf) != 0))
        st = IL_EIO;
    if (st != IL_OK)
        seterr(err, errlen, "writing the script and data beside '%s' failed: %s", j->base,
               st == IL_ENOMEM ? "out of memory" : strerror(errno));
    free(vt);
    free(rt);
    free(vf);
    free(rf);
    return st;
}

/* job_run: closes the data files, renders every format into temporaries, and renames them into place
 * when all succeeded. Without gnuplot: keeps the script and data and says how to render. */
static il_status job_run(job *j, FILE *msg, char *err, size_t errlen)
{
    if (j->bad) {
        if (j->bad == ENOMEM) {
            seterr(err, errlen, "out of memory preparing the figure");
            return IL_ENOMEM;
        }
        seterr(err, errlen, "%s: %s", j->bad_what[0] ? j->bad_what : "preparing the figure failed", strerror(j->bad));
        return IL_EIO;
    }
    for (size_t i = 0; i < j->n_data; i++) {
        int bad = ferror(j->data_files[i]) != 0;
        bad |= fclose(j->data_files[i]) != 0;
        j->data_files[i] = NULL;
        if (bad) {
            seterr(err, errlen, "writing the data of the figure failed: %s", strerror(errno));
            return IL_EIO;
        }
    }
    /* the title: a default width leaves room for it (about 11 pixels per character at its size); in a
     * width given by the caller it is broken into lines at spaces */
    const char *title = "";
    for (size_t i = 0; i < j->n_vars; i++)
        if (strcmp(j->vars[i].name, "fig_title") == 0 && j->vars[i].kind == VAR_STR)
            title = j->vars[i].text;
    size_t chars = utf8_chars(title, strlen(title));
    if (j->o->width <= 0 && (double)j->width < 11.0 * (double)chars + 60.0)
        j->width = (int)(11.0 * (double)chars + 60.0);
    size_t per_line = (size_t)((j->width - 60) / 11.0);
    if (per_line < 20)
        per_line = 20;
    for (size_t k = 1, pos = 0, len = strlen(title); pos < len || k == 1; k++) {
        size_t cut = len - pos, last_space = 0, c = 0;
        for (size_t i = pos; i < len; i++) {
            if (((unsigned char)title[i] & 0xc0) != 0x80)
                c++;
            if (c > per_line) {
                cut = last_space ? last_space - pos : i - pos;
                break;
            }
            if (title[i] == ' ')
                last_space = i;
        }
        char *line = malloc(cut + 1);
        if (!line)
            return IL_ENOMEM;
        memcpy(line, title + pos, cut);
        line[cut] = '\0';
        job_str(j, "fig_tl", k, line);
        free(line);
        pos += cut;
        while (pos < len && title[pos] == ' ')
            pos++;
        if (j->bad)
            return IL_ENOMEM;
    }
    char *vars = join_path(j->tmpdir, "vars.gp");
    if (!vars)
        return IL_ENOMEM;
    if (write_vars(j, vars, 0) != IL_OK) {
        seterr(err, errlen, "writing the figure's variables in '%s' failed: %s", j->tmpdir, strerror(errno));
        free(vars);
        return IL_EIO;
    }
    const char *gnuplot = j->o->gnuplot ? j->o->gnuplot : "gnuplot";
    char *tmps[2] = {NULL, NULL};
    il_status st = IL_OK;
    char gerr[700] = "";
    for (unsigned k = 0; k < 2 && st == IL_OK; k++) {
        unsigned f = k ? IL_PLOT_SVG : IL_PLOT_PNG;
        if (!(j->fmts & f))
            continue;
        char suffix[32];
        snprintf(suffix, sizeof suffix, ".%s.tmp.XXXXXX", fmt_ext(f));
        if (!(tmps[k] = concat(j->absbase, suffix))) {
            st = IL_ENOMEM;
            break;
        }
        int fd = mkstemp(tmps[k]);
        if (fd < 0) {
            seterr(err, errlen, "cannot create '%s': %s", tmps[k], strerror(errno));
            free(tmps[k]);
            tmps[k] = NULL;
            st = IL_EIO;
            break;
        }
        close(fd);
        const char *args[] = {"-c", j->script, vars, tmps[k], fmt_ext(f)};
        st = il_plot_exec(gnuplot, args, 5, gerr, sizeof gerr);
        struct stat sst;
        if (st == IL_OK && (stat(tmps[k], &sst) != 0 || sst.st_size == 0)) {
            snprintf(gerr, sizeof gerr, "gnuplot wrote no %s output", fmt_ext(f));
            st = IL_EIO;
        }
    }
    if (st == IL_OK) {
        /* every format rendered: into place, with the mode an ordinary creat() gives */
        mode_t mask = umask(0);
        umask(mask);
        for (unsigned k = 0; k < 2 && st == IL_OK; k++) {
            if (!tmps[k])
                continue;
            char *final = concat(j->base, k ? ".svg" : ".png");
            chmod(tmps[k], 0666 & ~mask);
            if (!final || rename(tmps[k], final) != 0) {
                seterr(err, errlen, "cannot write '%s': %s", final ? final : j->base, strerror(errno));
                st = IL_EIO;
            }
            free(final);
        }
        if (st == IL_OK && j->o->keep)
            st = keep_files(j, err, errlen);
    } else if (st == IL_EUNSUPPORTED) {
        il_status kst = keep_files(j, err, errlen);
        if (kst != IL_OK) {
            st = kst;
        } else {
            char *rf = concat(j->base, ".gp");
            char *sh = rf ? il_plot_sh_quote(rf) : NULL;
            seterr(err, errlen, "gnuplot not found (%s)", gerr);
            if (msg)
                fprintf(msg, "initlab: gnuplot not found (%s): wrote %s and its data instead; render with: gnuplot "
                        "%s  (Debian: sudo apt-get install gnuplot-nox)\n", gerr, sh ? sh : j->base, sh ? sh : j->base);
            free(sh);
            free(rf);
        }
    } else if (gerr[0]) {
        seterr(err, errlen, "%s", gerr);
    }
    for (unsigned k = 0; k < 2; k++) {
        if (tmps[k])
            unlink(tmps[k]); /* no-op once renamed */
        free(tmps[k]);
    }
    free(vars);
    return st;
}

/* ---------------------------------------------------------------- titles and parameters */

/* Subtitle lines: phrases joined by "; ", wrapped at width characters between phrases; a phrase that
 * starts with '\n' starts a new line. */
static void job_subtitle(job *j, const char *const *phrases, size_t n)
{
    size_t width = (size_t)(j->width / 7.4);
    if (width < 40)
        width = 40;
    sbuf line = {0};
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!phrases[i] || !*phrases[i])
            continue;
        const char *ph = phrases[i];
        int force = *ph == '\n'; /* a phrase that starts a line */
        ph += force;
        size_t pl = utf8_chars(ph, strlen(ph));
        if (line.len && (force || utf8_chars(sb_str(&line), line.len) + 2 + pl > width)) {
            job_str(j, "fig_sub", ++k, sb_str(&line));
            line.len = 0;
            if (line.s)
                line.s[0] = '\0';
        }
        if (line.len)
            sb_puts(&line, "; ");
        sb_puts(&line, ph);
    }
    if (line.len || k == 0)
        job_str(j, "fig_sub", ++k, sb_str(&line));
    if (line.bad)
        j->bad = ENOMEM;
    free(line.s);
}

/* Header parameters, wherever they come from. */
typedef struct {
    const char *const *keys, *const *values;
    size_t n;
} params;

static const char *pget(const params *p, const char *key)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->keys[i], key) == 0)
            return p->values[i];
    return NULL;
}

static params table_params(const il_plot_table *t)
{
    params p = {(const char *const *)t->keys, (const char *const *)t->values, t->n_params};
    return p;
}

/* The network's parameters: two runs with the same values describe the same network. */
static const char *const net_keys[] = {"widths", "act", "last_act", "bias", "dropout", "dropout_at", "residual",
                                       "batchnorm", "arch", "dropout_mode", "init", "bias_init", "mode", "input",
                                       "input_var"};
#define N_NET_KEYS (sizeof net_keys / sizeof net_keys[0])

static int same_value(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static int same_net(const params *a, const params *b)
{
    for (size_t i = 0; i < N_NET_KEYS; i++)
        if (!same_value(pget(a, net_keys[i]), pget(b, net_keys[i])))
            return 0;
    return 1;
}

/* An initializer as people write it: defaults dropped, numbers shortened
 * (kaiming_normal:a=0,mode=fan_in,nonlinearity=relu -> kaiming_normal:nonlinearity=relu). */
static void short_init(const char *spec, char *buf, size_t n)
{
    const char *colon = strchr(spec, ':');
    if (!colon) {
        snprintf(buf, n, "%s", spec);
        return;
    }
    sbuf b = {0};
    sb_putn(&b, spec, (size_t)(colon - spec));
    int first = 1;
    for (const char *p = colon + 1; *p;) {
        size_t len = strcspn(p, ",");
        char item[128];
        snprintf(item, sizeof item, "%.*s", (int)(len < 127 ? len : 127), p);
        char *eq = strchr(item, '=');
        int drop = 0;
        if (eq) {
            *eq = '\0';
            drop = (strcmp(item, "a") == 0 && strcmp(eq + 1, "0") == 0) ||
                   (strcmp(item, "mode") == 0 && strcmp(eq + 1, "fan_in") == 0);
        }
        if (!drop) {
            sb_puts(&b, first ? ":" : ",");
            first = 0;
            if (eq) {
                char num[64];
                short_num(eq + 1, num, sizeof num);
                sb_printf(&b, "%s=%s", item, num);
            } else {
                sb_puts(&b, item);
            }
        }
        p += len;
        if (*p == ',')
            p++;
    }
    snprintf(buf, n, "%s", b.bad ? spec : sb_str(&b));
    free(b.s);
}

/* widths "64,64,...,64" -> "width 64, 16 layers"; short lists as they are; long ones shortened. */
static void widths_phrase(const char *w, char *buf, size_t n)
{
    size_t count = 1, all_same = 1;
    const char *first_end = w + strcspn(w, ",");
    size_t fl = (size_t)(first_end - w);
    for (const char *p = w; *p; p++)
        if (*p == ',') {
            count++;
            size_t len = strcspn(p + 1, ",");
            if (len != fl || strncmp(p + 1, w, fl) != 0)
                all_same = 0;
        }
    if (count >= 3 && all_same)
        snprintf(buf, n, "width %.*s, %zu layers", (int)fl, w, count - 1);
    else if (strlen(w) <= 40)
        snprintf(buf, n, "widths %s", w);
    else {
        const char *last = strrchr(w, ',');
        snprintf(buf, n, "widths %.*s,...,%s (%zu layers)", (int)(fl > 20 ? 20 : fl), w, last ? last + 1 : "",
                 count - 1);
    }
}

/* The phrase for one group of parameters (key names the group), or "" when it is the default. */
static void phrase(const params *p, const char *key, char *buf, size_t n)
{
    const char *v = pget(p, key);
    char a[300], b[300];
    buf[0] = '\0';
    if (strcmp(key, "widths") == 0 && v) {
        widths_phrase(v, buf, n);
    } else if (strcmp(key, "arch") == 0 && v) {
        snprintf(buf, n, "arch %s", v);
    } else if (strcmp(key, "act") == 0 && v) {
        const char *la = pget(p, "last_act");
        snprintf(buf, n, "%s%s", v, la && strcmp(la, "1") == 0 ? " (also after the last layer)" : "");
    } else if (strcmp(key, "init") == 0 && v) {
        short_init(v, a, sizeof a);
        snprintf(buf, n, "weights %s", a);
    } else if (strcmp(key, "bias_init") == 0) {
        const char *bias = pget(p, "bias");
        if (bias && strcmp(bias, "0") == 0)
            snprintf(buf, n, "no bias");
        else if (v) {
            short_init(v, a, sizeof a);
            snprintf(buf, n, "biases %s", a);
        }
    } else if (strcmp(key, "dropout") == 0 && v) {
        double d;
        if (cell_num(v, &d) && d > 0) {
            const char *mode = pget(p, "dropout_mode"), *at = pget(p, "dropout_at");
            short_num(v, a, sizeof a);
            if (mode && strcmp(mode, "dropconnect") == 0)
                snprintf(buf, n, "DropConnect %s", a);
            else
                snprintf(buf, n, "dropout %s (%s, %s the activation)", a, mode ? mode : "inverted",
                         at ? at : "after");
        }
    } else if ((strcmp(key, "residual") == 0 || strcmp(key, "batchnorm") == 0) && v && strcmp(v, "1") == 0) {
        snprintf(buf, n, "%s", key);
    } else if (strcmp(key, "mode") == 0 && v && strcmp(v, "eval") == 0) {
        snprintf(buf, n, "eval mode");
    } else if (strcmp(key, "input") == 0 && v && strcmp(v, "normal") != 0) {
        snprintf(buf, n, "%s inputs", v);
    } else if (strcmp(key, "input_var") == 0 && v) {
        snprintf(buf, n, "input variances %s", v);
    } else if (strcmp(key, "draws") == 0 && v) {
        const char *batch = pget(p, "batch"), *fixed = pget(p, "fixed_net");
        if (fixed && strcmp(fixed, "1") == 0)
            snprintf(buf, n, "one fixed network, %s batches of %s inputs", v, batch ? batch : "?");
        else
            snprintf(buf, n, "%s networks × %s inputs", v, batch ? batch : "?");
    } else if (strcmp(key, "seed") == 0 && v) {
        snprintf(buf, n, "seed %s", v);
    } else if (strcmp(key, "partial") == 0 && v) {
        snprintf(b, sizeof b, "%s", v);
        snprintf(buf, n, "PARTIAL RUN (%s)", b);
    }
}

/* The parameter groups in the order they are shown. */
static const char *const phrase_keys[] = {"arch",  "widths", "act",   "init",      "bias_init", "dropout",
                                          "residual", "batchnorm", "mode", "input", "input_var", "draws",
                                          "seed",  "partial"};
#define N_PHRASE_KEYS (sizeof phrase_keys / sizeof phrase_keys[0])
/* Whether parameter group g has the same phrase in every input. */
static int group_same(const params *ps, size_t n, const char *g)
{
    char a[600], b[600];
    phrase(&ps[0], g, a, sizeof a);
    for (size_t i = 1; i < n; i++) {
        phrase(&ps[i], g, b, sizeof b);
        if (strcmp(a, b) != 0)
            return 0;
    }
    return 1;
}

/* Subtitle phrases: the groups every input shares (all of them for one input). Returns the count;
 * the phrases are written into store (k x 600 bytes). */
static size_t common_phrases(const params *ps, size_t n, char (*store)[600], size_t cap)
{
    size_t k = 0;
    for (size_t g = 0; g < N_PHRASE_KEYS && k < cap; g++) {
        if (n > 1 && !group_same(ps, n, phrase_keys[g]))
            continue;
        phrase(&ps[0], phrase_keys[g], store[k], 600);
        if (store[k][0])
            k++;
    }
    return k;
}

/* A legend label for input i: the groups in which the inputs differ. */
static void diff_label(const params *ps, size_t n, size_t i, const char *path, char *buf, size_t len)
{
    sbuf b = {0};
    for (size_t g = 0; g < N_PHRASE_KEYS; g++) {
        if (group_same(ps, n, phrase_keys[g]))
            continue;
        char ph[600];
        phrase(&ps[i], phrase_keys[g], ph, sizeof ph);
        if (!ph[0])
            continue;
        if (b.len)
            sb_puts(&b, ", ");
        sb_puts(&b, ph);
    }
    if (!b.len) {
        const char *slash = strrchr(path, '/');
        sb_puts(&b, slash ? slash + 1 : path);
    }
    snprintf(len ? buf : NULL, len, "%s", b.bad ? path : sb_str(&b));
    free(b.s);
}

/* ---------------------------------------------------------------- variance and fluctuations */

enum { KIND_SIM, KIND_COMPARE, KIND_THEORY };

typedef struct {
    il_plot_table t;
    int kind;
    char label[600];
    long theory; /* the theory table drawn for it, -1: none (a --compare or theory run has its own) */
} run_in;

static int point_ok(const char *point)
{
    return point && (strcmp(point, "pre") == 0 || strcmp(point, "post") == 0);
}

/* The positive values of column col at point, widened by k SEs of column se_col (if not NULL) or by
 * the relative half-width rel (if > 0), into [*lo, *hi]: the y range of a log axis. */
static void value_range(const il_plot_table *t, const char *point, const char *col, const char *se_col, double k,
                        double rel, int square, const char *div_col, double *lo, double *hi)
{
    long cp = il_plot_table_col(t, "point"), cv = il_plot_table_col(t, col);
    long cs = se_col ? il_plot_table_col(t, se_col) : -1, cd = div_col ? il_plot_table_col(t, div_col) : -1;
    if (cp < 0 || cv < 0)
        return;
    for (size_t r = 0; r < t->n_rows; r++) {
        double v, s = NAN, dv = 1.0;
        if (strcmp(il_plot_table_cell(t, r, (size_t)cp), point) != 0 || !cell_num(il_plot_table_cell(t, r, (size_t)cv), &v))
            continue;
        if (cd >= 0 && !(cell_num(il_plot_table_cell(t, r, (size_t)cd), &dv) && dv != 0))
            continue;
        v /= dv;
        if (square)
            v *= v;
        if (!(isfinite(v) && v > 0))
            continue;
        double cand[3] = {v, v, v};
        if (cs >= 0 && cell_num(il_plot_table_cell(t, r, (size_t)cs), &s) && isfinite(s)) {
            cand[1] = v - k * s;
            cand[2] = v + k * s;
        } else if (rel > 0) {
            cand[1] = v * (1 - rel);
            cand[2] = v * (1 + rel);
        }
        for (int c = 0; c < 3; c++)
            if (isfinite(cand[c]) && cand[c] > 0) {
                if (cand[c] < *lo)
                    *lo = cand[c];
                if (cand[c] > *hi)
                    *hi = cand[c];
            }
    }
}

/* Rows of t at point with a finite positive value in column col; *max_layer gets the largest layer. */
static size_t positive_rows(const il_plot_table *t, const char *point, const char *col, size_t *max_layer)
{
    long cp = il_plot_table_col(t, "point"), cl = il_plot_table_col(t, "layer"), cv = il_plot_table_col(t, col);
    size_t k = 0;
    if (cp < 0 || cl < 0 || cv < 0)
        return 0;
    for (size_t r = 0; r < t->n_rows; r++) {
        double v, l;
        if (strcmp(il_plot_table_cell(t, r, (size_t)cp), point) != 0)
            continue;
        if (cell_num(il_plot_table_cell(t, r, (size_t)cl), &l) && l >= 1 && l < 1e9 && (size_t)l > *max_layer)
            *max_layer = (size_t)l;
        if (cell_num(il_plot_table_cell(t, r, (size_t)cv), &v) && isfinite(v) && v > 0)
            k++;
    }
    return k;
}

static int rows_at(const il_plot_table *t, const char *point)
{
    long cp = il_plot_table_col(t, "point");
    for (size_t r = 0; cp >= 0 && r < t->n_rows; r++)
        if (strcmp(il_plot_table_cell(t, r, (size_t)cp), point) == 0)
            return 1;
    return 0;
}

/* "exact" when every row at point is exact, else "mean-field". */
static const char *theory_method(const il_plot_table *t, const char *point)
{
    long cp = il_plot_table_col(t, "point"), cm = il_plot_table_col(t, "method");
    for (size_t r = 0; cp >= 0 && cm >= 0 && r < t->n_rows; r++)
        if (strcmp(il_plot_table_cell(t, r, (size_t)cp), point) == 0 &&
            strcmp(il_plot_table_cell(t, r, (size_t)cm), "exact") != 0)
            return "mean-field";
    return "exact";
}

/* Reads and checks the inputs of a variance (fluct = 0) or fluctuation (fluct = 1) figure. */
static il_status read_runs(const il_plot_input *in, size_t n, run_in *runs, int fluct, const char *point,
                           char *err, size_t errlen)
{
    static const char *const need_sim[] = {"layer", "point", "draws", "q", "q_se", "q_sd"};
    static const char *const need_cmp[] = {"layer", "point", "q", "q_se", "q_theory", "method"};
    static const char *const need_th[] = {"layer", "point", "q_theory", "method"};
    for (size_t i = 0; i < n; i++) {
        il_status st = il_plot_table_read(&runs[i].t, in[i].path, err, errlen);
        if (st != IL_OK)
            return st;
        const il_plot_table *t = &runs[i].t;
        const char *const *need;
        size_t nneed;
        if (strcmp(t->command, "sim") == 0) {
            runs[i].kind = KIND_SIM;
            need = need_sim;
            nneed = 6;
        } else if (strcmp(t->command, "sim --compare") == 0 && !fluct) {
            runs[i].kind = KIND_COMPARE;
            need = need_cmp;
            nneed = 6;
        } else if (strcmp(t->command, "theory") == 0 && !fluct) {
            runs[i].kind = KIND_THEORY;
            need = need_th;
            nneed = 4;
        } else {
            seterr(err, errlen, "'%s' is the output of 'initlab %s'; the %s figure reads %s", in[i].path,
                   t->command, fluct ? "fluctuation" : "variance",
                   fluct ? "'initlab sim' TSVs (not --compare, which has no q_sd)"
                         : "TSVs of 'initlab sim', 'sim --compare' or 'initlab theory'");
            return IL_EINVAL;
        }
        for (size_t c = 0; c < nneed; c++)
            if (il_plot_table_col(t, need[c]) < 0) {
                seterr(err, errlen, "'%s' (initlab %s) has no column '%s'", in[i].path, t->command, need[c]);
                return IL_EINVAL;
            }
        if (!rows_at(t, point)) {
            seterr(err, errlen, "'%s' has no rows with point=%s%s", in[i].path, point,
                   strcmp(point, "post") == 0 ? " (run it with --post)" : "");
            return IL_EINVAL;
        }
        runs[i].theory = -1;
    }
    return IL_OK;
}

static void runs_release(run_in *runs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        il_plot_table_release(&runs[i].t);
}

/* The legend labels of the inputs: as given, or the parameters in which they differ. */
static void label_runs(const il_plot_input *in, run_in *runs, size_t n)
{
    params ps[IL_PLOT_MAX_INPUTS];
    for (size_t i = 0; i < n; i++)
        ps[i] = table_params(&runs[i].t);
    for (size_t i = 0; i < n; i++) {
        if (in[i].label)
            snprintf(runs[i].label, sizeof runs[i].label, "%s", in[i].label);
        else
            diff_label(ps, n, i, in[i].path, runs[i].label, sizeof runs[i].label);
    }
}

/* The subtitle: the parameters every input shares, then the extra phrases. */
static void runs_subtitle(const run_in *runs, size_t n, job *j, const char *const *extra, size_t n_extra)
{
    params ps[IL_PLOT_MAX_INPUTS];
    for (size_t i = 0; i < n; i++)
        ps[i] = table_params(&runs[i].t);
    char store[N_PHRASE_KEYS][600];
    size_t k = common_phrases(ps, n, store, N_PHRASE_KEYS);
    const char *ph[N_PHRASE_KEYS + 2 * IL_PLOT_MAX_INPUTS + 2];
    for (size_t i = 0; i < k; i++)
        ph[i] = store[i];
    for (size_t i = 0; i < n_extra && k < sizeof ph / sizeof ph[0]; i++)
        ph[k++] = extra[i];
    job_subtitle(j, ph, k);
}

/* "theory: consistent at 2, inconclusive at 2 of 4 layers" from column col of the rows at point; "" when
 * the column is absent. */
static void verdict_phrase(const il_plot_table *t, const char *point, const char *col, const char *what, char *buf,
                           size_t n)
{
    long cp = il_plot_table_col(t, "point"), cv = il_plot_table_col(t, col);
    static const char *const names[] = {"refuted", "consistent", "inconclusive"};
    size_t count[3] = {0, 0, 0}, total = 0;
    buf[0] = '\0';
    if (cp < 0 || cv < 0)
        return;
    for (size_t r = 0; r < t->n_rows; r++) {
        if (strcmp(il_plot_table_cell(t, r, (size_t)cp), point) != 0)
            continue;
        const char *v = il_plot_table_cell(t, r, (size_t)cv);
        for (int k = 0; k < 3; k++)
            if (strcmp(v, names[k]) == 0) {
                count[k]++;
                total++;
            }
    }
    if (!total)
        return;
    size_t len = (size_t)snprintf(buf, n, "%s", what);
    int first = 1;
    for (int k = 0; k < 3 && len < n; k++)
        if (count[k]) {
            len += (size_t)snprintf(buf + len, n - len, "%s %s at %zu", first ? "" : ",", names[k], count[k]);
            first = 0;
        }
    if (len < n)
        snprintf(buf + len, n - len, " of %zu layer%s", total, total > 1 ? "s" : "");
}

il_status il_plot_variance(const il_plot_input *in, size_t n_in, const char *const *theories, size_t n_theories,
                           const char *point, const char *out, const il_plot_opts *o, FILE *msg, char *err,
                           size_t errlen)
{
    il_plot_opts dflt;
    if (!o) {
        il_plot_opts_default(&dflt);
        o = &dflt;
    }
    if (!point)
        point = "pre";
    if (n_in < 1 || n_in > IL_PLOT_MAX_INPUTS || !point_ok(point) || n_theories > IL_PLOT_MAX_INPUTS) {
        seterr(err, errlen, "the variance figure takes 1 to %d inputs and point pre or post", IL_PLOT_MAX_INPUTS);
        return IL_EINVAL;
    }
    run_in runs[IL_PLOT_MAX_INPUTS];
    il_plot_table th[IL_PLOT_MAX_INPUTS];
    memset(runs, 0, sizeof runs);
    memset(th, 0, sizeof th);
    job j;
    memset(&j, 0, sizeof j);
    il_status st = read_runs(in, n_in, runs, 0, point, err, errlen);
    for (size_t k = 0; k < n_theories && st == IL_OK; k++) {
        st = il_plot_table_read(&th[k], theories[k], err, errlen);
        if (st != IL_OK)
            break;
        if (strcmp(th[k].command, "theory") != 0 || il_plot_table_col(&th[k], "q_theory") < 0 ||
            il_plot_table_col(&th[k], "method") < 0) {
            seterr(err, errlen, "--theory '%s' is the output of 'initlab %s', not of 'initlab theory'", theories[k],
                   th[k].command);
            st = IL_EINVAL;
            break;
        }
        if (!rows_at(&th[k], point)) {
            seterr(err, errlen, "--theory '%s' has no rows with point=%s%s", theories[k], point,
                   strcmp(point, "post") == 0 ? " (run initlab theory with --post)" : "");
            st = IL_EINVAL;
            break;
        }
        params tp = table_params(&th[k]);
        int used = 0;
        for (size_t i = 0; i < n_in; i++) {
            params rp = table_params(&runs[i].t);
            if (runs[i].kind == KIND_SIM && runs[i].theory < 0 && same_net(&tp, &rp)) {
                runs[i].theory = (long)k;
                used = 1;
            }
        }
        if (!used) {
            seterr(err, errlen, "--theory '%s' matches no run without a theory line: its network parameters (widths, "
                   "act, init, ...) differ from every plain 'initlab sim' input's", theories[k]);
            st = IL_EINVAL;
        }
    }
    /* something positive to draw on the log axis */
    size_t max_layer = 0, positive = 0;
    for (size_t i = 0; i < n_in && st == IL_OK; i++) {
        const il_plot_table *t = &runs[i].t;
        positive += positive_rows(t, point, runs[i].kind == KIND_THEORY ? "q_theory" : "q", &max_layer);
        if (runs[i].theory >= 0)
            positive += positive_rows(&th[runs[i].theory], point, "q_theory", &max_layer);
    }
    if (st == IL_OK && positive == 0) {
        seterr(err, errlen, "no positive q at point=%s in the inputs: nothing to draw on a log axis", point);
        st = IL_EINVAL;
    }
    double ylo = INFINITY, yhi = 0.0;
    for (size_t i = 0; i < n_in && st == IL_OK; i++) {
        const il_plot_table *t = &runs[i].t;
        if (runs[i].kind == KIND_THEORY)
            value_range(t, point, "q_theory", NULL, 0, 0, 0, NULL, &ylo, &yhi);
        else
            value_range(t, point, "q", "q_se", 2.0, 0, 0, NULL, &ylo, &yhi);
        if (runs[i].kind == KIND_COMPARE) {
            value_range(t, point, "q_theory", NULL, 0, 0, 0, NULL, &ylo, &yhi);
            if (il_plot_table_col(t, "q_claim") >= 0)
                value_range(t, point, "q_claim", NULL, 0, 0, 0, NULL, &ylo, &yhi);
        }
        if (runs[i].theory >= 0)
            value_range(&th[runs[i].theory], point, "q_theory", NULL, 0, 0, 0, NULL, &ylo, &yhi);
    }
    if (st == IL_OK)
        st = job_open(&j, "variance_depth.gp", out, o, VARIANCE_W, VARIANCE_H, err, errlen);
    if (st != IL_OK)
        goto done;
    job_num(&j, "y_min", 0, ylo);
    job_num(&j, "y_max", 0, yhi);

    const char *claim = NULL;
    int claims_differ = 0, n_exact = 0, n_mf = 0, n_mc = 0, n_th = 0, n_cl = 0;
    label_runs(in, runs, n_in);
    /* the verdicts of --compare runs on q (Holm over each run's whole table), each run on a line of its own */
    static char vstore[2 * IL_PLOT_MAX_INPUTS][700];
    const char *vph[2 * IL_PLOT_MAX_INPUTS];
    size_t nv = 0;
    for (size_t i = 0; i < n_in; i++) {
        if (runs[i].kind != KIND_COMPARE)
            continue;
        char a[300], b[300], al[64];
        const char *alpha = il_plot_table_param(&runs[i].t, "alpha");
        short_num(alpha ? alpha : "?", al, sizeof al);
        verdict_phrase(&runs[i].t, point, "verdict", "theory", a, sizeof a);
        verdict_phrase(&runs[i].t, point, "verdict_claim", "claim", b, sizeof b);
        if (!a[0] && !b[0])
            continue;
        snprintf(vstore[nv], sizeof vstore[nv], "\n%s%sverdicts on q (Holm, α = %s): %s", n_in > 1 ? runs[i].label : "",
                 n_in > 1 ? ": " : "", al, a[0] ? a : b);
        vph[nv] = vstore[nv];
        nv++;
        if (a[0] && b[0]) {
            snprintf(vstore[nv], sizeof vstore[nv], "%s", b);
            vph[nv] = vstore[nv];
            nv++;
        }
    }
    runs_subtitle(runs, n_in, &j, vph, nv);
    job_str(&j, "fig_title", 0,
            o->title ? o->title
                     : (strcmp(point, "pre") == 0 ? "Second moment of the linear outputs against depth"
                                                  : "Second moment of the layer outputs against depth"));
    job_str(&j, "point", 0, point);
    job_num(&j, "n_layers", 0, (double)(max_layer ? max_layer : 1));
    for (size_t i = 0; i < n_in; i++) {
        const il_plot_table *t = &runs[i].t;
        size_t lt = i % N_COLOURS + 1;
        if (runs[i].kind != KIND_THEORY) {
            n_mc++;
            job_input(&j, "mc_file", (size_t)n_mc, in[i].path);
            job_num(&j, "mc_lt", (size_t)n_mc, (double)lt);
        }
        const il_plot_table *tt = runs[i].kind == KIND_SIM ? (runs[i].theory >= 0 ? &th[runs[i].theory] : NULL) : t;
        if (tt) {
            const char *m = theory_method(tt, point);
            int exact = strcmp(m, "exact") == 0;
            n_exact += exact;
            n_mf += !exact;
            n_th++;
            job_input(&j, "th_file", (size_t)n_th, runs[i].kind == KIND_SIM ? theories[runs[i].theory] : in[i].path);
            job_num(&j, "th_lt", (size_t)n_th, (double)lt);
            job_num(&j, "th_slot", (size_t)n_th, runs[i].kind == KIND_THEORY ? 0 : n_mc);
            job_num(&j, "th_dt", (size_t)n_th, exact ? 1 : 4);
        }
        const char *cl = il_plot_table_param(t, "claim");
        if (runs[i].kind == KIND_COMPARE && cl && il_plot_table_col(t, "q_claim") >= 0) {
            n_cl++;
            job_input(&j, "cl_file", (size_t)n_cl, in[i].path);
            job_num(&j, "cl_lt", (size_t)n_cl, (double)lt);
            job_num(&j, "cl_slot", (size_t)n_cl, n_mc);
            if (claim && strcmp(claim, cl) != 0)
                claims_differ = 1;
            claim = cl;
        }
        job_str(&j, "key_lab", i + 1, runs[i].label);
        job_num(&j, "key_lt", i + 1, (double)lt);
    }
    job_num(&j, "n_in", 0, (double)n_in);
    job_num(&j, "n_mc", 0, n_mc);
    job_num(&j, "n_th", 0, n_th);
    job_num(&j, "n_cl", 0, n_cl);
    /* the legend: one colour per input (when there are several), then the styles */
    job_num(&j, "key_colours", 0, n_in > 1 || in[0].label);
    job_str(&j, "key_mc", 0, n_mc ? "Monte Carlo, ±2 SE across networks" : "");
    job_str(&j, "key_exact", 0, n_exact ? "theory (exact)" : "");
    job_str(&j, "key_mf", 0, n_mf ? (n_exact ? "theory (mean-field at some layers)" : "theory (mean-field)") : "");
    char ck[IL_PLOT_MAX_TEXT];
    if (claim && !claims_differ)
        snprintf(ck, sizeof ck, "claim: q_l = %s", claim);
    else
        snprintf(ck, sizeof ck, "%s", claim ? "claims (dashed)" : "");
    job_str(&j, "key_claim", 0, ck);
    job_num(&j, "style_lt", 0, n_in > 1 || in[0].label ? 0 : 1);
    st = job_run(&j, msg, err, errlen);
done:
    if (j.tmpdir)
        job_close(&j);
    runs_release(runs, n_in);
    for (size_t k = 0; k < n_theories; k++)
        il_plot_table_release(&th[k]);
    return st;
}

il_status il_plot_fluctuations(const il_plot_input *in, size_t n_in, const char *point, int relative,
                               const char *out, const il_plot_opts *o, FILE *msg, char *err, size_t errlen)
{
    il_plot_opts dflt;
    if (!o) {
        il_plot_opts_default(&dflt);
        o = &dflt;
    }
    if (!point)
        point = "pre";
    if (n_in < 1 || n_in > IL_PLOT_MAX_INPUTS || !point_ok(point)) {
        seterr(err, errlen, "the fluctuation figure takes 1 to %d inputs and point pre or post", IL_PLOT_MAX_INPUTS);
        return IL_EINVAL;
    }
    run_in runs[IL_PLOT_MAX_INPUTS];
    memset(runs, 0, sizeof runs);
    job j;
    memset(&j, 0, sizeof j);
    il_status st = read_runs(in, n_in, runs, 1, point, err, errlen);
    size_t max_layer = 0, positive = 0;
    for (size_t i = 0; i < n_in && st == IL_OK; i++) {
        positive += positive_rows(&runs[i].t, point, "q_sd", &max_layer);
        const char *d = il_plot_table_param(&runs[i].t, "draws");
        double dv;
        if (!d || !cell_num(d, &dv) || dv < 2) {
            seterr(err, errlen, "'%s' has fewer than 2 draws: no between-network variance", in[i].path);
            st = IL_EINVAL;
        }
        const char *fx = il_plot_table_param(&runs[i].t, "fixed_net");
        if (st == IL_OK && fx && strcmp(fx, "1") == 0) {
            seterr(err, errlen, "'%s' is a --fixed-net run (one network): it has no between-network fluctuations",
                   in[i].path);
            st = IL_EINVAL;
        }
    }
    if (st == IL_OK && positive == 0) {
        seterr(err, errlen, "no positive q_sd at point=%s in the inputs: nothing to draw on a log axis", point);
        st = IL_EINVAL;
    }
    double ylo = INFINITY, yhi = 0.0;
    for (size_t i = 0; i < n_in && st == IL_OK; i++) {
        double dv = 2;
        cell_num(il_plot_table_param(&runs[i].t, "draws"), &dv);
        value_range(&runs[i].t, point, "q_sd", NULL, 0, 2.0 * sqrt(2.0 / (dv - 1)), 1, relative ? "q" : NULL, &ylo,
                    &yhi);
    }
    if (st == IL_OK)
        st = job_open(&j, "fluctuations.gp", out, o, VARIANCE_W, VARIANCE_H, err, errlen);
    if (st != IL_OK)
        goto done;
    job_num(&j, "y_min", 0, ylo);
    job_num(&j, "y_max", 0, yhi);
    const char *def = strcmp(point, "pre") == 0
                          ? "M_l = |y_l|² / n_l of one network, averaged over its inputs"
                          : "M_l = |h_l|² / n_l of one network (h_l: the layer output), averaged over its inputs";
    label_runs(in, runs, n_in);
    runs_subtitle(runs, n_in, &j, &def, 1);
    job_str(&j, "fig_title", 0,
            o->title ? o->title
                     : relative ? "Relative between-network fluctuation of each layer's mean square"
                                : "Between-network fluctuation of each layer's mean square");
    job_str(&j, "point", 0, point);
    job_num(&j, "relative", 0, relative != 0);
    job_num(&j, "n_layers", 0, (double)(max_layer ? max_layer : 1));
    job_num(&j, "n_mc", 0, (double)n_in);
    for (size_t i = 0; i < n_in; i++) {
        job_input(&j, "mc_file", i + 1, in[i].path);
        job_num(&j, "mc_lt", i + 1, (double)(i % N_COLOURS + 1));
        job_str(&j, "key_lab", i + 1, runs[i].label);
    }
    job_num(&j, "key_colours", 0, n_in > 1 || in[0].label);
    st = job_run(&j, msg, err, errlen);
done:
    if (j.tmpdir)
        job_close(&j);
    runs_release(runs, n_in);
    return st;
}

il_status il_plot_sim(const char *tsv, const char *out, FILE *msg, char *err, size_t errlen)
{
    il_plot_input in = {tsv, NULL};
    return il_plot_variance(&in, 1, NULL, 0, "pre", out, NULL, msg, err, errlen);
}

/* ---------------------------------------------------------------- commutation map */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

il_status il_plot_commute(const char *path, const char *value, const char *out, const il_plot_opts *o, FILE *msg,
                          char *err, size_t errlen)
{
    il_plot_opts dflt;
    if (!o) {
        il_plot_opts_default(&dflt);
        o = &dflt;
    }
    if (!value)
        value = "frac_differ";
    static const char *const values[] = {"frac_differ", "max_rel_diff", "max_diff"};
    static const char *const cb_labels[] = {
        "share of inputs that differ", "largest relative difference", "largest difference"};
    static const char *const value_notes[] = {
        "colour: the share of inputs y where the two orders differ (same inputs, same masks)",
        "colour: the largest relative difference |φ(my) − mφ(y)| / max(|φ(my)|, |mφ(y)|) over the inputs",
        "colour: the largest difference |φ(my) − mφ(y)| over the inputs (same inputs, same masks)"};
    size_t vi = 0;
    while (vi < 3 && strcmp(value, values[vi]) != 0)
        vi++;
    if (vi == 3) {
        seterr(err, errlen, "the commutation map's value must be frac_differ, max_rel_diff or max_diff, got '%s'",
               value);
        return IL_EINVAL;
    }
    char col[64];
    snprintf(col, sizeof col, "pathwise_%s", value);
    il_plot_table t;
    il_status st = il_plot_table_read(&t, path, err, errlen);
    if (st != IL_OK)
        return st;
    job j;
    memset(&j, 0, sizeof j);
    const char *acts[1024];
    double ps[1024];
    const char *pstr[1024];
    size_t na = 0, np = 0;
    int kinds[2] = {0, 0};
    double vmax = 0.0;
    static const char *const need[] = {"activation", "p", "kind", "verdict", "levels"};
    if (strcmp(t.command, "commute") != 0) {
        seterr(err, errlen, "'%s' is the output of 'initlab %s'; the commutation map reads 'initlab commute' TSVs",
               path, t.command);
        st = IL_EINVAL;
        goto done;
    }
    for (size_t c = 0; c < 6; c++)
        if (il_plot_table_col(&t, c < 5 ? need[c] : col) < 0) {
            seterr(err, errlen, "'%s' (initlab commute) has no column '%s'", path, c < 5 ? need[c] : col);
            st = IL_EINVAL;
            goto done;
        }
    if (t.n_rows == 0) {
        seterr(err, errlen, "'%s' has no rows", path);
        st = IL_EINVAL;
        goto done;
    }
    size_t ca = (size_t)il_plot_table_col(&t, "activation"), cp = (size_t)il_plot_table_col(&t, "p"),
           ck = (size_t)il_plot_table_col(&t, "kind"), cv = (size_t)il_plot_table_col(&t, col);
    for (size_t r = 0; r < t.n_rows; r++) {
        const char *a = il_plot_table_cell(&t, r, ca), *p = il_plot_table_cell(&t, r, cp),
                   *k = il_plot_table_cell(&t, r, ck);
        double pv, v;
        if (!cell_num(p, &pv) || !cell_num(il_plot_table_cell(&t, r, cv), &v)) {
            seterr(err, errlen, "'%s' row %zu: p or %s is not a number", path, r + 1, col);
            st = IL_EINVAL;
            goto done;
        }
        if (isfinite(v) && v > vmax)
            vmax = v;
        if (strcmp(k, "inverted") == 0)
            kinds[0] = 1;
        else if (strcmp(k, "classic") == 0)
            kinds[1] = 1;
        else {
            seterr(err, errlen, "'%s' row %zu: unknown dropout kind '%s'", path, r + 1, k);
            st = IL_EINVAL;
            goto done;
        }
        size_t i = 0;
        while (i < na && strcmp(acts[i], a) != 0)
            i++;
        if (i == na) {
            if (na == 1024) {
                st = IL_EINVAL;
                seterr(err, errlen, "'%s' has more than 1024 activations", path);
                goto done;
            }
            acts[na++] = a;
        }
        i = 0;
        while (i < np && strcmp(pstr[i], p) != 0)
            i++;
        if (i == np) {
            if (np == 1024) {
                st = IL_EINVAL;
                seterr(err, errlen, "'%s' has more than 1024 values of p", path);
                goto done;
            }
            pstr[np] = p;
            ps[np++] = pv;
        }
    }
    /* p in increasing order (pstr follows ps) */
    for (size_t a = 1; a < np; a++)
        for (size_t b = a; b > 0 && ps[b - 1] > ps[b]; b--) {
            double tv = ps[b];
            ps[b] = ps[b - 1];
            ps[b - 1] = tv;
            const char *ts = pstr[b];
            pstr[b] = pstr[b - 1];
            pstr[b - 1] = ts;
        }
    size_t nk = (size_t)(kinds[0] + kinds[1]);
    size_t cols = np * nk + (nk - 1);
    int w = 300 + (int)(58 * cols), h = 250 + (int)(30 * na);
    w = w < 820 ? 820 : w > 2400 ? 2400 : w;
    h = h < 460 ? 460 : h > 2400 ? 2400 : h;
    if ((st = job_open(&j, "commute_map.gp", out, o, w, h, err, errlen)) != IL_OK)
        goto done;
    job_str(&j, "fig_title", 0,
            o->title ? o->title : "Does dropout commute with the activation?");
    {
        params p = table_params(&t);
        char stack[1400], a[300], b[300], c[300];
        const char *sw = pget(&p, "stack_widths"), *sa = pget(&p, "stack_act"), *si = pget(&p, "stack_init");
        widths_phrase(sw ? sw : "?", a, sizeof a);
        short_init(si ? si : "?", b, sizeof b);
        snprintf(stack, sizeof stack, "inputs y: unit 1 of the last layer of random networks (%s, %s, weights %s)", a,
                 sa ? sa : "?", b);
        const char *samples = pget(&p, "samples"), *seed = pget(&p, "seed"), *alpha = pget(&p, "alpha");
        char s2[300], s3[700];
        snprintf(s2, sizeof s2, "%s inputs per pool", samples ? samples : "?");
        short_num(alpha ? alpha : "?", c, sizeof c);
        snprintf(s3, sizeof s3, "seed %s; α = %s", seed ? seed : "?", c);
        const char *ph[] = {stack, s2, s3, value_notes[vi],
                            "\nmarks: = commutes, ≠ does not (the criterion); ? a level could not confirm it (partial), "
                            "! a level contradicts it (disagree)"};
        job_subtitle(&j, ph, 5);
    }
    job_input(&j, "cm_file", 0, path);
    job_str(&j, "val_col", 0, col);
    job_str(&j, "cb_label", 0, cb_labels[vi]);
    job_num(&j, "cb_max", 0, vi == 0 ? 1.0 : vmax > 0 ? vmax : 1.0);
    job_num(&j, "n_act", 0, (double)na);
    job_num(&j, "n_p", 0, (double)np);
    for (size_t i = 0; i < na; i++)
        job_str(&j, "act_name", i + 1, acts[i]);
    for (size_t i = 0; i < np; i++) {
        char lab[64];
        job_str(&j, "p_str", i + 1, pstr[i]);
        snprintf(lab, sizeof lab, "%.3g", ps[i]);
        job_str(&j, "p_lab", i + 1, lab);
    }
    size_t kk = 0;
    if (kinds[0])
        job_str(&j, "kind_name", ++kk, "inverted");
    if (kinds[1])
        job_str(&j, "kind_name", ++kk, "classic");
    job_num(&j, "n_kind", 0, (double)nk);
    st = job_run(&j, msg, err, errlen);
done:
    if (j.tmpdir)
        job_close(&j);
    il_plot_table_release(&t);
    return st;
}

/* ---------------------------------------------------------------- covariance heat map */

/* A JSON value as header text: strings as they are, numbers with %.17g. */
static void json_text(const json_t *v, char *buf, size_t n)
{
    if (json_is_string(v))
        snprintf(buf, n, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, n, "%.17g", json_real_value(v));
    else if (json_is_true(v) || json_is_false(v))
        snprintf(buf, n, "%d", json_is_true(v) ? 1 : 0);
    else
        snprintf(buf, n, "NaN");
}

static int json_matrix(const json_t *m, size_t n, double *out)
{
    if (!json_is_array(m) || json_array_size(m) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *row = json_array_get(m, i);
        if (!json_is_array(row) || json_array_size(row) != n)
            return 0;
        for (size_t k = 0; k < n; k++) {
            const json_t *v = json_array_get(row, k);
            if (json_is_number(v))
                out[i * n + k] = json_number_value(v);
            else if (json_is_null(v))
                out[i * n + k] = NAN;
            else
                return 0;
        }
    }
    return 1;
}

#define COV_MAX_WIDTH 1024
#define COV_LABEL_WIDTH 12

il_status il_plot_covariance(const char *json_path, size_t layer, const char *point, const char *note,
                             const char *out, const il_plot_opts *o, FILE *msg, char *err, size_t errlen)
{
    il_plot_opts dflt;
    if (!o) {
        il_plot_opts_default(&dflt);
        o = &dflt;
    }
    if (!point)
        point = "pre";
    if (!point_ok(point) || layer < 1) {
        seterr(err, errlen, "the covariance figure needs a layer >= 1 and point pre or post");
        return IL_EINVAL;
    }
    FILE *f = fopen(json_path, "r");
    if (!f) {
        seterr(err, errlen, "cannot read '%s': %s", json_path, strerror(errno));
        return IL_EIO;
    }
    json_error_t jerr;
    json_t *root = json_loadf(f, 0, &jerr);
    fclose(f);
    if (!root) {
        seterr(err, errlen, "'%s' is not JSON (line %d: %s); the covariance figure reads 'initlab sim --format json "
               "--matrices'", json_path, jerr.line, jerr.text);
        return IL_EINVAL;
    }
    il_status st = IL_OK;
    double *cov = NULL, *se = NULL;
    char **keys = NULL, **vals = NULL;
    size_t np = 0;
    job j;
    memset(&j, 0, sizeof j);
    const json_t *cmd = json_object_get(root, "command"), *layers = json_object_get(root, "layers");
    if (!json_is_string(cmd) || strcmp(json_string_value(cmd), "sim") != 0 || !json_is_array(layers)) {
        seterr(err, errlen, "'%s' is not the JSON of 'initlab sim --format json --matrices'%s%s%s", json_path,
               json_is_string(cmd) ? " (it is 'initlab " : "", json_is_string(cmd) ? json_string_value(cmd) : "",
               json_is_string(cmd) ? "')" : "");
        st = IL_EINVAL;
        goto done;
    }
    const json_t *entry = NULL;
    size_t max_layer = 0;
    for (size_t i = 0; i < json_array_size(layers); i++) {
        const json_t *e = json_array_get(layers, i);
        const json_t *l = json_object_get(e, "layer"), *p = json_object_get(e, "point");
        if (!json_is_integer(l) || !json_is_string(p))
            continue;
        if (strcmp(json_string_value(p), point) == 0 && json_integer_value(l) > 0 &&
            (size_t)json_integer_value(l) > max_layer)
            max_layer = (size_t)json_integer_value(l);
        if ((size_t)json_integer_value(l) == layer && strcmp(json_string_value(p), point) == 0)
            entry = e;
    }
    if (!entry) {
        if (max_layer)
            seterr(err, errlen, "'%s' has no layer %zu at point=%s (it has layers 1 to %zu)", json_path, layer, point,
                   max_layer);
        else
            seterr(err, errlen, "'%s' has no rows with point=%s%s", json_path, point,
                   strcmp(point, "post") == 0 ? " (run sim with --post)" : "");
        st = IL_EINVAL;
        goto done;
    }
    const json_t *w = json_object_get(entry, "width"), *mc = json_object_get(entry, "cov"),
                 *ms = json_object_get(entry, "cov_se");
    size_t n = json_is_integer(w) && json_integer_value(w) > 0 ? (size_t)json_integer_value(w) : 0;
    if (!mc) {
        if (json_object_get(entry, "unit_var"))
            seterr(err, errlen, "layer %zu of '%s' has only the diagonal (unit_var): its width %zu exceeds the run's "
                   "--cov-limit; rerun sim with --cov-limit %zu", layer, json_path, n, n);
        else
            seterr(err, errlen, "'%s' has no covariance matrices: run sim with --format json --matrices", json_path);
        st = IL_EINVAL;
        goto done;
    }
    if (n == 0 || n > COV_MAX_WIDTH) {
        seterr(err, errlen, "layer %zu of '%s': width must be in [1, %d]", layer, json_path, COV_MAX_WIDTH);
        st = IL_EINVAL;
        goto done;
    }
    cov = malloc(n * n * sizeof *cov);
    se = malloc(n * n * sizeof *se);
    if (!cov || !se) {
        st = IL_ENOMEM;
        seterr(err, errlen, "out of memory");
        goto done;
    }
    if (!json_matrix(mc, n, cov)) {
        seterr(err, errlen, "layer %zu of '%s': 'cov' is not a %zu x %zu matrix of numbers", layer, json_path, n, n);
        st = IL_EINVAL;
        goto done;
    }
    if (!ms || !json_matrix(ms, n, se))
        for (size_t i = 0; i < n * n; i++)
            se[i] = NAN;
    double amax = 0.0;
    for (size_t i = 0; i < n * n; i++)
        if (isfinite(cov[i]) && fabs(cov[i]) > amax)
            amax = fabs(cov[i]);
    /* the run's parameters, for the subtitle */
    const json_t *pobj = json_object_get(root, "params");
    size_t pn = json_is_object(pobj) ? json_object_size(pobj) : 0;
    keys = calloc(pn + 1, sizeof *keys);
    vals = calloc(pn + 1, sizeof *vals);
    if (!keys || !vals) {
        st = IL_ENOMEM;
        goto done;
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)pobj, k, v)
    {
        char text[300];
        json_text(v, text, sizeof text);
        if (!(keys[np] = xstrdup(k)) || !(vals[np] = xstrdup(text))) {
            np++;
            st = IL_ENOMEM;
            goto done;
        }
        np++;
    }
    int side = (int)(o->width > 0 ? o->width : COV_W);
    if ((st = job_open(&j, "covariance.gp", out, o, side, COV_H, err, errlen)) != IL_OK)
        goto done;
    char title[300];
    snprintf(title, sizeof title, "Covariance matrix Cov(%s_i, %s_j) of layer %zu (%s), width %zu",
             strcmp(point, "pre") == 0 ? "y" : "h", strcmp(point, "pre") == 0 ? "y" : "h", layer,
             strcmp(point, "pre") == 0 ? "linear output" : "layer output", n);
    job_str(&j, "fig_title", 0, o->title ? o->title : title);
    {
        params p = {(const char *const *)keys, (const char *const *)vals, np};
        char store[N_PHRASE_KEYS + 4][600];
        size_t kph = common_phrases(&p, 1, store, N_PHRASE_KEYS);
        const json_t *od = json_object_get(entry, "offdiag_mean"), *ods = json_object_get(entry, "offdiag_se");
        double dsum = 0.0;
        size_t dn = 0;
        for (size_t i = 0; i < n; i++)
            if (isfinite(cov[i * n + i])) {
                dsum += cov[i * n + i];
                dn++;
            }
        snprintf(store[kph++], 600, "Monte Carlo: mean diagonal %.4g, mean off-diagonal %.3g ± %.2g (SE)",
                 dn ? dsum / (double)dn : NAN, json_is_number(od) ? json_number_value(od) : NAN,
                 json_is_number(ods) ? json_number_value(ods) : NAN);
        if (note && *note)
            snprintf(store[kph++], 600, "%s", note);
        const char *ph[N_PHRASE_KEYS + 4];
        for (size_t i = 0; i < kph; i++)
            ph[i] = store[i];
        job_subtitle(&j, ph, kph);
    }
    FILE *df = job_data(&j, "matrix", "matrix_file");
    if (df) {
        fprintf(df, "# initlab plot covariance: layer %zu, point %s of %s\n# i\tj\tcov\tcov_se\n", layer, point,
                json_path);
        for (size_t i = 0; i < n; i++) {
            for (size_t c = 0; c < n; c++)
                fprintf(df, "%zu\t%zu\t%.17g\t%.17g\n", i + 1, c + 1, cov[i * n + c], se[i * n + c]);
            fputc('\n', df);
        }
    }
    job_num(&j, "n", 0, (double)n);
    job_num(&j, "cb_max", 0, amax > 0 ? amax : 1.0);
    job_num(&j, "show_values", 0, n <= COV_LABEL_WIDTH);
    st = job_run(&j, msg, err, errlen);
done:
    if (j.tmpdir)
        job_close(&j);
    for (size_t i = 0; keys && i < np; i++) {
        free(keys[i]);
        free(vals ? vals[i] : NULL);
    }
    free(keys);
    free(vals);
    free(cov);
    free(se);
    json_decref(root);
    return st;
}

/* ---------------------------------------------------------------- distribution of one unit */

/* Quantile of sorted x[0..n-1] (linear interpolation). */
static double quantile(const double *x, size_t n, double p)
{
    double h = p * (double)(n - 1);
    size_t i = (size_t)h;
    if (i + 1 >= n)
        return x[n - 1];
    return x[i] + (h - (double)i) * (x[i + 1] - x[i]);
}

/* Freedman-Diaconis bins over [lo, hi] for sorted x, within [bmin, bmax]. */
static size_t fd_bins(const double *sorted, size_t n, double lo, double hi, size_t bmin, size_t bmax)
{
    double iqr = quantile(sorted, n, 0.75) - quantile(sorted, n, 0.25);
    double h = 2.0 * iqr / cbrt((double)n);
    double b = h > 0 ? (hi - lo) / h : (double)bmax;
    if (!(b >= (double)bmin))
        return bmin;
    if (b > (double)bmax)
        return bmax;
    return (size_t)b;
}

il_status il_plot_distribution(const il_plot_dist *d, const char *out, const il_plot_opts *o, FILE *msg, char *err,
                               size_t errlen)
{
    il_plot_opts dflt;
    if (!o) {
        il_plot_opts_default(&dflt);
        o = &dflt;
    }
    const char *point = d->point ? d->point : "pre";
    if (!d->y || d->draws < 2 || d->batch < 2 || !point_ok(point) || d->bins > 1000 ||
        d->draws > SIZE_MAX / sizeof(double) / d->batch) {
        seterr(err, errlen, "the distribution figure needs at least 2 networks of at least 2 inputs each");
        return IL_EINVAL;
    }
    const size_t D = d->draws, B = d->batch, N = D * B;
    for (size_t i = 0; i < N; i++)
        if (!isfinite(d->y[i])) {
            seterr(err, errlen, "sample %zu of network %zu is not finite", i % B + 1, i / B + 1);
            return IL_EINVAL;
        }
    il_status st = IL_OK;
    job j;
    memset(&j, 0, sizeof j);
    double *sorted = malloc(N * sizeof *sorted), *vd = malloc(D * sizeof *vd), *md = malloc(D * sizeof *md);
    size_t *cnt = NULL;
    double *acc_m = NULL, *acc_s = NULL;
    if (!sorted || !vd || !md) {
        st = IL_ENOMEM;
        goto done;
    }
    /* moments, pooled and per network (two passes per network) */
    double s1 = 0.0;
    for (size_t i = 0; i < N; i++)
        s1 += d->y[i];
    const double mu_hat = s1 / (double)N;
    double s2 = 0.0, s4 = 0.0;
    for (size_t i = 0; i < N; i++) {
        double c = d->y[i] - mu_hat;
        s2 += c * c;
        s4 += c * c * c * c;
    }
    const double var_hat = s2 / (double)N, kurt = var_hat > 0 ? s4 / (double)N / (var_hat * var_hat) : NAN;
    double vbar = 0.0, mbar = 0.0;
    for (size_t dd = 0; dd < D; dd++) {
        const double *y = d->y + dd * B;
        double m = 0.0, v = 0.0;
        for (size_t b = 0; b < B; b++)
            m += y[b];
        m /= (double)B;
        for (size_t b = 0; b < B; b++)
            v += (y[b] - m) * (y[b] - m);
        md[dd] = m;
        vd[dd] = v / (double)(B - 1);
        vbar += vd[dd];
        mbar += m;
    }
    vbar /= (double)D;
    mbar /= (double)D;
    double sm = 0.0;
    for (size_t dd = 0; dd < D; dd++)
        sm += (md[dd] - mbar) * (md[dd] - mbar);
    const double var_m = sm / (double)(D - 1);
    const double mu_se = sqrt(var_m / (double)D);
    /* between-network part of the variance: Var(E[y | network]) = Var(m_d) - E[v_d] / B */
    double between = var_m - vbar / (double)B;
    if (between < 0)
        between = 0;
    /* the Gaussian: the theory's mean and variance, else the sample's */
    int have_theory = isfinite(d->theory_q) && isfinite(d->theory_mean) && d->theory_q - d->theory_mean * d->theory_mean > 0;
    const double g_mu = have_theory ? d->theory_mean : mu_hat;
    const double g_var = have_theory ? d->theory_q - d->theory_mean * d->theory_mean : var_hat;
    /* the range: the central 99.9 % of the samples and +-3 sd of the Gaussian */
    memcpy(sorted, d->y, N * sizeof *sorted);
    qsort(sorted, N, sizeof *sorted, cmp_double);
    double lo = quantile(sorted, N, 0.0005), hi = quantile(sorted, N, 0.9995);
    if (g_mu - 3 * sqrt(g_var) < lo)
        lo = g_mu - 3 * sqrt(g_var);
    if (g_mu + 3 * sqrt(g_var) > hi)
        hi = g_mu + 3 * sqrt(g_var);
    if (!(hi > lo)) {
        lo -= 0.5;
        hi += 0.5;
    }
    size_t bins = d->bins ? d->bins : fd_bins(sorted, N, lo, hi, 10, 60);
    const double bw = (hi - lo) / (double)bins;
    cnt = malloc(bins * sizeof *cnt);
    acc_m = calloc(bins, sizeof *acc_m);
    acc_s = calloc(bins, sizeof *acc_s);
    if (!cnt || !acc_m || !acc_s) {
        st = IL_ENOMEM;
        goto done;
    }
    /* density per bin, with its SE across networks (Welford over the per-network fractions) */
    size_t inside = 0;
    for (size_t dd = 0; dd < D; dd++) {
        inside += il_plot_histogram(d->y + dd * B, B, lo, hi, bins, cnt);
        for (size_t b = 0; b < bins; b++) {
            double fr = (double)cnt[b] / (double)B, delta = fr - acc_m[b];
            acc_m[b] += delta / (double)(dd + 1);
            acc_s[b] += delta * (fr - acc_m[b]);
        }
    }
    char title[300];
    snprintf(title, sizeof title, "Distribution of unit %zu of layer %zu (%s) over random networks and inputs",
             d->unit, d->layer, strcmp(point, "pre") == 0 ? "linear output y" : "layer output h");
    if ((st = job_open(&j, "distribution.gp", out, o, DIST_W, DIST_H, err, errlen)) != IL_OK)
        goto done;
    job_str(&j, "fig_title", 0, o->title ? o->title : title);
    {
        params p = {d->keys, d->values, d->keys ? d->n_params : 0};
        char store[N_PHRASE_KEYS + 4][600];
        size_t k = p.n ? common_phrases(&p, 1, store, N_PHRASE_KEYS) : 0;
        snprintf(store[k++], 600, "%zu samples (%zu networks × %zu inputs)", N, D, B);
        if (N - inside)
            snprintf(store[k++], 600, "%.2g %% of them outside the range shown",
                     100.0 * (double)(N - inside) / (double)N);
        snprintf(store[k++], 600, "sample mean %.4g ± %.2g, variance %.4g, kurtosis %.3g (Gaussian: 3)", mu_hat,
                 mu_se, var_hat, kurt);
        snprintf(store[k++], 600, "between networks: Var(E[%s_i | network]) ≈ %.3g, %.0f %% of the variance",
                 strcmp(point, "pre") == 0 ? "y" : "h", between, var_hat > 0 ? 100.0 * between / var_hat : 0.0);
        const char *ph[N_PHRASE_KEYS + 4];
        for (size_t i = 0; i < k; i++)
            ph[i] = store[i];
        job_subtitle(&j, ph, k);
    }
    FILE *hf = job_data(&j, "hist", "hist_file");
    if (hf) {
        fprintf(hf, "# initlab plot distribution: histogram of unit %zu of layer %zu (%s) over %zu networks x %zu "
                "inputs\n# density = count / (N width); se across networks\n# x\twidth\tdensity\tdensity_se\n",
                d->unit, d->layer, point, D, B);
        for (size_t b = 0; b < bins; b++)
            fprintf(hf, "%.17g\t%.17g\t%.17g\t%.17g\n", lo + ((double)b + 0.5) * bw, bw, acc_m[b] / bw,
                    sqrt(acc_s[b] / (double)(D - 1) / (double)D) / bw);
    }
    /* the per-network variances */
    memcpy(sorted, vd, D * sizeof *sorted);
    qsort(sorted, D, sizeof *sorted, cmp_double);
    double vlo = 0.0, vhi = quantile(sorted, D, 0.995);
    double vmark = have_theory ? g_var : var_hat;
    if (vhi < 1.15 * vmark)
        vhi = 1.15 * vmark;
    if (!(vhi > vlo))
        vhi = vlo + 1.0;
    size_t vbins = fd_bins(sorted, D, vlo, vhi, 10, 60);
    size_t *vcnt = malloc(vbins * sizeof *vcnt);
    if (!vcnt) {
        st = IL_ENOMEM;
        goto done;
    }
    size_t vin = il_plot_histogram(vd, D, vlo, vhi, vbins, vcnt);
    const double vbw = (vhi - vlo) / (double)vbins;
    FILE *vf = job_data(&j, "netvar", "netvar_file");
    if (vf) {
        fprintf(vf, "# initlab plot distribution: histogram of the variance of unit %zu within each of %zu networks "
                "(over %zu inputs each)\n# x\twidth\tdensity\n", d->unit, D, B);
        for (size_t b = 0; b < vbins; b++)
            fprintf(vf, "%.17g\t%.17g\t%.17g\n", vlo + ((double)b + 0.5) * vbw, vbw,
                    (double)vcnt[b] / ((double)D * vbw));
    }
    free(vcnt);
    if (o->keep) {
        FILE *sf = job_data(&j, "samples", "samples_file");
        if (sf) {
            fprintf(sf, "# initlab plot distribution: unit %zu of layer %zu (%s)\n# draw\tinput\ty\n", d->unit,
                    d->layer, point);
            for (size_t i = 0; i < N; i++)
                fprintf(sf, "%zu\t%zu\t%.17g\n", i / B, i % B, d->y[i]);
        }
    }
    char glab[300], vlab[300];
    if (have_theory)
        snprintf(glab, sizeof glab, "Gaussian with the theory's mean and variance (q %s)",
                 d->theory_method ? d->theory_method : "?");
    else
        snprintf(glab, sizeof glab, "Gaussian with the sample mean and variance (no theory)");
    snprintf(vlab, sizeof vlab, "%s variance q − mean² = %.4g", have_theory ? "theory's total" : "total", vmark);
    job_str(&j, "gauss_lab", 0, glab);
    job_num(&j, "g_mu", 0, g_mu);
    job_num(&j, "g_sd", 0, sqrt(g_var));
    job_num(&j, "x_lo", 0, lo);
    job_num(&j, "x_hi", 0, hi);
    job_num(&j, "v_hi", 0, vhi);
    job_num(&j, "logy", 0, d->logy != 0);
    job_num(&j, "y_floor", 0, 0.5 / ((double)N * bw)); /* log axis: half a count, where empty bins end */
    job_num(&j, "v_within", 0, vbar);
    job_num(&j, "v_total", 0, vmark);
    job_str(&j, "v_total_lab", 0, vlab);
    char wl[200], vx[200], vout[160] = "";
    snprintf(wl, sizeof wl, "mean within-network variance %.4g", vbar);
    snprintf(vx, sizeof vx, "variance of %s_i over the %zu inputs of one network", strcmp(point, "pre") == 0 ? "y" : "h",
             B);
    if (D - vin)
        snprintf(vout, sizeof vout, "%zu network%s beyond the range", D - vin, D - vin > 1 ? "s" : "");
    job_str(&j, "v_within_lab", 0, wl);
    job_str(&j, "v_xlabel", 0, vx);
    job_str(&j, "v_out_lab", 0, vout);
    char xl[120];
    snprintf(xl, sizeof xl, "%s_i, unit i = %zu of layer %zu", strcmp(point, "pre") == 0 ? "y" : "h", d->unit,
             d->layer);
    job_str(&j, "x_label", 0, xl);
    st = job_run(&j, msg, err, errlen);
done:
    if (st == IL_ENOMEM)
        seterr(err, errlen, "out of memory");
    if (j.tmpdir)
        job_close(&j);
    free(sorted);
    free(vd);
    free(md);
    free(cnt);
    free(acc_m);
    free(acc_s);
    return st;
}

/* ---------------------------------------------------------------- figures of the claims report */

/* The finite values of column c of t into [*lo, *hi] (positive ones only with positive), with k times the
 * column se_c added and subtracted when se_c >= 0. */
static void column_range(const il_plot_table *t, long c, long se_c, double k, int positive, double *lo, double *hi)
{
    for (size_t r = 0; c >= 0 && r < t->n_rows; r++) {
        double v, s = 0.0;
        if (!cell_num(il_plot_table_cell(t, r, (size_t)c), &v) || !isfinite(v))
            continue;
        if (se_c >= 0 && (!cell_num(il_plot_table_cell(t, r, (size_t)se_c), &s) || !isfinite(s)))
            s = 0.0;
        double a = v - k * s, b = v + k * s;
        if (positive && a <= 0.0)
            a = v;
        if (positive && v <= 0.0)
            continue;
        if (a < *lo)
            *lo = a;
        if (b > *hi)
            *hi = b;
    }
}

/* The number of rows of t with a finite value in column c (0 for c < 0). */
static size_t finite_rows(const il_plot_table *t, long c)
{
    size_t k = 0;
    double v;
    for (size_t r = 0; c >= 0 && r < t->n_rows; r++)
        k += cell_num(il_plot_table_cell(t, r, (size_t)c), &v) && isfinite(v);
    return k;
}

/* The start of a report figure: the default options when o is NULL (*o then points to dflt), the table at path
 * read into *t, and an empty job. */
static il_status report_figure_start(const char *path, const il_plot_opts **o, il_plot_opts *dflt, il_plot_table *t,
                                     job *j, char *err, size_t errlen)
{
    if (!*o) {
        il_plot_opts_default(dflt);
        *o = dflt;
    }
    memset(j, 0, sizeof *j);
    return il_plot_table_read(t, path, err, errlen);
}

il_status il_plot_estimates(const char *path, unsigned flags, const char *x_label, const char *y_label,
                            const char *note, const char *out, const il_plot_opts *o, FILE *msg, char *err,
                            size_t errlen)
{
    il_plot_opts dflt;
    il_plot_table t;
    job j;
    il_status st = report_figure_start(path, &o, &dflt, &t, &j, err, errlen);
    if (st != IL_OK)
        return st;
    long ci = il_plot_table_col(&t, "item"), ce = il_plot_table_col(&t, "estimate"), cs = il_plot_table_col(&t, "se"),
         cc = il_plot_table_col(&t, "claimed"), cr = il_plot_table_col(&t, "correct");
    int logy = (flags & IL_PLOT_EST_LOGY) != 0;
    if (ci < 0 || ce < 0 || cs < 0 || cc < 0 || cr < 0) {
        seterr(err, errlen, "'%s' needs the columns item, estimate, se, claimed, correct", path);
        st = IL_EINVAL;
        goto done;
    }
    if (t.n_rows == 0 || finite_rows(&t, ce) == 0) {
        seterr(err, errlen, "'%s' has no finite estimate to draw", path);
        st = IL_EINVAL;
        goto done;
    }
    double lo = INFINITY, hi = -INFINITY;
    column_range(&t, ce, cs, 2.0, logy, &lo, &hi);
    column_range(&t, cc, -1, 0.0, logy, &lo, &hi);
    column_range(&t, cr, -1, 0.0, logy, &lo, &hi);
    if (!(lo <= hi)) {
        seterr(err, errlen, "'%s': no %svalue to draw", path, logy ? "positive " : "");
        st = IL_EINVAL;
        goto done;
    }
    if (lo == hi) {
        double d = lo != 0.0 ? fabs(lo) * 0.1 : 1.0;
        lo = logy ? lo / 1.5 : lo - d;
        hi = logy ? hi * 1.5 : hi + d;
    }
    if ((st = job_open(&j, "estimates.gp", out, o, VARIANCE_W, VARIANCE_H * 3 / 4, err, errlen)) != IL_OK)
        goto done;
    job_str(&j, "fig_title", 0, o->title ? o->title : "Monte Carlo estimates against the claimed and the correct values");
    const char *ph[] = {note ? note : "", "\nbars: ±2 standard errors of each Monte Carlo estimate"};
    job_subtitle(&j, ph, 2);
    job_input(&j, "data_file", 0, path);
    job_num(&j, "n_items", 0, (double)t.n_rows);
    job_num(&j, "logy", 0, logy);
    job_num(&j, "joined", 0, (flags & IL_PLOT_EST_LINES) != 0);
    job_num(&j, "has_claimed", 0, finite_rows(&t, cc) > 0);
    job_num(&j, "has_correct", 0, finite_rows(&t, cr) > 0);
    job_num(&j, "y_min", 0, lo);
    job_num(&j, "y_max", 0, hi);
    job_str(&j, "x_label", 0, x_label ? x_label : "item");
    job_str(&j, "y_label", 0, y_label ? y_label : "value");
    st = job_run(&j, msg, err, errlen);
done:
    if (j.tmpdir)
        job_close(&j);
    il_plot_table_release(&t);
    return st;
}

#define FD_FLOOR 1e-3 /* ratios below this (0 included: exact agreement) are drawn at it */

il_status il_plot_fd_errors(const char *path, const char *note, const char *out, const il_plot_opts *o, FILE *msg,
                            char *err, size_t errlen)
{
    il_plot_opts dflt;
    il_plot_table t;
    job j;
    il_status st = report_figure_start(path, &o, &dflt, &t, &j, err, errlen);
    if (st != IL_OK)
        return st;
    long cn = il_plot_table_col(&t, "instance"), cs = il_plot_table_col(&t, "claimed"),
         cc = il_plot_table_col(&t, "correct");
    if (cn < 0 || cs < 0 || cc < 0 || t.n_rows == 0) {
        seterr(err, errlen, "'%s' needs the columns instance, claimed, correct and at least one row", path);
        st = IL_EINVAL;
        goto done;
    }
    double hi = 1.0;
    column_range(&t, cs, -1, 0.0, 1, &(double){INFINITY}, &hi);
    column_range(&t, cc, -1, 0.0, 1, &(double){INFINITY}, &hi);
    if ((st = job_open(&j, "fd_errors.gp", out, o, VARIANCE_W, VARIANCE_H * 3 / 4, err, errlen)) != IL_OK)
        goto done;
    job_str(&j, "fig_title", 0, o->title ? o->title : "Claimed derivatives against central differences");
    const char *ph[] = {note ? note : "",
                        "\nratio = |claimed − central difference| / (error bound of the difference); at most 1: "
                        "consistent"};
    job_subtitle(&j, ph, 2);
    FILE *df = job_data(&j, "ratios", "ratio_file");
    if (df) {
        fprintf(df, "instance\tclaimed\tcorrect\n");
        for (size_t r = 0; r < t.n_rows; r++) {
            double v[2];
            long cols[2] = {cs, cc};
            for (int k = 0; k < 2; k++) {
                if (!cell_num(il_plot_table_cell(&t, r, (size_t)cols[k]), &v[k]) || !isfinite(v[k]))
                    v[k] = NAN;
                else if (v[k] < FD_FLOOR)
                    v[k] = FD_FLOOR;
            }
            fprintf(df, "%s\t%.17g\t%.17g\n", il_plot_table_cell(&t, r, (size_t)cn), v[0], v[1]);
        }
    }
    job_num(&j, "n_inst", 0, (double)t.n_rows);
    job_num(&j, "y_min", 0, FD_FLOOR);
    job_num(&j, "y_max", 0, hi);
    st = job_run(&j, msg, err, errlen);
done:
    if (j.tmpdir)
        job_close(&j);
    il_plot_table_release(&t);
    return st;
}

il_status il_plot_gnuplot_version(const char *gnuplot, char *buf, size_t n)
{
    static const char *const args[] = {"--version"};
    char line[600] = "";
    il_status st = il_plot_exec(gnuplot ? gnuplot : "gnuplot", args, 1, line, sizeof line);
    /* gnuplot prints its version, which il_plot_exec reports as a diagnostic "gnuplot: LINE" */
    static const char prefix[] = "gnuplot: ";
    if (st == IL_EIO && strncmp(line, prefix, sizeof prefix - 1) == 0) {
        snprintf(buf, n, "%s", line + sizeof prefix - 1);
        return IL_OK;
    }
    snprintf(buf, n, "%s", st == IL_EUNSUPPORTED ? "not found" : "unknown");
    return st == IL_OK ? IL_EIO : st;
}
