"""Gitignore-style path globs (the same syntax as .gitignore), matched with pathspec."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pathspec


def compile_globs(patterns: Iterable[str]) -> pathspec.PathSpec:
    """Compile gitignore-style ``patterns`` into a matcher.

    Returns a ``pathspec.PathSpec``; ``spec.match_file("src/a.py")`` is True when the repo-relative
    POSIX path matches. Raises ``ValueError`` for a pattern pathspec cannot parse.
    """
    return pathspec.PathSpec.from_lines("gitignore", list(patterns))


def check_glob(pattern: str) -> str:
    """Validate one repo-relative glob; returns it stripped.

    Raises ``ValueError`` (its text names what is expected) for an empty pattern, an absolute path,
    a ``..`` segment, or a pattern pathspec cannot parse.
    """
    value = pattern.strip()
    if not value:
        raise ValueError("an empty path glob is not allowed")
    if value.startswith("~") or re.match(r"^[A-Za-z]:[\\/]", value):
        raise ValueError(f"'{value}' must be a path inside the repository")
    if ".." in value.replace("\\", "/").split("/"):
        raise ValueError(f"'{value}' must not contain '..'")
    try:
        compile_globs([value])
    except Exception as exc:  # pathspec raises several types for bad patterns
        raise ValueError(f"'{value}' is not a valid gitignore-style glob ({exc})") from exc
    return value


def matches(spec: pathspec.PathSpec, path: str) -> bool:
    """True when the repo-relative POSIX ``path`` matches ``spec``."""
    return spec.match_file(path)
