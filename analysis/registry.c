/* registry.c: the claim registry, the tools check functions share, and the writers (registry.h). */
#include "registry.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

const char *il_registry_verdict_name(il_registry_verdict v)
{
    switch (v) {
    case IL_REGISTRY_HOLDS: return "holds";
    case IL_REGISTRY_REFUTED: return "refuted";
    case IL_REGISTRY_CAVEAT: return "holds-with-caveat";
    case IL_REGISTRY_UNDECIDED: return "undecided";
    }
    return "unknown";
}

/* ---- the registry ---- */

struct il_registry {
    const il_registry_entry **e;
    size_t n, cap;
};

il_registry *il_registry_alloc(void)
{
    return calloc(1, sizeof(il_registry));
}

void il_registry_free(il_registry *r)
{
    if (!r)
        return;
    free(r->e);
    free(r);
}

static void say(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int id_ok(const char *id)
{
    if (!id || !*id || strlen(id) > 64)
        return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_' || *p == '.'))
            return 0;
    return 1;
}

il_status il_registry_add(il_registry *r, const il_registry_entry *e, char *err, size_t errlen)
{
    if (!r || !e) {
        say(err, errlen, "no registry or entry");
        return IL_EINVAL;
    }
    if (!id_ok(e->id)) {
        say(err, errlen, "claim id '%s' must be 1 to 64 letters, digits, '-', '_' or '.'", e->id ? e->id : "(null)");
        return IL_EINVAL;
    }
    if (!e->source || !*e->source || !e->claim || !*e->claim || !e->check) {
        say(err, errlen, "claim %s needs a source, the claim as written, and a check function", e->id);
        return IL_EINVAL;
    }
    if (il_registry_find(r, e->id) < r->n) {
        say(err, errlen, "claim id %s is registered twice", e->id);
        return IL_EINVAL;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        const il_registry_entry **p = realloc(r->e, cap * sizeof *p);
        if (!p) {
            say(err, errlen, "out of memory");
            return IL_ENOMEM;
        }
        r->e = p;
        r->cap = cap;
    }
    r->e[r->n++] = e;
    return IL_OK;
}

il_status il_registry_add_builtin(il_registry *r, char *err, size_t errlen)
{
    const il_registry_entry *tables[] = {il_checks_s000, il_checks_s001, il_checks_s002};
    const size_t counts[] = {il_checks_s000_count, il_checks_s001_count, il_checks_s002_count};
    for (size_t t = 0; t < 3; t++)
        for (size_t i = 0; i < counts[t]; i++)
            IL_TRY(il_registry_add(r, &tables[t][i], err, errlen));
    return IL_OK;
}

size_t il_registry_count(const il_registry *r)
{
    return r ? r->n : 0;
}

const il_registry_entry *il_registry_at(const il_registry *r, size_t i)
{
    return r && i < r->n ? r->e[i] : NULL;
}

size_t il_registry_find(const il_registry *r, const char *id)
{
    if (!r || !id)
        return il_registry_count(r);
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->e[i]->id, id) == 0)
            return i;
    return r->n;
}

/* ---- the cache ---- */

typedef struct {
    char *key;
    void *p;
    void (*release)(void *);
} cache_item;

struct il_registry_cache {
    cache_item *items;
    size_t n, cap;
};

void *il_registry_cache_get(il_registry_ctx *ctx, const char *key)
{
    struct il_registry_cache *c = ctx ? ctx->cache : NULL;
    for (size_t i = 0; c && i < c->n; i++)
        if (strcmp(c->items[i].key, key) == 0)
            return c->items[i].p;
    return NULL;
}

il_status il_registry_cache_put(il_registry_ctx *ctx, const char *key, void *p, void (*release)(void *))
{
    struct il_registry_cache *c = ctx ? ctx->cache : NULL;
    char *k = NULL;
    if (c && c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        cache_item *it = realloc(c->items, cap * sizeof *it);
        if (it) {
            c->items = it;
            c->cap = cap;
        }
    }
    if (!c || c->n == c->cap || !(k = malloc(strlen(key) + 1))) {
        if (release)
            release(p);
        return IL_ENOMEM;
    }
    strcpy(k, key);
    c->items[c->n++] = (cache_item){k, p, release};
    return IL_OK;
}

static void cache_release(struct il_registry_cache *c)
{
    for (size_t i = 0; i < c->n; i++) {
        if (c->items[i].release)
            c->items[i].release(c->items[i].p);
        free(c->items[i].key);
    }
    free(c->items);
    c->items = NULL;
    c->n = c->cap = 0;
}

/* ---- seeds ---- */

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

uint64_t il_registry_seed(const il_registry_ctx *ctx, const char *key)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    return splitmix64(splitmix64(ctx->seed) ^ h);
}

void il_registry_rng(const il_registry_ctx *ctx, const char *key, uint64_t i, il_rng *r)
{
    il_rng_seed_draw(r, il_registry_seed(ctx, key), i);
}

/* ---- running ---- */

void il_registry_opts_default(il_registry_opts *o)
{
    o->seed = 1;
    o->threads = 1;
    o->data_dir = NULL;
    o->progress = NULL;
    o->progress_ctx = NULL;
}

il_status il_registry_run(const il_registry *r, const size_t *which, size_t m, const il_registry_opts *opts,
                          il_registry_result *out, char *err, size_t errlen)
{
    if (!r || !opts || !out || opts->threads < 1) {
        say(err, errlen, "invalid arguments");
        return IL_EINVAL;
    }
    if (!which)
        m = r->n;
    for (size_t k = 0; which && k < m; k++)
        if (which[k] >= r->n) {
            say(err, errlen, "claim index %zu out of range", which[k]);
            return IL_EINVAL;
        }
    struct il_registry_cache cache = {0};
    il_registry_ctx ctx = {opts->seed, opts->threads, opts->data_dir, &cache};
    il_status rc = IL_OK;
    for (size_t k = 0; k < m && rc == IL_OK; k++) {
        const il_registry_entry *e = r->e[which ? which[k] : k];
        il_registry_result *res = &out[k];
        memset(res, 0, sizeof *res);
        res->entry = e;
        res->seed = opts->seed;
        res->verdict = IL_REGISTRY_UNDECIDED;
        res->margin = NAN;
        if (opts->progress)
            opts->progress(opts->progress_ctx, k, m, e->id);
        rc = e->check(e, &ctx, res);
        if (rc != IL_OK)
            say(err, errlen, "%s: %s%s%s", e->id, il_strerror(rc), res->evidence[0] ? ": " : "", res->evidence);
    }
    cache_release(&cache);
    return rc;
}

/* ---- data files ---- */

il_status il_registry_data_open(const il_registry_ctx *ctx, il_registry_result *res, const char *name, FILE **f)
{
    *f = NULL;
    if (!ctx->data_dir)
        return IL_OK;
    size_t n = strlen(ctx->data_dir) + strlen(name) + 2;
    char *path = malloc(n);
    if (!path)
        return IL_ENOMEM;
    snprintf(path, n, "%s/%s", ctx->data_dir, name);
    *f = fopen(path, "w");
    free(path);
    if (!*f)
        return IL_EIO;
    size_t len = strlen(res->data);
    snprintf(res->data + len, sizeof res->data - len, "%s%s", len ? "," : "", name);
    return IL_OK;
}

il_status il_registry_data_close(FILE *f)
{
    if (!f)
        return IL_OK;
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    return bad ? IL_EIO : IL_OK;
}

/* ---- filling a result ---- */

void il_registry_num_add(il_registry_result *res, const char *name, double value)
{
    if (res->n_nums >= IL_REGISTRY_MAX_NUMS)
        return;
    il_registry_num *x = &res->nums[res->n_nums++];
    snprintf(x->name, sizeof x->name, "%s", name);
    x->value = value;
}

static void vappend(char *buf, size_t n, const char *fmt, va_list ap)
{
    size_t len = strlen(buf);
    if (len + 1 < n)
        vsnprintf(buf + len, n - len, fmt, ap);
}

void il_registry_evidence(il_registry_result *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vappend(res->evidence, sizeof res->evidence, fmt, ap);
    va_end(ap);
}

void il_registry_correct(il_registry_result *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vappend(res->correct, sizeof res->correct, fmt, ap);
    va_end(ap);
}

void il_registry_test(il_registry_result *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vappend(res->test, sizeof res->test, fmt, ap);
    va_end(ap);
}

void il_registry_config(il_registry_result *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vappend(res->config, sizeof res->config, fmt, ap);
    va_end(ap);
}

void il_registry_decide(il_registry_result *res, il_registry_verdict v, double margin)
{
    res->verdict = v;
    res->margin = margin;
    res->borderline = v != IL_REGISTRY_UNDECIDED && !(margin >= IL_REGISTRY_CLEAR_MARGIN);
    if (res->borderline)
        il_registry_evidence(res, " BORDERLINE: the decisive statistic clears its threshold only by a factor %.3g "
                             "(< %g); more draws or instances would make it clear.", margin,
                             IL_REGISTRY_CLEAR_MARGIN);
}

/* ---- Monte Carlo items ---- */

il_status il_registry_family(const double *est, const double *se, const double *value, const double *scale,
                             size_t m, size_t n_draws, double rel_tol, il_verdict_item *items,
                             il_registry_family_result *out)
{
    il_verdict_item *own = NULL;
    if (!items && !(items = own = calloc(m ? m : 1, sizeof *items)))
        return IL_ENOMEM;
    il_verdict_opts o;
    il_verdict_opts_default(&o);
    o.alpha = IL_REGISTRY_ALPHA;
    o.rel_tol = rel_tol;
    il_status rc = il_verdict_family(est, se, value, scale, m, n_draws, &o, items, &out->sum);
    if (rc != IL_OK) {
        free(own);
        return rc;
    }
    double zr = gsl_cdf_ugaussian_Qinv(o.alpha / (2.0 * (double)m));
    double ze = gsl_cdf_ugaussian_Qinv(o.alpha / (double)m);
    out->max_abs_z = 0.0;
    out->n_needed = NAN;
    out->worst = 0;
    for (size_t i = 0; i < m; i++)
        if (fabs(items[i].z) > out->max_abs_z)
            out->max_abs_z = fabs(items[i].z);
    if (out->sum.refuted > 0) {
        out->verdict = IL_REGISTRY_REFUTED;
        double best = -1.0;
        for (size_t i = 0; i < m; i++)
            if (items[i].verdict == IL_VERDICT_REFUTED && fabs(items[i].z) > best) {
                best = fabs(items[i].z);
                out->worst = i;
            }
        out->margin = best / zr;
    } else if (out->sum.inconclusive == 0) {
        out->verdict = IL_REGISTRY_HOLDS;
        out->margin = INFINITY;
        for (size_t i = 0; i < m; i++) {
            double d = fabs(est[i] - value[i]);
            double mg = se[i] > 0.0 ? items[i].delta / (d + ze * se[i]) : (d == 0.0 ? INFINITY : items[i].delta / d);
            if (mg < out->margin) {
                out->margin = mg;
                out->worst = i;
            }
        }
    } else {
        out->verdict = IL_REGISTRY_UNDECIDED;
        out->margin = NAN;
        out->n_needed = 0.0;
        for (size_t i = 0; i < m; i++)
            if (items[i].verdict == IL_VERDICT_INCONCLUSIVE) {
                if (!(items[i].n_needed <= out->n_needed))
                    out->n_needed = items[i].n_needed;
                out->worst = i;
            }
    }
    free(own);
    return IL_OK;
}

/* ---- error-tracked values ---- */

il_registry_ev il_registry_ev_exact(double v)
{
    return (il_registry_ev){v, 0.0};
}

il_registry_ev il_registry_ev_add(il_registry_ev a, il_registry_ev b)
{
    double v = a.v + b.v;
    return (il_registry_ev){v, a.e + b.e + IL_REGISTRY_U * fabs(v)};
}

il_registry_ev il_registry_ev_sub(il_registry_ev a, il_registry_ev b)
{
    double v = a.v - b.v;
    return (il_registry_ev){v, a.e + b.e + IL_REGISTRY_U * fabs(v)};
}

il_registry_ev il_registry_ev_mul(il_registry_ev a, il_registry_ev b)
{
    double v = a.v * b.v;
    return (il_registry_ev){v, fabs(a.v) * b.e + fabs(b.v) * a.e + a.e * b.e + IL_REGISTRY_U * fabs(v)};
}

il_registry_ev il_registry_ev_div(il_registry_ev a, il_registry_ev b)
{
    double v = a.v / b.v;
    double den = fabs(b.v) - b.e;
    if (!(den > 0.0))
        return (il_registry_ev){v, INFINITY};
    /* |a/b - a'/b'| <= (|a'| |b - b'| / |b'| + |a - a'|) / (|b'| - |b - b'|) */
    return (il_registry_ev){v, (fabs(a.v) * b.e / fabs(b.v) + a.e) / den + IL_REGISTRY_U * fabs(v)};
}

il_registry_ev il_registry_ev_sqrt(il_registry_ev a)
{
    double v = sqrt(a.v);
    /* |sqrt(x) - sqrt(y)| <= |x - y| / sqrt(y) for y > 0, and <= sqrt(|x - y|) always */
    double e = a.v > 0.0 ? fmin(a.e / v, sqrt(a.e)) : sqrt(a.e);
    return (il_registry_ev){v, e + IL_REGISTRY_U * v};
}

il_registry_ev il_registry_ev_act(const il_act *phi, il_registry_ev a)
{
    double lip, c;
    switch (phi->kind) {
    case IL_ACT_IDENTITY:
    case IL_ACT_RELU: lip = 1.0; c = 0.0; break;
    case IL_ACT_LEAKY_RELU: lip = fmax(1.0, fabs(phi->p1)); c = 1.0; break;
    case IL_ACT_SIGMOID: lip = 0.25; c = 6.0; break;
    case IL_ACT_TANH: lip = 1.0; c = 4.0; break;
    default: lip = INFINITY; c = INFINITY; break;
    }
    double v = il_act_eval(phi, a.v);
    if (isinf(lip))
        return (il_registry_ev){v, INFINITY};
    return (il_registry_ev){v, lip * a.e + c * IL_REGISTRY_U * fabs(v)};
}

il_registry_ev il_registry_ev_dot(const il_registry_ev *a, const il_registry_ev *b, size_t n, il_registry_ev c)
{
    double v = 0.0, prop = c.e, mag = fabs(c.v);
    for (size_t j = 0; j < n; j++) {
        v += a[j].v * b[j].v;
        prop += fabs(a[j].v) * b[j].e + fabs(b[j].v) * a[j].e + a[j].e * b[j].e;
        mag += fabs(a[j].v * b[j].v);
    }
    v += c.v;
    double g = (double)(n + 1) * IL_REGISTRY_U / (1.0 - (double)(n + 1) * IL_REGISTRY_U);
    return (il_registry_ev){v, prop + g * mag};
}

/* ---- finite differences ---- */

void il_registry_snap(double *theta, size_t n, double h)
{
    for (size_t i = 0; i < n; i++)
        theta[i] = h * nearbyint(theta[i] / h);
}

static int step_exact(double t, double step)
{
    double p = t + step, m = t - step;
    return p - t == step && t - m == step && (p - step) == t && (m + step) == t;
}

il_status il_registry_fd(const il_registry_fn *fn, const double *theta, size_t off, size_t len, double *fd,
                         double *bound)
{
    if (!fn || !fn->eval || fn->nout == 0 || off + len > fn->dim || len == 0)
        return IL_EINVAL;
    const size_t k = fn->nout;
    const double h = IL_REGISTRY_FD_H;
    static const double H[2] = {0x1p-5, 0x1p-7};
    double *th = malloc(fn->dim * sizeof *th);
    il_registry_ev *ev = malloc(6 * k * sizeof *ev);
    double *m3 = malloc(k * sizeof *m3);
    il_status rc = th && ev && m3 ? IL_OK : IL_ENOMEM;
    if (rc == IL_OK)
        memcpy(th, theta, fn->dim * sizeof *th);
    for (size_t j = off; j < off + len && rc == IL_OK; j++) {
        const double t = theta[j];
        if (!step_exact(t, h) || !step_exact(t, 2.0 * H[0])) {
            rc = IL_EINVAL; /* not snapped */
            break;
        }
        il_registry_ev *ep = ev, *em = ev + k, *p2 = ev + 2 * k, *p1 = ev + 3 * k, *m1 = ev + 4 * k,
                       *m2 = ev + 5 * k;
        th[j] = t + h;
        if ((rc = fn->eval(fn->model, th, ep)) != IL_OK)
            break;
        th[j] = t - h;
        if ((rc = fn->eval(fn->model, th, em)) != IL_OK)
            break;
        for (size_t i = 0; i < k; i++)
            m3[i] = isnan(fn->m3) ? 0.0 : fn->m3;
        for (int s = 0; isnan(fn->m3) && s < 2 && rc == IL_OK; s++) {
            const double Hs = H[s];
            th[j] = t + 2.0 * Hs;
            rc = fn->eval(fn->model, th, p2);
            th[j] = t + Hs;
            if (rc == IL_OK)
                rc = fn->eval(fn->model, th, p1);
            th[j] = t - Hs;
            if (rc == IL_OK)
                rc = fn->eval(fn->model, th, m1);
            th[j] = t - 2.0 * Hs;
            if (rc == IL_OK)
                rc = fn->eval(fn->model, th, m2);
            for (size_t i = 0; i < k && rc == IL_OK; i++) {
                double den = 2.0 * Hs * Hs * Hs;
                double tv = fabs(p2[i].v - 2.0 * p1[i].v + 2.0 * m1[i].v - m2[i].v) / den;
                double te = (p2[i].e + 2.0 * p1[i].e + 2.0 * m1[i].e + m2[i].e) / den;
                if (2.0 * (tv + te) > m3[i] || isnan(tv + te))
                    m3[i] = 2.0 * (tv + te);
            }
        }
        th[j] = t;
        for (size_t i = 0; i < k && rc == IL_OK; i++) {
            double d = (ep[i].v - em[i].v) / (2.0 * h);
            fd[i * len + (j - off)] = d;
            bound[i * len + (j - off)] = h * h * m3[i] / 6.0 + (ep[i].e + em[i].e) / (2.0 * h) +
                                         IL_REGISTRY_U * fabs(d);
        }
    }
    free(m3);
    free(ev);
    free(th);
    return rc;
}

void il_registry_fdcmp_reset(il_registry_fdcmp *c)
{
    memset(c, 0, sizeof *c);
    c->worst_claimed = c->worst_fd = c->worst_bound = NAN;
}

void il_registry_fdcmp_add(il_registry_fdcmp *c, size_t instance, const double *claimed, const double *claimed_err,
                           const double *fd, const double *bound, size_t n)
{
    const double g32 = 32.0 * IL_REGISTRY_U / (1.0 - 32.0 * IL_REGISTRY_U);
    double maxc = 0.0;
    for (size_t k = 0; k < n; k++)
        if (fabs(claimed[k]) > maxc)
            maxc = fabs(claimed[k]);
    for (size_t k = 0; k < n; k++) {
        double ce = claimed_err ? claimed_err[k] : g32 * (fabs(claimed[k]) + maxc);
        double diff = fabs(claimed[k] - fd[k]);
        double den = bound[k] + ce;
        double ratio;
        if (!isfinite(claimed[k]) || isnan(diff))
            ratio = INFINITY;
        else
            ratio = den > 0.0 ? diff / den : (diff == 0.0 ? 0.0 : INFINITY);
        double big = fmax(fabs(claimed[k]), fabs(fd[k]));
        double rel = big > 0.0 ? diff / big : 0.0;
        if (c->compared == 0 || ratio > c->max_ratio || isnan(c->worst_fd)) {
            if (c->compared == 0 || ratio > c->max_ratio) {
                c->max_ratio = ratio;
                c->worst_instance = instance;
                c->worst_index = k;
                c->worst_claimed = claimed[k];
                c->worst_fd = fd[k];
                c->worst_bound = den;
            }
        }
        if (diff > c->max_abs_err || isnan(diff))
            c->max_abs_err = diff;
        if (rel > c->max_rel_err || isnan(rel))
            c->max_rel_err = rel;
        if (fabs(fd[k]) > c->max_abs_fd)
            c->max_abs_fd = fabs(fd[k]);
        c->compared++;
    }
}

/* ---- writers ---- */

/* Writes s with tabs and newlines replaced by spaces. */
static void put_text(FILE *f, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++)
        fputc(*p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p, f);
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

static const char *const tsv_cols[] = {"id",     "source", "verdict", "evidence", "correct_statement", "margin",
                                       "borderline", "numbers", "test", "config", "seed", "data", "claim",
                                       "reading"};

il_status il_registry_write_tsv(FILE *f, const char *command, const il_param *params, size_t n_params,
                                const il_registry_result *res, size_t m)
{
    il_write_header(f, command, params, n_params);
    for (size_t c = 0; c < sizeof tsv_cols / sizeof tsv_cols[0]; c++)
        fprintf(f, "%s%s", c ? "\t" : "", tsv_cols[c]);
    fputc('\n', f);
    for (size_t i = 0; i < m; i++) {
        const il_registry_result *r = &res[i];
        put_text(f, r->entry->id);
        fputc('\t', f);
        put_text(f, r->entry->source);
        fprintf(f, "\t%s\t", il_registry_verdict_name(r->verdict));
        put_text(f, r->evidence);
        fputc('\t', f);
        put_text(f, r->correct);
        fputc('\t', f);
        put_num(f, r->margin);
        fprintf(f, "\t%s\t", r->borderline ? "yes" : "no");
        for (size_t k = 0; k < r->n_nums; k++) {
            fprintf(f, "%s", k ? ";" : "");
            put_text(f, r->nums[k].name);
            fputc('=', f);
            put_num(f, r->nums[k].value);
        }
        fputc('\t', f);
        put_text(f, r->test);
        fputc('\t', f);
        put_text(f, r->config);
        fprintf(f, "\t%llu\t", (unsigned long long)r->seed);
        put_text(f, r->data);
        fputc('\t', f);
        put_text(f, r->entry->claim);
        fputc('\t', f);
        put_text(f, r->entry->reading);
        fputc('\n', f);
    }
    return ferror(f) ? IL_EIO : IL_OK;
}

/* A copy of s with tabs and newlines as spaces, as a JSON string. */
static json_t *jtext(const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s);
    char *t = malloc(n + 1);
    if (!t)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        t[i] = s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ? ' ' : s[i];
    json_t *j = json_string(t);
    free(t);
    return j;
}

static json_t *jmargin(double m)
{
    if (isinf(m) && m > 0)
        return json_string("inf");
    return il_json_number(m);
}

static void count_verdicts(const il_registry_result *res, size_t m, size_t counts[4], size_t *borderline)
{
    counts[0] = counts[1] = counts[2] = counts[3] = 0;
    *borderline = 0;
    for (size_t i = 0; i < m; i++) {
        if ((unsigned)res[i].verdict < 4)
            counts[res[i].verdict]++;
        *borderline += res[i].borderline != 0;
    }
}

json_t *il_registry_to_json(const char *command, const il_param *params, size_t n_params,
                            const il_registry_result *res, size_t m)
{
    json_t *root = json_object(), *arr = json_array(), *sum = json_object();
    if (!root || !arr || !sum) {
        json_decref(root);
        json_decref(arr);
        json_decref(sum);
        return NULL;
    }
    int bad = 0;
    bad |= json_object_set_new(root, "tool", json_string("initlab"));
    bad |= json_object_set_new(root, "version", json_string(IL_VERSION));
    bad |= json_object_set_new(root, "command", json_string(command));
    bad |= json_object_set_new(root, "params", il_params_to_json(params, n_params));
    size_t counts[4], nb;
    count_verdicts(res, m, counts, &nb);
    bad |= json_object_set_new(sum, "claims", json_integer((json_int_t)m));
    for (int v = 0; v < 4; v++)
        bad |= json_object_set_new(sum, il_registry_verdict_name((il_registry_verdict)v),
                                   json_integer((json_int_t)counts[v]));
    bad |= json_object_set_new(sum, "borderline", json_integer((json_int_t)nb));
    bad |= json_object_set_new(root, "summary", sum);
    bad |= json_object_set_new(root, "claims", arr);
    for (size_t i = 0; i < m && !bad; i++) {
        const il_registry_result *r = &res[i];
        json_t *o = json_object(), *nums = json_object(), *data = json_array();
        if (!o || !nums || !data) {
            json_decref(o);
            json_decref(nums);
            json_decref(data);
            bad = 1;
            break;
        }
        bad |= json_array_append_new(arr, o);
        bad |= json_object_set_new(o, "id", jtext(r->entry->id));
        bad |= json_object_set_new(o, "source", jtext(r->entry->source));
        bad |= json_object_set_new(o, "claim", jtext(r->entry->claim));
        bad |= json_object_set_new(o, "reading", jtext(r->entry->reading));
        bad |= json_object_set_new(o, "verdict", json_string(il_registry_verdict_name(r->verdict)));
        bad |= json_object_set_new(o, "margin", jmargin(r->margin));
        bad |= json_object_set_new(o, "borderline", json_boolean(r->borderline));
        bad |= json_object_set_new(o, "evidence", jtext(r->evidence));
        bad |= json_object_set_new(o, "correct_statement", jtext(r->correct));
        bad |= json_object_set_new(o, "test", jtext(r->test));
        bad |= json_object_set_new(o, "config", jtext(r->config));
        bad |= json_object_set_new(o, "seed", json_integer((json_int_t)r->seed));
        for (size_t k = 0; k < r->n_nums; k++)
            bad |= json_object_set_new(nums, r->nums[k].name, il_json_number(r->nums[k].value));
        bad |= json_object_set_new(o, "numbers", nums);
        const char *p = r->data;
        while (*p) {
            size_t len = strcspn(p, ",");
            char name[IL_REGISTRY_TEXT];
            snprintf(name, sizeof name, "%.*s", (int)len, p);
            bad |= json_array_append_new(data, json_string(name));
            p += len + (p[len] == ',');
        }
        bad |= json_object_set_new(o, "data", data);
    }
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* Writes text wrapped at width, continuation lines indented by indent; the first line starts at col. */
static void wrap(FILE *f, const char *text, size_t indent, size_t col, size_t width)
{
    const char *p = text;
    size_t at = col;
    int first = 1;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        size_t w = strcspn(p, " \t\n");
        if (!first && at + 1 + w > width) {
            fprintf(f, "\n%*s", (int)indent, "");
            at = indent;
        } else if (!first) {
            fputc(' ', f);
            at++;
        }
        fwrite(p, 1, w, f);
        at += w;
        p += w;
        first = 0;
    }
    fputc('\n', f);
}

il_status il_registry_write_table(FILE *f, const char *command, const il_param *params, size_t n_params,
                                  const il_registry_result *res, size_t m)
{
    size_t counts[4], nb;
    count_verdicts(res, m, counts, &nb);
    il_write_header(f, command, params, n_params);
    fprintf(f, "\n%zu claims: %zu holds, %zu refuted, %zu holds-with-caveat, %zu undecided; %zu borderline\n\n", m,
            counts[0], counts[1], counts[2], counts[3], nb);
    fprintf(f, "%-10s %-18s %-11s %s\n", "id", "verdict", "margin", "source");
    for (size_t i = 0; i < m; i++) {
        char mg[32];
        if (isinf(res[i].margin))
            snprintf(mg, sizeof mg, "exact");
        else
            snprintf(mg, sizeof mg, "%.3g%s", res[i].margin, res[i].borderline ? "!" : "");
        fprintf(f, "%-10s %-18s %-11s %s\n", res[i].entry->id, il_registry_verdict_name(res[i].verdict), mg,
                res[i].entry->source);
    }
    fputc('\n', f);
    for (size_t i = 0; i < m; i++) {
        const il_registry_result *r = &res[i];
        fprintf(f, "== %s (%s): %s\n", r->entry->id, r->entry->source, il_registry_verdict_name(r->verdict));
        const char *labels[] = {"claim:", "reading:", "evidence:", "correct:", "test:", "config:", "data:"};
        const char *texts[] = {r->entry->claim, r->entry->reading, r->evidence, r->correct, r->test, r->config,
                               r->data};
        for (size_t k = 0; k < sizeof labels / sizeof labels[0]; k++) {
            if (!texts[k] || !*texts[k])
                continue;
            fprintf(f, "  %-10s", labels[k]);
            wrap(f, texts[k], 12, 12, 110);
        }
        fputc('\n', f);
    }
    return ferror(f) ? IL_EIO : IL_OK;
}

il_status il_registry_write_list(FILE *f, const il_registry *r)
{
    fprintf(f, "id\tsource\tclaim\treading\n");
    for (size_t i = 0; i < il_registry_count(r); i++) {
        const il_registry_entry *e = il_registry_at(r, i);
        put_text(f, e->id);
        fputc('\t', f);
        put_text(f, e->source);
        fputc('\t', f);
        put_text(f, e->claim);
        fputc('\t', f);
        put_text(f, e->reading);
        fputc('\n', f);
    }
    return ferror(f) ? IL_EIO : IL_OK;
}
