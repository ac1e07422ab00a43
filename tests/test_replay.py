"""`workorder replay`: the recorded demo run replays to an empty audit diff; a changed gate shows a diff."""

from __future__ import annotations

import io
import os

import pytest

from workorder.cli import main
from workorder.local.replay import audit_lines


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("replay") / "demo"
    assert main(["demo", "--dir", str(root)], dict(os.environ), io.StringIO()) == 0
    return root


def replay(root) -> tuple[int, str]:
    out = io.StringIO()
    return main(["replay", str(root)], dict(os.environ), out), out.getvalue()


def test_replay_of_the_recorded_demo_prints_an_empty_diff(demo_dir):
    assert (demo_dir / "runs" / "1" / "1-review" / "replay.json").is_file()
    assert replay(demo_dir) == (0, "")


def test_a_changed_gate_shows_in_the_diff(demo_dir, monkeypatch):
    import workorder.gates as gates

    monkeypatch.setattr(gates, "GATES", tuple(g for g in gates.GATES if g.__name__ != "gate_placeholders"))
    code, text = replay(demo_dir)
    assert code == 1
    removed = [line for line in text.splitlines() if line.startswith("-") and '"rule": "placeholder"' in line]
    assert removed and "(recorded)" in text and "(replayed)" in text
    assert not [line for line in text.splitlines() if line.startswith("+ ") and "placeholder" in line]


def test_a_folder_without_records_fails_clearly(tmp_path):
    code, text = replay(tmp_path)
    assert code == 1 and text.startswith("replay failed: no review records")


def test_audit_lines_ignore_test_timings():
    a = {"verdict": "FAIL", "findings": [{"evidence": "Ran 3 tests in 0.001s"}]}
    b = {"verdict": "FAIL", "findings": [{"evidence": "Ran 3 tests in 0.204s"}]}
    assert audit_lines(a) == audit_lines(b) and audit_lines(a) != audit_lines({**a, "verdict": "PASS"})
