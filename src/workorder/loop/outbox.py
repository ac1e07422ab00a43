"""What a handler asks to write to GitHub, as data; one writer (:class:`Outbox`) writes it.

Handlers and commands decide; they return (or queue) :data:`Write` values instead of calling the
forge's write methods. :class:`Outbox` is the one place those writes reach the forge, so a new kind of
GitHub write (a check run beside the commit status, say) is added in one module, and a test can read
what a handler would write without a forge at all.

Writes that need GitHub's answer at once (a command's claim comment, whose id decides who holds the
claim) go through :meth:`Outbox.write_now`; every other write is queued with :meth:`Outbox.queue` and
written, in order, by :meth:`Outbox.flush`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from ..contracts.forge import Comment, Forge, Issue, StatusState


@dataclass(frozen=True)
class PostComment:
    """A new comment ``body`` on issue or pull request ``thread``."""

    thread: int
    body: str


@dataclass(frozen=True)
class EditComment:
    """Replace comment ``comment_id`` on ``thread`` with ``body``."""

    thread: int
    comment_id: int
    body: str


@dataclass(frozen=True)
class AddLabel:
    """Add label ``name`` to issue or pull request ``number``."""

    number: int
    name: str


@dataclass(frozen=True)
class RemoveLabel:
    """Remove label ``name`` from ``number`` (no error when it is not there)."""

    number: int
    name: str


@dataclass(frozen=True)
class AddReaction:
    """A reaction ``content`` (GitHub's names: ``eyes``, ``+1`` ...) on comment ``comment_id`` of ``thread``."""

    thread: int
    comment_id: int
    content: str


@dataclass(frozen=True)
class OpenIssue:
    """A new issue with ``title``, ``body`` and ``labels``."""

    title: str
    body: str
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class EditIssueBody:
    """Replace issue ``number``'s body with ``body``."""

    number: int
    body: str


@dataclass(frozen=True)
class DeleteBranch:
    """Delete branch ``name`` of the repository."""

    name: str


@dataclass(frozen=True)
class SetStatus:
    """A commit status on ``sha``: ``state``, ``context``, ``description`` (≤140 characters, GitHub's
    limit) and an optional ``target_url``. See https://docs.github.com/en/rest/commits/statuses."""

    sha: str
    state: StatusState
    context: str
    description: str
    target_url: str | None = None


Write = Union[PostComment, EditComment, AddLabel, RemoveLabel, AddReaction, OpenIssue, EditIssueBody,
              DeleteBranch, SetStatus]


def write(forge: Forge, item: Write) -> Comment | Issue | None:
    """Perform one ``item`` on ``forge``; returns the created comment or issue, else None.

    Raises :class:`workorder.contracts.forge.ForgeError` when the forge refuses or keeps failing, and
    TypeError for a value that is not a :data:`Write`."""
    if isinstance(item, PostComment):
        return forge.create_comment(item.thread, item.body)
    if isinstance(item, EditComment):
        forge.edit_comment(item.thread, item.comment_id, item.body)
    elif isinstance(item, AddLabel):
        forge.add_label(item.number, item.name)
    elif isinstance(item, RemoveLabel):
        forge.remove_label(item.number, item.name)
    elif isinstance(item, AddReaction):
        forge.add_reaction(item.thread, item.comment_id, item.content)
    elif isinstance(item, OpenIssue):
        return forge.create_issue(item.title, item.body, item.labels)
    elif isinstance(item, EditIssueBody):
        forge.edit_issue_body(item.number, item.body)
    elif isinstance(item, DeleteBranch):
        forge.delete_branch(item.name)
    elif isinstance(item, SetStatus):
        forge.set_commit_status(item.sha, item.state, item.context, item.description[:140], item.target_url)
    else:
        raise TypeError(f"not a write: {item!r}")
    return None


@dataclass
class Outbox:
    """The one writer of a run's handler writes: ``forge`` is where they go; ``pending`` holds the
    queued ones, oldest first; ``written`` records every write performed (for tests and the run record)."""

    forge: Forge
    pending: list[Write] = field(default_factory=list)
    written: list[Write] = field(default_factory=list)

    def queue(self, *items: Write) -> None:
        """Queue ``items`` to be written by :meth:`flush`, in order."""
        self.pending.extend(items)

    def write_now(self, item: Write) -> Comment | Issue | None:
        """Write ``item`` at once (after writing anything queued, to keep the order); returns what
        :func:`write` returns. Raises ForgeError as :func:`write` does."""
        self.flush()
        result = write(self.forge, item)
        self.written.append(item)
        return result

    def flush(self) -> int:
        """Write every queued item, oldest first; returns how many were written. On ForgeError the
        failed item and the ones after it stay queued and the error propagates."""
        count = 0
        while self.pending:
            write(self.forge, self.pending[0])
            self.written.append(self.pending.pop(0))
            count += 1
        return count
