"""A scripted SE runner for tests: ``python scripted_agent.py SCENARIO [ARG]``.

Scenarios: pass, always-fail, crash, sleep, bad-json, bad-packet, no-packet, blocked, question,
env-dump ARG (write the environment as JSON to ARG, then behave as pass), protected, deps,
repeat-mistake (the same wrong subtract and TODO every cycle), fail-differently (a wrong subtract and
a new unlisted file each cycle, so the findings change).
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

VERIFY = "python -m unittest discover -s tests -t ."
RIGHT = '\n\ndef subtract(a: int, b: int) -> int:\n    """Return a minus b."""\n    return a - b\n'
WRONG = '\n\ndef subtract(a: int, b: int) -> int:\n    """Return a minus b."""\n    return a + b\n'
TEST = (
    "import unittest\n\nfrom calc.ops import subtract\n\n\nclass SubtractTest(unittest.TestCase):\n"
    "    def test_subtract(self):\n        self.assertEqual(subtract(5, 3), 2)\n"
)


def evidence():
    """Each DONE-WHEN criterion of the prompt mapped to its VERIFY commands and the added subtract line."""
    prompt_file, ops = Path(os.environ.get("WORKORDER_PROMPT_FILE", "-")), Path("calc/ops.py")
    prompt = prompt_file.read_text() if prompt_file.is_file() else ""
    verify = re.findall(r"^- `(.+)`$", prompt.split("## VERIFY", 1)[-1].split("\n\n", 1)[0], re.MULTILINE)
    lines = ops.read_text().splitlines() if ops.is_file() else []
    refs = [("command", cmd) for cmd in verify]
    if "def subtract(a: int, b: int) -> int:" in lines:
        refs.append(("path", f"calc/ops.py:{lines.index('def subtract(a: int, b: int) -> int:') + 1}"))
    count = len(re.findall(r"^- \[ \] ", prompt, re.MULTILINE))
    return [{"criterion": str(n), "kind": kind, "ref": ref} for n in range(1, count + 1) for kind, ref in refs]


def packet(**extra):
    data = {"status": "done", "summary": "Added subtract with a test.",
            "files_changed": ["calc/ops.py", "tests/test_subtract.py"],
            "commands_run": [{"cmd": VERIFY, "exit_code": 0}], "tests_run": ["tests/test_subtract.py"],
            "evidence": evidence()}
    data.update(extra)
    Path(os.environ["WORKORDER_RESULT_FILE"]).write_text(json.dumps(data), encoding="utf-8")


def write_subtract(body):
    ops = Path("calc/ops.py")
    base = ops.read_text().split("\n\ndef subtract", 1)[0].rstrip("\n") + "\n"
    ops.write_text(base + body)
    Path("tests/test_subtract.py").write_text(TEST)


def main():
    scenario = sys.argv[1]
    if scenario == "env-dump":
        Path(sys.argv[2]).write_text(json.dumps(dict(os.environ)))
        scenario = "pass"
    if scenario == "pass":
        write_subtract(RIGHT)
        packet()
    elif scenario == "add-dependency":  # a new package in requirements.txt (the dependency register's test)
        write_subtract(RIGHT)
        Path("requirements.txt").write_text("leftpad==1.0.3\n")
        packet(files_changed=["calc/ops.py", "requirements.txt", "tests/test_subtract.py"])
    elif scenario == "always-fail":
        write_subtract(WRONG)
        packet()
    elif scenario == "repeat-mistake":
        write_subtract(WRONG.replace('"""\n', '"""\n    # TODO: fix later\n', 1))
        packet()
    elif scenario == "fail-differently":
        write_subtract(WRONG)
        Path(f"calc/extra_{os.environ.get('WORKORDER_CYCLE', '1')}.py").write_text("X = 1\n")
        packet()
    elif scenario == "protected":
        write_subtract(RIGHT)
        Path(".github/workflows").mkdir(parents=True, exist_ok=True)
        Path(".github/workflows/evil.yml").write_text("on: push\n")
        packet(files_changed=["calc/ops.py", "tests/test_subtract.py", ".github/workflows/evil.yml"])
    elif scenario == "crash":
        write_subtract(WRONG)
        print("agent: something went badly wrong")
        sys.exit(3)
    elif scenario == "sleep":
        subprocess.run(["sleep", "30"])
    elif scenario == "bad-json":
        write_subtract(RIGHT)
        Path(os.environ["WORKORDER_RESULT_FILE"]).write_text("{not json")
    elif scenario == "bad-packet":
        Path(os.environ["WORKORDER_RESULT_FILE"]).write_text(json.dumps({"status": "finished", "files_changed": "x"}))
    elif scenario == "no-packet":
        write_subtract(RIGHT)
    elif scenario == "blocked":
        packet(status="blocked", summary="The calc package is missing a module I need.", files_changed=[])
    elif scenario == "question":
        packet(status="question", summary="Need a decision.", files_changed=[],
               question={"question": "Integers or floats?", "context": "add() takes ints",
                         "options": ["ints", "floats"], "recommended": "ints"})
    else:
        sys.exit(f"unknown scenario {scenario}")


main()
