"""The example milestone's scripted SE runner: no AI, the SE runner contract.

For issue ``$WORKORDER_ISSUE`` it copies that issue's prepared solution files (shipped in
``workorder/demo/examples/milestone/solutions/<id>/``) into the work tree, runs the tests, and writes an
honest DoD packet to ``$WORKORDER_RESULT_FILE``. Run as ``python -m workorder.demo.milestone_agent``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

SOLUTIONS = Path(__file__).parent / "examples" / "milestone" / "solutions"
VERIFY = "python -m unittest discover -s tests -t ."


def evidence(prompt: str) -> list[dict]:
    """Each DONE-WHEN criterion of ``prompt`` mapped to the VERIFY commands it lists (DoD packet evidence)."""
    verify = re.findall(r"^- `(.+)`$", prompt.split("## VERIFY", 1)[-1].split("\n\n", 1)[0], re.MULTILINE)
    count = len(re.findall(r"^- \[ \] ", prompt, re.MULTILINE))
    return [{"criterion": str(n), "kind": "command", "ref": cmd} for n in range(1, count + 1) for cmd in verify]


def main() -> int:
    """Apply the solution of the current issue; returns the exit code (2 when there is none)."""
    source = SOLUTIONS / os.environ.get("WORKORDER_ISSUE", "?")
    if not source.is_dir():
        print(f"milestone agent: no prepared solution for issue {os.environ.get('WORKORDER_ISSUE')}", file=sys.stderr)
        return 2
    changed = []
    # an installed package holds compiled __pycache__ next to the solutions: not part of any solution
    for path in sorted(p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        rel = path.relative_to(source).as_posix()
        Path(rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, rel)
        changed.append(rel)
    tests = subprocess.run([sys.executable, "-m", "unittest", "discover", "-s", "tests", "-t", "."], capture_output=True)
    packet = {"status": "done", "summary": f"Applied the prepared change for issue {source.name}.",
              "files_changed": changed, "commands_run": [{"cmd": VERIFY, "exit_code": tests.returncode}],
              "tests_run": [c for c in changed if c.startswith("tests/")],
              "evidence": evidence(Path(os.environ["WORKORDER_PROMPT_FILE"]).read_text(encoding="utf-8"))}
    Path(os.environ["WORKORDER_RESULT_FILE"]).write_text(json.dumps(packet, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
