"""The PR's impact summary and rollback hint, computed from a real diff in a temp git repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import agent_command
from test_loop_local import run_loop

from workorder.contracts.config import parse_repo_config
from workorder.evidence.diff import read_diff
from workorder.shell.gitops import Git
from workorder.evidence.impact import Impact, measure_impact, parse_numstat, python_tests
from workorder.templates import Templates

BASE_FILES = {
    "calc/ops.py": "def add(a, b):\n    return a + b\n",
    "tests/test_ops.py": (
        "import unittest\n\n\nclass OpsTest(unittest.TestCase):\n    def test_add(self):\n        pass\n\n"
        "    def test_old(self):\n        pass\n"
    ),
    "tests/test_gone.py": "def test_gone():\n    pass\n",
    "tests/test_moved.py": "def test_moved():\n    pass\n",
    "README.md": "# calc\n",
    "requirements.txt": "requests\n",
}
HEAD_FILES = {
    "calc/ops.py": "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n",
    "tests/test_ops.py": (
        "import unittest\n\n\nclass OpsTest(unittest.TestCase):\n    def test_add(self):\n        pass\n\n"
        "    def test_sub(self):\n        pass\n"
    ),
    "tests/test_sub.py": "def test_sub_negative():\n    pass\n\n\nasync def test_sub_async():\n    pass\n",
    "tests/test_renamed.py": "def test_moved():\n    pass\n",
    "README.md": "# calc\n\nNow with sub.\n",
    "requirements.txt": "requests\nnumpy\n",
    "migrations/0002_sub.sql": "ALTER TABLE t ADD c int;\n",
    "logo.png": b"\x89PNG\x00\x01\x02",
}


def commit(git: Git, files: dict, message: str, delete: tuple[str, ...] = ()) -> str:
    for rel in delete:
        (git.repo / rel).unlink()
    for rel, content in files.items():
        path = git.repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    git.run("add", "-A")
    git.run("commit", "-q", "--no-gpg-sign", "-m", message)
    return git.rev("HEAD")


@pytest.fixture
def change(tmp_path: Path) -> tuple[Git, str, str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_GLOBAL": "/dev/null",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path / "r")], check=True, env=env)
    git = Git(repo=tmp_path / "r", env=env)
    base = commit(git, BASE_FILES, "base")
    head = commit(git, HEAD_FILES, "change", delete=("tests/test_gone.py", "tests/test_moved.py"))
    return git, base, head


def impact_of(change) -> Impact:
    git, base, head = change
    return measure_impact(git, base, head, read_diff(git, base, head), parse_repo_config(""))


def test_impact_counts_files_lines_and_areas_from_the_real_diff(change):
    impact = impact_of(change)
    assert (impact.files, impact.added, impact.removed) == (9, 15, 3)
    areas = {a.area: (a.files, a.added, a.removed) for a in impact.areas}
    assert areas == {"test": (4, 7, 3), "source": (3, 5, 0), "docs": (1, 2, 0), "dependency": (1, 1, 0)}
    folders = {a.area: a.files for a in impact.folders}
    assert folders == {"tests": 4, "calc": 1, "migrations": 1, ".": 3}


def test_impact_lists_tests_added_and_removed_by_file_and_python_function(change):
    impact = impact_of(change)
    assert impact.test_files_added == ["tests/test_sub.py"]
    assert impact.test_files_removed == ["tests/test_gone.py"]  # test_moved.py → test_renamed.py is a rename
    assert impact.tests_added == ["tests/test_ops.py::OpsTest::test_sub", "tests/test_sub.py::test_sub_async",
                                  "tests/test_sub.py::test_sub_negative"]
    assert impact.tests_removed == ["tests/test_gone.py::test_gone", "tests/test_ops.py::OpsTest::test_old"]
    assert impact.dependencies == ["requirements.txt"] and impact.migrations == ["migrations/0002_sub.sql"]


def test_impact_and_rollback_hint_render_into_the_pull_request_body(change):
    text = Templates().render("impact.md.j2", impact=impact_of(change))
    assert "9 files changed, +15 −3 lines." in text
    assert "| test | 4 | +7 | −3 |" in text
    assert "`tests/test_ops.py::OpsTest::test_old`" in text and "**Dependencies touched:** `requirements.txt`" in text
    assert "`git revert -m 1 <merge commit>`" in text
    assert "a revert does not undo a migration already applied" in text and "reinstall from the reverted lock files" in text


def test_a_change_without_tests_or_dependencies_says_none():
    text = Templates().render("impact.md.j2", impact=Impact(files=1, added=1))
    assert "**Tests added:** none" in text and "**Tests removed:** none" in text
    assert "**Dependencies touched:** none" in text and "Migrations" not in text


@pytest.mark.parametrize(("text", "expected"), [
    ("3\t1\tcalc/ops.py\0", {"calc/ops.py": (3, 1)}),
    ("-\t-\tlogo.png\0", {"logo.png": (0, 0)}),
    (("0\t0\t\0old/a.py\0new/a.py\0" "2\t0\tb.py\0"), {"new/a.py": (0, 0), "b.py": (2, 0)}),
    ("", {}),
])
def test_parse_numstat(text, expected):
    assert parse_numstat(text) == expected


@pytest.mark.parametrize(("source", "expected"), [
    (None, set()),
    ("def test_a(): pass\ndef helper(): pass\n", {"test_a"}),
    ("class T:\n    def test_b(self): pass\n    def setUp(self): pass\n", {"T::test_b"}),
    ("def test_(:\n", None),
])
def test_python_tests(source, expected):
    assert python_tests(source) == expected


def test_the_loop_puts_the_impact_into_the_pull_request(tmp_path, workspace, python_bin):
    _, forge, _ = run_loop(tmp_path, workspace, python_bin, agent_command("pass"))
    [pr] = forge.read()["pulls"].values()
    assert "### Impact (computed by the action from the diff)" in pr["body"]
    assert "`tests/test_subtract.py::SubtractTest::test_subtract`" in pr["body"] and "### Rollback" in pr["body"]



def test_long_lists_are_cut_and_say_so():
    from workorder.evidence.diff import ChangedFile, Diff

    files = [ChangedFile(path=f"d{i}/tests/test_{i}.py", status="A") for i in range(60)]

    class NoGit:  # every file is new, so no earlier version is read; numstat is empty
        def run(self, *args: str) -> str:
            return ""

        def show_file(self, ref: str, path: str) -> str:
            return "def test_x():\n    pass\n"

    impact = measure_impact(NoGit(), "a", "b", Diff(files=files), parse_repo_config("test_patterns: ['**/tests/**']\n"))
    assert impact.truncated and len(impact.test_files_added) == 50 and len(impact.folders) == 20
    assert len(impact.tests_added) == 50 and impact.files == 60
    assert "Some lists were cut" in Templates().render("impact.md.j2", impact=impact)
