/* mpi_ranks.c: `initlab sim` over MPI ranks (mpi_ranks.h). The only file that includes <mpi.h>; without
 * IL_MPI it compiles to the one-process case. */
#include "mpi_ranks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef IL_MPI
#include <limits.h>
#include <mpi.h>
#include <stdint.h>

#include "opts.h"

/* Messages from a rank to rank 0, per part: its stop flag, then its records (none for an empty part). */
enum { TAG_FLAG = 1, TAG_RECORDS = 2 };

static int launched_by_mpi(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

void il_mpi_init(il_mpi *m, int *argc, char ***argv)
{
    memset(m, 0, sizeof *m);
    m->size = 1;
    if (!launched_by_mpi())
        return;
    int provided;
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    m->active = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &m->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m->size);
    if (m->rank != 0) {
        /* should /dev/null be missing, the rank keeps its streams */
        FILE *o = freopen("/dev/null", "w", stdout), *e = freopen("/dev/null", "w", stderr);
        (void)o, (void)e;
    }
}

int il_mpi_agree(il_mpi *m, const char *cmd, int rc)
{
    if (!m->active || m->size < 2)
        return rc;
    int all = rc;
    MPI_Allreduce(&rc, &all, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (all && !rc && m->rank == 0)
        fprintf(stderr, "initlab %s: another MPI rank could not start (exit status %d there: out of memory, or a "
                "check that differs between machines); nothing was written\n", cmd, all);
    return all;
}

int il_mpi_share(il_mpi *m, int rc, size_t *value)
{
    if (!m->active || m->size < 2)
        return rc;
    uint64_t v[2] = {(uint64_t)rc, (uint64_t)*value};
    MPI_Bcast(v, 2, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    *value = (size_t)v[1];
    return (int)v[0];
}

int il_mpi_prepare(il_mpi *m, const char *cmd, const il_mc_cfg *cfg, int rc)
{
    if (!m->active || m->size < 2)
        return rc;
    size_t cap = 0;
    if (rc == 0) {
        il_status st = IL_OK;
        if (m->rank == 0) {
            st = il_mc_engine_shape(cfg, &cap, &m->rec);
        } else if ((st = il_mc_engine_alloc(cfg, &m->engine)) == IL_OK) {
            cap = il_mc_engine_capacity(m->engine);
            m->rec = il_mc_engine_record_doubles(m->engine);
        }
        /* parts travel as `count` records of one MPI datatype */
        if (st == IL_OK && (cap > INT_MAX || m->rec > INT_MAX))
            st = IL_ERANGE;
        if (st == IL_OK && !(m->buf = malloc(cap * m->rec * sizeof *m->buf)))
            st = IL_ENOMEM;
        if (st != IL_OK)
            rc = il_fail(cmd, "%s", il_strerror(st));
    }
    if ((rc = il_mpi_agree(m, cmd, rc)))
        return rc;
    unsigned long long mine = cap, least = cap;
    MPI_Allreduce(&mine, &least, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, MPI_COMM_WORLD);
    m->part_cap = (size_t)least;
    return 0;
}

/* Rank 0's side of il_mc_remote. */
typedef struct {
    il_mpi *m;
    MPI_Datatype record;
    size_t base, n;
    volatile sig_atomic_t *stop;
} master;

static void send_group(uint64_t base, uint64_t n, uint64_t go)
{
    uint64_t ctrl[3] = {base, n, go};
    MPI_Bcast(ctrl, 3, MPI_UINT64_T, 0, MPI_COMM_WORLD);
}

static void master_assign(void *ctx, size_t base, size_t n)
{
    master *c = ctx;
    c->base = base;
    c->n = n;
    send_group(base, n, 1);
}

/* Part p of a group of n draws from base: its first draw and its size (as in il_mc_remote). */
static void part_range(size_t base, size_t n, size_t p, size_t parts, size_t *first, size_t *count)
{
    *first = base + n * p / parts;
    *count = base + n * (p + 1) / parts - *first;
}

static const double *master_fetch(void *ctx, size_t p)
{
    master *c = ctx;
    size_t first, count;
    part_range(c->base, c->n, p, (size_t)c->m->size, &first, &count);
    long long flag = 0;
    MPI_Recv(&flag, 1, MPI_LONG_LONG, (int)p, TAG_FLAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (count)
        MPI_Recv(c->m->buf, (int)count, c->record, (int)p, TAG_RECORDS, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (flag && !*c->stop)
        *c->stop = (sig_atomic_t)flag;
    return c->m->buf;
}

/* A rank > 0: computes its part of every group rank 0 announces, until it announces the end. */
static void worker(il_mpi *m, MPI_Datatype record, volatile sig_atomic_t *stop)
{
    for (;;) {
        uint64_t ctrl[3];
        MPI_Bcast(ctrl, 3, MPI_UINT64_T, 0, MPI_COMM_WORLD);
        if (!ctrl[2])
            return;
        size_t first, count;
        part_range((size_t)ctrl[0], (size_t)ctrl[1], (size_t)m->rank, (size_t)m->size, &first, &count);
        if (count)
            il_mc_engine_compute(m->engine, first, count, m->buf);
        long long flag = *stop;
        MPI_Send(&flag, 1, MPI_LONG_LONG, 0, TAG_FLAG, MPI_COMM_WORLD);
        if (count)
            MPI_Send(m->buf, (int)count, record, 0, TAG_RECORDS, MPI_COMM_WORLD);
    }
}

il_status il_mpi_run(il_mpi *m, il_mc_cfg *cfg, il_mc_result *res, volatile sig_atomic_t *stop)
{
    if (!m->active || m->size < 2)
        return il_mc_run(cfg, res);
    MPI_Datatype record;
    MPI_Type_contiguous((int)m->rec, MPI_DOUBLE, &record);
    MPI_Type_commit(&record);
    il_status st = IL_OK;
    if (m->rank == 0) {
        master c = {m, record, 0, 0, stop};
        il_mc_remote rem = {(size_t)m->size, m->part_cap, &c, master_assign, master_fetch};
        cfg->remote = &rem;
        st = il_mc_run(cfg, res);
        cfg->remote = NULL;
        send_group(0, 0, 0);
    } else {
        worker(m, record, stop);
    }
    MPI_Type_free(&record);
    return st;
}

int il_mpi_finalize(il_mpi *m, int rc)
{
    il_mc_engine_free(m->engine);
    free(m->buf);
    m->engine = NULL;
    m->buf = NULL;
    if (!m->active)
        return rc;
    int all = rc;
    MPI_Bcast(&all, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Finalize();
    m->active = 0;
    return all;
}

#else /* one process */

void il_mpi_init(il_mpi *m, int *argc, char ***argv)
{
    (void)argc, (void)argv;
    memset(m, 0, sizeof *m);
    m->size = 1;
}

int il_mpi_agree(il_mpi *m, const char *cmd, int rc)
{
    (void)m, (void)cmd;
    return rc;
}

int il_mpi_share(il_mpi *m, int rc, size_t *value)
{
    (void)m, (void)value;
    return rc;
}

int il_mpi_prepare(il_mpi *m, const char *cmd, const il_mc_cfg *cfg, int rc)
{
    (void)m, (void)cmd, (void)cfg;
    return rc;
}

il_status il_mpi_run(il_mpi *m, il_mc_cfg *cfg, il_mc_result *res, volatile sig_atomic_t *stop)
{
    (void)m, (void)stop;
    return il_mc_run(cfg, res);
}

int il_mpi_finalize(il_mpi *m, int rc)
{
    (void)m;
    return rc;
}

#endif
