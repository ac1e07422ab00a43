"""`workorder run FILE`: one work order file (front matter, issue-form sections, or a milestone issue file)
in a real git repository, with the milestone run's engine, gates and records; `validate` reads the same files."""

from __future__ import annotations

import io
import json
import subprocess

import pytest

from conftest import WORK_ORDER, agent_command
from workorder.cli import main
from workorder.demo.run import build_milestone_repo, git_env

ISSUE_FORM = """# Add subtract to calc

### Objective

Add a subtract(a, b) function to calc.ops, with tests.

### In scope

calc/**
tests/**

### Out of scope

README.md

### Done when

- subtract(5, 3) == 2

### Verify commands

```
python -m unittest discover -s tests -t .
```

### Risk

medium
"""


@pytest.fixture
def repo(workspace, base_env, python_bin):
    env = {**git_env(base_env), "PATH": f"{python_bin}:{base_env['PATH']}", "WORKORDER_ISOLATION": "none"}
    return workspace, env


def run(repo_env, *args):
    repo, env = repo_env
    out = io.StringIO()
    code = main(["run", *args, "--repo", str(repo)], environ=env, out=out)
    return code, out.getvalue()


def git(repo, *args):
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("text", [WORK_ORDER, ISSUE_FORM], ids=["front-matter", "issue-form"])
def test_an_untracked_work_order_file_runs_to_pass_with_the_runs_records(repo, text, capsys):
    ws, env = repo
    (ws / "ISSUE.md").write_text(text)
    code, out = run(repo, str(ws / "ISSUE.md"), "--runner-command", agent_command("pass"))
    assert code == 0, out + capsys.readouterr().err
    assert "Work order ISSUE.md (#1 " in out and ": passed after 1 cycle" in out
    [branch] = [b for b in git(ws, "branch", "--format=%(refname:short)").split() if b.startswith("wo/1-")]
    assert "def subtract" in git(ws, "show", f"{branch}:calc/ops.py")
    assert (ws / ".workorder" / "runs" / "1" / "1-review" / "verdict.json").is_file()
    assert json.loads((ws / ".workorder" / "orders.json").read_text()) == {"ISSUE.md": 1}
    assert git(ws, "status", "--porcelain") == "?? ISSUE.md\n", "nothing but the order file is left in the checkout"


def test_a_second_run_skips_the_passed_order_until_it_changes(repo, capsys):
    ws, env = repo
    order = ws / "ISSUE.md"
    order.write_text(WORK_ORDER)
    assert run(repo, str(order), "--runner-command", agent_command("pass"))[0] == 0
    code, out = run(repo, str(order), "--runner-command", agent_command("pass"))
    assert code == 0 and "already (unchanged since; --rerun runs it again)" in out
    order.write_text(WORK_ORDER.replace("with tests.", "with a unit test."))
    code, out = run(repo, str(order), "--runner-command", agent_command("pass"))
    assert code == 0 and "passed after 1 cycle" in out, "a changed order runs again, under the same number"
    assert json.loads((ws / ".workorder" / "orders.json").read_text()) == {"ISSUE.md": 1}


def test_the_json_summary(repo):
    ws, env = repo
    (ws / "ISSUE.md").write_text(WORK_ORDER)
    code, out = run(repo, str(ws / "ISSUE.md"), "--json", "--runner-command", agent_command("pass"))
    data = json.loads(out)
    assert code == 0 and data["ok"] is True and data["file"] == "ISSUE.md" and data["state"] == "passed"
    assert data["cycles"] == 1 and data["branch"].startswith("wo/1-")


def test_a_failing_order_exits_1_and_says_what_next(repo, capsys):
    ws, env = repo
    (ws / "ISSUE.md").write_text(WORK_ORDER)
    code, out = run(repo, str(ws / "ISSUE.md"), "--runner-command", agent_command("crash"))
    assert code == 1 and "next: read the last verdict" in out


def test_a_milestone_issue_file_runs_under_its_id(tmp_path, base_env, python_bin):
    env = {**git_env(base_env), "PATH": f"{python_bin}:{base_env['PATH']}", "WORKORDER_ISOLATION": "none"}
    ms = build_milestone_repo(tmp_path, env)
    code, out = run((ms, env), str(ms / "docs" / "projects" / "calc" / "issues" / "2-multiply.md"))
    assert code == 0, out
    assert "(#2 " in out and "passed" in out
    assert (ms / ".workorder" / "runs" / "2").is_dir() and not (ms / ".workorder" / "runs" / "1").exists()


def test_an_invalid_order_file_is_refused_listing_every_problem_before_anything_runs(repo, capsys):
    ws, env = repo
    (ws / "ISSUE.md").write_text("---\nobjective: ''\nin_scope: []\n---\n")
    code, _ = run(repo, str(ws / "ISSUE.md"), "--runner-command", agent_command("pass"))
    err = capsys.readouterr().err
    assert code == 1 and "ISSUE.md is not a valid work order; nothing ran (3 problems)" in err
    for text in ("objective: must not be empty", "in_scope: must not be empty", "done_when: is required"):
        assert text in err, text
    assert not (ws / ".workorder" / "runs").exists()


def test_a_changed_tracked_file_is_named_and_untracked_files_do_not_matter(repo, capsys):
    ws, env = repo
    (ws / "ISSUE.md").write_text(WORK_ORDER)
    (ws / "calc" / "__pycache__").mkdir()
    (ws / "calc" / "__pycache__" / "ops.cpython-311.pyc").write_bytes(b"\0")
    (ws / "calc" / "ops.py").write_text((ws / "calc" / "ops.py").read_text() + "# local edit\n")
    code, _ = run(repo, str(ws / "ISSUE.md"), "--runner-command", agent_command("pass"))
    err = capsys.readouterr().err
    assert code == 1 and "uncommitted changes" in err and "  - calc/ops.py" in err
    assert "__pycache__" not in err and "ISSUE.md" not in err
    git(ws, "checkout", "calc/ops.py")
    code, out = run(repo, str(ws / "ISSUE.md"), "--runner-command", agent_command("pass"))
    assert code == 0, "an untracked __pycache__/ does not make the run refuse"


@pytest.mark.parametrize("args", [[], ["ISSUE.md", "--milestone", "M1"]], ids=["neither", "both"])
def test_run_takes_a_file_or_a_milestone(repo, args, capsys):
    code, _ = run(repo, *args)
    assert code == 2 and "run takes a work order FILE or --milestone M" in capsys.readouterr().err


# -- validate reads the same files ------------------------------------------------------------------
def validate(path):
    out = io.StringIO()
    return main(["validate", str(path)], environ={}, out=out), out.getvalue()


def test_validate_accepts_a_milestone_issue_file(tmp_path):
    issue = tmp_path / "1-subtract.md"
    issue.write_text("---\nid: 1\ntitle: Add subtract\nmilestone: M1\nblocking: [3]\nobjective: o\n"
                     "in_scope: [calc/**]\ndone_when: [d]\n---\nfree text\n")
    assert validate(issue) == (0, f"{issue}: work order is valid\n")


def test_validate_names_each_field_of_a_bad_milestone_issue_file(tmp_path):
    issue = tmp_path / "1-subtract.md"
    issue.write_text("---\nid: zero\nmilestone: M1\nobjective: o\nin_scope: [calc/**]\ndone_when: [d]\nextra: 1\n---\n")
    code, out = validate(issue)
    assert code == 1
    assert "  - id: must be a whole number" in out and "  - title: is required but missing" in out
    assert "  - extra: is not a known key" in out and f"{issue}: id" not in out


def test_validate_still_refuses_an_unknown_key_in_a_plain_work_order(tmp_path):
    order = tmp_path / "order.md"
    order.write_text("---\nobjective: o\nin_scope: [calc/**]\ndone_when: [d]\nowner: me\n---\n")
    code, out = validate(order)
    assert code == 1 and "owner: is not a known key" in out


def test_a_runner_timeout_says_timed_out_after_n_seconds(repo, capsys):
    ws, env = repo
    config = ws / ".github" / "workorder.yml"
    config.write_text(config.read_text().replace("timeout: 120", "timeout: 1"))
    git(ws, "commit", "-qam", "runner timeout 1 s")
    (ws / "ISSUE.md").write_text(WORK_ORDER)
    code, out = run(repo, str(ws / "ISSUE.md"), "--runner-command", agent_command("sleep"))
    err = capsys.readouterr().err
    assert code == 1 and "SE runner failed: the runner timed out after 1 s" in err, err
    assert "exit None" not in err
