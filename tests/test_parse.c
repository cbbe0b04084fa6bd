/* test_parse.c: strict parsing of numbers, lists and choices. */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "parse.h"
#include "testutil.h"

static void test_double_accepts(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double want;
    } ok[] = {{"0", 0.0}, {"1.5", 1.5}, {"-2", -2.0}, {"1e-3", 1e-3}, {"0x1p-2", 0.25}, {".5", 0.5}, {"1e-320", 1e-320}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double v = -99.0;
        if (il_parse_double(ok[i].text, &v) != IL_OK)
            fail_msg("il_parse_double rejected '%s'", ok[i].text);
        assert_true(v == ok[i].want);
    }
}

static void test_double_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {"", " 1", "1 ", "1x", "nan", "NaN", "inf", "-inf", "1e999", "--1", "1,5", "x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v = 42.0;
        if (il_parse_double(bad[i], &v) != IL_EINVAL)
            fail_msg("il_parse_double accepted '%s'", bad[i]);
        assert_true(v == 42.0);
    }
    assert_int_equal(il_parse_double(NULL, &(double){0}), IL_EINVAL);
}

static void test_size(void **state)
{
    (void)state;
    size_t v;
    assert_int_equal(il_parse_size("7", 1, 10, &v), IL_OK);
    assert_int_equal(v, 7);
    assert_int_equal(il_parse_size("0", 1, 10, &v), IL_EINVAL);
    assert_int_equal(il_parse_size("11", 1, 10, &v), IL_EINVAL);
    assert_int_equal(il_parse_size("-1", 0, 10, &v), IL_EINVAL);
    assert_int_equal(il_parse_size("+1", 0, 10, &v), IL_EINVAL);
    assert_int_equal(il_parse_size("1.0", 0, 10, &v), IL_EINVAL);
    assert_int_equal(il_parse_size(" 1", 0, 10, &v), IL_EINVAL);
    assert_int_equal(il_parse_size("99999999999999999999999", 0, SIZE_MAX, &v), IL_EINVAL);
    uint64_t u;
    assert_int_equal(il_parse_u64("18446744073709551615", &u), IL_OK);
    assert_true(u == UINT64_MAX);
    assert_int_equal(il_parse_u64("18446744073709551616", &u), IL_EINVAL);
    assert_int_equal(il_parse_u64("-1", &u), IL_EINVAL);
}

static void test_lists(void **state)
{
    (void)state;
    size_t w[8], n = 0;
    char err[128];
    assert_int_equal(il_parse_size_list("4,8,16", 1, 100, w, 8, &n, err, sizeof err), IL_OK);
    assert_int_equal(n, 3);
    assert_int_equal(w[2], 16);
    static const char *const bad[] = {"", "4,,8", "4,", ",4", "4,0", "4,x", "4 ,8", "1,2,3,4,5,6,7,8,9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        if (il_parse_size_list(bad[i], 1, 100, w, 8, &n, err, sizeof err) != IL_EINVAL)
            fail_msg("list '%s' accepted", bad[i]);
        assert_true(strlen(err) > 0);
    }
    double d[4];
    assert_int_equal(il_parse_double_list("0.5,2", 0.0, 10.0, d, 4, &n, err, sizeof err), IL_OK);
    assert_true(n == 2 && d[0] == 0.5 && d[1] == 2.0);
    assert_int_equal(il_parse_double_list("0.5,20", 0.0, 10.0, d, 4, &n, err, sizeof err), IL_EINVAL);
    assert_int_equal(il_parse_double_list("0.5,nan", 0.0, 10.0, d, 4, &n, err, sizeof err), IL_EINVAL);
}

static void test_choice(void **state)
{
    (void)state;
    static const char *const names[] = {"tsv", "json", NULL};
    int c = -1;
    assert_int_equal(il_parse_choice("json", names, &c), IL_OK);
    assert_int_equal(c, 1);
    assert_int_equal(il_parse_choice("JSON", names, &c), IL_EINVAL);
    assert_int_equal(il_parse_choice("", names, &c), IL_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_double_accepts), cmocka_unit_test(test_double_rejects), cmocka_unit_test(test_size),
        cmocka_unit_test(test_lists),          cmocka_unit_test(test_choice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
