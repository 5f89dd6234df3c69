"""Counter sessions end to end: a storekeeper's scripted session through the
terminal's control socket (`code` = a scan through the fake scanner into the
counter, `key` = the keypad, `view` = the screen), checked three ways:

  (a) every reply the terminal gives (ok / err refused, and what the screen
      says: the sim terminal speaks Chinese, the default language);
  (b) the events in the terminal's own store (read-only SQLite: table
      `event`, `payload` = the event JSON): one event per line, line/lines,
      ref, unit and qty exactly, consecutive seqs per document;
  (c) after sync, the server's /api/v1/stock against a model and the server's
      journal (table `event`) with ref/unit/line/lines.

The counter checks every badge, warehouse, work area, item, plan serial and
asset against the master data the terminal keeps offline, so each test
first imports master data with the real
`tagtrail-server -c server.conf --import KIND FILE` into
the cluster's server database and waits until the terminal's `status` shows
the imported master version.  The cluster is started without its server, so
the terminal cannot have asked before the import: it asks again when the
server comes online (and, failing that, every 10 s until it is answered).

Item lines show the item's name, spec and unit of measure; events carry the
item's code, which is not always the barcode scanned (a secondary barcode,
a GS1 GTIN).  A receipt is typed against an approved plan line (计划序号)
and takes only that line's item, so a delivery of several items is one
receipt document per plan serial.  A document committed while the server is down is still "ok"
at once (durable in the outbox) and reaches the server when it comes up."""

import json
import os
import re
import sqlite3
import subprocess
import unittest

import harness as h

ITEM1 = "6901234567892"           # code = its EAN-13
ITEM1_ALT = "6901234567809"       # a second barcode of ITEM1
ITEM2 = "6901234567908"           # the EAN-13 on the package ...
ITEM2_CODE = "ANCHOR-K2350"       # ... of an item with an internal code
ITEM3 = "BOLT-M12x80"
ITEM4 = "CABLE-MYJV22"
GAUZE = "GAUZE-8x10"              # a GS1-labelled item: GTIN 09506000134352
GAUZE_GS1 = "(01)09506000134352(30)5"
LAMP_OLD = "LAMP-KL5"             # retired (active = no)
LAMP_OLD_BARCODE = "6901234567885"
UNKNOWN_EAN = "6900000000991"     # nobody's barcode

# --------------------------------------------------------------------------
# master data, as the office's CSV files

UNITS = ("id,name,kind\n"
         "A3,综采三队,work_area\n"
         "A4,掘进四队,work_area\n"
         "B2,运输二队,work_area\n"
         "XL,修理厂,shop\n")
WAREHOUSES = ("id,name,kind,unit\n"
              "W01,中心仓库,central,\n"
              "W02,回收仓库,recycling,\n"
              "W07,综采三队库,work_area,A3\n")
ITEMS = ("code,name,spec,uom,category,price,return_old,reward,penalty,barcodes,active\n"
         "%s,锚杆,Φ20×2200,根,material,12.50,no,0,0,%s,yes\n"
         "%s,锚固剂,K2350,卷,material,3.20,no,0,0,%s,yes\n"
         "%s,螺栓,M12×80,个,material,0.85,no,0,0,,yes\n"
         "%s,电缆,MYJV22 3×95,米,material,185,no,0,0,,yes\n"
         "%s,医用纱布,8×10cm,包,medicine,2.50,no,0,0,9506000134352,yes\n"
         "%s,矿灯,KL5,个,equipment,260,yes,20,50,%s,no\n"
         % (ITEM1, ITEM1_ALT, ITEM2_CODE, ITEM2, ITEM3, ITEM4, GAUZE, LAMP_OLD, LAMP_OLD_BARCODE))
OPERATORS = ("id,name,role,unit,badge,active\n"
             "zhang3,张三,storekeeper,,B0001,yes\n"
             "wang5,王五,storekeeper,A3,B0005,yes\n"
             "zhao6,赵六,storekeeper,,B0006,no\n")
# Approved plan lines (物资计划): one item each; P2026-0040 was rejected at a
# later approval step.
PLANS = ("serial,item,qty,category,unit,status\n"
         "P2026-0034,%s,100,S03,A3,approved\n"
         "P2026-0035,%s,20,,,approved\n"
         "P2026-0036,%s,5,,A3,approved\n"
         "P2026-0037,%s,50,S07,,approved\n"
         "P2026-0040,%s,10,,,rejected\n"
         "P-88,%s,40,,B2,approved\n"
         "P-89,%s,1,,B2,approved\n"
         % (ITEM1, ITEM2_CODE, ITEM3, GAUZE, ITEM1, ITEM4, ITEM2_CODE))
# The repair bay's assets (test_sim_devices reads a tag of P-0042).
GIAI_A = "06141415678"            # the GIAI of EPC 3434257BF40000000000162E
EQUIPMENT = ("asset,model,item,giai,barcode,unit,active\n"
             "P-0042,乳化液泵,,%s,,XL,yes\n"
             "P-0043,采煤机,,,EQ-PUMP-0007,A3,yes\n"
             "P-0099,旧水泵,,,EQ-OLD-1,,no\n" % GIAI_A)
MASTER = [("units", UNITS), ("warehouses", WAREHOUSES), ("items", ITEMS), ("operators", OPERATORS),
          ("plans", PLANS), ("equipment", EQUIPMENT)]

# What a line shows: "第 N 行：<name> <spec> × <qty> <uom>" (counter.c M_LINE_NAMED).
SHOWN = {ITEM1: ("锚杆", "Φ20×2200", "根"), ITEM2_CODE: ("锚固剂", "K2350", "卷"),
         ITEM3: ("螺栓", "M12×80", "个"), ITEM4: ("电缆", "MYJV22 3×95", "米"),
         GAUZE: ("医用纱布", "8×10cm", "包")}


def line_text(n, code, qty):
    name, spec, uom = SHOWN[code]
    return "第 %d 行：%s %s × %s %s" % (n, name, spec, qty, uom)


def import_master(test, server, files=MASTER):
    """Imports each (kind, csv text) with the real CLI against the server's
    config; returns the master version the last import reports."""
    version = None
    for kind, text in files:
        path = os.path.join(server.tmpdir, "%s.csv" % kind)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        r = subprocess.run([h.SERVER_BIN, "-c", server.conf, "--import", kind, path],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=h.scaled(120))
        out, err = r.stdout.decode("utf-8"), r.stderr.decode("utf-8")
        test.assertEqual(r.returncode, 0, "--import %s: exit %d\nstdout: %s\nstderr: %s"
                         % (kind, r.returncode, out, err))
        m = re.fullmatch(r"imported (\d+) rows \((\d+) changed\), master version (\d+)\n", out)
        test.assertIsNotNone(m, "--import %s printed %r" % (kind, out))
        rows = len(text.splitlines()) - 1
        test.assertEqual((int(m.group(1)), int(m.group(2))), (rows, rows), out)
        if version is not None:
            test.assertEqual(int(m.group(3)), version + 1, "each import is one new version: %r" % out)
        version = int(m.group(3))
    return version


def wait_master(terminal, version):
    """Waits until the terminal has adopted master data `version`."""
    return h.wait_until(lambda: terminal.status()["master_version"] == version, h.scaled(30),
                        "terminal %s at master version %d" % (terminal.tid, version), interval=0.1)


# --------------------------------------------------------------------------
# local helpers (the harness has no counter-specific ones)

class Counter:
    """The counter of one terminal, as a storekeeper uses it."""

    def __init__(self, test, terminal):
        self.test = test
        self.t = terminal

    def _expect(self, line, ok, words):
        reply = self.t.raw(line)
        prefix = "ok " if ok else "err refused "
        if not reply.startswith(prefix):
            self.test.fail("%r: expected %r..., terminal replied %r" % (line, prefix, reply))
        for w in words:
            self.test.assertIn(w, reply, "%r: reply %r lacks %r" % (line, reply, w))
        return reply[len(prefix):]

    def code(self, data, *words):
        """A scan the counter must accept; returns the screen message."""
        return self._expect("code " + data, True, words)

    def code_refused(self, data, *words):
        return self._expect("code " + data, False, words)

    def key(self, text, *words):
        return self._expect("key " + text, True, words)

    def key_refused(self, text, *words):
        return self._expect("key " + text, False, words)

    def view(self):
        return json.loads(self.t.cmd("view"))

    def lines(self):
        return [(l["item"], l["qty"]) for l in self.view()["lines"]]


def outbox_events(terminal):
    """[(seq, payload dict)] of the terminal's store, in seq order."""
    con = sqlite3.connect("file:%s?mode=ro" % terminal.store, uri=True, timeout=30)
    try:
        rows = con.execute("SELECT seq, type, payload FROM event ORDER BY seq").fetchall()
    finally:
        con.close()
    out = []
    for seq, typ, payload in rows:
        ev = json.loads(payload)
        if ev.get("seq") != seq or ev.get("type") != typ:
            raise AssertionError("outbox row %d (%s) holds %r" % (seq, typ, payload))
        out.append((seq, ev))
    return out


def server_journal(db_path, terminal):
    """[(seq, status, type, operator, warehouse, item, qty, ref, unit, line, lines)]."""
    con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=30)
    try:
        return con.execute(
            "SELECT seq, status, type, operator, warehouse, item, qty, ref, unit, line, lines"
            " FROM event WHERE terminal = ? ORDER BY seq", (terminal,)).fetchall()
    finally:
        con.close()


def doc_events(first_seq, typ, operator, wh, ref, unit, lines):
    """The expected outbox events of one document: lines = [(item code, qty text)]."""
    out = []
    for k, (item, qty) in enumerate(lines, 1):
        body = {"warehouse": wh, "item": item, "qty": qty, "ref": ref, "line": k, "lines": len(lines)}
        if unit:
            body["unit"] = unit
        out.append((first_seq + k - 1, {"operator": operator, "type": typ, "body": body}))
    return out


def journal_rows(events):
    """The server journal rows that expected outbox events should become."""
    rows = []
    for seq, ev in events:
        b = ev["body"]
        rows.append((seq, "applied", ev["type"], ev["operator"], b["warehouse"], b["item"],
                     h.qty_to_milli(b["qty"]), b["ref"], b.get("unit"), b["line"], b["lines"]))
    return rows


class CounterSession(unittest.TestCase):
    def assert_outbox(self, terminal, expected):
        got = outbox_events(terminal)
        self.assertEqual([s for s, _ in got], list(range(1, len(got) + 1)), "outbox seqs have gaps")
        self.assertEqual(len(got), len(expected), "outbox holds %d events: %r" % (len(got), got))
        for (seq, ev), (eseq, exp) in zip(got, expected):
            self.assertEqual(seq, eseq)
            self.assertEqual(ev["operator"], exp["operator"], ev)
            self.assertEqual(ev["type"], exp["type"], ev)
            # body compared whole: no field missing, none extra (e.g. no unit on a receive)
            self.assertEqual(ev["body"], exp["body"], "seq %d" % seq)
            self.assertIsInstance(ev["ts"], int)
        # A document's events share one timestamp (one commit).
        docs = {}
        for seq, ev in got:
            first = seq - ev["body"]["line"] + 1
            docs.setdefault(first, set()).add(ev["ts"])
        for first, stamps in docs.items():
            self.assertEqual(len(stamps), 1, "document #%d has several timestamps %r" % (first, stamps))

    def start_with_master(self, c):
        """Imports the master data while the server is down, starts it and
        waits for the terminal to take the data; returns the version."""
        t, srv = c.t("T01"), c.server
        k = Counter(self, t)
        self.assertEqual(t.status()["master_version"], 0)
        # Without master data nothing can be checked, so nothing is accepted.
        k.code_refused("TT:OP:zhang3", "主数据尚未同步")
        # A badge is only known as one from the master data: before it, a
        # scan while nobody is logged in says why nothing can be checked.
        k.code_refused("B0001", "主数据尚未同步")
        self.assertEqual(k.view()["operator"], "")
        version = import_master(self, srv)
        self.assertEqual(version, len(MASTER))
        srv.start()
        wait_master(t, version)
        return version

    def test_receive_and_issue_documents(self):
        model = h.StockModel()
        with h.Cluster(["T01"], name="counter_session", start_server=False) as c:
            t, srv = c.t("T01"), c.server
            k = Counter(self, t)
            v = k.view()
            self.assertEqual((v["operator"], v["mode"], v["warehouse"], v["lines"]), ("", "none", "", []))
            self.assertTrue(v["scanner_present"])
            self.start_with_master(c)

            # -- before login nothing but the badge works
            k.code_refused(ITEM1, "工牌")
            k.code_refused("TT:MODE:receive", "工牌")
            k.key_refused("5", "工牌")
            k.code_refused("TT:OP:zhang/3", "未知操作卡")
            # unknown and retired operators, by card and by badge
            k.code_refused("TT:OP:nobody", "未知或已停用的操作员：nobody")
            k.code_refused("TT:OP:zhao6", "未知或已停用的操作员：zhao6")
            k.code_refused("B0006", "未知或已停用的操作员")
            k.code_refused("B0099", "工牌")             # no one's badge: just not a login
            self.assertEqual(k.view()["operator"], "")
            # a badge barcode logs its operator in; so does the card
            self.assertEqual(k.code("B0005"), "操作员 wang5 已登录")
            self.assertEqual(k.view()["operator"], "wang5")
            self.assertEqual(k.code("TT:OP:zhang3"), "操作员 zhang3 已登录")
            self.assertEqual(k.view()["operator"], "zhang3")
            k.code("TT:LOGOUT", "退出")
            self.assertEqual(k.code("B0001"), "操作员 zhang3 已登录")
            self.assertEqual(k.view()["operator"], "zhang3")

            # -- receive: a delivery of four items against four plan serials,
            # one document each; P2026-0034 (锚杆) takes two lines
            k.code_refused(ITEM1, "选择业务")
            k.code("TT:MODE:receive", "计划序号")
            k.code_refused(ITEM1, "仓库卡")          # the sim terminal has no default warehouse
            k.code_refused("TT:WH:W99", "未知仓库：W99")
            self.assertEqual(k.view()["warehouse"], "")
            k.code("TT:WH:W01", "W01")
            k.code_refused(ITEM1, "计划序号")
            k.key_refused("P/34", "单号无效")
            # the serial must be a known plan line, and approved
            k.key_refused("P2026-9999", "未知计划序号：P2026-9999")
            k.key_refused("P2026-0040", "计划 P2026-0040 未批准")
            self.assertEqual(k.view()["ref"], "")
            # the serial accepted names the plan line's item and approved quantity
            self.assertEqual(k.key("P2026-0034"), "计划 P2026-0034：锚杆，批准 100 根")
            k.key_refused("0", "数量无效")
            k.key_refused("-1", "数量无效")
            k.key_refused("1.2345", "数量无效")
            k.key("12.5", "12.5")
            self.assertEqual(k.code(ITEM1), line_text(1, ITEM1, "12.5"))
            # an item the plan line is not for is refused, by any of its barcodes
            k.code_refused(ITEM2, "物资 %s 锚固剂 不在计划 P2026-0034 中" % ITEM2_CODE)
            k.code_refused(GAUZE_GS1, "不在计划 P2026-0034 中")
            k.code_refused("TT:WH:W02", "请先提交或取消")   # lines exist: the warehouse is fixed
            # refused items: nobody's barcode, a retired item; the keypad
            # quantity waits for the next good line
            k.key("2")
            k.code_refused(UNKNOWN_EAN, "未知条码：%s" % UNKNOWN_EAN)
            k.code_refused(LAMP_OLD_BARCODE, "物资已停用：%s 矿灯" % LAMP_OLD)
            k.code_refused(LAMP_OLD, "物资已停用")
            k.code_refused("B0001", "未知条码：B0001")   # a badge is no item, and no re-login mid-document
            self.assertEqual(len(k.lines()), 1)
            # a second barcode of ITEM1: the line (and the event) is ITEM1
            self.assertEqual(k.code(ITEM1_ALT), line_text(2, ITEM1, "2"))
            v = k.view()
            self.assertEqual((v["mode"], v["warehouse"], v["ref"], v["unit"], v["operator"]),
                             ("receive", "W01", "P2026-0034", "", "zhang3"))
            self.assertEqual(k.lines(), [(ITEM1, "12.5"), (ITEM1, "2")])
            self.assertEqual([(l["name"], l["spec"], l["uom"]) for l in v["lines"]],
                             [SHOWN[ITEM1], SHOWN[ITEM1]])
            self.assertEqual(t.status()["last_seq"], 0, "lines became events before the commit")
            k.code("TT:COMMIT", "已提交 2 行", "#1")
            v = k.view()
            self.assertEqual((v["lines"], v["ref"], v["error"]), ([], "", False))
            # the package's EAN-13 is a barcode of an item with an internal code
            k.code_refused(ITEM2, "计划序号")          # a new document asks for its serial again
            k.key("P2026-0035", "锚固剂", "20")
            self.assertEqual(k.code(ITEM2), line_text(1, ITEM2_CODE, "1"))    # no keypad entry: 1
            k.code("TT:COMMIT", "已提交 1 行", "#3")
            k.key("P2026-0036", "螺栓")
            k.key("0.25")
            self.assertEqual(k.code(ITEM3), line_text(1, ITEM3, "0.25"))
            k.code("TT:COMMIT", "已提交 1 行", "#4")
            # GS1: the GTIN of an item with an internal code; (30) is the count
            k.key("P2026-0037", "医用纱布")
            k.code_refused(ITEM1, "不在计划 P2026-0037 中")
            self.assertEqual(k.code(GAUZE_GS1), line_text(1, GAUZE, "5"))
            k.code("TT:COMMIT", "已提交 1 行", "#5")
            receive = (doc_events(1, "receive", "zhang3", "W01", "P2026-0034", None,
                                  [(ITEM1, "12.5"), (ITEM1, "2")])
                       + doc_events(3, "receive", "zhang3", "W01", "P2026-0035", None, [(ITEM2_CODE, "1")])
                       + doc_events(4, "receive", "zhang3", "W01", "P2026-0036", None, [(ITEM3, "0.25")])
                       + doc_events(5, "receive", "zhang3", "W01", "P2026-0037", None, [(GAUZE, "5")]))
            self.assert_outbox(t, receive)
            model.receive("W01", ITEM1, 12500)
            model.receive("W01", ITEM1, 2000)
            model.receive("W01", ITEM2_CODE, 1000)
            model.receive("W01", ITEM3, 250)
            model.receive("W01", GAUZE, 5000)

            # -- issue: work area A3, requisition R-4711, one line undone
            k.code("TT:MODE:issue", "领料单号")
            self.assertEqual(k.view()["warehouse"], "W01")
            k.code_refused(ITEM1, "工区卡")
            k.code_refused("TT:UNIT:Z9", "未知工区：Z9")
            self.assertEqual(k.view()["unit"], "")
            k.code("TT:UNIT:A3", "A3")
            k.code_refused(ITEM1, "领料单号")
            k.key("R-4711", "R-4711")
            k.key("5")
            self.assertEqual(k.code(ITEM1), line_text(1, ITEM1, "5"))
            k.key("0.1")                              # within the 0.25 on hand: no stock warning
            self.assertEqual(k.code(ITEM3), line_text(2, ITEM3, "0.1"))
            k.code("TT:UNDO", "撤销")
            self.assertEqual(k.lines(), [(ITEM1, "5")])
            k.key("0.5")
            self.assertEqual(k.code(ITEM2), line_text(2, ITEM2_CODE, "0.5"))
            self.assertEqual(k.lines(), [(ITEM1, "5"), (ITEM2_CODE, "0.5")])
            k.code("TT:COMMIT", "已提交 2 行", "#6")
            issue1 = doc_events(6, "issue", "zhang3", "W01", "R-4711", "A3", [(ITEM1, "5"), (ITEM2_CODE, "0.5")])
            model.issue("W01", ITEM1, 5000)
            model.issue("W01", ITEM2_CODE, 500)

            # -- a document that is cancelled: nothing stored
            k.code_refused(ITEM1, "工区卡")          # the work area was for that document only
            k.code("TT:UNIT:A4", "A4")
            k.key("R-4712", "R-4712")
            k.code(ITEM1, "第 1 行")
            k.key("3")
            k.code(ITEM1_ALT, "第 2 行")
            k.code("TT:CANCEL", "已取消")              # both lines dropped, nothing stored
            v = k.view()
            self.assertEqual((v["lines"], v["ref"], v["unit"], v["next_qty"]), ([], "", "", "0"))
            k.code_refused("TT:COMMIT", "单据为空")
            k.code_refused("TT:UNDO", "没有可撤销")

            # -- another issue document after the cancelled one, by secondary barcode
            k.code("TT:UNIT:A4", "A4")
            k.key("R-4713", "R-4713")
            k.key("0.125")
            self.assertEqual(k.code(ITEM3), line_text(1, ITEM3, "0.125"))
            k.key("2.5")
            self.assertEqual(k.code(ITEM1_ALT), line_text(2, ITEM1, "2.5"))
            k.code("TT:COMMIT", "已提交 2 行", "#8")
            issue2 = doc_events(8, "issue", "zhang3", "W01", "R-4713", "A4", [(ITEM3, "0.125"), (ITEM1, "2.5")])
            model.issue("W01", ITEM3, 125)
            model.issue("W01", ITEM1, 2500)

            # -- logout: the next scan needs a badge again
            k.code("TT:LOGOUT", "退出")
            v = k.view()
            self.assertEqual((v["operator"], v["mode"], v["lines"]), ("", "none", []))
            k.code_refused(ITEM1, "工牌")

            # (b) the terminal's store: 9 events, nothing from the cancelled document
            expected = receive + issue1 + issue2
            self.assert_outbox(t, expected)

            # (c) end to end
            st = t.wait_synced(expect_last=9)
            self.assertEqual(st["rejected"], 0, st)
            h.assert_stock_equal(self, model.stock, srv.stock(), c)
            self.assertEqual(model.stock, {("W01", ITEM1): 7000, ("W01", ITEM2_CODE): 500, ("W01", ITEM3): 125,
                                           ("W01", GAUZE): 5000})
            self.assertEqual(server_journal(srv.db, "T01"), journal_rows(expected))
            self.assertEqual(srv.applied_seq("T01"), 9)

    def test_commit_while_server_down_syncs_later(self):
        with h.Cluster(["T01"], name="counter_offline", start_server=False) as c:
            t, srv = c.t("T01"), c.server
            k = Counter(self, t)
            version = self.start_with_master(c)
            # The server goes away and the terminal restarts: the master data
            # it keeps offline is enough to work.
            srv.stop()
            h.wait_until(lambda: not t.status()["server_online"], h.scaled(15), "terminal sees the server offline")
            t.stop()
            t.start()
            st = t.status()
            self.assertEqual((st["master_version"], st["server_online"]), (version, False), st)

            self.assertEqual(k.code("B0005"), "操作员 wang5 已登录")
            k.code("TT:MODE:receive")
            k.code("TT:WH:W07")
            k.key_refused("P-87", "未知计划序号")       # plans are checked offline too
            k.key("P-88", "电缆", "40")
            k.key("40")
            self.assertEqual(k.code(ITEM4), line_text(1, ITEM4, "40"))
            k.code_refused(UNKNOWN_EAN, "未知条码")
            k.code_refused(ITEM2, "不在计划 P-88 中")
            k.code("TT:COMMIT", "已提交 1 行", "#1")     # durable at once, server or not
            k.key("P-89", "锚固剂")
            k.code(ITEM2, "锚固剂")
            k.code("TT:COMMIT", "已提交 1 行", "#2")
            st = t.status()
            self.assertEqual((st["last_seq"], st["synced"]), (2, 0), st)
            self.assertFalse(st["server_online"], st)
            receive = (doc_events(1, "receive", "wang5", "W07", "P-88", None, [(ITEM4, "40")])
                       + doc_events(2, "receive", "wang5", "W07", "P-89", None, [(ITEM2_CODE, "1")]))
            self.assert_outbox(t, receive)

            # A second document while still offline: seqs go on.
            k.code("TT:MODE:issue")
            k.code("TT:UNIT:B2")
            k.key("R-9")
            k.key("15.5")
            k.code(ITEM4)
            k.code("TT:COMMIT", "已提交 1 行", "#3")
            issue = doc_events(3, "issue", "wang5", "W07", "R-9", "B2", [(ITEM4, "15.5")])
            self.assert_outbox(t, receive + issue)
            self.assertEqual(t.status()["synced"], 0)

            srv.start()
            st = t.wait_synced(expect_last=3)
            self.assertEqual(st["rejected"], 0, st)
            h.assert_stock_equal(self, {("W07", ITEM4): 24500, ("W07", ITEM2_CODE): 1000}, srv.stock(), c)
            self.assertEqual(server_journal(srv.db, "T01"), journal_rows(receive + issue))


if __name__ == "__main__":
    h.main()
