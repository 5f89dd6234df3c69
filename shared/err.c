#include "err.h"

#include <stdio.h>

const char *tt_strerror(tt_err_t err)
{
    switch (err) {
    case TT_OK: return "success";
    case TT_ERR_NOMEM: return "out of memory";
    case TT_ERR_INVAL: return "invalid argument";
    case TT_ERR_RANGE: return "value out of range";
    case TT_ERR_IO: return "input/output error";
    case TT_ERR_PARSE: return "malformed input";
    case TT_ERR_NOTFOUND: return "not found";
    case TT_ERR_EXISTS: return "already exists";
    case TT_ERR_FULL: return "no space left";
    case TT_ERR_BUSY: return "busy";
    case TT_ERR_TIMEOUT: return "timed out";
    case TT_ERR_CONN: return "not connected";
    case TT_ERR_PROTO: return "protocol violation";
    case TT_ERR_STOCK: return "insufficient stock";
    case TT_ERR_DENIED: return "permission denied";
    case TT_ERR_CONFIG: return "configuration rejected";
    case TT_ERR_DB: return "database error";
    case TT_ERR_TOOBIG: return "too large";
    case TT_ERR_VERSION: return "unsupported version";
    case TT_ERR_DEVICE: return "device missing or failed";
    case TT_ERR_CLOSED: return "period closed";
    case TT_ERR_CONFLICT: return "changed by someone else first";
    case TT_ERR_INDOUBT: return "outcome not known yet";
    }
    return "unknown error";
}

void tt_err_vreason(char *reason, size_t rlen, const char *fmt, va_list ap)
{
    if (reason && rlen)
        vsnprintf(reason, rlen, fmt, ap);
}

void tt_err_reason(char *reason, size_t rlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tt_err_vreason(reason, rlen, fmt, ap);
    va_end(ap);
}
