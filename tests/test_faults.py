"""Nothing lost, nothing twice: the two flows under every single GitHub fault at every request.

For each flow (first-cycle PASS; FAIL → fix → PASS) the run is first measured without faults. Then,
for each transient fault kind (5xx, applied-then-502, primary and secondary rate-limit 403, 429) and
every request number k of that baseline, a fresh repository and fake GitHub run the flow with that one
fault; for the kill switch, for every write k the process dies right after GitHub applied it. The same
event is then handled again at most once, and the end state must be right: one PR, one tracking
comment, exactly one state label (``passed``), no duplicate review per (cycle, head) nor status per
(head, state), and the reviews and statuses the flow posts. Refusals (401, 403, 404, 422) end
``blocked`` with a handoff that names the call. The scripted agent and the fake never wait: retries
sleep through an injected no-op.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from conftest import WORK_ORDER, ActionRun, agent_command, labeled_payload
from fakegithub import PERMANENT_FAULTS, TRANSIENT_FAULTS, Killed, fault

FLOWS = {
    "pass": (agent_command("pass"), ["pending"], 1),
    "fail-fix-pass": ("python -m workorder.demo.agent", ["failure", "pending"], 2),
}
MATRIX: Counter = Counter()


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    """Retries sleep through a no-op: the matrix never waits for a backoff or a rate-limit reset."""
    slept: list[float] = []
    monkeypatch.setattr("workorder.github.retry.default_sleep", slept.append)
    return slept


class Cases:
    """Fresh copies of one prepared repository (origin + checkout), one per case."""

    def __init__(self, tmp_path: Path, workspace: Path, base_env: dict[str, str], python_bin: Path):
        self.root, self.template, self.base_env, self.python_bin = tmp_path, workspace, base_env, python_bin
        self.origin = Path(subprocess.run(["git", "remote", "get-url", "origin"], cwd=workspace, capture_output=True,
                                          text=True, check=True).stdout.strip())
        self.n = 0

    def new(self, command: str) -> ActionRun:
        self.n += 1
        case = self.root / f"case{self.n}"
        shutil.copytree(self.origin, case / "origin.git")
        shutil.copytree(self.template, case / "workspace")
        subprocess.run(["git", "remote", "set-url", "origin", str(case / "origin.git")], cwd=case / "workspace", check=True)
        run = ActionRun(case, case / "workspace", self.base_env, self.python_bin)
        run.env["WORKORDER_RUNNER_COMMAND"] = command
        run.fake.add_issue(1, "Add subtract to calc", WORK_ORDER, ["wo:ready"])
        return run


@pytest.fixture
def cases(tmp_path, workspace, base_env, python_bin) -> Cases:
    return Cases(tmp_path, workspace, base_env, python_bin)


def handle(run: ActionRun) -> bool:
    """Handle the trigger event once; False when the process was killed."""
    try:
        run.handle(labeled_payload())
    except Killed:
        return False
    return True


def problems(run: ActionRun, statuses: list[str], reviews: int) -> list[str]:
    """What is wrong with the end state of a flow that should have passed ([] when right)."""
    fake, found = run.fake, []
    bot = [c for c in fake.issue_comments(1) if c["user"] == fake.bot_login]
    tracking = [c for c in bot if "<!-- workorder:tracking -->" in c["body"]]
    if len(fake.pulls) != 1:
        found.append(f"{len(fake.pulls)} pull requests")
    if len(tracking) != 1 or len(bot) != 1:
        found.append(f"{len(tracking)} tracking comments, {len(bot)} bot comments")
    states = [x for x in fake.issues[1]["labels"] if x.startswith("wo:")]
    if states != ["wo:passed"]:
        found.append(f"state labels {states}")
    markers = [re.search(r"<!-- workorder:review .*? -->", r["body"]) for r in fake.reviews]
    keys = [(m.group(0) if m else None, r["commit_id"]) for m, r in zip(markers, fake.reviews)]
    if len(keys) != reviews or len(set(keys)) != len(keys):
        found.append(f"reviews {keys}")
    posted = [(s["sha"], s["state"]) for s in fake.statuses]
    if [s for _, s in posted] != statuses or len(set(posted)) != len(posted):
        found.append(f"statuses {posted}")
    if tracking and '"state":"passed"' not in tracking[0]["body"]:
        found.append("hidden state is not passed")
    return found


def baseline(cases: Cases, flow: str) -> ActionRun:
    command, statuses, reviews = FLOWS[flow]
    run = cases.new(command)
    assert handle(run) and problems(run, statuses, reviews) == []
    return run


@pytest.mark.slow  # the full matrix (.ci/run); the fast tier samples it below
@pytest.mark.parametrize("kind", TRANSIENT_FAULTS)
@pytest.mark.parametrize("flow", list(FLOWS))
def test_every_transient_fault_at_every_request_ends_right(cases, flow, kind):
    base = baseline(cases, flow)
    matrix(cases, flow, kind, range(1, (base.fake.writes if kind == "kill" else len(base.fake.calls)) + 1))


@pytest.mark.parametrize("kind", [pytest.param(k, marks=pytest.mark.slow) if k.startswith("403-") else k
                                  for k in TRANSIENT_FAULTS])  # the fast tier: 429 stands for the rate limits
def test_each_transient_fault_at_the_first_a_middle_and_the_last_request_ends_right(cases, kind):
    """The fast tier's sample of the matrix: the first-cycle PASS flow, each fault at three requests."""
    base = baseline(cases, "pass")
    last = base.fake.writes if kind == "kill" else len(base.fake.calls)
    matrix(cases, "pass", kind, sorted({1, (last + 1) // 2, last}))


def matrix(cases: Cases, flow: str, kind: str, points) -> None:
    """Run ``flow`` once per request number in ``points`` with fault ``kind`` there (re-run once as a
    workflow re-run would); assert each ends right."""
    command, statuses, reviews = FLOWS[flow]
    failed, reruns = [], 0
    for k in points:
        run = cases.new(command)
        if kind == "kill":
            run.fake.kill_at_write = k
        else:
            run.fake.fault_at(k, fault(kind))
        if not handle(run) or problems(run, statuses, reviews):
            reruns += 1
            handle(run)  # the same event again, as a workflow re-run
        wrong = problems(run, statuses, reviews)
        if wrong:
            failed.append((k, wrong))
        shutil.rmtree(run.tmp_path, ignore_errors=True)
    MATRIX["cases"] += len(points)
    MATRIX["passed"] += len(points) - len(failed)
    print(f"\nfault matrix {flow} / {kind}: {len(points)} cases, {len(points) - len(failed)} right, "
          f"{reruns} needed a re-run; so far {MATRIX['passed']} of {MATRIX['cases']}")
    assert failed == []


PERMANENT_CALLS = [
    ("POST", r"/pulls$", "opening a pull request"),
    ("POST", r"/pulls/\d+/reviews$", "posting a review"),
    ("POST", r"/statuses/", "setting commit status"),
]


@pytest.mark.parametrize("kind", [k if k in ("403", "422") else pytest.param(k, marks=pytest.mark.slow)
                                  for k in PERMANENT_FAULTS])  # the fast tier: two refusals, the slow tier all
def test_refusals_end_blocked_with_a_handoff_naming_the_call(cases, kind):
    for method, path, call in PERMANENT_CALLS:
        run = cases.new(FLOWS["pass"][0])
        run.fake.fault_on(method, path, fault(kind))
        assert handle(run)
        fake = run.fake
        assert [x for x in fake.issues[1]["labels"] if x.startswith("wo:")] == ["wo:blocked"], (kind, call)
        [comment] = fake.issue_comments(1)
        assert "**Stopped: error**" in comment["body"] and "#### Handoff" in comment["body"], (kind, call)
        assert call in comment["body"] and f": {kind} " in comment["body"], (kind, call)
        assert '"transient":true' not in comment["body"]
        assert len(fake.reviews) <= 1 and len(fake.statuses) <= 1 and len(fake.pulls) <= 1


def test_a_run_stopped_by_a_transient_failure_resumes_on_a_re_run_without_the_agent(cases):
    run = cases.new(FLOWS["pass"][0])
    for _ in range(5):  # more 5xx than the retries allow: the run stops, resumable
        run.fake.fault_on("POST", r"/statuses/", fault("5xx"))
    assert handle(run)
    assert run.fake.issues[1]["labels"] == ["wo:blocked"] and '"transient":true' in run.tracking()
    assert "re-run the workflow" in run.tracking()
    runner_dirs = sorted(p.name for p in (run.tmp_path / "state" / "runs" / "1").iterdir())
    assert handle(run)
    assert problems(run, ["pending"], 1) == []
    assert sorted(p.name for p in (run.tmp_path / "state" / "runs" / "1").iterdir()) == runner_dirs, "no new phase ran"


def test_a_run_stopped_by_a_transient_failure_resumes_on_wo_retry(cases):
    run = cases.new(FLOWS["pass"][0])
    for _ in range(5):
        run.fake.fault_on("POST", r"/pulls/\d+/reviews$", fault("5xx"))
    assert handle(run) and run.fake.issues[1]["labels"] == ["wo:blocked"]
    first = len(events(run))
    code, reply = run.say("/wo retry")
    assert code == 0 and reply["decision"] == "done", reply
    assert run.fake.issues[1]["labels"] == ["wo:passed"] and len(run.fake.pulls) == 1
    assert len(run.fake.reviews) == 1 and [s["state"] for s in run.fake.statuses] == ["pending"]
    assert "runner.start" not in events(run)[first:]


def events(run: ActionRun) -> list[str]:
    """The audit events of every run so far, in order."""
    path = run.tmp_path / "state" / "runs" / "audit.jsonl"
    return [json.loads(line)["event"] for line in path.read_text().splitlines()]


def test_killed_after_the_pass_review_the_re_run_does_not_run_the_agent_or_gates_again(cases):
    run = cases.new(FLOWS["pass"][0])
    run.fake.fault_on("POST", r"/pulls/\d+/reviews$", fault("kill"))
    assert not handle(run)
    first = len(events(run))
    assert handle(run) and problems(run, ["pending"], 1) == []
    again = events(run)[first:]
    assert "loop.resume_verdict" in again and "runner.start" not in again and "verify" not in again, again


def test_first_cycle_pass_request_budget(cases):
    run = baseline(cases, "pass")
    # 23 before issue #20 (path ownership off); 15 in a repository `workorder init` set up, path ownership
    # (#17) on as by default (tests/test_request_count.py): its claim goes out in the loop's first tracking
    # write and costs only its listing of the open issues, while the issue's own comments are not listed
    # when it says it has none; 18 here, where the fake has no labels yet (3 of them style the new state
    # labels once); the second listing of the waiting orders at the end is a free 304 (21 calls, 20
    # rate-limited before the claim went into the loop's write and the comment count was read)
    assert len(run.fake.calls) == 19, run.fake.calls
    assert len(run.fake.calls) - run.fake.not_modified == 18, run.fake.calls


def test_wo_status_request_budget(cases):
    run = baseline(cases, "pass")
    before = len(run.fake.calls)
    code, reply = run.say("/wo status")
    assert code == 0 and reply["decision"] == "done", reply
    assert len(run.fake.calls) - before <= 4, run.fake.calls[before:]
