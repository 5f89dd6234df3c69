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

A document committed while the server is down is still "ok" at once
(durable in the outbox) and reaches the server when it comes up."""

import json
import sqlite3
import unittest

import harness as h

ITEM1 = "6901234567892"
ITEM2 = "6901234567908"
ITEM3 = "BOLT-M12x80"
ITEM4 = "CABLE-MYJV22"


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
    """The expected outbox events of one document: lines = [(item, qty text)]."""
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

    def test_receive_and_issue_documents(self):
        model = h.StockModel()
        with h.Cluster(["T01"], name="counter_session") as c:
            t, srv = c.t("T01"), c.server
            k = Counter(self, t)
            v = k.view()
            self.assertEqual((v["operator"], v["mode"], v["warehouse"], v["lines"]), ("", "none", "", []))
            self.assertTrue(v["scanner_present"])

            # -- before login nothing but the badge works
            k.code_refused(ITEM1, "工牌")
            k.code_refused("TT:MODE:receive", "工牌")
            k.key_refused("5", "工牌")
            k.code_refused("TT:OP:zhang/3", "未知操作卡")
            k.code("TT:OP:zhang3", "zhang3")
            self.assertEqual(k.view()["operator"], "zhang3")

            # -- receive: 3 lines against plan serial P2026-0034
            k.code_refused(ITEM1, "选择业务")
            k.code("TT:MODE:receive", "计划序号")
            k.code_refused(ITEM1, "仓库卡")          # the sim terminal has no default warehouse
            k.code("TT:WH:W01", "W01")
            k.code_refused(ITEM1, "计划序号")
            k.key_refused("P/34", "单号无效")
            k.key("P2026-0034", "P2026-0034")
            k.key_refused("0", "数量无效")
            k.key_refused("-1", "数量无效")
            k.key_refused("1.2345", "数量无效")
            k.key("12.5", "12.5")
            k.code(ITEM1, "第 1 行", ITEM1, "12.5")
            k.code(ITEM2, "第 2 行", ITEM2, "× 1")    # no keypad entry: 1
            k.key("0.25")
            k.code_refused("TT:WH:W02", "请先提交或取消")   # lines exist: the warehouse is fixed
            k.code(ITEM3, "第 3 行", ITEM3, "0.25")
            v = k.view()
            self.assertEqual((v["mode"], v["warehouse"], v["ref"], v["unit"]), ("receive", "W01", "P2026-0034", ""))
            self.assertEqual(k.lines(), [(ITEM1, "12.5"), (ITEM2, "1"), (ITEM3, "0.25")])
            self.assertEqual(t.status()["last_seq"], 0, "lines became events before the commit")
            k.code("TT:COMMIT", "已提交 3 行", "#1")
            v = k.view()
            self.assertEqual((v["lines"], v["ref"], v["error"]), ([], "", False))
            receive = doc_events(1, "receive", "zhang3", "W01", "P2026-0034", None,
                                 [(ITEM1, "12.5"), (ITEM2, "1"), (ITEM3, "0.25")])
            self.assert_outbox(t, receive)
            model.receive("W01", ITEM1, 12500)
            model.receive("W01", ITEM2, 1000)
            model.receive("W01", ITEM3, 250)

            # -- issue: work area A3, requisition R-4711, one line undone
            k.code("TT:MODE:issue", "领料单号")
            self.assertEqual(k.view()["warehouse"], "W01")
            k.code_refused(ITEM1, "工区卡")
            k.code("TT:UNIT:A3", "A3")
            k.code_refused(ITEM1, "领料单号")
            k.key("R-4711", "R-4711")
            k.key("5")
            k.code(ITEM1, "第 1 行", "× 5")
            k.code(ITEM3, "第 2 行")
            k.code("TT:UNDO", "撤销")
            self.assertEqual(k.lines(), [(ITEM1, "5")])
            k.key("0.5")
            k.code(ITEM2, "第 2 行", "0.5")
            self.assertEqual(k.lines(), [(ITEM1, "5"), (ITEM2, "0.5")])
            k.code("TT:COMMIT", "已提交 2 行", "#4")
            issue1 = doc_events(4, "issue", "zhang3", "W01", "R-4711", "A3", [(ITEM1, "5"), (ITEM2, "0.5")])
            model.issue("W01", ITEM1, 5000)
            model.issue("W01", ITEM2, 500)

            # -- a document that is cancelled: nothing stored
            k.code_refused(ITEM1, "工区卡")          # the work area was for that document only
            k.code("TT:UNIT:A4", "A4")
            k.key("R-4712", "R-4712")
            k.code(ITEM1)
            k.key("3")
            k.code(ITEM4)                             # never received: would be rejected
            k.code("TT:CANCEL", "已取消")
            v = k.view()
            self.assertEqual((v["lines"], v["ref"], v["unit"], v["next_qty"]), ([], "", "", "0"))
            k.code_refused("TT:COMMIT", "单据为空")
            k.code_refused("TT:UNDO", "没有可撤销")

            # -- another issue document after the cancelled one
            k.code("TT:UNIT:A4", "A4")
            k.key("R-4713", "R-4713")
            k.key("0.125")
            k.code(ITEM3, "第 1 行", "0.125")
            k.key("2.5")
            k.code(ITEM1, "第 2 行", "2.5")
            k.code("TT:COMMIT", "已提交 2 行", "#6")
            issue2 = doc_events(6, "issue", "zhang3", "W01", "R-4713", "A4", [(ITEM3, "0.125"), (ITEM1, "2.5")])
            model.issue("W01", ITEM3, 125)
            model.issue("W01", ITEM1, 2500)

            # -- logout: the next scan needs a badge again
            k.code("TT:LOGOUT", "退出")
            v = k.view()
            self.assertEqual((v["operator"], v["mode"], v["lines"]), ("", "none", []))
            k.code_refused(ITEM1, "工牌")

            # (b) the terminal's store: 7 events, nothing from the cancelled document
            expected = receive + issue1 + issue2
            self.assert_outbox(t, expected)

            # (c) end to end
            st = t.wait_synced(expect_last=7)
            self.assertEqual(st["rejected"], 0, st)
            h.assert_stock_equal(self, model.stock, srv.stock(), c)
            self.assertEqual(model.stock, {("W01", ITEM1): 5000, ("W01", ITEM2): 500, ("W01", ITEM3): 125})
            self.assertEqual(server_journal(srv.db, "T01"), journal_rows(expected))
            self.assertEqual(srv.applied_seq("T01"), 7)

    def test_commit_while_server_down_syncs_later(self):
        with h.Cluster(["T01"], name="counter_offline", start_server=False) as c:
            t, srv = c.t("T01"), c.server
            k = Counter(self, t)
            k.code("TT:OP:wang5", "wang5")
            k.code("TT:MODE:receive")
            k.code("TT:WH:W07")
            k.key("P-88")
            k.key("40")
            k.code(ITEM4, "× 40")
            k.code(ITEM2)
            k.code("TT:COMMIT", "已提交 2 行", "#1")     # durable at once, server or not
            st = t.status()
            self.assertEqual((st["last_seq"], st["synced"]), (2, 0), st)
            self.assertFalse(st["server_online"], st)
            receive = doc_events(1, "receive", "wang5", "W07", "P-88", None, [(ITEM4, "40"), (ITEM2, "1")])
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
            h.assert_stock_equal(self, {("W07", ITEM4): 24500, ("W07", ITEM2): 1000}, srv.stock(), c)
            self.assertEqual(server_journal(srv.db, "T01"), journal_rows(receive + issue))


if __name__ == "__main__":
    h.main()
