/* test_rng.c: tests of sim/rng: PCG64 and PCG32 against pcg-cpp bit for bit (through the reference
 * program tests/pcg_ref.cpp, found at $IL_PCG_REF, default build/tests/pcg_ref), jump-ahead, the
 * ranges of the uniform draws, the normal deviates (moments and a chi-square goodness of fit), the
 * bulk fills against their scalar definitions, and the gsl_rng adapter.
 *
 * Every statistical check uses a fixed (seed, stream), so a run is reproducible; each is a z-score
 * against Z_THRESHOLD (tests/testutil.h), and one check per kind is fed a wrong value that it must
 * refute. */
#include "testutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h> /* M_PI, M_SQRT2 (not in strict C11) */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "rng.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Outputs compared with the reference per (seed, stream) pair. */
#define REF_N 64
/* Largest count a reference run is asked for. */
#define REF_MAX 128

static const uint64_t seeds[] = {0, 1, 42, (UINT64_C(1) << 63) + 5, UINT64_MAX};

/* ---- helpers ----------------------------------------------------------------------------------- */

static int rng_equal(const il_rng *a, const il_rng *b)
{
    return a->state == b->state && a->inc == b->inc;
}

/* Writes v in decimal into buf (size >= 40) and returns buf. */
static char *u128_dec(il_u128 v, char *buf, size_t size)
{
    char tmp[40];
    size_t k = 0;
    do {
        tmp[k++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v > 0 && k < sizeof tmp);
    assert_true(k < size);
    for (size_t i = 0; i < k; i++)
        buf[i] = tmp[k - 1 - i];
    buf[k] = '\0';
    return buf;
}

/* Runs `pcg_ref BITS SEED STREAM N [ADVANCE]` and reads exactly n outputs into out; fails the test
 * (naming the command) if the program cannot be run, prints anything unexpected, or exits
 * non-zero. A missing reference program is a failure, not a skip. */
static void ref_run(int bits, uint64_t seed, uint64_t stream, size_t n, const char *advance,
                    uint64_t *out)
{
    const char *path = getenv("IL_PCG_REF");
    char cmd[1024], line[64];
    if (path == NULL || *path == '\0')
        path = "build/tests/pcg_ref";
    if (strchr(path, '\'') != NULL)
        fail_msg("IL_PCG_REF must not contain a single quote: %s", path);
    int len = snprintf(cmd, sizeof cmd, "'%s' %d %llu %llu %zu %s", path, bits,
                       (unsigned long long)seed, (unsigned long long)stream, n,
                       advance != NULL ? advance : "");
    assert_true(len > 0 && (size_t)len < sizeof cmd);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        fail_msg("cannot run the pcg-cpp reference: %s", cmd);
    size_t got = 0;
    while (fgets(line, sizeof line, p) != NULL) {
        char *end;
        if (got == n) {
            pclose(p);
            fail_msg("%s: more than %zu lines of output", cmd, n);
        }
        if (line[0] < '0' || line[0] > '9') {
            pclose(p);
            fail_msg("%s: line %zu is not a number: %s", cmd, got + 1, line);
        }
        unsigned long long v = strtoull(line, &end, 10);
        if (*end != '\n') {
            pclose(p);
            fail_msg("%s: line %zu is not a number: %s", cmd, got + 1, line);
        }
        out[got++] = (uint64_t)v;
    }
    int status = pclose(p);
    if (status != 0)
        fail_msg("%s: exit status %d (is IL_PCG_REF, default build/tests/pcg_ref, built?)", cmd,
                 status);
    if (got != n)
        fail_msg("%s: %zu lines of output, want %zu", cmd, got, n);
}

static void check_pcg64_against_ref(uint64_t seed, uint64_t stream, il_u128 delta, int advance)
{
    uint64_t want[REF_MAX];
    char dec[40];
    il_rng r;
    ref_run(64, seed, stream, REF_N, advance ? u128_dec(delta, dec, sizeof dec) : NULL, want);
    il_rng_seed(&r, seed, stream);
    if (advance)
        il_rng_advance(&r, delta);
    for (size_t i = 0; i < REF_N; i++) {
        uint64_t got = il_rng_u64(&r);
        if (got != want[i])
            fail_msg("pcg64(%llu, %llu) advanced %s: output %zu = %llu, pcg-cpp gives %llu",
                     (unsigned long long)seed, (unsigned long long)stream,
                     advance ? dec : "0", i, (unsigned long long)got,
                     (unsigned long long)want[i]);
    }
}

static void check_pcg32_against_ref(uint64_t seed, uint64_t stream, uint64_t delta, int advance)
{
    uint64_t want[REF_MAX];
    char dec[40];
    il_rng32 r;
    ref_run(32, seed, stream, REF_N, advance ? u128_dec(delta, dec, sizeof dec) : NULL, want);
    il_rng32_seed(&r, seed, stream);
    if (advance)
        il_rng32_advance(&r, delta);
    for (size_t i = 0; i < REF_N; i++) {
        uint32_t got = il_rng32_u32(&r);
        if (got != want[i])
            fail_msg("pcg32(%llu, %llu) advanced %s: output %zu = %lu, pcg-cpp gives %llu",
                     (unsigned long long)seed, (unsigned long long)stream,
                     advance ? dec : "0", i, (unsigned long)got, (unsigned long long)want[i]);
    }
}

/* Sets r so that its next il_rng_u64 steps into the state (hi, lo), which outputs
 * rotr(hi ^ lo, hi >> 58). Uses il_rng_advance to step back once. */
static void set_next_state(il_rng *r, uint64_t hi, uint64_t lo)
{
    r->state = ((il_u128)hi << 64) | lo;
    il_rng_advance(r, ~(il_u128)0);
}

/* Sets r so that its next il_rng_u64 returns u; hi (any value) is the high half of that state. */
static void set_next_output(il_rng *r, uint64_t hi, uint64_t u)
{
    unsigned rot = (unsigned)(hi >> 58);
    uint64_t x = rot ? (u << rot) | (u >> (64 - rot)) : u; /* rotl(u, rot) */
    set_next_state(r, hi, hi ^ x);
}

/* Mean and its standard error of a sample summarised by sum and sum of squares. */
static void mean_se(double sum, double sum2, double n, double *mean, double *se)
{
    *mean = sum / n;
    double var = (sum2 - n * *mean * *mean) / (n - 1.0);
    *se = sqrt(var / n);
}

/* ---- PCG against pcg-cpp ------------------------------------------------------------------------ */

/* Published first outputs of the pcg demos for (seed 42, stream 54); independent of pcg_ref. */
static void test_known_answers(void **state)
{
    (void)state;
    static const uint64_t want64[] = {
        0x86b1da1d72062b68u, 0x1304aa46c9853d39u, 0xa3670e9e0dd50358u,
        0xf9090e529a7dae00u, 0xc85b9fd837996f2cu, 0x606121f8e3919196u,
    };
    static const uint32_t want32[] = {
        0xa15c02b7u, 0x7b47f409u, 0xba1d3330u, 0x83d2f293u, 0xbfa4784bu, 0xcbed606eu,
    };
    il_rng r;
    il_rng32 r32;
    il_rng_seed(&r, 42, 54);
    il_rng32_seed(&r32, 42, 54);
    for (size_t i = 0; i < ARRAY_LEN(want64); i++)
        assert_int_equal(il_rng_u64(&r), want64[i]);
    for (size_t i = 0; i < ARRAY_LEN(want32); i++)
        assert_int_equal(il_rng32_u32(&r32), want32[i]);
}

static void test_pcg64_matches_reference(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(seeds); i++)
        for (size_t j = 0; j < ARRAY_LEN(seeds); j++)
            check_pcg64_against_ref(seeds[i], seeds[j], 0, 0);
}

static void test_pcg32_matches_reference(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(seeds); i++)
        for (size_t j = 0; j < ARRAY_LEN(seeds); j++)
            check_pcg32_against_ref(seeds[i], seeds[j], 0, 0);
}

static void test_advance_matches_reference(void **state)
{
    (void)state;
    const il_u128 two64 = (il_u128)1 << 64;
    const il_u128 deltas64[] = {
        1, 7, 1000000000000u, two64 + 3, ((il_u128)1 << 100) + 12345,
        ~(il_u128)0,                          /* 2^128 - 1: one step back */
        (il_u128)0 - 1000000000000u,          /* 2^128 - 10^12 */
    };
    const uint64_t deltas32[] = {1, 7, 1000000000000u, (UINT64_C(1) << 63) + 5, UINT64_MAX};
    const uint64_t pairs[][2] = {{42, 54}, {0, 0}, {UINT64_MAX, (UINT64_C(1) << 63) + 5}};
    for (size_t p = 0; p < ARRAY_LEN(pairs); p++) {
        for (size_t d = 0; d < ARRAY_LEN(deltas64); d++)
            check_pcg64_against_ref(pairs[p][0], pairs[p][1], deltas64[d], 1);
        for (size_t d = 0; d < ARRAY_LEN(deltas32); d++)
            check_pcg32_against_ref(pairs[p][0], pairs[p][1], deltas32[d], 1);
    }
}

/* ---- jump-ahead --------------------------------------------------------------------------------- */

static void test_advance_equals_steps(void **state)
{
    (void)state;
    for (size_t s = 0; s < ARRAY_LEN(seeds); s++) {
        il_rng start, stepped, jumped;
        il_rng32 start32, stepped32, jumped32;
        il_rng_seed(&start, seeds[s], seeds[ARRAY_LEN(seeds) - 1 - s]);
        il_rng32_seed(&start32, seeds[s], seeds[ARRAY_LEN(seeds) - 1 - s]);
        stepped = start;
        stepped32 = start32;
        for (unsigned k = 0; k <= 300; k++) {
            jumped = start;
            jumped32 = start32;
            il_rng_advance(&jumped, k);
            il_rng32_advance(&jumped32, k);
            if (!rng_equal(&jumped, &stepped))
                fail_msg("pcg64 seed %zu: advance(%u) differs from %u steps", s, k, k);
            if (jumped32.state != stepped32.state || jumped32.inc != stepped32.inc)
                fail_msg("pcg32 seed %zu: advance(%u) differs from %u steps", s, k, k);
            (void)il_rng_u64(&stepped);
            (void)il_rng32_u32(&stepped32);
        }
    }
}

static void test_advance_back_and_compose(void **state)
{
    (void)state;
    const il_u128 ks[] = {1, 2, 1000, 1000000000000u, (il_u128)1 << 64, ((il_u128)1 << 127) + 99};
    il_rng start, r, r2;
    il_rng_seed(&start, 42, 7);
    for (size_t i = 0; i < ARRAY_LEN(ks); i++) {
        r = start;
        il_rng_advance(&r, ks[i]);
        assert_false(rng_equal(&r, &start));
        il_rng_advance(&r, (il_u128)0 - ks[i]); /* 2^128 - k */
        if (!rng_equal(&r, &start))
            fail_msg("advance(k) then advance(2^128 - k) did not return (case %zu)", i);
        /* advance(a) advance(b) == advance(a + b), including wrap-around past 2^128. */
        const il_u128 b = ks[ARRAY_LEN(ks) - 1 - i] * 3u;
        r = start;
        r2 = start;
        il_rng_advance(&r, ks[i]);
        il_rng_advance(&r, b);
        il_rng_advance(&r2, ks[i] + b);
        if (!rng_equal(&r, &r2))
            fail_msg("advance(a) advance(b) != advance(a + b) (case %zu)", i);
    }
    /* One step back reproduces the last output. */
    r = start;
    uint64_t first = il_rng_u64(&r);
    il_rng_advance(&r, ~(il_u128)0);
    assert_int_equal(il_rng_u64(&r), first);

    const uint64_t ks32[] = {1, 1000, 1000000000000u, (UINT64_C(1) << 63) + 1};
    il_rng32 s0, s;
    il_rng32_seed(&s0, 42, 7);
    for (size_t i = 0; i < ARRAY_LEN(ks32); i++) {
        s = s0;
        il_rng32_advance(&s, ks32[i]);
        assert_true(s.state != s0.state);
        il_rng32_advance(&s, (uint64_t)0 - ks32[i]); /* 2^64 - k */
        assert_true(s.state == s0.state && s.inc == s0.inc);
    }
}

/* ---- streams ------------------------------------------------------------------------------------ */

static void test_streams_differ(void **state)
{
    (void)state;
    enum { NSTREAM = 16, LEN = 64 };
    static uint64_t out[NSTREAM][LEN], outseed[NSTREAM][LEN];
    for (unsigned s = 0; s < NSTREAM; s++) {
        il_rng r;
        il_rng_seed(&r, 42, s);
        for (unsigned i = 0; i < LEN; i++)
            out[s][i] = il_rng_u64(&r);
        il_rng_seed(&r, s, 42);
        for (unsigned i = 0; i < LEN; i++)
            outseed[s][i] = il_rng_u64(&r);
    }
    /* Two distinct 64-bit sequences agree at a given position with probability 2^-64. Also no
     * stream is a shifted copy of another within the window. */
    for (unsigned a = 0; a < NSTREAM; a++)
        for (unsigned b = a + 1; b < NSTREAM; b++)
            for (unsigned i = 0; i < LEN; i++)
                for (unsigned j = 0; j < LEN; j++) {
                    if (out[a][i] == out[b][j])
                        fail_msg("seed 42: streams %u and %u share output %llu", a, b,
                                 (unsigned long long)out[a][i]);
                    if (outseed[a][i] == outseed[b][j])
                        fail_msg("stream 42: seeds %u and %u share output %llu", a, b,
                                 (unsigned long long)outseed[a][i]);
                }

    /* PCG32: 32-bit outputs coincide by chance with probability 2^-32 per pair; require the
     * sequences to differ nearly everywhere. */
    for (unsigned a = 0; a < NSTREAM; a++) {
        il_rng32 ra, rb;
        il_rng32_seed(&ra, 42, a);
        il_rng32_seed(&rb, 42, a + 1);
        unsigned same = 0;
        for (unsigned i = 0; i < LEN; i++)
            same += il_rng32_u32(&ra) == il_rng32_u32(&rb);
        if (same > 1)
            fail_msg("pcg32 streams %u and %u agree at %u of %d positions", a, a + 1, same, LEN);
    }
}

/* ---- uniform ------------------------------------------------------------------------------------ */

static void test_uniform_ranges(void **state)
{
    (void)state;
    const size_t n = 1000000;
    il_rng r;
    il_rng_seed(&r, 2024, 3);
    double sum = 0, sum2 = 0, lo = 1, hi = 0, lo_pos = 1, hi_pos = 0;
    for (size_t i = 0; i < n; i++) {
        double u = il_rng_uniform(&r), v = il_rng_uniform_pos(&r);
        sum += u;
        sum2 += u * u;
        lo = fmin(lo, u);
        hi = fmax(hi, u);
        lo_pos = fmin(lo_pos, v);
        hi_pos = fmax(hi_pos, v);
    }
    assert_true(lo >= 0.0 && hi < 1.0);
    assert_true(lo_pos > 0.0 && hi_pos < 1.0);
    double mean, se;
    mean_se(sum, sum2, (double)n, &mean, &se);
    assert_z(mean, se, 0.5);
    assert_z(sum2 / (double)n - mean * mean, sqrt(1.0 / 180.0 / (double)n), 1.0 / 12.0);

    /* The extreme outputs, forced by choosing the state: 0 and 2^64 - 1. */
    set_next_state(&r, 0x0123456789abcdefu, 0x0123456789abcdefu); /* hi ^ lo = 0 */
    il_rng probe = r;
    assert_int_equal(il_rng_u64(&probe), 0);
    probe = r;
    assert_true(il_rng_uniform(&probe) == 0.0);
    probe = r;
    assert_true(il_rng_uniform_pos(&probe) == 0x1.0p-53);

    set_next_state(&r, 0x0123456789abcdefu, ~UINT64_C(0x0123456789abcdef)); /* all ones */
    probe = r;
    assert_int_equal(il_rng_u64(&probe), UINT64_MAX);
    probe = r;
    assert_true(il_rng_uniform(&probe) == 1.0 - 0x1.0p-53);
    probe = r;
    double top = il_rng_uniform_pos(&probe);
    if (!(top < 1.0))
        fail_msg("il_rng_uniform_pos of the largest output = %a, must be < 1", top);
    assert_true(top == 1.0 - 0x1.0p-53);
}

/* ---- normal ------------------------------------------------------------------------------------- */

static void test_normal_moments(void **state)
{
    (void)state;
    const size_t n = (size_t)1 << 21;
    il_rng r;
    il_rng_seed(&r, 7, 11);
    double s1 = 0, s2 = 0, s3 = 0, s4 = 0, s6 = 0, s8 = 0;
    for (size_t i = 0; i < n; i++) {
        double z = il_rng_normal(&r), z2 = z * z;
        s1 += z;
        s2 += z2;
        s3 += z2 * z;
        s4 += z2 * z2;
        s6 += z2 * z2 * z2;
        s8 += z2 * z2 * z2 * z2;
    }
    const double dn = (double)n;
    double mean, se;
    mean_se(s1, s2, dn, &mean, &se);
    assert_z(mean, se, 0.0);
    /* Test of the test: a mean off by 0.01 (14 standard errors here) must be refuted. */
    assert_z_refutes(mean, se, 0.01);

    /* Raw moments E z^2 = 1, E z^3 = 0, E z^4 = 3, each with the standard error estimated from
     * the sample (var of z^k = E z^2k - (E z^k)^2). */
    double m2 = s2 / dn, m3 = s3 / dn, m4 = s4 / dn;
    assert_z(m2, sqrt((m4 - m2 * m2) / dn), 1.0);
    assert_z(m3, sqrt((s6 / dn - m3 * m3) / dn), 0.0);
    assert_z(m4, sqrt((s8 / dn - m4 * m4) / dn), 3.0);
    assert_z_refutes(m2, sqrt((m4 - m2 * m2) / dn), 1.01);
}

/* The ziggurat of sim/rng.c: 256 layers, the tail beyond r (its root, rounded to double). */
#define ZIG_LAYERS 256
#define ZIG_R 3.6541528853610088
/* Relative tolerance of the equal-area check on the read-out layer edges: the areas
 * x_i (f(x_{i+1}) - f(x_i)) are computed in double from differences of f that near the peak are
 * ~0.004 of f itself, which costs ~8 bits of the 53; 2^-40 leaves a margin of 5 bits more. */
#define ZIG_AREA_TOL 0x1.0p-40

/* Bins of the chi-square test: (-inf, -4.5), 90 bins of width 0.1 on [-4.5, 4.5), [4.5, inf).
 * The smallest expected count, n * 3.4e-6, is 14 for n = 4e6. */
#define CHI_EDGE 4.5
#define CHI_INNER 90
#define CHI_BINS (CHI_INNER + 2)

static size_t chi_bin(double z)
{
    if (z < -CHI_EDGE)
        return 0;
    if (z >= CHI_EDGE)
        return CHI_BINS - 1;
    long k = (long)floor((z + CHI_EDGE) * (CHI_INNER / (2.0 * CHI_EDGE)));
    if (k < 0)
        k = 0;
    if (k > CHI_INNER - 1)
        k = CHI_INNER - 1;
    return (size_t)k + 1;
}

/* Chi-square of the counts against N(0, sd^2), turned into a z-score: the standard normal
 * quantile of its upper-tail p-value (so z > Z_THRESHOLD means p < 2.9e-7). */
static double chi_z(const size_t *count, size_t n, double sd)
{
    double chi2 = 0, prev = 0;
    for (size_t b = 0; b < CHI_BINS; b++) {
        double cdf = b == CHI_BINS - 1
                         ? 1.0
                         : gsl_cdf_gaussian_P(-CHI_EDGE + (double)b * (2.0 * CHI_EDGE / CHI_INNER), sd);
        double expect = (double)n * (cdf - prev), d = (double)count[b] - expect;
        chi2 += d * d / expect;
        prev = cdf;
    }
    return gsl_cdf_ugaussian_Qinv(gsl_cdf_chisq_Q(chi2, CHI_BINS - 1));
}

static void test_normal_goodness_of_fit(void **state)
{
    (void)state;
    const size_t n = 4000000;
    static size_t count[CHI_BINS];
    size_t beyond_r = 0;
    il_rng r;
    il_rng_seed(&r, 31337, 5);
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++) {
        double z = il_rng_normal(&r);
        count[chi_bin(z)]++;
        beyond_r += fabs(z) > ZIG_R;
    }
    assert_z(chi_z(count, n, 1.0), 1.0, 0.0);
    /* Test of the test: the same counts against N(0, 1.01^2) must be refuted. */
    assert_z_refutes(chi_z(count, n, 1.01), 1.0, 0.0);

    /* The tail beyond r, drawn by a separate algorithm: P(|Z| > r) = 2 Q(r). */
    double p = 2.0 * gsl_cdf_ugaussian_Q(ZIG_R);
    assert_z((double)beyond_r / (double)n, sqrt(p * (1 - p) / (double)n), p);
}

/* Counts u64 steps per normal by stepping a shadow copy until it catches up; the mean must match
 * the value implied by the ziggurat tables (sim/rng.c): 1.0067 attempts per normal, each one u64
 * plus one for a wedge test or two per tail round. */
static void test_normal_steps_per_draw(void **state)
{
    (void)state;
    const size_t n = 200000;
    const double want = 1.0220348;
    il_rng r, shadow;
    il_rng_seed(&r, 99, 1);
    shadow = r;
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        (void)il_rng_normal(&r);
        unsigned k = 0;
        while (!rng_equal(&shadow, &r) && k < 1000) {
            (void)il_rng_u64(&shadow);
            k++;
        }
        assert_true(rng_equal(&shadow, &r));
        s += k;
        s2 += (double)k * k;
    }
    double mean, se;
    mean_se(s, s2, (double)n, &mean, &se);
    assert_z(mean, se, want);
}

/* Reads the layer edges x_0..x_254 of the ziggurat through its fast path: an output with layer
 * bits i, sign bit 0 and abscissa j = 2^50 gives the candidate x_i / 8, which lies inside the
 * layer's rectangle for every i < 255 and is returned exactly. The edges must satisfy the defining
 * equations (sim/rng.c): x_1 = r, x_0 f(r) = v = r f(r) + sqrt(pi/2) erfc(r / sqrt 2), every layer
 * x_i (f(x_{i+1}) - f(x_i)) = v, and the top layer, whose edge x_255 follows from layer 254's area,
 * closes at the peak: x_255 (1 - f(x_255)) = v. */
static void test_normal_ziggurat_layers(void **state)
{
    (void)state;
    double x[ZIG_LAYERS];
    il_rng r;
    il_rng_seed(&r, 1, 1);
    for (unsigned i = 0; i < ZIG_LAYERS - 1; i++) {
        set_next_output(&r, 0x0123456789abcdefu * (i + 1), ((uint64_t)1 << 50 << 11) | i);
        x[i] = 8.0 * il_rng_normal(&r);
    }
    assert_true(x[1] == ZIG_R);
    const double fr = exp(-0.5 * ZIG_R * ZIG_R);
    const double v = ZIG_R * fr + sqrt(M_PI / 2) * erfc(ZIG_R / M_SQRT2);
    assert_close_rel(x[0] * fr, v, ZIG_AREA_TOL);
    for (unsigned i = 1; i + 1 < ZIG_LAYERS - 1; i++) {
        double area = x[i] * (exp(-0.5 * x[i + 1] * x[i + 1]) - exp(-0.5 * x[i] * x[i]));
        if (!(fabs(area - v) <= ZIG_AREA_TOL * v))
            fail_msg("ziggurat layer %u: area %.17g, want %.17g", i, area, v);
    }
    const double f254 = exp(-0.5 * x[254] * x[254]), f255 = f254 + v / x[254];
    const double x255 = sqrt(-2.0 * log(f255));
    assert_close_rel(x255 * (1.0 - f255), v, ZIG_AREA_TOL);
}

/* Forces draws into the tail (layer 0 with an abscissa beyond r) and checks the values against
 * the conditional law of |Z| given |Z| > r, P(|Z| > t | |Z| > r) = Q(t) / Q(r), on equiprobable
 * bins, plus the sign balance. The tail's uniforms come from the continuation of each forced
 * state, which is chosen at random. */
static void test_normal_tail(void **state)
{
    (void)state;
    enum { M = 100000, K = 20 };
    size_t count[K] = {0};
    double signs = 0;
    il_rng src, r;
    il_rng_seed(&src, 2718, 28);
    il_rng_seed(&r, 0, 0);
    const double qr = gsl_cdf_ugaussian_Q(ZIG_R);
    for (size_t m = 0; m < M; m++) {
        uint64_t hi = il_rng_u64(&src), rnd = il_rng_u64(&src);
        /* j >= (1 - 2^-5) 2^53, beyond r / x_0 = 0.936 of the base layer's pseudo-width. */
        uint64_t j = (((uint64_t)1 << 53) - 1) - (rnd >> 16 >> 5);
        set_next_output(&r, hi, (j << 11) | (rnd & 0x100u));
        double z = il_rng_normal(&r), a = fabs(z);
        if (!(a > ZIG_R))
            fail_msg("forced tail draw %zu gave %.17g, inside r = %.17g", m, z, ZIG_R);
        signs += z > 0 ? 1.0 : -1.0;
        /* Conditional upper-tail probability, uniform on (0, 1] under the law. */
        double u = gsl_cdf_ugaussian_Q(a) / qr;
        size_t k = (size_t)(u * K);
        count[k < K ? k : K - 1]++;
    }
    double chi2 = 0, expect = (double)M / K;
    for (size_t k = 0; k < K; k++)
        chi2 += ((double)count[k] - expect) * ((double)count[k] - expect) / expect;
    assert_z(gsl_cdf_ugaussian_Qinv(gsl_cdf_chisq_Q(chi2, K - 1)), 1.0, 0.0);
    assert_z(signs / M, 1.0 / sqrt((double)M), 0.0);
}

/* ---- fills -------------------------------------------------------------------------------------- */

static void test_fill_normal_matches_scalar(void **state)
{
    (void)state;
    enum { N = 20000 };
    static double x[N];
    il_rng a, b;
    il_rng_seed(&a, 5, 6);
    b = a;
    il_rng_fill_normal(&a, x, N, 0.5, 2.0);
    for (size_t i = 0; i < N; i++) {
        double want = 0.5 + 2.0 * il_rng_normal(&b);
        if (x[i] != want)
            fail_msg("fill_normal x[%zu] = %.17g, scalar gives %.17g", i, x[i], want);
    }
    assert_true(rng_equal(&a, &b));

    /* fill(n) then fill(m) equals fill(n + m); n = 0 is a no-op that never touches x. */
    static double y[N];
    il_rng_seed(&a, 8, 9);
    b = a;
    il_rng_fill_normal(&a, x, N, 0.0, 1.0);
    il_rng_fill_normal(&b, y, 1234, 0.0, 1.0);
    il_rng_fill_normal(&b, NULL, 0, 0.0, 1.0);
    il_rng_fill_normal(&b, y + 1234, N - 1234, 0.0, 1.0);
    assert_memory_equal(x, y, sizeof x);
    assert_true(rng_equal(&a, &b));

    /* sd = 0 gives the mean exactly. */
    il_rng_fill_normal(&a, x, 100, -3.25, 0.0);
    for (size_t i = 0; i < 100; i++)
        assert_true(x[i] == -3.25);
}

static void test_fill_uniform(void **state)
{
    (void)state;
    enum { N = 100000 };
    static double x[N];
    const double lo = -3.0, hi = 5.0;
    il_rng a, b;
    il_rng_seed(&a, 12, 13);
    b = a;
    il_rng_fill_uniform(&a, x, N, lo, hi);
    double sum = 0, sum2 = 0;
    for (size_t i = 0; i < N; i++) {
        double want = lo + (hi - lo) * il_rng_uniform(&b);
        if (x[i] != want)
            fail_msg("fill_uniform x[%zu] = %.17g, scalar gives %.17g", i, x[i], want);
        assert_true(x[i] >= lo && x[i] < hi);
        sum += x[i];
        sum2 += x[i] * x[i];
    }
    assert_true(rng_equal(&a, &b));
    double mean, se;
    mean_se(sum, sum2, N, &mean, &se);
    assert_z(mean, se, 1.0);

    /* Where a + (b - a) u rounds up to b, the result stays below b: [1, 1 + 2^-52) holds only 1. */
    set_next_state(&a, 0x0123456789abcdefu, ~UINT64_C(0x0123456789abcdef)); /* u = 1 - 2^-53 */
    il_rng_fill_uniform(&a, x, 1, 1.0, 1.0 + 0x1.0p-52);
    assert_true(x[0] == 1.0);
}

static void test_fill_bernoulli(void **state)
{
    (void)state;
    enum { N = 1000000 };
    static double x[N];
    const double keep = 0.3, value = 1.0 / 0.3;
    il_rng a, b;
    il_rng_seed(&a, 77, 78);
    b = a;
    il_rng_fill_bernoulli(&a, x, N, keep, value);
    size_t kept = 0;
    for (size_t i = 0; i < N; i++) {
        /* Exactly uniform < keep, one u64 per element. */
        double want = il_rng_uniform(&b) < keep ? value : 0.0;
        if (memcmp(&x[i], &want, sizeof want) != 0)
            fail_msg("fill_bernoulli x[%zu] = %.17g, want %.17g", i, x[i], want);
        kept += x[i] == value;
    }
    assert_true(rng_equal(&a, &b));
    double freq = (double)kept / N, se = sqrt(keep * (1 - keep) / N);
    assert_z(freq, se, keep);
    assert_z_refutes(freq, se, keep + 0.01);

    /* Edge cases: keep = 0 gives +0.0 everywhere, keep = 1 gives value everywhere; both still
     * consume one step per element. */
    il_rng_fill_bernoulli(&a, x, N, 0.0, value);
    for (size_t i = 0; i < N; i++)
        assert_true(x[i] == 0.0 && !signbit(x[i]));
    il_rng_fill_bernoulli(&a, x, N, 1.0, value);
    for (size_t i = 0; i < N; i++)
        assert_true(x[i] == value);
    il_rng_advance(&b, 2 * (il_u128)N);
    assert_true(rng_equal(&a, &b));

    /* The threshold at the extreme outputs: keep = 0 refuses even u = 0, keep = 1 takes even
     * u = 2^64 - 1, and keep = 2^-53 takes exactly the outputs with top 53 bits zero. */
    const struct { double keep; uint64_t u; double want; } edge[] = {
        {0.0, 0, 0.0}, {1.0, UINT64_MAX, value}, {0x1.0p-53, 0x7ff, value},
        {0x1.0p-53, 0x800, 0.0},
    };
    for (size_t i = 0; i < ARRAY_LEN(edge); i++) {
        set_next_output(&a, 0xfedcba9876543210u, edge[i].u);
        il_rng_fill_bernoulli(&a, x, 1, edge[i].keep, value);
        if (x[0] != edge[i].want)
            fail_msg("fill_bernoulli(keep = %a) of output %#llx = %g, want %g", edge[i].keep,
                     (unsigned long long)edge[i].u, x[0], edge[i].want);
    }
}

static void test_fill_rademacher(void **state)
{
    (void)state;
    enum { N = 1000000 };
    static double x[N];
    il_rng a, b;
    il_rng_seed(&a, 3, 4);
    b = a;
    il_rng_fill_rademacher(&a, x, N);
    double sum = 0;
    for (size_t i = 0; i < N; i++) {
        double want = (il_rng_u64(&b) >> 63) ? -1.0 : 1.0;
        if (x[i] != want)
            fail_msg("fill_rademacher x[%zu] = %g, want %g", i, x[i], want);
        sum += x[i];
    }
    assert_true(rng_equal(&a, &b));
    assert_z(sum / N, 1.0 / sqrt((double)N), 0.0);
}

/* The lane-computed fills against their scalar definitions at every length up to 600 (below, at and past
 * the lane width, the conversion block and the normal fill's buffer), starting from several positions, with
 * the generator's final state compared as well. */
static void test_fills_every_length(void **state)
{
    (void)state;
    enum { NMAX = 600 };
    static double x[NMAX];
    static uint64_t u[NMAX];
    for (size_t n = 0; n <= NMAX; n += n < 80 ? 1 : 7) {
        for (uint64_t start = 0; start < 3; start++) {
            il_rng a, b;
            il_rng_seed(&a, 1000 + n, 17 * start + 1);
            il_rng_advance(&a, start * 5);
            b = a;
            il_rng_fill_u64(&a, u, n);
            for (size_t i = 0; i < n; i++)
                if (u[i] != il_rng_u64(&b))
                    fail_msg("fill_u64(n = %zu) u[%zu] differs from il_rng_u64", n, i);
            assert_true(rng_equal(&a, &b));

            il_rng_fill_uniform(&a, x, n, -0.25, 0.75);
            for (size_t i = 0; i < n; i++)
                if (x[i] != -0.25 + 1.0 * il_rng_uniform(&b))
                    fail_msg("fill_uniform(n = %zu) x[%zu] differs from the scalar draw", n, i);
            assert_true(rng_equal(&a, &b));

            il_rng_fill_normal(&a, x, n, 0.0, 1.0);
            for (size_t i = 0; i < n; i++)
                if (x[i] != il_rng_normal(&b))
                    fail_msg("fill_normal(n = %zu) x[%zu] differs from il_rng_normal", n, i);
            assert_true(rng_equal(&a, &b));

            il_rng_fill_bernoulli(&a, x, n, 0.6, 2.5);
            for (size_t i = 0; i < n; i++)
                if (x[i] != (il_rng_uniform(&b) < 0.6 ? 2.5 : 0.0))
                    fail_msg("fill_bernoulli(n = %zu) x[%zu] differs from the scalar draw", n, i);
            assert_true(rng_equal(&a, &b));

            il_rng_fill_rademacher(&a, x, n);
            for (size_t i = 0; i < n; i++)
                if (x[i] != ((il_rng_u64(&b) >> 63) ? -1.0 : 1.0))
                    fail_msg("fill_rademacher(n = %zu) x[%zu] differs from the scalar draw", n, i);
            assert_true(rng_equal(&a, &b));
        }
    }
}

/* ---- GSL adapter -------------------------------------------------------------------------------- */

static void test_gsl_adapter(void **state)
{
    (void)state;
    gsl_rng *g = gsl_rng_alloc(il_gsl_rng_pcg64);
    assert_non_null(g);
    assert_string_equal(gsl_rng_name(g), "pcg64");
    assert_int_equal(gsl_rng_max(g), 0xffffffffUL);
    assert_int_equal(gsl_rng_min(g), 0);
    assert_int_equal(gsl_rng_size(g), sizeof(il_rng));

    /* gsl_rng_alloc seeds with gsl_rng_default_seed, gsl_rng_set(g, s) as il_rng_seed(s, 0);
     * get() is the high half of il_rng_u64, get_double() is il_rng_uniform. */
    il_rng r;
    il_rng_seed(&r, gsl_rng_default_seed, 0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(gsl_rng_get(g), il_rng_u64(&r) >> 32);
    gsl_rng_set(g, 123456789);
    il_rng_seed(&r, 123456789, 0);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(gsl_rng_get(g), il_rng_u64(&r) >> 32);
        assert_true(gsl_rng_uniform(g) == il_rng_uniform(&r));
    }
    il_gsl_rng_seed_stream(g, (UINT64_C(1) << 63) + 5, 17);
    il_rng_seed(&r, (UINT64_C(1) << 63) + 5, 17);
    for (int i = 0; i < 100; i++)
        assert_true(gsl_rng_uniform(g) == il_rng_uniform(&r));
    gsl_rng *c = gsl_rng_clone(g);
    assert_non_null(c);
    for (int i = 0; i < 100; i++)
        assert_int_equal(gsl_rng_get(c), gsl_rng_get(g));
    gsl_rng_free(c);

    /* gsl_ran_gaussian(sd = 2) and gsl_ran_flat(-1, 3) through the adapter. */
    const size_t n = 1000000;
    double s = 0, s2 = 0, s4 = 0, f = 0, f2 = 0;
    for (size_t i = 0; i < n; i++) {
        double z = gsl_ran_gaussian(g, 2.0), u = gsl_ran_flat(g, -1.0, 3.0);
        s += z;
        s2 += z * z;
        s4 += z * z * z * z;
        f += u;
        f2 += u * u;
    }
    const double dn = (double)n;
    double mean, se;
    mean_se(s, s2, dn, &mean, &se);
    assert_z(mean, se, 0.0);
    assert_z(s2 / dn, sqrt((s4 / dn - (s2 / dn) * (s2 / dn)) / dn), 4.0);
    mean_se(f, f2, dn, &mean, &se);
    assert_z(mean, se, 1.0);
    assert_z(f2 / dn - mean * mean, sqrt(16.0 * 16.0 / 180.0 / dn), 16.0 / 12.0);
    gsl_rng_free(g);

    /* A gsl_rng of another type is left alone. */
    gsl_rng *mt = gsl_rng_alloc(gsl_rng_mt19937), *mt2 = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(mt);
    assert_non_null(mt2);
    il_gsl_rng_seed_stream(mt, 1, 2);
    for (int i = 0; i < 10; i++)
        assert_int_equal(gsl_rng_get(mt), gsl_rng_get(mt2));
    gsl_rng_free(mt);
    gsl_rng_free(mt2);
}

/* Cross-stream independence, the property Monte Carlo draws rely on: the value at each position
 * j < XS_POS, averaged over XS_STREAMS streams, has mean 1/2 (z-test per position, Bonferroni-safe
 * at Z_THRESHOLD). Test of the test: plain PCG streams il_rng_seed(seed, i), i = 0, 1, 2, ... fail it
 * (their states are affine in i); il_rng_seed_draw passes. */
#define XS_STREAMS 40000
#define XS_POS 512

static double cross_stream_max_z(int hashed)
{
    static double sum[XS_POS], sum2[XS_POS];
    memset(sum, 0, sizeof sum);
    memset(sum2, 0, sizeof sum2);
    for (uint64_t i = 0; i < XS_STREAMS; i++) {
        il_rng r;
        if (hashed)
            il_rng_seed_draw(&r, 3, i);
        else
            il_rng_seed(&r, 3, i);
        for (int j = 0; j < XS_POS; j++) {
            double u = il_rng_uniform(&r) - 0.5;
            sum[j] += u;
            sum2[j] += u * u;
        }
    }
    double worst = 0.0;
    for (int j = 0; j < XS_POS; j++) {
        double m = sum[j] / XS_STREAMS, v = sum2[j] / XS_STREAMS - m * m;
        double z = m / sqrt(v / XS_STREAMS);
        if (fabs(z) > fabs(worst))
            worst = z;
    }
    return worst;
}

static void test_cross_stream(void **state)
{
    (void)state;
    double zh = cross_stream_max_z(1), zp = cross_stream_max_z(0);
    if (!(fabs(zh) <= Z_THRESHOLD))
        fail_msg("il_rng_seed_draw: a position's mean across streams is off by z = %.2f", zh);
    if (!(fabs(zp) > Z_THRESHOLD))
        fail_msg("plain consecutive streams were expected to fail this check (max z %.2f): the test lost power",
                 zp);
    /* distinct draws get distinct streams */
    il_rng a, b;
    il_rng_seed_draw(&a, 3, 0);
    il_rng_seed_draw(&b, 3, 1);
    assert_true(a.inc != b.inc);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cross_stream),
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_pcg64_matches_reference),
        cmocka_unit_test(test_pcg32_matches_reference),
        cmocka_unit_test(test_advance_matches_reference),
        cmocka_unit_test(test_advance_equals_steps),
        cmocka_unit_test(test_advance_back_and_compose),
        cmocka_unit_test(test_streams_differ),
        cmocka_unit_test(test_uniform_ranges),
        cmocka_unit_test(test_normal_moments),
        cmocka_unit_test(test_normal_goodness_of_fit),
        cmocka_unit_test(test_normal_steps_per_draw),
        cmocka_unit_test(test_normal_ziggurat_layers),
        cmocka_unit_test(test_normal_tail),
        cmocka_unit_test(test_fill_normal_matches_scalar),
        cmocka_unit_test(test_fill_uniform),
        cmocka_unit_test(test_fill_bernoulli),
        cmocka_unit_test(test_fill_rademacher),
        cmocka_unit_test(test_fills_every_length),
        cmocka_unit_test(test_gsl_adapter),
    };
    return cmocka_run_group_tests_name("rng", tests, NULL, NULL);
}
