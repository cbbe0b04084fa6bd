/* claim.c: per-layer formulas through libmatheval, with the checks described in claim.h. */
#include "claim.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <matheval.h>

enum { V_L, V_N, V_M, V_N0, V_DEPTH, V_P, V_Q, N_VARS };
static const char *const var_names[N_VARS] = { "l", "n", "m", "n0", "L", "p", "q" };
static const char allowed_list[] = "l, n, m, n0, L, p, q";

struct il_claim {
    char *expr;
    void *ev;                 /* libmatheval evaluator */
    int recursive;
    char nm[N_VARS][3];       /* writable copies of var_names for evaluator_evaluate */
    char *names[N_VARS];
};

const char *il_claim_variables(void)
{
    return allowed_list;
}

/* Message helpers: err may be NULL or errlen 0; output is truncated, always terminated. */
static void msg(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void msg_append(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    size_t used = strlen(err);
    if (used + 1 >= errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + used, errlen - used, fmt, ap);
    va_end(ap);
}

static int is_alpha_(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static int allowed_char(char ch)
{
    return is_alpha_(ch) || is_digit(ch) || is_blank(ch) || strchr(".+-*/^()", ch) != NULL;
}

/* Tokens, as far as the checks need them. */
typedef enum { T_END, T_NUM, T_WORD, T_FUNC, T_OP, T_POW, T_LP, T_RP } tok_kind;

typedef struct {
    tok_kind kind;
    size_t pos, len;
} token;

/* Reads the token at s[*i] and advances *i past it. A number is digits with an optional fraction
 * and exponent; a digit run that runs straight into a letter or '_' is one word (libmatheval's
 * constants 1_pi, 2_pi, 2_sqrtpi). A word followed by '(' is a function name. */
static token next_token(const char *s, size_t *i)
{
    size_t k = *i;
    while (is_blank(s[k]))
        k++;
    token t = { T_END, k, 0 };
    char ch = s[k];
    if (ch == '\0') {
        *i = k;
        return t;
    }
    if (is_digit(ch) || (ch == '.' && is_digit(s[k + 1]))) {
        size_t j = k;
        while (is_digit(s[j]))
            j++;
        if (s[j] == '.')
            for (j++; is_digit(s[j]); j++) {}
        if (s[j] == 'e' || s[j] == 'E') {
            size_t x = j + 1;
            if (s[x] == '+' || s[x] == '-')
                x++;
            if (is_digit(s[x])) {
                while (is_digit(s[x]))
                    x++;
                j = x;
            }
        }
        if (is_alpha_(s[j])) { /* a word starting with digits */
            for (j = k; is_alpha_(s[j]) || is_digit(s[j]); j++) {}
            t.kind = T_WORD;
        } else
            t.kind = T_NUM;
        t.len = j - k;
    } else if (is_alpha_(ch)) {
        size_t j = k;
        while (is_alpha_(s[j]) || is_digit(s[j]))
            j++;
        t.len = j - k;
        size_t x = j;
        while (is_blank(s[x]))
            x++;
        t.kind = s[x] == '(' ? T_FUNC : T_WORD;
    } else {
        t.len = 1;
        t.kind = ch == '^' ? T_POW : ch == '(' ? T_LP : ch == ')' ? T_RP : T_OP;
    }
    *i = k + t.len;
    return t;
}

/* After a '^': skips unary signs and one operand (number, name, call, or parenthesised group);
 * returns the token that follows. */
static token after_operand(const char *s, size_t *i)
{
    token t = next_token(s, i);
    while (t.kind == T_OP && (s[t.pos] == '-' || s[t.pos] == '+'))
        t = next_token(s, i);
    if (t.kind == T_FUNC)
        t = next_token(s, i); /* its '(' */
    if (t.kind == T_LP) {
        int depth = 1;
        while (depth > 0) {
            t = next_token(s, i);
            if (t.kind == T_END)
                return t;
            depth += t.kind == T_LP ? 1 : t.kind == T_RP ? -1 : 0;
        }
    }
    return next_token(s, i);
}

static int var_index(const char *s, size_t len)
{
    for (int v = 0; v < N_VARS; v++)
        if (strlen(var_names[v]) == len && memcmp(var_names[v], s, len) == 0)
            return v;
    return -1;
}

/* 1 if name (NUL-terminated, writable) is one of libmatheval's constants: alone, it parses to an
 * expression without variables. */
static int is_constant(char *name)
{
    void *e = evaluator_create(name);
    if (!e)
        return 0;
    char **vars = NULL;
    int count = 0;
    evaluator_get_variables(e, &vars, &count);
    evaluator_destroy(e);
    return count == 0;
}

/* Adds 'name' to seen ("'a', 'b'", for the message) unless it is already there. */
static void add_unknown(const char *name, size_t *n_unknown, char *seen, size_t seen_len)
{
    char quoted[64];
    int w = snprintf(quoted, sizeof quoted, "'%s'", name);
    if (w < 0 || (size_t)w >= sizeof quoted) { /* a very long name: show its start */
        snprintf(quoted, sizeof quoted, "'%.50s...'", name);
    }
    if (strstr(seen, quoted))
        return;
    size_t used = strlen(seen);
    snprintf(seen + used, seen_len - used, "%s%s", *n_unknown ? ", " : "", quoted);
    (*n_unknown)++;
}

/* The refusal of a '.' at position i (0-based) that is not part of a number. */
static il_claim *misplaced_point(const char *expr, size_t i, char *err, size_t errlen)
{
    msg(err, errlen, "claim '%s': misplaced '.' at position %zu (a number is written 0.5, .5, 5. or 5e-1)", expr,
        i + 1);
    return NULL;
}

il_claim *il_claim_alloc(const char *expr, char *err, size_t errlen)
{
    msg(err, errlen, "%s", "");
    if (!expr) {
        msg(err, errlen, "claim: no expression");
        return NULL;
    }
    size_t len = strlen(expr), k = 0;
    while (is_blank(expr[k]))
        k++;
    if (k == len) {
        msg(err, errlen, "claim: empty expression (allowed variables: %s)", allowed_list);
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        if (!allowed_char(expr[i])) {
            unsigned char ch = (unsigned char)expr[i];
            if (ch >= 0x20 && ch < 0x7f)
                msg(err, errlen, "claim '%s': unexpected character '%c' at position %zu", expr, ch, i + 1);
            else
                msg(err, errlen, "claim '%s': unexpected byte 0x%02x at position %zu", expr, ch, i + 1);
            msg_append(err, errlen, " (allowed: letters, digits, _ . + - * / ^ ( ) and blanks)");
            return NULL;
        }
    }
    /* A '.' must sit inside a number: digits with at most one point, then an optional exponent
     * [eE][+-]digits, not glued to a name. libmatheval's lexer silently drops a stray '.' (echoing it to
     * stdout), so "q." or "1e+7." would otherwise be read as q or 1e+7. */
    for (size_t i = 0; i < len;) {
        if (is_alpha_(expr[i])) { /* a name, digits included: n0 */
            while (i < len && (is_alpha_(expr[i]) || is_digit(expr[i])))
                i++;
            if (i < len && expr[i] == '.')
                return misplaced_point(expr, i, err, errlen);
            continue;
        }
        if (!is_digit(expr[i]) && expr[i] != '.') {
            i++;
            continue;
        }
        size_t j = i, digits = 0;
        while (j < len && is_digit(expr[j]))
            j++, digits++;
        if (j < len && expr[j] == '.') {
            j++;
            while (j < len && is_digit(expr[j]))
                j++, digits++;
        }
        if (digits == 0)
            return misplaced_point(expr, i, err, errlen);
        if (j < len && (expr[j] == 'e' || expr[j] == 'E')) {
            size_t x = j + 1;
            if (x < len && (expr[x] == '+' || expr[x] == '-'))
                x++;
            if (x < len && is_digit(expr[x])) {
                while (x < len && is_digit(expr[x]))
                    x++;
                j = x;
            }
        }
        if (j < len && expr[j] == '.')
            return misplaced_point(expr, j, err, errlen);
        i = j;
    }

    il_claim *c = calloc(1, sizeof *c);
    char *word = malloc(len + 1), *seen = NULL;
    size_t seen_len = len * 4 + 64;
    if (!c || !word || !(c->expr = malloc(len + 1)) || !(seen = calloc(seen_len, 1))) {
        msg(err, errlen, "claim: out of memory");
        goto fail;
    }
    memcpy(c->expr, expr, len + 1);
    for (int v = 0; v < N_VARS; v++) {
        memcpy(c->nm[v], var_names[v], strlen(var_names[v]) + 1);
        c->names[v] = c->nm[v];
    }

    /* libmatheval's parse (takes a writable string; word is a scratch copy). Its lexer skips only blanks
     * and tabs and echoes any other unmatched byte to stdout (a '\r' was found so by a harness feeding
     * random expressions): every blank we accept is handed to it as a space. */
    memcpy(word, expr, len + 1);
    for (size_t i = 0; i < len; i++)
        if (is_blank(word[i]))
            word[i] = ' ';
    c->ev = evaluator_create(word);
    if (!c->ev) {
        long depth = 0, low = 0;
        for (size_t i = 0; i < len; i++) {
            depth += expr[i] == '(' ? 1 : expr[i] == ')' ? -1 : 0;
            if (depth < low)
                low = depth;
        }
        msg(err, errlen, "claim '%s': syntax error", expr);
        if (depth != 0 || low < 0)
            msg_append(err, errlen, " (unbalanced parentheses)");
        else
            msg_append(err, errlen, " (products need '*', as in 2*n; no unary '+'; functions take "
                                    "parentheses, as in exp(n))");
        goto fail;
    }

    /* Power chains and names, from the text itself. */
    size_t i = 0, n_unknown = 0;
    for (;;) {
        token t = next_token(expr, &i);
        if (t.kind == T_END)
            break;
        if (t.kind == T_POW) {
            size_t j = i;
            token u = after_operand(expr, &j);
            if (u.kind == T_POW) {
                msg(err, errlen, "claim '%s': 'a^b^c' at position %zu is ambiguous (libmatheval reads "
                                 "it as (a^b)^c); add parentheses", expr, t.pos + 1);
                goto fail;
            }
        } else if (t.kind == T_WORD) {
            int v = var_index(expr + t.pos, t.len);
            if (v == V_Q)
                c->recursive = 1;
            if (v >= 0)
                continue;
            memcpy(word, expr + t.pos, t.len);
            word[t.len] = '\0';
            if (!is_constant(word))
                add_unknown(word, &n_unknown, seen, seen_len);
        }
    }
    /* Cross-check with what libmatheval itself will look up. */
    char **vars = NULL;
    int count = 0;
    evaluator_get_variables(c->ev, &vars, &count);
    for (int j = 0; j < count; j++) {
        int v = var_index(vars[j], strlen(vars[j]));
        if (v == V_Q)
            c->recursive = 1;
        if (v < 0)
            add_unknown(vars[j], &n_unknown, seen, seen_len);
    }
    if (n_unknown) {
        msg(err, errlen, "claim '%s': unknown variable%s %s (allowed: %s)", expr, n_unknown > 1 ? "s" : "", seen,
            allowed_list);
        goto fail;
    }
    free(word);
    free(seen);
    return c;
fail:
    free(word);
    free(seen);
    il_claim_free(c);
    return NULL;
}

void il_claim_free(il_claim *c)
{
    if (!c)
        return;
    if (c->ev)
        evaluator_destroy(c->ev);
    free(c->expr);
    free(c);
}

int il_claim_is_recursive(const il_claim *c)
{
    return c ? c->recursive : 0;
}

const char *il_claim_expr(const il_claim *c)
{
    return c ? c->expr : NULL;
}

il_status il_claim_eval(const il_claim *c, const il_claim_ctx *ctx, double *values, char *err, size_t errlen)
{
    msg(err, errlen, "%s", "");
    if (!c || !ctx || !values) {
        msg(err, errlen, "claim: NULL argument");
        return IL_EINVAL;
    }
    if (!ctx->widths || ctx->L < 1) {
        msg(err, errlen, "claim '%s': need depth L >= 1 and L + 1 widths", c->expr);
        return IL_EINVAL;
    }
    for (size_t l = 0; l <= ctx->L; l++)
        if (ctx->widths[l] < 1) {
            msg(err, errlen, "claim '%s': width n_%zu is 0; widths must be >= 1", c->expr, l);
            return IL_EINVAL;
        }
    if (!(ctx->p >= 0.0 && ctx->p <= 1.0)) {
        msg(err, errlen, "claim '%s': dropout p must be in [0, 1], got %g", c->expr, ctx->p);
        return IL_EINVAL;
    }
    if (c->recursive && !isfinite(ctx->q0)) {
        msg(err, errlen, "claim '%s' is a recursion in q and needs a finite q0, got %g", c->expr, ctx->q0);
        return IL_EINVAL;
    }
    double x[N_VARS];
    x[V_N0] = (double)ctx->widths[0];
    x[V_DEPTH] = (double)ctx->L;
    x[V_P] = ctx->p;
    double prev = c->recursive ? ctx->q0 : 0.0;
    for (size_t l = 1; l <= ctx->L; l++) {
        x[V_L] = (double)l;
        x[V_N] = (double)ctx->widths[l - 1];
        x[V_M] = (double)ctx->widths[l];
        x[V_Q] = prev;
        /* evaluator_evaluate takes non-const pointers but does not modify names or values. */
        double v = evaluator_evaluate(c->ev, N_VARS, (char **)c->names, x);
        values[l - 1] = v;
        if (!isfinite(v)) {
            for (size_t k = l; k < ctx->L; k++)
                values[k] = NAN;
            msg(err, errlen, "claim '%s' is %s at layer %zu (l = %zu, n = %zu, m = %zu, n0 = %zu, L = %zu, p = %g",
                c->expr, isnan(v) ? "NaN" : v > 0 ? "+inf" : "-inf", l, l, ctx->widths[l - 1], ctx->widths[l],
                ctx->widths[0], ctx->L, ctx->p);
            if (c->recursive)
                msg_append(err, errlen, ", q = %.17g", prev);
            msg_append(err, errlen, ")");
            return IL_ENUMERIC;
        }
        prev = v;
    }
    return IL_OK;
}
