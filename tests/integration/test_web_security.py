"""The web office's security through the real server (docs/api.md,
"Signing in", "Roles per route"): every route without a session gets 401;
each role gets 403 on every route not meant for it; a unit-scoped user is
kept to the unit (403 beyond it); a change without the CSRF token, or
naming someone else as the person acting, is refused and changes nothing;
SQL and script injection in every filter and form field is harmless (no
500, nothing changed, JSON served as JSON with nosniff); failed sign-ins
are throttled; the static pages cannot be left by path tricks.

The routes are read from docs/openapi.json, which tests/unit/test_access.c
holds equal to the server's route table."""

import datetime
import json
import os
import socket
import sqlite3
import unittest
import urllib.error
import urllib.parse
import urllib.request
from zoneinfo import ZoneInfo

import harness as h

ROLES = ["storekeeper", "repair_fitter", "electromech", "material_office", "finance", "audit",
         "leader", "admin"]
PW = "password-for-%s"
INJECTIONS = ["' OR '1'='1", "x'; DROP TABLE movement; --", "<script>alert(1)</script>",
              "\" onmouseover=\"alert(1)", "%00", "../../etc/passwd", "１２３", "A" * 300]

UNITS = "id,name,kind\nCM1,采煤一区,work_area\nCM2,采煤二区,work_area\n"
WAREHOUSES = ("id,name,kind,unit\nW01,中心仓库,central,\nCK03,采煤一区库,work_area,CM1\n"
              "CK04,采煤二区库,work_area,CM2\n")
ITEMS = ("code,name,spec,uom,category,price,return_old,reward,penalty,barcodes,active\n"
         "BOOT,矿工靴,42,双,material,100.00,no,0,0,,yes\n")
EQUIPMENT = ("asset,model,item,giai,barcode,unit,active\n"
             "P-1,乳化液泵,,,EQ-1,CM1,yes\nP-2,乳化液泵,,,EQ-2,CM2,yes\n")


def routes():
    with open(os.path.join(h.SOURCE_DIR, "docs", "openapi.json"), encoding="utf-8") as f:
        doc = json.load(f)
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            yield method.upper(), path, op


def concrete(path):
    out, i = "", 0
    while i < len(path):
        if path[i] == "{":
            out += "1"
            i = path.index("}", i) + 1
        else:
            out += path[i]
            i += 1
    return out


def raw(server, method, path, body=None, headers=None):
    """-> (status, headers, body) with no credentials at all."""
    req = urllib.request.Request(server.url(path), data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=h.scaled(30)) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def counts(db):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=30)
    try:
        return {t: con.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
                for t in ("movement", "alloc", "resolution", "period", "safety_mark", "expense_tag",
                          "app_user", "wf_instance", "wf_event", "spare_part", "unit", "item")}
    finally:
        con.close()


class WebSecurity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        extra = "[workflow]\ndir = %s\n" % os.path.join(h.SOURCE_DIR, "workflows")
        cls.c = h.Cluster([], name="web_security", start_server=False, server_extra=extra)
        cls.c.__enter__()
        srv = cls.srv = cls.c.server
        for kind, text in (("units", UNITS), ("warehouses", WAREHOUSES), ("items", ITEMS),
                           ("equipment", EQUIPMENT)):
            path = os.path.join(cls.c.tmp, kind + ".csv")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            r = __import__("subprocess").run([h.SERVER_BIN, "-c", srv.conf, "--import", kind, path],
                                             capture_output=True, timeout=h.scaled(60))
            assert r.returncode == 0, r.stderr
        srv.create_admin("root", PW % "root")
        srv.start()
        cls.today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
        for role in ROLES:
            srv.add_user("u_" + role, role, PW % role, wf_roles="dept_reviewer" if role == "material_office" else "")
        srv.add_user("sk_cm1", "storekeeper", PW % "sk_cm1", unit="CM1")
        srv.add_user("rf_cm1", "repair_fitter", PW % "rf_cm1", unit="CM1")
        # each unit sends its pump to repair: an appraisal naming the unit
        for asset, unit in (("P-1", "CM1"), ("P-2", "CM2")):
            srv.post("/api/v1/repair/docs", {"kind": "appraisal", "asset": asset, "result": "minor",
                                             "unit": unit, "day": cls.today, "operator": "li4",
                                             "labour_minutes": 60, "labour": "10.00", "machine": "0.00",
                                             "auxiliary": "0.00", "standard": "100.00"}, expect=201)
        srv.post("/api/v1/documents", {"kind": "receipt", "doc": "R1", "day": cls.today, "operator": "li4",
                                       "lines": [{"warehouse": "W01", "item": "BOOT", "qty": "100",
                                                  "value": "10000.00"}]}, expect=201)
        for unit in ("CM1", "CM2"):
            srv.post("/api/v1/documents", {"kind": "issue", "day": cls.today, "operator": "li4",
                                           "lines": [{"warehouse": "W01", "item": "BOOT", "qty": "5",
                                                      "unit": unit}]}, expect=201)
        cls.sessions = {role: srv.session("u_" + role, PW % role) for role in ROLES}

    @classmethod
    def tearDownClass(cls):
        cls.c.__exit__(None, None, None)

    def test_every_route_needs_a_session(self):
        n = 0
        for method, path, op in routes():
            if op["x-roles"] == ["public"]:
                continue
            for headers in ({}, {"Cookie": "tt_session=" + "ab" * 32},
                            {"Authorization": "Bearer not-the-token-not-the-token-xx"}):
                status, _, body = raw(self.srv, method, concrete(path), b"{}" if method == "POST" else None,
                                      dict(headers, **({"Content-Type": "application/json"} if method == "POST" else {})))
                self.assertEqual(status, 401, "%s %s with %s: %d %r" % (method, path, headers, status, body[:200]))
                n += 1
        self.assertGreater(n, 100)
        self.assertEqual(raw(self.srv, "GET", "/api/v1/health")[0], 200)

    def test_roles_per_route(self):
        for method, path, op in routes():
            if op["x-roles"] == ["public"] or path == "/api/v1/session/logout":
                continue
            for role, s in self.sessions.items():
                status, body = s.json(method, concrete(path), {} if method == "POST" else None)
                if role in op["x-roles"]:
                    self.assertNotIn(status, (401, 403), "%s %s as %s: %d %r" % (method, path, role, status, body))
                    self.assertLess(status, 500, "%s %s as %s: %r" % (method, path, role, body))
                else:
                    self.assertEqual(status, 403, "%s %s as %s: %d %r" % (method, path, role, status, body))

    def test_unit_scope(self):
        s = self.srv.session("sk_cm1", PW % "sk_cm1")
        rows = s.get("/api/v1/ledger/issues")["rows"]
        self.assertEqual({r["unit"] for r in rows}, {"CM1"})
        self.assertEqual(s.json("GET", "/api/v1/ledger/issues?unit=CM2")[0], 403)
        self.assertEqual(s.get("/api/v1/ledger/issues?unit=CM1")["totals"]["qty"], "5")
        self.assertEqual(s.json("GET", "/api/v1/reports/safety?month=" + self.today[:7])[0], 403)
        self.assertEqual(s.json("GET", "/api/v1/exceptions")[0], 403)
        self.assertEqual(s.json("GET", "/api/v1/stock")[0], 403)
        self.assertEqual(s.json("GET", "/api/v1/stock?warehouse=W01")[0], 403)
        self.assertEqual(s.json("GET", "/api/v1/stock?warehouse=CK03")[0], 200)
        self.assertEqual(s.get("/api/v1/overview")["unit"], "CM1")
        # an unscoped storekeeper sees both units
        rows = self.sessions["storekeeper"].get("/api/v1/ledger/issues")["rows"]
        self.assertEqual({r["unit"] for r in rows}, {"CM1", "CM2"})

    def test_unit_scope_of_repair(self):
        """Equipment and repair: a repair fitter of CM1 sees CM1's only."""
        s = self.srv.session("rf_cm1", PW % "rf_cm1")
        month = self.today[:7]
        self.assertEqual([r["asset"] for r in s.get("/api/v1/equipment")["rows"]], ["P-1"])
        # (the appraisal of an asset in use implies its intake: two documents)
        self.assertEqual({r["asset"] for r in s.get("/api/v1/equipment/archive")["rows"]}, {"P-1"})
        self.assertEqual(s.get("/api/v1/equipment/archive?asset=P-2")["rows"], [])
        self.assertEqual([r["unit"] for r in s.get("/api/v1/reports/repair-costs?from=%s&to=%s"
                                                   % (month, month))["rows"]], ["CM1"])
        self.assertEqual(s.get("/api/v1/reports/repair-cycles")["count"], 3)
        for route in ("/api/v1/equipment", "/api/v1/equipment/archive", "/api/v1/reports/repair-cycles",
                      "/api/v1/reports/repair-costs"):
            self.assertEqual(s.json("GET", route + "?unit=CM2")[0], 403, route)
            self.assertEqual(s.json("GET", route + "?unit=CM1")[0], 200, route)
        # the downloads are narrowed the same way
        status, headers, body = s.request("GET", "/api/v1/equipment?format=csv")
        self.assertEqual(status, 200)
        self.assertIn("P-1", body.decode("utf-8-sig"))
        self.assertNotIn("P-2", body.decode("utf-8-sig"))
        # documents and quotas span units: not for a scoped user
        self.assertEqual(s.json("POST", "/api/v1/repair/docs", {"kind": "intake", "asset": "P-1",
                                                                "unit": "CM1"})[0], 403)
        # an unscoped reader sees both units; quotas are the material office's
        rows = self.sessions["finance"].get("/api/v1/equipment")["rows"]
        self.assertEqual({r["unit"] for r in rows}, {"CM1", "CM2"})
        quota = {"model": "乳化液泵", "class": "minor", "quota": "50.00"}
        self.assertEqual(self.sessions["electromech"].json("POST", "/api/v1/repair/quotas", quota)[0], 403)
        self.assertEqual(self.sessions["material_office"].json("POST", "/api/v1/repair/quotas", quota)[0], 201)

    def test_csrf_and_the_acting_person(self):
        s = self.srv.session("u_material_office", PW % "material_office")
        doc = {"kind": "receipt", "day": self.today,
               "lines": [{"warehouse": "W01", "item": "BOOT", "qty": "1", "value": "100.00"}]}
        before = counts(self.srv.db)
        self.assertEqual(s.json("POST", "/api/v1/documents", doc, csrf=False)[0], 403)
        self.assertEqual(s.json("POST", "/api/v1/documents", doc, headers={"X-CSRF-Token": "0" * 64},
                                csrf=False)[0], 403)
        status, body = s.json("POST", "/api/v1/documents", dict(doc, operator="li4"))
        self.assertEqual(status, 403, body)
        self.assertIn("u_material_office", body["error"])
        self.assertEqual(counts(self.srv.db), before, "nothing changed")
        status, body = s.json("POST", "/api/v1/documents", doc)
        self.assertEqual(status, 201, body)
        con = sqlite3.connect("file:%s?mode=ro" % self.srv.db, uri=True)
        op = con.execute("SELECT operator FROM movement WHERE id = ?", (body["first_movement"],)).fetchone()[0]
        con.close()
        self.assertEqual(op, "u_material_office", "the person acting comes from the session")
        audit = self.sessions["audit"].get("/api/v1/audit?user=u_material_office")["rows"]
        self.assertEqual([(a["method"], a["route"], a["status"]) for a in audit][:1],
                         [("POST", "/api/v1/documents", 201)])
        # the service token is an admin logged as "service"
        self.srv.post("/api/v1/periods/close", {"month": "1999-01", "by": "li4"})
        # sign-in must be JSON (a plain HTML form of another site cannot send it)
        status, _, _ = raw(self.srv, "POST", "/api/v1/session", b"user=root&password=x",
                           {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 415)
        # workflow: another person's name, or a role that is not mine, is refused
        st, body = s.json("POST", "/api/v1/workflow/instances",
                          {"definition": "x", "user": "someone", "role": "dept_reviewer"})
        self.assertEqual(st, 403, body)
        st, body = s.json("GET", "/api/v1/workflow/tasks?role=deputy_leader")
        self.assertEqual(st, 403, body)
        st, body = s.json("GET", "/api/v1/workflow/tasks?user=someone")
        self.assertEqual(st, 403, body)
        self.assertEqual(s.json("GET", "/api/v1/workflow/tasks?role=dept_reviewer")[0], 200)

    def test_injection_is_harmless(self):
        s = self.sessions["admin"]
        before = counts(self.srv.db)
        for method, path, op in routes():
            if path.startswith("/api/v1/session") or path == "/api/v1/users":
                continue
            if method == "GET":
                for p in op.get("parameters", []):
                    if p["in"] != "query":
                        continue
                    for bad in INJECTIONS:
                        url = concrete(path) + "?" + urllib.parse.urlencode({p["name"]: bad})
                        status, headers, body = s.request("GET", url)
                        self.assertLess(status, 500, "%s %r: %d %r" % (path, bad, status, body[:200]))
                        self.assertEqual(headers.get("X-Content-Type-Options"), "nosniff", url)
                        if not headers.get("Content-Disposition"):
                            self.assertTrue(headers["Content-Type"].startswith("application/json"), url)
                            json.loads(body.decode("utf-8"))
            elif "{" not in path and not path.endswith("/definitions"):
                fields = {"documents": ["kind", "doc", "day", "approver"], "periods/close": ["month"],
                          "safety-marks": ["category", "reason", "approver"], "expense-tags": ["tag"],
                          "exceptions/resolve": ["terminal", "note"], "revolving": ["action", "model", "unit"],
                          "spares": ["unit", "item", "serial", "location", "since"],
                          "spares/events": ["kind", "day", "note"], "workflow/instances": ["definition"],
                          "repair/docs": ["kind", "asset", "unit", "day"], "repair/quotas": ["model", "class"]}
                key = path[len("/api/v1/"):]
                for field in fields.get(key, []):
                    for bad in INJECTIONS:
                        body = {field: bad}
                        if key == "documents":
                            body = {"kind": "receipt", "day": self.today, "lines": [
                                {"warehouse": "W01", "item": "BOOT", "qty": "1", "value": "1.00"}]}
                            body[field] = bad
                        status, answer = s.json("POST", path, body)
                        if status == 201:
                            # a document number is free text: kept as given, answered as JSON
                            self.assertEqual((field, answer.get("doc")), ("doc", bad), answer)
                            before = counts(self.srv.db)
                            continue
                        self.assertIn(status, (400, 403, 404, 409, 422), "%s %s=%r: %d %r" % (path, field, bad, status, answer))
            # lines of a document: every field of a line
        for field in ("warehouse", "item", "qty", "value", "unit", "plan", "note", "ref", "source"):
            for bad in INJECTIONS:
                line = {"warehouse": "W01", "item": "BOOT", "qty": "1", "value": "1.00", field: bad}
                status, answer = s.json("POST", "/api/v1/documents", {"kind": "receipt", "day": self.today,
                                                                     "lines": [line]})
                if status == 201:   # a note or ref is free text: stored as text, harmless
                    self.assertIn(field, ("note", "ref"), answer)
                    before = counts(self.srv.db)
                else:
                    self.assertIn(status, (400, 404, 409), "%s=%r: %d %r" % (field, bad, status, answer))
        self.assertEqual(counts(self.srv.db), before, "no injection changed anything")
        self.assertEqual(h.integrity_check(self.srv.db), ["ok"])
        # a name sent with markup comes back as the same string (escaped by JSON, shown as text)
        status, body = s.json("POST", "/api/v1/users", {"name": "<b>x</b>", "role": "audit", "password": "p" * 12})
        self.assertEqual(status, 400)

    def test_throttle_and_sign_out(self):
        srv = self.srv
        srv.add_user("victim", "finance", PW % "victim")
        for _ in range(5):
            self.assertEqual(h.WebSession(srv).sign_in("victim", "wrong-password")[0], 401)
        w = h.WebSession(srv)
        status, body = w.sign_in("victim", PW % "victim")
        self.assertEqual(status, 429, body)
        st, headers, _ = w.request("POST", "/api/v1/session", {"user": "victim", "password": PW % "victim"})
        self.assertEqual(st, 429)
        self.assertGreater(int(headers["Retry-After"]), 0)
        # another person is not locked out; signing out ends the session
        s = srv.session("u_finance", PW % "finance")
        self.assertEqual(s.json("GET", "/api/v1/session")[0], 200)
        cookie = [c for c in s.jar if c.name == "tt_session"][0].value
        self.assertEqual(s.post("/api/v1/session/logout", {})[0], 200)
        self.assertEqual(raw(srv, "GET", "/api/v1/session", headers={"Cookie": "tt_session=" + cookie})[0], 401)

    def test_static_pages(self):
        srv = self.srv
        status, headers, body = raw(srv, "GET", "/")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/html"))
        self.assertIn("script-src 'self'", headers["Content-Security-Policy"])
        status, headers, _ = raw(srv, "GET", "/js/app.js")
        self.assertEqual((status, headers["Content-Type"]), (200, "text/javascript; charset=utf-8"))
        self.assertEqual(raw(srv, "GET", "/js/app.js", headers={"If-None-Match": headers["ETag"]})[0], 304)
        for bad in ("/../server.conf", "/css/../../server.conf", "/%2e%2e/server.conf", "/.git/config",
                    "//etc/passwd", "/index.html/", "/nope.html", "/js/.hidden.js", "/web/index.html"):
            # a raw request line: no client normalising the path
            with socket.create_connection(("127.0.0.1", srv.http_port), timeout=h.scaled(10)) as sk:
                sk.sendall(("GET %s HTTP/1.0\r\n\r\n" % bad).encode())
                reply = b""
                while True:
                    chunk = sk.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
            self.assertTrue(reply.startswith(b"HTTP/1.0 404") or reply.startswith(b"HTTP/1.1 404"), (bad, reply[:100]))
            self.assertNotIn(b"token_file", reply)
        self.assertEqual(raw(srv, "POST", "/index.html", b"x")[0], 405)
        # a NUL cannot make a file pass for another type: the path ends there
        status, headers, _ = raw(srv, "GET", "/js/app.js%00.html")
        self.assertTrue(status == 404 or headers["Content-Type"].startswith("text/javascript"))


if __name__ == "__main__":
    h.main()
