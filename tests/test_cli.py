"""`workorder validate`, `workorder schema` and `workorder demo` as a user runs them."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workorder.cli import main

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), environ=dict(os.environ), out=out), out.getvalue()


@pytest.mark.parametrize("name", ["front-matter.md", "issue-form.md"])
def test_validate_accepts_the_shipped_examples(name, tmp_path):
    # --repo: a folder that is no git checkout, so only the format is checked (they are not orders for this repo)
    code, out = run("validate", str(EXAMPLES / "work-orders" / name), "--repo", str(tmp_path))
    assert code == 0 and out.strip().endswith("work order is valid")


def test_validate_rejects_a_broken_work_order_naming_every_problem():
    code, out = run("validate", str(EXAMPLES / "work-orders" / "broken.md"))
    assert code == 1
    assert "(6 problems)" in out
    for line in ("  - objective: must not be empty", "  - in_scope: must not be empty",
                 "  - done_when: is required but missing", "  - risk: has a value that is not allowed",
                 "  - blocked_by: 'next' is not an issue number", "  - deadline: is not a known key"):
        assert line in out


def test_validate_config_example_and_a_bad_config(tmp_path):
    assert run("validate", "--config", str(EXAMPLES / "workorder.yml"))[0] == 0
    bad = tmp_path / "workorder.yml"
    bad.write_text("max_cycles: 99\nrunners: {}\n")
    code, out = run("validate", "--config", str(bad))
    assert code == 1 and "max_cycles: is too large" in out and "runners: is not a known key" in out


def test_validate_missing_file_is_a_usage_error(tmp_path, capsys):
    assert run("validate", str(tmp_path / "nope.md"))[0] == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["work-order", "config", "dod-packet", "verdict"])
def test_schema_prints_json_schema(name):
    code, out = run("schema", name)
    assert code == 0 and json.loads(out)["type"] == "object"


def test_demo_shows_fail_then_corrective_cycle_then_pass(tmp_path):
    code, out = run("demo", "--dir", str(tmp_path / "demo"))
    assert code == 0, out
    fail = out.index("PO verdict, cycle 1: FAIL")
    for rule in ("scope.excluded", "verify.failed", "placeholder", "dod.files", "dod.commands"):
        assert rule in out[fail:]
    assert out.index("corrective prompt", fail) < out.index("PO verdict, cycle 2: PASS")
    assert f"audit log       {tmp_path / 'demo' / 'runs' / 'audit.jsonl'}" in out
    assert out.index("PO verdict, cycle 2: PASS") < out.index("/wo approve")
    forge = json.loads((tmp_path / "demo" / "forge" / "forge.json").read_text())
    assert forge["issues"]["1"]["labels"] == ["wo:approved"]
    assert [r["event"] for r in forge["pulls"]["2"]["reviews"]] == ["COMMENT", "COMMENT"]
    [final_status] = forge["statuses"][forge["pulls"]["2"]["head_sha"]][-1:]
    assert final_status["state"] == "success"


def test_two_demo_runs_write_the_same_audit_log_apart_from_timestamps(tmp_path):
    logs = []
    for name in ("a", "b"):
        assert run("demo", "--dir", str(tmp_path / name))[0] == 0
        lines = (tmp_path / name / "runs" / "audit.jsonl").read_text().splitlines()
        logs.append([{k: v for k, v in json.loads(line).items() if k != "ts"} for line in lines])
    assert logs[0] == logs[1] and len(logs[0]) > 10


def test_demo_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "x").write_text("")
    assert run("demo", "--dir", str(tmp_path))[0] == 2


def test_console_script_starts_without_importing_pygithub():
    code = "import sys; from workorder.cli import main; main(['--version']) if False else None; print('github' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_version_loads_neither_pydantic_nor_jinja2():
    """Start-up is a feature of an Action: building the parser and printing the version imports no
    schema or template library (they cost ~100 ms; measured with python -X importtime)."""
    code = ("import sys\nfrom workorder.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('pydantic', 'jinja2', 'yaml', 'github') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().endswith("[]"), result.stdout
