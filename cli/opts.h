/* opts.h: the command-line layer's shared machinery: option tables, strict parsing, help text,
 * usage errors, and output files that appear whole or not at all. */
#ifndef IL_OPTS_H
#define IL_OPTS_H

#include <stddef.h>
#include <stdio.h>

#define IL_EXIT_OK 0
#define IL_EXIT_FAIL 1  /* runtime failure */
#define IL_EXIT_USAGE 2 /* bad command line */
#define IL_EXIT_PARTIAL 3 /* stopped early (signal or --stop-after): partial results were written */

typedef struct {
    const char *name;    /* long name without dashes */
    const char *metavar; /* NULL for a flag without value */
    const char *help;    /* one or more sentences; "(default X)" where there is one */
} il_optdef;

typedef struct {
    const char *value; /* the argument, or "1" for a flag given */
    int set;
} il_optval;

/* il_opts_parse: parses argv[1..argc-1] against defs. Accepts --name VALUE and --name=VALUE, flags
 * as --name. Positional arguments go to pos (at most maxpos). Returns -1 after printing help for
 * --help / -h (exit 0), 0 on success, IL_EXIT_USAGE after printing one error line. */
int il_opts_parse(const char *cmd, const il_optdef *defs, size_t ndefs, int argc, char **argv, il_optval *vals,
                  const char **pos, size_t maxpos, size_t *npos, const char *usage, const char *summary);

/* il_opts_help: prints usage, summary and every option with its help, wrapped. */
void il_opts_help(FILE *f, const char *cmd, const char *usage, const char *summary, const il_optdef *defs,
                  size_t ndefs);

/* il_opt_index: index of name in defs (the tables are small); aborts the build of a table bug by
 * returning ndefs, which callers treat as a programming error. */
size_t il_opt_index(const il_optdef *defs, size_t ndefs, const char *name);

/* il_usage_error: prints "initlab CMD: message" to stderr and returns IL_EXIT_USAGE. */
int il_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* il_fail: the same for runtime failures, returning IL_EXIT_FAIL. */
int il_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* An output destination that is written to a temporary file beside the target and renamed into
 * place on commit, so a failed run never leaves a partial file. path NULL or "-" means stdout. */
typedef struct {
    FILE *f;
    char *path;
    char *tmp;
} il_outfile;

int il_outfile_open(il_outfile *o, const char *path);   /* 0, or -1 with errno */
int il_outfile_commit(il_outfile *o);                   /* 0, or -1 (the temporary is removed) */
void il_outfile_abort(il_outfile *o);                   /* removes the temporary */

/* il_machine_memory: physical memory in bytes (0 if unknown). */
size_t il_machine_memory(void);

#endif
