/* test_checkpoint.c: save/load round trip of a run's state, continuation bit-identical to an
 * uninterrupted run, and refusal of mismatched, truncated and corrupted checkpoints. */
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "checkpoint.h"
#include "testutil.h"

static void setup(il_net *net, il_mc_cfg *cfg, size_t draws)
{
    const size_t w[] = {6, 80, 5}; /* one diagonal-only layer, one full */
    il_net_shape s;
    char err[128];
    memset(&s, 0, sizeof s);
    s.widths = w;
    s.n_widths = 3;
    il_act_default(IL_ACT_RELU, &s.act);
    s.bias = 1;
    il_net_init(net);
    assert_int_equal(il_net_build(net, &s, err, sizeof err), IL_OK);
    il_mc_cfg_default(cfg);
    cfg->net = net;
    cfg->draws = draws;
    cfg->batch = 3;
    cfg->threads = 2;
    cfg->want_post = 1;
    cfg->seed = 77;
}

static int same(const il_layer_acc *a, const il_layer_acc *b)
{
    size_t n = a->width, ns = a->full ? n * n : n;
    return a->count == b->count && !memcmp(a->mvec, b->mvec, n * sizeof *a->mvec) &&
           !memcmp(a->sec, b->sec, ns * sizeof *a->sec) && !memcmp(&a->q, &b->q, sizeof a->q) &&
           !memcmp(&a->offdiag, &b->offdiag, sizeof a->offdiag) && !memcmp(&a->m4, &b->m4, sizeof a->m4);
}

static void test_roundtrip_and_continue(void **state)
{
    (void)state;
    il_net net;
    il_mc_cfg cfg;
    il_mc_result full, half, back;
    setup(&net, &cfg, 200);
    assert_int_equal(il_mc_result_init(&full, &cfg), IL_OK);
    assert_int_equal(il_mc_run(&cfg, &full), IL_OK);
    /* half the draws, saved, loaded into a fresh result, continued to the end */
    cfg.draws = 100;
    assert_int_equal(il_mc_result_init(&half, &cfg), IL_OK);
    assert_int_equal(il_mc_run(&cfg, &half), IL_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(il_checkpoint_save(f, &half, "fp-A"), IL_OK);
    fclose(f);
    cfg.draws = 200;
    assert_int_equal(il_mc_result_init(&back, &cfg), IL_OK);
    char err[256] = "";
    f = fmemopen(buf, len, "rb");
    assert_int_equal(il_checkpoint_load(f, &back, "fp-A", err, sizeof err), IL_OK);
    fclose(f);
    assert_int_equal(back.draws_done, 100);
    for (size_t l = 0; l < 2; l++)
        assert_true(same(&back.pre[l], &half.pre[l]) && same(&back.post[l], &half.post[l]));
    assert_int_equal(il_mc_run(&cfg, &back), IL_OK);
    for (size_t l = 0; l < 2; l++)
        assert_true(same(&back.pre[l], &full.pre[l]) && same(&back.post[l], &full.post[l]));

    /* refusals: another fingerprint, truncation at every length class, a flipped byte */
    il_mc_result r;
    assert_int_equal(il_mc_result_init(&r, &cfg), IL_OK);
    f = fmemopen(buf, len, "rb");
    assert_int_equal(il_checkpoint_load(f, &r, "fp-B", err, sizeof err), IL_EINVAL);
    fclose(f);
    assert_non_null(strstr(err, "other parameters"));
    static const double cuts[] = {0.01, 0.2, 0.5, 0.99};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        size_t n = (size_t)(cuts[i] * (double)len);
        f = fmemopen(buf, n, "rb");
        err[0] = '\0';
        if (il_checkpoint_load(f, &r, "fp-A", err, sizeof err) != IL_EINVAL)
            fail_msg("a checkpoint cut to %zu of %zu bytes was accepted", n, len);
        fclose(f);
        assert_true(strlen(err) > 0);
    }
    buf[len / 2] ^= 0x40;
    f = fmemopen(buf, len, "rb");
    assert_int_equal(il_checkpoint_load(f, &r, "fp-A", err, sizeof err), IL_EINVAL);
    fclose(f);
    assert_non_null(strstr(err, "checksum"));
    free(buf);
    il_mc_result_release(&r);
    il_mc_result_release(&full);
    il_mc_result_release(&half);
    il_mc_result_release(&back);
    il_net_release(&net);
}

int main(void)
{
    openblas_set_num_threads(1);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_roundtrip_and_continue)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
