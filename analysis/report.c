/* report.c: the claims report as Markdown and as one self-contained HTML page (report.h, docs/report.md). */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- escaping */

enum { ESC_HTML, ESC_MD };

/* The replacement of byte c: NULL to keep it, "" to drop it, else the text to write instead. */
static const char *replacement(unsigned char c, int mode)
{
    static const char *const md_bs[] = {"\\\\", "\\`", "\\*", "\\_", "\\{", "\\}", "\\[", "\\]", "\\<", "\\>",
                                        "\\#", "\\+", "\\!", "\\|", "\\~"};
    static const char md_chars[] = "\\`*_{}[]<>#+!|~";
    if (c == '\t' || c == '\n' || c == '\r')
        return " ";
    if (c < 0x20 || c == 0x7f)
        return "";
    if (mode == ESC_HTML) {
        switch (c) {
        case '&': return "&amp;";
        case '<': return "&lt;";
        case '>': return "&gt;";
        case '"': return "&quot;";
        case '\'': return "&#39;";
        default: return NULL;
        }
    }
    const char *p = c ? strchr(md_chars, c) : NULL;
    return p ? md_bs[p - md_chars] : NULL;
}

static size_t escape(const char *s, int mode, char *buf, size_t n)
{
    size_t len = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        const char *rep = replacement(*p, mode);
        size_t rl = rep ? strlen(rep) : 1;
        for (size_t k = 0; k < rl; k++, len++)
            if (buf && len + 1 < n)
                buf[len] = rep ? rep[k] : (char)*p;
    }
    if (buf && n)
        buf[len < n ? len : n - 1] = '\0';
    return len;
}

size_t il_report_html_escape(const char *s, char *buf, size_t n)
{
    return escape(s, ESC_HTML, buf, n);
}

size_t il_report_md_escape(const char *s, char *buf, size_t n)
{
    return escape(s, ESC_MD, buf, n);
}

/* Writes s escaped for mode. */
static void put_esc(FILE *f, const char *s, int mode)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        const char *rep = replacement(*p, mode);
        if (rep)
            fputs(rep, f);
        else
            putc(*p, f);
    }
}

static void h(FILE *f, const char *s)
{
    put_esc(f, s, ESC_HTML);
}

static void m(FILE *f, const char *s)
{
    put_esc(f, s, ESC_MD);
}

/* ---------------------------------------------------------------- base64 */

size_t il_report_base64(const unsigned char *data, size_t len, char *out, size_t outlen)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t need = 4 * ((len + 2) / 3);
    if (!out || outlen < need + 1)
        return need;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < len)
            v |= data[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? alphabet[v & 63] : '=';
    }
    out[o] = '\0';
    return need;
}

/* ---------------------------------------------------------------- numbers */

void il_report_fmt_num(double v, char *buf, size_t n)
{
    if (isnan(v))
        snprintf(buf, n, "NaN");
    else if (isinf(v))
        snprintf(buf, n, "%s", v > 0 ? "inf" : "-inf");
    else
        snprintf(buf, n, "%.6g", v);
}

void il_report_fmt_pm(double est, double se, char *buf, size_t n)
{
    char a[64], b[64];
    if (!isfinite(est) || !isfinite(se) || se <= 0.0) {
        il_report_fmt_num(est, a, sizeof a);
        il_report_fmt_num(se, b, sizeof b);
        snprintf(buf, n, "%s ± %s", a, b);
        return;
    }
    /* decimals that keep two significant digits of the SE */
    int d = 1 - (int)floor(log10(se));
    if (d < 0 || d > 15 || fabs(est) >= 1e15) {
        snprintf(buf, n, "%.6g ± %.2g", est, se);
        return;
    }
    /* the SE's first digit can round up to a new decade (0.0996 -> 0.10): keep two digits */
    double rounded = round(se * pow(10.0, d));
    if (rounded >= 100.0 && d > 0)
        d--;
    snprintf(a, sizeof a, "%.*f", d, est);
    if (strspn(a, "-0.") == strlen(a) && a[0] == '-')
        memmove(a, a + 1, strlen(a)); /* no "-0.000" */
    snprintf(buf, n, "%s ± %.*f", a, d, se);
}

void il_report_fmt_margin(const il_registry_result *res, char *buf, size_t n)
{
    double mg = res->margin;
    if (isinf(mg) && mg > 0)
        snprintf(buf, n, "exact%s", res->borderline ? " (borderline)" : "");
    else if (isnan(mg))
        snprintf(buf, n, "n/a");
    else
        snprintf(buf, n, "%.3g%s", mg, res->borderline ? " (borderline)" : "");
}

double il_report_num(const il_registry_result *res, const char *name)
{
    for (size_t i = 0; i < res->n_nums && i < IL_REGISTRY_MAX_NUMS; i++)
        if (strcmp(res->nums[i].name, name) == 0)
            return res->nums[i].value;
    return NAN;
}

static int has_num(const il_registry_result *res, const char *name)
{
    for (size_t i = 0; i < res->n_nums && i < IL_REGISTRY_MAX_NUMS; i++)
        if (strcmp(res->nums[i].name, name) == 0)
            return 1;
    return 0;
}

/* Items given as est_X, se_X (and z_X) numbers: the one with the largest |z_X| (else the first) as
 * "X: estimate ± SE (z ...)", with the number of items. 0 when res has no such pair. */
static int est_item(const il_registry_result *res, char *buf, size_t n)
{
    const char *best = NULL;
    double best_z = -1.0;
    size_t items = 0;
    char name[IL_REGISTRY_NAME + 8];
    for (size_t i = 0; i < res->n_nums && i < IL_REGISTRY_MAX_NUMS; i++) {
        const char *nm = res->nums[i].name;
        if (strncmp(nm, "est_", 4) != 0)
            continue;
        snprintf(name, sizeof name, "se_%s", nm + 4);
        if (!has_num(res, name))
            continue;
        items++;
        snprintf(name, sizeof name, "z_%s", nm + 4);
        double z = fabs(il_report_num(res, name));
        if (!best || (isfinite(z) && z > best_z)) {
            best = nm + 4;
            best_z = isfinite(z) ? z : best_z;
        }
    }
    if (!best)
        return 0;
    char pm[96];
    snprintf(name, sizeof name, "est_%s", best);
    double est = il_report_num(res, name);
    snprintf(name, sizeof name, "se_%s", best);
    il_report_fmt_pm(est, il_report_num(res, name), pm, sizeof pm);
    if (best_z >= 0.0)
        snprintf(buf, n, "%s: %s (|z| %.3g, the largest of %zu items)", best, pm, best_z, items);
    else
        snprintf(buf, n, "%s: %s (%zu items)", best, pm, items);
    return 1;
}

/* The item prefix_estimate ± prefix_se against prefix_claimed and prefix_correct, with |z| (the number z, or
 * else max_abs_z), appended to buf at *len. 0 when res has no such item. */
static int item_line(const il_registry_result *res, const char *prefix, const char *z_name, char *buf, size_t n,
                     size_t *len)
{
    char name[IL_REGISTRY_NAME + 16], pm[96], v[64];
    snprintf(name, sizeof name, "%s_estimate", prefix);
    double est = il_report_num(res, name);
    snprintf(name, sizeof name, "%s_se", prefix);
    double se = il_report_num(res, name);
    if (!has_num(res, name) || isnan(est))
        return 0;
    il_report_fmt_pm(est, se, pm, sizeof pm);
    if (*len < n)
        *len += (size_t)snprintf(buf + *len, n - *len, "estimate %s", pm);
    static const char *const parts[] = {"claimed", "correct"};
    for (size_t k = 0; k < 2; k++) {
        snprintf(name, sizeof name, "%s_%s", prefix, parts[k]);
        if (!has_num(res, name))
            continue;
        il_report_fmt_num(il_report_num(res, name), v, sizeof v);
        if (*len < n)
            *len += (size_t)snprintf(buf + *len, n - *len, "; %s %s", parts[k], v);
    }
    if (has_num(res, z_name) && *len < n)
        *len += (size_t)snprintf(buf + *len, n - *len, "; %s %.3g", strcmp(z_name, "max_abs_z") == 0 ? "max |z|" : "|z|",
                                 fabs(il_report_num(res, z_name)));
    return 1;
}

void il_report_decisive(const il_registry_result *res, char *buf, size_t n)
{
    char a[320], b[64];
    size_t len = 0;
    buf[0] = '\0';
    int decisive = item_line(res, "decisive", "max_abs_z", buf, n, &len);
    int caveat = has_num(res, "caveat_estimate") && has_num(res, "caveat_se");
    if (caveat && len < n) {
        /* a claim that needs a condition: the item outside it */
        len += (size_t)snprintf(buf + len, n - len, "%swhere the condition fails: ", decisive ? "; " : "");
        item_line(res, "caveat", "caveat_z", buf, n, &len);
    }
    if (decisive || caveat)
        return;
    if (has_num(res, "max_ratio")) {
        snprintf(buf, n, "max error / bound = %.3g", il_report_num(res, "max_ratio"));
    } else if (est_item(res, a, sizeof a)) {
        snprintf(buf, n, "%s", a);
    } else {
        for (size_t i = 0; i < res->n_nums && i < 3; i++) {
            il_report_fmt_num(res->nums[i].value, b, sizeof b);
            if (len < n)
                len += (size_t)snprintf(buf + len, n - len, "%s%s = %s", i ? "; " : "", res->nums[i].name, b);
        }
    }
}

/* ---------------------------------------------------------------- shared pieces */

static void counts(const il_report *r, size_t c[4], size_t *borderline)
{
    c[0] = c[1] = c[2] = c[3] = 0;
    *borderline = 0;
    for (size_t i = 0; i < r->n_claims; i++) {
        il_registry_verdict v = r->claims[i].res->verdict;
        c[v <= IL_REGISTRY_UNDECIDED ? v : IL_REGISTRY_UNDECIDED]++;
        *borderline += r->claims[i].res->borderline != 0;
    }
}

static const char *summary_fmt(void)
{
    return "%zu claims: %zu hold, %zu refuted, %zu hold with a caveat, %zu undecided; %zu borderline";
}

/* A run time in seconds, 3 decimals ("< 0.001" below half a millisecond). */
static const char *secs(double s, int html, char *buf, size_t n)
{
    if (s < 0.0005)
        snprintf(buf, n, "%s 0.001", html ? "&lt;" : "<");
    else
        snprintf(buf, n, "%.3f", s);
    return buf;
}

/* The verdict's explanation line: the verdict and its margin. */
static void verdict_line(const il_registry_result *res, char *buf, size_t n)
{
    char mg[64];
    il_report_fmt_margin(res, mg, sizeof mg);
    if (isinf(res->margin))
        snprintf(buf, n, "%s (an exact computation: no statistical margin needed)",
                 il_registry_verdict_name(res->verdict));
    else
        snprintf(buf, n, "%s; margin %s: the decisive statistic clears its threshold by this factor (below %g is "
                 "flagged borderline)", il_registry_verdict_name(res->verdict), mg, IL_REGISTRY_CLEAR_MARGIN);
}

static const char *correct_label(const il_registry_result *res)
{
    return res->verdict == IL_REGISTRY_CAVEAT ? "Condition / correct statement" : "Correct statement";
}

/* The labelled texts of a claim's section, in order (the same for both formats). */
typedef struct {
    const char *label, *text;
    int correct; /* the correct statement (highlighted in HTML) */
} field;

typedef struct {
    field f[10];
    size_t n;
    char decisive[1024], verdict[1024], seed[32];
} claim_fields;

static void fields_of(const il_registry_result *res, claim_fields *cf)
{
    const il_registry_entry *e = res->entry;
    il_report_decisive(res, cf->decisive, sizeof cf->decisive);
    verdict_line(res, cf->verdict, sizeof cf->verdict);
    snprintf(cf->seed, sizeof cf->seed, "%llu", (unsigned long long)res->seed);
    const field all[] = {
        {"Claim as written", e->claim, 0},
        {"Reading used", e->reading && *e->reading ? e->reading : "as written", 0},
        {"Test and threshold", res->test, 0},
        {"Evidence", res->evidence, 0},
        {"Decisive numbers", cf->decisive, 0},
        {"Verdict", cf->verdict, 0},
        {"Note", res->borderline ? "borderline: the margin is below the clear margin; see the evidence" : "", 0},
        {correct_label(res), res->correct, 1},
        {"Configuration", res->config, 0},
        {"Seed", cf->seed, 0},
    };
    cf->n = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i].text && *all[i].text)
            cf->f[cf->n++] = all[i];
}

/* ---------------------------------------------------------------- Markdown */

static void md_field(FILE *f, const char *label, const char *text)
{
    if (!text || !*text)
        return;
    fprintf(f, "- **%s:** ", label);
    m(f, text);
    fputc('\n', f);
}

static void md_claim(FILE *f, const il_report_claim *c)
{
    const il_registry_result *res = c->res;
    const il_registry_entry *e = res->entry;
    char buf[1024];
    claim_fields cf;
    fields_of(res, &cf);
    fprintf(f, "\n### %s: %s (", e->id, il_registry_verdict_name(res->verdict));
    m(f, e->source);
    fprintf(f, ")\n\n");
    for (size_t i = 0; i < cf.n; i++)
        md_field(f, cf.f[i].label, cf.f[i].text);
    if (res->data[0]) {
        fprintf(f, "- **Data:** ");
        char names[IL_REGISTRY_TEXT];
        snprintf(names, sizeof names, "%s", res->data);
        int first = 1;
        for (char *save = NULL, *t = strtok_r(names, ",", &save); t; t = strtok_r(NULL, ",", &save), first = 0) {
            fprintf(f, "%s[", first ? "" : ", ");
            m(f, t);
            fprintf(f, "](data/%s)", t);
        }
        fputc('\n', f);
    }
    if (res->n_nums) {
        fprintf(f, "- **All numbers:** ");
        for (size_t i = 0; i < res->n_nums && i < IL_REGISTRY_MAX_NUMS; i++) {
            il_report_fmt_num(res->nums[i].value, buf, sizeof buf);
            fprintf(f, "%s`%s = %s`", i ? ", " : "", res->nums[i].name, buf);
        }
        fputc('\n', f);
    }
    for (size_t k = 0; k < c->n_figs; k++) {
        const il_report_figure *g = &c->figs[k];
        fputc('\n', f);
        if (g->png) {
            fprintf(f, "![");
            m(f, g->caption);
            fprintf(f, "](%s)\n\n*", g->href);
            m(f, g->caption);
            fprintf(f, "*\n");
        } else {
            fprintf(f, "> Figure not rendered: ");
            m(f, g->missing ? g->missing : "unknown reason");
            fprintf(f, " (");
            m(f, g->caption);
            fprintf(f, ")\n");
        }
    }
}

static void md_kv_table(FILE *f, const il_report_kv *kv, size_t n)
{
    fprintf(f, "| | |\n| --- | --- |\n");
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "| ");
        m(f, kv[i].key);
        fprintf(f, " | ");
        m(f, kv[i].value);
        fprintf(f, " |\n");
    }
}

il_status il_report_write_md(FILE *f, const il_report *r)
{
    size_t c[4], nb;
    char buf[1024];
    counts(r, c, &nb);
    fprintf(f, "# ");
    m(f, r->title);
    fprintf(f, "\n\n");
    snprintf(buf, sizeof buf, summary_fmt(), r->n_claims, c[0], c[1], c[2], c[3], nb);
    m(f, buf);
    fprintf(f, ". Every verdict, number and statement below is computed by initlab (analysis/registry.h); "
               "docs/claims.md derives the tests.\n\n## Verdicts\n\n"
               "| id | source | verdict | decisive numbers | correct statement |\n| --- | --- | --- | --- | --- |\n");
    for (size_t i = 0; i < r->n_claims; i++) {
        const il_registry_result *res = r->claims[i].res;
        fprintf(f, "| [%s](#%s) | ", res->entry->id, res->entry->id);
        m(f, res->entry->source);
        fprintf(f, " | %s | ", il_registry_verdict_name(res->verdict));
        il_report_decisive(res, buf, sizeof buf);
        m(f, buf);
        fprintf(f, " | ");
        m(f, res->correct[0] ? res->correct : "—");
        fprintf(f, " |\n");
    }
    fprintf(f, "\n## Claims\n");
    for (size_t i = 0; i < r->n_claims; i++) {
        fprintf(f, "\n<a id=\"%s\"></a>\n", r->claims[i].res->entry->id);
        md_claim(f, &r->claims[i]);
    }
    fprintf(f, "\n## Appendix\n\n### Parameters\n\n");
    md_kv_table(f, r->params, r->n_params);
    if (r->reproduce) {
        fprintf(f, "\nReproduce the numbers with:\n\n```sh\n%s\n```\n", r->reproduce);
    }
    fprintf(f, "\n### Versions\n\n");
    md_kv_table(f, r->versions, r->n_versions);
    if (r->timings) {
        fprintf(f, "\n### Run times\n\n");
        if (r->n_run)
            md_kv_table(f, r->run, r->n_run);
        fprintf(f, "\n| claim | seconds |\n| --- | ---: |\n");
        char t[32];
        for (size_t i = 0; i < r->n_claims; i++)
            fprintf(f, "| %s | %s |\n", r->claims[i].res->entry->id, secs(r->claims[i].seconds, 0, t, sizeof t));
        fprintf(f, "| **total (claims and figures)** | **%.3f** |\n", r->total_seconds);
    }
    return ferror(f) ? IL_EIO : IL_OK;
}

/* ---------------------------------------------------------------- HTML */

static const char css[] =
    "*{box-sizing:border-box}"
    "body{margin:0;background:#fff;color:#1f2328;font:15px/1.5 'DejaVu Sans',system-ui,sans-serif}"
    "main{max-width:1120px;margin:0 auto;padding:24px 32px 64px}"
    "h1{font-size:27px;margin:0 0 6px}"
    "h2{font-size:21px;margin:40px 0 12px;padding-bottom:4px;border-bottom:2px solid #e5e7eb}"
    "h3{font-size:17px;margin:0 0 10px;display:flex;flex-wrap:wrap;gap:8px 12px;align-items:baseline}"
    "h4{font-size:15px;margin:18px 0 6px}"
    "a{color:#0b5cad;text-decoration:none}a:hover{text-decoration:underline}"
    "nav{margin:8px 0 0;font-size:14px}nav a{margin-right:16px}"
    ".summary{display:flex;flex-wrap:wrap;gap:8px;margin:14px 0 4px}"
    ".lead{color:#4b5563;margin:6px 0}"
    ".wrap{overflow-x:auto}"
    "table{border-collapse:collapse;width:100%;font-size:13.5px}"
    "th,td{border:1px solid #d8dce1;padding:5px 8px;text-align:left;vertical-align:top;overflow-wrap:break-word}"
    "th{background:#f3f4f6;font-weight:600}"
    "tbody tr:nth-child(even){background:#fafbfc}"
    "td.id,td.vd,td.src{white-space:nowrap;overflow-wrap:normal}"
    "td.none{color:#9ca3af}"
    "table.verdicts td:nth-child(4){min-width:220px}"
    "table.kv{width:100%}table.kv th{width:260px}table.times{width:auto;min-width:320px}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".v{display:inline-block;padding:1px 9px;border-radius:11px;font-size:12.5px;font-weight:600;"
    "white-space:nowrap;border:1px solid transparent}"
    ".v-holds{background:#dcfce7;color:#14532d;border-color:#86efac}"
    ".v-refuted{background:#fee2e2;color:#7f1d1d;border-color:#fca5a5}"
    ".v-holds-with-caveat{background:#fef3c7;color:#713f12;border-color:#fcd34d}"
    ".v-undecided{background:#e5e7eb;color:#111827;border-color:#9ca3af}"
    ".bl{background:#fde68a;color:#713f12}"
    "section.claim{border:1px solid #e5e7eb;border-radius:8px;padding:16px 20px;margin:18px 0;"
    "scroll-margin-top:8px}"
    ".src{color:#4b5563;font-size:14px;font-weight:400}"
    "dl{display:grid;grid-template-columns:190px minmax(0,1fr);gap:6px 16px;margin:0}"
    "dt{font-weight:600;color:#374151}dd{margin:0;overflow-wrap:anywhere}"
    "dd.correct{background:#f0f9ff;border-left:3px solid #0284c7;padding:2px 8px}"
    "ul.nums{columns:2 300px;margin:0;padding-left:18px;font-size:13px}"
    "code,ul.nums{font-family:'DejaVu Sans Mono',monospace}"
    "code{font-size:13px;background:#f3f4f6;padding:0 3px;border-radius:3px}"
    "figure{margin:16px 0 4px;text-align:center}"
    "figure img{max-width:100%;height:auto;border:1px solid #e5e7eb}"
    "figcaption{font-size:13px;color:#4b5563;margin-top:4px}"
    ".note{background:#fff7ed;border-left:4px solid #f59e0b;padding:6px 10px;margin:12px 0}"
    "pre{background:#f6f8fa;padding:10px 12px;overflow-x:auto;font-size:13px;border-radius:6px}"
    "@media (max-width:700px){dl{grid-template-columns:1fr}main{padding:16px}}";

static void html_badge(FILE *f, il_registry_verdict v)
{
    const char *name = il_registry_verdict_name(v);
    fprintf(f, "<span class=\"v v-%s\">%s</span>", name, name);
}

static void html_field(FILE *f, const char *label, const char *text, const char *cls)
{
    if (!text || !*text)
        return;
    fprintf(f, "<dt>%s</dt><dd%s%s%s>", label, cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    h(f, text);
    fprintf(f, "</dd>\n");
}

/* Embeds the PNG at path as a data URI. */
static il_status html_png(FILE *f, const char *path, const char *alt, char *err, size_t errlen)
{
    FILE *in = fopen(path, "rb");
    if (!in) {
        if (err)
            snprintf(err, errlen, "cannot read the figure '%s': %s", path, strerror(errno));
        return IL_EIO;
    }
    il_status st = IL_OK;
    unsigned char chunk[3 * 4096];
    char enc[4 * 4096 + 1];
    fprintf(f, "<img alt=\"");
    h(f, alt);
    fprintf(f, "\" src=\"data:image/png;base64,");
    for (;;) {
        /* whole groups of 3 bytes per chunk, so that padding appears only at the end */
        size_t k = fread(chunk, 1, sizeof chunk, in);
        if (k) {
            il_report_base64(chunk, k, enc, sizeof enc);
            fputs(enc, f);
        }
        if (k < sizeof chunk)
            break;
    }
    if (ferror(in)) {
        if (err)
            snprintf(err, errlen, "reading the figure '%s' failed", path);
        st = IL_EIO;
    }
    fclose(in);
    fprintf(f, "\">");
    return st;
}

static il_status html_claim(FILE *f, const il_report_claim *c, char *err, size_t errlen)
{
    const il_registry_result *res = c->res;
    const il_registry_entry *e = res->entry;
    char buf[1024];
    fprintf(f, "<section class=\"claim\" id=\"%s\">\n<h3><span>%s</span>", e->id, e->id);
    html_badge(f, res->verdict);
    if (res->borderline)
        fprintf(f, "<span class=\"v bl\">borderline</span>");
    fprintf(f, "<span class=\"src\">");
    h(f, e->source);
    fprintf(f, "</span></h3>\n<dl>\n");
    claim_fields cf;
    fields_of(res, &cf);
    for (size_t i = 0; i < cf.n; i++)
        html_field(f, cf.f[i].label, cf.f[i].text, cf.f[i].correct ? "correct" : NULL);
    if (res->data[0]) {
        fprintf(f, "<dt>Data files</dt><dd>");
        char names[IL_REGISTRY_TEXT];
        snprintf(names, sizeof names, "%s", res->data);
        int first = 1;
        for (char *save = NULL, *t = strtok_r(names, ",", &save); t; t = strtok_r(NULL, ",", &save), first = 0) {
            fprintf(f, "%s<code>data/", first ? "" : ", ");
            h(f, t);
            fprintf(f, "</code>");
        }
        fprintf(f, "</dd>\n");
    }
    if (res->n_nums) {
        fprintf(f, "<dt>All numbers</dt><dd><ul class=\"nums\">");
        for (size_t i = 0; i < res->n_nums && i < IL_REGISTRY_MAX_NUMS; i++) {
            il_report_fmt_num(res->nums[i].value, buf, sizeof buf);
            fprintf(f, "<li>");
            h(f, res->nums[i].name);
            fprintf(f, " = %s</li>", buf);
        }
        fprintf(f, "</ul></dd>\n");
    }
    fprintf(f, "</dl>\n");
    for (size_t k = 0; k < c->n_figs; k++) {
        const il_report_figure *g = &c->figs[k];
        if (!g->png) {
            fprintf(f, "<p class=\"note\">Figure not rendered: ");
            h(f, g->missing ? g->missing : "unknown reason");
            fprintf(f, " (");
            h(f, g->caption);
            fprintf(f, ")</p>\n");
            continue;
        }
        fprintf(f, "<figure>");
        il_status st = html_png(f, g->png, g->caption, err, errlen);
        if (st != IL_OK)
            return st;
        fprintf(f, "<figcaption>");
        h(f, g->caption);
        fprintf(f, "</figcaption></figure>\n");
    }
    fprintf(f, "</section>\n");
    return IL_OK;
}

static void html_kv_table(FILE *f, const il_report_kv *kv, size_t n)
{
    fprintf(f, "<div class=\"wrap\"><table class=\"kv\"><tbody>\n");
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "<tr><th>");
        h(f, kv[i].key);
        fprintf(f, "</th><td>");
        h(f, kv[i].value);
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</tbody></table></div>\n");
}

il_status il_report_write_html(FILE *f, const il_report *r, char *err, size_t errlen)
{
    size_t c[4], nb;
    char buf[1024];
    counts(r, c, &nb);
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    h(f, r->title);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n<h1>", css);
    h(f, r->title);
    fprintf(f, "</h1>\n<p class=\"lead\">");
    snprintf(buf, sizeof buf, summary_fmt(), r->n_claims, c[0], c[1], c[2], c[3], nb);
    h(f, buf);
    fprintf(f, ". Every verdict, number and statement below is computed by initlab; the tests are derived in "
               "docs/claims.md.</p>\n<div class=\"summary\">");
    for (int v = 0; v < 4; v++)
        if (c[v]) {
            fprintf(f, "<span class=\"v v-%s\">%zu %s</span>", il_registry_verdict_name((il_registry_verdict)v), c[v],
                    il_registry_verdict_name((il_registry_verdict)v));
        }
    fprintf(f, "</div>\n<nav><a href=\"#verdicts\">Verdicts</a><a href=\"#claims\">Claims</a>"
               "<a href=\"#appendix\">Appendix</a></nav>\n");
    fprintf(f, "<h2 id=\"verdicts\">Verdicts</h2>\n<div class=\"wrap\"><table class=\"verdicts\">\n<thead><tr><th>id</th>"
               "<th>source</th><th>verdict</th><th>decisive numbers</th><th>correct statement</th></tr></thead>\n"
               "<tbody>\n");
    for (size_t i = 0; i < r->n_claims; i++) {
        const il_registry_result *res = r->claims[i].res;
        fprintf(f, "<tr><td class=\"id\"><a href=\"#%s\">%s</a></td><td class=\"src\">", res->entry->id,
                res->entry->id);
        h(f, res->entry->source);
        fprintf(f, "</td><td class=\"vd\">");
        html_badge(f, res->verdict);
        fprintf(f, "</td><td>");
        il_report_decisive(res, buf, sizeof buf);
        h(f, buf);
        if (res->correct[0]) {
            fprintf(f, "</td><td>");
            h(f, res->correct);
        } else {
            fprintf(f, "</td><td class=\"none\">—");
        }
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</tbody></table></div>\n<h2 id=\"claims\">Claims</h2>\n");
    for (size_t i = 0; i < r->n_claims; i++) {
        il_status st = html_claim(f, &r->claims[i], err, errlen);
        if (st != IL_OK)
            return st;
    }
    fprintf(f, "<h2 id=\"appendix\">Appendix</h2>\n<h4>Parameters</h4>\n");
    html_kv_table(f, r->params, r->n_params);
    if (r->reproduce) {
        fprintf(f, "<p>Reproduce the numbers with:</p>\n<pre>");
        h(f, r->reproduce);
        fprintf(f, "</pre>\n");
    }
    fprintf(f, "<h4>Versions</h4>\n");
    html_kv_table(f, r->versions, r->n_versions);
    if (r->timings) {
        fprintf(f, "<h4 id=\"timings\">Run times</h4>\n");
        if (r->n_run)
            html_kv_table(f, r->run, r->n_run);
        fprintf(f, "<div class=\"wrap\"><table class=\"kv times\"><thead><tr><th>claim</th><th>seconds</th></tr></thead>"
                   "<tbody>\n");
        char t[32];
        for (size_t i = 0; i < r->n_claims; i++)
            fprintf(f, "<tr><td>%s</td><td class=\"num\">%s</td></tr>\n", r->claims[i].res->entry->id,
                    secs(r->claims[i].seconds, 1, t, sizeof t));
        fprintf(f, "<tr><th>total (claims and figures)</th><th class=\"num\">%.3f</th></tr>\n</tbody></table></div>\n",
                r->total_seconds);
    }
    fprintf(f, "</main>\n</body>\n</html>\n");
    if (ferror(f)) {
        if (err)
            snprintf(err, errlen, "writing the HTML failed");
        return IL_EIO;
    }
    return IL_OK;
}
