/* rng.h: the PCG family of generators (O'Neill 2014), caller-owned and keyed by (seed, stream).
 *
 * il_rng is PCG64 (pcg-cpp's `pcg64` = setseq_xsl_rr_128_64): 128-bit LCG state, a per-stream odd
 * increment, XSL-RR output of 64 bits per step. il_rng32 is PCG32 (pcg-cpp's `pcg32` =
 * setseq_xsh_rr_64_32). Both reproduce the reference C++ implementation bit for bit (tests/test_rng.c).
 *
 * Streams: two generators with the same seed and different streams are independent sequences.
 * Monte Carlo draw i uses stream i, so results never depend on how draws are spread over threads.
 * Nothing here is global: every function takes the generator it advances. */
#ifndef IL_RNG_H
#define IL_RNG_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>

typedef unsigned __int128 il_u128;

typedef struct {
    il_u128 state;
    il_u128 inc; /* odd */
} il_rng;

typedef struct {
    uint64_t state;
    uint64_t inc; /* odd */
} il_rng32;

#define IL_PCG64_MULT ((((il_u128)2549297995355413924ULL) << 64) | (il_u128)4865540595714422341ULL)
#define IL_PCG32_MULT 6364136223846793005ULL

/* il_rng_seed: seeds *r exactly as pcg-cpp's pcg64(seed, stream) with 64-bit arguments. */
void il_rng_seed(il_rng *r, uint64_t seed, uint64_t stream);

/* il_rng_seed_draw: the generator of Monte Carlo draw number `draw` under `seed`: a PCG64 stream
 * whose selector and starting state are SplitMix64 hashes of (seed, draw), distinct for distinct
 * draws. Use this, not il_rng_seed(seed, draw), for many parallel streams: with one seed and
 * consecutive stream numbers the PCG states are affine in the stream number, and the values at one
 * position of many streams are then measurably correlated (tests/test_rng.c shows it). */
void il_rng_seed_draw(il_rng *r, uint64_t seed, uint64_t draw);

/* il_rng_advance: jumps ahead by delta steps in O(log delta) (delta may be any 128-bit value;
 * advancing by 2^128 - k goes back k steps). */
void il_rng_advance(il_rng *r, il_u128 delta);

/* il_rng_u64: next 64 random bits (state advanced first, output from the new state, as pcg64). */
static inline uint64_t il_rng_u64(il_rng *r)
{
    r->state = r->state * IL_PCG64_MULT + r->inc;
    uint64_t x = (uint64_t)(r->state >> 64) ^ (uint64_t)r->state;
    unsigned rot = (unsigned)(r->state >> 122);
    return (x >> rot) | (x << ((-rot) & 63u));
}

/* il_rng_uniform: a double uniform on [0, 1) with 53 random bits. */
static inline double il_rng_uniform(il_rng *r)
{
    return (double)(il_rng_u64(r) >> 11) * 0x1.0p-53;
}

/* il_rng_uniform_pos: a double uniform on (0, 1): (k + 0.5) / 2^52 for the top 52 bits k, computed
 * exactly, so the result lies in [2^-53, 1 - 2^-53]. (With 53 bits, k + 0.5 is not representable
 * for k >= 2^52 and k = 2^53 - 1 rounds to exactly 1.0.) */
static inline double il_rng_uniform_pos(il_rng *r)
{
    return ((double)(il_rng_u64(r) >> 12) + 0.5) * 0x1.0p-52;
}

/* il_rng_normal: one standard normal deviate. */
double il_rng_normal(il_rng *r);

/* il_rng_fill_u64: u[i] = the next n outputs of il_rng_u64(r), in order (n may be 0); r ends as after n
 * calls. Computed four positions at a time (the same values, faster than n calls). */
void il_rng_fill_u64(il_rng *r, uint64_t *u, size_t n);

/* Bulk fills. x has n elements (n may be 0). Each consumes a deterministic number of steps that
 * depends only on the values drawn, never on memory alignment or thread count.
 * il_rng_fill_uniform: x[i] ~ U[a, b) (requires a < b).
 * il_rng_fill_normal:  x[i] ~ N(mean, sd^2) (requires sd >= 0).
 * il_rng_fill_bernoulli: x[i] = value with probability keep, 0 otherwise (keep in [0, 1]);
 *   used for dropout masks, e.g. keep = 1-p and value = 1/(1-p) for inverted dropout.
 * il_rng_fill_rademacher: x[i] = +1 or -1 with probability 1/2 each. */
void il_rng_fill_uniform(il_rng *r, double *x, size_t n, double a, double b);
void il_rng_fill_normal(il_rng *r, double *x, size_t n, double mean, double sd);
void il_rng_fill_bernoulli(il_rng *r, double *x, size_t n, double keep, double value);
void il_rng_fill_rademacher(il_rng *r, double *x, size_t n);

/* PCG32: seeding as pcg-cpp's pcg32(seed, stream); output from the previous state, as pcg32. */
void il_rng32_seed(il_rng32 *r, uint64_t seed, uint64_t stream);
void il_rng32_advance(il_rng32 *r, uint64_t delta);
static inline uint32_t il_rng32_u32(il_rng32 *r)
{
    uint64_t old = r->state;
    r->state = old * IL_PCG32_MULT + r->inc;
    uint32_t x = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    unsigned rot = (unsigned)(old >> 59u);
    return (x >> rot) | (x << ((-rot) & 31u));
}

/* il_gsl_rng_pcg64: a gsl_rng_type wrapping il_rng so every gsl_ran_* distribution can use it.
 * gsl_rng_alloc(il_gsl_rng_pcg64) works; gsl_rng_set(g, s) seeds it as il_rng_seed(s, 0);
 * il_gsl_rng_seed_stream(g, seed, stream) chooses a stream. get() returns 32-bit values
 * (max 0xffffffff, the high half of a 64-bit output); get_double() uses all 53 bits. */
extern const gsl_rng_type *il_gsl_rng_pcg64;
void il_gsl_rng_seed_stream(gsl_rng *g, uint64_t seed, uint64_t stream);

#endif
