"""A scripted stand-in for the OpenAI Chat Completions API (``POST /v1/chat/completions``), the protocol
aider 0.86 speaks through litellm for ``openai/<model>`` models.

Each request takes the next :class:`Turn` of a script: an assistant message (aider's edits are plain
text in it: SEARCH/REPLACE blocks, fenced JSON) billed with known usage, or an HTTP error in the
OpenAI error shape. With ``"stream": true`` the reply is server-sent ``chat.completion.chunk`` events
(the usage in a last chunk with empty ``choices``, as OpenAI sends it for
``stream_options.include_usage``), then ``data: [DONE]``. Formats:
https://platform.openai.com/docs/api-reference/chat/create and /chat/streaming.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .base import Recorded, Reply, sse

FENCE = "```"


@dataclass(frozen=True)
class Turn:
    """One scripted answer: ``content`` (the assistant's text) billed ``tokens_in``/``tokens_out``; or,
    when ``status`` is not 200, an OpenAI error body with ``error_message`` and ``error_code``."""

    content: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    status: int = 200
    error_message: str = ""
    error_code: str = ""


def unauthorized(key: str) -> Turn:
    """OpenAI's 401 for a wrong ``key``, which the message repeats (aider/litellm: AuthenticationError,
    not retried)."""
    return Turn(status=401, error_code="invalid_api_key",
                error_message=f"Incorrect API key provided: {key}. You can find your API key in your dashboard.")


def model_not_found(model: str) -> Turn:
    """OpenAI's 404 for an unknown model (aider/litellm: NotFoundError, not retried)."""
    return Turn(status=404, error_code="model_not_found",
                error_message=f"The model `{model}` does not exist or you do not have access to it.")


def search_replace(path: str, search: str, replace: str) -> str:
    """One aider SEARCH/REPLACE block for ``path`` (an empty ``search`` creates the file)."""
    return f"{path}\n{FENCE}python\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n{FENCE}\n"


def json_block(data: dict) -> str:
    """``data`` as a fenced ```json block."""
    return f"{FENCE}json\n{json.dumps(data, indent=2)}\n{FENCE}\n"


class ChatScript:
    """The ``answer`` of a :class:`StandIn`: serves ``turns`` in order to chat-completion requests.

    ``billed`` is the (tokens in, tokens out) of every answer served; ``chat_requests`` the requests
    answered. A request past the end of the script gets a 400 naming the problem, so a test fails loudly.
    """

    def __init__(self, turns: list[Turn], model: str = "standin-coder"):
        self.turns = list(turns)
        self.model = model
        self.chat_requests: list[Recorded] = []
        self.billed = (0, 0)

    def __call__(self, rec: Recorded) -> Reply:
        if rec.method != "POST" or not rec.path.rstrip("/").endswith("/chat/completions"):
            return _error(404, f"no route {rec.method} {rec.path}", "not_found")
        self.chat_requests.append(rec)
        if not self.turns:
            return _error(400, "the stand-in's script has no more turns", "script_exhausted")
        turn = self.turns.pop(0)
        if turn.status != 200:
            return _error(turn.status, turn.error_message, turn.error_code)
        self.billed = (self.billed[0] + turn.tokens_in, self.billed[1] + turn.tokens_out)
        body = rec.body if isinstance(rec.body, dict) else {}
        if body.get("stream"):
            return Reply(chunks=self._chunks(turn, len(self.chat_requests)))
        return Reply(body=self._completion(turn, len(self.chat_requests)))

    def _usage(self, turn: Turn) -> dict:
        return {"prompt_tokens": turn.tokens_in, "completion_tokens": turn.tokens_out,
                "total_tokens": turn.tokens_in + turn.tokens_out}

    def _completion(self, turn: Turn, n: int) -> dict:
        return {"id": f"chatcmpl-standin-{n}", "object": "chat.completion", "created": 1_700_000_000 + n,
                "model": self.model, "usage": self._usage(turn),
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": turn.content}}]}

    def _chunks(self, turn: Turn, n: int) -> list[bytes]:
        head = {"id": f"chatcmpl-standin-{n}", "object": "chat.completion.chunk", "created": 1_700_000_000 + n,
                "model": self.model}
        lines = turn.content.splitlines(keepends=True) or [""]
        events = [{**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                        "finish_reason": None}]}]
        events += [{**head, "choices": [{"index": 0, "delta": {"content": part}, "finish_reason": None}]}
                   for part in lines]
        events.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        events.append({**head, "choices": [], "usage": self._usage(turn)})
        return sse([(None, e) for e in events] + [(None, "[DONE]")])


def _error(status: int, message: str, code: str) -> Reply:
    return Reply(status=status, body={"error": {"message": message, "type": "invalid_request_error",
                                                "param": None, "code": code}})
