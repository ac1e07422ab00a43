"""Replay: re-run a recorded run's PO review (verify commands, gates, verdict) from its run records and print
how the audit differs (nothing when the verdict pipeline is unchanged).

Each review record (``<runs>/<issue>/<cycle>-review/``, :mod:`workorder.loop.audit`) holds the diff the agent
made (``diff.patch``), what it was judged on (``replay.json``: base commit, work order, DoD packet, reverted
paths) and the verdict (``verdict.json``). Replay applies the patch to the base in a detached work tree of the
repository, observes it as the action's review does, by the same code (:func:`workorder.loop.review_runs.observe_review`:
the verify run measured for diff coverage, PASS_TO_PASS, FAIL_TO_PASS's base-source run, the held-out
acceptance tests, the dependency audit), runs the gates (:data:`workorder.gates.GATES`, looked up when it runs)
with the config of the base commit, and compares the new verdict with the recorded one. The LLM reviewer is not
re-run: its findings are carried over from the record. The baseline comes from the records' base cache.
"""

from __future__ import annotations

import difflib
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from .. import gates as gates_module
from ..contracts.defaultbranch import read_default_branch
from ..contracts.packet import DoDPacket, Verdict, verdict_for
from ..contracts.workorder import WorkOrder
from ..evidence.diff import read_diff
from ..gates.criteria import evidence_table
from ..loop.archive import archive_path, without_archive
from ..loop.audit import Journal
from ..loop.review_runs import observe_review
from ..shell.gitops import Git

_TIMING = re.compile(r"(Ran \d+ tests?) in \d+(?:\.\d+)?s")

__all__ = ["ReplayError", "audit_lines", "replay_review", "replay_runs"]


class ReplayError(Exception):
    """A record cannot be replayed (no replay.json, the base commit is not in the repository, …)."""


@dataclass(frozen=True)
class Replayed:
    """One review replayed: its record folder, the recorded and the new audit lines."""

    record: Path
    recorded: list[str]
    replayed: list[str]

    def diff(self) -> list[str]:
        """The unified diff of recorded → replayed (empty when they agree)."""
        return list(difflib.unified_diff(self.recorded, self.replayed, f"{self.record}/verdict.json (recorded)",
                                         f"{self.record}/verdict.json (replayed)", lineterm=""))


def audit_lines(verdict: dict) -> list[str]:
    """The lines of a verdict as compared: verdict, findings, evidence table and corrective prompt, as
    sorted JSON (unittest's ``Ran N tests in 0.001s`` without the time)."""
    keep = {k: verdict.get(k) for k in ("verdict", "findings", "evidence", "corrective_prompt")}
    text = json.dumps(keep, indent=2, sort_keys=True)
    return _TIMING.sub(r"\1 in <time>", text).splitlines()  # test runners' wall-clock times differ run to run


def _llm_findings(recorded: Verdict) -> list:
    return [f for f in recorded.findings if f.source == "llm"]


def replay_review(git: Git, record: Path, runs_root: Path, verify_env: dict[str, str], work: Path) -> Replayed:
    """Replay the review recorded in ``record`` against the repository ``git`` (which must hold the base
    commit), with ``verify_env`` for the verify commands and ``work`` as scratch space. Raises ReplayError."""
    try:
        facts = json.loads((record / "replay.json").read_text(encoding="utf-8"))
        recorded = Verdict.model_validate_json((record / "verdict.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReplayError(f"{record}: not a replayable review record ({exc})") from None
    base = facts["base"]
    if not git.rev(base):
        raise ReplayError(f"{record}: base commit {base} is not in {git.repo}")
    order, packet = WorkOrder.model_validate(facts["order"]), DoDPacket.model_validate(facts["packet"])
    trusted = read_default_branch(git, "main", ref=base)
    config = trusted.config
    tree = work / f"{facts['issue']}-{record.name}"
    git.run("worktree", "add", "-q", "--detach", str(tree), base)
    try:
        wt = git.at(tree)
        patch = record / "diff.patch"
        if patch.stat().st_size:
            wt.run("apply", "--index", "--binary", str(patch))
            wt.run("-c", "user.name=workorder replay", "-c", "user.email=replay@localhost", "commit", "-q",
                   "--no-gpg-sign", "--allow-empty", "-m", "replay")
        diff = without_archive(read_diff(wt, base, "HEAD"), archive_path(config, facts["issue"], facts["title"]))
        log_dir = work / f"logs-{facts['issue']}-{record.name}"
        log_dir.mkdir(parents=True)
        deps = SimpleNamespace(git=git, worktrees=work / "trees", verify_env=verify_env, sandbox=None,
                               config=config, journal=Journal(runs_root))
        observed = observe_review(deps, facts["issue"], wt, base, order, packet, diff, log_dir)  # the review's steps
        ctx = observed.gate_context(order, deps, diff, packet, wt, tuple(facts.get("reverted", [])))
        findings = gates_module.run_gates(ctx, gates_module.GATES)
        findings = gates_module.order_findings(findings + _llm_findings(recorded))
    finally:
        git.run("worktree", "remove", "--force", str(tree), check=False)
        shutil.rmtree(tree, ignore_errors=True)
    outcome = verdict_for(findings)
    cycle = int(record.name.split("-", 1)[0])
    corrective = None
    if outcome == "FAIL":
        corrective = trusted.templates.render("corrective_prompt.md.j2", order=order, findings=findings,
                                              cycle=cycle, packet=packet)
    new = Verdict(verdict=outcome, findings=findings, corrective_prompt=corrective, notes=recorded.notes,
                  evidence=evidence_table(ctx))
    return Replayed(record, audit_lines(recorded.model_dump(mode="json")), audit_lines(new.model_dump(mode="json")))


def review_records(runs_root: Path) -> list[Path]:
    """Every review record under ``runs_root``, by issue then cycle."""
    found = [p for p in runs_root.glob("*/*-review") if p.is_dir() and p.parent.name.isdigit()]
    return sorted(found, key=lambda p: (int(p.parent.name), int(p.name.split("-", 1)[0])))


def replay_runs(git: Git, runs_root: Path, verify_env: dict[str, str]) -> list[Replayed]:
    """Replay every review recorded under ``runs_root`` against ``git``; raises ReplayError when there is none
    or one cannot be replayed."""
    records = review_records(runs_root)
    if not records:
        raise ReplayError(f"no review records under {runs_root}")
    with tempfile.TemporaryDirectory(prefix="workorder-replay-") as scratch:
        return [replay_review(git, r, runs_root, verify_env, Path(scratch)) for r in records]
