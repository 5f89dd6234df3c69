"""Every counter mode end to end, beside receive and issue (which
test_counter_session.py covers): return (交旧), transfer (调拨), count (盘点),
revolving materials (周转材料) with each action, and the repair bay's
equipment steps (鉴定 appraisal, 自检 selfcheck, 验收 acceptance, 设备出库
equip-issue).

Each session is scripted through the terminal's control socket (`code` = a
scan through the sim board's fake scanner into the counter, `key` = the
keypad, `view` = the screen) and checked three ways:

  (a) every reply (ok / err refused and what the screen says, in Chinese:
      the sim terminal's default language): what each mode needs before its
      first line, the cards it takes and refuses, the results of each step;
  (b) the terminal's outbox (read-only SQLite, table `event`, `payload` =
      the event JSON), compared whole, body by body;
  (c) after sync, the server's journal (table `event`: type, warehouse,
      item, qty, to_wh, action, to_unit, asset, step, result, unit, ref,
      line, lines, book_qty, status) and /api/v1/stock, exactly.

Master data (units, warehouses, items with barcodes, operators with badges,
approved plan lines, the equipment register) is imported with the real
`tagtrail-server --import` before the server starts, so the terminal's
first answered request brings all of it.  Stock comes in by receipts, one
document per plan serial (a receipt takes its plan line's item only).

Assets at the repair bay are scanned as printed barcodes and as RFID reads
(`code <EPC hex>`): a GIAI-96 EPC names the asset by its GIAI, which the
test computes from the Tag Data Standard layout (shared/epc.h); the
register maps either to the asset number, which the line shows with the
model and the event carries.  An SGTIN (an item's tag) is refused in the
equipment modes, and so are assets the register does not have or has
retired.

The equipment steps go through the repair state machine (docs/repair.md):
the appraisal names A3 as the sending unit (its assets in use there are
taken in from it); an acceptance of an asset whose self-check failed and
an issue of one not accepted are taken at the counter with its warning
(the terminal's view of the states, shared/assets.h) and refused by the
server, which journals them as rejected with the reason.

Two tests here pin bugs found while writing them and fail until fixed:
test_transfer_source_card_cannot_equal_destination and
test_revolve_to_unit_only_with_handover."""

import contextlib
import json
import os
import re
import sqlite3
import subprocess
import unittest

import harness as h
import test_counter_session

ITEM1 = "6901234567892"           # 锚杆: code = its EAN-13
ITEM1_ALT = "6901234567809"       # a second barcode of ITEM1
ITEM2 = "6901234567908"           # the EAN-13 on the package ...
ITEM2_CODE = "ANCHOR-K2350"       # ... of this item code
ITEM3 = "BOLT-M12x80"
CABLE = "CABLE-MYJV22"
PROP = "PROP-DW35"                # 单体液压支柱: a revolving material
PROP_BARCODE = "6901234567922"
LAMP_OLD = "LAMP-KL5"             # retired
UNKNOWN_EAN = "6900000000991"

UNITS = ("id,name,kind\n"
         "A3,综采三队,work_area\n"
         "A4,掘进四队,work_area\n"
         "XL,修理厂,shop\n")
WAREHOUSES = ("id,name,kind,unit\n"
              "W01,中心仓库,central,\n"
              "W02,回收仓库,recycling,\n"
              "W03,综采三队库,work_area,A3\n")
ITEMS = ("code,name,spec,uom,category,price,return_old,reward,penalty,barcodes,active\n"
         "%s,锚杆,Φ20×2200,根,material,12.50,yes,1,2,%s,yes\n"
         "%s,锚固剂,K2350,卷,material,3.20,no,0,0,%s,yes\n"
         "%s,螺栓,M12×80,个,material,0.85,no,0,0,,yes\n"
         "%s,电缆,MYJV22 3×95,米,material,185,no,0,0,,yes\n"
         "%s,单体液压支柱,DW35-250/100,根,material,1450,yes,100,300,%s,yes\n"
         "%s,矿灯,KL5,个,equipment,260,yes,20,50,,no\n"
         % (ITEM1, ITEM1_ALT, ITEM2_CODE, ITEM2, ITEM3, CABLE, PROP, PROP_BARCODE, LAMP_OLD))
OPERATORS = ("id,name,role,unit,badge,active\n"
             "zhang3,张三,storekeeper,,B0001,yes\n"
             "li4,李四,repair_fitter,XL,B0002,yes\n")
# One approved plan line per receipt document of these tests.
PLANS = ("serial,item,qty,category,unit,status\n"
         "P-1,%s,20,,A3,approved\n"
         "P-1B,%s,10,,A3,approved\n"
         "P-2,%s,5,,,approved\n"
         "P-5,%s,50,S02,A3,approved\n"
         "P-7,%s,1,,,approved\n"
         "P-9,%s,20,,,approved\n"
         "P-9B,%s,4,,,approved\n"
         % (ITEM1, ITEM2_CODE, ITEM1, PROP, ITEM1, ITEM1, CABLE))

SHOWN = {ITEM1: ("锚杆", "Φ20×2200", "根"), ITEM2_CODE: ("锚固剂", "K2350", "卷"),
         ITEM3: ("螺栓", "M12×80", "个"), CABLE: ("电缆", "MYJV22 3×95", "米"),
         PROP: ("单体液压支柱", "DW35-250/100", "根")}


def line_text(n, code, qty):
    """counter.c M_LINE_NAMED: "第 N 行：<name> <spec> × <qty> <uom>"."""
    name, spec, uom = SHOWN[code]
    return "第 %d 行：%s %s × %s %s" % (n, name, spec, qty, uom)


def asset_text(n, asset, result):
    """counter.c M_ASSET_LINE_NAMED: "第 N 行：设备 <asset number> <model> <result>"."""
    return "第 %d 行：设备 %s %s %s" % (n, asset, MODEL[asset], result)


# --------------------------------------------------------------------------
# EPCs (GS1 Tag Data Standard; layout in shared/epc.h)

# company prefix digits -> (partition, prefix bits, asset reference bits)
_GIAI96_PARTITIONS = {12: (0, 40, 42), 11: (1, 37, 45), 10: (2, 34, 48), 9: (3, 30, 52),
                      8: (4, 27, 55), 7: (5, 24, 58), 6: (6, 20, 62)}


def giai96_hex(prefix, reference, filter_value=1):
    """The 24 hex digits of a GIAI-96 EPC: header 0x34 (8 bits), filter (3),
    partition (3), company prefix, asset reference (integer)."""
    p, pbits, rbits = _GIAI96_PARTITIONS[len(prefix)]
    ref = int(reference)
    assert str(ref) == reference and ref < (1 << rbits), reference
    v = (0x34 << 88) | (filter_value << 85) | (p << 82) | (int(prefix) << (82 - pbits)) | ref
    assert 14 + pbits + rbits == 96
    return "%024X" % v


ASSET_BARCODE = "EQ-PUMP-0007"                  # a printed asset label
GIAI_A = "0614141" + "5678"                     # GIAI = company prefix + asset reference
EPC_A = giai96_hex("0614141", "5678")           # 3434257BF40000000000162E
GIAI_B = "6901234" + "900001"
EPC_B = giai96_hex("6901234", "900001")
SGTIN_EPC = "3074257BF7194E4000001A85"          # SGTIN-96 of GTIN 80614141123458: an item, no asset
EPC_UNKNOWN = giai96_hex("6901234", "900002")   # a tag no registered asset has

# The equipment register: what a scan of each names (asset number, model).
PUMP, SHEARER, CONVEYOR = "P-0042", "P-0043", "P-0044"
MODEL = {PUMP: "乳化液泵", SHEARER: "采煤机", CONVEYOR: "刮板输送机"}
EQUIPMENT = ("asset,model,item,giai,barcode,unit,active\n"
             "%s,乳化液泵,,%s,,,yes\n"
             "%s,采煤机,,,%s,A3,yes\n"
             "%s,刮板输送机,,%s,,A3,yes\n"
             "P-0099,旧水泵,,,EQ-OLD-1,,no\n"
             % (PUMP, GIAI_A, SHEARER, ASSET_BARCODE, CONVEYOR, GIAI_B))
MODELS = "item,name\n%s,单体液压支柱 DW35\n" % PROP
MASTER = [("units", UNITS), ("warehouses", WAREHOUSES), ("items", ITEMS), ("operators", OPERATORS),
          ("plans", PLANS), ("equipment", EQUIPMENT), ("models", MODELS)]


# --------------------------------------------------------------------------
# local helpers (the harness has none for the counter)

def import_master(test, server):
    """The master data, imported with the real CLI against the server's config."""
    version = 0
    for kind, text in MASTER:
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
        version = int(m.group(3))
    test.assertEqual(version, len(MASTER))
    return version


class Counter(test_counter_session.Counter):
    """The session tests' counter, with each line's equipment result too."""

    def lines(self):
        return [(l["item"], l["qty"], l["result"]) for l in self.view()["lines"]]


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


JOURNAL_COLS = ("seq", "status", "type", "operator", "warehouse", "item", "qty", "to_wh", "action",
                "to_unit", "asset", "step", "result", "unit", "ref", "line", "lines", "book_qty")


def server_journal(db_path, terminal):
    """The server's journal rows of `terminal` as dicts, in seq order."""
    con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=30)
    try:
        rows = con.execute("SELECT %s FROM event WHERE terminal = ? ORDER BY seq" % ", ".join(JOURNAL_COLS),
                           (terminal,)).fetchall()
    finally:
        con.close()
    return [dict(zip(JOURNAL_COLS, r)) for r in rows]


def document(first_seq, operator, typ, bodies):
    """The expected outbox events of one document: each body plus line/lines."""
    n = len(bodies)
    return [(first_seq + k, {"operator": operator, "type": typ, "body": dict(b, line=k + 1, lines=n)})
            for k, b in enumerate(bodies)]


def journal_row(seq, ev, status="applied", book_qty=None):
    """The journal row an outbox event should become."""
    b = ev["body"]
    return {"seq": seq, "status": status, "type": ev["type"], "operator": ev["operator"],
            "warehouse": b.get("warehouse"), "item": b.get("item"),
            "qty": h.qty_to_milli(b["qty"]) if "qty" in b else None, "to_wh": b.get("to"),
            "action": b.get("action"), "to_unit": b.get("to_unit"), "asset": b.get("asset"),
            "step": b.get("step"), "result": b.get("result"), "unit": b.get("unit"),
            "ref": b.get("ref"), "line": b["line"], "lines": b["lines"], "book_qty": book_qty}


class CounterModes(unittest.TestCase):
    # -- shared steps

    @contextlib.contextmanager
    def started(self, name):
        """A cluster whose terminal T01 holds the master data: imported while
        the server is down, so the terminal's first answered request (when
        the server comes online) brings all of it.  Yields (cluster, Counter)."""
        with h.Cluster(["T01"], name=name, start_server=False) as c:
            version = import_master(self, c.server)
            c.server.start()
            h.wait_until(lambda: c.t("T01").status()["master_version"] == version, h.scaled(30),
                         "terminal T01 at master version %d" % version, interval=0.1)
            yield c, Counter(self, c.t("T01"))

    def assert_outbox(self, terminal, expected):
        got = outbox_events(terminal)
        self.assertEqual([s for s, _ in got], list(range(1, len(got) + 1)), "outbox seqs have gaps")
        self.assertEqual(len(got), len(expected), "outbox holds %d events: %r" % (len(got), got))
        for (seq, ev), (eseq, exp) in zip(got, expected):
            self.assertEqual(seq, eseq)
            self.assertEqual((ev["operator"], ev["type"]), (exp["operator"], exp["type"]), "seq %d: %r" % (seq, ev))
            # the body compared whole: no field missing, none extra
            self.assertEqual(ev["body"], exp["body"], "seq %d" % seq)
            self.assertIsInstance(ev["ts"], int)
        return got

    def sync(self, c, last):
        st = c.t("T01").wait_synced(expect_last=last)
        self.assertEqual(c.server.applied_seq("T01"), last)
        return st

    def receive_docs(self, k, wh, lines):
        """Receipts to have stock, one document per plan serial:
        lines = [(plan serial, barcode, qty text)]."""
        k.code("TT:MODE:receive", "计划序号")
        k.code("TT:WH:%s" % wh, wh)
        for ref, barcode, qty in lines:
            k.key(ref, "计划 %s" % ref)
            k.key(qty)
            k.code(barcode, "× %s" % qty)
            k.code("TT:COMMIT", "已提交 1 行")

    def cards_not_taken(self, k, cards, word="此业务不用此卡"):
        """Cards this mode does not take: refused, nothing changes."""
        before = k.view()
        for card in cards:
            k.code_refused(card, word if not card.startswith("TT:UNIT:") else "此业务不用工区卡")
        after = k.view()
        for f in ("mode", "warehouse", "unit", "to", "action", "to_unit", "next_result", "lines"):
            self.assertEqual(after[f], before[f], "%s changed by a refused card" % f)

    # -- return and transfer

    def test_return_and_transfer(self):
        with self.started("counter_return_transfer") as (c, k):
            t, srv = c.t("T01"), c.server

            k.code("B0001", "zhang3")
            self.receive_docs(k, "W01", [("P-1", ITEM1, "20"), ("P-1B", ITEM2, "10")])
            rec = (document(1, "zhang3", "receive", [{"warehouse": "W01", "item": ITEM1, "qty": "20", "ref": "P-1"}])
                   + document(2, "zhang3", "receive", [
                       {"warehouse": "W01", "item": ITEM2_CODE, "qty": "10", "ref": "P-1B"}]))

            # -- return (交旧): warehouse and work area, then old items
            self.assertEqual(k.code("TT:MODE:return"), "交旧：请扫 物资条码")
            self.assertEqual(k.view()["warehouse"], "W01")       # a mode keeps the warehouse
            k.code("TT:WH:W02", "W02")
            k.code_refused(ITEM1, "请先扫工区卡")
            self.cards_not_taken(k, ["TT:TO:W01", "TT:ACT:draw", "TT:TOUNIT:A4", "TT:RES:pass"])
            k.code_refused("TT:UNIT:Z9", "未知工区：Z9")
            k.code("TT:UNIT:A3", "A3")
            k.key_refused("0", "数量无效")                        # only a count takes 0
            k.key("3", "3")                                      # no reference to ask for: a quantity
            self.assertEqual(k.view()["ref"], "")
            self.assertEqual(k.code(ITEM1), line_text(1, ITEM1, "3"))
            k.code_refused(UNKNOWN_EAN, "未知条码")
            k.code_refused(LAMP_OLD, "物资已停用")
            self.assertEqual(k.code(ITEM2), line_text(2, ITEM2_CODE, "1"))
            k.code_refused("TT:UNIT:A4", "请先提交或取消")         # lines exist: the work area is fixed
            k.code("TT:COMMIT", "已提交 2 行", "#3")
            v = k.view()
            self.assertEqual((v["lines"], v["unit"], v["mode"], v["warehouse"]), ([], "", "return", "W02"))
            ret = document(3, "zhang3", "return", [
                {"warehouse": "W02", "item": ITEM1, "qty": "3", "unit": "A3"},
                {"warehouse": "W02", "item": ITEM2_CODE, "qty": "1", "unit": "A3"}])
            self.assert_outbox(t, rec + ret)

            # -- transfer (调拨): from W01 to W02
            self.assertEqual(k.code("TT:MODE:transfer"), "调拨：请扫 物资条码")
            k.code("TT:WH:W01", "W01")
            self.assertEqual(k.view()["to"], "")
            k.code_refused(ITEM1, "请先扫调入仓库卡")
            self.cards_not_taken(k, ["TT:UNIT:A3", "TT:ACT:draw", "TT:TOUNIT:A4", "TT:RES:pass"])
            k.code_refused("TT:TO:W01", "调出与调入仓库相同")
            k.code_refused("TT:TO:W99", "未知仓库：W99")
            k.code_refused("TT:TO:a/b", "未知操作卡")
            self.assertEqual(k.view()["to"], "")
            self.assertEqual(k.code("TT:TO:W02"), "调入仓库 W02")
            self.assertEqual(k.view()["to"], "W02")
            k.key("7.5")
            self.assertEqual(k.code(ITEM1), line_text(1, ITEM1, "7.5"))
            k.key("10")
            self.assertEqual(k.code(ITEM2), line_text(2, ITEM2_CODE, "10"))   # all of it
            k.code_refused("TT:TO:W03", "请先提交或取消")
            k.code_refused("TT:WH:W03", "请先提交或取消")
            k.code("TT:COMMIT", "已提交 2 行", "#5")
            self.assertEqual(k.view()["to"], "", "the destination belongs to the document")
            trf = document(5, "zhang3", "transfer", [
                {"warehouse": "W01", "item": ITEM1, "qty": "7.5", "to": "W02"},
                {"warehouse": "W01", "item": ITEM2_CODE, "qty": "10", "to": "W02"}])

            # a second transfer, by a secondary barcode, the other way
            k.code_refused(ITEM1, "请先扫调入仓库卡")            # a new document needs its destination again
            k.code("TT:WH:W02")
            k.code_refused("TT:TO:W02", "调出与调入仓库相同")
            k.code("TT:TO:W01")
            k.key("0.5")
            self.assertEqual(k.code(ITEM1_ALT), line_text(1, ITEM1, "0.5"))
            k.code("TT:COMMIT", "已提交 1 行", "#7")
            trf2 = document(7, "zhang3", "transfer", [{"warehouse": "W02", "item": ITEM1, "qty": "0.5", "to": "W01"}])

            expected = rec + ret + trf + trf2
            self.assert_outbox(t, expected)
            st = self.sync(c, 7)
            self.assertEqual(st["rejected"], 0, st)
            want = {("W01", ITEM1): 20000 - 7500 + 500, ("W01", ITEM2_CODE): 0,
                    ("W02", ITEM1): 7500 - 500, ("W02", ITEM2_CODE): 10000}
            h.assert_stock_equal(self, want, srv.stock(), c)      # the return moved nothing
            self.assertEqual(server_journal(srv.db, "T01"), [journal_row(s, e) for s, e in expected])

            # -- a transfer beyond the stock: the terminal takes the line (with
            # or without a local stock warning, depending on its snapshot), the
            # server refuses it and nothing moves
            k.code("TT:WH:W01")
            k.code("TT:TO:W02")

            # The local stock view: the server's snapshot (asked for after
            # acks, at most every 10 s) plus this terminal's later events.
            # A line shows it; once it says 13, a transfer of 100 is warned.
            def view_stock():
                k.code(ITEM1)
                stock = k.view()["lines"][-1].get("stock")
                k.code("TT:UNDO")
                return stock == "13"
            h.wait_until(view_stock, h.scaled(20), "the local stock view of %s in W01 at 13" % ITEM1,
                         interval=0.5)
            k.key("100")
            reply = t.raw("code " + ITEM1)
            self.assertTrue(reply.startswith("err refused ") and "超出本地库存" in reply, reply)
            self.assertIn("可用 13", reply)
            self.assertEqual([(l[0], l[1]) for l in k.lines()], [(ITEM1, "100")])
            k.code("TT:COMMIT", "已提交 1 行", "#8")
            st = self.sync(c, 8)
            self.assertEqual(st["rejected"], 1, st)
            why = t.cmd("rejection 8")
            self.assertIn("insufficient stock of %s in W01: on hand 13, short 87" % ITEM1, why)
            h.assert_stock_equal(self, want, srv.stock(), c)
            last = server_journal(srv.db, "T01")[-1]
            self.assertEqual((last["seq"], last["status"]), (8, "rejected"), last)

    def test_transfer_source_card_cannot_equal_destination(self):
        """BUG pin: TT:TO:W02 is refused while the warehouse is W02, but a
        TT:WH:W02 scanned after TT:TO:W02 is taken, and the document then
        cannot be stored (a transfer needs two warehouses)."""
        with self.started("counter_transfer_same") as (c, k):
            t = c.t("T01")
            k.code("TT:OP:zhang3")
            self.receive_docs(k, "W02", [("P-2", ITEM1, "5")])
            k.code("TT:MODE:transfer")
            k.code("TT:WH:W01")
            k.code("TT:TO:W02", "W02")
            reply = t.raw("code TT:WH:W02")
            v = k.view()
            if reply.startswith("ok "):
                # taken: then the document must still be storable, which it is not
                k.key("1")
                k.code(ITEM1)
                commit = t.raw("code TT:COMMIT")
                self.fail("TT:WH:W02 after TT:TO:W02 was accepted (%r; view warehouse %r, to %r); "
                          "the commit then answered %r and the outbox holds %d events (expected: "
                          "the card refused with 调出与调入仓库相同)"
                          % (reply, v["warehouse"], v["to"], commit, len(outbox_events(t))))
            self.assertIn("调出与调入仓库相同", reply)
            self.assertEqual((v["warehouse"], v["to"]), ("W01", "W02"))

    # -- count

    def test_count(self):
        with self.started("counter_count") as (c, k):
            t, srv = c.t("T01"), c.server

            k.code("TT:OP:zhang3")
            self.assertEqual(k.code("TT:MODE:count"), "盘点：请扫 物资条码")
            k.code_refused(ITEM1, "请先扫仓库卡")                 # the sim terminal has no default warehouse
            self.cards_not_taken(k, ["TT:UNIT:A3", "TT:TO:W02", "TT:ACT:draw", "TT:TOUNIT:A4", "TT:RES:pass"])
            self.receive_docs(k, "W01", [("P-9", ITEM1, "20"), ("P-9B", CABLE, "4")])
            rec = (document(1, "zhang3", "receive", [{"warehouse": "W01", "item": ITEM1, "qty": "20", "ref": "P-9"}])
                   + document(2, "zhang3", "receive", [{"warehouse": "W01", "item": CABLE, "qty": "4", "ref": "P-9B"}]))

            k.code("TT:MODE:count")
            self.assertEqual(k.view()["warehouse"], "W01")
            self.assertEqual(k.key("0"), "下一件数量 0")          # nothing on the shelf is an answer
            self.assertEqual(k.code(CABLE), line_text(1, CABLE, "0"))
            k.key_refused("-1", "数量无效")
            k.key_refused("1.2345", "数量无效")
            k.key("19")
            self.assertEqual(k.code(ITEM1), line_text(2, ITEM1, "19"))
            self.assertEqual(k.code(ITEM3), line_text(3, ITEM3, "1"))   # on no record: book 0
            k.key("0")
            self.assertEqual(k.code(ITEM1_ALT), line_text(4, ITEM1, "0"))
            k.code("TT:UNDO", "撤销")
            self.assertEqual(k.lines(), [(CABLE, "0", ""), (ITEM1, "19", ""), (ITEM3, "1", "")])
            k.code("TT:COMMIT", "已提交 3 行", "#3")
            cnt1 = document(3, "zhang3", "count", [
                {"warehouse": "W01", "item": CABLE, "qty": "0"},
                {"warehouse": "W01", "item": ITEM1, "qty": "19"},
                {"warehouse": "W01", "item": ITEM3, "qty": "1"}])

            # an issue between two counts: the second count's book is what is left
            k.code("TT:MODE:issue")
            k.code("TT:UNIT:A3")
            k.key("R-1")
            k.key("5")
            k.code(ITEM1, "× 5")
            k.code("TT:COMMIT", "已提交 1 行", "#6")
            iss = document(6, "zhang3", "issue", [{"warehouse": "W01", "item": ITEM1, "qty": "5", "unit": "A3", "ref": "R-1"}])
            k.code("TT:MODE:count")
            k.key("15.5")
            k.code(ITEM1, "× 15.5")
            k.code("TT:COMMIT", "已提交 1 行", "#7")
            cnt2 = document(7, "zhang3", "count", [{"warehouse": "W01", "item": ITEM1, "qty": "15.5"}])

            expected = rec + cnt1 + iss + cnt2
            self.assert_outbox(t, expected)
            st = self.sync(c, 7)
            self.assertEqual(st["rejected"], 0, st)
            book = {3: 4000, 4: 20000, 5: 0, 7: 15000}       # the stock on record when each count was applied
            self.assertEqual(server_journal(srv.db, "T01"),
                             [journal_row(s, e, book_qty=book.get(s)) for s, e in expected])
            # a count changes no stock (a correction is the office's document)
            h.assert_stock_equal(self, {("W01", ITEM1): 15000, ("W01", CABLE): 4000}, srv.stock(), c)

    # -- revolving materials

    def test_revolve_actions(self):
        with self.started("counter_revolve") as (c, k):
            t, srv = c.t("T01"), c.server

            k.code("B0001", "zhang3")
            self.assertEqual(k.code("TT:MODE:revolve"), "周转材料：请扫 物资条码")
            k.code_refused(PROP, "请先扫仓库卡")
            self.receive_docs(k, "W01", [("P-5", PROP_BARCODE, "50")])
            rec = document(1, "zhang3", "receive", [{"warehouse": "W01", "item": PROP, "qty": "50", "ref": "P-5"}])

            k.code("TT:MODE:revolve")
            self.cards_not_taken(k, ["TT:TO:W02", "TT:RES:pass", "TT:RES:in_use"])
            k.code_refused(PROP, "请先扫工区卡")
            k.code("TT:UNIT:A3", "A3")
            k.code_refused(PROP, "请先扫周转材料业务卡")
            k.code_refused("TT:ACT:fly", "未知操作卡")
            k.code_refused("TT:ACT:Draw", "未知操作卡")
            self.assertEqual(k.view()["action"], "")

            # draw: two lines; the action card is needed again for each document
            k.code("TT:UNIT:A3", "A3")
            k.code_refused(PROP, "请先扫周转材料业务卡")
            k.code("TT:ACT:draw", "draw")
            k.key("10")
            self.assertEqual(k.code(PROP), line_text(1, PROP, "10"))
            self.assertEqual(k.code(PROP_BARCODE), line_text(2, PROP, "1"))
            k.code("TT:COMMIT", "已提交 2 行", "#2")
            docs = [document(2, "zhang3", "revolve", [
                {"warehouse": "W01", "item": PROP, "qty": "10", "action": "draw", "unit": "A3"},
                {"warehouse": "W01", "item": PROP, "qty": "1", "action": "draw", "unit": "A3"}])]

            # handover: without the receiving unit nothing is taken
            k.code("TT:UNIT:A3")
            self.assertEqual(k.code("TT:ACT:handover"), "业务 handover")
            k.code_refused(PROP, "交接：请先扫接收单位卡")
            k.code_refused("TT:COMMIT", "单据为空")
            k.code_refused("TT:TOUNIT:Z9", "未知工区：Z9")
            self.assertEqual(k.code("TT:TOUNIT:A4"), "接收单位 A4")
            k.key("6")
            self.assertEqual(k.code(PROP_BARCODE), line_text(1, PROP, "6"))
            k.code_refused("TT:ACT:loss", "请先提交或取消")        # the action is the document's
            k.code_refused("TT:TOUNIT:A3", "请先提交或取消")
            k.code("TT:COMMIT", "已提交 1 行", "#4")
            v = k.view()
            self.assertEqual((v["action"], v["to_unit"], v["unit"]), ("", "", ""))
            docs.append(document(4, "zhang3", "revolve", [
                {"warehouse": "W01", "item": PROP, "qty": "6", "action": "handover", "to_unit": "A4", "unit": "A3"}]))

            # a receiving unit scanned before the handover card is kept; another
            # action drops it
            k.code("TT:UNIT:A3")
            k.code("TT:TOUNIT:A4", "A4")
            k.code("TT:ACT:handover")
            self.assertEqual(k.view()["to_unit"], "A4")
            k.code("TT:ACT:loss", "loss")
            self.assertEqual(k.view()["to_unit"], "", "a loss has no receiving unit")
            k.key("2")
            k.code(PROP, "× 2")
            k.code("TT:COMMIT", "已提交 1 行", "#5")
            docs.append(document(5, "zhang3", "revolve", [
                {"warehouse": "W01", "item": PROP, "qty": "2", "action": "loss", "unit": "A3"}]))

            for seq, action in ((6, "burial"), (7, "scrap")):
                k.code("TT:UNIT:A3")
                k.code("TT:ACT:%s" % action, action)
                k.key("0.5")
                k.code(PROP, "× 0.5")
                k.code("TT:COMMIT", "已提交 1 行", "#%d" % seq)
                docs.append(document(seq, "zhang3", "revolve", [
                    {"warehouse": "W01", "item": PROP, "qty": "0.5", "action": action, "unit": "A3"}]))

            expected = rec + [e for d in docs for e in d]
            self.assert_outbox(t, expected)
            self.assertEqual(sorted({e["body"]["action"] for _, e in expected if e["type"] == "revolve"}),
                             ["burial", "draw", "handover", "loss", "scrap"])
            st = self.sync(c, 7)
            self.assertEqual(st["rejected"], 0, st)
            self.assertEqual(server_journal(srv.db, "T01"), [journal_row(s, e) for s, e in expected])
            # a draw is an issue from the warehouse; the rest moves between
            # the units' sub-ledgers (server/revolve.h): A3 drew 11, handed 6
            # over (in transit: A4 has not confirmed), lost 2, buried and
            # scrapped 0.5 each
            h.assert_stock_equal(self, {("W01", PROP): 39000}, srv.stock(), c)
            con = sqlite3.connect("file:%s?mode=ro" % srv.db, uri=True, timeout=30)
            try:
                self.assertEqual(con.execute("SELECT unit, qty FROM rv_balance WHERE model = ? ORDER BY unit",
                                             (PROP,)).fetchall(), [("A3", 2000)])
                self.assertEqual(con.execute("SELECT qty FROM rv_general WHERE model = ?", (PROP,)).fetchall(),
                                 [(8000,)])
                self.assertEqual(con.execute("SELECT from_unit, to_unit, qty FROM rv_transit WHERE settled IS NULL")
                                 .fetchall(), [("A3", "A4", 6000)])
            finally:
                con.close()

    def test_revolve_to_unit_only_with_handover(self):
        """BUG pin: TT:TOUNIT is taken whatever the action, and kept when it
        comes after TT:ACT:draw; the draw then carries a to_unit, which an
        event may only have for a handover, and the document cannot be
        stored.  Whatever the fix (refuse the card, or drop it), a draw
        document must commit without a to_unit."""
        with self.started("counter_revolve_tounit") as (c, k):
            t = c.t("T01")
            k.code("TT:OP:zhang3")
            k.code("TT:MODE:revolve")
            k.code("TT:WH:W01")
            k.code("TT:UNIT:A3")
            k.code("TT:ACT:draw")
            tounit = t.raw("code TT:TOUNIT:A4")
            view_after = k.view()
            k.key("3")
            k.code(PROP)
            commit = t.raw("code TT:COMMIT")
            events = outbox_events(t)
            self.assertTrue(commit.startswith("ok 已提交 1 行"),
                            "after TT:ACT:draw, TT:TOUNIT:A4 answered %r (view to_unit %r); the commit "
                            "answered %r and the outbox holds %r" % (tounit, view_after["to_unit"], commit, events))
            self.assertEqual(events[0][1]["body"], {"warehouse": "W01", "item": PROP, "qty": "3", "action": "draw",
                                                    "unit": "A3", "line": 1, "lines": 1})

    # -- equipment at the repair bay

    def test_equipment_steps(self):
        self.assertEqual(EPC_A, "3434257BF40000000000162E")     # the layout, checked once by hand
        with self.started("counter_equipment") as (c, k):
            t, srv = c.t("T01"), c.server

            self.assertEqual(k.code("B0002"), "操作员 li4 已登录")

            # -- appraisal (鉴定): major | medium | minor
            self.assertEqual(k.code("TT:MODE:appraisal"), "鉴定：请扫 设备标签")
            # scanned before its cards: shown with its state, not taken
            self.assertEqual(k.code(ASSET_BARCODE), "设备 P-0043 采煤机：在用（A3）；请先扫结果卡")
            self.cards_not_taken(k, ["TT:TO:W02", "TT:ACT:draw", "TT:TOUNIT:A4"])
            k.code_refused("TT:UNIT:Z9", "未知工区：Z9")
            self.assertEqual(k.code("TT:UNIT:A3"), "送修单位 A3")   # sent in by A3
            for wrong in ("pass", "fail", "in_use", "standby", "MAJOR", "bad"):
                k.code_refused("TT:RES:%s" % wrong, "此步骤没有这个结果：%s" % wrong)
            self.assertEqual(k.view()["next_result"], "")
            self.assertEqual(k.code("TT:RES:major"), "结果 major")
            k.key_refused("1", "数量无效")                          # assets have no quantity
            # a printed label: the register names its asset
            self.assertEqual(k.code(ASSET_BARCODE), asset_text(1, SHEARER, "major"))
            k.code("TT:RES:minor")                                  # results change between assets
            # an RFID read: its GIAI names the asset
            self.assertEqual(k.code(EPC_A), asset_text(2, PUMP, "minor"))
            k.code_refused(SGTIN_EPC, "请扫设备标签")                # an item's tag is no asset
            # assets the register does not have, or has retired
            k.code_refused(EPC_UNKNOWN, "未知设备：%s" % ("6901234" + "900002"))
            k.code_refused("EQ-NOPE", "未知设备：EQ-NOPE")
            k.code_refused(GIAI_A, "未知设备")                      # a GIAI is read from the tag only
            k.code_refused("EQ-OLD-1", "设备已停用：P-0099 旧水泵")
            k.code("TT:RES:medium")
            self.assertEqual(k.code(EPC_B.lower()), asset_text(3, CONVEYOR, "medium"))
            self.assertEqual(k.lines(), [(SHEARER, "0", "major"), (PUMP, "0", "minor"), (CONVEYOR, "0", "medium")])
            self.assertEqual([l["name"] for l in k.view()["lines"]], ["采煤机", "乳化液泵", "刮板输送机"])
            k.code("TT:COMMIT", "已提交 3 行", "#1")
            docs = [document(1, "li4", "equipment", [
                {"asset": SHEARER, "step": "appraisal", "result": "major", "unit": "A3"},
                {"asset": PUMP, "step": "appraisal", "result": "minor", "unit": "A3"},
                {"asset": CONVEYOR, "step": "appraisal", "result": "medium", "unit": "A3"}])]
            rejected = {}

            # -- selfcheck (自检) and acceptance (验收): pass | fail
            for step, first in (("selfcheck", 4), ("acceptance", 6)):
                label = {"selfcheck": "自检", "acceptance": "验收"}[step]
                self.assertEqual(k.code("TT:MODE:%s" % step), "%s：请扫 设备标签" % label)
                self.assertEqual(k.view()["next_result"], "", "a new document asks for its result")
                # shown before its result card, with this terminal's own last step
                self.assertEqual(k.code(EPC_A), "设备 P-0042 乳化液泵：%s；请先扫结果卡"
                                 % {"selfcheck": "在修（A3），上次 鉴定 minor",
                                    "acceptance": "库存（A3），上次 自检 pass"}[step])
                for wrong in ("major", "minor", "in_use", "standby"):
                    k.code_refused("TT:RES:%s" % wrong, "此步骤没有这个结果")
                k.code_refused("TT:UNIT:A3", "此业务不用工区卡")
                k.code("TT:RES:pass", "pass")
                self.assertEqual(k.code(EPC_A), asset_text(1, PUMP, "pass"))
                k.code_refused(SGTIN_EPC, "请扫设备标签")
                k.code("TT:RES:fail", "fail")
                # the asset number printed on the plate names it too
                if step == "selfcheck":
                    self.assertEqual(k.code(SHEARER), asset_text(2, SHEARER, "fail"))
                else:   # its self-check failed: warned, taken, refused by the server
                    k.code_refused(SHEARER, asset_text(2, SHEARER, "fail") + "（注意：未经自检合格（在修）")
                    rejected[first + 1] = "not passed a self-check"
                k.code("TT:COMMIT", "已提交 2 行", "#%d" % first)
                docs.append(document(first, "li4", "equipment", [
                    {"asset": PUMP, "step": step, "result": "pass"},
                    {"asset": SHEARER, "step": step, "result": "fail"}]))

            # -- equip-issue (设备出库): in_use | standby, to a work area
            self.assertEqual(k.code("TT:MODE:equip-issue"), "设备出库：请扫 设备标签")
            k.code_refused("TT:RES:pass", "此步骤没有这个结果：pass")
            k.code("TT:RES:in_use", "in_use")
            k.code(EPC_B, "设备 P-0044 刮板输送机：在修（A3）", "请先扫工区卡")
            k.code_refused("TT:UNIT:Z9", "未知工区：Z9")
            k.code("TT:UNIT:A3", "A3")
            # accepted: issued; in repair (never checked): warned and refused
            self.assertEqual(k.code(EPC_A), asset_text(1, PUMP, "in_use"))
            k.code("TT:RES:standby")
            k.code_refused(ASSET_BARCODE, asset_text(2, SHEARER, "standby") + "（注意：未验收（在修）")
            rejected[9] = "not accepted"
            k.code_refused(SGTIN_EPC, "请扫设备标签")
            k.code_refused("EQ-OLD-1", "设备已停用")
            k.code_refused("TT:UNIT:A4", "请先提交或取消")
            k.code("TT:COMMIT", "已提交 2 行", "#8")
            docs.append(document(8, "li4", "equipment", [
                {"asset": PUMP, "step": "issue", "result": "in_use", "unit": "A3"},
                {"asset": SHEARER, "step": "issue", "result": "standby", "unit": "A3"}]))

            # an asset tag is no item: refused in the stock modes
            k.code("TT:MODE:receive")
            k.code("TT:WH:W01")
            k.key("P-7", "锚杆")
            k.code_refused(EPC_A, "这是设备标签 %s，不是物资" % GIAI_A)
            k.code_refused(CABLE, "不在计划 P-7 中")
            self.assertEqual(k.view()["lines"], [])

            expected = [e for d in docs for e in d]
            self.assert_outbox(t, expected)
            st = self.sync(c, 9)
            self.assertEqual(st["rejected"], len(rejected), st)
            self.assertEqual(server_journal(srv.db, "T01"),
                             [journal_row(s, e, "rejected" if s in rejected else "applied")
                              for s, e in expected])
            for seq, why in rejected.items():
                self.assertIn(why, t.cmd("rejection %d" % seq))
            self.assertEqual(srv.stock(), {}, "equipment steps move no stock")


if __name__ == "__main__":
    h.main()
