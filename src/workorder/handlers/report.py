"""The outcome report: per work order and in total, cycles, cost, time to PASS, PASS → merged rate and FAIL
reasons by rule, read from the tracking states on the forge (the hidden state of each issue's tracking comment,
:mod:`workorder.loop.state`) and the work branches' pull requests. Only the bot's tracking comments count."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from pydantic import BaseModel, Field

from ..contracts.forge import Forge
from ..loop.state import TRACKING_MARKER, TrackingState, decode_state
from ..presets import Usage

__all__ = ["OrderOutcome", "Report", "add_totals", "build_report", "hours_between"]


class OrderOutcome(BaseModel):
    """One work order's figures: issue number and title, state, cycles run, cost (US dollars) and tokens,
    hours from the loop's start to PASS (None without a PASS), whether its pull request was merged, FAIL
    findings by rule."""

    number: int
    title: str
    state: str
    cycles: int
    cost_usd: float
    tokens: int
    hours_to_pass: float | None = None
    passed: bool = False
    merged: bool = False
    fail_rules: dict[str, int] = Field(default_factory=dict)


class Report(BaseModel):
    """The report: ``orders`` and the totals (work orders, cycles, cost, PASSed, merged of the PASSed, mean
    hours to PASS, FAIL findings by rule, most first)."""

    since: str | None = None
    orders: list[OrderOutcome] = Field(default_factory=list)
    total_cycles: int = 0
    total_cost_usd: float = 0.0
    passed: int = 0
    merged: int = 0
    mean_hours_to_pass: float | None = None
    fail_rules: dict[str, int] = Field(default_factory=dict)

    @property
    def merge_rate(self) -> float | None:
        """Merged PRs per PASSed work order (None when nothing PASSed)."""
        return self.merged / self.passed if self.passed else None


def _tracking_state(forge: Forge, number: int, bot_login: str) -> TrackingState | None:
    for comment in forge.list_comments(number):
        if comment.author == bot_login and TRACKING_MARKER in comment.body:
            return decode_state(comment.body)
    return None


def hours_between(start: str | None, end: str | None) -> float | None:
    """Hours from ISO time ``start`` to ``end``, to 0.01 (None when either is missing or not a time)."""
    if not start or not end:
        return None
    try:
        return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 3600, 2)
    except ValueError:
        return None


def spent_by(s: TrackingState) -> Usage:
    """What a work order spent over all its runs (``order_usage``), or, in a state written before that was
    recorded, its last loop's ``usage``."""
    return s.order_usage if s.order_usage.cost_usd or s.order_usage.tokens else s.usage


def _outcome(forge: Forge, number: int, title: str, s: TrackingState) -> OrderOutcome:
    passed = s.verdict == "PASS" or s.passed_at is not None
    pr = forge.find_pull_request(s.branch) if s.branch and passed else None
    spent = spent_by(s)
    return OrderOutcome(number=number, title=title, state=s.state.value, cycles=s.cycle, cost_usd=spent.cost_usd,
                        tokens=spent.tokens, hours_to_pass=hours_between(s.started_at, s.passed_at) if passed else None,
                        passed=passed, merged=bool(pr and pr.merged), fail_rules=dict(s.fail_rules or {}))


def build_report(forge: Forge, bot_login: str, since: datetime | None = None) -> Report:
    """The report over every issue (open and closed) with a tracking state of ``bot_login``, leaving out work
    orders started before ``since`` (timezone-aware; those with no start time are kept). Raises ForgeError."""
    issues = sorted(forge.list_issues(state="open") + forge.list_issues(state="closed"), key=lambda i: i.number)
    report = Report(since=since.isoformat() if since else None)
    rules: Counter[str] = Counter()
    for issue in issues:
        s = _tracking_state(forge, issue.number, bot_login)
        if s is None or (since and s.started_at and datetime.fromisoformat(s.started_at) < since):
            continue
        o = _outcome(forge, issue.number, issue.title, s)
        report.orders.append(o)
        rules.update(o.fail_rules)
    add_totals(report)
    report.fail_rules = dict(rules.most_common())
    return report


def add_totals(report: Report) -> Report:
    """Set ``report``'s totals (cycles, cost, PASSed, merged of the PASSed, mean hours to PASS) from its
    ``orders``; returns it. The milestone board shows the same figures (:mod:`workorder.handlers.board`)."""
    hours = [o.hours_to_pass for o in report.orders if o.hours_to_pass is not None]
    report.total_cycles = sum(o.cycles for o in report.orders)
    report.total_cost_usd = round(sum(o.cost_usd for o in report.orders), 6)
    report.passed = sum(o.passed for o in report.orders)
    report.merged = sum(o.merged for o in report.orders if o.passed)
    report.mean_hours_to_pass = round(sum(hours) / len(hours), 2) if hours else None
    return report
