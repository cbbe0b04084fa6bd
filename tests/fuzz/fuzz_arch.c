/* fuzz_arch.c: libFuzzer target for the architecture spec parser (il_net_parse_arch) and the
 * network check that follows it. Any input must give IL_OK or IL_EINVAL with a message, never a
 * crash, an overflow or a leak; a spec that passes is built and pushed through once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mc.h"
#include "net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static il_net net;
    char err[512];
    char *spec = malloc(size + 1);
    if (!spec)
        return 0;
    memcpy(spec, data, size);
    spec[size] = '\0';
    il_net_init(&net);
    err[0] = '\0';
    il_status rc = il_net_parse_arch(&net, spec, IL_DROP_INVERTED, err, sizeof err);
    if (rc != IL_OK && rc != IL_EINVAL && rc != IL_ENOMEM)
        abort();
    if (rc == IL_EINVAL && err[0] == '\0')
        abort(); /* every refusal says why */
    if (rc == IL_OK && il_net_check(&net, 2, err, sizeof err) == IL_OK && il_net_max_width(&net) <= 64 &&
        il_net_layers(&net) <= 16) {
        il_net_ws *ws = il_net_ws_alloc(&net, 2);
        if (ws) {
            il_rng r;
            size_t bad = 0;
            il_rng_seed(&r, 1, 0);
            if (il_net_draw_weights(&net, ws, &r) == IL_OK)
                (void)il_net_forward(&net, ws, &r, 1, NULL, NULL, &bad);
            il_net_ws_free(ws);
        }
    }
    il_net_release(&net);
    free(spec);
    return 0;
}
