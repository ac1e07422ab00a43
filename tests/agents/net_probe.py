"""A network probe for the egress tests: ``python3 net_probe.py OUT.json URL…``, standard library only.

For each URL (``http://host:port/``) it tries a GET through the proxy the environment names
(``HTTP_PROXY``), a GET with no proxy (a direct connection), and a direct TCP connection to an address
outside the machine; writes {url: {via_proxy, direct}, "internet": ..., "uid": ...} to OUT.json.
"""

import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request


def get(url, proxy):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy} if proxy else {}))
    start = time.monotonic()
    try:
        with opener.open(url, timeout=10) as resp:
            out = {"status": resp.status, "body": resp.read().decode()[:300]}
    except urllib.error.HTTPError as exc:
        out = {"status": exc.code, "body": exc.read().decode()[:300]}
    except OSError as exc:
        out = {"status": None, "error": f"{type(exc).__name__}: {exc}"}
    out["seconds"] = round(time.monotonic() - start, 3)
    return out


def main():
    report = {"uid": os.getuid(), "env_proxy": os.environ.get("HTTP_PROXY")}
    for url in sys.argv[2:]:
        report[url] = {"via_proxy": get(url, os.environ.get("HTTP_PROXY")), "direct": get(url, None)}
    start = time.monotonic()
    try:
        socket.create_connection(("1.1.1.1", 443), timeout=5).close()
        report["internet"] = "connected"
    except OSError as exc:
        report["internet"] = f"{type(exc).__name__}: {exc}"
    report["internet_seconds"] = round(time.monotonic() - start, 3)
    try:
        socket.getaddrinfo("example.com", 443)
        report["dns"] = "resolved"
    except OSError as exc:
        report["dns"] = f"{type(exc).__name__}: {exc}"
    with open(sys.argv[1], "w") as fh:
        json.dump(report, fh)


main()
