"""A scripted stand-in for the Anthropic Messages API, as Claude Code speaks it.

Claude Code (``-p``) sends ``POST /v1/messages?beta=true`` with ``"stream": true`` and reads server-sent
events: ``message_start`` (input tokens), one ``content_block_start``/``content_block_delta``/
``content_block_stop`` group per block (``text_delta`` for text, ``input_json_delta`` for a
``tool_use`` block's input, sent in pieces), ``message_delta`` (stop reason, output tokens) and
``message_stop``. Errors are the API's JSON error object (``{"type": "error", "error": {"type",
"message"}}``) with the HTTP status; ``x-should-retry: false`` stops the SDK's retries.

A test gives a ``script(conversation) -> Turn | ApiError``; :class:`Conversation` is what the request
shows (the prompt, how many assistant turns came before, the last tool results, the working
directory). Every reply bills the ``Turn``'s tokens; :attr:`AnthropicStandIn.billed` sums them.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .base import Recorded, Reply, StandIn, sse

MESSAGES_PATH = "/v1/messages"
_CWD = re.compile(r"Primary working directory: (\S+)")


@dataclass(frozen=True)
class ToolCall:
    """One ``tool_use`` block: the tool's ``name`` (Read, Edit, Write, Bash, ...) and its ``input``."""

    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class Turn:
    """One scripted assistant message: ``text`` (may be empty), then ``tools`` (tool_use blocks);
    it bills ``tokens_in`` input and ``tokens_out`` output tokens."""

    text: str = ""
    tools: tuple[ToolCall, ...] = ()
    tokens_in: int = 100
    tokens_out: int = 10


@dataclass(frozen=True)
class ApiError:
    """An API error: HTTP ``status``, the error ``type`` (e.g. ``not_found_error``) and ``message``.
    It bills nothing."""

    status: int
    type: str
    message: str


@dataclass(frozen=True)
class Conversation:
    """What one request shows: ``prompt`` (the text of the first user message, system reminders
    included), ``turn`` (assistant messages so far: 0 on the first call), ``tool_results`` (the
    tool_result blocks of the last user message), ``cwd`` (the primary working directory the CLI
    states) and ``body`` (the whole request)."""

    prompt: str
    turn: int
    tool_results: tuple[dict, ...]
    cwd: str | None
    body: dict

    @classmethod
    def of(cls, body: dict) -> Conversation:
        """Read a Messages request ``body``."""
        messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
        users = [m for m in messages if m.get("role") == "user"]
        prompt = _text(users[0]) if users else ""
        last = users[-1].get("content") if users else None
        results = tuple(b for b in last if isinstance(b, dict) and b.get("type") == "tool_result") \
            if isinstance(last, list) else ()
        found = _CWD.search(json.dumps(body))
        return cls(prompt=prompt, turn=sum(1 for m in messages if m.get("role") == "assistant"),
                   tool_results=results, cwd=found.group(1).replace("\\n", "") if found else None, body=body)


def _text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    return "\n".join(b.get("text", "") for b in content or [] if isinstance(b, dict) and b.get("type") == "text")


Script = Callable[[Conversation], "Turn | ApiError"]


@dataclass
class Billed:
    """Tokens billed so far (counts) and the number of model calls answered."""

    tokens_in: int = 0
    tokens_out: int = 0
    calls: int = 0


class AnthropicStandIn(StandIn):
    """Serve ``script`` as the Anthropic Messages API on 127.0.0.1. ``conversations`` lists what each
    model call showed, ``billed`` what was billed, ``unexpected`` the requests to any other path."""

    def __init__(self, script: Script, model: str = "claude-stand-in"):
        self.script = script
        self.model = model
        self.billed = Billed()
        self.conversations: list[Conversation] = []
        self.unexpected: list[Recorded] = []
        self._ids = 0
        super().__init__(self._answer)
        default = self.server.handle_error

        def handle_error(request: Any, client_address: Any) -> None:
            if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                default(request, client_address)  # a killed CLI hangs up: expected, not an error

        self.server.handle_error = handle_error  # type: ignore[method-assign]

    def _answer(self, rec: Recorded) -> Reply:
        if rec.method != "POST" or rec.path.split("?")[0] != MESSAGES_PATH or not isinstance(rec.body, dict):
            self.unexpected.append(rec)
            return Reply(status=404, body=_error("not_found_error", f"no such path: {rec.path}"),
                         headers={"x-should-retry": "false"})
        conversation = Conversation.of(rec.body)
        self.conversations.append(conversation)
        step = self.script(conversation)
        if isinstance(step, ApiError):
            return Reply(status=step.status, body=_error(step.type, step.message), headers={"x-should-retry": "false"})
        self.billed.tokens_in += step.tokens_in
        self.billed.tokens_out += step.tokens_out
        self.billed.calls += 1
        blocks = ([{"type": "text", "text": step.text}] if step.text else []) + \
            [{"type": "tool_use", "id": self._next_id("toolu"), "name": t.name, "input": t.input} for t in step.tools]
        stop = "tool_use" if step.tools else "end_turn"
        model = rec.body.get("model") or self.model
        if rec.body.get("stream"):
            return Reply(chunks=sse(self._events(blocks, stop, model, step)))
        return Reply(body={"id": self._next_id("msg"), "type": "message", "role": "assistant", "model": model,
                           "content": blocks, "stop_reason": stop, "stop_sequence": None,
                           "usage": {"input_tokens": step.tokens_in, "output_tokens": step.tokens_out}})

    def _next_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}_standin{self._ids:04d}"

    def _events(self, blocks: list[dict], stop: str, model: str, step: Turn) -> list[tuple[str, Any]]:
        """The server-sent events of one streamed message (usage: input tokens at the start, the
        cumulative output tokens in ``message_delta``)."""
        message = {"id": self._next_id("msg"), "type": "message", "role": "assistant", "model": model, "content": [],
                   "stop_reason": None, "stop_sequence": None,
                   "usage": {"input_tokens": step.tokens_in, "output_tokens": 1}}
        events: list[tuple[str, Any]] = [("message_start", {"type": "message_start", "message": message})]
        for i, block in enumerate(blocks):
            if block["type"] == "text":
                start = {"type": "text", "text": ""}
                text = block["text"]
                deltas = [{"type": "text_delta", "text": text[:len(text) // 2]},
                          {"type": "text_delta", "text": text[len(text) // 2:]}]
            else:
                start = {**block, "input": {}}
                raw = json.dumps(block["input"])
                deltas = [{"type": "input_json_delta", "partial_json": raw[:len(raw) // 2]},
                          {"type": "input_json_delta", "partial_json": raw[len(raw) // 2:]}]
            events.append(("content_block_start", {"type": "content_block_start", "index": i, "content_block": start}))
            events += [("content_block_delta", {"type": "content_block_delta", "index": i, "delta": d}) for d in deltas]
            events.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
        events.append(("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                                         "usage": {"output_tokens": step.tokens_out}}))
        events.append(("message_stop", {"type": "message_stop"}))
        return events


def _error(kind: str, message: str) -> dict:
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_standin"}


def tool_errors(conversations: list[Conversation]) -> list[dict]:
    """Every tool_result the CLI marked as an error (a denied or failed tool call)."""
    return [r for c in conversations for r in c.tool_results if r.get("is_error")]


def results_text(result: dict) -> str:
    """The text of one tool_result block."""
    content = result.get("content")
    if isinstance(content, str):
        return content
    return "\n".join(b.get("text", "") for b in content or [] if isinstance(b, dict))


__all__ = ["AnthropicStandIn", "ApiError", "Billed", "Conversation", "ToolCall", "Turn", "results_text", "tool_errors"]
