"""Before a local milestone run (``workorder run --milestone M``) writes anything: the checks and the plan.

The repository must be a clean git checkout with a valid config at HEAD (read as the default branch
is, :func:`workorder.contracts.defaultbranch.read_default_branch`), the milestone must have valid issue files
(:func:`workorder.contracts.milestone.discover`) and a runner must be configured. The plan is the milestone's
issues in dependency order. ``.workorder/`` (:data:`STATE_DIR`) is kept out of ``git status``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..contracts.config import RepoConfig
from ..contracts.defaultbranch import DefaultBranchFiles, read_default_branch
from ..shell.gitops import Git
from ..contracts.milestone import IssueFile, Ordering, discover, file_dependencies, order_dag
from ..inputs.problems import InvalidInput

STATE_DIR = ".workorder"


class LocalRunError(Exception):
    """The run cannot start. ``code`` says why (not_a_repo, dirty, config, issue_files, empty,
    no_runner); ``problems`` lists every problem of the issue files or config."""

    def __init__(self, code: str, problems: list | None = None, **values: object):
        super().__init__(code)
        self.code = code
        self.problems = problems or []
        self.values = values


@dataclass(frozen=True)
class MilestonePlan:
    """What a checked local run works with: the checkout ``git``, the ``trusted`` files of HEAD
    (config, templates, rules), the milestone's ``issues`` (in file order) and ``by_id``, their
    dependency ``ordering``, and the runner ``command`` (None or empty: the config's preset runs)."""

    git: Git
    trusted: DefaultBranchFiles
    issues: list[IssueFile]
    by_id: dict[int, IssueFile]
    ordering: Ordering
    command: str | None

    @property
    def config(self) -> RepoConfig:
        """The repository's config at HEAD."""
        return self.trusted.config


def ensure_excluded(git: Git) -> None:
    """Keep ``.workorder/`` out of ``git status`` (via .git/info/exclude, never the tracked .gitignore)."""
    exclude = Path(git.run("rev-parse", "--git-path", "info/exclude").strip())
    if not exclude.is_absolute():
        exclude = git.repo / exclude
    exclude.parent.mkdir(parents=True, exist_ok=True)
    text = exclude.read_text() if exclude.exists() else ""
    if f"/{STATE_DIR}/" not in text.split():
        exclude.write_text(text + ("" if text.endswith("\n") or not text else "\n") + f"/{STATE_DIR}/\n")


def plan_milestone(repo: Path, milestone: str, base_env: dict[str, str], runner_command: str | None) -> MilestonePlan:
    """Check ``repo`` and plan the run of ``milestone``; ``base_env`` is the environment of git,
    ``runner_command`` overrides the config's runner command. Writes only ``.git/info/exclude``.

    Raises :class:`LocalRunError` when ``repo`` is not a git checkout with a commit, is dirty, its
    config is invalid, an issue file is invalid (every problem listed), the milestone has no issues,
    or no runner is configured.
    """
    git = Git(repo=repo, env=dict(base_env))
    if git.rev("HEAD") is None:
        raise LocalRunError("not_a_repo", repo=str(repo))
    ensure_excluded(git)
    if git.has_changes():
        raise LocalRunError("dirty", repo=str(repo))
    trusted = read_default_branch(git, "HEAD", ref="HEAD")
    if trusted.problems:
        raise LocalRunError("config", trusted.problems)
    config = trusted.config
    issue_files = config.issue_files
    try:
        issues = [i for i in discover(repo, issue_files, git.run("ls-files").splitlines()) if i.meta.milestone == milestone]
    except InvalidInput as exc:
        raise LocalRunError("issue_files", exc.problems) from None
    if not issues:
        raise LocalRunError("empty", milestone=milestone, pattern=issue_files)
    command = runner_command or config.runner.command
    if not command and config.runner.preset == "command":
        raise LocalRunError("no_runner")
    by_id = {i.meta.id: i for i in issues}
    return MilestonePlan(git, trusted, issues, by_id, order_dag(by_id, file_dependencies(issues)), command)
