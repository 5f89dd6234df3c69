"""The sim board's devices driven through the firmware's own loop: a tag
held to the (fake) RFID reader reaches the counter through the reader's
driver with its dedupe window, and an unplugged scanner shows as missing,
refuses scans, and works again when plugged back, without a restart.

The tag's GIAI is registered to asset P-0042 in the equipment register
(test_counter_session.EQUIPMENT), so the line and the event carry the asset
number; a tag no asset has is refused."""
import time
import unittest

import harness as h
from test_counter_session import GIAI_A, Counter, import_master, wait_master

# A GIAI-96 asset tag: urn:epc:id:giai:0614141.5678 (see shared/epc.h).
GIAI_HEX = "3434257BF40000000000162E"
GIAI = "06141415678"
ASSET = "P-0042"                  # the asset with this GIAI, 乳化液泵
# A GIAI-96 tag of no registered asset: urn:epc:id:giai:0614141.5679.
UNKNOWN_HEX = "3434257BF40000000000162F"


class SimDevices(unittest.TestCase):
    def start(self, c):
        version = import_master(self, c.server)
        c.server.start()
        t = c.t("T01")
        wait_master(t, version)
        return t, Counter(self, t)

    def test_rfid_tag_at_the_repair_bay(self):
        with h.Cluster(["T01"], name="sim_rfid", start_server=False) as c:
            t, k = self.start(c)
            h.wait_until(lambda: t.status()["rfid_present"] is True, h.scaled(10),
                         "the fake reader answering")
            k.code("B0001")
            k.code("TT:MODE:appraisal")
            # P-0042 is in use at the shop XL: sent in by XL (docs/repair.md)
            k.code("TT:UNIT:XL", "送修单位 XL")
            k.code("TT:RES:major")
            self.assertEqual(GIAI, GIAI_A)
            # A tag of no registered asset: refused, no line.
            self.assertEqual(t.cmd("sim rfid " + UNKNOWN_HEX), "")
            h.wait_until(lambda: "未知设备" in k.view()["message"], h.scaled(5),
                         "the unknown tag refused")
            v = k.view()
            self.assertTrue(v["error"], v)
            self.assertIn("06141415679", v["message"])
            self.assertEqual(v["lines"], [])
            self.assertEqual(t.cmd("sim rfid " + GIAI_HEX), "")
            h.wait_until(lambda: len(k.view()["lines"]) == 1, h.scaled(5), "the tag's line")
            # Held to the reader again at once: the dedupe window counts it once.
            t.cmd("sim rfid " + GIAI_HEX)
            time.sleep(0.5)
            v = k.view()
            self.assertEqual([(l["item"], l["name"], l["result"]) for l in v["lines"]],
                             [(ASSET, "乳化液泵", "major")], v)
            self.assertEqual(v["message"], "第 1 行：设备 P-0042 乳化液泵 major")
            # A bad frame from the reader changes nothing at the counter.
            t.cmd("sim rfid-garbage")
            time.sleep(0.3)
            self.assertEqual(len(k.view()["lines"]), 1)
            k.code("TT:COMMIT", "#1")
            st = t.wait_synced(expect_last=1)
            self.assertEqual(st["rejected"], 0, st)
            ev = __import__("json").loads(__import__("sqlite3").connect(t.store).execute(
                "SELECT payload FROM event WHERE seq = 1").fetchone()[0])
            self.assertEqual((ev["type"], ev["body"]["asset"], ev["body"]["step"],
                              ev["body"]["result"]), ("equipment", ASSET, "appraisal", "major"))

    def test_scanner_unplugged_and_back(self):
        with h.Cluster(["T01"], name="sim_scanner", start_server=False) as c:
            t, k = self.start(c)
            self.assertTrue(t.status()["scanner_present"])
            k.code("B0001")
            self.assertEqual(t.cmd("sim scanner unplug"), "")
            self.assertFalse(t.status()["scanner_present"])
            self.assertFalse(k.view()["scanner_present"])
            r = t.raw("code TT:MODE:receive")
            self.assertTrue(r.startswith("err device"), r)
            r = t.raw("scan receive W01 zhang3 6901234567892 1")
            self.assertTrue(r.startswith("err device"), r)
            self.assertEqual(t.status()["last_seq"], 0)
            self.assertEqual(t.cmd("sim scanner plug"), "")
            self.assertTrue(t.status()["scanner_present"])
            k.code("TT:MODE:receive")
            self.assertEqual(k.view()["operator"], "zhang3", "the login survived the unplug")


if __name__ == "__main__":
    unittest.main()
