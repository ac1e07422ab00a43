"""Archive on PASS: the PASS commit adds the work order, its verdict and evidence table to the repository, after
the gates (no scope finding), and the commit status goes to that commit."""

from __future__ import annotations

import json

from conftest import agent_command
from test_loop_local import run_loop
from workorder.contracts.config import RepoConfig
from workorder.evidence.diff import AddedLine, ChangedFile, Diff
from workorder.loop.archive import archive_path, slug, without_archive
from workorder.shell.gitops import Git

CONFIG = "archive_path: docs/work-orders/{issue}-{slug}.md\n"
PATH = "docs/work-orders/1-add-subtract-to-calc.md"


def test_the_pass_commit_archives_the_work_order_and_the_status_is_on_it(tmp_path, workspace, python_bin):
    outcome, forge, journal = run_loop(tmp_path, workspace, python_bin, agent_command("pass"), config_text=CONFIG)
    s = outcome.state
    assert s.state == "passed" and s.findings == []  # the archive made no scope finding
    wt = Git(tmp_path / "wt" / "1", env={"PATH": "/usr/bin:/bin"})
    text = wt.show_file(s.head_sha, PATH)
    assert text is not None and text.startswith("# Work order #1: Add subtract to calc")
    assert "Verdict: **PASS** in cycle 1" in text and "## Done when" in text and "## Evidence" in text
    assert wt.run("log", "-1", "--format=%s", s.head_sha).strip() == f"Archive work order #1 ({PATH})"
    assert wt.show_file(f"{s.head_sha}~1", PATH) is None  # the agent's commit is below it
    events = [json.loads(line) for line in journal.audit_path.read_text().splitlines()]
    assert any(e["event"] == "archive" and e["data"]["path"] == PATH for e in events)
    statuses = json.dumps(forge.read())
    assert s.head_sha in statuses


def test_no_archive_without_the_config_key(tmp_path, workspace, python_bin):
    outcome, _, _ = run_loop(tmp_path, workspace, python_bin, agent_command("pass"))
    wt = Git(tmp_path / "wt" / "1", env={"PATH": "/usr/bin:/bin"})
    assert outcome.state.state == "passed" and wt.show_file(outcome.state.head_sha, PATH) is None


def test_the_gates_never_see_the_archive():
    diff = Diff(files=[ChangedFile("calc.py", "M"), ChangedFile(PATH, "A")],
                added_lines=[AddedLine("calc.py", 1, "x"), AddedLine(PATH, 1, "# Work order")])
    kept = without_archive(diff, PATH)
    assert kept.touched_paths == ["calc.py"] and [a.path for a in kept.added_lines] == ["calc.py"]
    assert without_archive(diff, None) is diff


def test_archive_path_and_slug():
    config = RepoConfig(archive_path="docs/work-orders/{issue}-{slug}.md")
    assert archive_path(config, 17, "Fix: the `calc` module's ÄÖ bug!!") == "docs/work-orders/17-fix-the-calc-module-s-bug.md"
    assert archive_path(RepoConfig(), 17, "x") is None
    assert slug("!!!") == "work-order" and len(slug("a" * 200)) == 60


def test_the_milestone_board_links_each_archive():
    from workorder.handlers.board import BoardData, BoardRow, render_board
    from workorder.loop.state import State, TrackingState
    from workorder.templates import Templates

    passed = TrackingState(issue=1, state=State.PASSED, cycle=1, verdict="PASS", pr_number=5, archive_path=PATH)
    failed = TrackingState(issue=2, state=State.BLOCKED, cycle=2, verdict="FAIL", archive_path=PATH)
    rows = [BoardRow.of(1, "a", "", passed), BoardRow.of(2, "b", "", failed)]
    body = render_board(Templates(), BoardData(milestone=1, title="m", rows=rows))
    assert body.count(f"archive `{PATH}`") == 1


def test_through_handle_on_the_fake_github_the_archive_is_pushed_and_carries_the_status(action):
    import subprocess

    from conftest import labeled_payload

    action.commit_config(CONFIG)
    code, out = action.handle(labeled_payload())
    assert code == 0, out
    branch = "wo/1-add-subtract-to-calc"
    subprocess.run(["git", "fetch", "-q", "origin", branch], cwd=action.workspace, check=True, env=action.env)
    head = subprocess.run(["git", "rev-parse", "FETCH_HEAD"], cwd=action.workspace, capture_output=True,
                          text=True, env=action.env).stdout.strip()
    shown = subprocess.run(["git", "show", f"{head}:{PATH}"], cwd=action.workspace, capture_output=True,
                           text=True, env=action.env)
    assert shown.returncode == 0 and "Verdict: **PASS**" in shown.stdout
    [status] = action.fake.statuses
    assert status["sha"] == head and action.outputs()["verdict"] == "PASS"
