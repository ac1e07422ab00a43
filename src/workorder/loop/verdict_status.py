"""The one writer of the verdict's commit status (context :data:`STATUS_CONTEXT`, the check that gates the merge).

Every status the action sets goes through :func:`write_status`: the publisher's verdict status
(:class:`workorder.loop.publisher.Publisher`), the pending status while a pushed head is reviewed
(:mod:`workorder.loop.engine`) and the success of ``/wo approve`` (:func:`set_approved`). A check run beside
the status is added here, in this one module. GitHub's limit on a description is 140 characters
(https://docs.github.com/en/rest/commits/statuses); the text comes from ``status_description.txt.j2``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..contracts.forge import Forge, StatusState
from ..contracts.packet import Verdict
from .state import STATUS_CONTEXT

if TYPE_CHECKING:
    from ..templates import Templates
    from .state import TrackingState

__all__ = ["MAX_DESCRIPTION", "STATUS_CONTEXT", "describe", "is_current", "set_approved", "set_pending",
           "write_status"]

MAX_DESCRIPTION = 140  # GitHub refuses a longer commit status description


def describe(templates: Templates, s: TrackingState, verdict: Verdict | None, awaiting: bool) -> str:
    """The status description for ``verdict`` (None: the review is running) in state ``s``; ``awaiting``: a
    PASS waits for a person's approval. ``status_description.txt.j2`` rendered on one line, cut to 140."""
    return templates.render_line("status_description.txt.j2", verdict=verdict, s=s, awaiting=awaiting)[:MAX_DESCRIPTION]


def write_status(forge: Forge, sha: str, state: StatusState, description: str, target_url: str | None) -> None:
    """Set the verdict status (:data:`STATUS_CONTEXT`) of commit ``sha`` to ``state`` with ``description``
    (cut to 140 characters) linking ``target_url``. Raises ForgeError as the forge does."""
    forge.set_commit_status(sha, state, STATUS_CONTEXT, description[:MAX_DESCRIPTION], target_url)


def is_current(forge: Forge, sha: str, state: str, description: str) -> bool:
    """True when ``sha`` already carries the verdict status ``state`` with ``description`` (a re-run after a
    kill writes nothing twice). Raises ForgeError as the forge does."""
    wanted = (STATUS_CONTEXT, state, description[:MAX_DESCRIPTION])
    return any((c.context, c.state, c.description) == wanted for c in forge.commit_statuses(sha))


def set_pending(forge: Forge, templates: Templates, s: TrackingState, sha: str, target_url: str | None) -> None:
    """The pending status on ``sha`` while the gates review a head a person pushed. Raises ForgeError."""
    write_status(forge, sha, "pending", describe(templates, s, None, False), target_url)


def set_approved(forge: Forge, templates: Templates, s: TrackingState, sha: str) -> None:
    """The success status on ``sha`` once a person approved that head (``/wo approve``), linking the run of
    ``s``. Raises ForgeError."""
    write_status(forge, sha, "success", describe(templates, s, Verdict(verdict="PASS"), False), s.run_url)
