/* error.h: initlab status codes. Every library function that can fail returns an il_status;
 * IL_OK (0) is success. Library code never exits or aborts: it returns one of these. */
#ifndef IL_ERROR_H
#define IL_ERROR_H

typedef enum {
    IL_OK = 0,
    IL_EINVAL,    /* an argument or configuration is outside its valid range */
    IL_ENOMEM,    /* an allocation failed, or a size estimate exceeds what the machine has */
    IL_ERANGE,    /* a size exceeds what BLAS or the index types can address (e.g. > INT_MAX) */
    IL_EIO,       /* reading or writing a file failed */
    IL_ENUMERIC,  /* a NaN or infinity appeared in a computation */
    IL_EGSL,      /* a GSL routine reported an error */
    IL_EINTR,     /* interrupted by a signal; results so far are partial */
    IL_EUNSUPPORTED /* the request is valid but not implemented for this configuration */
} il_status;

/* il_strerror: a short English description of rc; never NULL. */
const char *il_strerror(il_status rc);

/* Forward a failing status to the caller. */
#define IL_TRY(expr)                         \
    do {                                     \
        il_status il_try_rc_ = (expr);       \
        if (il_try_rc_ != IL_OK)             \
            return il_try_rc_;               \
    } while (0)

#endif
