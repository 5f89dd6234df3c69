"""The broker goes away for ~5 s in the middle of a stream of scans: the
terminal keeps accepting scans offline, and once mosquitto is back (same
port) everything is applied exactly once."""

import time
import unittest

import harness as h

OUTAGE_S = 5.0
WAREHOUSES = ["W01", "W02"]
ITEMS = ["ITEM-%02d" % i for i in range(20)]


class BrokerOutage(unittest.TestCase):
    def test_scans_during_broker_outage(self):
        rng, seed = h.seeded_rng("broker_outage")
        plan = h.ScanPlan(rng, WAREHOUSES, ITEMS, "op1")
        model = h.StockModel()
        with h.Cluster(["T01"], name="broker_outage", resend_ms=1000) as c:
            t = c.t("T01")
            seq = 0

            def scan_one():
                nonlocal seq
                op, wh, operator, item, milli = plan.next()
                got = t.scan(op, wh, operator, item, h.milli_to_qty(milli))
                self.assertEqual(got, seq + 1)
                seq = got
                model.apply(op, wh, item, milli)

            # Phase 1: online, paced so that syncing goes on alongside.
            for _ in range(200):
                scan_one()
                time.sleep(0.002)
            before = t.status()
            self.assertTrue(before["connected"], before)

            # Phase 2: the broker is down; scans must still be "ok".
            c.mosq.stop()
            outage_start = time.monotonic()
            h.wait_until(lambda: not t.status()["connected"], h.scaled(15), "T01 to notice the broker is gone")
            offline_scans = 0
            while time.monotonic() - outage_start < OUTAGE_S:
                scan_one()
                offline_scans += 1
                time.sleep(0.01)
            st = t.status()
            self.assertFalse(st["connected"], st)
            self.assertEqual(st["last_seq"], seq)
            self.assertLess(st["synced"], seq, "nothing can be synced without a broker")
            self.assertTrue(c.server.running())
            print("outage: %d scans recorded offline, synced stuck at %d" % (offline_scans, st["synced"]),
                  flush=True)
            self.assertGreater(offline_scans, 50)

            # Phase 3: the broker is back on the same port; keep scanning.
            c.mosq.start()
            for _ in range(200):
                scan_one()
                time.sleep(0.002)

            st = t.wait_synced(expect_last=seq, timeout=h.scaled(60))
            self.assertTrue(st["connected"], st)
            self.assertEqual(st["rejected"], 0, st)
            h.assert_stock_equal(self, model.stock, c.server.stock(), c)
            term = c.server.terminal("T01")
            self.assertEqual(term["applied_seq"], seq, term)
            self.assertEqual(term["rejected_events"], 0, term)
            self.assertEqual(term["rejected_messages"], 0, term)
            self.assertEqual(term["held"], 0, term)
            self.assertEqual([r[1] for r in h.read_journal(c.server.db, "T01")], list(range(1, seq + 1)))
            print("%d scans applied exactly once" % seq, flush=True)


if __name__ == "__main__":
    h.main()
