"""What the PO review observes itself before the gates judge: the one code path of the action's review
(:class:`workorder.loop.po_review.PoReview`) and of ``workorder replay`` (:mod:`workorder.local.replay`).

In order: the held-out acceptance tests are taken out of the work tree; the verify commands run, measured
for diff coverage; PASS_TO_PASS (the base run, once per base); FAIL_TO_PASS (the base source under the
head's tests, for the evidence tests and the changed test files); the held-out run (put back, run, hidden
again, scrubbed); the work tree is put back to HEAD; the dependency audit, when configured. The results
become the gates' :class:`workorder.gates.context.GateContext`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..evidence.coverage_probe import start_probe
from ..evidence.verify import run_verify_commands
from ..gates.context import GateContext
from .base_run import observe_tests
from .base_source_run import observe_base_source
from .dep_audit import audit_dependencies
from .heldout_run import hide as hide_heldout
from .heldout_run import run_heldout

if TYPE_CHECKING:
    from pathlib import Path

    from ..contracts.packet import DoDPacket
    from ..contracts.workorder import WorkOrder
    from ..evidence.coverage_probe import DiffCoverage
    from ..evidence.dep_audit import DepAudit
    from ..evidence.diff import Diff
    from ..evidence.heldout_results import HeldOut
    from ..evidence.testresults import TestResults
    from ..evidence.testresults_model import VerifyRun
    from ..shell.gitops import Git
    from .deps import LoopDeps


@dataclass
class Observed:
    """The review's own observations of one cycle: the verify ``runs``, the tests' results now and on the
    base (``tested``, ``base_tested``), on the base source (``base_source``), the held-out run
    (``heldout``), diff coverage (``covered``) and the dependency audit (``audit``); None where not run."""

    runs: list[VerifyRun]
    tested: TestResults | None = None
    base_tested: TestResults | None = None
    base_source: TestResults | None = None
    heldout: HeldOut | None = None
    covered: DiffCoverage | None = None
    audit: DepAudit | None = None

    def gate_context(self, order: WorkOrder, deps: LoopDeps, diff: Diff, packet: DoDPacket, wt: Git,
                     reverted: tuple[str, ...] = ()) -> GateContext:
        """The gates' context for ``packet``'s ``diff`` of work order ``order`` in work tree ``wt``, with
        these observations and ``deps.config``."""
        return GateContext(order, deps.config, diff, self.runs, packet, wt.repo, reverted, self.tested,
                           self.base_tested, self.base_source, self.heldout, self.covered, dep_audit=self.audit)


def observe_review(deps: LoopDeps, issue: int, wt: Git, base_sha: str, order: WorkOrder, packet: DoDPacket,
                   diff: Diff, log_dir: Path) -> Observed:
    """Run what the review of ``packet`` (``diff``: ``base_sha`` → HEAD of work tree ``wt``, for ``issue``'s
    work ``order``) observes itself, with ``deps`` (config, verify environment, sandbox, run records);
    verify logs go to ``log_dir``. The work tree is at HEAD again afterwards, held-out files hidden.
    Raises GitError when git fails; IsolationUnavailable when the sandbox refuses a command."""
    config = deps.config
    hide_heldout(wt, config.acceptance.paths)  # verify runs as the agent's work tree is
    probe = start_probe(config, diff, wt.repo)  # diff coverage: this same run, measured
    env = {**deps.verify_env, **(probe.env(deps.verify_env) if probe else {})}
    runs = run_verify_commands([*config.verify, *order.verify], wt.repo, env, config.verify_timeout, log_dir,
                               sandbox=deps.sandbox, test_reports=True)
    covered = probe.read(diff, config.test_patterns) if probe else None
    tested, base_tested = observe_tests(deps, issue, wt.repo, base_sha, log_dir, runs)  # base: once per base
    commands = [r.cmd for r in runs]
    base_source = observe_base_source(deps, issue, base_sha, wt.rev("HEAD"), commands, packet, diff)
    heldout = run_heldout(deps, wt, base_sha, commands)  # put back, run, hidden again
    wt.discard_changes()  # what verify wrote is not the agent's work
    audit = audit_dependencies(wt, diff, config, deps.verify_env)  # dependency_audit: off unless configured
    return Observed(runs, tested, base_tested, base_source, heldout, covered, audit)
