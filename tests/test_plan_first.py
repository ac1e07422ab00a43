"""Plan first (#17 part 6): for the risk tiers `plan_first` names, the SE runner hands back a plan packet; the
action posts it and waits (wo:plan); `/wo approve` starts the work with the plan in the prompt; at review,
files outside the plan are a MAJOR finding. Through `handle` against the fake GitHub."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import AGENT, labeled_payload
from workorder.contracts.plan_packet import parse_plan_packet
from workorder.inputs.problems import InvalidInput
from workorder.loop.state import TRACKING_MARKER, decode_state

PLANNER = '''
import json, os, sys
from pathlib import Path
files, record = json.loads(sys.argv[1]), Path(sys.argv[2])
if os.environ["WORKORDER_PHASE"] == "plan":
    Path("calc/scratch.py").write_text("x = 1\\n")  # a plan must change nothing
    plan = {"status": "plan", "files": files, "approach": "Add subtract next to add.", "tests": ["tests/test_subtract.py"]}
    Path(os.environ["WORKORDER_RESULT_FILE"]).write_text(plan if isinstance(plan, str) else json.dumps(plan))
    sys.exit(0)
with record.open("a") as f:
    f.write(Path(os.environ["WORKORDER_PROMPT_FILE"]).read_text() + "\\n=====\\n")
os.execv(sys.executable, [sys.executable, sys.argv[3], "pass"])
'''


def use_planner(action, files):
    script = action.tmp_path / "planner.py"
    script.write_text(PLANNER)
    record = action.tmp_path / "prompts.txt"
    action.env["WORKORDER_RUNNER_COMMAND"] = f"{sys.executable} {script} '{json.dumps(files)}' {record} {AGENT}"
    return record


def state_of(action):
    [body] = [c["body"] for c in action.fake.issue_comments(1)
              if c["user"] == action.fake.bot_login and c["body"].startswith(TRACKING_MARKER)]
    return decode_state(body)


def plan_comment(action):
    return [c["body"] for c in action.fake.issue_comments(1) if "workorder: plan for review" in c["body"]]


def test_the_plan_is_posted_and_nothing_runs_until_it_is_approved(action):
    action.commit_config("plan_first: [medium]\n")
    record = use_planner(action, ["calc/ops.py", "tests/test_subtract.py"])
    action.handle(labeled_payload())
    fake = action.fake
    assert fake.issues[1]["labels"] == ["wo:plan"] and not fake.pulls and not record.exists()
    [posted] = plan_comment(action)
    assert "`calc/ops.py`" in posted and "Add subtract next to add." in posted and "/wo approve" in posted
    s = state_of(action)
    assert s.plan.files == ["calc/ops.py", "tests/test_subtract.py"] and s.plan_approved_by is None
    assert action.remote_sha(s.branch) == "0" * 40, "the plan phase pushes nothing"

    code, reply = action.say("/wo approve")
    assert fake.issues[1]["labels"] == ["wo:passed"]
    prompt = record.read_text()
    assert "## APPROVED PLAN" in prompt and "Add subtract next to add." in prompt
    assert state_of(action).plan_approved_by == "Codertocat"
    files = subprocess.run(["git", "ls-tree", "-r", "--name-only", action.remote_sha(s.branch)], cwd=action.workspace,
                           capture_output=True, text=True, env=action.env, check=True).stdout.split()
    assert "calc/ops.py" in files and "calc/scratch.py" not in files, "what the runner wrote while planning is gone"


def test_files_outside_the_approved_plan_are_a_major_finding(action):
    action.commit_config("plan_first: [medium]\nmax_cycles: 1\n")
    use_planner(action, ["calc/ops.py"])
    action.handle(labeled_payload())
    action.say("/wo approve")
    findings = state_of(action).findings
    outside = [f for f in findings if f.rule == "plan.outside"]
    assert [(f.severity.value, f.path) for f in outside] == [("MAJOR", "tests/test_subtract.py")]
    assert action.fake.issues[1]["labels"] == ["wo:blocked"] and state_of(action).verdict == "FAIL"


def test_without_plan_first_the_work_starts_at_once(action):
    """The control: the same order and agent, no plan_first: no plan, no approval, straight to work."""
    record = use_planner(action, ["calc/ops.py"])
    action.handle(labeled_payload())
    assert action.fake.issues[1]["labels"] == ["wo:passed"] and not plan_comment(action)
    assert "## APPROVED PLAN" not in record.read_text() and state_of(action).plan is None


def test_a_low_risk_order_skips_the_plan(action):
    action.commit_config("plan_first: [high]\n")
    use_planner(action, ["calc/ops.py"])
    action.handle(labeled_payload())
    assert action.fake.issues[1]["labels"] == ["wo:passed"]


def test_approving_the_plan_needs_permission(action):
    action.commit_config("plan_first: [medium]\n")
    use_planner(action, ["calc/**", "tests/**"])
    action.handle(labeled_payload())
    action.fake.permissions["Reader"] = "read"
    action.say("/wo approve", author="Reader")
    assert action.fake.issues[1]["labels"] == ["wo:plan"] and state_of(action).plan_approved_by is None


def test_a_bad_plan_packet_blocks_and_names_the_field(action):
    action.commit_config("plan_first: [medium]\n")
    use_planner(action, ["../outside.py"])
    action.handle(labeled_payload())
    s = state_of(action)
    assert action.fake.issues[1]["labels"] == ["wo:blocked"] and s.failure.kind == "bad_packet"
    assert "files" in s.failure.detail and s.plan is None


@pytest.mark.parametrize("text, field", [
    ('{"files": [], "approach": "x"}', "files"),
    ('{"files": ["a.py"]}', "approach"),
    ('{"files": ["../x"], "approach": "x"}', "files"),
    ('{"files": ["a.py"], "approach": "x", "extra": 1}', "extra"),
])
def test_the_plan_packet_is_validated(text, field):
    with pytest.raises(InvalidInput) as caught:
        parse_plan_packet(text)
    assert any(field in p.field for p in caught.value.problems)


def test_a_valid_plan_packet_parses():
    plan = parse_plan_packet('{"status": "plan", "files": ["src/**", "a.py (new)"], "approach": "x", "tests": ["t"]}')
    assert plan.files == ["src/**", "a.py (new)"] and Path  # noqa: B018
