/* netopts.h: the options that describe a network (shared by sim, theory and the commands built on
 * them) and their translation into an il_net, with one-line errors naming the option. */
#ifndef IL_NETOPTS_H
#define IL_NETOPTS_H

#include <stddef.h>
#include "moments.h"
#include "net.h"
#include "opts.h"

#define IL_MAX_OPTS 64
#define IL_MAX_PARAMS 48

/* The network options, to be appended to a command's own table. */
extern const il_optdef il_net_optdefs[];
extern const size_t il_net_n_optdefs;

/* A command's option table assembled at run time: the command's own rows then the network rows. */
typedef struct {
    il_optdef defs[IL_MAX_OPTS];
    il_optval vals[IL_MAX_OPTS];
    size_t n;
} il_cmdopts;

void il_cmdopts_init(il_cmdopts *o, const il_optdef *own, size_t n_own, int with_net);
/* The value of option name, or NULL if not given. */
const char *il_cmdopts_get(const il_cmdopts *o, const char *name);

/* Header parameters. */
typedef struct {
    il_param p[IL_MAX_PARAMS];
    size_t n;
} il_params;
void il_params_add(il_params *ps, const char *key, int numeric, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* il_cli_net: builds *net (il_net_init'ed by the caller) from the network options, checks it for
 * batch inputs per draw, and records the parameters. Returns 0 or IL_EXIT_USAGE after printing one
 * line naming the option. */
int il_cli_net(const char *cmd, const il_cmdopts *o, size_t batch, il_net *net, il_params *ps);

/* il_cli_size / il_cli_u64 / il_cli_double: an option's value strictly parsed and range-checked, or
 * the default when absent. Return 0 or IL_EXIT_USAGE after printing "--name must be ..., got '...'". */
int il_cli_size(const char *cmd, const il_cmdopts *o, const char *name, size_t lo, size_t hi, size_t dflt,
                size_t *out);
int il_cli_u64(const char *cmd, const il_cmdopts *o, const char *name, uint64_t dflt, uint64_t *out);
int il_cli_double(const char *cmd, const il_cmdopts *o, const char *name, double lo, double hi, int lo_open,
                  int hi_open, double dflt, double *out);
/* il_cli_choice: the index of the value in names (NULL-terminated), or dflt when absent. */
int il_cli_choice(const char *cmd, const il_cmdopts *o, const char *name, const char *const *names, int dflt,
                  int *out);

#endif
