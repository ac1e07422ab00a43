"""What a hostile agent tries in its workshop (tests/agents/test_workshop_*.py): standard library only.

``python3 workshop_probe.py OUTSIDE_URL OTHER_PROXY_URL KEY_PREFIX`` prints one line ``PROBE <json>``:
the key-shaped values in its own environment and in every ``/proc/*/environ`` it can read (and how many
it could not), a GET of OUTSIDE_URL through its proxy and directly, a GET of another run's model proxy
without its secret, a direct connection to an address on the internet, and ``git status``/``git log``.
"""

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request

outside, other_proxy, prefix = sys.argv[1], sys.argv[2], sys.argv[3]


def get(url, proxy):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy} if proxy else {}))
    try:
        with opener.open(url, timeout=10) as resp:
            return {"status": resp.status, "body": resp.read().decode()[:200]}
    except urllib.error.HTTPError as exc:
        return {"status": exc.code, "body": exc.read().decode()[:200]}
    except OSError as exc:
        return {"status": None, "error": f"{type(exc).__name__}: {exc}"[:200]}


found, denied = [], 0
for entry in os.listdir("/proc"):
    if entry.isdigit():
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                if prefix.encode() in fh.read():
                    found.append(entry)
        except OSError:
            denied += 1
report = {
    "uid": os.getuid(),
    "own_env": {k: v for k, v in os.environ.items() if prefix in v},
    "placeholders": sorted(k for k, v in os.environ.items() if "placeholder" in v),
    "proc_with_key": found, "proc_denied": denied,
    "outside_via_proxy": get(outside, os.environ.get("HTTP_PROXY") or os.environ.get("http_proxy")),
    "outside_direct": get(outside, None),
    "other_proxy": get(other_proxy, None),
}
try:
    socket.create_connection(("1.1.1.1", 443), timeout=5).close()
    report["internet"] = "connected"
except OSError as exc:
    report["internet"] = f"{type(exc).__name__}: {exc}"
for args in (["status", "--porcelain"], ["log", "--oneline"]):
    proc = subprocess.run(["git", *args], capture_output=True, text=True)
    report["git " + args[0]] = {"exit_code": proc.returncode, "out": proc.stdout[-500:], "err": proc.stderr[-300:]}
print("PROBE " + json.dumps(report))
