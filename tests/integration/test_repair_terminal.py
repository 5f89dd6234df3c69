"""The repair bay's screen (issue 5, docs/protocol.md "Asset states"): a
terminal shows an asset's state and last steps before anyone acts, from
its offline view of equipment states.

Two sim terminals at the repair bay, T01 and T02, with the register
imported before the server starts.  T01 first sees the pump as the
register has it (in use at A3, no steps).  T02 appraises it as sent in by
A3; after the server comes online again (a state sync), T01 shows it in
repair with T02's steps as the server recorded them (the implied intake
too).  With the server down, T01's own passed self-check shows at once,
pending; an issue before acceptance is taken with the terminal's warning,
and the server refuses it when it comes back.  After the sync T01 shows
the state the server holds: in stock, nothing pending, the refused issue
left out.  Everything through the control socket (`code`, `view`)."""

import contextlib
import os
import re
import sqlite3
import subprocess
import unittest

import harness as h
import test_counter_session

UNITS = ("id,name,kind\n"
         "A3,综采三队,work_area\n"
         "A4,掘进四队,work_area\n"
         "XL,修理厂,shop\n")
OPERATORS = ("id,name,role,unit,badge,active\n"
             "li4,李四,repair_fitter,XL,B0002,yes\n"
             "wang5,王五,repair_fitter,XL,B0005,yes\n")
# GIAI 0614141 5678 as a GIAI-96 EPC (layout checked in test_counter_modes.py).
GIAI = "06141415678"
EPC = "3434257BF40000000000162E"
EQUIPMENT = ("asset,model,item,giai,barcode,unit,active\n"
             "P-0042,乳化液泵,,%s,,A3,yes\n"
             "P-0050,采煤机,,,EQ-SHEARER-50,,yes\n" % GIAI)
MASTER = [("units", UNITS), ("operators", OPERATORS), ("equipment", EQUIPMENT)]


def import_master(test, server):
    version = 0
    for kind, text in MASTER:
        path = os.path.join(server.tmpdir, "%s.csv" % kind)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        r = subprocess.run([h.SERVER_BIN, "-c", server.conf, "--import", kind, path],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=h.scaled(120))
        out = r.stdout.decode("utf-8")
        test.assertEqual(r.returncode, 0, "--import %s: %s %s" % (kind, out, r.stderr.decode()))
        version = int(re.fullmatch(r"imported \d+ rows \(\d+ changed\), master version (\d+)\n",
                                   out).group(1))
    return version


def server_state(db_path, asset):
    con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=30)
    try:
        return con.execute("SELECT state, unit FROM equipment_state WHERE asset = ?",
                           (asset,)).fetchone()
    finally:
        con.close()


class RepairTerminal(unittest.TestCase):
    @contextlib.contextmanager
    def started(self):
        with h.Cluster(["T01", "T02"], name="repair_terminal", start_server=False) as c:
            version = import_master(self, c.server)
            c.server.start()
            for tid in ("T01", "T02"):
                h.wait_until(lambda tid=tid: c.t(tid).status()["master_version"] == version,
                             h.scaled(30), "terminal %s at master version %d" % (tid, version),
                             interval=0.1)
            yield c

    def shown(self, k, code):
        """Scans `code` in an equipment mode whose result card is not chosen:
        the screen shows the asset; returns the view's asset."""
        k.code(code, "请先扫结果卡")
        a = k.view()["asset"]
        self.assertIsNotNone(a, "scanning %s shows no asset" % code)
        return a

    def steps(self, a):
        return [(s["step"], s["result"], s["unit"], s["operator"], s["pending"]) for s in a["steps"]]

    def test_states_reach_the_repair_bay(self):
        with self.started() as c:
            t1, t2, srv = c.t("T01"), c.t("T02"), c.server
            k1 = test_counter_session.Counter(self, t1)
            k2 = test_counter_session.Counter(self, t2)

            # -- T01 before anything happened: the register's state
            k1.code("B0002", "li4")
            self.assertEqual(k1.code("TT:MODE:appraisal"), "鉴定：请扫 设备标签")
            self.assertEqual(k1.code(EPC), "设备 P-0042 乳化液泵：在用（A3）；请先扫结果卡")
            a = k1.view()["asset"]
            self.assertEqual((a["asset"], a["model"], a["state"], a["unit"], a["steps"]),
                             ("P-0042", "乳化液泵", "in_use", "A3", []))
            self.assertEqual(self.shown(k1, "EQ-SHEARER-50")["state"], "registered")

            # -- T02 appraises it, sent in by A3 (the intake is implied)
            k2.code("B0005", "wang5")
            k2.code("TT:MODE:appraisal")
            k2.code("TT:UNIT:A3", "送修单位 A3")
            k2.code("TT:RES:major")
            self.assertEqual(k2.code(EPC), "第 1 行：设备 P-0042 乳化液泵 major")
            k2.code("TT:COMMIT", "已提交 1 行")
            t2.wait_synced(expect_last=1)
            self.assertEqual(server_state(srv.db, "P-0042"), ("in_repair", "A3"))

            # -- a state sync (the server back online): T01 shows T02's steps
            srv.stop()
            srv.start()

            def t01_sees_repair():
                a = self.shown(k1, EPC)
                return a if a["state"] == "in_repair" else False
            a = h.wait_until(t01_sees_repair, h.scaled(60), "T01 shows P-0042 in repair",
                             interval=0.3)
            self.assertEqual(a["unit"], "A3")
            self.assertEqual(self.steps(a), [("appraisal", "major", "A3", "wang5", False),
                                             ("intake", "", "A3", "wang5", False)])
            self.assertTrue(all(s["at"] > 0 for s in a["steps"]))
            self.assertIn("上次 鉴定 major", k1.code(EPC))

            # -- offline: T01's own passed self-check shows at once, pending
            srv.stop()
            k1.code("TT:MODE:selfcheck")
            k1.code("TT:RES:pass")
            self.assertEqual(k1.code(EPC), "第 1 行：设备 P-0042 乳化液泵 pass")
            k1.code("TT:COMMIT", "已提交 1 行")
            a = k1.view()["asset"]
            self.assertEqual(a["state"], "in_stock")
            self.assertEqual(self.steps(a)[0], ("selfcheck", "pass", "A3", "li4", True))
            self.assertEqual(self.steps(a)[1:], [("appraisal", "major", "A3", "wang5", False),
                                                 ("intake", "", "A3", "wang5", False)])

            # An issue before acceptance: taken, with the terminal's warning.
            k1.code("TT:MODE:equip-issue")
            k1.code("TT:UNIT:A4")
            k1.code("TT:RES:standby")
            k1.code_refused(EPC, "第 1 行：设备 P-0042 乳化液泵 standby（注意：未验收（库存）")
            self.assertEqual(len(k1.view()["lines"]), 1)
            k1.code("TT:COMMIT", "已提交 1 行")
            self.assertEqual(k1.view()["asset"]["state"], "in_stock")   # not shown as done

            # -- the server back: the self-check applied, the issue refused
            srv.start()
            st = t1.wait_synced(expect_last=2)
            self.assertEqual(st["rejected"], 1)
            self.assertIn("not accepted", t1.cmd("rejection 2"))
            self.assertEqual(server_state(srv.db, "P-0042"), ("in_stock", "A3"))

            k1.code("TT:MODE:acceptance")

            def t01_confirmed():
                a = self.shown(k1, EPC)
                return a if not any(s["pending"] for s in a["steps"]) else False
            a = h.wait_until(t01_confirmed, h.scaled(60), "T01's self-check confirmed",
                             interval=0.3)
            self.assertEqual(a["state"], "in_stock")
            self.assertEqual(self.steps(a), [("selfcheck", "pass", "A3", "li4", False),
                                             ("appraisal", "major", "A3", "wang5", False),
                                             ("intake", "", "A3", "wang5", False)])
            # T02 learns T01's step too, the same way.
            k2.code("TT:MODE:acceptance")
            a = h.wait_until(lambda: (lambda a: a if a["state"] == "in_stock" else False)(
                self.shown(k2, EPC)), h.scaled(90), "T02 shows P-0042 in stock", interval=0.5)
            self.assertEqual(self.steps(a)[0], ("selfcheck", "pass", "A3", "li4", False))


if __name__ == "__main__":
    h.main()
