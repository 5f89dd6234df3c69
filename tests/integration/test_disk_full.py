"""Disk full on the terminal: the store lives on a small tmpfs that a few
hundred scans fill.

Invariants checked:
  * every scan answered "ok <seq>" is durable: it is in the store after the
    terminal stops, and it reaches the server exactly once;
  * a scan the terminal cannot store is refused clearly ("err full scan not
    recorded: ...") and changes nothing else (last_seq stays, no event row,
    the terminal keeps running and answering);
  * once there is room again (tmpfs remounted larger) scans are accepted
    again without restarting the terminal, and everything syncs;
  * the store passes PRAGMA integrity_check afterwards.

Each scan receives quantity 1 of a unique item code, so the server's stock
tells exactly which scans were applied and how often.

Needs root (mount -t tmpfs); CI runs as root, so without it the test FAILS.
The sim board's indicator is the fake one, which nothing outside the process
can read (the control socket has no command for it): the red lamp on a
refusal is not checked here."""

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import unittest

import harness as h

WH = "W01"
OPERATOR = "op1"
SMALL = "3m"         # a few hundred scans fill it (SQLite WAL grows)
LARGE = "16m"
MAX_SCANS = 5000     # safety bound: the disk must be full long before
EXTRA_REFUSED = 5    # scans tried after the first refusal, while still full
AFTER_ROOM = 50      # scans after making room


def _run(argv):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)


class DiskFull(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.fail("test_disk_full needs root to mount a tmpfs (CI runs as root); euid is %d" % os.geteuid())
        self.mnt = tempfile.mkdtemp(prefix="ttfull", dir="/tmp")
        r = _run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % SMALL, "tmpfs", self.mnt])
        if r.returncode != 0:
            os.rmdir(self.mnt)
            self.fail("mount -t tmpfs -o size=%s tmpfs %s failed (%d): %s"
                      % (SMALL, self.mnt, r.returncode, r.stdout.decode(errors="replace")))
        self.addCleanup(self._unmount)

    def _unmount(self):
        r = _run(["umount", self.mnt])
        if r.returncode != 0:
            print("[disk_full] umount %s failed (%s); lazy unmount" % (self.mnt, r.stdout.decode(errors="replace")),
                  flush=True)
            _run(["umount", "-l", self.mnt])
        shutil.rmtree(self.mnt, ignore_errors=True)

    def _df(self):
        st = os.statvfs(self.mnt)
        return "%d of %d KiB free" % (st.f_bavail * st.f_frsize // 1024, st.f_blocks * st.f_frsize // 1024)

    def _store_files(self):
        return {n: os.path.getsize(os.path.join(self.mnt, n)) for n in sorted(os.listdir(self.mnt))}

    def test_disk_full_refuses_clearly_and_recovers(self):
        t0 = time.monotonic()
        with h.Cluster([], name="disk_full", resend_ms=1000) as c:
            t = h.Terminal(c.tmp, "T01", c.mosq.port, resend_ms=1000)
            # The store on the small tmpfs: an absolute path in the config.
            t.store = os.path.join(self.mnt, "t01.db")
            with open(t.conf, encoding="utf-8") as f:
                conf = f.read()
            self.assertIn("store = t01.db\n", conf)
            with open(t.conf, "w", encoding="utf-8") as f:
                f.write(conf.replace("store = t01.db\n", "store = %s\n" % t.store))
            c.terminals["T01"] = t
            try:
                t.start()
            except AssertionError:
                self.fail("the terminal did not start with its store on a %s tmpfs (%s)" % (SMALL, self._df()))
            self.addCleanup(lambda: t.kill() if t.running() else None)   # before the unmount

            acked = {}        # seq -> item code answered "ok <seq>"
            refusals = []     # (code, reply)
            last = 0

            def scan(code):
                """One scan; returns the reply line, checks the invariants of
                either answer and updates acked/last."""
                nonlocal last
                reply = t.raw("scan receive %s %s %s 1" % (WH, OPERATOR, code))
                if reply.startswith("ok "):
                    seq = int(reply[3:])
                    self.assertEqual(seq, last + 1, "scan %s: seq %d after %d (reply %r)" % (code, seq, last, reply))
                    acked[seq] = code
                    last = seq
                else:
                    refusals.append((code, reply))
                    self.assertTrue(reply.startswith("err full scan not recorded: "),
                                    "scan %s refused unclearly: %r (%s)" % (code, reply, self._df()))
                    t.check_alive()
                    self.assertEqual(t.cmd("ping"), "pong")
                    st = t.status()
                    self.assertEqual(st["last_seq"], last, "a refused scan changed last_seq: %r" % (st,))
                return reply

            # 1. Fill the disk.
            n = 0
            while not refusals:
                self.assertLess(n, MAX_SCANS, "%d scans all acknowledged on a %s tmpfs: never full (%s, files %r)"
                                % (n, SMALL, self._df(), self._store_files()))
                scan("FULL-%05d" % n)
                n += 1
            filled = len(acked)
            print("[disk_full] full after %d acknowledged scans: %r (%s, files %r)"
                  % (filled, refusals[0][1], self._df(), self._store_files()), flush=True)
            self.assertGreaterEqual(filled, 20, "the disk filled after only %d scans" % filled)

            # 2. Still full: more scans are refused the same way (one may
            # slip through if SQLite freed a little; it must then be a
            # proper, next-seq acknowledgement - scan() checks that).
            for i in range(EXTRA_REFUSED):
                scan("MORE-%02d" % i)
                n += 1
            self.assertGreaterEqual(len(refusals), 1)
            # The log says which scan was not recorded.
            with open(t.log, encoding="utf-8", errors="replace") as f:
                log = f.read()
            self.assertIn("scan '%s' NOT recorded" % refusals[0][0], log)

            # The terminal keeps running and syncing what it holds while full:
            # the server gets every acknowledged scan (the terminal may be
            # unable to record the acks, so its synced may lag; resends are
            # duplicates to the server).  Stay full across a few resends.
            h.wait_until(lambda: c.server.applied_seq("T01") == last, h.scaled(30),
                         "server applied_seq == %d while the terminal's disk is full" % last)
            time.sleep(h.scaled(2.5))
            t.check_alive()
            st = t.status()
            self.assertEqual(st["last_seq"], last, st)
            self.assertLessEqual(st["synced"], last, st)
            self.assertEqual(c.server.applied_seq("T01"), last)
            reply = scan("STILL-FULL")
            n += 1
            self.assertTrue(reply.startswith("err full "), "scan while still full answered %r (%s)" % (reply, self._df()))
            print("[disk_full] while full: terminal synced %d of %d, %s" % (st["synced"], last, self._df()), flush=True)

            # 3. Make room without restarting the terminal.
            r = _run(["mount", "-o", "remount,size=%s" % LARGE, self.mnt])
            self.assertEqual(r.returncode, 0, "remount,size=%s failed: %s" % (LARGE, r.stdout.decode(errors="replace")))
            pid = t.pid
            before = len(refusals)
            for i in range(AFTER_ROOM):
                reply = scan("ROOM-%03d" % i)
                self.assertTrue(reply.startswith("ok "), "scan %d after making room (%s) answered %r"
                                % (i, self._df(), reply))
            self.assertEqual(len(refusals), before)
            self.assertEqual(t.pid, pid, "the terminal was restarted")

            # 4. Everything syncs: the server holds exactly the acknowledged scans.
            t.wait_synced(timeout=h.scaled(60), expect_last=last)
            h.wait_until(lambda: c.server.applied_seq("T01") == last, h.scaled(30), "server applied_seq == %d" % last)
            expected = {(WH, code): 1000 for code in acked.values()}
            h.assert_stock_equal(self, expected, c.server.stock(), c)
            self.assertEqual(c.server.rejections("T01").get("rejections", []), [],
                             "the server rejected some of the scans")
            journal = h.read_journal(c.server.db, "T01")
            self.assertEqual([r[1] for r in journal], list(range(1, last + 1)))
            self.assertEqual({r[1]: r[5] for r in journal}, acked, "server journal differs from the acknowledged scans")

            # 5. The store after a clean stop: exactly the acknowledged scans, intact.
            self.assertEqual(t.stop(), 0, "terminal exit code on SIGTERM")
            self.assertEqual(h.integrity_check(t.store), ["ok"], "PRAGMA integrity_check of %s" % t.store)
            con = sqlite3.connect("file:%s?mode=ro" % t.store, uri=True, timeout=30)
            try:
                rows = con.execute("SELECT seq, payload FROM event ORDER BY seq").fetchall()
                synced = con.execute("SELECT value FROM state WHERE key = 'synced'").fetchone()[0]
            finally:
                con.close()
            stored = {seq: json.loads(p)["body"]["item"] for seq, p in rows}
            self.assertEqual(stored, acked, "the store does not hold exactly the acknowledged scans")
            self.assertEqual(synced, last)
            print("[disk_full] %d scans acknowledged (%d before full), %d refused, %d tried; %.1f s"
                  % (len(acked), filled, len(refusals), n + AFTER_ROOM, time.monotonic() - t0), flush=True)


if __name__ == "__main__":
    h.main()
