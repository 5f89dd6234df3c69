"""An issue larger than the stock on hand is recorded by the terminal ("ok
<seq>"), rejected by the server with a reason, journaled, counted, and
reported back to the terminal; its seq is consumed and the stock never goes
negative.  Two terminals racing for the same stock: exactly the issues that
do not fit are rejected."""

import unittest

import harness as h


class Rejection(unittest.TestCase):
    def test_issue_beyond_stock_is_rejected(self):
        with h.Cluster(["T01"], name="rejection") as c:
            t, srv = c.t("T01"), c.server
            self.assertEqual(t.scan("receive", "W01", "op1", "BOLT-M8", "5.25"), 1)
            self.assertEqual(t.scan("issue", "W01", "op1", "BOLT-M8", "7"), 2)     # short 1.75
            self.assertEqual(t.scan("issue", "W01", "op1", "BOLT-M8", "5.25"), 3)  # all of it
            self.assertEqual(t.scan("issue", "W01", "op1", "BOLT-M8", "0.001"), 4)  # nothing left
            self.assertEqual(t.scan("issue", "W02", "op1", "BOLT-M8", "1"), 5)     # never received there
            self.assertEqual(t.scan("receive", "W01", "op1", "NUT-M8", "2"), 6)
            st = h.wait_until(lambda: (lambda s: s if s["synced"] == 6 and s["rejected"] == 3 else None)(t.status()),
                              h.scaled(30), "T01 synced with 3 rejections")
            self.assertEqual(st["last_seq"], 6)

            h.assert_stock_equal(self, {("W01", "BOLT-M8"): 0, ("W01", "NUT-M8"): 2000}, srv.stock(), c)
            term = srv.terminal("T01")
            self.assertEqual(term["applied_seq"], 6, term)
            self.assertEqual(term["rejected_events"], 3, term)
            self.assertEqual(term["held"], 0, term)
            self.assertEqual(term["rejected_messages"], 0, term)

            events = {e["seq"]: e for e in srv.rejections("T01")["events"]}
            self.assertEqual(sorted(events), [2, 4, 5])
            self.assertIn("insufficient stock", events[2]["reason"])
            self.assertIn("on hand 5.25", events[2]["reason"])
            self.assertIn("short 1.75", events[2]["reason"])
            self.assertIn("short 0.001", events[4]["reason"])
            self.assertIn("W02", events[5]["reason"])
            for seq in (2, 4, 5):
                reason = t.cmd("rejection %d" % seq)
                self.assertEqual(reason, events[seq]["reason"], "terminal and server disagree on seq %d" % seq)
            with self.assertRaises(h.ControlError):
                t.cmd("rejection 3")
            journal = h.read_journal(srv.db, "T01")
            self.assertEqual([(r[1], r[2]) for r in journal],
                             [(1, "applied"), (2, "rejected"), (3, "applied"), (4, "rejected"),
                              (5, "rejected"), (6, "applied")])

            # A restarted terminal still knows its rejections.
            t.stop()
            t.start()
            st = t.status()
            self.assertEqual((st["last_seq"], st["synced"], st["rejected"]), (6, 6, 3), st)
            self.assertEqual(t.cmd("rejection 2"), events[2]["reason"])

    def test_two_terminals_race_for_stock(self):
        with h.Cluster(["T01", "T02"], name="rejection_race") as c:
            t1, t2, srv = c.t("T01"), c.t("T02"), c.server
            t1.scan("receive", "W01", "op1", "CABLE", "10")
            t1.wait_synced(expect_last=1)
            # 2 x 20 issues of 0.5 = 20 requested against 10 on hand.
            for i in range(20):
                t1.scan("issue", "W01", "op1", "CABLE", "0.5")
                t2.scan("issue", "W01", "op2", "CABLE", "0.5")
            t1.wait_synced(expect_last=21)
            t2.wait_synced(expect_last=20)
            h.assert_stock_equal(self, {("W01", "CABLE"): 0}, srv.stock(), c)
            terms = srv.terminals()
            self.assertEqual(terms["T01"]["applied_seq"], 21)
            self.assertEqual(terms["T02"]["applied_seq"], 20)
            rejected = terms["T01"]["rejected_events"] + terms["T02"]["rejected_events"]
            self.assertEqual(rejected, 20, terms)
            self.assertEqual(t1.status()["rejected"] + t2.status()["rejected"], 20)
            applied_issues = [r for r in h.read_journal(srv.db) if r[3] == "issue" and r[2] == "applied"]
            self.assertEqual(sum(r[6] for r in applied_issues), 10000)


if __name__ == "__main__":
    h.main()
