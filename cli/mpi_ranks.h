/* mpi_ranks.h: `initlab sim` over the ranks of an MPI job (`make MPI=1`; docs/mpi.md). Built without IL_MPI,
 * every function is the one-process case (rank 0 of 1), so the command calls them unconditionally.
 *
 * Every rank parses the same command line and makes the same checks, so a bad option fails on every rank
 * at once; the other ranks' standard output and error go to /dev/null, so only rank 0 speaks. Rank 0 alone
 * reads --resume and writes --out, --checkpoint and --plot; the others only compute draws. The draws are
 * spread as il_mc_remote describes (sim/mc.h): each group of draws is split into one contiguous part per
 * rank, every rank computes its part's per-draw records, and rank 0 accumulates them in draw order, so the
 * output is bit-identical to one process with any number of ranks and threads. */
#ifndef IL_CLI_MPI_H
#define IL_CLI_MPI_H

#include <signal.h>
#include "mc.h"

typedef struct {
    int rank, size;
    int active;               /* MPI_Init was called (built with MPI and started by an MPI launcher) */
    il_mc_engine *engine;     /* ranks > 0: the engine their parts are computed with */
    double *buf;              /* rank 0: one part's records; ranks > 0: theirs */
    size_t rec, part_cap;     /* doubles per record; the most draws in one part (smallest capacity) */
} il_mpi;

/* il_mpi_init: MPI_Init (threads: funneled) when the process was started by an MPI launcher (mpirun,
 * mpiexec, srun: PMIx, PMI or Open MPI's variables are set), else the one-process case. Ranks > 0
 * send their standard output and error to /dev/null. */
void il_mpi_init(il_mpi *m, int *argc, char ***argv);

/* il_mpi_agree: collective. Every rank passes its exit status so far (0: ready); returns the largest.
 * Rank 0 prints one line when only another rank failed. */
int il_mpi_agree(il_mpi *m, const char *cmd, int rc);

/* il_mpi_share: collective. Rank 0's status and *value (e.g. the --batch auto choice) on every rank;
 * returns the status. */
int il_mpi_share(il_mpi *m, int rc, size_t *value);

/* il_mpi_prepare: collective, after every check that may differ between ranks. Allocates what this rank
 * needs for cfg (rank 0 its receive buffer, the others their engine), then il_mpi_agree(rc) with the
 * caller's own status rc: returns 0 when every rank is ready, else the exit status to leave with. */
int il_mpi_prepare(il_mpi *m, const char *cmd, const il_mc_cfg *cfg, int rc);

/* il_mpi_run: collective, after il_mpi_prepare returned 0. Rank 0: il_mc_run(cfg, res) with the other ranks
 * computing their parts of every group (cfg->remote is set for the call); a rank that caught a signal
 * sets *stop on rank 0 (so the run stops after the group, as in one process). Ranks > 0: compute their
 * parts until rank 0 ends the run; res is not used; returns IL_OK. One process: il_mc_run. */
il_status il_mpi_run(il_mpi *m, il_mc_cfg *cfg, il_mc_result *res, volatile sig_atomic_t *stop);

/* il_mpi_finalize: collective. Frees what il_mpi_prepare allocated, gives every rank rank 0's exit status
 * rc (the one mpirun reports), MPI_Finalize; returns the exit status. */
int il_mpi_finalize(il_mpi *m, int rc);

#endif
