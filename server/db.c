#include "db.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repair.h"
#include "users.h"
#include "wfstore.h"

#define EXCERPT_MAX 512

enum {
    S_APPLIED, S_PROGRESS, S_PRESENCE, S_EVENT_PUT, S_REJECT_EVENT,
    S_COUNT_REJECTED, S_BADMSG_PUT, S_COUNT_BADMSG, S_REJECTIONS,
    S_MV_GET, S_MV_SET, S_UNIT_EXISTS, S_SAFETY_CAT, S_UNIT_PUT, S_WH_PUT, S_ITEM_PUT, S_ITEM_STAMP,
    S_BC_OWNER, S_BC_OF_ITEM, S_BC_DEL, S_BC_PUT, S_OP_PUT, S_BADGE_OWNER, S_BADGE_TAKE,
    S_ITEM_EXISTS, S_PLAN_PUT, S_ASSET_EXISTS, S_EQ_PUT, S_EQ_BC_OWNER, S_EQ_BC_TAKE,
    S_GIAI_OWNER, S_GIAI_TAKE, S_EQ_GET, S_COUNT
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
    /* Master data.  Each put is an upsert whose update only happens when
     * the content differs (IS NOT: NULL-safe), so sqlite3_changes() says
     * whether the row was new or changed, and an identical row keeps its
     * version. */
    [S_MV_GET] = "SELECT n FROM master_version",
    [S_MV_SET] = "UPDATE master_version SET n = ?1",
    [S_UNIT_EXISTS] = "SELECT 1 FROM unit WHERE id = ?1",
    [S_SAFETY_CAT] = "SELECT 1 FROM safety_category WHERE code = ?1",
    [S_UNIT_PUT] = "INSERT INTO unit (id, name, kind, version) VALUES (?1, ?2, ?3, ?4)"
                   " ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind,"
                   " version = excluded.version"
                   " WHERE name IS NOT excluded.name OR kind IS NOT excluded.kind",
    [S_WH_PUT] = "INSERT INTO warehouse (id, name, kind, unit, version)"
                 " VALUES (?1, ?2, ?3, ?4, ?5)"
                 " ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind,"
                 " unit = excluded.unit, version = excluded.version"
                 " WHERE name IS NOT excluded.name OR kind IS NOT excluded.kind"
                 " OR unit IS NOT excluded.unit",
    [S_ITEM_PUT] =
        "INSERT INTO item (code, name, spec, uom, category, price_fen, return_old, reward_fen,"
        " penalty_fen, active, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        " ON CONFLICT (code) DO UPDATE SET name = excluded.name, spec = excluded.spec,"
        " uom = excluded.uom, category = excluded.category, price_fen = excluded.price_fen,"
        " return_old = excluded.return_old, reward_fen = excluded.reward_fen,"
        " penalty_fen = excluded.penalty_fen, active = excluded.active,"
        " version = excluded.version"
        " WHERE name IS NOT excluded.name OR spec IS NOT excluded.spec"
        " OR uom IS NOT excluded.uom OR category IS NOT excluded.category"
        " OR price_fen IS NOT excluded.price_fen OR return_old IS NOT excluded.return_old"
        " OR reward_fen IS NOT excluded.reward_fen OR penalty_fen IS NOT excluded.penalty_fen"
        " OR active IS NOT excluded.active",
    [S_ITEM_STAMP] = "UPDATE item SET version = ?2 WHERE code = ?1",
    [S_BC_OWNER] = "SELECT item FROM item_barcode WHERE barcode = ?1",
    [S_BC_OF_ITEM] = "SELECT barcode FROM item_barcode WHERE item = ?1"
                     " ORDER BY barcode <> item, barcode",
    [S_BC_DEL] = "DELETE FROM item_barcode WHERE barcode = ?1",
    [S_BC_PUT] = "INSERT INTO item_barcode (barcode, item, version) VALUES (?1, ?2, ?3)"
                 " ON CONFLICT (barcode) DO UPDATE SET item = excluded.item,"
                 " version = excluded.version",
    [S_OP_PUT] = "INSERT INTO operator (id, name, role, unit, badge, active, version)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                 " ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role,"
                 " unit = excluded.unit, badge = excluded.badge, active = excluded.active,"
                 " version = excluded.version"
                 " WHERE name IS NOT excluded.name OR role IS NOT excluded.role"
                 " OR unit IS NOT excluded.unit OR badge IS NOT excluded.badge"
                 " OR active IS NOT excluded.active",
    [S_BADGE_OWNER] = "SELECT id FROM operator WHERE badge = ?1",
    [S_BADGE_TAKE] = "UPDATE operator SET badge = NULL, version = ?2 WHERE id = ?1",
    [S_ITEM_EXISTS] = "SELECT 1 FROM item WHERE code = ?1",
    [S_PLAN_PUT] = "INSERT INTO plan (serial, item, qty, category, unit, status, version)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                   " ON CONFLICT (serial) DO UPDATE SET item = excluded.item, qty = excluded.qty,"
                   " category = excluded.category, unit = excluded.unit,"
                   " status = excluded.status, version = excluded.version"
                   " WHERE item IS NOT excluded.item OR qty IS NOT excluded.qty"
                   " OR category IS NOT excluded.category OR unit IS NOT excluded.unit"
                   " OR status IS NOT excluded.status",
    [S_ASSET_EXISTS] = "SELECT 1 FROM equipment WHERE asset = ?1",
    [S_EQ_PUT] = "INSERT INTO equipment (asset, model, item, giai, barcode, unit, active, version)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                 " ON CONFLICT (asset) DO UPDATE SET model = excluded.model, item = excluded.item,"
                 " giai = excluded.giai, barcode = excluded.barcode, unit = excluded.unit,"
                 " active = excluded.active, version = excluded.version"
                 " WHERE model IS NOT excluded.model OR item IS NOT excluded.item"
                 " OR giai IS NOT excluded.giai OR barcode IS NOT excluded.barcode"
                 " OR unit IS NOT excluded.unit OR active IS NOT excluded.active",
    [S_EQ_BC_OWNER] = "SELECT asset FROM equipment WHERE barcode = ?1",
    [S_EQ_BC_TAKE] = "UPDATE equipment SET barcode = NULL, version = ?2 WHERE asset = ?1",
    [S_GIAI_OWNER] = "SELECT asset FROM equipment WHERE giai = ?1",
    [S_GIAI_TAKE] = "UPDATE equipment SET giai = NULL, version = ?2 WHERE asset = ?1",
    [S_EQ_GET] = "SELECT model, item, giai, barcode, unit, active FROM equipment"
                 " WHERE asset = ?1",
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
};

sqlite3 *tt_db_sqlite(tt_db_t *db)
{
    return db->db;
}

static tt_err_t fail(tt_db_t *db)
{
    return (sqlite3_extended_errcode(db->db) & 0xff) == SQLITE_FULL ? TT_ERR_FULL : TT_ERR_DB;
}

/* Runs a prepared write statement to completion and resets it. */
static tt_err_t run(tt_db_t *db, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    tt_err_t err = rc == SQLITE_DONE ? TT_OK : fail(db);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return err;
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
    sqlite3_close(db->db);
    free(db);
}

tt_err_t tt_db_begin(tt_db_t *db)
{
    return sqlite3_exec(db->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? TT_OK
                                                                                 : fail(db);
}

tt_err_t tt_db_commit(tt_db_t *db)
{
    if (sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return TT_OK;
    return fail(db);
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
    return run(db, st);
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
    return run(db, st);
}

/* Binds text at i, or NULL for "". */
static void bind_opt(sqlite3_stmt *st, int i, const char *text)
{
    if (text[0])
        sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
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
    bind_opt(st, 7, b->warehouse);
    bind_opt(st, 8, b->item);
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
    bind_opt(st, 16, b->to);
    bind_opt(st, 17, b->action);
    bind_opt(st, 18, b->to_unit);
    bind_opt(st, 19, b->asset);
    bind_opt(st, 20, b->step);
    bind_opt(st, 21, b->result);
    if (book_qty >= 0)
        sqlite3_bind_int64(st, 22, book_qty);
    return run(db, st);
}

static tt_err_t count_rejected(tt_db_t *db, const char *terminal, int64_t now_ms)
{
    sqlite3_stmt *st = db->st[S_COUNT_REJECTED];
    sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_ms);
    return run(db, st);
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
    rc = run(db, st);
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
    rc = run(db, st);
    if (rc != TT_OK || terminal[0] == '\0')
        return rc;
    st = db->st[S_COUNT_BADMSG];
    sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_ms);
    return run(db, st);
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

static const char *text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? (const char *)t : "";
}

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
        if (fn(ctx, text(st, 0), text(st, 1), sqlite3_column_int64(st, 2)))
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
        snprintf(t.id, sizeof t.id, "%s", text(st, 0));
        t.applied_seq = (uint64_t)sqlite3_column_int64(st, 1);
        t.held = (uint64_t)sqlite3_column_int64(st, 2);
        t.rejected_events = (uint64_t)sqlite3_column_int64(st, 3);
        t.rejected_messages = (uint64_t)sqlite3_column_int64(st, 4);
        t.first_seen_ms = sqlite3_column_int64(st, 5);
        t.last_seen_ms = sqlite3_column_int64(st, 6);
        t.last_event_ts_ms = sqlite3_column_int64(st, 7);
        t.online = sqlite3_column_int(st, 8);
        snprintf(t.firmware, sizeof t.firmware, "%s", text(st, 9));
        snprintf(t.board, sizeof t.board, "%s", text(st, 10));
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
        snprintf(m.terminal, sizeof m.terminal, "%s", text(st, 1));
        snprintf(m.topic, sizeof m.topic, "%s", text(st, 2));
        m.server_ms = sqlite3_column_int64(st, 3);
        snprintf(m.reason, sizeof m.reason, "%s", text(st, 4));
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
        if (fn(ctx, text(st, 0), (uint64_t)sqlite3_column_int64(st, 1),
               sqlite3_column_int64(st, 2), text(st, 3)))
            break;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

/* --- master data ----------------------------------------------------------- */

/* Runs a prepared single-row SELECT whose first column is text, copying it
 * to out[cap] when out is not NULL.  TT_OK, TT_ERR_NOTFOUND or TT_ERR_DB. */
static tt_err_t lookup(tt_db_t *db, sqlite3_stmt *st, char *out, size_t cap)
{
    int rc = sqlite3_step(st);
    tt_err_t err = rc == SQLITE_ROW ? TT_OK : rc == SQLITE_DONE ? TT_ERR_NOTFOUND : fail(db);
    if (rc == SQLITE_ROW && out)
        snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return err;
}

/* Runs an upsert and reports whether it wrote a row. */
static tt_err_t run_put(tt_db_t *db, sqlite3_stmt *st, int *changed)
{
    tt_err_t rc = run(db, st);
    if (changed)
        *changed = rc == TT_OK && sqlite3_changes(db->db) > 0;
    return rc;
}

static const char *const master_table[] = {NULL,       "unit", "warehouse", "item",
                                           "operator", "plan", "equipment"};
static const char *const master_key[] = {NULL, "id", "id", "code", "id", "serial", "asset"};

tt_err_t tt_db_master_version(tt_db_t *db, uint64_t *version)
{
    sqlite3_stmt *st = db->st[S_MV_GET];
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *version = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? TT_OK : TT_ERR_DB;
}

tt_err_t tt_db_master_set_version(tt_db_t *db, uint64_t version)
{
    sqlite3_stmt *st = db->st[S_MV_SET];
    sqlite3_bind_int64(st, 1, (sqlite3_int64)version);
    return run(db, st);
}

tt_err_t tt_db_master_stamped(tt_db_t *db, tt_db_master_t table, uint64_t version, size_t *n)
{
    char sql[96];
    sqlite3_stmt *st;
    int rc;

    if (table < TT_DB_UNIT || table > TT_DB_MASTER_LAST)
        return TT_ERR_INVAL;
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s WHERE version = ?1", master_table[table]);
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
        return TT_ERR_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)version);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = (size_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? TT_OK : TT_ERR_DB;
}

tt_err_t tt_db_master_row_version(tt_db_t *db, tt_db_master_t table, const char *key,
                                  uint64_t *version)
{
    char sql[96];
    sqlite3_stmt *st;
    int rc;

    if (table < TT_DB_UNIT || table > TT_DB_MASTER_LAST)
        return TT_ERR_INVAL;
    snprintf(sql, sizeof sql, "SELECT version FROM %s WHERE %s = ?1", master_table[table],
             master_key[table]);
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
        return TT_ERR_DB;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *version = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? TT_OK : rc == SQLITE_DONE ? TT_ERR_NOTFOUND : TT_ERR_DB;
}

tt_err_t tt_db_master_barcode_owner(tt_db_t *db, const char *barcode, char *item)
{
    sqlite3_stmt *st = db->st[S_BC_OWNER];
    sqlite3_bind_text(st, 1, barcode, -1, SQLITE_STATIC);
    return lookup(db, st, item, TT_EVENT_CODE_MAX + 1);
}

tt_err_t tt_db_master_badge_owner(tt_db_t *db, const char *badge, char *op)
{
    sqlite3_stmt *st = db->st[S_BADGE_OWNER];
    sqlite3_bind_text(st, 1, badge, -1, SQLITE_STATIC);
    return lookup(db, st, op, TT_EVENT_ID_MAX + 1);
}

tt_err_t tt_db_master_unit_exists(tt_db_t *db, const char *id)
{
    sqlite3_stmt *st = db->st[S_UNIT_EXISTS];
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    return lookup(db, st, NULL, 0);
}

tt_err_t tt_db_safety_category_exists(tt_db_t *db, const char *code)
{
    sqlite3_stmt *st = db->st[S_SAFETY_CAT];
    sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
    return lookup(db, st, NULL, 0);
}

tt_err_t tt_db_master_item_exists(tt_db_t *db, const char *code)
{
    sqlite3_stmt *st = db->st[S_ITEM_EXISTS];
    sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
    return lookup(db, st, NULL, 0);
}

tt_err_t tt_db_master_asset_exists(tt_db_t *db, const char *asset)
{
    sqlite3_stmt *st = db->st[S_ASSET_EXISTS];
    sqlite3_bind_text(st, 1, asset, -1, SQLITE_STATIC);
    return lookup(db, st, NULL, 0);
}

tt_err_t tt_db_master_asset_barcode_owner(tt_db_t *db, const char *barcode, char *asset)
{
    sqlite3_stmt *st = db->st[S_EQ_BC_OWNER];
    sqlite3_bind_text(st, 1, barcode, -1, SQLITE_STATIC);
    return lookup(db, st, asset, TT_EVENT_CODE_MAX + 1);
}

tt_err_t tt_db_master_giai_owner(tt_db_t *db, const char *giai, char *asset)
{
    sqlite3_stmt *st = db->st[S_GIAI_OWNER];
    sqlite3_bind_text(st, 1, giai, -1, SQLITE_STATIC);
    return lookup(db, st, asset, TT_EVENT_CODE_MAX + 1);
}

tt_err_t tt_db_master_put_unit(tt_db_t *db, const tt_master_unit_t *u, uint64_t version,
                               int *changed)
{
    sqlite3_stmt *st = db->st[S_UNIT_PUT];
    sqlite3_bind_text(st, 1, u->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, u->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, tt_master_unit_kind_name(u->kind), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)version);
    return run_put(db, st, changed);
}

tt_err_t tt_db_master_put_warehouse(tt_db_t *db, const tt_master_warehouse_t *w,
                                    uint64_t version, int *changed)
{
    sqlite3_stmt *st = db->st[S_WH_PUT];
    sqlite3_bind_text(st, 1, w->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, w->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, tt_master_warehouse_kind_name(w->kind), -1, SQLITE_STATIC);
    bind_opt(st, 4, w->unit);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)version);
    return run_put(db, st, changed);
}

/* The barcodes an item holds now, into a new array owned by the caller. */
static tt_err_t held_barcodes(tt_db_t *db, const char *code, char (**out)[TT_EVENT_CODE_MAX + 1],
                              size_t *n)
{
    sqlite3_stmt *st = db->st[S_BC_OF_ITEM];
    char (*list)[TT_EVENT_CODE_MAX + 1] = NULL;
    size_t cap = 0, count = 0;
    int rc;

    sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : TT_MASTER_BARCODES_MAX + 1;
            char (*l)[TT_EVENT_CODE_MAX + 1] = realloc(list, ncap * sizeof *l);
            if (!l) {
                sqlite3_reset(st);
                free(list);
                return TT_ERR_NOMEM;
            }
            list = l;
            cap = ncap;
        }
        snprintf(list[count++], sizeof *list, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        free(list);
        return fail(db);
    }
    *out = list;
    *n = count;
    return TT_OK;
}

static int listed(const char (*list)[TT_EVENT_CODE_MAX + 1], size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], code) == 0)
            return 1;
    return 0;
}

static tt_err_t stamp_item(tt_db_t *db, const char *code, uint64_t version)
{
    sqlite3_stmt *st = db->st[S_ITEM_STAMP];
    sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)version);
    return run(db, st);
}

tt_err_t tt_db_master_put_item(tt_db_t *db, const tt_db_item_t *x, uint64_t version,
                               int *changed)
{
    const tt_master_item_t *it = &x->item;
    char want[TT_MASTER_BARCODES_MAX + 1][TT_EVENT_CODE_MAX + 1];
    char (*have)[TT_EVENT_CODE_MAX + 1] = NULL;
    char owner[TT_EVENT_CODE_MAX + 1];
    size_t nwant = 0, nhave = 0;
    sqlite3_stmt *st = db->st[S_ITEM_PUT];
    int wrote = 0, moved = 0;
    tt_err_t rc;

    if (it->nbarcodes > TT_MASTER_BARCODES_MAX)
        return TT_ERR_INVAL;
    snprintf(want[nwant++], sizeof want[0], "%s", it->code);
    for (size_t i = 0; i < it->nbarcodes; i++)
        if (!listed((const char (*)[TT_EVENT_CODE_MAX + 1])want, nwant, it->barcodes[i]))
            snprintf(want[nwant++], sizeof want[0], "%s", it->barcodes[i]);

    sqlite3_bind_text(st, 1, it->code, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, it->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, it->spec, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, it->uom, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, tt_master_category_name(it->category), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, it->price);
    sqlite3_bind_int(st, 7, x->return_old);
    sqlite3_bind_int64(st, 8, x->reward);
    sqlite3_bind_int64(st, 9, x->penalty);
    sqlite3_bind_int(st, 10, it->active);
    sqlite3_bind_int64(st, 11, (sqlite3_int64)version);
    rc = run_put(db, st, &wrote);
    if (rc == TT_OK)
        rc = held_barcodes(db, it->code, &have, &nhave);
    /* Dropped barcodes first, then new ones, which may move from another
     * item (stamped: its list changed). */
    for (size_t i = 0; rc == TT_OK && i < nhave; i++) {
        if (listed((const char (*)[TT_EVENT_CODE_MAX + 1])want, nwant, have[i]))
            continue;
        st = db->st[S_BC_DEL];
        sqlite3_bind_text(st, 1, have[i], -1, SQLITE_STATIC);
        rc = run(db, st);
        moved = 1;
    }
    for (size_t i = 0; rc == TT_OK && i < nwant; i++) {
        if (listed((const char (*)[TT_EVENT_CODE_MAX + 1])have, nhave, want[i]))
            continue;
        rc = tt_db_master_barcode_owner(db, want[i], owner);
        if (rc == TT_OK)
            rc = stamp_item(db, owner, version);
        else if (rc == TT_ERR_NOTFOUND)
            rc = TT_OK;
        if (rc != TT_OK)
            break;
        st = db->st[S_BC_PUT];
        sqlite3_bind_text(st, 1, want[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, it->code, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)version);
        rc = run(db, st);
        moved = 1;
    }
    free(have);
    if (rc == TT_OK && moved && !wrote)
        rc = stamp_item(db, it->code, version);
    if (changed)
        *changed = rc == TT_OK && (wrote || moved);
    return rc;
}

tt_err_t tt_db_master_put_operator(tt_db_t *db, const tt_master_operator_t *o,
                                   uint64_t version, int *changed)
{
    char holder[TT_EVENT_ID_MAX + 1];
    sqlite3_stmt *st;
    tt_err_t rc = TT_OK;

    if (o->badge[0]) {
        rc = tt_db_master_badge_owner(db, o->badge, holder);
        if (rc == TT_OK && strcmp(holder, o->id) != 0) {
            st = db->st[S_BADGE_TAKE];
            sqlite3_bind_text(st, 1, holder, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, (sqlite3_int64)version);
            rc = run(db, st);
        } else if (rc == TT_ERR_NOTFOUND) {
            rc = TT_OK;
        }
        if (rc != TT_OK)
            return rc;
    }
    st = db->st[S_OP_PUT];
    sqlite3_bind_text(st, 1, o->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, o->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, o->role, -1, SQLITE_STATIC);
    bind_opt(st, 4, o->unit);
    bind_opt(st, 5, o->badge);
    sqlite3_bind_int(st, 6, o->active);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)version);
    return run_put(db, st, changed);
}

tt_err_t tt_db_master_put_plan(tt_db_t *db, const tt_master_plan_t *p, uint64_t version,
                               int *changed)
{
    sqlite3_stmt *st = db->st[S_PLAN_PUT];
    sqlite3_bind_text(st, 1, p->serial, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, p->item, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, p->qty);
    bind_opt(st, 4, p->category);
    bind_opt(st, 5, p->unit);
    sqlite3_bind_text(st, 6, tt_master_plan_status_name(p->status), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)version);
    return run_put(db, st, changed);
}

/* Takes `key` (a barcode or a GIAI, per the owner / take statements) from
 * whichever other asset holds it, stamping that asset: its row changed.  The
 * unique columns never see two holders, so two assets may swap in one
 * import. */
static tt_err_t take_from_other(tt_db_t *db, int owner_st, int take_st, const char *key,
                                const char *asset, uint64_t version)
{
    char holder[TT_EVENT_CODE_MAX + 1];
    sqlite3_stmt *st = db->st[owner_st];
    tt_err_t rc;

    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = lookup(db, st, holder, sizeof holder);
    if (rc == TT_ERR_NOTFOUND)
        return TT_OK;
    if (rc != TT_OK || strcmp(holder, asset) == 0)
        return rc;
    st = db->st[take_st];
    sqlite3_bind_text(st, 1, holder, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)version);
    return run(db, st);
}

tt_err_t tt_db_master_put_equipment(tt_db_t *db, const tt_master_equipment_t *e,
                                    uint64_t version, int *changed)
{
    sqlite3_stmt *st;
    tt_err_t rc = TT_OK;

    if (e->barcode[0])
        rc = take_from_other(db, S_EQ_BC_OWNER, S_EQ_BC_TAKE, e->barcode, e->asset, version);
    if (rc == TT_OK && e->giai[0])
        rc = take_from_other(db, S_GIAI_OWNER, S_GIAI_TAKE, e->giai, e->asset, version);
    if (rc != TT_OK)
        return rc;
    st = db->st[S_EQ_PUT];
    sqlite3_bind_text(st, 1, e->asset, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, e->model, -1, SQLITE_STATIC);
    bind_opt(st, 3, e->item);
    bind_opt(st, 4, e->giai);
    bind_opt(st, 5, e->barcode);
    bind_opt(st, 6, e->unit);
    sqlite3_bind_int(st, 7, e->active);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)version);
    return run_put(db, st, changed);
}

/* Fills it->barcodes from the db: the code first, then the others. */
static tt_err_t fill_barcodes(tt_db_t *db, tt_master_item_t *it)
{
    char (*have)[TT_EVENT_CODE_MAX + 1] = NULL;
    size_t n = 0;
    tt_err_t rc = held_barcodes(db, it->code, &have, &n);

    if (rc != TT_OK)
        return rc;
    if (n > TT_MASTER_BARCODES_MAX) {
        free(have);
        return TT_ERR_DB;   /* the import never stores more */
    }
    for (size_t i = 0; i < n; i++)
        memcpy(it->barcodes[i], have[i], sizeof it->barcodes[i]);
    it->nbarcodes = n;
    free(have);
    return TT_OK;
}

static void item_from_row(sqlite3_stmt *st, tt_db_item_t *x)
{
    tt_master_item_t *it = &x->item;
    memset(x, 0, sizeof *x);
    snprintf(it->code, sizeof it->code, "%s", text(st, 0));
    snprintf(it->name, sizeof it->name, "%s", text(st, 1));
    snprintf(it->spec, sizeof it->spec, "%s", text(st, 2));
    snprintf(it->uom, sizeof it->uom, "%s", text(st, 3));
    it->category = (tt_item_category_t)tt_master_category_parse(text(st, 4));
    it->price = sqlite3_column_int64(st, 5);
    x->return_old = sqlite3_column_int(st, 6);
    x->reward = sqlite3_column_int64(st, 7);
    x->penalty = sqlite3_column_int64(st, 8);
    it->active = sqlite3_column_int(st, 9);
}

#define ITEM_COLUMNS                                                                          \
    "code, name, spec, uom, category, price_fen, return_old, reward_fen, penalty_fen, active," \
    " version"

tt_err_t tt_db_master_item_get(tt_db_t *db, const char *code, tt_db_item_t *out,
                               uint64_t *version)
{
    sqlite3_stmt *st;
    tt_err_t rc;
    int step;

    if (sqlite3_prepare_v2(db->db, "SELECT " ITEM_COLUMNS " FROM item WHERE code = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return TT_ERR_DB;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        item_from_row(st, out);
        if (version)
            *version = (uint64_t)sqlite3_column_int64(st, 10);
    }
    sqlite3_finalize(st);
    if (step != SQLITE_ROW)
        return step == SQLITE_DONE ? TT_ERR_NOTFOUND : TT_ERR_DB;
    rc = fill_barcodes(db, &out->item);
    return rc;
}

/* --- master pages ----------------------------------------------------------- */

/* Grows *rows (of `size` bytes each) to hold one more than *n; NULL when out
 * of memory.  Returns the new row, zeroed. */
static void *grow(void **rows, size_t *cap, size_t n, size_t size)
{
    if (n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        void *a = realloc(*rows, ncap * size);
        if (!a)
            return NULL;
        *rows = a;
        *cap = ncap;
    }
    return memset((char *)*rows + n * size, 0, size);
}

/* Parses a cursor "<to>:<table>:<key>" written by tt_db_master_page. */
static int parse_cursor(const char *cursor, uint64_t *to, int *table, const char **key)
{
    const char *p = cursor, *colon;
    uint64_t v = 0;

    if (*p < '0' || *p > '9')
        return 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > TT_EVENT_SEQ_MAX)
            return 0;
    }
    if (*p++ != ':' || !(colon = strchr(p, ':')))
        return 0;
    for (int t = TT_DB_UNIT; t <= TT_DB_MASTER_LAST; t++) {
        if ((size_t)(colon - p) == strlen(master_table[t]) &&
            strncmp(p, master_table[t], (size_t)(colon - p)) == 0) {
            *table = t;
            *key = colon + 1;
            *to = v;
            /* Items and assets are keyed by codes, the rest by ids. */
            return t == TT_DB_ITEM || t == TT_DB_EQUIPMENT ? tt_event_code_valid(*key)
                                                            : tt_event_id_valid(*key);
        }
    }
    return 0;
}

typedef struct {
    size_t caps[TT_DB_MASTER_LAST + 1];
    size_t n[TT_DB_MASTER_LAST + 1];   /* rows per table, indexed by tt_db_master_t */
} page_fill_t;

/* Appends up to `limit` rows of `table` with version > since and key > after
 * to the page.  Items get their barcodes later (fill_page_barcodes), so the
 * one row read beyond the page costs nothing. */
static tt_err_t page_rows(tt_db_t *db, tt_master_page_t *pg, page_fill_t *pf, int table,
                          uint64_t since, const char *after, size_t limit)
{
    static const char *const sql[] = {
        NULL,
        "SELECT id, name, kind FROM unit WHERE version > ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        "SELECT id, name, kind, COALESCE(unit, '') FROM warehouse"
        " WHERE version > ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        "SELECT " ITEM_COLUMNS " FROM item WHERE version > ?1 AND code > ?2"
        " ORDER BY code LIMIT ?3",
        "SELECT id, name, role, COALESCE(unit, ''), COALESCE(badge, ''), active FROM operator"
        " WHERE version > ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        "SELECT serial, item, qty, COALESCE(category, ''), COALESCE(unit, ''), status FROM plan"
        " WHERE version > ?1 AND serial > ?2 ORDER BY serial LIMIT ?3",
        "SELECT asset, model, COALESCE(item, ''), COALESCE(giai, ''), COALESCE(barcode, ''),"
        " COALESCE(unit, ''), active FROM equipment"
        " WHERE version > ?1 AND asset > ?2 ORDER BY asset LIMIT ?3",
    };
    sqlite3_stmt *st;
    tt_err_t rc = TT_OK;
    int step;

    if (sqlite3_prepare_v2(db->db, sql[table], -1, &st, NULL) != SQLITE_OK)
        return TT_ERR_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
    sqlite3_bind_text(st, 2, after, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    while (rc == TT_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        void *arr;
        size_t *n = &pf->n[table];
        switch (table) {
        case TT_DB_UNIT: {
            tt_master_unit_t *u;
            arr = pg->units;
            u = grow(&arr, &pf->caps[table], *n, sizeof *u);
            pg->units = arr;
            if (!u) {
                rc = TT_ERR_NOMEM;
                break;
            }
            snprintf(u->id, sizeof u->id, "%s", text(st, 0));
            snprintf(u->name, sizeof u->name, "%s", text(st, 1));
            u->kind = (tt_unit_kind_t)tt_master_unit_kind_parse(text(st, 2));
            break;
        }
        case TT_DB_WAREHOUSE: {
            tt_master_warehouse_t *w;
            arr = pg->warehouses;
            w = grow(&arr, &pf->caps[table], *n, sizeof *w);
            pg->warehouses = arr;
            if (!w) {
                rc = TT_ERR_NOMEM;
                break;
            }
            snprintf(w->id, sizeof w->id, "%s", text(st, 0));
            snprintf(w->name, sizeof w->name, "%s", text(st, 1));
            w->kind = (tt_warehouse_kind_t)tt_master_warehouse_kind_parse(text(st, 2));
            snprintf(w->unit, sizeof w->unit, "%s", text(st, 3));
            break;
        }
        case TT_DB_ITEM: {
            tt_master_item_t *it;
            tt_db_item_t x;
            arr = pg->items;
            it = grow(&arr, &pf->caps[table], *n, sizeof *it);
            pg->items = arr;
            if (!it) {
                rc = TT_ERR_NOMEM;
                break;
            }
            item_from_row(st, &x);
            *it = x.item;
            break;
        }
        case TT_DB_PLAN: {
            tt_master_plan_t *pl;
            arr = pg->plans;
            pl = grow(&arr, &pf->caps[table], *n, sizeof *pl);
            pg->plans = arr;
            if (!pl) {
                rc = TT_ERR_NOMEM;
                break;
            }
            snprintf(pl->serial, sizeof pl->serial, "%s", text(st, 0));
            snprintf(pl->item, sizeof pl->item, "%s", text(st, 1));
            pl->qty = sqlite3_column_int64(st, 2);
            snprintf(pl->category, sizeof pl->category, "%s", text(st, 3));
            snprintf(pl->unit, sizeof pl->unit, "%s", text(st, 4));
            pl->status = (tt_plan_status_t)tt_master_plan_status_parse(text(st, 5));
            break;
        }
        case TT_DB_EQUIPMENT: {
            tt_master_equipment_t *e;
            arr = pg->equipment;
            e = grow(&arr, &pf->caps[table], *n, sizeof *e);
            pg->equipment = arr;
            if (!e) {
                rc = TT_ERR_NOMEM;
                break;
            }
            snprintf(e->asset, sizeof e->asset, "%s", text(st, 0));
            snprintf(e->model, sizeof e->model, "%s", text(st, 1));
            snprintf(e->item, sizeof e->item, "%s", text(st, 2));
            snprintf(e->giai, sizeof e->giai, "%s", text(st, 3));
            snprintf(e->barcode, sizeof e->barcode, "%s", text(st, 4));
            snprintf(e->unit, sizeof e->unit, "%s", text(st, 5));
            e->active = sqlite3_column_int(st, 6);
            break;
        }
        default: {
            tt_master_operator_t *o;
            arr = pg->operators;
            o = grow(&arr, &pf->caps[table], *n, sizeof *o);
            pg->operators = arr;
            if (!o) {
                rc = TT_ERR_NOMEM;
                break;
            }
            snprintf(o->id, sizeof o->id, "%s", text(st, 0));
            snprintf(o->name, sizeof o->name, "%s", text(st, 1));
            snprintf(o->role, sizeof o->role, "%s", text(st, 2));
            snprintf(o->unit, sizeof o->unit, "%s", text(st, 3));
            snprintf(o->badge, sizeof o->badge, "%s", text(st, 4));
            o->active = sqlite3_column_int(st, 5);
            break;
        }
        }
        if (rc == TT_OK)
            (*n)++;
    }
    sqlite3_finalize(st);
    if (rc == TT_OK && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = TT_ERR_DB;
    return rc;
}

/* The key of row i of `table` in the page. */
static const char *page_key(const tt_master_page_t *pg, int table, size_t i)
{
    switch (table) {
    case TT_DB_UNIT: return pg->units[i].id;
    case TT_DB_WAREHOUSE: return pg->warehouses[i].id;
    case TT_DB_ITEM: return pg->items[i].code;
    case TT_DB_PLAN: return pg->plans[i].serial;
    case TT_DB_EQUIPMENT: return pg->equipment[i].asset;
    default: return pg->operators[i].id;
    }
}

tt_err_t tt_db_master_page(tt_db_t *db, uint64_t since, const char *cursor, size_t max_rows,
                           tt_master_page_t **out, char *reason, size_t rlen)
{
    tt_master_page_t *pg;
    page_fill_t pf;
    const char *after = "";
    int start = TT_DB_UNIT, table;
    size_t got = 0;
    tt_err_t rc = TT_OK;

    *out = NULL;
    if (max_rows == 0 || max_rows > TT_MASTER_PAGE_ROWS) {
        snprintf(reason, rlen, "page of %zu rows", max_rows);
        return TT_ERR_INVAL;
    }
    pg = calloc(1, sizeof *pg);
    if (!pg)
        return TT_ERR_NOMEM;
    memset(&pf, 0, sizeof pf);
    pg->since = since;
    if (cursor[0]) {
        if (!parse_cursor(cursor, &pg->to, &start, &after)) {
            snprintf(reason, rlen, "cursor '%.*s' was not written by this server",
                     TT_MASTER_CURSOR_MAX, cursor);
            tt_master_page_free(pg);
            return TT_ERR_INVAL;
        }
    } else {
        rc = tt_db_master_version(db, &pg->to);
    }
    /* One row more than the page holds tells whether another page follows. */
    for (table = start; rc == TT_OK && table <= TT_DB_MASTER_LAST && got <= max_rows; table++) {
        rc = page_rows(db, pg, &pf, table, since, table == start ? after : "",
                       max_rows + 1 - got);
        got += pf.n[table];
    }
    if (rc == TT_OK && got > max_rows) {
        /* Drop the extra row: the last one read, in the last table read. */
        int last = table - 1;
        pf.n[last]--;
        while (pf.n[last] == 0)
            last--;
        snprintf(pg->cursor, sizeof pg->cursor, "%llu:%s:%s", (unsigned long long)pg->to,
                 master_table[last], page_key(pg, last, pf.n[last] - 1));
    } else {
        pg->last = 1;
    }
    pg->nunits = pf.n[TT_DB_UNIT];
    pg->nwarehouses = pf.n[TT_DB_WAREHOUSE];
    pg->nitems = pf.n[TT_DB_ITEM];
    pg->noperators = pf.n[TT_DB_OPERATOR];
    pg->nplans = pf.n[TT_DB_PLAN];
    pg->nequipment = pf.n[TT_DB_EQUIPMENT];
    for (size_t i = 0; rc == TT_OK && i < pg->nitems; i++)
        rc = fill_barcodes(db, &pg->items[i]);
    if (rc != TT_OK) {
        tt_master_page_free(pg);
        return rc;
    }
    *out = pg;
    return TT_OK;
}

tt_err_t tt_db_master_equipment_get(tt_db_t *db, const char *asset, tt_master_equipment_t *e)
{
    sqlite3_stmt *st = db->st[S_EQ_GET];
    int rc;
    sqlite3_bind_text(st, 1, asset, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(e, 0, sizeof *e);
        snprintf(e->asset, sizeof e->asset, "%s", asset);
        snprintf(e->model, sizeof e->model, "%s", text(st, 0));
        snprintf(e->item, sizeof e->item, "%s", text(st, 1));
        snprintf(e->giai, sizeof e->giai, "%s", text(st, 2));
        snprintf(e->barcode, sizeof e->barcode, "%s", text(st, 3));
        snprintf(e->unit, sizeof e->unit, "%s", text(st, 4));
        e->active = sqlite3_column_int(st, 5);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_ROW ? TT_OK : rc == SQLITE_DONE ? TT_ERR_NOTFOUND : TT_ERR_DB;
}
