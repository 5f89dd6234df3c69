"""kill -9 the terminal 20 times while it scans and syncs: every scan it
acknowledged survives and is applied exactly once.

Each scan receives quantity 1 of a unique item code, so the server's stock
tells exactly which scans were applied and how often."""

import os
import signal
import threading
import time
import unittest

import harness as h

SCANS = 500
KILLS = 20
WH = "W01"


class KillTerminal(unittest.TestCase):
    def test_kill9_during_scans_and_sync(self):
        rng, seed = h.seeded_rng("kill_terminal")
        kill_at = sorted(rng.sample(range(5, SCANS - 40), KILLS))
        with h.Cluster(["T01"], name="kill_terminal", resend_ms=1000) as c:
            t = c.t("T01")
            acked = {}          # code -> seq the terminal answered "ok" with
            via_status = {}     # code -> seq learned from last_seq after a lost reply
            last_seq = 0        # highest seq the test knows is recorded
            kills = 0
            lost_replies = 0
            not_recorded = 0
            killed = threading.Event()

            def killer(pid, delay):
                time.sleep(delay)
                os.kill(pid, signal.SIGKILL)
                killed.set()

            def restart():
                nonlocal kills, armed
                t.kill()          # reaps the process the killer thread shot
                kills += 1
                armed = False
                t.start()
                # Kills should land while it syncs: let it connect first.
                h.wait_until(lambda: t.status()["server_online"], h.scaled(30), "T01 back online")
                st = t.status()
                self.assertLessEqual(st["synced"], st["last_seq"], st)
                return st

            armed = False
            i = 0
            retries = 0
            while i < SCANS:
                code = "K%05d" % i
                if kill_at and i >= kill_at[0] and not armed:
                    # One kill at a time; a point passed while one was pending
                    # is taken at the next scan.
                    kill_at.pop(0)
                    armed = True
                    killed.clear()
                    threading.Thread(target=killer, args=(t.pid, rng.uniform(0, 0.004)), daemon=True).start()
                try:
                    seq = t.scan("receive", WH, "op1", code, "1")
                except (ConnectionError, OSError) as e:
                    # The kill landed: the reply to this scan is lost.  It was
                    # recorded iff last_seq moved past what we know.
                    if not killed.wait(h.scaled(10)):
                        raise AssertionError("control connection failed without a kill: %s" % e)
                    killed.clear()
                    lost_replies += 1
                    st = restart()
                    if st["last_seq"] == last_seq + 1:
                        via_status[code] = st["last_seq"]
                        last_seq = st["last_seq"]
                        i += 1
                    elif st["last_seq"] == last_seq:
                        not_recorded += 1
                        retries += 1
                        self.assertLess(retries, 50, "scan %s never gets through" % code)
                        # not recorded: the storekeeper scans it again
                    else:
                        self.fail("after kill -9 the terminal's last_seq is %d, but %d scans were "
                                  "acknowledged (+%s one in flight): acknowledged scans lost or "
                                  "phantom scans appeared" % (st["last_seq"], last_seq, code))
                    continue
                self.assertEqual(seq, last_seq + 1, "scan %s got seq %d after seq %d" % (code, seq, last_seq))
                acked[code] = seq
                last_seq = seq
                i += 1
                if killed.is_set():
                    # The kill landed between scans (reply already read).
                    killed.clear()
                    st = restart()
                    self.assertEqual(st["last_seq"], last_seq,
                                     "after kill -9 last_seq %d != %d acknowledged" % (st["last_seq"], last_seq))
            if killed.wait(0.1) or not t.running():
                killed.clear()
                st = restart()
                self.assertEqual(st["last_seq"], last_seq)
            print("%d kills, %d lost replies (%d of them not recorded), %d scans acknowledged"
                  % (kills, lost_replies, not_recorded, len(acked)), flush=True)
            self.assertEqual(kills, KILLS)
            self.assertEqual(len(acked) + len(via_status), SCANS)
            self.assertEqual(last_seq, SCANS)

            st = t.wait_synced(expect_last=SCANS)
            self.assertEqual(st["rejected"], 0, st)

            stock = c.server.stock()
            expected = {(WH, "K%05d" % i): 1000 for i in range(SCANS)}
            over = {k: v for k, v in stock.items() if v > 1000}
            self.assertEqual(over, {}, "items applied more than once: %r" % over)
            missing = sorted(k[1] for k in acked if (WH, k) not in stock)
            self.assertEqual(missing, [], "acknowledged scans never applied")
            h.assert_stock_equal(self, expected, stock, c)

            term = c.server.terminal("T01")
            self.assertEqual(term["applied_seq"], SCANS, term)
            self.assertEqual(term["rejected_events"], 0, term)
            self.assertEqual(term["rejected_messages"], 0, term)
            self.assertEqual(term["held"], 0, term)
            journal = h.read_journal(c.server.db, "T01")
            self.assertEqual([r[1] for r in journal], list(range(1, SCANS + 1)))
            by_seq = {r[1]: r for r in journal}
            for code, seq in list(acked.items()) + list(via_status.items()):
                self.assertEqual(by_seq[seq][5], code, "seq %d journaled as %r, not %s" % (seq, by_seq[seq], code))
                self.assertEqual(by_seq[seq][2], "applied")


if __name__ == "__main__":
    h.main()
