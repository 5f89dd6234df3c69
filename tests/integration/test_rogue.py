"""A rogue MQTT client (mosquitto_pub) publishes garbage, broken and
hostile messages next to a working terminal.  Each bad message must be
rejected and journaled with a reason, counted against the terminal its topic
names, and nothing else may change: the server keeps running, the stock is
untouched, and T01 keeps syncing."""

import json
import os
import unittest

import harness as h

WAREHOUSES = ["W01", "W02"]
ITEMS = ["ITEM-%02d" % i for i in range(10)]
MAX_PAYLOAD = 4 << 20          # the server's default ingest.max_payload
SEQ_MAX = (1 << 53) - 1


def event(seq, item="ROGUE-1", qty="5", **over):
    e = {"seq": seq, "ts": 1764099600123, "operator": "rogue", "type": "receive",
         "body": {"warehouse": "W01", "item": item, "qty": qty}}
    e.update(over)
    return e


def batch(terminal, events, synced=0, **over):
    b = {"v": 1, "terminal": terminal, "synced": synced, "events": events}
    b.update(over)
    return b


def js(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


class Rogue(unittest.TestCase):
    def test_rogue_publisher(self):
        rng, seed = h.seeded_rng("rogue")
        plan = h.ScanPlan(rng, WAREHOUSES, ITEMS, "op1")
        model = h.StockModel()
        with h.Cluster(["T01"], name="rogue") as c:
            t = c.t("T01")
            srv = c.server

            def scan(n):
                for _ in range(n):
                    op, wh, operator, item, milli = plan.next()
                    t.scan(op, wh, operator, item, h.milli_to_qty(milli))
                    model.apply(op, wh, item, milli)

            scan(60)
            st = t.wait_synced(expect_last=60)
            stock_before = srv.stock()
            h.assert_stock_equal(self, model.stock, stock_before, c)
            self.assertEqual(srv.terminal("T01")["rejected_messages"], 0)
            self.assertEqual(srv.rejections()["messages"], [])

            ev01 = "tt/v1/t/T01/events"
            ev02 = "tt/v1/t/T02/events"
            good01 = js(batch("T01", [event(1000)]))
            # (name, topic, payload bytes, reason must contain, terminal counted)
            bad = [
                ("garbage bytes", ev01, b"\xff\xfe" + bytes(rng.randrange(1, 256) for _ in range(331)),
                 "not valid JSON", "T01"),
                ("NUL inside JSON", ev01, good01[:30] + b"\x00" + good01[30:], "NUL", "T01"),
                ("truncated JSON", ev01, good01[: len(good01) // 2], "not valid JSON", "T01"),
                ("JSON array, not object", ev01, b"[1,2,3]", "not a JSON object", "T01"),
                ("seq as string", ev01, js(batch("T01", [event("61")])), "seq", "T01"),
                ("events not an array", ev01, js(batch("T01", {"seq": 61})), "events", "T01"),
                ("empty events", ev01, js(batch("T01", [])), "events", "T01"),
                ("synced as string", ev01, js(batch("T01", [event(61)], synced="60")), "synced", "T01"),
                ("v as string", ev01, js(batch("T01", [event(61)], v="1")), "v:", "T01"),
                ("protocol version 2", ev01, js(batch("T01", [event(61)], v=2)), "version", "T01"),
                ("unknown envelope field", ev01, js(batch("T01", [event(61)], extra=1)), "extra", "T01"),
                ("seqs not increasing", ev01, js(batch("T01", [event(70), event(69)])), "seq", "T01"),
                ("two JSON documents", ev01, good01 + b" " + good01, "after the document", "T01"),
                ("repeated field", ev01, good01[:-1] + b',"synced":0}', "repeated field", "T01"),
                ("wrong terminal in payload", ev01, js(batch("T02", [event(61)])), "does not match", "T01"),
                ("5001 events", ev01, js(batch("T01", [event(100 + i) for i in range(5001)])), "5001", "T01"),
                ("oversize payload", ev01,
                 good01[:-2] + b" " * (MAX_PAYLOAD + 17 - len(good01)) + good01[-2:], "exceeds", "T01"),
                ("status garbage", "tt/v1/t/T01/status", b"{\"state\":\"sideways\"}", "state", "T01"),
                ("seq beyond 2^53", ev02, js(batch("T02", [event(SEQ_MAX + 1)])), "seq", "T02"),
                ("invalid terminal id in topic", "tt/v1/t/bad$id/events", js(batch("T01", [event(61)])),
                 "topic", ""),
                ("terminal id too long in topic", "tt/v1/t/%s/events" % ("X" * 33),
                 js(batch("X" * 33, [event(1)])), "topic", ""),
            ]
            # Messages are told apart on the server by (topic, size): leading
            # blanks (insignificant in JSON) make every size unique.
            seen = set()
            for i, (name, topic, p, why, term) in enumerate(bad):
                while (topic, len(p)) in seen:
                    p = b" " + p
                seen.add((topic, len(p)))
                bad[i] = (name, topic, p, why, term)
            self.assertTrue(any(len(p) > MAX_PAYLOAD for _, _, p, _, _ in bad))

            for i, (name, topic, payload, _, _) in enumerate(bad):
                path = os.path.join(c.tmp, "rogue%02d.bin" % i)
                with open(path, "wb") as f:
                    f.write(payload)
                c.mosq.publish(topic, file=path)
            # Well-formed but far ahead: held (twice: still held once), not applied.
            held = js(batch("T02", [event(SEQ_MAX, item="ROGUE-HELD", qty="1000000")]))
            c.mosq.publish(ev02, message=held)
            c.mosq.publish(ev02, message=held)
            # A readable seq with a bad field (qty as a number) is an event
            # rejection: journaled with its reason, the seq consumed.
            c.mosq.publish("tt/v1/t/R01/events", message=js(batch("R01", [event(1, item="ROGUE-2", qty=5)])))

            msgs = h.wait_until(lambda: (lambda m: m if len(m) >= len(bad) else None)(srv.rejections()["messages"]),
                                h.scaled(60), "%d rejected messages on /api/v1/rejections" % len(bad))
            self.assertEqual(len(msgs), len(bad), "rejected messages: %s" % json.dumps(msgs, indent=1)[:3000])
            by_key = {(m["topic"], m["size"]): m for m in msgs}
            problems = []
            for name, topic, payload, why, term in bad:
                m = by_key.get((topic, len(payload)))
                if m is None:
                    problems.append("%s: not in the rejected messages" % name)
                    continue
                if why.lower() not in m["reason"].lower():
                    problems.append("%s: reason %r does not mention %r" % (name, m["reason"], why))
                if m["terminal"] != term:
                    problems.append("%s: counted against terminal %r, expected %r" % (name, m["terminal"], term))
                if not m.get("excerpt") or not m.get("at"):
                    problems.append("%s: no excerpt/time: %r" % (name, m))
            self.assertEqual(problems, [], "\n".join(problems))

            srv.check_alive()
            self.assertTrue(srv.health_ok())
            terms = h.wait_until(lambda: (lambda ts: ts if "R01" in ts and "T02" in ts and
                                          ts["R01"]["applied_seq"] == 1 and ts["T02"]["held"] == 1 else None)(
                                     srv.terminals()), h.scaled(30), "R01 and T02 processed")
            n01 = sum(1 for b in bad if b[4] == "T01")
            n02 = sum(1 for b in bad if b[4] == "T02")
            self.assertEqual(terms["T01"]["rejected_messages"], n01, terms["T01"])
            self.assertEqual(terms["T02"]["rejected_messages"], n02, terms["T02"])
            self.assertEqual(terms["T02"]["held"], 1, terms["T02"])
            self.assertEqual(terms["T02"]["applied_seq"], 0, terms["T02"])
            self.assertEqual(terms["T02"]["rejected_events"], 0, terms["T02"])
            self.assertEqual(terms["R01"]["applied_seq"], 1, terms["R01"])
            self.assertEqual(terms["R01"]["rejected_events"], 1, terms["R01"])
            self.assertEqual(sorted(terms), ["R01", "T01", "T02"], "terminals: %r" % sorted(terms))
            events = srv.rejections()["events"]
            self.assertEqual([(e["terminal"], e["seq"]) for e in events], [("R01", 1)], events)
            self.assertIn("qty", events[0]["reason"])
            per01 = srv.rejections("T01")["messages"]
            self.assertEqual(len(per01), n01)
            self.assertTrue(all(m["terminal"] == "T01" for m in per01))

            # Nothing of it touched the stock, nor T01.
            h.assert_stock_equal(self, stock_before, srv.stock(), c)
            self.assertEqual(terms["T01"]["applied_seq"], 60, terms["T01"])
            self.assertEqual(terms["T01"]["rejected_events"], 0, terms["T01"])
            self.assertEqual(terms["T01"]["held"], 0, terms["T01"])

            # T01 still syncs.
            scan(60)
            st = t.wait_synced(expect_last=120)
            self.assertEqual(st["rejected"], 0, st)
            h.assert_stock_equal(self, model.stock, srv.stock(), c)
            term = srv.terminal("T01")
            self.assertEqual(term["applied_seq"], 120, term)
            self.assertEqual(term["rejected_messages"], n01, term)
            self.assertEqual(term["held"], 0, term)
            srv.check_alive()


if __name__ == "__main__":
    h.main()
