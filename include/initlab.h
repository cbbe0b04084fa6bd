/* initlab.h: the whole public interface of libinitlab in one include.
 *
 * Installed as PREFIX/include/initlab/initlab.h next to the module headers it includes; a program
 * writes
 *     #include <initlab/initlab.h>
 * and builds with `pkg-config --cflags --libs initlab` (which adds -I PREFIX/include). A module header
 * can also be included on its own (<initlab/mc.h>). The module headers include each other by bare
 * name ("error.h"), which resolves in their own directory, so the compiler never searches
 * PREFIX/include/initlab for a system header (glibc has an <error.h> too).
 *
 * Each header documents its functions: what they do, who owns each pointer, the valid ranges and
 * what they return on error. Every function that can fail returns an il_status (IL_OK = 0,
 * il_strerror() for a message); the library never exits, aborts or prints unless given a FILE *.
 * Two things are the calling program's job (as initlab's own main does):
 *   - openblas_set_num_threads(1) (from <cblas.h>) before il_mc_run: the parallelism is across Monte
 *     Carlo draws, and BLAS must stay single-threaded inside each draw (mc.h);
 *   - gsl_set_error_handler_off() (from <gsl/gsl_errno.h>) before anything that integrates
 *     (il_theory_*), so that a quadrature failure is returned as IL_EGSL instead of aborting
 *     (theory.h).
 * examples/moments.c in the source tree is a complete program.
 *
 * Layers (each uses only those above it): sim/ samples, propagates and accumulates; analysis/ holds
 * the formulas, the statistical verdicts, the claims and the writers of the claims report; plots/
 * renders the data files the others write. */
#ifndef INITLAB_H
#define INITLAB_H

/* sim/: the Monte Carlo engine. */
#include "error.h"      /* il_status, il_strerror, IL_TRY */
#include "rng.h"        /* PCG64 / PCG32 keyed by (seed, stream); il_rng_seed_draw; a gsl_rng_type */
#include "parse.h"      /* strict parsing of numbers and lists */
#include "act.h"        /* activations with PyTorch's definitions */
#include "init.h"       /* torch.nn.init initializers */
#include "net.h"        /* networks: il_net_build, il_net_parse_arch, forward passes */
#include "moments.h"    /* per-layer moment accumulators and the TSV/JSON writers */
#include "mc.h"         /* the driver: il_mc_run */
#include "checkpoint.h" /* saving and resuming a run */

/* analysis/: formulas, tests, claims. */
#include "verdict.h"    /* refuted / consistent / inconclusive, with Holm's correction */
#include "theory.h"     /* exact and mean-field per-layer moments: il_theory_run; mean-field maps */
#include "compare.h"    /* Monte Carlo against theory, layer by layer: il_compare_run */
#include "claim.h"      /* user-stated formulas for q */
#include "ks.h"         /* two-sample Kolmogorov-Smirnov test */
#include "commute.h"    /* does dropout commute with an activation? */
#include "fluct.h"      /* finite-width fluctuations of the per-layer mean square */
#include "registry.h"   /* the registry of claims checked by `initlab claims` */

/* plots/: figures with gnuplot from the data files. */
#include "plot.h"

/* analysis/report.h: the claims report (Markdown and self-contained HTML). */
#include "report.h"

#endif
