"""Every shipped board file loads: a local config naming it passes
`tagtrail-edge --check`, and a bad key in a board stops start-up with the
board's file:line."""
import os
import subprocess
import tempfile
import unittest

SOURCE = os.environ.get("TT_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("TT_BUILD_DIR", os.path.join(SOURCE, "build"))
EDGE = os.path.join(BUILD, "firmware", "tagtrail-edge")
BOARDS = os.path.join(SOURCE, "boards")


def local_conf(d, board):
    path = os.path.join(d, "terminal.conf")
    with open(path, "w") as f:
        f.write(f"board = {board}\nterminal_id = T01\nsite = mine1\nstore = t.db\n"
                f"control_socket = t.sock\n[mqtt]\nurl = tcp://127.0.0.1:1\n")
    return path


class Boards(unittest.TestCase):
    def test_every_board_checks(self):
        names = sorted(n for n in os.listdir(BOARDS) if n.endswith(".conf"))
        self.assertIn("sim.conf", names)
        self.assertIn("counter-usb.conf", names)
        self.assertIn("repair-bay-rfid.conf", names)
        for n in names:
            with tempfile.TemporaryDirectory() as d:
                r = subprocess.run([EDGE, "--check", "-c", local_conf(d, os.path.join(BOARDS, n))],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(r.returncode, 0, f"{n}: {r.stderr}")
                self.assertIn(f"board {n[:-5]}", r.stdout)
                # --check touches nothing: no store, no socket.
                self.assertEqual(sorted(os.listdir(d)), ["terminal.conf"])

    def test_bad_board_key_names_board_line(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(BOARDS, "counter-usb.conf")) as f:
                lines = f.read().splitlines()
            at = lines.index("[indicator]") + 1
            lines.insert(at, "coil_purple = 4")
            board = os.path.join(d, "bad.conf")
            with open(board, "w") as f:
                f.write("\n".join(lines) + "\n")
            r = subprocess.run([EDGE, "--check", "-c", local_conf(d, board)],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 2)
            self.assertIn(f"{board}:{at + 1}: unknown key 'indicator.coil_purple'", r.stderr)

    def test_bad_usb_id_and_parity(self):
        for bad, why in (("usb_id = 0c2e-0b61", "scanner.usb_id"), ("parity = X", "parity")):
            with tempfile.TemporaryDirectory() as d:
                with open(os.path.join(BOARDS, "counter-usb.conf")) as f:
                    text = f.read()
                key = bad.split(" = ")[0]
                text = "\n".join(bad if l.startswith(key + " ") else l for l in text.splitlines())
                board = os.path.join(d, "bad.conf")
                with open(board, "w") as f:
                    f.write(text + "\n")
                r = subprocess.run([EDGE, "--check", "-c", local_conf(d, board)],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(r.returncode, 2, r.stdout)
                self.assertIn(why, r.stderr)


if __name__ == "__main__":
    unittest.main()
