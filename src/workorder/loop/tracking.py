"""The issue's state on the forge: its state label and its one tracking comment."""

from __future__ import annotations

from typing import Any

from ..contracts.forge import Comment, Forge, LabelSpec
from .state import (
    LABEL_STYLE,
    TRACKING_MARKER,
    LabelNames,
    State,
    TrackingState,
    check_transition,
    decode_state,
    encode_state,
)
from ..templates import Templates
from ..templates.untrusted import trusted

MAX_COMMENT_CHARS = 65000  # GitHub refuses comment bodies over 65,536 characters


class Tracker:
    """Keeps one issue's state label and tracking comment in step with a :class:`TrackingState`.

    ``forge`` is where it writes; ``labels`` names the state labels; ``bot_login`` is the account the
    action posts as (only its comments are trusted to carry state); ``issue_labels`` are the labels
    the issue has now; ``view`` holds values every render of the comment gets (a local run's ``local``,
    see templates/tracking_comment.md.j2). Labels are added and removed one at a time, never replaced wholesale.
    """

    def __init__(
        self,
        forge: Forge,
        number: int,
        labels: LabelNames,
        bot_login: str,
        templates: Templates,
        issue_labels: tuple[str, ...] = (),
        view: dict[str, Any] | None = None,
    ):
        self.forge = forge
        self.number = number
        self.names = labels
        self.bot_login = bot_login
        self.templates = templates
        self.issue_labels = set(issue_labels)
        self.view = dict(view or {})
        self.comment_id: int | None = None
        self._body: str | None = None
        self.labels_fresh = False  # issue_labels were just read (labels_read): the next set_state may replace them
        self.unreadable = False  # the bot's tracking comment was found but holds no valid state

    # -- tracking comment ------------------------------------------------------------------
    def load(self) -> TrackingState | None:
        """The hidden state of the tracking comment, or None when there is no (valid) one."""
        return self.load_from(self.forge.list_comments(self.number))

    def load_from(self, comments: list[Comment]) -> TrackingState | None:
        """Like :meth:`load`, from an already listed set of the issue's comments. Only the first
        comment by the bot that starts with the marker counts (where :meth:`publish` puts it): anyone
        else's is never trusted, and the state block is read only at the end (:func:`decode_state`)."""
        for comment in comments:
            if comment.author == self.bot_login and comment.body.startswith(TRACKING_MARKER):
                self.comment_id = comment.id
                self._body = comment.body
                state = decode_state(comment.body)
                self.unreadable = state is None  # ours, but no single state block at its end
                return state
        return None

    def publish(self, state: TrackingState, **view: Any) -> None:
        """Render the tracking comment for ``state`` (plus ``view`` values for the template) and create
        it, or edit it in place when its text changed (an unchanged comment costs no request)."""
        body = self.templates.render("tracking_comment.md.j2", s=state, marker=trusted(TRACKING_MARKER),
                                     **{**self.view, **view})
        if not body.startswith(TRACKING_MARKER):  # an overridden template may put it elsewhere
            body = TRACKING_MARKER + "\n" + body
        if len(body) > MAX_COMMENT_CHARS:
            body = body[: MAX_COMMENT_CHARS - 200] + "\n\n…(truncated)\n"
        body = body + "\n" + encode_state(state) + "\n"
        if self.comment_id is None:
            self.comment_id = self.forge.create_comment(self.number, body).id
        elif body != self._body:
            self.forge.edit_comment(self.number, self.comment_id, body)
        self._body = body

    # -- state label -----------------------------------------------------------------------
    def current_state(self) -> State | None:
        """The state its labels show (the furthest along if several are present), or None."""
        states = self.names.states_in(self.issue_labels)
        return states[-1] if states else None

    def labels_read(self, labels: tuple[str, ...]) -> None:
        """The issue's labels as just read from the forge: the next :meth:`set_state` may replace the
        whole set in one request, since nothing can have changed them in between."""
        self.issue_labels = set(labels)
        self.labels_fresh = True

    def set_state(self, state: TrackingState, new: State, *, check: bool = True) -> None:
        """Move to ``new``: check the transition, put its label on and every other state label off.

        Right after :meth:`labels_read` that is one request (the whole set replaced); otherwise the labels
        may have changed since they were read (a person's label added meanwhile must stay), so the label
        is added and each other state label removed. A label GitHub creates on the way gets its style
        (:data:`LABEL_STYLE`). Updates ``state.state``. Raises
        :class:`workorder.loop.state.IllegalTransition` for a move the table does not allow (unless
        ``check`` is False, for repairs).
        """
        if check:
            check_transition(state.state, new)
        name = self.names.label(new)
        others = [self.names.label(o) for o in self.names.states_in(self.issue_labels) if o is not new]
        color, description = LABEL_STYLE[new]
        style = (LabelSpec(name=name, color=color, description=description),)
        fresh, self.labels_fresh = self.labels_fresh, False
        if fresh and (others or name not in self.issue_labels):
            keep = sorted((self.issue_labels - set(others)) | {name})
            self.forge.write_labels(self.number, tuple(keep), replace=True, styles=style)
            self.issue_labels = set(keep)
        else:
            if name not in self.issue_labels:
                self.forge.write_labels(self.number, (name,), replace=False, styles=style)
                self.issue_labels.add(name)
            for other in others:
                self.forge.remove_label(self.number, other)
                self.issue_labels.discard(other)
        state.state = new
