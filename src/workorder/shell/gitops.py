"""Git through the ``git`` command: branches, worktrees, commits, diffs, pushes."""

from __future__ import annotations

import base64
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


class GitError(Exception):
    """A git command failed; the message has the command and git's stderr (no tokens)."""


@dataclass(frozen=True)
class Git:
    """Runs git in ``repo`` (a work tree).

    ``env`` is the full environment for git (the entry point builds it); ``auth_header`` is an
    ``http.extraheader`` value used only for fetch and push, passed per command through
    ``GIT_CONFIG_*`` variables so it is never written into ``.git/config`` nor shown in argv.
    ``exclude_file``: a gitignore-style file of untracked files never committed (``core.excludesFile``),
    so the repository's own ``.gitignore`` stays untouched.
    """

    repo: Path
    env: dict[str, str] = field(default_factory=dict)
    auth_header: str | None = field(default=None, repr=False)
    auth_url: str = "https://github.com/"
    exclude_file: Path | None = None

    def run(self, *args: str, check: bool = True, authenticated: bool = False) -> str:
        """Run ``git <args>``; returns stdout. Raises :class:`GitError` on a non-zero exit when ``check``."""
        env = dict(self.env)
        env.setdefault("GIT_TERMINAL_PROMPT", "0")
        if authenticated and self.auth_header:
            env.update(
                {
                    "GIT_CONFIG_COUNT": "1",
                    "GIT_CONFIG_KEY_0": f"http.{self.auth_url}.extraheader",
                    "GIT_CONFIG_VALUE_0": self.auth_header,
                }
            )
        excludes = ["-c", f"core.excludesFile={self.exclude_file}"] if self.exclude_file else []
        proc = subprocess.run(
            ["git", "-c", "core.quotepath=false", *excludes, *args],
            cwd=self.repo,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
        )
        if check and proc.returncode != 0:
            raise GitError(f"git {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
        return proc.stdout

    def at(self, path: Path) -> Git:
        """The same settings for another work tree ``path``."""
        return Git(repo=path, env=self.env, auth_header=self.auth_header, auth_url=self.auth_url,
                   exclude_file=self.exclude_file)

    def never_committing(self, patterns: list[str]) -> Git:
        """The same work tree, with ``patterns`` (gitignore-style) written to a file in its private git
        dir and used as ``core.excludesFile``: untracked files matching them are never staged. Tracked
        files still show every change. Returns the new :class:`Git`."""
        path = Path(self.run("rev-parse", "--absolute-git-dir").strip()) / "workorder-never-commit"
        path.write_text("".join(f"{p}\n" for p in patterns), encoding="utf-8")
        return Git(repo=self.repo, env=self.env, auth_header=self.auth_header, auth_url=self.auth_url,
                   exclude_file=path)

    def rev(self, ref: str) -> str | None:
        """The commit SHA of ``ref``, or None if it does not exist."""
        out = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False).strip()
        return out or None

    def show_file(self, ref: str, path: str) -> str | None:
        """Text of ``path`` at commit ``ref``, or None when the file is not there."""
        try:
            return self.run("show", f"{ref}:{path}")
        except GitError:
            return None

    def list_dir(self, ref: str, path: str) -> list[str]:
        """File names directly under ``path`` at ``ref`` ([] if there is no such folder)."""
        out = self.run("ls-tree", "--name-only", f"{ref}:{path}", check=False)
        return [line for line in out.splitlines() if line]

    def has_changes(self) -> bool:
        """True when the work tree has uncommitted changes or untracked, non-ignored files."""
        return bool(self.run("status", "--porcelain", "--untracked-files=all").strip())

    def discard_changes(self) -> None:
        """Put the work tree back to HEAD: tracked files restored, new untracked (non-ignored) files
        removed. Used after the action's own verify run, whose side effects are not the agent's work."""
        self.run("reset", "-q", "--hard", "HEAD")
        self.run("clean", "-fdq")

    def restore_paths(self, base: str, paths: list[str]) -> None:
        """Make ``paths`` in the work tree and index as they are at commit ``base`` (deleting those
        that do not exist there)."""
        for path in paths:
            if self._exists_at(base, path):
                self.run("checkout", "-q", base, "--", path)
            else:
                self.run("rm", "-q", "-r", "--cached", "--ignore-unmatch", "--", path)
                target = self.repo / path
                if target.is_file() or target.is_symlink():
                    target.unlink()

    def _exists_at(self, ref: str, path: str) -> bool:
        proc = subprocess.run(["git", "cat-file", "-e", f"{ref}:{path}"], cwd=self.repo, env=self.env,
                              capture_output=True)
        return proc.returncode == 0

    def commit_all(self, message: str, author_name: str, author_email: str) -> str | None:
        """Stage everything and commit; returns the new SHA, or None when there was nothing to commit."""
        if not self.has_changes():
            return None
        self.run("add", "-A")
        self.run(
            "-c", f"user.name={author_name}", "-c", f"user.email={author_email}",
            "commit", "--no-verify", "--no-gpg-sign", "-q", "-m", message,
        )
        return self.rev("HEAD")

    def remote_branch_sha(self, branch: str, remote: str = "origin") -> str | None:
        """SHA of ``branch`` on ``remote`` (asks the remote), or None if it has no such branch."""
        out = self.run("ls-remote", "--heads", remote, f"refs/heads/{branch}", authenticated=True).strip()
        return out.split()[0] if out else None

    def fetch_branch(self, branch: str, remote: str = "origin") -> str:
        """Fetch ``branch`` from ``remote``; returns the fetched SHA."""
        self.run("fetch", "--no-tags", "-q", remote, f"+refs/heads/{branch}:refs/workorder/{branch}", authenticated=True)
        sha = self.rev(f"refs/workorder/{branch}")
        if sha is None:
            raise GitError(f"fetched branch {branch} but cannot resolve it")
        return sha

    def add_worktree(self, path: Path, branch: str, start: str) -> Git:
        """Create (or reset) local ``branch`` at ``start`` checked out in a new worktree at ``path``."""
        if path.exists():
            self.run("worktree", "remove", "--force", str(path), check=False)
        self.run("worktree", "prune")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.run("worktree", "add", "-q", "-B", branch, str(path), start)
        return self.at(path)

    def push(self, branch: str, remote: str = "origin") -> None:
        """Push HEAD to ``refs/heads/<branch>`` on ``remote`` (fast-forward only)."""
        self.run("push", "-q", remote, f"HEAD:refs/heads/{branch}", authenticated=True)


def basic_auth_header(token: str) -> str:
    """The ``http.extraheader`` value that authenticates git over HTTPS with a GitHub token.

    The same form actions/checkout uses: ``AUTHORIZATION: basic base64("x-access-token:<token>")``.
    """
    raw = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return f"AUTHORIZATION: basic {raw}"


def slugify(title: str, max_len: int = 40) -> str:
    """Branch-safe slug of an issue title: lowercase ASCII words joined by '-', at most ``max_len`` chars."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_len:
            break
        slug = candidate
    return slug or "work-order"

