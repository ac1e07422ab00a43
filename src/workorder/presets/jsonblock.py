"""Find the JSON object an agent handed back inside its final message.

Fenced code blocks are found by a CommonMark parser (markdown-it-py, https://spec.commonmark.org/0.31.2/
section 4.5 "Fenced code blocks"), so fences pair the way Markdown renders them: the closing fence of
an aider SEARCH/REPLACE block is never taken for the opening of the next block, a fence of four
backticks holds fences of three as its text (file content, never a packet), a closing fence must be
at least as long as its opening one, and an unclosed fence runs to the end of the message.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

JSON_INFO = frozenset({"", "json"})
"""Info strings (the word after the opening fence, lower case) of blocks that may hold the object."""


def fenced_blocks(message: str) -> list[tuple[str, str]]:
    """The fenced code blocks of ``message`` in order, as (info word in lower case, content). Blocks
    inside list items and block quotes count; fences inside another block's content do not."""
    return [((token.info.split() or [""])[0].lower(), token.content)
            for token in _parser().parse(message) if token.type == "fence"]


@cache
def _parser() -> Any:
    """The CommonMark parser, imported on first use: start-up of every other command stays fast
    (markdown-it-py costs about 17 ms to import)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")


def extract_json_object(message: str | None, required_key: str) -> str | None:
    """The JSON text (re-serialised) of the object in ``message`` that has ``required_key``: the whole
    message when it is such an object, else the last ```json (or untagged) fenced block that is one.
    None when there is none."""
    if not message:
        return None
    blocks = [content for info, content in fenced_blocks(message) if info in JSON_INFO]
    for text in (message.strip(), *reversed(blocks)):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than Python's JSON decoder goes
            continue
        if isinstance(data, dict) and required_key in data:
            return json.dumps(data)
    return None
