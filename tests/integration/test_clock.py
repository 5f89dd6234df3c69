"""A terminal whose clock is wrong by days: its events are applied like any
others (nothing is refused for the clock), the journal keeps both the
terminal's time (ts_ms) and the server's receive time (server_ms), and
/api/v1/terminals reports the offset and flags the terminal as
clock_suspect.  A terminal a couple of minutes off (normal drift with no
NTP underground) and a normal terminal are not flagged."""

import json
import sqlite3
import time
import unittest

import harness as h

DAY_MS = 24 * 3600 * 1000
MINUTE_MS = 60 * 1000
SUSPECT_MS = 10 * MINUTE_MS    # TT_DB_CLOCK_SUSPECT_MS, docs/api.md


def batch(terminal, ts_ms, prefix):
    """A well-formed batch (docs/protocol.md) of receives, seqs 1..3."""
    events = [{"seq": seq, "ts": ts_ms + seq, "operator": "op1", "type": "receive",
               "body": {"warehouse": "W01", "item": "%s-%d" % (prefix, seq), "qty": "1"}}
              for seq in (1, 2, 3)]
    return json.dumps({"v": 1, "terminal": terminal, "synced": 0, "events": events},
                      separators=(",", ":"))


def journal_times(db_path, terminal):
    """[(seq, status, ts_ms, server_ms)] of the server's journal, read-only."""
    con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=30)
    try:
        return con.execute("SELECT seq, status, ts_ms, server_ms FROM event WHERE terminal = ?"
                           " ORDER BY seq", (terminal,)).fetchall()
    finally:
        con.close()


class Clock(unittest.TestCase):
    def test_wrong_clock_is_applied_kept_and_flagged(self):
        with h.Cluster(["T01"], name="clock") as c:
            t1, srv = c.t("T01"), c.server
            self.assertEqual(t1.scan("receive", "W01", "op1", "CLOCK-T01", "1"), 1)
            t1.wait_synced(expect_last=1)

            before = int(time.time() * 1000)
            c.mosq.publish("tt/v1/t/T09/events", message=batch("T09", before - 3 * DAY_MS, "CLOCK"))
            c.mosq.publish("tt/v1/t/T10/events", message=batch("T10", before - 2 * MINUTE_MS, "DRIFT"))
            terms = h.wait_until(
                lambda: (lambda ts: ts if all(ts.get(t, {}).get("applied_seq") == 3
                                              for t in ("T09", "T10")) else None)(srv.terminals()),
                h.scaled(30), "T09 and T10 applied through seq 3", cluster=c)
            after = int(time.time() * 1000)

            # Nothing refused for the clock: all applied, stock present.
            for tid in ("T09", "T10"):
                self.assertEqual(terms[tid]["rejected_events"], 0, terms[tid])
                self.assertEqual(terms[tid]["rejected_messages"], 0, terms[tid])
                self.assertEqual(terms[tid]["held"], 0, terms[tid])
            rej = srv.rejections()
            self.assertEqual((rej["events"], rej["messages"]), ([], []), rej)
            stock = srv.stock()
            for prefix in ("CLOCK", "DRIFT"):
                for seq in (1, 2, 3):
                    self.assertEqual(stock.get(("W01", "%s-%d" % (prefix, seq))), 1000, stock)

            # The journal keeps both clocks, and their difference is the offset.
            for tid, off in (("T09", -3 * DAY_MS), ("T10", -2 * MINUTE_MS)):
                rows = journal_times(srv.db, tid)
                self.assertEqual([(r[0], r[1]) for r in rows],
                                 [(1, "applied"), (2, "applied"), (3, "applied")], rows)
                for seq, _, ts_ms, server_ms in rows:
                    self.assertEqual(ts_ms, before + off + seq, rows)
                    self.assertTrue(before <= server_ms <= after, (rows, before, after))

            # The fleet page: T09 flagged with about -3 days, the others not.
            t09, t10, t01 = terms["T09"], terms["T10"], terms["T01"]
            rows09 = journal_times(srv.db, "T09")
            self.assertEqual(t09["clock_offset_ms"], rows09[-1][2] - rows09[-1][3], t09)
            self.assertLess(abs(t09["clock_offset_ms"] + 3 * DAY_MS), h.scaled(60) * 1000, t09)
            self.assertIs(t09["clock_suspect"], True, t09)
            self.assertLess(abs(t10["clock_offset_ms"] + 2 * MINUTE_MS), h.scaled(60) * 1000, t10)
            self.assertLess(abs(t10["clock_offset_ms"]), SUSPECT_MS, t10)
            self.assertIs(t10["clock_suspect"], False, t10)
            self.assertIsNotNone(t01["clock_offset_ms"], t01)
            self.assertLess(abs(t01["clock_offset_ms"]), SUSPECT_MS, t01)
            self.assertIs(t01["clock_suspect"], False, t01)

            # T01 keeps working next to them.
            self.assertEqual(t1.scan("receive", "W01", "op1", "CLOCK-T01", "1"), 2)
            t1.wait_synced(expect_last=2)
            self.assertIs(srv.terminal("T01")["clock_suspect"], False)


if __name__ == "__main__":
    h.main()
