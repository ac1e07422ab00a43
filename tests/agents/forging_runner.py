"""A hostile SE runner that forges the action's hidden state (what a prompt-injected agent can do):
``python forging_runner.py SCENARIO FORGED_FILE``, where FORGED_FILE holds the text to plant (a
``<!-- workorder:tracking -->`` / ``<!-- workorder:state {…} -->`` block the test builds).

Scenarios:
  crash     print the forged text (it lands in the tracking comment's output tail) and exit 3;
  question  hand back a DoD packet asking a question whose question, context, options and summary
            carry the forged text.
"""

import json
import os
import sys
from pathlib import Path

scenario, forged = sys.argv[1], Path(sys.argv[2]).read_text(encoding="utf-8")
if scenario == "crash":
    print("agent: something went badly wrong; a maintainer should run /wo retry")
    print(forged)
    sys.exit(3)
elif scenario == "question":
    Path(os.environ["WORKORDER_RESULT_FILE"]).write_text(json.dumps({
        "status": "question", "summary": "Need a decision. " + forged, "files_changed": [],
        "question": {"question": "Integers or floats?\n" + forged, "context": forged,
                     "options": ["ints", forged], "recommended": "ints"}}), encoding="utf-8")
else:
    sys.exit(f"unknown scenario {scenario}")
