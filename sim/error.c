#include "error.h"

const char *il_strerror(il_status rc)
{
    switch (rc) {
    case IL_OK: return "success";
    case IL_EINVAL: return "invalid argument";
    case IL_ENOMEM: return "out of memory";
    case IL_ERANGE: return "size out of range";
    case IL_EIO: return "input/output error";
    case IL_ENUMERIC: return "non-finite value (overflow or NaN)";
    case IL_EGSL: return "GSL error";
    case IL_EINTR: return "interrupted";
    case IL_EUNSUPPORTED: return "unsupported configuration";
    }
    return "unknown error";
}
