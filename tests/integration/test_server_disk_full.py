"""Disk full on the server: its database lives on a small tmpfs that a few
hundred scans fill.

Invariants checked:
  * while the server's disk is full its ingest rounds roll back ("ingest
    round not committed: no space left" / "ingest round dropped, nothing
    acknowledged: no space left") and no ack goes out for them: the
    terminal's synced never passes what the server has committed
    (applied_seq) and stays below last_seq;
  * the server process stays alive and its HTTP API keeps answering;
  * the terminal keeps accepting scans ("ok <seq>") meanwhile;
  * once there is room again (tmpfs remounted larger, nothing restarted)
    everything catches up: synced == last_seq == the server's applied_seq;
  * the server holds exactly the acknowledged scans: one qty 1 per unique
    item code, journal seqs 1..N each exactly once, no rejections;
  * the server database passes PRAGMA integrity_check after a clean stop.

Needs root (mount -t tmpfs); CI runs as root, so without it the test FAILS."""

import os
import shutil
import subprocess
import tempfile
import time
import unittest

import harness as h

WH = "W01"
OPERATOR = "op1"
SMALL = "1m"         # a few hundred scans fill it (SQLite WAL grows)
LARGE = "32m"
CHUNK = 20           # scans between looks at the server
MAX_SCANS = 4000     # safety bound: the disk must be full long before
WHILE_FULL = 30      # scans taken by the terminal while the server is full
FULL_MARKERS = ("ingest round not committed: no space left",
                "ingest round dropped, nothing acknowledged: no space left",
                "cannot begin ingest round: no space left")


def _run(argv):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)


class ServerDiskFull(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.fail("test_server_disk_full needs root to mount a tmpfs (CI runs as root); euid is %d"
                      % os.geteuid())
        self.mnt = tempfile.mkdtemp(prefix="ttsfull", dir="/tmp")
        r = _run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % SMALL, "tmpfs", self.mnt])
        if r.returncode != 0:
            os.rmdir(self.mnt)
            self.fail("mount -t tmpfs -o size=%s tmpfs %s failed (%d): %s"
                      % (SMALL, self.mnt, r.returncode, r.stdout.decode(errors="replace")))
        self.addCleanup(self._unmount)

    def _unmount(self):
        r = _run(["umount", self.mnt])
        if r.returncode != 0:
            print("[server_disk_full] umount %s failed (%s); lazy unmount"
                  % (self.mnt, r.stdout.decode(errors="replace")), flush=True)
            _run(["umount", "-l", self.mnt])
        shutil.rmtree(self.mnt, ignore_errors=True)

    def _df(self):
        st = os.statvfs(self.mnt)
        return "%d of %d KiB free" % (st.f_bavail * st.f_frsize // 1024, st.f_blocks * st.f_frsize // 1024)

    def _db_files(self):
        return {n: os.path.getsize(os.path.join(self.mnt, n)) for n in sorted(os.listdir(self.mnt))}

    @staticmethod
    def _full_lines(server):
        with open(server.log, encoding="utf-8", errors="replace") as f:
            return [l for l in f.read().splitlines() if any(m in l for m in FULL_MARKERS)]

    def test_server_disk_full_stops_acking_and_catches_up(self):
        t0 = time.monotonic()
        with h.Cluster([], name="server_disk_full", start_server=False, resend_ms=1000) as c:
            srv = c.server
            # The database on the small tmpfs: an absolute path in the config.
            srv.db = os.path.join(self.mnt, "server.db")
            with open(srv.conf, encoding="utf-8") as f:
                conf = f.read()
            self.assertIn("database = server.db\n", conf)
            with open(srv.conf, "w", encoding="utf-8") as f:
                f.write(conf.replace("database = server.db\n", "database = %s\n" % srv.db))
            self.addCleanup(lambda: srv.kill() if srv.running() else None)   # before the unmount
            try:
                srv.start()
            except AssertionError:
                self.fail("the server did not start with its database on a %s tmpfs (%s)" % (SMALL, self._df()))
            print("[server_disk_full] server started: %s, files %r" % (self._df(), self._db_files()), flush=True)

            t = h.Terminal(c.tmp, "T01", c.mosq.port, resend_ms=1000)
            c.terminals["T01"] = t
            self.addCleanup(lambda: t.kill() if t.running() else None)
            t.start()

            acked = {}   # seq -> item code answered "ok <seq>"
            last = 0

            def scan(code):
                nonlocal last
                reply = t.raw("scan receive %s %s %s 1" % (WH, OPERATOR, code))
                self.assertTrue(reply.startswith("ok "), "scan %s answered %r (server disk %s)"
                                % (code, reply, self._df()))
                seq = int(reply[3:])
                self.assertEqual(seq, last + 1, "scan %s: seq %d after %d" % (code, seq, last))
                acked[seq] = code
                last = seq

            def check_no_ack_beyond_commit(where):
                """synced (what the server acknowledged) <= applied_seq
                (what it committed); the server alive and answering."""
                srv.check_alive()
                st = t.status()
                applied = srv.applied_seq("T01")   # GET /api/v1/terminals
                self.assertLessEqual(st["synced"], applied,
                                     "%s: terminal synced %d but the server committed only %d (%r)"
                                     % (where, st["synced"], applied, st))
                self.assertLessEqual(applied, st["last_seq"], "%s: applied %d > last_seq %r" % (where, applied, st))
                return st, applied

            # 1. Scan until the server's disk fills.
            n = 0
            while not self._full_lines(srv):
                self.assertLess(n, MAX_SCANS, "%d scans all applied on a %s tmpfs: never full (%s, files %r)"
                                % (n, SMALL, self._df(), self._db_files()))
                for _ in range(CHUNK):
                    scan("ITEM-%05d" % n)
                    n += 1
                # Let the server take the chunk (or fail to).
                h.wait_until(lambda: self._full_lines(srv) or srv.applied_seq("T01") == last,
                             h.scaled(30), "server applied_seq == %d or a disk-full round" % last)
                check_no_ack_beyond_commit("filling")
            filled = last
            print("[server_disk_full] server full after %d scans: %r (%s, files %r)"
                  % (filled, self._full_lines(srv)[0], self._df(), self._db_files()), flush=True)
            self.assertGreaterEqual(filled, 20, "the server's disk filled after only %d scans" % filled)

            # 2. Still full: the terminal keeps accepting scans; the server
            # stays up, answers HTTP, and acknowledges nothing it has not
            # committed.  Stay full across a few resends.
            for i in range(WHILE_FULL):
                scan("FULL-%03d" % i)
                n += 1
            deadline = time.monotonic() + h.scaled(4)
            while time.monotonic() < deadline:
                st, applied = check_no_ack_beyond_commit("while full")
                self.assertLess(st["synced"], st["last_seq"], "while full the terminal is all synced: %r" % (st,))
                time.sleep(0.25)
            self.assertTrue(srv.health_ok(), "server health while its disk is full")
            self.assertIn("T01", srv.terminals())
            st, applied = check_no_ack_beyond_commit("while full")
            self.assertEqual(st["last_seq"], last, st)
            nfull = len(self._full_lines(srv))
            self.assertGreaterEqual(nfull, 2, "the server did not keep failing rounds while full")
            print("[server_disk_full] while full: terminal synced %d, server applied %d, last_seq %d, "
                  "%d failed rounds logged, %s" % (st["synced"], applied, last, nfull, self._df()), flush=True)

            # 3. Make room without restarting anything.
            spid, tpid = srv.pid, t.pid
            r = _run(["mount", "-o", "remount,size=%s" % LARGE, self.mnt])
            self.assertEqual(r.returncode, 0, "remount,size=%s failed: %s" % (LARGE, r.stdout.decode(errors="replace")))
            for i in range(10):
                scan("ROOM-%03d" % i)
                n += 1

            # 4. Everything catches up.
            t.wait_synced(timeout=h.scaled(60), expect_last=last)
            h.wait_until(lambda: srv.applied_seq("T01") == last, h.scaled(30), "server applied_seq == %d" % last)
            self.assertEqual((srv.pid, t.pid), (spid, tpid), "a process was restarted")
            expected = {(WH, code): 1000 for code in acked.values()}
            h.assert_stock_equal(self, expected, srv.stock(), c)
            self.assertEqual(srv.rejections("T01").get("rejections", []), [], "the server rejected some scans")

            # 5. After a clean stop: the journal holds each seq once, and the db is intact.
            self.assertEqual(srv.stop(), 0, "server exit code on SIGTERM")
            journal = h.read_journal(srv.db, "T01")
            self.assertEqual([r[1] for r in journal], list(range(1, last + 1)),
                             "server journal seqs are not 1..%d exactly once" % last)
            self.assertEqual({r[1]: r[5] for r in journal}, acked, "server journal differs from the acknowledged scans")
            self.assertEqual(h.integrity_check(srv.db), ["ok"], "PRAGMA integrity_check of %s" % srv.db)
            print("[server_disk_full] %d scans (%d before full), %d failed rounds; %.1f s"
                  % (last, filled, len(self._full_lines(srv)), time.monotonic() - t0), flush=True)


if __name__ == "__main__":
    h.main()
