"""Held-out acceptance tests (issue 19, item 3): files on the default branch the SE runner never sees (not in
its work tree, its prompt or its logs), put back by the action for verify; a failing one is a BLOCKER whose
corrective prompt names the criterion, not the test. Real git, real pytest, the whole loop on the local forge."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from workorder.shell.gitops import Git
from workorder.loop.heldout_run import heldout_files, hide
from workorder.local.forge import LocalForge

HELDOUT = "tests/acceptance/test_subtract_criterion_1.py"
HELDOUT_TEXT = ("from calc.ops import subtract\n\n\ndef test_subtract_criterion_1_large():\n"
                "    assert subtract(1009, 967) == 42\n")
SECRET = "1009, 967"
PYTEST = "python -m pytest -q -p no:cacheprovider tests"
CONFIG = "max_cycles: 1\nacceptance:\n  paths: ['tests/acceptance/**']\n"

# The scripted agent: writes subtract (a lookup table of the visible test's inputs when told to game, which the
# pattern gates do not see), a test,
# and reports everything it can see: every file under its work tree, and its prompt.
AGENT = '''import json, os, sys
from pathlib import Path
mode = sys.argv[1]
seen = sorted(str(p) for p in Path(".").rglob("*") if ".git" not in p.parts)
prompt = Path(os.environ["WORKORDER_PROMPT_FILE"]).read_text()
print("files:", seen)
print("prompt:", prompt)
body = "    return {(5, 3): 2}.get((a, b), a + b)\\n" if mode == "game" else "    return a - b\\n"  # a lookup table of the tested inputs
ops = Path("calc/ops.py")
ops.write_text(ops.read_text() + "\\n\\ndef subtract(a, b):\\n" + body)
Path("tests/test_subtract.py").write_text("from calc.ops import subtract\\n\\n\\ndef test_subtract():\\n"
                                          "    assert subtract(5, 3) == 2\\n")
Path(os.environ["WORKORDER_RESULT_FILE"]).write_text(json.dumps({"status": "done", "summary": "subtract",
    "files_changed": ["calc/ops.py", "tests/test_subtract.py"],
    "evidence": [{"criterion": "1", "kind": "test", "ref": "tests/test_subtract.py::test_subtract"}]}))
'''


def add_heldout(workspace: Path, env: dict[str, str]) -> None:
    """Commit the held-out test on origin's main (the default branch)."""
    git = Git(repo=workspace, env=env)
    (workspace / HELDOUT).parent.mkdir(parents=True)
    (workspace / HELDOUT).write_text(HELDOUT_TEXT)
    git.run("add", "-A")
    git.run("-c", "user.name=m", "-c", "user.email=m@e", "commit", "-q", "-m", "acceptance test")
    git.run("push", "-q", "origin", "main")
    git.run("fetch", "-q", "origin")


def run_order(tmp_path: Path, workspace: Path, python_bin: Path, mode: str, config: str = CONFIG,
              heldout: bool = True):
    from test_loop_local import run_loop

    env = {"PATH": f"{python_bin}:/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_GLOBAL": "/dev/null"}
    if heldout:
        add_heldout(workspace, env)
    agent = tmp_path / "agent.py"
    agent.write_text(AGENT)
    command = " ".join(shlex.quote(p) for p in [sys.executable, str(agent), mode])
    body = ("---\nobjective: Add subtract.\nin_scope: ['calc/**', 'tests/**']\ndone_when:\n  - subtract(a, b) == a - b\n"
            f"verify: [{json.dumps(PYTEST)}]\nrisk: low\n---\n")
    forge = LocalForge(tmp_path / "forge", permissions={"alice": "write"})
    forge.open_issue("Add subtract", body, ["wo:ready"], "alice")
    outcome, forge, _ = run_loop(tmp_path, workspace, python_bin, command, timeout=120, body=body,
                                 config_text=config, forge=forge)
    verdict = json.loads((tmp_path / "runs" / "1" / "1-review" / "verdict.json").read_text())
    return outcome.state, verdict


def agent_saw(tmp_path: Path) -> str:
    """Everything the agent was given or wrote: its prompt and its logs (the dev phase's records)."""
    phase = tmp_path / "runs" / "1" / "1-dev"
    return "\n".join(p.read_text(errors="replace") for p in phase.rglob("*") if p.is_file())


def test_special_cased_inputs_fail_a_held_out_test_without_revealing_it(tmp_path, workspace, python_bin):
    state, verdict = run_order(tmp_path, workspace, python_bin, "game")
    assert verdict["verdict"] == "FAIL"
    [failed] = [f for f in verdict["findings"] if f["rule"] == "acceptance.failed"]
    assert failed["severity"] == "BLOCKER" and "criterion 1" in failed["message"]
    assert "1 of 1 held-out acceptance tests fail" in failed["evidence"]
    shown = json.dumps(verdict)  # findings, table and corrective prompt
    assert SECRET not in shown and "test_subtract_criterion_1_large" not in shown and HELDOUT not in shown
    seen = agent_saw(tmp_path)
    assert "files:" in seen and "calc/ops.py" in seen and "prompt:" in seen  # the agent did report what it saw
    assert "acceptance" not in seen and SECRET not in seen


def test_control_without_the_held_out_test_the_gaming_passes(tmp_path, workspace, python_bin):
    state, verdict = run_order(tmp_path, workspace, python_bin, "game", config="max_cycles: 1\n", heldout=False)
    assert verdict["verdict"] == "PASS"  # the visible test passes and no other gate looks at the inputs


def test_control_without_the_config_the_agent_sees_the_test(tmp_path, workspace, python_bin):
    run_order(tmp_path, workspace, python_bin, "game", config="max_cycles: 1\n")
    assert "acceptance" in agent_saw(tmp_path)


def test_honest_work_passes_the_held_out_test(tmp_path, workspace, python_bin):
    state, verdict = run_order(tmp_path, workspace, python_bin, "honest")
    assert (state.state, verdict["verdict"], verdict["findings"]) == ("passed", "PASS", [])
    wt = tmp_path / "wt" / "1"
    assert not (wt / HELDOUT).exists()  # hidden again after the review's run
    branch = subprocess.run(["git", "show", f"{state.head_sha}:{HELDOUT}"], cwd=wt, capture_output=True, text=True)
    assert branch.stdout == HELDOUT_TEXT  # never deleted or changed on the work branch


def test_hiding_survives_the_agents_commit_and_a_reset(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_GLOBAL": "/dev/null"}
    git = Git(repo=tmp_path / "r", env=env)
    (tmp_path / "r" / "tests" / "acceptance").mkdir(parents=True)
    (tmp_path / "r" / HELDOUT).write_text(HELDOUT_TEXT)
    (tmp_path / "r" / "a.py").write_text("x = 1\n")
    git.run("init", "-q", "-b", "main")
    git.run("add", "-A")
    git.run("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "base")
    assert hide(git, ["tests/acceptance/**"]) == [HELDOUT] and not (tmp_path / "r" / HELDOUT).exists()
    (tmp_path / "r" / "a.py").write_text("x = 2\n")
    assert git.commit_all("agent work", "a", "a@e")
    assert HELDOUT in git.run("ls-tree", "-r", "--name-only", "HEAD")  # the agent's commit keeps it
    git.discard_changes()
    hide(git, ["tests/acceptance/**"])
    assert not (tmp_path / "r" / HELDOUT).exists() and heldout_files(git, ["tests/acceptance/**"]) == [HELDOUT]
    assert heldout_files(git, []) == []


@pytest.mark.parametrize("paths", [["tests/acceptance/**"]])
def test_the_config_key_is_validated(paths):
    from workorder.contracts.config import RepoConfig

    assert RepoConfig.model_validate({"acceptance": {"paths": paths}}).acceptance.paths == paths
    with pytest.raises(ValueError):
        RepoConfig.model_validate({"acceptance": {"paths": ["tests/[acceptance"], "extra": 1}})
