"""``/wo answer <text>``: answer the runner's question and resume."""

from __future__ import annotations

from ._base import Command, CommandCall, CommandResult, ran
from ...loop.state import State
from ..session import Session, run_work_order

VERB = "answer"
LANE = "loop"
ACKNOWLEDGED = True


def answerable(session: Session) -> str | None:
    """None while the runner waits for an answer, else ``no_question``."""
    return None if session.current is State.NEEDS_ANSWER else "no_question"


def cmd_answer(call: CommandCall) -> CommandResult:
    """Resume the loop with the command's arguments as the answer."""
    if not call.command.args:
        return CommandResult(False, "answer_empty")
    return ran(run_work_order(call.session, call.get_issue(), mode="answer", notes=call.command.args,
                              command_id=call.comment.id))


COMMAND = Command(VERB, "answer <text>", "answer the runner's question and resume", ("/wo answer use integers",),
                  "config", State.RUNNING, cmd_answer, answerable, lane=LANE, acknowledged=ACKNOWLEDGED, claimed=True,
                  reply="command_answer.md.j2", codes=("no_question", "answer_empty"), order=80)
