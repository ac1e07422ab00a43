"""Runs on one host are strangers: concurrent `workorder run`s behind the boundary never kill or read
each other's agents, verify commands or work trees.

Each run is its own repository and its own `python -m workorder run --milestone M1` process with
``isolation: user``. Its agent waits at a barrier until every run's agent is in its phase at the
same time (so a phase ending or starting in one run meets live processes of the others), then tries to
read every other run's work tree, writes its file and its DoD packet; the verify command sleeps and
logs that it finished. Every run must PASS, every agent and verify command must finish (nothing was
killed), and no agent may have read another run's tree.

The control runs the same with the old shared agent user (``Sandbox._claim_slot`` turned off, so
every run is ``workorder-agent``): a phase starting in one run ends with ``kill -KILL -1`` as that
user and kills the others' agents, and the agents read each other's trees.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from workorder.demo.run import git_env
from workorder.shell.isolation import detect_privilege

needs_privilege = pytest.mark.skipif(detect_privilege() is None,
                                     reason="the agent-user boundary needs root or passwordless sudo (sudo -n)")

AGENT = """#!/bin/sh
S={shared}
touch "$S/ready-{rid}"
i=0
while [ "$(ls "$S" | grep -c '^ready-')" -lt {n} ] && [ $i -lt {wait} ]; do sleep 0.2; i=$((i+1)); done
[ "$(ls "$S" | grep -c '^ready-')" -ge {n} ] && touch "$S/met-{rid}"
echo "$PWD" > "$S/tree-{rid}"
for d in /tmp/workorder-sandbox-*/work/*; do
  [ "$d" = "$PWD" ] && continue
  ls "$d" >/dev/null 2>&1 && echo "$d" >> "$S/seen-{rid}"
done
sleep {linger}
mkdir -p notes
id -un > notes/who.txt
cat > "$WORKORDER_RESULT_FILE" <<'JSON'
{{"status": "done", "summary": "wrote who ran me", "files_changed": ["notes/who.txt"],
 "commands_run": [], "tests_run": [],
 "evidence": [{{"criterion": "1", "kind": "path", "ref": "notes/who.txt:1"}}]}}
JSON
echo done > "$S/agent-{rid}"
"""
CHECK = """#!/bin/sh
test -s notes/who.txt || exit 1
sleep 2
echo ok >> {shared}/verify-{rid}
"""
ISSUE = """---
id: 1
title: Say who runs the agent
milestone: M1
objective: Write the agent's user name to notes/who.txt.
in_scope: [notes/** (new)]
done_when: ["[no-test] notes/who.txt holds the agent's user name"]
verify: [sh check.sh]
risk: low
---
"""
# The control: the old shared agent user (no slot of its own), everything else as shipped.
SHARED_USER = ("import sys; from workorder.shell import isolation; isolation.Sandbox._claim_slot = lambda self: None; "
               "from workorder.cli import main; sys.exit(main(sys.argv[1:]))")


def make_repo(path: Path, rid: int, n: int, shared: Path, wait: int, env: dict[str, str], linger: int = 1) -> None:
    files = {".github/workorder.yml": "runner:\n  command: sh agent.sh\nisolation: user\nmax_cycles: 1\n",
             "agent.sh": AGENT.format(shared=shared, rid=rid, n=n, wait=wait, linger=linger),
             "check.sh": CHECK.format(shared=shared, rid=rid),
             "docs/projects/p/issues/1-who.md": ISSUE, "README.md": f"# run {rid}\n"}
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "seed"]):
        subprocess.run(["git", *args], cwd=path, check=True, env=env, capture_output=True)


def run_concurrently(n: int, wait: int, shared_user: bool = False) -> dict:
    """Start ``n`` runs at once, each in its own repository; returns what they did."""
    base = Path(tempfile.mkdtemp(prefix="wo-concurrent-", dir="/tmp"))
    try:
        base.chmod(0o755)
        shared = base / "shared"
        shared.mkdir()
        shared.chmod(0o777)
        (base / "home").mkdir()  # the run closes its HOME to other users: not the shared folder's parent
        env = git_env({"PATH": os.environ["PATH"], "HOME": str(base / "home"), "LANG": "C.UTF-8"})
        for rid in range(n):
            # the control: run 0's agent ends first, the others linger 10 s, so run 0's phase-end kill meets them
            linger = 1 + (10 if shared_user and rid else 0)
            make_repo(base / f"repo{rid}", rid, n, shared, wait, env, linger)
        head = [sys.executable, "-c", SHARED_USER] if shared_user else [sys.executable, "-m", "workorder"]
        start = time.monotonic()
        procs = [subprocess.Popen([*head, "run", "--milestone", "M1", "--repo", str(base / f"repo{rid}")], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for rid in range(n)]
        outputs = [p.communicate(timeout=600)[0] for p in procs]
        seconds = time.monotonic() - start
        names = sorted(p.name for p in shared.iterdir())
        trees = {(shared / f).read_text().strip() for f in names if f.startswith("tree-")}
        seen = [line for f in names if f.startswith("seen-") for line in (shared / f).read_text().split()]
        return {"codes": [p.returncode for p in procs], "outputs": outputs, "seconds": seconds,
                "agents": sum(f.startswith("agent-") for f in names),
                "overlapped": sum(f.startswith("met-") for f in names) == n,  # each saw all the others arrive
                "verified": sum(f.startswith("verify-") for f in names),
                "seen": [s for s in seen if s in trees]}  # another helper's runs on this host are not ours to judge
    finally:
        subprocess.run(["rm", "-rf", str(base)], check=False)


def assert_strangers(n: int, result: dict) -> None:
    assert result["codes"] == [0] * n, "\n----\n".join(o[-2000:] for o in result["outputs"] if "PASS" not in o)
    assert result["agents"] == n, "every agent finished: none was killed by another run"
    assert result["verified"] == n, "every verify command finished: none was killed by another run"
    assert result["seen"] == [], "no agent read another run's work tree"
    assert result["overlapped"], "every run's agent was in its phase at the same time (else this proves little)"


@needs_privilege
def test_two_concurrent_runs_are_strangers():
    result = run_concurrently(2, wait=300)
    print(f"2 concurrent isolated runs: {result['seconds']:.1f} s")
    assert_strangers(2, result)


@needs_privilege
@pytest.mark.parametrize("n", [2, pytest.param(10, marks=pytest.mark.slow)])
def test_control_runs_sharing_one_agent_user_kill_each_other(n):
    result = run_concurrently(n, wait=150, shared_user=True)
    passed = result["codes"].count(0)
    print(f"{n} concurrent runs, shared agent user: {result['seconds']:.1f} s, {passed} of {n} passed, "
          f"{result['agents']} agents and {result['verified']} verify commands finished, {len(result['seen'])} trees read")
    assert passed < n, "with one shared agent user a run kills another's agent, which then does not pass"
    assert result["agents"] < n, "an agent was killed by another run"


@pytest.mark.slow
@needs_privilege
def test_ten_concurrent_runs_are_strangers():
    result = run_concurrently(10, wait=300)
    print(f"10 concurrent isolated runs: {result['seconds']:.1f} s")
    assert_strangers(10, result)
