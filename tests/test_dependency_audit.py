"""The optional vulnerability lookup (#17 item 3, config ``dependency_audit: pip-audit``): the packages a change
adds or re-versions are looked up with pip-audit and each advisory is a MAJOR ``deps.vulnerable`` finding naming
the package, version and advisory id. Offline: a stub ``pip-audit`` on PATH answers with a recorded JSON report
(tests/fixtures/pip-audit/, in pip-audit 2.x's ``--format json`` shape)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import WORK_ORDER, agent_command, labeled_payload
from workorder.evidence.dep_audit import parse_pip_audit, pinned
from workorder.inputs.problems import InvalidInput

RECORDED = Path(__file__).parent / "fixtures" / "pip-audit" / "leftpad-vulnerable.json"
ORDER = WORK_ORDER.replace("risk: medium\n", "risk: medium\nallow_dependencies: true\n")


def test_the_recorded_report_parses_into_advisories_in_both_formats():
    advisories, skipped = parse_pip_audit(RECORDED.read_text())
    [a] = advisories
    assert (a.package, a.version, a.id, a.fix_versions) == ("leftpad", "1.0.3", "PYSEC-2099-1", ["1.0.4"])
    assert a.aliases == ["CVE-2099-0001", "GHSA-xxxx-yyyy-zzzz"] and skipped == []
    legacy = json.dumps([{"name": "a", "version": "1", "vulns": []}, {"name": "b", "skip_reason": "not on PyPI"}])
    assert parse_pip_audit(legacy) == ([], ["b: not on PyPI"])
    for bad in ("not json", '{"dependencies": 3}'):
        with pytest.raises(InvalidInput):
            parse_pip_audit(bad)


@pytest.mark.parametrize("name, spec, line", [
    ("leftpad", "==1.0.3", "leftpad==1.0.3"),
    ("Requests", " === 2.31.0 ", "Requests==2.31.0"),
    ("requests", ">=2.31", None),            # a range: pip-audit would have to resolve it
    ("requests", "", None),
    ("--index-url=http://evil.example", "==1", None),  # a requirements option, never written
    ("-r", "==1", None),
    ("ok", "==1\n-r /etc/shadow", None),
])
def test_only_safe_pinned_packages_reach_the_requirements_file(name, spec, line):
    assert pinned(name, spec) == line


def stub_pip_audit(bin_dir: Path, record: Path, report: Path | None) -> None:
    """A ``pip-audit`` on ``bin_dir`` that records its argv, environment and requirements file, then prints
    ``report`` (or fails like a runner without network when None)."""
    answer = (f"sys.stdout.write(open({str(report)!r}).read()); sys.exit(1)" if report else
              "sys.stderr.write('ConnectionError: pypi.org unreachable'); sys.exit(1)")
    stub = bin_dir / "pip-audit"
    stub.write_text(f"#!{sys.executable}\nimport json, os, sys\n"
                    "req = sys.argv[sys.argv.index('--requirement') + 1]\n"
                    f"open({str(record)!r}, 'w').write(json.dumps({{'argv': sys.argv[1:], 'env': dict(os.environ), "
                    "'requirements': open(req).read()}))\n" + answer + "\n")
    stub.chmod(0o755)


def run_order(action, config: str) -> str:
    action.commit_config(config)
    action.fake.issues[1]["body"] = ORDER
    action.env["WORKORDER_RUNNER_COMMAND"] = agent_command("add-dependency")
    code, out = action.handle(labeled_payload(body=ORDER))
    [review] = action.fake.reviews
    return review["body"]


def test_through_handle_an_advisory_of_an_added_package_is_a_major_finding(action, python_bin, tmp_path):
    record = tmp_path / "pip-audit.json"
    stub_pip_audit(python_bin, record, RECORDED)
    review = run_order(action, "dependency_audit: pip-audit\nmax_cycles: 1\n")
    assert "deps.vulnerable" in review and "`leftpad` 1.0.3 has the known vulnerability PYSEC-2099-1" in review
    assert "fixed in 1.0.4" in review and action.outputs()["verdict"] == "FAIL"
    call = json.loads(record.read_text())
    assert call["requirements"] == "leftpad==1.0.3\n", "only the added package is looked up"
    assert {"--no-deps", "--disable-pip", "--format", "json"} <= set(call["argv"])
    assert not any("TOKEN" in k for k in call["env"]) and set(call["env"]) <= {"PATH", "HOME", "LANG"}


def test_off_by_default_the_tool_never_runs(action, python_bin, tmp_path):
    record = tmp_path / "pip-audit.json"
    stub_pip_audit(python_bin, record, RECORDED)
    review = run_order(action, "max_cycles: 1\n")
    assert not record.exists() and "deps.vulnerable" not in review


def test_a_lookup_that_cannot_reach_its_database_is_a_minor_finding_not_a_silent_pass(action, python_bin, tmp_path):
    stub_pip_audit(python_bin, tmp_path / "pip-audit.json", None)
    review = run_order(action, "dependency_audit: pip-audit\nmax_cycles: 1\n")
    assert "deps.audit_failed" in review and "pypi.org unreachable" in review
