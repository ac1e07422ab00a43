"""The shipped action and workflows follow the security rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parent.parent
WORKFLOWS = [ROOT / "action.yml", ROOT / "examples" / "workflow.yml", ROOT / "examples" / "milestone-workflow.yml", *sorted((ROOT / ".github" / "workflows").glob("*.yml"))]


def run_scripts(doc) -> list[str]:
    found = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key == "run" and isinstance(value, str):
                found.append(value)
            else:
                found += run_scripts(value)
    elif isinstance(doc, list):
        for item in doc:
            found += run_scripts(item)
    return found


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_event_or_input_text_is_spliced_into_a_run_script(path):
    scripts = run_scripts(yaml.safe_load(path.read_text()))
    for script in scripts:
        assert not re.search(r"\$\{\{[^}]*(github\.event|inputs\.)", script), script


def test_action_is_composite_and_passes_inputs_through_env():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert len(run_scripts(action)) == 3
    handle = next(s for s in action["runs"]["steps"] if s.get("id") == "handle")
    assert handle["env"]["WORKORDER_GITHUB_TOKEN"] == "${{ inputs.github-token }}"
    assert set(action["outputs"]) >= {"verdict", "state", "pr-number"}


def test_example_workflow_is_minimal_and_safe():
    flow = yaml.safe_load((ROOT / "examples" / "workflow.yml").read_text())
    assert set(flow["permissions"]) == {"contents", "issues", "pull-requests", "statuses"}
    job = flow["jobs"]["workorder"]
    assert job["concurrency"]["group"] == "workorder-${{ needs.route.outputs.issue }}-${{ needs.route.outputs.lane }}"
    for name in ("route", "workorder"):
        checkout = next(s for s in flow["jobs"][name]["steps"] if s.get("uses", "").startswith("actions/checkout"))
        assert checkout["with"]["persist-credentials"] is False
        assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"
    assert "pull_request" not in flow[True], "pull_request runs the work branch's workflow; use pull_request_target"
