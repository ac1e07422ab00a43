"""Whether two work orders' ``in_scope`` globs can name the same path (path ownership, #17).

Two gitignore-style globs overlap when some path could match both. Deciding that exactly for every
glob is not worth its cost, so the answer is conservative: it may say "overlap" for two globs no
real path matches both of (the price is a work order that waits), never "no overlap" for two that
share a path, except through a directory named like a file pattern (see below).

Rules, in order (``a`` and ``b`` are the globs without the ``(new)`` mark):

1. **Witness**: ``a`` read as a path matches ``b``, or ``b`` read as a path matches ``a`` (pathspec,
   gitignore rules: a directory glob covers everything under it). ``src/calc`` and ``src/calc/x.py``,
   ``src/**`` and ``src/calc/*.py`` overlap.
2. Two anchored globs (a ``/`` before their end) without wildcards (``*?[``) that are not witnesses
   of each other name different paths: no overlap. (Unanchored ``src`` and ``calc`` both match
   ``src/calc``.)
3. **Literal prefix**: the path segments before the first segment with a wildcard (none for a glob
   without a ``/`` but at its end, which gitignore matches at any depth). When neither prefix is a
   segment-wise prefix of the other (``docs/**`` and ``src/**``), no overlap.
4. **Last segment**: when both globs end in a segment that is not ``**`` and is a pattern or a file
   name (a literal with a dot), and the literal text after their last wildcard (the whole name for a
   literal) cannot end the same name (``src/*.py`` and ``src/*.md``, ``src/calc/x.py`` and
   ``src/*.md``: no name ends in both ``.py`` and ``.md``), no overlap. Blind spot: a directory literally named
   ``x.py`` under which ``*.md`` files sit; work orders name files by their type, so it is accepted.
5. Otherwise: overlap.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .globs import compile_globs, split_new

_WILD = re.compile(r"[*?\[]")


def _segments(glob: str) -> tuple[list[str], bool]:
    """(segments, anchored): gitignore anchors a glob with a ``/`` anywhere but at its end."""
    body = glob.strip().rstrip("/")
    anchored = "/" in body
    return [s for s in body.lstrip("/").split("/") if s], anchored


def literal_prefix(glob: str) -> list[str]:
    """The path segments of ``glob`` before its first segment with a wildcard; [] for an unanchored
    glob (it matches at any depth). ``literal_prefix("src/calc/*.py") == ["src", "calc"]``."""
    segments, anchored = _segments(glob)
    if not anchored:
        return []
    prefix = []
    for segment in segments:
        if _WILD.search(segment):
            break
        prefix.append(segment)
    return prefix


def _witness(pattern: str, other: str) -> bool:
    probe = other.strip().strip("/")
    return bool(probe) and compile_globs([pattern]).match_file(probe)


def _tail(segment: str) -> str | None:
    """What a last segment's names must end with: the literal text after its last wildcard, or the
    whole segment when it has no wildcard but a dot (a file name); None for ``**`` or a bare name
    (it may be a directory, whose files end in anything)."""
    if segment == "**" or (not _WILD.search(segment) and "." not in segment):
        return None
    return re.split(r"[*?\]]", segment)[-1]


def globs_overlap(a: str, b: str) -> bool:
    """True when some path may match both gitignore-style globs ``a`` and ``b`` (each may carry the
    ``(new)`` mark); conservative, see the module's rules. Raises ``ValueError`` for a glob pathspec
    cannot parse (work orders are validated before they get here)."""
    a, b = split_new(a)[0].strip(), split_new(b)[0].strip()
    if _witness(a, b) or _witness(b, a):
        return True
    if not _WILD.search(a) and not _WILD.search(b) and _segments(a)[1] and _segments(b)[1]:
        return False
    pa, pb = literal_prefix(a), literal_prefix(b)
    shorter = min(len(pa), len(pb))
    if pa[:shorter] != pb[:shorter]:
        return False
    ta, tb = _tail(_segments(a)[0][-1]), _tail(_segments(b)[0][-1])
    if ta is not None and tb is not None and not (ta.endswith(tb) or tb.endswith(ta)):
        return False
    return True


def overlapping_globs(mine: Iterable[str], theirs: Iterable[str]) -> list[tuple[str, str]]:
    """Every pair (one of ``mine``, one of ``theirs``) that overlaps (:func:`globs_overlap`); [] when
    the two scopes are disjoint."""
    theirs = list(theirs)
    return [(a, b) for a in mine for b in theirs if globs_overlap(a, b)]
