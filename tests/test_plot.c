/* test_plot.c: the gnuplot driver (plots/plot.c): quoting for gnuplot and for the shell (round trips
 * through gnuplot and sh), gnuplot's diagnostics (a deliberately warning-producing script fails, a clean
 * one passes, an error fails, a missing program is reported as such), no shell between us and gnuplot
 * (paths with spaces, quotes and shell syntax), output paths and formats, reading initlab's TSVs, the
 * histogram, and the figures' contract: whole files or none, the script and data when gnuplot is missing.
 *
 * Needs gnuplot on PATH (make check installs gnuplot-nox) and is run from the top of the tree (the
 * scripts are read from plots/). */
#define _XOPEN_SOURCE 700 /* mkdtemp */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plot.h"

#define ERRLEN 700
/* A figure of ours is a few tens of kilobytes; anything under this is not a rendered figure. */
#define MIN_FIGURE_BYTES 4000

static char scratch[256];

static int setup(void **state)
{
    (void)state;
    snprintf(scratch, sizeof scratch, "/tmp/test_plot.XXXXXX");
    return mkdtemp(scratch) ? 0 : -1;
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int teardown(void **state)
{
    (void)state;
    remove_tree(scratch);
    return 0;
}

static void path_in(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", scratch, name);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        fail_msg("cannot create %s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* The number of directory entries of scratch whose names contain part. */
static int count_entries(const char *part)
{
    DIR *d = opendir(scratch);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, part))
            n++;
    if (d)
        closedir(d);
    return n;
}

static void assert_png(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char h[24];
    if (!f)
        fail_msg("%s was not written", path);
    size_t n = fread(h, 1, sizeof h, f);
    fclose(f);
    static const unsigned char magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (n < 24 || memcmp(h, magic, 8) != 0 || memcmp(h + 12, "IHDR", 4) != 0)
        fail_msg("%s is not a PNG", path);
    long w = ((long)h[16] << 24) | (h[17] << 16) | (h[18] << 8) | h[19];
    long ht = ((long)h[20] << 24) | (h[21] << 16) | (h[22] << 8) | h[23];
    if (w < 300 || w > 6000 || ht < 300 || ht > 6000)
        fail_msg("%s: PNG of %ld x %ld pixels", path, w, ht);
    if (file_size(path) < MIN_FIGURE_BYTES)
        fail_msg("%s: only %ld bytes", path, file_size(path));
}

/* ---- quoting */

static void test_gp_quote(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(il_plot_gp_quote("it's", buf, sizeof buf), 9);
    assert_string_equal(buf, "\"it\\047s\"");
    il_plot_gp_quote("", buf, sizeof buf);
    assert_string_equal(buf, "\"\"");
    il_plot_gp_quote("a-b_c.d/e (f) g,h:i+j=k", buf, sizeof buf);
    assert_string_equal(buf, "\"a-b_c.d/e (f) g,h:i+j=k\""); /* kept as they are */
    il_plot_gp_quote("\"\\`@$", buf, sizeof buf);
    assert_string_equal(buf, "\"\\042\\134\\140\\100\\044\"");
    il_plot_gp_quote("line1\nline2\t", buf, sizeof buf);
    assert_string_equal(buf, "\"line1 line2 \""); /* control characters cannot end the string */
    il_plot_gp_quote("\xcf\x83", buf, sizeof buf);   /* UTF-8 bytes: octal */
    assert_string_equal(buf, "\"\\317\\203\"");
    /* a short buffer: truncated and terminated, and the full length is returned */
    char small[5];
    assert_int_equal(il_plot_gp_quote("abcdef", small, sizeof small), 8);
    assert_string_equal(small, "\"abc");
    assert_int_equal(il_plot_gp_quote("''", NULL, 0), 10);
}

/* Strings go through gnuplot unchanged: gnuplot prints each one back into a file. */
static void test_gp_quote_roundtrip(void **state)
{
    (void)state;
    static const char *const cases[] = {"plain", "it's", "''", "'''a'", "a \"quoted\" word", "\"",
                                        "back\\slash \\n not a newline", "$(touch pwned) `touch pwned` ; & | <>",
                                        "@fig_title @@ %s %d {/Symbol a} _x ^2", "utf-8: σ² ± × ≠ 🙂",
                                        "' ; print 'injected", "\" . system(\"touch pwned\") . \""};
    const size_t n = sizeof cases / sizeof cases[0];
    char script[512], out[512];
    path_in(script, sizeof script, "roundtrip.gp");
    path_in(out, sizeof out, "roundtrip.txt");
    char *text = malloc(65536);
    size_t len = 0;
    char q[1024];
    il_plot_gp_quote(out, q, sizeof q);
    len += (size_t)snprintf(text + len, 65536 - len, "set print %s\n", q);
    for (size_t i = 0; i < n; i++) {
        il_plot_gp_quote(cases[i], q, sizeof q);
        len += (size_t)snprintf(text + len, 65536 - len, "s = %s\nprint s\n", q);
    }
    write_file(script, text);
    free(text);
    char err[ERRLEN] = "";
    const char *args[] = {script};
    il_status st = il_plot_exec("gnuplot", args, 1, err, sizeof err);
    if (st == IL_EUNSUPPORTED)
        fail_msg("gnuplot is not installed (make check installs gnuplot-nox): %s", err);
    if (st != IL_OK)
        fail_msg("gnuplot failed on the quoted strings: %s", err);
    char *got = read_all(out);
    assert_non_null(got);
    char *p = got;
    for (size_t i = 0; i < n; i++) {
        size_t l = strcspn(p, "\n");
        if (strlen(cases[i]) != l || strncmp(p, cases[i], l) != 0)
            fail_msg("case %zu: gnuplot read back '%.*s', want '%s'", i, (int)l, p, cases[i]);
        p += l + (p[l] == '\n');
    }
    free(got);
    assert_int_equal(access("pwned", F_OK), -1);
}

/* Shell words: the command printed to the user means what it says. */
static void test_sh_quote(void **state)
{
    (void)state;
    char *q = il_plot_sh_quote("out/fig-1.gp");
    assert_string_equal(q, "out/fig-1.gp");
    free(q);
    q = il_plot_sh_quote("a b");
    assert_string_equal(q, "'a b'");
    free(q);
    q = il_plot_sh_quote("it's");
    assert_string_equal(q, "'it'\\''s'");
    free(q);
    q = il_plot_sh_quote("");
    assert_string_equal(q, "''");
    free(q);
    /* round trip through sh */
    static const char *const words[] = {"it's \"x\" $HOME `id` \\ ; * ?", "plain", "a  b"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        q = il_plot_sh_quote(words[i]);
        char cmd[512];
        snprintf(cmd, sizeof cmd, "printf '%%s' %s", q);
        FILE *p = popen(cmd, "r");
        char got[256] = "";
        size_t n = p ? fread(got, 1, sizeof got - 1, p) : 0;
        got[n] = '\0';
        if (p)
            pclose(p);
        if (strcmp(got, words[i]) != 0)
            fail_msg("sh read %s back as '%s', want '%s'", q, got, words[i]);
        free(q);
    }
}

/* ---- gnuplot's diagnostics */

static void test_diagnostic(void **state)
{
    (void)state;
    char line[256];
    assert_int_equal(il_plot_diagnostic("", line, sizeof line), 0);
    assert_string_equal(line, "");
    assert_int_equal(il_plot_diagnostic("\n  \n", line, sizeof line), 0);
    assert_int_equal(il_plot_diagnostic("\"s.gp\" line 3: warning: empty x range\n", line, sizeof line), 1);
    assert_string_equal(line, "\"s.gp\" line 3: warning: empty x range");
    /* the echoed command and its caret are context, a warning is shown before other lines */
    const char *out = "\nplot x\n     ^\nsomething else\n\"s.gp\" line 9: Warning: Skipping data file\n";
    assert_int_equal(il_plot_diagnostic(out, line, sizeof line), 3);
    assert_non_null(strstr(line, "Warning: Skipping data file"));
    assert_non_null(strstr(line, "(and 2 more lines)"));
}

static void run_script(const char *name, const char *text, il_status want, const char *want_in_err)
{
    char script[512], err[ERRLEN] = "";
    path_in(script, sizeof script, name);
    write_file(script, text);
    const char *args[] = {script};
    il_status st = il_plot_exec("gnuplot", args, 1, err, sizeof err);
    if (st != want)
        fail_msg("%s: status %d (%s), want %d", name, st, err, want);
    if (want_in_err && !strstr(err, want_in_err))
        fail_msg("%s: message '%s' lacks '%s'", name, err, want_in_err);
}

static void test_exec(void **state)
{
    (void)state;
    /* clean: exit 0 and silent */
    run_script("clean.gp", "set terminal dumb\nset output '/dev/null'\nplot sin(x)\n", IL_OK, NULL);
    /* a warning is a failure, though gnuplot exits 0 */
    run_script("warn.gp", "set terminal dumb\nset output '/dev/null'\nset xrange [1:1]\nplot sin(x)\n", IL_EIO,
               "arning: empty");
    run_script("warn2.gp", "set terminal dumb\nset output '/dev/null'\nplot 'no such file.dat'\n", IL_EIO, "gnuplot:");
    /* an error */
    run_script("error.gp", "set terminal dumb\nset output '/dev/null'\nplot undefined_function(x)\n", IL_EIO,
               "undefined");
    /* anything printed counts */
    run_script("print.gp", "print 'hello'\n", IL_EIO, "hello");
    /* no gnuplot */
    char err[ERRLEN];
    const char *none[] = {"-e", "exit"};
    assert_int_equal(il_plot_exec("/nonexistent/gnuplot", none, 2, err, sizeof err), IL_EUNSUPPORTED);
    assert_int_equal(il_plot_exec("no-such-program-initlab", none, 2, err, sizeof err), IL_EUNSUPPORTED);
    assert_int_equal(il_plot_exec("", none, 2, err, sizeof err), IL_EINVAL);
}

/* Arguments reach gnuplot as they are: no shell in between. */
static void test_exec_no_shell(void **state)
{
    (void)state;
    char dir[512];
    path_in(dir, sizeof dir, "a dir with 'quotes\" $(touch pwned) ;");
    assert_int_equal(mkdir(dir, 0700), 0);
    char script[700], out[700];
    snprintf(script, sizeof script, "%s/it's a script.gp", dir);
    snprintf(out, sizeof out, "%s/out `x` & file.txt", dir);
    write_file(script, "set print ARG1\nprint ARG2\n");
    const char *args[] = {"-c", script, out, "arg with 'quote' and \"double\""};
    char err[ERRLEN] = "";
    il_status st = il_plot_exec("gnuplot", args, 4, err, sizeof err);
    if (st != IL_OK)
        fail_msg("gnuplot -c with awkward paths: %s", err);
    char *got = read_all(out);
    assert_non_null(got);
    assert_string_equal(got, "arg with 'quote' and \"double\"\n");
    free(got);
    assert_int_equal(access("pwned", F_OK), -1);
}

/* ---- output paths */

static void test_resolve_out(void **state)
{
    (void)state;
    char *base = NULL, err[ERRLEN];
    unsigned f = 0;
    assert_int_equal(il_plot_resolve_out("out/fig.png", 0, &base, &f, err, sizeof err), IL_OK);
    assert_string_equal(base, "out/fig");
    assert_int_equal(f, IL_PLOT_PNG);
    free(base);
    assert_int_equal(il_plot_resolve_out("fig.SVG", 0, &base, &f, err, sizeof err), IL_OK);
    assert_int_equal(f, IL_PLOT_SVG);
    free(base);
    assert_int_equal(il_plot_resolve_out("fig", IL_PLOT_PNG | IL_PLOT_SVG, &base, &f, err, sizeof err), IL_OK);
    assert_string_equal(base, "fig");
    assert_int_equal(f, IL_PLOT_PNG | IL_PLOT_SVG);
    free(base);
    assert_int_equal(il_plot_resolve_out("fig.png", IL_PLOT_PNG | IL_PLOT_SVG, &base, &f, err, sizeof err), IL_OK);
    assert_string_equal(base, "fig");
    free(base);
    /* refused, with a reason */
    static const struct {
        const char *out;
        unsigned fmts;
        const char *why;
    } bad[] = {{"fig.pdf", 0, "must end in .png or .svg"}, {"fig", 0, "must end in .png or .svg"},
               {"fig.svg", IL_PLOT_PNG, "formats"},        {"", 0, "empty"},
               {"out/", 0, "directory"},                   {".png", 0, "no name"},
               {"dir/.svg", 0, "no name"},                 {"/tmp", IL_PLOT_PNG, "directory"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        base = NULL;
        if (il_plot_resolve_out(bad[i].out, bad[i].fmts, &base, &f, err, sizeof err) != IL_EINVAL)
            fail_msg("'%s' was accepted", bad[i].out);
        if (!strstr(err, bad[i].why))
            fail_msg("'%s': message '%s' lacks '%s'", bad[i].out, err, bad[i].why);
        assert_null(base);
    }
    assert_int_equal(il_plot_parse_formats("png,svg", &f), IL_OK);
    assert_int_equal(f, IL_PLOT_PNG | IL_PLOT_SVG);
    assert_int_equal(il_plot_parse_formats("svg", &f), IL_OK);
    assert_int_equal(f, IL_PLOT_SVG);
    assert_int_equal(il_plot_parse_formats("png,png", &f), IL_EINVAL);
    assert_int_equal(il_plot_parse_formats("pdf", &f), IL_EINVAL);
    assert_int_equal(il_plot_parse_formats("png,", &f), IL_EINVAL);
    assert_int_equal(il_plot_parse_formats("", &f), IL_EINVAL);
}

/* ---- reading initlab's TSVs */

static const char *const SIM_TSV =
    "# initlab 0.1.0 sim\n# seed = 3\n# draws = 100\n# batch = 8\n# widths = 4,4,4\n# act = relu\n"
    "# claim = q*(n+1)/(3*n)\n# method: exact = not a parameter\n"
    "layer\tpoint\twidth\tdraws\tmean\tmean_se\tq\tq_se\tq_sd\n"
    "1\tpre\t4\t100\t0.01\t0.02\t0.45\t0.01\t0.1\n"
    "2\tpre\t4\t100\t0.0\t0.02\t0.30\t0.01\t0.08\n"
    "1\tpost\t4\t100\t0.2\t0.02\t0.22\t0.01\t0.05\n"
    "2\tpost\t4\t100\tNaN\tNaN\t0.30\t0.01\t0.08\n"
    "# overall: a trailing note\n";

static void test_table(void **state)
{
    (void)state;
    char p[512], err[ERRLEN];
    path_in(p, sizeof p, "run.tsv");
    write_file(p, SIM_TSV);
    il_plot_table t;
    assert_int_equal(il_plot_table_read(&t, p, err, sizeof err), IL_OK);
    assert_string_equal(t.command, "sim");
    assert_int_equal(t.n_params, 6);
    assert_string_equal(il_plot_table_param(&t, "widths"), "4,4,4");
    assert_string_equal(il_plot_table_param(&t, "claim"), "q*(n+1)/(3*n)");
    assert_null(il_plot_table_param(&t, "method: exact"));
    assert_int_equal(t.n_cols, 9);
    assert_int_equal(t.n_rows, 4);
    assert_int_equal(il_plot_table_col(&t, "q_sd"), 8);
    assert_int_equal(il_plot_table_col(&t, "nope"), -1);
    assert_string_equal(il_plot_table_cell(&t, 2, 1), "post");
    assert_string_equal(il_plot_table_cell(&t, 3, 4), "NaN");
    assert_string_equal(il_plot_table_cell(&t, 9, 0), "");
    il_plot_table_release(&t);
    il_plot_table_release(&t); /* safe twice */

    static const struct {
        const char *text, *why;
    } bad[] = {{"layer\tq\n1\t2\n", "not a TSV written by initlab"},
               {"# initlab 0.1.0 sim\n# seed = 1\n", "no column line"},
               {"# initlab 0.1.0 sim\na\tb\n1\t2\t3\n", "3 fields"},
               {"", "empty"},
               {"{\"tool\": \"initlab\"}\n", "not a TSV written by initlab"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(p, bad[i].text);
        if (il_plot_table_read(&t, p, err, sizeof err) != IL_EINVAL)
            fail_msg("case %zu was accepted", i);
        if (!strstr(err, bad[i].why))
            fail_msg("case %zu: message '%s' lacks '%s'", i, err, bad[i].why);
    }
    path_in(p, sizeof p, "missing.tsv");
    assert_int_equal(il_plot_table_read(&t, p, err, sizeof err), IL_EIO);
    assert_non_null(strstr(err, "cannot read"));
}

static void test_histogram(void **state)
{
    (void)state;
    const double x[] = {-1.0, 0.0, 0.25, 0.5, 0.999, 1.0, 1.5, NAN};
    size_t c[4];
    assert_int_equal(il_plot_histogram(x, 8, 0.0, 1.0, 4, c), 5);
    assert_int_equal(c[0], 1); /* 0 */
    assert_int_equal(c[1], 1); /* 0.25 */
    assert_int_equal(c[2], 1); /* 0.5 */
    assert_int_equal(c[3], 2); /* 0.999 and the upper edge 1 */
    assert_int_equal(il_plot_histogram(x, 8, 1.0, 1.0, 4, c), 0);
}

/* ---- figures */

static void test_variance_figure(void **state)
{
    (void)state;
    char run[512], out[512], err[ERRLEN] = "";
    path_in(run, sizeof run, "run.tsv");
    write_file(run, SIM_TSV);
    il_plot_opts o;
    il_plot_opts_default(&o);
    o.scripts = "plots";
    o.formats = IL_PLOT_PNG | IL_PLOT_SVG;
    path_in(out, sizeof out, "var");
    il_plot_input in = {run, NULL};
    il_status st = il_plot_variance(&in, 1, NULL, 0, "pre", out, &o, stderr, err, sizeof err);
    if (st != IL_OK)
        fail_msg("variance figure: %s", err);
    path_in(out, sizeof out, "var.png");
    assert_png(out);
    path_in(out, sizeof out, "var.svg");
    char *svg = read_all(out);
    assert_non_null(svg);
    assert_non_null(strstr(svg, "<svg"));
    assert_non_null(strstr(svg, "</svg>"));
    free(svg);
    /* nothing else is left behind */
    assert_int_equal(count_entries(".initlab-plot"), 0);
    assert_int_equal(count_entries(".tmp."), 0);
    assert_int_equal(count_entries("var.gp"), 0);
}

/* A warning while rendering: no figure, no temporary left. */
static void test_figure_atomic(void **state)
{
    (void)state;
    char dir[512], script[600], run[512], out[512], err[ERRLEN] = "";
    path_in(dir, sizeof dir, "scripts");
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(script, sizeof script, "%s/variance_depth.gp", dir);
    /* writes the output, then warns */
    write_file(script, "set terminal pngcairo\nset output ARG2\nplot x\nset xrange [1:1]\nreplot\n");
    path_in(run, sizeof run, "run.tsv");
    write_file(run, SIM_TSV);
    il_plot_opts o;
    il_plot_opts_default(&o);
    o.scripts = dir;
    path_in(out, sizeof out, "atomic.png");
    il_plot_input in = {run, NULL};
    il_status st = il_plot_variance(&in, 1, NULL, 0, "pre", out, &o, stderr, err, sizeof err);
    assert_int_equal(st, IL_EIO);
    if (!strstr(err, "arning: empty"))
        fail_msg("the message '%s' does not name the warning", err);
    assert_int_equal(access(out, F_OK), -1);
    assert_int_equal(count_entries("atomic"), 0);
    assert_int_equal(count_entries(".initlab-plot"), 0);
}

/* Without gnuplot: the script and the data next to the figure, and how to render them. */
static void test_no_gnuplot(void **state)
{
    (void)state;
    char run[512], out[512], err[ERRLEN] = "";
    path_in(run, sizeof run, "run.tsv");
    write_file(run, SIM_TSV);
    il_plot_opts o;
    il_plot_opts_default(&o);
    o.scripts = "plots";
    o.gnuplot = "/nonexistent/gnuplot";
    path_in(out, sizeof out, "nogp.png");
    char msgpath[512];
    path_in(msgpath, sizeof msgpath, "msg.txt");
    FILE *msg = fopen(msgpath, "w");
    il_plot_input in = {run, NULL};
    il_status st = il_plot_variance(&in, 1, NULL, 0, "pre", out, &o, msg, err, sizeof err);
    fclose(msg);
    assert_int_equal(st, IL_EUNSUPPORTED);
    assert_int_equal(access(out, F_OK), -1);
    char gp[512];
    path_in(gp, sizeof gp, "nogp.gp");
    assert_int_equal(access(gp, R_OK), 0);
    path_in(gp, sizeof gp, "nogp.vars.gp");
    assert_int_equal(access(gp, R_OK), 0);
    char *m = read_all(msgpath);
    assert_non_null(m);
    if (!strstr(m, "render with: gnuplot ") || !strstr(m, "nogp.gp"))
        fail_msg("the message does not say how to render: %s", m);
    free(m);
    /* and the script renders the figure */
    path_in(gp, sizeof gp, "nogp.gp");
    const char *args[] = {gp};
    st = il_plot_exec("gnuplot", args, 1, err, sizeof err);
    if (st != IL_OK)
        fail_msg("rendering the kept script failed: %s", err);
    assert_png(out);
}

/* The wrong kind of input is refused before anything is written. */
static void test_wrong_input(void **state)
{
    (void)state;
    char run[512], out[512], err[ERRLEN] = "";
    path_in(run, sizeof run, "commute.tsv");
    write_file(run, "# initlab 0.1.0 commute\n# seed = 1\nactivation\tp\tkind\nrelu\t0.5\tinverted\n");
    il_plot_opts o;
    il_plot_opts_default(&o);
    o.scripts = "plots";
    path_in(out, sizeof out, "wrong.png");
    il_plot_input in = {run, NULL};
    assert_int_equal(il_plot_variance(&in, 1, NULL, 0, "pre", out, &o, stderr, err, sizeof err), IL_EINVAL);
    assert_non_null(strstr(err, "initlab commute"));
    assert_int_equal(il_plot_fluctuations(&in, 1, "pre", 0, out, &o, stderr, err, sizeof err), IL_EINVAL);
    assert_int_equal(il_plot_commute(run, NULL, out, &o, stderr, err, sizeof err), IL_EINVAL);
    assert_non_null(strstr(err, "no column"));
    assert_int_equal(il_plot_covariance(run, 1, "pre", NULL, out, &o, stderr, err, sizeof err), IL_EINVAL);
    assert_non_null(strstr(err, "not JSON"));
    /* post rows that are not there */
    path_in(run, sizeof run, "run.tsv");
    write_file(run, "# initlab 0.1.0 sim\nlayer\tpoint\tdraws\tq\tq_se\tq_sd\n1\tpre\t10\t1\t0.1\t0.1\n");
    in.path = run;
    assert_int_equal(il_plot_variance(&in, 1, NULL, 0, "post", out, &o, stderr, err, sizeof err), IL_EINVAL);
    assert_non_null(strstr(err, "point=post"));
    /* a theory that belongs to no run */
    char th[512];
    path_in(th, sizeof th, "theory.tsv");
    write_file(th, "# initlab 0.1.0 theory\n# widths = 9,9\nlayer\tpoint\twidth\tq_theory\tmethod\n1\tpre\t9\t1\texact\n");
    const char *ths[] = {th};
    assert_int_equal(il_plot_variance(&in, 1, ths, 1, "pre", out, &o, stderr, err, sizeof err), IL_EINVAL);
    assert_non_null(strstr(err, "matches no run"));
    assert_int_equal(access(out, F_OK), -1);
    assert_int_equal(count_entries(".initlab-plot"), 0);
}

static void test_distribution_figure(void **state)
{
    (void)state;
    enum { D = 200, B = 16 };
    static double y[D * B];
    for (size_t i = 0; i < D * B; i++) /* a deterministic, roughly bell-shaped sample */
        y[i] = ((double)((i * 2654435761u) % 1000) + (double)((i * 40503u) % 1000)) / 1000.0 - 1.0;
    const char *keys[] = {"widths", "act", "seed"}, *vals[] = {"4,4", "tanh", "7"};
    il_plot_dist d = {y, D, B, 1, 2, "pre", 0.0, 0.16, "exact", keys, vals, 3, 0, 0};
    il_plot_opts o;
    il_plot_opts_default(&o);
    o.scripts = "plots";
    o.keep = 1;
    char out[512], err[ERRLEN] = "";
    path_in(out, sizeof out, "dist.png");
    il_status st = il_plot_distribution(&d, out, &o, stderr, err, sizeof err);
    if (st != IL_OK)
        fail_msg("distribution figure: %s", err);
    assert_png(out);
    char p[512];
    path_in(p, sizeof p, "dist.samples.tsv");
    assert_int_equal(access(p, R_OK), 0);
    path_in(p, sizeof p, "dist.hist.tsv");
    assert_int_equal(access(p, R_OK), 0);
    /* refused: one input per network, or a non-finite sample */
    il_plot_dist bad = d;
    bad.batch = 1;
    assert_int_equal(il_plot_distribution(&bad, out, &o, stderr, err, sizeof err), IL_EINVAL);
    y[17] = NAN;
    assert_int_equal(il_plot_distribution(&d, out, &o, stderr, err, sizeof err), IL_EINVAL);
    assert_non_null(strstr(err, "not finite"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gp_quote),
        cmocka_unit_test_setup_teardown(test_gp_quote_roundtrip, setup, teardown),
        cmocka_unit_test(test_sh_quote),
        cmocka_unit_test(test_diagnostic),
        cmocka_unit_test_setup_teardown(test_exec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec_no_shell, setup, teardown),
        cmocka_unit_test(test_resolve_out),
        cmocka_unit_test_setup_teardown(test_table, setup, teardown),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test_setup_teardown(test_variance_figure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_figure_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_gnuplot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_distribution_figure, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
