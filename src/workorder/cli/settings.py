"""The entry point's settings: everything ``workorder handle`` takes from its environment, read once.

Nothing else in workorder reads the environment: the Action's inputs arrive as ``WORKORDER_*`` and
``INPUT_*`` variables (action.yml), the run's facts as GitHub's default variables
(docs.github.com/en/actions/reference/variables-reference). Like python-coverage-comment-action's
``Config.from_environ``, one object is built here and passed on.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..inputs.bounded import MAX_ISSUE_NUMBER, parse_bounded_int


@dataclass(frozen=True)
class HandleSettings:
    """What one ``workorder handle`` run is told by its environment and arguments.

    event_name / event_path: the event (``$GITHUB_EVENT_NAME``, ``$GITHUB_EVENT_PATH``; the CLI flags
    override them). token: the action's GitHub token (``WORKORDER_GITHUB_TOKEN``, else
    ``GITHUB_TOKEN``; '' when none); reviewer_token: a second identity for reviews. workspace: the
    checkout (``$GITHUB_WORKSPACE``, else the current folder). state_dir: run records and work trees
    (``$WORKORDER_STATE_DIR``, else ``$RUNNER_TEMP/workorder``). environ: a copy of the whole
    environment, from which the SE runner's and reviewer's scrubbed environments are built.
    """

    event_name: str | None
    event_path: str | None
    token: str = field(default="", repr=False)
    reviewer_token: str = field(default="", repr=False)
    workspace: Path = Path(".")
    repository: str = ""
    server_url: str = "https://github.com"
    api_url: str = "https://api.github.com"
    state_dir: Path = Path(".workorder/workorder")
    run_id: str | None = None
    runner_command: str | None = None
    runner_preset: str = ""
    agent_version: str = ""
    isolation: str = ""  # the action input isolation (WORKORDER_ISOLATION): auto, user or none; '' = the config's
    bot_login: str = "github-actions[bot]"
    target_issue: int | None = None
    throttle: bool = True
    debug: bool = False
    in_actions: bool = False
    step_summary: str | None = None
    output_file: str | None = None
    environ: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], event_name: str | None = None,
                     event_path: str | None = None) -> HandleSettings:
        """Read the settings from ``environ`` (flags ``event_name``/``event_path`` win). Never raises."""
        workspace = Path(environ.get("GITHUB_WORKSPACE") or os.getcwd())
        temp = Path(environ.get("RUNNER_TEMP") or workspace / ".workorder")
        target = environ.get("WORKORDER_ISSUE", "").strip()
        return cls(
            event_name=event_name or environ.get("GITHUB_EVENT_NAME") or None,
            event_path=event_path or environ.get("GITHUB_EVENT_PATH") or None,
            token=environ.get("WORKORDER_GITHUB_TOKEN") or environ.get("GITHUB_TOKEN") or "",
            reviewer_token=environ.get("WORKORDER_REVIEWER_TOKEN") or "",
            workspace=workspace,
            repository=environ.get("GITHUB_REPOSITORY", ""),
            server_url=environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/"),
            api_url=environ.get("GITHUB_API_URL", "https://api.github.com"),
            state_dir=Path(environ.get("WORKORDER_STATE_DIR") or temp / "workorder"),
            run_id=environ.get("GITHUB_RUN_ID") or None,
            runner_command=environ.get("WORKORDER_RUNNER_COMMAND") or None,
            runner_preset=environ.get("WORKORDER_RUNNER_PRESET", "").strip(),
            agent_version=environ.get("WORKORDER_AGENT_VERSION", "").strip(),
            isolation=environ.get("WORKORDER_ISOLATION", "").strip(),
            bot_login=environ.get("WORKORDER_BOT_LOGIN") or "github-actions[bot]",
            target_issue=parse_bounded_int(target, MAX_ISSUE_NUMBER),
            throttle=environ.get("WORKORDER_NO_THROTTLE") != "1",
            debug=environ.get("WORKORDER_DEBUG") == "1",
            in_actions=environ.get("GITHUB_ACTIONS") == "true",
            step_summary=environ.get("GITHUB_STEP_SUMMARY") or None,
            output_file=environ.get("GITHUB_OUTPUT") or None,
            environ=dict(environ),
        )

    def run_url(self, repository: str) -> str | None:
        """The link to this workflow run, or None outside Actions."""
        return f"{self.server_url}/{repository}/actions/runs/{self.run_id}" if self.run_id else None

    def throttle_args(self) -> dict[str, float | None]:
        """GitHubForge's throttling keywords: its defaults, or none when ``WORKORDER_NO_THROTTLE=1``."""
        return {} if self.throttle else {"seconds_between_requests": None, "seconds_between_writes": None}
