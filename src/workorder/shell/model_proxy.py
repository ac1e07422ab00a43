"""The model key stays with the action: a per-run local proxy between the agent and its model API.

The agent's environment holds a placeholder key and the proxy's address; the proxy, run by the
action's user (in the action's process: a thread), takes each request, drops whatever key the agent
sent, adds the real one and forwards it to the real upstream base URL. The agent user cannot read the
key: it is in no file and in no environment of a process the agent user owns, and Linux lets only the
same uid read ``/proc/<pid>/environ`` and ``mem`` of the action (see :mod:`workorder.isolation`).

- **One proxy per run, reachable only with its secret.** It listens on ``127.0.0.1`` (a free port) and
  serves only paths under ``/<secret>/``: the secret (32 random bytes, URL-safe) is in the base URL
  given to this run's agent and nowhere else; any other path is refused with HTTP 403. Another run's
  agent on the same machine does not know it.
- **Usage from what it sees, and the budget held by it.** It reads the ``usage`` of every response:
  the Anthropic Messages API (``usage.input_tokens``/``output_tokens``, streamed in ``message_start``
  and the cumulative ``message_delta``), the OpenAI Responses API (``usage.input_tokens``/
  ``output_tokens``, streamed in ``response.completed``) and Chat Completions (``usage.prompt_tokens``/
  ``completion_tokens``, streamed in the last chunk with ``stream_options.include_usage``). Cost comes
  from ``prices`` (US dollars per million tokens, by model name prefix) when the model is priced.
  Once the run is over its token or cost limit the proxy answers every further request with HTTP 403
  and an error body in the shape both API families read (``{"type": "error", "error": {"type":
  "budget_exceeded", "code": "budget_exceeded", "message": ...}}``), which the agent CLIs show and do
  not retry.
- **Streaming** server-sent events are relayed chunk by chunk (HTTP/1.1 chunked), never buffered.

Standard library only (``http.server``, ``http.client``, ``threading``, ``ssl``).
"""

from __future__ import annotations

import http.client
import json
import secrets
import socketserver
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PLACEHOLDER_KEY = "workorder-model-proxy-placeholder"
"""The key the agent holds: worthless anywhere but through this run's proxy."""
KEY_HEADERS = ("x-api-key", "authorization", "api-key")
"""Headers that carry a model API key: the agent's are dropped, the real one is added."""
_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
        "transfer-encoding", "upgrade", "host", "content-length", "accept-encoding"}
MAX_BODY = 64 * 1024 * 1024


@dataclass
class ProxyUsage:
    """What the proxy counted: tokens in and out, cost (US dollars, priced models only), requests
    forwarded (``calls``), requests refused over the budget (``refused``), and ``unpriced``: model names
    it saw with no price."""

    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    calls: int = 0
    refused: int = 0
    unpriced: set[str] = field(default_factory=set)

    @property
    def tokens(self) -> int:
        """Tokens in plus tokens out."""
        return self.tokens_in + self.tokens_out


@dataclass(frozen=True)
class Upstream:
    """Where the real API is and how its key is sent: ``base_url`` (``https://api.anthropic.com``,
    ``https://api.openai.com/v1``) and the ``headers`` holding the key (``{"x-api-key": KEY}`` for
    Anthropic, ``{"authorization": "Bearer KEY"}`` for OpenAI)."""

    base_url: str
    headers: Mapping[str, str] = field(repr=False)

    @classmethod
    def for_api(cls, api: str, base_url: str, key: str) -> Upstream:
        """The upstream of ``api`` (``anthropic`` or ``openai``) at ``base_url`` with ``key``. Raises
        ValueError for another api or a base URL that is not http(s)."""
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise ValueError(f"model upstream {base_url!r} is not an http(s) URL")
        if api == "anthropic":
            return cls(base_url, {"x-api-key": key})
        if api == "openai":
            return cls(base_url, {"authorization": f"Bearer {key}"})
        raise ValueError(f"unknown model API {api!r}")


class ModelProxy:
    """Serve this run's agent: forward to ``upstream`` with its key while within ``max_tokens`` and
    ``max_cost_usd`` (None: no limit). ``prices`` maps a model name prefix to (input, output) US dollars
    per million tokens. With ``shared`` (another proxy of the same run, e.g. the reviewer's next to the
    runner's) the usage and so the budget are one. Use as a context manager (or :meth:`start`/:meth:`close`);
    :attr:`base_url` is what the agent is given; :attr:`usage` what it used."""

    def __init__(self, upstream: Upstream, max_tokens: int | None = None, max_cost_usd: float | None = None,
                 prices: Mapping[str, tuple[float, float]] | None = None, timeout_s: float = 600.0,
                 shared: ModelProxy | None = None):
        self.upstream = upstream
        self.max_tokens = max_tokens
        self.max_cost_usd = max_cost_usd
        self.prices = dict(prices or {})
        self.timeout_s = timeout_s
        self.secret = secrets.token_urlsafe(32)
        self.usage = shared.usage if shared else ProxyUsage()  # one run's budget across its proxies
        self.lock = shared.lock if shared else threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="workorder-model-proxy", daemon=True)
        self.unix_servers: list[tuple[socketserver.ThreadingUnixStreamServer, Path]] = []

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/<secret>``: the base URL this run's agent is given."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/{self.secret}"

    @property
    def port(self) -> int:
        """The TCP port on 127.0.0.1."""
        return self.server.server_address[1]

    def start(self) -> ModelProxy:
        """Start serving (a daemon thread); returns self."""
        self.thread.start()
        return self

    def serve_unix(self, path: Path) -> None:
        """Also serve on the unix socket ``path`` (mode 0600), for an agent in a network namespace of its
        own (:mod:`workorder.shell.egress`): the same handler, the same secret path."""
        path.unlink(missing_ok=True)
        server = socketserver.ThreadingUnixStreamServer(str(path), _handler(self))
        server.daemon_threads = True
        path.chmod(0o600)
        self.unix_servers.append((server, path))
        threading.Thread(target=server.serve_forever, name="workorder-model-proxy-unix", daemon=True).start()

    def close(self) -> None:
        """Stop serving and free the port (and unix sockets). Safe to call twice."""
        if self.thread.is_alive():
            self.server.shutdown()
        self.server.server_close()
        while self.unix_servers:
            server, path = self.unix_servers.pop()
            server.shutdown()
            server.server_close()
            path.unlink(missing_ok=True)

    def __enter__(self) -> ModelProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def over_budget(self) -> str | None:
        """Why no further request is forwarded (the limit and what was used), or None."""
        u = self.usage
        if self.max_tokens is not None and u.tokens >= self.max_tokens:
            return f"the run's token budget is spent ({u.tokens} of {self.max_tokens} tokens)"
        if self.max_cost_usd is not None and u.cost_usd >= self.max_cost_usd:
            return f"the run's cost budget is spent (${u.cost_usd:.4f} of ${self.max_cost_usd:.2f})"
        return None

    def account(self, model: str | None, tokens_in: int, tokens_out: int) -> None:
        """Add one response's usage (and its cost when ``model`` is priced)."""
        with self.lock:
            self.usage.tokens_in += tokens_in
            self.usage.tokens_out += tokens_out
            self.usage.calls += 1
            price = self._price(model)
            if price is None:
                if model and (tokens_in or tokens_out):
                    self.usage.unpriced.add(model)
            else:
                self.usage.cost_usd = round(self.usage.cost_usd + (tokens_in * price[0] + tokens_out * price[1]) / 1e6, 6)

    def _price(self, model: str | None) -> tuple[float, float] | None:
        if not model:
            return None
        matches = [p for p in self.prices if model.startswith(p)]
        return self.prices[max(matches, key=len)] if matches else None


class UsageMeter:
    """Reads the usage out of one response, JSON or server-sent events, fed in any pieces."""

    def __init__(self) -> None:
        self.tokens_in = 0
        self.tokens_out = 0
        self.model: str | None = None
        self._pending = b""

    def feed_json(self, data: Any) -> None:
        """Take the usage (and model) of one JSON object: a whole response or one streamed event.
        Counts are maxima, so the cumulative counts of a stream are not added twice."""
        if not isinstance(data, dict):
            return
        for holder in (data, data.get("message"), data.get("response")):
            if not isinstance(holder, dict):
                continue
            if isinstance(holder.get("model"), str):
                self.model = holder["model"]
            usage = holder.get("usage")
            if isinstance(usage, dict):
                self._take(usage)

    def _take(self, usage: dict) -> None:
        def num(*names: str) -> int:
            return sum(int(usage.get(n) or 0) for n in names if isinstance(usage.get(n), (int, float)))

        tokens_in = num("input_tokens", "prompt_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
        tokens_out = num("output_tokens", "completion_tokens")
        self.tokens_in = max(self.tokens_in, tokens_in)
        self.tokens_out = max(self.tokens_out, tokens_out)

    def feed_sse(self, chunk: bytes) -> None:
        """Take the ``data:`` lines of a piece of a server-sent event stream."""
        self._pending += chunk
        *lines, self._pending = self._pending.split(b"\n")
        for line in lines:
            line = line.strip()
            if line.startswith(b"data:"):
                payload = line[5:].strip()
                if payload and payload != b"[DONE]":
                    try:
                        self.feed_json(json.loads(payload))
                    except ValueError:
                        continue


def error_body(message: str, kind: str) -> bytes:
    """A JSON error both API families read: Anthropic's ``{"type": "error", "error": {type, message}}``
    and OpenAI's ``{"error": {message, type, code}}`` at once."""
    return json.dumps({"type": "error", "error": {"type": kind, "code": kind, "message": message}}).encode()


def _handler(proxy: ModelProxy) -> type[BaseHTTPRequestHandler]:
    """The request handler class serving ``proxy``."""
    return type("ModelProxyHandler", (_Handler,), {"proxy": proxy})


class _Handler(BaseHTTPRequestHandler):
    """One request to the model proxy (:attr:`proxy` is set per proxy by :func:`_handler`)."""

    protocol_version = "HTTP/1.1"
    server_version = "workorder-model-proxy"
    proxy: ModelProxy

    def log_message(self, *args: Any) -> None:
        return

    def _refuse(self, status: int, message: str, kind: str) -> None:
        body = error_body(f"workorder model proxy: {message}", kind)
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.send_header("x-should-retry", "false")
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        proxy = self.proxy
        prefix = f"/{proxy.secret}"
        if not (self.path == prefix or self.path.startswith(prefix + "/") or self.path.startswith(prefix + "?")):
            self._refuse(403, "this is not the proxy of this run (wrong or missing secret path)", "permission_error")
            return
        over = proxy.over_budget()
        if over:
            with proxy.lock:
                proxy.usage.refused += 1
            self._refuse(403, over + "; no further model requests in this run", "budget_exceeded")
            return
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY:
            self._refuse(413, "request too large", "invalid_request_error")
            return
        body = self.rfile.read(length) if length else None
        try:
            self._forward(self.path[len(prefix):] or "/", body)
        except (OSError, http.client.HTTPException) as exc:
            self._refuse(502, f"the model API could not be reached ({type(exc).__name__}: {exc})", "api_error")

    def _forward(self, rest: str, body: bytes | None) -> None:
        up = urlsplit(self.proxy.upstream.base_url)
        path = up.path.rstrip("/") + rest
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP and k.lower() not in KEY_HEADERS}
        headers.update(self.proxy.upstream.headers)
        headers["host"] = up.netloc
        headers["accept-encoding"] = "identity"
        if body is not None:
            headers["content-length"] = str(len(body))
        conn_cls = http.client.HTTPSConnection if up.scheme == "https" else http.client.HTTPConnection
        kwargs = {"context": ssl.create_default_context()} if up.scheme == "https" else {}
        conn = conn_cls(up.hostname, up.port, timeout=self.proxy.timeout_s, **kwargs)
        try:
            conn.request(self.command, path, body=body, headers=headers)
            self._relay(conn.getresponse())
        finally:
            conn.close()

    def _relay(self, resp: http.client.HTTPResponse) -> None:
        """Send the upstream's answer on; its usage is counted before its last byte is sent."""
        meter = UsageMeter()
        streaming = "text/event-stream" in (resp.getheader("content-type") or "")
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in _HOP:
                self.send_header(k, v)
        if streaming:
            self.send_header("transfer-encoding", "chunked")
            self.send_header("connection", "close")
            self.end_headers()
            while chunk := resp.read1(65536):
                meter.feed_sse(chunk)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            self._account(meter)
            self.wfile.write(b"0\r\n\r\n")
            self.close_connection = True
            return
        data = resp.read()
        if 200 <= resp.status < 300:
            try:
                meter.feed_json(json.loads(data))
            except ValueError:
                pass
        self._account(meter)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _account(self, meter: UsageMeter) -> None:
        if meter.tokens_in or meter.tokens_out:
            self.proxy.account(meter.model, meter.tokens_in, meter.tokens_out)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

__all__ = ["KEY_HEADERS", "PLACEHOLDER_KEY", "ModelProxy", "ProxyUsage", "Upstream", "UsageMeter", "error_body"]
