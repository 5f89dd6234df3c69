"""Master data end to end: `tagtrail-server --import KIND FILE` on real CSV
files (the summary line, "FILE:LINE: reason" errors, exit codes 0/1/2), an
import while a server runs on the same database, and a terminal's view of
it: a master-req published with mosquitto_pub is answered on the terminal's
master topic (read with mosquitto_sub), page by page."""

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest

import harness as h

MOSQUITTO_SUB = shutil.which("mosquitto_sub") or "/usr/bin/mosquitto_sub"

UNITS = ("id,name,kind\r\n"
         "CM1,采煤一区,work_area\r\n"
         "JD,机电科,department\r\n"
         "XL,修理厂,shop\r\n")
WAREHOUSES = ("\ufeffid,name,kind,unit\n"        # a BOM, as spreadsheet programs write
              "CK01,中心仓库,central,\n"
              "CK02,\"回收仓库, 东\",recycling,\n"
              "CK03,采煤一区库,work_area,CM1\n")
ITEM_HEADER = "code,name,spec,uom,category,price,return_old,reward,penalty,barcodes,active\n"
ITEMS = (ITEM_HEADER +
         "6901234567892,锚杆,Φ20×2200,根,material,12.50,no,0,0,,yes\n"
         "BOLT-M8,\"螺栓 \"\"M8\"\"\",M8×40,个,material,0.35,no,0,0,6900000000011|6900000000028,yes\n"
         "DRILL-42,钻头,,个,equipment,1200,yes,50,200.5,6900000000035,no\n")
OPERATORS = ("id,name,role,unit,badge,active\n"
             "zhang3,张三,storekeeper,,B0001,yes\n"
             "li4,李四,repair_fitter,XL,B0002,yes\n")


def write(dirname, name, text):
    path = os.path.join(dirname, name)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return path


def run_import(conf, kind, path, cwd=None):
    """Runs tagtrail-server --import; returns (exit code, stdout, stderr)."""
    r = subprocess.run([h.SERVER_BIN, "-c", conf, "--import", kind, path], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, timeout=h.scaled(120))
    out, err = r.stdout.decode("utf-8"), r.stderr.decode("utf-8")
    for m in h.SANITIZER_MARKERS:
        if m in err:
            raise AssertionError("sanitizer report from --import:\n" + err)
    return r.returncode, out, err


class ImportTool(unittest.TestCase):
    """--import against a database no server is running on."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tti", dir="/tmp")
        self.conf = write(self.dir, "server.conf",
                          "site = mine1\ndatabase = server.db\n[http]\nport = 0\n"
                          "[mqtt]\nurl = tcp://127.0.0.1:1\n")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def ok(self, kind, path, rows, changed, version):
        code, out, err = run_import(self.conf, kind, path)
        self.assertEqual(code, 0, "stdout: %s\nstderr: %s" % (out, err))
        self.assertEqual(out, "imported %d rows (%d changed), master version %d\n" % (rows, changed, version))
        self.assertEqual(err, "", "no progress bar when stderr is not a terminal")

    def test_each_kind_then_identical_and_changed(self):
        units = write(self.dir, "units.csv", UNITS)
        whs = write(self.dir, "warehouses.csv", WAREHOUSES)
        items = write(self.dir, "items.csv", ITEMS)
        ops = write(self.dir, "operators.csv", OPERATORS)
        self.ok("units", units, 3, 3, 1)
        self.ok("warehouses", whs, 3, 3, 2)
        self.ok("items", items, 3, 3, 3)
        self.ok("operators", ops, 2, 2, 4)
        # The same files again: nothing changes, not even the version.
        for kind, path, rows in (("units", units, 3), ("warehouses", whs, 3), ("items", items, 3),
                                 ("operators", ops, 2)):
            self.ok(kind, path, rows, 0, 4)
        # One row changed: only it gets the new version.
        changed = write(self.dir, "items2.csv", ITEMS.replace("12.50", "13.00"))
        self.ok("items", changed, 3, 1, 5)
        con = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.dir, "server.db"), uri=True)
        try:
            rows = dict(con.execute("SELECT code, version FROM item").fetchall())
            self.assertEqual(rows, {"6901234567892": 5, "BOLT-M8": 3, "DRILL-42": 3})
            self.assertEqual(con.execute("SELECT price_fen, name FROM item WHERE code = 'BOLT-M8'").fetchone(),
                             (35, '螺栓 "M8"'))
            self.assertEqual(con.execute("SELECT n FROM master_version").fetchone(), (5,))
            self.assertEqual(sorted(r[0] for r in con.execute(
                "SELECT barcode FROM item_barcode WHERE item = 'BOLT-M8'")),
                ["6900000000011", "6900000000028", "BOLT-M8"])
        finally:
            con.close()

    def test_errors_with_file_and_line(self):
        self.ok("units", write(self.dir, "units.csv", UNITS), 3, 3, 1)
        bad = write(self.dir, "bad warehouses.csv",
                    "id,name,kind,unit\n"
                    "CK01,中心仓库,central,\n"
                    "CK02,回收仓库,dump,\n"
                    "CK03,采煤一区库,work_area,CM9\n"
                    "CK01,again,central,\n"
                    "CK04,\"unterminated,central,\n")
        code, out, err = run_import(self.conf, "warehouses", bad)
        self.assertEqual(code, 1, err)
        self.assertEqual(out, "")
        # Every error, in line order: the fields, the file against itself,
        # the file against the database.
        self.assertEqual(err.splitlines(), [
            "%s:3: kind 'dump': not one of central, recycling, work_area" % bad,
            "%s:4: unit 'CM9' does not exist (import it with the units first)" % bad,
            "%s:5: id 'CK01' already on line 2" % bad,
            "%s:6: quoted field not closed before the end of the file" % bad,
        ])
        # Nothing of a failed file was imported.
        self.ok("warehouses", write(self.dir, "w.csv", "id,name,kind,unit\n"), 0, 0, 1)
        # Invalid UTF-8 (a GBK export) and a wrong header.
        gbk = os.path.join(self.dir, "gbk.csv")
        with open(gbk, "wb") as f:
            f.write("id,name,kind\nCM2,".encode() + "采煤二区".encode("gbk") + b",work_area\n")
        code, out, err = run_import(self.conf, "units", gbk)
        self.assertEqual((code, err), (1, "%s:2: invalid UTF-8\n" % gbk))
        code, out, err = run_import(self.conf, "operators", write(self.dir, "h.csv", UNITS))
        self.assertEqual(code, 1)
        self.assertIn("h.csv:1: header is 'id,name,kind', expected 'id,name,role,unit,badge,active'", err)

    def test_usage_errors(self):
        units = write(self.dir, "units.csv", UNITS)
        for argv, expect in (
                (["-c", self.conf, "--import", "things", units], "not one of units"),
                (["-c", self.conf, "--import", "units", os.path.join(self.dir, "missing.csv")],
                 "missing.csv: No such file or directory"),
                (["-c", self.conf, "--import", "units"], "usage"),
                (["-c", os.path.join(self.dir, "nope.conf"), "--import", "units", units], "nope.conf"),
                (["--import", "units", units], "usage")):
            r = subprocess.run([h.SERVER_BIN] + argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=h.scaled(30))
            self.assertEqual(r.returncode, 2, "%s: %s" % (argv, r.stderr))
            self.assertIn(expect, r.stderr.decode(), argv)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "server.db")))


class MasterPages(unittest.TestCase):
    """A running server answers master requests."""

    def request(self, c, terminal, since, cursor=""):
        """Publishes a master-req for `terminal` until mosquitto_sub, started
        first, has the answer; returns the decoded page."""
        topic = "tt/v1/t/%s/master" % terminal
        # The page goes to a file: a pipe would fill up (64 KiB) and stall
        # mosquitto_sub while it waits for its reader.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            sub = subprocess.Popen([MOSQUITTO_SUB, "-h", "127.0.0.1", "-p", str(c.mosq.port), "-q", "1",
                                    "-t", topic, "-C", "1", "-W", "10"],
                                   stdout=out, stderr=err, preexec_fn=h._pdeathsig)
            try:
                req = json.dumps({"v": 1, "since": since, "cursor": cursor})
                deadline = time.monotonic() + h.scaled(10)
                # The subscription may not be in place yet: ask again each
                # second (each answer is the same page) until one arrives.
                while sub.poll() is None and time.monotonic() < deadline:
                    c.mosq.publish("tt/v1/t/%s/master-req" % terminal, req)
                    try:
                        sub.wait(timeout=1)
                    except subprocess.TimeoutExpired:
                        pass
                sub.wait(timeout=h.scaled(15))
            finally:
                if sub.poll() is None:
                    sub.kill()
                    sub.wait()
            out.seek(0)
            err.seek(0)
            self.assertEqual(sub.returncode, 0, "mosquitto_sub: %s" % err.read().decode(errors="replace"))
            return json.loads(out.read().decode("utf-8"))

    def test_import_while_running_then_pages(self):
        with h.Cluster([], name="master_pages") as c:
            srv = c.server
            tmp = c.tmp
            code, out, err = run_import(srv.conf, "units", write(tmp, "units.csv", UNITS))
            self.assertEqual((code, out), (0, "imported 3 rows (3 changed), master version 1\n"), err)
            code, out, err = run_import(srv.conf, "warehouses", write(tmp, "w.csv", WAREHOUSES))
            self.assertEqual(code, 0, err)
            code, out, err = run_import(srv.conf, "items", write(tmp, "items.csv", ITEMS))
            self.assertEqual(code, 0, err)
            code, out, err = run_import(srv.conf, "operators", write(tmp, "ops.csv", OPERATORS))
            self.assertEqual((code, out), (0, "imported 2 rows (2 changed), master version 4\n"), err)

            page = self.request(c, "T01", 0)
            self.assertEqual(page["v"], 1)
            self.assertEqual((page["since"], page["to"], page["last"], page["cursor"]), (0, 4, True, ""))
            self.assertEqual(page["units"][0], {"id": "CM1", "name": "采煤一区", "kind": "work_area"})
            self.assertEqual([u["id"] for u in page["units"]], ["CM1", "JD", "XL"])
            self.assertEqual(page["warehouses"][1],
                             {"id": "CK02", "name": "回收仓库, 东", "kind": "recycling", "unit": ""})
            self.assertEqual(page["warehouses"][2]["unit"], "CM1")
            self.assertEqual(page["items"][1], {
                "code": "BOLT-M8", "name": '螺栓 "M8"', "spec": "M8×40", "uom": "个", "category": "material",
                "price": "0.35", "active": True, "barcodes": ["BOLT-M8", "6900000000011", "6900000000028"]})
            self.assertEqual(page["items"][0]["price"], "12.50")
            self.assertEqual(page["items"][2]["active"], False)
            self.assertEqual(page["operators"][0], {"id": "li4", "name": "李四", "role": "repair_fitter",
                                                    "unit": "XL", "badge": "B0002", "active": True})

            # Up to date: an empty last page.
            page = self.request(c, "T02", 4)
            self.assertEqual((page["to"], page["last"]), (4, True))
            self.assertEqual(page["units"] + page["warehouses"] + page["items"] + page["operators"], [])

            # 2,500 more items: two pages from 3, the cursor carrying `to`.
            big = ITEM_HEADER + "".join("X%05d,物料%d,,个,general,%d.%02d,no,0,0,67%011d,yes\n"
                                        % (i, i, i, i % 100, i) for i in range(2500))
            code, out, err = run_import(srv.conf, "items", write(tmp, "big.csv", big))
            self.assertEqual((code, out), (0, "imported 2500 rows (2500 changed), master version 5\n"), err)
            first = self.request(c, "T01", 3)
            self.assertEqual((first["since"], first["to"], first["last"]), (3, 5, False))
            self.assertEqual(len(first["items"]), 2000)
            self.assertEqual(first["operators"], [])   # version 4 rows come after the items
            self.assertEqual(first["cursor"], "5:item:%s" % first["items"][-1]["code"])
            second = self.request(c, "T01", 3, first["cursor"])
            self.assertEqual((second["to"], second["last"], second["cursor"]), (5, True, ""))
            codes = [i["code"] for i in first["items"] + second["items"]]
            self.assertEqual(len(codes), 2500)
            self.assertEqual(codes, sorted(codes))
            self.assertEqual([o["id"] for o in second["operators"]], ["li4", "zhang3"])

            # A malformed request is kept as a bad message, never answered.
            c.mosq.publish("tt/v1/t/T09/master-req", '{"v":1,"since":"0","cursor":""}')
            h.wait_until(lambda: any(m["terminal"] == "T09" and "since" in m["reason"]
                                     for m in srv.rejections("T09")["messages"]),
                         h.scaled(15), "the bad master-req among the rejected messages")
            srv.check_alive()

    def test_import_while_terminal_syncs(self):
        """The import and the server's ingest share the database (WAL, busy
        timeouts): neither fails while the other writes."""
        with h.Cluster(["T01"], name="import_busy") as c:
            t, srv = c.t("T01"), c.server
            big = ITEM_HEADER + "".join("Y%05d,物料%d,,个,general,1.00,no,0,0,,yes\n" % (i, i)
                                        for i in range(20000))
            path = write(c.tmp, "big.csv", big)
            errors = []

            def scan():
                try:
                    for _ in range(300):
                        t.scan("receive", "CK01", "zhang3", "Y00001", "1")
                except Exception as e:   # noqa: BLE001 - reported below
                    errors.append(e)

            th = threading.Thread(target=scan)
            th.start()
            results = [run_import(srv.conf, "items", path),
                       run_import(srv.conf, "items", write(c.tmp, "big2.csv", big.replace(",1.00,", ",2.00,")))]
            th.join(timeout=h.scaled(120))
            self.assertFalse(errors, errors)
            self.assertEqual(results[0][:2], (0, "imported 20000 rows (20000 changed), master version 1\n"),
                             results[0][2])
            self.assertEqual(results[1][:2], (0, "imported 20000 rows (20000 changed), master version 2\n"),
                             results[1][2])
            t.wait_synced(expect_last=300)
            h.assert_stock_equal(self, {("CK01", "Y00001"): 300000}, srv.stock(), c)


if __name__ == "__main__":
    h.main()
