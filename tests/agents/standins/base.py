"""A scripted HTTP stand-in for a model API: a threaded server on 127.0.0.1 that answers each request
from a script and records every request (path, headers, JSON body), so a test can check what the real
agent CLI sent (its key header, its tools) and bill it exactly what the script says."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    """One request the CLI made: method, path, headers (lower-case names) and the parsed JSON body."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Reply:
    """One scripted answer: HTTP ``status``, ``headers``, and either ``chunks`` (server-sent events or
    any streamed bytes, written in order) or a JSON ``body``."""

    status: int = 200
    body: Any = None
    chunks: list[bytes] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


class StandIn:
    """Serve ``answer(recorded) -> Reply`` on 127.0.0.1 (a free port) until :meth:`close`.

    Use as a context manager; ``url`` is ``http://127.0.0.1:<port>``; ``requests`` lists every call.
    """

    def __init__(self, answer: Callable[[Recorded], Reply]):
        self.answer = answer
        self.requests: list[Recorded] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                return

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                rec = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                stand_in.requests.append(rec)
                reply = stand_in.answer(rec)
                self.send_response(reply.status)
                if reply.chunks:
                    self.send_header("content-type", reply.headers.get("content-type", "text/event-stream"))
                    self.send_header("cache-control", "no-cache")
                    self.send_header("connection", "close")
                    for k, v in reply.headers.items():
                        if k.lower() != "content-type":
                            self.send_header(k, v)
                    self.end_headers()
                    for chunk in reply.chunks:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                    self.close_connection = True
                    return
                data = json.dumps(reply.body if reply.body is not None else {}).encode()
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:41234``."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving and free the port."""
        self.server.shutdown()
        self.server.server_close()


def sse(events: list[tuple[str | None, Any]]) -> list[bytes]:
    """Server-sent events: each (event name or None, JSON-able data) as ``event:``/``data:`` lines."""
    out = []
    for name, data in events:
        head = f"event: {name}\n" if name else ""
        payload = data if isinstance(data, str) else json.dumps(data)
        out.append(f"{head}data: {payload}\n\n".encode())
    return out
