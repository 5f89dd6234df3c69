/*
 * wfhttp: the workflow routes of the HTTP API (docs/api.md, "Workflow"),
 * kept apart from server/http.c, which owns the connection, the token
 * check and the sending: here a request is a method, a path, a body and
 * query arguments, and the answer a status with a JSON body.
 */
#ifndef TT_WFHTTP_H
#define TT_WFHTTP_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "wfsvc.h"

/* A query argument's value, or NULL. */
typedef const char *(*tt_wfhttp_arg_fn)(void *ctx, const char *name);

typedef struct {
    const char *method, *url;
    const char *body;          /* POST body, not NUL-terminated; may be NULL */
    size_t len;
    tt_wfhttp_arg_fn arg;
    void *ctx;
    int64_t now_ms;            /* the server's clock */
} tt_wfhttp_req_t;

/* The URL prefix of every workflow route. */
#define TT_WFHTTP_PREFIX "/api/v1/workflow/"

/* Answers a request under TT_WFHTTP_PREFIX.  Returns the HTTP status and
 * sets *out to the body ({"error": ...} for errors), owned by the caller
 * (cJSON_Delete); *out is NULL only when out of memory (status 500). */
unsigned tt_wfhttp_handle(tt_wfsvc_t *svc, const tt_wfhttp_req_t *req, cJSON **out);

#endif
