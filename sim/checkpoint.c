#include "checkpoint.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Version 2 appends the fluctuation statistics (il_fluct_acc) to every accumulator. Version 1 is still
 * read: its runs continue with exactly the same sim output, and their fluctuation statistics are
 * marked unusable (fl.count stays behind count). */
#define MAGIC "initlab-checkpoint 2\n"
#define MAGIC_V1 "initlab-checkpoint 1\n"

typedef struct {
    FILE *f;
    uint64_t hash;
    int bad;
} stream;

static void hash_bytes(stream *s, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        s->hash ^= b[i];
        s->hash *= 1099511628211ULL;
    }
}

static void put(stream *s, const void *p, size_t n)
{
    if (fwrite(p, 1, n, s->f) != n)
        s->bad = 1;
    hash_bytes(s, p, n);
}

static void get(stream *s, void *p, size_t n)
{
    if (s->bad || fread(p, 1, n, s->f) != n) {
        s->bad = 1;
        memset(p, 0, n);
        return;
    }
    hash_bytes(s, p, n);
}

static size_t acc_pairs(const il_layer_acc *a)
{
    return a->width + (a->full ? a->width * a->width : a->width);
}

static void put_acc(stream *s, const il_layer_acc *a)
{
    uint64_t hdr[4] = {a->width, (uint64_t)a->full, a->batch, a->count};
    put(s, hdr, sizeof hdr);
    put(s, a->mvec, a->width * sizeof *a->mvec);
    put(s, a->sec, (acc_pairs(a) - a->width) * sizeof *a->sec);
    const il_wacc scal[5] = {a->mbar, a->q, a->m4, a->within, a->offdiag};
    put(s, scal, sizeof scal);
    const il_fluct_acc *f = &a->fl;
    uint64_t fh[4] = {f->count, f->nbatch, f->bsize, f->cur_n};
    put(s, fh, sizeof fh);
    put(s, f->mean, sizeof f->mean);
    put(s, f->cm, sizeof f->cm);
    put(s, f->cur, sizeof f->cur);
    put(s, f->batch, sizeof f->batch);
}

il_status il_checkpoint_save(FILE *f, const il_mc_result *res, const char *fingerprint)
{
    stream s = {f, 14695981039346656037ULL, 0};
    if (fprintf(f, "%sfingerprint %zu\n%s\ndraws_done %zu layers %zu post %d\n", MAGIC, strlen(fingerprint),
                fingerprint, res->draws_done, res->layers, res->post != NULL) < 0)
        return IL_EIO;
    for (size_t l = 0; l < res->layers; l++)
        put_acc(&s, &res->pre[l]);
    for (size_t l = 0; res->post && l < res->layers; l++)
        put_acc(&s, &res->post[l]);
    uint64_t h = s.hash;
    if (fwrite(&h, sizeof h, 1, f) != 1)
        s.bad = 1;
    return s.bad || ferror(f) ? IL_EIO : IL_OK;
}

static il_status get_acc(stream *s, il_layer_acc *a, int version, char *err, size_t errlen)
{
    uint64_t hdr[4];
    get(s, hdr, sizeof hdr);
    if (s->bad)
        return IL_EINVAL;
    if (hdr[0] != a->width || hdr[1] != (uint64_t)a->full || hdr[2] != a->batch) {
        snprintf(err, errlen, "the checkpoint's layer shapes differ from this run's");
        return IL_EINVAL;
    }
    a->count = (size_t)hdr[3];
    get(s, a->mvec, a->width * sizeof *a->mvec);
    get(s, a->sec, (acc_pairs(a) - a->width) * sizeof *a->sec);
    il_wacc scal[5];
    get(s, scal, sizeof scal);
    a->mbar = scal[0];
    a->q = scal[1];
    a->m4 = scal[2];
    a->within = scal[3];
    a->offdiag = scal[4];
    il_fluct_acc *f = &a->fl;
    memset(f, 0, sizeof *f);
    f->bsize = 1;
    if (version < 2)
        return IL_OK; /* count 0: unusable, see il_layer_acc_fluct_valid */
    uint64_t fh[4];
    get(s, fh, sizeof fh);
    get(s, f->mean, sizeof f->mean);
    get(s, f->cm, sizeof f->cm);
    get(s, f->cur, sizeof f->cur);
    get(s, f->batch, sizeof f->batch);
    if (s->bad)
        return IL_EINVAL;
    if (fh[0] != hdr[3] || fh[1] >= IL_FLUCT_MAX_BATCHES || fh[2] == 0 || fh[3] >= fh[2]) {
        snprintf(err, errlen, "the checkpoint is corrupt (inconsistent fluctuation statistics)");
        return IL_EINVAL;
    }
    f->count = (size_t)fh[0];
    f->nbatch = (size_t)fh[1];
    f->bsize = (size_t)fh[2];
    f->cur_n = (size_t)fh[3];
    return IL_OK;
}

il_status il_checkpoint_load(FILE *f, il_mc_result *res, const char *fingerprint, char *err, size_t errlen)
{
    char magic[sizeof MAGIC];
    size_t flen = 0, done = 0, layers = 0;
    int post = 0, version = 2;
    if (fread(magic, 1, sizeof MAGIC - 1, f) != sizeof MAGIC - 1 ||
        (memcmp(magic, MAGIC, sizeof MAGIC - 1) != 0 && memcmp(magic, MAGIC_V1, sizeof MAGIC_V1 - 1) != 0)) {
        snprintf(err, errlen, "not an initlab checkpoint (version 1 or 2)");
        return IL_EINVAL;
    }
    if (memcmp(magic, MAGIC_V1, sizeof MAGIC_V1 - 1) == 0)
        version = 1;
    if (fscanf(f, "fingerprint %zu", &flen) != 1 || fgetc(f) != '\n' || flen > (1u << 20)) {
        snprintf(err, errlen, "corrupt checkpoint preamble");
        return IL_EINVAL;
    }
    char *fp = malloc(flen + 1);
    if (!fp)
        return IL_ENOMEM;
    int ok = fread(fp, 1, flen, f) == flen && fgetc(f) == '\n';
    fp[ok ? flen : 0] = '\0';
    if (!ok || strcmp(fp, fingerprint) != 0) {
        free(fp);
        snprintf(err, errlen, "%s", ok ? "the checkpoint was written by a run with other parameters (seed, network, "
                                         "draws, batch, ...); resume with exactly the same options"
                                       : "truncated checkpoint");
        return IL_EINVAL;
    }
    free(fp);
    if (fscanf(f, "draws_done %zu layers %zu post %d", &done, &layers, &post) != 3 || fgetc(f) != '\n') {
        snprintf(err, errlen, "corrupt checkpoint preamble");
        return IL_EINVAL;
    }
    if (layers != res->layers || (post != 0) != (res->post != NULL)) {
        snprintf(err, errlen, "the checkpoint's layers differ from this run's");
        return IL_EINVAL;
    }
    stream s = {f, 14695981039346656037ULL, 0};
    il_status rc = IL_OK;
    for (size_t l = 0; l < layers && rc == IL_OK; l++)
        rc = get_acc(&s, &res->pre[l], version, err, errlen);
    for (size_t l = 0; res->post && l < layers && rc == IL_OK; l++)
        rc = get_acc(&s, &res->post[l], version, err, errlen);
    uint64_t want = s.hash, h = 0;
    if (rc == IL_OK && (s.bad || fread(&h, sizeof h, 1, f) != 1 || h != want || fgetc(f) != EOF)) {
        snprintf(err, errlen, "the checkpoint is truncated or corrupt (checksum mismatch)");
        rc = IL_EINVAL;
    }
    if (rc != IL_OK) {
        if (!err[0])
            snprintf(err, errlen, "the checkpoint is truncated or corrupt");
        return rc;
    }
    for (size_t l = 0; l < layers; l++)
        if (res->pre[l].count != done || (res->post && res->post[l].count != done)) {
            snprintf(err, errlen, "inconsistent draw counts in the checkpoint");
            return IL_EINVAL;
        }
    res->draws_done = done;
    return IL_OK;
}
