"""Arithmetic operations."""


def add(a: int, b: int) -> int:
    """Return a plus b."""
    return a + b


def subtract(a: int, b: int) -> int:
    """Return a minus b."""
    return a - b


def multiply(a: int, b: int) -> int:
    """Return a times b."""
    return a * b
