#include "opts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

size_t il_opt_index(const il_optdef *defs, size_t ndefs, const char *name)
{
    for (size_t i = 0; i < ndefs; i++)
        if (strcmp(defs[i].name, name) == 0)
            return i;
    return ndefs;
}

static int vmsg(const char *cmd, int code, const char *fmt, va_list ap)
{
    fprintf(stderr, "initlab%s%s: ", cmd && *cmd ? " " : "", cmd ? cmd : "");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    return code;
}

int il_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vmsg(cmd, IL_EXIT_USAGE, fmt, ap);
    va_end(ap);
    return rc;
}

int il_fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vmsg(cmd, IL_EXIT_FAIL, fmt, ap);
    va_end(ap);
    return rc;
}

/* Prints text wrapped at width, every line indented by indent (the first after col). */
static void wrap(FILE *f, const char *text, size_t indent, size_t col, size_t width)
{
    const char *p = text;
    size_t at = col;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t w = strcspn(p, " ");
        if (at > indent && at + 1 + w > width) {
            fprintf(f, "\n%*s", (int)indent, "");
            at = indent;
        } else if (at > indent) {
            fputc(' ', f);
            at++;
        } else if (at < indent) {
            fprintf(f, "%*s", (int)(indent - at), "");
            at = indent;
        }
        fwrite(p, 1, w, f);
        at += w;
        p += w;
    }
    fputc('\n', f);
}

void il_opts_help(FILE *f, const char *cmd, const char *usage, const char *summary, const il_optdef *defs,
                  size_t ndefs)
{
    fprintf(f, "usage: initlab %s %s\n\n", cmd, usage);
    wrap(f, summary, 0, 0, 100);
    fprintf(f, "\noptions:\n");
    for (size_t i = 0; i < ndefs; i++) {
        char head[96];
        int n = snprintf(head, sizeof head, "  --%s%s%s", defs[i].name, defs[i].metavar ? " " : "",
                         defs[i].metavar ? defs[i].metavar : "");
        fputs(head, f);
        if (n >= 27) { /* no room for a blank before the text column: start the text on its own line */
            fputc('\n', f);
            n = 0;
        }
        wrap(f, defs[i].help, 28, (size_t)n, 100);
    }
    fprintf(f, "  --help, -h                show this help and exit\n");
}

int il_opts_parse(const char *cmd, const il_optdef *defs, size_t ndefs, int argc, char **argv, il_optval *vals,
                  const char **pos, size_t maxpos, size_t *npos, const char *usage, const char *summary)
{
    *npos = 0;
    for (size_t i = 0; i < ndefs; i++) {
        vals[i].value = NULL;
        vals[i].set = 0;
    }
    int only_pos = 0;
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (!only_pos && (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)) {
            il_opts_help(stdout, cmd, usage, summary, defs, ndefs);
            return -1;
        }
        if (!only_pos && strcmp(arg, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (only_pos || arg[0] != '-' || arg[1] == '\0') {
            if (*npos >= maxpos)
                return il_usage_error(cmd, "unexpected argument '%s' (see 'initlab %s --help')", arg, cmd);
            pos[(*npos)++] = arg;
            continue;
        }
        if (arg[1] != '-')
            return il_usage_error(cmd, "unknown option '%s'; options are spelled --name (see 'initlab %s --help')",
                                  arg, cmd);
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t nl = eq ? (size_t)(eq - name) : strlen(name);
        size_t i;
        for (i = 0; i < ndefs; i++)
            if (strlen(defs[i].name) == nl && strncmp(defs[i].name, name, nl) == 0)
                break;
        if (i == ndefs)
            return il_usage_error(cmd, "unknown option '--%.*s' (see 'initlab %s --help')", (int)nl, name, cmd);
        if (vals[i].set)
            return il_usage_error(cmd, "--%s is given more than once", defs[i].name);
        if (!defs[i].metavar) {
            if (eq)
                return il_usage_error(cmd, "--%s takes no value", defs[i].name);
            vals[i].value = "1";
        } else if (eq) {
            vals[i].value = eq + 1;
        } else {
            if (a + 1 >= argc)
                return il_usage_error(cmd, "--%s needs a value (%s)", defs[i].name, defs[i].metavar);
            vals[i].value = argv[++a];
        }
        vals[i].set = 1;
    }
    return 0;
}

int il_outfile_open(il_outfile *o, const char *path)
{
    memset(o, 0, sizeof *o);
    if (!path || strcmp(path, "-") == 0) {
        o->f = stdout;
        return 0;
    }
    size_t n = strlen(path);
    o->path = malloc(n + 1);
    o->tmp = malloc(n + 16);
    if (!o->path || !o->tmp) {
        free(o->path);
        free(o->tmp);
        o->path = o->tmp = NULL;
        errno = ENOMEM;
        return -1;
    }
    memcpy(o->path, path, n + 1);
    snprintf(o->tmp, n + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(o->tmp);
    /* mkstemp creates the file 0600; give it the mode an ordinary creat() would (0666 less umask) */
    mode_t mask = umask(0);
    umask(mask);
    if (fd >= 0)
        fchmod(fd, 0666 & ~mask);
    if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            unlink(o->tmp);
        }
        free(o->path);
        free(o->tmp);
        o->path = o->tmp = NULL;
        errno = e;
        return -1;
    }
    return 0;
}

int il_outfile_commit(il_outfile *o)
{
    if (!o->path) {
        int bad = fflush(stdout) != 0 || ferror(stdout);
        return bad ? -1 : 0;
    }
    int bad = fflush(o->f) != 0 || ferror(o->f);
    bad |= fclose(o->f) != 0;
    o->f = NULL;
    if (!bad)
        bad = rename(o->tmp, o->path) != 0;
    if (bad)
        unlink(o->tmp);
    free(o->path);
    free(o->tmp);
    o->path = o->tmp = NULL;
    return bad ? -1 : 0;
}

void il_outfile_abort(il_outfile *o)
{
    if (!o->path)
        return;
    if (o->f)
        fclose(o->f);
    unlink(o->tmp);
    free(o->path);
    free(o->tmp);
    o->f = NULL;
    o->path = o->tmp = NULL;
}

size_t il_machine_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0)
        return 0;
    return (size_t)pages * (size_t)page;
}
