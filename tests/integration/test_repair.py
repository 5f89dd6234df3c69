"""The repair lifecycle end to end (issue 5, docs/repair.md): a sim repair-bay
terminal scans every step of one asset (appraisal major, a failed
self-check, a passed one, acceptance, issue as standby) and one step out of
order; after sync the server has applied the steps as repair documents of
origin terminal (moving the asset's state), kept the refused one as an
exception with its reason, and the equipment archive through the API lists
each step with who and when (the repairapi JSON: columns, rows, count;
and CSV), the register by state and unit, and the cycle times.

The counter is driven through the terminal's control socket as in
test_counter_modes.py, whose master-data import and counter helpers this
reuses; the register here has an asset in no unit (P-0050: appraised
without an intake) and one in use at A3 (P-0042)."""

import contextlib
import os
import re
import sqlite3
import subprocess
import unittest
import urllib.request

import harness as h
import test_counter_modes as cm

EQUIPMENT = ("asset,model,item,giai,barcode,unit,active\n"
             "P-0050,采煤机,,,EQ-SHEARER-50,,yes\n"
             "P-0042,乳化液泵,,,EQ-PUMP-42,A3,yes\n")
MASTER = [("units", cm.UNITS), ("warehouses", cm.WAREHOUSES), ("items", cm.ITEMS),
          ("operators", cm.OPERATORS), ("plans", cm.PLANS), ("equipment", EQUIPMENT)]


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


def repair_docs(db_path, asset):
    con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=30)
    try:
        return con.execute("SELECT kind, result, operator, origin, terminal, seq, state, unit"
                           " FROM repair_doc WHERE asset = ? ORDER BY id", (asset,)).fetchall()
    finally:
        con.close()


def journal(db_path, terminal):
    con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=30)
    try:
        return con.execute("SELECT seq, status, step, asset FROM event WHERE terminal = ?"
                           " ORDER BY seq", (terminal,)).fetchall()
    finally:
        con.close()


class Repair(unittest.TestCase):

    @contextlib.contextmanager
    def started(self, name):
        with h.Cluster(["T01"], name=name, start_server=False) as c:
            version = import_master(self, c.server)
            c.server.start()
            h.wait_until(lambda: c.t("T01").status()["master_version"] == version, h.scaled(30),
                         "terminal T01 at master version %d" % version, interval=0.1)
            yield c, cm.Counter(self, c.t("T01"))

    def step(self, k, mode, result, asset, unit=None):
        """One document of one line: mode, result card, (unit card), the asset."""
        k.code("TT:MODE:%s" % mode)
        k.code("TT:RES:%s" % result)
        if unit:
            k.code("TT:UNIT:%s" % unit)
        # The terminal may warn (注意) about a step its own view of the
        # asset's state says the server will refuse; the line is taken and
        # the server decides.
        reply = k.t.raw("code " + asset)
        self.assertTrue(reply.startswith("ok ") or "注意" in reply, reply)
        k.code("TT:COMMIT", "已提交 1 行")

    def test_scanned_lifecycle_synced_and_archived(self):
        with self.started("repair_lifecycle") as (c, k):
            srv = c.server
            self.assertEqual(k.code("B0002"), "操作员 li4 已登录")
            self.step(k, "appraisal", "major", "EQ-SHEARER-50")       # seq 1, by its barcode
            self.step(k, "selfcheck", "fail", "P-0050")               # 2: stays in repair
            self.step(k, "selfcheck", "pass", "P-0050")               # 3: in stock
            self.step(k, "acceptance", "pass", "P-0050")              # 4: accepted
            self.step(k, "equip-issue", "standby", "P-0050", "A3")    # 5: standby at A3
            self.step(k, "acceptance", "pass", "EQ-PUMP-42")          # 6: in use at A3: refused
            st = c.t("T01").wait_synced(expect_last=6)
            self.assertEqual(srv.applied_seq("T01"), 6)
            self.assertEqual(st["rejected"], 1, st)

            # the repair documents the steps became, in order, with who and where
            self.assertEqual(repair_docs(srv.db, "P-0050"), [
                ("appraisal", "major", "li4", "terminal", "T01", 1, "in_repair", None),
                ("selfcheck", "fail", "li4", "terminal", "T01", 2, "in_repair", None),
                ("selfcheck", "pass", "li4", "terminal", "T01", 3, "in_stock", None),
                ("acceptance", "pass", "li4", "terminal", "T01", 4, "accepted", None),
                ("issue", "standby", "li4", "terminal", "T01", 5, "standby", "A3")])
            self.assertEqual(repair_docs(srv.db, "P-0042"), [], "a refused step writes nothing")
            self.assertEqual([r[:2] for r in journal(srv.db, "T01")],
                             [(1, "applied"), (2, "applied"), (3, "applied"), (4, "applied"),
                              (5, "applied"), (6, "rejected")])

            # the refused step is an exception, with its reason
            rej = srv.rejections("T01")["events"]
            self.assertEqual([e["seq"] for e in rej], [6], rej)
            self.assertIn("P-0042", rej[0]["reason"])

            # the archive through the API (server/repairapi.c): every step as a
            # repair document, who and when, in the export's JSON form
            arch = srv.get("/api/v1/equipment/archive?asset=P-0050")
            self.assertEqual(set(arch), {"columns", "rows", "totals", "count", "total_rows"}, arch)
            keys = [col["key"] for col in arch["columns"]]
            for k in ("id", "repair", "asset", "kind", "result", "operator", "people", "day", "at_ms",
                      "origin", "terminal", "seq", "unit", "state", "labour", "consumables",
                      "consumable_lines", "ledger_doc"):
                self.assertIn(k, keys)
            rows = arch["rows"]
            self.assertEqual(arch["count"], len(rows))
            self.assertEqual([(r["kind"], r["result"], r["operator"], r["origin"], r["terminal"], r["seq"],
                               r["state"], r["unit"]) for r in rows],
                             [("appraisal", "major", "li4", "terminal", "T01", 1, "in_repair", ""),
                              ("selfcheck", "fail", "li4", "terminal", "T01", 2, "in_repair", ""),
                              ("selfcheck", "pass", "li4", "terminal", "T01", 3, "in_stock", ""),
                              ("acceptance", "pass", "li4", "terminal", "T01", 4, "accepted", ""),
                              ("issue", "standby", "li4", "terminal", "T01", 5, "standby", "A3")])
            self.assertEqual({r["asset"] for r in rows}, {"P-0050"})
            self.assertEqual(len({r["repair"] for r in rows}), 1, "one repair")
            for r in rows:
                self.assertIsInstance(r["at_ms"], int)
                self.assertGreater(r["at_ms"], 0)
                self.assertRegex(r["day"], r"^\d{4}-\d{2}-\d{2}$")
            # the same archive by its barcode, as CSV with English headers
            req = urllib.request.Request(srv.url("/api/v1/equipment/archive?tag=EQ-SHEARER-50"
                                                 "&format=csv&lang=en"),
                                         headers={"Authorization": "Bearer " + srv.token})
            with urllib.request.urlopen(req, timeout=h.scaled(15)) as r:
                self.assertEqual(r.status, 200)
                headers, body = r.headers, r.read()
            self.assertIn("equipment-archive.csv", headers.get("Content-Disposition", ""))
            text = body.decode("utf-8-sig").splitlines()
            self.assertTrue(text[0].startswith("document,repair,asset,model,kind,result"), text[0])
            self.assertEqual(len(text), 6)

            # the register by state and unit, and the cycle times
            reg = srv.get("/api/v1/equipment?unit=A3")["rows"]
            self.assertEqual({(r["asset"], r["state"]) for r in reg},
                             {("P-0050", "standby"), ("P-0042", "in_use")})
            self.assertEqual([r["asset"] for r in srv.get("/api/v1/equipment?state=standby")["rows"]],
                             ["P-0050"])
            cyc = srv.get("/api/v1/reports/repair-cycles")["rows"]
            self.assertEqual([(r["stage"], r["repairs"]) for r in cyc],
                             [("appraisal_selfcheck", 1), ("selfcheck_acceptance", 1),
                              ("acceptance_issue", 1)])

if __name__ == "__main__":
    unittest.main()
