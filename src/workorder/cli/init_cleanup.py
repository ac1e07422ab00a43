"""``workorder init --cleanup-workflow``: the optional scheduled retention workflow,
``.github/workflows/workorder-cleanup.yml`` (templates/init/cleanup-workflow.yml.j2), which runs the action's
``mode: cleanup`` (``workorder cleanup``, :mod:`workorder.cli.cleanup`) once a week with the least permissions it
needs (contents: write to delete branches; issues and pull-requests: read to know which are done), the action
pinned like the main workflow's, and dry-run unless ``--cleanup-apply``."""

from __future__ import annotations

from .init import ACTION, EXAMPLE_SHA, EXAMPLE_VERSION, SHA, _environment

CLEANUP_WORKFLOW_PATH = ".github/workflows/workorder-cleanup.yml"
CLEANUP_CRON = "17 4 * * 1"  # Mondays 04:17 UTC: off the hour, when GitHub's scheduler is least loaded


def render_cleanup_workflow(action_ref: str = EXAMPLE_SHA, version: str = EXAMPLE_VERSION, days: int = 30,
                            apply: bool = False, example: bool = False, cron: str = CLEANUP_CRON) -> str:
    """The cleanup workflow's text. ``action_ref`` is a tag or a 40-hex commit SHA (pinned, with ``# <version>``);
    ``days`` the run records kept; ``apply`` False writes ``dry-run: "true"`` (it only prints what would go);
    ``example`` renders examples/cleanup-workflow.yml's header. Raises ValueError when ``days`` < 1."""
    if days < 1:
        raise ValueError("--cleanup-days must be at least 1")
    from ..contracts.config import RepoConfig

    values = {"action": ACTION, "ref": action_ref, "pinned": bool(SHA.fullmatch(action_ref)),
              "version": version or EXAMPLE_VERSION, "example": example, "days": days, "apply": apply, "cron": cron,
              "branch_prefix": RepoConfig().branch_prefix}
    return _environment().get_template("cleanup-workflow.yml.j2").render(**values)
