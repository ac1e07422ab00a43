"""The slash-commands: one module per verb, each holding its handler and its row (a :class:`Command`
named ``COMMAND``: usage, summary, examples, permission, target state, lane, acknowledgement, claim
and reply template) plus the literals ``VERB``, ``LANE`` and ``ACKNOWLEDGED`` that the stdlib route
step reads (:mod:`workorder.handlers.command_table`).

The registry is discovered: every module of this package whose name does not start with ``_`` and
that defines ``COMMAND`` is a command, so adding a module adds the command (to routing, the 👀
acknowledgement, ``/wo help`` and the replies) with no list to edit. ``/wo help`` and the table in
docs/commands.md are generated from / checked against :func:`registry`.
"""

from __future__ import annotations

import importlib
import pkgutil

from ._base import RETRYABLE, Command, CommandCall, CommandResult
from .approve import approve, approve_refusal
from .fix import fix_refusal

__all__ = ["RETRYABLE", "Command", "CommandCall", "CommandResult", "approve", "approve_refusal", "by_verb",
           "fix_refusal", "registry"]

_found: dict[tuple[str, ...], tuple[Command, ...]] = {}


def registry() -> tuple[Command, ...]:
    """Every command, in ``/wo help`` order: the ``COMMAND`` of each public module of this package
    (its ``__path__``, so a folder added to it adds its modules). Imported once per ``__path__``.
    Raises ValueError when two modules claim one verb."""
    key = tuple(__path__)
    if key not in _found:
        commands: dict[str, Command] = {}
        for info in pkgutil.iter_modules(list(key)):
            if info.name.startswith("_"):
                continue
            command = getattr(importlib.import_module(f"{__name__}.{info.name}"), "COMMAND", None)
            if isinstance(command, Command):
                if command.verb in commands:
                    raise ValueError(f"two command modules define the verb {command.verb!r}")
                commands[command.verb] = command
        _found[key] = tuple(sorted(commands.values(), key=lambda c: (c.order, c.verb)))
    return _found[key]


def by_verb() -> dict[str, Command]:
    """verb -> :class:`Command`, for every command of :func:`registry`."""
    return {c.verb: c for c in registry()}


def __getattr__(name: str) -> object:
    """``COMMANDS`` and ``BY_VERB``: the registry as it is now (kept for callers of the old constants)."""
    if name == "COMMANDS":
        return registry()
    if name == "BY_VERB":
        return by_verb()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
