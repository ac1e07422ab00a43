"""Small text helpers for the brace languages (JS/TS, Go): comments blanked, balanced blocks, line numbers."""

from __future__ import annotations

import re

_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)


def blank_comments(text: str) -> str:
    """``text`` with // and /* */ comments replaced by spaces (line numbers and offsets kept).
    Strings are not parsed: a "//" inside a string literal is blanked too, which only loses text."""
    return _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def block_end(text: str, start: int) -> int:
    """Offset just after the ``}`` that closes the first ``{`` at or after ``start`` (len(text) when
    unbalanced)."""
    open_at = text.find("{", start)
    if open_at < 0:
        return len(text)
    depth = 0
    for index in range(open_at, len(text)):
        char = text[index]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
    return len(text)


def line_of(text: str, offset: int) -> int:
    """1-based line number of ``offset`` in ``text``."""
    return text.count("\n", 0, offset) + 1


def normalise(code: str) -> str:
    """``code`` with all whitespace removed (a fingerprint that survives re-indentation)."""
    return re.sub(r"\s+", "", code)
