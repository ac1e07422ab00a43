"""The order that was approved is the order that runs.

A work order is approved when a person with the configured permission adds the trigger label: the
body it runs is the one in that ``labeled`` event's payload (what GitHub sent when the label was
added), never the body as it is when the run reads the issue later. Its hash locks it
(``TrackingState.work_order_hash``); a later run of the same work order (retry, answer, fix, a
push) refuses a body that no longer hashes to the lock (:func:`workorder.handlers.session.order_refusal`),
and an edit by someone without that permission is refused with a reply
(:mod:`workorder.handlers.edited`). Only a permitted person's ``/wo unlock`` or ``/wo start`` (or the
label again) approves a new version.
"""

from __future__ import annotations

from dataclasses import replace

from ..contracts.events import IssuesEvent
from ..contracts.forge import Issue
from ..inputs.problems import InvalidInput
from ..contracts.workorder import parse_work_order_body


def approved_issue(event: IssuesEvent, issue: Issue) -> Issue:
    """``issue`` as read now, with the title and body of the ``labeled`` event that approved it (the payload's)."""
    return replace(issue, body=event.issue.body, title=event.issue.title or issue.title)


def order_hash(body: str | None) -> str | None:
    """The lock hash of a work order body, or None when it does not parse."""
    try:
        return parse_work_order_body(body).content_hash()
    except InvalidInput:
        return None
