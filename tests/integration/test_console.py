"""The counter's console screen (ncursesw) end to end: tagtrail-edge with the
sim board, `console = true` and a `log_file`, runs in a private tmux server
(80x24, LANG=C.UTF-8, TERM=screen-256color).  The storekeeper's cards and
item scans come through the control socket (`code ...`), the keypad through
`tmux send-keys` (digits, Enter, BSpace, F2 commit, F3 undo, F4 cancel), and
the screen is read back with `tmux capture-pane` (`-e` for colours).

Master data (units, warehouses, items, operators, plan lines, the equipment
register) is imported with `tagtrail-server --import` before the server and
the terminal start, so the terminal fetches it on connect.  Receipts are
typed against approved plan serials and take their plan line's item only;
documents of several items (the long document, the layout checks) are
counts.

Checked, in Chinese (language = zh) and English (language = en):
  * the title: terminal id and site, 在线/离线 (online/OFFLINE) following the
    server (stopped -> offline within a few seconds, restarted -> online),
    waiting / acked / rejected counts (a document committed offline raises
    "waiting"; after the restart waiting is 0, acked = last_seq, and the
    event the server refused is counted);
  * operator / mode / warehouse / ref / next quantity lines follow the cards
    and the keypad;
  * document lines show the quantity (right edge in a fixed column), the unit
    of measure, the item code and the name and spec from master data;
  * keypad echo on the entry line (BSpace erases), F3 undoes the last line,
    F4 cancels the document, F2 commits (status last_seq rises and the
    terminal's outbox holds the events, exactly);
  * an unknown barcode, and an item the receipt's plan line is not for, show
    the refusal message, drawn in red; an accepted outcome is not red;
  * every captured screen fits 80x24 (display width, CJK counted as 2);
  * the English screen has English labels and no CJK text of its own;
  * SIGTERM: exit code 0, the tty modes restored (stty -g before == after),
    the alternate screen left, nothing on stderr, no "error:" in log_file.

test_console_zh_long_texts uses valid but long values (32-character
terminal id and site, the longest item names, an ASCII unit of measure) and
checks, one subTest each: the title keeps 在线/离线 and the waiting count;
the 数量 header sits over the quantities; item codes start in one column;
a line message longer than the counter's 160-byte message buffer is cut on
a character boundary (valid UTF-8 on the control socket) and drawn up to the
screen's edge.

Standard library only; the tmux server has a unique socket name and is
killed at the end whatever happens."""

import atexit
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import unicodedata
import unittest

import harness as h

TMUX = shutil.which("tmux") or "/usr/bin/tmux"
COLS, ROWS = 80, 24

ITEM1 = "6901234567892"        # 锚杆 Φ20×2200, 根
ITEM2 = "BOLT-M8"              # 螺栓 M8×40, 个; barcode 6900000000011
ITEM2_BARCODE = "6900000000011"
UNKNOWN = "6909999999994"      # a well-formed EAN-13 no item has

UNITS = "id,name,kind\nA3,采煤三区,work_area\n"
WAREHOUSES = "id,name,kind,unit\nW01,中心仓库,central,\n"
ITEMS = ("code,name,spec,uom,category,price,return_old,reward,penalty,barcodes,active\n"
         "6901234567892,锚杆,Φ20×2200,根,material,12.50,no,0,0,,yes\n"
         "BOLT-M8,螺栓,M8×40,个,material,0.35,no,0,0,6900000000011,yes\n"
         "%s,%s,%s,套,material,99,no,0,0,,yes\n" % ("LONG-0001", "液压支架" * 8, "ZY10000/28/62D型" + "配套" * 10))
LONG = "LONG-0001"             # a 32-character name and a long spec: cut at the edge
CABLE = "CABLE-1"              # an ASCII unit of measure (m)
CABLE_ROW = "CABLE-1,矿用电缆,MYJV22 3×95,m,material,85,no,0,0,,yes\n"
# Items whose screen message ("第 N 行：name spec × qty uom") is longer than
# the counter's 160-byte message: specs one byte apart, so that at least one
# of them is cut in the middle of a 3-byte character by a byte-wise cut.
LONG_SPECS = [("LONG-S%d" % k, "Z" * k + "配套" * 14) for k in (1, 2, 3)]
LONG_SPEC_ROWS = "".join("%s,%s,%s,套,material,99,no,0,0,,yes\n" % (code, "液压支架" * 8, spec)
                         for code, spec in LONG_SPECS)
OPERATORS = "id,name,role,unit,badge,active\nzhang3,张三,storekeeper,,B0001,yes\n"
PLANS = ("serial,item,qty,category,unit,status\n"
         "P2026-0034,6901234567892,100,S03,A3,approved\n"
         "P2026-0035,BOLT-M8,500,,,approved\n"
         "P7,6901234567892,10,,,approved\n"
         "P8,6901234567892,10,,,approved\n"
         "P9,6901234567892,10,,,approved\n")
EQUIPMENT = "asset,model,item,giai,barcode,unit,active\nP-0042,乳化液泵,,06141415678,,A3,yes\n"
MASTER_KINDS = 6   # each import one master version

RED = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:41|31)(?:;[0-9;]*)?m")


# --------------------------------------------------------------------------
# local helpers

def width(text):
    """Display columns of text: East Asian wide/fullwidth count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
               for ch in text if not unicodedata.combining(ch))


def col_of(line, sub):
    """Display column where `sub` starts in `line` (-1 when absent)."""
    i = line.find(sub)
    return -1 if i < 0 else width(line[:i])


def qty_end(row):
    """The display column just after a document row's quantity."""
    m = re.match(r"^\s*\d+\s+(\S+)", row)
    return width(row[:m.end(1)]) if m else -1


def has_cjk(text):
    return any(unicodedata.east_asian_width(ch) in ("W", "F") for ch in text)


def import_master(server, tmpdir, extra_items=""):
    """Imports the master data into the server's database (server stopped)."""
    for kind, text in (("units", UNITS), ("warehouses", WAREHOUSES), ("items", ITEMS + extra_items),
                       ("operators", OPERATORS), ("plans", PLANS), ("equipment", EQUIPMENT)):
        path = os.path.join(tmpdir, "%s.csv" % kind)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        r = subprocess.run([h.SERVER_BIN, "-c", server.conf, "--import", kind, path],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=h.scaled(60))
        if r.returncode != 0:
            raise AssertionError("--import %s: exit %d: %s %s" % (kind, r.returncode, r.stdout.decode(),
                                                                  r.stderr.decode()))


class Control:
    """The terminal's control socket, one kept connection."""

    def __init__(self, path):
        self.path = path
        self.sock = None
        self.rfile = None

    def raw(self, line):
        if self.sock is None:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(h.scaled(20))
            try:
                s.connect(self.path)
            except OSError:
                s.close()
                raise
            self.sock, self.rfile = s, s.makefile("rb")
        self.sock.sendall(line.encode() + b"\n")
        reply = self.rfile.readline()
        if not reply.endswith(b"\n"):
            self.close()
            raise ConnectionError("control connection closed during %r" % line)
        return reply[:-1].decode("utf-8", errors="replace")

    def cmd(self, line):
        reply = self.raw(line)
        if reply == "ok" or reply.startswith("ok "):
            return reply[3:]
        raise AssertionError("%r -> %r" % (line, reply))

    def status(self):
        return json.loads(self.cmd("status"))

    def close(self):
        for x in (self.rfile, self.sock):
            with contextlib.suppress(OSError):
                if x:
                    x.close()
        self.sock = self.rfile = None


_tmux_sockets = set()


@atexit.register
def _kill_tmux_servers():
    for name in list(_tmux_sockets):
        subprocess.run([TMUX, "-L", name, "kill-server"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=10)


class ConsoleTerminal:
    """tagtrail-edge on a tmux pane of its own tmux server.  The pane runs a
    small shell script that records the tty modes before and after the
    firmware, its exit code and its stderr in files of the temp dir."""

    def __init__(self, test, tmpdir, mqtt_port, language, tid="T01", site="mine1"):
        self.test = test
        self.tmp = tmpdir
        self.tid = tid
        self.site = site
        self.language = language
        self.socket_name = "tt-console-%d-%s-%d" % (os.getpid(), language, int(time.time() * 1000) % 100000)
        self.conf = os.path.join(tmpdir, "console-%s.conf" % language)
        self.log = os.path.join(tmpdir, "console-%s.log" % language)
        self.store = os.path.join(tmpdir, "console-%s.db" % language)
        self.ctl_path = os.path.join(tmpdir, "console-%s.sock" % language)
        self.stderr = os.path.join(tmpdir, "console-%s.stderr" % language)
        self.rc_file = os.path.join(tmpdir, "console-%s.rc" % language)
        self.tty_file = os.path.join(tmpdir, "console-%s.tty" % language)
        with open(self.conf, "w") as f:
            f.write("board = %s\nterminal_id = %s\nsite = %s\nstore = console-%s.db\n"
                    "control_socket = console-%s.sock\nconsole = true\nlog_file = console-%s.log\n"
                    "language = %s\n[mqtt]\nurl = tcp://127.0.0.1:%d\n[uplink]\nresend_ms = 1000\n"
                    % (h.SIM_BOARD, tid, site, language, language, language, language, mqtt_port))
        self.ctl = Control(self.ctl_path)
        self.started = False
        self.socket_path = None
        self.screens = 0

    # -- tmux
    def tmux(self, *args, check=True):
        env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "LC_ALL", "LC_CTYPE")}
        env["LANG"] = "C.UTF-8"
        r = subprocess.run([TMUX, "-L", self.socket_name, "-f", "/dev/null"] + list(args), env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        if check and r.returncode != 0:
            raise AssertionError("tmux %s: exit %d: %s" % (" ".join(args), r.returncode,
                                                           r.stderr.decode(errors="replace")))
        return r.stdout.decode("utf-8", errors="replace")

    def start(self):
        script = ("cd %(tmp)s || exit 1; export LANG=C.UTF-8 TERM=screen-256color; unset LC_ALL LC_CTYPE; "
                  "s0=$(stty -g); %(edge)s -c %(conf)s 2>%(err)s; rc=$?; s1=$(stty -g); "
                  "if [ \"$s0\" = \"$s1\" ]; then echo same >%(tty)s; else echo \"changed $s0 -> $s1\" >%(tty)s; fi; "
                  "echo $rc >%(rc)s.tmp; mv %(rc)s.tmp %(rc)s; echo EXIT=$rc; exec sleep 600"
                  % {"tmp": self.tmp, "edge": h.EDGE_BIN, "conf": self.conf, "err": self.stderr,
                     "tty": self.tty_file, "rc": self.rc_file})
        _tmux_sockets.add(self.socket_name)
        self.tmux("new-session", "-d", "-x", str(COLS), "-y", str(ROWS), "-s", "tt", script)
        self.started = True
        self.socket_path = self.tmux("display-message", "-p", "#{socket_path}").strip()
        size = self.tmux("display-message", "-p", "-t", "tt", "#{window_width}x#{window_height}").strip()
        self.test.assertEqual(size, "%dx%d" % (COLS, ROWS), "tmux window size")
        h.wait_until(lambda: self.ctl.cmd("ping") == "pong", h.scaled(20),
                     "console terminal control socket", interval=0.1)
        # ncurses took the terminal (so that "given back" below means something)
        h.wait_until(lambda: self.tmux("display-message", "-p", "-t", "tt", "#{alternate_on}").strip() == "1",
                     h.scaled(5), "the console on the alternate screen", interval=0.1)

    def kill_tmux(self):
        self.ctl.close()
        if self.started:
            self.tmux("kill-server", check=False)
            self.started = False
            if self.socket_path:              # tmux leaves its socket file behind
                with contextlib.suppress(OSError):
                    os.unlink(self.socket_path)
        _tmux_sockets.discard(self.socket_name)

    def edge_pid(self):
        """The firmware's pid: the child of the pane's shell."""
        shell = int(self.tmux("display-message", "-p", "-t", "tt", "#{pane_pid}").strip())
        with open("/proc/%d/task/%d/children" % (shell, shell)) as f:
            kids = [int(x) for x in f.read().split()]
        self.test.assertEqual(len(kids), 1, "pane shell %d children %r" % (shell, kids))
        return kids[0]

    # -- screen
    def screen(self, colours=False):
        """The pane's lines (as tmux shows them); every capture is checked
        to fit 80x24."""
        args = ["capture-pane", "-p", "-t", "tt"] + (["-e"] if colours else [])
        lines = self.tmux(*args).split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if not colours:
            self.screens += 1
            self.test.assertLessEqual(len(lines), ROWS, "screen has %d lines:\n%s" % (len(lines), "\n".join(lines)))
            for i, l in enumerate(lines):
                self.test.assertLessEqual(width(l), COLS, "row %d is %d columns wide: %r" % (i, width(l), l))
        return lines

    def text(self):
        return "\n".join(self.screen())

    def wait_screen(self, predicate, what, timeout=5):
        """Polls the screen until predicate(lines) is truthy; on timeout the
        screen is part of the failure."""
        last = []

        def check():
            last[:] = [self.screen()]
            return predicate(last[0])
        try:
            return h.wait_until(check, h.scaled(timeout), what, interval=0.1)
        except AssertionError as e:
            raise AssertionError("%s\n---- screen ----\n%s\n----------------" % (e, "\n".join(last[0] if last else [])))

    def wait_text(self, *words, row=None, absent=(), timeout=5):
        """Waits until every word is on the screen (or on `row`) and none of
        `absent` is; returns the lines."""
        def ok(lines):
            hay = lines[row] if row is not None and row < len(lines) else "\n".join(lines) if row is None else ""
            return all(w in hay for w in words) and not any(a in hay for a in absent) and lines
        return self.wait_screen(ok, "screen%s showing %r%s" % ("" if row is None else " row %d" % row, words,
                                                               " without %r" % (absent,) if absent else ""), timeout)

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "tt", *keys)

    def type(self, text):
        self.tmux("send-keys", "-t", "tt", "-l", text)

    # -- scans
    def code(self, data, ok=True):
        """A scan; ok=None takes either answer."""
        reply = self.ctl.raw("code " + data)
        self.test.assertTrue(ok is None or reply.startswith("ok " if ok else "err refused "),
                             "code %s: expected %s, got %r" % (data, "ok" if ok else "refusal", reply))
        return reply

    # -- the end
    def sigterm(self):
        """SIGTERM to the firmware; returns (exit code, tty state, stderr)."""
        pid = self.edge_pid()
        self.ctl.close()
        os.kill(pid, signal.SIGTERM)
        h.wait_until(lambda: os.path.exists(self.rc_file), h.scaled(15), "firmware exit after SIGTERM",
                     interval=0.1)
        with open(self.rc_file) as f:
            rc = int(f.read().strip())
        with open(self.tty_file) as f:
            tty = f.read().strip()
        with open(self.stderr, "rb") as f:
            err = f.read().decode("utf-8", errors="replace")
        return rc, tty, err

    def log_text(self):
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def dump(self, why):
        out = ["", "==== console (%s): %s ====" % (self.language, why)]
        if self.started:
            with contextlib.suppress(Exception):
                out.append("---- screen ----")
                out.append(self.tmux("capture-pane", "-p", "-t", "tt", check=False))
        out.append("---- %s ----" % self.log)
        out.append(h.log_tail(self.log, 40))
        with contextlib.suppress(OSError):
            with open(self.stderr, encoding="utf-8", errors="replace") as f:
                out.append("---- stderr ----\n" + f.read())
        print("\n".join(out), file=sys.stderr, flush=True)


def outbox_events(store):
    """[(seq, payload dict)] of the terminal's store, in seq order."""
    con = sqlite3.connect("file:%s?mode=ro" % store, uri=True, timeout=30)
    try:
        rows = con.execute("SELECT seq, type, payload FROM event ORDER BY seq").fetchall()
    finally:
        con.close()
    return [(seq, json.loads(p)) for seq, typ, p in rows]


def doc_lines(lines):
    """The document rows of the screen (between the column header and the
    bottom rule): [(row, text)] of the non-empty ones."""
    return [(i, l) for i, l in enumerate(lines[7:ROWS - 4], 7) if l.strip()]


# --------------------------------------------------------------------------

class Console(unittest.TestCase):
    def run_console(self, language, body, tid="T01", site="mine1", extra_items=""):
        with h.Cluster([], name="console_%s" % language, start_server=False) as c:
            import_master(c.server, c.tmp, extra_items)
            c.server.start()
            t = ConsoleTerminal(self, c.tmp, c.mosq.port, language, tid=tid, site=site)
            ok = False
            try:
                t.start()
                h.wait_until(lambda: t.ctl.status()["master_version"] == MASTER_KINDS, h.scaled(15),
                             "terminal master data at version %d" % MASTER_KINDS, interval=0.1)
                body(c, t)
                rc, tty, err = t.sigterm()
                # The terminal is given back: the screen left the alternate
                # screen and the shell after the firmware runs.
                lines = t.wait_text("EXIT=%d" % rc, timeout=5)
                self.assertEqual(rc, 0, "exit code after SIGTERM")
                self.assertEqual(tty, "same", "tty modes after exit")
                self.assertEqual(err, "", "the firmware wrote to stderr under the console")
                self.assertEqual(t.tmux("display-message", "-p", "-t", "tt", "#{alternate_on}").strip(), "0",
                                 "still on the alternate screen after exit")
                self.assertNotIn(" · %s · " % t.tid, "\n".join(lines),
                                 "the counter screen is still shown after exit")
                log = t.log_text()
                self.assertIn("stopping", log)
                errors = [l for l in log.splitlines() if re.search(r"\berror\b", l, re.I)]
                self.assertEqual(errors, [], "errors in the log file")
                print("[console-%s] %d screens checked" % (language, t.screens), flush=True)
                ok = True
            finally:
                if not ok:
                    t.dump("failure")
                t.kill_tmux()

    # ----------------------------------------------------------------------
    def test_console_zh(self):
        self.run_console("zh", self.zh_session)

    def zh_session(self, c, t):
        # -- title and empty counter
        lines = t.wait_text("在线", row=0)
        title = lines[0]
        for w in ("T01 · mine1", "在线", "待同步 0", "已确认至 0", "被拒 0"):
            self.assertIn(w, title)
        self.assertNotIn("离线", title)
        self.assertIn("操作员: (未登录)", lines[2])
        self.assertIn("业务:", lines[2])
        self.assertIn("仓库: -", lines[2])
        self.assertIn("工区: -", lines[3])
        self.assertIn("单号: -", lines[3])
        self.assertIn("下一件数量: 1", lines[3])
        self.assertIn("数量", lines[6])
        self.assertIn("物资编码", lines[6])
        self.assertEqual(doc_lines(lines), [])
        self.assertEqual(lines[ROWS - 2].strip(), "输入: _")
        self.assertIn("F2 提交", lines[ROWS - 1])
        self.assertIn("F3 撤销", lines[ROWS - 1])
        self.assertIn("F4 取消", lines[ROWS - 1])
        self.assertNotIn("扫描枪未连接", "\n".join(lines))

        # -- an item before login is refused, in red
        t.code(ITEM1, ok=False)
        lines = t.wait_text("请先刷工牌登录", row=ROWS - 3)
        self.assertRegex(t.screen(colours=True)[ROWS - 3], RED, "a refusal is drawn in red")

        # -- cards
        t.code("TT:OP:zhang3")
        lines = t.wait_text("操作员: zhang3", row=2)
        self.assertIn("操作员 zhang3 已登录", lines[ROWS - 3])
        self.assertNotRegex(t.screen(colours=True)[ROWS - 3], RED, "an accepted outcome is drawn red")
        t.code("TT:MODE:receive")
        lines = t.wait_text("业务: 入库", row=2)
        self.assertIn("入库：请输入计划序号", lines[ROWS - 3])
        t.code("TT:WH:W01")
        t.wait_text("仓库: W01", row=2)

        # -- keypad: echo, backspace, enter
        t.type("P2026-0035")
        t.wait_text("输入: P2026-0035_", row=ROWS - 2)
        t.keys("BSpace")
        t.wait_text("输入: P2026-003_", row=ROWS - 2)
        t.type("4")
        t.keys("Enter")
        lines = t.wait_text("单号: P2026-0034", row=3)
        self.assertEqual(lines[ROWS - 2].strip(), "输入: _", "the entry line is cleared by Enter")
        # the plan line's item and approved quantity
        self.assertIn("计划 P2026-0034：锚杆，批准 100 根", lines[ROWS - 3])
        t.type("12.5")
        t.keys("Enter")
        t.wait_text("下一件数量: 12.5", row=3)

        # -- item lines with master data
        t.code(ITEM1)
        lines = t.wait_screen(lambda l: len(doc_lines(l)) == 1 and l, "one document line")
        row = doc_lines(lines)[0][1]
        for w in ("1", "12.5", "根", ITEM1, "锚杆", "Φ20×2200"):
            self.assertIn(w, row)
        self.assertLess(row.index("12.5"), row.index(ITEM1), "quantity before the item")
        self.assertIn("下一件数量: 1", lines[3], "the keypad quantity is used once")
        # an item the plan line is not for: refused, red, nothing added
        t.code(ITEM2_BARCODE, ok=False)
        lines = t.wait_text("物资 %s 螺栓 不在计划 P2026-0034 中" % ITEM2, row=ROWS - 3)
        self.assertEqual(len(doc_lines(lines)), 1)
        self.assertRegex(t.screen(colours=True)[ROWS - 3], RED, "the refusal is not drawn in red")
        t.code(ITEM1)
        lines = t.wait_screen(lambda l: len(doc_lines(l)) == 2 and l, "two document lines")
        row2 = doc_lines(lines)[1][1]
        for w in ("2", "根", ITEM1, "锚杆", "Φ20×2200"):
            self.assertIn(w, row2)
        # the quantity's right edge is one column for every line
        self.assertEqual(qty_end(row), qty_end(row2), "quantity columns differ:\n%s\n%s" % (row, row2))
        self.assertEqual(re.match(r"^\s*\d+\s+(\S+)", row2).group(1), "1")

        # -- an unknown barcode: refused, red, the document unchanged
        t.code(UNKNOWN, ok=False)
        lines = t.wait_text("未知条码：" + UNKNOWN, row=ROWS - 3)
        self.assertEqual(len(doc_lines(lines)), 2)
        self.assertRegex(t.screen(colours=True)[ROWS - 3], RED, "the refusal is not drawn in red")

        # -- F3 undoes the last line
        t.keys("F3")
        lines = t.wait_text("已撤销最后一行", row=ROWS - 3)
        self.assertEqual(len(doc_lines(lines)), 1, "F3 left %r" % doc_lines(lines))
        self.assertIn(ITEM1, doc_lines(lines)[0][1])
        self.assertNotIn(ITEM2, "\n".join(lines[7:ROWS - 4]))

        # -- F2 commits
        self.assertEqual(t.ctl.status()["last_seq"], 0)
        t.keys("F2")
        lines = t.wait_text("已提交 1 行，单据 #1", row=ROWS - 3)
        self.assertEqual(doc_lines(lines), [], "the committed document is still shown")
        self.assertIn("单号: -", lines[3])
        self.assertEqual(t.ctl.status()["last_seq"], 1)
        ev = outbox_events(t.store)
        self.assertEqual(len(ev), 1, ev)
        self.assertEqual(ev[0][0], 1)
        self.assertEqual((ev[0][1]["type"], ev[0][1]["operator"]), ("receive", "zhang3"))
        self.assertEqual(ev[0][1]["body"], {"warehouse": "W01", "item": ITEM1, "qty": "12.5",
                                            "ref": "P2026-0034", "line": 1, "lines": 1})
        t.wait_text("已确认至 1", "待同步 0", "在线", row=0)

        # -- F4 cancels
        # a long document of several items (a count: a receipt takes its
        # plan line's item only): 15 lines on 13 rows, the oldest scrolled off
        # with a "more" line; long names cut at the screen's edge
        t.code("TT:MODE:count")
        t.wait_text("业务: 盘点", row=2)
        for k in range(15):
            t.code((ITEM1, ITEM2, LONG)[k % 3])
        lines = t.wait_screen(lambda l: any(r.lstrip().startswith("15 ") for _, r in doc_lines(l)) and l,
                              "line 15 on the screen")
        rows = doc_lines(lines)
        self.assertEqual(len(rows), ROWS - 11, "document rows: %r" % rows)
        self.assertIn("另有 3 行", rows[0][1])
        self.assertEqual([int(r.split()[0]) for _, r in rows[1:]], list(range(4, 16)))
        self.assertEqual(rows[-1][0], ROWS - 5, "the newest line is not just above the rule")
        self.assertTrue(lines[ROWS - 4].startswith("────"), "the bottom rule was overwritten")
        longrow = [r for _, r in rows if LONG in r][0]
        self.assertIn("液压支架液压支架", longrow)
        self.assertEqual(qty_end(longrow), qty_end(rows[-1][1]))
        self.assertGreater(width(longrow), 70, "the long name is not drawn up to the edge")
        t.keys("F4")
        lines = t.wait_text("单据已取消", row=ROWS - 3)
        self.assertEqual(doc_lines(lines), [])
        self.assertIn("单号: -", lines[3])
        self.assertEqual(t.ctl.status()["last_seq"], 1, "F4 stored something")

        # -- the server goes away: 离线, and a committed document waits
        c.server.stop()
        t0 = time.monotonic()
        t.wait_text("离线", row=0, absent=("在线",), timeout=5)
        print("[console-zh] offline shown %.1f s after the server stopped" % (time.monotonic() - t0), flush=True)
        t.code("TT:MODE:issue")
        t.wait_text("业务: 出库", row=2)
        t.code("TT:UNIT:A3")
        t.wait_text("工区: A3", row=3)
        t.type("R-4711")
        t.keys("Enter")
        t.wait_text("单号: R-4711", row=3)
        t.type("2")
        t.keys("Enter")
        t.wait_text("下一件数量: 2", row=3)
        t.code(ITEM1)
        t.type("5")
        t.keys("Enter")
        t.wait_text("下一件数量: 5", row=3)
        # None of it in stock: the server will refuse it (the counter may
        # warn about its local stock, but takes the line).
        t.code(ITEM2, ok=None)
        t.wait_screen(lambda l: len(doc_lines(l)) == 2, "two issue lines")
        t.keys("F2")
        lines = t.wait_text("已提交 2 行，单据 #2", row=ROWS - 3)
        t.wait_text("离线", "待同步 2", "已确认至 1", row=0)
        self.assertEqual(t.ctl.status()["last_seq"], 3)
        self.assertEqual([s for s, _ in outbox_events(t.store)], [1, 2, 3])

        # -- the server is back: 在线, nothing waiting, the refusal counted
        c.server.start()
        t.wait_text("在线", "待同步 0", "已确认至 3", "被拒 1", row=0, absent=("离线",), timeout=10)


    # ----------------------------------------------------------------------
    def test_console_en(self):
        self.run_console("en", self.en_session)

    def en_session(self, c, t):
        lines = t.wait_text("online", row=0)
        title = lines[0]
        for w in ("T01 · mine1", "online", "waiting 0", "acked to 0", "rejected 0"):
            self.assertIn(w, title)
        self.assertIn("Operator: (nobody)", lines[2])
        self.assertIn("Mode: -", lines[2])
        self.assertIn("Warehouse: -", lines[2])
        for w in ("Work area: -", "Ref: -", "Next qty: 1"):
            self.assertIn(w, lines[3])
        self.assertIn("Qty", lines[6])
        self.assertIn("Item", lines[6])
        self.assertEqual(lines[ROWS - 2].strip(), "Entry: _")
        self.assertIn("F2 commit", lines[ROWS - 1])
        self.assertIn("F3 undo", lines[ROWS - 1])
        self.assertIn("F4 cancel", lines[ROWS - 1])
        t.code("TT:OP:zhang3")
        lines = t.wait_text("Operator: zhang3", row=2)
        self.assertIn("operator zhang3 logged in", lines[ROWS - 3])
        t.code("TT:MODE:receive")
        t.wait_text("Mode: RECEIVE", row=2)
        t.code("TT:WH:W01")
        lines = t.wait_text("Warehouse: W01", row=2)
        bad = [l for l in lines if has_cjk(l)]
        self.assertEqual(bad, [], "Chinese on the English screen (no master data shown yet)")

        t.type("P7")
        t.wait_text("Entry: P7_", row=ROWS - 2)
        t.keys("Enter")
        t.wait_text("Ref: P7", row=3)
        t.type("3")
        t.keys("Enter")
        t.wait_text("Next qty: 3", row=3)
        t.code(ITEM1)
        lines = t.wait_screen(lambda l: len(doc_lines(l)) == 1 and l, "one document line")
        row = doc_lines(lines)[0][1]
        for w in ("3", ITEM1, "锚杆"):
            self.assertIn(w, row)
        self.assertIn("line 1", lines[ROWS - 3])

        t.code(UNKNOWN, ok=False)
        t.wait_text("unknown barcode: " + UNKNOWN, row=ROWS - 3)
        self.assertRegex(t.screen(colours=True)[ROWS - 3], RED, "the refusal is not drawn in red")

        t.keys("F2")
        lines = t.wait_text("committed 1 lines, document #1", row=ROWS - 3)
        self.assertEqual(doc_lines(lines), [])
        self.assertEqual(t.ctl.status()["last_seq"], 1)
        self.assertEqual([(s, e["body"]["item"], e["body"]["qty"]) for s, e in outbox_events(t.store)],
                         [(1, ITEM1, "3")])
        t.wait_text("online", "acked to 1", "waiting 0", row=0)

        c.server.stop()
        t.wait_text("OFFLINE", row=0, absent=("online",), timeout=5)
        t.type("P8")
        t.keys("Enter")
        t.wait_text("Ref: P8", row=3)
        t.code(ITEM1)
        t.wait_screen(lambda l: len(doc_lines(l)) == 1, "a line to undo")
        t.keys("F3")
        lines = t.wait_text("last line undone", row=ROWS - 3)
        self.assertEqual(doc_lines(lines), [])
        t.code(ITEM1)
        t.wait_screen(lambda l: len(doc_lines(l)) == 1, "a line to commit offline")
        t.keys("F2")
        t.wait_text("OFFLINE", "waiting 1", "acked to 1", row=0)
        t.type("P9")
        t.keys("Enter")
        t.wait_text("Ref: P9", row=3)
        t.code(ITEM1)
        t.wait_screen(lambda l: len(doc_lines(l)) == 1, "a line to cancel")
        t.keys("F4")
        t.wait_text("document cancelled", row=ROWS - 3)
        c.server.start()
        t.wait_text("online", "waiting 0", "acked to 2", "rejected 0", row=0, timeout=10)

        # the broker goes away and comes back
        c.mosq.stop()
        t.wait_text("OFFLINE", row=0, absent=("online",), timeout=5)
        c.mosq.start()
        t.wait_text("online", "waiting 0", "acked to 2", row=0, absent=("OFFLINE",), timeout=15)


    # ----------------------------------------------------------------------
    def test_console_zh_long_texts(self):
        """Valid but long values: the screen still shows what matters.
        Each point is a subTest, so one failing does not hide the others."""
        self.run_console("zh", self.long_session, tid="CK01-EAST-WING-COUNTER-TERMINAL1",
                         site="huaihe-coal-mine-north-shaft-no2", extra_items=CABLE_ROW + LONG_SPEC_ROWS)

    def long_session(self, c, t):
        self.assertEqual(len(t.tid), 32)
        self.assertEqual(len(t.site), 32)
        lines = t.wait_text("在线", row=0)
        time.sleep(0.5)
        lines = t.screen()
        with self.subTest("title keeps the sync state with a 32-character terminal id and site"):
            # The state is what the storekeeper must see; the ids may be cut.
            self.assertIn("在线", lines[0], "online/offline is cut off the title")
            self.assertIn("待同步 0", lines[0], "the waiting count is cut off the title")

        t.code("TT:OP:zhang3")
        t.code("TT:MODE:count")           # a document of several items
        t.code("TT:WH:W01")
        t.wait_text("业务: 盘点", "仓库: W01", row=2)
        t.code(ITEM1)
        t.code(CABLE)
        lines = t.wait_screen(lambda l: len(doc_lines(l)) == 2 and l, "two document lines")
        (_, bolt), (_, cable) = doc_lines(lines)
        with self.subTest("the column header's 数量 is over the quantities"):
            self.assertEqual(col_of(lines[6], "数量") + width("数量"), qty_end(bolt),
                             "header and quantity column differ:\n%s\n%s" % (lines[6], bolt))
        with self.subTest("item codes start in one column whatever the unit of measure"):
            self.assertEqual(col_of(bolt, ITEM1), col_of(cable, CABLE),
                             "item columns differ (units 根 and m):\n%s\n%s" % (bolt, cable))

        for code, spec in LONG_SPECS:
            reply = t.ctl.raw("code " + code)     # decoded with errors="replace"
            self.assertTrue(reply.startswith("ok "), reply)
            lines = t.wait_text("液压支架液压支架", row=ROWS - 3)
            with self.subTest("the line message for %s (spec %d bytes) is valid UTF-8" % (code, len(spec.encode()))):
                self.assertNotIn("\ufffd", reply, "the counter's message was cut inside a character: %r"
                                 % reply[-12:])
            with self.subTest("the line message for %s is drawn up to the screen's edge" % code):
                self.assertGreaterEqual(width(lines[ROWS - 3]), COLS - 4,
                                        "the message row is only %d columns: %r"
                                        % (width(lines[ROWS - 3]), lines[ROWS - 3]))
        t.keys("F4")
        t.wait_text("单据已取消", row=ROWS - 3)


if __name__ == "__main__":
    h.main()
