"""Why a work-order loop stops outside its phases, as a :class:`workorder.loop.state.Failure`.

Two causes: an error (git, the forge, the OS) ends the run as blocked with the redacted error; at a
phase boundary, a work order edited while the loop ran (the lock) or a ``blocked`` label a person
set stops it. The loop (:mod:`workorder.loop.engine`) records, publishes and journals what these return.
"""

from __future__ import annotations

from ..contracts.forge import Forge, ForgeError, Issue
from ..inputs.problems import InvalidInput
from ..agents.runner import redact
from .state import Failure, State
from ..templates import Templates
from .tracking import Tracker
from ..contracts.workorder import parse_work_order_body


def error_failure(exc: Exception, secrets: tuple[str, ...], templates: Templates) -> Failure:
    """The failure of error ``exc``, its text with every string of ``secrets`` redacted. Its kind is
    the error's ``kind`` (IsolationUnavailable: "isolation"), else "error". A GitHub refusal
    (:class:`workorder.contracts.forge.ForgeError`) names the call and what to fix (templates/github_error.txt.j2)
    and is ``transient`` when a re-run of the same event or ``/wo retry`` can go on."""
    kind = getattr(exc, "kind", "error")
    detail = redact(str(exc), secrets)
    transient = isinstance(exc, ForgeError) and exc.transient
    if isinstance(exc, ForgeError):
        detail = templates.render_line("github_error.txt.j2", error=detail, call=exc.call,
                                       status=exc.status, transient=transient)
    return Failure(kind=kind, detail=detail, transient=transient)


def boundary_failure(forge: Forge, tracker: Tracker, number: int, work_order_hash: str | None) -> tuple[Failure | None, Issue]:
    """Read issue ``number`` again at a phase boundary (one forge call) and refresh ``tracker``'s view
    of its labels. Returns the failure that stops the loop (kind ``work_order_edited`` when its work
    order no longer hashes to ``work_order_hash`` or no longer parses, ``aborted`` when it carries the
    blocked label) or None to go on, and the issue as read. Raises ForgeError when the read fails."""
    issue = forge.get_issue(number)
    tracker.labels_read(issue.labels)
    try:
        edited = parse_work_order_body(issue.body).content_hash() != work_order_hash
    except InvalidInput:
        edited = True
    if edited:
        return Failure(kind="work_order_edited", detail="the work order was edited while the loop ran"), issue
    if tracker.names.label(State.BLOCKED) in issue.labels:
        return Failure(kind="aborted", detail="a person stopped the loop"), issue
    return None, issue
