"""Reports end to end: master data imported, receipts entered by the office
(POST), issues scanned at a sim terminal and synced over MQTT, then the
report routes read over HTTP in JSON, CSV and XLSX, and through `tagtrail
report`.

Hand-computed figures (docs/api.md, "Reports"): R1 10 BOOT @ 100.00 on plan
line P1 (safety category S06) and R2 10 @ 120.00 without; the terminal
issues 15: (a) 1000.00 in S06 and 600.00 of no safety category; marking
the R2 part used for safety moves 600.00 into (b).  A second scan of 10
finds 5 on hand: refused, an open exception.  Assessment: DRILL issued 20
to CM1, 15 old ones returned, 2 excluded, penalty standard 50.00: shortfall
3, penalty 150.00.
"""

import csv
import datetime
import io
import json
import os
import subprocess
import unittest
import urllib.error
import urllib.request
import zipfile
from zoneinfo import ZoneInfo

import harness as h

UNITS = "id,name,kind\nCM1,采煤一区,work_area\n"
WAREHOUSES = "id,name,kind,unit\nW01,中心仓库,central,\nCK03,采煤一区库,work_area,CM1\n"
ITEMS = ("code,name,spec,uom,category,price,return_old,reward,penalty,barcodes,active\n"
         "BOOT,矿工靴,42,双,material,100.00,no,0,0,,yes\n"
         "DRILL,钻头,Φ42,个,material,80.00,yes,2.00,50.00,,yes\n")
OPERATORS = ("id,name,role,unit,badge,active\n"
             "zhang3,张三,storekeeper,,B0001,yes\n"
             "li4,李四,clerk,,,yes\n"
             "wang5,王五,chief,,,yes\n")
PLANS = "serial,item,qty,category,unit,status\nP1,BOOT,10,S06,CM1,approved\n"

CLI_BIN = os.path.join(h.BUILD_DIR, "firmware", "tagtrail")


def import_master(server, tmpdir):
    for kind, text in (("units", UNITS), ("warehouses", WAREHOUSES), ("items", ITEMS),
                       ("operators", OPERATORS), ("plans", PLANS)):
        path = os.path.join(tmpdir, "%s.csv" % kind)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        r = subprocess.run([h.SERVER_BIN, "-c", server.conf, "--import", kind, path],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=h.scaled(60))
        if r.returncode != 0:
            raise AssertionError("--import %s: exit %d: %s %s" % (kind, r.returncode,
                                                                  r.stdout.decode(), r.stderr.decode()))


def fetch(server, path):
    """GET -> (status, headers, body bytes), whatever the status."""
    req = urllib.request.Request(server.url(path), headers={"Authorization": "Bearer " + server.token})
    try:
        with urllib.request.urlopen(req, timeout=h.scaled(30)) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def document(kind, doc, day, lines, approver=None):
    d = {"kind": kind, "doc": doc, "day": day, "operator": "li4", "lines": lines}
    if approver:
        d["approver"] = approver
    return d


class Reports(unittest.TestCase):
    def test_reports(self):
        with h.Cluster(["T01"], name="reports", start_server=False) as c:
            srv = c.server
            import_master(srv, c.tmp)
            srv.start()
            # The site's business day (the server's time zone is the default,
            # Asia/Shanghai): receipts are dated the day the scans arrive.
            today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
            srv.post("/api/v1/documents", document("receipt", "R1", today, [
                {"warehouse": "W01", "item": "BOOT", "qty": "10", "value": "1000.00", "plan": "P1"}]),
                expect=201)
            srv.post("/api/v1/documents", document("receipt", "R2", today, [
                {"warehouse": "W01", "item": "BOOT", "qty": "10", "unit_price": "120.00"}]),
                expect=201)

            t = c.t("T01")
            t.scan("issue", "W01", "zhang3", "BOOT", "15")
            t.scan("issue", "W01", "zhang3", "BOOT", "10")   # 5 left: refused
            t.wait_synced(expect_last=2)

            issues = srv.get("/api/v1/ledger/issues?item=BOOT")
            rows = issues["rows"]
            self.assertEqual([(r["receipt_doc"], r["qty"], r["value"], r["category"]) for r in rows],
                             [("R1", "10", "1000.00", "S06"), ("R2", "5", "600.00", "")])
            self.assertEqual(issues["totals"], {"qty": "15", "value": "1600.00"})
            self.assertIsNone(issues["next"])
            month = rows[0]["day"][:7]
            span = "from=%s&to=%s" % (min(today[:7], month), max(today[:7], month))

            safety = srv.get("/api/v1/reports/safety?" + span)
            self.assertEqual([(r["category"], r["value_a"], r["value_b"]) for r in safety["rows"]],
                             [("S06", "1000.00", "0.00")])

            # Marked used for safety: 600.00 moves into (b).
            srv.post("/api/v1/safety-marks", {"movement": rows[1]["movement"], "lot": rows[1]["lot"],
                                              "category": "S06", "reason": "井下防护",
                                              "approver": "wang5", "by": "li4"}, expect=201)
            safety = srv.get("/api/v1/reports/safety?" + span)
            self.assertEqual(safety["totals"], {"value_a": "1000.00", "value_b": "600.00",
                                                "value": "1600.00"})
            detail = srv.get("/api/v1/reports/safety/detail?part=b&category=S06&" + span)
            self.assertEqual([(r["receipt_doc"], r["value"], r["mark_category"]) for r in detail["rows"]],
                             [("R2", "600.00", "S06")])
            self.assertEqual(detail["totals"], {"value": "600.00"})

            # The refused scan is an open exception with its shortfall.
            exc = srv.get("/api/v1/exceptions")
            self.assertEqual(exc["open"], 1)
            self.assertEqual([(r["terminal"], r["seq"], r["qty"]) for r in exc["rows"]], [("T01", 2, "10")])
            self.assertIn("short 5", exc["rows"][0]["reason"])

            # Old items: issued 20, returned 15, excluded 2 -> shortfall 3, penalty 150.00.
            srv.post("/api/v1/documents", document("receipt", "R3", today, [
                {"warehouse": "W01", "item": "DRILL", "qty": "20", "value": "1600.00"}]), expect=201)
            srv.post("/api/v1/documents", document("issue", "I3", today, [
                {"warehouse": "W01", "item": "DRILL", "qty": "20", "unit": "CM1"}]), expect=201)
            srv.post("/api/v1/documents", document("old_return", "J3", today, [
                {"warehouse": "W01", "item": "DRILL", "qty": "15", "unit": "CM1"}]), expect=201)
            srv.post("/api/v1/documents", document("exclusion", "X3", today, [
                {"item": "DRILL", "qty": "2", "unit": "CM1", "note": "新工作面首次使用"}],
                approver="wang5"), expect=201)
            tspan = "month=" + today[:7]
            assess = srv.get("/api/v1/reports/assessment?" + tspan)
            self.assertEqual([(r["unit"], r["item"], r["issued"], r["returned"], r["excluded"],
                               r["shortfall"], r["penalty"]) for r in assess["rows"]],
                             [("CM1", "DRILL", "20", "15", "2", "3", "150.00")])
            recovery = srv.get("/api/v1/reports/recovery?" + tspan)
            self.assertEqual(recovery["totals"], {"value": "1200.00", "reward": "30.00"})

            # CSV: the same figures, a download with a BOM and Chinese headers.
            status, headers, body = fetch(srv, "/api/v1/reports/assessment?format=csv&" + tspan)
            self.assertEqual(status, 200)
            self.assertEqual(headers["Content-Type"], "text/csv; charset=utf-8")
            self.assertEqual(headers["Content-Disposition"],
                             'attachment; filename="assessment-%s.csv"' % today[:7])
            self.assertTrue(body.startswith(b"\xef\xbb\xbf"))
            table = list(csv.reader(io.StringIO(body[3:].decode("utf-8"), newline="")))
            self.assertEqual(table[0][:4], ["月份", "单位", "单位名称", "物资编码"])
            self.assertEqual(table[1][:2] + table[1][6:12],
                             [today[:7], "CM1", "20", "15", "2", "3", "50.00", "150.00"])
            self.assertEqual(table[2][0], "合计")

            # XLSX: a workbook whose sheet holds the penalty as a number.
            status, headers, body = fetch(srv, "/api/v1/reports/assessment?format=xlsx&lang=en&" + tspan)
            self.assertEqual(status, 200)
            self.assertEqual(headers["Content-Type"],
                             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            self.assertIn("attachment;", headers["Content-Disposition"])
            with zipfile.ZipFile(io.BytesIO(body)) as z:
                sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
            self.assertIn("<t>shortfall</t>", sheet)
            self.assertIn("<v>150</v>", sheet)

            # Strict parameters.
            status, headers, body = fetch(srv, "/api/v1/reports/safety?month=2026-13")
            self.assertEqual(status, 400)
            self.assertIn("month", json.loads(body)["error"])
            status, _, body = fetch(srv, "/api/v1/ledger/issues?colour=red")
            self.assertEqual(status, 400)
            self.assertIn("colour", json.loads(body)["error"])

            # The command line reads the same routes.
            env = dict(os.environ, TT_SERVER="http://127.0.0.1:%d" % srv.http_port, TT_LANG="en",
                       TT_TOKEN=srv.token)
            r = subprocess.run([CLI_BIN, "report", "safety", "--from", span[5:12], "--to", span[-7:]],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=h.scaled(30))
            self.assertEqual(r.returncode, 0, r.stderr.decode())
            out = r.stdout.decode()
            self.assertIn("S06", out)
            self.assertIn("1600.00", out)
            path = os.path.join(c.tmp, "issues.csv")
            r = subprocess.run([CLI_BIN, "report", "issues", "--item", "BOOT", "--format", "csv",
                                "--out", path], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=h.scaled(30))
            self.assertEqual(r.returncode, 0, r.stderr.decode())
            with open(path, encoding="utf-8-sig", newline="") as f:
                table = list(csv.reader(f))
            self.assertEqual(table[0][0], "day")   # TT_LANG=en: English headers
            self.assertEqual([row[10] for row in table[1:]], ["1000.00", "600.00", "1600.00"])
            r = subprocess.run([CLI_BIN, "report", "issues", "--colour", "red"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=h.scaled(30))
            self.assertEqual(r.returncode, 2)
            r = subprocess.run([CLI_BIN, "report", "safety", "--month", "2026-13"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=h.scaled(30))
            self.assertEqual(r.returncode, 1)
            self.assertIn("HTTP 400", r.stderr.decode())


if __name__ == "__main__":
    h.main()
