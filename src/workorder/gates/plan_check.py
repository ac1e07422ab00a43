"""Plan first's check at review (#17 part 6): every file the diff touches outside the approved plan's
``files`` is a MAJOR finding ``plan.outside``.

MAJOR, not MINOR: a person approved the plan's list of files, so work beyond it did not get that approval;
the verdict FAILs and the corrective prompt asks the runner to undo it or to stay within the plan (a new plan
needs a new approval: edit the work order and add the trigger label again). Not a BLOCKER: the scope gate
already blocks anything outside ``in_scope``; this is about the narrower promise.
"""

from __future__ import annotations

from ..contracts.packet import Finding, Severity
from .rules import Rule
from ..contracts.plan_packet import PlanPacket
from ..evidence.diff import Diff
from ..inputs.globs import compile_globs
from .context import finding_text

# checked outside the registry's gates (it needs the tracking state's plan): loop/po_review.py adds these findings
OUTSIDE = Rule("plan.outside", Severity.MAJOR, "a changed path outside the approved plan's files", "the-gates")


def plan_findings(plan: PlanPacket | None, diff: Diff) -> list[Finding]:
    """MAJOR ``plan.outside`` for each path ``diff`` touches that no entry of the approved ``plan``'s
    ``files`` (paths or gitignore-style globs) matches; [] without a plan."""
    if plan is None:
        return []
    planned = compile_globs(plan.files)
    return [OUTSIDE.finding(finding_text("plan_outside", path=path), path=path)
            for path in diff.touched_paths if not planned.match_file(path)]
