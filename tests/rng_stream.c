/* rng_stream.c: writes the raw PCG64 output of (seed, stream) to standard output as native 32-bit
 * words (the high and low halves of each 64-bit output), for dieharder -g 200. Runs until the
 * reader closes the pipe. usage: rng_stream SEED STREAM */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "parse.h"
#include "rng.h"

int main(int argc, char **argv)
{
    uint64_t seed, stream;
    if (argc != 3 || il_parse_u64(argv[1], &seed) != IL_OK || il_parse_u64(argv[2], &stream) != IL_OK) {
        fprintf(stderr, "usage: rng_stream SEED STREAM\n");
        return 2;
    }
    il_rng r;
    il_rng_seed(&r, seed, stream);
    uint64_t buf[4096];
    for (;;) {
        for (size_t i = 0; i < 4096; i++)
            buf[i] = il_rng_u64(&r);
        if (fwrite(buf, sizeof buf[0], 4096, stdout) != 4096)
            return 0;
    }
}
