"""Table tests of the test-integrity checks on in-memory file versions (no git): one rule at a time."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workorder.contracts.config import RepoConfig
from workorder.contracts.packet import DoDPacket, Severity
from workorder.evidence.diff import AddedLine, ChangedFile, Diff
from workorder.gates import GATES
from workorder.gates.context import GateContext
from workorder.gates.integrity import RULES, gate_test_integrity
from workorder.gates.integrity.code_gates import gate_code
from workorder.gates.integrity.policy import Policy, is_collected, verify_file_kind
from workorder.gates.integrity.sources import Source
from workorder.gates.integrity.tests_gates import ChangedTests, gate_assert_weakened, gate_skip_added, gate_tests_removed
from workorder.gates.integrity.verify_gates import gate_config_changed, gate_masked, gate_suppressions, gate_thresholds
from workorder.contracts.workorder import WorkOrder

ORDER = WorkOrder(objective="Fix div", in_scope=["**"], done_when=["tests pass"], verify=["make test"])


def policy(**order) -> Policy:
    return Policy.build(ORDER.model_copy(update=order), RepoConfig().test_patterns)


def src(path: str, base: str | None, head: str | None, old_path: str | None = None) -> Source:
    """A changed file; its added lines are computed the way git's diff would report them."""
    added = set()
    if head is not None:
        matcher = difflib.SequenceMatcher(a=(base or "").splitlines(), b=head.splitlines(), autojunk=False)
        for tag, _, _, j1, j2 in matcher.get_opcodes():
            if tag in ("replace", "insert"):
                added.update(range(j1 + 1, j2 + 1))
    status = "A" if base is None else "D" if head is None else "R" if old_path else "M"
    return Source(path, status, old_path or (None if base is None else path), base, head, frozenset(added))


def rules(findings) -> list[str]:
    return [f.rule for f in findings]


TEST_PY = "def test_div():\n    assert div(6, 3) == 2\n    assert div(1, 4) == 0.25\n"


@pytest.mark.parametrize(("base", "head", "expected"), [
    (TEST_PY, "def test_div():\n    assert div(6, 3) == 2\n", ["tests.assert_weakened"]),
    (TEST_PY, "def test_div():\n    assert div(6, 3) == 2\n    assert div(1, 4) != 0.3\n", ["tests.assert_weakened"]),
    (TEST_PY, "def test_div():\n    assert div(6, 3) == 2\n    assert div(1, 4) == 0.5\n", []),
    (TEST_PY, "def test_div():\n    assert div(6, 3) == 2\n    assert True\n", ["tests.assert_weakened"]),
    (TEST_PY, "def test_div():\n    assert div(6, 3) == 2\n    assert div(1, 4) == 0.25\n    assert div(0, 1) == 0\n", []),
])
def test_python_assertions_weakened(base, head, expected):
    changes = ChangedTests([src("tests/test_calc.py", base, head)], policy())
    assert rules(gate_assert_weakened(changes)) == expected


def test_weakened_finding_has_severity_location_and_both_versions_as_evidence():
    changes = ChangedTests([src("tests/test_calc.py", TEST_PY, "def test_div():\n    assert div(6, 3) == 2\n")], policy())
    (found,) = gate_assert_weakened(changes)
    assert (found.severity, found.path, found.line) == (Severity.BLOCKER, "tests/test_calc.py", 2)
    assert "assert div(1, 4) == 0.25" in found.evidence and "now: assert div(6, 3) == 2" in found.evidence
    assert found.message == "test `test_div` has fewer assertions (2 on the base, 1 now)"


@pytest.mark.parametrize(("files", "expected"), [
    ([src("tests/test_a.py", TEST_PY, "")], ["tests.removed"]),
    ([src("tests/test_a.py", TEST_PY, None)], ["tests.removed"]),
    ([src("tests/test_a.py", TEST_PY, TEST_PY.replace("test_div", "test_division"))], []),
    ([src("tests/test_a.py", TEST_PY, None), src("tests/test_b.py", None, TEST_PY)], []),
    ([src("tests/a_checks.py", TEST_PY, TEST_PY, old_path="tests/test_a.py")], ["tests.removed", "tests.removed"]),
    ([src("tests/spec.rb", "it 'works' do\nend\n", None)], ["tests.removed"]),
    ([src("web/a.test.js", "test('x', () => {\n  expect(f()).toBe(1);\n});\n", "")], ["tests.removed"]),
])
def test_tests_removed_unless_renamed_with_the_same_body(files, expected):
    assert rules(gate_tests_removed(ChangedTests(files, policy()))) == expected


@pytest.mark.parametrize(("head", "order", "expected"), [
    ("import pytest\n@pytest.mark.skip\n" + TEST_PY, {}, 1),
    ("import unittest\n@unittest.skipIf(True, 'x')\n" + TEST_PY, {}, 1),
    ("import pytest\n@pytest.mark.xfail(reason='bug 4')\n" + TEST_PY, {"notes": "test_div may be marked xfail"}, 0),
    ("import pytest\n@pytest.mark.xfail(reason='bug 4')\n" + TEST_PY, {"notes": "test_other may be marked xfail"}, 1),
    ("import pytest\n@pytest.mark.xfail(reason='bug 4')\n" + TEST_PY, {"notes": "test_div is about division"}, 1),
])
def test_skip_added_unless_the_work_order_names_the_test_and_the_skip(head, order, expected):
    changes = ChangedTests([src("tests/test_calc.py", TEST_PY, head)], policy(**order))
    assert len(gate_skip_added(changes)) == expected


@pytest.mark.parametrize(("path", "head", "markers"), [
    ("web/a.test.ts", "it.skip('a', () => {});\nxit('b', () => {});\ndescribe.skip('c', () => {});\ntest.todo('d');\n", 4),
    ("web/a.test.ts", "// it.skip('commented out', () => {});\nit('a', () => {});\n", 0),
    ("pkg/a_test.go", "package a\n\nfunc TestA(t *testing.T) {\n\tt.Skipf(\"later %d\", 1)\n}\n", 1),
])
def test_js_and_go_skip_markers(path, head, markers):
    assert len(gate_skip_added(ChangedTests([src(path, "", head)], policy()))) == markers


@pytest.mark.parametrize(("path", "base", "head", "expected"), [
    ("scripts/test.sh", "pytest\n", "pytest || true\n", ["verify.masked"]),
    ("scripts/test.sh", "pytest\n", "pytest || :\n", ["verify.masked"]),
    ("scripts/test.sh", "pytest\n", "rm -rf build || true\npytest\n", []),
    ("Makefile", "test:\n\tpytest\n", "test:\n\t-pytest\n", ["verify.masked"]),
    (".github/workflows/ci.yml", "steps:\n  - run: pytest\n", "steps:\n  - run: pytest\n    continue-on-error: true\n", ["verify.masked"]),
    ("tox.ini", "[testenv]\ncommands = flake8\n", "[testenv]\ncommands = flake8 --exit-zero\n", ["verify.masked"]),
    ("app/main.py", "x = 1\n", "x = 1  # run || true\n", []),
])
def test_masking_in_scripts_and_verify_files(path, base, head, expected):
    assert rules(gate_masked([src(path, base, head)], ["make test"])) == expected


@pytest.mark.parametrize(("path", "order", "expected"), [
    ("tests/conftest.py", {}, True),
    ("tests/conftest.py", {"in_scope": ["tests/**"]}, True),
    ("tests/conftest.py", {"in_scope": ["tests/conftest.py"]}, False),
    ("tests/conftest.py", {"notes": "add a fixture to conftest.py"}, False),
    (".github/workflows/ci.yml", {"in_scope": [".github/workflows/**"]}, False),
    ("usercustomize.py", {}, True),
    ("src/app.py", {}, False),
])
def test_verify_config_changed_unless_named_in_scope(path, order, expected):
    found = gate_config_changed([src(path, "a = 1\n", "a = 2\n")], policy(**order), [])
    assert bool(found) is expected


@pytest.mark.parametrize(("path", "base", "head", "expected"), [
    ("pyproject.toml", "[tool.coverage.report]\nfail_under = 90\n", "[tool.coverage.report]\nfail_under = 89.5\n", 1),
    ("pyproject.toml", "[tool.coverage.report]\nfail_under = 90\n", "[tool.coverage.report]\nshow_missing = true\n", 1),
    ("pyproject.toml", "[tool.ruff]\nline-length = 100\n", "[tool.ruff]\nline-length = 88\n", 0),
    (".flake8", "[flake8]\nmax-complexity = 10\n", "[flake8]\nmax-complexity = 25\n", 1),
    ("package.json", '{"jest": {"coverageThreshold": {"global": {"lines": 90}}}}', '{"jest": {"coverageThreshold": {"global": {"lines": 80}}}}', 1),
    ("Makefile", "lint:\n\teslint --max-warnings 0 .\n", "lint:\n\teslint --max-warnings 50 .\n", 1),
])
def test_thresholds_lowered(path, base, head, expected):
    assert len(gate_thresholds([src(path, base, head)], [])) == expected


@pytest.mark.parametrize(("path", "base", "head", "order", "expected"), [
    ("app/a.py", "import os\n", "import os  # noqa: F401\n", {}, 1),
    ("app/a.py", "import os  # noqa\n", "import os  # noqa\nimport re\n", {}, 0),
    ("app/a.py", "x = f()\n", "x = f()  # pragma: no cover\n", {}, 1),
    ("app/a.ts", "f(x)\n", "// @ts-ignore\nf(x)\n", {}, 1),
    ("app/a.go", "f()\n", "f() //nolint\n", {}, 1),
    ("app/a.py", "import os\n", "import os  # noqa: F401\n", {"notes": "use noqa on the re-export"}, 0),
])
def test_suppressions_added(path, base, head, order, expected):
    assert len(gate_suppressions([src(path, base, head)], policy(**order))) == expected


def _code(path, base, head, tests="", **order):
    return rules(gate_code([src(path, base, head)], policy(**order), lambda literal: literal in tests))


@pytest.mark.parametrize(("head", "expected"), [
    ("def f():\n    try:\n        g()\n    except BaseException:\n        return None\n", ["code.exception_swallowed"]),
    ("def f():\n    try:\n        g()\n    except (OSError, Exception):\n        pass\n", ["code.exception_swallowed"]),
    ("def f():\n    try:\n        g()\n    except OSError:\n        pass\n", []),
    ("def f():\n    try:\n        g()\n    except Exception as exc:\n        raise RuntimeError('g') from exc\n", []),
    ("def f():\n    pass\n", ["code.empty_body"]),
    ("from typing import overload\n@overload\ndef f(x: int) -> int:\n    ...\n", []),
])
def test_python_code_gates(head, expected):
    assert _code("app/a.py", "def f():\n    return g()\n", head) == expected


def test_code_in_test_files_is_not_judged_as_code():
    assert _code("tests/test_a.py", "", "def helper():\n    try:\n        g()\n    except:\n        pass\n") == []


@pytest.mark.parametrize(("head", "tests", "order", "expected"), [
    ("def f(x):\n    if x == 'hello world':\n        return 'HELLO'\n    return x\n", "f('hello world')", {}, ["code.special_cased"]),
    ("def f(x):\n    if x == 'hello world':\n        return 'HELLO'\n    return x\n", "", {}, []),
    ("def f(x):\n    if x == 'hello world':\n        return 'HELLO'\n    return x\n", "f('hello world')",
     {"objective": "greet hello world in capitals"}, []),
    ("def f(x):\n    if x == 2:\n        return 1\n    return x\n", "f(2) == 1", {}, []),
    ("def f(x):\n    if x == 'hello world':\n        return compute(x)\n    return x\n", "f('hello world')", {}, []),
])
def test_special_casing_a_tests_input(head, tests, order, expected):
    assert _code("app/a.py", "def f(x):\n    return x\n", head, tests, **order) == expected


@pytest.mark.parametrize(("head", "expected"), [
    ("try {\n  f();\n} catch (e) {\n}\n", ["code.exception_swallowed"]),
    ("try {\n  f();\n} catch {\n  return false;\n}\n", ["code.exception_swallowed"]),
    ("try {\n  f();\n} catch (e) {\n  log(e);\n  throw e;\n}\n", []),
    ("p.catch((e) => {});\n", ["code.exception_swallowed"]),
])
def test_js_catch_swallowing(head, expected):
    assert _code("web/app.js", "f();\n", head) == expected


@pytest.mark.parametrize(("path", "collected"), [
    ("tests/test_a.py", True), ("tests/a_test.py", True), ("tests/helpers.py", False), ("tests/conftest.py", False),
    ("web/a.spec.tsx", True), ("web/__tests__/a.js", True), ("test/a.js", True), ("web/a.js", False), ("pkg/a_test.go", True),
])
def test_which_files_a_runner_collects(path, collected):
    assert is_collected(path) is collected


def test_verify_file_kinds():
    assert verify_file_kind("tests/conftest.py", []) == "pytest fixtures and hooks"
    assert verify_file_kind("ci/check.sh", ["bash ci/check.sh"]) == "a script a verify command runs"
    assert verify_file_kind("src/app.py", ["pytest"]) is None


def test_the_gate_is_registered_and_every_rule_has_a_severity():
    assert gate_test_integrity in GATES
    assert set(RULES.values()) <= {Severity.BLOCKER, Severity.MAJOR}


def test_without_a_git_base_the_gate_reads_the_work_tree_and_sees_additions(tmp_path: Path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("import pytest\n\n\n@pytest.mark.skip\ndef test_a():\n    assert 1 == 1\n")
    diff = Diff(files=[ChangedFile("tests/test_a.py", "A")], added_lines=[AddedLine("tests/test_a.py", 4, "@pytest.mark.skip")])
    ctx = GateContext(ORDER, RepoConfig(), diff, [], DoDPacket(status="done", summary="s"), tmp_path)
    found = gate_test_integrity(ctx)
    assert [(f.rule, f.path, f.line) for f in found] == [("tests.skip_added", "tests/test_a.py", 4)]
    assert found[0].evidence == "tests/test_a.py:4: pytest.mark.skip"


_NAMES = st.from_regex(r"test_[a-z][a-z0-9_]{0,15}", fullmatch=True)


@settings(max_examples=40, deadline=None)
@given(old=st.lists(_NAMES, min_size=1, max_size=4, unique=True), new=st.lists(_NAMES, min_size=4, max_size=4, unique=True),
       drop=st.integers(min_value=0, max_value=3))
def test_renaming_tests_never_fails_and_dropping_one_always_does(old, new, drop):
    def module(names):
        return "".join(f"def {name}():\n    assert compute({index}) == {index * 7}\n\n\n" for index, name in enumerate(names))
    renamed = ChangedTests([src("tests/test_x.py", module(old), module(new[:len(old)]))], policy())
    assert gate_tests_removed(renamed) == [] and gate_assert_weakened(renamed) == []
    kept = [name for index, name in enumerate(old) if index != drop % len(old)]
    dropped = module(old).split("\n\n\n")
    del dropped[drop % len(old)]
    fewer = ChangedTests([src("tests/test_x.py", module(old), "\n\n\n".join(dropped))], policy())
    assert rules(gate_tests_removed(fewer)) == ["tests.removed"] and len(kept) == len(old) - 1


@pytest.mark.parametrize(("exit_code", "output", "found"), [
    (0, "F.\nFAILED tests/test_a.py::test_x - assert 1 == 2\n1 failed, 1 passed in 0.1s\n", True),
    (0, "======== 1 failed, 3 passed in 0.12s ========\n", True),
    (0, "Ran 3 tests in 0.001s\n\nFAILED (failures=1)\n", True),
    (0, "Tests:       1 failed, 4 passed, 5 total\n", True),
    (0, "  2 passing\n  1 failing\n", True),
    (0, "--- FAIL: TestAdd (0.00s)\nFAIL\n", True),
    (1, "FAILED (failures=1)\n", False),
    (0, "Ran 3 tests in 0.001s\n\nOK\n", False),
    (0, "test_failed_login_is_logged PASSED\n", False),
])
def test_verify_run_that_exits_0_with_failing_tests_is_masked(exit_code, output, found):
    from workorder.gates.integrity.verify_run import gate_verify_output
    from workorder.evidence.testresults_model import VerifyRun

    findings = gate_verify_output([VerifyRun(cmd="make test", exit_code=exit_code, duration_s=1, output_tail=output)])
    assert bool(findings) is found
    if found:
        assert findings[0].rule == "verify.masked" and findings[0].severity == Severity.BLOCKER
        assert findings[0].evidence.startswith("$ make test\nexit code 0\n")
