"""The agent's own repository: a disposable git repository in the sandboxed work tree for one phase.

Behind the credential boundary (:mod:`workorder.shell.isolation`) a phase takes the work tree's ``.git``
pointer away, so the agent would see a plain folder. Coding agents expect git (``git status``,
``git diff``, ``git log``/``blame``, ``git checkout -- FILE``, ``git stash``; Codex CLI and aider
look for a repository), so before the agent starts the action builds a fresh one in ``<tree>/.git``:

- ``git init --bare --template=`` (then ``core.bare false``; no sample hooks, no config but what is written here), run by the action's
  user before the tree is handed to the agent user;
- the branch's history pushed into it from the action's own repository (``git push --no-verify`` run
  on the action's trusted git directory: only the objects reachable from HEAD and the base), as
  ``refs/heads/<branch>`` (checked out) and ``refs/heads/workorder-base`` (where the work order started);
- the index read from HEAD (``git read-tree``), so ``git status``/``git diff`` show exactly the agent's
  own changes, and ``info/exclude`` listing the agents' own files (``.aider*``);
- no remote, no credential, no hooks, an identity for the agent's own commits;
- when the action hid held-out acceptance tests from the tree (skip-worktree), no history: the base and
  the branch head as two snapshot commits without those files, so ``git show``/``log`` cannot reach them.

The agent may do anything to it (commit, rewrite, add hooks or an fsmonitor): the action never runs git
on it after the agent started. When the phase ends every ``.git`` in the tree is deleted
(``isolation._restore_pointer``), the trusted pointer is written back, and the action computes the
diff from the file tree against its own repository, as before. Commits the agent made are ignored.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from .gitenv import git_argv

BASE_REF = "workorder-base"
"""The branch in the agent's repository at the commit the work order started from."""
AGENT_NAME = "workorder agent"
AGENT_EMAIL = "agent@workorder.invalid"
EXCLUDE = (".aider*",)
"""Files agents leave in the work tree that are never part of the work (``info/exclude``)."""
_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class AgentRepoError(OSError):
    """The agent's repository could not be built (git failed); the message has git's own words."""


def git_dir_of(pointer: str) -> Path | None:
    """The git directory a work tree's ``.git`` file (``gitdir: <path>``) points at, or None."""
    first = pointer.strip().splitlines()[0] if pointer.strip() else ""
    return Path(first[len("gitdir:"):].strip()) if first.startswith("gitdir:") else None


def build(tree: Path, source_git_dir: Path, base_sha: str | None = None, exclude: tuple[str, ...] = EXCLUDE) -> Path:
    """Make ``<tree>/.git``: a fresh repository holding HEAD of ``source_git_dir`` (the action's git
    directory of this work tree) on its branch, and ``base_sha`` (when given and known there) as
    :data:`BASE_REF`. ``tree`` must have no ``.git`` now (the sandbox took the pointer away). Runs as
    the calling (action's) user; the caller hands the tree to the agent afterwards. Returns the new git
    directory. Raises :class:`AgentRepoError` when git fails (the half-made repository is removed)."""
    target = tree / ".git"
    env = {"PATH": _PATH, "HOME": "/nonexistent", "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0",
           "LANG": "C"}
    source = ["git", "--git-dir", str(source_git_dir)]
    try:
        head = _git([*source, "rev-parse", "--verify", "HEAD^{commit}"], env).strip()
        branch = (_git([*source, "symbolic-ref", "-q", "--short", "HEAD"], env, check=False) or "").strip() or "work"
        # bare while it is filled (a push to the checked-out branch of a non-bare repository is refused)
        _git(["git", "init", "-q", "--bare", "--template=", f"--initial-branch={branch}", str(target)], env)
        known_base = bool(base_sha) and _git([*source, "cat-file", "-e", f"{base_sha}^{{commit}}"], env,
                                             check=False) is not None
        hidden = hidden_paths(source, env)
        if hidden:  # held-out files: no commit the agent can reach holds them (snapshots instead of history)
            base_sha = _snapshot(source, base_sha, hidden, env, None, "workorder base") if known_base else None
            head = _snapshot(source, head, hidden, env, base_sha, "workorder branch head")
        refspecs = [f"{head}:refs/heads/{branch}"]
        if known_base:
            refspecs.append(f"{base_sha}:refs/heads/{BASE_REF}")
        _git([*source, "push", "-q", "--no-verify", "--no-signed", str(target), *refspecs], env)
        agent = ["git", "--git-dir", str(target), "--work-tree", str(tree)]
        for key, value in (("core.bare", "false"), ("user.name", AGENT_NAME), ("user.email", AGENT_EMAIL), ("core.hooksPath", "/dev/null"),
                           ("advice.detachedHead", "false"), ("gc.auto", "0")):
            _git([*agent, "config", key, value], env)
        _git([*agent, "read-tree", "HEAD"], env)
        (target / "info").mkdir(exist_ok=True)
        (target / "info" / "exclude").write_text("".join(f"{p}\n" for p in exclude), encoding="utf-8")
    except AgentRepoError:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target


def hidden_paths(source: list[str], env: dict[str, str]) -> list[str]:
    """The paths the action hid from this work tree (skip-worktree in its index: the held-out acceptance
    tests of :mod:`workorder.loop.heldout_run`); ``source`` is the ``git --git-dir ...`` prefix."""
    with tempfile.TemporaryDirectory() as empty:
        listed = _git([*source, "--work-tree", empty, "ls-files", "-v", "-z"], env, check=False) or ""
    return [entry[2:] for entry in listed.split("\0") if entry[:2] == "S "]


def _snapshot(source: list[str], commit: str, hidden: list[str], env: dict[str, str], parent: str | None,
              message: str) -> str:
    """A new commit in ``source``'s object store with ``commit``'s tree minus ``hidden`` (and ``parent`` as
    its only parent); returns its SHA. The held-out files' blobs are then reachable from nothing pushed."""
    with tempfile.TemporaryDirectory() as scratch:
        idx = {**env, "GIT_INDEX_FILE": f"{scratch}/index", "GIT_AUTHOR_NAME": AGENT_NAME,
               "GIT_AUTHOR_EMAIL": AGENT_EMAIL, "GIT_COMMITTER_NAME": AGENT_NAME, "GIT_COMMITTER_EMAIL": AGENT_EMAIL}
        tool = [*source, "--work-tree", scratch]
        _git([*tool, "read-tree", commit], idx)
        zero = "0" * 40
        removal = "".join(f"0 {zero}\t{path}\n" for path in hidden)
        proc = subprocess.run(git_argv(*tool[1:], "update-index", "--index-info"), input=removal, env=idx,
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise AgentRepoError(f"git update-index: {proc.stderr.strip()[-300:]}")
        tree = (_git([*tool, "write-tree"], idx) or "").strip()
        return (_git([*source, "commit-tree", tree, "-m", message, *(["-p", parent] if parent else [])], idx) or "").strip()


def _git(argv: list[str], env: dict[str, str], check: bool = True) -> str | None:
    """git's stdout; on failure raise :class:`AgentRepoError` (``check``) or return None. Runs with the
    action's git hardening (:data:`workorder.shell.gitenv.HARDENING`: no hooks, fsmonitor, helpers)."""
    run = git_argv(*argv[1:]) if argv[:1] == ["git"] else argv
    proc = subprocess.run(run, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    if proc.returncode != 0:
        if check:
            raise AgentRepoError(f"{' '.join(argv[:4])}: {proc.stderr.strip()[-300:]}")
        return None
    return proc.stdout



def build_for_phase(tree: Path, pointer: str | None, env: dict[str, str]) -> str | None:
    """The sandbox's hook: build the agent's repository in ``tree`` from the action's git directory
    named by the work tree's ``pointer`` (its ``.git`` file text), with the base from
    ``env['WORKORDER_BASE_SHA']``. Best effort: returns None when built, else why not (the agent then
    works in a plain folder, as before)."""
    source = git_dir_of(pointer) if pointer else None
    if source is None:
        return "the work tree has no .git pointer"
    try:
        build(tree, source, env.get("WORKORDER_BASE_SHA") or None)
    except (AgentRepoError, OSError) as exc:
        return str(exc)
    return None

__all__ = ["AGENT_EMAIL", "AGENT_NAME", "AgentRepoError", "BASE_REF", "EXCLUDE", "build", "build_for_phase", "git_dir_of",
           "hidden_paths"]
