/* ks.c: the two-sample Kolmogorov-Smirnov statistic and its p-value (see ks.h). */
#include "ks.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#define KS_PI 3.14159265358979323846264338327950288
#define KS_SQRT_2PI 2.50662827463100050241576528481104525

/* Below this lambda Jacobi's form is used; at and above it the alternating series. At 1 both need
 * at most 6 terms for full double precision. */
#define KS_SWITCH 1.0
/* P(K <= lambda) < 1e-300 for lambda below this (the first term is exp(-pi^2 / (8 l^2))). */
#define KS_TINY 0.04
#define KS_MAX_TERMS 100

double il_ks_q(double lambda)
{
    if (isnan(lambda))
        return NAN;
    if (lambda <= KS_TINY)
        return 1.0;
    if (lambda < KS_SWITCH) {
        /* P(K <= l) = sqrt(2 pi)/l sum_{k>=1} exp(-(2k-1)^2 pi^2 / (8 l^2)): positive terms. */
        double s = 0.0, c = -KS_PI * KS_PI / (8.0 * lambda * lambda);
        for (int k = 1; k <= KS_MAX_TERMS; k++) {
            double j = 2.0 * k - 1.0;
            double t = exp(c * j * j);
            s += t;
            if (t <= 1e-17 * s)
                break;
        }
        double cdf = KS_SQRT_2PI / lambda * s;
        return cdf >= 1.0 ? 0.0 : 1.0 - cdf;
    }
    /* Q(l) = 2 sum (-1)^(k-1) exp(-2 k^2 l^2): alternating, decreasing terms; stop when a term no
     * longer changes the sum. */
    double s = 0.0, c = -2.0 * lambda * lambda;
    for (int k = 1; k <= KS_MAX_TERMS; k++) {
        double t = exp(c * (double)k * (double)k);
        s += (k & 1) ? t : -t;
        if (t <= 1e-17 * s || t == 0.0)
            break;
    }
    s *= 2.0;
    return s < 0.0 ? 0.0 : (s > 1.0 ? 1.0 : s);
}

double il_ks_q_inv(double a)
{
    if (!(a > 0.0 && a < 1.0))
        return NAN;
    double lo = 0.0, hi = 40.0; /* Q(40) = 0 in doubles */
    for (int i = 0; i < 200 && hi - lo > 0.0; i++) {
        double mid = 0.5 * (lo + hi);
        if (mid == lo || mid == hi)
            break;
        if (il_ks_q(mid) > a)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

static double stephens_factor(size_t n1, size_t n2)
{
    double ne = (double)n1 * (double)n2 / ((double)n1 + (double)n2);
    double s = sqrt(ne);
    return s + 0.12 + 0.11 / s;
}

double il_ks_lambda(double d, size_t n1, size_t n2)
{
    if (n1 == 0 || n2 == 0)
        return NAN;
    return stephens_factor(n1, n2) * d;
}

double il_ks_pvalue(double d, size_t n1, size_t n2)
{
    return il_ks_q(il_ks_lambda(d, n1, n2));
}

double il_ks_detectable(size_t n1, size_t n2, double alpha, double beta)
{
    if (n1 == 0 || n2 == 0 || !(alpha > 0.0 && alpha < 1.0) || !(beta > 0.0 && beta < 1.0))
        return NAN;
    return (il_ks_q_inv(alpha) + 0.5 * gsl_cdf_ugaussian_Qinv(beta)) / stephens_factor(n1, n2);
}

double il_ks_power(double effect, size_t n1, size_t n2, double alpha)
{
    if (n1 == 0 || n2 == 0 || !(alpha > 0.0 && alpha < 1.0) || !(effect >= 0.0))
        return NAN;
    return gsl_cdf_ugaussian_P(2.0 * (stephens_factor(n1, n2) * effect - il_ks_q_inv(alpha)));
}

uint64_t il_ks_key(double x)
{
    uint64_t u;
    x += 0.0; /* -0.0 + 0.0 = +0.0 under round-to-nearest: one key for both zeros */
    memcpy(&u, &x, sizeof u);
    return (u >> 63) ? ~u : (u | 0x8000000000000000ULL);
}

double il_ks_unkey(uint64_t k)
{
    uint64_t u = (k >> 63) ? (k & 0x7fffffffffffffffULL) : ~k;
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

void il_ks_sort_keys(uint64_t *k, size_t n, uint64_t *scratch)
{
    if (n < 2)
        return;
    uint64_t *src = k, *dst = scratch;
    for (unsigned shift = 0; shift < 64; shift += 8) {
        size_t count[256] = {0};
        for (size_t i = 0; i < n; i++)
            count[(src[i] >> shift) & 0xff]++;
        if (count[(src[0] >> shift) & 0xff] == n)
            continue; /* every key has this byte: the pass would not move anything */
        size_t pos = 0;
        for (int b = 0; b < 256; b++) {
            size_t c = count[b];
            count[b] = pos;
            pos += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[count[(src[i] >> shift) & 0xff]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != k)
        memcpy(k, src, n * sizeof *k);
}

double il_ks_stat_keys(const uint64_t *a, size_t n1, const uint64_t *b, size_t n2)
{
    size_t i = 0, j = 0;
    unsigned __int128 best = 0; /* max |i n2 - j n1|, exact in integers */
    while (i < n1 && j < n2) {
        uint64_t v = a[i] < b[j] ? a[i] : b[j];
        while (i < n1 && a[i] == v)
            i++;
        while (j < n2 && b[j] == v)
            j++;
        /* |i/n1 - j/n2| = |i n2 - j n1| / (n1 n2), computed exactly */
        unsigned __int128 x = (unsigned __int128)i * n2, y = (unsigned __int128)j * n1;
        unsigned __int128 d = x > y ? x - y : y - x;
        if (d > best)
            best = d;
    }
    /* Once one sample is exhausted the difference only shrinks towards 0. */
    return (double)best / ((double)n1 * (double)n2);
}

il_status il_ks_two_sample(const double *x, size_t n1, const double *y, size_t n2, il_ks_result *out)
{
    if (!x || !y || !out || n1 == 0 || n2 == 0)
        return IL_EINVAL;
    for (size_t i = 0; i < n1; i++)
        if (isnan(x[i]))
            return IL_EINVAL;
    for (size_t i = 0; i < n2; i++)
        if (isnan(y[i]))
            return IL_EINVAL;
    size_t nmax = n1 > n2 ? n1 : n2;
    uint64_t *ka = malloc(n1 * sizeof *ka), *kb = malloc(n2 * sizeof *kb), *scr = malloc(nmax * sizeof *scr);
    il_status rc = IL_ENOMEM;
    if (!ka || !kb || !scr)
        goto done;
    for (size_t i = 0; i < n1; i++)
        ka[i] = il_ks_key(x[i]);
    for (size_t i = 0; i < n2; i++)
        kb[i] = il_ks_key(y[i]);
    il_ks_sort_keys(ka, n1, scr);
    il_ks_sort_keys(kb, n2, scr);
    out->n1 = n1;
    out->n2 = n2;
    out->d = il_ks_stat_keys(ka, n1, kb, n2);
    out->lambda = il_ks_lambda(out->d, n1, n2);
    out->p = il_ks_q(out->lambda);
    rc = IL_OK;
done:
    free(scr);
    free(kb);
    free(ka);
    return rc;
}
