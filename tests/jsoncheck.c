/* jsoncheck.c: a tiny JSON probe for the command-line tests (the scripts in tests/cli/).
 *
 *   jsoncheck FILE            exit 0 if FILE ("-" for standard input) is valid JSON (duplicate keys
 *                             rejected), else print the parser's message on stderr and exit 1
 *   jsoncheck FILE PATH...    print the value at each PATH, one per line
 *
 * A PATH is dot-separated: an object key, an array index (0-based), or one of the pseudo-components
 * "length" (elements of an array, keys of an object, bytes of a string) and "type" (object, array,
 * string, integer, real, true, false, null). A real key of the same name wins over a pseudo-component.
 * "." alone is the root. Values print as: integers in decimal, reals with %.17g, strings raw (no
 * quotes), true/false/null, objects and arrays as compact JSON.
 * Exit status: 0, 1 for invalid JSON or a path that does not exist (message on stderr), 2 for bad use.
 * Build: cc -std=c11 -O2 -o jsoncheck tests/jsoncheck.c -ljansson */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "real";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

/* Parses a non-negative decimal index; returns 0 on success. */
static int parse_index(const char *s, size_t *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return -1;
    *out = (size_t)v;
    return 0;
}

/* Prints the value of one path, or a message on stderr; returns 0 or 1. */
static int probe(const json_t *root, const char *path)
{
    char *copy = strdup(path);
    if (!copy) {
        fprintf(stderr, "jsoncheck: out of memory\n");
        return 1;
    }
    const json_t *v = root;
    char pseudo[8] = "";
    int rc = 0;
    if (strcmp(path, ".") != 0) {
        char *save = NULL;
        for (char *tok = strtok_r(copy, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
            if (pseudo[0]) {
                fprintf(stderr, "jsoncheck: '%s' must be the last component of '%s'\n", pseudo, path);
                rc = 1;
                break;
            }
            const json_t *next = NULL;
            size_t idx;
            if (json_is_object(v))
                next = json_object_get(v, tok);
            else if (json_is_array(v) && parse_index(tok, &idx) == 0)
                next = json_array_get(v, idx);
            if (next) {
                v = next;
                continue;
            }
            if (strcmp(tok, "length") == 0 || strcmp(tok, "type") == 0) {
                strcpy(pseudo, tok);
                continue;
            }
            fprintf(stderr, "jsoncheck: no '%s' in %s at '%s'\n", tok, type_name(v), path);
            rc = 1;
            break;
        }
    }
    free(copy);
    if (rc)
        return rc;
    if (strcmp(pseudo, "type") == 0) {
        printf("%s\n", type_name(v));
        return 0;
    }
    if (strcmp(pseudo, "length") == 0) {
        if (json_is_array(v))
            printf("%zu\n", json_array_size(v));
        else if (json_is_object(v))
            printf("%zu\n", json_object_size(v));
        else if (json_is_string(v))
            printf("%zu\n", json_string_length(v));
        else {
            fprintf(stderr, "jsoncheck: %s at '%s' has no length\n", type_name(v), path);
            return 1;
        }
        return 0;
    }
    switch (json_typeof(v)) {
    case JSON_INTEGER: printf("%" JSON_INTEGER_FORMAT "\n", json_integer_value(v)); break;
    case JSON_REAL: printf("%.17g\n", json_real_value(v)); break;
    case JSON_STRING: printf("%s\n", json_string_value(v)); break;
    case JSON_TRUE: printf("true\n"); break;
    case JSON_FALSE: printf("false\n"); break;
    case JSON_NULL: printf("null\n"); break;
    default: {
        char *s = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(17) | JSON_ENCODE_ANY);
        if (!s) {
            fprintf(stderr, "jsoncheck: cannot print the value at '%s'\n", path);
            return 1;
        }
        printf("%s\n", s);
        free(s);
    }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: jsoncheck FILE [PATH...]\n");
        return 2;
    }
    json_error_t err;
    json_t *root = strcmp(argv[1], "-") == 0 ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &err)
                                             : json_load_file(argv[1], JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        fprintf(stderr, "jsoncheck: %s: line %d column %d: %s\n", argv[1], err.line, err.column, err.text);
        return 1;
    }
    int rc = 0;
    for (int i = 2; i < argc; i++)
        rc |= probe(root, argv[i]);
    json_decref(root);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "jsoncheck: writing standard output failed\n");
        rc = 1;
    }
    return rc;
}
