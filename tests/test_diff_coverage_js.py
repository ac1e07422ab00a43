"""Diff coverage for JavaScript and TypeScript (issue 19, item 4: "Jest/Vitest coverage when configured"):
the coverage report the project's Jest or Vitest config writes during the review's verify run names the
changed lines no test ran (workorder.evidence.coverage_js). Table tests of both report formats with the
reports real Jest 30 and Vitest 4 wrote, the probe's defences with their controls, then (slow) real Jest and
Vitest runs in a real git repository, installed into the agent-CLI cache the way tests/agents/cli_install.py
installs npm CLIs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.cli_install import cache_root
from test_baseline import commit
from workorder.contracts.config import RepoConfig
from workorder.contracts.packet import DoDPacket, Severity
from workorder.contracts.workorder import WorkOrder
from workorder.evidence import coverage_js
from workorder.evidence.coverage_js import JsCoverageProbe, js_probe, read_istanbul, read_lcov, read_report, repo_path
from workorder.evidence.coverage_probe import DiffCoverage
from workorder.evidence.diff import read_diff
from workorder.evidence.verify import run_verify_commands
from workorder.gates.context import GateContext
from workorder.gates.diff_coverage import gate_diff_coverage
from workorder.inputs.globs import compile_globs
from workorder.shell.gitops import Git
from workorder.shell.isolation import detect_privilege, sandbox_for

pytestmark = pytest.mark.xdist_group("js-runners")  # one worker fills the cached Jest/Vitest installs

# What Jest 30.5.2 wrote (coverageReporters json and lcov) for src/calc.js below, its test calling add(1, 2)
# and clamp(5, 0, 10): statement 2 (`return lo`, line 7) and 4 (`return hi`, on line 9 after the `if`) never ran.
JEST_JSON = {"/tmp/jsdemo/src/calc.js": {
    "path": "/tmp/jsdemo/src/calc.js",
    "statementMap": {"0": {"start": {"line": 2, "column": 2}, "end": {"line": 2, "column": 15}},
                     "1": {"start": {"line": 6, "column": 2}, "end": {"line": 8, "column": 3}},
                     "2": {"start": {"line": 7, "column": 4}, "end": {"line": 7, "column": 14}},
                     "3": {"start": {"line": 9, "column": 2}, "end": {"line": 9, "column": 24}},
                     "4": {"start": {"line": 9, "column": 14}, "end": {"line": 9, "column": 24}},
                     "5": {"start": {"line": 10, "column": 2}, "end": {"line": 10, "column": 11}},
                     "6": {"start": {"line": 13, "column": 0}, "end": {"line": 13, "column": 32}}},
    "fnMap": {"0": {"name": "add", "decl": {"start": {"line": 1, "column": 9}, "end": {"line": 1, "column": 12}},
                    "loc": {"start": {"line": 1, "column": 19}, "end": {"line": 3, "column": 1}}, "line": 1}},
    "branchMap": {"0": {"loc": {"start": {"line": 6, "column": 2}, "end": {"line": 8, "column": 3}}, "type": "if",
                        "locations": [{"start": {"line": 6, "column": 2}, "end": {"line": 8, "column": 3}},
                                      {"start": {}, "end": {}}], "line": 6}},
    "s": {"0": 1, "1": 1, "2": 0, "3": 1, "4": 0, "5": 1, "6": 1}, "f": {"0": 1}, "b": {"0": [0, 1]},
    "_coverageSchema": "1a1c01bbd47fc00a2c39e90264f33305004495a9", "hash": "79dcf4576df04ac75c35deadb4b66bb9aee7bb08"}}
JEST_LINES = {2: True, 6: True, 7: False, 9: True, 10: True, 13: True}
# Jest's and Vitest's (v8 provider) lcov.info of the same run: SF relative to the run's root.
LCOV = ("TN:\nSF:src/calc.js\nFN:1,add\nFN:5,clamp\nFNF:2\nFNH:2\nFNDA:1,add\nFNDA:1,clamp\n"
        "DA:2,1\nDA:6,1\nDA:7,0\nDA:9,1\nDA:10,1\nDA:13,1\nLF:6\nLH:5\n"
        "BRDA:6,0,0,0\nBRDA:6,0,1,1\nBRDA:9,1,0,0\nBRDA:9,1,1,1\nBRF:4\nBRH:2\nend_of_record\n")


# -- the two report formats ------------------------------------------------------------------------
@pytest.mark.parametrize(("report", "expected"), [
    (JEST_JSON, {"/tmp/jsdemo/src/calc.js": JEST_LINES}),
    # older istanbul: the file's coverage under "data"; Vitest's v8 provider writes "column": null
    ({"/r/a.js": {"data": {"statementMap": {"0": {"start": {"line": 3, "column": None}}}, "s": {"0": 2}}}},
     {"/r/a.js": {3: True}}),
    # wrong shapes skipped: no statementMap, a statement without a count, a bool count, line 0, a string line
    ({"/r/a.js": {"s": {}}, "/r/b.js": {"statementMap": {"0": {"start": {"line": 1}}, "1": {"start": {"line": 2}},
                                                         "2": {"start": {"line": 0}}, "3": {"start": {"line": "4"}},
                                                         "4": {"start": {"line": 5}}},
                                        "s": {"0": 0, "2": 1, "3": 1, "4": True}}},
     {"/r/b.js": {1: False}}),
    # two statements on one line: it ran when one of them ran (istanbul's getLineCoverage)
    ({"a.js": {"statementMap": {"0": {"start": {"line": 1}}, "1": {"start": {"line": 1}}}, "s": {"0": 0, "1": 3}}},
     {"a.js": {1: True}}),
])
def test_istanbul_json_gives_each_files_executable_lines_and_which_ran(report, expected):
    assert read_istanbul(json.dumps(report)) == expected


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '"x"', "[" * 100000])
def test_what_is_not_an_istanbul_object_is_no_report(text):
    assert read_istanbul(text) is None


@pytest.mark.parametrize(("text", "expected"), [
    (LCOV, {"src/calc.js": JEST_LINES}),
    # two records, a checksum, malformed DA lines skipped, the last record without end_of_record
    ("SF:/w/a.ts\nDA:1,0,abc\nDA:x,1\nDA:2\nDA:0,1\nDA:3,-\nend_of_record\nSF:b.js\nDA:4,12\n",
     {"/w/a.ts": {1: False}, "b.js": {4: True}}),
    # the same file twice (merged reports): a line ran when it ran in either
    ("SF:a.js\nDA:1,0\nDA:2,0\nend_of_record\nSF:a.js\nDA:1,5\nend_of_record\n", {"a.js": {1: True, 2: False}}),
    ("DA:1,1\n", None),  # no SF record: not LCOV
    ("", None),
])
def test_lcov_gives_each_files_executable_lines_and_which_ran(text, expected):
    assert read_lcov(text) == expected


def test_the_format_is_told_apart_by_content():
    assert read_report(json.dumps(JEST_JSON).encode()) == {"/tmp/jsdemo/src/calc.js": JEST_LINES}
    assert read_report(LCOV.encode()) == {"src/calc.js": JEST_LINES}


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(alphabet="SFDA:,0123456789-\nend_of_record{}[]\"stmap", max_size=300)
                 .map(str.encode), st.recursive(st.none() | st.integers() | st.text(max_size=5),
                                                lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3))
                 .map(lambda v: json.dumps(v).encode())))
def test_any_report_text_is_read_without_raising(data):
    files = read_report(data)
    assert files is None or all(isinstance(n, int) and isinstance(r, bool) for lines in files.values() for n, r in lines.items())


ROOTS = ("/work/tree", "/link/tree")
WANTED = {"src/calc.js", "packages/a/src/x.ts"}


@pytest.mark.parametrize(("name", "project", "expected"), [
    ("/work/tree/src/calc.js", "", "src/calc.js"),
    ("/link/tree/src/calc.js", "", "src/calc.js"),  # the work tree as given, before symlinks are resolved
    ("file:///work/tree/src/calc.js", "", "src/calc.js"),
    ("/work/tree/./lib/../src/calc.js", "", "src/calc.js"),
    ("src/calc.js", "", "src/calc.js"),
    ("./src/calc.js", "", "src/calc.js"),
    ("src/x.ts", "packages/a", "packages/a/src/x.ts"),  # a monorepo package's lcov.info, relative to its root
    ("/work/treehouse/src/calc.js", "", None),  # a sibling folder is not the work tree
    ("/elsewhere/src/calc.js", "", None),
    ("/work/tree/../tree2/src/calc.js", "", None),
    ("../tree/src/calc.js", "", None),
    ("../../etc/passwd", "packages/a", None),
    ("src/other.js", "", None),  # not a changed file: nothing to say about it
    ("", "", None),
    ("src/calc.js\x00", "", None),
])
def test_report_paths_map_onto_changed_files_of_the_work_tree_only(name, project, expected):
    assert repo_path(name, ROOTS, project, WANTED) == expected


# -- the probe --------------------------------------------------------------------------------------
def _write(tree: Path, rel: str, text: str) -> Path:
    path = tree / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _istanbul(tree: Path, path: str, lines: dict[int, int]) -> str:
    """An Istanbul JSON report for ``tree/path``: one statement per line with its count."""
    return json.dumps({str(tree / path): {"path": str(tree / path), "s": {str(i): c for i, c in enumerate(lines.values())},
                                          "statementMap": {str(i): {"start": {"line": n, "column": 0}, "end": {"line": n}}
                                                           for i, n in enumerate(lines)}}})


ADDED = {"src/calc.js": {5, 6, 7, 8, 9, 10, 11}, "src/util.ts": {1, 2}, "calc.py": {1}}


def test_the_probe_reads_both_reports_of_its_run_and_deletes_them(tmp_path):
    probe = JsCoverageProbe(tmp_path)
    assert probe.env({"PATH": "/bin"}) == {}  # the project's own config turns coverage on
    _write(tmp_path, "coverage/coverage-final.json", _istanbul(tmp_path, "src/calc.js", {6: 1, 7: 0, 9: 1, 13: 1}))
    _write(tmp_path, "coverage/lcov.info", "SF:src/calc.js\nDA:10,0\nDA:7,0\nend_of_record\nSF:src/util.ts\nDA:1,1\n")
    assert probe.read(ADDED) == {"src/calc.js": ({6, 7, 9, 10}, {6, 9}), "src/util.ts": ({1}, {1})}
    assert not (tmp_path / "coverage" / "coverage-final.json").exists() and not (tmp_path / "coverage" / "lcov.info").exists()


def test_no_report_is_no_data_and_a_report_without_the_file_leaves_it_unmeasured(tmp_path):
    probe = JsCoverageProbe(tmp_path)
    assert probe.read(ADDED) is None  # the config wrote no report: nothing is claimed
    _write(tmp_path, "coverage/lcov.info", "SF:src/other.js\nDA:1,1\nend_of_record\n")
    assert probe.read(ADDED) == {}  # measured; src/calc.js was never loaded: its executable lines are unknown


def test_a_report_the_agent_committed_is_deleted_before_the_run(tmp_path, monkeypatch):
    fake = _istanbul(tmp_path, "src/calc.js", {n: 1 for n in ADDED["src/calc.js"]})  # "every line ran"
    _write(tmp_path, "coverage/coverage-final.json", fake)
    probe = JsCoverageProbe(tmp_path)
    probe.env({})  # the run that follows writes no report (the agent's config turned the reporter off)
    assert probe.read(ADDED) is None
    # control: without the delete step the committed report would be read as the run's
    _write(tmp_path, "coverage/coverage-final.json", fake)
    monkeypatch.setattr(JsCoverageProbe, "clear", lambda self: [])
    unguarded = JsCoverageProbe(tmp_path)
    unguarded.env({})
    assert unguarded.read(ADDED) == {"src/calc.js": (ADDED["src/calc.js"], ADDED["src/calc.js"])}


def test_a_symlinked_report_or_report_folder_is_not_followed(tmp_path):
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    secret = _write(outside, "coverage-final.json", _istanbul(tree, "src/calc.js", {5: 1}))
    (tree / "coverage").mkdir(parents=True)
    (tree / "coverage" / "coverage-final.json").symlink_to(secret)
    probe = JsCoverageProbe(tree)  # deletes the link itself, never its target
    assert not (tree / "coverage" / "coverage-final.json").is_symlink() and secret.exists()
    (tree / "coverage" / "coverage-final.json").symlink_to(secret)  # made again by the run
    assert probe.read({"src/calc.js": {5}}) is None and secret.exists()
    shutil.rmtree(tree / "coverage")
    (tree / "coverage").symlink_to(outside, target_is_directory=True)  # a folder link: nothing through it
    probe.clear()
    assert secret.exists() and probe.read({"src/calc.js": {5}}) is None
    # control: a naive unlink of the configured path deletes the file outside the work tree
    os.unlink(tree / "coverage" / "coverage-final.json")
    assert not secret.exists()


def test_a_fifo_or_an_oversized_report_is_not_read(tmp_path, monkeypatch):
    (tmp_path / "coverage").mkdir()
    os.mkfifo(tmp_path / "coverage" / "lcov.info")  # opening it for reading would block the action
    probe = JsCoverageProbe(tmp_path, ["coverage/lcov.info"])
    assert not (tmp_path / "coverage" / "lcov.info").exists()  # deleted before the run
    os.mkfifo(tmp_path / "coverage" / "lcov.info")
    assert probe.read({"src/calc.js": {1}}) is None
    _write(tmp_path, "coverage/lcov.info", "SF:src/calc.js\nDA:1,1\nend_of_record\n")
    monkeypatch.setattr(coverage_js, "MAX_REPORT_BYTES", 10)
    assert probe.read({"src/calc.js": {1}}) is None
    _write(tmp_path, "coverage/lcov.info", "SF:src/calc.js\nDA:1,1\nend_of_record\n")
    monkeypatch.setattr(coverage_js, "MAX_REPORT_BYTES", 1000)  # control: the same report, under the cap
    assert probe.read({"src/calc.js": {1}}) == {"src/calc.js": ({1}, {1})}


@pytest.mark.parametrize(("changed", "settings", "made"), [
    (["src/calc.js"], {}, True),
    (["web/app.tsx", "README.md"], {}, True),
    (["src/calc.test.js", "calc.py"], {}, False),  # only a test and Python: nothing for this probe
    (["__tests__/calc.js"], {}, False),
    (["src/calc.js"], {"enabled": False}, False),
    (["src/calc.js"], {"reports": []}, False),
    (["src/calc.js"], {"reports": ["web/coverage/lcov.info"]}, True),
])
def test_the_probe_is_made_when_configured_and_js_changed(tmp_path, changed, settings, made):
    probe = js_probe(RepoConfig.model_validate({"diff_coverage": settings}), tmp_path, changed)
    assert (probe is not None) == made
    if probe is not None:
        assert probe.reports == (settings.get("reports") or ["coverage/coverage-final.json", "coverage/lcov.info"])


@pytest.mark.parametrize("bad", ["/tmp/lcov.info", "../lcov.info", "coverage/../../x", "coverage/*.json", "", "./x",
                                 "a\\b", "~/x"])
def test_report_paths_must_be_plain_files_of_the_repository(bad):
    with pytest.raises(ValueError, match="diff_coverage.reports"):
        RepoConfig.model_validate({"diff_coverage": {"reports": [bad]}})


@pytest.mark.skipif(detect_privilege() is None, reason="the agent-user boundary needs root or passwordless sudo (sudo -n)")
def test_a_sandboxed_verify_run_writes_the_report_in_the_work_tree_and_the_action_reads_it(tmp_path):
    box = sandbox_for("user", True, privilege=detect_privilege())
    try:
        tree = box.worktrees / "1"
        _write(tree, "coverage/lcov.info", "SF:src/calc.js\nDA:1,1\nDA:2,1\nend_of_record\n")  # committed: "all ran"
        probe = JsCoverageProbe(tree)
        # what Jest does as the agent user: the report, with the run's absolute (resolved) work tree path
        cmd = ('mkdir -p coverage && printf "SF:%s/src/calc.js\\nDA:1,1\\nDA:2,0\\nend_of_record\\n" "$PWD" '
               '> coverage/lcov.info && id -u > coverage/uid')
        [run] = run_verify_commands([cmd], tree, {"PATH": "/usr/bin:/bin"}, 60, tmp_path, sandbox=box)
        assert run.exit_code == 0, run.output_tail
        assert int((tree / "coverage" / "uid").read_text()) != os.getuid()  # written by the agent user
        assert probe.read({"src/calc.js": {1, 2}}) == {"src/calc.js": ({1, 2}, {1})}
    finally:
        box.close()


# -- the finding -------------------------------------------------------------------------------------
def diff_coverage(measured: dict | None, added: dict[str, set[int]]) -> DiffCoverage:
    """The DiffCoverage the review would build from the probe's result (its registration is coverage_probe's)."""
    js = sorted(p for p in added if p.endswith(JsCoverageProbe.suffixes))
    if measured is None:
        return DiffCoverage(measured=False, not_measured=js)
    result = DiffCoverage(not_measured=[p for p in js if p not in measured])
    for path, (lines, ran) in measured.items():
        if lines:
            result.changed[path] = sorted(lines)
        if lines - ran:
            result.missed[path] = sorted(lines - ran)
    return result


def findings(tree: Path, covered: DiffCoverage, config: RepoConfig | None = None):
    config = config or RepoConfig()
    ctx = GateContext(WorkOrder(objective="Add clamp", in_scope=["**"], done_when=["clamp works"]), config,
                      None, [], DoDPacket(status="done", summary="s"), tree, diff_coverage=covered)
    return gate_diff_coverage(ctx)


def test_the_gate_names_uncovered_js_ranges(tmp_path):
    added = {"src/calc.js": {5, 6, 7, 8, 9, 10, 11, 12, 13}}
    covered = diff_coverage({"src/calc.js": ({6, 7, 9, 10, 12}, {6, 9, 12})}, added)
    [finding] = findings(tmp_path, covered, RepoConfig.model_validate({"diff_coverage": {"min_percent": 80}}))
    assert (finding.rule, finding.severity, finding.path, finding.line) == ("coverage.changed_lines", Severity.MAJOR,
                                                                            "src/calc.js", 7)
    assert "src/calc.js:7, src/calc.js:10" in finding.evidence


# -- real Jest and Vitest runs (slow: installs the runners from the npm registry, cached) ----------------
RUNNERS = {"jest": ("jest@30.5.2", ["jest@30.5.2"]),
           "vitest": ("vitest@4.1.12", ["vitest@4.1.12", "@vitest/coverage-v8@4.1.12"])}  # vitest 5 needs Node 22
COMMANDS = {"jest": "./node_modules/.bin/jest --coverage --ci", "vitest": "./node_modules/.bin/vitest run --coverage"}
CALC_JS = "function add(a, b) {\n  return a + b;\n}\n\nmodule.exports = { add };\n"
CLAMP_JS = ("function add(a, b) {\n  return a + b;\n}\n\nfunction clamp(n, lo, hi) {\n  if (n < lo) {\n    return lo;\n"
            "  }\n  if (n > hi) {\n    return hi;\n  }\n  return n;\n}\n\nmodule.exports = { add, clamp };\n")
TEST_ADD = 'const { add } = require("./calc");\n\ntest("adds", () => {\n  expect(add(1, 2)).toBe(3);\n});\n'
TEST_CLAMP = ('const { add, clamp } = require("./calc");\n\ntest("adds", () => {\n  expect(add(1, 2)).toBe(3);\n});\n\n'
              'test("clamps inside", () => {\n  expect(clamp(5, 0, 10)).toBe(5);\n});\n')
TEST_CLAMP_ALL = TEST_CLAMP + ('\ntest("clamps the edges", () => {\n  expect(clamp(-1, 0, 10)).toBe(0);\n'
                               '  expect(clamp(11, 0, 10)).toBe(10);\n});\n')


def node_modules(runner: str) -> Path:
    """The cached node_modules holding ``runner`` at its pinned version, installed on first use (npm
    missing: skipped outside CI, where .ci/run has already required it)."""
    if (shutil.which("npm") is None or shutil.which("node") is None) and os.environ.get("CI") != "true":
        pytest.skip(f"npm and node are needed to install {runner} for the real JavaScript coverage run")
    folder, packages = RUNNERS[runner]
    prefix = cache_root() / "npm" / folder
    if not (prefix / "node_modules" / ".bin" / runner).exists():
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(prefix), "-E", *packages],
                       check=True, stdout=subprocess.DEVNULL)
    return prefix / "node_modules"


def js_repo(tmp_path: Path, runner: str, reporters: list[str]) -> tuple[Git, dict[str, str]]:
    """A git repository on ``main`` whose Jest or Vitest config writes coverage ``reporters``, with
    src/calc.js and its test; node_modules links to the cached runner (ignored, as a project's is)."""
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "node_modules").symlink_to(node_modules(runner), target_is_directory=True)
    (root / ".gitignore").write_text("node_modules\n")
    package = {"name": "calc", "version": "1.0.0", "private": True}
    if runner == "jest":
        package["jest"] = {"coverageReporters": reporters, "collectCoverageFrom": ["src/**/*.js"]}
    else:
        (root / "vitest.config.mjs").write_text(
            "export default { test: { globals: true, coverage: { provider: 'v8', reporter: %s, include: ['src/**/*.js'] } } };\n"
            % json.dumps(reporters))
    (root / "package.json").write_text(json.dumps(package, indent=2))
    (root / "src" / "calc.js").write_text(CALC_JS)
    (root / "src" / "calc.test.js").write_text(TEST_ADD)
    env = {"PATH": f"{Path(shutil.which('node') or '/usr/bin/node').parent}:/usr/bin:/bin", "HOME": str(tmp_path),
           "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "LANG": "C.UTF-8", "CI": "true"}
    git = Git(repo=root, env=env)
    git.run("init", "-q", "-b", "main")
    commit(git, "base")
    return git, env


def review(git: Git, env: dict[str, str], tmp_path: Path, base: str, runner: str, config: RepoConfig | None = None):
    """The review's verify run of ``runner`` at HEAD, measured by the JS probe; returns (probe result, DiffCoverage,
    findings)."""
    config = config or RepoConfig()
    diff = read_diff(git, base)
    tests = compile_globs(config.test_patterns)
    added: dict[str, set[int]] = {}
    for line in diff.added_lines:
        if not tests.match_file(line.path):
            added.setdefault(line.path, set()).add(line.line)
    probe = js_probe(config, git.repo, list(added))
    assert probe is not None
    log_dir = tmp_path / "review"
    log_dir.mkdir(exist_ok=True)
    [run] = run_verify_commands([COMMANDS[runner]], git.repo, {**env, **probe.env(env)}, 120, log_dir, test_reports=True)
    assert run.exit_code == 0, run.output_tail
    measured = probe.read(added)
    covered = diff_coverage(measured, added)
    return measured, covered, findings(git.repo, covered, config)


@pytest.mark.slow
@pytest.mark.parametrize(("runner", "reporters"), [("jest", ["json"]), ("jest", ["lcov"]), ("vitest", ["json"]),
                                                   ("vitest", ["lcov"])])
def test_real_run_names_the_changed_lines_no_test_ran(tmp_path, runner, reporters):
    git, env = js_repo(tmp_path, runner, reporters)
    base = git.rev("HEAD")
    (git.repo / "src" / "calc.js").write_text(CLAMP_JS)
    (git.repo / "src" / "calc.test.js").write_text(TEST_CLAMP)
    commit(git, "clamp, half tested")
    measured, covered, found = review(git, env, tmp_path, base, runner,
                                      RepoConfig.model_validate({"diff_coverage": {"min_percent": 100}}))
    assert measured == {"src/calc.js": ({6, 7, 9, 10, 12, 15}, {6, 9, 12, 15})}
    [finding] = found
    assert (finding.rule, finding.severity, finding.path, finding.line) == ("coverage.changed_lines", Severity.MAJOR,
                                                                            "src/calc.js", 7)
    assert "never executed: src/calc.js:7, src/calc.js:10" in finding.evidence
    assert finding.message.startswith("2 changed lines never ran under the verify commands (67 %")
    assert not (git.repo / "coverage" / {"json": "coverage-final.json", "lcov": "lcov.info"}[reporters[0]]).exists()


@pytest.mark.slow
@pytest.mark.parametrize("runner", ["jest", "vitest"])
def test_real_run_of_a_fully_tested_change_names_nothing(tmp_path, runner):
    git, env = js_repo(tmp_path, runner, ["json", "lcov"])
    base = git.rev("HEAD")
    (git.repo / "src" / "calc.js").write_text(CLAMP_JS)
    (git.repo / "src" / "calc.test.js").write_text(TEST_CLAMP_ALL)
    commit(git, "clamp, tested")
    measured, covered, found = review(git, env, tmp_path, base, runner)
    assert covered.changed == {"src/calc.js": [6, 7, 9, 10, 12, 15]} and not covered.missed and found == []


@pytest.mark.slow
def test_real_run_does_not_believe_a_committed_report(tmp_path, monkeypatch):
    git, env = js_repo(tmp_path, "jest", ["json"])
    base = git.rev("HEAD")
    (git.repo / "src" / "calc.js").write_text(CLAMP_JS)
    (git.repo / "src" / "calc.test.js").write_text(TEST_CLAMP)
    package = json.loads((git.repo / "package.json").read_text())
    package["jest"]["coverageReporters"] = ["text"]  # the agent turns the report off and commits its own
    (git.repo / "package.json").write_text(json.dumps(package))
    lines = [6, 7, 9, 10, 12, 15]
    fake = {str(git.repo / "src" / "calc.js"): {"path": str(git.repo / "src" / "calc.js"), "s": {str(n): 1 for n in lines},
                                                "statementMap": {str(n): {"start": {"line": n, "column": 0}} for n in lines}}}
    (git.repo / "coverage").mkdir()
    (git.repo / "coverage" / "coverage-final.json").write_text(json.dumps(fake))
    commit(git, "clamp, half tested, with a coverage report saying every line ran")
    measured, covered, [finding] = review(git, env, tmp_path, base, "jest")
    assert measured is None and (finding.rule, finding.severity) == ("coverage.not_measured", Severity.MINOR)
    assert "src/calc.js" in finding.message
    # control: without the delete step the committed report is read as the run's, and nothing is named
    git.run("checkout", "-q", "--", "coverage")
    monkeypatch.setattr(JsCoverageProbe, "clear", lambda self: [])
    measured, covered, found = review(git, env, tmp_path, base, "jest")
    assert measured == {"src/calc.js": (set(lines), set(lines))} and found == []


@pytest.mark.slow
@pytest.mark.parametrize("runner", ["jest", "vitest"])
def test_real_run_names_a_new_file_no_test_loads(tmp_path, runner):
    git, env = js_repo(tmp_path, runner, ["lcov"])  # collectCoverageFrom / coverage.include list src/**/*.js
    base = git.rev("HEAD")
    (git.repo / "src" / "double.js").write_text("function double(x) {\n  return x * 2;\n}\n\nmodule.exports = { double };\n")
    commit(git, "double, untested")
    measured, covered, [finding] = review(git, env, tmp_path, base, runner)
    assert measured == {"src/double.js": ({2, 5}, set())}
    assert (finding.rule, finding.severity) == ("coverage.changed_lines", Severity.MINOR)  # min_percent 0: a note
    assert "never executed: src/double.js:2, src/double.js:5" in finding.evidence


@pytest.mark.slow
def test_the_review_probe_measures_js_beside_python(tmp_path, monkeypatch):
    """start_probe, as the PO review calls it, carries the JS probe: the half-tested change's lines are named;
    control: with no language probes registered the same change is only 'not measured'."""
    from workorder.evidence import coverage_probe

    git, env = js_repo(tmp_path, "jest", ["json"])
    base = git.rev("HEAD")
    (git.repo / "src" / "calc.js").write_text(CLAMP_JS)
    (git.repo / "src" / "calc.test.js").write_text(TEST_CLAMP)
    commit(git, "clamp, half tested")
    config = RepoConfig()

    def measured_by_the_review():
        diff = read_diff(git, base)
        probe = coverage_probe.start_probe(config, diff, git.repo)
        assert probe is not None
        log_dir = tmp_path / "review"
        log_dir.mkdir(exist_ok=True)
        [run] = run_verify_commands([COMMANDS["jest"]], git.repo, {**env, **probe.env(env)}, 120, log_dir,
                                    test_reports=True)
        assert run.exit_code == 0, run.output_tail
        return probe.read(diff, config.test_patterns)

    covered = measured_by_the_review()
    assert covered.missed == {"src/calc.js": [7, 10]} and covered.not_measured == []
    monkeypatch.setattr(coverage_probe, "LANGUAGE_PROBES", [])
    covered = measured_by_the_review()
    assert covered.missed == {} and covered.not_measured == ["src/calc.js"]
