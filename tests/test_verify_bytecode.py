"""What bytecode the action's verify run reads (workorder.evidence.bytecode): never the work tree's (a
forged or stale .pyc beside a source would be tested in its place), the installed packages' as usual (issue
19's cost budget: compiling pytest and its plugins again in every process of the review was most of the
base-source run). Each attack is shown succeeding with the tree's bytecode left in place (the control)."""

from __future__ import annotations

import os
import py_compile
import sys
from pathlib import Path

import pytest

from workorder.evidence import bytecode, verify
from workorder.evidence.bytecode import clear_tree_bytecode
from workorder.evidence.verify import run_verify_commands

ENV = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
CHECK = f"{sys.executable} -c 'import pkg.calc as c; assert c.add(2, 3) == 5, c.add(2, 3)'"
SHOW_PREFIX = f"{sys.executable} -c 'import pkg.calc as c, sys; assert c.add(2, 3) == 5; print(sys.pycache_prefix)'"


def forged_tree(tmp_path: Path) -> Path:
    """A tree whose source is right and whose __pycache__ holds an unchecked-hash .pyc of wrong code
    (PEP 552: Python never compares it with the source)."""
    tree = tmp_path / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "__init__.py").write_text("")
    wrong = tmp_path / "wrong.py"
    wrong.write_text("def add(a, b):\n    return a - b\n")
    (tree / "pkg" / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    py_compile.compile(str(wrong), cfile=str(tree / "pkg" / "__pycache__" / f"calc.{sys.implementation.cache_tag}.pyc"),
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    return tree


def run(tree: Path, tmp_path: Path, cmd: str = CHECK):
    [result] = run_verify_commands([cmd], tree, ENV, 60, tmp_path / "logs")
    return result


def test_a_forged_pyc_in_the_tree_is_never_tested_in_place_of_the_source(tmp_path):
    tree = forged_tree(tmp_path)
    result = run(tree, tmp_path)
    assert result.exit_code == 0, result.output_tail
    assert not (tree / "pkg" / "__pycache__").exists()


def test_control_with_the_tree_bytecode_kept_and_no_prefix_the_forged_pyc_is_what_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(verify, "bytecode_env", lambda tree: dict(bytecode.CLEARED_TREE_ENV))  # nothing deleted
    result = run(forged_tree(tmp_path), tmp_path)
    assert result.exit_code != 0 and "-1" in result.output_tail  # 2 - 3: the forged code ran


def test_a_pycache_that_cannot_be_deleted_means_no_bytecode_is_read(tmp_path, monkeypatch):
    def refuse(path, *a, **k):
        raise PermissionError(path)

    monkeypatch.setattr(bytecode.shutil, "rmtree", refuse)
    tree = forged_tree(tmp_path)
    result = run(tree, tmp_path, SHOW_PREFIX)
    assert (tree / "pkg" / "__pycache__").exists()
    assert result.exit_code == 0 and "/dev/null/workorder-no-pycache" in result.output_tail, result.output_tail


def test_a_link_to_a_folder_outside_the_tree_means_no_bytecode_is_read(tmp_path):
    outside = forged_tree(tmp_path)
    tree = tmp_path / "linked"
    tree.mkdir()
    (tree / "pkg").symlink_to(outside / "pkg")
    result = run(tree, tmp_path, SHOW_PREFIX)
    assert result.exit_code == 0 and "/dev/null/workorder-no-pycache" in result.output_tail, result.output_tail
    assert (outside / "pkg" / "__pycache__").exists(), "nothing outside the tree is deleted"


def test_installed_packages_bytecode_is_read_when_the_tree_is_clean(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    result = run(tree, tmp_path, f"{sys.executable} -c 'import sys; print(\"prefix\", sys.pycache_prefix)'")
    assert result.exit_code == 0 and "prefix None" in result.output_tail, result.output_tail


@pytest.mark.parametrize("where", [".git/objects/__pycache__", ".workorder-results/coverage-hook/coverage/__pycache__"])
def test_the_action_own_folders_are_left_alone(tmp_path, where):
    (tmp_path / where).mkdir(parents=True)
    (tmp_path / "a" / "__pycache__").mkdir(parents=True)
    (tmp_path / "__pycache__").write_text("a file by that name goes too")
    assert clear_tree_bytecode(tmp_path)
    assert (tmp_path / where).is_dir()
    assert not (tmp_path / "a" / "__pycache__").exists() and not (tmp_path / "__pycache__").exists()


def test_bytecode_a_command_wrote_is_gone_before_the_next_command(tmp_path):
    tree = forged_tree(tmp_path)
    cache = tree / "pkg" / "__pycache__"
    stash = tmp_path / "stash"
    os.rename(cache, stash)
    plant = f"cp -r {stash} {cache}"  # the first command (the agent's code) plants the forged .pyc again
    runs = run_verify_commands([plant, CHECK], tree, ENV, 60, tmp_path / "logs")
    assert [r.exit_code for r in runs] == [0, 0], runs[1].output_tail
