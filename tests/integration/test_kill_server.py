"""A terminal builds a backlog of 2,500 scans while the server is down; the
server is then started and kill -9'd while it applies the backlog (seen by
polling applied_seq until it passes a random point below the last seq),
several times, while the terminal keeps scanning from a thread.  In the end
every scan is applied exactly once and both databases pass PRAGMA
integrity_check."""

import random

import threading
import time
import unittest

import harness as h

BACKLOG = 2500
MID_APPLY_KILLS = 4      # kills that must land while applying
MAX_ROUNDS = 12
WAREHOUSES = ["W01", "W02"]
ITEMS = ["ITEM-%02d" % i for i in range(20)]


class KillServer(unittest.TestCase):
    def test_kill9_server_while_applying_backlog(self):
        rng, seed = h.seeded_rng("kill_server")
        plan = h.ScanPlan(random.Random(rng.randrange(1 << 32)), WAREHOUSES, ITEMS, "op1")
        model = h.StockModel()
        # Small batches so that applying the backlog takes many rounds.
        with h.Cluster(["T01"], name="kill_server", start_server=False, resend_ms=1000,
                       terminal_uplink={"batch_max": 25}) as c:
            t = c.t("T01")
            seq = 0

            def scan(n):
                nonlocal seq
                for _ in range(n):
                    op, wh, operator, item, milli = plan.next()
                    got = t.scan(op, wh, operator, item, h.milli_to_qty(milli))
                    self.assertEqual(got, seq + 1)
                    seq = got
                    model.apply(op, wh, item, milli)

            scan(BACKLOG)
            st = t.status()
            self.assertEqual((st["last_seq"], st["synced"]), (BACKLOG, 0), st)

            # From now on the terminal also scans all the time, in a thread,
            # while the server starts, applies, is killed and restarts.
            stop = threading.Event()
            errors = []

            def scanner():
                try:
                    while not stop.is_set():
                        scan(1)
                        time.sleep(0.002)
                except Exception as e:   # noqa: BLE001 - reported below
                    errors.append("%s: %s" % (type(e).__name__, e))

            mid_kills = []       # (applied seen just before the kill, last seq then)
            late_kills = 0
            rounds = 0
            th = threading.Thread(target=scanner, daemon=True)
            th.start()
            try:
                while len(mid_kills) < MID_APPLY_KILLS:
                    rounds += 1
                    self.assertLessEqual(rounds, MAX_ROUNDS,
                                         "could not kill the server while applying %d times in %d rounds "
                                         "(mid-apply kills: %r)" % (MID_APPLY_KILLS, MAX_ROUNDS, mid_kills))
                    self.assertEqual(errors, [])
                    c.server.start()
                    start_applied = c.server.applied_seq("T01")
                    last = seq
                    # Kill once applied_seq passes a random point of what is left.
                    target = rng.randint(start_applied + 1, start_applied + max(1, (last - start_applied) * 3 // 4))
                    deadline = time.monotonic() + h.scaled(60)
                    while True:
                        applied = c.server.applied_seq("T01")
                        last = seq
                        if target <= applied < last:
                            c.server.kill()
                            mid_kills.append((applied, last))
                            break
                        if applied >= last:
                            c.server.kill()
                            late_kills += 1
                            break
                        self.assertLess(time.monotonic(), deadline,
                                        "server made no progress from %d (last seq %d)" % (applied, last))
                        time.sleep(0.001)
                    # The server stays dead a moment; the backlog grows.
                    time.sleep(rng.uniform(0.2, 1.0))
            finally:
                stop.set()
                th.join(h.scaled(30))
            self.assertFalse(th.is_alive(), "scanner thread hung")
            self.assertEqual(errors, [])
            print("rounds %d: kills while applying at (applied, last) %r, %d kills after it had caught up"
                  % (rounds, mid_kills, late_kills), flush=True)

            c.server.start()
            st = t.wait_synced(expect_last=seq, timeout=h.scaled(120))
            self.assertEqual(st["rejected"], 0, st)
            h.assert_stock_equal(self, model.stock, c.server.stock(), c)
            term = c.server.terminal("T01")
            self.assertEqual(term["applied_seq"], seq, term)
            self.assertEqual(term["rejected_events"], 0, term)
            self.assertEqual(term["rejected_messages"], 0, term)
            self.assertEqual(term["held"], 0, term)
            journal = h.read_journal(c.server.db, "T01")
            self.assertEqual([r[1] for r in journal], list(range(1, seq + 1)), "journal seqs")
            self.assertTrue(all(r[2] == "applied" for r in journal))

            self.assertEqual(c.server.stop(), 0, "server exit code on SIGTERM")
            self.assertEqual(h.integrity_check(c.server.db), ["ok"])
            self.assertEqual(t.stop(), 0, "terminal exit code on SIGTERM")
            self.assertEqual(h.integrity_check(t.store), ["ok"])
            print("%d scans applied exactly once across %d server starts" % (seq, c.server.starts), flush=True)


if __name__ == "__main__":
    h.main()
