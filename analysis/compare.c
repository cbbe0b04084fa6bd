#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t il_compare_rows(const il_mc_result *res)
{
    return res->post ? 2 * res->layers : res->layers;
}

/* The growing family of tested items. */
typedef struct {
    double *est, *se, *value, *scale;
    il_verdict_item *items;
    size_t n, cap;
} family;

static int fam_push(family *f, double est, double se, double value, double scale)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 256;
        double *e = realloc(f->est, cap * sizeof *e), *s = NULL, *v = NULL, *c = NULL;
        if (e)
            f->est = e;
        if (!e || !(s = realloc(f->se, cap * sizeof *s)))
            return -1;
        f->se = s;
        if (!(v = realloc(f->value, cap * sizeof *v)))
            return -1;
        f->value = v;
        if (!(c = realloc(f->scale, cap * sizeof *c)))
            return -1;
        f->scale = c;
        f->cap = cap;
    }
    f->est[f->n] = est;
    f->se[f->n] = se;
    f->value[f->n] = value;
    f->scale[f->n] = scale;
    f->n++;
    return 0;
}

static void fam_free(family *f)
{
    free(f->est);
    free(f->se);
    free(f->value);
    free(f->scale);
    free(f->items);
}

/* Where each row's items sit in the family. */
typedef struct {
    size_t q, mean, offdiag, units_begin, units_end;
} slots;

static il_status push_row(family *f, const il_layer_acc *a, const il_theory_point *tp, il_compare_row *row,
                          slots *sl)
{
    il_layer_summary s;
    il_layer_acc_summary(a, &s);
    double q_th = tp->q, sd_th = sqrt(fabs(q_th));
    row->q = (il_compare_cell){.est = s.q, .se = s.q_se, .theory = q_th, .tested = 1};
    row->mean = (il_compare_cell){.est = s.mean, .se = s.mean_se, .theory = tp->mean, .tested = 1};
    row->offdiag = (il_compare_cell){.est = s.offdiag, .se = s.offdiag_se, .theory = tp->offdiag,
                                     .tested = a->width > 1};
    sl->q = f->n;
    if (fam_push(f, s.q, s.q_se, q_th, q_th))
        return IL_ENOMEM;
    sl->mean = f->n;
    if (fam_push(f, s.mean, s.mean_se, tp->mean, sd_th))
        return IL_ENOMEM;
    sl->offdiag = f->n;
    if (row->offdiag.tested && fam_push(f, s.offdiag, s.offdiag_se, tp->offdiag, q_th))
        return IL_ENOMEM;
    sl->units_begin = f->n;
    if (a->full) {
        /* every unit is exchangeable with every other after the first layer, and in the first layer
         * every unit sees the same inputs: each has the layer's mean and second moment */
        double var_th = q_th - tp->mean * tp->mean;
        for (size_t i = 0; i < a->width; i++) {
            double m, se;
            il_layer_acc_unit_mean(a, i, &m, &se);
            if (fam_push(f, m, se, tp->mean, sd_th))
                return IL_ENOMEM;
            for (size_t j = i; j < a->width; j++) {
                double c, cse;
                il_layer_acc_cov(a, i, j, &c, &cse);
                if (fam_push(f, c, cse, i == j ? var_th : tp->offdiag, q_th))
                    return IL_ENOMEM;
            }
        }
    }
    sl->units_end = f->n;
    return IL_OK;
}

il_status il_compare_run(const il_mc_result *res, const il_theory_layer *th, const double *claim,
                         const il_verdict_opts *opts, il_compare_row *rows, il_compare_summary *sum)
{
    size_t L = res->layers, R = il_compare_rows(res);
    if (res->draws_done < 2 || L == 0)
        return IL_EINVAL;
    family f = {0};
    slots *sl = calloc(R, sizeof *sl);
    il_status rc = sl ? IL_OK : IL_ENOMEM;
    for (size_t r = 0; r < R && rc == IL_OK; r++) {
        int post = r >= L;
        size_t l = post ? r - L : r;
        il_compare_row *row = &rows[r];
        memset(row, 0, sizeof *row);
        row->layer = l + 1;
        row->width = th[l].width;
        row->post = post;
        const il_theory_point *tp = post ? &th[l].post : &th[l].pre;
        row->method = tp->q_method;
        row->mean_method = tp->mean_method;
        row->offdiag_method = tp->offdiag_method;
        rc = push_row(&f, post ? &res->post[l] : &res->pre[l], tp, row, &sl[r]);
    }
    if (rc == IL_OK && !(f.items = calloc(f.n, sizeof *f.items)))
        rc = IL_ENOMEM;
    if (rc == IL_OK)
        rc = il_verdict_family(f.est, f.se, f.value, f.scale, f.n, res->draws_done, opts, f.items, &sum->theory);
    for (size_t r = 0; r < R && rc == IL_OK; r++) {
        il_compare_row *row = &rows[r];
        row->q.v = f.items[sl[r].q];
        row->mean.v = f.items[sl[r].mean];
        if (row->offdiag.tested)
            row->offdiag.v = f.items[sl[r].offdiag];
        row->units_tested = sl[r].units_end - sl[r].units_begin;
        for (size_t k = sl[r].units_begin; k < sl[r].units_end; k++)
            row->units_refuted += f.items[k].verdict == IL_VERDICT_REFUTED;
    }
    sum->family_size = f.n;
    sum->has_claim = claim != NULL;
    memset(&sum->claim, 0, sizeof sum->claim);
    if (rc == IL_OK && claim) {
        double *est = malloc(L * sizeof *est), *se = malloc(L * sizeof *se);
        il_verdict_item *it = calloc(L, sizeof *it);
        if (!est || !se || !it)
            rc = IL_ENOMEM;
        for (size_t l = 0; l < L && rc == IL_OK; l++) {
            est[l] = rows[l].q.est;
            se[l] = rows[l].q.se;
        }
        if (rc == IL_OK)
            rc = il_verdict_family(est, se, claim, NULL, L, res->draws_done, opts, it, &sum->claim);
        for (size_t l = 0; l < L && rc == IL_OK; l++)
            rows[l].claim = (il_compare_cell){.est = est[l], .se = se[l], .theory = claim[l], .v = it[l],
                                              .tested = 1};
        free(est);
        free(se);
        free(it);
    }
    free(sl);
    fam_free(&f);
    return rc;
}
