"""The FakeGitHub over real HTTP on 127.0.0.1, for tests that run ``workorder handle`` as a subprocess.

A small threaded ``http.server`` forwards every request to ``FakeGitHub._dispatch`` (the same REST
fake the in-process tests use through ``responses``). Like GitHub it answers 401 "Bad credentials" to
a request whose ``Authorization`` header carries none of the known tokens, so only the action's own
identities can write. Every request is logged in ``requests`` (method, path, the token it carried or
None, status, body text) so a test can show what an untrusted process tried.
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Self

from fakegithub import API, FakeGitHub


@dataclass(frozen=True)
class LoggedRequest:
    """One request the server received: ``token`` is the known token it carried, else None."""

    method: str
    path: str
    token: str | None
    status: int
    body: str


def _token_of(header: str, known: tuple[str, ...]) -> str | None:
    """The known token an ``Authorization`` header carries (``token X``, ``Bearer X`` or ``Basic
    base64(user:X)``), else None."""
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() == "basic":
        try:
            value = base64.b64decode(value).decode().partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            return None
    return value if value in known else None


class FakeGitHubServer:
    """Serves ``fake`` at ``url`` (``http://127.0.0.1:<port>``) for the tokens ``tokens``.

    Use as a context manager; API URLs in answers point at this server (PyGithub follows them).
    """

    def __init__(self, fake: FakeGitHub, tokens: tuple[str, ...]):
        self.fake = fake
        self.tokens = tokens
        self.requests: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, bytes]:
        """Answer one request: 401 without a known token, else what the fake answers."""
        token = _token_of(headers.get("authorization", ""), self.tokens)
        text = body.decode("utf-8", "replace")
        with self._lock:
            if token is None:
                status, out_headers, out = 401, {"Content-Type": "application/json"}, '{"message": "Bad credentials"}'
            else:
                request = SimpleNamespace(url=API + path, method=method, body=body or None, headers=headers)
                status, out_headers, out = self.fake._dispatch(request)
            self.requests.append(LoggedRequest(method, path.split("?")[0], token, status, text))
        return status, out_headers, out.replace(API, self.url).encode()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, out_headers, out = server.handle(self.command, self.path, headers, body)
                self.send_response(status)
                for key, value in out_headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
