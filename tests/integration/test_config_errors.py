"""tagtrail-edge and tagtrail-server refuse a bad configuration: exit code 2
and "file:line: reason" on stderr (the exact path and line), or
"file: missing required key 'x'"; nothing is created on disk."""

import os
import shutil
import subprocess
import tempfile
import unittest

import harness as h

MARK = "<<BAD>>"   # marks the offending line in a config template


class ConfigBase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ttc", dir="/tmp")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, lines):
        """Writes lines (one may end with MARK); returns (path, 1-based line of MARK or None)."""
        path = os.path.join(self.dir, name)
        bad = None
        out = []
        for i, l in enumerate(lines, 1):
            if l.endswith(MARK):
                bad = i
                l = l[: -len(MARK)]
            out.append(l)
        with open(path, "w") as f:
            f.write("\n".join(out) + "\n")
        return path, bad

    def run_bin(self, argv, cwd=None):
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           cwd=cwd or self.dir, timeout=h.scaled(30))
        return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")

    def assertRefused(self, argv, expect, cwd=None):
        code, out, err = self.run_bin(argv, cwd)
        self.assertEqual(code, 2, "%s: exit code %d, expected 2\nstdout: %s\nstderr: %s"
                         % (" ".join(argv), code, out, err))
        self.assertIn(expect, err, "%s: stderr lacks %r\nstderr: %s" % (" ".join(argv), expect, err))
        for m in h.SANITIZER_MARKERS:
            self.assertNotIn(m, err)
        return err

    def assertNothingCreated(self, *names):
        for n in names:
            self.assertFalse(os.path.exists(os.path.join(self.dir, n)), "%s was created" % n)


class TlsKeys:
    """The [mqtt] TLS keys, the same in both configs.  A subclass gives
    base() and mqtt_at (the index of the "[mqtt]" line in it)."""

    def put(self, name, text, mode):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def with_mqtt(self, mqtt_lines):
        l = self.base()
        at = self.mqtt_at
        return l[:at + 1] + mqtt_lines + l[at + 2:]   # replaces the url line

    def tls_files(self):
        self.put("ca.crt", "CA\n", 0o644)
        self.put("me.crt", "CERT\n", 0o644)
        self.put("me.key", "KEY\n", 0o600)
        self.put("mqtt.password", "Zq8secret\n", 0o600)

    def test_tls_config_checks_ok(self):
        self.tls_files()
        path, _ = self.write(self.name, self.with_mqtt(
            ["url = mqtts://broker.example:8883", "username = T01", "password_file = mqtt.password",
             "ca_file = ca.crt", "cert_file = me.crt", "key_file = me.key"]))
        code, out, err = self.run_bin([self.bin, "--check", "-c", path])
        self.assertEqual(code, 0, err)

    def test_tls_url_without_ca_file(self):
        self.refuse(self.with_mqtt(["url = ssl://broker.example:8883"]),
                    "mqtt.url is TLS (ssl://, mqtts://) but mqtt.ca_file is not set")

    def test_ca_file_with_plain_url(self):
        self.tls_files()
        self.refuse(self.with_mqtt(["url = tcp://127.0.0.1:1", "ca_file = ca.crt"]),
                    "mqtt.ca_file, cert_file and key_file need a TLS mqtt.url")

    def test_unreadable_ca_file(self):
        self.refuse(self.with_mqtt(["url = ssl://b:8883", "ca_file = nowhere.crt" + MARK]),
                    "cannot read '%s/nowhere.crt' for 'mqtt.ca_file'" % self.dir)

    def test_password_file_open_to_others(self):
        self.tls_files()
        self.put("open.password", "Zq8secret\n", 0o644)
        self.refuse(self.with_mqtt(["url = ssl://b:8883", "ca_file = ca.crt", "username = T01",
                                    "password_file = open.password" + MARK]),
                    "'%s/open.password' for 'mqtt.password_file' is open to group or others (mode 644)"
                    % self.dir)

    def test_key_file_open_to_others(self):
        self.tls_files()
        self.put("open.key", "KEY\n", 0o640)
        self.refuse(self.with_mqtt(["url = ssl://b:8883", "ca_file = ca.crt", "cert_file = me.crt",
                                    "key_file = open.key" + MARK]),
                    "'%s/open.key' for 'mqtt.key_file' is open to group or others (mode 640)" % self.dir)

    def test_bad_url_scheme(self):
        self.refuse(self.with_mqtt(["url = mqtt://b:1883"]), "mqtt.url must start with tcp://, ssl:// or mqtts://")


class ServerConfig(ConfigBase, TlsKeys):
    name = "server.conf"
    bin = h.SERVER_BIN
    mqtt_at = 5

    def base(self):
        return ["# server", "site = mine1", "database = server.db", "[http]", "port = 18080",
                "[mqtt]", "url = tcp://127.0.0.1:1", ""]

    def refuse(self, lines, reason):
        path, line = self.write("server.conf", lines)
        expect = "%s:%d: %s" % (path, line, reason) if line else "%s: %s" % (path, reason)
        for extra in ([], ["--check"]):
            self.assertRefused([h.SERVER_BIN, "-c", path] + extra, expect)
        self.assertNothingCreated("server.db", "server.db-wal")

    def test_valid_config_checks_ok(self):
        path, _ = self.write("server.conf", self.base())
        code, out, err = self.run_bin([h.SERVER_BIN, "--check", "-c", path])
        self.assertEqual(code, 0, err)
        self.assertIn("ok", out)

    def test_unknown_key_top_level(self):
        l = self.base()
        l.insert(3, "colour = blue" + MARK)
        self.refuse(l, "unknown key 'colour'")

    def test_unknown_key_in_section(self):
        l = self.base()
        l.insert(5, "portt = 8080" + MARK)
        self.refuse(l, "unknown key 'http.portt'")

    def test_dotted_key_outside_section(self):
        l = ["site = mine1", "database = server.db", "http.port = 8080" + MARK, "[mqtt]", "url = tcp://127.0.0.1:1"]
        self.refuse(l, "expected 'key = value'")

    def test_bad_integer(self):
        l = self.base()
        l[4] = "port = eighty" + MARK
        self.refuse(l, "bad integer 'eighty' for 'http.port'")

    def test_integer_out_of_range(self):
        l = self.base()
        l[4] = "port = 70000" + MARK
        self.refuse(l, "value '70000' for 'http.port' out of range [0, 65535]")

    def test_bad_enum(self):
        l = self.base()
        l.insert(2, "log_level = loud" + MARK)
        self.refuse(l, "bad value 'loud' for 'log_level'")

    def test_duplicate_key(self):
        l = self.base()
        l.insert(3, "site = mine2" + MARK)
        self.refuse(l, "duplicate key 'site'")

    def workflow_dir(self, calendar=None, roles="roles:\n  clerk: x\n"):
        """A workflow folder in the test's dir; returns its name."""
        os.makedirs(os.path.join(self.dir, "wf", "calendars"))
        with open(os.path.join(self.dir, "wf", "calendars", "c.yaml"), "w") as f:
            f.write(calendar or "calendar: c\ntimezone: Asia/Shanghai\n")
        if roles is not None:
            with open(os.path.join(self.dir, "wf", "roles.yaml"), "w") as f:
                f.write(roles)
        return "wf"

    def test_token_file_missing(self):
        l = self.base()
        l.insert(5, "token_file = nope" + MARK)
        self.refuse(l, "cannot read '%s/nope' for 'http.token_file'" % self.dir)

    def test_token_file_open_to_others(self):
        self.put("open.token", "x" * 40 + "\n", 0o644)
        l = self.base()
        l.insert(5, "token_file = open.token" + MARK)
        self.refuse(l, "'%s/open.token' for 'http.token_file' is open to group or others (mode 644)"
                    % self.dir)

    def test_token_too_short_or_spaced(self):
        for token in ("short\n", "a token with spaces in it, long enough to pass\n"):
            self.put("office.token", token, 0o600)
            l = self.base()
            l.insert(5, "token_file = office.token")
            self.refuse(l, "http.token_file must hold one token of 32-128 printable characters "
                           "without spaces")

    def test_workflow_calendar_error_names_line_and_column(self):
        wf = self.workflow_dir(calendar="calendar: c\nholidays: [2026-02-30]\n")
        path, _ = self.write("server.conf", self.base() + ["[workflow]", "dir = " + wf])
        self.assertRefused([h.SERVER_BIN, "-c", path, "--check"],
                           "%s/wf/calendars/c.yaml:2:12: '2026-02-30' is not a date" % self.dir)
        self.assertNothingCreated("server.db")

    def test_workflow_roles_missing(self):
        wf = self.workflow_dir(roles=None)
        path, _ = self.write("server.conf", self.base() + ["[workflow]", "dir = " + wf])
        self.assertRefused([h.SERVER_BIN, "-c", path],
                           "workflow: %s/wf/roles.yaml: cannot open" % self.dir)
        self.assertNothingCreated("server.db")

    def test_missing_required_key(self):
        l = ["site = mine1", "database = server.db", "[http]", "port = 8080"]
        self.refuse(l, "missing required key 'mqtt.url'")

    def test_relative_path_named_as_given(self):
        l = self.base()
        l.insert(1, "bogus = 1" + MARK)
        path, line = self.write("server.conf", l)
        self.assertRefused([h.SERVER_BIN, "-c", "server.conf"], "server.conf:%d: unknown key 'bogus'" % line)
        self.assertNothingCreated("server.db")


class EdgeConfig(ConfigBase, TlsKeys):
    name = "t01.conf"
    bin = h.EDGE_BIN
    mqtt_at = 6

    def base(self):
        return ["# terminal", "board = %s" % h.SIM_BOARD, "terminal_id = T01", "site = mine1",
                "store = t01.db", "control_socket = t01.sock", "[mqtt]", "url = tcp://127.0.0.1:1",
                "[uplink]", "resend_ms = 2000", ""]

    def refuse(self, lines, reason, name="t01.conf", at=None):
        path, line = self.write(name, lines)
        where = at or path
        expect = "%s:%d: %s" % (where, line, reason) if line else "%s: %s" % (where, reason)
        for extra in ([], ["--check"]):
            self.assertRefused([h.EDGE_BIN, "-c", path] + extra, expect)
        self.assertNothingCreated("t01.db", "t01.db-wal", "t01.sock")

    def test_valid_config_checks_ok(self):
        path, _ = self.write("t01.conf", self.base())
        code, out, err = self.run_bin([h.EDGE_BIN, "--check", "-c", path])
        self.assertEqual(code, 0, err)
        self.assertIn("ok", out)
        self.assertNothingCreated("t01.db", "t01.sock")

    def test_unknown_key_top_level(self):
        l = self.base()
        l.insert(4, "colour = blue" + MARK)
        self.refuse(l, "unknown key 'colour'")

    def test_unknown_key_in_section(self):
        l = self.base()
        l.insert(10, "speed = 3" + MARK)
        self.refuse(l, "unknown key 'uplink.speed'")

    def test_dotted_key_outside_section(self):
        l = self.base()
        l.insert(2, "mqtt.keepalive_s = 10" + MARK)
        self.refuse(l, "expected 'key = value'")

    def test_value_out_of_range(self):
        l = self.base()
        l[9] = "resend_ms = 100" + MARK
        self.refuse(l, "value '100' for 'uplink.resend_ms' out of range [500, 600000]")

    def test_bad_integer(self):
        l = self.base()
        l.insert(9, "window = many" + MARK)
        self.refuse(l, "bad integer 'many' for 'uplink.window'")

    def test_bad_enum(self):
        l = self.base()
        l.insert(3, "log_level = chatty" + MARK)
        self.refuse(l, "bad value 'chatty' for 'log_level'")

    def test_missing_terminal_id(self):
        l = [x for x in self.base() if not x.startswith("terminal_id")]
        self.refuse(l, "missing required key 'terminal_id'")

    def test_missing_mqtt_url(self):
        l = [x for x in self.base() if not x.startswith("url")]
        self.refuse(l, "missing required key 'mqtt.url'")

    def test_missing_board(self):
        l = [x for x in self.base() if not x.startswith("board")]
        self.refuse(l, "missing required key 'board'")

    def test_error_in_board_file_names_the_board(self):
        board, bline = self.write("board.conf", ["[board]", "name = custom", "[scanner]", "driver = fake",
                                                 "beeper = loud" + MARK])
        l = self.base()
        l[1] = "board = board.conf"
        path, _ = self.write("t01.conf", l)
        for extra in ([], ["--check"]):
            self.assertRefused([h.EDGE_BIN, "-c", path] + extra,
                               "%s:%d: unknown key 'scanner.beeper'" % (board, bline))
        self.assertNothingCreated("t01.db", "t01.sock")

    def test_relative_path_named_as_given(self):
        l = self.base()
        l.insert(1, "bogus = 1" + MARK)
        path, line = self.write("t01.conf", l)
        self.assertRefused([h.EDGE_BIN, "-c", "t01.conf"], "t01.conf:%d: unknown key 'bogus'" % line)
        self.assertNothingCreated("t01.db", "t01.sock")


if __name__ == "__main__":
    h.main()
