/* moments.c: per-draw statistics, Welford accumulation across draws, summaries and writers. */
#include "moments.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Widths up to this use plain loops for the second-moment matrix; above, dsyrk. */
#define IL_SMALL_SYRK 16

size_t il_layer_draw_doubles(size_t n, int full)
{
    return n + (full ? n * n : n);
}

void il_layer_draw_compute(il_layer_draw *d, const double *y, size_t B, size_t n, int full)
{
    const double inv_b = 1.0 / (double)B;
    double m4 = 0.0, off = 0.0;
    for (size_t i = 0; i < n; i++)
        d->mvec[i] = 0.0;
    if (!full)
        for (size_t i = 0; i < n; i++)
            d->sec[i] = 0.0;
    double mp[4] = {0.0, 0.0, 0.0, 0.0}; /* sums over the batch of M_b^k */
    for (size_t b = 0; b < B; b++) {
        const double *row = y + b * n;
        double rs = 0.0, rs2 = 0.0;
        for (size_t i = 0; i < n; i++) {
            double v = row[i], v2 = v * v;
            d->mvec[i] += v;
            rs += v;
            rs2 += v2;
            m4 += v2 * v2;
            if (!full)
                d->sec[i] += v2;
        }
        if (!full)
            off += rs * rs - rs2;
        double mb = rs2 / (double)n, mb2 = mb * mb;
        mp[0] += mb;
        mp[1] += mb2;
        mp[2] += mb2 * mb;
        mp[3] += mb2 * mb2;
    }
    for (int k = 0; k < 4; k++)
        d->mpow[k] = mp[k] * inv_b;
    d->mpair = B > 1 ? (mp[0] * mp[0] - mp[1]) / ((double)B * (double)(B - 1)) : NAN;
    for (size_t i = 0; i < n; i++)
        d->mvec[i] *= inv_b;
    double q = 0.0;
    if (full) {
        if (n <= IL_SMALL_SYRK) {
            for (size_t i = 0; i < n; i++)
                for (size_t j = i; j < n; j++) {
                    double s = 0.0;
                    for (size_t b = 0; b < B; b++)
                        s += y[b * n + i] * y[b * n + j];
                    d->sec[i * n + j] = s * inv_b;
                }
        } else {
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)n, (int)B, inv_b, y, (int)n, 0.0, d->sec,
                        (int)n);
        }
        double offsum = 0.0;
        for (size_t i = 0; i < n; i++) {
            q += d->sec[i * n + i];
            for (size_t j = i + 1; j < n; j++) {
                d->sec[j * n + i] = d->sec[i * n + j];
                offsum += 2.0 * d->sec[i * n + j];
            }
        }
        d->offdiag = n > 1 ? offsum / ((double)n * (double)(n - 1)) : NAN;
    } else {
        for (size_t i = 0; i < n; i++) {
            d->sec[i] *= inv_b;
            q += d->sec[i];
        }
        d->offdiag = n > 1 ? off * inv_b / ((double)n * (double)(n - 1)) : NAN;
    }
    d->q = q / (double)n;
    d->m4 = m4 * inv_b / (double)n;
    double mb = 0.0;
    for (size_t i = 0; i < n; i++)
        mb += d->mvec[i];
    d->mbar = mb / (double)n;
    if (B > 1) {
        double w = 0.0;
        for (size_t b = 0; b < B; b++)
            for (size_t i = 0; i < n; i++) {
                double e = y[b * n + i] - d->mvec[i];
                w += e * e;
            }
        d->within = w / ((double)(B - 1) * (double)n);
    } else {
        d->within = NAN;
    }
}

size_t il_layer_acc_bytes(size_t n, int full)
{
    return (n + (full ? n * n : n)) * sizeof(il_wacc);
}

il_status il_layer_acc_init(il_layer_acc *a, size_t n, int full, size_t batch)
{
    memset(a, 0, sizeof *a);
    a->width = n;
    a->full = full;
    a->batch = batch;
    a->fl.bsize = 1;
    a->mvec = calloc(n, sizeof *a->mvec);
    a->sec = calloc(full ? n * n : n, sizeof *a->sec);
    if (!a->mvec || !a->sec) {
        il_layer_acc_release(a);
        return IL_ENOMEM;
    }
    return IL_OK;
}

void il_layer_acc_release(il_layer_acc *a)
{
    if (!a)
        return;
    free(a->mvec);
    free(a->sec);
    a->mvec = a->sec = NULL;
}

static inline void wpush(il_wacc *w, double x, double k)
{
    double d = x - w->mean;
    w->mean += d / k;
    w->m2 += d * (x - w->mean);
}

/* The fluctuation statistics: multivariate Welford, then the batch-means store. */
static void fluct_push(il_fluct_acc *f, const il_layer_draw *d)
{
    enum { S = IL_FLUCT_NSTAT, G = IL_FLUCT_MAX_BATCHES };
    const double x[IL_FLUCT_NSTAT] = {d->mpow[0], d->mpow[1], d->mpow[2], d->mpow[3], d->mpair};
    double k = (double)(++f->count), dev[IL_FLUCT_NSTAT];
    for (int i = 0; i < S; i++) {
        dev[i] = x[i] - f->mean[i];
        f->mean[i] += dev[i] / k;
    }
    for (int i = 0; i < S; i++)
        for (int j = i; j < S; j++)
            f->cm[i * S + j] += dev[i] * (x[j] - f->mean[j]);
    double c = (double)(++f->cur_n);
    for (int i = 0; i < S; i++)
        f->cur[i] += (x[i] - f->cur[i]) / c;
    if (f->cur_n < f->bsize)
        return;
    memcpy(&f->batch[f->nbatch * S], f->cur, sizeof f->cur);
    memset(f->cur, 0, sizeof f->cur);
    f->cur_n = 0;
    if (++f->nbatch < G)
        return;
    for (int g = 0; g < G / 2; g++)
        for (int i = 0; i < S; i++)
            f->batch[g * S + i] = 0.5 * (f->batch[2 * g * S + i] + f->batch[(2 * g + 1) * S + i]);
    memset(&f->batch[(G / 2) * S], 0, (size_t)(G / 2) * S * sizeof f->batch[0]);
    f->nbatch = G / 2;
    f->bsize *= 2;
}

int il_layer_acc_fluct_valid(const il_layer_acc *a)
{
    return a->fl.count == a->count;
}

void il_layer_acc_push(il_layer_acc *a, const il_layer_draw *d)
{
    double k = (double)(++a->count);
    size_t n = a->width, ns = a->full ? n * n : n;
    for (size_t i = 0; i < n; i++)
        wpush(&a->mvec[i], d->mvec[i], k);
    for (size_t i = 0; i < ns; i++)
        wpush(&a->sec[i], d->sec[i], k);
    wpush(&a->mbar, d->mbar, k);
    wpush(&a->q, d->q, k);
    wpush(&a->m4, d->m4, k);
    wpush(&a->within, d->within, k);
    wpush(&a->offdiag, d->offdiag, k);
    fluct_push(&a->fl, d);
}

/* Standard error of a Welford mean over D draws; NaN for D < 2. */
static double wse(const il_wacc *w, size_t D)
{
    return D > 1 ? sqrt(w->m2 / (double)(D - 1) / (double)D) : NAN;
}

static double wvar(const il_wacc *w, size_t D)
{
    return D > 1 ? w->m2 / (double)(D - 1) : NAN;
}

void il_layer_acc_summary(const il_layer_acc *a, il_layer_summary *s)
{
    size_t n = a->width, D = a->count;
    s->width = n;
    s->draws = D;
    s->mean = a->mbar.mean;
    s->mean_se = wse(&a->mbar, D);
    s->q = a->q.mean;
    s->q_se = wse(&a->q, D);
    s->q_sd = D > 1 ? sqrt(wvar(&a->q, D)) : NAN;
    double msq = 0.0, msum = 0.0, mvar = 0.0;
    for (size_t i = 0; i < n; i++) {
        double m = a->mvec[i].mean;
        msq += m * m;
        msum += m;
        mvar += wvar(&a->mvec[i], D);
    }
    s->var = s->q - msq / (double)n;
    s->var_within = a->within.mean;
    s->var_between = mvar / (double)n - s->var_within / (double)a->batch;
    if (a->batch < 2) {
        s->var_within = NAN;
        s->var_between = NAN;
    }
    s->offdiag = n > 1 ? a->offdiag.mean - (msum * msum - msq) / ((double)n * (double)(n - 1)) : NAN;
    s->offdiag_se = n > 1 ? wse(&a->offdiag, D) : NAN;
    s->m4 = a->m4.mean;
    s->m4_se = wse(&a->m4, D);
}

void il_layer_acc_unit_mean(const il_layer_acc *a, size_t i, double *m, double *se)
{
    *m = a->mvec[i].mean;
    *se = wse(&a->mvec[i], a->count);
}

il_status il_layer_acc_cov(const il_layer_acc *a, size_t i, size_t j, double *c, double *se)
{
    size_t n = a->width;
    if (i >= n || j >= n || (!a->full && i != j))
        return IL_EINVAL;
    const il_wacc *w = a->full ? &a->sec[i * n + j] : &a->sec[i];
    *c = w->mean - a->mvec[i].mean * a->mvec[j].mean;
    *se = wse(w, a->count);
    return IL_OK;
}

static void put_num(FILE *f, double v)
{
    if (isnan(v))
        fputs("NaN", f);
    else if (isinf(v))
        fputs(v > 0 ? "Inf" : "-Inf", f);
    else
        fprintf(f, "%.17g", v);
}

void il_write_header(FILE *f, const char *command, const il_param *params, size_t n_params)
{
    fprintf(f, "# initlab %s %s\n", IL_VERSION, command);
    for (size_t i = 0; i < n_params; i++)
        fprintf(f, "# %s = %s\n", params[i].key, params[i].value);
}

static const char *const tsv_cols[] = {"layer", "point", "width", "draws", "mean", "mean_se", "q", "q_se", "q_sd",
                                       "var", "var_within", "var_between", "offdiag_mean", "offdiag_se", "m4",
                                       "m4_se"};
#define N_TSV_COLS (sizeof tsv_cols / sizeof tsv_cols[0])

static void summary_values(const il_layer_summary *s, double *v)
{
    double vals[] = {s->mean, s->mean_se, s->q, s->q_se, s->q_sd, s->var, s->var_within, s->var_between,
                     s->offdiag, s->offdiag_se, s->m4, s->m4_se};
    memcpy(v, vals, sizeof vals);
}

il_status il_moments_write_tsv(FILE *f, const char *command, const il_param *params, size_t n_params,
                               const il_layer_acc *pre, const il_layer_acc *post, size_t layers)
{
    il_write_header(f, command, params, n_params);
    for (size_t c = 0; c < N_TSV_COLS; c++)
        fprintf(f, "%s%s", tsv_cols[c], c + 1 < N_TSV_COLS ? "\t" : "\n");
    for (int pt = 0; pt < 2; pt++) {
        const il_layer_acc *acc = pt ? post : pre;
        if (!acc)
            continue;
        for (size_t l = 0; l < layers; l++) {
            il_layer_summary s;
            double v[N_TSV_COLS - 4];
            il_layer_acc_summary(&acc[l], &s);
            summary_values(&s, v);
            fprintf(f, "%zu\t%s\t%zu\t%zu", l + 1, pt ? "post" : "pre", s.width, s.draws);
            for (size_t c = 0; c < N_TSV_COLS - 4; c++) {
                fputc('\t', f);
                put_num(f, v[c]);
            }
            fputc('\n', f);
        }
    }
    return ferror(f) ? IL_EIO : IL_OK;
}

json_t *il_json_number(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *il_params_to_json(const il_param *params, size_t n_params)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (size_t i = 0; i < n_params; i++) {
        json_t *v = NULL;
        if (params[i].numeric) {
            const char *t = params[i].value;
            int integral = *t != '\0' && strspn(t + (*t == '-'), "0123456789") == strlen(t + (*t == '-'));
            if (integral) {
                /* integers beyond 2^53 (64-bit seeds) would lose digits as JSON numbers in most readers */
                long long ll = strtoll(t, NULL, 10);
                v = strlen(t) < 16 ? json_integer(ll) : json_string(t);
            } else {
                v = il_json_number(strtod(t, NULL));
            }
        } else {
            v = json_string(params[i].value);
        }
        if (!v || json_object_set_new(o, params[i].key, v) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

static json_t *layer_json(const il_layer_acc *a, size_t l, int post, int matrices)
{
    il_layer_summary s;
    double v[N_TSV_COLS - 4];
    il_layer_acc_summary(a, &s);
    summary_values(&s, v);
    json_t *o = json_object();
    if (!o)
        return NULL;
    int bad = json_object_set_new(o, "layer", json_integer((json_int_t)(l + 1)));
    bad |= json_object_set_new(o, "point", json_string(post ? "post" : "pre"));
    bad |= json_object_set_new(o, "width", json_integer((json_int_t)s.width));
    bad |= json_object_set_new(o, "draws", json_integer((json_int_t)s.draws));
    for (size_t c = 0; c < N_TSV_COLS - 4; c++)
        bad |= json_object_set_new(o, tsv_cols[c + 4], il_json_number(v[c]));
    if (matrices) {
        size_t n = a->width;
        json_t *mean = json_array(), *mse = json_array(), *cov = json_array(), *cse = json_array();
        bad |= json_object_set_new(o, "unit_mean", mean);
        bad |= json_object_set_new(o, "unit_mean_se", mse);
        bad |= json_object_set_new(o, a->full ? "cov" : "unit_var", cov);
        bad |= json_object_set_new(o, a->full ? "cov_se" : "unit_var_se", cse);
        for (size_t i = 0; i < n && !bad; i++) {
            double m, se;
            il_layer_acc_unit_mean(a, i, &m, &se);
            bad |= json_array_append_new(mean, il_json_number(m));
            bad |= json_array_append_new(mse, il_json_number(se));
            if (a->full) {
                json_t *row = json_array(), *rse = json_array();
                bad |= json_array_append_new(cov, row);
                bad |= json_array_append_new(cse, rse);
                for (size_t j = 0; j < n && !bad; j++) {
                    double c, e;
                    il_layer_acc_cov(a, i, j, &c, &e);
                    bad |= json_array_append_new(row, il_json_number(c));
                    bad |= json_array_append_new(rse, il_json_number(e));
                }
            } else {
                double c, e;
                il_layer_acc_cov(a, i, i, &c, &e);
                bad |= json_array_append_new(cov, il_json_number(c));
                bad |= json_array_append_new(cse, il_json_number(e));
            }
        }
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *il_moments_to_json(const char *command, const il_param *params, size_t n_params, const il_layer_acc *pre,
                           const il_layer_acc *post, size_t layers, int matrices)
{
    json_t *root = json_object(), *arr = json_array();
    json_t *ps = il_params_to_json(params, n_params);
    if (!root || !arr || !ps) {
        json_decref(root);
        json_decref(arr);
        json_decref(ps);
        return NULL;
    }
    int bad = json_object_set_new(root, "tool", json_string("initlab"));
    bad |= json_object_set_new(root, "version", json_string(IL_VERSION));
    bad |= json_object_set_new(root, "command", json_string(command));
    bad |= json_object_set_new(root, "params", ps);
    bad |= json_object_set_new(root, "layers", arr);
    for (int pt = 0; pt < 2 && !bad; pt++) {
        const il_layer_acc *acc = pt ? post : pre;
        if (!acc)
            continue;
        for (size_t l = 0; l < layers && !bad; l++) {
            json_t *o = layer_json(&acc[l], l, pt, matrices);
            bad |= !o || json_array_append_new(arr, o);
        }
    }
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}
