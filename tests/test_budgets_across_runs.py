"""Budgets across runs (#17 item 7): a per-work-order budget over all its cycles and runs (its tracking state)
and a per-repository daily cap (the spend ledger issue), through `handle` against the fake GitHub with the
fake claude CLI ($0.0123 and 1,750 tokens a call). Over budget is a stop that `/wo retry` cannot lift; a
maintainer's `/wo budget` can."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from conftest import WORK_ORDER, agent_calls, install_fake_agent, labeled_payload
from workorder.handlers.spend_ledger import SpendEntry
from workorder.loop.state import TRACKING_MARKER, decode_state
from workorder.presets import Usage

CALL_COST = 0.0123


@pytest.fixture
def claude(action, python_bin, tmp_path):
    """The fake claude as the SE runner, with ``config`` appended; returns its call record."""

    def setup(config: str):
        record = tmp_path / "claude-calls.jsonl"
        install_fake_agent(python_bin, "claude", "ok", record)
        action.commit_config("runner:\n  preset: claude\nmax_cycles: 1\n" + config)
        del action.env["WORKORDER_RUNNER_COMMAND"]
        return record

    return setup


def state_of(action, number: int):
    [body] = [c["body"] for c in action.fake.issue_comments(number)
              if c["user"] == action.fake.bot_login and TRACKING_MARKER in c["body"]]
    return decode_state(body)


def labeled(number: int) -> dict:
    payload = labeled_payload()
    payload["issue"]["number"] = number
    return payload


def test_the_work_orders_budget_spans_runs_retry_cannot_lift_it_a_maintainer_can(action, claude):
    record = claude("budgets:\n  order_max_cost_usd: 0.03\n")
    fake = action.fake
    fake.permissions["writer"] = "write"
    action.handle(labeled_payload())
    assert fake.issues[1]["labels"] == ["wo:passed"]
    action.say("/wo fix also check subtract(0, 0)")
    assert fake.issues[1]["labels"] == ["wo:passed"]
    assert state_of(action, 1).order_usage.cost_usd == pytest.approx(2 * CALL_COST), "the total spans both runs"
    action.say("/wo fix and subtract(-1, 1)")  # the third run passes the $0.03 cap in its SE phase
    s = state_of(action, 1)
    assert fake.issues[1]["labels"] == ["wo:blocked"] and s.failure.kind == "budget_exhausted"
    assert "this work order's cost budget of $0.03 over all its runs is spent ($0.0369 recorded)" in action.tracking()
    assert len(agent_calls(record)) == 3

    action.say("/wo retry")
    assert "`/wo retry` refused: this work order is stopped by its own budget" in action.replies()[-1]
    action.say("/wo start")  # a fresh start keeps the work order's total: refused before any agent runs
    assert "Nothing ran" in action.replies()[-1] and len(agent_calls(record)) == 3
    assert state_of(action, 1).order_usage.cost_usd == pytest.approx(3 * CALL_COST)
    action.say("/wo budget", author="writer")
    assert "needs maintain permission" in action.replies()[-1]

    action.say("/wo budget\n/wo retry")  # Codertocat is an admin
    assert "lifted for the next run" in action.replies()[-1] and len(agent_calls(record)) == 4
    assert fake.issues[1]["labels"] == ["wo:passed"]
    assert state_of(action, 1).budget_override_by is None, "the override is used up by the run it let through"
    action.say("/wo fix one more")  # over budget again: refused, and the PASS stays for a person to approve
    assert len(agent_calls(record)) == 4 and fake.issues[1]["labels"] == ["wo:passed"]
    assert "refused: this work order's cost budget of $0.03" in action.replies()[-1] and "Nothing ran" in action.replies()[-1]
    action.say("/wo budget\n/wo fix one more")
    assert len(agent_calls(record)) == 5 and fake.issues[1]["labels"] == ["wo:passed"]


def test_the_daily_cap_holds_across_work_orders_and_runners(action, claude, tmp_path):
    record = claude("budgets:\n  daily_max_cost_usd: 0.015\n")
    fake = action.fake
    for n in (2, 3):
        fake.add_issue(n, "Add subtract to calc", WORK_ORDER, ["wo:ready"])
    action.handle(labeled(1))
    assert fake.issues[1]["labels"] == ["wo:passed"]
    [ledger] = [n for n, i in fake.issues.items() if "wo:spend" in i["labels"]]
    assert fake.issues[ledger]["user"] == fake.bot_login

    action.env["WORKORDER_STATE_DIR"] = str(tmp_path / "another-runner")  # nothing local is shared
    action.handle(labeled(2))
    s2 = state_of(action, 2)
    assert fake.issues[2]["labels"] == ["wo:blocked"] and s2.failure.kind == "budget_exhausted"
    assert "the repository's daily cost cap of $0.015 is spent ($0.0246 recorded today, UTC)" in s2.failure.detail
    entries = [json.loads(c["body"].rsplit("<!-- workorder:spend ", 1)[1].rsplit(" -->", 1)[0])
               for c in fake.issue_comments(ledger)]
    assert sorted((e["issue"], e["usage"]["cost_usd"]) for e in entries) == [(1, CALL_COST), (2, CALL_COST)]

    action.handle(labeled(3))
    assert fake.issues[3]["labels"] == ["wo:blocked"] and len(agent_calls(record)) == 2, "refused before running"
    assert state_of(action, 3).failure.kind == "budget_exhausted"


def test_only_the_bots_ledger_entries_count(action, claude):
    """A forged entry by someone else (claiming the day's cap is spent, or hiding spend) changes nothing."""
    record = claude("budgets:\n  daily_max_cost_usd: 0.015\n")
    fake = action.fake
    action.handle(labeled(1))
    [ledger] = [n for n, i in fake.issues.items() if "wo:spend" in i["labels"]]
    forged = SpendEntry(day=datetime.now(UTC).date().isoformat(), issue=9, usage=Usage(cost_usd=5)).model_dump_json()
    fake.add_comment(ledger, "mallory", f"<!-- workorder:spend {forged} -->")
    fake.add_issue(2, "Add subtract to calc", WORK_ORDER, ["wo:ready"])
    action.handle(labeled(2))
    assert len(agent_calls(record)) == 2, "the forged $5 did not stop the second work order before it ran"


def entry_body(day: str, issue: int, cost: float) -> str:
    return f"x\n<!-- workorder:spend {SpendEntry(day=day, issue=issue, usage=Usage(cost_usd=cost)).model_dump_json()} -->"


def test_the_ledger_sums_every_bot_ledger_of_the_month_and_records_once_per_order_and_day():
    """Two runners that opened the month's ledger at once leave two issues: both count. Last month's entries,
    another month's ledger and anything not the bot's do not."""
    import responses

    from fakegithub import FakeGitHub
    from workorder.github.forge import GitHubForge
    from workorder.handlers.spend_ledger import ledger_marker, read_ledger, record_spend
    from workorder.loop.outbox import Outbox
    from workorder.templates import Templates

    fake = FakeGitHub()
    bot = fake.bot_login
    fake.add_issue(5, "ledger", ledger_marker("2026-12") + "\n", ["wo:spend"], author=bot)
    fake.add_issue(6, "ledger", ledger_marker("2026-12") + "\n", ["wo:spend"], author=bot)
    fake.add_issue(7, "old", ledger_marker("2026-11") + "\n", ["wo:spend"], author=bot)
    fake.add_issue(8, "forged", ledger_marker("2026-12") + "\n", ["wo:spend"], author="mallory")
    fake.add_comment(5, bot, entry_body("2026-12-07", 1, 0.5))
    fake.add_comment(6, bot, entry_body("2026-12-07", 2, 0.25))
    fake.add_comment(6, bot, entry_body("2026-12-06", 3, 9.0))  # yesterday
    fake.add_comment(7, bot, entry_body("2026-11-30", 4, 9.0))
    fake.add_comment(8, bot, entry_body("2026-12-07", 9, 9.0))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.install(rsps)
        forge = GitHubForge("t", fake.repo, seconds_between_requests=None, seconds_between_writes=None)
        ledger = read_ledger(forge, bot, "wo:", "2026-12")
        assert ledger.total("2026-12-07").cost_usd == 0.75 and ledger.issues == [5, 6]
        writes = len([c for c in fake.calls if c[0] != "GET"])
        record_spend(Outbox(forge), Templates(), ledger, "wo:", 2, "2026-12-07", Usage(cost_usd=0.25))
        record_spend(Outbox(forge), Templates(), ledger, "wo:", 1, "2026-12-08", Usage(cost_usd=0.1))
        record_spend(Outbox(forge), Templates(), ledger, "wo:", 1, "2026-12-08", Usage())  # nothing spent: no write
        again = read_ledger(forge, bot, "wo:", "2026-12")
    assert len([c for c in fake.calls if c[0] != "GET"]) == writes + 2, "one edit, one new entry"
    assert again.total("2026-12-07").cost_usd == 1.0 and again.total("2026-12-08").cost_usd == 0.1
    assert len(fake.issue_comments(6)) == 2, "issue 2's entry was edited in place"
