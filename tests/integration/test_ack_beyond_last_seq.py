"""A terminal must never count as synced a scan the server has not applied.

docs/protocol.md: "applied: every seq <= applied is processed (applied or
rejected) and durable on the server.  The terminal raises its synced
watermark to it."  An ack with applied beyond the terminal's last recorded
seq cannot be true for this terminal's events; the terminal detects it
(logs "server acknowledged seq N beyond the last recorded one") but then
clamps its watermark to last_seq, marking unsent scans as synced.

1. A terminal whose store was replaced (new device or wiped store, same
   terminal id) starts again at seq 1 while the server has applied_seq = N:
   the server drops its new scans as duplicates and acks N, and the terminal
   reports them synced although they were never applied.
2. The same with one stray ack (applied = 1000, last recorded 8) on
   tt/v1/t/T01/ack while the server is down: the 5 pending scans are never
   sent.  (In production broker ACLs keep other clients off the ack topic;
   here it just delivers an ack beyond last_seq.)"""

import contextlib
import json
import os
import time
import unittest

import harness as h


class AckBeyondLastSeq(unittest.TestCase):
    def test_ack_beyond_last_seq_is_ignored(self):
        with h.Cluster(["T01"], name="ack_beyond_last_seq") as c:
            t, srv = c.t("T01"), c.server
            model = h.StockModel()
            for i in range(3):
                t.scan("receive", "W01", "op1", "ONLINE-%d" % i, "1")
                model.receive("W01", "ONLINE-%d" % i, 1000)
            t.wait_synced(expect_last=3)
            srv.stop()
            for i in range(5):
                t.scan("receive", "W01", "op1", "PENDING-%d" % i, "2.5")
                model.receive("W01", "PENDING-%d" % i, 2500)
            st = t.status()
            self.assertEqual((st["last_seq"], st["synced"]), (8, 3), st)

            forged = {"v": 1, "terminal": "T01", "applied": 1000, "rejected": []}
            c.mosq.publish("tt/v1/t/T01/ack", message=json.dumps(forged))
            time.sleep(h.scaled(1.5))   # mosquitto_pub returned on PUBACK: T01 has it within ms
            st = t.status()
            self.assertEqual(st["synced"], 3, "an ack for seq 1000 (last recorded: 8) moved the synced "
                             "watermark: %r" % st)

            srv.start()
            st = h.wait_until(lambda: (lambda s: s if s["synced"] == 8 else None)(t.status()), h.scaled(30),
                              "T01 synced == 8")
            h.wait_until(lambda: srv.applied_seq("T01") == 8, h.scaled(30), "server applied_seq == 8")
            h.assert_stock_equal(self, model.stock, srv.stock(), c)

    def test_replaced_store_scans_not_silently_synced(self):
        with h.Cluster(["T01"], name="replaced_store") as c:
            t, srv = c.t("T01"), c.server
            for i in range(20):
                t.scan("receive", "W01", "op1", "OLD-%d" % i, "1")
            t.wait_synced(expect_last=20)
            # The terminal is replaced: same id, empty store.
            t.stop()
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(t.store + suffix)
            t.start()
            for i in range(5):
                t.scan("receive", "W01", "op1", "NEW-%d" % i, "1")
            time.sleep(h.scaled(3))   # several resend periods
            st = t.status()
            stock = srv.stock()
            new_applied = sorted(k[1] for k in stock if k[1].startswith("NEW-"))
            if st["synced"] == st["last_seq"]:
                self.assertEqual(new_applied, ["NEW-%d" % i for i in range(5)],
                                 "terminal reports all 5 new scans synced (%r) but the server applied "
                                 "only %r (server applied_seq %d): scans silently lost"
                                 % (st, new_applied, srv.applied_seq("T01")))


if __name__ == "__main__":
    h.main()
