"""FAIL_TO_PASS: evidence is a test that tells the change apart.

The action runs the verify commands a second time, in a detached work tree at the base commit with the
head's test files put in (every file the config's ``test_patterns`` match, and every ``conftest.py``,
taken from the head; everything else from the base) — "the base source under the head's tests", the
way SWE-bench judges a patch. The results are kept in the run records
(``<runs>/<issue>/f2p-<base>-<digest>/results.json``, the digest covering the commands and the head's
test files), so a cycle that does not change the tests does not run them again.

A test named as evidence *discriminates* when it passes on the head and fails, errors or cannot be
collected on the base source. A done_when criterion that is *behaviour* (see :func:`needs_test`) is
proven only by such a test: a test that passes on both is ``evidence.not_discriminating`` (MAJOR;
BLOCKER when no evidence of the criterion discriminates), a criterion backed only by a command or a
path:line is ``evidence.untested`` (MAJOR). Evidence by command or path:line stays allowed for other
criteria; the review's table marks it as weaker.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Literal

from .baseline import _remove_tree
from .contracts import Finding, Severity
from .evidence import names_criterion
from .globs import compile_globs
from .heldout import remove_from_tree
from .templates import Templates
from .test_selection import Selection
from .testresults import RESULTS_DIR, TestResults, collect_results, normalise_test_id
from .verify import run_verify_commands

if TYPE_CHECKING:
    from pathlib import Path

    from .checks_config import FailToPassConfig
    from .config import RepoConfig
    from .contracts import DoDPacket
    from .diff import Diff
    from .gates import GateContext
    from .gitops import Git
    from .loop import LoopDeps

Proof = Literal["fail_to_pass", "pass_to_pass", "unknown"]
_TEXT = Templates()
_TAG = re.compile(r"^\s*\[(?P<tag>[a-z][a-z -]*)\]", re.IGNORECASE)
TEST_TAGS = frozenset({"test", "behaviour", "behavior", "fail_to_pass"})
NO_TEST_TAGS = frozenset({"no-test", "no test", "docs", "doc", "config"})
CHUNK = 200  # paths per git command


def needs_test(criterion: str, risk: str, config: FailToPassConfig) -> bool:
    """True when done_when ``criterion`` is behaviour that only a FAIL_TO_PASS test proves: it starts
    with a ``[test]``/``[behaviour]`` tag, or it has no ``[no-test]``/``[docs]``/``[config]`` tag and
    the work order's ``risk`` is one of ``config.test_required``."""
    match = _TAG.match(criterion)
    tag = match["tag"].strip().lower() if match else ""
    if tag in TEST_TAGS:
        return True
    if tag in NO_TEST_TAGS:
        return False
    return risk in config.test_required


# -- the run on the base source under the head's tests ---------------------------------------------
def head_test_files(git: Git, head_sha: str, test_patterns: list[str], extra: list[str] = ()) -> list[tuple[str, str]]:
    """(path, blob id) of every file at ``head_sha`` that ``test_patterns`` or ``extra`` globs match, or
    named conftest.py, sorted by path. Raises GitError when git cannot list the tree."""
    tests = compile_globs([*test_patterns, *extra, "**/conftest.py", "conftest.py"])
    found = []
    for line in git.run("ls-tree", "-r", "-z", head_sha).split("\0"):
        meta, _, path = line.partition("\t")
        parts = meta.split()
        if path and len(parts) == 3 and parts[1] == "blob" and tests.match_file(path):
            found.append((path, parts[2]))
    return sorted(found)


def base_source_results(deps: LoopDeps, issue: int, base_sha: str, head_sha: str, commands: list[str],
                        wanted: list[str] = ()) -> TestResults:
    """The results of ``commands`` on the base source of ``issue`` under the test files of ``head_sha``,
    pytest running only the ``wanted`` tests (dotted ids; none: all), from the run records when an
    earlier cycle ran them with the same tests, else by running them now (then recorded).
    Raises GitError when the tree cannot be made."""
    files = head_test_files(deps.git, head_sha, deps.config.test_patterns)
    key = "\n".join([*commands, "--", *(f"{p} {b}" for p, b in files), "--", *sorted(set(wanted))])
    records = deps.journal.root / str(issue) / f"f2p-{base_sha[:12]}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
    cached = records / "results.json"
    if cached.is_file():
        return TestResults.model_validate_json(cached.read_text(encoding="utf-8"))
    records.mkdir(parents=True, exist_ok=True)
    results = run_on_base_source(deps.git, deps.worktrees / f"{issue}-f2p", base_sha, head_sha,
                                 [p for p, _ in files], commands, deps, records, list(wanted))
    cached.write_text(results.model_dump_json(indent=2), encoding="utf-8")
    return results


def run_on_base_source(git: Git, tree: Path, base_sha: str, head_sha: str, test_files: list[str],
                       commands: list[str], deps: LoopDeps, log_dir: Path, wanted: list[str] = ()) -> TestResults:
    """Run ``commands`` in a detached work tree at ``base_sha`` (made at ``tree``, removed afterwards)
    whose test files are those of ``head_sha`` (``test_files``: their paths there; the base's other test
    files are removed), pytest running only the ``wanted`` tests (:mod:`workorder.test_selection`), with
    the verify environment, timeout and sandbox of ``deps``. Returns their results."""
    _remove_tree(git, tree)
    tree.parent.mkdir(parents=True, exist_ok=True)
    git.run("worktree", "add", "-q", "--detach", str(tree), base_sha)
    try:
        here = git.at(tree)
        base_tests = {p for p, _ in head_test_files(here, base_sha, deps.config.test_patterns)}
        for path in sorted(base_tests - set(test_files)):
            (tree / path).unlink(missing_ok=True)
        for start in range(0, len(test_files), CHUNK):
            here.run("checkout", head_sha, "--", *test_files[start:start + CHUNK])
        remove_from_tree(tree, deps.config.acceptance.paths)  # held-out tests run only in their own run
        with Selection(list(wanted), tree / RESULTS_DIR / "select") as selection:
            runs = run_verify_commands(commands, tree, {**deps.verify_env, **selection.env(deps.verify_env)},
                                       deps.config.verify_timeout, log_dir, sandbox=deps.sandbox, test_reports=True)
        return collect_results(tree, log_dir, runs)
    finally:
        _remove_tree(git, tree)


def wants_base_source_run(config: RepoConfig, packet: DoDPacket) -> bool:
    """True when the review needs the base-source run: the check is enabled and the runner's ``done``
    DoD packet names a test as evidence."""
    return (config.fail_to_pass.enabled and packet.reported_by == "runner" and packet.status == "done"
            and any(e.kind == "test" for e in packet.evidence))


def observe_base_source(deps: LoopDeps, issue: int, base_sha: str, head_sha: str, commands: list[str],
                        packet: DoDPacket, diff: Diff) -> TestResults | None:
    """The base-source results the review of ``packet`` needs (:func:`base_source_results` of the
    verify ``commands`` for the evidence tests and the tests of ``diff``'s changed test files), or None
    when it needs none (:func:`wants_base_source_run`) or there are no verify commands. Raises
    GitError when the tree cannot be made."""
    if not commands or not wants_base_source_run(deps.config, packet):
        return None
    tests = compile_globs(deps.config.test_patterns)
    wanted = [normalise_test_id(e.ref) for e in packet.evidence if e.kind == "test"]
    wanted += [normalise_test_id(p) for p in diff.touched_paths if p.endswith(".py") and tests.match_file(p)]
    return base_source_results(deps, issue, base_sha, head_sha, commands, wanted)


# -- judging --------------------------------------------------------------------------------------
def proof_of(ref: str, ctx: GateContext) -> Proof | None:
    """How test evidence ``ref`` fares: ``fail_to_pass`` when a test it names passed on the head and
    failed, errored or was not collected on the base source; ``pass_to_pass`` when every test it names
    passed on both; ``unknown`` when the base-source results of its command cannot be read. None when
    no test it names passed on the head (the evidence gate reports that) or no base-source run was made."""
    base, now = ctx.base_source_results, ctx.test_results
    if base is None or now is None:
        return None
    seen: list[Proof] = []
    for command in now.commands:
        passed = [c for c in TestResults(commands=[command]).matching(ref) if c.outcome == "passed"]
        if not passed:
            continue
        before = base.of(command.cmd)
        if before is None or not before.names_tests:
            seen.append("unknown")
            continue
        outcomes = {c.id: c.outcome for c in before.cases}
        seen += ["pass_to_pass" if outcomes.get(c.id) == "passed" else "fail_to_pass" for c in passed]
    if not seen:
        return None
    return "fail_to_pass" if "fail_to_pass" in seen else "unknown" if "unknown" in seen else "pass_to_pass"


def proof_detail(kind: str, ref: str, ctx: GateContext) -> str | None:
    """The table's note on one evidence entry: its FAIL_TO_PASS proof (tests), or that command and
    path:line evidence is weaker than a test. None when there is nothing to add (no base-source run:
    the check is off or the packet cites no test)."""
    if ctx.base_source_results is None:
        return None
    if kind != "test":
        return _TEXT.render_line("fail_to_pass.txt.j2", part="detail", proof="weaker")
    proof = proof_of(ref, ctx)
    return _TEXT.render_line("fail_to_pass.txt.j2", part="detail", proof=proof) if proof else None


def gate_fail_to_pass(ctx: GateContext) -> list[Finding]:
    """For each done_when criterion that needs a test (:func:`needs_test`): MAJOR
    ``evidence.not_discriminating`` for each test evidence entry that passes on the base source too
    (BLOCKER when none of the criterion's tests discriminates), MAJOR ``evidence.untested`` when its
    evidence has no test at all. Nothing when the check is off or the packet is not a runner's ``done``."""
    packet = ctx.packet
    if not ctx.config.fail_to_pass.enabled or packet.reported_by != "runner" or packet.status != "done":
        return []
    findings = []
    for number, criterion in enumerate(ctx.work_order.done_when, start=1):
        if not needs_test(criterion, ctx.work_order.risk, ctx.config.fail_to_pass):
            continue
        entries = [e for e in packet.evidence if names_criterion(e.criterion, number, criterion)]
        if not entries:
            continue  # evidence.unmapped
        tests = [(e.ref, proof_of(e.ref, ctx)) for e in entries if e.kind == "test"]
        facts = {"number": number, "criterion": criterion[:120]}
        if not tests:
            findings.append(_finding(Severity.MAJOR, "evidence.untested", facts, [e.ref for e in entries]))
            continue
        idle = [ref for ref, proof in tests if proof == "pass_to_pass"]
        if not idle:
            continue
        proven = any(proof == "fail_to_pass" for _, proof in tests)
        findings.append(_finding(Severity.MAJOR if proven else Severity.BLOCKER, "evidence.not_discriminating",
                                 facts, idle))
    return findings


def _finding(severity: Severity, rule: str, facts: dict, refs: list[str]) -> Finding:
    return Finding(severity=severity, rule=rule,
                   message=_TEXT.render_line("fail_to_pass.txt.j2", part="message", rule=rule, **facts),
                   evidence=_TEXT.render("fail_to_pass.txt.j2", part="evidence", rule=rule, refs=refs[:10],
                                         **facts).strip())
