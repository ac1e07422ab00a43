"""Fast table tests of the gate and isolation message templates: every kind renders the sentence the code
used to build with an f-string, byte for byte, whatever the values hold; every kind in a template is in the
table (so a new or misspelt kind fails here); an unknown kind is an error, never an empty message."""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workorder.gates.context import finding_text
from workorder.shell.isolation import IsolationUnavailable, unavailable

# kind -> (facts, the text the f-string of workorder.gates.core / workorder.gates.risk produced for them)
GATE_KINDS: dict[str, tuple[dict, Callable[..., str]]] = {
    "scope_reverted": ({"path": "src/a.py"},
                       lambda path: f"`{path}` is a protected path; the agent changed it and the action reverted the change"),
    "scope_protected": ({"path": "src/a.py"}, lambda path: f"`{path}` is a protected path; the agent must never change it"),
    "scope_excluded": ({"path": "src/a.py"}, lambda path: f"`{path}` is out of scope for this work order"),
    "scope_outside": ({"path": "src/a.py"}, lambda path: f"`{path}` is outside the work order's in_scope paths"),
    "verify_failed": ({"cmd": "make  test", "timed_out": False, "exit_code": 2},
                      lambda cmd, timed_out, exit_code:
                      f"verify command `{cmd}` {'timed out' if timed_out else f'exited with code {exit_code}'}"),
    "dependency_manifest": ({"path": "package.json"},
                            lambda path: f"`{path}` is a dependency manifest and the work order does not allow new dependencies"),
    "deps_unregistered": ({"ecosystem": "npm", "package": "a", "version": "^1", "change": "added",
                           "path": "package.json", "register": "r.yml", "known": False},
                          lambda ecosystem, package, version, change, path, register, known:
                          f"{ecosystem} package `{package}` {version} ({change} in `{path}`) is not in the "
                          f"dependency register `{register}`"),
    "deps_waiver_expired": ({"ecosystem": "go", "package": "m", "version": "v1", "change": "changed", "path": "go.mod",
                             "approved_by": "al", "expires": "2026-01-01"},
                            lambda ecosystem, package, version, change, path, approved_by, expires:
                            f"{ecosystem} package `{package}` {version} ({change} in `{path}`) is allowed only by a "
                            f"waiver of {approved_by} that expired on {expires}"),
    "deps_register_invalid": ({"register": "r.yml", "problem": "p: bad"},
                              lambda register, problem:
                              f"the dependency register `{register}` on the default branch is invalid: {problem}"),
    "plan_outside": ({"path": "src/x.py"}, lambda path: f"`{path}` changed but the approved plan does not list it"),
    "deps_vulnerable": ({"tool": "pip-audit", "package": "a", "version": "1.0", "advisory": "PYSEC-1",
                         "aliases": ["CVE-1"], "fixed": ["1.1"]},
                        lambda tool, package, version, advisory, aliases, fixed:
                        f"PyPI package `{package}` {version} has the known vulnerability {advisory} "
                        f"({', '.join(aliases)}) ({tool}); fixed in {', '.join(fixed)}"),
    "deps_audit_failed": ({"tool": "pip-audit", "error": "no network", "skipped": []},
                          lambda tool, error, skipped: f"the vulnerability lookup ({tool}) could not run: {error}"),
    "empty_diff": ({}, lambda: "the runner reported done but the branch has no changes"),
    "placeholder": ({"pattern": "TODO"}, lambda pattern: f"placeholder `{pattern}` added"),
    "dod_file_untouched": ({"path": "src/a.py"},
                           lambda path: f"the DoD packet claims `{path}` changed, but the diff does not touch it"),
    "dod_file_unlisted": ({"path": "src/a.py"}, lambda path: f"`{path}` changed but the DoD packet does not list it"),
    "dod_command": ({"cmd": "pytest -q", "timed_out": True, "exit_code": None},
                    lambda cmd, timed_out, exit_code: f"the DoD packet claims `{cmd}` passed, but it "
                    f"{'timed out' if timed_out else f'exited with code {exit_code}'} when the action ran it"),
    "dod_tests": ({"path": "tests/test_a.py"},
                  lambda path: f"the DoD packet claims tests in `{path}` ran, but no such file exists"),
    "action_packet": ({}, lambda: "the agent handed back no DoD packet; the action built one from the diff, "
                      "so nothing was claimed or checked"),
    "tests_missing": ({"risk": "medium"}, lambda risk: f"risk is {risk} but no test file changed"),
    "risk_reviewer_required": ({"risk": "high"}, lambda risk: f"risk is {risk}: the LLM reviewer must review this "
                               "change, but the config's reviewer.preset is none"),
    "risk_tests_required": ({"risk": "high"},
                            lambda risk: f"risk is {risk}: the change must add or change tests, but no test file changed"),
}

# kind -> (facts, the text the f-string of workorder.shell.isolation produced)
ISOLATION_KINDS: dict[str, tuple[dict, Callable[..., str]]] = {
    "useradd_failed": ({"user": "workorder-agent"}, lambda user: f"cannot create the user {user} (useradd failed)"),
    "outside_sandbox": ({"cwd": Path("/tmp/x"), "worktrees": Path("/tmp/sb/work")},
                        lambda cwd, worktrees: f"the work tree {cwd} is not under the sandbox {worktrees}"),
    "command_failed": ({"command": "rm -rf", "stderr": "rm: cannot remove 'a'\nrm: cannot remove 'b'"},
                       lambda command, stderr: f"{command} failed: {stderr}"),
    "processes_left": ({"user": "workorder-agent"}, lambda user: f"processes of {user} keep running after SIGKILL"),
    "pool": ({"reason": "all 32 agent users are held"},
             lambda reason: f"no agent user of its own for this run: {reason}"),
}


def _kinds_in(template: str) -> set[str]:
    text = resources.files("workorder").joinpath("templates", template).read_text(encoding="utf-8")
    return set(re.findall(r'kind == "([a-z_]+)"', text))


@pytest.mark.parametrize(("template", "table"), [("gate_finding.txt.j2", GATE_KINDS),
                                                 ("isolation_error.txt.j2", ISOLATION_KINDS)])
def test_every_kind_in_the_template_is_in_the_table(template, table):
    assert _kinds_in(template) == set(table)


@pytest.mark.parametrize("kind", sorted(GATE_KINDS))
def test_gate_kind_renders_the_old_text(kind):
    facts, old = GATE_KINDS[kind]
    text = finding_text(kind, **facts)
    assert text.strip() and "\n" not in text
    assert text == old(**facts)


@pytest.mark.parametrize("kind", sorted(ISOLATION_KINDS))
def test_isolation_kind_renders_the_old_text(kind):
    facts, old = ISOLATION_KINDS[kind]
    error = unavailable(kind, **facts)
    assert isinstance(error, IsolationUnavailable) and error.kind == "isolation"
    assert str(error).strip() and str(error) == old(**facts)


@pytest.mark.parametrize("render", [finding_text, unavailable])
def test_an_unknown_kind_is_an_error_not_an_empty_message(render):
    with pytest.raises(jinja2.UndefinedError):
        render("scope_exclude", path="src/a.py")


def test_a_missing_fact_is_an_error():
    with pytest.raises(jinja2.UndefinedError):
        finding_text("scope_outside")


@given(value=st.text(), exit_code=st.integers(-255, 255), timed_out=st.booleans())
def test_values_are_quoted_exactly_whitespace_and_all(value, exit_code, timed_out):
    assert finding_text("scope_excluded", path=value) == GATE_KINDS["scope_excluded"][1](value)
    facts = {"cmd": value, "timed_out": timed_out, "exit_code": exit_code}
    assert finding_text("dod_command", **facts) == GATE_KINDS["dod_command"][1](**facts)
    assert str(unavailable("command_failed", command="find /x", stderr=value)) == f"find /x failed: {value}"
