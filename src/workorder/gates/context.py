"""What every gate looks at (:class:`GateContext`), what a gate is (:data:`Gate`), and the one rendering of
a gate finding's message (:func:`finding_text`, ``templates/gate_finding.txt.j2``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..contracts.config import RepoConfig
from ..contracts.packet import DoDPacket, Finding
from ..contracts.workorder import WorkOrder
from ..evidence.coverage_probe import DiffCoverage
from ..evidence.dep_audit import DepAudit
from ..evidence.diff import Diff
from ..evidence.heldout_results import HeldOut
from ..evidence.testresults import TestResults
from ..evidence.testresults_model import VerifyRun
from ..templates import Templates, active

__all__ = ["Gate", "GateContext", "finding_text"]


@dataclass(frozen=True)
class GateContext:
    """Everything a gate may look at: the order, the config, and the action's own evidence."""

    work_order: WorkOrder
    config: RepoConfig
    diff: Diff
    verify_runs: list[VerifyRun]
    packet: DoDPacket
    worktree: Path
    reverted: tuple[str, ...] = ()  # protected paths the agent changed and the action reverted before pushing
    test_results: TestResults | None = None  # per-test results of verify_runs (workorder.evidence.testresults); None: not read
    baseline_results: TestResults | None = None  # the same verify commands' results on the base commit
    base_source_results: TestResults | None = None  # ... on the base source under the head's tests (fail_to_pass)
    heldout: HeldOut | None = None  # the held-out acceptance tests' run (heldout); None: none configured
    diff_coverage: DiffCoverage | None = None  # what ran of the changed lines (diff_coverage); None: not measured
    today: date | None = None  # the day waivers are judged on; None: today in UTC
    dep_audit: DepAudit | None = None  # the vulnerability lookup of changed packages (dependency_audit); None: none


Gate = Callable[[GateContext], list[Finding]]


def _templates() -> Templates:
    """The run's templates, with the repository's overrides (:func:`workorder.templates.active`)."""
    return active()


def finding_text(kind: str, **facts: object) -> str:
    """The message of a gate finding: ``templates/gate_finding.txt.j2`` rendered with ``kind`` (which picks the
    sentence) and ``facts`` (``path``, ``cmd``, ``exit_code``, ``timed_out``, ``pattern``, ``risk``), returned
    exactly as rendered without its final newline (values are quoted as they are, whitespace and all).
    Raises ``jinja2.UndefinedError`` for an unknown kind or a missing fact (a bug, not input)."""
    return _templates().render("gate_finding.txt.j2", kind=kind, **facts).removesuffix("\n")
