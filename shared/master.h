/*
 * master: master data (items, barcodes, warehouses, units, operators, approved
 * plan lines, the equipment register) as the server publishes it to
 * terminals, and its wire codec.
 *
 * The server keeps one master version number, raised by every change (an
 * import is one change); each row carries the version at which it last
 * changed.  A terminal asks for what changed since the version it has, and
 * the server answers in pages; the terminal stores every page and adopts the
 * new version only with the last one, so a lost page costs a re-ask, never a
 * gap.  Rows are never deleted: items, operators and assets are
 * deactivated, plan lines rejected.
 *
 * Request (terminal -> server, topic tt/v1/t/<terminal>/master-req, QoS 1):
 *   {"v":1,"since":12,"cursor":""}
 * Page (server -> terminal, topic tt/v1/t/<terminal>/master, QoS 1):
 *   {"v":1,"since":12,"to":15,"cursor":"item:6901234567892","last":false,
 *    "units":[{"id":"CM1","name":"采煤一区","kind":"work_area"}],
 *    "warehouses":[{"id":"CK01","name":"中心仓库","kind":"central","unit":""}],
 *    "items":[{"code":"6901234567892","name":"锚杆","spec":"Φ20×2200","uom":"根",
 *              "category":"material","price":"12.50","active":true,
 *              "barcodes":["6901234567892"]}],
 *    "operators":[{"id":"zhang3","name":"张三","role":"storekeeper","unit":"",
 *                  "badge":"B0001","active":true}],
 *    "plans":[{"serial":"P2026-0117","item":"6901234567892","qty":"200",
 *              "category":"S03","unit":"CM1","status":"approved"}],
 *    "equipment":[{"asset":"P-0042","model":"乳化液泵 BRW400/31.5","item":"",
 *                  "giai":"06141415678","barcode":"","unit":"CM1","active":true}]}
 * `cursor` is opaque to the terminal: it sends back the page's cursor to get
 * the next page of the same `since`, until a page says "last":true.
 *
 * Texts (names, specs, units of measure, models) are UTF-8 of at most
 * TT_MASTER_TEXT_MAX bytes without control characters; ids and codes follow
 * tt_event_id_valid / tt_event_code_valid (a plan serial is an id, an asset
 * number a code); a GIAI follows tt_master_giai_valid.
 */
#ifndef TT_MASTER_H
#define TT_MASTER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "event.h"
#include "money.h"

#define TT_MASTER_TEXT_MAX 96        /* bytes of a name, spec or uom, without NUL */
#define TT_MASTER_CURSOR_MAX 100     /* bytes of a cursor, without NUL */
#define TT_MASTER_BARCODES_MAX 8     /* barcodes of one item */
#define TT_MASTER_GIAI_MAX 30        /* characters of a GIAI (TT_EPC_KEY_MAX) */
#define TT_MASTER_PAGE_ROWS 2000     /* rows in one page, all kinds together */
#define TT_MASTER_LEAF_REQ "master-req"
#define TT_MASTER_LEAF_PAGE "master"

typedef enum {
    TT_UNIT_WORK_AREA = 1, TT_UNIT_DEPARTMENT, TT_UNIT_SHOP
} tt_unit_kind_t;

typedef enum {
    TT_WAREHOUSE_CENTRAL = 1, TT_WAREHOUSE_RECYCLING, TT_WAREHOUSE_WORK_AREA
} tt_warehouse_kind_t;

typedef enum {
    TT_ITEM_EQUIPMENT = 1, TT_ITEM_MATERIAL, TT_ITEM_SERVICE, TT_ITEM_OFFICE, TT_ITEM_GENERAL,
    TT_ITEM_MEDICINE
} tt_item_category_t;

/* Where a plan line stands: only an approved line backs a receipt; a line
 * rejected at a later approval step stays known, so the counter can say
 * why it is refused. */
typedef enum {
    TT_PLAN_APPROVED = 1, TT_PLAN_REJECTED
} tt_plan_status_t;

typedef struct {
    char id[TT_EVENT_ID_MAX + 1];
    char name[TT_MASTER_TEXT_MAX + 1];
    tt_unit_kind_t kind;
} tt_master_unit_t;

typedef struct {
    char id[TT_EVENT_ID_MAX + 1];
    char name[TT_MASTER_TEXT_MAX + 1];
    tt_warehouse_kind_t kind;
    char unit[TT_EVENT_ID_MAX + 1];          /* owning work area, "" for none */
} tt_master_warehouse_t;

typedef struct {
    char code[TT_EVENT_CODE_MAX + 1];
    char name[TT_MASTER_TEXT_MAX + 1];
    char spec[TT_MASTER_TEXT_MAX + 1];
    char uom[TT_MASTER_TEXT_MAX + 1];        /* unit of measure: 根, 米, 升, ... */
    tt_item_category_t category;
    tt_fen_t price;                          /* standard price (矿报标准), fen per unit */
    int active;
    size_t nbarcodes;
    char barcodes[TT_MASTER_BARCODES_MAX][TT_EVENT_CODE_MAX + 1];
} tt_master_item_t;

typedef struct {
    char id[TT_EVENT_ID_MAX + 1];
    char name[TT_MASTER_TEXT_MAX + 1];
    char role[TT_EVENT_ID_MAX + 1];          /* storekeeper, repair_fitter, ... */
    char unit[TT_EVENT_ID_MAX + 1];
    char badge[TT_EVENT_CODE_MAX + 1];       /* the badge's barcode, "" for none */
    int active;
} tt_master_operator_t;

/* One approved-plan line (物资计划): what a receipt must be backed by. */
typedef struct {
    char serial[TT_EVENT_ID_MAX + 1];        /* 计划序号: what the storekeeper types */
    char item[TT_EVENT_CODE_MAX + 1];        /* the item's code */
    tt_qty_t qty;                            /* approved quantity, thousandths, > 0 */
    char category[TT_EVENT_ID_MAX + 1];      /* safety-expense category, "" for none */
    char unit[TT_EVENT_ID_MAX + 1];          /* the requesting unit, "" for none */
    tt_plan_status_t status;
} tt_master_plan_t;

/* One asset of the equipment register (设备档案). */
typedef struct {
    char asset[TT_EVENT_CODE_MAX + 1];       /* the asset number: what events carry */
    char model[TT_MASTER_TEXT_MAX + 1];      /* 型号 / name shown at the counter */
    char item[TT_EVENT_CODE_MAX + 1];        /* the item it was received as, "" for none */
    char giai[TT_MASTER_GIAI_MAX + 1];       /* its RFID tag's GIAI, "" for none */
    char barcode[TT_EVENT_CODE_MAX + 1];     /* its printed label, "" for none */
    char unit[TT_EVENT_ID_MAX + 1];          /* the owning unit, "" for none */
    int active;
} tt_master_equipment_t;

typedef struct {
    uint64_t since, to;
    char cursor[TT_MASTER_CURSOR_MAX + 1];   /* "" on the last page */
    int last;
    size_t nunits, nwarehouses, nitems, noperators, nplans, nequipment;
    tt_master_unit_t *units;
    tt_master_warehouse_t *warehouses;
    tt_master_item_t *items;
    tt_master_operator_t *operators;
    tt_master_plan_t *plans;
    tt_master_equipment_t *equipment;
} tt_master_page_t;

/* Kind and category names on the wire and in CSV files; NULL for a bad
 * value.  The _parse functions return 0 for an unknown name. */
const char *tt_master_unit_kind_name(tt_unit_kind_t k);
const char *tt_master_warehouse_kind_name(tt_warehouse_kind_t k);
const char *tt_master_category_name(tt_item_category_t c);
const char *tt_master_plan_status_name(tt_plan_status_t s);   /* "approved", "rejected" */
int tt_master_unit_kind_parse(const char *name);
int tt_master_warehouse_kind_parse(const char *name);
int tt_master_category_parse(const char *name);
int tt_master_plan_status_parse(const char *name);

/* Returns non-zero for a valid text: 1..TT_MASTER_TEXT_MAX bytes (0 allowed
 * when `may_be_empty`) of valid UTF-8 without control characters. */
int tt_master_text_valid(const char *text, int may_be_empty);

/* Returns non-zero for a valid GIAI as tt_epc_decode gives it (the key of a
 * GIAI-96 or GIAI-202 tag): 7..TT_MASTER_GIAI_MAX characters, the first 6
 * digits (the shortest GS1 company prefix), all of GS1's character set 82
 * except '"' (which no code of this system carries). */
int tt_master_giai_valid(const char *giai);

/* Encodes a request into buf[len].  Returns TT_OK with *outlen, TT_ERR_INVAL
 * for a cursor that is too long, TT_ERR_FULL. */
tt_err_t tt_master_req_encode(uint64_t since, const char *cursor, char *buf, size_t len,
                              size_t *outlen);

/* Decodes a request of len bytes.  Returns TT_OK with *since and the cursor
 * copied to cursor[TT_MASTER_CURSOR_MAX + 1]; TT_ERR_PARSE / TT_ERR_PROTO /
 * TT_ERR_VERSION with a reason. */
tt_err_t tt_master_req_decode(const char *buf, size_t len, uint64_t *since, char *cursor,
                              char *reason, size_t rlen);

/* Encodes a page into a new NUL-terminated string owned by the caller
 * (free()).  Returns TT_OK, TT_ERR_INVAL (a row that would not decode) or
 * TT_ERR_NOMEM. */
tt_err_t tt_master_page_encode(const tt_master_page_t *page, char **out, size_t *outlen);

/* Decodes a page of len bytes into a new page owned by the caller
 * (tt_master_page_free).  Every row is validated; any bad row refuses the
 * whole page.  Returns TT_OK, or TT_ERR_PARSE / TT_ERR_PROTO / TT_ERR_VERSION
 * / TT_ERR_NOMEM with a reason. */
tt_err_t tt_master_page_decode(const char *buf, size_t len, tt_master_page_t **out,
                               char *reason, size_t rlen);

/* Frees a decoded page (and its arrays); NULL is accepted. */
void tt_master_page_free(tt_master_page_t *page);

#endif
