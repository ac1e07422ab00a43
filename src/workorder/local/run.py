"""``workorder run --milestone M``: the same loop over issue files in a repository, in dependency order.

Each issue runs in its own worktree under ``.workorder/worktrees/`` and branch ``wo/<id>-<slug>``;
the branches are stacked (each starts where the last PASSed issue of the run ended, like a merge
queue). Run records and the audit log go under ``.workorder/runs/`` at the repo root, state under
``.workorder/forge/`` so a rerun resumes: PASSed issues are skipped unless ``rerun``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from ..loop.audit import Journal, Reporter
from ..shell.gitops import Git
from .forge import LocalForge
from .plan import STATE_DIR, LocalRunError, MilestonePlan, ensure_excluded, plan_milestone
from ..loop.deps import LoopDeps
from ..loop.engine import WorkOrderLoop
from ..contracts.milestone import IssueFile, Ordering
from ..agents.runner import RunnerSpec, scrub_environment
from ..loop.state import LabelNames, State
from ..loop.tracking import Tracker

__all__ = ["STATE_DIR", "IssueResult", "LocalRunError", "MilestoneResult", "ensure_excluded", "issue_body",
           "local_sandbox", "publish_branches", "run_milestone", "run_plan"]

DONE = (State.PASSED, State.APPROVED)
LOCAL_USER = "local"


@dataclass
class IssueResult:
    """One row of the summary: id, title, final state, cycles, verdict, branch, duration (seconds),
    and why it was skipped (None when it ran)."""

    id: int
    title: str
    state: str
    cycles: int = 0
    verdict: str | None = None
    branch: str | None = None
    duration_s: float = 0.0
    skipped: str | None = None
    worktree_kept: bool = False


@dataclass
class MilestoneResult:
    """The whole run: the milestone, the ordering used, one result per issue (in order)."""

    milestone: str
    ordering: Ordering
    results: list[IssueResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every issue of the milestone is PASSed (or approved)."""
        return all(r.state in ("passed", "approved") for r in self.results)


def issue_body(issue: IssueFile) -> str:
    """The work order of an issue file as an issue body (front matter with the work order fields)."""
    front = yaml.safe_dump(issue.order.model_dump(mode="json", exclude_none=True), sort_keys=False)
    return f"---\n{front}---\n"


def run_milestone(repo: Path, milestone: str, base_env: dict[str, str], *, rerun: bool = False,
                  runner_command: str | None = None, reporter: Reporter | None = None,
                  progress: Callable[[int, int, IssueResult], None] | None = None,
                  holds_credential: bool = False, isolation: str | None = None) -> MilestoneResult:
    """Work through the issues of ``milestone`` in ``repo`` in dependency order.

    ``holds_credential``: this process holds a GitHub token (``--push``/``--open-prs``), so the SE
    runner and the verify commands run behind the credential boundary of config ``isolation``
    (:mod:`workorder.shell.isolation`); without one, a local run needs none. ``isolation`` (auto, user,
    none) overrides the config's (``WORKORDER_ISOLATION``).

    Raises :class:`LocalRunError` before anything runs when the repository is dirty, an issue file
    is invalid (every problem listed), the milestone has no issues, or no runner is configured
    (:func:`workorder.local.plan.plan_milestone`). ``progress(done, total, result)`` is called after each issue.
    """
    plan = plan_milestone(repo, milestone, base_env, runner_command)
    return run_plan(repo, plan, milestone, base_env, rerun=rerun, reporter=reporter, progress=progress,
                    holds_credential=holds_credential, isolation=isolation)


def run_plan(repo: Path, plan: MilestonePlan, milestone: str, base_env: dict[str, str], *, rerun: bool = False,
             reporter: Reporter | None = None, progress: Callable[[int, int, IssueResult], None] | None = None,
             holds_credential: bool = False, isolation: str | None = None,
             file: str | None = None) -> MilestoneResult:
    """Run the issues of a checked ``plan`` in its order (:func:`run_milestone`, and ``workorder run
    FILE``'s one work order, :mod:`workorder.local.single_run`, which passes its ``file``); ``milestone``
    labels the result. The tracking comments name the local command that runs it again."""
    config, ordering, state_dir = plan.config, plan.ordering, repo / STATE_DIR
    forge = LocalForge(state_dir / "forge", bot_login="workorder[bot]", permissions={LOCAL_USER: "admin"})
    journal = Journal(state_dir / "runs", reporter=reporter)
    runner_env = scrub_environment(base_env, config.runner.env, config.runner.pass_github_token)
    names = LabelNames(config.label_prefix, config.trigger)
    result = MilestoneResult(milestone=milestone, ordering=ordering)
    _open_issues(forge, plan.issues, config.trigger)
    mode = isolation if isolation in ("auto", "user", "none") else config.isolation
    sandbox = local_sandbox(mode, holds_credential, repo, base_env)
    if sandbox is not None:  # issue 18: the model proxy and the egress allow-list (workorder.agents.agent_network)
        from ..agents.agent_network import start as start_network

        start_network(config, sandbox, runner_env)
    worktrees = sandbox.worktrees if sandbox else state_dir / "worktrees"
    deps = LoopDeps(  # base_ref: set per issue (the stack)
        forge=forge, git=plan.git, config=config, templates=plan.trusted.templates,
        runner=RunnerSpec(command=plan.command or "", timeout_s=config.runner.timeout, env=runner_env),
        verify_env=scrub_environment(base_env), journal=journal, worktrees=worktrees,
        default_branch="HEAD", push=False, rules=plan.trusted.rules, rules_path=plan.trusted.rules_path,
        sandbox=sandbox,
    )
    stack_base = "HEAD"
    for index, issue_id in enumerate(ordering.order, start=1):
        waiting = [b for b in ordering.blockers_of(issue_id) if _state_of(result, b) not in ("passed", "approved")]
        row = _run_issue(forge, names, replace(deps, base_ref=stack_base), plan.by_id[issue_id], waiting, rerun,
                         {"file": file, "milestone": milestone})
        if row.state in ("passed", "approved") and row.branch:
            stack_base = f"refs/heads/{row.branch}"
        result.results.append(row)
        if progress:
            progress(index, len(ordering.order), row)
    if sandbox is not None:
        sandbox.close()
    return result


def _open_issues(forge: LocalForge, issues: list[IssueFile], trigger: str) -> None:
    """Open (or update) the issue of every issue file, all before any loop runs, so pull request
    numbers never take an issue's number."""
    for item in issues:
        if forge.has_issue(item.meta.id):
            forge.update_issue(item.meta.id, item.meta.title, issue_body(item))
        else:
            forge.open_issue(item.meta.title, issue_body(item), [trigger], LOCAL_USER, number=item.meta.id)


def _run_issue(forge: LocalForge, names: LabelNames, deps: LoopDeps, item: IssueFile, waiting: list[int],
               rerun: bool, local: dict[str, str]) -> IssueResult:
    """One issue of the run: skipped when an issue it depends on (``waiting``) did not pass or when
    it passed before (unless ``rerun``); else its loop runs with ``deps``, its tracking comment told
    ``local`` (the run's ``file`` or ``milestone``). Returns its summary row."""
    issue_id = item.meta.id
    issue = forge.get_issue(issue_id)
    tracker = Tracker(forge, issue_id, names, forge.bot_login, deps.templates, issue.labels, view={"local": local})
    previous = tracker.load()
    row = IssueResult(id=issue_id, title=item.meta.title, state=previous.state.value if previous else "ready",
                      cycles=previous.cycle if previous else 0, verdict=previous.verdict if previous else None,
                      branch=previous.branch if previous else None)
    if waiting:
        row.skipped = "blocked_by"
        row.state = "skipped"
        row.verdict = ",".join(str(b) for b in waiting)
    elif previous and previous.state in DONE and not rerun:
        row.skipped = "already_passed"
    else:
        started = time.monotonic()
        if previous and previous.state in DONE:
            previous = None  # --rerun: a fresh loop
        final = WorkOrderLoop(deps, issue, item.order, tracker).run(previous)
        row.state, row.cycles, row.verdict, row.branch = final.state.value, final.cycle, final.verdict, final.branch
        row.duration_s = round(time.monotonic() - started, 1)
        row.worktree_kept = _cleanup_worktree(deps.git, deps.worktrees / str(issue_id), final.state)
    return row


def local_sandbox(mode: str, holds_credential: bool, repo: Path, base_env: dict[str, str]):
    """The credential boundary of a local run (None when none is wanted: ``isolation: none``, or no
    credential held with ``auto``). Protects the repository's ``.git`` and the user's HOME (where git
    credential helpers and the gh CLI keep tokens); the sandbox root is made in /tmp. Closed at exit."""
    import atexit

    from ..shell.isolation import sandbox_for

    protect = [repo / ".git", *([Path(base_env["HOME"])] if base_env.get("HOME") else [])]
    sandbox = sandbox_for(mode, holds_credential, protect=protect, parent=Path("/tmp") if Path("/tmp").is_dir() else None)
    if sandbox is not None:
        atexit.register(sandbox.close)
    return sandbox


def _state_of(result: MilestoneResult, issue_id: int) -> str | None:
    return next((r.state for r in result.results if r.id == issue_id), None)


def _cleanup_worktree(git: Git, path: Path, state: State) -> bool:
    """Remove an issue's worktree once its loop completed or was capped; keep it (returns True) when
    it holds uncommitted work."""
    if not path.exists() or state not in (State.PASSED, State.APPROVED, State.BLOCKED):
        return path.exists()
    if git.at(path).has_changes():
        return True
    git.run("worktree", "remove", "--force", str(path))
    return False


def publish_branches(result: MilestoneResult, git: Git, forge: object | None, default_branch: str,
                     templates: object) -> list[tuple[int, str, int | None]]:
    """``--push`` / ``--open-prs``: push the branch of every PASSed issue to ``origin`` and, when
    ``forge`` is given (a GitHub forge), open a draft PR for it (found first, never opened twice).
    Returns (issue id, branch, PR number or None) for each."""
    published = []
    for row in result.results:
        if row.state not in ("passed", "approved") or not row.branch:
            continue
        git.run("push", "-q", "origin", f"refs/heads/{row.branch}:refs/heads/{row.branch}", authenticated=True)
        number = None
        if forge is not None:
            pr = forge.find_pull_request(row.branch)
            if pr is None:
                body = templates.render("local_pull_request.md.j2", row=row, milestone=result.milestone)
                pr = forge.create_pull_request(row.branch, default_branch, row.title, body, draft=True)
            number = pr.number
        published.append((row.id, row.branch, number))
    return published
