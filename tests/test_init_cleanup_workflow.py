"""`workorder init --cleanup-workflow` (#17 item 5): the optional scheduled retention workflow, pinned like the
main workflow, with the least permissions, dry-run unless `--cleanup-apply`; and the action's `mode: cleanup`
that it calls (the Handle step's script run with a stub `workorder`)."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from workorder.cli.init import CLEANUP_WORKFLOW_PATH, render_cleanup_workflow
from workorder.cli.main import main

ROOT = Path(__file__).parent.parent
SHA = "0123456789abcdef0123456789abcdef01234567"


def init(repo: Path, *extra: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["init", "--repo", str(repo), "--action-ref", SHA, "--version", "v0.2.0", *extra], environ={}, out=out)
    return code, out.getvalue()


def test_init_writes_the_cleanup_workflow_only_when_asked_dry_run_unless_apply(tmp_path):
    code, _ = init(tmp_path / "a")
    assert code == 0 and not (tmp_path / "a" / CLEANUP_WORKFLOW_PATH).exists()
    code, out = init(tmp_path / "b", "--cleanup-workflow", "--cleanup-days", "14")
    assert code == 0 and CLEANUP_WORKFLOW_PATH in out
    flow = yaml.safe_load((tmp_path / "b" / CLEANUP_WORKFLOW_PATH).read_text())
    step = flow["jobs"]["cleanup"]["steps"][1]
    assert step["uses"] == f"workorder-dev/workorder@{SHA}"
    assert step["with"] == {"mode": "cleanup", "cleanup-days": "14", "dry-run": "true", "upload-artifact": "false"}
    init(tmp_path / "c", "--cleanup-workflow", "--cleanup-apply")
    applied = yaml.safe_load((tmp_path / "c" / CLEANUP_WORKFLOW_PATH).read_text())
    assert applied["jobs"]["cleanup"]["steps"][1]["with"]["dry-run"] == "false"


def test_the_cleanup_workflow_has_least_permissions_a_schedule_and_only_pinned_actions():
    text = render_cleanup_workflow(SHA, "v0.2.0")
    flow = yaml.safe_load(text)
    assert flow["permissions"] == {}
    assert flow["jobs"]["cleanup"]["permissions"] == {"contents": "write", "issues": "read", "pull-requests": "read"}
    assert flow[True]["schedule"] == [{"cron": "17 4 * * 1"}]  # YAML 1.1 reads the key `on` as True
    for step in flow["jobs"]["cleanup"]["steps"]:
        ref = step["uses"].split("@", 1)[1]
        assert len(ref) == 40 and int(ref, 16) >= 0, step["uses"]
    assert f"workorder-dev/workorder@{SHA} # v0.2.0\n" in text
    with pytest.raises(ValueError):
        render_cleanup_workflow(days=0)


def test_the_example_is_what_init_writes():
    assert (ROOT / "examples" / "cleanup-workflow.yml").read_text() == render_cleanup_workflow(example=True)


def handle_step_script() -> str:
    steps = yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["steps"]
    [step] = [s for s in steps if s.get("id") == "handle"]
    return step["run"]


@pytest.mark.parametrize("dry_run, applies", [("true", False), ("false", True)])
def test_the_actions_cleanup_mode_runs_workorder_cleanup_and_applies_only_without_dry_run(tmp_path, dry_run, applies):
    venv = tmp_path / "workorder-venv" / "bin"
    venv.mkdir(parents=True)
    record = tmp_path / "argv.txt"
    stub = venv / "workorder"
    stub.write_text(f'#!/bin/sh\necho "$GITHUB_TOKEN $*" > {record}\n')
    stub.chmod(0o755)
    env = {"PATH": os.environ["PATH"], "RUNNER_TEMP": str(tmp_path), "WORKORDER_MODE": "cleanup",
           "WORKORDER_DRY_RUN": dry_run, "WORKORDER_CLEANUP_DAYS": "14", "WORKORDER_GITHUB_TOKEN": "tok",
           "DEFAULT_BRANCH": "trunk"}
    subprocess.run(["bash", "-e", "-c", handle_step_script()], env=env, check=True, cwd=tmp_path)
    argv = record.read_text().split()
    assert argv[:6] == ["tok", "cleanup", "--days", "14", "--default-branch", "trunk"]
    assert ("--apply" in argv) is applies


@pytest.mark.slow
@pytest.mark.xdist_group("lint-venv")  # .ci/lint fills its cached venv once: with tests/test_lint.py on one worker
def test_the_written_cleanup_workflow_is_lint_clean(tmp_path):
    """zizmor, actionlint and the workflow schema (.ci/lint, as tests/test_lint.py runs it) on init's output."""
    path = tmp_path / "workorder-cleanup.yml"
    path.write_text(render_cleanup_workflow(SHA, "v0.2.0", apply=True))
    result = subprocess.run(["bash", str(ROOT / ".ci" / "lint"), str(path)], capture_output=True, text=True,
                            timeout=600, env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()),
                                              "PYTHON": os.environ.get("PYTHON", "python3")})
    assert result.returncode == 0, result.stdout + result.stderr
