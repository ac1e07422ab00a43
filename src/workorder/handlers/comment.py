"""``issue_comment`` ``created``: slash-commands on the work order issue or its pull request.

Lanes: a comment's lane is ``loop`` when any of its commands waits for the issue's loop (start, fix,
retry, answer, unlock), else ``now`` (help, status, approve, abort); :mod:`workorder.handlers.route` gives the
workflow's concurrency group the same lane. A run only processes comments of its own lane, so a
``now`` run never takes (and refuses, or runs beside the loop) a command queued in the ``loop`` lane.

Runs can be dropped when they queue (GitHub keeps one pending run per concurrency group), so each run
processes every unprocessed command of its lane on the issue and its PR, oldest first. A command
comment is processed once the bot has a reply to it (naming it in a hidden marker) or, in the loop
lane, its id is at most the hidden state's ``last_command_id`` (recorded before a long command starts).

Claims: before a command that changes anything runs, the run posts its reply comment first (saying it
is working) and then lists the thread: GitHub numbers comments in the order it stores them, so of
all replies to one command the one with the lowest id holds the claim. A run that does not hold it
rewrites its comment into a short note and stops; the holder edits its comment into the result. Two
runs therefore never both act on one command, even when they start together.
"""

from __future__ import annotations

import re

from .slash import ParsedCommand, parse_commands
from ..contracts.events import IssueCommentEvent, User
from ..contracts.forge import Comment
from .outcome import Outcome
from .acknowledge import acknowledge
from .commands import BY_VERB, CommandCall, CommandResult
from .context import HandlerContext, Skip, ignored
from .milestones import board_view, refresh_board
from .route import issue_of_pull_request, lane_of
from .session import Session

EVENT = "issue_comment"
_REPLY_MARKER = re.compile(r"<!-- workorder:reply-to (\d+) -->")


def edited_target(event: IssueCommentEvent, ctx: HandlerContext) -> Skip:
    """The ``edited`` route's target: always ignored ``edited_comment`` (edits never trigger)."""
    return ignored("edited_comment")


def actors(event: IssueCommentEvent) -> tuple[User, ...]:
    """Whose being a bot means ignore: the comment's author and the sender."""
    return (event.comment.user, event.sender)


def comment_target(event: IssueCommentEvent, ctx: HandlerContext) -> int | Skip:
    """The route's target: the work order issue of a comment holding slash-commands: the issue
    itself, or on a PR the issue its body's marker names. Ignored ``no_command`` or
    ``not_work_order_pr`` otherwise. Permission is checked per command (:func:`_process`)."""
    cfg = ctx.config
    if not parse_commands(event.comment.body, cfg.command_prefix):
        return ignored("no_command")
    on_pr = event.issue.pull_request is not None
    number = issue_of_pull_request(None, event.issue.body, cfg.branch_prefix) if on_pr else event.issue.number
    return ignored("not_work_order_pr") if number is None else number


def plan_commands(event: IssueCommentEvent, ctx: HandlerContext, number: int) -> Outcome:
    """The dry-run plan: each command of the comment (no API calls)."""
    commands = parse_commands(event.comment.body, ctx.config.command_prefix)
    steps = [{"step": "command", "verb": c.verb or "help", "args": c.args} for c in commands]
    return ctx.outcome(EVENT, event.action, "plan", "would_run_commands", issue_number=number, steps=steps,
                       count=len(commands))


def handle_issue_comment(event: IssueCommentEvent, ctx: HandlerContext, number: int) -> Outcome:
    """Process the slash-commands of a new comment on work order ``number`` (or its PR), and any
    earlier ones a dropped run left behind (the route has ignored bots and comments without
    commands). Returns what was done."""
    acknowledge(event, ctx)  # 👀 before anything is read: the command arrived
    commands = parse_commands(event.comment.body, ctx.config.command_prefix)
    on_pr = event.issue.pull_request is not None
    labels = None if on_pr else tuple(label.name for label in event.issue.labels)
    session = Session.load(ctx, number, labels)
    if on_pr and (session.state is None or session.state.pr_number != event.issue.number):
        return ctx.outcome(EVENT, event.action, "ignored", "not_work_order_pr", issue_number=number)
    pending = _pending_comments(session, event, lane_of(commands))
    done = 0
    for thread, comment in pending:
        if not _process(session, thread, comment):
            break  # another run holds this command: it handles the rest of the lane's backlog in order
        done += 1
    return Outcome(event=EVENT, action=event.action, decision="done", reason_code="commands",
                   reason=ctx.reason("commands", count=done), issue=number, state=session.state)


def _pending_comments(session: Session, event: IssueCommentEvent, lane: str) -> list[tuple[int, Comment]]:
    """Unprocessed command comments of ``lane`` on the issue and its PR, oldest first, as (thread
    number, comment); always including this one (unless processed)."""
    ctx = session.ctx
    threads = [(session.number, session.comments)]
    pr = session.state.pr_number if session.state else None
    if pr:
        threads.append((pr, session.forge.list_comments(pr)))
    replied = {int(m.group(1)) for _, comments in threads for c in comments if c.author == ctx.bot_login
               for m in _REPLY_MARKER.finditer(c.body)}
    # the watermark is set by loop-lane commands only: it says nothing about the now lane
    last = session.state.last_command_id if session.state and lane == "loop" else 0
    this = Comment(id=event.comment.id, author=event.comment.user.login, body=event.comment.body or "")
    found: dict[int, tuple[int, Comment]] = {}
    if session.state is not None:  # before the first run there is no backlog to replay
        for thread, comments in threads:
            for c in comments:
                if c.id > last and c.id not in replied and not _from_bot(c.author, ctx):
                    commands = parse_commands(c.body, ctx.config.command_prefix)
                    if commands and lane_of(commands) == lane:
                        found[c.id] = (thread, c)
    if this.id not in replied and this.id > last:
        found.setdefault(this.id, (event.issue.number, this))
    return [found[i] for i in sorted(found)]


def _from_bot(login: str, ctx: HandlerContext) -> bool:
    return login == ctx.bot_login or (login.endswith("[bot]") and login not in ctx.config.allowed_bots)


def _process(session: Session, thread: int, comment: Comment) -> bool:
    """Check, claim and run every command of one comment, then post (or edit the claim into) one
    reply for it. Returns False, having run nothing, when another run holds the claim."""
    ctx = session.ctx
    cfg = ctx.config
    calls: list[tuple[ParsedCommand, CommandResult | None]] = []
    for parsed in parse_commands(comment.body, cfg.command_prefix):
        spec = BY_VERB.get(parsed.verb)
        if spec is None:
            calls.append((parsed, CommandResult(False, "unknown", {"verb": parsed.verb})))
        elif not session.may(comment.author, spec.minimum(cfg.min_permission)):
            permission = session.permissions.get(comment.author, "unknown")
            calls.append((parsed, CommandResult(False, "permission", {"permission": permission,
                                                                      "minimum": spec.minimum(cfg.min_permission)})))
        else:
            calls.append((parsed, None))
    slow = [p for p, r in calls if r is None and BY_VERB[p.verb].lane == "loop" or
            r is None and p.verb in ("approve", "abort")]
    claim = claim_command(session, thread, comment, [p.verb for p in slow]) if slow else None
    if slow and claim is None:
        return False
    before = board_view(session.state)
    issue = None
    results: list[tuple[ParsedCommand, CommandResult]] = []
    for parsed, result in calls:
        if result is None:
            spec = BY_VERB[parsed.verb]
            # a command that acts never acts on a state that failed its check
            refusal = "state_tampered" if spec.target is not None and session.tampered() else spec.refusal(session)
            if refusal is not None:
                result = CommandResult(False, refusal, {"state": session.current.value if session.current else "not started"})
            else:
                call = CommandCall(session=session, command=parsed, comment=comment, thread=thread)
                result = spec.handler(call)
                issue = call.issue or issue
        results.append((parsed, result))
    reply = ctx.templates.render("command_reply.md.j2", author=comment.author, comment_id=comment.id,
                                 results=results, prefix=cfg.command_prefix, commands=BY_VERB)
    if claim is None:
        session.forge.create_comment(thread, reply)
    else:
        session.forge.edit_comment(thread, claim.id, reply)
    refresh_board(ctx, session.number, before, session.state, issue)
    return True


def claim_command(session: Session, thread: int, comment: Comment, verbs: list[str]) -> Comment | None:
    """Claim command ``comment`` on ``thread`` for this run: post the reply comment (saying it is
    working, with the reply marker), then list the thread. The bot's reply to ``comment`` with the
    lowest id holds the claim (GitHub assigns ids in the order it stores comments). Returns this
    run's reply comment when it holds the claim; else rewrites it into a short note and returns None.
    Costs one comment, one listing of the thread, and one edit when the claim is lost."""
    ctx = session.ctx
    render = ctx.templates.render
    values = {"author": comment.author, "comment_id": comment.id, "verbs": verbs, "prefix": ctx.config.command_prefix}
    mine = session.forge.create_comment(thread, render("command_claim.md.j2", lost=False, **values))
    replies = {c.id for c in session.forge.list_comments(thread) if c.author == ctx.bot_login
               and comment.id in {int(m.group(1)) for m in _REPLY_MARKER.finditer(c.body)}}
    if min(replies | {mine.id}) == mine.id:
        return mine
    session.forge.edit_comment(thread, mine.id, render("command_claim.md.j2", lost=True, **values))
    return None
