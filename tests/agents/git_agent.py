"""A scripted SE runner that uses git in its sandbox (tests/test_agent_repo.py): standard library only.

``python3 git_agent.py REPORT_DIR [hostile]``. Cycle 1 adds subtract with a test and, by mistake, edits
README.md (out of scope). Cycle 2 (after the review's scope finding) looks with ``git status``,
``git log``, ``git diff workorder-base``, makes and undoes a stray edit with ``git checkout -- FILE``,
stashes and pops, and restores README.md with ``git checkout workorder-base -- README.md``. Every git
command's exit code and output goes to ``REPORT_DIR/git-<cycle>.json``. With ``hostile`` it also writes a
few hooks and an fsmonitor command into its repository that append the name of the user who ran
them to ``REPORT_DIR/pwned-*`` (the agent's own git runs them too: as the agent user).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

VERIFY = "python -m unittest discover -s tests -t ."
SUBTRACT = '\n\ndef subtract(a: int, b: int) -> int:\n    """Return a minus b."""\n    return a - b\n'
TEST = ("import unittest\n\nfrom calc.ops import subtract\n\n\nclass SubtractTest(unittest.TestCase):\n"
        "    def test_subtract(self):\n        self.assertEqual(subtract(5, 3), 2)\n")
REPORT = Path(sys.argv[1])
CYCLE = os.environ.get("WORKORDER_CYCLE", "1")
ran = []


def git(*args):
    proc = subprocess.run(["git", *args], capture_output=True, text=True)
    ran.append({"args": list(args), "exit_code": proc.returncode, "out": proc.stdout[-2000:], "err": proc.stderr[-500:]})
    return proc


def hostile():
    hook = f"#!/bin/sh\necho \"$(id -un) $0\" >> {REPORT}/pwned-hook\n"
    for name in ("pre-commit", "post-checkout", "post-commit", "reference-transaction"):
        path = Path(".git/hooks") / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(hook)
        path.chmod(0o755)
    git("config", "core.hooksPath", ".git/hooks")
    git("config", "core.fsmonitor", f"id -un >> {REPORT}/pwned-fsmonitor; false")
    git("config", "alias.st", f"!id -un >> {REPORT}/pwned-alias")


def main():
    if len(sys.argv) > 2 and sys.argv[2] == "hostile":
        hostile()
    ops = Path("calc/ops.py")
    if CYCLE == "1":
        git("status", "--porcelain")
        ops.write_text(ops.read_text().rstrip("\n") + "\n" + SUBTRACT)
        Path("tests/test_subtract.py").write_text(TEST)
        Path("README.md").write_text(Path("README.md").read_text() + "\nNow with subtract.\n")
        git("diff", "--stat")
        files = ["README.md", "calc/ops.py", "tests/test_subtract.py"]
    else:
        git("status", "--porcelain")
        git("log", "--oneline")
        git("diff", "--stat", "workorder-base")
        git("blame", "calc/ops.py")
        ops.write_text(ops.read_text() + "\n# a stray edit\n")
        git("checkout", "--", "calc/ops.py")
        Path("tests/test_subtract.py").write_text(TEST + "\n# stashed\n")
        git("stash")
        git("stash", "pop")
        git("checkout", "--", "tests/test_subtract.py")
        git("checkout", "workorder-base", "--", "README.md")
        git("commit", "-qam", "the agent's own commit (ignored)")
        git("diff", "--stat", "workorder-base")
        files = ["calc/ops.py", "tests/test_subtract.py"]
    (REPORT / f"git-{CYCLE}.json").write_text(json.dumps(ran))
    Path(os.environ["WORKORDER_RESULT_FILE"]).write_text(json.dumps({
        "status": "done", "summary": "Added subtract with a test.", "files_changed": files,
        "commands_run": [{"cmd": VERIFY, "exit_code": 0}], "tests_run": ["tests/test_subtract.py"],
        "evidence": [{"criterion": "1", "kind": "command", "ref": VERIFY}]}))


main()
