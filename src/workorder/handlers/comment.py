"""``issue_comment`` ``created``: slash-commands on the work order issue or its pull request.

Lanes: a comment's lane is ``loop`` when any of its commands waits for the issue's loop (a command
module with ``LANE = "loop"``: start, fix, retry, answer, unlock), else ``now`` (help, status,
approve, abort); :mod:`workorder.handlers.route` gives the workflow's concurrency group the same lane.
A ``now`` run never takes (and refuses, or runs beside the loop) a command queued in the ``loop``
lane: when one waits before a command it answers, it posts one note saying it is queued (marker
``workorder:queued``) first. A ``loop`` run answers the earlier waiting ``now`` commands itself.

Runs can be dropped when they queue (GitHub keeps one pending run per concurrency group), so each run
processes every unprocessed command on the issue and its PR, oldest first, as above. A command
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
from ..loop.outbox import EditComment, Outbox, PostComment
from ..loop.state import State
from .outcome import Outcome
from .acknowledge import acknowledge
from .commands import CommandCall, CommandResult, by_verb, registry
from .context import HandlerContext, Skip, ignored
from .milestones import board_view, refresh_board
from .route import issue_of_pull_request, lane_of
from .session import Session

EVENT = "issue_comment"
_REPLY_MARKER = re.compile(r"<!-- workorder:reply-to (\d+) -->")
_QUEUED_MARKER = re.compile(r"<!-- workorder:queued (\d+) -->")


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
    commands), in the order they were posted: this run answers the waiting commands of its own lane;
    an earlier waiting command of the other lane is answered too in a ``loop`` run (now-lane commands
    are safe there), and in a ``now`` run (which must not start the loop's long work beside a loop
    run) it gets one note saying it is queued, before anything later is answered. Returns what was done."""
    outbox = Outbox(ctx.forge)
    acknowledge(event, ctx, outbox)  # 👀 before anything is read: the command arrived
    commands = parse_commands(event.comment.body, ctx.config.command_prefix)
    on_pr = event.issue.pull_request is not None
    labels = None if on_pr else tuple(label.name for label in event.issue.labels)
    session = Session.load(ctx, number, labels)
    if on_pr and (session.state is None or session.state.pr_number != event.issue.number):
        return ctx.outcome(EVENT, event.action, "ignored", "not_work_order_pr", issue_number=number)
    lane = lane_of(commands)
    pending, noted = _pending_comments(session, event)
    last_own = max((c.id for _, c, its in pending if its == lane), default=0)
    done = 0
    for thread, comment, its_lane in pending:
        if its_lane != lane and comment.id > last_own:
            continue  # later than anything this run answers: its own lane's run answers it
        if its_lane != lane and lane == "now":
            if comment.id not in noted:
                say_queued(session, thread, comment, outbox)
            continue
        if not _process(session, thread, comment, outbox):
            if its_lane == lane:
                break  # another run holds this command: it handles the rest of the lane's backlog in order
            continue
        done += 1
    outbox.flush()
    return Outcome(event=EVENT, action=event.action, decision="done", reason_code="commands",
                   reason=ctx.reason("commands", count=done), issue=number, state=session.state)


def answer_waiting(session: Session, pr_comments: list[Comment] | None = None) -> int:
    """After a loop-lane run that no comment started (the trigger label, a push, a review on the PR), answer
    the commands whose own runs GitHub dropped for it (one pending run per concurrency group), oldest first,
    as a comment run of the loop lane would: from the issue's comments ``session`` listed when it loaded
    (no new request while nothing waits there) and ``pr_comments`` (the PR's, listed after the loop) when
    the caller has them. When something waits, the issue is listed again first (one conditional read): a
    now-lane run may have answered it while the loop ran. Returns how many were answered; stops at a command
    another run holds. Raises ForgeError."""
    if session.state is None:
        return 0
    threads = [(session.number, session.comments)]
    if pr_comments is not None and session.state.pr_number:
        threads.append((session.state.pr_number, pr_comments))
    outbox = Outbox(session.ctx.forge)
    pending, _ = _waiting(session, threads, None)
    if any(thread == session.number for thread, _c, _l in pending):
        threads[0] = (session.number, relisted(session))
        pending, _ = _waiting(session, threads, None)
    done = 0
    for thread, comment, _lane in pending:
        if not _process(session, thread, comment, outbox):
            break
        done += 1
    return done


def relisted(session: Session) -> list[Comment]:
    """The issue's comments as they are now (``session.comments`` are as they were when the run began).
    Raises ForgeError."""
    return session.forge.list_comments(session.number)


def _pending_comments(session: Session, event: IssueCommentEvent) -> tuple[list[tuple[int, Comment, str]], set[int]]:
    """Unanswered command comments of either lane on the issue and its PR, oldest first, as (thread
    number, comment, lane), always including this one (unless answered); and the ids of the
    commands that already have a queued note (see :func:`_waiting`)."""
    threads = [(session.number, session.comments)]
    pr = session.state.pr_number if session.state else None
    if pr:
        threads.append((pr, session.forge.list_comments(pr)))
    this = Comment(id=event.comment.id, author=event.comment.user.login, body=event.comment.body or "")
    return _waiting(session, threads, (event.issue.number, this))


def _waiting(session: Session, threads: list[tuple[int, list[Comment]]],
             this: tuple[int, Comment] | None) -> tuple[list[tuple[int, Comment, str]], set[int]]:
    """The unanswered command comments of ``threads`` ((number, comments) pairs) and ``this`` one, oldest
    first, as (thread, comment, lane), and the ids that already have a queued note. A loop-lane command is
    answered once the bot replied to it or its id is at most the hidden state's ``last_command_id``; a
    now-lane command once the bot replied to it."""
    ctx = session.ctx
    mine = [c.body for _, comments in threads for c in comments if c.author == ctx.bot_login]
    replied = {int(m.group(1)) for body in mine for m in _REPLY_MARKER.finditer(body)}
    noted = {int(m.group(1)) for body in mine for m in _QUEUED_MARKER.finditer(body)}
    # the watermark is set by loop-lane commands only: it says nothing about the now lane
    last = session.state.last_command_id if session.state else 0
    found: dict[int, tuple[int, Comment, str]] = {}
    candidates = [(t, c) for t, comments in threads for c in comments] if session.state is not None else []
    for thread, c in [*candidates, *([this] if this else [])]:  # before the first run there is no backlog
        if c.id in found or c.id in replied or _from_bot(c.author, ctx):
            continue
        commands = parse_commands(c.body, ctx.config.command_prefix)
        lane = lane_of(commands)
        if commands and not (lane == "loop" and c.id <= last):
            found[c.id] = (thread, c, lane)
    return [found[i] for i in sorted(found)], noted


def _from_bot(login: str, ctx: HandlerContext) -> bool:
    return login == ctx.bot_login or (login.endswith("[bot]") and login not in ctx.config.allowed_bots)


def say_queued(session: Session, thread: int, comment: Comment, outbox: Outbox) -> None:
    """Queue (in ``outbox``) the one note on ``thread`` saying that loop-lane command ``comment``
    waits for its lane's run, posted before this run answers anything later. Its marker is not a
    reply marker: the loop run still answers the command."""
    ctx = session.ctx
    verbs = [c.verb for c in parse_commands(comment.body, ctx.config.command_prefix)]
    running = session.current in (State.RUNNING, State.REVIEW)
    outbox.queue(PostComment(thread, ctx.templates.render(
        "command_queued.md.j2", author=comment.author, comment_id=comment.id, verbs=verbs,
        prefix=ctx.config.command_prefix, running=running)))


def _process(session: Session, thread: int, comment: Comment, outbox: Outbox) -> bool:
    """Check, claim and run every command of one comment, then queue in ``outbox`` one reply for it
    (or the edit of the claim into it) and write it. Returns False, having run nothing, when another
    run holds the claim."""
    ctx = session.ctx
    cfg = ctx.config
    known = by_verb()
    calls: list[tuple[ParsedCommand, CommandResult | None]] = []
    for parsed in parse_commands(comment.body, cfg.command_prefix):
        spec = known.get(parsed.verb)
        if spec is None:
            calls.append((parsed, CommandResult(False, "unknown", {"verb": parsed.verb})))
        elif not session.may(comment.author, spec.minimum(cfg.min_permission)):
            permission = session.permissions.get(comment.author, "unknown")
            calls.append((parsed, CommandResult(False, "permission", {"permission": permission,
                                                                      "minimum": spec.minimum(cfg.min_permission)})))
        else:
            calls.append((parsed, None))
    slow = [p for p, r in calls if r is None and known[p.verb].claimed]
    claim = claim_command(session, thread, comment, [p.verb for p in slow], outbox) if slow else None
    if slow and claim is None:
        return False
    before = board_view(session.state)
    issue = None
    results: list[tuple[ParsedCommand, CommandResult]] = []
    for parsed, result in calls:
        if result is None:
            spec = known[parsed.verb]
            # a command that acts never acts on a state that failed its check
            refusal = "state_tampered" if spec.target is not None and session.tampered() else spec.refusal(session)
            if refusal is not None:
                result = CommandResult(False, refusal, {"state": session.current.value if session.current else "not started"})
            else:
                call = CommandCall(session=session, command=parsed, comment=comment, thread=thread,
                                   commands=registry(), outbox=outbox)
                result = spec.handler(call)
                issue = call.issue or issue
        results.append((parsed, result))
    reply = ctx.templates.render("command_reply.md.j2", author=comment.author, comment_id=comment.id,
                                 results=results, prefix=cfg.command_prefix, commands=known)
    outbox.queue(PostComment(thread, reply) if claim is None else EditComment(thread, claim.id, reply))
    outbox.flush()
    refresh_board(ctx, session.number, before, session.state, issue)
    return True


def claim_command(session: Session, thread: int, comment: Comment, verbs: list[str],
                  outbox: Outbox | None = None) -> Comment | None:
    """Claim command ``comment`` on ``thread`` for this run: post the reply comment (saying it is
    working, with the reply marker), then list the thread. The bot's reply to ``comment`` with the
    lowest id holds the claim (GitHub assigns ids in the order it stores comments). Returns this
    run's reply comment when it holds the claim; else rewrites it into a short note and returns None.
    Costs one comment, one listing of the thread, and one edit when the claim is lost; both writes
    go through ``outbox`` at once (the claim's id decides who holds it)."""
    ctx = session.ctx
    outbox = outbox or Outbox(session.forge)
    render = ctx.templates.render
    values = {"author": comment.author, "comment_id": comment.id, "verbs": verbs, "prefix": ctx.config.command_prefix}
    mine = outbox.write_now(PostComment(thread, render("command_claim.md.j2", lost=False, **values)))
    assert isinstance(mine, Comment)
    replies = {c.id for c in session.forge.list_comments(thread) if c.author == ctx.bot_login
               and comment.id in {int(m.group(1)) for m in _REPLY_MARKER.finditer(c.body)}}
    if min(replies | {mine.id}) == mine.id:
        return mine
    outbox.write_now(EditComment(thread, mine.id, render("command_claim.md.j2", lost=True, **values)))
    return None
