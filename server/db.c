#include "db.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repair.h"
#include "users.h"
#include "wfstore.h"
#include "stmt.h"

#define EXCERPT_MAX 512

enum {
    S_APPLIED, S_PROGRESS, S_PRESENCE, S_EVENT_PUT, S_REJECT_EVENT,
    S_COUNT_REJECTED, S_BADMSG_PUT, S_COUNT_BADMSG, S_REJECTIONS, S_COUNT
};

static const char *const sql_text[S_COUNT] = {
    [S_APPLIED] = "SELECT applied_seq FROM terminal WHERE id = ?1",
    [S_PROGRESS] =
        "INSERT INTO terminal (id, applied_seq, held, first_seen_ms, last_seen_ms,"
        " last_event_ts_ms) VALUES (?1, ?2, ?3, ?4, ?4,"
        " (SELECT MAX(ts_ms) FROM event WHERE terminal = ?1 AND seq = ?2))"
        " ON CONFLICT (id) DO UPDATE SET applied_seq = excluded.applied_seq,"
        " held = excluded.held, last_seen_ms = excluded.last_seen_ms,"
        " last_event_ts_ms = COALESCE((SELECT MAX(ts_ms) FROM event"
        "   WHERE terminal = ?1 AND seq = ?2), last_event_ts_ms)",
    [S_PRESENCE] =
        "INSERT INTO terminal (id, online, firmware, board, first_seen_ms, last_seen_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?5)"
        " ON CONFLICT (id) DO UPDATE SET online = excluded.online,"
        " firmware = COALESCE(excluded.firmware, firmware),"
        " board = COALESCE(excluded.board, board), last_seen_ms = excluded.last_seen_ms",
    [S_EVENT_PUT] =
        "INSERT INTO event (terminal, seq, type, ts_ms, server_ms, operator, warehouse,"
        " item, qty, status, reason, ref, unit, line, lines, to_wh, action, to_unit, asset,"
        " step, result, book_qty) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
        " ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
    [S_REJECT_EVENT] = "INSERT INTO event (terminal, seq, ts_ms, server_ms, status, reason)"
                       " VALUES (?1, ?2, ?3, ?4, 'rejected', ?5)",
    [S_COUNT_REJECTED] =
        "INSERT INTO terminal (id, rejected_events, first_seen_ms, last_seen_ms)"
        " VALUES (?1, 1, ?2, ?2) ON CONFLICT (id) DO UPDATE SET"
        " rejected_events = rejected_events + 1",
    [S_BADMSG_PUT] = "INSERT INTO bad_message (terminal, topic, server_ms, reason, size, excerpt)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_COUNT_BADMSG] =
        "INSERT INTO terminal (id, rejected_messages, first_seen_ms, last_seen_ms)"
        " VALUES (?1, 1, ?2, ?2) ON CONFLICT (id) DO UPDATE SET"
        " rejected_messages = rejected_messages + 1, last_seen_ms = excluded.last_seen_ms",
    [S_REJECTIONS] = "SELECT seq, reason FROM event WHERE terminal = ?1 AND status = 'rejected'"
                     " AND seq > ?2 AND seq <= ?3 ORDER BY seq",
};

/* Each entry migrates user_version i to i + 1. */
static const char *const migrations[] = {
    "CREATE TABLE terminal ("
    "  id TEXT PRIMARY KEY,"
    "  applied_seq INTEGER NOT NULL DEFAULT 0,"
    "  held INTEGER NOT NULL DEFAULT 0,"
    "  rejected_events INTEGER NOT NULL DEFAULT 0,"
    "  rejected_messages INTEGER NOT NULL DEFAULT 0,"
    "  first_seen_ms INTEGER NOT NULL,"
    "  last_seen_ms INTEGER NOT NULL,"
    "  last_event_ts_ms INTEGER,"
    "  online INTEGER NOT NULL DEFAULT 0,"
    "  firmware TEXT, board TEXT);"
    /* The journal: append-only (see the triggers). */
    "CREATE TABLE event ("
    "  terminal TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  type TEXT,"
    "  ts_ms INTEGER,"
    "  server_ms INTEGER NOT NULL,"
    "  operator TEXT, warehouse TEXT, item TEXT, qty INTEGER,"
    "  status TEXT NOT NULL CHECK (status IN ('applied', 'rejected')),"
    "  reason TEXT,"
    "  PRIMARY KEY (terminal, seq)) WITHOUT ROWID;"
    "CREATE INDEX event_rejected ON event (terminal, seq) WHERE status = 'rejected';"
    "CREATE TRIGGER event_no_update BEFORE UPDATE ON event"
    "  BEGIN SELECT RAISE(ABORT, 'the event journal is append-only'); END;"
    "CREATE TRIGGER event_no_delete BEFORE DELETE ON event"
    "  BEGIN SELECT RAISE(ABORT, 'the event journal is append-only'); END;"
    "CREATE TABLE stock ("
    "  warehouse TEXT NOT NULL, item TEXT NOT NULL,"
    "  qty INTEGER NOT NULL CHECK (qty >= 0),"
    "  PRIMARY KEY (warehouse, item)) WITHOUT ROWID;"
    "CREATE TABLE bad_message ("
    "  id INTEGER PRIMARY KEY,"
    "  terminal TEXT NOT NULL,"
    "  topic TEXT NOT NULL,"
    "  server_ms INTEGER NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  excerpt BLOB NOT NULL);",
    /* 2: documents built at the counter (docs/protocol.md, body fields). */
    "ALTER TABLE event ADD COLUMN ref TEXT;"
    "ALTER TABLE event ADD COLUMN unit TEXT;"
    "ALTER TABLE event ADD COLUMN line INTEGER;"
    "ALTER TABLE event ADD COLUMN lines INTEGER;",
    /* 3: master data (shared/master.h, docs/operations.md "Importing master
     * data").  Every row carries the master version at which it last
     * changed; rows are never deleted (an item's barcodes are part of the
     * item and are replaced with it).  Operators' units reference units like
     * warehouses' do, so a typo in either is caught at import. */
    "CREATE TABLE master_version ("
    "  one INTEGER PRIMARY KEY CHECK (one = 1),"
    "  n INTEGER NOT NULL CHECK (n >= 0));"
    "INSERT INTO master_version (one, n) VALUES (1, 0);"
    "CREATE TABLE unit ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('work_area', 'department', 'shop')),"
    "  version INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE warehouse ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('central', 'recycling', 'work_area')),"
    "  unit TEXT REFERENCES unit (id),"
    "  version INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE item ("
    "  code TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  spec TEXT NOT NULL,"
    "  uom TEXT NOT NULL,"
    "  category TEXT NOT NULL CHECK (category IN ('equipment', 'material', 'service',"
    "    'office', 'general', 'medicine')),"
    "  price_fen INTEGER NOT NULL CHECK (price_fen >= 0),"
    "  return_old INTEGER NOT NULL CHECK (return_old IN (0, 1)),"
    "  reward_fen INTEGER NOT NULL CHECK (reward_fen >= 0),"
    "  penalty_fen INTEGER NOT NULL CHECK (penalty_fen >= 0),"
    "  active INTEGER NOT NULL CHECK (active IN (0, 1)),"
    "  version INTEGER NOT NULL) WITHOUT ROWID;"
    /* Every barcode that identifies an item, the item's own code included. */
    "CREATE TABLE item_barcode ("
    "  barcode TEXT PRIMARY KEY,"
    "  item TEXT NOT NULL REFERENCES item (code),"
    "  version INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX item_barcode_item ON item_barcode (item);"
    "CREATE TABLE operator ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  role TEXT NOT NULL,"
    "  unit TEXT REFERENCES unit (id),"
    "  badge TEXT UNIQUE,"
    "  active INTEGER NOT NULL CHECK (active IN (0, 1)),"
    "  version INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TRIGGER unit_no_delete BEFORE DELETE ON unit"
    "  BEGIN SELECT RAISE(ABORT, 'master rows are never deleted'); END;"
    "CREATE TRIGGER warehouse_no_delete BEFORE DELETE ON warehouse"
    "  BEGIN SELECT RAISE(ABORT, 'master rows are never deleted'); END;"
    "CREATE TRIGGER item_no_delete BEFORE DELETE ON item"
    "  BEGIN SELECT RAISE(ABORT, 'master rows are never deleted'); END;"
    "CREATE TRIGGER operator_no_delete BEFORE DELETE ON operator"
    "  BEGIN SELECT RAISE(ABORT, 'master rows are never deleted'); END;",
    /* 4: every event type of the counter (docs/protocol.md).  book_qty is
     * the stock on record when a count was applied, so the office sees the
     * difference the count found. */
    "ALTER TABLE event ADD COLUMN to_wh TEXT;"
    "ALTER TABLE event ADD COLUMN action TEXT;"
    "ALTER TABLE event ADD COLUMN to_unit TEXT;"
    "ALTER TABLE event ADD COLUMN asset TEXT;"
    "ALTER TABLE event ADD COLUMN step TEXT;"
    "ALTER TABLE event ADD COLUMN result TEXT;"
    "ALTER TABLE event ADD COLUMN book_qty INTEGER;",
    /* 5: approved plan lines and the equipment register, master data like
     * the rest (docs/operations.md "Importing master data"): stamped with
     * the master version, never deleted (a plan line is rejected, an asset
     * deactivated).  An asset's barcode and its GIAI each name one asset;
     * items and units are referenced like warehouses' units. */
    "CREATE TABLE plan ("
    "  serial TEXT PRIMARY KEY,"
    "  item TEXT NOT NULL REFERENCES item (code),"
    "  qty INTEGER NOT NULL CHECK (qty > 0),"
    "  category TEXT,"
    "  unit TEXT REFERENCES unit (id),"
    "  status TEXT NOT NULL CHECK (status IN ('approved', 'rejected')),"
    "  version INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE equipment ("
    "  asset TEXT PRIMARY KEY,"
    "  model TEXT NOT NULL,"
    "  item TEXT REFERENCES item (code),"
    "  giai TEXT UNIQUE,"
    "  barcode TEXT UNIQUE,"
    "  unit TEXT REFERENCES unit (id),"
    "  active INTEGER NOT NULL CHECK (active IN (0, 1)),"
    "  version INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TRIGGER plan_no_delete BEFORE DELETE ON plan"
    "  BEGIN SELECT RAISE(ABORT, 'master rows are never deleted'); END;"
    "CREATE TRIGGER equipment_no_delete BEFORE DELETE ON equipment"
    "  BEGIN SELECT RAISE(ABORT, 'master rows are never deleted'); END;",
    /* 6: the materials ledger (server/ledger.h, docs/ledger.md).  movement,
     * lot, alloc, period, safety_mark, expense_tag, realloc and resolution
     * are append-only (triggers): a correction is a new movement, a
     * re-allocation is reversing alloc rows plus new ones.  lot_open, stock,
     * agg_issue, agg_return, rv_* balances and rv_transit.settled are
     * derived state kept in step in the same transaction.  Days are the
     * business date 'YYYY-MM-DD' in the site's time zone, months 'YYYY-MM'. */
    "CREATE TABLE safety_category ("
    "  code TEXT PRIMARY KEY, name_zh TEXT NOT NULL, name_en TEXT NOT NULL) WITHOUT ROWID;"
    "INSERT INTO safety_category VALUES"
    "  ('S01', '瓦斯防突措施', 'gas outburst prevention'),"
    "  ('S02', '安全改造和重大隐患治理', 'safety upgrades and major hazard remediation'),"
    "  ('S03', '安全避险六大系统', 'the six underground refuge systems'),"
    "  ('S04', '重大危险源和隐患排查', 'major hazard sources and hazard checks'),"
    "  ('S05', '安全检查评价和标准化', 'safety inspection, evaluation, standardisation'),"
    "  ('S06', '安全防护用品', 'personal protective equipment'),"
    "  ('S07', '安全宣传教育培训', 'safety publicity, education and training'),"
    "  ('S08', '安全新技术新装备', 'new safety technology and equipment'),"
    "  ('S09', '安全设施和特种设备检测检验', 'inspection of safety installations and special equipment'),"
    "  ('S10', '安全生产责任保险', 'work-safety liability insurance'),"
    "  ('S11', '其他安全相关支出', 'other directly safety-related spending');"
    /* Closed months; a month without a row is open.  Closing goes month by
     * month in order and is never undone. */
    "CREATE TABLE period ("
    "  month TEXT PRIMARY KEY,"
    "  closed_by TEXT NOT NULL,"
    "  server_ms INTEGER NOT NULL) WITHOUT ROWID;"
    /* Every line of every ledger document, from a terminal or the office. */
    "CREATE TABLE movement ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL CHECK (kind IN ('receipt', 'issue', 'transfer', 'stockback',"
    "    'old_return', 'count', 'exclusion', 'consume', 'revolve')),"
    "  sub TEXT,"                 /* receipt: its source; revolve: the action */
    "  doc TEXT NOT NULL,"        /* document number */
    "  line INTEGER NOT NULL,"
    "  day TEXT NOT NULL,"
    "  origin TEXT NOT NULL CHECK (origin IN ('terminal', 'office')),"
    "  terminal TEXT, seq INTEGER,"
    "  operator TEXT NOT NULL,"
    "  approver TEXT,"
    "  warehouse TEXT, to_wh TEXT, unit TEXT, to_unit TEXT, item TEXT,"
    "  qty INTEGER, value_fen INTEGER,"
    "  plan_serial TEXT, category TEXT REFERENCES safety_category (code), ref TEXT,"
    "  labour_fen INTEGER, material_fen INTEGER,"
    "  parent INTEGER REFERENCES movement (id),"
    "  note TEXT,"
    "  book_qty INTEGER,"          /* count: the quantity on record when counted */
    "  server_ms INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX movement_event ON movement (terminal, seq) WHERE terminal IS NOT NULL;"
    /* The latest issue of an item in a warehouse (is a line backdated?) and
     * the issues after a day (which it re-allocates). */
    "CREATE INDEX movement_issue ON movement (warehouse, item, day) WHERE kind = 'issue';"
    "CREATE INDEX movement_doc ON movement (doc, line);"
    "CREATE INDEX movement_kind_day ON movement (kind, day);"
    "CREATE INDEX movement_parent ON movement (parent) WHERE parent IS NOT NULL;"
    /* A lot: what one receipt line brought into one warehouse, or the part
     * of a lot a transfer moved (parent), keeping its receipt, price and
     * category.  FIFO order is (fifo_day, fifo_seq): the original receipt's
     * business day and movement id. */
    "CREATE TABLE lot ("
    "  id INTEGER PRIMARY KEY,"
    "  receipt INTEGER NOT NULL REFERENCES movement (id),"
    "  receipt_doc TEXT NOT NULL,"
    "  movement INTEGER NOT NULL REFERENCES movement (id),"
    "  parent INTEGER REFERENCES lot (id),"
    "  warehouse TEXT NOT NULL, item TEXT NOT NULL,"
    "  fifo_day TEXT NOT NULL, fifo_seq INTEGER NOT NULL,"
    "  qty INTEGER NOT NULL CHECK (qty > 0),"
    "  value_fen INTEGER NOT NULL CHECK (value_fen >= 0),"
    "  category TEXT REFERENCES safety_category (code),"
    "  plan_serial TEXT);"
    "CREATE INDEX lot_parent ON lot (parent) WHERE parent IS NOT NULL;"
    /* What is left of each lot that still holds something (derived). */
    "CREATE TABLE lot_open ("
    "  warehouse TEXT NOT NULL, item TEXT NOT NULL,"
    "  fifo_day TEXT NOT NULL, fifo_seq INTEGER NOT NULL, lot INTEGER NOT NULL,"
    "  qty INTEGER NOT NULL CHECK (qty > 0),"
    "  value_fen INTEGER NOT NULL CHECK (value_fen >= 0),"
    "  PRIMARY KEY (warehouse, item, fifo_day, fifo_seq, lot)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX lot_open_lot ON lot_open (lot);"
    /* Which lots a movement drew on (issue, transfer, consume; revolve
     * draw), or gave back to (stockback: negative).  A re-allocation adds
     * rows reversing the old ones (reverses, same kind, negated) and new
     * ones.  A stock-back row's reverses is the issue allocation it gives
     * (part of) back, so what is left to give back is known per row. */
    "CREATE TABLE alloc ("
    "  id INTEGER PRIMARY KEY,"
    "  movement INTEGER NOT NULL REFERENCES movement (id),"
    "  lot INTEGER NOT NULL REFERENCES lot (id),"
    "  receipt_doc TEXT NOT NULL,"
    "  qty INTEGER NOT NULL, value_fen INTEGER NOT NULL,"
    "  reverses INTEGER REFERENCES alloc (id),"
    "  kind TEXT NOT NULL, day TEXT NOT NULL, warehouse TEXT NOT NULL, item TEXT NOT NULL,"
    "  unit TEXT, category TEXT);"
    "CREATE INDEX alloc_movement ON alloc (movement);"
    "CREATE INDEX alloc_lot ON alloc (lot);"
    "CREATE INDEX alloc_day ON alloc (day, id);"
    "CREATE INDEX alloc_item_day ON alloc (item, day, id);"
    "CREATE INDEX alloc_unit_day ON alloc (unit, day, id);"
    "CREATE INDEX alloc_reverses ON alloc (reverses) WHERE reverses IS NOT NULL;"
    /* An allocation from a lot that was not received as safety, marked as
     * used for safety by hand: keyed by (movement, lot) so that it survives
     * a re-allocation that draws on the same lot again. */
    "CREATE TABLE safety_mark ("
    "  movement INTEGER NOT NULL REFERENCES movement (id),"
    "  lot INTEGER NOT NULL REFERENCES lot (id),"
    "  category TEXT NOT NULL REFERENCES safety_category (code),"
    "  reason TEXT NOT NULL, approver TEXT NOT NULL, by TEXT NOT NULL,"
    "  server_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (movement, lot)) WITHOUT ROWID;"
    /* Audit's expense-type tags on issue lines (费用类). */
    "CREATE TABLE expense_tag ("
    "  movement INTEGER PRIMARY KEY REFERENCES movement (id),"
    "  tag TEXT NOT NULL, by TEXT NOT NULL, server_ms INTEGER NOT NULL);"
    /* The value change of each movement a backdated entry re-allocated. */
    "CREATE TABLE realloc ("
    "  id INTEGER PRIMARY KEY,"
    "  movement INTEGER NOT NULL REFERENCES movement (id),"
    "  cause INTEGER NOT NULL REFERENCES movement (id),"
    "  old_value_fen INTEGER NOT NULL, new_value_fen INTEGER NOT NULL,"
    "  server_ms INTEGER NOT NULL);"
    /* How the office settled a terminal event the server refused. */
    "CREATE TABLE resolution ("
    "  terminal TEXT NOT NULL, seq INTEGER NOT NULL,"
    "  movement INTEGER REFERENCES movement (id),"
    "  by TEXT NOT NULL, note TEXT NOT NULL, server_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (terminal, seq)) WITHOUT ROWID;"
    /* Issued quantity and value per day and dimension (derived from alloc
     * rows of kind issue and stockback), for reports over millions of
     * movements; marked: the value came from a non-safety lot marked as
     * used for safety, and category is then the category it was marked
     * for (otherwise the lot's); '' for no unit or no category. */
    "CREATE TABLE agg_issue ("
    "  day TEXT NOT NULL, warehouse TEXT NOT NULL, unit TEXT NOT NULL, item TEXT NOT NULL,"
    "  category TEXT NOT NULL, marked INTEGER NOT NULL,"
    "  qty INTEGER NOT NULL, value_fen INTEGER NOT NULL,"
    "  PRIMARY KEY (day, warehouse, unit, item, category, marked)) WITHOUT ROWID;"
    /* An item's totals over a long range (the issuance ledger filtered by
     * item) read the item's days, not every day's rows. */
    "CREATE INDEX agg_issue_item ON agg_issue (item, day);"
    /* Old items returned and excluded per month, unit, item (derived). */
    "CREATE TABLE agg_return ("
    "  month TEXT NOT NULL, unit TEXT NOT NULL, item TEXT NOT NULL,"
    "  returned INTEGER NOT NULL, excluded INTEGER NOT NULL,"
    "  PRIMARY KEY (month, unit, item)) WITHOUT ROWID;"
    /* Revolving materials (周转性材料): models, per-unit sub-ledgers, the
     * general ledger and handovers in transit (settled by the receiver's
     * confirm or refuse movement). */
    "CREATE TABLE rv_model ("
    "  item TEXT PRIMARY KEY REFERENCES item (code),"
    "  name TEXT NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE rv_balance ("
    "  model TEXT NOT NULL, unit TEXT NOT NULL, qty INTEGER NOT NULL CHECK (qty >= 0),"
    "  PRIMARY KEY (model, unit)) WITHOUT ROWID;"
    "CREATE TABLE rv_general ("
    "  model TEXT PRIMARY KEY, qty INTEGER NOT NULL CHECK (qty >= 0)) WITHOUT ROWID;"
    "CREATE TABLE rv_transit ("
    "  handover INTEGER PRIMARY KEY REFERENCES movement (id),"
    "  model TEXT NOT NULL, from_unit TEXT NOT NULL, to_unit TEXT NOT NULL,"
    "  qty INTEGER NOT NULL CHECK (qty > 0),"
    "  settled INTEGER REFERENCES movement (id));"
    "CREATE TRIGGER movement_no_update BEFORE UPDATE ON movement"
    "  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TRIGGER movement_no_delete BEFORE DELETE ON movement"
    "  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TRIGGER lot_no_update BEFORE UPDATE ON lot"
    "  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TRIGGER lot_no_delete BEFORE DELETE ON lot"
    "  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TRIGGER alloc_no_update BEFORE UPDATE ON alloc"
    "  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TRIGGER alloc_no_delete BEFORE DELETE ON alloc"
    "  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TRIGGER period_no_change BEFORE UPDATE ON period"
    "  BEGIN SELECT RAISE(ABORT, 'a closed period stays closed'); END;"
    "CREATE TRIGGER period_no_delete BEFORE DELETE ON period"
    "  BEGIN SELECT RAISE(ABORT, 'a closed period stays closed'); END;"
    "CREATE TRIGGER safety_mark_no_update BEFORE UPDATE ON safety_mark"
    "  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TRIGGER safety_mark_no_delete BEFORE DELETE ON safety_mark"
    "  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TRIGGER expense_tag_no_update BEFORE UPDATE ON expense_tag"
    "  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TRIGGER expense_tag_no_delete BEFORE DELETE ON expense_tag"
    "  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TRIGGER realloc_no_change BEFORE UPDATE ON realloc"
    "  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TRIGGER resolution_no_change BEFORE UPDATE ON resolution"
    "  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TRIGGER resolution_no_delete BEFORE DELETE ON resolution"
    "  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    /* rv_transit: only settled may change, once. */
    "CREATE TRIGGER rv_transit_settle BEFORE UPDATE ON rv_transit"
    "  WHEN OLD.settled IS NOT NULL OR NEW.handover IS NOT OLD.handover"
    "    OR NEW.model IS NOT OLD.model OR NEW.qty IS NOT OLD.qty"
    "    OR NEW.from_unit IS NOT OLD.from_unit OR NEW.to_unit IS NOT OLD.to_unit"
    "  BEGIN SELECT RAISE(ABORT, 'a handover is settled once'); END;"
    /* Revolving materials per model, unit and business day, summed from the
     * revolve movements (derived, kept in step; server/revolve.h): the
     * daily report and the check that no balance goes below zero on any
     * day read this instead of the whole history.  Open handovers are
     * found through rv_transit_open. */
    "CREATE TABLE rv_daily ("
    "  model TEXT NOT NULL, unit TEXT NOT NULL, day TEXT NOT NULL,"
    "  draw INTEGER NOT NULL, hand_in INTEGER NOT NULL, hand_out INTEGER NOT NULL,"
    "  back INTEGER NOT NULL, loss INTEGER NOT NULL, burial INTEGER NOT NULL,"
    "  scrap INTEGER NOT NULL,"
    "  PRIMARY KEY (model, unit, day)) WITHOUT ROWID;"
    "CREATE INDEX rv_transit_open ON rv_transit (model, to_unit) WHERE settled IS NULL;"
    "CREATE TRIGGER rv_model_no_delete BEFORE DELETE ON rv_model"
    "  BEGIN SELECT RAISE(ABORT, 'master rows are never deleted'); END;"
    /* Important spare parts kept on site (现场备用重要配件, server/spares.h):
     * the register per unit (one row per physical part: item and serial or
     * asset number) and each part's replacements and repairs.  Both are
     * append-only. */
    "CREATE TABLE spare_part ("
    "  id INTEGER PRIMARY KEY,"
    "  unit TEXT NOT NULL REFERENCES unit (id),"
    "  item TEXT NOT NULL REFERENCES item (code),"
    "  serial TEXT NOT NULL,"
    "  location TEXT NOT NULL,"
    "  since TEXT NOT NULL,"
    "  note TEXT,"
    "  by TEXT NOT NULL, server_ms INTEGER NOT NULL,"
    "  UNIQUE (item, serial));"
    "CREATE INDEX spare_part_unit ON spare_part (unit, item, serial);"
    "CREATE TABLE spare_event ("
    "  id INTEGER PRIMARY KEY,"
    "  part INTEGER NOT NULL REFERENCES spare_part (id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('replacement', 'repair')),"
    "  day TEXT NOT NULL,"
    "  note TEXT NOT NULL,"
    "  movement INTEGER REFERENCES movement (id),"
    "  by TEXT NOT NULL, server_ms INTEGER NOT NULL);"
    "CREATE INDEX spare_event_part ON spare_event (part, day, id);"
    "CREATE TRIGGER spare_part_no_update BEFORE UPDATE ON spare_part"
    "  BEGIN SELECT RAISE(ABORT, 'the spare parts register is append-only'); END;"
    "CREATE TRIGGER spare_part_no_delete BEFORE DELETE ON spare_part"
    "  BEGIN SELECT RAISE(ABORT, 'the spare parts register is append-only'); END;"
    "CREATE TRIGGER spare_event_no_update BEFORE UPDATE ON spare_event"
    "  BEGIN SELECT RAISE(ABORT, 'the spare parts register is append-only'); END;"
    "CREATE TRIGGER spare_event_no_delete BEFORE DELETE ON spare_event"
    "  BEGIN SELECT RAISE(ABORT, 'the spare parts register is append-only'); END;"
    /* Stock recorded before the ledger existed becomes opening lots at no
     * value, so every unit on hand belongs to a lot. */
    "INSERT INTO movement (kind, sub, doc, line, day, origin, operator, warehouse, item, qty,"
    "  value_fen, note, server_ms)"
    "  SELECT 'receipt', 'opening', 'OPENING', row_number() OVER (ORDER BY warehouse, item),"
    "    date('now'), 'office', 'migration', warehouse, item, qty, 0,"
    "    'stock on record before the ledger', CAST(strftime('%s', 'now') AS INTEGER) * 1000"
    "  FROM stock WHERE qty > 0;"
    "INSERT INTO lot (receipt, receipt_doc, movement, warehouse, item, fifo_day, fifo_seq, qty,"
    "  value_fen)"
    "  SELECT id, doc, id, warehouse, item, day, id, qty, 0 FROM movement WHERE sub = 'opening';"
    "INSERT INTO lot_open (warehouse, item, fifo_day, fifo_seq, lot, qty, value_fen)"
    "  SELECT warehouse, item, fifo_day, fifo_seq, id, qty, 0 FROM lot;",
    /* 7: the workflow engine's records (server/wfstore.c).  Its tables are
     * its own (wf_*), so this entry can move behind any other migration
     * added meanwhile: a merge renumbers it by its place in this list. */
    tt_wfstore_schema,
    /* 8: the web office's users, sessions, sign-in throttle and audit record
     * (server/users.c; tables app_user, app_session, login_failure, audit,
     * all its own, so this entry too can move behind another added
     * meanwhile). */
    tt_users_schema,
    /* 9: equipment repair documents, quotas, consumables and asset states
     * (server/repair.c, docs/repair.md; tables repair_doc, repair_quota,
     * repair_consumable, equipment_state, all its own, so this entry too
     * can move behind another added meanwhile). */
    tt_repair_schema,
};

struct tt_db {
    sqlite3 *db;
    sqlite3_stmt *st[S_COUNT];
    tt_stmt_cache_t cache;   /* the statements of tt_db_stmt */
};

sqlite3 *tt_db_sqlite(tt_db_t *db)
{
    return db->db;
}

sqlite3_stmt *tt_db_stmt(tt_db_t *db, const char *sql)
{
    return tt_stmt_cached(&db->cache, db->db, sql);
}

static tt_err_t migrate(sqlite3 *db, char *err, size_t errlen)
{
    const int latest = (int)(sizeof migrations / sizeof migrations[0]);
    sqlite3_stmt *st;
    int version = -1;

    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version < 0) {
        snprintf(err, errlen, "read schema version: %s", sqlite3_errmsg(db));
        return TT_ERR_DB;
    }
    if (version > latest) {
        snprintf(err, errlen, "database schema %d is newer than this server's %d", version,
                 latest);
        return TT_ERR_VERSION;
    }
    for (; version < latest; version++) {
        char pragma[48];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", version + 1);
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db, migrations[version], NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db, pragma, NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            snprintf(err, errlen, "migrate to schema %d: %s", version + 1, sqlite3_errmsg(db));
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return TT_ERR_DB;
        }
    }
    return TT_OK;
}

enum { OPEN_SERVER, OPEN_READONLY, OPEN_TOOL };

static tt_err_t open_db(const char *path, int mode, tt_db_t **out, char *err, size_t errlen)
{
    int readonly = mode == OPEN_READONLY;
    tt_db_t *db;
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    tt_err_t rc = TT_ERR_DB;

    *out = NULL;
    db = calloc(1, sizeof *db);
    if (!db)
        return TT_ERR_NOMEM;
    if (sqlite3_open_v2(path, &db->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, db->db ? sqlite3_errmsg(db->db) : "out of memory");
        goto out;
    }
    sqlite3_extended_result_codes(db->db, 1);
    sqlite3_busy_timeout(db->db, mode == OPEN_TOOL ? 30000 : 5000);
    if (!readonly) {
        /* WAL + FULL: a committed round is on disk before any ack leaves. */
        /* Foreign keys back the import's own reference checks. */
        if (sqlite3_exec(db->db,
                         "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                         " PRAGMA foreign_keys=ON;",
                         NULL, NULL, NULL) != SQLITE_OK) {
            snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db->db));
            goto out;
        }
        rc = migrate(db->db, err, errlen);
        if (rc != TT_OK)
            goto out;
        /* Held events and presence lived in the previous run's memory and
         * broker session: both are learnt again (terminals resend, retained
         * status messages are redelivered). */
        if (mode == OPEN_SERVER &&
            sqlite3_exec(db->db, "UPDATE terminal SET held = 0, online = 0", NULL, NULL, NULL) !=
                SQLITE_OK) {
            snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db->db));
            rc = TT_ERR_DB;
            goto out;
        }
        for (int i = 0; i < S_COUNT; i++) {
            if (sqlite3_prepare_v3(db->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT,
                                   &db->st[i], NULL) != SQLITE_OK) {
                snprintf(err, errlen, "prepare: %s", sqlite3_errmsg(db->db));
                rc = TT_ERR_DB;
                goto out;
            }
        }
    }
    *out = db;
    return TT_OK;
out:
    tt_db_close(db);
    return rc;
}

tt_err_t tt_db_open(const char *path, int readonly, tt_db_t **out, char *err, size_t errlen)
{
    return open_db(path, readonly ? OPEN_READONLY : OPEN_SERVER, out, err, errlen);
}

tt_err_t tt_db_open_tool(const char *path, tt_db_t **out, char *err, size_t errlen)
{
    return open_db(path, OPEN_TOOL, out, err, errlen);
}

void tt_db_close(tt_db_t *db)
{
    if (!db)
        return;
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(db->st[i]);
    tt_stmt_cache_free(&db->cache);
    sqlite3_close(db->db);
    free(db);
}

tt_err_t tt_db_begin(tt_db_t *db)
{
    if (sqlite3_exec(db->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK)
        return TT_OK;
    return tt_stmt_fail(db->db);
}

tt_err_t tt_db_commit(tt_db_t *db)
{
    if (sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return TT_OK;
    return tt_stmt_fail(db->db);
}

void tt_db_rollback(tt_db_t *db)
{
    sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
}

tt_err_t tt_db_terminal_applied(tt_db_t *db, const char *terminal, uint64_t *applied)
{
    sqlite3_stmt *st = db->st[S_APPLIED];
    int rc;
    sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *applied = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

tt_err_t tt_db_terminal_progress(tt_db_t *db, const char *terminal, uint64_t applied,
                                 uint64_t held, int64_t now_ms)
{
    sqlite3_stmt *st = db->st[S_PROGRESS];
    sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)applied);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)held);
    sqlite3_bind_int64(st, 4, now_ms);
    return tt_stmt_run(st);
}

tt_err_t tt_db_terminal_presence(tt_db_t *db, const char *terminal, int online,
                                 const char *firmware, const char *board, int64_t now_ms)
{
    sqlite3_stmt *st = db->st[S_PRESENCE];
    sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, online);
    if (firmware)
        sqlite3_bind_text(st, 3, firmware, -1, SQLITE_STATIC);
    if (board)
        sqlite3_bind_text(st, 4, board, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now_ms);
    return tt_stmt_run(st);
}

/* Journals ev; book_qty < 0 means none. */
static tt_err_t journal(tt_db_t *db, const char *terminal, const tt_event_t *ev, int64_t now_ms,
                        const char *status, const char *reason, tt_qty_t book_qty)
{
    const tt_event_stock_t *b = &ev->body.stock;
    sqlite3_stmt *st = db->st[S_EVENT_PUT];
    sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)ev->seq);
    sqlite3_bind_text(st, 3, tt_event_type_name(ev->type), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, ev->ts_ms);
    sqlite3_bind_int64(st, 5, now_ms);
    sqlite3_bind_text(st, 6, ev->operator_id, -1, SQLITE_STATIC);
    tt_stmt_bind_opt(st, 7, b->warehouse);
    tt_stmt_bind_opt(st, 8, b->item);
    if (ev->type != TT_EVENT_EQUIPMENT)
        sqlite3_bind_int64(st, 9, b->qty);
    sqlite3_bind_text(st, 10, status, -1, SQLITE_STATIC);
    if (reason)
        sqlite3_bind_text(st, 11, reason, -1, SQLITE_STATIC);
    if (ev->body.stock.ref[0])
        sqlite3_bind_text(st, 12, ev->body.stock.ref, -1, SQLITE_STATIC);
    if (ev->body.stock.unit[0])
        sqlite3_bind_text(st, 13, ev->body.stock.unit, -1, SQLITE_STATIC);
    if (ev->body.stock.lines) {
        sqlite3_bind_int(st, 14, ev->body.stock.line);
        sqlite3_bind_int(st, 15, ev->body.stock.lines);
    }
    tt_stmt_bind_opt(st, 16, b->to);
    tt_stmt_bind_opt(st, 17, b->action);
    tt_stmt_bind_opt(st, 18, b->to_unit);
    tt_stmt_bind_opt(st, 19, b->asset);
    tt_stmt_bind_opt(st, 20, b->step);
    tt_stmt_bind_opt(st, 21, b->result);
    if (book_qty >= 0)
        sqlite3_bind_int64(st, 22, book_qty);
    return tt_stmt_run(st);
}

static tt_err_t count_rejected(tt_db_t *db, const char *terminal, int64_t now_ms)
{
    sqlite3_stmt *st = db->st[S_COUNT_REJECTED];
    sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_ms);
    return tt_stmt_run(st);
}

tt_err_t tt_db_journal_applied(tt_db_t *db, const char *terminal, const tt_event_t *ev,
                               int64_t now_ms, tt_qty_t book_qty)
{
    return journal(db, terminal, ev, now_ms, "applied", NULL, book_qty);
}

tt_err_t tt_db_journal_rejected(tt_db_t *db, const char *terminal, const tt_event_t *ev,
                                int64_t now_ms, const char *reason)
{
    tt_err_t rc = journal(db, terminal, ev, now_ms, "rejected", reason, -1);
    return rc == TT_OK ? count_rejected(db, terminal, now_ms) : rc;
}

tt_err_t tt_db_reject_event(tt_db_t *db, const char *terminal, uint64_t seq, int64_t ts_ms,
                            int64_t now_ms, const char *reason)
{
    sqlite3_stmt *st = db->st[S_REJECT_EVENT];
    tt_err_t rc;
    sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
    if (ts_ms >= 0)
        sqlite3_bind_int64(st, 3, ts_ms);
    sqlite3_bind_int64(st, 4, now_ms);
    sqlite3_bind_text(st, 5, reason, -1, SQLITE_STATIC);
    rc = tt_stmt_run(st);
    return rc == TT_OK ? count_rejected(db, terminal, now_ms) : rc;
}

tt_err_t tt_db_reject_message(tt_db_t *db, const char *terminal, const char *topic,
                              int64_t now_ms, const char *reason, const void *payload,
                              size_t len)
{
    sqlite3_stmt *st = db->st[S_BADMSG_PUT];
    tt_err_t rc;
    sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, topic, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now_ms);
    sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)len);
    sqlite3_bind_blob(st, 6, payload, (int)(len < EXCERPT_MAX ? len : EXCERPT_MAX),
                      SQLITE_STATIC);
    rc = tt_stmt_run(st);
    if (rc != TT_OK || terminal[0] == '\0')
        return rc;
    st = db->st[S_COUNT_BADMSG];
    sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_ms);
    return tt_stmt_run(st);
}

tt_err_t tt_db_rejections(tt_db_t *db, const char *terminal, uint64_t after, uint64_t through,
                          tt_event_rejection_t **out, size_t *n)
{
    sqlite3_stmt *st = db->st[S_REJECTIONS];
    tt_event_rejection_t *list = NULL;
    size_t cap = 0, count = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (through <= after)
        return TT_OK;
    sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)after);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)through);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            tt_event_rejection_t *l = realloc(list, ncap * sizeof *l);
            if (!l) {
                sqlite3_reset(st);
                free(list);
                return TT_ERR_NOMEM;
            }
            list = l;
            cap = ncap;
        }
        list[count].seq = (uint64_t)sqlite3_column_int64(st, 0);
        snprintf(list[count].reason, sizeof list[count].reason, "%s",
                 (const char *)sqlite3_column_text(st, 1));
        count++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        free(list);
        return TT_ERR_DB;
    }
    *out = list;
    *n = count;
    return TT_OK;
}

/* --- read side: statements prepared per call, the HTTP rate is low -------- */

tt_err_t tt_db_stock_each(tt_db_t *db, const char *warehouse, const char *item,
                          tt_db_stock_fn fn, void *ctx)
{
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(db->db,
                           "SELECT warehouse, item, qty FROM stock"
                           " WHERE (?1 IS NULL OR warehouse = ?1) AND (?2 IS NULL OR item = ?2)"
                           " ORDER BY warehouse, item",
                           -1, &st, NULL) != SQLITE_OK)
        return TT_ERR_DB;
    if (warehouse)
        sqlite3_bind_text(st, 1, warehouse, -1, SQLITE_STATIC);
    if (item)
        sqlite3_bind_text(st, 2, item, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (fn(ctx, tt_stmt_text(st, 0), tt_stmt_text(st, 1), sqlite3_column_int64(st, 2)))
            break;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

tt_err_t tt_db_terminals_each(tt_db_t *db, tt_db_terminal_fn fn, void *ctx)
{
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(db->db,
                           "SELECT id, applied_seq, held, rejected_events, rejected_messages,"
                           " first_seen_ms, last_seen_ms, COALESCE(last_event_ts_ms, 0), online,"
                           " COALESCE(firmware, ''), COALESCE(board, ''),"
                           /* The clock offset on the newest applied event
                            * (see tt_db_terminal_t): applied_seq may name a
                            * rejected event, so take the highest applied
                            * seq instead; the primary key (terminal, seq)
                            * walks backwards from the end.  NULL: none yet. */
                           " (SELECT e.ts_ms - e.server_ms FROM event e"
                           "   WHERE e.terminal = terminal.id AND e.status = 'applied'"
                           "   AND e.ts_ms IS NOT NULL ORDER BY e.seq DESC LIMIT 1) AS off"
                           " FROM terminal ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return TT_ERR_DB;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tt_db_terminal_t t;
        memset(&t, 0, sizeof t);
        tt_stmt_copy(t.id, sizeof t.id, st, 0);
        t.applied_seq = (uint64_t)sqlite3_column_int64(st, 1);
        t.held = (uint64_t)sqlite3_column_int64(st, 2);
        t.rejected_events = (uint64_t)sqlite3_column_int64(st, 3);
        t.rejected_messages = (uint64_t)sqlite3_column_int64(st, 4);
        t.first_seen_ms = sqlite3_column_int64(st, 5);
        t.last_seen_ms = sqlite3_column_int64(st, 6);
        t.last_event_ts_ms = sqlite3_column_int64(st, 7);
        t.online = sqlite3_column_int(st, 8);
        tt_stmt_copy(t.firmware, sizeof t.firmware, st, 9);
        tt_stmt_copy(t.board, sizeof t.board, st, 10);
        if (sqlite3_column_type(st, 11) != SQLITE_NULL) {
            t.has_clock_offset = 1;
            t.clock_offset_ms = sqlite3_column_int64(st, 11);
            /* Compared without negating: -INT64_MIN would overflow. */
            t.clock_suspect = t.clock_offset_ms > TT_DB_CLOCK_SUSPECT_MS ||
                              t.clock_offset_ms < -(int64_t)TT_DB_CLOCK_SUSPECT_MS;
        }
        if (fn(ctx, &t))
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

tt_err_t tt_db_badmsgs_each(tt_db_t *db, const char *terminal, size_t limit,
                            tt_db_badmsg_fn fn, void *ctx)
{
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(db->db,
                           "SELECT id, terminal, topic, server_ms, reason, size, excerpt"
                           " FROM bad_message WHERE (?1 IS NULL OR terminal = ?1)"
                           " ORDER BY id DESC LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return TT_ERR_DB;
    if (terminal)
        sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tt_db_badmsg_t m;
        memset(&m, 0, sizeof m);
        m.id = sqlite3_column_int64(st, 0);
        tt_stmt_copy(m.terminal, sizeof m.terminal, st, 1);
        tt_stmt_copy(m.topic, sizeof m.topic, st, 2);
        m.server_ms = sqlite3_column_int64(st, 3);
        tt_stmt_copy(m.reason, sizeof m.reason, st, 4);
        m.size = (size_t)sqlite3_column_int64(st, 5);
        m.excerpt = sqlite3_column_blob(st, 6);
        m.excerpt_len = (size_t)sqlite3_column_bytes(st, 6);
        if (fn(ctx, &m))
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

tt_err_t tt_db_rejected_each(tt_db_t *db, const char *terminal, size_t limit,
                             tt_db_rejection_fn fn, void *ctx)
{
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(db->db,
                           "SELECT terminal, seq, server_ms, reason FROM event"
                           " WHERE status = 'rejected' AND (?1 IS NULL OR terminal = ?1)"
                           " ORDER BY server_ms DESC, terminal, seq DESC LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return TT_ERR_DB;
    if (terminal)
        sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (fn(ctx, tt_stmt_text(st, 0), (uint64_t)sqlite3_column_int64(st, 1),
               sqlite3_column_int64(st, 2), tt_stmt_text(st, 3)))
            break;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}
