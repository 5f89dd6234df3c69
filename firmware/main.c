/*
 * tagtrail-edge: the terminal firmware.  One thread, one poll() loop over the
 * scanner, the uplink's wake pipe and the control socket; every module
 * reports its descriptors and its next deadline.
 *
 * A scan becomes an event in the outbox (durable) before it is acknowledged
 * to the person at the counter; the sync module then carries it to the
 * server whenever the link allows.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assets.h"
#include "assetview.h"
#include "clock.h"
#include "conf.h"
#include "control.h"
#include "counter.h"
#include "master.h"
#include "snapshot.h"
#include "edgeconf.h"
#include "event.h"
#include "log.h"
#include "outbox.h"
#include "repairbay.h"
#include "indicator.h"
#include "rfid.h"
#include "scanner.h"
#include "sync.h"
#include "uplink.h"
#include "ui.h"

#define SCANNER_FDS 8
#define DEVICE_FDS 4
#define MAX_FDS (1 + SCANNER_FDS + 2 * DEVICE_FDS + 1 + TT_CONTROL_CLIENTS)
#define REDRAW_MS 250
#define PENDING_MAX 64
#define SETTLE_RETRY_MS 1000   /* an unsettled store is tried again this often */
/* Pruning: a step deletes at most PRUNE_BATCH events (well under 1 ms,
 * test_outbox measures it); steps follow each other every PRUNE_BUSY_MS
 * while there is a backlog, so scans interleave, and otherwise the store
 * is looked at again every PRUNE_IDLE_MS (events age by the clock). */
#define PRUNE_BATCH 128
#define PRUNE_BUSY_MS 20
#define PRUNE_IDLE_MS 60000
/* Once pruning has grown the WAL to this many pages it is checkpointed
 * before the next step, but only after QUIET_MS without a scan: the
 * checkpoint (a few ms) never lands on a storekeeper's scan. */
#define PRUNE_CHECKPOINT_PAGES 1000
#define QUIET_MS 500

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* A code injected through the control socket, waiting to come back out of
 * the (fake) scanner: either a one-shot scan that carries its own operation
 * (`scan ...`, used by tools and tests) or a raw code for the counter
 * (`code ...`), exactly as a storekeeper's scan.  Codes from a real scanner
 * have no entry and go to the counter. */
typedef struct {
    uint64_t client;
    int raw;
    tt_event_type_t type;
    char warehouse[TT_EVENT_ID_MAX + 1];
    char operator_id[TT_EVENT_ID_MAX + 1];
    tt_qty_t qty;
} pending_t;

typedef struct {
    tt_edgeconf_t conf;
    tt_log_t *log;
    tt_outbox_t *ob;
    tt_assetview_t *assets;      /* equipment states, in the store */
    tt_uplink_t *up;
    tt_sync_t *sync;
    tt_scanner_t *scanner;
    tt_rfid_t *rfid;             /* NULL when the board has no reader */
    tt_indicator_t *ind;         /* NULL when the board has no indicator */
    int last_error;              /* the last outcome shown was a refusal */
    int64_t settle_at;           /* unsettled store: next try (tt_clock_mono_ms) */
    int64_t prune_at;            /* next pruning step (tt_clock_mono_ms) */
    int64_t input_at;            /* last scan or keypad input (tt_clock_mono_ms) */
    tt_outbox_retention_t keep;
    tt_control_t *ctl;
    tt_counter_t *counter;
    tt_ui_t *ui;                 /* NULL without a console */
    FILE *logf;
    int64_t drawn_at;
    int dirty;
    char status_topic[TT_EVENT_TOPIC_MAX];
    pending_t pending[PENDING_MAX];
    size_t npending, pending_head;
} edge_t;

static void publish_status(edge_t *e)
{
    char msg[256];
    int n = snprintf(msg, sizeof msg,
                     "{\"v\":1,\"state\":\"online\",\"firmware\":\"%s\",\"board\":\"%s\"}",
                     TT_VERSION, e->conf.board_name);
    if (tt_uplink_publish(e->up, e->status_topic, msg, (size_t)n, 1) != TT_OK)
        tt_log_warn(e->log, "could not publish terminal status");
}

/* The counter's lookups, into the store's copy of the master data.  Until
 * the first master data arrives everything is "not yet known". */
static int have_master(edge_t *e)
{
    tt_outbox_stats_t st;
    tt_outbox_stats(e->ob, &st);
    return st.master_version > 0;
}

static tt_err_t look_item(void *ctx, const char *barcode, tt_master_item_t *out)
{
    edge_t *e = ctx;
    return have_master(e) ? tt_outbox_item(e->ob, barcode, out) : TT_ERR_BUSY;
}

static tt_err_t look_operator(void *ctx, const char *key, tt_master_operator_t *out)
{
    edge_t *e = ctx;
    return have_master(e) ? tt_outbox_operator(e->ob, key, out) : TT_ERR_BUSY;
}

static tt_err_t look_warehouse(void *ctx, const char *id, tt_master_warehouse_t *out)
{
    edge_t *e = ctx;
    return have_master(e) ? tt_outbox_warehouse(e->ob, id, out) : TT_ERR_BUSY;
}

static tt_err_t look_unit(void *ctx, const char *id, tt_master_unit_t *out)
{
    edge_t *e = ctx;
    return have_master(e) ? tt_outbox_unit(e->ob, id, out) : TT_ERR_BUSY;
}

static tt_err_t look_plan(void *ctx, const char *serial, tt_master_plan_t *out)
{
    edge_t *e = ctx;
    return have_master(e) ? tt_outbox_plan(e->ob, serial, out) : TT_ERR_BUSY;
}

static tt_err_t look_equipment(void *ctx, const char *key, int by_giai,
                               tt_master_equipment_t *out)
{
    edge_t *e = ctx;
    return have_master(e) ? tt_outbox_equipment(e->ob, key, by_giai, out) : TT_ERR_BUSY;
}

static tt_err_t look_asset(void *ctx, const char *asset, tt_assets_row_t *out)
{
    edge_t *e = ctx;
    return tt_assetview_get(e->assets, asset, out);
}

static tt_err_t look_stock(void *ctx, const char *warehouse, const char *item, tt_qty_t *qty)
{
    edge_t *e = ctx;
    return tt_outbox_stock_view(e->ob, warehouse, item, qty);
}

static int store_unsettled(const edge_t *e)
{
    tt_outbox_stats_t st;
    tt_outbox_stats(e->ob, &st);
    return st.unsettled;
}

/* Stores a committed counter document, all lines or none. */
static tt_counter_beep_t commit_document(edge_t *e)
{
    tt_event_t evs[TT_COUNTER_LINES_MAX];
    size_t n;
    tt_err_t rc;

    if (tt_counter_pending(e->counter, tt_clock_wall_ms(), evs, &n) != TT_OK)
        return TT_COUNTER_BEEP_NONE;
    rc = tt_outbox_append_many(e->ob, evs, n);
    if (rc == TT_ERR_INDOUBT)
        tt_log_error(e->log, "document of %zu lines: the store failed and cannot be checked yet:"
                     " not known whether it was recorded; scans are refused until it is", n);
    else if (rc == TT_ERR_BUSY)
        tt_log_error(e->log, "document of %zu lines NOT recorded: the store is unsettled", n);
    else if (rc != TT_OK)
        tt_log_error(e->log, "document of %zu lines NOT recorded: %s", n, tt_strerror(rc));
    else
        tt_sync_recorded(e->sync, evs[n - 1].seq, tt_clock_mono_ms());
    return tt_counter_stored(e->counter, rc, rc == TT_OK ? evs[0].seq : 0);
}

/* The beep and the light for an outcome at the counter: a refusal turns
 * the tower red until the next accepted input. */
static void signal_outcome(edge_t *e, tt_counter_beep_t beep)
{
    if (beep == TT_COUNTER_BEEP_NONE)
        return;
    e->last_error = beep == TT_COUNTER_BEEP_ERROR;
    if (e->ind)
        tt_indicator_beep(e->ind, e->last_error ? TT_INDICATOR_BEEP_ERROR : TT_INDICATOR_BEEP_OK);
}

/* A failed commit left the store unsettled (outbox.h): it is tried again
 * every SETTLE_RETRY_MS, and at once (`now_too`) before a scan is taken,
 * so a storekeeper never waits for the timer once the disk works.  When it
 * settles, the counter's document in doubt learns its fate. */
static void settle_store(edge_t *e, int64_t now, int now_too)
{
    uint64_t first, last;

    if (!store_unsettled(e) || (!now_too && now < e->settle_at))
        return;
    e->settle_at = now + SETTLE_RETRY_MS;
    if (tt_outbox_settle(e->ob, &first, &last) != TT_OK)
        return;
    if (first) {
        tt_log_warn(e->log, "store settled: the write in doubt WAS recorded, seqs %llu..%llu",
                    (unsigned long long)first, (unsigned long long)last);
        tt_sync_recorded(e->sync, last, now);
    } else {
        tt_log_warn(e->log, "store settled: the write in doubt was not recorded; scans are"
                    " taken again");
    }
    e->dirty = 1;
    signal_outcome(e, tt_counter_settled(e->counter, first));
}

/* A code for the counter: a card or an item line, perhaps a commit. */
static void counter_scan(edge_t *e, uint64_t client, const char *code)
{
    e->dirty = 1;
    e->input_at = tt_clock_mono_ms();
    settle_store(e, tt_clock_mono_ms(), 1);
    tt_counter_beep_t beep = tt_counter_scan(e->counter, code);
    tt_counter_beep_t stored = commit_document(e);
    const tt_counter_view_t *v = tt_counter_view(e->counter);

    if (stored != TT_COUNTER_BEEP_NONE)
        beep = stored;
    signal_outcome(e, beep);
    if (client)
        tt_control_reply(e->ctl, client, "%s %s", beep == TT_COUNTER_BEEP_ERROR ? "err refused" : "ok",
                         v->message);
}

/* The code the scanner read, with what was armed for it. */
static void record_scan(edge_t *e, const char *code)
{
    pending_t p;
    tt_event_t ev;
    tt_err_t rc;

    e->input_at = tt_clock_mono_ms();
    if (e->npending == 0) {
        counter_scan(e, 0, code);
        return;
    }
    p = e->pending[e->pending_head];
    e->pending_head = (e->pending_head + 1) % PENDING_MAX;
    e->npending--;
    if (p.raw) {
        counter_scan(e, p.client, code);
        return;
    }

    memset(&ev, 0, sizeof ev);
    ev.type = p.type;
    ev.ts_ms = tt_clock_wall_ms();
    memcpy(ev.operator_id, p.operator_id, sizeof ev.operator_id);
    memcpy(ev.body.stock.warehouse, p.warehouse, sizeof ev.body.stock.warehouse);
    ev.body.stock.qty = p.qty;
    if (!tt_event_code_valid(code)) {
        tt_control_reply(e->ctl, p.client, "err inval '%s' is not a valid item code", code);
        return;
    }
    memcpy(ev.body.stock.item, code, strlen(code) + 1);   /* valid codes fit */
    settle_store(e, tt_clock_mono_ms(), 1);
    rc = tt_outbox_append(e->ob, &ev);
    if (rc == TT_ERR_BUSY) {
        tt_log_error(e->log, "scan '%s' NOT recorded: the store is unsettled", code);
        signal_outcome(e, TT_COUNTER_BEEP_ERROR);
        tt_control_reply(e->ctl, p.client, "err store scan not recorded: the store failed and"
                         " is being checked");
        return;
    }
    if (rc == TT_ERR_INDOUBT) {
        tt_log_error(e->log, "scan '%s': the store failed and cannot be checked yet: not known"
                     " whether it was recorded", code);
        signal_outcome(e, TT_COUNTER_BEEP_ERROR);
        tt_control_reply(e->ctl, p.client, "err store scan outcome not known yet: the store"
                         " failed and is being checked (status: store_unsettled)");
        return;
    }
    if (rc != TT_OK) {
        tt_log_error(e->log, "scan '%s' NOT recorded: %s", code, tt_strerror(rc));
        signal_outcome(e, TT_COUNTER_BEEP_ERROR);
        tt_control_reply(e->ctl, p.client, "err %s scan not recorded: %s",
                         rc == TT_ERR_FULL ? "full" : "store", tt_strerror(rc));
        return;
    }
    tt_log_debug(e->log, "recorded %s %s seq %llu", tt_event_type_name(ev.type), code,
                 (unsigned long long)ev.seq);
    signal_outcome(e, TT_COUNTER_BEEP_OK);
    tt_control_reply(e->ctl, p.client, "ok %llu", (unsigned long long)ev.seq);
    tt_sync_recorded(e->sync, ev.seq, tt_clock_mono_ms());
}

static void drain_rfid(edge_t *e)
{
    char epc[TT_RFID_EPC_MAX];
    if (!e->rfid)
        return;
    while (tt_rfid_read(e->rfid, epc, sizeof epc) == TT_OK)
        counter_scan(e, 0, epc);
}

/* The tower shows the worst of: a refusal (red), no way to the server
 * (amber), all well (green).  An unsettled store is red throughout. */
static void update_indicator(edge_t *e)
{
    if (!e->ind)
        return;
    tt_indicator_set(e->ind, e->last_error || store_unsettled(e) ? TT_INDICATOR_ERROR
                             : tt_uplink_connected(e->up) && tt_sync_server_online(e->sync)
                                 ? TT_INDICATOR_OK
                                 : TT_INDICATOR_OFFLINE);
}

static void drain_scanner(edge_t *e)
{
    char code[TT_SCANNER_CODE_MAX];
    tt_err_t rc;
    while ((rc = tt_scanner_read(e->scanner, code, sizeof code)) != TT_ERR_BUSY) {
        if (rc == TT_OK)
            record_scan(e, code);
        else
            tt_log_warn(e->log, "scanner: %s", tt_strerror(rc));
    }
}

/* scan <receive|issue> <warehouse> <operator> <code> <qty> */
static void cmd_scan(edge_t *e, uint64_t client, char **argv, int argc)
{
    pending_t *p;
    tt_err_t rc;

    if (argc != 6) {
        tt_control_reply(e->ctl, client,
                         "err inval usage: scan receive|issue WAREHOUSE OPERATOR CODE QTY");
        return;
    }
    if (e->npending == PENDING_MAX) {
        tt_control_reply(e->ctl, client, "err busy too many scans waiting");
        return;
    }
    p = &e->pending[(e->pending_head + e->npending) % PENDING_MAX];
    memset(p, 0, sizeof *p);
    p->client = client;
    if (strcmp(argv[1], "receive") == 0)
        p->type = TT_EVENT_RECEIVE;
    else if (strcmp(argv[1], "issue") == 0)
        p->type = TT_EVENT_ISSUE;
    else {
        tt_control_reply(e->ctl, client, "err inval unknown operation '%s'", argv[1]);
        return;
    }
    if (!tt_event_id_valid(argv[2]) || !tt_event_id_valid(argv[3])) {
        tt_control_reply(e->ctl, client, "err inval warehouse and operator must be valid ids");
        return;
    }
    if (tt_qty_parse(argv[5], &p->qty) != TT_OK || p->qty <= 0) {
        tt_control_reply(e->ctl, client,
                         "err inval quantity '%s' must be a positive decimal with at most 3 decimals",
                         argv[5]);
        return;
    }
    snprintf(p->warehouse, sizeof p->warehouse, "%s", argv[2]);
    snprintf(p->operator_id, sizeof p->operator_id, "%s", argv[3]);
    rc = tt_scanner_inject(e->scanner, argv[4]);
    if (rc != TT_OK) {
        tt_control_reply(e->ctl, client, "err %s scanner refused the code: %s",
                         rc == TT_ERR_DEVICE ? "device" : "inval", tt_strerror(rc));
        return;
    }
    e->npending++;
}

/* code <data>: a raw scan, through the scanner, to the counter. */
static void cmd_code(edge_t *e, uint64_t client, const char *data)
{
    pending_t *p;
    tt_err_t rc;

    if (e->npending == PENDING_MAX) {
        tt_control_reply(e->ctl, client, "err busy too many scans waiting");
        return;
    }
    rc = tt_scanner_inject(e->scanner, data);
    if (rc != TT_OK) {
        tt_control_reply(e->ctl, client, "err %s scanner refused the code: %s",
                         rc == TT_ERR_DEVICE ? "device" : "inval", tt_strerror(rc));
        return;
    }
    p = &e->pending[(e->pending_head + e->npending) % PENDING_MAX];
    memset(p, 0, sizeof *p);
    p->client = client;
    p->raw = 1;
    e->npending++;
}

static void cmd_view(edge_t *e, uint64_t client)
{
    const tt_counter_view_t *v = tt_counter_view(e->counter);
    cJSON *o = cJSON_CreateObject(), *lines = cJSON_AddArrayToObject(o, "lines");
    char q[TT_MONEY_TEXT_MAX], *text;

    for (size_t i = 0; lines && i < v->nlines; i++) {
        cJSON *l = cJSON_CreateObject();
        tt_qty_format(v->lines[i].qty, q, sizeof q);
        cJSON_AddStringToObject(l, "item", v->lines[i].item);
        cJSON_AddStringToObject(l, "name", v->lines[i].name);
        cJSON_AddStringToObject(l, "spec", v->lines[i].spec);
        cJSON_AddStringToObject(l, "uom", v->lines[i].uom);
        cJSON_AddStringToObject(l, "qty", q);
        cJSON_AddStringToObject(l, "result", v->lines[i].result);
        if (v->lines[i].stock_known) {
            char sq[TT_MONEY_TEXT_MAX];
            tt_qty_format(v->lines[i].stock, sq, sizeof sq);
            cJSON_AddStringToObject(l, "stock", sq);
        }
        cJSON_AddItemToArray(lines, l);
    }
    tt_qty_format(v->next_qty, q, sizeof q);
    cJSON_AddStringToObject(o, "operator", v->operator_id);
    cJSON_AddStringToObject(o, "mode", v->mode ? tt_counter_mode_word(v->mode) : "none");
    cJSON_AddStringToObject(o, "to", v->to);
    cJSON_AddStringToObject(o, "action", v->action);
    cJSON_AddStringToObject(o, "to_unit", v->to_unit);
    cJSON_AddStringToObject(o, "next_result", v->next_result);
    cJSON_AddStringToObject(o, "warehouse", v->warehouse);
    cJSON_AddStringToObject(o, "unit", v->unit);
    cJSON_AddStringToObject(o, "ref", v->ref);
    cJSON_AddStringToObject(o, "next_qty", q);
    cJSON_AddStringToObject(o, "message", v->message);
    cJSON_AddBoolToObject(o, "error", v->message_is_error);
    cJSON_AddBoolToObject(o, "scanner_present", tt_scanner_present(e->scanner));
    /* The repair bay's asset as the screen shows it (docs/protocol.md). */
    cJSON_AddItemToObject(o, "asset", tt_repairbay_json(&v->asset));
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text)
        tt_control_reply(e->ctl, client, "ok %s", text);
    else
        tt_control_reply(e->ctl, client, "err nomem");
    free(text);
}

/* sim rfid EPC | sim rfid-garbage | sim scanner unplug|plug: the sim board's
 * devices, driven as a person at the counter would (a tag held to the
 * reader, the scanner's cable pulled). */
static void cmd_sim(edge_t *e, uint64_t client, char **argv, int argc)
{
    tt_err_t rc = TT_ERR_INVAL;

    if (strcmp(argv[1], "rfid") == 0 && argc == 3 && e->rfid)
        rc = tt_rfid_sim(e->rfid, TT_RFID_SIM_TAP, argv[2]);
    else if (strcmp(argv[1], "rfid-garbage") == 0 && argc == 2 && e->rfid)
        rc = tt_rfid_sim(e->rfid, TT_RFID_SIM_GARBAGE, NULL);
    else if (strcmp(argv[1], "scanner") == 0 && argc == 3 && strcmp(argv[2], "unplug") == 0)
        rc = tt_scanner_inject(e->scanner, TT_SCANNER_SIM_UNPLUG);
    else if (strcmp(argv[1], "scanner") == 0 && argc == 3 && strcmp(argv[2], "plug") == 0)
        rc = tt_scanner_inject(e->scanner, TT_SCANNER_SIM_PLUG);
    if (rc == TT_OK) {
        e->dirty = 1;
        tt_control_reply(e->ctl, client, "ok");
    } else {
        tt_control_reply(e->ctl, client, "err inval usage: sim rfid EPC | sim rfid-garbage |"
                                         " sim scanner unplug|plug (on a board with them): %s",
                         tt_strerror(rc));
    }
}

static void cmd_status(edge_t *e, uint64_t client)
{
    tt_outbox_stats_t st;
    tt_outbox_stats(e->ob, &st);
    tt_control_reply(e->ctl, client,
                     "ok {\"terminal\":\"%s\",\"site\":\"%s\",\"board\":\"%s\",\"firmware\":\"%s\","
                     "\"last_seq\":%llu,\"synced\":%llu,\"pending\":%llu,\"rejected\":%llu,"
                     "\"connected\":%s,\"server_online\":%s,\"ack_conflict\":%llu,"
                     "\"master_version\":%llu,\"scanner_present\":%s,\"rfid_present\":%s,"
                     "\"store_unsettled\":%s,\"store_faults\":%llu,\"pruned\":%llu}",
                     e->conf.terminal_id, e->conf.site, e->conf.board_name, TT_VERSION,
                     (unsigned long long)st.last_seq, (unsigned long long)st.synced,
                     (unsigned long long)(st.last_seq - st.synced),
                     (unsigned long long)st.rejected, tt_uplink_connected(e->up) ? "true" : "false",
                     tt_sync_server_online(e->sync) ? "true" : "false",
                     (unsigned long long)st.conflict, (unsigned long long)st.master_version,
                     tt_scanner_present(e->scanner) ? "true" : "false",
                     e->rfid ? (tt_rfid_present(e->rfid) ? "true" : "false") : "null",
                     st.unsettled ? "true" : "false", (unsigned long long)st.store_faults,
                     (unsigned long long)st.pruned);
}

static void on_line(void *ctx, uint64_t client, char *line)
{
    edge_t *e = ctx;
    char *argv[8];
    int argc = 0;
    char *save = NULL;

    for (char *tok = strtok_r(line, " \t", &save); tok && argc < 8;
         tok = strtok_r(NULL, " \t", &save))
        argv[argc++] = tok;
    if (argc == 0)
        return;
    if (strcmp(argv[0], "scan") == 0) {
        cmd_scan(e, client, argv, argc);
    } else if (strcmp(argv[0], "code") == 0 && argc == 2) {
        cmd_code(e, client, argv[1]);
    } else if (strcmp(argv[0], "key") == 0 && argc == 2) {
        tt_counter_beep_t beep = tt_counter_keypad(e->counter, argv[1]);
        tt_control_reply(e->ctl, client, "%s %s",
                         beep == TT_COUNTER_BEEP_ERROR ? "err refused" : "ok",
                         tt_counter_view(e->counter)->message);
    } else if (strcmp(argv[0], "view") == 0) {
        cmd_view(e, client);
    } else if (strcmp(argv[0], "sim") == 0 && argc >= 2) {
        cmd_sim(e, client, argv, argc);
    } else if (strcmp(argv[0], "status") == 0) {
        cmd_status(e, client);
    } else if (strcmp(argv[0], "rejection") == 0 && argc == 2) {
        char reason[TT_EVENT_REASON_MAX];
        tt_err_t rc = tt_outbox_rejection(e->ob, strtoull(argv[1], NULL, 10), reason,
                                          sizeof reason);
        if (rc == TT_OK) {
            /* Read by a person: the event may now be pruned like others. */
            rc = tt_outbox_rejection_seen(e->ob, strtoull(argv[1], NULL, 10), tt_clock_wall_ms());
            if (rc != TT_OK)
                tt_log_warn(e->log, "cannot note rejection %s as read: %s", argv[1],
                            tt_strerror(rc));
            tt_control_reply(e->ctl, client, "ok %s", reason);
        } else
            tt_control_reply(e->ctl, client, "err notfound no rejection for seq %s", argv[1]);
    } else if (strcmp(argv[0], "ping") == 0) {
        tt_control_reply(e->ctl, client, "ok pong");
    } else {
        tt_control_reply(e->ctl, client, "err inval unknown command '%s'", argv[0]);
    }
}

static void drain_uplink(edge_t *e)
{
    tt_uplink_note_t note;
    while (tt_uplink_next(e->up, &note) == TT_OK) {
        int64_t now = tt_clock_mono_ms();
        switch (note.kind) {
        case TT_UPLINK_CONNECTED:
            tt_log_info(e->log, "connected to %s", e->conf.mqtt_url);
            publish_status(e);
            tt_sync_restart(e->sync, now);
            break;
        case TT_UPLINK_LOST:
            tt_log_warn(e->log, "uplink: %s", note.cause);
            break;
        case TT_UPLINK_SEND_FAILED:
            tt_log_warn(e->log, "uplink: %s", note.cause);
            tt_sync_restart(e->sync, now);
            break;
        case TT_UPLINK_MESSAGE:
            tt_sync_message(e->sync, note.topic, note.payload, note.len, now);
            break;
        }
    }
}

static void draw(edge_t *e, int64_t now)
{
    tt_outbox_stats_t st;
    tt_ui_status_t us;
    if (!e->ui || (!e->dirty && now - e->drawn_at < REDRAW_MS))
        return;
    tt_outbox_stats(e->ob, &st);
    us.terminal_id = e->conf.terminal_id;
    us.site = e->conf.site;
    us.online = tt_uplink_connected(e->up) && tt_sync_server_online(e->sync);
    us.waiting = st.last_seq - st.synced;
    us.synced = st.synced;
    us.rejected = st.rejected;
    us.scanner_present = tt_scanner_present(e->scanner);
    tt_ui_draw(e->ui, tt_counter_view(e->counter), &us);
    e->drawn_at = now;
    e->dirty = 0;
}

static void ui_input(edge_t *e)
{
    char text[64];
    tt_ui_action_t a;
    while ((a = tt_ui_keys(e->ui, text, sizeof text)) != TT_UI_NONE) {
        if (a == TT_UI_ENTRY)
            tt_counter_keypad(e->counter, text);
        else
            counter_scan(e, 0, a == TT_UI_COMMIT ? "TT:COMMIT" : a == TT_UI_UNDO ? "TT:UNDO"
                                                                                : "TT:CANCEL");
    }
    e->dirty = 1;
}

static int min_deadline(int64_t a, int64_t b)
{
    return a < 0 ? b < 0 : b >= 0 && b < a;
}

/* One pruning step when it is due (see PRUNE_BATCH). */
static void prune_step(edge_t *e, int64_t now)
{
    size_t deleted = 0;
    tt_err_t rc;

    if (now < e->prune_at)
        return;
    if (tt_outbox_wal_pages(e->ob) >= PRUNE_CHECKPOINT_PAGES) {
        if (now - e->input_at < QUIET_MS) {
            e->prune_at = e->input_at + QUIET_MS;
            return;
        }
        rc = tt_outbox_checkpoint(e->ob);
        if (rc != TT_OK && rc != TT_ERR_BUSY)
            tt_log_warn(e->log, "checkpointing the store: %s", tt_strerror(rc));
        e->prune_at = now + PRUNE_BUSY_MS;
        return;
    }
    rc = tt_outbox_prune(e->ob, &e->keep, tt_clock_wall_ms(), PRUNE_BATCH, &deleted);
    if (rc != TT_OK && rc != TT_ERR_BUSY)
        tt_log_warn(e->log, "pruning the store: %s", tt_strerror(rc));
    e->prune_at = now + (rc == TT_OK && deleted > 0 ? PRUNE_BUSY_MS : PRUNE_IDLE_MS);
}

static int run(edge_t *e)
{
    struct pollfd fds[MAX_FDS];

    while (!stop_requested) {
        size_t n = 0, nscan, nrfid, nind, nctl;
        int64_t now = tt_clock_mono_ms(), d = tt_uplink_deadline(e->up), sd;
        int timeout;

        sd = tt_sync_deadline(e->sync);
        if (min_deadline(d, sd))
            d = sd;
        sd = tt_scanner_deadline(e->scanner);
        if (min_deadline(d, sd))
            d = sd;
        sd = e->rfid ? tt_rfid_deadline(e->rfid) : -1;
        if (min_deadline(d, sd))
            d = sd;
        sd = e->ind ? tt_indicator_deadline(e->ind) : -1;
        if (min_deadline(d, sd))
            d = sd;
        if (min_deadline(d, e->prune_at))
            d = e->prune_at;
        timeout = d < 0 ? 1000 : d <= now ? 0 : (int)(d - now > 1000 ? 1000 : d - now);
        if (e->ui && timeout > REDRAW_MS)
            timeout = REDRAW_MS;
        fds[n].fd = tt_uplink_fd(e->up);
        fds[n++].events = POLLIN;
        nscan = tt_scanner_pollfds(e->scanner, fds + n, SCANNER_FDS);
        n += nscan;
        nrfid = e->rfid ? tt_rfid_pollfds(e->rfid, fds + n, DEVICE_FDS) : 0;
        n += nrfid;
        nind = e->ind ? tt_indicator_pollfds(e->ind, fds + n, DEVICE_FDS) : 0;
        n += nind;
        fds[n].fd = e->ui ? tt_ui_fd(e->ui) : -1;   /* poll ignores negative fds */
        fds[n++].events = POLLIN;
        nctl = tt_control_pollfds(e->ctl, fds + n, MAX_FDS - n);
        if (poll(fds, n + nctl, timeout) < 0) {
            if (errno == EINTR)
                continue;
            tt_log_error(e->log, "poll: %s", strerror(errno));
            return 1;
        }
        if (fds[0].revents)
            drain_uplink(e);
        tt_scanner_service(e->scanner, fds + 1, nscan, tt_clock_mono_ms());
        drain_scanner(e);
        if (e->rfid) {
            tt_rfid_service(e->rfid, fds + 1 + nscan, nrfid, tt_clock_mono_ms());
            drain_rfid(e);
        }
        if (fds[n - 1].revents)
            ui_input(e);
        tt_control_handle(e->ctl, fds + n, nctl, on_line, e);
        /* Codes injected by the control socket just now are read at once. */
        drain_scanner(e);
        now = tt_clock_mono_ms();
        settle_store(e, now, 0);
        prune_step(e, now);
        tt_uplink_tick(e->up, now);
        tt_sync_watch_warehouse(e->sync, tt_counter_view(e->counter)->warehouse);
        tt_sync_pump(e->sync, now);
        update_indicator(e);
        if (e->ind)
            tt_indicator_service(e->ind, fds + 1 + nscan + nrfid, nind, now);
        draw(e, now);
    }
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: tagtrail-edge -c terminal.conf\n"
                    "       tagtrail-edge --check -c terminal.conf   (validate and exit)\n");
}

int main(int argc, char **argv)
{
    edge_t e;
    const char *path = NULL;
    int check = 0, rc = 1;
    char err[TT_CONF_ERR_MAX];
    char client_id[64], will[64], ack_topic[TT_EVENT_TOPIC_MAX], master_topic[TT_EVENT_TOPIC_MAX];
    char snap_topic[TT_EVENT_TOPIC_MAX], assets_topic[TT_EVENT_TOPIC_MAX];
    const char *subs[5];
    struct sigaction sa;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "--check") == 0)
            check = 1;
        else if (strcmp(argv[i], "--version") == 0) {
            printf("tagtrail-edge %s\n", TT_VERSION);
            return 0;
        } else {
            usage();
            return 2;
        }
    }
    if (!path) {
        usage();
        return 2;
    }
    memset(&e, 0, sizeof e);
    if (tt_edgeconf_load(path, &e.conf, err, sizeof err) != TT_OK) {
        fprintf(stderr, "tagtrail-edge: %s\n", err);
        return 2;
    }
    if (check) {
        printf("%s: ok (terminal %s, board %s)\n", path, e.conf.terminal_id, e.conf.board_name);
        return 0;
    }
    if (e.conf.log_file[0]) {
        e.logf = fopen(e.conf.log_file, "a");
        if (!e.logf) {
            fprintf(stderr, "tagtrail-edge: %s: %s\n", e.conf.log_file, strerror(errno));
            return 1;
        }
    }
    e.log = tt_log_new(e.logf ? e.logf : stderr, (tt_log_level_t)e.conf.log_level,
                       "tagtrail-edge", e.conf.terminal_id);
    if (!e.log)
        return 1;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (tt_outbox_open(e.conf.store, &e.ob, err, sizeof err) != TT_OK) {
        tt_log_error(e.log, "store: %s", err);
        goto out;
    }
    if (tt_assetview_open(e.ob, &e.assets) != TT_OK) {
        tt_log_error(e.log, "store: cannot prepare the equipment states");
        goto out;
    }
    if (tt_counter_new(e.conf.warehouse, (tt_counter_lang_t)e.conf.language, &e.counter) != TT_OK)
        goto out;
    {
        tt_counter_lookup_t lk = {&e,         look_item, look_operator, look_warehouse, look_unit,
                                  look_stock, look_plan, look_equipment, look_asset};
        tt_counter_set_lookup(e.counter, &lk);
        tt_counter_set_stock_check(e.counter, (tt_counter_stock_check_t)e.conf.stock_check);
    }
    if (tt_scanner_open(&e.conf.scanner, &e.scanner) != TT_OK) {
        tt_log_error(e.log, "scanner '%s' cannot be opened", e.conf.scanner.driver);
        goto out;
    }
    if (e.conf.rfid.driver[0] && tt_rfid_open(&e.conf.rfid, &e.rfid) != TT_OK) {
        tt_log_error(e.log, "rfid reader '%s' cannot be opened: check the board file",
                     e.conf.rfid.driver);
        goto out;
    }
    if (e.conf.indicator.driver[0] && tt_indicator_open(&e.conf.indicator, &e.ind) != TT_OK) {
        tt_log_error(e.log, "indicator '%s' cannot be opened: check the board file",
                     e.conf.indicator.driver);
        goto out;
    }
    tt_event_topic(e.status_topic, sizeof e.status_topic, e.conf.terminal_id,
                   TT_EVENT_LEAF_STATUS);
    tt_event_topic(ack_topic, sizeof ack_topic, e.conf.terminal_id, TT_EVENT_LEAF_ACK);
    tt_event_topic(master_topic, sizeof master_topic, e.conf.terminal_id, TT_MASTER_LEAF_PAGE);
    subs[0] = ack_topic;
    subs[1] = TT_EVENT_TOPIC_SERVER_STATUS;
    subs[2] = master_topic;
    tt_event_topic(snap_topic, sizeof snap_topic, e.conf.terminal_id, TT_SNAPSHOT_LEAF);
    subs[3] = snap_topic;
    tt_event_topic(assets_topic, sizeof assets_topic, e.conf.terminal_id, TT_ASSETS_LEAF);
    subs[4] = assets_topic;
    snprintf(client_id, sizeof client_id, "tt-edge-%s", e.conf.terminal_id);
    snprintf(will, sizeof will, "{\"v\":1,\"state\":\"offline\"}");
    {
        tt_sync_conf_t sc = {e.conf.terminal_id, (size_t)e.conf.uplink_batch_max,
                             (int)e.conf.uplink_window, e.conf.uplink_resend_ms};
        tt_uplink_conf_t uc;
        memset(&uc, 0, sizeof uc);
        uc.url = e.conf.mqtt_url;
        uc.client_id = client_id;
        uc.username = e.conf.mqtt_username[0] ? e.conf.mqtt_username : NULL;
        uc.password = e.conf.mqtt_password[0] ? e.conf.mqtt_password : NULL;
        uc.ca_file = e.conf.mqtt_ca_file[0] ? e.conf.mqtt_ca_file : NULL;
        uc.cert_file = e.conf.mqtt_cert_file[0] ? e.conf.mqtt_cert_file : NULL;
        uc.key_file = e.conf.mqtt_key_file[0] ? e.conf.mqtt_key_file : NULL;
        uc.keepalive_s = (int)e.conf.mqtt_keepalive_s;
        uc.max_inflight = (int)e.conf.uplink_window + 16;
        uc.will_topic = e.status_topic;
        uc.will_payload = will;
        uc.subscriptions = subs;
        uc.nsubscriptions = 5;
        uc.max_queued_bytes = 1 << 20;
        if (tt_uplink_new(&uc, &e.up, err, sizeof err) != TT_OK) {
            tt_log_error(e.log, "%s", err);
            goto out;
        }
        if (tt_sync_new(&sc, e.ob, e.up, e.log, &e.sync) != TT_OK) {
            tt_log_error(e.log, "bad uplink settings");
            goto out;
        }
        tt_sync_set_assets(e.sync, e.assets);
    }
    if (tt_control_open(e.conf.control_socket, &e.ctl, err, sizeof err) != TT_OK) {
        tt_log_error(e.log, "control socket: %s", err);
        goto out;
    }
    if (e.conf.console) {
        setlocale(LC_ALL, "");
        if (tt_ui_open((tt_counter_lang_t)e.conf.language, &e.ui) != TT_OK) {
            tt_log_error(e.log, "console = true but standard input is not a terminal");
            goto out;
        }
        e.dirty = 1;
    }
    e.keep.keep_ms = e.conf.outbox_keep_days * 86400000LL;
    e.keep.keep_events = (uint64_t)e.conf.outbox_keep_events;
    e.prune_at = tt_clock_mono_ms() + PRUNE_BUSY_MS;
    {
        tt_outbox_stats_t st;
        tt_outbox_stats(e.ob, &st);
        tt_log_info(e.log, "started: board %s, store %s, %llu events, %llu awaiting sync",
                    e.conf.board_name, e.conf.store, (unsigned long long)st.last_seq,
                    (unsigned long long)(st.last_seq - st.synced));
    }
    rc = run(&e);
    tt_log_info(e.log, "stopping");
out:
    tt_ui_close(e.ui);
    tt_control_close(e.ctl);
    tt_uplink_free(e.up);
    tt_sync_free(e.sync);
    tt_scanner_close(e.scanner);
    tt_rfid_close(e.rfid);
    tt_indicator_close(e.ind);
    tt_counter_free(e.counter);
    tt_assetview_close(e.assets);
    tt_outbox_close(e.ob);
    tt_log_free(e.log);
    if (e.logf)
        fclose(e.logf);
    return rc;
}
