"""The held-out run executes the agent's code beside the held-out tests: nothing that code writes may survive
into the next SE phase (issue 19: held-out tests never reach the agent's sandbox). The attack: the agent's
source copies the held-out test into the work tree (an untracked file, an ignored file, a tracked file it
rewrites, a folder whose name spells the input) while the action runs it; the next cycle's agent reads it.
Each test runs the attack through :func:`workorder.loop.heldout_run.run_heldout` and, as a control, with the
scrub switched off, where the copy is still there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from workorder.contracts.checks_config import AcceptanceConfig
from workorder.loop import heldout_run
from workorder.shell.proc import run_shell
from workorder.shell.gitops import Git
from workorder.shell.isolation import detect_privilege, sandbox_for

SECRET = "assert solve(1234) == 99  # held-out input"
IDENT = ["-c", "user.name=t", "-c", "user.email=t@example.invalid"]
# the agent's "verify" code: copies the held-out test four ways while the action runs it
LEAK = (
    "import pathlib, shutil\n"
    "text = pathlib.Path('acceptance/test_hidden.py').read_text()\n"
    "pathlib.Path('notes.txt').write_text(text)\n"                          # untracked
    "pathlib.Path('build').mkdir(exist_ok=True)\n"
    "pathlib.Path('build/cache.bin').write_text(text)\n"                    # ignored
    "pathlib.Path('solve.py').write_text(pathlib.Path('solve.py').read_text() + '#' + text)\n"  # tracked
    "pathlib.Path('input_1234_is_99').mkdir(exist_ok=True)\n"               # a name that spells it
)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *IDENT, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def tree(tmp_path: Path) -> Git:
    repo = tmp_path / "repo"
    (repo / "acceptance").mkdir(parents=True)
    (repo / "acceptance" / "test_hidden.py").write_text(SECRET + "\n")
    (repo / "solve.py").write_text("def solve(x):\n    return 99\n")
    (repo / "leak.py").write_text(LEAK)
    (repo / ".gitignore").write_text("build/\n")
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    (repo / "build").mkdir()
    (repo / "build" / "kept.txt").write_text("an ignored file that was there before\n")
    wt = Git(repo)
    heldout_run.hide(wt, ["acceptance/**"])
    return wt


def run(wt: Git) -> None:
    deps = SimpleNamespace(config=SimpleNamespace(acceptance=AcceptanceConfig(paths=["acceptance/**"]), verify_timeout=60),
                           verify_env={"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"}, sandbox=None)
    base = wt.run("rev-parse", "HEAD").strip()
    held = heldout_run.run_heldout(deps, wt, base, [f"{Path(sys.executable).name} leak.py"])
    assert held is not None and held.paths == ("acceptance/test_hidden.py",)


def copies(repo: Path) -> list[str]:
    found = [p.relative_to(repo).as_posix() for p in repo.rglob("*")
             if ".git" not in p.parts and p.is_file() and "held-out input" in p.read_text(errors="replace")]
    return found + [p.name for p in repo.rglob("input_1234*")]


def test_nothing_the_held_out_run_wrote_survives_it(tree):
    run(tree)
    assert copies(tree.repo) == []
    assert not (tree.repo / "acceptance" / "test_hidden.py").exists()
    assert (tree.repo / "build" / "kept.txt").read_text() == "an ignored file that was there before\n"
    assert (tree.repo / "solve.py").read_text() == "def solve(x):\n    return 99\n"
    assert git(tree.repo, "status", "--porcelain") == ""


def test_control_without_the_scrub_the_next_phase_could_read_the_copies(tree, monkeypatch):
    monkeypatch.setattr(heldout_run, "scrub_tree", lambda wt, before: [])
    run(tree)
    assert sorted(copies(tree.repo)) == ["build/cache.bin", "input_1234_is_99", "notes.txt", "solve.py"]


@pytest.mark.skipif(detect_privilege() is None, reason="the agent-user boundary needs root or passwordless sudo")
def test_a_copy_the_agent_user_left_in_tmp_is_gone_after_the_held_out_run(tmp_path):
    """A real agent user writes the copy to the shared /tmp during a phase; the held-out run's scrub removes
    it. Control: before the scrub the agent user's file is there (the attack works without it)."""
    sandbox = sandbox_for("user", True, privilege=detect_privilege())
    try:
        tree = sandbox.worktrees / "1"
        tree.mkdir(parents=True)
        leak = Path("/tmp") / f"workorder-heldout-leak-{os.getpid()}"
        result = run_shell(f"echo '{SECRET}' > {leak}; exit 0", tree, {"PATH": "/usr/bin:/bin"}, 30,
                           tmp_path / "out.log", sandbox=sandbox)
        assert result.exit_code == 0 and leak.read_text().strip() == SECRET  # the control: it is there
        sandbox.scrub_shared_tmp()
        assert not leak.exists()
    finally:
        sandbox.close()


def test_the_sandbox_clears_the_shared_temporary_folders_after_the_run(tree):
    scrubbed = []
    deps_sandbox = SimpleNamespace(scrub_shared_tmp=lambda: scrubbed.append(True))
    deps = SimpleNamespace(config=SimpleNamespace(acceptance=AcceptanceConfig(paths=["acceptance/**"]), verify_timeout=60),
                           verify_env={}, sandbox=deps_sandbox)
    monkeypatch_run = heldout_run.run_verify_commands
    try:
        heldout_run.run_verify_commands = lambda *a, **k: []
        heldout_run.run_heldout(deps, tree, tree.run("rev-parse", "HEAD").strip(), ["true"])
    finally:
        heldout_run.run_verify_commands = monkeypatch_run
    assert scrubbed == [True]


@pytest.fixture
def shared_folders():
    """World-writable folders of another user (root) under /tmp: one sticky (1777), one not (0777)."""
    made = []
    for mode in (0o1777, 0o777):
        folder = Path("/tmp") / f"workorder-shared-{oct(mode)[2:]}-{os.getpid()}"
        folder.mkdir()
        folder.chmod(mode)
        (folder / "root-file").write_text("another user's file\n")
        made.append(folder)
    yield made
    for folder in made:
        subprocess.run(["rm", "-rf", str(folder)], check=False)


def hide_copies(sandbox, tmp_path: Path, folders: list[Path]) -> list[Path]:
    """As the agent user: a copy of the held-out test in each folder, and one in a folder of its own
    inside it (mode 0500, so only a scrub that makes it writable again can empty it)."""
    tree = sandbox.worktrees / "1"
    tree.mkdir(parents=True, exist_ok=True)
    script = "; ".join(f"echo '{SECRET}' > {f}/copy; mkdir -p {f}/own/deep; echo '{SECRET}' > {f}/own/deep/copy; "
                       f"chmod 500 {f}/own/deep {f}/own" for f in folders)
    result = run_shell(script + "; exit 0", tree, {"PATH": "/usr/bin:/bin"}, 30, tmp_path / "out.log", sandbox=sandbox)
    assert result.exit_code == 0
    copies = [p for f in folders for p in (f / "copy", f / "own" / "deep" / "copy")]
    assert all(p.read_text().strip() == SECRET for p in copies)  # the attack: the copies are there
    return copies


@pytest.mark.skipif(detect_privilege() is None, reason="the agent-user boundary needs root or passwordless sudo")
def test_a_copy_inside_another_users_world_writable_folder_is_gone_after_the_held_out_run(tmp_path, shared_folders):
    sandbox = sandbox_for("user", True, privilege=detect_privilege())
    try:
        copies = hide_copies(sandbox, tmp_path, shared_folders)
        sandbox.scrub_shared_tmp()
        assert [p for p in copies if p.exists()] == []
        assert not any((f / "own").exists() for f in shared_folders)
        assert all((f / "root-file").read_text() == "another user's file\n" for f in shared_folders)  # not the agent's
        assert all(f.is_dir() for f in shared_folders)
    finally:
        sandbox.close()


@pytest.mark.skipif(detect_privilege() is None, reason="the agent-user boundary needs root or passwordless sudo")
def test_control_with_only_the_top_level_scrub_the_copies_survive(tmp_path, shared_folders, monkeypatch):
    from workorder.shell import tmp_scrub

    monkeypatch.setattr(tmp_scrub, "remove_owned", lambda *a, **k: None)
    sandbox = sandbox_for("user", True, privilege=detect_privilege())
    try:
        copies = hide_copies(sandbox, tmp_path, shared_folders)
        sandbox.scrub_shared_tmp()
        assert all(p.read_text().strip() == SECRET for p in copies)  # the next phase could read them
    finally:
        subprocess.run(["chmod", "-R", "u+rwx", *(str(f) for f in shared_folders)], check=False)
        sandbox.close()


def test_the_deep_scrub_runs_as_the_agent_user_never_as_root(monkeypatch):
    from workorder.shell import tmp_scrub

    monkeypatch.setattr(tmp_scrub.pwd, "getpwnam", lambda name: SimpleNamespace(pw_uid=4242, pw_gid=4343))
    argv, extra = tmp_scrub.owned_argv("root", "workorder-agent-3")
    assert extra == {"user": 4242, "group": 4343, "extra_groups": []} and argv[:2] == ["/bin/sh", "-c"]
    argv, extra = tmp_scrub.owned_argv("sudo", "workorder-agent-3")
    assert argv[:5] == ["sudo", "-n", "-u", "workorder-agent-3", "--"] and extra == {}
    assert "-xdev" in tmp_scrub.SCRIPT and "-maxdepth" in tmp_scrub.SCRIPT and "-L" not in tmp_scrub.SCRIPT


@pytest.mark.skipif(detect_privilege() is None or not Path("/run/lock").is_dir(),
                    reason="needs the agent-user boundary (root or passwordless sudo) and a /run/lock folder")
@pytest.mark.parametrize("scrubbed", [True, False])
def test_a_copy_in_run_lock_is_gone_after_the_held_out_run(tmp_path, monkeypatch, scrubbed):
    """/run/lock is world-writable (1777) like /tmp: a copy there is removed. Control (``scrubbed`` False: the
    deep scrub's roots without /run/lock) shows the copy survives for the next phase to read."""
    from workorder.shell import tmp_scrub

    if not scrubbed:
        real = tmp_scrub.remove_owned
        without = tuple(r for r in tmp_scrub.ROOTS if r != "/run/lock")
        monkeypatch.setattr(tmp_scrub, "remove_owned", lambda privilege, user: real(privilege, user, without))
    sandbox = sandbox_for("user", True, privilege=detect_privilege())
    copy = Path("/run/lock") / f"workorder-copy-{os.getpid()}"
    try:
        tree = sandbox.worktrees / "1"
        tree.mkdir(parents=True, exist_ok=True)
        result = run_shell(f"echo '{SECRET}' > {copy}; exit 0", tree, {"PATH": "/usr/bin:/bin"}, 30,
                           tmp_path / "out.log", sandbox=sandbox)
        assert result.exit_code == 0 and copy.read_text().strip() == SECRET  # the attack: the copy is there
        sandbox.scrub_shared_tmp()
        assert copy.exists() is not scrubbed
    finally:
        copy.unlink(missing_ok=True)
        sandbox.close()
