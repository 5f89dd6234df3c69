/*
 * event: the terminal event model and its wire codec (JSON, protocol v1).
 *
 * A terminal records every operation as an event with a per-terminal
 * sequence number (1, 2, 3, ... without gaps).  Events travel to the server
 * in batches and the server answers with an acknowledgement saying how far
 * the terminal's sequence has been processed and which events it rejected.
 * docs/protocol.md is the normative description; this module is its code.
 *
 * Batch (terminal -> server, topic tt/v1/t/<terminal>/events):
 *   {"v":1,"terminal":"T01","synced":16,"events":[
 *     {"seq":17,"ts":1764099600123,"operator":"zhang3","type":"receive",
 *      "body":{"warehouse":"W01","item":"6901234567892","qty":"12.5",
 *              "ref":"P2026-0034","line":1,"lines":3}}, ...]}
 *
 * Ack (server -> terminal, topic tt/v1/t/<terminal>/ack):
 *   {"v":1,"terminal":"T01","applied":17,
 *    "rejected":[{"seq":12,"reason":"insufficient stock: short 3"}]}
 *
 * The decoder trusts nothing from the wire: every field is type-, length-,
 * range- and charset-checked, unknown fields are refused, and failures come
 * with a reason a person can read.  A batch whose envelope is bad is refused
 * whole; an event whose seq is readable but whose content is bad is returned
 * as a rejected item so the terminal's sequence can still advance.
 */
#ifndef TT_EVENT_H
#define TT_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "money.h"

#define TT_EVENT_VERSION 1
#define TT_EVENT_ID_MAX 32        /* terminal, warehouse, operator ids: bytes */
#define TT_EVENT_CODE_MAX 64      /* item code: bytes */
#define TT_EVENT_REASON_MAX 160   /* rejection reasons, with NUL */
#define TT_EVENT_SEQ_MAX 9007199254740991ULL  /* 2^53 - 1: exact in any JSON */
#define TT_EVENT_BATCH_MAX 5000   /* events in one batch message */
#define TT_EVENT_ENCODED_MAX 512  /* longest encoded single event, with NUL */

typedef enum {
    TT_EVENT_RECEIVE = 1,   /* 入库: stock comes into a warehouse */
    TT_EVENT_ISSUE = 2,     /* 出库: stock leaves a warehouse, to a work area */
    TT_EVENT_RETURN = 3,    /* 交旧: a work area hands back old items */
    TT_EVENT_TRANSFER = 4,  /* 调拨: stock moves from `warehouse` to `to` */
    TT_EVENT_COUNT = 5,     /* 盘点: the quantity counted on the shelf (may be 0) */
    TT_EVENT_REVOLVE = 6,   /* 周转材料: a revolving-material movement (`action`) */
    TT_EVENT_EQUIPMENT = 7, /* 设备: a repair-lifecycle step of an asset (`step`) */
} tt_event_type_t;
#define TT_EVENT_TYPE_LAST TT_EVENT_EQUIPMENT

/* The body of every event type (the name is historical: equipment steps use
 * it too).  Which fields a type needs, allows or forbids is in
 * docs/protocol.md and enforced by tt_event_validate. */
typedef struct {
    char warehouse[TT_EVENT_ID_MAX + 1];
    char item[TT_EVENT_CODE_MAX + 1];        /* revolve: the model's item code */
    tt_qty_t qty;            /* thousandths of the item's unit: > 0 (count: >= 0) */
    char to[TT_EVENT_ID_MAX + 1];            /* transfer: the receiving warehouse */
    char action[16];         /* revolve: draw, handover, loss, burial, scrap */
    char to_unit[TT_EVENT_ID_MAX + 1];       /* revolve handover: the receiving unit */
    char asset[TT_EVENT_CODE_MAX + 1];       /* equipment: the asset number (master data) */
    char step[16];           /* equipment: appraisal, selfcheck, acceptance, issue */
    char result[16];         /* equipment: major|medium|minor, pass|fail, in_use|standby */
    /* Optional (empty / 0 when absent): */
    char ref[TT_EVENT_ID_MAX + 1];   /* plan serial (receive), requisition no. (issue) */
    char unit[TT_EVENT_ID_MAX + 1];  /* the work area an issue goes to */
    uint16_t line, lines;    /* line `line` of a document of `lines` events; the
                              * document is known by the seq of its line 1 */
} tt_event_stock_t;

#define TT_EVENT_LINES_MAX 1000   /* lines in one document */

typedef struct {
    uint64_t seq;            /* 1 .. TT_EVENT_SEQ_MAX */
    int64_t ts_ms;           /* terminal clock, Unix milliseconds (UTC) */
    char operator_id[TT_EVENT_ID_MAX + 1];
    tt_event_type_t type;
    union {
        tt_event_stock_t stock;  /* TT_EVENT_RECEIVE, TT_EVENT_ISSUE */
    } body;
} tt_event_t;

/* One entry of a decoded batch: either a valid event (err == TT_OK) or an
 * event the server must record as rejected (err < 0, reason says why; ev.seq
 * is valid, other fields are unspecified). */
typedef struct {
    tt_err_t err;
    char reason[TT_EVENT_REASON_MAX];
    tt_event_t ev;
} tt_event_item_t;

typedef struct {
    char terminal[TT_EVENT_ID_MAX + 1];
    uint64_t synced;         /* the terminal's own acknowledged watermark */
    size_t count;
    tt_event_item_t *items;  /* count entries, strictly increasing seq */
} tt_event_batch_t;

typedef struct {
    uint64_t seq;
    char reason[TT_EVENT_REASON_MAX];
} tt_event_rejection_t;

typedef struct {
    char terminal[TT_EVENT_ID_MAX + 1];
    uint64_t applied;        /* every seq <= applied is processed */
    size_t nrejected;
    tt_event_rejection_t *rejected;  /* nrejected entries */
} tt_event_ack_t;

/* Topics (docs/protocol.md): tt/v1/t/<terminal>/<leaf>, leaf one of these. */
#define TT_EVENT_TOPIC_MAX 64
#define TT_EVENT_LEAF_EVENTS "events"   /* terminal -> server batches */
#define TT_EVENT_LEAF_ACK "ack"         /* server -> terminal acks */
#define TT_EVENT_LEAF_STATUS "status"   /* terminal presence, retained */
#define TT_EVENT_TOPIC_SERVER_STATUS "tt/v1/server/status"   /* retained */

/* Writes "tt/v1/t/<terminal>/<leaf>" into buf.  Returns TT_OK, TT_ERR_INVAL
 * for an invalid terminal id, TT_ERR_FULL if len is too small. */
tt_err_t tt_event_topic(char *buf, size_t len, const char *terminal, const char *leaf);

/* Splits a topic of the form above: copies the terminal id into
 * terminal[TT_EVENT_ID_MAX + 1] and points *leaf into `topic`.  Returns TT_OK,
 * or TT_ERR_INVAL when the topic has another shape or an invalid id. */
tt_err_t tt_event_topic_parse(const char *topic, char *terminal, const char **leaf);

/* Returns the type's wire name ("receive", "issue", "return", "transfer",
 * "count", "revolve", "equipment"), or NULL for an unknown type. */
const char *tt_event_type_name(tt_event_type_t type);

/* Returns non-zero when `id` is a valid terminal/warehouse/operator id:
 * 1..TT_EVENT_ID_MAX bytes of [A-Za-z0-9_.-].  Ids appear in MQTT topics, so
 * '/', '+', '#' and control bytes are never allowed. */
int tt_event_id_valid(const char *id);

/* Returns non-zero when `code` is a valid item code: 1..TT_EVENT_CODE_MAX
 * bytes of printable ASCII other than '"' and '\\'. */
int tt_event_code_valid(const char *code);

/* Checks an event's own fields (seq range, ids, type, positive quantity).
 * Returns TT_OK, or TT_ERR_INVAL with a reason in `reason` (len bytes). */
tt_err_t tt_event_validate(const tt_event_t *ev, char *reason, size_t len);

/* Encodes one event (validated first) as a compact JSON object into buf.
 * Returns TT_OK and the length (no NUL counted) in *outlen; TT_ERR_INVAL if
 * the event is invalid; TT_ERR_FULL if `len` is too small. */
tt_err_t tt_event_encode(const tt_event_t *ev, char *buf, size_t len, size_t *outlen);

/* Builds a batch message from events already encoded by tt_event_encode
 * (n >= 1, n <= TT_EVENT_BATCH_MAX; enc[i] is lens[i] bytes).  `synced` is the
 * highest seq the terminal has seen acknowledged: the server reports every
 * rejection above it, so a lost ack never hides one.  The caller owns every
 * buffer.  Returns TT_OK with *outlen; TT_ERR_INVAL for a bad terminal id,
 * count or synced; TT_ERR_FULL if `cap` is too small. */
tt_err_t tt_event_batch_build(const char *terminal, uint64_t synced, const char *const *enc,
                              const size_t *lens, size_t n, char *buf, size_t cap,
                              size_t *outlen);

/* Decodes a batch message of `len` bytes (need not be NUL-terminated).
 * `topic_terminal` is the terminal named by the topic the message came on:
 * a batch naming another terminal is refused.  On TT_OK *out is a new batch
 * owned by the caller (free with tt_event_batch_free).  On failure *out is
 * NULL, `reason` says what is wrong, and the code is TT_ERR_PARSE (not JSON),
 * TT_ERR_VERSION, TT_ERR_DENIED (terminal mismatch), TT_ERR_TOOBIG (too many
 * events), TT_ERR_PROTO (any other envelope fault) or TT_ERR_NOMEM. */
tt_err_t tt_event_batch_decode(const char *buf, size_t len, const char *topic_terminal,
                               tt_event_batch_t **out, char *reason, size_t rlen);

/* Frees a batch from tt_event_batch_decode; NULL is accepted. */
void tt_event_batch_free(tt_event_batch_t *batch);

/* Encodes an ack into a newly allocated NUL-terminated string, owned by the
 * caller (free()).  Returns TT_OK, TT_ERR_INVAL or TT_ERR_NOMEM. */
tt_err_t tt_event_ack_encode(const tt_event_ack_t *ack, char **out, size_t *outlen);

/* Decodes an ack of `len` bytes, checking that it names `terminal`.  On TT_OK
 * *out is owned by the caller (tt_event_ack_free).  Failure codes and reason
 * as for tt_event_batch_decode. */
tt_err_t tt_event_ack_decode(const char *buf, size_t len, const char *terminal,
                             tt_event_ack_t **out, char *reason, size_t rlen);

/* Frees an ack from tt_event_ack_decode; NULL is accepted. */
void tt_event_ack_free(tt_event_ack_t *ack);

#endif
