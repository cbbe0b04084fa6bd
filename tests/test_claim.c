/* test_claim.c: user formulas (analysis/claim.c) against hand computation: closed forms,
 * recursions in q, libmatheval's constants and quirks (power chains, unary minus, simplification
 * that hides variables, characters it would silently drop), unknown variables, syntax errors,
 * NaN and infinities with the layer where they arise, and context checks. */
#include "testutil.h"

#include <string.h>
#include <unistd.h>

#include "claim.h"

#define ERRLEN 512

/* Parses expr, which must succeed. */
static il_claim *ok_claim(const char *expr)
{
    char err[ERRLEN];
    il_claim *c = il_claim_alloc(expr, err, sizeof err);
    if (!c)
        fail_msg("claim '%s' refused: %s", expr, err);
    return c;
}

/* Parses expr, which must fail with a message containing each of the given fragments. */
static void refused(const char *expr, const char *frag1, const char *frag2)
{
    char err[ERRLEN];
    il_claim *c = il_claim_alloc(expr, err, sizeof err);
    if (c) {
        il_claim_free(c);
        fail_msg("claim '%s' was accepted", expr);
    }
    if (frag1 && !strstr(err, frag1))
        fail_msg("claim '%s': message '%s' lacks '%s'", expr, err, frag1);
    if (frag2 && !strstr(err, frag2))
        fail_msg("claim '%s': message '%s' lacks '%s'", expr, err, frag2);
}

/* Evaluates expr on widths (L + 1 of them) and compares with want[0..L-1] (relative TEST_TOL1). */
static void eval_expect(const char *expr, const size_t *widths, size_t L, double p, double q0, const double *want)
{
    il_claim *c = ok_claim(expr);
    il_claim_ctx ctx = { widths, L, p, q0 };
    double v[64];
    char err[ERRLEN];
    assert_true(L <= 64);
    il_status rc = il_claim_eval(c, &ctx, v, err, sizeof err);
    if (rc != IL_OK)
        fail_msg("claim '%s': %s", expr, err);
    for (size_t l = 0; l < L; l++)
        if (!(fabs(v[l] - want[l]) <= TEST_TOL1 * fabs(want[l])))
            fail_msg("claim '%s' at layer %zu = %.17g, want %.17g", expr, l + 1, v[l], want[l]);
    il_claim_free(c);
}

static const size_t W453[3] = { 4, 3, 5 };

static void test_closed_form(void **state)
{
    (void)state;
    /* n0 (l + L) / m + p: 4 * 3 / 3 + 0.25, 4 * 4 / 5 + 0.25 */
    const double w1[2] = { 4.25, 3.45 };
    eval_expect("n0*(l + L)/m + p", W453, 2, 0.25, NAN, w1);
    il_claim *c = ok_claim("n0*(l + L)/m + p");
    assert_int_equal(il_claim_is_recursive(c), 0);
    assert_string_equal(il_claim_expr(c), "n0*(l + L)/m + p");
    il_claim_free(c);
    /* 2 / (n + m) (Glorot) */
    const double w2[2] = { 2.0 / 7.0, 2.0 / 8.0 };
    eval_expect("2/(n + m)", W453, 2, 0.0, 0.0, w2);
    /* (1 - p)^l, a dropout-style closed form */
    const double w3[2] = { 0.8, 0.64 };
    eval_expect("(1 - p)^l", W453, 2, 0.2, 0.0, w3);
}

static void test_recursions(void **state)
{
    (void)state;
    /* q (n + 1) / (3n), q0 = 1: 1 * 5 / 12 = 5/12, then 5/12 * 4 / 9 = 5/27 */
    const double w1[2] = { 5.0 / 12.0, 5.0 / 27.0 };
    eval_expect("q*(n+1)/(3*n)", W453, 2, 0.0, 1.0, w1);
    /* linear in q0 */
    const double w1b[2] = { 10.0 / 12.0, 10.0 / 27.0 };
    eval_expect("q*(n+1)/(3*n)", W453, 2, 0.0, 2.0, w1b);
    /* (q + 1/n) / 3: (1 + 1/4) / 3 = 5/12 (the same as above at layer 1), then (5/12 + 1/3) / 3 = 1/4 */
    const double w2[2] = { 5.0 / 12.0, 0.25 };
    eval_expect("(q + 1/n)/3", W453, 2, 0.0, 1.0, w2);
    il_claim *c = ok_claim("(q + 1/n)/3");
    assert_int_equal(il_claim_is_recursive(c), 1);
    il_claim_free(c);

    /* 40 layers of varying widths against the same recursion written in C */
    size_t w[41];
    double want[40], q = 0.7, p = 0.1;
    for (size_t l = 0; l <= 40; l++)
        w[l] = 1 + (l * 7) % 13;
    for (size_t l = 1; l <= 40; l++) {
        double n = (double)w[l - 1], m = (double)w[l];
        q = q * (1.0 + 1.0 / n) / (1.0 - p) * 0.5 + (double)l / m;
        want[l - 1] = q;
    }
    eval_expect("q*(1 + 1/n)/(1 - p)*0.5 + l/m", w, 40, p, 0.7, want);
}

static void test_constants_and_quirks(void **state)
{
    (void)state;
    const size_t w1[2] = { 4, 4 };
    double v;
    /* libmatheval's constants */
    v = exp(1.0);
    eval_expect("e", w1, 1, 0, 0, &v);
    eval_expect("e^1", w1, 1, 0, 0, &v);
    v = acos(-1.0);
    eval_expect("pi", w1, 1, 0, 0, &v);
    v = 2.0 / acos(-1.0);
    eval_expect("2_pi", w1, 1, 0, 0, &v);
    eval_expect("2/pi", w1, 1, 0, 0, &v);
    v = sqrt(0.5);
    eval_expect("sqrt1_2", w1, 1, 0, 0, &v);
    v = exp(4.0);
    eval_expect("e^n", w1, 1, 0, 0, &v);
    /* case matters: E and PI would be variables, so they are unknown */
    refused("E*n", "unknown variable 'E'", NULL);
    refused("PI", "unknown variable 'PI'", NULL);

    /* unary minus binds looser than ^, as usual; negative exponents */
    v = -16.0;
    eval_expect("-n^2", w1, 1, 0, 0, &v);
    v = 16.0;
    eval_expect("(-n)^2", w1, 1, 0, 0, &v);
    v = 0.5;
    eval_expect("2^-1", w1, 1, 0, 0, &v);
    v = 1.0 / 16.0;
    eval_expect("n^-2", w1, 1, 0, 0, &v);
    v = 5.0;
    eval_expect("3--2", w1, 1, 0, 0, &v);
    v = -8.0;
    eval_expect("2*-n", w1, 1, 0, 0, &v);
    /* integer powers are exact */
    v = 64.0;
    eval_expect("n^3", w1, 1, 0, 0, &v);
    /* number forms */
    v = 4e-3 + 2.0 + 20.0;
    eval_expect("1e-3*n + .5*n + 5.*n", w1, 1, 0, 0, &v);

    /* a^b^c: libmatheval reads (a^b)^c = 64, mathematics a^(b^c) = 512: refused, parenthesised ok */
    refused("2^3^2", "ambiguous", "parentheses");
    refused("n^2^l", "ambiguous", NULL);
    refused("n^-2^2", "ambiguous", NULL);
    refused("exp(n)^(2)^2", "ambiguous", NULL);
    v = 64.0;
    eval_expect("(2^3)^2", w1, 1, 0, 0, &v);
    v = 512.0;
    eval_expect("2^(3^2)", w1, 1, 0, 0, &v);
    v = exp(8.0);
    eval_expect("exp(n)^2 * 1", w1, 1, 0, 0, &v);

    /* libmatheval simplifies x^0 to 1 and would never ask for x: still refused */
    refused("x^0 + n", "unknown variable 'x'", NULL);
    /* ... and q^0 still makes a recursion (which needs q0) */
    il_claim *c = ok_claim("q^0 + n");
    assert_int_equal(il_claim_is_recursive(c), 1);
    il_claim_free(c);

    /* characters libmatheval would drop silently (and echo to stdout): "n!" would evaluate as n */
    refused("n!", "unexpected character '!'", "position 2");
    refused("n;", "unexpected character ';'", NULL);
    refused("[n]", "unexpected character '['", NULL);
    refused("n\x80", "unexpected byte 0x80", NULL);
}

static void test_unknown_variables(void **state)
{
    (void)state;
    refused("x*n", "unknown variable 'x'", "(allowed: l, n, m, n0, L, p, q)");
    refused("a + b*a", "unknown variables 'a', 'b'", "allowed");
    refused("prev*n", "unknown variable 'prev'", NULL);
    refused("n_0", "unknown variable 'n_0'", NULL);
    refused("N", "'N'", NULL);
    assert_string_equal(il_claim_variables(), "l, n, m, n0, L, p, q");
    /* every allowed name at once */
    const size_t w[3] = { 2, 3, 4 };
    const double want[2] = { 1 + 2 + 3 + 2 + 2 + 0.5 + 1, 2 + 3 + 4 + 2 + 2 + 0.5 + 11.5 };
    eval_expect("l + n + m + n0 + L + p + q", w, 2, 0.5, 1.0, want);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    refused("q*(n+", "syntax error", "unbalanced");
    refused("(n))", "syntax error", "unbalanced");
    refused("2n", "syntax error", "2*n");
    refused("+n", "syntax error", NULL);
    refused("foo(n)", "syntax error", NULL);
    refused("n +", "syntax error", NULL);
    refused("", "empty", NULL);
    refused("  \t ", "empty", NULL);
    refused(NULL, "no expression", NULL);
}

static void test_nonfinite(void **state)
{
    (void)state;
    char err[ERRLEN];
    double v[2];
    il_claim_ctx ctx = { W453, 2, 0.0, 1.0 };

    il_claim *c = ok_claim("log(-1)");
    assert_int_equal(il_claim_eval(c, &ctx, v, err, sizeof err), IL_ENUMERIC);
    assert_non_null(strstr(err, "NaN at layer 1"));
    assert_true(isnan(v[0]) && isnan(v[1]));
    il_claim_free(c);

    c = ok_claim("log(q)"); /* log(1) = 0, then log(0) = -inf */
    assert_int_equal(il_claim_eval(c, &ctx, v, err, sizeof err), IL_ENUMERIC);
    assert_non_null(strstr(err, "-inf at layer 2"));
    assert_non_null(strstr(err, "q = 0"));
    assert_true(v[0] == 0.0 && v[1] == -INFINITY);
    il_claim_free(c);

    const size_t w[3] = { 4, 5, 3 };
    ctx.widths = w;
    c = ok_claim("1/(m-3)"); /* 1/2, then 1/0 */
    assert_int_equal(il_claim_eval(c, &ctx, v, err, sizeof err), IL_ENUMERIC);
    assert_non_null(strstr(err, "+inf at layer 2"));
    assert_non_null(strstr(err, "m = 3"));
    assert_close_rel(v[0], 0.5, TEST_TOL0);
    il_claim_free(c);

    c = ok_claim("0/(n-4)"); /* 0/0 */
    assert_int_equal(il_claim_eval(c, &ctx, v, err, sizeof err), IL_ENUMERIC);
    assert_non_null(strstr(err, "NaN at layer 1"));
    il_claim_free(c);

    c = ok_claim("1/0");
    assert_int_equal(il_claim_eval(c, &ctx, v, err, sizeof err), IL_ENUMERIC);
    assert_non_null(strstr(err, "+inf at layer 1"));
    il_claim_free(c);

    c = ok_claim("(-8)^(1/3)"); /* pow of a negative base, non-integer exponent: NaN */
    assert_int_equal(il_claim_eval(c, &ctx, v, err, sizeof err), IL_ENUMERIC);
    assert_non_null(strstr(err, "NaN at layer 1"));
    il_claim_free(c);

    c = ok_claim("q*1e200"); /* overflow at layer 2 */
    ctx.q0 = 1e100;
    assert_int_equal(il_claim_eval(c, &ctx, v, err, sizeof err), IL_ENUMERIC);
    assert_non_null(strstr(err, "+inf at layer 2"));
    il_claim_free(c);
}

static void test_bad_context(void **state)
{
    (void)state;
    char err[ERRLEN];
    double v[2];
    il_claim *c = ok_claim("q*n");
    il_claim_ctx ctx = { W453, 2, 0.0, 1.0 };
    assert_int_equal(il_claim_eval(c, &ctx, v, err, sizeof err), IL_OK);
    ctx.L = 0;
    assert_int_equal(il_claim_eval(c, &ctx, v, err, sizeof err), IL_EINVAL);
    ctx.L = 2;
    ctx.widths = NULL;
    assert_int_equal(il_claim_eval(c, &ctx, v, err, sizeof err), IL_EINVAL);
    const size_t w0[3] = { 4, 0, 5 };
    ctx.widths = w0;
    assert_int_equal(il_claim_eval(c, &ctx, v, err, sizeof err), IL_EINVAL);
    assert_non_null(strstr(err, "n_1 is 0"));
    ctx.widths = W453;
    ctx.p = 1.5;
    assert_int_equal(il_claim_eval(c, &ctx, v, err, sizeof err), IL_EINVAL);
    assert_non_null(strstr(err, "dropout"));
    ctx.p = NAN;
    assert_int_equal(il_claim_eval(c, &ctx, v, err, sizeof err), IL_EINVAL);
    ctx.p = 0.0;
    ctx.q0 = NAN;
    assert_int_equal(il_claim_eval(c, &ctx, v, err, sizeof err), IL_EINVAL);
    assert_non_null(strstr(err, "q0"));
    assert_int_equal(il_claim_eval(NULL, &ctx, v, err, sizeof err), IL_EINVAL);
    assert_int_equal(il_claim_eval(c, NULL, v, err, sizeof err), IL_EINVAL);
    il_claim_free(c);
    /* a closed form ignores q0 */
    c = ok_claim("n*m");
    assert_int_equal(il_claim_eval(c, &ctx, v, err, sizeof err), IL_OK);
    assert_true(v[0] == 12.0 && v[1] == 15.0);
    il_claim_free(c);
    il_claim_free(NULL);
}

/* Found by the fuzzer: libmatheval drops a stray '.', so "q." evaluated as q. Every misplaced point is
 * refused; numbers with one point still parse. */
static void test_misplaced_points(void **state)
{
    (void)state;
    static const char *const bad[] = {"q.", "1..2", "...", "n0.5", "x1.5", "1.2.3", ".", "q*.", "(.)",
                                      /* found by a harness: a point after an exponent */
                                      "1E+7.", "4e-5.", "2.e-8.*q", ".1e-69.", "q*2e3.5"};
    char err[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        il_claim *c = il_claim_alloc(bad[i], err, sizeof err);
        if (c)
            fail_msg("'%s' was accepted", bad[i]);
        assert_non_null(strstr(err, "'.'"));
    }
    static const char *const good[] = {".5*q", "q*5.", "0.25+q", "q/1.5", "1e-3*q", "2.5E+2/n", "q*.5e1"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        il_claim *c = il_claim_alloc(good[i], err, sizeof err);
        if (!c)
            fail_msg("'%s' was refused: %s", good[i], err);
        il_claim_free(c);
    }
}

/* Found by a harness feeding random expressions: libmatheval's lexer skips only blanks and tabs and echoes
 * any other unmatched byte to stdout, so "q\r+1" printed a carriage return. Every blank the claim accepts
 * now reaches libmatheval as a space: nothing is written to stdout, and the value is that of "q + 1". */
static void test_no_echo(void **state)
{
    (void)state;
    static const char *const exprs[] = {"q\r+1", "\rq\r+\n1\r", "n\t*\r\r2", " 1\r"};
    static const double want[] = {2.5, 2.5, 8.0, 1.0};
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    fflush(stdout);
    int saved = dup(fileno(stdout));
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), fileno(stdout)) >= 0);
    double got[4];
    int parsed[4];
    for (size_t i = 0; i < 4; i++) {
        char err[ERRLEN];
        il_claim *c = il_claim_alloc(exprs[i], err, sizeof err);
        parsed[i] = c != NULL;
        size_t w[2] = {4, 4};
        il_claim_ctx ctx = {w, 1, 0.0, 1.5};
        got[i] = NAN;
        if (c && il_claim_eval(c, &ctx, &got[i], err, sizeof err) != IL_OK)
            got[i] = NAN;
        il_claim_free(c);
    }
    fflush(stdout);
    dup2(saved, fileno(stdout));
    close(saved);
    long echoed = ftell(tmp) >= 0 ? (fseek(tmp, 0, SEEK_END), ftell(tmp)) : -1;
    fclose(tmp);
    assert_int_equal(echoed, 0);
    for (size_t i = 0; i < 4; i++) {
        if (!parsed[i])
            fail_msg("expression %zu refused", i);
        if (!(fabs(got[i] - want[i]) <= TEST_TOL1 * want[i]))
            fail_msg("expression %zu = %.17g, want %.17g", i, got[i], want[i]);
    }
}

static void test_error_buffers(void **state)
{
    (void)state;
    char small[8];
    memset(small, 'X', sizeof small);
    assert_null(il_claim_alloc("x*n", small, sizeof small));
    assert_int_equal(strlen(small), sizeof small - 1); /* truncated, terminated */
    assert_null(il_claim_alloc("x*n", NULL, 0));
    assert_null(il_claim_alloc("q*(n+", NULL, 0));
    char one[1] = { 'X' };
    assert_null(il_claim_alloc("x*n", one, 1));
    assert_int_equal(one[0], '\0');
    il_claim *c = ok_claim("log(-1)");
    il_claim_ctx ctx = { W453, 2, 0.0, 1.0 };
    double v[2];
    assert_int_equal(il_claim_eval(c, &ctx, v, NULL, 0), IL_ENUMERIC);
    assert_int_equal(il_claim_eval(c, &ctx, v, small, sizeof small), IL_ENUMERIC);
    assert_int_equal(strlen(small), sizeof small - 1);
    il_claim_free(c);
    /* a long unknown name does not overflow the message */
    char longx[400];
    memset(longx, 'z', sizeof longx - 1);
    longx[sizeof longx - 1] = '\0';
    char err[ERRLEN];
    assert_null(il_claim_alloc(longx, err, sizeof err));
    assert_non_null(strstr(err, "unknown variable"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_form),
        cmocka_unit_test(test_recursions),
        cmocka_unit_test(test_constants_and_quirks),
        cmocka_unit_test(test_unknown_variables),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_nonfinite),
        cmocka_unit_test(test_bad_context),
        cmocka_unit_test(test_error_buffers),
        cmocka_unit_test(test_misplaced_points),
        cmocka_unit_test(test_no_echo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
