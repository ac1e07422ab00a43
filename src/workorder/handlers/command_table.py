"""Each slash-command's lane and acknowledgement, read from its module's source with :mod:`ast`: the
standard library only, so the stdlib ``route`` step (:mod:`workorder.handlers.route`, run by the
runner's bare ``python3`` before anything is installed) knows every command without importing the
commands package (which needs pydantic and Jinja2).

Every module of ``handlers/commands/`` whose name does not start with ``_`` and that assigns the
literals ``VERB = "..."``, ``LANE = "loop" | "now"`` and ``ACKNOWLEDGED = True | False`` at its top
level is a command (the same modules :func:`workorder.handlers.commands.registry` imports; a test
checks the two agree). Adding a module adds its row here: there is no list to edit.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

COMMAND_DIRS: list[Path] = [Path(__file__).resolve().parent / "commands"]
LANES = ("loop", "now")


@dataclass(frozen=True)
class CommandFacts:
    """What routing needs of one command: its ``verb``, its ``lane`` ("loop": waits for the issue's
    running loop; "now": runs at once) and whether it is ``acknowledged`` with a 👀 reaction."""

    verb: str
    lane: str
    acknowledged: bool


def read_module(path: Path) -> CommandFacts | None:
    """The facts of the command module at ``path``, from its top-level ``VERB``, ``LANE`` and
    ``ACKNOWLEDGED`` literals; None when it does not assign ``VERB`` (not a command). Raises
    ValueError naming the file when ``LANE`` or ``ACKNOWLEDGED`` is missing or not a literal of the
    right type, and SyntaxError for a file that is not Python."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    values: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in ("VERB", "LANE", "ACKNOWLEDGED"):
                try:
                    values[name] = ast.literal_eval(node.value)
                except ValueError:
                    raise ValueError(f"{path}: {name} must be a literal") from None
    if "VERB" not in values:
        return None
    verb, lane, acknowledged = values.get("VERB"), values.get("LANE"), values.get("ACKNOWLEDGED")
    if not isinstance(verb, str) or lane not in LANES or not isinstance(acknowledged, bool):
        raise ValueError(f"{path}: needs VERB = \"<verb>\", LANE = \"loop\" or \"now\", ACKNOWLEDGED = True or False")
    return CommandFacts(verb, str(lane), acknowledged)


@lru_cache(maxsize=8)
def _table(dirs: tuple[Path, ...]) -> dict[str, CommandFacts]:
    table: dict[str, CommandFacts] = {}
    for folder in dirs:
        for path in sorted(folder.glob("*.py")):
            facts = None if path.name.startswith("_") else read_module(path)
            if facts is not None:
                table[facts.verb] = facts
    return table


def command_table() -> dict[str, CommandFacts]:
    """verb -> :class:`CommandFacts` for every command module in :data:`COMMAND_DIRS` (read once per
    list of folders). Raises as :func:`read_module` does."""
    return _table(tuple(COMMAND_DIRS))


def loop_verbs() -> frozenset[str]:
    """The verbs of the ``loop`` lane."""
    return frozenset(v for v, f in command_table().items() if f.lane == "loop")


def acknowledged_verbs() -> frozenset[str]:
    """The verbs acknowledged with a 👀 reaction as soon as they arrive."""
    return frozenset(v for v, f in command_table().items() if f.acknowledged)
