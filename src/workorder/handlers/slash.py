"""The slash-command parser: comment text in, commands out. It never raises, whatever the text.

A command is the first word of a line (``/wo status``), outside code fences and quoted (``>``) lines;
the prefix and verb are case-insensitive. ``/wo`` alone means help. The arguments are the rest of
the line plus any following lines up to the next command line (so ``/wo fix`` can take a paragraph).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ParsedCommand:
    """One command found in a comment: lower-case ``verb`` ('' when only the prefix was given), its
    ``args`` text (stripped) and the 1-based ``line`` it starts on."""

    verb: str
    args: str
    line: int


_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


def parse_commands(body: str | None, prefix: str = "/wo") -> list[ParsedCommand]:
    """Every command in ``body``, in order. Takes the comment text and the command prefix."""
    if not body:
        return []
    commands: list[ParsedCommand] = []
    fence: str | None = None
    current: dict | None = None
    wanted = prefix.lower()
    for number, raw in enumerate(body.replace("\r\n", "\n").split("\n"), start=1):
        stripped = raw.strip()
        fence_match = _FENCE.match(raw)
        if fence is not None:
            if fence_match and fence_match.group(1)[0] == fence[0] and len(fence_match.group(1)) >= len(fence):
                fence = None
            continue
        if fence_match:
            fence = fence_match.group(1)
            current = None
            continue
        if stripped.startswith(">"):
            current = None
            continue
        words = stripped.split(None, 1)
        if words and words[0].lower() == wanted:
            rest = words[1] if len(words) > 1 else ""
            verb_and_args = rest.split(None, 1)
            verb = verb_and_args[0].lower() if verb_and_args else ""
            args = verb_and_args[1] if len(verb_and_args) > 1 else ""
            current = {"verb": verb, "args": [args], "line": number}
            commands.append(current)  # type: ignore[arg-type]
            continue
        if current is not None:
            current["args"].append(raw)
    return [
        ParsedCommand(verb=c["verb"], args="\n".join(c["args"]).strip(), line=c["line"])  # type: ignore[index]
        for c in commands
    ]
