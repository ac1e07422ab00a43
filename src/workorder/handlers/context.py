"""What every handler gets: the forge, the repo config, templates, and how to build the loop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..config import RepoConfig
from ..forge import Forge
from ..loop import LoopDeps
from ..outcome import Outcome
from ..problems import Problem
from ..templates import Templates


@dataclass(frozen=True)
class HandlerContext:
    """Built by the entry point for one event.

    forge: None in a dry run without a token. config: the repo config from the default branch (the
    defaults when there is no file); config_problems: why it is invalid, when it is (then ``config``
    holds the defaults and nothing runs). loop_deps: builds the loop's dependencies on demand (it
    creates folders, so a dry run never calls it). bot_login: the account the action posts as.
    """

    templates: Templates
    config: RepoConfig
    bot_login: str
    forge: Forge | None = None
    config_problems: list[Problem] = field(default_factory=list)
    config_source: str = ".github/workorder.yml"
    loop_deps: Callable[[], LoopDeps] | None = None
    dry_run: bool = False
    target_issue: int | None = None  # workflow_dispatch in a matrix job: the one work order to run

    def reason(self, code: str, **values: Any) -> str:
        """The words for reason ``code`` (rendered from templates/reason.txt.j2)."""
        return self.templates.render_line("reason.txt.j2", code=code, **values)

    def outcome(self, event: str, action: str | None, decision: str, code: str, **values: Any) -> Outcome:
        """An :class:`Outcome` with the reason ``code`` rendered into words."""
        issue = values.pop("issue_number", None)
        extra = {k: values.pop(k) for k in ("steps", "problems", "state", "matrix", "started") if k in values}
        return Outcome(
            event=event, action=action, decision=decision, reason_code=code,
            reason=self.reason(code, event=event, action=action, issue=issue, **values), issue=issue, **extra,
        )
