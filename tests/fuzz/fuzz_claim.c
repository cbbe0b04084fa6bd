/* fuzz_claim.c: libFuzzer target for user-stated formulas (il_claim_alloc / il_claim_eval, on top of
 * GNU libmatheval). Any input must be accepted or refused with a message, never crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "claim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    char *expr = malloc(size + 1);
    if (!expr)
        return 0;
    memcpy(expr, data, size);
    expr[size] = '\0';
    err[0] = '\0';
    il_claim *c = il_claim_alloc(expr, err, sizeof err);
    if (!c && err[0] == '\0')
        abort(); /* every refusal says why */
    if (c) {
        static const size_t widths[] = {4, 3, 5, 2};
        il_claim_ctx ctx = {widths, 3, 0.25, 1.0};
        double v[3];
        il_status rc = il_claim_eval(c, &ctx, v, err, sizeof err);
        if (rc != IL_OK && rc != IL_ENUMERIC)
            abort();
        il_claim_free(c);
    }
    free(expr);
    return 0;
}
