"""The web office in headless Chromium (tests/browser/run.mjs, driven by
playwright-core): the server, a broker and a sim terminal started here,
master data imported, the first admin made with --create-admin, an office
user made by the admin through a session, a receipt posted, a scan issued
at the terminal and a material plan waiting at the department's review;
then the browser signs in, sees a scan arrive on the overview, filters the
issuance ledger and downloads its XLSX, approves the plan step in the
inbox and opens an asset's archive (its repair documents with who, when,
costs and consumables) after the equipment list and the repair cycle
chart.  Screenshots are kept in
<build>/web-screenshots/ for review."""

import datetime
import json
import os
import shutil
import subprocess
import unittest
import zipfile
from zoneinfo import ZoneInfo

import harness as h

BROWSER_DIR = os.path.join(h.SOURCE_DIR, "tests", "browser")
CHROMIUM = "/usr/bin/chromium"
BAD_NAME = '<img src=x onerror="window.__xss=1">毒'

UNITS = "id,name,kind\nCM1,采煤一区,work_area\n"
WAREHOUSES = "id,name,kind,unit\nW01,中心仓库,central,\nCK03,采煤一区库,work_area,CM1\n"
ITEMS = ("code,name,spec,uom,category,price,return_old,reward,penalty,barcodes,active\n"
         "BOOT,矿工靴,42,双,material,100.00,no,0,0,,yes\n"
         "EVIL1,\"%s\",x,个,material,5.00,no,0,0,,yes\n" % BAD_NAME.replace('"', '""'))
OPERATORS = "id,name,role,unit,badge,active\nzhang3,张三,storekeeper,,B0001,yes\n"
EQUIPMENT = "asset,model,item,giai,barcode,unit,active\nP-0042,乳化液泵,,06141415678,,CM1,yes\n"


def import_master(server, tmpdir):
    for kind, text in (("units", UNITS), ("warehouses", WAREHOUSES), ("items", ITEMS),
                       ("operators", OPERATORS), ("equipment", EQUIPMENT)):
        path = os.path.join(tmpdir, "%s.csv" % kind)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        r = subprocess.run([h.SERVER_BIN, "-c", server.conf, "--import", kind, path], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=h.scaled(60))
        if r.returncode != 0:
            raise AssertionError("--import %s: %s" % (kind, r.stderr.decode()))


class WebBrowser(unittest.TestCase):
    def test_office_in_a_browser(self):
        for need in (CHROMIUM, os.path.join(BROWSER_DIR, "node_modules", "playwright-core")):
            self.assertTrue(os.path.exists(need), "%s is missing: run scripts/setup" % need)
        shots = os.path.join(h.BUILD_DIR, "web-screenshots")
        shutil.rmtree(shots, ignore_errors=True)
        os.makedirs(shots)
        extra = "[workflow]\ndir = %s\n" % os.path.join(h.SOURCE_DIR, "workflows")
        with h.Cluster(["T01"], name="web_browser", start_server=False, server_extra=extra) as c:
            srv = c.server
            import_master(srv, c.tmp)
            srv.create_admin("admin1", "admin-password-1")
            srv.start()
            today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()

            # The admin signs in and makes the office user (a session, CSRF).
            admin = srv.session("admin1", "admin-password-1")
            admin.post("/api/v1/users", {"name": "office1", "role": "material_office",
                                         "wf_roles": "dept_reviewer,material_office",
                                         "password": "office-password-1"}, expect=201)
            # Stock to issue from, and an issue of the item named like markup.
            srv.post("/api/v1/documents", {"kind": "receipt", "doc": "R1", "day": today, "operator": "li4",
                                           "lines": [{"warehouse": "W01", "item": "BOOT", "qty": "20",
                                                      "value": "2000.00"},
                                                     {"warehouse": "W01", "item": "EVIL1", "qty": "5",
                                                      "value": "25.00"}]}, expect=201)
            srv.post("/api/v1/documents", {"kind": "issue", "doc": "I1", "day": today, "operator": "li4",
                                           "lines": [{"warehouse": "W01", "item": "EVIL1", "qty": "2",
                                                      "unit": "CM1"}]}, expect=201)
            t = c.t("T01")
            t.scan("issue", "W01", "zhang3", "BOOT", "4")
            t.wait_synced()
            # The pump's repair: appraised with costs, self-checked with a
            # consumable (issued as ledger document WX.<id>), accepted.
            costs = {"labour_minutes": 240, "labour": "100.00", "machine": "30.00", "auxiliary": "15.50",
                     "standard": "600.00"}
            srv.post("/api/v1/repair/docs", dict(costs, kind="appraisal", asset="P-0042", result="major",
                                                 unit="CM1", day=today, operator="li4", people="王工"),
                     expect=201)
            srv.post("/api/v1/repair/docs", {"kind": "selfcheck", "asset": "P-0042", "result": "pass",
                                             "day": today, "operator": "li4",
                                             "consumables": [{"warehouse": "W01", "item": "BOOT", "qty": "1"}]},
                     expect=201)
            srv.post("/api/v1/repair/docs", {"kind": "acceptance", "asset": "P-0042", "result": "pass",
                                             "day": today, "operator": "li4"}, expect=201)

            # A material plan waiting at the department's review.
            with open(os.path.join(h.SOURCE_DIR, "workflows", "material-plan.yaml"), "rb") as f:
                srv.post("/api/v1/workflow/definitions?user=admin1&file=material-plan.yaml", f.read(), expect=201)
            _, inst = srv.post("/api/v1/workflow/instances", {
                "definition": "material-plan", "user": "plan1", "role": "unit_planner", "unit": "CM1",
                "vars": {"lines": [{"item": "BOOT", "qty": "5"}]}}, expect=201)
            token = [x for x in srv.get("/api/v1/workflow/instances/%d" % inst["instance"])["tokens"]
                     if x["state"] == "active"][0]["token"]
            srv.post("/api/v1/workflow/instances/%d/tasks/%d" % (inst["instance"], token),
                     {"action": "submit", "expect": inst["seq"], "user": "plan1", "role": "unit_planner"},
                     expect=200)

            cfg = {"url": "http://127.0.0.1:%d" % srv.http_port, "user": "office1",
                   "password": "office-password-1", "socket": t.sock_path, "shots": shots,
                   "downloads": c.tmp, "scanItem": "BOOT", "filterItem": "EVIL1", "badName": BAD_NAME,
                   "instance": inst["instance"], "approveAction": "pass", "asset": "P-0042",
                   "assetModel": "乳化液泵", "assetPeople": "王工", "assetLabour": "100.00",
                   "assetConsumable": "BOOT"}
            r = subprocess.run(["node", os.path.join(BROWSER_DIR, "run.mjs")], cwd=BROWSER_DIR,
                               env=dict(os.environ, TT_WEB=json.dumps(cfg), TT_SLOW=str(int(h.SLOW))),
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=h.scaled(240))
            out = r.stdout.decode(errors="replace").strip().splitlines()
            result = json.loads(out[-1]) if out else {}
            self.assertEqual(r.returncode, 0, "browser run failed: %s\nstderr: %s" % (
                json.dumps(result, ensure_ascii=False, indent=1), r.stderr.decode(errors="replace")[-3000:]))
            self.assertTrue(result.get("ok"))
            print("[web] %d checks passed; screenshots in %s" % (len(result["checks"]), shots), flush=True)

            # The XLSX holds the filtered rows only, with the name as text.
            with zipfile.ZipFile(result["xlsx"]) as z:
                strings = "".join(z.read(n).decode("utf-8") for n in z.namelist()
                                  if n.startswith("xl/") and n.endswith(".xml"))
            self.assertIn("EVIL1", strings)
            self.assertNotIn("BOOT", strings)
            self.assertIn("&lt;img", strings)
            self.assertTrue(result["xlsxName"].startswith("issues"), result["xlsxName"])
            # The approval was the signed-in person's, recorded in the log and the audit.
            log = srv.get("/api/v1/workflow/instances/%d" % inst["instance"])["log"]
            acts = [e for e in log if e["kind"] == "act" and e["action"] == "pass"]
            self.assertEqual([(e["user"], e["role"]) for e in acts], [("office1", "dept_reviewer")])
            audit = admin.get("/api/v1/audit?user=office1")["rows"]
            self.assertTrue(any(a["route"].endswith("/tasks/%d" % (token + 1)) or "/tasks/" in a["route"]
                                for a in audit), audit)
            self.assertEqual(sorted(os.listdir(shots))[0], "01-overview.png")
            self.assertGreaterEqual(len(os.listdir(shots)), 10)


if __name__ == "__main__":
    h.main()
