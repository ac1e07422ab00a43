"""The gates' one registry: a gate is one module that declares its rules as data; docs/gates.md's rule table
is checked against that data; a new gate touches one source module plus its test."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import workorder
import workorder.gates as gates
from workorder.contracts.packet import Severity
from workorder.gates.registry import discover
from workorder.gates.rules import GateSpec, Rule
from workorder.gates.secret_scan import LEAKED
from workorder.loop.convergence import NOT_CONVERGING
from workorder.gates.plan_check import OUTSIDE as PLAN_OUTSIDE

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "gates.md"
ROW = re.compile(r"^\| `(?P<rule>[a-z_.]+)` \| (?P<severity>[A-Z /]+?) \|", re.M)
# rules that are no gate of the registry: the secret scan (run by the review and the push) and the loop's own
OUTSIDE_REGISTRY = (LEAKED, NOT_CONVERGING, PLAN_OUTSIDE)  # plan.outside needs the tracking state's plan


def expected_rows(rules: dict[str, list[str]]) -> dict[str, str]:
    """The docs check's expectation: rule id -> docs/gates.md's severity cell ("MAJOR / BLOCKER") for every
    rule id of ``rules`` (rule id -> its severities, default first)."""
    return {rule: " / ".join(severities) for rule, severities in rules.items()}


def registry_rules(registry_rules: dict[str, Rule]) -> dict[str, list[str]]:
    """rule id -> severity names, default first, for the registry's rules and the ones outside it."""
    found = {**registry_rules, **{r.id: r for r in OUTSIDE_REGISTRY}}
    return {rule_id: [s.value for s in rule.severities] for rule_id, rule in found.items()}


def documented() -> dict[str, str]:
    return {m["rule"]: m["severity"].strip() for m in ROW.finditer(DOCS.read_text(encoding="utf-8"))}


def anchors() -> set[str]:
    headings = re.findall(r"^#+ (.+)$", DOCS.read_text(encoding="utf-8"), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_docs_gates_table_is_the_registry():
    assert documented() == expected_rows(registry_rules(gates.RULES))


def test_every_rule_names_a_docs_section_and_a_meaning():
    for rule in [*gates.RULES.values(), *OUTSIDE_REGISTRY]:
        assert rule.anchor in anchors(), (rule.id, rule.anchor)
        assert rule.meaning and "\n" not in rule.meaning, rule.id


def test_the_docs_check_fails_on_a_severity_the_registry_does_not_have():
    changed = {**gates.RULES, "placeholder": Rule("placeholder", Severity.BLOCKER, "m")}
    assert documented() != expected_rows(registry_rules(changed))


def test_registry_is_in_report_order_and_gates_are_its_functions():
    names = [spec.name for spec in gates.REGISTRY]
    assert names[:5] == ["scope", "verify", "heldout", "baseline", "test_integrity"] and names[-1] == "risk"
    assert gates.GATES == tuple(spec.run for spec in gates.REGISTRY)
    skipped = {spec.name for spec in gates.REGISTRY if spec.run not in gates.PUSHED_HEAD_GATES}
    assert skipped == {"dod_claims", "empty_diff", "action_packet"}


def test_a_finding_carries_its_rules_severity_and_refuses_an_undeclared_one():
    rule = Rule("x.y", Severity.MAJOR, "m", also=(Severity.BLOCKER,))
    assert rule.finding("msg").severity == Severity.MAJOR
    assert rule.finding("msg", severity=Severity.BLOCKER).severity == Severity.BLOCKER
    with pytest.raises(ValueError):
        rule.finding("msg", severity=Severity.MINOR)


def test_two_gates_with_one_rule_id_are_refused(tmp_path, monkeypatch):
    package = tmp_path / "twogates"
    package.mkdir()
    (package / "__init__.py").write_text("")
    spec = ("from workorder.gates.rules import GateSpec, Rule\nfrom workorder.contracts.packet import Severity\n"
            "GATE = GateSpec({name!r}, lambda ctx: [], (Rule('dup.rule', Severity.MINOR, 'm'),), order=1)\n")
    (package / "a.py").write_text(spec.format(name="a"))
    (package / "b.py").write_text(spec.format(name="b"))
    monkeypatch.syspath_prepend(str(tmp_path))
    import twogates

    with pytest.raises(ValueError, match="dup.rule"):
        discover(twogates)


FIXTURE_GATE = '''"""A fixture gate: one module, its rule as data, registered by being here."""
from ..contracts.packet import Finding, Severity
from .context import GateContext
from .rules import GateSpec, Rule

ALWAYS = Rule("fixture.always", Severity.MAJOR, "a fixture gate that always speaks")


def gate_fixture(ctx: GateContext) -> list[Finding]:
    """One MAJOR fixture.always finding for any ctx."""
    return [ALWAYS.finding("the fixture gate spoke", path="calc/x.py")]


GATE = GateSpec("fixture", gate_fixture, (ALWAYS,), order=155)
'''

PROBE = '''
import json, sys
from pathlib import Path
import workorder, workorder.gates as gates
from workorder.contracts.config import RepoConfig
from workorder.contracts.packet import DoDPacket, Verdict, verdict_for
from workorder.contracts.workorder import WorkOrder
from workorder.evidence.diff import Diff
from workorder.gates import GateContext, run_gates
from workorder.loop.state import State, TrackingState
from workorder.templates import Templates

order = WorkOrder(objective="x", in_scope=["calc/**"], done_when=["y"], verify=["make test"])
ctx = GateContext(order, RepoConfig(), Diff(files=[], added_lines=[]), [],
                  DoDPacket(status="blocked", summary="s"), Path("/nonexistent"))
findings = run_gates(ctx)
verdict = Verdict(verdict=verdict_for(findings), findings=findings)
review = Templates().render("review.md.j2", verdict=verdict, s=TrackingState(issue=1, state=State.CHANGES_REQUESTED),
                            order=order, run_url=None)
print(json.dumps({"source": workorder.__file__, "registry": [s.name for s in gates.REGISTRY],
                  "rules": {i: [s.value for s in r.severities] for i, r in gates.RULES.items()},
                  "found": [[f.rule, f.severity.value] for f in findings], "review": review}))
'''


def _probe(src: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE], env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, check=True, cwd=src)
    return json.loads(out.stdout)


def test_a_new_gate_is_one_module(tmp_path):
    """A copy of the package plus one new gate module, and no other edit: the gate is in the registry, its
    finding in run_gates' output and in the rendered review, its rule in what the docs check expects. The
    control (the same copy without the module) has none of it."""
    src = tmp_path / "src"
    shutil.copytree(Path(workorder.__file__).parent, src / "workorder",
                    ignore=shutil.ignore_patterns("__pycache__"))
    control = _probe(src)
    (src / "workorder" / "gates" / "fixture_gate.py").write_text(FIXTURE_GATE, encoding="utf-8")
    seen = _probe(src)
    assert seen["source"].startswith(str(src))
    assert "fixture" in seen["registry"] and "fixture" not in control["registry"]
    assert seen["registry"][-1] == "fixture"  # order=155: after risk, the last gate
    assert ["fixture.always", "MAJOR"] in seen["found"] and not any(r == "fixture.always" for r, _ in control["found"])
    assert "fixture.always" in seen["review"] and "the fixture gate spoke" in seen["review"]
    assert "fixture.always" not in control["review"]
    assert expected_rows(seen["rules"])["fixture.always"] == "MAJOR"
    assert "fixture.always" not in expected_rows(control["rules"])
    # the docs check would now ask for the new rule's row (and only it)
    assert set(expected_rows(seen["rules"])) - set(expected_rows(control["rules"])) == {"fixture.always"}



def test_gates_build_findings_only_from_their_rules():
    """A severity is written once, in a Rule: no gate module builds a Finding itself (rules.py does)."""
    import ast

    root = Path(gates.__file__).parent
    direct = [p.relative_to(root).as_posix() for p in sorted(root.rglob("*.py"))
              for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
              if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Finding"]
    assert direct == ["rules.py"]
