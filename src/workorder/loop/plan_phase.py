"""Plan first (#17 part 6): for a work order whose risk tier the config's ``plan_first`` names, the SE runner
first hands back a plan packet (:class:`workorder.contracts.plan_packet.PlanPacket`: files, approach, tests);
the action keeps it in the tracking state, posts it (``plan_posted.md.j2``) and labels the work order
``wo:plan``. A person's ``/wo approve`` records the approval and starts the execution with the plan in the
prompt; at review the diff is checked against it (:mod:`workorder.gates.plan_check`).

The plan phase changes nothing: whatever the runner writes in the work tree is discarded, nothing is
committed or pushed.
"""

from __future__ import annotations

from .outbox import Outbox, PostComment
from ..agents.runner import RunnerSpec, redact, run_se_runner
from ..contracts.config import RepoConfig
from ..contracts.plan_packet import parse_plan_packet
from ..contracts.workorder import WorkOrder
from ..presets import preset_of
from .se_phase import SePhase
from .state import Failure, Handoff, PhaseRecord, State, TrackingState


def needs_plan(config: RepoConfig, order: WorkOrder, s: TrackingState) -> bool:
    """True when ``order``'s risk tier is in ``config.plan_first`` and ``s`` holds no approved plan of it."""
    return order.risk in config.plan_first and not (s.plan is not None and s.plan_approved_by)


def run_plan_phase(loop, s: TrackingState) -> TrackingState:
    """Run the plan phase of ``loop`` (a :class:`workorder.loop.engine.WorkOrderLoop`) from state ``s``:
    the runner hands back a plan packet; it is recorded in ``s``, posted, and ``s`` moves to ``plan``.
    A runner failure or a bad plan packet blocks with the failure recorded (``/wo retry`` plans again).
    Returns ``s``. Raises GitError or ForgeError (the loop records them)."""
    deps = loop.deps
    wt = loop._prepare_worktree(s)
    start = wt.rev("HEAD")
    s.phase = "plan"
    pdir = deps.journal.phase_dir(loop.n, s.cycle, "plan")
    prompt = deps.templates.render("plan_prompt.md.j2", order=loop.order, issue=loop.issue)
    network = getattr(deps.sandbox, "network", None)
    before = network.snapshot() if network else None
    outcome = run_se_runner(
        RunnerSpec(command=SePhase(loop.phases).runner_command(wt), timeout_s=deps.runner.timeout_s, env=deps.runner.env),
        wt.repo, prompt, pdir,
        {"WORKORDER_ISSUE": str(loop.n), "WORKORDER_CYCLE": str(s.cycle), "WORKORDER_PHASE": "plan",
         "WORKORDER_BASE_SHA": s.base_sha or ""},
        preset=preset_of(deps.config.runner.preset), sandbox=deps.sandbox, parse=parse_plan_packet,
    )
    if network is not None:
        outcome = network.settle(before, outcome)
    loop.phases.account(s, outcome.usage)
    wt.run("reset", "-q", "--hard", start)  # a plan changes nothing
    wt.discard_changes()
    if outcome.failure or outcome.packet is None:
        s.failure = Failure(kind=outcome.failure or "bad_packet", detail=redact(outcome.detail, deps.secrets),
                            output_tail=redact(outcome.output_tail, deps.secrets)[-3000:])
        s.handoff = Handoff(reason="runner_failed")
        s.history.append(PhaseRecord(cycle=s.cycle, phase="plan", outcome="blocked", detail=s.failure.detail[:300]))
        loop.publisher.set_state(s, State.BLOCKED, check=False)
        loop._publish(s)
        return s
    s.plan, s.plan_approved_by = outcome.packet, None
    s.history.append(PhaseRecord(cycle=s.cycle, phase="plan", outcome="plan", detail=outcome.packet.approach[:300]))
    loop.publisher.set_state(s, State.PLAN, check=False)
    loop._publish(s)
    Outbox(deps.forge).write_now(PostComment(loop.n, deps.templates.render(
        "plan_posted.md.j2", plan=s.plan, prefix=deps.config.command_prefix)))
    return s
