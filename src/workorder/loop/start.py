"""How a loop run starts: a fresh hidden state, a resumed one, or the state of a mode (retry, answer, fix)."""

from __future__ import annotations

from ..contracts.config import RepoConfig
from ..contracts.forge import Issue
from ..shell.gitops import slugify
from .state import INTERRUPTED, State, TrackingState
from ..templates import Templates
from ..contracts.workorder import WorkOrder
from ..presets import Usage


def is_resumable(s: TrackingState) -> bool:
    """True when ``s`` is of a run that was interrupted (killed mid-loop) or stopped by a transient
    GitHub failure: the next run of the same work order goes on from its last durable step."""
    stopped = s.state is State.BLOCKED and s.failure is not None and s.failure.transient
    return s.state in INTERRUPTED or stopped


def branch_name(prefix: str, issue: Issue) -> str:
    """The work branch of an issue: ``<prefix><number>-<slug of title>``, e.g. ``wo/12-add-subtract``."""
    return f"{prefix}{issue.number}-{slugify(issue.title)}"


def initial_state(previous: TrackingState | None, mode: str, notes: str | None, order: WorkOrder, issue: Issue,
                  config: RepoConfig, templates: Templates, current: State | None) -> TrackingState:
    """The state a loop run starts from. ``previous`` is the recorded hidden state (None before the
    first run), ``mode`` start, retry, answer or fix (see :meth:`workorder.loop.engine.WorkOrderLoop.run`),
    ``notes`` the answer or the human corrective notes, ``current`` the state the labels show.
    A ``start`` of the same work order that was interrupted or stopped by a transient GitHub failure
    resumes where it was; otherwise a new state at cycle 1 keeps the branch, PR and command watermark."""
    order_hash = order.content_hash()
    cfg = config
    if previous is not None and mode in ("retry", "answer", "fix"):
        s = previous.model_copy(deep=True)
        s.failure = s.handoff = None
        if mode == "answer":
            s.answer = notes
        if mode == "fix":
            s.cycle += 1
            s.human_cycles += 1
            s.max_cycles = s.cycle
            s.corrective_prompt = templates.render(
                "human_corrective_prompt.md.j2", notes=notes or "",
                previous=previous.corrective_prompt if previous.verdict == "FAIL" else None,
            )
        return s
    if previous and is_resumable(previous) and previous.work_order_hash == order_hash and previous.branch:
        previous.max_cycles = max(previous.max_cycles, previous.cycle)
        previous.failure = previous.handoff = None
        return previous
    current = current or State.READY
    return TrackingState(
        issue=issue.number,
        state=current,
        cycle=1,
        max_cycles=cfg.max_cycles,
        branch=previous.branch if previous and previous.branch else branch_name(cfg.branch_prefix, issue),
        work_order_hash=order_hash,
        pr_number=previous.pr_number if previous else None,
        last_command_id=previous.last_command_id if previous else 0,
        human_cycles=previous.human_cycles if previous else 0,
        order_usage=previous.order_usage if previous else Usage(),  # the per-work-order budget spans runs
        claims=previous.claims if previous else [],  # path ownership: claimed before the loop starts
        claimed_at=previous.claimed_at if previous else None,
        scope_override_by=previous.scope_override_by if previous else None,
        # plan first: a plan made (and approved) for this very work order is kept
        plan=previous.plan if previous and previous.work_order_hash == order_hash else None,
        plan_approved_by=previous.plan_approved_by if previous and previous.work_order_hash == order_hash else None,
    )
