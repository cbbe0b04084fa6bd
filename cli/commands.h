/* commands.h: one function per subcommand (cli/cmd_<name>.c); main.c dispatches from a table. */
#ifndef IL_COMMANDS_H
#define IL_COMMANDS_H

int cmd_sim(int argc, char **argv);
int cmd_theory(int argc, char **argv);
int cmd_commute(int argc, char **argv);
int cmd_claims(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_fluct(int argc, char **argv);

#endif
