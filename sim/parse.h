/* parse.h: strict parsing of numbers and lists for every user-facing input. Nothing here prints:
 * on failure a function returns IL_EINVAL and, where it takes one, writes a one-line reason into
 * err (size errlen, always NUL-terminated). */
#ifndef IL_PARSE_H
#define IL_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

/* il_parse_double: the whole of text is one finite number (strtod syntax, no leading or trailing
 * blanks or garbage, no NaN or infinity, no overflow). */
il_status il_parse_double(const char *text, double *out);

/* il_parse_size: a decimal integer in [lo, hi] with no sign, blanks or trailing garbage. */
il_status il_parse_size(const char *text, size_t lo, size_t hi, size_t *out);

/* il_parse_u64: a decimal integer in [0, 2^64 - 1] (for seeds). */
il_status il_parse_u64(const char *text, uint64_t *out);

/* il_parse_size_list: comma-separated sizes, each in [lo, hi], at most cap of them; *n is the count.
 * Empty items ("4,,8") and empty text are errors. */
il_status il_parse_size_list(const char *text, size_t lo, size_t hi, size_t *out, size_t cap, size_t *n,
                             char *err, size_t errlen);

/* il_parse_double_list: as il_parse_size_list for finite doubles in [lo, hi]. */
il_status il_parse_double_list(const char *text, double lo, double hi, double *out, size_t cap, size_t *n,
                               char *err, size_t errlen);

/* il_parse_choice: index of text in the NULL-terminated names[]; IL_EINVAL if absent. */
il_status il_parse_choice(const char *text, const char *const *names, int *out);

#endif
