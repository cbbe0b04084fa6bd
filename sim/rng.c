/* rng.c: PCG64 / PCG32 seeding and jump-ahead, standard normal deviates (ziggurat), bulk fills,
 * and the gsl_rng_type adapter. The per-step generators are inline in rng.h.
 *
 * Nothing here is mutable global state: the ziggurat tables are static const data and every
 * function advances only the generator it is given. Nothing allocates. */
#include "rng.h"

#include <math.h>
#include <string.h>

/* ---- seeding and jump-ahead ------------------------------------------------------------------- */

/* pcg-cpp's engine(state, stream): inc = 2*stream + 1, then state = bump(seed + inc), where
 * bump(s) = s*mult + inc. For pcg64 the stream is widened to 128 bits before the shift, so all 2^64
 * streams are distinct; for pcg32 the shift is done in 64 bits, so streams s and s ^ 2^63 coincide
 * (as in pcg-cpp). */
void il_rng_seed(il_rng *r, uint64_t seed, uint64_t stream)
{
    r->inc = ((il_u128)stream << 1) | 1u;
    r->state = ((il_u128)seed + r->inc) * IL_PCG64_MULT + r->inc;
}

void il_rng32_seed(il_rng32 *r, uint64_t seed, uint64_t stream)
{
    r->inc = (stream << 1) | 1u;
    r->state = (seed + r->inc) * IL_PCG32_MULT + r->inc;
}

/* Brown, "Random number generation with arbitrary strides" (1994), as pcg-cpp's advance(): the
 * affine map s -> mult*s + plus applied delta times is again affine, (acc_mult, acc_plus), built
 * by square-and-multiply over the bits of delta. Arithmetic is modulo 2^128 (2^64 for PCG32), so
 * delta = 2^128 - k goes back k steps. */
void il_rng_advance(il_rng *r, il_u128 delta)
{
    il_u128 cur_mult = IL_PCG64_MULT, cur_plus = r->inc;
    il_u128 acc_mult = 1, acc_plus = 0;
    while (delta > 0) {
        if (delta & 1u) {
            acc_mult *= cur_mult;
            acc_plus = acc_plus * cur_mult + cur_plus;
        }
        cur_plus = (cur_mult + 1u) * cur_plus;
        cur_mult *= cur_mult;
        delta >>= 1;
    }
    r->state = acc_mult * r->state + acc_plus;
}

void il_rng32_advance(il_rng32 *r, uint64_t delta)
{
    uint64_t cur_mult = IL_PCG32_MULT, cur_plus = r->inc;
    uint64_t acc_mult = 1, acc_plus = 0;
    while (delta > 0) {
        if (delta & 1u) {
            acc_mult *= cur_mult;
            acc_plus = acc_plus * cur_mult + cur_plus;
        }
        cur_plus = (cur_mult + 1u) * cur_plus;
        cur_mult *= cur_mult;
        delta >>= 1;
    }
    r->state = acc_mult * r->state + acc_plus;
}

/* ---- interleaved lanes ---------------------------------------------------------------------------
 *
 * One PCG64 stream is a chain s_{k+1} = M s_k + c: each step waits for the previous 128-bit multiply.
 * The bulk fills compute the SAME sequence four positions at a time: lane j holds s_{k+j} (j = 0..3) and
 * steps by four, s_{k+4} = M^4 s_k + c (M^3 + M^2 + M + 1), so the four multiplies are independent and
 * overlap. Output i of a fill is still the output of s_{i+1}, exactly as il_rng_u64 gives it, and the
 * generator ends on the state of the last value used (tests/test_rng.c checks both against the scalar
 * definitions at every length and alignment). */
#define IL_LANES 4

/* XSL-RR output of a state (as il_rng_u64 computes it after its step). */
static inline uint64_t pcg_out(il_u128 state)
{
    uint64_t x = (uint64_t)(state >> 64) ^ (uint64_t)state;
    unsigned rot = (unsigned)(state >> 122);
    return (x >> rot) | (x << ((-rot) & 63u));
}

/* Four lanes in scalar code: each lane is a separate variable so that the states stay in registers. Fills
 * u[0..n) for n >= 8. */
static void fill_u64_lanes4(il_rng *r, uint64_t *u, size_t n)
{
    const il_u128 m = IL_PCG64_MULT, m2 = m * m, inc = r->inc;
    const il_u128 mult = m2 * m2, plus = inc * (m2 * m + m2 + m + 1u);
    il_u128 s0 = r->state * m + inc;
    il_u128 s1 = s0 * m + inc;
    il_u128 s2 = s1 * m + inc;
    il_u128 s3 = s2 * m + inc;
    size_t i = 0;
    for (;;) {
        u[i] = pcg_out(s0);
        u[i + 1] = pcg_out(s1);
        u[i + 2] = pcg_out(s2);
        u[i + 3] = pcg_out(s3);
        i += IL_LANES;
        if (n - i < IL_LANES)
            break;
        s0 = s0 * mult + plus;
        s1 = s1 * mult + plus;
        s2 = s2 * mult + plus;
        s3 = s3 * mult + plus;
    }
    r->state = s3;
    for (; i < n; i++)
        u[i] = il_rng_u64(r);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define IL_RNG_AVX512 1
#define IL_AVX512_TARGET __attribute__((target("avx512f,avx512dq")))

/* 32 positions at once with AVX-512: four vectors of eight 128-bit states, each kept as a vector of high
 * and a vector of low halves; vector c, lane j holds position 8c + j. The step by 32 positions,
 * s -> A s + C (mod 2^128), is done in 64-bit pieces: the low half of x Al and its high half from four
 * 32 x 32 -> 64-bit products, plus the cross terms x Ah + y Al (low halves only) and the carry of the
 * low addition. Integer arithmetic: the same values as the scalar generator, bit for bit. */
typedef struct {
    __m512i hi[4], lo[4];
} lanes32;

IL_AVX512_TARGET static inline void lcg8(__m512i *hi, __m512i *lo, __m512i al, __m512i al1, __m512i ah,
                                         __m512i cl, __m512i ch)
{
    const __m512i m32 = _mm512_set1_epi64(0xffffffff);
    __m512i x = *lo, y = *hi, x1 = _mm512_srli_epi64(x, 32);
    __m512i p00 = _mm512_mul_epu32(x, al), p01 = _mm512_mul_epu32(x, al1);
    __m512i p10 = _mm512_mul_epu32(x1, al), p11 = _mm512_mul_epu32(x1, al1);
    __m512i t = _mm512_add_epi64(_mm512_srli_epi64(p00, 32), _mm512_and_si512(p01, m32));
    t = _mm512_add_epi64(t, _mm512_and_si512(p10, m32));
    __m512i h = _mm512_add_epi64(p11, _mm512_srli_epi64(p01, 32));
    h = _mm512_add_epi64(h, _mm512_srli_epi64(p10, 32));
    h = _mm512_add_epi64(h, _mm512_srli_epi64(t, 32));
    __m512i l = _mm512_mullo_epi64(x, al);
    h = _mm512_add_epi64(h, _mm512_add_epi64(_mm512_mullo_epi64(x, ah), _mm512_mullo_epi64(y, al)));
    l = _mm512_add_epi64(l, cl);
    h = _mm512_add_epi64(h, ch);
    __mmask8 carry = _mm512_cmplt_epu64_mask(l, cl);
    h = _mm512_mask_sub_epi64(h, carry, h, _mm512_set1_epi64(-1));
    *hi = h;
    *lo = l;
}

IL_AVX512_TARGET static inline __m512i out8(__m512i hi, __m512i lo)
{
    return _mm512_rorv_epi64(_mm512_xor_si512(hi, lo), _mm512_srli_epi64(hi, 58));
}

typedef struct {
    lanes32 v;
    __m512i al, al1, ah, cl, ch; /* the 32-step map, in pieces */
} gen512;

/* Lanes at the next 32 positions of r (r itself is not moved). */
IL_AVX512_TARGET static void gen512_init(gen512 *g, const il_rng *r)
{
    const il_u128 m = IL_PCG64_MULT, inc = r->inc;
    il_u128 mult = m, plus = inc; /* the map of 2^k steps, doubled to 32 */
    for (int k = 0; k < 5; k++) {
        plus = plus * mult + plus;
        mult = mult * mult;
    }
    uint64_t hs[32], ls[32];
    il_u128 st = r->state;
    for (int j = 0; j < 32; j++) {
        st = st * m + inc;
        hs[j] = (uint64_t)(st >> 64);
        ls[j] = (uint64_t)st;
    }
    for (int c = 0; c < 4; c++) {
        g->v.hi[c] = _mm512_loadu_si512(hs + 8 * c);
        g->v.lo[c] = _mm512_loadu_si512(ls + 8 * c);
    }
    g->al = _mm512_set1_epi64((long long)(uint64_t)mult);
    g->al1 = _mm512_set1_epi64((long long)((uint64_t)mult >> 32));
    g->ah = _mm512_set1_epi64((long long)(uint64_t)(mult >> 64));
    g->cl = _mm512_set1_epi64((long long)(uint64_t)plus);
    g->ch = _mm512_set1_epi64((long long)(uint64_t)(plus >> 64));
}

IL_AVX512_TARGET static inline void gen512_out(const gen512 *g, __m512i *o)
{
    for (int c = 0; c < 4; c++)
        o[c] = out8(g->v.hi[c], g->v.lo[c]);
}

IL_AVX512_TARGET static inline void gen512_step(gen512 *g)
{
    for (int c = 0; c < 4; c++)
        lcg8(&g->v.hi[c], &g->v.lo[c], g->al, g->al1, g->ah, g->cl, g->ch);
}

/* r = the state of the last position output (lane 7 of vector 3). */
IL_AVX512_TARGET static void gen512_finish(const gen512 *g, il_rng *r)
{
    uint64_t hs[8], ls[8];
    _mm512_storeu_si512(hs, g->v.hi[3]);
    _mm512_storeu_si512(ls, g->v.lo[3]);
    r->state = ((il_u128)hs[7] << 64) | ls[7];
}

/* Fills u[0..n) for n >= 32 and leaves r on the state of the last output. */
IL_AVX512_TARGET static void fill_u64_avx512(il_rng *r, uint64_t *u, size_t n)
{
    gen512 g;
    gen512_init(&g, r);
    size_t i = 0;
    for (;;) {
        __m512i o[4];
        gen512_out(&g, o);
        for (int c = 0; c < 4; c++)
            _mm512_storeu_si512(u + i + 8 * c, o[c]);
        i += 32;
        if (n - i < 32)
            break;
        gen512_step(&g);
    }
    gen512_finish(&g, r);
    for (; i < n; i++)
        u[i] = il_rng_u64(r);
}

/* The conversions of the fills below, eight at a time: the same IEEE operations as the scalar code. */
IL_AVX512_TARGET static inline __m512d cvt_unit(__m512i u) /* (double)(u >> 11) * 2^-53 */
{
    return _mm512_mul_pd(_mm512_cvtepu64_pd(_mm512_srli_epi64(u, 11)), _mm512_set1_pd(0x1.0p-53));
}

/* il_rng_fill_uniform for n >= 32 (see there). */
IL_AVX512_TARGET static size_t fill_uniform_avx512(il_rng *r, double *x, size_t n, double a, double w, double b,
                                                    double below_b)
{
    const __m512d va = _mm512_set1_pd(a), vw = _mm512_set1_pd(w), vb = _mm512_set1_pd(b);
    const __m512d vbelow = _mm512_set1_pd(below_b);
    gen512 g;
    gen512_init(&g, r);
    size_t i = 0;
    for (;;) {
        __m512i o[4];
        gen512_out(&g, o);
        for (int c = 0; c < 4; c++) {
            __m512d y = _mm512_add_pd(va, _mm512_mul_pd(vw, cvt_unit(o[c])));
            __mmask8 lt = _mm512_cmp_pd_mask(y, vb, _CMP_LT_OQ);
            _mm512_storeu_pd(x + i + 8 * c, _mm512_mask_blend_pd(lt, vbelow, y));
        }
        i += 32;
        if (n - i < 32)
            break;
        gen512_step(&g);
    }
    gen512_finish(&g, r);
    return i;
}

/* il_rng_fill_bernoulli for n >= 32: x[i] = vbits if (u >> 11) < thr, else +0. */
IL_AVX512_TARGET static size_t fill_bernoulli_avx512(il_rng *r, double *x, size_t n, uint64_t thr, uint64_t vbits)
{
    const __m512i vt = _mm512_set1_epi64((long long)thr), vv = _mm512_set1_epi64((long long)vbits);
    gen512 g;
    gen512_init(&g, r);
    size_t i = 0;
    for (;;) {
        __m512i o[4];
        gen512_out(&g, o);
        for (int c = 0; c < 4; c++) {
            __mmask8 keep = _mm512_cmplt_epu64_mask(_mm512_srli_epi64(o[c], 11), vt);
            _mm512_storeu_si512(x + i + 8 * c, _mm512_maskz_mov_epi64(keep, vv));
        }
        i += 32;
        if (n - i < 32)
            break;
        gen512_step(&g);
    }
    gen512_finish(&g, r);
    return i;
}

/* il_rng_fill_rademacher for n >= 32: the top bit of u as the sign of 1.0. */
IL_AVX512_TARGET static size_t fill_rademacher_avx512(il_rng *r, double *x, size_t n)
{
    const __m512i one = _mm512_set1_epi64(0x3ff0000000000000LL), top = _mm512_set1_epi64((long long)(1ULL << 63));
    gen512 g;
    gen512_init(&g, r);
    size_t i = 0;
    for (;;) {
        __m512i o[4];
        gen512_out(&g, o);
        for (int c = 0; c < 4; c++)
            _mm512_storeu_si512(x + i + 8 * c, _mm512_or_si512(one, _mm512_and_si512(o[c], top)));
        i += 32;
        if (n - i < 32)
            break;
        gen512_step(&g);
    }
    gen512_finish(&g, r);
    return i;
}

static int have_avx512(void)
{
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
}
#endif

/* Below this many outputs the 32-lane setup does not pay. */
#define IL_AVX512_MIN 128

/* il_rng_fill_u64: u[i] = the i-th next il_rng_u64(r), several positions at a time. */
void il_rng_fill_u64(il_rng *r, uint64_t *u, size_t n)
{
#ifdef IL_RNG_AVX512
    if (n >= IL_AVX512_MIN && have_avx512()) {
        fill_u64_avx512(r, u, n);
        return;
    }
#endif
    if (n >= 2 * IL_LANES) {
        fill_u64_lanes4(r, u, n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        u[i] = il_rng_u64(r);
}

/* A reader of r's outputs through a buffer filled by lanes; rd_finish leaves r on the state of the last
 * output read, as if each had come from il_rng_u64. */
#define IL_RD_BUF 256

typedef struct {
    il_rng *r;
    il_u128 start; /* r's state before the buffered outputs */
    size_t pos, len;
    uint64_t buf[IL_RD_BUF];
} reader;

static inline void rd_init(reader *rd, il_rng *r)
{
    rd->r = r;
    rd->start = r->state;
    rd->pos = rd->len = 0;
}

/* Refills with about `want` outputs (at least 16, at most the buffer). */
static void rd_refill(reader *rd, size_t want)
{
    size_t len = want < 16 ? 16 : want > IL_RD_BUF ? IL_RD_BUF : want;
    rd->start = rd->r->state;
    il_rng_fill_u64(rd->r, rd->buf, len);
    rd->pos = 0;
    rd->len = len;
}

static inline uint64_t rd_u64(reader *rd)
{
    if (rd->pos == rd->len)
        rd_refill(rd, 16);
    return rd->buf[rd->pos++];
}

static void rd_finish(reader *rd)
{
    if (rd->pos == rd->len)
        return; /* r is already on the state of the last output */
    /* back to the state of output pos - 1: start advanced by pos steps (pos < 256: a few squarings) */
    il_rng *r = rd->r;
    r->state = rd->start;
    il_rng_advance(r, rd->pos);
}

/* ---- normal deviates: a 256-layer ziggurat ------------------------------------------------------
 *
 * Marsaglia and Tsang, "The ziggurat method for generating random variables" (J. Stat. Softw. 5,
 * 2000), with the index and sign taken from bits independent of the abscissa (Doornik, "An
 * improved ziggurat method to generate normal random samples", 2005).
 *
 * The half-density f(x) = exp(-x^2/2), x >= 0, is covered by N = 256 layers of equal area v.
 * Layer 0 is the base: the rectangle [0, r] x [0, f(r)] plus the tail x > r; it is given the
 * pseudo-width x_0 = v / f(r). Layer i >= 1 is the rectangle [0, x_i] x [f(x_i), f(x_{i+1})] with
 *     x_1 = r,   x_{i+1} = sqrt(-2 log(f(x_i) + v / x_i)),   x_N = 0,
 *     v = r f(r) + integral_r^inf f = r f(r) + sqrt(pi/2) erfc(r / sqrt 2),
 * and r is the root of f(x_{N-1}) + v / x_{N-1} = 1 (the top layer ends exactly at the peak).
 *
 * Tables: zig_x[i] = x_i and zig_f[i] = f(x_i) for i = 0..N (zig_f[0] is unused, zig_f[N] = 1).
 * They were derived for this file (not copied): r found by 200 bisection steps on [3, 4] in
 * binary128 (gcc __float128 with libquadmath's expq, logq, erfcq, sqrtq), then every x_i and f(x_i)
 * rounded once to double and printed with "%a". The root and residual were
 *     r = 3.65415288536100877164542972039951606,   v = 0.00492867323397465534736177540233602211,
 *     f(x_{N-1}) + v / x_{N-1} - 1 = -8.7e-33.
 * The derivation in full (a throwaway program):
 *     q build(q r, q *x, q *v) {      // q = __float128, f(x) = expq(-x*x/2)
 *         *v = r*f(r) + sqrtq(M_PIq/2)*erfcq(r/sqrtq(2));  x[0] = *v/f(r);  x[1] = r;
 *         for (i = 1; i < N-1; i++) { q y = f(x[i]) + *v/x[i];  if (y >= 1) return 1;
 *                                     x[i+1] = sqrtq(-2*logq(y)); }
 *         return f(x[N-1]) + *v/x[N-1] - 1; }
 *     lo = 3, hi = 4;  200 times: mid = (lo+hi)/2; if (build(mid, x, &v) > 0) lo = mid; else hi = mid;
 *     build(hi, x, &v);  x[N] = 0;  print (double)x[i] and (double)f(x[i]) with "%a".
 *
 * One draw: a single u64 u gives the layer i = u & 255 (bits 0-7), the sign (bit 8) and a 53-bit
 * abscissa fraction (bits 11-63), x = (u >> 11) 2^-53 x_i. If x < x_{i+1} the point lies under the
 * curve and x is returned (98.5% of attempts, one u64 each). Otherwise, for i >= 1, a second
 * uniform places the point vertically in the layer's wedge, accepted if below f(x); for i = 0 the
 * point is in the tail and x = r + a is drawn by Marsaglia's tail method (a = -log(U1)/r, accepted
 * if -2 log(U2) > a^2). A rejected point restarts with a fresh u64. The number of u64 consumed per
 * normal therefore depends only on the values drawn: 1.0220 on average (1.0067 attempts, each
 * one u64 plus one for a wedge test or two per tail round). The slow paths call exp()
 * and log() from libm, so bit-for-bit results across different libm builds may differ in rare
 * draws; on one platform the sequence is fixed by (seed, stream). */

#define IL_ZIG_LAYERS 256

static const double zig_x[IL_ZIG_LAYERS + 1] = {
    0x1.f493b7815d982p+1,   0x1.d3bb48209ad33p+1,   0x1.b981f3878fdbp+1,    0x1.a8fdc78947759p+1,
    0x1.9cbee014057aap+1,   0x1.92ee0946f4496p+1,   0x1.8ab0fbfaa7c14p+1,   0x1.839030529f233p+1,
    0x1.7d42df4d6ce8bp+1,   0x1.7799556090672p+1,   0x1.72728f05f7a33p+1,   0x1.6db6b8d09e231p+1,
    0x1.69540be9fe5c2p+1,   0x1.653ce7b006aeap+1,   0x1.61669cf861e4bp+1,   0x1.5dc8a243ad0fep+1,
    0x1.5a5c08b718dd9p+1,   0x1.571b1a94ae41cp+1,   0x1.54011523a7e43p+1,   0x1.5109f53e9ac42p+1,
    0x1.4e3250dcd8903p+1,   0x1.4b7739d6b5a28p+1,   0x1.48d62759c43bdp+1,   0x1.464ce44a73a16p+1,
    0x1.43d9815545e94p+1,   0x1.417a49cb9e5dbp+1,   0x1.3f2dbaa60f475p+1,   0x1.3cf27b31704a6p+1,
    0x1.3ac7570ae88fap+1,   0x1.38ab39256410ap+1,   0x1.369d27a33a84p+1,    0x1.349c405ae12a3p+1,
    0x1.32a7b5e68a4a3p+1,   0x1.30becd256aeeep+1,   0x1.2ee0db1a978f5p+1,   0x1.2d0d43196db97p+1,
    0x1.2b437532a0a53p+1,   0x1.2982ecd770e78p+1,   0x1.27cb2faa8592ep+1,   0x1.261bcc77658ep+1,
    0x1.24745a4ac9c24p+1,   0x1.22d477a6fd3efp+1,   0x1.213bc9d04cc82p+1,   0x1.1fa9fc2e2d901p+1,
    0x1.1e1ebfbe4ae39p+1,   0x1.1c99ca971a695p+1,   0x1.1b1ad777f2f8fp+1,   0x1.19a1a564eebadp+1,
    0x1.182df74d21262p+1,   0x1.16bf93b9deef5p+1,   0x1.1556448602e3dp+1,   0x1.13f1d69c4096fp+1,
    0x1.129219bbb5d37p+1,   0x1.1136e04207043p+1,   0x1.0fdffefa69fb8p+1,   0x1.0e8d4cf116594p+1,
    0x1.0d3ea34aa3d32p+1,   0x1.0bf3dd1eed449p+1,   0x1.0aacd7571c0c5p+1,   0x1.0969708e8a255p+1,
    0x1.082988f632e18p+1,   0x1.06ed023a72669p+1,   0x1.05b3bf6adb37ep+1,   0x1.047da4e3ef5c7p+1,
    0x1.034a983a902abp+1,   0x1.021a8028fc947p+1,   0x1.00ed447d3a075p+1,   0x1.ff859c118f60bp+0,
    0x1.fd360d22fe785p+0,   0x1.faebb187122bfp+0,   0x1.f8a6604899782p+0,   0x1.f665f20c90168p+0,
    0x1.f42a40fb74d6dp+0,   0x1.f1f328ac25321p+0,   0x1.efc086101eca9p+0,   0x1.ed9237610a73ap+0,
    0x1.eb681c0f76f08p+0,   0x1.e94214b2abf09p+0,   0x1.e72002f97fe23p+0,   0x1.e501c99c1d186p+0,
    0x1.e2e74c4ea46f3p+0,   0x1.e0d06fb49d219p+0,   0x1.debd195522e34p+0,   0x1.dcad2f8fc490cp+0,
    0x1.daa0999206e6ep+0,   0x1.d8973f4d7fba4p+0,   0x1.d691096e7f123p+0,   0x1.d48de1533c647p+0,
    0x1.d28db1037ef2p+0,    0x1.d0906328b8f6ep+0,   0x1.ce95e3068e037p+0,   0x1.cc9e1c73bd69p+0,
    0x1.caa8fbd36a2abp+0,   0x1.c8b66e0eba617p+0,   0x1.c6c6608ec8705p+0,   0x1.c4d8c136e0d1dp+0,
    0x1.c2ed7e5f07a2dp+0,   0x1.c10486cec16ap+0,    0x1.bf1dc9b81ae82p+0,   0x1.bd3936b2ec0a2p+0,
    0x1.bb56bdb85256ep+0,   0x1.b9764f1e5f73dp+0,   0x1.b797db93f8928p+0,   0x1.b5bb541ce3d04p+0,
    0x1.b3e0aa0e00c01p+0,   0x1.b207cf09a985cp+0,   0x1.b030b4fc3a11bp+0,   0x1.ae5b4e18bb338p+0,
    0x1.ac878cd5af5cfp+0,   0x1.aab563e9ff10ap+0,   0x1.a8e4c64a0313fp+0,   0x1.a715a724aa9a7p+0,
    0x1.a547f9e0bbb8bp+0,   0x1.a37bb21a2c85ep+0,   0x1.a1b0c39f93696p+0,   0x1.9fe7226fad24dp+0,
    0x1.9e1ec2b6f7414p+0,   0x1.9c5798cd5d92ep+0,   0x1.9a919933f99c1p+0,   0x1.98ccb892e2a33p+0,
    0x1.9708ebb70d5efp+0,   0x1.954627903a28bp+0,   0x1.9384612ef0afep+0,   0x1.91c38dc288349p+0,
    0x1.9003a2973b591p+0,   0x1.8e44951446a28p+0,   0x1.8c865aba10c9dp+0,   0x1.8ac8e9205c044p+0,
    0x1.890c35f47f72ep+0,   0x1.875036f7a7ec7p+0,   0x1.8594e1fd1f5bep+0,   0x1.83da2ce899f16p+0,
    0x1.82200dac88677p+0,   0x1.80667a486ea1fp+0,   0x1.7ead68c73dee7p+0,   0x1.7cf4cf3db22fcp+0,
    0x1.7b3ca3c8b140ap+0,   0x1.7984dc8babd94p+0,   0x1.77cd6faeff44ap+0,   0x1.7616535e5732p+0,
    0x1.745f7dc70eeddp+0,   0x1.72a8e516914c7p+0,   0x1.70f27f78b68ecp+0,   0x1.6f3c43161f856p+0,
    0x1.6d8626128d354p+0,   0x1.6bd01e8b343bdp+0,   0x1.6a1a22950b2b3p+0,   0x1.6864283b13139p+0,
    0x1.66ae257c99674p+0,   0x1.64f8104b7260dp+0,   0x1.6341de8a2b0a4p+0,   0x1.618b860a31fc5p+0,
    0x1.5fd4fc89f5e39p+0,   0x1.5e1e37b2f8cd4p+0,   0x1.5c672d17d733fp+0,   0x1.5aafd23241b5ap+0,
    0x1.58f81c60e8515p+0,   0x1.574000e555f79p+0,   0x1.558774e1bb2c9p+0,   0x1.53ce6d56a665p+0,
    0x1.5214df20a8b5cp+0,   0x1.505abef5e5563p+0,   0x1.4ea001638a606p+0,   0x1.4ce49acb311ddp+0,
    0x1.4b287f602415ep+0,   0x1.496ba32488f3p+0,    0x1.47adf9e66c338p+0,   0x1.45ef773cac75ep+0,
    0x1.44300e83c30a6p+0,   0x1.426fb2da6745fp+0,   0x1.40ae571e09e76p+0,   0x1.3eebede725a85p+0,
    0x1.3d28698561de3p+0,   0x1.3b63bbfb83d06p+0,   0x1.399dd6fb2b267p+0,   0x1.37d6abe05586cp+0,
    0x1.360e2baca52d7p+0,   0x1.3444470265ea4p+0,   0x1.3278ee1f4b933p+0,   0x1.30ac10d6e48dap+0,
    0x1.2edd9e8cba99p+0,    0x1.2d0d862e1b855p+0,   0x1.2b3bb62b82edbp+0,   0x1.29681c719d71dp+0,
    0x1.2792a661dd381p+0,   0x1.25bb40ca96bfep+0,   0x1.23e1d7de9c322p+0,   0x1.2206572c4c6ecp+0,
    0x1.2028a9940a0a3p+0,   0x1.1e48b93e0d431p+0,   0x1.1c666f8f82acfp+0,   0x1.1a81b51ee6d8bp+0,
    0x1.189a71a78da37p+0,   0x1.16b08bfc4202p+0,    0x1.14c3e9f8e9143p+0,   0x1.12d4707310fc1p+0,
    0x1.10e20329515f1p+0,   0x1.0eec84b16086fp+0,   0x1.0cf3d664bcc83p+0,   0x1.0af7d84bc6116p+0,
    0x1.08f869071f40fp+0,   0x1.06f565b72a014p+0,   0x1.04eea9e16a5ffp+0,   0x1.02e40f5398f9dp+0,
    0x1.00d56e04234eep+0,   0x1.fd8537dfa2eb1p-1,   0x1.f956d9e87d7b2p-1,   0x1.f51f654d8f68cp-1,
    0x1.f0de784f0622ap-1,   0x1.ec93abdf982d2p-1,   0x1.e83e9337a6f04p-1,   0x1.e3debb5d2ee02p-1,
    0x1.df73aa9f17656p-1,   0x1.dafce0023b8c8p-1,   0x1.d679d29e41f14p-1,   0x1.d1e9f0e80b74bp-1,
    0x1.cd4c9fe72268fp-1,   0x1.c8a13a5323b66p-1,   0x1.c3e70f9594ef8p-1,   0x1.bf1d62abf8239p-1,
    0x1.ba4368e529f4p-1,    0x1.b558487427a2fp-1,   0x1.b05b16d136ca2p-1,   0x1.ab4ad6e101636p-1,
    0x1.a62676d77cd5fp-1,   0x1.a0eccdca4a731p-1,   0x1.9b9c98e38c54dp-1,   0x1.96347822c1efp-1,
    0x1.90b2ea94ecf9ep-1,   0x1.8b1649e7b769fp-1,   0x1.855cc53430a7dp-1,   0x1.7f845ad46f549p-1,
    0x1.798ad10b32a7ep-1,   0x1.736dad346f8adp-1,   0x1.6d2a292000576p-1,   0x1.66bd261a37c44p-1,
    0x1.60231cfd97ef1p-1,   0x1.59580a707ce9cp-1,   0x1.52575621ad379p-1,   0x1.4b1bb363dfeadp-1,
    0x1.439ef8dff9b5ap-1,   0x1.3bd9ec1a2b134p-1,   0x1.33c3fc05791fap-1,   0x1.2b52e3863d885p-1,
    0x1.227a28f7a1afap-1,   0x1.192a69741367dp-1,   0x1.0f5053b025d4ap-1,   0x1.04d32278ebbb4p-1,
    0x1.f32482d4cd5dp-2,    0x1.dac2f5a747281p-2,   0x1.c004d2f386207p-2,   0x1.a230c2e4cd0cbp-2,
    0x1.801fce82fa71ap-2,   0x1.57cb938443b71p-2,   0x1.250af3c2c5bc6p-2,   0x1.b8d0be3fdf702p-3,
    0x0p+0,
};
static const double zig_f[IL_ZIG_LAYERS + 1] = {
    0x1.f4a946f13842fp-12,  0x1.4a605b6b9f70dp-10,  0x1.55f9f43c1b07p-9,    0x1.08a1f03b0b205p-8,
    0x1.69ea8d90cb864p-8,   0x1.ce160f8ec683cp-8,   0x1.1a59229952f95p-7,   0x1.4eb96421acfe7p-7,
    0x1.841040d8da47ep-7,   0x1.ba48d274f8fb3p-7,   0x1.f152a4f72dd53p-7,   0x1.149033460301ap-6,
    0x1.30d388dab5e1ap-6,   0x1.4d6eaf2fbb067p-6,   0x1.6a5daf40bbf87p-6,   0x1.879d1b600c10bp-6,
    0x1.a529f4e22ebf4p-6,   0x1.c301983cd0912p-6,   0x1.e121adb828c69p-6,   0x1.ff881d718a5b5p-6,
    0x1.0f1982e968009p-5,   0x1.1e9059f1f6ab6p-5,   0x1.2e27ce83df495p-5,   0x1.3ddf2ce98eec7p-5,
    0x1.4db5d0e11275cp-5,   0x1.5dab23cf2add1p-5,   0x1.6dbe9b398d062p-5,   0x1.7defb77af271cp-5,
    0x1.8e3e02a68b5a9p-5,   0x1.9ea90f9295561p-5,   0x1.af30790385f6fp-5,   0x1.bfd3e0f282a2cp-5,
    0x1.d092efeadf162p-5,   0x1.e16d547b25185p-5,   0x1.f262c2b6c6e33p-5,   0x1.01b979e30e496p-4,
    0x1.0a4ed2c159622p-4,   0x1.12f14d0f2179dp-4,   0x1.1ba0cbe97897ep-4,   0x1.245d344dd0d8fp-4,
    0x1.2d266cf9b310dp-4,   0x1.35fc5e4d93e69p-4,   0x1.3edef23269a81p-4,   0x1.47ce1401b2212p-4,
    0x1.50c9b06fa2babp-4,   0x1.59d1b5774669dp-4,   0x1.62e6124854d1p-4,    0x1.6c06b73694a46p-4,
    0x1.753395aaa116dp-4,   0x1.7e6ca013eefccp-4,   0x1.87b1c9dbf2846p-4,   0x1.9103075a4a09fp-4,
    0x1.9a604dc9d5b0bp-4,   0x1.a3c9933ea627bp-4,   0x1.ad3ece9caf627p-4,   0x1.b6bff78f2e228p-4,
    0x1.c04d0680b100ap-4,   0x1.c9e5f493b7404p-4,   0x1.d38abb9bd91dcp-4,   0x1.dd3b56176e88bp-4,
    0x1.e6f7bf29aa546p-4,   0x1.f0bff29520e16p-4,   0x1.fa93ecb6b222bp-4,   0x1.0239d54067d29p-3,
    0x1.072f94bb8bf84p-3,   0x1.0c2b33d5209b9p-3,   0x1.112cb1da26eb8p-3,   0x1.16340e5a82d62p-3,
    0x1.1b41492757d42p-3,   0x1.2054625183c34p-3,   0x1.256d5a2835eb6p-3,   0x1.2a8c3137a071bp-3,
    0x1.2fb0e847c2a65p-3,   0x1.34db805b4ab89p-3,   0x1.3a0bfaae8d7eep-3,   0x1.3f4258b6931afp-3,
    0x1.447e9c20375d6p-3,   0x1.49c0c6cf5ce3p-3,    0x1.4f08dade31fc6p-3,   0x1.5456da9c8683bp-3,
    0x1.59aac88f31d74p-3,   0x1.5f04a76f884p-3,     0x1.64647a2adf1a4p-3,   0x1.69ca43e21f261p-3,
    0x1.6f3607e964719p-3,   0x1.74a7c9c7ab5a8p-3,   0x1.7a1f8d368a323p-3,   0x1.7f9d5621f7174p-3,
    0x1.852128a819a38p-3,   0x1.8aab09192815ap-3,   0x1.903afbf74fa68p-3,   0x1.95d105f6a7c27p-3,
    0x1.9b6d2bfd2fe5ap-3,   0x1.a10f7322d7e3cp-3,   0x1.a6b7e0b19267cp-3,   0x1.ac667a2571805p-3,
    0x1.b21b452ccd13ap-3,   0x1.b7d647a8731abp-3,   0x1.bd9787abe18a2p-3,   0x1.c35f0b7d89d46p-3,
    0x1.c92cd9971df52p-3,   0x1.cf00f8a5e6fcap-3,   0x1.d4db6f8b2514cp-3,   0x1.dabc455c79006p-3,
    0x1.e0a3816457181p-3,   0x1.e6912b2283cd9p-3,   0x1.ec854a4c99c3ep-3,   0x1.f27fe6ce998ccp-3,
    0x1.f88108cb8322fp-3,   0x1.fe88b89df93bcp-3,   0x1.024b7f6c7747ap-2,   0x1.0555f2242e9d4p-2,
    0x1.0863b8f904331p-2,   0x1.0b74d88b242d4p-2,   0x1.0e895598709bdp-2,   0x1.11a134fcf241dp-2,
    0x1.14bc7bb34ee63p-2,   0x1.17db2ed5454e5p-2,   0x1.1afd539c2f04cp-2,   0x1.1e22ef6188113p-2,
    0x1.214c079f7cc9cp-2,   0x1.2478a1f17de86p-2,   0x1.27a8c414db11bp-2,   0x1.2adc73e963fdap-2,
    0x1.2e13b77210764p-2,   0x1.314e94d5af62dp-2,   0x1.348d125f9d19cp-2,   0x1.37cf368081376p-2,
    0x1.3b1507cf143acp-2,   0x1.3e5e8d08ed2d8p-2,   0x1.41abcd1357a18p-2,   0x1.44fccefc324fcp-2,
    0x1.485199fad6ad4p-2,   0x1.4baa357109ca2p-2,   0x1.4f06a8ebf6d91p-2,   0x1.5266fc2533beap-2,
    0x1.55cb3703d00fdp-2,   0x1.5933619d6eebcp-2,   0x1.5c9f84376c241p-2,   0x1.600fa7480d2c6p-2,
    0x1.6383d377be513p-2,   0x1.66fc11a25cbdfp-2,   0x1.6a786ad88de1ep-2,   0x1.6df8e86124ca6p-2,
    0x1.717d93ba96148p-2,   0x1.7506769c7b1e8p-2,   0x1.78939af9252e6p-2,   0x1.7c250aff414acp-2,
    0x1.7fbad11b8d90dp-2,   0x1.8354f7faa0dd5p-2,   0x1.86f38a8ac5ab2p-2,   0x1.8a9693fde9185p-2,
    0x1.8e3e1fcb9f113p-2,   0x1.91ea39b33cb13p-2,   0x1.959aedbe09f8fp-2,   0x1.995048418c0c3p-2,
    0x1.9d0a55e1e93dcp-2,   0x1.a0c923946843bp-2,   0x1.a48cbea20c04bp-2,   0x1.a85534aa4d87dp-2,
    0x1.ac2293a5f5a9ap-2,   0x1.aff4e9ea1855p-2,    0x1.b3cc462b331c8p-2,   0x1.b7a8b78071319p-2,
    0x1.bb8a4d6716d8fp-2,   0x1.bf7117c616a14p-2,   0x1.c35d26f1d2cb5p-2,   0x1.c74e8bb00d7c3p-2,
    0x1.cb45573c0a843p-2,   0x1.cf419b4ae5b69p-2,   0x1.d3436a102107bp-2,   0x1.d74ad6426de2dp-2,
    0x1.db57f320b56abp-2,   0x1.df6ad47763a03p-2,   0x1.e3838ea5f9b7ep-2,   0x1.e7a236a4ec3bfp-2,
    0x1.ebc6e20bd1f4fp-2,   0x1.eff1a717e8f8ep-2,   0x1.f4229cb2f7aecp-2,   0x1.f859da7a900c4p-2,
    0x1.fc9778c7bbd9bp-2,   0x1.006dc85b8cac2p-1,   0x1.02931e18b8228p-1,   0x1.04bbcafa63f2bp-1,
    0x1.06e7dccf03c33p-1,   0x1.091761d995d7dp-1,   0x1.0b4a68d70d9abp-1,   0x1.0d8101041429cp-1,
    0x1.0fbb3a232590fp-1,   0x1.11f9248311f34p-1,   0x1.143ad105ea998p-1,   0x1.16805128639d6p-1,
    0x1.18c9b709b3c4dp-1,   0x1.1b171573fd10ep-1,   0x1.1d687fe549966p-1,   0x1.1fbe0a992961dp-1,
    0x1.2217ca92ff7eep-1,   0x1.2475d5a90db8p-1,    0x1.26d84290504e9p-1,   0x1.293f28e93cd11p-1,
    0x1.2baaa14d79545p-1,   0x1.2e1ac55ea3beap-1,   0x1.308fafd6438ebp-1,   0x1.33097c9703a32p-1,
    0x1.358848bf550e6p-1,   0x1.380c32bda00d2p-1,   0x1.3a955a662cd0bp-1,   0x1.3d23e10af31a1p-1,
    0x1.3fb7e99585b7fp-1,   0x1.425198a355fep-1,    0x1.44f114a493676p-1,   0x1.479685fdf500fp-1,
    0x1.4a42172dc5276p-1,   0x1.4cf3f4f494ebep-1,   0x1.4fac4e820b665p-1,   0x1.526b55a656cd3p-1,
    0x1.55313f08d9e44p-1,   0x1.57fe4264c8d8cp-1,   0x1.5ad29acc85c85p-1,   0x1.5dae86f4aff66p-1,
    0x1.6092498802661p-1,   0x1.637e298550c15p-1,   0x1.667272a92e32p-1,    0x1.696f75e513b26p-1,
    0x1.6c7589e635a86p-1,   0x1.6f850baea7aebp-1,   0x1.729e5f43f6d0ep-1,   0x1.75c1f0770d852p-1,
    0x1.78f033ca0b0d2p-1,   0x1.7c29a779c6855p-1,   0x1.7f6ed4b20e2c8p-1,   0x1.82c050f56cf6bp-1,
    0x1.861ebfc37bca8p-1,   0x1.898ad48badefep-1,   0x1.8d0554fe60aa4p-1,   0x1.908f1bd31714bp-1,
    0x1.94291c21b7a43p-1,   0x1.97d4657617abep-1,   0x1.9b9228d24067ep-1,   0x1.9f63bee651fd5p-1,
    0x1.a34aafdf5af0cp-1,   0x1.a748bd550c9dep-1,   0x1.ab5fef17a2502p-1,   0x1.af92a3f6ce8ap-1,
    0x1.b3e3a8234dd0ep-1,   0x1.b85653a8ff54fp-1,   0x1.bceeb4ee1dc7fp-1,   0x1.c1b1cd9eebae7p-1,
    0x1.c6a5ecea9787cp-1,   0x1.cbd33a8a72de8p-1,   0x1.d144978a119d9p-1,   0x1.d70920657bcefp-1,
    0x1.dd36fa704de92p-1,   0x1.e3f11e027f074p-1,   0x1.eb7545b6ca912p-1,   0x1.f446ac979f084p-1,
    0x1p+0,
};

/* The ziggurat reads its random bits from a source: the generator itself (il_rng_normal) or a lane-filled
 * reader (il_rng_fill_normal). Both consume the same outputs in the same order. */
typedef struct {
    il_rng *r;    /* direct, or NULL */
    reader *rd;   /* buffered */
} zsrc;

static inline uint64_t zs_u64(zsrc *z)
{
    return z->rd ? rd_u64(z->rd) : il_rng_u64(z->r);
}

/* il_rng_uniform and il_rng_uniform_pos from a source. */
static inline double zs_uniform(zsrc *z)
{
    return (double)(zs_u64(z) >> 11) * 0x1.0p-53;
}

static inline double zs_uniform_pos(zsrc *z)
{
    return ((double)(zs_u64(z) >> 12) + 0.5) * 0x1.0p-52;
}

/* The slow path of one ziggurat draw (1.5% of attempts): x = |candidate| in layer i fell outside
 * the layer's inner rectangle. Returns 1 with the accepted magnitude in *x, or 0 to reject. */
__attribute__((noinline)) static int zig_edge(zsrc *z, unsigned i, double *x)
{
    if (i == 0) {
        const double r0 = zig_x[1];
        double a, b;
        do {
            a = -log(zs_uniform_pos(z)) / r0;
            b = -log(zs_uniform_pos(z));
        } while (b + b <= a * a);
        *x = r0 + a;
        return 1;
    }
    double y = zig_f[i] + zs_uniform(z) * (zig_f[i + 1] - zig_f[i]);
    return y < exp(-0.5 * *x * *x);
}

/* Returns x with its sign bit set when bit 8 of u is set (branch-free; x >= 0). */
static inline double zig_signed(double x, uint64_t u)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    b |= (u & 0x100u) << 55;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* One standard normal deviate; shared by il_rng_normal and il_rng_fill_normal so that both
 * produce the same sequence. */
static inline double zig_normal(zsrc *z)
{
    for (;;) {
        uint64_t u = zs_u64(z);
        unsigned i = (unsigned)(u & (IL_ZIG_LAYERS - 1));
        double x = (double)(u >> 11) * 0x1.0p-53 * zig_x[i];
        if (x < zig_x[i + 1] || zig_edge(z, i, &x))
            return zig_signed(x, u);
    }
}

double il_rng_normal(il_rng *r)
{
    zsrc z = {r, NULL};
    return zig_normal(&z);
}

/* ---- bulk fills ---------------------------------------------------------------------------------
 * Each fill is exactly the sequence of scalar draws written next to it, so fill(n) followed by
 * fill(m) equals fill(n + m), and the generator ends where the scalar loop would leave it. */

/* Outputs are produced four lanes at a time into a block of this many, then converted. */
#define IL_FILL_BLOCK 256

/* x[i] = a + (b - a) * il_rng_uniform(r), one u64 each. Where rounding makes that exactly b (u
 * close to 1 and b - a coarse next to the spacing of doubles near b), the largest double below b
 * is stored instead, keeping the documented half-open range [a, b). */
void il_rng_fill_uniform(il_rng *r, double *x, size_t n, double a, double b)
{
    const double w = b - a, below_b = nextafter(b, a);
    size_t done = 0;
#ifdef IL_RNG_AVX512
    if (n >= IL_AVX512_MIN && have_avx512())
        done = fill_uniform_avx512(r, x, n, a, w, b, below_b);
    x += done;
    n -= done;
#endif
    uint64_t u[IL_FILL_BLOCK];
    for (size_t i0 = 0; i0 < n; i0 += IL_FILL_BLOCK) {
        size_t m = n - i0 < IL_FILL_BLOCK ? n - i0 : IL_FILL_BLOCK;
        double *xb = x + i0;
        il_rng_fill_u64(r, u, m);
        for (size_t i = 0; i < m; i++) {
            double y = a + w * ((double)(u[i] >> 11) * 0x1.0p-53);
            xb[i] = y < b ? y : below_b;
        }
    }
}

/* x[i] = mean + sd * il_rng_normal(r), evaluated as written (the build uses -ffp-contract=off). The loop
 * is zig_normal unrolled over a buffer of outputs: the fast path inline, a rejection simply moving on to the
 * next output as zig_normal's retry does, the slow path reading from the same buffer. */
void il_rng_fill_normal(il_rng *r, double *x, size_t n, double mean, double sd)
{
    if (n < 16) { /* too few to pay for a buffer */
        zsrc z = {r, NULL};
        for (size_t i = 0; i < n; i++)
            x[i] = mean + sd * zig_normal(&z);
        return;
    }
    reader rd;
    rd_init(&rd, r);
    zsrc z = {r, &rd};
    size_t i = 0;
    while (i < n) {
        if (rd.pos == rd.len)
            rd_refill(&rd, (n - i) + (n - i) / 32 + 4); /* 1.022 outputs per deviate on average */
        size_t pos = rd.pos;
        const size_t len = rd.len;
        uint64_t u = 0;
        unsigned k = 0;
        double v = 0.0;
        int slow = 0;
        while (i < n && pos < len) {
            u = rd.buf[pos++];
            k = (unsigned)(u & (IL_ZIG_LAYERS - 1));
            v = (double)(u >> 11) * 0x1.0p-53 * zig_x[k];
            if (v >= zig_x[k + 1]) {
                slow = 1;
                break;
            }
            x[i++] = mean + sd * zig_signed(v, u);
        }
        rd.pos = pos;
        if (slow && zig_edge(&z, k, &v)) /* reads on from the buffer; a rejection retries with the next output */
            x[i++] = mean + sd * zig_signed(v, u);
    }
    rd_finish(&rd);
}

/* One u64 per element: x[i] = value if (u >> 11) < ceil(keep * 2^53), else 0; that is exactly
 * x[i] = il_rng_uniform(r) < keep ? value : 0. keep <= 0 (or NaN) gives all zeros and keep >= 1
 * all value, still consuming n steps. For keep in [0, 1] the probability is ceil(keep 2^53) / 2^53,
 * within 2^-53 of keep. */
void il_rng_fill_bernoulli(il_rng *r, double *x, size_t n, double keep, double value)
{
    uint64_t thr;
    if (!(keep > 0.0))
        thr = 0;
    else if (keep >= 1.0)
        thr = (uint64_t)1 << 53;
    else
        thr = (uint64_t)ceil(keep * 0x1.0p53);
    uint64_t vbits;
    memcpy(&vbits, &value, sizeof vbits);
#ifdef IL_RNG_AVX512
    if (n >= IL_AVX512_MIN && have_avx512()) {
        size_t done = fill_bernoulli_avx512(r, x, n, thr, vbits);
        x += done;
        n -= done;
    }
#endif
    uint64_t u[IL_FILL_BLOCK];
    for (size_t i0 = 0; i0 < n; i0 += IL_FILL_BLOCK) {
        size_t m = n - i0 < IL_FILL_BLOCK ? n - i0 : IL_FILL_BLOCK;
        il_rng_fill_u64(r, u, m);
        for (size_t i = 0; i < m; i++) {
            /* Branch-free select (a branch on a random bit mispredicts half the time). */
            uint64_t bits = vbits & -(uint64_t)((u[i] >> 11) < thr);
            memcpy(&x[i0 + i], &bits, sizeof bits);
        }
    }
}

/* One u64 per element (not 64 elements per u64, so fills concatenate like the others): x[i] = -1
 * if the top bit of il_rng_u64(r) is set, else +1. */
void il_rng_fill_rademacher(il_rng *r, double *x, size_t n)
{
    const double one = 1.0;
    uint64_t obits;
    memcpy(&obits, &one, sizeof obits);
#ifdef IL_RNG_AVX512
    if (n >= IL_AVX512_MIN && have_avx512()) {
        size_t done = fill_rademacher_avx512(r, x, n);
        x += done;
        n -= done;
    }
#endif
    uint64_t u[IL_FILL_BLOCK];
    for (size_t i0 = 0; i0 < n; i0 += IL_FILL_BLOCK) {
        size_t m = n - i0 < IL_FILL_BLOCK ? n - i0 : IL_FILL_BLOCK;
        il_rng_fill_u64(r, u, m);
        for (size_t i = 0; i < m; i++) {
            uint64_t bits = obits | (u[i] >> 63 << 63); /* copy the top bit into the sign */
            memcpy(&x[i0 + i], &bits, sizeof bits);
        }
    }
}

/* ---- gsl_rng_type adapter ---------------------------------------------------------------------- */

static void gsl_pcg64_set(void *state, unsigned long seed)
{
    il_rng_seed(state, (uint64_t)seed, 0);
}

static unsigned long gsl_pcg64_get(void *state)
{
    return (unsigned long)(il_rng_u64(state) >> 32);
}

static double gsl_pcg64_get_double(void *state)
{
    return il_rng_uniform(state);
}

static const gsl_rng_type pcg64_type = {
    "pcg64",        /* name */
    0xffffffffUL,   /* max */
    0UL,            /* min */
    sizeof(il_rng), /* size: gsl_rng_alloc's calloc is aligned for the 128-bit fields */
    gsl_pcg64_set,
    gsl_pcg64_get,
    gsl_pcg64_get_double,
};

const gsl_rng_type *il_gsl_rng_pcg64 = &pcg64_type;

/* A gsl_rng of another type is left untouched (its state is not an il_rng). */
void il_gsl_rng_seed_stream(gsl_rng *g, uint64_t seed, uint64_t stream)
{
    if (g->type != &pcg64_type)
        return;
    il_rng_seed(g->state, seed, stream);
}

/* SplitMix64's finalizer (Steele, Lea, Flood 2014): a bijection of 64-bit words with good avalanche. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void il_rng_seed_draw(il_rng *r, uint64_t seed, uint64_t draw)
{
    /* for a fixed seed, draw -> selector is a bijection, so distinct draws get distinct streams */
    uint64_t selector = mix64(draw ^ mix64(seed ^ 0x6a09e667f3bcc909ULL));
    uint64_t state = mix64(seed + 0x9e3779b97f4a7c15ULL * (draw + 1));
    il_rng_seed(r, state, selector);
}
