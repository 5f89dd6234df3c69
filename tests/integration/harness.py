"""Integration harness for tagtrail: drives the real tagtrail-edge and
tagtrail-server binaries against a private mosquitto on a free port.

Standard library only.  Paths come from TT_BUILD_DIR / TT_SOURCE_DIR (set by
ctest), defaulting to ../../build and ../.. relative to this file so that a
test also runs by hand:  cd tests/integration && python3 -u test_x.py

Every process is started by the main thread with PR_SET_PDEATHSIG, so none
outlives the test even when the test itself is SIGKILLed (ctest timeout);
Cluster.__exit__ stops everything on success, failure and KeyboardInterrupt.
Logs live in the cluster's temp dir; their tails are printed on failure, and
the dir is kept (its path printed) when something failed or TT_KEEP_TMP=1.
"""

import atexit
import contextlib
import ctypes
import json
import os
import pwd
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_DIR = os.path.abspath(os.environ.get("TT_BUILD_DIR") or os.path.join(HERE, "..", "..", "build"))
SOURCE_DIR = os.path.abspath(os.environ.get("TT_SOURCE_DIR") or os.path.join(HERE, "..", ".."))
EDGE_BIN = os.path.join(BUILD_DIR, "firmware", "tagtrail-edge")
SERVER_BIN = os.path.join(BUILD_DIR, "server", "tagtrail-server")
SIM_BOARD = os.path.join(SOURCE_DIR, "boards", "sim.conf")
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PUB = shutil.which("mosquitto_pub") or "/usr/bin/mosquitto_pub"
MOSQUITTO_SUB = shutil.which("mosquitto_sub") or "/usr/bin/mosquitto_sub"
TAGTRAIL_BIN = os.path.join(BUILD_DIR, "firmware", "tagtrail")
# The shipped broker configuration, run as is in TLS mode (paths and port aside).
BROKER_CONF = os.path.join(SOURCE_DIR, "deploy", "mosquitto", "tagtrail.conf")
BROKER_FILES = "/etc/mosquitto/tagtrail/"


def _sanitized_build():
    """True for a TT_SANITIZE=ON build (ASan/UBSan: 2-3x slower)."""
    try:
        with open(os.path.join(BUILD_DIR, "CMakeCache.txt"), encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("TT_SANITIZE:"):
                    return line.strip().split("=", 1)[1].upper() in ("ON", "1", "TRUE", "YES")
    except OSError:
        pass
    return "asan" in os.path.basename(BUILD_DIR.rstrip("/")).lower()


SANITIZED = _sanitized_build()
SLOW = 3.0 if SANITIZED else 1.0


def scaled(seconds):
    """A timeout, stretched for sanitizer builds."""
    return seconds * SLOW


SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "AddressSanitizer:DEADLYSIGNAL", "SUMMARY: UndefinedBehaviorSanitizer")


# --------------------------------------------------------------------------
# quantities: exact decimal text <-> integer thousandths (never floats)

_QTY_RE = re.compile(r"^(-?)(\d+)(?:\.(\d{1,3}))?$")


def qty_to_milli(text):
    """'12.5' -> 12500, exactly.  Raises ValueError for anything else."""
    if not isinstance(text, str):
        raise ValueError("quantity %r is not a string" % (text,))
    m = _QTY_RE.match(text)
    if not m:
        raise ValueError("quantity %r is not a decimal with at most 3 places" % (text,))
    v = int(m.group(2)) * 1000 + int((m.group(3) or "").ljust(3, "0"))
    return -v if m.group(1) else v


def milli_to_qty(milli):
    """12500 -> '12.5', 3000 -> '3' (shortest exact form, like the product)."""
    if not isinstance(milli, int):
        raise TypeError("thousandths must be an int")
    sign = "-" if milli < 0 else ""
    whole, frac = divmod(abs(milli), 1000)
    if frac == 0:
        return "%s%d" % (sign, whole)
    return ("%s%d.%03d" % (sign, whole, frac)).rstrip("0")


# --------------------------------------------------------------------------
# small utilities

def free_port():
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_tail(path, lines=40):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            data = f.read().decode("utf-8", errors="replace")
    except OSError as e:
        return "(cannot read %s: %s)" % (path, e)
    return "\n".join(data.splitlines()[-lines:])


_current = None   # the innermost running Cluster, for wait_until's log dump


def wait_until(predicate, timeout, what, interval=0.05, cluster=None):
    """Polls predicate() until it returns something truthy, and returns that.
    A predicate that raises counts as "not yet" (a server restarting...).
    On timeout raises AssertionError naming `what`, with the last value or
    exception, after printing the tails of the cluster's logs."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            v = predicate()
            if v:
                return v
            last = "last value: %r" % (v,)
        except Exception as e:   # noqa: BLE001 - "not yet", reported on timeout
            last = "last error: %s: %s" % (type(e).__name__, e)
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    c = cluster or _current
    msg = "timed out after %.1f s waiting for %s (%s)" % (timeout, what, last)
    if c is not None:
        c.dump_logs("wait_until failed: " + what)
    raise AssertionError(msg)


def _pdeathsig():
    """preexec_fn: the child gets SIGKILL when the thread that started it
    dies, so no process outlives a killed test."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except Exception:   # noqa: BLE001 - best effort
        pass


_all_procs = set()


@atexit.register
def _kill_leftovers():
    for p in list(_all_procs):
        if p.poll() is None:
            with contextlib.suppress(OSError):
                p.kill()
            with contextlib.suppress(Exception):
                p.wait(timeout=5)


class Proc:
    """One child process whose stdout+stderr go to `log` (appended across
    restarts, with a marker line per start)."""

    def __init__(self, name, argv, log, cwd=None):
        self.name = name
        self.argv = argv
        self.log = log
        self.cwd = cwd
        self.p = None
        self.starts = 0
        self.env = None        # the environment to start with (None: the test's own)
        self.expected_dead = True
        self.exit_codes = []   # (how, code) for every end seen

    def start(self):
        if self.running():
            raise RuntimeError("%s already running" % self.name)
        self.starts += 1
        with open(self.log, "ab") as f:
            f.write(("==== harness: start #%d of %s: %s\n" % (self.starts, self.name, " ".join(self.argv))).encode())
            f.flush()
            self.p = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                                      cwd=self.cwd, env=self.env, preexec_fn=_pdeathsig)
        _all_procs.add(self.p)
        self.expected_dead = False
        return self

    def running(self):
        return self.p is not None and self.p.poll() is None

    @property
    def pid(self):
        return self.p.pid if self.p else None

    def _mark(self, text):
        with open(self.log, "ab") as f:
            f.write(("==== harness: %s\n" % text).encode())

    def _reap(self, how, timeout):
        try:
            code = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._mark("%s did not exit within %.0f s of %s: SIGKILL" % (self.name, timeout, how))
            self.p.kill()
            code = self.p.wait(timeout=30)
            how += "+timeout-kill"
        _all_procs.discard(self.p)
        self.exit_codes.append((how, code))
        self._mark("%s ended (%s), exit code %s" % (self.name, how, code))
        return code

    def kill(self):
        """kill -9; returns once the process is gone."""
        self.expected_dead = True
        if self.p is None:
            return None
        if self.p.poll() is None:
            self._mark("kill -9 %s" % self.name)
            with contextlib.suppress(ProcessLookupError):
                self.p.kill()
        return self._reap("SIGKILL", 30)

    def stop(self, timeout=None):
        """SIGTERM and wait; returns the exit code (SIGKILL after timeout)."""
        self.expected_dead = True
        if self.p is None:
            return None
        if self.p.poll() is None:
            self._mark("SIGTERM %s" % self.name)
            with contextlib.suppress(ProcessLookupError):
                self.p.send_signal(signal.SIGTERM)
        return self._reap("SIGTERM", timeout if timeout is not None else scaled(20))

    def check_alive(self):
        if not self.running():
            code = self.p.poll() if self.p else None
            raise AssertionError("%s is not running (exit code %s); log tail:\n%s"
                                 % (self.name, code, log_tail(self.log)))

    def sanitizer_reports(self):
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            return []
        return [l for l in text.splitlines() if any(m in l for m in SANITIZER_MARKERS)]


class Mosquitto(Proc):
    """A private broker on 127.0.0.1:port; restart() keeps the port.

    With tls_dir (a folder holding what the site CA's broker/ folder holds:
    ca.crt, broker.crt, broker.key, passwd, acl, crl.pem), it runs the
    shipped deploy/mosquitto/tagtrail.conf with its /etc/mosquitto/tagtrail/
    paths pointed at tls_dir and its listener moved to 127.0.0.1:port;
    without, an anonymous plain listener.  `name` names its files, for a
    second broker in the same temp dir."""

    def __init__(self, tmpdir, port=None, tls_dir=None, name="mosquitto"):
        self.port = port or free_port()
        self.tls_dir = tls_dir
        self.conf = os.path.join(tmpdir, "%s.conf" % name)
        logging = ("persistence false\nlog_dest stderr\nlog_type error\nlog_type warning\n"
                   "log_type notice\nlog_type information\nconnection_messages true\n")
        if tls_dir:
            with open(BROKER_CONF) as f:
                text = f.read()
            if text.count("\nlistener 8883\n") != 1 or "\nlistener" in text.replace("\nlistener 8883\n", ""):
                raise AssertionError("%s: expected exactly one listener, 'listener 8883'" % BROKER_CONF)
            text = text.replace(BROKER_FILES, tls_dir.rstrip("/") + "/")
            text = text.replace("\nlistener 8883\n", "\nlistener %d 127.0.0.1\n" % self.port)
            # Run as ourselves: as root, mosquitto would switch to the
            # mosquitto user, who cannot read the test's files.
            text += "\n# added by the test harness\nuser %s\n%s" % (pwd.getpwuid(os.geteuid()).pw_name, logging)
        else:
            text = "listener %d 127.0.0.1\nallow_anonymous true\n%s" % (self.port, logging)
        with open(self.conf, "w") as f:
            f.write(text)
        super().__init__(name, [MOSQUITTO, "-c", self.conf], os.path.join(tmpdir, "%s.log" % name))

    def reload(self, timeout=None):
        """SIGHUP (rereads passwd, acl, crl.pem); returns once the broker logged it."""
        before = self.log_text().count("Reloading config")
        self.p.send_signal(signal.SIGHUP)
        wait_until(lambda: self.log_text().count("Reloading config") > before, timeout or scaled(10),
                   "%s reloading its configuration" % self.name)

    def log_text(self):
        with open(self.log, encoding="utf-8", errors="replace") as f:
            return f.read()

    def client(self, tool, args, timeout=None):
        """Runs mosquitto_pub or mosquitto_sub (tool "pub"/"sub") against this
        broker with extra `args` (credentials, TLS files, topics); returns the
        CompletedProcess whatever its exit code (a rogue client is meant to fail)."""
        argv = [MOSQUITTO_PUB if tool == "pub" else MOSQUITTO_SUB, "-h", "127.0.0.1", "-p", str(self.port)]
        return subprocess.run(argv + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout or scaled(60))

    def accepting(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def wait_ready(self, timeout=None):
        def ready():
            self.check_alive()
            return self.accepting()
        wait_until(ready, timeout or scaled(20), "mosquitto listening on port %d" % self.port)
        return self

    def start(self):
        super().start()
        return self.wait_ready()

    def restart(self):
        """Stops the broker and starts a new one on the same port."""
        self.stop()
        return self.start()

    def publish(self, topic, message=None, file=None, qos=1, retain=False, timeout=None):
        """Publishes with mosquitto_pub (a rogue client); returns its CompletedProcess."""
        argv = [MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", str(self.port), "-q", str(qos), "-t", topic,
                "-i", "rogue-%d-%d" % (os.getpid(), random.randrange(1 << 30))]
        if retain:
            argv.append("-r")
        if file is not None:
            argv += ["-f", file]
        elif isinstance(message, bytes):
            argv.append("-s")   # message from stdin: any bytes
        else:
            argv += ["-m", message]
        r = subprocess.run(argv, input=message if isinstance(message, bytes) else None,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout or scaled(60))
        if r.returncode != 0:
            raise AssertionError("mosquitto_pub to %r failed (%d): %s" % (topic, r.returncode,
                                                                         r.stderr.decode(errors="replace")))
        return r


class Server(Proc):
    """tagtrail-server with a config in `tmpdir`; `extra` is text appended to
    the config (e.g. "[ingest]\\nround_max = 1\\n")."""

    def __init__(self, tmpdir, mqtt_port, http_port=None, site="mine1", extra="", mqtt=None):
        """mqtt: the lines of the [mqtt] section (default: the plain url)."""
        self.tmpdir = tmpdir
        self.http_port = http_port or free_port()
        self.conf = os.path.join(tmpdir, "server.conf")
        self.db = os.path.join(tmpdir, "server.db")
        # The office's write token (docs/api.md, "Writing"): every test
        # server can take office documents through post().
        self.token = "tt-test-" + os.urandom(24).hex()
        token_file = os.path.join(tmpdir, "office.token")
        fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.token + "\n")
        mqtt = mqtt or ["url = tcp://127.0.0.1:%d" % mqtt_port]
        # The web office's pages from the source tree; cookies without
        # Secure, since the tests speak plain http to 127.0.0.1.
        with open(self.conf, "w") as f:
            f.write("site = %s\ndatabase = server.db\n[http]\nport = %d\ntoken_file = office.token\n"
                    "web_dir = %s\nsecure_cookies = false\n[mqtt]\n%s\n%s"
                    % (site, self.http_port, os.path.join(SOURCE_DIR, "web"), "\n".join(mqtt), extra))
        super().__init__("server", [SERVER_BIN, "-c", self.conf], os.path.join(tmpdir, "server.log"))

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.http_port, path)

    def get(self, path, timeout=None):
        """GET path with the service token -> decoded JSON (raises on a
        non-200 answer)."""
        req = urllib.request.Request(self.url(path), headers={"Authorization": "Bearer " + self.token})
        with urllib.request.urlopen(req, timeout=timeout or scaled(15)) as r:
            body = r.read()
            if r.status != 200:
                raise AssertionError("GET %s: HTTP %d %r" % (path, r.status, body[:200]))
            return json.loads(body.decode("utf-8"))

    def post(self, path, body, token=None, expect=None):
        """POST body (a dict, sent as JSON; or bytes, sent as they are) with
        the office token (or `token`) -> (status, decoded JSON answer).  With
        `expect`, a different status fails."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.url(path), data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
        if token != "":
            req.add_header("Authorization", "Bearer " + (token or self.token))
        try:
            with urllib.request.urlopen(req, timeout=scaled(30)) as r:
                status, answer = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, answer = e.code, e.read()
        decoded = json.loads(answer.decode("utf-8"))
        if expect is not None and status != expect:
            raise AssertionError("POST %s: HTTP %d (expected %d): %r" % (path, status, expect, decoded))
        return status, decoded

    def create_admin(self, name, password):
        """tagtrail-server --create-admin NAME, the password on stdin."""
        r = subprocess.run([SERVER_BIN, "-c", self.conf, "--create-admin", name], input=(password + "\n").encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=scaled(60))
        if r.returncode != 0:
            raise AssertionError("--create-admin %s: exit %d: %s" % (name, r.returncode, r.stderr.decode()))

    def add_user(self, name, role, password, unit="", wf_roles=""):
        """Creates a user of the web office through POST /api/v1/users (service token)."""
        return self.post("/api/v1/users", {"name": name, "role": role, "unit": unit, "wf_roles": wf_roles,
                                           "password": password}, expect=201)

    def session(self, name, password, expect=200):
        """Signs in -> a WebSession (cookies and CSRF token kept)."""
        s = WebSession(self)
        status, body = s.sign_in(name, password)
        if expect is not None and status != expect:
            raise AssertionError("sign-in of %s: HTTP %d (expected %d): %r" % (name, status, expect, body))
        return s

    def health_ok(self):
        try:
            with urllib.request.urlopen(self.url("/api/v1/health"), timeout=2) as r:
                return r.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def wait_ready(self, timeout=None):
        def ready():
            self.check_alive()
            return self.health_ok()
        wait_until(ready, timeout or scaled(30), "server health on port %d" % self.http_port)
        return self

    def start(self):
        super().start()
        return self.wait_ready()

    # -- API helpers
    def stock(self, **query):
        """{(warehouse, item): thousandths} of /api/v1/stock; duplicate rows fail."""
        qs = "&".join("%s=%s" % kv for kv in query.items())
        rows = self.get("/api/v1/stock" + ("?" + qs if qs else ""))["stock"]
        out = {}
        for r in rows:
            key = (r["warehouse"], r["item"])
            if key in out:
                raise AssertionError("stock lists %r twice" % (key,))
            out[key] = qty_to_milli(r["qty"])
        return out

    def terminals(self):
        return {t["id"]: t for t in self.get("/api/v1/terminals")["terminals"]}

    def terminal(self, tid):
        return self.terminals().get(tid)

    def applied_seq(self, tid):
        t = self.terminal(tid)
        return t["applied_seq"] if t else 0

    def rejections(self, terminal=None):
        return self.get("/api/v1/rejections" + ("?terminal=" + terminal if terminal else ""))


class WebSession:
    """A browser-like client of the web office: the session cookie and the
    CSRF token of a sign-in, sent back as a browser and the pages do."""

    def __init__(self, server):
        import http.cookiejar
        self.server = server
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = None
        self.me = None

    def request(self, method, path, body=None, headers=None, csrf=True):
        """-> (status, headers, body bytes) whatever the status; dict bodies
        are sent as JSON, and POSTs carry X-CSRF-Token unless csrf=False."""
        data = None
        hdrs = dict(headers or {})
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
            hdrs.setdefault("Content-Type", "application/json")
        if method == "POST" and csrf and self.csrf:
            hdrs["X-CSRF-Token"] = self.csrf
        req = urllib.request.Request(self.server.url(path), data=data, method=method, headers=hdrs)
        try:
            with self.opener.open(req, timeout=scaled(30)) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def json(self, method, path, body=None, **kw):
        status, _, raw = self.request(method, path, body, **kw)
        try:
            return status, json.loads(raw.decode("utf-8"))
        except ValueError:
            return status, raw

    def sign_in(self, name, password):
        status, body = self.json("POST", "/api/v1/session", {"user": name, "password": password})
        if status == 200:
            self.csrf = body["csrf"]
            self.me = body
        return status, body

    def get(self, path):
        status, body = self.json("GET", path)
        if status != 200:
            raise AssertionError("GET %s: HTTP %d %r" % (path, status, body))
        return body

    def post(self, path, body, expect=None, **kw):
        status, answer = self.json("POST", path, body, **kw)
        if expect is not None and status != expect:
            raise AssertionError("POST %s: HTTP %d (expected %d): %r" % (path, status, expect, answer))
        return status, answer


class ControlError(Exception):
    """The terminal answered "err ..." to a control command."""


class Terminal(Proc):
    """tagtrail-edge with the sim board.  `uplink` is a dict of extra
    [uplink] keys (batch_max, window, ...) beside resend_ms; `mqtt` the
    lines of its [mqtt] section (default: the plain url)."""

    def __init__(self, tmpdir, tid, mqtt_port, site="mine1", resend_ms=2000, uplink=None, mqtt=None):
        self.tid = tid
        low = tid.lower()
        self.conf = os.path.join(tmpdir, "%s.conf" % low)
        self.store = os.path.join(tmpdir, "%s.db" % low)
        self.sock_path = os.path.join(tmpdir, "%s.sock" % low)
        if len(self.sock_path.encode()) >= 108:
            raise ValueError("control socket path too long: %s" % self.sock_path)
        up = {"resend_ms": resend_ms}
        up.update(uplink or {})
        mqtt = mqtt or ["url = tcp://127.0.0.1:%d" % mqtt_port]
        with open(self.conf, "w") as f:
            f.write("board = %s\nterminal_id = %s\nsite = %s\nstore = %s.db\ncontrol_socket = %s.sock\n"
                    "[mqtt]\n%s\n[uplink]\n" % (SIM_BOARD, tid, site, low, low, "\n".join(mqtt)))
            for k, v in up.items():
                if v is not None:
                    f.write("%s = %s\n" % (k, v))
        super().__init__("terminal-%s" % tid, [EDGE_BIN, "-c", self.conf], os.path.join(tmpdir, "%s.log" % low))
        self._sock = None
        self._rfile = None
        self._lock = threading.Lock()

    # -- process
    def start(self):
        self.disconnect()
        super().start()
        return self.wait_ready()

    def kill(self):
        code = super().kill()
        self.disconnect()
        return code

    def stop(self, timeout=None):
        self.disconnect()
        return super().stop(timeout)

    def wait_ready(self, timeout=None):
        def ready():
            self.check_alive()
            return self.cmd("ping") == "pong"
        wait_until(ready, timeout or scaled(30), "terminal %s control socket" % self.tid)
        return self

    # -- control socket
    def disconnect(self):
        with contextlib.suppress(OSError):
            if self._rfile:
                self._rfile.close()
        with contextlib.suppress(OSError):
            if self._sock:
                self._sock.close()
        self._sock = self._rfile = None

    def _connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(scaled(30))
        try:
            s.connect(self.sock_path)
        except OSError:
            s.close()
            raise
        self._sock = s
        self._rfile = s.makefile("rb")

    def raw(self, line):
        """Sends one line on the kept connection and returns the reply line
        (without newline).  Raises OSError/ConnectionError when the terminal
        is gone (the connection is then dropped)."""
        with self._lock:
            try:
                if self._sock is None:
                    self._connect()
                self._sock.sendall(line.encode() + b"\n")
                reply = self._rfile.readline()
            except (OSError, ValueError) as e:
                self.disconnect()
                raise ConnectionError("terminal %s: %r: %s" % (self.tid, line, e)) from e
            if not reply.endswith(b"\n"):
                self.disconnect()
                raise ConnectionError("terminal %s closed the control connection during %r" % (self.tid, line))
            return reply[:-1].decode("utf-8", errors="replace")

    def cmd(self, line):
        """raw(), then "ok X" -> "X"; "err ..." raises ControlError."""
        reply = self.raw(line)
        if reply == "ok" or reply.startswith("ok "):
            return reply[3:]
        raise ControlError("terminal %s: %r -> %r" % (self.tid, line, reply))

    def scan(self, op, wh, operator, code, qty):
        """Records a scan; returns its seq once the terminal says it is durable."""
        r = self.cmd("scan %s %s %s %s %s" % (op, wh, operator, code, qty))
        if not r.isdigit():
            raise AssertionError("terminal %s: scan answered %r" % (self.tid, r))
        return int(r)

    def status(self):
        return json.loads(self.cmd("status"))

    def wait_synced(self, timeout=None, expect_last=None):
        """Waits until synced == last_seq (and last_seq == expect_last if given)."""
        def done():
            st = self.status()
            if expect_last is not None and st["last_seq"] != expect_last:
                return False
            return st if st["synced"] == st["last_seq"] else False
        return wait_until(done, timeout or scaled(90), "terminal %s synced == last_seq%s"
                          % (self.tid, "" if expect_last is None else " == %d" % expect_last), interval=0.2)


def tagtrail(*args, check=True, timeout=None):
    """Runs the tagtrail tool (English messages); returns its CompletedProcess,
    raising AssertionError on a non-zero exit when check."""
    r = subprocess.run([TAGTRAIL_BIN] + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout or scaled(60),
                       env=dict(os.environ, TT_LANG="en"))
    if check and r.returncode != 0:
        raise AssertionError("tagtrail %s: exit %d: %s" % (" ".join(args), r.returncode,
                                                           r.stderr.decode(errors="replace")))
    return r


class Pki:
    """A site CA made by `tagtrail provision --init-ca` in root/ca for the
    broker at 127.0.0.1 and localhost, and identities made by `tagtrail
    provision` in root/<name>/."""

    def __init__(self, root):
        self.root = root
        self.ca = os.path.join(root, "ca")
        self.broker_dir = os.path.join(self.ca, "broker")
        os.makedirs(root, exist_ok=True)
        tagtrail("provision", "--init-ca", self.ca, "--host", "127.0.0.1", "--host", "localhost")

    def identity(self, tid, url, replace=False):
        """Provisions terminal `tid` (None: the server) for `url`; returns its folder."""
        out = os.path.join(self.root, tid or "server")
        tagtrail("provision", tid or "--server", "--ca-dir", self.ca, "--out", out, "--url", url,
                 *(["--replace"] if replace else []))
        return out

    def revoke(self, tid):
        return tagtrail("revoke", tid, "--ca-dir", self.ca)

    @staticmethod
    def mqtt_lines(folder):
        """The [mqtt] lines of the identity's mqtt.conf, its file names made
        absolute (the configs live elsewhere than the identity's files)."""
        out = []
        with open(os.path.join(folder, "mqtt.conf")) as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#") or line == "[mqtt]":
                    continue
                key, _, value = (x.strip() for x in line.partition("="))
                if key.endswith("_file"):
                    value = os.path.join(folder, value)
                out.append("%s = %s" % (key, value))
        return out


class Cluster:
    """with Cluster(["T01", "T02"]) as c: ...  -- a temp dir with mosquitto,
    the server and the terminals, all stopped (and checked) on exit.

    start_server=False leaves the server configured but not started.
    server_extra / terminal_uplink customise the configs.  tls=True runs the
    shipped TLS broker configuration with a site CA made by tagtrail
    provision (self.pki), the server and every terminal with identities of
    their own (self.url is the broker's ssl:// url).  On a clean exit
    every process still meant to run is stopped with SIGTERM and must exit 0
    with no sanitizer report in its log; a process that died on its own
    fails the test."""

    def __init__(self, terminals=("T01",), name="tt", start_server=True, resend_ms=2000,
                 server_extra="", terminal_uplink=None, tls=False):
        self.tids = list(terminals)
        self.name = name
        self.start_server = start_server
        self.resend_ms = resend_ms
        self.server_extra = server_extra
        self.terminal_uplink = terminal_uplink
        self.tls = tls
        self.pki = None
        self.url = None
        self.tmp = None
        self.mosq = None
        self.server = None
        self.terminals = {}
        self.failed = False
        self._dumped = False

    # access
    def t(self, tid):
        return self.terminals[tid]

    def procs(self):
        return [p for p in [self.mosq, self.server] + list(self.terminals.values()) if p is not None]

    def __enter__(self):
        global _current
        self.tmp = tempfile.mkdtemp(prefix="tt", dir="/tmp")
        self._prev = _current
        _current = self
        print("[harness] %s: temp dir %s (build %s%s)" % (self.name, self.tmp, BUILD_DIR,
                                                         ", sanitized" if SANITIZED else ""), flush=True)
        try:
            mqtt = {}
            if self.tls:
                self.pki = Pki(os.path.join(self.tmp, "pki"))
                self.mosq = Mosquitto(self.tmp, tls_dir=self.pki.broker_dir)
                self.url = "ssl://127.0.0.1:%d" % self.mosq.port
                for tid in [None] + self.tids:
                    mqtt[tid] = Pki.mqtt_lines(self.pki.identity(tid, self.url))
                self.mosq.start()
            else:
                self.mosq = Mosquitto(self.tmp).start()
            self.server = Server(self.tmp, self.mosq.port, extra=self.server_extra, mqtt=mqtt.get(None))
            if self.start_server:
                self.server.start()
            for tid in self.tids:
                self.terminals[tid] = Terminal(self.tmp, tid, self.mosq.port, resend_ms=self.resend_ms,
                                               uplink=self.terminal_uplink, mqtt=mqtt.get(tid))
                self.terminals[tid].start()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def dump_logs(self, why, lines=40):
        self._dumped = True
        out = ["", "=" * 30 + " %s: %s " % (self.name, why) + "=" * 30]
        for p in self.procs():
            out.append("---- %s (%s) last %d lines ----" % (p.name, p.log, lines))
            out.append(log_tail(p.log, lines))
        out.append("=" * 80)
        print("\n".join(out), file=sys.stderr, flush=True)

    def sanitizer_reports(self):
        return {p.name: p.sanitizer_reports() for p in self.procs() if p.sanitizer_reports()}

    def __exit__(self, etype, evalue, tb):
        global _current
        problems = []
        if etype is not None:
            self.failed = True
            if not self._dumped:
                self.dump_logs("%s: %s" % (etype.__name__, evalue))
        # Processes the test expects to be running must still be.
        for p in self.procs():
            if not p.expected_dead and not p.running():
                problems.append("%s died on its own (exit code %s)" % (p.name, p.p.poll()))
        # Terminals first, then the server, then the broker.
        order = list(self.terminals.values()) + [self.server, self.mosq]
        for p in order:
            if p is None or p.p is None:
                continue
            try:
                was_running = p.running()
                code = p.stop()
                if was_running and code != 0 and p is not self.mosq:
                    problems.append("%s exited with code %s on SIGTERM" % (p.name, code))
            except Exception as e:   # noqa: BLE001 - keep cleaning up
                problems.append("stopping %s: %s" % (p.name, e))
        for name, lines in self.sanitizer_reports().items():
            problems.append("%s log has sanitizer reports: %s" % (name, "; ".join(lines[:5])))
        _current = self._prev
        if problems and not self.failed:
            self.failed = True
            self.dump_logs("cleanup problems")
        if self.failed or os.environ.get("TT_KEEP_TMP"):
            print("[harness] %s: logs kept in %s" % (self.name, self.tmp), file=sys.stderr, flush=True)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
        if problems and etype is None:
            raise AssertionError("cluster cleanup: " + " | ".join(problems))
        return False


# --------------------------------------------------------------------------
# expected-stock model and comparisons

class StockModel:
    """What the test expects the server to hold: (warehouse, item) -> thousandths."""

    def __init__(self):
        self.stock = {}

    def receive(self, wh, item, milli):
        self.stock[(wh, item)] = self.stock.get((wh, item), 0) + milli

    def issue(self, wh, item, milli):
        have = self.stock.get((wh, item), 0)
        if milli > have:
            raise AssertionError("model: issuing %d of %r with %d on hand" % (milli, (wh, item), have))
        self.stock[(wh, item)] = have - milli

    def apply(self, op, wh, item, milli):
        (self.receive if op == "receive" else self.issue)(wh, item, milli)


def stock_diff(expected, actual):
    """Human-readable differences between two stock dicts (empty: equal)."""
    out = []
    for k in sorted(set(expected) | set(actual)):
        e, a = expected.get(k), actual.get(k)
        if e != a:
            out.append("%s/%s: expected %s, server has %s" % (
                k[0], k[1], "no row" if e is None else milli_to_qty(e), "no row" if a is None else milli_to_qty(a)))
    return out


def assert_stock_equal(test, expected, actual, cluster=None):
    diff = stock_diff(expected, actual)
    if diff:
        if cluster is not None:
            cluster.dump_logs("stock mismatch")
        test.fail("stock differs from the model in %d rows (of %d expected, %d on server):\n  %s"
                  % (len(diff), len(expected), len(actual), "\n  ".join(diff[:40])))


def random_qty(rng, max_milli=50000):
    """A random positive quantity in thousandths: whole numbers half the time."""
    if rng.random() < 0.5:
        return rng.randint(1, max(1, max_milli // 1000)) * 1000
    return rng.randint(1, max_milli)


class ScanPlan:
    """Random receive/issue scans for one terminal that can never be rejected
    whatever other terminals do: an issue takes at most what this terminal
    itself has received and not yet issued of that (warehouse, item)."""

    def __init__(self, rng, warehouses, items, operator, issue_ratio=0.4):
        self.rng = rng
        self.warehouses = warehouses
        self.items = items
        self.operator = operator
        self.issue_ratio = issue_ratio
        self.own = {}

    def next(self):
        wh = self.rng.choice(self.warehouses)
        item = self.rng.choice(self.items)
        have = self.own.get((wh, item), 0)
        if have > 0 and self.rng.random() < self.issue_ratio:
            milli = have if self.rng.random() < 0.1 else self.rng.randint(1, have)
            self.own[(wh, item)] = have - milli
            return ("issue", wh, self.operator, item, milli)
        milli = random_qty(self.rng)
        self.own[(wh, item)] = have + milli
        return ("receive", wh, self.operator, item, milli)


def seeded_rng(test_name):
    seed = int(os.environ.get("TT_SEED") or random.randrange(1 << 32))
    print("[harness] %s: random seed %d (TT_SEED=%d reproduces)" % (test_name, seed, seed), flush=True)
    return random.Random(seed), seed


def read_journal(db_path, terminal=None):
    """Rows (terminal, seq, status, type, warehouse, item, qty) of the
    server's journal, read through a read-only connection."""
    import sqlite3
    con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=30)
    try:
        sql = "SELECT terminal, seq, status, type, warehouse, item, qty FROM event"
        args = ()
        if terminal:
            sql += " WHERE terminal = ?"
            args = (terminal,)
        return con.execute(sql + " ORDER BY terminal, seq", args).fetchall()
    finally:
        con.close()


def integrity_check(db_path):
    import sqlite3
    con = sqlite3.connect(db_path, timeout=30)
    try:
        return [r[0] for r in con.execute("PRAGMA integrity_check").fetchall()]
    finally:
        con.close()


def main():
    """unittest.main() with a per-test timing line; exits non-zero on failure."""
    t0 = time.monotonic()
    prog = unittest.main(exit=False, verbosity=2)
    print("[harness] total %.1f s" % (time.monotonic() - t0), file=sys.stderr, flush=True)
    sys.exit(0 if prog.result.wasSuccessful() else 1)
