"""YAML parsing with PyYAML's C loader (libyaml) when present, else the pure-Python one, held to the
limits of :mod:`workorder.inputs.bounded` (size, nesting, integer digits, values)."""

from __future__ import annotations

from typing import Any

from .bounded import parse_yaml


def safe_load(text: str, what: str = "YAML document", field: str = "(file)") -> Any:
    """Parse YAML ``text`` safely (no arbitrary objects); the result of ``yaml.safe_load``.

    Raises ``yaml.YAMLError`` for text that is not YAML, and
    :class:`workorder.inputs.bounded.InputLimitExceeded` (an ``InvalidInput`` that is also a
    ``yaml.YAMLError``) for a document over the limits, naming the field (``field`` stands for the
    whole document, ``what`` names the input in the message). Never any other exception.
    """
    return parse_yaml(text, what, field)
