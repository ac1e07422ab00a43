"""The egress allow-list (workorder.shell.egress): a network namespace per phase, a filtering proxy outside.

An "allowed host" and an "outside host" are local HTTP servers on other loopback addresses
(127.0.0.2 and 127.0.0.3). The agent user, jailed, reaches the allowed one through the proxy, gets a
403 naming the config key for the other, and has no direct route anywhere (loopback only, no DNS);
the control runs the same probe without the jail and reaches the outside host.
"""

from __future__ import annotations

import json
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from workorder.shell import egress
from workorder.contracts.config import parse_repo_config
from workorder.shell.egress import EgressProxy, Jail, host_allowed
from workorder.shell.isolation import AGENT_USER, Launch, Sandbox
from workorder.inputs.problems import InvalidInput

AGENTS = Path(__file__).parent / "agents"
SYSTEM_PYTHON = shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")
needs_netns = pytest.mark.skipif(egress.availability() is not None or SYSTEM_PYTHON is None,
                                 reason=f"no network namespace here: {egress.availability()}")


@pytest.mark.parametrize("target,patterns,ok", [
    ("pypi.org:443", ["pypi.org"], True),
    ("PyPI.org.:443", ["pypi.org"], True),
    ("pypi.org:80", ["pypi.org"], False),
    ("evil-pypi.org:443", ["pypi.org"], False),
    ("a.b.example.com:443", ["*.example.com"], True),
    ("example.com:443", ["*.example.com"], False),
    ("notexample.com:443", ["*.example.com"], False),
    ("h.internal:8443", ["*.internal:8443"], True),
    ("127.0.0.2:5000", ["127.0.0.2:5000"], True),
    ("127.0.0.2:5001", ["127.0.0.2:5000"], False),
])
def test_host_allowed(target, patterns, ok):
    assert host_allowed(target, patterns) is ok


def test_network_config_is_validated():
    config = parse_repo_config("network:\n  enforce: refuse\n  allow: [api.example.com, '*.corp.example:8443']\n"
                               "  registries: [pypi, npm]\n")
    assert config.network.hosts("api.anthropic.com") == [
        "api.example.com", "*.corp.example:8443", "pypi.org", "files.pythonhosted.org", "registry.npmjs.org",
        "api.anthropic.com"]
    assert parse_repo_config("").network.enforce == "off"
    for bad, word in (("allow: ['https://x.org']", "network.allow"), ("enforce: always", "network.enforce"),
                      ("registries: [cpan]", "network.registries"), ("model_upstream: ftp://x", "network.model_upstream"),
                      ("prices: {m: {input: -1, output: 1}}", "network.prices")):
        with pytest.raises(InvalidInput, match=word):
            parse_repo_config(f"network:\n  {bad}\n")


class Site:
    """An HTTP server on ``host`` (a loopback address) answering every GET with ``name``."""

    def __init__(self, host: str, name: str):
        body = name.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}/"
        self.hostport = f"{host}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sites():
    allowed, outside = Site("127.0.0.2", "allowed"), Site("127.0.0.3", "outside")
    yield allowed, outside
    allowed.close()
    outside.close()


def raw_get(sock_path: Path, request: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(str(sock_path))
        s.sendall(request)
        data = b""
        while chunk := s.recv(4096):
            data += chunk
        return data


def test_the_filtering_proxy_relays_allowed_hosts_and_refuses_the_rest(sites, tmp_path):
    allowed, outside = sites
    with EgressProxy(tmp_path / "egress.sock", [allowed.hostport]) as proxy:
        ok = raw_get(proxy.path, f"GET {allowed.url} HTTP/1.1\r\nHost: {allowed.hostport}\r\nConnection: close\r\n\r\n".encode())
        assert ok.startswith(b"HTTP/1.0 200") and ok.endswith(b"allowed")
        no = raw_get(proxy.path, f"GET {outside.url} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert no.startswith(b"HTTP/1.1 403") and b"not allowed for the agent" in no and b"network.allow" in no
        tunnel = raw_get(proxy.path, f"CONNECT {outside.hostport} HTTP/1.1\r\n\r\n".encode())
        assert tunnel.startswith(b"HTTP/1.1 403")
        assert proxy.log.allowed == [allowed.hostport] and proxy.log.denied == [outside.hostport] * 2
        assert oct(proxy.path.stat().st_mode)[-3:] == "600"


@pytest.fixture
def open_dir():
    base = Path(tempfile.mkdtemp(prefix="workorder-egress-"))
    base.chmod(0o755)
    yield base
    subprocess.run(["rm", "-rf", str(base)], check=False)


def probe(open_dir: Path, sites, jail: Jail | None) -> dict:
    """Run net_probe.py as the agent user (jailed when ``jail``) and return its report."""
    Sandbox(open_dir / "sandbox", "root")._ensure_user()
    agent = pwd.getpwnam(AGENT_USER)
    shutil.copy(AGENTS / "net_probe.py", open_dir / "net_probe.py")
    out = open_dir / "out"
    out.mkdir()
    out.chmod(0o777)
    cmd = f"{SYSTEM_PYTHON} {open_dir}/net_probe.py {out}/report.json {sites[0].url} {sites[1].url}"
    launch = Launch(cwd=open_dir, env={"PATH": "/usr/bin:/bin", "HOME": str(open_dir)}, privilege="root",
                    user=AGENT_USER, uid=agent.pw_uid, gid=agent.pw_gid)
    kwargs = jail.wrap(launch, cmd, "agent") if jail is not None else launch.popen_kwargs(cmd)
    subprocess.run(**kwargs, check=True, timeout=120)
    return json.loads((out / "report.json").read_text())


@needs_netns
def test_a_jailed_agent_reaches_the_allowed_host_and_nothing_else(open_dir, sites):
    allowed, outside = sites
    folder = open_dir / "net"
    folder.mkdir(mode=0o700)
    with EgressProxy(folder / "egress.sock", [allowed.hostport]) as proxy:
        jail = Jail(folder, agent=((3128, str(proxy.path)),), proxy_port=3128)
        report = probe(open_dir, sites, jail)
    assert report["uid"] == pwd.getpwnam(AGENT_USER).pw_uid
    assert report[allowed.url]["via_proxy"] == {"status": 200, "body": "allowed", "seconds": pytest.approx(0, abs=5)}
    denied = report[outside.url]["via_proxy"]
    assert denied["status"] == 403 and "is not allowed for the agent" in denied["body"], denied
    for url in (allowed.url, outside.url):
        assert report[url]["direct"]["status"] is None and "refused" in report[url]["direct"]["error"].lower()
    assert "unreachable" in report["internet"].lower() and report["internet_seconds"] < 2, report["internet"]
    assert report["dns"] != "resolved"
    assert proxy.log.denied == [outside.hostport]
    assert not list(folder.glob("launch-*")), "the launch spec is deleted by the forwarder"


@needs_netns
def test_control_without_the_jail_the_agent_reaches_the_outside_host(open_dir, sites):
    report = probe(open_dir, sites, None)
    assert report[sites[1].url]["direct"]["status"] == 200 and report[sites[1].url]["direct"]["body"] == "outside"


@pytest.mark.parametrize("config,reason,status,words", [
    ("", False, "warn", "network.enforce is off"),
    ("network: {enforce: refuse, allow: [a.example]}", None, "ok", "refuse: each phase runs in its own network namespace"),
    ("network: {enforce: warn}", "not root", "warn", "the agent would run with an open network"),
    ("network: {enforce: refuse}", "not root", "warn", "the agent would not be started"),
])
def test_doctor_says_whether_the_allow_list_holds_here(config, reason, status, words):
    from workorder.cli.doctor import check_network

    check = check_network(parse_repo_config(config), reason)
    assert check.status == status and words in check.detail, check
    assert ("CAP_SYS_ADMIN" in check.fix) == (reason == "not root")
