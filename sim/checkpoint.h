/* checkpoint.h: saving and restoring the state of a Monte Carlo run (il_mc_result), so that a run
 * continued from a checkpoint produces output bit-identical to an uninterrupted one.
 *
 * Format (version 2): a text preamble
 *     initlab-checkpoint 2\n
 *     fingerprint <length>\n<fingerprint bytes>\n
 *     draws_done <n> layers <L> post <0|1>\n
 * then, for each accumulator (pre rows, then post rows), its width, full flag, batch and count as
 * four uint64 and its Welford pairs as raw doubles, then its fluctuation statistics (il_fluct_acc:
 * count, nbatch, bsize, cur_n as four uint64; mean, cm, cur and batch as raw doubles), and finally
 * an FNV-1a 64 checksum of everything after the preamble. Version 1 is version 2 without the
 * fluctuation statistics; il_checkpoint_load still reads it (the sim output of a continued run is
 * unchanged; the fluctuation statistics of such a run are unusable, il_layer_acc_fluct_valid).
 * Doubles are stored in the machine's own representation: a checkpoint is for the machine
 * (architecture) that wrote it. The fingerprint is the caller's description of every
 * parameter that affects the numbers; il_checkpoint_load refuses a checkpoint whose fingerprint
 * differs. */
#ifndef IL_CHECKPOINT_H
#define IL_CHECKPOINT_H

#include <stdio.h>
#include "mc.h"

/* il_checkpoint_save: writes the state of res to f (version 2). IL_EIO on a write error. */
il_status il_checkpoint_save(FILE *f, const il_mc_result *res, const char *fingerprint);

/* il_checkpoint_load: reads a checkpoint from f into res, which must be il_mc_result_init'ed for
 * the same configuration. Returns IL_OK; IL_EINVAL with a reason in err if the file is not a
 * checkpoint (version 1 or 2), is truncated or corrupt, or its fingerprint or shapes differ; IL_EIO on
 * a read error. */
il_status il_checkpoint_load(FILE *f, il_mc_result *res, const char *fingerprint, char *err, size_t errlen);

#endif
