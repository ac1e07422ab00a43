"""Evaluate "a op b" expressions."""

from calc.ops import add, subtract


def evaluate(expression: str) -> int:
    """Evaluate "a + b" or "a - b" with whole numbers."""
    left, op, right = expression.split()
    return {"+": add, "-": subtract}[op](int(left), int(right))
