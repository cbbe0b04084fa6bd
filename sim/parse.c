#include "parse.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

il_status il_parse_double(const char *text, double *out)
{
    if (!text || !*text || is_blank(text[0]))
        return IL_EINVAL;
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(v))
        return IL_EINVAL;
    /* strtod sets ERANGE on overflow (already caught as inf) and on underflow; an underflow to a
     * subnormal or zero is an honest reading of a tiny number, so it is accepted. */
    if (errno == ERANGE && fabs(v) > 1.0)
        return IL_EINVAL;
    *out = v;
    return IL_OK;
}

il_status il_parse_u64(const char *text, uint64_t *out)
{
    if (!text || *text < '0' || *text > '9')
        return IL_EINVAL;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return IL_EINVAL;
    *out = (uint64_t)v;
    return IL_OK;
}

il_status il_parse_size(const char *text, size_t lo, size_t hi, size_t *out)
{
    uint64_t v;
    if (il_parse_u64(text, &v) != IL_OK || v > SIZE_MAX)
        return IL_EINVAL;
    if ((size_t)v < lo || (size_t)v > hi)
        return IL_EINVAL;
    *out = (size_t)v;
    return IL_OK;
}

/* Splits text at commas into a scratch copy; calls item() on each piece. */
static il_status split_list(const char *text, size_t cap, size_t *n, char *err, size_t errlen,
                            il_status (*item)(const char *piece, size_t idx, void *ctx), void *ctx)
{
    if (!text || !*text) {
        snprintf(err, errlen, "empty list");
        return IL_EINVAL;
    }
    size_t len = strlen(text);
    char *copy = malloc(len + 1);
    if (!copy)
        return IL_ENOMEM;
    memcpy(copy, text, len + 1);
    il_status rc = IL_OK;
    size_t count = 0;
    char *p = copy;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (count >= cap) {
            snprintf(err, errlen, "more than %zu items", cap);
            rc = IL_EINVAL;
            break;
        }
        if (!*p) {
            snprintf(err, errlen, "empty item at position %zu", count + 1);
            rc = IL_EINVAL;
            break;
        }
        rc = item(p, count, ctx);
        if (rc != IL_OK) {
            snprintf(err, errlen, "bad item '%s' at position %zu", p, count + 1);
            break;
        }
        count++;
        if (!comma)
            break;
        p = comma + 1;
    }
    free(copy);
    if (rc == IL_OK)
        *n = count;
    return rc;
}

struct size_ctx {
    size_t lo, hi, *out;
};

static il_status size_item(const char *piece, size_t idx, void *vctx)
{
    struct size_ctx *c = vctx;
    return il_parse_size(piece, c->lo, c->hi, &c->out[idx]);
}

il_status il_parse_size_list(const char *text, size_t lo, size_t hi, size_t *out, size_t cap, size_t *n,
                             char *err, size_t errlen)
{
    struct size_ctx c = {lo, hi, out};
    return split_list(text, cap, n, err, errlen, size_item, &c);
}

struct dbl_ctx {
    double lo, hi, *out;
};

static il_status dbl_item(const char *piece, size_t idx, void *vctx)
{
    struct dbl_ctx *c = vctx;
    double v;
    if (il_parse_double(piece, &v) != IL_OK || v < c->lo || v > c->hi)
        return IL_EINVAL;
    c->out[idx] = v;
    return IL_OK;
}

il_status il_parse_double_list(const char *text, double lo, double hi, double *out, size_t cap, size_t *n,
                               char *err, size_t errlen)
{
    struct dbl_ctx c = {lo, hi, out};
    return split_list(text, cap, n, err, errlen, dbl_item, &c);
}

il_status il_parse_choice(const char *text, const char *const *names, int *out)
{
    if (!text)
        return IL_EINVAL;
    for (int i = 0; names[i]; i++) {
        if (strcmp(text, names[i]) == 0) {
            *out = i;
            return IL_OK;
        }
    }
    return IL_EINVAL;
}
