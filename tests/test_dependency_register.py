"""The dependency register: a per-package diff of the manifests, a BLOCKER naming each package a change adds
outside the register, expired waivers refused, the register read from the base commit only."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import pytest

from workorder.contracts.config import RepoConfig
from workorder.contracts.depregister import parse_register
from workorder.contracts.packet import DoDPacket, Severity
from workorder.contracts.workorder import WorkOrder
from workorder.evidence.diff import read_diff
from workorder.evidence.manifests import package_changes, parse_manifest
from workorder.gates import GATES, run_gates
from workorder.gates.context import GateContext
from workorder.gates.deps import in_range
from workorder.inputs.problems import InvalidInput
from workorder.shell.gitops import Git

REGISTER = ".github/workorder-deps.yml"
TODAY = date(2026, 12, 7)
PYPROJECT = '[project]\nname = "x"\ndependencies = [\n  "requests>=2.31",\n{extra}]\n'


def git_repo(tmp_path: Path, files: dict[str, str]) -> tuple[Git, str]:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = Git(repo, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GIT_AUTHOR_NAME": "t",
                         "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"})
    git.run("init", "-q", "-b", "main")
    commit(git, files, "base")
    return git, git.rev("HEAD")


def commit(git: Git, files: dict[str, str], message: str) -> None:
    for path, text in files.items():
        target = git.repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git.run("add", "-A")
    git.run("commit", "-q", "-m", message)


def gate(git: Git, base: str, config: RepoConfig | None = None, allow: bool = False, today: date = TODAY):
    order = WorkOrder(objective="x", in_scope=["**"], done_when=["y"], allow_dependencies=allow)
    config = config or RepoConfig(dependency_register=REGISTER)
    ctx = GateContext(order, config, read_diff(git, base), [], DoDPacket(status="done", summary="s"), git.repo,
                      today=today)
    return [f for f in run_gates(ctx, GATES) if f.rule.startswith("deps.")]


def entry(name: str, version: str = "*", expires: str | None = None, ecosystem: str = "pypi") -> str:
    text = (f"  - name: {name}\n    ecosystem: {ecosystem}\n    version: '{version}'\n"
            f"    approved_by: alice\n    approved_on: 2026-11-01\n")
    return text + (f"    expires: {expires}\n" if expires else "")


def test_a_package_added_outside_the_register_is_a_blocker_naming_it_and_its_version(tmp_path):
    git, base = git_repo(tmp_path, {REGISTER: "packages:\n" + entry("requests"),
                                    "pyproject.toml": PYPROJECT.format(extra="")})
    commit(git, {"pyproject.toml": PYPROJECT.format(extra='  "leftpad-py==0.3.1",\n')}, "add dep")
    findings = gate(git, base, allow=True)
    assert [(f.rule, f.severity, f.path) for f in findings] == [
        ("deps.unregistered", Severity.BLOCKER, "pyproject.toml")]
    assert "`leftpad-py` ==0.3.1" in findings[0].message and REGISTER in findings[0].message


def test_a_registered_package_in_range_passes_and_out_of_range_fails(tmp_path):
    git, base = git_repo(tmp_path, {REGISTER: "packages:\n" + entry("requests") + entry("Leftpad_Py", ">=0.3,<0.4"),
                                    "pyproject.toml": PYPROJECT.format(extra="")})
    commit(git, {"pyproject.toml": PYPROJECT.format(extra='  "leftpad-py==0.3.1",\n')}, "in range")
    assert gate(git, base, allow=True) == []
    commit(git, {"pyproject.toml": PYPROJECT.format(extra='  "leftpad-py==0.4.0",\n')}, "out of range")
    findings = gate(git, base, allow=True)
    assert [f.rule for f in findings] == ["deps.unregistered"]
    assert "0.4.0" in findings[0].message and "within a registered version range" in findings[0].message


def test_an_expired_waiver_is_refused_and_a_live_one_allows(tmp_path):
    git, base = git_repo(tmp_path, {REGISTER: "packages:\n" + entry("requests")
                                    + entry("leftpad-py", expires="2026-12-06"),
                                    "pyproject.toml": PYPROJECT.format(extra="")})
    commit(git, {"pyproject.toml": PYPROJECT.format(extra='  "leftpad-py==0.3.1",\n')}, "add dep")
    findings = gate(git, base, allow=True)
    assert [f.rule for f in findings] == ["deps.waiver_expired"]
    assert "2026-12-06" in findings[0].message and "alice" in findings[0].message
    assert gate(git, base, allow=True, today=date(2026, 12, 6)) == []


def test_the_register_is_read_from_the_base_never_from_the_work_branch(tmp_path):
    git, base = git_repo(tmp_path, {REGISTER: "packages: []\n", "requirements.txt": "flask==3.0\n"})
    commit(git, {"requirements.txt": "flask==3.0\nevil==1.0\n",
                 REGISTER: "packages:\n" + entry("evil") + entry("flask")}, "allow myself")
    rules = [f.rule for f in gate(git, base, allow=True)]
    assert "deps.unregistered" in rules
    assert REGISTER in RepoConfig(dependency_register=REGISTER).protected


def test_without_a_register_only_the_manifest_rule_applies(tmp_path):
    git, base = git_repo(tmp_path, {"requirements.txt": "flask==3.0\n"})
    commit(git, {"requirements.txt": "flask==3.0\nevil==1.0\n"}, "add")
    assert [f.rule for f in gate(git, base, config=RepoConfig())] == ["deps.manifest"]
    assert gate(git, base, config=RepoConfig(), allow=True) == []


def test_removed_packages_need_no_entry_and_an_invalid_register_is_a_blocker(tmp_path):
    git, base = git_repo(tmp_path, {REGISTER: "packages:\n  - name: x\n", "requirements.txt": "flask==3.0\n"})
    commit(git, {"requirements.txt": "\n"}, "remove")
    findings = gate(git, base, allow=True)
    assert [f.rule for f in findings] == ["deps.register_invalid"]
    assert "ecosystem" in findings[0].message


def test_npm_lock_go_and_cargo_changes_are_read_per_package(tmp_path):
    lock = {"lockfileVersion": 3, "packages": {"": {}, "node_modules/a": {"version": "1.0.0"},
                                               "node_modules/a/node_modules/b": {"version": "9"}}}
    git, base = git_repo(tmp_path, {
        "package.json": json.dumps({"dependencies": {"a": "^1.0.0"}}),
        "package-lock.json": json.dumps(lock),
        "go.mod": "module m\n\nrequire (\n\tgithub.com/x/y v1.2.0\n)\n",
        "Cargo.toml": '[dependencies]\nserde = "1.0"\n'})
    lock["packages"]["node_modules/a"]["version"] = "1.1.0"
    lock["packages"]["node_modules/c"] = {"version": "2.0.0"}
    commit(git, {
        "package.json": json.dumps({"dependencies": {"a": "^1.1.0"}, "devDependencies": {"c": "2.0.0"}}),
        "package-lock.json": json.dumps(lock),
        "go.mod": "module m\n\nrequire (\n\tgithub.com/x/y v1.3.0\n\tgithub.com/z/w v0.1.0 // indirect\n)\n",
        "Cargo.toml": '[dependencies]\nrand = { version = "0.8" }\n'}, "bump")
    changes = {(c.path, c.name, c.kind, c.old, c.new) for c in package_changes(
        git, base, "HEAD", ["Cargo.toml", "go.mod", "package-lock.json", "package.json"])}
    assert changes == {
        ("package.json", "a", "changed", "^1.0.0", "^1.1.0"), ("package.json", "c", "added", None, "2.0.0"),
        ("package-lock.json", "a", "changed", "1.0.0", "1.1.0"), ("package-lock.json", "c", "added", None, "2.0.0"),
        ("go.mod", "github.com/x/y", "changed", "v1.2.0", "v1.3.0"),
        ("go.mod", "github.com/z/w", "added", None, "v0.1.0"),
        ("Cargo.toml", "serde", "removed", "1.0", None), ("Cargo.toml", "rand", "added", None, "0.8")}


@pytest.mark.parametrize("path, text, expected", [
    ("requirements-dev.txt", "# c\n-r base.txt\nFlask[async]>=3.0 ; python_version>'3'\npytest\n",
     {"flask": ">=3.0", "pytest": ""}),
    ("pyproject.toml", '[project]\ndependencies=["A.B>=1"]\n[project.optional-dependencies]\nt=["c==2"]\n',
     {"a-b": ">=1", "c": "==2"}),
    ("setup.py", "whatever", {}),
])
def test_manifest_parsers(path, text, expected):
    assert parse_manifest(path, text) == expected


@pytest.mark.parametrize("spec, version_range, ok", [
    ("^1.2.3", ">=1,<2", True), ("v2.0.0", ">=1,<2", False), ("", "*", True), ("", ">=1", False),
    (">=2.31", ">=2.31", True), ("1.0", "not a range", False),
])
def test_in_range(spec, version_range, ok):
    assert in_range(spec, version_range) is ok


def test_register_problems_name_the_field():
    with pytest.raises(InvalidInput) as exc:
        parse_register("packages:\n  - name: x\n    ecosystem: maven\n    approved_by: a\n    approved_on: 2026-01-01\n",
                       REGISTER)
    assert "packages.0.ecosystem" in str(exc.value) or "ecosystem" in str(exc.value)


def test_through_handle_on_the_fake_github_an_unregistered_package_fails_by_name(action):
    from conftest import agent_command, labeled_payload

    ws = action.workspace
    (ws / ".github").mkdir(exist_ok=True)
    (ws / REGISTER).write_text("packages:\n" + entry("requests"))
    for args in (["add", REGISTER], ["commit", "-qm", "register"]):
        subprocess.run(["git", *args], cwd=ws, check=True, env=action.env)
    action.commit_config(f"dependency_register: {REGISTER}\nmax_cycles: 1\n")
    action.env["WORKORDER_RUNNER_COMMAND"] = agent_command("add-dependency")
    code, out = action.handle(labeled_payload())
    assert action.outputs()["verdict"] == "FAIL", out
    [review] = action.fake.reviews
    assert "deps.unregistered" in review["body"] and "`leftpad` ==1.0.3" in review["body"]
