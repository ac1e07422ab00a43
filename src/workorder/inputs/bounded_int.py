"""Integers written in outside text, held to limits, with the standard library only (so that
:mod:`workorder.handlers.route` can run on a runner's own ``python3`` before anything is installed).

Python refuses to turn more than 4,300 digits into an ``int``, and a number from a payload or a
branch name can be anything, so every number workorder reads from text goes through
:func:`parse_bounded_int`. :mod:`workorder.inputs.bounded` re-exports these names with its other limits.
"""

from __future__ import annotations

MAX_INT_DIGITS = 100
# GitHub's GraphQL API types an issue ``number`` as ``Int``, a signed 32-bit integer
MAX_ISSUE_NUMBER = 2**31 - 1
# REST ids are 64-bit
MAX_ID = 2**63 - 1


def int_text_fits(text: str) -> bool:
    """True when ``text`` (ASCII digits, maybe a sign) has at most ``MAX_INT_DIGITS`` digits."""
    return len(text.lstrip("+-").lstrip("0") or "0") <= MAX_INT_DIGITS


def parse_bounded_int(text: str, maximum: int) -> int | None:
    """The integer written in ``text`` (ASCII digits only, e.g. from a regex ``[0-9]+``), or None
    when it is empty, not digits, or over ``maximum``. Never raises."""
    if not text or not text.isascii() or not text.isdigit() or not int_text_fits(text):
        return None
    value = int(text)
    return value if value <= maximum else None
