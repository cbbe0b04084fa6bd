/* registry.h: the claim registry. A claim is an entry (its id, where it comes from, the claim as written,
 * the reading used where the text is ambiguous) and a check function that decides it by simulation or by
 * an exact computation and fills a result: a verdict, the evidence, the decisive numbers, the correct
 * statement when the claim is wrong, the configuration and the seed. `initlab claims` runs them; a report
 * can be built from the results (every field below is data, nothing is printed by a check).
 *
 * VERDICTS. holds: the stated test confirms the claim as read. refuted: the test rejects it; the result
 * says what is true instead. holds-with-caveat: the claim is right only under an extra condition that the
 * seed does not state, and the check shows a case outside it where the claim fails (or where the stated
 * number changes). undecided: the test could not decide at this size (never expected with the built-in
 * sizes; the evidence then says what would decide it).
 *
 * MARGIN. Every result carries `margin`, the factor by which the decisive statistic clears its threshold: for
 * a finite-difference check that holds, bound / max error; for one that is refuted, max error / bound; for a
 * Monte Carlo refutation, max |z| over the Bonferroni critical value; for a Monte Carlo confirmation, the
 * smallest relevant deviation / (|deviation| + critical value x SE) over the items; +inf for exact integer,
 * sign and grid computations. (Holm's step-down can refute at a slightly lower |z| than Bonferroni's
 * critical value, so a refutation's margin can fall just below 1.) A verdict with margin <
 * IL_REGISTRY_CLEAR_MARGIN is flagged borderline, and the evidence says so.
 *
 * DETERMINISM. Every generator a check uses is il_rng_seed_draw(il_registry_seed(ctx, key), i) for a key
 * naming the computation (not the claim) and a draw number i; every Monte Carlo run uses
 * il_registry_seed(ctx, key) as its seed. A computation shared by several claims (e.g. one simulation
 * behind S001-P2c..e) is cached for the duration of one il_registry_run under its key, so a claim's
 * numbers do not depend on which other claims run, nor on the number of threads.
 *
 * Derivations of the tests and thresholds, the readings, and a worked example of adding a claim:
 * docs/claims.md. */
#ifndef IL_REGISTRY_H
#define IL_REGISTRY_H

#include <float.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "act.h"
#include "error.h"
#include "moments.h"
#include "rng.h"
#include "verdict.h"

typedef enum {
    IL_REGISTRY_HOLDS = 0,
    IL_REGISTRY_REFUTED,
    IL_REGISTRY_CAVEAT,    /* holds-with-caveat */
    IL_REGISTRY_UNDECIDED
} il_registry_verdict;

/* "holds", "refuted", "holds-with-caveat", "undecided" ("unknown" otherwise). Static strings. */
const char *il_registry_verdict_name(il_registry_verdict v);

#define IL_REGISTRY_CLEAR_MARGIN 2.0  /* a decided verdict with a smaller margin is borderline */
#define IL_REGISTRY_MAX_NUMS 24       /* decisive numbers per result */
#define IL_REGISTRY_NAME 40           /* bytes of a number's name */
#define IL_REGISTRY_EVIDENCE 2048     /* bytes of the evidence text */
#define IL_REGISTRY_TEXT 1024         /* bytes of the other texts */

typedef struct {
    char name[IL_REGISTRY_NAME];
    double value;
} il_registry_num;

typedef struct il_registry_entry il_registry_entry;
typedef struct il_registry_ctx il_registry_ctx;

/* One claim's result. Texts are NUL-terminated single lines (no tabs or newlines). */
typedef struct {
    const il_registry_entry *entry;   /* borrowed from the registry */
    il_registry_verdict verdict;
    double margin;                    /* see MARGIN above; NaN only for undecided */
    int borderline;                   /* margin < IL_REGISTRY_CLEAR_MARGIN */
    char evidence[IL_REGISTRY_EVIDENCE];  /* what was computed and what it showed, with the numbers */
    char correct[IL_REGISTRY_TEXT];   /* the correct statement (refuted), or the condition (caveat); else "" */
    char test[IL_REGISTRY_TEXT];      /* the test and its threshold */
    char config[IL_REGISTRY_TEXT];    /* sizes, laws, shapes, and how to reproduce */
    uint64_t seed;                    /* the run's seed (every generator derives from it and a key) */
    il_registry_num nums[IL_REGISTRY_MAX_NUMS]; /* the decisive numbers, in order */
    size_t n_nums;
    char data[IL_REGISTRY_TEXT];      /* data files written for a figure, comma-separated names relative to
                                       * the data directory, or "" */
} il_registry_result;

/* A check: decides entry e and fills res (zeroed, with entry and seed set, by the caller). Returns IL_OK
 * whatever the verdict; an error status (IL_ENOMEM, IL_EIO, ...) only when the computation itself
 * failed, with a reason in res->evidence. */
typedef il_status (*il_registry_check_fn)(const il_registry_entry *e, il_registry_ctx *ctx, il_registry_result *res);

struct il_registry_entry {
    const char *id;       /* unique; letters, digits, '-', '_', '.' (e.g. "S001-P2h") */
    const char *source;   /* where it comes from ("seed 001, problem 2") */
    const char *claim;    /* the claim as the source writes it */
    const char *reading;  /* the reading used where the text is ambiguous, or "" */
    il_registry_check_fn check;
    const void *data;     /* passed to check through e->data (lets one function serve several entries) */
};

/* ---- the registry ---- */

typedef struct il_registry il_registry;

/* il_registry_alloc: an empty registry; NULL on ENOMEM. il_registry_free(NULL) does nothing. */
il_registry *il_registry_alloc(void);
void il_registry_free(il_registry *r);

/* il_registry_add: appends *e (borrowed: it must outlive r). IL_EINVAL (reason in err, errlen bytes, may
 * be NULL) for a NULL or malformed id, an id already present, a missing source, claim or check; IL_ENOMEM. */
il_status il_registry_add(il_registry *r, const il_registry_entry *e, char *err, size_t errlen);

/* il_registry_add_builtin: appends every claim of the seed homeworks (the tables below), in order. */
il_status il_registry_add_builtin(il_registry *r, char *err, size_t errlen);

size_t il_registry_count(const il_registry *r);
const il_registry_entry *il_registry_at(const il_registry *r, size_t i); /* NULL past the end */
/* il_registry_find: the index of id, or il_registry_count(r) if absent. */
size_t il_registry_find(const il_registry *r, const char *id);

/* ---- running claims ---- */

typedef struct {
    uint64_t seed;          /* default 1 */
    int threads;            /* >= 1 (Monte Carlo runs and commutation cases); results do not depend on it */
    const char *data_dir;   /* an existing directory for the data files a figure needs, or NULL: none */
    /* Optional: called before each claim runs (e.g. for progress). */
    void (*progress)(void *pctx, size_t done, size_t total, const char *id);
    void *progress_ctx;
} il_registry_opts;

void il_registry_opts_default(il_registry_opts *o);

/* il_registry_run: runs the claims which[0..m-1] (indices into r, or which = NULL for all m =
 * il_registry_count(r)) in order and fills out[0..m-1] (caller-owned). Returns IL_OK; IL_EINVAL for a bad
 * index or options; or the first check's error status, with "ID: reason" in err (errlen bytes; may be NULL).
 * Not thread-safe for one registry (the claim-expression module it may use is not). */
il_status il_registry_run(const il_registry *r, const size_t *which, size_t m, const il_registry_opts *opts,
                          il_registry_result *out, char *err, size_t errlen);

/* ---- writers ---- */

/* il_registry_write_tsv: the '#' header (il_write_header: tool, version, params), a column line, one row per
 * result. Columns: id source verdict evidence correct_statement margin borderline numbers test config seed
 * data claim reading. numbers is "name=value;name=value" with %.17g. IL_EIO on a stream error. */
il_status il_registry_write_tsv(FILE *f, const char *command, const il_param *params, size_t n_params,
                                const il_registry_result *res, size_t m);

/* il_registry_to_json: {tool, version, command, params, summary: {claims, holds, refuted, holds-with-caveat,
 * undecided, borderline}, claims: [{id, source, claim, reading, verdict, margin, borderline, evidence,
 * correct_statement, test, config, seed, numbers: {name: value}, data: [names]}]}; NaN and infinities as
 * null (margin +inf as the string "inf"). NULL on ENOMEM. */
json_t *il_registry_to_json(const char *command, const il_param *params, size_t n_params,
                            const il_registry_result *res, size_t m);

/* il_registry_write_table: for people: a summary line, then per claim a line "ID  VERDICT  margin" and the
 * claim, the evidence and the correct statement, wrapped. IL_EIO on a stream error. */
il_status il_registry_write_table(FILE *f, const char *command, const il_param *params, size_t n_params,
                                  const il_registry_result *res, size_t m);

/* il_registry_write_list: the entries without running them: id, source, claim, reading (TSV with a column
 * line). IL_EIO on a stream error. */
il_status il_registry_write_list(FILE *f, const il_registry *r);

/* ======================================================================================================
 * Tools for check functions.
 * ====================================================================================================== */

/* What a check receives: the run's seed, threads and data directory (read them), and the run's cache (use it
 * only through il_registry_cache_get/_put). */
struct il_registry_ctx {
    uint64_t seed;
    int threads;
    const char *data_dir;
    struct il_registry_cache *cache; /* owned by il_registry_run */
};

/* il_registry_seed: the seed of the computation named key under ctx->seed: a 64-bit FNV-1a hash of key
 * mixed with ctx->seed (SplitMix64). il_registry_rng: *r = il_rng_seed_draw(il_registry_seed(ctx, key), i). */
uint64_t il_registry_seed(const il_registry_ctx *ctx, const char *key);
void il_registry_rng(const il_registry_ctx *ctx, const char *key, uint64_t i, il_rng *r);

/* The cache: a computation's result stored under its key for the rest of the run. il_registry_cache_get
 * returns the stored pointer or NULL; il_registry_cache_put stores p (ownership passes to the cache, which
 * frees it with release(p) at the end of the run; release may be NULL). IL_ENOMEM (release(p) is then
 * called at once). */
void *il_registry_cache_get(il_registry_ctx *ctx, const char *key);
il_status il_registry_cache_put(il_registry_ctx *ctx, const char *key, void *p, void (*release)(void *));

/* il_registry_data_open: opens ctx->data_dir/name for writing (NULL data_dir: *f = NULL and IL_OK: no data
 * wanted) and records name in res->data. il_registry_data_close: closes it, IL_EIO if anything failed. */
il_status il_registry_data_open(const il_registry_ctx *ctx, il_registry_result *res, const char *name, FILE **f);
il_status il_registry_data_close(FILE *f);

/* Filling a result. The text functions append (printf-style) and truncate at the buffer's end; tabs and
 * newlines become spaces when written. il_registry_num_add ignores numbers past IL_REGISTRY_MAX_NUMS. */
void il_registry_num_add(il_registry_result *res, const char *name, double value);
void il_registry_evidence(il_registry_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void il_registry_correct(il_registry_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void il_registry_test(il_registry_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void il_registry_config(il_registry_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* il_registry_decide: sets the verdict and the margin, and borderline from it (and says so in the
 * evidence). */
void il_registry_decide(il_registry_result *res, il_registry_verdict v, double margin);

/* ---- Monte Carlo items: THE RULE of analysis/verdict.h, mapped to a claim ----
 * A claim tested by Monte Carlo is a family of m items (estimate, SE, claimed value, scale), decided by
 * il_verdict_family at alpha = IL_REGISTRY_ALPHA with relevant deviation rel_tol x scale:
 *     any item refuted            -> refuted
 *     every item consistent       -> holds
 *     otherwise                   -> undecided
 * IL_REGISTRY_ALPHA is stricter than the library's 10^-3: a run decides about a dozen true claims by Monte Carlo,
 * and at 10^-3 each, one of them would be refuted by chance in about 1 run in 100; at 10^-5 in about 1 in 10^4.
 * Wrong claims are refuted at |z| in the tens or hundreds, so nothing is lost there.
 * il_registry_family runs it and gives that verdict, the margin (see MARGIN; Bonferroni critical values
 * z_r = Q^-1(alpha / 2m) for refutation, z_e = Q^-1(alpha / m) for equivalence, normal reference), the
 * most extreme item (the largest |z| when refuted, the smallest margin otherwise) and, when undecided, the
 * largest draws_needed. items may be NULL. */
#define IL_REGISTRY_ALPHA 1e-5
typedef struct {
    il_registry_verdict verdict;
    double margin;
    size_t worst;          /* index of the decisive item */
    double max_abs_z;      /* over the items */
    double n_needed;       /* undecided: draws that would decide (max over items); else NaN */
    il_verdict_summary sum;
} il_registry_family_result;

il_status il_registry_family(const double *est, const double *se, const double *value, const double *scale,
                             size_t m, size_t n_draws, double rel_tol, il_verdict_item *items,
                             il_registry_family_result *out);

/* ---- error-tracked floating-point values (running error analysis, Higham 2002, 3.3) ----
 * v is the computed value, e an upper bound on |v - exact| to first order in u = DBL_EPSILON / 2, where
 * "exact" is the same expression evaluated in exact arithmetic on exact inputs. The rules: fl(a op b) =
 * (a op b)(1 + d), |d| <= u; elementwise activations are evaluated by sim/act.h and have relative error
 * <= c_phi u (sigmoid: c = 6, from libm's exp within 1 ulp and two roundings; tanh: c = 4, libm within 2
 * ulps; relu, identity: 0; leaky_relu: 1) and a Lipschitz constant (sigmoid 1/4, others max(1, |slope|)).
 * An activation without such constants gives e = +inf (every bound built on it is then infinite). */
typedef struct {
    double v, e;
} il_registry_ev;

#define IL_REGISTRY_U (DBL_EPSILON / 2.0)

il_registry_ev il_registry_ev_exact(double v);                            /* {v, 0} */
il_registry_ev il_registry_ev_add(il_registry_ev a, il_registry_ev b);
il_registry_ev il_registry_ev_sub(il_registry_ev a, il_registry_ev b);
il_registry_ev il_registry_ev_mul(il_registry_ev a, il_registry_ev b);
il_registry_ev il_registry_ev_div(il_registry_ev a, il_registry_ev b);    /* e = +inf if |b.v| <= b.e */
il_registry_ev il_registry_ev_sqrt(il_registry_ev a);                     /* a.v >= 0 */
il_registry_ev il_registry_ev_act(const il_act *phi, il_registry_ev a);
/* il_registry_ev_dot: sum_j a_j b_j + c, its value summed left to right (as sim/net.c's small layers do),
 * its bound valid for ANY summation order, with or without fused multiply-adds (so it also covers BLAS):
 *     sum_j (|a_j| e(b_j) + |b_j| e(a_j) + e(a_j) e(b_j)) + e(c) + gamma_{n+1} (sum_j |a_j b_j| + |c|). */
il_registry_ev il_registry_ev_dot(const il_registry_ev *a, const il_registry_ev *b, size_t n, il_registry_ev c);

/* ---- finite-difference Jacobians with an error bound ----
 * A model maps dim parameters theta to nout outputs, each with its running error bound. */
typedef struct {
    size_t dim, nout;
    il_status (*eval)(const void *model, const double *theta, il_registry_ev *out);
    const void *model;
    double m3;  /* a known bound on |d^3 f_i / d theta_j^3| near theta (0 for a model that is piecewise
                 * quadratic in each parameter and evaluated away from its kinks), or NaN: estimate it */
} il_registry_fn;

/* The step: central differences use theta_j +- h with h = IL_REGISTRY_FD_H = 2^-17. */
#define IL_REGISTRY_FD_H 0x1p-17

/* il_registry_snap: rounds theta[0..n-1] to multiples of h, so that theta_j +- k h are exact for every k <= 2^13
 * (|theta_j| < 2^35). il_registry_fd needs theta_j +- h exact: otherwise the actual step differs from 2h by up to
 * an ulp of theta_j, a relative error of the difference quotient as large as its bound. */
void il_registry_snap(double *theta, size_t n, double h);

/* il_registry_fd: the central differences D_ij = (f_i(theta + h e_j) - f_i(theta - h e_j)) / 2h for the
 * parameters j = off .. off+len-1 into fd (nout x len, row-major), and for each a bound on |D_ij - df_i/dtheta_j|:
 *     bound_ij = h^2 M3_ij / 6 + (e_i(+) + e_i(-)) / 2h + u |D_ij|,
 * the Taylor remainder of the central difference, the evaluation errors of the two values (running error
 * bounds from the model), and the rounding of the subtraction (the division by 2h is exact). M3_ij is
 * fn->m3 when known; otherwise it is estimated as twice the largest of the third differences
 * |f(+2H) - 2f(+H) + 2f(-H) - f(-2H)| / 2H^3 (plus their own rounding bound) at H = 2^-5 and 2^-7. Returns
 * IL_OK; IL_EINVAL for sizes, or when theta_j +- h or theta_j +- 2^-4 is not exact (snap theta first,
 * il_registry_snap); or the model's error. */
il_status il_registry_fd(const il_registry_fn *fn, const double *theta, size_t off, size_t len, double *fd,
                         double *bound);

/* Accumulated comparison of claimed derivatives with finite differences, over instances. */
typedef struct {
    size_t compared;        /* entries compared */
    double max_ratio;       /* max |claimed - D| / (bound + claimed_err): <= 1 everywhere iff the claim holds */
    double max_abs_err;     /* max |claimed - D| */
    double max_rel_err;     /* max |claimed - D| / max(|claimed|, |D|) (0 where both are 0) */
    size_t worst_instance, worst_index; /* where max_ratio occurred (index into the compared block) */
    double worst_claimed, worst_fd, worst_bound;
    double max_abs_fd;      /* max |D| */
} il_registry_fdcmp;

void il_registry_fdcmp_reset(il_registry_fdcmp *c);

/* il_registry_fdcmp_add: compares claimed[0..n-1] with fd and bound (from il_registry_fd) for instance
 * `instance`. claimed_err[k] bounds the rounding of claimed[k] (NULL: gamma_32 (|claimed_k| + max_k |claimed_k|),
 * 32 roundings at the scale of the block's largest entry). A NaN or infinite claimed value counts as an
 * infinite ratio. */
void il_registry_fdcmp_add(il_registry_fdcmp *c, size_t instance, const double *claimed, const double *claimed_err,
                           const double *fd, const double *bound, size_t n);

/* ---- built-in claims (analysis/checks_s000.c, checks_s001.c, checks_s002.c) ---- */
extern const il_registry_entry il_checks_s000[];
extern const size_t il_checks_s000_count;
extern const il_registry_entry il_checks_s001[];
extern const size_t il_checks_s001_count;
extern const il_registry_entry il_checks_s002[];
extern const size_t il_checks_s002_count;

#endif
