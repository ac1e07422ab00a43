"""A work order file on disk: what ``workorder validate FILE`` and ``workorder run FILE`` read.

Two formats are accepted (the contract in docs/work-order.md and README "Work order format"):

* a work order body, as an issue body would be: YAML front matter with the work order fields, or the
  ``### Heading`` sections of the issue form (:func:`workorder.contracts.workorder.parse_work_order_body`); a
  ``# Title`` line before the sections (or after the front matter) names it;
* a milestone issue file: front matter that also has ``id``, ``title`` and ``milestone`` (and optional
  ``blocked_by`` / ``blocking``), as ``workorder run --milestone`` reads them
  (:func:`workorder.contracts.milestone.parse_issue_file`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .milestone import IssueFileMeta, parse_issue_file
from ..inputs.problems import InvalidInput
from .workorder import WorkOrder, parse_work_order_body

_FRONT = re.compile(r"\A\ufeff?\s*---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_META_LINE = re.compile(r"^(id|title|milestone)[ \t]*:", re.MULTILINE)
_TITLE = re.compile(r"^#[ \t]+(\S.*?)[ \t#]*$", re.MULTILINE)


@dataclass(frozen=True)
class OrderFile:
    """A parsed work order file: the ``order``, its ``title`` (None when the file names none) and, for a
    milestone issue file, its ``meta`` (id, title, milestone, dependencies)."""

    order: WorkOrder
    title: str | None
    meta: IssueFileMeta | None = None


def is_issue_file(text: str) -> bool:
    """True when ``text`` has front matter with a top-level ``id``, ``title`` or ``milestone`` key (a
    milestone issue file, :mod:`workorder.contracts.milestone`)."""
    front = _FRONT.match(text.replace("\r\n", "\n"))
    return bool(front and _META_LINE.search(front.group(1)))


def parse_order_file(path: str, text: str) -> OrderFile:
    """Parse the work order file ``path`` (repo-relative or as given; used in messages) with content
    ``text``, in either format (see the module docstring).

    Returns the :class:`OrderFile`. Raises :class:`InvalidInput` listing every problem by field, as
    ``validate`` prints them (a milestone issue file's problems without its path prefix).
    """
    if is_issue_file(text):
        issue, problems = parse_issue_file(path, text)
        if issue is None:
            prefix = f"{path}: "
            raise InvalidInput("work order", [p.model_copy(update={"field": p.field.removeprefix(prefix)})
                                              for p in problems])
        return OrderFile(order=issue.order, title=issue.meta.title, meta=issue.meta)
    order = parse_work_order_body(text)
    return OrderFile(order=order, title=_title_of(text))


def _title_of(text: str) -> str | None:
    """The first ``# Title`` line outside the front matter and outside code fences, if any."""
    front = _FRONT.match(text)
    rest = text[front.end():] if front else text
    in_fence = False
    for line in rest.splitlines():
        if line.strip().startswith("```"):
            in_fence = not in_fence
        match = None if in_fence else _TITLE.match(line)
        if match:
            return match.group(1)[:200]
    return None


__all__ = ["OrderFile", "is_issue_file", "parse_order_file"]
