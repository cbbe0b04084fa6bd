/* main.c: the initlab command: dispatches subcommands from a table. */
#include <cblas.h>
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "opts.h"

struct il_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
};

static const struct il_cmd cmds[] = {
    {"sim", cmd_sim, "Monte Carlo moments of a random layer stack, per layer, with standard errors"},
    {"theory", cmd_theory, "analytic moments of the same stack (exact where they exist, else mean-field)"},
    {"commute", cmd_commute, "does dropout commute with an activation? criterion, pathwise, in distribution"},
    {"claims", cmd_claims, "check every claim of the seed homeworks: verdict, evidence, correct statement"},
    {"report", cmd_report, "the claims with their figures as report.md and a self-contained report.html"},
    {"fluct", cmd_fluct, "network-to-network fluctuations of each layer's mean square, against exact theory"},
    {"plot", cmd_plot, "figures with gnuplot: variance vs depth, commutation map, distributions, fluctuations, covariance"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: initlab COMMAND [options]   (initlab COMMAND --help for its options)\n\n"
               "initlab answers, by Monte Carlo simulation held against analytic formulas, questions about\n"
               "randomly initialised neural networks.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
    fprintf(f, "\n  --version  print the version\n  --help     this text\n");
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    /* Parallelism is across Monte Carlo draws; BLAS stays single-threaded inside each draw. */
    openblas_set_num_threads(1);
    if (argc < 2) {
        fprintf(stderr, "initlab: no command given; commands are:");
        for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
            fprintf(stderr, " %s", cmds[i].name);
        fprintf(stderr, " (see 'initlab --help')\n");
        return IL_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return IL_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("initlab %s\n", IL_VERSION);
        return IL_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(argv[1], cmds[i].name) == 0)
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "initlab: unknown command '%s'; commands are:", argv[1]);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        fprintf(stderr, " %s", cmds[i].name);
    fprintf(stderr, " (see 'initlab --help')\n");
    return IL_EXIT_USAGE;
}
