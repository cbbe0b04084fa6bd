/* report.h: the claims report of `initlab report` (docs/report.md): the results of the claim registry
 * (analysis/registry.h) with their figures (plots/plot.h), rendered as Markdown and as one self-contained
 * HTML page (figures embedded as base64 PNG data URIs, the style sheet inline, no external reference).
 *
 * Every text of the report comes from the results, the registry entries and the numbers given here; the
 * writers add only headings, labels and formatting, never a statement about an outcome. The writers are
 * deterministic: the same inputs give the same bytes (run times appear only when timings is set).
 *
 * Library code: the writers write only to the FILE * they are given and read only the figure files named
 * in the report; failures are statuses (IL_EIO for a stream error or an unreadable figure, with the reason
 * in err when the function takes one). */
#ifndef IL_REPORT_H
#define IL_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "registry.h"

#define IL_REPORT_MAX_FIGS 4 /* figures per claim */

/* One figure of a claim. */
typedef struct {
    const char *png;     /* the PNG file to embed in the HTML (read by il_report_write_html), or NULL: not
                          * rendered (missing then says why) */
    const char *href;    /* the figure's path as report.md links it (relative to the report's directory) */
    const char *caption; /* what the figure shows (one line) */
    const char *missing; /* the note shown instead of a figure that was not rendered, or NULL */
} il_report_figure;

/* One claim of the report: its result (borrowed), its figures, and its run time. */
typedef struct {
    const il_registry_result *res;
    il_report_figure figs[IL_REPORT_MAX_FIGS];
    size_t n_figs;
    double seconds; /* wall-clock time of the check (shown only with timings) */
} il_report_claim;

/* A key and a value of the appendix (parameters, versions). */
typedef struct {
    const char *key;
    const char *value;
} il_report_kv;

typedef struct {
    const char *title;               /* the page's title */
    const il_report_claim *claims;   /* in order */
    size_t n_claims;
    const il_report_kv *params;      /* the run's parameters (seed, ids, thresholds, ...) */
    size_t n_params;
    const il_report_kv *versions;    /* initlab, libraries, gnuplot, compiler */
    size_t n_versions;
    const char *reproduce;           /* the command that reproduces the report's numbers, or NULL */
    int timings;                     /* 1: the appendix lists each claim's run time and the total */
    double total_seconds;            /* with timings: the whole run, figures included */
    const il_report_kv *run;         /* with timings: facts about this run that do not change the results
                                      * (threads, date, ...); may be NULL */
    size_t n_run;
} il_report;

/* il_report_write_md: report.md: a summary, the verdict table, one section per claim (the claim as written,
 * the reading used, the test and its threshold, the evidence, the decisive numbers, the verdict with its
 * margin and any borderline or caveat note, the correct statement, the configuration, the figures as image
 * links), and the appendix. IL_EIO on a stream error. */
il_status il_report_write_md(FILE *f, const il_report *r);

/* il_report_write_html: the same content as one HTML5 page, every figure's PNG embedded as a data URI; a
 * figure with png NULL shows its missing note. IL_EIO on a stream error or when a PNG cannot be read
 * (reason in err, errlen bytes; err may be NULL). IL_ENOMEM. */
il_status il_report_write_html(FILE *f, const il_report *r, char *err, size_t errlen);

/* ---- Helpers (exposed for the tests). ---- */

/* il_report_html_escape: s as HTML text or attribute value: & < > " ' as entities, tabs and newlines as
 * spaces, other control characters dropped (UTF-8 passes as it is). Returns the length the whole result
 * needs (without the NUL); writes at most n bytes into buf including a NUL (buf may be NULL with n 0). */
size_t il_report_html_escape(const char *s, char *buf, size_t n);

/* il_report_md_escape: s as Markdown inline text (also safe in a table cell): a backslash before each of
 * \ ` * _ { } [ ] < > # + ! | ~, tabs and newlines as spaces, other control characters dropped. Returns and
 * writes as il_report_html_escape. */
size_t il_report_md_escape(const char *s, char *buf, size_t n);

/* il_report_base64: the standard base64 encoding (RFC 4648, with '=' padding, no line breaks) of
 * data[0..len-1] into out (size outlen, NUL-terminated). Returns the length the whole encoding needs
 * (4 ceil(len / 3), without the NUL); nothing is written when outlen is smaller than that plus 1. */
size_t il_report_base64(const unsigned char *data, size_t len, char *out, size_t outlen);

/* il_report_fmt_num: v with 6 significant digits (%.6g), "inf", "-inf" or "NaN", into buf (size n). */
void il_report_fmt_num(double v, char *buf, size_t n);

/* il_report_fmt_pm: "estimate ± se" with se rounded to 2 significant digits and the estimate to the same
 * decimal place (0.229484 ± 0.000078); with a non-finite or non-positive se, the estimate as
 * il_report_fmt_num and "± se" as it is. */
void il_report_fmt_pm(double est, double se, char *buf, size_t n);

/* il_report_fmt_margin: "exact" for +inf, "n/a" for NaN, else %.3g; " (borderline)" appended when the
 * result is borderline. */
void il_report_fmt_margin(const il_registry_result *res, char *buf, size_t n);

/* il_report_num: the value of the decisive number name of res, or NaN when res has none. */
double il_report_num(const il_registry_result *res, const char *name);

/* il_report_decisive: the decisive numbers of res in one line, for the verdict table: the decisive item's
 * estimate ± SE against the claimed and the correct value (numbers decisive_estimate, decisive_se,
 * decisive_claimed, decisive_correct) with the largest |z| (max_abs_z), then the item where a caveat's
 * condition fails (caveat_estimate, caveat_se, caveat_claimed, caveat_correct, caveat_z); without either, the
 * largest error-to-bound ratio (max_ratio); else the est_X / se_X / z_X item with the largest |z|; else the
 * first three numbers as name = value. */
void il_report_decisive(const il_registry_result *res, char *buf, size_t n);

#endif
