"""The demo's scripted SE runner: no AI, same contract as a real agent.

Cycle 1 (``WORKORDER_PHASE=dev``) breaks the rules the way agents do: a wrong ``subtract``, an
out-of-scope edit to README.md, a TODO left behind, the existing ``test_add`` skipped (a test-integrity
finding), and a DoD packet that overclaims. The fix cycle reads the corrective prompt and does it right.
With ``--stubborn`` it ignores the corrective prompt and repeats its first attempt in every cycle (the
loop then stops early as not converging). Run as ``python -m workorder.demo.agent`` in the work
tree; it writes its DoD packet to ``$WORKORDER_RESULT_FILE``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

VERIFY = "python -m unittest discover -s tests -t ."
SKIP = '    @unittest.skip("flaky on CI")\n'
NOTE = "\nNow with subtract!\n"

SUBTRACT_WRONG = '''

def subtract(a: int, b: int) -> int:
    """Return a minus b."""
    # TODO: handle floats
    return a + b
'''

SUBTRACT_RIGHT = '''

def subtract(a: int, b: int) -> int:
    """Return a minus b."""
    return a - b
'''

TEST = '''import unittest

from calc.ops import subtract


class SubtractTest(unittest.TestCase):
    def test_subtract(self):
        self.assertEqual(subtract(5, 3), 2)

    def test_subtract_negative(self):
        self.assertEqual(subtract(3, 5), -2)


if __name__ == "__main__":
    unittest.main()
'''


def _skip_existing_test() -> None:
    """Game the tests the way agents do: mark the existing ``test_add`` as skipped."""
    test = Path("tests/test_add.py")
    text = test.read_text(encoding="utf-8")
    if SKIP not in text:
        test.write_text(text.replace("    def test_add(", SKIP + "    def test_add(", 1), encoding="utf-8")


def _line_of(path: str, text: str) -> str:
    """``path:line`` of the first line of file ``path`` that contains ``text`` (DoD packet evidence)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return f"{path}:{next(n for n, line in enumerate(lines, start=1) if text in line)}"


def _write_packet(packet: dict) -> None:
    Path(os.environ["WORKORDER_RESULT_FILE"]).write_text(json.dumps(packet, indent=2), encoding="utf-8")


def main() -> int:
    """Act as the SE runner for the current phase; returns the exit code."""
    phase = os.environ.get("WORKORDER_PHASE", "dev")
    prompt = Path(os.environ["WORKORDER_PROMPT_FILE"]).read_text(encoding="utf-8")
    ops = Path("calc/ops.py")
    base = ops.read_text(encoding="utf-8").split("\n\ndef subtract", 1)[0].rstrip("\n") + "\n"
    Path("tests/test_subtract.py").write_text(TEST, encoding="utf-8")
    if phase == "dev" or "--stubborn" in sys.argv[1:]:
        ops.write_text(base + SUBTRACT_WRONG, encoding="utf-8")
        readme = Path("README.md")
        note = readme.read_text(encoding="utf-8")
        if NOTE not in note:
            readme.write_text(note + NOTE, encoding="utf-8")
        _skip_existing_test()
        print("demo agent: added subtract (quickly), a test, a README note, and skipped a test")
        _write_packet(
            {
                "status": "done",
                "summary": "Added calc.ops.subtract with tests.",
                "files_changed": ["calc/ops.py", "tests/test_subtract.py"],
                "commands_run": [{"cmd": VERIFY, "exit_code": 0}],
                "tests_run": ["tests/test_subtract.py"],
                "assumptions": ["integers only"],
                "evidence": [{"criterion": "1", "kind": "command", "ref": VERIFY}],  # overclaims; 2 is unmapped
            }
        )
        return 0
    if "CORRECTIVE PROMPT" not in prompt:
        print("demo agent: expected a corrective prompt in a fix cycle", file=sys.stderr)
        return 3
    ops.write_text(base + SUBTRACT_RIGHT, encoding="utf-8")
    subprocess.run(["git", "checkout", "origin/main", "--", "README.md", "tests/test_add.py"], check=True)
    print("demo agent: fixed subtract, removed the TODO, reverted README.md and the skipped test")
    result = subprocess.run([sys.executable, "-m", "unittest", "discover", "-s", "tests", "-t", "."], capture_output=True)
    _write_packet(
        {
            "status": "done",
            "summary": "Fixed subtract (a - b), removed the TODO, reverted the out-of-scope README change and the skip.",
            "files_changed": ["calc/ops.py", "tests/test_subtract.py"],
            "commands_run": [{"cmd": VERIFY, "exit_code": result.returncode}],
            "tests_run": ["tests/test_subtract.py"],
            "evidence": [
                {"criterion": "1", "kind": "command", "ref": VERIFY},
                {"criterion": "1", "kind": "path", "ref": _line_of("calc/ops.py", "return a - b")},
                {"criterion": "2", "kind": "path", "ref": _line_of("tests/test_subtract.py", "def test_subtract(")},
                {"criterion": "2", "kind": "command", "ref": VERIFY},  # its new test fails on the base source
            ],
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
