"""The pre-work check: a glob that matches nothing (absolute, {a,b}) or a verify program that does not exist is
refused before any agent runs (Action, `workorder run`, `validate`), in one comment naming each field; `(new)`
marks a path the work creates."""

from __future__ import annotations

import io
import json

import pytest

from conftest import WORK_ORDER, agent_command, labeled_payload
from workorder.cli import main
from workorder.inputs.globs import compile_globs, split_new
from workorder.gates.precheck import precheck, programs_of
from workorder.contracts.workorder import parse_work_order_body

FILES = ["calc/__init__.py", "calc/ops.py", "tests/test_ops.py", "README.md", "scripts/check.sh"]

BAD = """---
objective: Add subtract.
in_scope:
  - "{calc,tests}/**"
  - /home/me/repo/calc/**
  - calc/evaluate.py (new)
out_of_scope:
  - README.md
done_when:
  - subtract(5, 3) == 2
verify:
  - python -m unittest discover -s tests -t .
  - nosuchprogram-xyz --check && python -V
---
"""


def order(**fields) -> str:
    base = {"objective": "o", "in_scope": ["calc/**"], "done_when": ["d"], **fields}
    return "---\n" + json.dumps(base) + "\n---\n"


@pytest.mark.parametrize(("command", "programs"), [
    ("python -m pytest -q", ["python"]),
    ("CI=1 FOO=bar make test", ["make"]),
    ("cd sub && npm test; ./scripts/check.sh | tee log", ["npm", "./scripts/check.sh", "tee"]),
    ("set -e; if true; then go test ./...; fi", ["go"]),
    ("$PYTHON -m pytest", []),
    ("echo 'unbalanced", []),
    ("time nosuch --flag", ["nosuch"]),
])
def test_programs_of_a_verify_line(command, programs):
    assert programs_of(command) == programs


@pytest.mark.parametrize(("fields", "expected"), [
    ({}, []),
    ({"in_scope": ["calc/**", "tests/"]}, []),
    ({"in_scope": ["/calc/**"]}, []),  # gitignore's anchored form matches
    ({"in_scope": ["lib/**"]}, [("in_scope[0]", "'lib/**' matches no file of the repository")]),
    ({"in_scope": ["calc/**", "lib/x.py"]}, [("in_scope[1]", "matches no file")]),
    ({"in_scope": ["lib/x.py (new)", "!calc/x.py"]}, []),
    ({"in_scope": ["{calc,tests}/**"]}, [("in_scope[0]", "uses {a,b}")]),
    ({"in_scope": ["calc/**", "/home/me/repo/calc/**"]}, [("in_scope[1]", "looks like an absolute path")]),
    ({"out_of_scope": ["docs/**"]}, [("out_of_scope[0]", "matches no file")]),
    ({"verify": ["python -V", "scripts/check.sh", "./scripts/missing.sh"]},
     [("verify[2]", "runs './scripts/missing.sh'")]),
    ({"verify": ["nosuchprogram-xyz"]}, [("verify[0]", "runs 'nosuchprogram-xyz', which is not on the runner's PATH")]),
])
def test_precheck_table(fields, expected):
    problems = precheck(parse_work_order_body(order(**fields)), FILES, None)
    assert len(problems) == len(expected), problems
    for problem, (field, words) in zip(problems, expected):
        assert problem.field == field and words in problem.message, problem
        assert problem.expected


def test_the_new_mark_is_not_part_of_the_glob():
    assert split_new("calc/x.py (new)") == ("calc/x.py", True) and split_new("calc/**") == ("calc/**", False)
    assert compile_globs(["calc/x.py (new)"]).match_file("calc/x.py")
    assert parse_work_order_body(order(in_scope=["calc/x.py   (new)"])).in_scope == ["calc/x.py (new)"]


# -- the Action: one comment, no agent cycle ---------------------------------------------------------
def test_handle_refuses_a_bad_order_in_one_comment_before_any_agent_runs(action, tmp_path):
    ran = tmp_path / "runner-ran.json"
    action.env["WORKORDER_RUNNER_COMMAND"] = agent_command("env-dump", str(ran))
    action.fake.issues[1]["body"] = BAD
    code, out = action.handle(labeled_payload(body=BAD))
    assert not ran.exists(), "no agent cycle is spent on an order the check refuses"
    assert "wo:invalid" in action.fake.issues[1]["labels"] and "wo:running" not in action.fake.issues[1]["labels"]
    bot = [c for c in action.fake.issue_comments(1) if c["user"] == action.fake.bot_login]
    assert len(bot) == 1, "one comment"
    body = action.tracking()
    for field in ("in_scope[0]", "in_scope[1]", "verify[1]"):
        assert f"`{field}`" in body, field
    assert "in_scope[2]" not in body and "verify[0]" not in body
    assert "relative to the repository root" in body and "not on the runner's PATH" in body
    assert not action.fake.pulls
    assert '"decision": "invalid"' in out


def test_control_without_the_check_the_agent_runs_a_cycle_on_the_bad_order(action, tmp_path, monkeypatch):
    monkeypatch.setattr("workorder.gates.precheck.precheck", lambda *a, **k: [])
    ran = tmp_path / "runner-ran.json"
    action.env["WORKORDER_RUNNER_COMMAND"] = agent_command("env-dump", str(ran))
    action.fake.issues[1]["body"] = BAD
    action.handle(labeled_payload(body=BAD))
    assert ran.exists()


def test_a_good_order_is_not_held_up(action):
    code, out = action.handle(labeled_payload())
    assert code == 0 and "wo:passed" in action.fake.issues[1]["labels"]


# -- workorder run FILE and validate ---------------------------------------------------------------
def test_run_file_lists_the_problems_and_spends_no_cycle(workspace, base_env, python_bin, tmp_path, capsys):
    from workorder.demo.run import git_env

    env = {**git_env(base_env), "PATH": f"{python_bin}:{base_env['PATH']}", "WORKORDER_ISOLATION": "none"}
    ran = tmp_path / "runner-ran.json"
    (workspace / "ISSUE.md").write_text(BAD)
    out = io.StringIO()
    code = main(["run", str(workspace / "ISSUE.md"), "--repo", str(workspace), "--runner-command",
                 agent_command("env-dump", str(ran))], environ=env, out=out)
    err = capsys.readouterr().err
    assert code == 1 and not ran.exists()
    assert "the work order is not ready; no agent ran (3 problems)" in err and "  - in_scope[1]: " in err
    assert ": invalid." in out.getvalue() and "no agent cycle was spent" in out.getvalue()


def test_validate_checks_the_order_against_the_repository(workspace, base_env, tmp_path):
    path = tmp_path / "order.md"
    path.write_text(BAD)
    out = io.StringIO()
    code = main(["validate", str(path), "--repo", str(workspace)], environ=base_env, out=out)
    text = out.getvalue()
    assert code == 1 and f"is not ready for the repository {workspace} (3 problems)" in text
    assert "  - verify[1]: runs 'nosuchprogram-xyz'" in text
    path.write_text(WORK_ORDER)
    out = io.StringIO()
    assert main(["validate", str(path), "--repo", str(workspace)], environ=base_env, out=out) == 0, out.getvalue()


def test_validate_outside_a_repository_checks_the_format_only(tmp_path, base_env):
    path = tmp_path / "order.md"
    path.write_text(BAD)
    out = io.StringIO()
    assert main(["validate", str(path), "--repo", str(tmp_path)], environ=base_env, out=out) == 0


def test_the_fix_offers_new_only_for_a_plain_glob():
    [plain, braces] = precheck(parse_work_order_body(order(in_scope=["lib/**", "{a,b}/**"])), FILES, None)
    assert "'lib/** (new)' when the work creates it" in plain.expected
    assert "(new)" not in braces.expected and "one per line" in braces.expected
