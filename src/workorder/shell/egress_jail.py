"""The forwarder inside an untrusted command's network namespace: ``python -m workorder.shell.egress_jail SPEC``.

Started as root by :meth:`workorder.shell.egress.Jail.wrap` under ``unshare --net``. Reads the launch spec
(JSON: ``uid``, ``gid``, ``cwd``, ``cmd``, ``env``, ``relays`` [[port, unix socket path], …]) and
deletes it, brings loopback up, listens on ``127.0.0.1:<port>`` of each relay and copies every
connection to and from its unix socket (outside the namespace: the action's filtering proxy, the
model proxy), then runs ``/bin/sh -c cmd`` as ``uid``/``gid`` with no supplementary groups in
``cwd`` with exactly ``env``, and exits with its exit code (128 + signal when killed). Standard
library only; nothing here trusts the command.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import socket
import struct
import sys
import threading

SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def loopback_up() -> None:
    """Set ``lo`` up (a new network namespace starts with it down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifreq = fcntl.ioctl(s, SIOCGIFFLAGS, struct.pack("16sH22x", b"lo", 0))
        flags = struct.unpack("16sH22x", ifreq)[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))


def _pipe(a: socket.socket, b: socket.socket) -> None:
    try:
        while True:
            readable, _, _ = select.select([a, b], [], [], 900)
            if not readable:
                return
            for s in readable:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except OSError:
        return
    finally:
        a.close()
        b.close()


def _relay(listener: socket.socket, path: str) -> None:
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        try:
            outside = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            outside.connect(path)
        except OSError:
            conn.close()
            continue
        threading.Thread(target=_pipe, args=(conn, outside), daemon=True).start()


def main(spec_path: str) -> int:
    """Run the launch described by ``spec_path``; returns the command's exit code."""
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    os.unlink(spec_path)
    loopback_up()
    for port, path in spec["relays"]:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", int(port)))
        listener.listen(64)
        threading.Thread(target=_relay, args=(listener, path), daemon=True).start()
    pid = os.fork()
    if pid == 0:  # the command, as the agent user
        try:
            os.setgroups([])
            os.setgid(int(spec["gid"]))
            os.setuid(int(spec["uid"]))
            os.chdir(spec["cwd"])
            os.execve("/bin/sh", ["/bin/sh", "-c", spec["cmd"]], spec["env"])
        finally:
            os._exit(127)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: os.kill(pid, signal.SIGKILL))
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
