"""`workorder route`: the issue and lane of an event, from the payload alone."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import labeled_payload, load_payload
from workorder.handlers import route
from workorder.cli import main
from workorder.contracts.config import RepoConfig
from workorder.cli.init import route_inputs
from workorder.handlers.route import RouteSettings, route_event

ROOT = Path(__file__).parent.parent

CFG = RepoConfig()


def comment(body, on_pr_body=None):
    payload = load_payload("other/issue_comment.created")
    payload["comment"]["body"] = body
    payload["issue"]["number"] = 7
    if on_pr_body is not None:
        payload["issue"].update({"number": 70, "pull_request": {"url": "x"}, "body": on_pr_body})
    return payload


@pytest.mark.parametrize(
    ("event", "payload", "expected"),
    [
        ("issues", labeled_payload(), {"issue": "1", "lane": "loop"}),
        ("issues", labeled_payload(label="bug"), {"issue": "1", "lane": "now"}),
        ("issue_comment", comment("/wo status"), {"issue": "7", "lane": "now"}),
        ("issue_comment", comment("/wo abort\n/wo approve"), {"issue": "7", "lane": "now"}),
        ("issue_comment", comment("/wo fix x"), {"issue": "7", "lane": "loop"}),
        ("issue_comment", comment("/wo status", "Closes #7\n<!-- workorder:issue 7 -->"), {"issue": "7", "lane": "now"}),
        ("issue_comment", comment("/wo status", "an unrelated PR"), {"issue": "", "lane": "now"}),
        ("push", {"ref": "x"}, {"issue": "", "lane": "now"}),
        ("issues", [], {"issue": "", "lane": "now"}),
        ("issues", {"issue": {"number": "1"}}, {"issue": "", "lane": "now"}),
    ],
)
def test_route(event, payload, expected):
    assert route_event(event, payload, CFG) == expected


def test_pull_request_events_route_by_head_branch():
    payload = load_payload("other/pull_request.synchronize")
    payload["pull_request"]["head"]["ref"] = "wo/12-add-things"
    assert route_event("pull_request_target", payload, CFG) == {"issue": "12", "lane": "loop"}
    payload["pull_request"]["head"]["ref"] = "feature/x"
    assert route_event("pull_request", payload, CFG)["issue"] == ""


@pytest.mark.parametrize(
    ("head_repo", "issue"),
    [("same", "12"), ({"id": 1}, ""), (None, ""), ({"full_name": "x/y"}, ""), ("absent", "12")],
)
def test_fork_pull_requests_route_nowhere(head_repo, issue):
    payload = load_payload("other/pull_request.synchronize")
    payload["pull_request"]["head"]["ref"] = "wo/12-add-things"
    if head_repo == "absent":
        del payload["pull_request"]["head"]["repo"]
    elif head_repo != "same":
        payload["pull_request"]["head"]["repo"] = head_repo
    for event in ("pull_request", "pull_request_target", "pull_request_review"):
        assert route_event(event, payload, CFG) == {"issue": issue, "lane": "loop"}


def test_route_command_writes_github_output(tmp_path):
    (tmp_path / "event.json").write_text(json.dumps(comment("/wo retry")))
    env = {"GITHUB_EVENT_NAME": "issue_comment", "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
           "GITHUB_OUTPUT": str(tmp_path / "out"), "GITHUB_WORKSPACE": str(tmp_path)}
    assert main(["route"], environ=env, out=io.StringIO()) == 0
    assert (tmp_path / "out").read_text() == "issue=7\nlane=loop\n"


# ---- the action's route step: the runner's python3, the standard library, nothing installed ----

def route_step_script() -> str:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    return next(s for s in action["runs"]["steps"] if s.get("id") == "route")["run"]


def test_the_route_step_runs_on_a_bare_python_from_the_action_folder(tmp_path):
    """action.yml's route step verbatim: ``python3 -S`` has no site-packages at all, so this passes
    only while route.py and what it imports need nothing but the standard library."""
    (tmp_path / "event.json").write_text(json.dumps(comment("/wo fix x", "Closes #7\n<!-- workorder:f -->")))
    pr = load_payload("other/pull_request.synchronize")
    pr["pull_request"]["head"]["ref"] = "agent/12-add-things"
    (tmp_path / "pr.json").write_text(json.dumps(pr))
    python3 = shutil.which("python3")
    assert python3, "the route step needs python3 on PATH (every GitHub-hosted Linux and macOS runner has it)"
    base = {"PATH": f"{Path(python3).parent}:/usr/bin:/bin", "ACTION_PATH": str(ROOT), "GITHUB_OUTPUT": str(tmp_path / "out"),
            "WORKORDER_TRIGGER_LABEL": "go", "WORKORDER_BRANCH_PREFIX": "agent/", "WORKORDER_COMMAND_PREFIX": "/wo"}
    for event, name, expected in [("issue_comment", "event.json", "issue=\nlane=loop\n"),
                                  ("pull_request_target", "pr.json", "issue=12\nlane=loop\n")]:
        (tmp_path / "out").unlink(missing_ok=True)
        env = {**base, "GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(tmp_path / name)}
        proc = subprocess.run([shutil.which("bash") or "/bin/bash", "-c", route_step_script()], env=env, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == expected and (tmp_path / "out").read_text() == expected
    leaked = subprocess.run([python3, "-B", "-E", "-S", "-c", "import sys, workorder.handlers.route; print(sorted(sys.modules))"],
                            cwd=ROOT / "src", capture_output=True, text=True, check=True).stdout
    for package in ("yaml", "pydantic", "jinja2", "github", "markdown_it", "pathspec", "requests"):
        assert f"'{package}'" not in leaked


def test_route_settings_and_action_inputs_default_to_the_config_defaults():
    config = RepoConfig()
    settings = RouteSettings.from_environ({})
    assert (settings.trigger, settings.branch_prefix, settings.command_prefix) == \
        (config.trigger, config.branch_prefix, config.command_prefix)
    inputs = yaml.safe_load((ROOT / "action.yml").read_text())["inputs"]
    assert {name: inputs[name]["default"] for name in route_inputs(config)} == route_inputs(config)


def test_the_route_keys_come_from_the_step_environment(tmp_path):
    (tmp_path / "event.json").write_text(json.dumps(labeled_payload(label="agent:go")))
    env = {"GITHUB_EVENT_NAME": "issues", "GITHUB_EVENT_PATH": str(tmp_path / "event.json")}
    out = io.StringIO()
    assert route.main({**env, "WORKORDER_TRIGGER_LABEL": "agent:go"}, out) == 0
    assert out.getvalue() == "issue=1\nlane=loop\n"
    out = io.StringIO()
    assert route.main(env, out) == 0
    assert out.getvalue() == "issue=1\nlane=now\n", "agent:go is not the default trigger"


@pytest.mark.parametrize(
    ("environ", "said"),
    [({}, "::error::no event: set GITHUB_EVENT_NAME and GITHUB_EVENT_PATH"),
     ({"GITHUB_EVENT_NAME": "issues", "GITHUB_EVENT_PATH": "/nonexistent/event.json"},
      "::error::cannot read the event payload /nonexistent/event.json: No such file or directory")],
)
def test_the_route_step_without_a_readable_event_says_why(environ, said):
    out = io.StringIO()
    assert route.main(environ, out) == 2
    assert out.getvalue().startswith(said)


def test_every_loop_lane_verb_is_a_command():
    """The stdlib lane table names real commands (a renamed verb would silently go to the now lane)."""
    from workorder.handlers.commands import BY_VERB

    assert route.LOOP_VERBS <= set(BY_VERB)
    assert {v for v, c in BY_VERB.items() if c.lane == "loop"} == route.LOOP_VERBS
    assert {"help", "status", "approve", "abort"} == {v for v, c in BY_VERB.items() if c.lane == "now"}
