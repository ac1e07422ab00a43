"""`workorder report`: per work order and in total, cycles, cost, time to PASS, PASS → merged rate and FAIL
reasons by rule, from the tracking states on the fake GitHub and on the demo's local forge."""

from __future__ import annotations

import io
import json
import os

import responses

from fakegithub import FakeGitHub
from workorder.cli import main
from workorder.loop.state import TRACKING_MARKER, State, TrackingState, encode_state
from workorder.presets.base import Usage

BOT = "github-actions[bot]"


def tracking(s: TrackingState) -> str:
    return f"{TRACKING_MARKER}\nstate\n{encode_state(s)}"


def fake_repo() -> FakeGitHub:
    fake = FakeGitHub()
    states = {
        1: TrackingState(issue=1, state=State.APPROVED, cycle=2, branch="wo/1-a", verdict="PASS",
                         started_at="2026-12-01T10:00:00+00:00", passed_at="2026-12-01T12:30:00+00:00",
                         usage=Usage(cost_usd=1.25, tokens_in=1000, tokens_out=500),
                         fail_rules={"verify.failed": 1, "scope.outside": 2}),
        2: TrackingState(issue=2, state=State.BLOCKED, cycle=3, branch="wo/2-b", verdict="FAIL",
                         started_at="2026-12-02T09:00:00+00:00", usage=Usage(cost_usd=2.5),
                         fail_rules={"verify.failed": 3}),
        3: TrackingState(issue=3, state=State.PASSED, cycle=1, branch="wo/3-c", verdict="PASS",
                         started_at="2026-11-01T00:00:00+00:00", passed_at="2026-11-01T01:00:00+00:00"),
    }
    for n, s in states.items():
        fake.add_issue(n, f"order {n}", "b", [])
        fake.add_comment(n, BOT, tracking(s))
    fake.add_issue(4, "not a work order", "b", [])
    fake.add_issue(5, "forged state", "b", [])
    fake.add_comment(5, "mallory", tracking(TrackingState(issue=5, state=State.PASSED, cycle=9, verdict="PASS",
                                                          usage=Usage(cost_usd=99))))
    fake.issues[1]["state"] = "closed"
    fake.pulls[10] = {"title": "t", "body": "b", "head": "wo/1-a", "base": "main", "draft": False,
                      "state": "closed", "merged_at": "2026-12-01T13:00:00Z"}
    fake.pulls[11] = {"title": "t", "body": "b", "head": "wo/3-c", "base": "main", "draft": False, "state": "open"}
    return fake


def report(args: list[str], environ: dict[str, str]) -> tuple[int, str]:
    out = io.StringIO()
    return main(["report", *args], environ, out), out.getvalue()


ENV = {"GITHUB_TOKEN": "t0ken", "GITHUB_REPOSITORY": "Codertocat/Hello-World", "WORKORDER_NO_THROTTLE": "1"}


def test_report_on_github_per_work_order_and_in_total():
    fake = fake_repo()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.install(rsps)
        code, text = report(["--json"], ENV)
        assert code == 0, text
        data = json.loads(text)
        code, plain = report([], ENV)
        code_since, since = report(["--since", "2026-12-02", "--json"], ENV)
    assert [o["number"] for o in data["orders"]] == [1, 2, 3]  # mallory's state is not the bot's
    one = data["orders"][0]
    assert (one["cycles"], one["cost_usd"], one["hours_to_pass"], one["merged"]) == (2, 1.25, 2.5, True)
    assert data["orders"][1]["hours_to_pass"] is None and data["orders"][2]["merged"] is False
    assert (data["total_cycles"], data["total_cost_usd"], data["passed"], data["merged"]) == (6, 3.75, 2, 1)
    assert data["mean_hours_to_pass"] == 1.75
    assert data["fail_rules"] == {"verify.failed": 4, "scope.outside": 2}
    assert "#1 order 1: approved, 2 cycles, $1.25, PASS after 2.5 h, merged" in plain
    assert "1 merged (50% of PASSed)" in plain and "FAIL reasons by rule: verify.failed 4, scope.outside 2" in plain
    assert code_since == 0 and [o["number"] for o in json.loads(since)["orders"]] == [2]


def test_bad_since_is_a_usage_error():
    code, text = report(["--since", "last tuesday"], ENV)
    assert code == 2 and "--since" in text


def test_report_on_the_demo_reads_the_loop_s_own_records(tmp_path):
    root = tmp_path / "demo"
    assert main(["demo", "--dir", str(root)], dict(os.environ), io.StringIO()) == 0
    code, text = report(["--forge", str(root / "forge"), "--json"], {})
    assert code == 0, text
    [order] = json.loads(text)["orders"]
    assert order["cycles"] == 2 and order["passed"] and order["hours_to_pass"] is not None
    assert order["fail_rules"]["tests.skip_added"] == 1 and order["fail_rules"]["verify.failed"] == 1
