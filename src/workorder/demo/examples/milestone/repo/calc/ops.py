"""Arithmetic operations."""


def add(a: int, b: int) -> int:
    """Return a plus b."""
    return a + b
