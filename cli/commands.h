/* commands.h: one function per subcommand (cli/cmd_<name>.c); main.c dispatches from a table. */
#ifndef IL_COMMANDS_H
#define IL_COMMANDS_H

#include <stddef.h>

int cmd_sim(int argc, char **argv);
int cmd_theory(int argc, char **argv);
int cmd_commute(int argc, char **argv);
int cmd_claims(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_fluct(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* Shared by the commands that run claims (cmd_claims.c): the indices, in registry order, of the claims named in
 * text (comma-separated ids or PREFIX*; NULL: every claim) into which[0..*m-1] (il_registry_count(reg)
 * entries). Returns 0, or IL_EXIT_USAGE after one line on stderr naming every unknown id (IL_EXIT_FAIL on
 * ENOMEM). */
struct il_registry;
int il_cli_select_claims(const char *cmd, const struct il_registry *reg, const char *text, size_t *which,
                         size_t *m);

#endif
