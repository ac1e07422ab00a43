"""The spend ledger: what every work order of the repository spent per UTC day, on GitHub, for the daily caps
(``budgets.daily_max_cost_usd``, ``budgets.daily_max_tokens``; :mod:`workorder.loop.budgets`).

Where it lives: one issue per calendar month opened by the bot, labelled ``<label_prefix>spend`` and marked
``<!-- workorder:spend-ledger YYYY-MM -->``. Each work order that spent on a day has one bot comment there
(``templates/spend_entry.md.j2``) ending in a hidden block ``<!-- workorder:spend {json} -->``: day, issue,
tokens in and out, turns, cost. Only the bot's own issues and comments count.

Why comments on one issue: each work order's entry is written only by that work order's runs, which the
workflow's concurrency group runs one at a time, so concurrent runners (a milestone's matrix jobs) never
write the same object and no update is lost (one shared body would lose one of two concurrent edits). Two
runners that both open the month's ledger leave two issues; the reader sums both. Cost: reading is one
listing of the ledger issues plus one of each of the month's ledgers' comments (100 entries a page); recording
is one comment created or edited (plus the issue, once a month).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from pydantic import BaseModel, ValidationError

from ..contracts.forge import Forge
from ..loop.outbox import EditComment, OpenIssue, Outbox, PostComment
from ..presets import Usage
from ..templates import Templates
from ..templates.untrusted import trusted

LEDGER_LABEL_SUFFIX = "spend"
_ENTRY = re.compile(r"<!-- workorder:spend (\{[^\n]*\}) -->\s*\Z")


def ledger_marker(month: str) -> str:
    """The hidden marker that names the ledger issue of ``month`` (YYYY-MM)."""
    return f"<!-- workorder:spend-ledger {month} -->"


class SpendEntry(BaseModel):
    """One work order's spend on one UTC ``day`` (YYYY-MM-DD): issue number and its usage that day."""

    day: str
    issue: int
    usage: Usage


@dataclass
class Ledger:
    """The month's ledger as read: the ledger issue numbers (oldest first) and every entry by (issue, day)
    with the id of the comment that holds it."""

    month: str
    issues: list[int] = field(default_factory=list)
    entries: dict[tuple[int, str], tuple[int, int, SpendEntry]] = field(default_factory=dict)  # → (ledger, comment id, entry)

    def total(self, day: str) -> Usage:
        """The repository's usage on ``day`` (YYYY-MM-DD), over every work order's entry."""
        total = Usage()
        for (_, entry_day), (_, _, entry) in self.entries.items():
            if entry_day == day:
                total = total + entry.usage
        return total


def _entry_of(body: str) -> SpendEntry | None:
    match = _ENTRY.search(body or "")
    if not match:
        return None
    try:
        return SpendEntry.model_validate(json.loads(match.group(1)))
    except (ValueError, ValidationError, RecursionError):
        return None


def read_ledger(forge: Forge, bot_login: str, label_prefix: str, month: str) -> Ledger:
    """The ledger of ``month`` (YYYY-MM) on the forge: the bot's open issues labelled ``<label_prefix>spend``
    with the month's marker, and the bot's entries in their comments. Raises ForgeError."""
    ledger = Ledger(month=month)
    marker = ledger_marker(month)
    for issue in sorted(forge.list_issues(labels=(f"{label_prefix}{LEDGER_LABEL_SUFFIX}",)), key=lambda i: i.number):
        if issue.author != bot_login or not (issue.body or "").startswith(marker):
            continue
        ledger.issues.append(issue.number)
        for comment in forge.list_comments(issue.number):
            entry = _entry_of(comment.body) if comment.author == bot_login else None
            if entry is not None and entry.day.startswith(month):
                ledger.entries.setdefault((entry.issue, entry.day), (issue.number, comment.id, entry))
    return ledger


def record_spend(outbox: Outbox, templates: Templates, ledger: Ledger, label_prefix: str, issue: int, day: str,
                 spent: Usage) -> None:
    """Add ``spent`` to work order ``issue``'s entry of ``day`` in ``ledger`` (written through ``outbox``, the one writer; read by :func:`read_ledger`
    for the day's month): edit the entry's comment, or create it (and the month's ledger issue when there is
    none yet). Nothing when nothing was spent. Updates ``ledger``. Raises ForgeError."""
    if not (spent.cost_usd or spent.tokens or spent.turns):
        return
    found = ledger.entries.get((issue, day))
    usage = found[2].usage + spent if found else spent
    entry = SpendEntry(day=day, issue=issue, usage=usage)
    body = _entry_body(templates, entry)
    if found:
        outbox.write_now(EditComment(found[0], found[1], body))
        ledger.entries[(issue, day)] = (found[0], found[1], entry)
        return
    if not ledger.issues:
        text = templates.render("spend_ledger.md.j2", marker=trusted(ledger_marker(ledger.month)), month=ledger.month)
        title = templates.render_line("spend_ledger_title.txt.j2", month=ledger.month)
        ledger.issues.append(outbox.write_now(OpenIssue(title, text, (f"{label_prefix}{LEDGER_LABEL_SUFFIX}",))).number)
    comment = outbox.write_now(PostComment(ledger.issues[0], body))
    ledger.entries[(issue, day)] = (ledger.issues[0], comment.id, entry)


def _entry_body(templates: Templates, entry: SpendEntry) -> str:
    """The entry comment: templates/spend_entry.md.j2, then the hidden data block as its last line."""
    payload = entry.model_dump_json().replace("<", "\\u003c").replace(">", "\\u003e")
    text = templates.render("spend_entry.md.j2", entry=entry).rstrip("\n")
    return f"{text}\n<!-- workorder:spend {payload} -->"
