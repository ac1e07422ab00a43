"""The two versions (base and head) of each changed file, read from git in one batch.

Only the files the integrity gates look at are read (tests, code, verify-relevant files), each up to
:data:`MAX_BYTES`. Without a git base (a diff built in memory) the head version comes from the work
tree and the base version is unknown (None); gates that compare versions then see only additions.
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ...evidence.diff import Diff

MAX_BYTES = 512 * 1024


@dataclass(frozen=True)
class Source:
    """One changed file. ``path`` is the head path (the old path for a deletion); ``old_path`` the base
    path (differs for renames, None for additions); ``base``/``head`` the texts (None when absent or
    unreadable); ``added`` the 1-based head line numbers the diff adds."""

    path: str
    status: str
    old_path: str | None
    base: str | None
    head: str | None
    added: frozenset[int] = field(default_factory=frozenset)


def cat_file_batch(repo: Path, specs: list[str]) -> dict[str, str | None]:
    """``git cat-file --batch`` for ``specs`` (``<rev>:<path>``); returns spec -> text (None if missing,
    binary or larger than MAX_BYTES). Returns all-None when git cannot run there."""
    found: dict[str, str | None] = dict.fromkeys(specs)
    if not specs or not (repo / ".git").exists():
        return found
    proc = subprocess.run(["git", "cat-file", "--batch"], cwd=repo, input="".join(s + "\n" for s in specs).encode(),
                          capture_output=True, check=False)
    if proc.returncode != 0:
        return found
    out, pos = proc.stdout, 0
    for spec in specs:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) < 3 or header[-1] == b"missing":
            continue
        size = int(header[2])
        blob = out[pos:pos + size]
        pos += size + 1
        if size <= MAX_BYTES and b"\0" not in blob:
            found[spec] = blob.decode("utf-8", "replace")
    return found


def _read_worktree(repo: Path, path: str) -> str | None:
    target = repo / path
    try:
        if target.is_file() and target.stat().st_size <= MAX_BYTES:
            return target.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return None


def load_sources(diff: Diff, worktree: Path, wanted: set[str]) -> list[Source]:
    """Both versions of each changed file whose head or base path is in ``wanted``.

    ``diff.base``/``diff.head`` name the commits (see :func:`workorder.evidence.diff.read_diff`); returns one
    :class:`Source` per changed file, in the diff's order."""
    added: dict[str, set[int]] = defaultdict(set)
    for line in diff.added_lines:
        added[line.path].add(line.line)
    files = [f for f in diff.files if f.path in wanted or (f.old_path or "") in wanted]
    specs: list[str] = []
    if diff.base:
        for f in files:
            specs.append(f"{diff.base}:{f.old_path or f.path}")
            specs.append(f"{diff.head}:{f.path}")
    texts = cat_file_batch(worktree, specs)
    sources = []
    for f in files:
        old = f.old_path or (None if f.status == "A" else f.path)
        if diff.base:
            base = texts.get(f"{diff.base}:{old}") if old else None
            head = None if f.status == "D" else texts.get(f"{diff.head}:{f.path}")
        else:
            base, head = None, None if f.status == "D" else _read_worktree(worktree, f.path)
        sources.append(Source(f.path, f.status, old, base, head, frozenset(added.get(f.path, ()))))
    return sources
