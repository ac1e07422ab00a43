"""A gate on the verify run itself: a command the action ran exited 0 while its output reports failing
tests (verify.masked). Whatever hid the status (a wrapper script, a hook, an unchanged Makefile), the
runner's own summary line gives it away."""

from __future__ import annotations

import re

from ...contracts.packet import Finding
from ...evidence.testresults_model import VerifyRun
from .report import finding

# summary lines test runners print when tests failed: pytest, unittest, jest, vitest, mocha, go test
FAILED_SUMMARY = re.compile("|".join((
    r"^=+ .*\b\d+ (?:failed|errors?)\b.*=+\s*$",
    r"^\d+ failed(?:, \d+ \w+)* in [\d.]+s",
    r"^FAILED [\w/.\-\[\]]+\.py::\S+",
    r"^FAILED \((?:failures|errors)=\d+",
    r"^Tests:\s+.*\b\d+ failed",
    r"^\s*Tests\s+\d+ failed",
    r"^\s+\d+ failing\s*$",
    r"^--- FAIL: \S+",
    r"^FAIL\s+\S+\s+[\d.]+s\s*$",
)), re.MULTILINE)


def gate_verify_output(runs: list[VerifyRun]) -> list[Finding]:
    """BLOCKER verify.masked for each verify command that exited 0 although its output has a test
    runner's failure summary; the evidence is the command, its exit code and the end of its output."""
    findings = []
    for run in runs:
        match = FAILED_SUMMARY.search(run.output_tail) if run.passed else None
        if match:
            tail = "\n".join(run.output_tail.rstrip().splitlines()[-10:])
            findings.append(finding("verify.masked", "masked_run", None, None,
                                    f"$ {run.cmd}\nexit code {run.exit_code}\n{tail}",
                                    cmd=run.cmd, summary=match.group(0).strip()))
    return findings
