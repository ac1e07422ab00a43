"""FAIL_TO_PASS's run: the verify commands on the base source under the head's tests.

The action runs the verify commands a second time, in a detached work tree at the base commit with the
head's test files put in (every file the config's ``test_patterns`` match, and every ``conftest.py``,
taken from the head; everything else from the base) — "the base source under the head's tests", the
way SWE-bench judges a patch. The results are kept in the run records
(``<runs>/<issue>/f2p-<base>-<digest>/results.json``, the digest covering the commands and the head's
test files), so a cycle that does not change the tests does not run them again. What the results prove
is :mod:`workorder.gates.fail_to_pass`'s.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from ..evidence.test_selection import Selection
from ..evidence.testresults import RESULTS_DIR, TestResults, collect_results, normalise_test_id
from ..evidence.verify import run_verify_commands
from ..inputs.globs import compile_globs
from .base_run import _remove_tree
from .heldout_run import remove_from_tree

if TYPE_CHECKING:
    from pathlib import Path

    from ..contracts.config import RepoConfig
    from ..contracts.packet import DoDPacket
    from ..evidence.diff import Diff
    from ..shell.gitops import Git
    from .deps import LoopDeps

CHUNK = 200  # paths per git command


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
    files are removed), pytest running only the ``wanted`` tests (:mod:`workorder.evidence.test_selection`), with
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
    DoD packet names a test or a command as evidence."""
    return (config.fail_to_pass.enabled and packet.reported_by == "runner" and packet.status == "done"
            and any(e.kind in ("test", "command") for e in packet.evidence))


def observe_base_source(deps: LoopDeps, issue: int, base_sha: str, head_sha: str, commands: list[str],
                        packet: DoDPacket, diff: Diff) -> TestResults | None:
    """The base-source results the review of ``packet`` needs (:func:`base_source_results` of the
    verify ``commands`` for the evidence tests and the tests of ``diff``'s changed test files), or None
    when it needs none (:func:`wants_base_source_run`) or there are no verify commands, and when the
    packet cites no test and the diff changes no test file: then the base source under the head's tests
    is the base commit, whose PASS_TO_PASS results stand in
    (:func:`workorder.gates.fail_to_pass_proof.base_source_of`). Raises GitError when the tree cannot be made."""
    if not commands or not wants_base_source_run(deps.config, packet):
        return None
    tests = compile_globs([*deps.config.test_patterns, "**/conftest.py", "conftest.py"])
    changed = [p for p in diff.touched_paths if tests.match_file(p)]
    wanted = [normalise_test_id(e.ref) for e in packet.evidence if e.kind == "test"]
    if not wanted and not changed:
        return None
    wanted += [normalise_test_id(p) for p in changed if p.endswith(".py") and not p.endswith("conftest.py")]
    return base_source_results(deps, issue, base_sha, head_sha, commands, wanted)
