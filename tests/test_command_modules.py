"""#16 item 2: a slash-command is one module (handlers/commands/<verb>.py: its handler and its row) plus its
test and its reply template. The registry is discovered from the package; the stdlib route step reads each
module's lane with ast; ``/wo help``, the 👀 acknowledgement, the replies and docs/commands.md follow."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import load_payload
from workorder.contracts.config import RepoConfig
from workorder.handlers import command_table, commands, route, route_reaction
from workorder.handlers.commands import CommandResult, by_verb, registry
from workorder.handlers.slash import ParsedCommand
from workorder.templates import OVERRIDE_DIR, Templates

ROOT = Path(__file__).parent.parent

PING = '''"""``/wo ping``: a command added as one module, for the test."""

from ._base import Command, CommandCall, CommandResult

VERB = "ping"
LANE = "loop"
ACKNOWLEDGED = True


def cmd_ping(call: CommandCall) -> CommandResult:
    return CommandResult(True, "pong", {"text": call.command.args})


COMMAND = Command(VERB, "ping <text>", "answer pong with the text", ("/wo ping hello",), "config", None, cmd_ping,
                  lane=LANE, acknowledged=ACKNOWLEDGED, claimed=True, reply="command_ping.md.j2", codes=("pong",),
                  order=95)
'''
PING_TEMPLATE = '{% if r.code == "pong" %}\n`{{ cmd }}`: pong {{ v.text }}\n{% endif %}\n'


def test_the_registry_and_the_stdlib_lane_table_agree():
    """route.py's ast-read table names exactly the registry's commands, with the same lane and 👀."""
    table = command_table.command_table()
    assert {c.verb: (c.lane, c.acknowledged) for c in registry()} == {v: (f.lane, f.acknowledged) for v, f in table.items()}
    assert route.LOOP_VERBS == {"start", "fix", "retry", "answer", "unlock", "budget", "override-scope"}
    assert {c.verb for c in registry() if c.claimed} == {c.verb for c in registry() if c.acknowledged}
    assert [c.verb for c in registry()] == ["help", "status", "start", "fix", "retry", "approve", "abort", "answer", "unlock", "budget", "override-scope"]


def test_each_command_module_declares_its_facts_as_literals(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('VERB = "bad"\nLANE = "sometimes"\nACKNOWLEDGED = True\n')
    with pytest.raises(ValueError, match="LANE"):
        command_table.read_module(bad)
    bad.write_text('VERB = "bad"\nLANE = "lo" + "op"\nACKNOWLEDGED = True\n')
    with pytest.raises(ValueError, match="LANE must be a literal"):
        command_table.read_module(bad)
    assert command_table.read_module(Path(commands.__file__)) is None, "the package face is not a command"


@pytest.mark.parametrize("command", registry(), ids=lambda c: c.verb)
def test_every_reply_code_of_a_command_has_its_own_text(command):
    """Each code a command declares is worded by its template (not the `cmd`: code fallback)."""
    for code in command.codes:
        values = {"state": "passed", "s": None, "legal": [], "commands": registry(), "head": "a" * 40, "sha": "abc",
                  "reviewed": "b" * 40, "branch": "wo/1-x", "prefix": "/wo"}
        text = Templates().render("command_reply.md.j2", author="octo", comment_id=1, prefix="/wo", commands=by_verb(),
                                  results=[(ParsedCommand(command.verb, "", 1), CommandResult(True, code, values))])
        assert f"`/wo {command.verb}`: {code}\n" not in text and text.count("\n") > 4, (command.verb, code, text)


def test_docs_commands_table_lists_every_command():
    docs = (ROOT / "docs" / "commands.md").read_text()
    rows = re.findall(r"^\| `/wo ([^`]+)` \|", docs, re.MULTILINE)
    assert rows == [c.usage for c in registry()], "docs/commands.md's table: one row per command, in help order"


# ---- adding a command is adding a module ----------------------------------------------------------

@pytest.fixture
def ping_module(tmp_path, monkeypatch):
    """handlers/commands/ping.py, dropped into the package (a folder added to its __path__) and nowhere else."""
    folder = tmp_path / "more_commands"
    folder.mkdir()
    (folder / "ping.py").write_text(PING)
    monkeypatch.setattr(commands, "__path__", [*commands.__path__, str(folder)])
    monkeypatch.setattr(command_table, "COMMAND_DIRS", [*command_table.COMMAND_DIRS, folder])
    yield folder
    sys.modules.pop("workorder.handlers.commands.ping", None)


def commit_template(action, name: str, text: str) -> None:
    """The command's reply template, in the repository's template folder on the default branch."""
    folder = action.workspace / OVERRIDE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    for args in (["add", "-A"], ["commit", "-qm", "template"], ["push", "-q", "origin", "HEAD:main"]):
        subprocess.run(["git", *args], cwd=action.workspace, check=True, env=action.env)


def test_a_new_command_module_is_routed_acknowledged_listed_and_answered(action, ping_module):
    payload = load_payload("other/issue_comment.created")
    payload["comment"]["body"] = "/wo ping hello"
    assert route.route_event("issue_comment", payload, RepoConfig())["lane"] == "loop", "the route step's lane"
    assert route_reaction.comment_to_acknowledge("issue_comment", payload, "/wo") == payload["comment"]["id"]
    commit_template(action, "command_ping.md.j2", PING_TEMPLATE)
    code, out = action.say("/wo ping hello")
    assert code == 0 and out["decision"] == "done", out
    [cid] = [c for c, v in action.fake.comments.items() if v["body"] == "/wo ping hello"]
    assert action.fake.comments[cid]["reactions"] == ["eyes"]
    [reply] = [r for r in action.replies() if f"reply-to {cid} " in r]
    assert "`/wo ping`: pong hello" in reply
    action.say("/wo help")
    assert "| `/wo ping <text>` | answer pong with the text | `/wo ping hello` |" in action.replies()[-1]


def test_control_without_the_module_ping_is_unknown_and_not_acknowledged(action):
    payload = load_payload("other/issue_comment.created")
    payload["comment"]["body"] = "/wo ping hello"
    assert route.route_event("issue_comment", payload, RepoConfig())["lane"] == "now"
    action.say("/wo ping hello")
    [cid] = [c for c, v in action.fake.comments.items() if v["body"] == "/wo ping hello"]
    assert not action.fake.comments[cid].get("reactions")
    assert "`/wo ping` is not a command" in action.replies()[-1]
