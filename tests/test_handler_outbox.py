"""Handlers return what to write: their writes are data on ``ctx.outbox`` before any forge call, and the
router writes them, in order, when the handler returns."""

from __future__ import annotations

from types import SimpleNamespace

from workorder.contracts.config import RepoConfig
from workorder.handlers import labeled
from workorder.handlers.context import HandlerContext, PermissionCheck
from workorder.handlers.router import _flushed
from workorder.loop.outbox import PostComment
from workorder.templates import Templates


class RecordingForge:
    """Records every method called on it; answers nothing (a write returns None)."""

    def __init__(self):
        self.calls: list[tuple] = []

    def __getattr__(self, name):
        def record(*args):
            self.calls.append((name, *args))
        return record


def context(forge) -> HandlerContext:
    return HandlerContext(templates=Templates(), config=RepoConfig(), bot_login="workorder[bot]", forge=forge)


def refuse(ctx):
    event = SimpleNamespace(action="labeled")
    return labeled.refuse_trigger(event, ctx, 7, PermissionCheck("mallory", "write", permission="read"))


def test_a_refusal_is_data_before_it_is_a_forge_call():
    forge = RecordingForge()
    ctx = context(forge)
    outcome = refuse(ctx)
    assert outcome.decision == "refused" and outcome.reason_code == "permission"
    assert forge.calls == []  # nothing written yet
    [write] = ctx.outbox.pending
    assert isinstance(write, PostComment) and write.thread == 7 and "mallory" in write.body


def test_the_router_writes_what_the_handler_queued_in_order():
    forge = RecordingForge()
    ctx = context(forge)
    outcome = _flushed(ctx, lambda: refuse(ctx))
    assert outcome.decision == "refused"
    assert [c[:2] for c in forge.calls] == [("create_comment", 7)] and "mallory" in forge.calls[0][2]
    assert ctx.outbox.pending == [] and len(ctx.outbox.written) == 1


def test_each_event_gets_its_own_outbox_over_its_forge():
    first, second = context(RecordingForge()), context(RecordingForge())
    assert first.outbox is first.outbox and first.outbox is not second.outbox
    assert first.outbox.forge is first.forge
