"""Identity and transport: the shipped broker configuration
(deploy/mosquitto/tagtrail.conf and its ACL) with identities made by
`tagtrail provision`, against a real mosquitto.

An honest terminal syncs over TLS.  The broker refuses a wrong password, a
certificate of another CA, a client without a certificate, a client without
TLS and a revoked terminal; it drops what a terminal publishes on another
terminal's topics (or on the server's) and gives it nothing of another's
downlink.  The server applies nothing any of them sent.  And a terminal
refuses a broker whose certificate is of another CA, or does not name the
host it dialled."""

import json
import os
import subprocess
import threading
import time
import unittest

import harness as h

WAREHOUSES = ["W01", "W02"]
ITEMS = ["ITEM-%02d" % i for i in range(6)]


def openssl(cwd, *args):
    r = subprocess.run(["openssl"] + list(args), cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=h.scaled(60))
    if r.returncode != 0:
        raise AssertionError("openssl %s: %s" % (" ".join(args), r.stderr.decode(errors="replace")))


def rogue_ca(folder):
    """Another CA than the site's, made with openssl: returns (crt, key)."""
    os.makedirs(folder, exist_ok=True)
    openssl(folder, "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc",
            "-keyout", "ca.key", "-out", "ca.crt", "-days", "30", "-subj", "/CN=rogue CA")
    return os.path.join(folder, "ca.crt"), os.path.join(folder, "ca.key")


def signed_cert(folder, name, cn, ca_crt, ca_key, ext):
    """A key and a certificate for CN=cn signed by ca_crt/ca_key with the
    extensions `ext` (openssl x509 -extfile lines); returns (crt, key)."""
    with open(os.path.join(folder, name + ".ext"), "w") as f:
        f.write(ext)
    openssl(folder, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc",
            "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn)
    openssl(folder, "x509", "-req", "-in", name + ".csr", "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial",
            "-days", "30", "-extfile", name + ".ext", "-out", name + ".crt")
    return os.path.join(folder, name + ".crt"), os.path.join(folder, name + ".key")


def read(path):
    with open(path) as f:
        return f.read().strip()


def creds(folder, user, cert=True):
    """mosquitto_pub/sub arguments for the identity in `folder`."""
    args = ["--cafile", os.path.join(folder, "ca.crt"), "-u", user, "-P", read(os.path.join(folder, "mqtt.password"))]
    if cert:
        args += ["--cert", os.path.join(folder, user + ".crt"), "--key", os.path.join(folder, user + ".key")]
    return args


def batch(terminal, seq, item, synced=0):
    return json.dumps({"v": 1, "terminal": terminal, "synced": synced, "events": [
        {"seq": seq, "ts": int(time.time() * 1000), "operator": "rogue", "type": "receive",
         "body": {"warehouse": "W01", "item": item, "qty": "7"}}]}, separators=(",", ":"))


class Tls(unittest.TestCase):
    def test_identities_and_acl(self):
        rng, _ = h.seeded_rng("tls")
        model = h.StockModel()
        plans = {tid: h.ScanPlan(rng, WAREHOUSES, ITEMS, "op-" + tid) for tid in ("T01", "T02")}
        with h.Cluster(["T01", "T02"], name="tls", tls=True) as c:
            srv, t1, t2, pki = c.server, c.t("T01"), c.t("T02"), c.pki

            def scan(tid, n):
                for _ in range(n):
                    op, wh, operator, item, milli = plans[tid].next()
                    c.t(tid).scan(op, wh, operator, item, h.milli_to_qty(milli))
                    model.apply(op, wh, item, milli)

            # The shipped configuration has one listener, and it is TLS.
            conf = read(c.mosq.conf)
            self.assertEqual([l for l in conf.splitlines() if l.startswith("listener")],
                             ["listener %d 127.0.0.1" % c.mosq.port])
            self.assertIn("require_certificate true", conf)
            self.assertIn("allow_anonymous false", conf)

            # An honest terminal (two) syncs over TLS; the server's presence reaches it.
            scan("T01", 20)
            scan("T02", 10)
            st1 = t1.wait_synced(expect_last=20)
            t2.wait_synced(expect_last=10)
            self.assertTrue(st1["connected"] and st1["server_online"], st1)
            h.assert_stock_equal(self, model.stock, srv.stock(), c)
            stock = srv.stock()

            # Refused by the broker.  Each sends a batch the server would apply
            # (T01's next seq) if it got through.
            ident1 = os.path.join(pki.root, "T01")
            other_crt, other_key = rogue_ca(os.path.join(c.tmp, "rogue-ca"))
            fake_crt, fake_key = signed_cert(os.path.join(c.tmp, "rogue-ca"), "T01", "T01", other_crt, other_key,
                                             "extendedKeyUsage = clientAuth\n")
            ev01 = "tt/v1/t/T01/events"
            good = creds(ident1, "T01")
            pw = good[good.index("-P") + 1]
            attempts = {
                "wrong password": ["-u", "T01", "-P", "not-" + pw] + good[:2] + good[6:],
                "certificate of another CA": ["--cafile", good[1], "-u", "T01", "-P", pw,
                                              "--cert", fake_crt, "--key", fake_key],
                "no client certificate": creds(ident1, "T01", cert=False),
                "no TLS": ["-u", "T01", "-P", pw],
            }
            for i, (what, args) in enumerate(attempts.items()):
                r = c.mosq.client("pub", args + ["-q", "1", "-t", ev01, "-m", batch("T01", 21, "ROGUE-%d" % i, 20)])
                self.assertNotEqual(r.returncode, 0, "%s: the broker took it: %s" % (what, r.stderr))
                if what == "wrong password":
                    self.assertIn(b"not authorised", r.stderr)

            # A terminal of the site on another terminal's topics: T03, a
            # genuine identity, publishes as T01 and as the server (dropped,
            # silently: MQTT 3.1.1 cannot say so), then on its own topic.
            ident3 = pki.identity("T03", c.url)
            c.mosq.reload()
            as3 = creds(ident3, "T03")
            for topic, payload in [(ev01, batch("T01", 21, "ROGUE-ACL", 20)),
                                   ("tt/v1/t/T02/events", batch("T02", 11, "ROGUE-ACL2", 10)),
                                   ("tt/v1/t/T01/ack", json.dumps({"v": 1, "terminal": "T01", "applied": 999,
                                                                   "rejected": []}))]:
                r = c.mosq.client("pub", as3 + ["-q", "1", "-t", topic, "-m", payload])
                self.assertEqual(r.returncode, 0, "T03 was not connected at all: %s" % r.stderr)
            r = c.mosq.client("pub", as3 + ["-q", "1", "-r", "-t", "tt/v1/server/status",
                                            "-m", '{"v":1,"state":"offline"}'])
            self.assertEqual(r.returncode, 0, r.stderr)
            r = c.mosq.client("pub", as3 + ["-q", "1", "-t", "tt/v1/t/T03/events", "-m", batch("T03", 1, "T03-OWN")])
            self.assertEqual(r.returncode, 0, r.stderr)
            model.receive("W01", "T03-OWN", 7000)
            # What T03 sent on its own topic arrives, so the rest had arrived before it.
            h.wait_until(lambda: srv.applied_seq("T03") == 1, h.scaled(30), "T03's own event applied")

            # T03 reads the server's presence, and none of T01's acks while T01 syncs.
            sub = {}
            reader = threading.Thread(target=lambda: sub.setdefault("r", c.mosq.client(
                "sub", as3 + ["-v", "-W", "6", "-t", "tt/v1/t/T01/ack", "-t", "tt/v1/t/+/master",
                              "-t", "tt/v1/server/status"])))
            reader.start()
            time.sleep(h.scaled(1.5))
            scan("T01", 3)
            t1.wait_synced(expect_last=23)
            reader.join(h.scaled(30))
            out = sub["r"].stdout.decode(errors="replace")
            self.assertIn('tt/v1/server/status {"v":1,"state":"online"}', out)
            self.assertNotIn("tt/v1/t/T01/", out)
            self.assertTrue(t1.status()["server_online"], "T03 made the terminals believe the server offline")

            h.assert_stock_equal(self, model.stock, srv.stock(), c)
            terms = srv.terminals()
            self.assertEqual(sorted(terms), ["T01", "T02", "T03"])
            self.assertEqual((terms["T01"]["applied_seq"], terms["T01"]["rejected_messages"]), (23, 0), terms)
            self.assertEqual((terms["T02"]["applied_seq"], terms["T02"]["rejected_messages"]), (10, 0), terms)
            self.assertEqual(srv.rejections()["messages"], [])

            # Revoked: out of the password file and in the CRL; on SIGHUP the
            # broker throws T02 off and refuses it from then on.
            before = read(os.path.join(pki.broker_dir, "passwd"))
            line02 = [l for l in before.splitlines() if l.startswith("T02:")]
            self.assertEqual(len(line02), 1)
            r = pki.revoke("T02")
            self.assertIn(b"revoked", r.stdout)
            self.assertNotIn("T02:", read(os.path.join(pki.broker_dir, "passwd")))
            c.mosq.reload()
            h.wait_until(lambda: not t2.status()["connected"], h.scaled(20), "T02 thrown off the broker")
            scan("T02", 2)
            time.sleep(h.scaled(4))   # two reconnect attempts at least (backoff at most 2 s)
            st2 = t2.status()
            self.assertFalse(st2["connected"], st2)
            self.assertEqual(st2["pending"], 2, st2)
            self.assertEqual(srv.applied_seq("T02"), 10)
            # The certificate alone is refused too: its password entry back, T02 stays out.
            with open(os.path.join(pki.broker_dir, "passwd"), "a") as f:
                f.write(line02[0] + "\n")
            c.mosq.reload()
            time.sleep(h.scaled(4))
            self.assertFalse(t2.status()["connected"])
            self.assertEqual(srv.applied_seq("T02"), 10)
            self.assertIn("refused this client's certificate", h.log_tail(t2.log, 5))

            # The journal holds the honest scans and T03's own, and nothing else.
            rows = h.read_journal(srv.db)
            self.assertEqual(sorted({(r[0], r[1]) for r in rows}),
                             [("T01", s) for s in range(1, 24)] + [("T02", s) for s in range(1, 11)] + [("T03", 1)])
            self.assertFalse([r for r in rows if r[5].startswith("ROGUE")], rows)
            t1.check_alive()
            self.assertTrue(t1.status()["connected"])

    def test_terminal_verifies_the_broker(self):
        with h.Cluster(["T01"], name="tls-broker", tls=True) as c:
            c.t("T01").scan("receive", "W01", "op1", "ITEM-1", "3")
            c.t("T01").wait_synced(expect_last=1)
            rogue = os.path.join(c.tmp, "rogue-ca")
            other_crt, other_key = rogue_ca(rogue)
            server_ext = "subjectAltName = IP:127.0.0.1, DNS:localhost\nextendedKeyUsage = serverAuth\n"
            pki_ca = os.path.join(c.pki.ca, "ca.crt"), os.path.join(c.pki.ca, "ca.key")
            cases = [
                # (name, broker certificate and key, what T01 logs)
                ("other-ca", signed_cert(rogue, "broker", "127.0.0.1", other_crt, other_key, server_ext),
                 "TLS handshake refused: certificate verify failed"),
                ("wrong-name", signed_cert(rogue, "otherhost", "otherhost", pki_ca[0], pki_ca[1],
                                           "subjectAltName = DNS:otherhost\nextendedKeyUsage = serverAuth\n"),
                 "its certificate does not name the url's host"),
            ]
            for name, (crt, key), logged in cases:
                # An impostor broker: the site's files but this certificate.
                folder = os.path.join(c.tmp, "broker-" + name)
                os.makedirs(folder)
                for f in ("ca.crt", "passwd", "acl", "crl.pem"):
                    with open(os.path.join(c.pki.broker_dir, f), "rb") as src, \
                            open(os.path.join(folder, f), "wb") as dst:
                        dst.write(src.read())
                os.rename(crt, os.path.join(folder, "broker.crt"))
                os.rename(key, os.path.join(folder, "broker.key"))
                impostor = h.Mosquitto(c.tmp, tls_dir=folder, name="mosquitto-" + name).start()
                try:
                    # T01's own identity and store, dialling the impostor.
                    home = os.path.join(c.tmp, name)
                    os.makedirs(home)
                    mqtt = [l.replace(c.url, "ssl://127.0.0.1:%d" % impostor.port)
                            for l in h.Pki.mqtt_lines(os.path.join(c.pki.root, "T01"))]
                    t = h.Terminal(home, "T01", impostor.port, mqtt=mqtt)
                    c.terminals["T01-" + name] = t
                    t.start()
                    t.scan("receive", "W01", "op1", "ITEM-1", "5")
                    h.wait_until(lambda: logged in h.log_tail(t.log, 10), h.scaled(20),
                                 "T01 refusing the %s broker" % name)
                    st = t.status()
                    self.assertFalse(st["connected"], st)
                    self.assertEqual(st["synced"], 0, st)
                    log = impostor.log_text()
                    self.assertIn("New connection from", log)          # it did dial ...
                    self.assertNotIn("New client connected", log)      # ... and never logged in
                    t.stop()
                finally:
                    impostor.stop()
            # The real broker and server saw nothing of it.
            self.assertEqual(c.server.applied_seq("T01"), 1)


if __name__ == "__main__":
    h.main()
