"""The workflow engine through the real server's HTTP API: a definition
deployed over HTTP (a validation error names file:line:col), an instance
run through its tasks, the same action replayed applies once, two people
acting on one task at once (one wins, the other gets 409), a new version
leaves a running instance on its own, writes refused without the token,
and the instance's log and metrics read back."""

import json
import os
import threading
import unittest
import urllib.error
import urllib.request

import harness as h


DEFINITION = """\
workflow: review
title: 审核
calendar: cn-2026
variables:
  amount: int
start: submit
steps:
  submit:
    kind: task
    role: purchaser
    inputs: [amount]
    actions:
      send: approve
  approve:
    kind: task
    role: leadership_group
    due: 3 workdays
    actions:
      approve: approved
      reject: {to: submit, documents: false}
  approved:
    kind: end
    outcome: approved
"""


class Api:
    def __init__(self, server):
        self.server = server

    def call(self, method, path, body=None, token="", raw=None):
        """(status, decoded JSON) of one request; token "" is the server's
        own (http.token_file, written by the harness), None none."""
        if token == "":
            token = self.server.token
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.server.url(path), data=data, method=method)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=h.scaled(15)) as r:
                return r.status, json.loads(r.read().decode())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read().decode())

    def deploy(self, text, file="review.yaml", token=""):
        return self.call("POST", "/api/v1/workflow/definitions?user=admin&file=" + file,
                         raw=text.encode(), token=token)

    def start(self, definition, user, role, **vars_):
        return self.call("POST", "/api/v1/workflow/instances",
                         {"definition": definition, "user": user, "role": role, "unit": "CG",
                          "vars": vars_})

    def act(self, inst, token, action, expect, user, role, **extra):
        body = {"action": action, "expect": expect, "user": user, "role": role,
                "origin": "terminal"}
        body.update(extra)
        return self.call("POST", "/api/v1/workflow/instances/%d/tasks/%d" % (inst, token), body)

    def instance(self, inst):
        return self.call("GET", "/api/v1/workflow/instances/%d" % inst)[1]

    def task(self, inst, step):
        """The active token of `step` in instance inst."""
        for t in self.instance(inst)["tokens"]:
            if t["step"] == step and t["state"] == "active":
                return t["token"]
        raise AssertionError("no active %s in instance %d" % (step, inst))


def cluster(name):
    return h.Cluster([], name=name, start_server=False,
                     server_extra="[workflow]\ndir = %s\n"
                                  % os.path.join(h.SOURCE_DIR, "workflows"))


def start_server(c):
    c.server.start()
    return Api(c.server)


class Workflow(unittest.TestCase):
    def test_deploy_run_replay_conflict_and_versions(self):
        with cluster("workflow") as c:
            api = start_server(c)

            # Writes need the configured token.
            st, body = api.deploy(DEFINITION, token=None)
            self.assertEqual(st, 401, body)
            st, body = api.deploy(DEFINITION, token="wrong-token-wrong-token")
            self.assertEqual(st, 401, body)

            # A validation error names the file, the line and the column.
            bad = DEFINITION.replace("role: leadership_group", "role: chairman")
            st, body = api.deploy(bad, file="bad.yaml")
            self.assertEqual(st, 422, body)
            self.assertEqual(body["error"], "bad.yaml:16:11: role 'chairman' is not defined")

            st, body = api.deploy(DEFINITION)
            self.assertEqual((st, body["version"], body["created"]), (201, 1, True), body)
            st, body = api.deploy(DEFINITION)
            self.assertEqual((st, body["version"], body["created"]), (200, 1, False), body)

            st, started = api.start("review", "zhao", "purchaser", amount=120000)
            self.assertEqual((st, started["seq"], started["version"]), (201, 1, 1), started)
            inst = started["instance"]

            # My tasks: the purchaser sees the submit task, others do not.
            st, tasks = api.call("GET", "/api/v1/workflow/tasks?user=zhao&role=purchaser")
            self.assertEqual([(t["instance"], t["step"]) for t in tasks["tasks"]], [(inst, "submit")])
            st, tasks = api.call("GET", "/api/v1/workflow/tasks?user=qian&role=funder")
            self.assertEqual(tasks["tasks"], [])

            submit = api.task(inst, "submit")
            st, res = api.act(inst, submit, "send", 1, "zhao", "purchaser", vars={"amount": 130000})
            self.assertEqual((st, res["seq"], res["replayed"]), (200, 2, False), res)

            # The terminal lost the answer and replays: applied once.
            st, again = api.act(inst, submit, "send", 1, "zhao", "purchaser", vars={"amount": 130000})
            self.assertEqual((st, again["seq"], again["replayed"]), (200, 2, True), again)
            acts = [e for e in api.instance(inst)["log"] if e["kind"] == "act"]
            self.assertEqual(len(acts), 1, acts)
            self.assertEqual(acts[0]["vars"], {"amount": 130000})
            self.assertEqual(acts[0]["origin"], "terminal")

            # Two leaders act on the same task at once: one wins.
            approve = api.task(inst, "approve")
            results = {}
            go = threading.Barrier(2)

            def leader(user, action):
                go.wait()
                results[user] = api.act(inst, approve, action, 2, user, "leadership_group")

            threads = [threading.Thread(target=leader, args=("sun", "approve")),
                       threading.Thread(target=leader, args=("li", "reject"))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            codes = sorted(st for st, _ in results.values())
            self.assertEqual(codes, [200, 409], results)
            loser = [body for st, body in results.values() if st == 409][0]
            self.assertIn("event 3 is act", loser["error"])

            # A new version leaves the running instance alone.
            v2 = DEFINITION.replace("outcome: approved", "outcome: accepted")
            st, body = api.deploy(v2)
            self.assertEqual((st, body["version"]), (201, 2), body)
            st, second = api.start("review", "zhao", "purchaser", amount=5)
            self.assertEqual(second["version"], 2)
            winner = [u for u, (st, _) in results.items() if st == 200][0]
            view = api.instance(inst)
            if winner == "sun":
                self.assertEqual(view["outcome"], "approved")
            else:
                # Sent back for rework: finish it on version 1.
                self.assertIsNone(view["outcome"])
                st, res = api.act(inst, api.task(inst, "submit"), "send", view["seq"], "zhao",
                                  "purchaser")
                self.assertEqual(st, 200, res)
                st, res = api.act(inst, api.task(inst, "approve"), "approve", res["seq"], "sun",
                                  "leadership_group")
                self.assertEqual((st, res["outcome"]), (200, "approved"), res)
            self.assertEqual(api.instance(inst)["version"], 1)
            second_id = second["instance"]
            st, res = api.act(second_id, api.task(second_id, "submit"), "send", 1, "zhao", "purchaser")
            st, res = api.act(second_id, api.task(second_id, "approve"), "approve", res["seq"], "sun",
                              "leadership_group")
            self.assertEqual((st, res["outcome"]), (200, "accepted"), res)

            st, defs = api.call("GET", "/api/v1/workflow/definitions")
            self.assertEqual([(d["name"], d["version"], d["running"], d["ended"])
                              for d in defs["definitions"]],
                             [("review", 1, 0, 1), ("review", 2, 0, 1)])

            # Metrics over this year: each step's visits and the branches taken.
            st, m = api.call("GET", "/api/v1/workflow/metrics?definition=review&from=2000-01-01"
                                    "&to=2100-01-01")
            self.assertEqual(st, 200, m)
            steps = {s["step"]: s for s in m["steps"]}
            self.assertGreaterEqual(steps["approve"]["visits"], 2)
            self.assertEqual(steps["approve"]["taken"].get("approve"), 2)
            self.assertIn("zhao", [p["user"] for p in m["people"]])

            # Bad requests are explained.
            st, body = api.act(inst, 1, "send", 0, "zhao", "purchaser", vars={"amount": 1.5})
            self.assertEqual(st, 400, body)
            st, body = api.call("POST", "/api/v1/workflow/instances/999/tasks/1",
                                {"action": "x", "expect": 0, "user": "u"})
            self.assertEqual(st, 404, body)


if __name__ == "__main__":
    h.main()
