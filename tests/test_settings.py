"""The entry point: one settings object read from the environment, and the last-resort handler
around everything `workorder handle` does."""

from __future__ import annotations

import io
import json
from pathlib import Path

from conftest import TOKEN, labeled_payload
from workorder.cli import handle as handle_module
from workorder.cli import main
from workorder.cli.settings import HandleSettings


def test_settings_read_the_documented_variables(tmp_path):
    env = {"GITHUB_EVENT_NAME": "issues", "GITHUB_EVENT_PATH": "/e.json", "GITHUB_TOKEN": "t1",
           "WORKORDER_GITHUB_TOKEN": "t2", "GITHUB_WORKSPACE": str(tmp_path), "RUNNER_TEMP": "/rt",
           "WORKORDER_ISSUE": "7", "WORKORDER_NO_THROTTLE": "1", "GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "9",
           "GITHUB_SERVER_URL": "https://ghe.example/", "WORKORDER_RUNNER_PRESET": " codex "}
    s = HandleSettings.from_environ(env, event_path="/flag.json")
    assert (s.event_name, s.event_path, s.token) == ("issues", "/flag.json", "t2")
    assert s.state_dir == Path("/rt/workorder") and s.target_issue == 7 and not s.throttle and s.in_actions
    assert s.run_url("o/r") == "https://ghe.example/o/r/actions/runs/9" and s.runner_preset == "codex"
    assert "t2" not in repr(s), "tokens never appear in a repr"
    assert HandleSettings.from_environ({"WORKORDER_ISSUE": "9" * 5000}).target_issue is None


def test_anything_failing_after_the_settings_is_an_error_outcome_not_a_traceback(action, monkeypatch):
    def boom(settings, payload):
        raise RuntimeError(f"config reader broke near {TOKEN}")

    monkeypatch.setattr(handle_module, "read_trusted", boom)
    code, out = action.handle(labeled_payload())
    outcome = json.loads(out[out.index("{"):])
    assert code == 1 and outcome["decision"] == "error"
    assert "RuntimeError: config reader broke" in outcome["reason"] and TOKEN not in out
    assert action.outputs()["decision"] == "error"


def test_dry_run_failures_are_caught_too(tmp_path, monkeypatch):
    def boom(settings, payload):
        raise ValueError("Exceeds the limit (4300 digits) for integer string conversion")

    monkeypatch.setattr(handle_module, "read_trusted", boom)
    event = tmp_path / "event.json"
    event.write_text(json.dumps(labeled_payload()))
    out = io.StringIO()
    code = main(["handle", "--dry-run"], environ={"GITHUB_EVENT_NAME": "issues", "GITHUB_EVENT_PATH": str(event),
                                                  "GITHUB_WORKSPACE": str(tmp_path)}, out=out)
    assert code == 1 and json.loads(out.getvalue())["decision"] == "error"
