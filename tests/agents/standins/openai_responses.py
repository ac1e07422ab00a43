"""A scripted stand-in of the OpenAI Responses API (``POST /v1/responses``, ``"stream": true``) as
Codex CLI 0.169 speaks it.

Each request the CLI makes takes the next :class:`Step` of the script and is answered with the
server-sent events of one response: ``response.created``, per output item
``response.output_item.added`` / (``response.output_text.delta``) / ``response.output_item.done``,
then ``response.completed`` carrying the step's ``usage`` (``input_tokens``, ``output_tokens``,
``total_tokens``). Output items are the Responses API's own shapes: an assistant ``message`` with
``output_text`` content, a ``function_call`` (Codex's ``exec_command`` tool: JSON arguments
``{"cmd": ...}``) and a ``custom_tool_call`` (Codex's freeform ``apply_patch`` tool: the patch is the
raw ``input``). A step may instead be an HTTP error (``status`` with an OpenAI error body), e.g. 401 or
404 model-not-found. The stand-in adds up what it billed (:attr:`ResponsesStandIn.billed`) so a test
can compare it with what the agent reported.

Format reference: https://platform.openai.com/docs/api-reference/responses-streaming and Codex's
parser in openai/codex ``codex-rs/codex-api/src/sse/responses.rs``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .base import Recorded, Reply, StandIn, sse


@dataclass(frozen=True)
class Usage:
    """Tokens one response bills: ``input_tokens`` and ``output_tokens`` (counts)."""

    input_tokens: int
    output_tokens: int

    def as_json(self) -> dict[str, Any]:
        """The Responses API ``usage`` object."""
        return {"input_tokens": self.input_tokens, "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": self.output_tokens, "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": self.input_tokens + self.output_tokens}


@dataclass(frozen=True)
class Step:
    """One scripted answer: the output ``items`` (Responses API item dicts, see the helpers below) and
    the ``usage`` billed; or, when ``status`` is not 200, an HTTP error with ``error`` as its message
    (``code`` its OpenAI error code). ``check`` is called with the request before it is answered (an
    assertion on what the CLI sent, e.g. the corrective prompt); its failures are collected in
    :attr:`ResponsesStandIn.problems`."""

    items: tuple[dict[str, Any], ...] = ()
    usage: Usage = Usage(0, 0)
    status: int = 200
    error: str = ""
    code: str | None = None
    check: Callable[[Recorded], None] | None = None


def message(text: str) -> dict[str, Any]:
    """An assistant message item whose only content is ``text``."""
    return {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text, "annotations": []}]}


def shell(cmd: str) -> dict[str, Any]:
    """A call of Codex's ``exec_command`` function tool running ``cmd`` in the work tree."""
    return {"type": "function_call", "name": "exec_command", "arguments": json.dumps({"cmd": cmd})}


def apply_patch(files: dict[str, str]) -> dict[str, Any]:
    """A call of Codex's freeform ``apply_patch`` tool that adds each of ``files`` (path -> text)."""
    lines = ["*** Begin Patch"]
    for path, text in files.items():
        lines.append(f"*** Add File: {path}")
        lines += ["+" + line for line in text.splitlines()]
    lines.append("*** End Patch")
    return {"type": "custom_tool_call", "name": "apply_patch", "input": "\n".join(lines) + "\n"}


def update_file(path: str, hunk: list[str]) -> dict[str, Any]:
    """A call of Codex's ``apply_patch`` tool that changes ``path`` by one ``hunk``: lines starting
    with ``" "`` (context), ``"-"`` or ``"+"``; an optional first ``"@@ ..."`` line names the context."""
    body = hunk if hunk and hunk[0].startswith("@@") else ["@@", *hunk]
    patch = "\n".join(["*** Begin Patch", f"*** Update File: {path}", *body, "*** End Patch"]) + "\n"
    return {"type": "custom_tool_call", "name": "apply_patch", "input": patch}


def reply(step: Step, number: int) -> Reply:
    """The HTTP answer to request ``number`` (1-based) from ``step``."""
    if step.status != 200:
        body = {"error": {"message": step.error, "type": "invalid_request_error", "param": None, "code": step.code}}
        return Reply(status=step.status, body=body)
    rid = f"resp_{number}"
    events: list[tuple[str | None, Any]] = [("response.created", {"type": "response.created", "response": {"id": rid}})]
    for index, raw in enumerate(step.items):
        item = _with_ids(raw, number, index)
        events.append(("response.output_item.added",
                       {"type": "response.output_item.added", "output_index": index, "item": _started(item)}))
        if item["type"] == "message":
            events.append(("response.output_text.delta", {"type": "response.output_text.delta", "item_id": item["id"],
                                                          "output_index": index, "content_index": 0,
                                                          "delta": item["content"][0]["text"]}))
        events.append(("response.output_item.done",
                       {"type": "response.output_item.done", "output_index": index, "item": item}))
    events.append(("response.completed", {"type": "response.completed", "response": {
        "id": rid, "object": "response", "status": "completed", "usage": step.usage.as_json()}}))
    return Reply(chunks=sse(events))


def _with_ids(item: dict[str, Any], number: int, index: int) -> dict[str, Any]:
    """``item`` with the ids the API gives it (``id``; ``call_id`` for tool calls) and status completed."""
    out = {**item, "id": f"item_{number}_{index}", "status": "completed"}
    if item["type"] in ("function_call", "custom_tool_call"):
        out["call_id"] = f"call_{number}_{index}"
    return out


def _started(item: dict[str, Any]) -> dict[str, Any]:
    """``item`` as ``response.output_item.added`` announces it: in progress, no content yet."""
    out = {**item, "status": "in_progress"}
    if item["type"] == "message":
        out["content"] = []
    elif item["type"] == "function_call":
        out["arguments"] = ""
    elif item["type"] == "custom_tool_call":
        out["input"] = ""
    return out


@dataclass
class ResponsesStandIn:
    """Serves ``steps`` in order to every ``POST .../responses`` (context manager).

    ``url`` is the base URL a provider's ``base_url`` points at (``http://127.0.0.1:<port>/v1``);
    ``requests`` are the Responses calls made; ``billed`` is the usage of every step served;
    ``problems`` lists failed ``check`` assertions and requests made after the script ran out (those
    are answered with HTTP 500, so the CLI fails loudly instead of hanging).
    """

    steps: list[Step]
    requests: list[Recorded] = field(default_factory=list)
    billed: Usage = Usage(0, 0)
    problems: list[str] = field(default_factory=list)
    server: StandIn | None = None

    def answer(self, rec: Recorded) -> Reply:
        """The reply to one recorded HTTP request."""
        if rec.method != "POST" or not rec.path.rstrip("/").endswith("/responses"):
            return Reply(status=404, body={"error": {"message": f"no route {rec.method} {rec.path}"}})
        self.requests.append(rec)
        number = len(self.requests)
        if number > len(self.steps):
            self.problems.append(f"request {number} made after the script's {len(self.steps)} steps")
            return Reply(status=500, body={"error": {"message": "the stand-in's script ran out", "code": None}})
        step = self.steps[number - 1]
        if step.check:
            try:
                step.check(rec)
            except AssertionError as exc:
                self.problems.append(f"request {number}: {exc}")
        if step.status == 200:
            self.billed = Usage(self.billed.input_tokens + step.usage.input_tokens,
                                self.billed.output_tokens + step.usage.output_tokens)
        return reply(step, number)

    @property
    def url(self) -> str:
        """The API base URL, ending in ``/v1``."""
        assert self.server is not None, "use ResponsesStandIn as a context manager"
        return self.server.url + "/v1"

    def __enter__(self) -> ResponsesStandIn:
        self.server = StandIn(self.answer).__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.server:
            self.server.close()


def input_text(rec: Recorded) -> str:
    """All text the CLI sent in one request's ``input`` (messages and tool outputs), joined."""
    parts: list[str] = []
    for item in (rec.body or {}).get("input") or []:
        contents = item.get("content") if isinstance(item.get("content"), list) else []
        parts += [c["text"] for c in contents if isinstance(c, dict) and isinstance(c.get("text"), str)]
        if isinstance(item.get("output"), str):
            parts.append(item["output"])
    return "\n".join(parts)
