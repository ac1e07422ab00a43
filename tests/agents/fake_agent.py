"""Fake agent CLIs for tests: `codex`, `claude` and `aider` look-alikes.

Each fake records its argv, environment and stdin in RECORD (a JSON lines file), does the work of
the demo task (a correct subtract, or a wrong one), and answers the way the real CLI documents its
non-interactive output. SCENARIO picks the behaviour. The installer writes one executable per name.
"""

import json
import os
import sys
from pathlib import Path

NAME = "{name}"
SCENARIO = "{scenario}"
RECORD = {record!r}
VERIFY = "python -m unittest discover -s tests -t ."
RIGHT = '\n\ndef subtract(a: int, b: int) -> int:\n    """Return a minus b."""\n    return a - b\n'
TEST = ("import unittest\n\nfrom calc.ops import subtract\n\n\nclass SubtractTest(unittest.TestCase):\n"
        "    def test_subtract(self):\n        self.assertEqual(subtract(5, 3), 2)\n")
PACKET = {{"status": "done", "summary": "Added subtract with a test.", "files_changed": ["calc/ops.py", "tests/test_subtract.py"],
          "commands_run": [{{"cmd": VERIFY, "exit_code": 0}}], "tests_run": ["tests/test_subtract.py"], "assumptions": [],
          "limitations": [], "question": None}}


def work():
    ops = Path("calc/ops.py")
    base = ops.read_text().split("\n\ndef subtract", 1)[0].rstrip("\n") + "\n"
    ops.write_text(base + RIGHT)
    Path("tests/test_subtract.py").write_text(TEST)


def record(stdin):
    with open(RECORD, "a") as fh:
        fh.write(json.dumps({{"name": NAME, "argv": sys.argv[1:], "env": dict(os.environ), "stdin": stdin}}) + "\n")


def arg(flag):
    return sys.argv[sys.argv.index(flag) + 1]


def codex():
    prompt = sys.stdin.read()
    record(prompt)
    reviewing = "read-only" in sys.argv
    if not reviewing:
        work()
    events = [{{"type": "thread.started", "thread_id": "th_1"}}, {{"type": "turn.started"}},
              {{"type": "item.completed", "item": {{"id": "i1", "type": "agent_message", "text": "working"}}}},
              {{"type": "turn.completed", "usage": {{"input_tokens": 1200, "cached_input_tokens": 200, "output_tokens": 300}}}}]
    for event in events:
        print(json.dumps(event))
    if reviewing:
        message = json.dumps(verdict())
    elif SCENARIO == "no-dod":
        message = "I added subtract."
    else:
        message = json.dumps(PACKET)
    Path(arg("-o")).write_text(message)


def claude():
    prompt = sys.stdin.read()
    record(prompt)
    reviewing = "--permission-mode" not in sys.argv
    if SCENARIO == "max-turns" and not reviewing:
        Path("calc/ops.py").write_text(Path("calc/ops.py").read_text() + "\n# half done\n")
        print(json.dumps({{"type": "result", "subtype": "error_max_turns", "is_error": True, "num_turns": 3,
                          "total_cost_usd": 0.05, "usage": {{"input_tokens": 900, "output_tokens": 100}}}}))
        sys.exit(1)
    if not reviewing:
        work()
    body = verdict() if reviewing else PACKET
    text = "invalid answer" if reviewing and SCENARIO == "review-invalid" else "Done.\n```json\n" + json.dumps(body) + "\n```"
    print(json.dumps({{"type": "result", "subtype": "success", "is_error": False, "num_turns": 4, "result": text,
                      "session_id": "s1", "total_cost_usd": 0.0123,
                      "usage": {{"input_tokens": 1000, "cache_read_input_tokens": 500, "output_tokens": 250}}}}))


def aider():
    prompt = Path(arg("--message-file")).read_text()
    record(prompt)
    work()
    print("Applied edit to calc/ops.py")
    print("Tokens: 2.3k sent, 156 received. Cost: $0.01 message, $0.01 session.")
    if SCENARIO != "no-dod":
        print("```json\n" + json.dumps(PACKET) + "\n```")


def verdict():
    if SCENARIO == "review-major":
        return {{"verdict": "FAIL", "findings": [{{"severity": "MAJOR", "rule": "naming", "message": "subtract needs a docstring example",
                                                "path": "calc/ops.py", "line": 5, "evidence": None}}], "corrective_prompt": "Add an example."}}
    if SCENARIO == "review-fail-bare":
        return {{"verdict": "FAIL", "findings": [], "corrective_prompt": "Not convincing."}}
    return {{"verdict": "PASS", "findings": [], "corrective_prompt": None}}


{{"codex": codex, "claude": claude, "aider": aider}}[NAME]()
