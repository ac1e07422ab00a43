"""A repository's template overrides (.github/workorder/templates/ on the default branch) reach every text
the action posts: the review's findings (gates, test integrity, evidence), the runner-failure text of the
tracking comment, and every other render of the run."""

from __future__ import annotations

import subprocess
from pathlib import Path

import jinja2
import pytest

from conftest import agent_command, labeled_payload
from workorder import templates as templates_module
from workorder.templates import OVERRIDE_DIR, Templates

SHIPPED = Path(templates_module.__file__).parent


def commit_overrides(action, names: list[str]) -> None:
    """Put an override of each template in ``names`` on the default branch: the shipped text behind a marker."""
    folder = action.workspace / OVERRIDE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text(f"OVR-{name.split('.')[0]} " + (SHIPPED / name).read_text())
    for args in (["add", "-A"], ["commit", "-qm", "templates"], ["push", "-q", "origin", "HEAD:main"]):
        subprocess.run(["git", *args], cwd=action.workspace, check=True, env=action.env)


def posted(action) -> str:
    fake = action.fake
    return "\n".join([r["body"] for r in fake.reviews] + [c["body"] for r in fake.reviews for c in r["comments"]]
                     + [c["body"] for c in fake.comments.values()])


FINDINGS = ["gate_finding.txt.j2", "integrity_finding.txt.j2"]


def test_overridden_finding_templates_reach_the_posted_review(action):
    commit_overrides(action, FINDINGS)
    action.env["WORKORDER_RUNNER_COMMAND"] = "python -m workorder.demo.agent"
    code, out = action.handle(labeled_payload())
    assert code == 0, out
    review = action.fake.reviews[0]["body"]
    assert "OVR-gate_finding" in review and "OVR-integrity_finding" in review


def test_overridden_runner_failure_reaches_the_tracking_comment(action):
    commit_overrides(action, ["runner_failure.txt.j2"])
    action.env["WORKORDER_RUNNER_COMMAND"] = agent_command("crash")
    action.handle(labeled_payload())
    assert "OVR-runner_failure" in action.tracking()


def test_control_without_activation_the_overrides_never_reach_the_findings(action, monkeypatch):
    """The defence off (the default branch's templates are not made the run's): findings use the shipped text."""
    monkeypatch.setattr("workorder.contracts.defaultbranch.activate", lambda templates: None)
    commit_overrides(action, FINDINGS)
    action.env["WORKORDER_RUNNER_COMMAND"] = "python -m workorder.demo.agent"
    action.handle(labeled_payload())
    assert action.fake.reviews and "OVR-" not in posted(action)


def test_every_render_of_a_run_goes_through_the_repository_templates(action, monkeypatch):
    """No render in a run comes from a Templates object that ignores the repository's overrides."""
    commit_overrides(action, ["review.md.j2"])
    seen: list[tuple[str, bool]] = []
    render = Templates.render

    def recording(self, name, **context):
        loaders = getattr(self._env.loader, "loaders", [])
        seen.append((name, any(isinstance(x, jinja2.DictLoader) for x in loaders)))
        return render(self, name, **context)

    monkeypatch.setattr(Templates, "render", recording)
    action.env["WORKORDER_RUNNER_COMMAND"] = "python -m workorder.demo.agent"
    code, out = action.handle(labeled_payload())
    assert code == 0, out
    after_config = seen[next(i for i, (_, with_overrides) in enumerate(seen) if with_overrides):]  # config read
    names = {n for n, _ in after_config}
    assert {"gate_finding.txt.j2", "review.md.j2"} <= names
    assert [n for n, with_overrides in after_config if not with_overrides] == []


@pytest.fixture(autouse=True)
def _shipped_templates_after_each_test():
    yield
    templates_module.deactivate()
