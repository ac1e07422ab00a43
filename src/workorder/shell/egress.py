"""The egress allow-list: the agent's processes reach the hosts the config allows and nothing else.

Mechanism (no iptables or nftables needed; root or passwordless sudo needed):

- the untrusted command runs in a **network namespace of its own** (``unshare --net``) whose only
  interface is loopback: a connection to any other address fails at once ("Network is unreachable"),
  and no DNS server is reachable;
- inside it a small **forwarder** (:mod:`workorder.shell.egress_jail`, root, one per phase; started with
  ``sudo -n`` when the action is not root) brings loopback
  up, listens on ``127.0.0.1:<port>`` for each relay and passes every connection on to a unix socket
  outside (a filesystem unix socket is not bound to a network namespace), then starts the command as
  the agent user (``setgroups``/``setgid``/``setuid``) and exits with its exit code;
- outside, the action's **filtering proxy** (:class:`EgressProxy`, a thread of the action) listens on
  that unix socket: ``CONNECT host:port`` (HTTPS) and plain-HTTP requests (``GET http://host/…``) to
  an allowed host are relayed, anything else gets ``403`` with a message naming the host and the
  config key (``network.allow``), which the agent's tool prints;
- the agent is given ``HTTPS_PROXY``/``HTTP_PROXY`` (and the lower-case names) pointing at the
  forwarder, and ``NO_PROXY=127.0.0.1,localhost`` for its model proxy, relayed the same way.

Where it holds: as root, or as a user with passwordless sudo (GitHub-hosted Linux runners; self-hosted
runners as root or with sudo). Where the namespace cannot be made (neither, or a container without
``CAP_SYS_ADMIN``), :func:`availability` says why and
config ``network.enforce`` decides: ``warn`` runs the agent with the open network and says so,
``refuse`` does not start it.
"""

from __future__ import annotations

import json
import os
import select
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

DENIED_TEXT = ("workorder egress allow-list: {target} is not allowed for the agent (add it to network.allow "
               "in .github/workorder.yml if the work needs it)\n")
_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def availability(sudo: bool | None = None) -> str | None:
    """None when a network namespace can be made here (as root, or through passwordless ``sudo -n``
    when ``sudo``; None: root if this process is root, else sudo), else the reason in words (for the
    run's warning or refusal and for ``workorder doctor``)."""
    sudo = os.geteuid() != 0 if sudo is None else sudo
    try:
        proc = subprocess.run([*(["sudo", "-n"] if sudo else []), "unshare", "--net", "--", "true"],
                              capture_output=True, text=True, timeout=20, env={"PATH": _PATH})
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare --net could not run ({exc})"
    if proc.returncode != 0 and sudo and "unshare" not in proc.stderr:
        return "the egress allow-list needs root or passwordless sudo (a network namespace per phase); neither is here"
    if proc.returncode != 0:
        return f"unshare --net failed ({proc.stderr.strip()[-200:] or proc.returncode}): a container without CAP_SYS_ADMIN?"
    return None


def host_allowed(target: str, patterns: Iterable[str]) -> bool:
    """Whether ``target`` (``host:port``) matches one of ``patterns``: ``host`` (port 443), ``host:port``,
    ``*.domain`` (any subdomain, port 443) or ``*.domain:port``. Case-insensitive; the host of a
    target with a trailing dot is compared without it."""
    host, _, port = target.rpartition(":")
    host = host.strip("[]").rstrip(".").lower()
    for pattern in patterns:
        p_host, p_port = (pattern.rsplit(":", 1) + ["443"])[:2] if ":" in pattern else (pattern, "443")
        if p_port != port:
            continue
        if p_host.startswith("*."):
            if host.endswith(p_host[1:]) and host != p_host[2:]:
                return True
        elif host == p_host:
            return True
    return False


@dataclass
class EgressLog:
    """What the filtering proxy saw: ``allowed`` and ``denied`` targets (``host:port``), in order."""

    allowed: list[str] = field(default_factory=list)
    denied: list[str] = field(default_factory=list)


class EgressProxy:
    """The action's filtering HTTP(S) proxy on the unix socket ``path`` (mode 0600: only the action's
    user, and root, connect), letting through ``allow`` (see :func:`host_allowed`). Use as a context
    manager; :attr:`log` records every decision."""

    def __init__(self, path: Path, allow: Iterable[str]):
        self.path = path
        self.allow = tuple(allow)
        self.log = EgressLog()
        path.unlink(missing_ok=True)
        self.server = socketserver.ThreadingUnixStreamServer(str(path), _handler(self))
        self.server.daemon_threads = True
        path.chmod(0o600)
        self.thread = threading.Thread(target=self.server.serve_forever, name="workorder-egress", daemon=True)

    def __enter__(self) -> EgressProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving and remove the socket. Safe to call twice."""
        if self.thread.is_alive():
            self.server.shutdown()
        self.server.server_close()
        self.path.unlink(missing_ok=True)


def _read_head(conn: socket.socket) -> bytes:
    """The request head (up to the blank line), at most 64 KiB."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _handler(proxy: EgressProxy) -> type[socketserver.BaseRequestHandler]:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            conn: socket.socket = self.request
            head = _read_head(conn)
            line, _, rest = head.partition(b"\r\n")
            parts = line.decode("latin-1").split()
            if len(parts) != 3:
                return
            method, target, version = parts
            if method.upper() == "CONNECT":
                hostport, body = target, rest.partition(b"\r\n\r\n")[2]
            else:
                hostport, path = _absolute(target)
                if hostport is None:
                    self._deny(conn, target)
                    return
                body = f"{method} {path} {version}\r\n".encode("latin-1") + rest
            if not host_allowed(hostport, proxy.allow):
                self._deny(conn, hostport)
                return
            proxy.log.allowed.append(hostport)
            host, _, port = hostport.rpartition(":")
            try:
                upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=30)
            except OSError as exc:
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
                             + f"workorder egress proxy: {hostport} could not be reached ({exc})\n".encode())
                return
            with upstream:
                if method.upper() == "CONNECT":
                    conn.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                if body:
                    upstream.sendall(body)
                _pipe(conn, upstream)

        def _deny(self, conn: socket.socket, target: str) -> None:
            proxy.log.denied.append(target)
            text = DENIED_TEXT.format(target=target).encode()
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                         + f"Content-Length: {len(text)}\r\n\r\n".encode() + text)

    return Handler


def _absolute(target: str) -> tuple[str | None, str]:
    """(``host:port``, origin-form path) of an absolute-form ``http://`` request target, else (None, '')."""
    from urllib.parse import urlsplit

    url = urlsplit(target)
    if url.scheme != "http" or not url.hostname:
        return None, ""
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    return f"{url.hostname}:{url.port or 80}", path


def _pipe(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    a.settimeout(None)
    b.settimeout(None)
    sockets = [a, b]
    while True:
        readable, _, _ = select.select(sockets, [], [], 600)
        if not readable:
            return
        for s in readable:
            try:
                data = s.recv(65536)
            except OSError:
                return
            if not data:
                return
            (b if s is a else a).sendall(data)


# -- wrapping a launch ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Jail:
    """How one run puts its untrusted commands in a network namespace: ``folder`` (root-only, holds the
    unix sockets and the launch specs), ``relays`` (port inside → unix socket outside) for the agent
    (``agent``: the egress proxy's port first, then the model proxy's) and for verify commands
    (``verify``), and ``proxy_port`` (the port the agent's ``HTTPS_PROXY`` names, 0: none)."""

    folder: Path
    agent: tuple[tuple[int, str], ...]
    verify: tuple[tuple[int, str], ...] = ()
    proxy_port: int = 0

    def wrap(self, launch, cmd: str, role: str) -> dict:
        """``subprocess.Popen`` arguments running ``cmd`` for ``launch`` (a
        :class:`workorder.isolation.Launch`: the agent user's uid, gid, work tree and environment) through
        :mod:`workorder.shell.egress_jail` in a new network namespace: ``unshare --net`` as root, or through
        ``sudo -n`` when the action acts as the agent user with sudo. ``role`` ``agent`` (the SE runner,
        the reviewer) gets the agent's relays and proxy variables, anything else the verify relays.
        The launch spec (with the environment) is a file in :attr:`folder`, which only the action's user
        and root can read; the forwarder deletes it."""
        relays = self.agent if role == "agent" else self.verify
        env = dict(launch.env)
        if role == "agent" and self.proxy_port:
            proxy = f"http://127.0.0.1:{self.proxy_port}"
            env.update(HTTPS_PROXY=proxy, HTTP_PROXY=proxy, https_proxy=proxy, http_proxy=proxy,
                       ALL_PROXY=proxy, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
        else:
            for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "ALL_PROXY", "all_proxy"):
                env.pop(name, None)
        spec = {"uid": launch.uid, "gid": launch.gid, "cwd": str(launch.cwd), "cmd": cmd, "env": env,
                "relays": [list(r) for r in relays]}
        fd, name = tempfile.mkstemp(prefix="launch-", suffix=".json", dir=self.folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(spec, fh)
        prefix = ["sudo", "-n"] if launch.privilege == "sudo" else []
        argv = [*prefix, "unshare", "--net", "--", sys.executable, "-m", "workorder.shell.egress_jail", name]
        return {"args": argv, "shell": False, "cwd": "/", "env": {"PATH": _PATH}}

__all__ = ["DENIED_TEXT", "EgressLog", "EgressProxy", "Jail", "availability", "host_allowed"]
