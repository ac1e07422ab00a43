"""The offline demo's scripted agent games the tests on its first attempt, and a run that repeats its
first attempt stops early as not converging."""

from __future__ import annotations

import io
import json
import os
import shlex
import sys

from test_loop_local import run_loop, tracking_body
from workorder.cli import main
from workorder.demo.run import WORK_ORDER
from workorder.loop.state import State

DEMO_AGENT = f"{shlex.quote(sys.executable)} -m workorder.demo.agent"
VERIFY = "python -m unittest discover -s tests -t ."


def test_the_demos_first_attempt_shows_a_test_integrity_finding(tmp_path):
    out = io.StringIO()
    code = main(["demo", "--dir", str(tmp_path / "demo")], environ=dict(os.environ), out=out)
    text = out.getvalue()
    assert code == 0, text
    first = text[text.index("PO verdict, cycle 1: FAIL"):text.index("PO verdict, cycle 2")]
    assert "tests.skip_added" in first and "(tests/test_add.py:7)" in first
    assert "PO verdict, cycle 2: PASS" in text  # the fix cycle took the skip out again
    verdict = json.loads((tmp_path / "demo" / "runs" / "1" / "1-review" / "verdict.json").read_text())
    [skip] = [f for f in verdict["findings"] if f["rule"] == "tests.skip_added"]
    assert skip["severity"] == "BLOCKER" and skip["evidence"]


def test_the_demo_agent_repeating_its_first_attempt_stops_early_with_a_handoff(tmp_path, workspace, python_bin):
    outcome, forge, _ = run_loop(tmp_path, workspace, python_bin, f"{DEMO_AGENT} --stubborn",
                                 body=WORK_ORDER.format(verify=VERIFY), config_text="max_cycles: 4\n")
    s = outcome.state
    assert s.state is State.BLOCKED and s.handoff.reason == "not_converging"
    assert s.cycle == 2 < s.max_cycles == 4
    evidence = s.handoff.pending[0].evidence
    assert "BLOCKER scope.excluded README.md" in evidence and "BLOCKER tests.skip_added tests/test_add.py:7" in evidence
    assert "(not converging)" in tracking_body(forge)
