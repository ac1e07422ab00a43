"""The milestone board shows the outcome totals (#17 item 7): cycles, cost over all runs, PASSed with the mean
time to PASS, and the PASS → merged rate (workorder report's figures), through `handle` on the fake GitHub;
a work order whose issue closed after its PR merged stays on the board and counts as merged."""

from __future__ import annotations

from conftest import WORK_ORDER, install_fake_agent
from test_milestone_github import dispatch


def board_body(fake) -> str:
    [board] = [i for i in fake.issues.values() if "wo:board" in i["labels"]]
    return board["body"]


def test_the_board_shows_the_totals_and_the_pass_to_merged_rate(action, python_bin, tmp_path):
    install_fake_agent(python_bin, "claude", "ok", tmp_path / "calls.jsonl")
    action.commit_config("runner:\n  preset: claude\nmax_cycles: 1\n")
    del action.env["WORKORDER_RUNNER_COMMAND"]
    fake = action.fake
    fake.issues.clear()
    fake.milestones[1] = "M1"
    fake.add_issue(10, "Ten", WORK_ORDER, [], milestone=1)
    fake.add_issue(11, "Eleven", WORK_ORDER, [], milestone=1)
    dispatch(action, mode="sequential")
    body = board_body(fake)
    assert "Totals: 2 cycles · $0.02 · 2 PASSed, mean 0.0 h to PASS · 0 merged (0% of PASSed)" in body, body

    [pr10] = [n for n, p in fake.pulls.items() if p["head"].startswith("wo/10-")]
    fake.pulls[pr10].update({"state": "closed", "merged_at": "2026-12-07T10:00:00Z"})
    fake.issues[10]["state"] = "closed"  # "Closes #10" closed it
    dispatch(action)
    body = board_body(fake)
    assert "| #10 | Ten | `closed` |" in body, "the merged work order stays on the board"
    assert "2 PASSed, mean 0.0 h to PASS · 1 merged (50% of PASSed)" in body
    reads = fake.count("GET", rf"/pulls/{pr10}$")
    dispatch(action)
    assert fake.count("GET", rf"/pulls/{pr10}$") == reads, "a merge once seen is not asked again"
