/* plot.h: figures with gnuplot (docs/plots.md).
 *
 * The scripts in plots/ (one per figure, files of their own) read the data files initlab writes: the
 * TSVs of `sim`, `sim --compare`, `theory` and `commute` as they are, and the data files this module
 * derives (a covariance matrix taken from `sim --format json --matrices`, histograms of one unit's
 * output). Every script is run as
 *
 *     gnuplot -c plots/KIND.gp VARS OUT TERM
 *
 * VARS is a file of gnuplot assignments written here (input paths, labels, title, subtitle lines),
 * every string in it a quoted gnuplot string (il_plot_gp_quote); OUT is the figure's path and
 * TERM is png (pngcairo) or svg. gnuplot is started without a shell (posix_spawnp with an argument
 * vector), so paths with spaces or quotes need no shell quoting.
 *
 * Figures appear whole or not at all: gnuplot writes a temporary file beside each target, and the
 * temporaries are renamed into place only when every requested format rendered, gnuplot exited 0 and
 * printed nothing: a warning, or any other line on its output, is a failure.
 *
 * Without gnuplot (il_plot_opts.gnuplot not found), or with il_plot_opts.keep, the module leaves next to
 * the figure BASE.gp (a script that renders it: gnuplot BASE.gp), BASE.vars.gp and the derived data files
 * BASE.NAME.tsv. Without gnuplot the figure functions return IL_EUNSUPPORTED after writing into msg the
 * exact command that renders the figure.
 *
 * Library code: nothing is printed except into the FILE *msg a function is given (may be NULL), and
 * every failure is a status with a one-line reason in err (err may be NULL; errlen its size). */
#ifndef IL_PLOT_H
#define IL_PLOT_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"

/* Output formats (bit set). */
#define IL_PLOT_PNG 1u
#define IL_PLOT_SVG 2u

/* Lines and labels longer than this are refused by the writers (a guard against garbage input). */
#define IL_PLOT_MAX_TEXT 4096
/* Inputs of one variance or fluctuation figure. */
#define IL_PLOT_MAX_INPUTS 12

typedef struct {
    const char *scripts; /* directory holding the .gp scripts; NULL: il_plot_default_scripts() */
    const char *gnuplot; /* the program (searched on PATH unless it contains a '/'); NULL: "gnuplot" */
    unsigned formats;    /* IL_PLOT_PNG | IL_PLOT_SVG; 0: from the extension of the output path */
    int keep;            /* 1: keep BASE.gp, BASE.vars.gp and the derived data next to the figure */
    int width, height;   /* pixels (PNG) or points (SVG); 0: the figure's default */
    const char *title;   /* NULL: the figure's default title */
} il_plot_opts;

/* il_plot_opts_default: every field 0 / NULL (the defaults above). */
void il_plot_opts_default(il_plot_opts *o);

/* il_plot_parse_formats: "png", "svg", "png,svg" or "svg,png" into *fmts. IL_EINVAL otherwise. */
il_status il_plot_parse_formats(const char *text, unsigned *fmts);

/* il_plot_resolve_out: the figure files for output path out and formats fmts (0: from out's
 * extension). out must end in .png or .svg unless fmts is given; the base is out without that
 * extension. On success *base is a malloc'ed string (the caller frees it) and *resolved the formats.
 * IL_EINVAL with a reason in err for an empty path, a directory, an extension that is neither .png nor
 * .svg without fmts, or an extension that contradicts fmts (out.svg with png only). IL_ENOMEM. */
il_status il_plot_resolve_out(const char *out, unsigned fmts, char **base, unsigned *resolved, char *err,
                              size_t errlen);

/* il_plot_default_scripts: the directory of the gnuplot scripts: PLOTS next to the directory of the
 * running executable (BUILD/initlab -> BUILD/../plots), else PREFIX/share/initlab/plots for an
 * installed BIN/initlab, else "plots" (relative to the working directory). Writes it into buf (size n)
 * and returns buf; the first candidate holding variance_depth.gp wins. */
const char *il_plot_default_scripts(char *buf, size_t n);

/* ---- Figures. Each returns IL_OK when every requested file was rendered; IL_EUNSUPPORTED when
 * gnuplot was not found (BASE.gp and the data were written, and msg says how to render); IL_EINVAL for
 * an input of the wrong kind or content; IL_EIO when reading or writing failed or gnuplot failed (its
 * first diagnostic line in err); IL_ENOMEM. No figure file is left behind on failure. ---- */

/* One input file and its legend label (NULL: made from the header parameters in which the inputs
 * differ). */
typedef struct {
    const char *path;
    const char *label;
} il_plot_input;

/* il_plot_variance: per-layer mean square q against depth, log scale. Each run (a TSV of `initlab sim`,
 * `sim --compare` or `theory`) gets a colour: Monte Carlo q with +-2 SE bars (sim, --compare), the
 * theory as a line (q_theory of a --compare or theory file; solid where every layer is exact,
 * dash-dotted where some layer is mean-field), a --compare run's claim (q_claim) as a dashed line.
 * theories (may be NULL with n_theories 0): `initlab theory` TSVs, each drawn for every run without a
 * theory line whose network parameters (widths, act, init, ...) are the same; IL_EINVAL if one matches
 * no such run. point: "pre" or "post" (rows with that point). */
il_status il_plot_variance(const il_plot_input *runs, size_t n_runs, const char *const *theories,
                           size_t n_theories, const char *point, const char *out, const il_plot_opts *o,
                           FILE *msg, char *err, size_t errlen);

/* il_plot_fluctuations: between-network variance of each layer's mean square M = |y|^2/n (q_sd^2 of a
 * plain `initlab sim` TSV) against depth, log scale, with approximate +-2 SE bars
 * (q_sd^2 sqrt(2/(D-1)), exact for Gaussian M). relative: 1 plots q_sd^2 / q^2 instead. */
il_status il_plot_fluctuations(const il_plot_input *runs, size_t n_runs, const char *point, int relative,
                               const char *out, const il_plot_opts *o, FILE *msg, char *err, size_t errlen);

/* il_plot_commute: heat map activation x p (one block of columns per dropout kind) of a pathwise
 * discrepancy column of an `initlab commute` TSV, each cell marked with its verdict ('=' commutes,
 * a crossed '=' does not; '?' levels partial, '!' levels disagree). value: "frac_differ",
 * "max_rel_diff" or "max_diff" (the column pathwise_VALUE); NULL: frac_differ. */
il_status il_plot_commute(const char *path, const char *value, const char *out, const il_plot_opts *o,
                          FILE *msg, char *err, size_t errlen);

/* il_plot_covariance: heat map of the covariance matrix of one layer of a `sim --format json
 * --matrices` file (layers[].cov, with cov_se), layer 1-based, point "pre" or "post"; cells carry
 * their value +- SE when the width is at most 12. note (may be NULL): one more subtitle line, e.g.
 * the theory's value. IL_EINVAL when the file is not such a JSON or the layer has no matrix (wider
 * than --cov-limit). */
il_status il_plot_covariance(const char *json_path, size_t layer, const char *point, const char *note,
                             const char *out, const il_plot_opts *o, FILE *msg, char *err, size_t errlen);

/* The samples of one unit behind the distribution figure. */
typedef struct {
    const double *y;      /* draws x batch values, draw-major: y[d * batch + b] */
    size_t draws, batch;  /* draws >= 2, batch >= 2 */
    size_t layer, unit;   /* 1-based, for the labels */
    const char *point;    /* "pre" or "post" */
    double theory_mean;   /* E[y_i] of the theory; NaN: none */
    double theory_q;      /* E[y_i^2] of the theory; NaN: no theory (the Gaussian then uses the sample moments) */
    const char *theory_method; /* "exact" or "mean-field" (of q); NULL with no theory */
    const char *const *keys;   /* the run's parameters, for the subtitle (may be NULL with n_params 0) */
    const char *const *values;
    size_t n_params;
    size_t bins;          /* histogram bins; 0: Freedman-Diaconis, within [10, 60] */
    int logy;             /* 1: log density axis */
} il_plot_dist;

/* il_plot_distribution: left, the histogram (density, +-2 SE bars computed across networks) of the
 * unit's output pooled over networks and inputs, against the Gaussian with the theory's mean and
 * variance; right, the between-network spread: the histogram of the unit's variance within each
 * network, with the mean within-network variance and the total variance marked. Writes the data files
 * hist, netvar (and with keep, samples: draw, input, y). IL_EINVAL for fewer than 2 draws or inputs or a
 * non-finite sample. */
il_status il_plot_distribution(const il_plot_dist *d, const char *out, const il_plot_opts *o, FILE *msg,
                               char *err, size_t errlen);

/* il_plot_sim: the shortcut behind `initlab sim ... --out RUN.tsv --plot FILE`: the variance-vs-depth
 * figure of the TSV just written at tsv (plain or --compare, so with its theory and claim lines), with
 * the default options, to out (FILE.png or FILE.svg). Returns as the figure functions. */
il_status il_plot_sim(const char *tsv, const char *out, FILE *msg, char *err, size_t errlen);

/* ---- Building blocks (exposed for the tests and for new figures). ---- */

/* A TSV written by initlab: "# initlab VERSION COMMAND" first, "# key = value" header lines, other
 * '#' comment lines, one column line, then data rows (trailing '#' lines are skipped). */
typedef struct {
    char *command;        /* "sim", "sim --compare", "theory", "commute", ... */
    size_t n_params;
    char **keys, **values;
    size_t n_cols;
    char **cols;
    size_t n_rows;
    char **cells;         /* n_rows * n_cols, row-major; a short row's missing cells are "" */
} il_plot_table;

/* il_plot_table_read: reads path into *t (every pointer owned by t). IL_EIO if it cannot be read;
 * IL_EINVAL with a reason if it is not an initlab TSV (no "# initlab" first line, no column line,
 * a row with more cells than columns). il_plot_table_release frees (safe on a zeroed or failed t). */
il_status il_plot_table_read(il_plot_table *t, const char *path, char *err, size_t errlen);
void il_plot_table_release(il_plot_table *t);
const char *il_plot_table_param(const il_plot_table *t, const char *key); /* NULL if absent */
long il_plot_table_col(const il_plot_table *t, const char *name);        /* -1 if absent */
const char *il_plot_table_cell(const il_plot_table *t, size_t row, size_t col);

/* il_plot_gp_quote: s as a double-quoted gnuplot string constant into buf (size n, NUL-terminated,
 * truncated if short): letters, digits, space and _.,:/+=()- as they are, every other byte as an octal
 * escape (it's -> "it\047s"), control characters as spaces. No quote can end the string, and gnuplot's
 * backquote command substitution and @macro expansion, which act on the raw line, never see a ` or @.
 * (Single-quoted strings are not used: gnuplot 5.4 misreads a doubled quote next to another quote.)
 * Returns the length the full result needs, without the NUL. */
size_t il_plot_gp_quote(const char *s, char *buf, size_t n);

/* il_plot_sh_quote: s as one POSIX shell word, for the commands printed to the user ('a b' ->
 * 'a b', it's -> 'it'\''s'; words of [A-Za-z0-9_./=:,+-] stay bare). Returns a malloc'ed string or
 * NULL (ENOMEM). */
char *il_plot_sh_quote(const char *s);

/* il_plot_diagnostic: the first non-empty line of gnuplot's captured output into line (size n), with a
 * count of the further lines; returns the number of non-empty lines (0: clean). Lines that contain
 * "warning" (any case) are preferred as the first line shown. */
size_t il_plot_diagnostic(const char *output, char *line, size_t n);

/* il_plot_exec: runs gnuplot with args (args[0..nargs-1] after the program name) without a shell, its
 * standard input /dev/null, standard output and error captured together. IL_OK when it exited 0 and
 * printed nothing; IL_EUNSUPPORTED when the program was not found or is not executable; IL_EIO
 * otherwise, with the first diagnostic line (il_plot_diagnostic) or the exit status in err. */
il_status il_plot_exec(const char *gnuplot, const char *const *args, size_t nargs, char *err, size_t errlen);

/* il_plot_histogram: counts of x[0..n-1] in bins equal bins over [lo, hi) (the last bin includes hi);
 * values outside are not counted. counts has bins entries. Returns the number counted. */
size_t il_plot_histogram(const double *x, size_t n, double lo, double hi, size_t bins, size_t *counts);

/* ---- Figures of the claims report (`initlab report`, docs/report.md). ---- */

/* il_plot_estimates flags. */
#define IL_PLOT_EST_LOGY 1u  /* log y axis (non-positive values are not drawn) */
#define IL_PLOT_EST_LINES 2u /* join the claimed and the correct values across items (a sequence, e.g. layers) */

/* il_plot_estimates: Monte Carlo items of a claim against what the claim says and what is true. path is an
 * initlab TSV with the columns item (the x tick label), estimate, se, claimed, correct (NaN where there is
 * none): the estimates with +-2 SE bars, the claimed values as crosses, the correct values as open circles
 * (a series with no finite value is left out). x_label, y_label (NULL: "item", "value") name the axes; note
 * (may be NULL) is a subtitle line. IL_EINVAL for a file without those columns or without a finite estimate. */
il_status il_plot_estimates(const char *path, unsigned flags, const char *x_label, const char *y_label,
                            const char *note, const char *out, const il_plot_opts *o, FILE *msg, char *err,
                            size_t errlen);

/* il_plot_fd_errors: a gradient claim against central differences, per instance: path is an initlab TSV with
 * the columns instance, claimed, correct: |claimed formula - central difference| / bound and the same for the
 * correct formula (analysis/registry.h, il_registry_fdcmp), on a log axis with the threshold 1 marked; ratios
 * below 10^-3 (0: exact agreement) are drawn at 10^-3. note (may be NULL) is a subtitle line. */
il_status il_plot_fd_errors(const char *path, const char *note, const char *out, const il_plot_opts *o, FILE *msg,
                            char *err, size_t errlen);

/* il_plot_gnuplot_version: the first line of `gnuplot --version` (gnuplot NULL: "gnuplot") into buf (size n).
 * IL_OK; IL_EUNSUPPORTED when the program is not found (buf "not found"); IL_EIO otherwise (buf "unknown"). */
il_status il_plot_gnuplot_version(const char *gnuplot, char *buf, size_t n);

#endif
