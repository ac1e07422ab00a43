"""Pattern findings the behavioural checks contradict become MINOR notes (issue 19, item 5), and only then:
each case is shown both ways (the control keeps the finding's severity)."""

from __future__ import annotations

from pathlib import Path

from workorder.contracts.config import RepoConfig
from workorder.contracts.packet import DoDPacket, Finding, Severity, verdict_for
from workorder.contracts.workorder import WorkOrder
from workorder.evidence.diff import Diff
from workorder.evidence.heldout_results import HeldOut
from workorder.evidence.coverage_scope import related_tests
from workorder.evidence.testresults_model import CommandResults, TestCase, TestResults
from workorder.gates.context import GateContext
from workorder.gates.demote import demote_contradicted

TEST = ("def helper():\n    return 1\n\n\nclass TestClamp:\n    def test_clamps(self):\n"
        "        assert clamp(11, 0, 10) == 10\n        assert True\n")
WEAKENED = Finding(severity=Severity.BLOCKER, rule="tests.assert_weakened", message="`test_clamps` is weaker",
                   path="tests/test_clamp.py", line=8, evidence="base: ... | now: ...")
SPECIAL = Finding(severity=Severity.MAJOR, rule="code.special_cased", message="`clamp` returns a fixed value",
                  path="clamp.py", line=2, evidence="if x == 11: return 10")
ID = "tests.test_clamp.TestClamp.test_clamps"


def results(outcome: str, test_id: str = ID) -> TestResults:
    return TestResults(commands=[CommandResults(cmd="pytest", source="junit", collected=1,
                                                cases=[TestCase(id=test_id, outcome=outcome)])])


def context(tmp_path: Path, base_outcome: str | None = None, heldout: str | None = None) -> GateContext:
    (tmp_path / "tests").mkdir(exist_ok=True)
    (tmp_path / "tests" / "test_clamp.py").write_text(TEST)
    held = None if heldout is None else HeldOut(paths=("acceptance/test_accept.py",),
                                                results=results(heldout, "acceptance.test_accept.test_criterion_1"))
    return GateContext(WorkOrder(objective="clamp", in_scope=["**"], done_when=["clamp clamps"]), RepoConfig(), Diff(),
                       [], DoDPacket(status="done", summary="s"), tmp_path, test_results=results("passed"),
                       base_source_results=None if base_outcome is None else results(base_outcome), heldout=held)


def test_a_weakened_test_that_fails_on_the_base_source_is_only_a_note(tmp_path):
    [note] = demote_contradicted([WEAKENED], context(tmp_path, base_outcome="failed"))
    assert (note.rule, note.severity, note.path, note.line) == ("tests.assert_weakened", Severity.MINOR, WEAKENED.path, 8)
    assert note.message.startswith("note only: FAIL_TO_PASS") and "`test_clamps` is weaker" in note.message
    assert verdict_for([note]) == "PASS"


def test_a_weakened_test_that_passes_on_the_base_source_too_stays_a_blocker(tmp_path):
    assert demote_contradicted([WEAKENED], context(tmp_path, base_outcome="passed")) == [WEAKENED]
    assert demote_contradicted([WEAKENED], context(tmp_path)) == [WEAKENED]  # no base-source run: nothing known
    outside = WEAKENED.model_copy(update={"line": 2})  # in helper(), not a test
    assert demote_contradicted([outside], context(tmp_path, base_outcome="failed")) == [outside]


def test_special_casing_is_a_note_only_when_held_out_tests_all_pass(tmp_path):
    [note] = demote_contradicted([SPECIAL], context(tmp_path, heldout="passed"))
    assert note.severity == Severity.MINOR and "held-out acceptance tests" in note.message
    assert demote_contradicted([SPECIAL], context(tmp_path, heldout="failed")) == [SPECIAL]
    assert demote_contradicted([SPECIAL], context(tmp_path)) == [SPECIAL]  # no held-out tests configured


def test_diff_coverage_traces_only_the_test_files_that_reach_a_changed_module(tmp_path):
    files = {"pkg/__init__.py": "", "pkg/clamp.py": "def clamp(x, a, b):\n    return x\n",
             "pkg/api.py": "from .clamp import clamp\n", "pkg/other.py": "X = 1\n",
             "tests/test_api.py": "from pkg import api\n", "tests/test_clamp.py": "from pkg.clamp import clamp\n",
             "tests/test_other.py": "import pkg.other\n"}
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    assert related_tests(tmp_path, ["pkg/clamp.py"], ["tests/**"]) == ["tests/test_api.py", "tests/test_clamp.py"]
    (tmp_path / "tests" / "conftest.py").write_text("from pkg.api import clamp\n")
    assert related_tests(tmp_path, ["pkg/clamp.py"], ["tests/**"]) is None  # a conftest reaches it: every test
