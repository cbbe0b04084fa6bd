// pcg_ref.cpp: reference outputs of pcg-cpp (Debian libpcg-cpp-dev) for tests/test_rng.c.
//
//   pcg_ref 64|32 SEED STREAM N [ADVANCE]
//
// Constructs pcg64(SEED, STREAM) or pcg32(SEED, STREAM), optionally calls engine.advance(ADVANCE),
// then prints N outputs in decimal, one per line. SEED and STREAM are unsigned 64-bit decimals;
// ADVANCE is an unsigned decimal below 2^128 for pcg64 (so 2^128 - k steps back k) and below 2^64
// for pcg32. Exit status 0 on success, 2 on a usage error (message on stderr).
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include <pcg_random.hpp>

namespace {

const char usage[] = "usage: pcg_ref 64|32 SEED STREAM N [ADVANCE]\n";

// Parses a non-empty string of decimal digits into *out, refusing anything else and any value
// above max. Works on 128 bits so that one parser serves every argument.
bool parse_dec(const char *s, pcg_extras::pcg128_t max, pcg_extras::pcg128_t *out)
{
    pcg_extras::pcg128_t v = 0;
    if (*s == '\0')
        return false;
    for (; *s != '\0'; ++s) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = unsigned(*s - '0');
        if (v > (max - d) / 10u)
            return false;
        v = v * 10u + d;
    }
    *out = v;
    return true;
}

template <typename Engine>
void run(uint64_t seed, uint64_t stream, uint64_t n, bool do_advance,
         typename Engine::state_type delta)
{
    Engine rng(seed, stream);
    if (do_advance)
        rng.advance(delta);
    for (uint64_t i = 0; i < n; ++i)
        std::printf("%" PRIu64 "\n", uint64_t(rng()));
}

} // namespace

int main(int argc, char **argv)
{
    const pcg_extras::pcg128_t max64 = UINT64_MAX;
    const pcg_extras::pcg128_t max128 = ~pcg_extras::pcg128_t(0);
    pcg_extras::pcg128_t seed, stream, n, delta = 0;
    if (argc < 5 || argc > 6) {
        std::fputs(usage, stderr);
        return 2;
    }
    bool is64 = std::strcmp(argv[1], "64") == 0;
    if (!is64 && std::strcmp(argv[1], "32") != 0) {
        std::fprintf(stderr, "pcg_ref: generator must be 64 or 32, got '%s'\n%s", argv[1], usage);
        return 2;
    }
    if (!parse_dec(argv[2], max64, &seed) || !parse_dec(argv[3], max64, &stream) ||
        !parse_dec(argv[4], max64, &n)) {
        std::fprintf(stderr, "pcg_ref: SEED, STREAM and N must be decimal integers below 2^64\n%s",
                     usage);
        return 2;
    }
    if (argc == 6 && !parse_dec(argv[5], is64 ? max128 : max64, &delta)) {
        std::fprintf(stderr, "pcg_ref: ADVANCE must be a decimal integer below 2^%d, got '%s'\n",
                     is64 ? 128 : 64, argv[5]);
        return 2;
    }
    if (is64)
        run<pcg64>(uint64_t(seed), uint64_t(stream), uint64_t(n), argc == 6, delta);
    else
        run<pcg32>(uint64_t(seed), uint64_t(stream), uint64_t(n), argc == 6, uint64_t(delta));
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
        std::perror("pcg_ref: writing output");
        return 1;
    }
    return 0;
}
