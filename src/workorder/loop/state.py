"""Work order states: labels, the one transition table, and the hidden state block.

Labels carry the state (exactly one state label at a time). The tracking comment carries the details
in a hidden JSON block, so a run that dies anywhere can be picked up by the next one.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, Field, ValidationError

from ..inputs.bounded import load_json
from ..contracts.packet import DoDPacket, Finding, RunnerQuestion, Verdict
from ..contracts.plan_packet import PlanPacket
from ..evidence.impact import Impact
from ..presets import Usage
from ..inputs.problems import InvalidInput
from ..evidence.testresults_model import VerifyRun

STATUS_CONTEXT = "workorder/verdict"  # the commit status that gates the merge


class State(StrEnum):
    """States of a work order; the label is ``<prefix><value>`` (READY's label is the trigger label)."""

    READY = "ready"
    RUNNING = "running"
    REVIEW = "review"
    CHANGES_REQUESTED = "changes-requested"
    PASSED = "passed"
    APPROVED = "approved"
    BLOCKED = "blocked"
    NEEDS_ANSWER = "needs-answer"
    INVALID = "invalid"
    WAITING = "waiting"
    PLAN = "plan"


# (colour hex, description) of each state label, used when the label is missing in the repository.
LABEL_STYLE: dict[State, tuple[str, str]] = {
    State.READY: ("0e8a16", "workorder: ready to run"),
    State.RUNNING: ("fbca04", "workorder: the SE runner is working"),
    State.REVIEW: ("1d76db", "workorder: PO review in progress"),
    State.CHANGES_REQUESTED: ("d93f0b", "workorder: PO verdict FAIL, fix cycle next"),
    State.PASSED: ("0e8a16", "workorder: PO verdict PASS"),
    State.APPROVED: ("5319e7", "workorder: approved by a person"),
    State.BLOCKED: ("b60205", "workorder: stopped, needs a person"),
    State.NEEDS_ANSWER: ("c5def5", "workorder: the runner asked a question"),
    State.INVALID: ("e99695", "workorder: the work order is invalid"),
    State.WAITING: ("bfdadc", "workorder: waiting for its blockers to be done"),
    State.PLAN: ("c2e0c6", "workorder: the runner's plan waits for /wo approve"),
}

# The one transition table: state → states it may move to. None is "no state label yet".
TRANSITIONS: dict[State | None, frozenset[State]] = {
    None: frozenset({State.RUNNING, State.INVALID, State.BLOCKED, State.WAITING, State.PLAN}),
    State.READY: frozenset({State.RUNNING, State.INVALID, State.BLOCKED, State.WAITING, State.PLAN}),
    State.INVALID: frozenset({State.RUNNING, State.INVALID, State.BLOCKED, State.WAITING, State.PLAN}),
    State.WAITING: frozenset({State.RUNNING, State.INVALID, State.BLOCKED, State.WAITING, State.PLAN}),
    State.PLAN: frozenset({State.RUNNING, State.INVALID, State.BLOCKED, State.WAITING, State.PLAN}),
    State.RUNNING: frozenset({State.RUNNING, State.REVIEW, State.BLOCKED, State.NEEDS_ANSWER}),
    State.REVIEW: frozenset({State.RUNNING, State.PASSED, State.CHANGES_REQUESTED, State.BLOCKED}),
    State.CHANGES_REQUESTED: frozenset({State.RUNNING, State.REVIEW, State.BLOCKED}),
    State.PASSED: frozenset({State.APPROVED, State.CHANGES_REQUESTED, State.RUNNING, State.REVIEW, State.BLOCKED}),
    State.APPROVED: frozenset({State.CHANGES_REQUESTED, State.RUNNING, State.REVIEW, State.BLOCKED}),
    State.BLOCKED: frozenset({State.RUNNING, State.REVIEW, State.INVALID, State.BLOCKED, State.WAITING, State.PLAN}),
    State.NEEDS_ANSWER: frozenset({State.RUNNING, State.BLOCKED}),
}

# States from which the trigger label starts a fresh loop, and states of an interrupted run.
STARTABLE = frozenset({None, State.READY, State.INVALID, State.BLOCKED, State.WAITING, State.PLAN})
INTERRUPTED = frozenset({State.RUNNING, State.REVIEW, State.CHANGES_REQUESTED})


class IllegalTransition(Exception):
    """Raised when a state change is not in :data:`TRANSITIONS`."""


def check_transition(current: State | None, new: State) -> None:
    """Raise :class:`IllegalTransition` unless ``current`` → ``new`` is in the table."""
    if new not in TRANSITIONS[current]:
        raise IllegalTransition(f"{current.value if current else 'no state'} → {new.value} is not allowed")


class LabelNames:
    """Maps states to label names for a prefix and trigger label (from the repo config)."""

    def __init__(self, prefix: str, trigger: str):
        self.prefix = prefix
        self.trigger = trigger

    def label(self, state: State) -> str:
        """The label name of ``state``."""
        return self.trigger if state is State.READY else f"{self.prefix}{state.value}"

    def state_of(self, label: str) -> State | None:
        """The state a label name stands for, or None for any other label."""
        if label == self.trigger:
            return State.READY
        if label.startswith(self.prefix):
            try:
                return State(label[len(self.prefix):])
            except ValueError:
                return None
        return None

    def states_in(self, labels: list[str] | tuple[str, ...] | set[str]) -> list[State]:
        """The states whose labels are among ``labels``, in table order."""
        found = {self.state_of(name) for name in labels} - {None}
        return [s for s in State if s in found]


class PhaseRecord(BaseModel):
    """One finished phase, for the tracking comment's history."""

    cycle: int
    phase: str
    outcome: str
    detail: str = ""


class Failure(BaseModel):
    """A phase failure: kind (crash, timeout, no_packet, bad_packet, runner_blocked, error), what happened,
    and the end of the output."""

    kind: str
    detail: str
    output_tail: str = ""
    transient: bool = False  # a GitHub failure a re-run of the same event (or /wo retry) resumes from


class Handoff(BaseModel):
    """What a person needs to take over: what is done, what is pending, the risks, the reason."""

    reason: str
    completed: list[str] = Field(default_factory=list)
    pending: list[Finding] = Field(default_factory=list)
    risks: list[str] = Field(default_factory=list)


class Publication(BaseModel):
    """A durable checkpoint: the verdict of cycle ``cycle`` on commit ``head_sha``, recorded in the
    hidden state before its review, commit status and pull request body are posted. A run that dies
    after recording it resumes by publishing it again (found objects are not written twice) instead
    of running the agent and the gates again. ``inline`` lists the (path, line) of findings that sit
    on added lines (they become inline review comments); ``done`` is set once the loop moved on."""

    cycle: int
    head_sha: str
    verdict: Verdict
    packet: DoDPacket
    verify_runs: list[VerifyRun] = Field(default_factory=list)
    inline: list[tuple[str, int]] = Field(default_factory=list)
    done: bool = False
    impact: Impact | None = None  # the change's impact summary for the PR body (workorder.evidence.impact)


class TrackingState(BaseModel):
    """The hidden state block of the tracking comment (contract version 1)."""

    version: int = 1
    issue: int
    state: State
    cycle: int = 0
    max_cycles: int = 2
    phase: str | None = None
    branch: str | None = None
    base_sha: str | None = None
    head_sha: str | None = None
    pr_number: int | None = None
    archive_path: str | None = None  # the work order's archive the PASS commit added (workorder.loop.archive)
    started_at: str | None = None  # UTC ISO time the first loop run of this work order started (workorder report)
    passed_at: str | None = None  # UTC ISO time of its last PASS verdict
    fail_rules: dict[str, int] | None = None  # rule → BLOCKER/MAJOR findings over every FAIL verdict so far
    work_order_hash: str | None = None
    verdict: str | None = None
    findings: list[Finding] = Field(default_factory=list)
    corrective_prompt: str | None = None
    history: list[PhaseRecord] = Field(default_factory=list)
    failure: Failure | None = None
    handoff: Handoff | None = None
    question: RunnerQuestion | None = None
    problems: list[dict] = Field(default_factory=list)
    waiting_for: list[int] = Field(default_factory=list)
    last_command_id: int = 0
    human_cycles: int = 0
    answer: str | None = None
    approved_sha: str | None = None
    approved_by: str | None = None
    lock_broken: bool = False
    run_url: str | None = None
    usage: Usage = Field(default_factory=Usage)
    # every cycle of every run of this work order (budgets.order_*, workorder.loop.budgets); a fresh start keeps it
    order_usage: Usage = Field(default_factory=Usage)
    budget_override_by: str | None = None  # the maintainer whose /wo budget let a run go past the caps
    publication: Publication | None = None
    # keys (rule, path, line) of the last FAIL verdict's BLOCKER/MAJOR findings (workorder.loop.convergence)
    last_finding_keys: list[tuple[str, str | None, int | None]] = Field(default_factory=list)
    # path ownership (workorder.handlers.ownership): the in_scope globs this work order claims while it is
    # running, when it claimed them (UTC ISO, microseconds), the running work orders it waits for, and the
    # maintainer who let it run over an overlapping one (/wo override-scope)
    claims: list[str] = Field(default_factory=list)
    claimed_at: str | None = None
    scope_blockers: list[int] = Field(default_factory=list)
    scope_override_by: str | None = None
    # plan first (workorder.loop.plan_phase): the runner's plan for this work order (its hash) and who approved it
    plan: PlanPacket | None = None
    plan_approved_by: str | None = None


TRACKING_MARKER = "<!-- workorder:tracking -->"
STATE_OPENING = "<!-- workorder:state "
_STATE_BLOCK = re.compile(r"<!-- workorder:state (\{[^\n]*\}) -->")


def encode_state(state: TrackingState) -> str:
    """The hidden HTML comment holding ``state`` as JSON (``<`` and ``>`` escaped so it cannot end early)."""
    payload = state.model_dump_json(exclude_none=True).replace("<", "\\u003c").replace(">", "\\u003e")
    return f"<!-- workorder:state {payload} -->"


def decode_state(body: str) -> TrackingState | None:
    """The state in a tracking comment body, or None when there is none or it is not valid.

    The block is read only where :meth:`workorder.loop.tracking.Tracker.publish` writes it, as the last
    line of the body, and a body holding more than one block (or the block's opening anywhere else)
    has none: text above the block can never stand in for it."""
    text = (body or "").rstrip("\n")
    if text.count(STATE_OPENING) != 1:
        return None
    match = _STATE_BLOCK.fullmatch(text.rsplit("\n", 1)[-1])
    if not match:
        return None
    try:
        return TrackingState.model_validate(load_json(match.group(1), "tracking state"))
    except (InvalidInput, ValidationError):  # too big, too deep, not JSON: not our state
        return None
