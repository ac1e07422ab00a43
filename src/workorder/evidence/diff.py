"""The real diff of the work branch, as the action sees it (never as the agent reports it)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..shell.gitops import Git

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class ChangedFile:
    """A changed path. status: A added, M modified, D deleted, R renamed (old_path set), T type change."""

    path: str
    status: str
    old_path: str | None = None


@dataclass(frozen=True)
class AddedLine:
    """An added line: repo-relative ``path``, 1-based ``line`` in the new file, and its ``text``."""

    path: str
    line: int
    text: str


@dataclass(frozen=True)
class Diff:
    """Changed files and added lines between two commits."""

    files: list[ChangedFile] = field(default_factory=list)
    added_lines: list[AddedLine] = field(default_factory=list)
    base: str | None = None  # the commits compared, when read from git (gates read file versions there)
    head: str = "HEAD"

    @property
    def touched_paths(self) -> list[str]:
        """Every path the change touches: new paths, deleted paths and the old side of renames (sorted)."""
        paths = {f.path for f in self.files} | {f.old_path for f in self.files if f.old_path}
        return sorted(paths)

    @property
    def is_empty(self) -> bool:
        """True when nothing changed."""
        return not self.files


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of a path ("a\\tb" → a<TAB>b)."""
    if not (path.startswith('"') and path.endswith('"')):
        return path
    raw = path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    return raw.encode("latin-1", "replace").decode("utf-8", "replace")


def parse_name_status(text: str) -> list[ChangedFile]:
    """Parse ``git diff --name-status -z -M`` output into changed files."""
    parts = text.split("\0")
    files: list[ChangedFile] = []
    i = 0
    while i < len(parts) and parts[i]:
        status = parts[i]
        kind = status[0]
        if kind in ("R", "C"):
            files.append(ChangedFile(path=parts[i + 2], status=kind, old_path=parts[i + 1]))
            i += 3
        else:
            files.append(ChangedFile(path=parts[i + 1], status=kind))
            i += 2
    return files


def parse_added_lines(unified_diff: str) -> list[AddedLine]:
    """Parse a unified diff (``git diff -U0``) into its added lines with their new line numbers."""
    added: list[AddedLine] = []
    path: str | None = None
    line_no = 0
    for line in unified_diff.splitlines():
        if line.startswith("+++ "):
            target = line[4:]
            path = None if target == "/dev/null" else _unquote(target)
            if path and path.startswith(("b/", '"b/')):
                path = path[2:]
            continue
        if line.startswith("--- ") or line.startswith("diff --git"):
            continue
        hunk = _HUNK.match(line)
        if hunk:
            line_no = int(hunk.group(1))
            continue
        if path is None:
            continue
        if line.startswith("+"):
            added.append(AddedLine(path=path, line=line_no, text=line[1:]))
            line_no += 1
        elif line.startswith(" "):
            line_no += 1
    return added


def read_diff(git: Git, base: str, head: str = "HEAD") -> Diff:
    """The diff from ``base`` to ``head`` in ``git``'s repository (renames detected)."""
    names = git.run("diff", "--no-color", "--no-ext-diff", "--name-status", "-z", "-M", base, head)
    unified = git.run("diff", "--no-color", "--no-ext-diff", "-U0", "-M", base, head)
    return Diff(files=parse_name_status(names), added_lines=parse_added_lines(unified), base=base, head=head)


def read_patch(git: Git, base: str, head: str = "HEAD") -> str:
    """The full patch text from ``base`` to ``head`` (for the run log)."""
    return git.run("diff", "--no-color", "--no-ext-diff", "-M", base, head)
