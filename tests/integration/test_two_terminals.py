"""Two terminals scan 1,000 events (500 each, concurrently from two threads)
into shared stock; the server must end with exactly the test's model."""

import random
import threading
import time
import unittest

import harness as h

SCANS_PER_TERMINAL = 500
WAREHOUSES = ["W01", "W02"]
ITEMS = ["ITEM-%02d" % i for i in range(20)]


class TwoTerminals(unittest.TestCase):
    def test_1000_scans_two_terminals_exact_stock(self):
        rng, seed = h.seeded_rng("two_terminals")
        tids = ["T01", "T02"]
        # Plans are drawn up front (own RNG per terminal) so the model does not
        # depend on how the two threads interleave.
        plans = {}
        for tid in tids:
            plan = h.ScanPlan(random.Random(rng.randrange(1 << 32)), WAREHOUSES, ITEMS,
                              "op-" + tid.lower())
            plans[tid] = [plan.next() for _ in range(SCANS_PER_TERMINAL)]
        model = h.StockModel()
        for tid in tids:
            for op, wh, _, item, milli in plans[tid]:
                model.stock.setdefault((wh, item), 0)
                model.stock[(wh, item)] += milli if op == "receive" else -milli
        self.assertTrue(all(v >= 0 for v in model.stock.values()))
        n_issues = sum(1 for tid in tids for s in plans[tid] if s[0] == "issue")
        n_decimals = sum(1 for tid in tids for s in plans[tid] if s[4] % 1000)
        print("plan: %d issues, %d quantities with decimals, %d stock rows"
              % (n_issues, n_decimals, len(model.stock)), flush=True)
        self.assertGreater(n_issues, 100)
        self.assertGreater(n_decimals, 100)

        with h.Cluster(tids, name="two_terminals") as c:
            seqs = {tid: [] for tid in tids}
            errors = []

            def run(tid):
                t = c.t(tid)
                try:
                    for op, wh, operator, item, milli in plans[tid]:
                        seqs[tid].append(t.scan(op, wh, operator, item, h.milli_to_qty(milli)))
                except Exception as e:   # noqa: BLE001 - reported by the main thread
                    errors.append("%s: %s: %s" % (tid, type(e).__name__, e))

            t0 = time.monotonic()
            threads = [threading.Thread(target=run, args=(tid,)) for tid in tids]
            for th in threads:
                th.start()
            for th in threads:
                th.join(h.scaled(300))
            self.assertFalse(any(th.is_alive() for th in threads), "scanning threads hung")
            self.assertEqual(errors, [])
            print("1000 scans in %.1f s" % (time.monotonic() - t0), flush=True)
            for tid in tids:
                self.assertEqual(seqs[tid], list(range(1, SCANS_PER_TERMINAL + 1)),
                                 "%s: seqs not 1..%d in order" % (tid, SCANS_PER_TERMINAL))

            for tid in tids:
                st = c.t(tid).wait_synced(expect_last=SCANS_PER_TERMINAL)
                self.assertEqual(st["rejected"], 0, st)
                self.assertEqual(st["pending"], 0, st)

            # The terminal learns "synced" from the ack, sent after the commit:
            # the server's view is already final here.
            h.assert_stock_equal(self, model.stock, c.server.stock(), c)
            terms = c.server.terminals()
            for tid in tids:
                self.assertIn(tid, terms)
                t = terms[tid]
                self.assertEqual(t["applied_seq"], SCANS_PER_TERMINAL, t)
                self.assertEqual(t["rejected_events"], 0, t)
                self.assertEqual(t["rejected_messages"], 0, t)
                self.assertEqual(t["held"], 0, t)
            rej = c.server.rejections()
            self.assertEqual(rej["events"], [])
            self.assertEqual(rej["messages"], [])
            # Journal: each seq exactly once, applied, with the planned content.
            journal = h.read_journal(c.server.db)
            for tid in tids:
                rows = [r for r in journal if r[0] == tid]
                self.assertEqual([r[1] for r in rows], list(range(1, SCANS_PER_TERMINAL + 1)))
                for r, (op, wh, _, item, milli) in zip(rows, plans[tid]):
                    self.assertEqual(r[2:], ("applied", op, wh, item, milli), "journal row %r" % (r,))


if __name__ == "__main__":
    h.main()
