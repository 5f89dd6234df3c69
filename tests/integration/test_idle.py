"""A terminal with nothing to do uses no CPU: offline (no broker), and
online with no server, the poll loop sleeps until its next deadline rather
than spinning.  Underground a terminal may be offline for a whole shift."""
import os
import tempfile
import time
import unittest

import harness as h


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Idle(unittest.TestCase):
    def busy_fraction(self, t, seconds=3.0):
        pid = t.p.pid
        time.sleep(1.0)   # start-up (and sanitizer set-up) is not idling
        c0, w0 = cpu_seconds(pid), time.monotonic()
        time.sleep(seconds)
        return (cpu_seconds(pid) - c0) / (time.monotonic() - w0)

    def test_offline_terminal_sleeps(self):
        with tempfile.TemporaryDirectory(prefix="tti", dir="/tmp") as d:
            t = h.Terminal(d, "T01", h.free_port())   # nobody listens there
            t.start()
            try:
                used = self.busy_fraction(t)
                self.assertFalse(t.status()["connected"])
                self.assertLess(used, 0.05, "offline terminal used %.0f%% CPU" % (used * 100))
            finally:
                t.stop()

    def test_online_terminal_without_server_sleeps(self):
        with h.Cluster(["T01"], name="idle", start_server=False) as c:
            t = c.t("T01")
            h.wait_until(lambda: t.status()["connected"], h.scaled(10), "terminal connected")
            used = self.busy_fraction(t)
            self.assertLess(used, 0.05, "connected terminal used %.0f%% CPU" % (used * 100))


if __name__ == "__main__":
    unittest.main()
