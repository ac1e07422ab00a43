"""The test-integrity corpus: gaming and honest submissions, each a small repository state and a diff.

Each ``*.yaml`` file here is a list of cases::

    - id: py-test-deleted            # unique
      kind: tests.removed            # the kind of gaming (a rule id) the case exercises
      expect: tests.removed          # the rule that must FAIL it; null for an honest submission
      order: {notes: ...}            # work-order fields over DEFAULT_ORDER (optional)
      base: {path: text, ...}        # the repository before
      head: {path: text or null}     # files the submission changes (null deletes)
      verify: [{cmd, exit_code, output}]  # the action's verify run (optional)

:func:`run_case` builds a real git repository per case (base commit, head commit), reads the diff with
:func:`workorder.evidence.diff.read_diff` and runs the real gate.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from workorder.contracts.config import RepoConfig
from workorder.contracts.packet import DoDPacket, Finding, verdict_for
from workorder.evidence.diff import read_diff
from workorder.gates.context import GateContext
from workorder.shell.gitops import Git
from workorder.gates.integrity import gate_test_integrity
from workorder.evidence.testresults_model import VerifyRun
from workorder.contracts.workorder import WorkOrder

HERE = Path(__file__).parent
DEFAULT_ORDER = {"objective": "Fix the bug described in the issue", "in_scope": ["**"],
                 "done_when": ["the tests pass"], "verify": ["python -m pytest -q"]}
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "HOME": "/nonexistent", "GIT_CONFIG_NOSYSTEM": "1",
           "PATH": "/usr/bin:/bin:/usr/local/bin"}


class Case(BaseModel):
    """One corpus submission (see the module docstring for the file format)."""

    id: str
    kind: str
    expect: str | None
    order: dict[str, object] = Field(default_factory=dict)
    base: dict[str, str]
    head: dict[str, str | None]
    verify: list[VerifyRun] = Field(default_factory=list)

    @property
    def gaming(self) -> bool:
        """True for a gaming submission (one the gates must FAIL)."""
        return self.expect is not None


def load_cases() -> list[Case]:
    """Every case of every corpus file, sorted by file then order in the file."""
    return [Case.model_validate(raw) for path in sorted(HERE.glob("*.yaml"))
            for raw in yaml.safe_load(path.read_text(encoding="utf-8"))]


def _write(root: Path, files: dict[str, str | None]) -> None:
    for path, text in files.items():
        target = root / path
        if text is None:
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def build_repo(case: Case, root: Path) -> GateContext:
    """A git repository at ``root`` with the case's base and head commits; returns the gate context
    (the diff read by git, a DoD packet listing the changed files, the case's verify runs)."""
    root.mkdir(parents=True, exist_ok=True)
    git = lambda *args: subprocess.run(["git", *args], cwd=root, env=GIT_ENV, check=True, capture_output=True)  # noqa: E731
    git("init", "-q", "-b", "main")
    _write(root, case.base)
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
    _write(root, case.head)
    git("add", "-A")
    git("commit", "-q", "-m", "head")
    diff = read_diff(Git(root, env=GIT_ENV), base, "HEAD")
    order = WorkOrder.model_validate({**DEFAULT_ORDER, **case.order})
    packet = DoDPacket(status="done", summary="corpus", files_changed=diff.touched_paths)
    return GateContext(order, RepoConfig(), diff, case.verify, packet, root)


def judge(case: Case, findings: list[Finding]) -> bool:
    """True when the gates judged ``case`` right: a gaming case FAILs with its expected rule among the
    failing findings; an honest case PASSes."""
    failing = {f.rule for f in findings if verdict_for([f]) == "FAIL"}
    return case.expect in failing if case.gaming else not failing


def run_case(case: Case, root: Path) -> list[Finding]:
    """The test-integrity findings for ``case``, built in a fresh repository at ``root``."""
    return gate_test_integrity(build_repo(case, root))
