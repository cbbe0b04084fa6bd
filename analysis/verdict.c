/* verdict.c: the rule documented in verdict.h. */
#include "verdict.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>

const char *il_verdict_name(il_verdict v)
{
    switch (v) {
    case IL_VERDICT_CONSISTENT: return "consistent";
    case IL_VERDICT_REFUTED: return "refuted";
    case IL_VERDICT_INCONCLUSIVE: return "inconclusive";
    }
    return "unknown";
}

void il_verdict_opts_default(il_verdict_opts *o)
{
    o->alpha = IL_VERDICT_ALPHA;
    o->rel_tol = IL_VERDICT_REL_TOL;
    o->abs_tol = IL_VERDICT_ABS_TOL;
    o->beta = IL_VERDICT_BETA;
    o->exact_ulps = IL_VERDICT_EXACT_ULPS;
    o->ref = IL_VERDICT_REF_STUDENT;
}

il_status il_verdict_opts_check(const il_verdict_opts *o)
{
    if (!o)
        return IL_EINVAL;
    if (!(o->alpha > 0.0 && o->alpha < 0.5) || !(o->beta > 0.0 && o->beta < 0.5))
        return IL_EINVAL;
    if (!(o->rel_tol >= 0.0 && isfinite(o->rel_tol)) || !(o->abs_tol >= 0.0 && isfinite(o->abs_tol)))
        return IL_EINVAL;
    if (!(o->exact_ulps >= 0.0 && isfinite(o->exact_ulps)))
        return IL_EINVAL;
    if (o->ref != IL_VERDICT_REF_STUDENT && o->ref != IL_VERDICT_REF_NORMAL)
        return IL_EINVAL;
    return IL_OK;
}

/* Upper tail and its inverse of the reference: t_df for finite df > 0, else N(0,1). */
static int use_t(double df)
{
    return df > 0.0 && isfinite(df);
}

static double upper(double x, double df)
{
    return use_t(df) ? gsl_cdf_tdist_Q(x, df) : gsl_cdf_ugaussian_Q(x);
}

static double upper_inv(double pr, double df)
{
    return use_t(df) ? gsl_cdf_tdist_Qinv(pr, df) : gsl_cdf_ugaussian_Qinv(pr);
}

double il_verdict_p_two_sided(double z, double df)
{
    if (isnan(z))
        return NAN;
    double p = 2.0 * upper(fabs(z), df);
    return p > 1.0 ? 1.0 : p;
}

typedef struct {
    double p;
    size_t i;
} holm_entry;

static int holm_cmp(const void *a, const void *b)
{
    const holm_entry *x = a, *y = b;
    if (x->p < y->p)
        return -1;
    if (x->p > y->p)
        return 1;
    return (x->i > y->i) - (x->i < y->i); /* ties in input order: deterministic */
}

il_status il_verdict_holm_adjust(const double *p, size_t m, double *p_adj)
{
    if (m == 0)
        return IL_OK;
    if (!p || !p_adj)
        return IL_EINVAL;
    for (size_t i = 0; i < m; i++)
        if (!isnan(p[i]) && !(p[i] >= 0.0 && p[i] <= 1.0))
            return IL_EINVAL;
    if (m > SIZE_MAX / sizeof(holm_entry))
        return IL_ENOMEM;
    holm_entry *e = malloc(m * sizeof *e);
    if (!e)
        return IL_ENOMEM;
    for (size_t i = 0; i < m; i++) {
        e[i].p = isnan(p[i]) ? 1.0 : p[i];
        e[i].i = i;
    }
    qsort(e, m, sizeof *e, holm_cmp);
    double run = 0.0;
    for (size_t k = 0; k < m; k++) {
        double a = (double)(m - k) * e[k].p; /* (m - j + 1) p_(j) with j = k + 1 */
        if (a > 1.0)
            a = 1.0;
        if (a > run)
            run = a;
        p_adj[e[k].i] = run;
    }
    free(e);
    return IL_OK;
}

il_status il_verdict_holm(const double *p, size_t m, double alpha, int *reject)
{
    if (!(alpha > 0.0 && alpha < 1.0))
        return IL_EINVAL;
    if (m == 0)
        return IL_OK;
    if (!p || !reject)
        return IL_EINVAL;
    if (m > SIZE_MAX / sizeof(double))
        return IL_ENOMEM;
    double *adj = malloc(m * sizeof *adj);
    if (!adj)
        return IL_ENOMEM;
    il_status rc = il_verdict_holm_adjust(p, m, adj);
    if (rc == IL_OK)
        for (size_t i = 0; i < m; i++)
            reject[i] = adj[i] <= alpha;
    free(adj);
    return rc;
}

/* Reasons (static text). */
static const char R_REFUTED[] = "deviation significant after Holm's correction";
static const char R_REFUTED_SMALL[] = "deviation significant after Holm's correction, but within the tolerance";
static const char R_CONSISTENT[] = "confidence interval inside +-tolerance after Holm's correction";
static const char R_INCONCLUSIVE[] = "standard error too large to refute or confirm";
static const char R_NO_TOL[] = "no deviation shown, and none can be confirmed without a tolerance "
                               "(value 0: set abs_tol or a scale)";
static const char R_EXACT_EQ[] = "exact comparison (se = 0): equal within exact_ulps";
static const char R_EXACT_NE[] = "exact comparison (se = 0): values differ";
static const char R_EST_NAN[] = "not testable: the estimate is NaN";
static const char R_EST_INF[] = "not testable: the estimate is infinite";
static const char R_VAL_NAN[] = "not testable: the formula value is not finite";
static const char R_SE_NAN[] = "not testable: the standard error is NaN (fewer than 2 draws?)";
static const char R_SE_INF[] = "not testable: the standard error is infinite";
static const char R_SE_NEG[] = "not testable: the standard error is negative";
static const char R_SCALE[] = "not testable: the scale is not finite";
static const char R_DF[] = "not testable: the Student reference needs n_draws >= 2";

/* Per-item statistics before Holm. Returns 1 if testable. */
static int item_stats(double est, double se, double value, double scale, double df, size_t n_draws,
                      const il_verdict_opts *o, il_verdict_item *it)
{
    it->z = it->p = it->p_adj = it->p_equiv = it->p_equiv_adj = NAN;
    it->se_needed = it->n_needed = NAN;
    it->delta = NAN;
    it->reject = it->equiv = 0;
    it->verdict = IL_VERDICT_INCONCLUSIVE;
    it->reason = R_INCONCLUSIVE;
    if (isnan(est)) {
        it->reason = R_EST_NAN;
        return 0;
    }
    if (!isfinite(est)) {
        it->reason = R_EST_INF;
        return 0;
    }
    if (!isfinite(value)) {
        it->reason = R_VAL_NAN;
        return 0;
    }
    if (isnan(se)) {
        it->reason = R_SE_NAN;
        return 0;
    }
    if (se < 0.0) {
        it->reason = R_SE_NEG;
        return 0;
    }
    if (!isfinite(se)) {
        it->reason = R_SE_INF;
        return 0;
    }
    if (!isfinite(scale)) {
        it->reason = R_SCALE;
        return 0;
    }
    if (o->ref == IL_VERDICT_REF_STUDENT && n_draws == 1) {
        it->reason = R_DF;
        return 0;
    }
    double d = est - value;
    double delta = o->rel_tol * fabs(scale);
    if (delta < o->abs_tol)
        delta = o->abs_tol;
    it->delta = delta;
    if (se == 0.0) {
        double big = fmax(fabs(est), fabs(value));
        if (fabs(d) <= o->exact_ulps * DBL_EPSILON * big) {
            it->z = 0.0;
            it->p = 1.0;
            it->p_equiv = 0.0;
        } else {
            it->z = copysign(INFINITY, d);
            it->p = 0.0;
            it->p_equiv = 1.0;
        }
        return 1;
    }
    it->z = d / se;
    it->p = il_verdict_p_two_sided(it->z, df);
    double lo = upper((d + delta) / se, df); /* H01: truth - value <= -delta */
    double hi = upper((delta - d) / se, df); /* H02: truth - value >= +delta */
    it->p_equiv = lo > hi ? lo : hi;
    return 1;
}

/* n_needed for an inconclusive, testable item with se > 0 (see verdict.h). */
static void plan(double est, double se, double value, size_t m, size_t n_draws, double df,
                 const il_verdict_opts *o, il_verdict_item *it)
{
    double ad = fabs(est - value), delta = it->delta;
    double z_r = upper_inv(o->alpha / (2.0 * (double)m), df);
    double z_e = upper_inv(o->alpha / (double)m, df);
    double z_b = upper_inv(o->beta, df);
    double z_b2 = upper_inv(o->beta / 2.0, df);
    double se_refute = ad / (z_r + z_b);
    double se_equiv = ad < delta ? (delta - ad) / (z_e + z_b2) : 0.0;
    double need = se_refute > se_equiv ? se_refute : se_equiv;
    it->se_needed = need;
    if (!(need > 0.0))
        it->n_needed = INFINITY;
    else if (n_draws == 0)
        it->n_needed = NAN;
    else {
        double r = se / need;
        it->n_needed = ceil((double)n_draws * r * r);
    }
}

il_status il_verdict_family(const double *est, const double *se, const double *value, const double *scale,
                            size_t m, size_t n_draws, const il_verdict_opts *opts, il_verdict_item *items,
                            il_verdict_summary *summary)
{
    il_verdict_opts def;
    if (!opts) {
        il_verdict_opts_default(&def);
        opts = &def;
    }
    if (il_verdict_opts_check(opts) != IL_OK || m == 0 || !est || !se || !value || !items)
        return IL_EINVAL;
    if (m > SIZE_MAX / (2 * sizeof(double)))
        return IL_ENOMEM;
    double df = (opts->ref == IL_VERDICT_REF_STUDENT && n_draws >= 2) ? (double)(n_draws - 1) : 0.0;
    double *pv = malloc(2 * m * sizeof *pv);
    if (!pv)
        return IL_ENOMEM;
    double *pe = pv + m;
    for (size_t i = 0; i < m; i++) {
        double sc = scale ? scale[i] : value[i];
        item_stats(est[i], se[i], value[i], sc, df, n_draws, opts, &items[i]);
        pv[i] = items[i].p; /* NaN -> 1 inside Holm */
        pe[i] = items[i].p_equiv;
    }
    il_status rc = il_verdict_holm_adjust(pv, m, pv);
    if (rc == IL_OK)
        rc = il_verdict_holm_adjust(pe, m, pe);
    if (rc != IL_OK) {
        free(pv);
        return rc;
    }
    il_verdict_summary sum = { IL_VERDICT_CONSISTENT, 0, 0, 0 };
    for (size_t i = 0; i < m; i++) {
        il_verdict_item *it = &items[i];
        int testable = !isnan(it->p);
        if (testable) {
            it->p_adj = pv[i];
            it->p_equiv_adj = pe[i];
            it->reject = pv[i] <= opts->alpha;
            it->equiv = pe[i] <= opts->alpha;
            int exact = se[i] == 0.0;
            if (it->reject) {
                it->verdict = IL_VERDICT_REFUTED;
                it->reason = exact ? R_EXACT_NE : it->equiv ? R_REFUTED_SMALL : R_REFUTED;
            } else if (it->equiv) {
                it->verdict = IL_VERDICT_CONSISTENT;
                it->reason = exact ? R_EXACT_EQ : R_CONSISTENT;
            } else {
                it->verdict = IL_VERDICT_INCONCLUSIVE;
                it->reason = it->delta > 0.0 ? R_INCONCLUSIVE : R_NO_TOL;
                plan(est[i], se[i], value[i], m, n_draws, df, opts, it);
            }
        }
        switch (it->verdict) {
        case IL_VERDICT_REFUTED: sum.refuted++; break;
        case IL_VERDICT_CONSISTENT: sum.consistent++; break;
        case IL_VERDICT_INCONCLUSIVE: sum.inconclusive++; break;
        }
    }
    free(pv);
    sum.overall = sum.refuted ? IL_VERDICT_REFUTED
                  : sum.inconclusive ? IL_VERDICT_INCONCLUSIVE
                                     : IL_VERDICT_CONSISTENT;
    if (summary)
        *summary = sum;
    return IL_OK;
}
