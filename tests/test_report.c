/* test_report.c: the claims report's writers and helpers (analysis/report.c).
 *
 *   - escaping: HTML text and attributes (& < > " '), Markdown inline text and table cells, control characters,
 *     UTF-8 untouched, truncation and the returned length;
 *   - base64: the test vectors of RFC 4648 section 10, a buffer one byte short;
 *   - numbers: estimate +- SE to the SE's two significant digits (with the round-up to a new decade and no
 *     "-0.00"), non-finite values, margins;
 *   - the decisive-numbers line from each kind of result;
 *   - the writers on a hand-made result with hostile text: everything escaped, the verdict table and the sections,
 *     the PNG embedded as a data URI (decoded back and compared), a missing figure's note, no external reference,
 *     timings only when asked, the same bytes twice, and an unreadable figure refused with its name. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

#define assert_str(got, want)                                                                                         \
    do {                                                                                                              \
        const char *g_ = (got), *w_ = (want);                                                                         \
        if (strcmp(g_, w_) != 0)                                                                                      \
            fail_msg("%s = \"%s\", want \"%s\"", #got, g_, w_);                                                       \
    } while (0)

#define assert_contains(hay, needle)                                                                                  \
    do {                                                                                                              \
        if (!strstr((hay), (needle)))                                                                                 \
            fail_msg("%s does not contain \"%s\"", #hay, (needle));                                                   \
    } while (0)

#define assert_lacks(hay, needle)                                                                                     \
    do {                                                                                                              \
        if (strstr((hay), (needle)))                                                                                  \
            fail_msg("%s contains \"%s\"", #hay, (needle));                                                           \
    } while (0)

/* ---- escaping ---- */

static void test_html_escape(void **state)
{
    (void)state;
    char buf[256];
    const char *in = "<script>alert(\"x\") & 'y'</script>";
    const char *want = "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;";
    size_t need = il_report_html_escape(in, buf, sizeof buf);
    assert_str(buf, want);
    assert_int_equal(need, strlen(want));
    /* the length without a buffer, and truncation that keeps a NUL */
    assert_int_equal(il_report_html_escape(in, NULL, 0), strlen(want));
    char small[8];
    assert_int_equal(il_report_html_escape(in, small, sizeof small), strlen(want));
    assert_int_equal(strlen(small), sizeof small - 1);
    /* tabs and newlines become spaces, other control characters go, UTF-8 stays */
    il_report_html_escape("a\tb\nc\x01" "d σ ≠ ∂", buf, sizeof buf);
    assert_str(buf, "a b cd σ ≠ ∂");
    il_report_html_escape(NULL, buf, sizeof buf);
    assert_str(buf, "");
}

static void test_md_escape(void **state)
{
    (void)state;
    char buf[256];
    il_report_md_escape("a|b *c* _d_ [x](y) <z> #1 \\ `k` ~s~ !{+}", buf, sizeof buf);
    assert_str(buf, "a\\|b \\*c\\* \\_d\\_ \\[x\\](y) \\<z\\> \\#1 \\\\ \\`k\\` \\~s\\~ \\!\\{\\+\\}");
    /* a table cell never gets a raw '|' or a line break */
    il_report_md_escape("x|y\nz", buf, sizeof buf);
    assert_str(buf, "x\\|y z");
    /* ordinary text, '-' and '.' and UTF-8 untouched */
    il_report_md_escape("q_l = 0.5 - 1/(3n), σ'", buf, sizeof buf);
    assert_str(buf, "q\\_l = 0.5 - 1/(3n), σ'");
}

/* ---- base64 ---- */

static void test_base64(void **state)
{
    (void)state;
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    char out[64];
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        size_t need = il_report_base64((const unsigned char *)plain[i], strlen(plain[i]), out, sizeof out);
        assert_int_equal(need, strlen(enc[i]));
        assert_str(out, enc[i]);
    }
    /* every byte value survives (the alphabet's last characters) */
    const unsigned char hi[3] = {0xfb, 0xff, 0xbf};
    il_report_base64(hi, 3, out, sizeof out);
    assert_str(out, "+/+/");
    /* one byte short: nothing written, the size needed returned */
    memset(out, 'x', sizeof out);
    assert_int_equal(il_report_base64((const unsigned char *)"foobar", 6, out, 8), 8);
    assert_int_equal(out[0], 'x');
}

/* ---- numbers ---- */

static void test_numbers(void **state)
{
    (void)state;
    char buf[128];
    il_report_fmt_pm(0.22948390705789243, 7.750994367685185e-05, buf, sizeof buf);
    assert_str(buf, "0.229484 ± 0.000078");
    il_report_fmt_pm(1.2707162517554922, 0.00060169953828152311, buf, sizeof buf);
    assert_str(buf, "1.27072 ± 0.00060");
    /* the SE rounds up to a new decade: still two significant digits */
    il_report_fmt_pm(0.5, 0.0996, buf, sizeof buf);
    assert_str(buf, "0.50 ± 0.10");
    /* no negative zero */
    il_report_fmt_pm(-0.00001, 0.1, buf, sizeof buf);
    assert_str(buf, "0.00 ± 0.10");
    il_report_fmt_pm(-0.25, 0.01, buf, sizeof buf);
    assert_str(buf, "-0.250 ± 0.010");
    /* large SE, and no SE */
    il_report_fmt_pm(12345.0, 67.0, buf, sizeof buf);
    assert_str(buf, "12345 ± 67");
    il_report_fmt_pm(1.0, NAN, buf, sizeof buf);
    assert_str(buf, "1 ± NaN");
    il_report_fmt_num(NAN, buf, sizeof buf);
    assert_str(buf, "NaN");
    il_report_fmt_num(-INFINITY, buf, sizeof buf);
    assert_str(buf, "-inf");
    il_report_fmt_num(1.0 / 3.0, buf, sizeof buf);
    assert_str(buf, "0.333333");

    il_registry_result r;
    memset(&r, 0, sizeof r);
    r.margin = INFINITY;
    il_report_fmt_margin(&r, buf, sizeof buf);
    assert_str(buf, "exact");
    r.margin = 1.5;
    r.borderline = 1;
    il_report_fmt_margin(&r, buf, sizeof buf);
    assert_str(buf, "1.5 (borderline)");
    r.margin = NAN;
    r.borderline = 0;
    il_report_fmt_margin(&r, buf, sizeof buf);
    assert_str(buf, "n/a");
}

static void test_decisive(void **state)
{
    (void)state;
    char buf[512];
    il_registry_result r;
    memset(&r, 0, sizeof r);
    /* a Monte Carlo family: the decisive item */
    il_registry_num_add(&r, "items", 4);
    il_registry_num_add(&r, "max_abs_z", 2363.4);
    il_registry_num_add(&r, "decisive_estimate", 0.22948390705789243);
    il_registry_num_add(&r, "decisive_se", 7.750994367685185e-05);
    il_registry_num_add(&r, "decisive_claimed", 0.046296296296296294);
    il_registry_num_add(&r, "decisive_correct", 0.22942386831275713);
    il_report_decisive(&r, buf, sizeof buf);
    assert_str(buf, "estimate 0.229484 ± 0.000078; claimed 0.0462963; correct 0.229424; max |z| 2.36e+03");
    assert_true(il_report_num(&r, "items") == 4.0);
    assert_true(isnan(il_report_num(&r, "absent")));
    /* a claim with a caveat: the item where the condition fails */
    il_registry_num_add(&r, "caveat_estimate", 1.2707162517554922);
    il_registry_num_add(&r, "caveat_se", 0.00060169953828152311);
    il_registry_num_add(&r, "caveat_claimed", 0.41666666666666669);
    il_registry_num_add(&r, "caveat_z", 1419.4);
    il_report_decisive(&r, buf, sizeof buf);
    assert_str(buf, "estimate 0.229484 ± 0.000078; claimed 0.0462963; correct 0.229424; max |z| 2.36e+03; where the "
                    "condition fails: estimate 1.27072 ± 0.00060; claimed 0.416667; |z| 1.42e+03");
    memset(&r, 0, sizeof r);
    il_registry_num_add(&r, "caveat_estimate", 1.0);
    il_registry_num_add(&r, "caveat_se", 0.5);
    il_report_decisive(&r, buf, sizeof buf);
    assert_str(buf, "where the condition fails: estimate 1.00 ± 0.50");
    /* a finite-difference check */
    memset(&r, 0, sizeof r);
    il_registry_num_add(&r, "max_ratio", 97258509940.885254);
    il_registry_num_add(&r, "max_rel_err", 1.9);
    il_report_decisive(&r, buf, sizeof buf);
    assert_str(buf, "max error / bound = 9.73e+10");
    /* items as est_X / se_X / z_X: the one with the largest |z| */
    memset(&r, 0, sizeof r);
    il_registry_num_add(&r, "est_p0.1", 0.9);
    il_registry_num_add(&r, "se_p0.1", 9e-05);
    il_registry_num_add(&r, "z_p0.1", 0.3);
    il_registry_num_add(&r, "est_p0.8", 0.20011);
    il_registry_num_add(&r, "se_p0.8", 9.4e-05);
    il_registry_num_add(&r, "z_p0.8", -1.14);
    il_report_decisive(&r, buf, sizeof buf);
    assert_str(buf, "p0.8: 0.200110 ± 0.000094 (|z| 1.14, the largest of 2 items)");
    /* anything else: the first three numbers */
    memset(&r, 0, sizeof r);
    il_registry_num_add(&r, "claimed", 212992);
    il_registry_num_add(&r, "weights", 212992);
    il_registry_num_add(&r, "weights_and_biases", 213504);
    il_registry_num_add(&r, "fourth", 4);
    il_report_decisive(&r, buf, sizeof buf);
    assert_str(buf, "claimed = 212992; weights = 212992; weights_and_biases = 213504");
    memset(&r, 0, sizeof r);
    il_report_decisive(&r, buf, sizeof buf);
    assert_str(buf, "");
}

/* ---- the writers ---- */

static il_status never(const il_registry_entry *e, il_registry_ctx *ctx, il_registry_result *res)
{
    (void)e;
    (void)ctx;
    (void)res;
    return IL_OK;
}

static const il_registry_entry HOSTILE = {
    "T-1", "a test <source> & co", "E[x] = 1 <img src=x onerror=alert(1)> | 'q' \"r\"", "reading *with* _marks_",
    never, NULL};
static const il_registry_entry PLAIN = {"T-2", "test source", "plain claim", "", never, NULL};

/* A tiny file with PNG's magic bytes and every byte value in it. */
static void fake_png(const char *path, unsigned char *bytes, size_t n)
{
    static const unsigned char magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memcpy(bytes, magic, 8);
    for (size_t i = 8; i < n; i++)
        bytes[i] = (unsigned char)(i * 37u);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

typedef struct {
    il_registry_result res[2];
    il_report_claim claims[2];
    il_report_kv params[1], versions[1], run[1];
    il_report rep;
    char png[64];
    unsigned char bytes[1000];
} fixture;

static void fixture_init(fixture *x)
{
    memset(x, 0, sizeof *x);
    snprintf(x->png, sizeof x->png, "/tmp/test_report.XXXXXX");
    int fd = mkstemp(x->png);
    assert_true(fd >= 0);
    close(fd);
    fake_png(x->png, x->bytes, sizeof x->bytes);
    il_registry_result *a = &x->res[0], *b = &x->res[1];
    a->entry = &HOSTILE;
    a->verdict = IL_REGISTRY_REFUTED;
    a->margin = 31.7;
    a->seed = 7;
    snprintf(a->evidence, sizeof a->evidence, "z = 147 <b>bold</b> & more");
    snprintf(a->correct, sizeof a->correct, "E[x] = 0 | not 1");
    snprintf(a->test, sizeof a->test, "|z| > 4.4");
    snprintf(a->config, sizeof a->config, "n = 3");
    snprintf(a->data, sizeof a->data, "T-1.tsv,shared.tsv");
    il_registry_num_add(a, "decisive_estimate", 0.0016);
    il_registry_num_add(a, "decisive_se", 0.00057);
    il_registry_num_add(a, "decisive_claimed", 1.0 / 12.0);
    b->entry = &PLAIN;
    b->verdict = IL_REGISTRY_HOLDS;
    b->margin = INFINITY;
    b->seed = 7;
    x->claims[0] = (il_report_claim){a, {{x->png, "figures/T-1.png", "caption <1> & 'c'", NULL}}, 1, 1.25};
    x->claims[1] = (il_report_claim){b, {{NULL, "figures/T-2.png", "second", "gnuplot was not found <x>"}}, 1, 0.5};
    x->params[0] = (il_report_kv){"seed", "7"};
    x->versions[0] = (il_report_kv){"initlab", "0.1.0 <test>"};
    x->run[0] = (il_report_kv){"threads", "2"};
    x->rep = (il_report){"Test report <&>", x->claims, 2, x->params, 1, x->versions, 1, "initlab claims --seed 7",
                         0, 3.5, x->run, 1};
}

static char *render(const il_report *r, int html, il_status *st)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    char err[256] = "";
    *st = html ? il_report_write_html(f, r, err, sizeof err) : il_report_write_md(f, r);
    assert_int_equal(fclose(f), 0);
    return text;
}

static void test_html_writer(void **state)
{
    (void)state;
    fixture x;
    fixture_init(&x);
    il_status st;
    char *page = render(&x.rep, 1, &st);
    assert_int_equal(st, IL_OK);
    assert_true(strncmp(page, "<!DOCTYPE html>", 15) == 0);
    assert_contains(page, "</html>\n");
    /* hostile text escaped everywhere it appears */
    assert_lacks(page, "<img src=x");
    assert_lacks(page, "<b>bold");
    assert_contains(page, "&lt;img src=x onerror=alert(1)&gt;");
    assert_contains(page, "<title>Test report &lt;&amp;&gt;</title>");
    assert_contains(page, "a test &lt;source&gt; &amp; co");
    assert_contains(page, "z = 147 &lt;b&gt;bold&lt;/b&gt; &amp; more");
    assert_contains(page, "caption &lt;1&gt; &amp; &#39;c&#39;");
    assert_contains(page, "0.1.0 &lt;test&gt;");
    /* the verdicts, the anchors, the decisive numbers, the correct statement and a dash where there is none */
    assert_contains(page, "<span class=\"v v-refuted\">refuted</span>");
    assert_contains(page, "<span class=\"v v-holds\">holds</span>");
    assert_contains(page, "<section class=\"claim\" id=\"T-1\">");
    assert_contains(page, "<a href=\"#T-2\">T-2</a>");
    assert_contains(page, "estimate 0.00160 ± 0.00057; claimed 0.0833333");
    assert_contains(page, "E[x] = 0 | not 1");
    assert_contains(page, "<td class=\"none\">—</td>");
    assert_contains(page, "2 claims: 1 hold, 1 refuted, 0 hold with a caveat, 0 undecided; 0 borderline");
    /* the figure embedded: decode the data URI back */
    const char *uri = strstr(page, "src=\"data:image/png;base64,");
    assert_non_null(uri);
    uri += strlen("src=\"data:image/png;base64,");
    char want[2048];
    il_report_base64(x.bytes, sizeof x.bytes, want, sizeof want);
    assert_true(strncmp(uri, want, strlen(want)) == 0);
    assert_int_equal(uri[strlen(want)], '"');
    assert_contains(page, "Figure not rendered: gnuplot was not found &lt;x&gt;");
    /* no external reference: every src is a data URI and every href an anchor */
    for (const char *p = page; (p = strstr(p, "src=\"")); p++)
        assert_true(strncmp(p, "src=\"data:", 10) == 0);
    for (const char *p = page; (p = strstr(p, "href=\"")); p++)
        assert_true(p[6] == '#');
    assert_lacks(page, "http:");
    assert_lacks(page, "https:");
    assert_lacks(page, "@import");
    /* timings only when asked; the same bytes twice */
    assert_lacks(page, "Run times");
    char *again = render(&x.rep, 1, &st);
    assert_str(again, page);
    x.rep.timings = 1;
    char *timed = render(&x.rep, 1, &st);
    assert_contains(timed, "Run times");
    assert_contains(timed, "<td class=\"num\">1.250</td>");
    assert_contains(timed, "3.500");
    free(timed);
    free(again);
    free(page);
    /* an unreadable figure: IL_EIO, naming it */
    unlink(x.png);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    char err[256] = "";
    assert_int_equal(il_report_write_html(f, &x.rep, err, sizeof err), IL_EIO);
    fclose(f);
    free(text);
    assert_contains(err, x.png);
}

static void test_md_writer(void **state)
{
    (void)state;
    fixture x;
    fixture_init(&x);
    il_status st;
    char *md = render(&x.rep, 0, &st);
    assert_int_equal(st, IL_OK);
    unlink(x.png);
    assert_true(strncmp(md, "# Test report \\<&\\>\n", 20) == 0);
    /* the verdict table: one row per claim, pipes in cells escaped */
    assert_contains(md, "| id | source | verdict | decisive numbers | correct statement |");
    assert_contains(md, "| [T-1](#T-1) | a test \\<source\\> & co | refuted | estimate 0.00160 ± 0.00057; claimed 0.0833333 | "
                        "E\\[x\\] = 0 \\| not 1 |");
    assert_contains(md, "| [T-2](#T-2) | test source | holds | ");
    /* the sections, with the reading, the escaped claim, the data links and the figure link */
    assert_contains(md, "### T-1: refuted");
    assert_contains(md, "- **Claim as written:** E\\[x\\] = 1 \\<img src=x onerror=alert(1)\\> \\| 'q' \"r\"");
    assert_contains(md, "- **Reading used:** reading \\*with\\* \\_marks\\_");
    assert_contains(md, "- **Reading used:** as written");
    assert_contains(md, "[T-1.tsv](data/T-1.tsv), [shared.tsv](data/shared.tsv)");
    assert_contains(md, "![caption \\<1\\> & 'c'](figures/T-1.png)");
    assert_contains(md, "> Figure not rendered: gnuplot was not found \\<x\\>");
    assert_contains(md, "- **Verdict:** holds (an exact computation");
    assert_contains(md, "margin 31.7");
    assert_lacks(md, "Run times");
    x.rep.timings = 1;
    char *timed = render(&x.rep, 0, &st);
    assert_contains(timed, "| T-1 | 1.250 |");
    free(timed);
    free(md);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_html_escape), cmocka_unit_test(test_md_escape), cmocka_unit_test(test_base64),
        cmocka_unit_test(test_numbers),     cmocka_unit_test(test_decisive),  cmocka_unit_test(test_html_writer),
        cmocka_unit_test(test_md_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
