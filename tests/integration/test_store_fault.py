"""The terminal's store fails mid-commit: the real tagtrail-edge with an
LD_PRELOAD shim (tests/shim/fsync_fault.c) whose fdatasync/fsync fail with
EIO while a trigger file exists ("once": one failure; else every call).

Invariants checked (docs/decisions.md, Faults 1):
  * a fsync failing once at a scan's commit: the scan is answered
    "err store scan not recorded" (the store was settled at once, so it
    is not there even after a power cut), nothing else changes, and the
    next scan takes the next seq;
  * fsyncs failing for good: the scan whose commit failed is answered
    "outcome not known yet" (never "not recorded"), `status` shows
    store_unsettled, later scans are refused ("not recorded ... being
    checked") and change nothing; when the disk works again the terminal
    settles by itself within its 1 s retry, and seqs go on without a gap;
  * the same at the counter: a document whose commit ends in doubt is kept,
    the screen says its fate is not known yet and refuses every input;
    once settled it says "NOT stored" and the same document commits;
  * after all that and a kill -9, the store passes PRAGMA integrity_check,
    holds seqs 1..N exactly, and the server applied each exactly once.
"""

import json
import os
import sqlite3
import time
import unittest

import harness as h
import test_counter_session as cs

SHIM = os.path.join(h.BUILD_DIR, "tests", "libtt_fsync_fault.so")
WH = "W01"


class StoreFault(unittest.TestCase):
    def test_fsync_failures_at_commit(self):
        self.assertTrue(os.path.exists(SHIM), "the fsync shim is not built: %s" % SHIM)
        with h.Cluster([], name="store_fault", start_server=False, resend_ms=1000) as c:
            version = cs.import_master(self, c.server, cs.MASTER)
            c.server.start()
            trigger = os.path.join(c.tmp, "fsync.fail")
            t = h.Terminal(c.tmp, "T01", c.mosq.port, resend_ms=1000)
            env = dict(os.environ, LD_PRELOAD=SHIM, TT_FSYNC_FAULT=trigger)
            if h.SANITIZED:
                # The shim is preloaded ahead of the sanitizer runtime.
                env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0").lstrip(":")
            t.env = env
            c.terminals["T01"] = t
            t.start()
            cs.wait_master(t, version)
            stored = {}   # seq -> item code, for the one-shot scans

            def scan(code):
                return t.raw("scan receive %s op1 %s 1" % (WH, code))

            def fail(mode):
                with open(trigger, "w") as f:
                    f.write(mode + "\n")

            for i in range(2):
                self.assertEqual(scan("SF-%d" % i), "ok %d" % (i + 1))
                stored[i + 1] = "SF-%d" % i
            t.wait_synced(expect_last=2)

            # 1. One failed fsync: settled at once, reported as not recorded.
            fail("once")
            reply = scan("SF-ONCE")
            self.assertTrue(reply.startswith("err store scan not recorded: "), reply)
            self.assertFalse(os.path.exists(trigger), "the failure was not injected")
            st = t.status()
            self.assertEqual((st["last_seq"], st["store_unsettled"], st["store_faults"]), (2, False, 1), st)
            self.assertEqual(scan("SF-2"), "ok 3")
            stored[3] = "SF-2"

            # 2. Failing for good: in doubt, then refusing, then settled.
            fail("sticky")
            reply = scan("SF-DOUBT")
            self.assertTrue(reply.startswith("err store scan outcome not known yet"), reply)
            st = t.status()
            self.assertTrue(st["store_unsettled"], st)
            self.assertEqual(st["last_seq"], 3, st)
            for i in range(3):
                reply = scan("SF-REFUSED-%d" % i)
                self.assertTrue(reply.startswith("err store scan not recorded: the store failed"), reply)
            time.sleep(h.scaled(1.5))   # retries keep failing meanwhile
            st = t.status()
            self.assertTrue(st["store_unsettled"], st)
            self.assertEqual(st["last_seq"], 3, st)
            os.unlink(trigger)
            st = h.wait_until(lambda: (lambda s: s if not s["store_unsettled"] else None)(t.status()),
                              h.scaled(5), "the terminal settling its store by itself")
            self.assertEqual(st["last_seq"], 3, "the scan in doubt was recorded after all? %r" % (st,))
            self.assertGreaterEqual(st["store_faults"], 2, st)
            self.assertEqual(scan("SF-3"), "ok 4")
            stored[4] = "SF-3"

            # 3. At the counter: a count document whose commit ends in doubt.
            for code in ("TT:OP:zhang3", "TT:MODE:count", "TT:WH:%s" % WH):
                self.assertTrue(t.raw("code " + code).startswith("ok "), code)
            time.sleep(h.scaled(1.0))   # the warehouse's stock snapshot is stored first
            self.assertTrue(t.raw("key 5").startswith("ok "))
            self.assertTrue(t.raw("code %s" % cs.ITEM3).startswith("ok "))
            fail("sticky")
            reply = t.raw("code TT:COMMIT")
            self.assertTrue(reply.startswith("err refused ") and "尚不确定" in reply, reply)
            view = json.loads(t.cmd("view"))
            self.assertEqual(len(view["lines"]), 1, view)
            for code in (cs.ITEM1, "TT:CANCEL", "TT:COMMIT"):
                reply = t.raw("code " + code)
                self.assertTrue(reply.startswith("err refused ") and "正在检查存储" in reply, (code, reply))
            self.assertEqual(len(json.loads(t.cmd("view"))["lines"]), 1)
            os.unlink(trigger)
            view = h.wait_until(lambda: (lambda v: v if "单据未保存" in v["message"] else None)(json.loads(t.cmd("view"))),
                                h.scaled(5), "the counter told the document was not stored")
            self.assertTrue(view["error"], view)
            self.assertEqual(len(view["lines"]), 1, view)
            reply = t.raw("code TT:COMMIT")
            self.assertTrue(reply.startswith("ok ") and "#5" in reply, reply)
            self.assertEqual(t.status()["last_seq"], 5)

            # 4. Everything syncs once; a kill -9 changes nothing.
            t.wait_synced(expect_last=5)
            t.kill()
            t.start()
            st = t.status()
            self.assertEqual((st["last_seq"], st["synced"], st["store_unsettled"]), (5, 5, False), st)
            t.stop()
            self.assertEqual(h.integrity_check(t.store), ["ok"])
            con = sqlite3.connect("file:%s?mode=ro" % t.store, uri=True)
            try:
                rows = con.execute("SELECT seq, type, payload FROM event ORDER BY seq").fetchall()
            finally:
                con.close()
            self.assertEqual([r[0] for r in rows], [1, 2, 3, 4, 5])
            self.assertEqual({r[0]: json.loads(r[2])["body"]["item"] for r in rows if r[0] in stored}, stored)
            self.assertEqual(rows[4][1], "count")
            journal = h.read_journal(c.server.db, "T01")
            self.assertEqual([r[1] for r in journal], [1, 2, 3, 4, 5])
            self.assertEqual(c.server.applied_seq("T01"), 5)
            self.assertEqual(h.integrity_check(c.server.db), ["ok"])
            print("[store_fault] once: not recorded, settled at once; sticky: in doubt, %d refusals,"
                  " settled by itself after the disk healed; counter document in doubt then"
                  " committed as #5; store_faults %d" % (3, st["store_faults"]), flush=True)


if __name__ == "__main__":
    h.main()
