"""``issue_comment`` ``created``: slash-commands on the work order issue or its pull request.

Runs can be dropped when they queue (GitHub keeps one pending run per concurrency group), so each run
processes every unprocessed command on the issue and its PR, oldest first. A command comment is
processed once it has the bot's reply (which names it in a hidden marker) or its id is at most the
hidden state's ``last_command_id`` (recorded before a long command starts).
"""

from __future__ import annotations

import re

from ..commands import ParsedCommand, parse_commands
from ..events import IssueCommentEvent, is_bot
from ..forge import Comment
from ..outcome import Outcome
from .commands import BY_VERB, CommandCall, CommandResult
from .context import HandlerContext
from .session import Session, issue_of_pull_request

EVENT = "issue_comment"
_REPLY_MARKER = re.compile(r"<!-- workorder:reply-to (\d+) -->")


def lane_of(commands: list[ParsedCommand]) -> str:
    """``now`` when every command may run beside a running loop (help, status, approve, abort),
    else ``loop``. Unknown verbs get help, which is ``now``."""
    return "loop" if any(BY_VERB.get(c.verb) and BY_VERB[c.verb].lane == "loop" for c in commands) else "now"


def handle_issue_comment(event: IssueCommentEvent, ctx: HandlerContext) -> Outcome:
    """Process the slash-commands of a new comment, and any earlier ones a dropped run left behind.
    Edited comments never trigger. Returns what was done (a plan in a dry run)."""
    cfg = ctx.config

    def out(decision: str, code: str, issue: int | None = None, **values: object) -> Outcome:
        return ctx.outcome(EVENT, event.action, decision, code, issue_number=issue or event.issue.number, **values)

    if event.action == "edited":
        return out("ignored", "edited_comment")
    if is_bot(event.comment.user, ctx.bot_login, cfg.allowed_bots) or is_bot(event.sender, ctx.bot_login, cfg.allowed_bots):
        return out("ignored", "bot_sender", sender=event.sender.login)
    commands = parse_commands(event.comment.body, cfg.command_prefix)
    if not commands:
        return out("ignored", "no_command")
    on_pr = event.issue.pull_request is not None
    number = issue_of_pull_request(None, event.issue.body, cfg.branch_prefix) if on_pr else event.issue.number
    if number is None:
        return out("ignored", "not_work_order_pr")
    if ctx.dry_run or ctx.forge is None:
        steps = [{"step": "command", "verb": c.verb or "help", "args": c.args} for c in commands]
        return out("plan", "would_run_commands", issue=number, steps=steps, count=len(commands))
    labels = None if on_pr else tuple(label.name for label in event.issue.labels)
    session = Session.load(ctx, number, labels)
    if on_pr and (session.state is None or session.state.pr_number != event.issue.number):
        return out("ignored", "not_work_order_pr", issue=number)
    pending = _pending_comments(session, event)
    done = 0
    for thread, comment in pending:
        _process(session, thread, comment)
        done += 1
    return Outcome(event=EVENT, action=event.action, decision="done", reason_code="commands",
                   reason=ctx.reason("commands", count=done), issue=number, state=session.state)


def _pending_comments(session: Session, event: IssueCommentEvent) -> list[tuple[int, Comment]]:
    """Unprocessed command comments on the issue and its PR, oldest first; always including this one."""
    ctx = session.ctx
    threads = [(session.number, session.comments)]
    pr = session.state.pr_number if session.state else None
    if pr:
        threads.append((pr, session.forge.list_comments(pr)))
    replied = {int(m.group(1)) for _, comments in threads for c in comments if c.author == ctx.bot_login
               for m in _REPLY_MARKER.finditer(c.body)}
    last = session.state.last_command_id if session.state else 0
    this = Comment(id=event.comment.id, author=event.comment.user.login, body=event.comment.body or "")
    found: dict[int, tuple[int, Comment]] = {}
    if session.state is not None:  # before the first run there is no backlog to replay
        for thread, comments in threads:
            for c in comments:
                if c.id > last and c.id not in replied and not _from_bot(c.author, ctx) \
                        and parse_commands(c.body, ctx.config.command_prefix):
                    found[c.id] = (thread, c)
    if this.id not in replied and this.id > last:
        found.setdefault(this.id, (event.issue.number, this))
    return [found[i] for i in sorted(found)]


def _from_bot(login: str, ctx: HandlerContext) -> bool:
    return login == ctx.bot_login or (login.endswith("[bot]") and login not in ctx.config.allowed_bots)


def _process(session: Session, thread: int, comment: Comment) -> None:
    """Check, acknowledge and run every command of one comment, then post one reply for it."""
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
    if slow:
        session.forge.add_reaction(thread, comment.id, "eyes")
    results: list[tuple[ParsedCommand, CommandResult]] = []
    for parsed, result in calls:
        if result is None:
            spec = BY_VERB[parsed.verb]
            refusal = spec.refusal(session)
            if refusal is not None:
                result = CommandResult(False, refusal, {"state": session.current.value if session.current else "not started"})
            else:
                result = spec.handler(CommandCall(session=session, command=parsed, comment=comment, thread=thread))
        results.append((parsed, result))
    reply = ctx.templates.render("command_reply.md.j2", author=comment.author, comment_id=comment.id,
                                 results=results, prefix=cfg.command_prefix, commands=BY_VERB)
    session.forge.create_comment(thread, reply)
