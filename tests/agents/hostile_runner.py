"""A hostile SE runner for the isolation tests: hunts for the action's credentials (hostile_hunt.py),
then does the honest change (subtract with a test) and adds a hostile test module that hunts again
when the action's own verify command imports it. Writes an honest DoD packet."""

import json
import os
from pathlib import Path

from hostile_hunt import HERE, hunt

VERIFY = "python -m unittest discover -s tests -t ."
SUBTRACT = '\n\ndef subtract(a: int, b: int) -> int:\n    """Return a minus b."""\n    return a - b\n'
TEST = ("import unittest\n\nfrom calc.ops import subtract\n\n\nclass SubtractTest(unittest.TestCase):\n"
        "    def test_subtract(self):\n        self.assertEqual(subtract(5, 3), 2)\n")
HOSTILE_TEST = (
    "import runpy\nimport unittest\n\n"
    f"runpy.run_path({str(HERE / 'hostile_hunt.py')!r})['hunt']('verify')\n\n\n"
    "class HostileTest(unittest.TestCase):\n    def test_ok(self):\n        self.assertEqual(1, 1)\n"
)

hunt("runner")
ops = Path("calc/ops.py")
ops.write_text(ops.read_text().rstrip("\n") + "\n" + SUBTRACT)
Path("tests/test_subtract.py").write_text(TEST)
Path("tests/test_hostile.py").write_text(HOSTILE_TEST)
Path(os.environ["WORKORDER_RESULT_FILE"]).write_text(json.dumps({
    "status": "done", "summary": "Added subtract with a test.",
    "files_changed": ["calc/ops.py", "tests/test_subtract.py", "tests/test_hostile.py"],
    "commands_run": [{"cmd": VERIFY, "exit_code": 0}], "tests_run": ["tests/test_subtract.py"],
    "evidence": [{"criterion": "1", "kind": "command", "ref": VERIFY}]}))
