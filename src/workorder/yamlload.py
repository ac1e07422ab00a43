"""YAML parsing with PyYAML's C loader (libyaml) when present, else the pure-Python one."""

from __future__ import annotations

from typing import Any

import yaml

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """Parse YAML ``text`` safely (no arbitrary objects); same result and errors as ``yaml.safe_load``."""
    return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - a SafeLoader
