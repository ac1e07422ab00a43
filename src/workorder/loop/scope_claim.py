"""Path ownership's claim, published by the loop with its first running write (#17, #20 item 9).

Claim, then look: a starting run publishes its claim (``claims``, ``claimed_at`` in its hidden state, the
``running`` label), then lists the other work orders' claims once, and backs off when an older overlapping
claim is there (:mod:`workorder.handlers.ownership`). The claim and the running state are one write: the
loop stamps the claim's time right before its first running write of the tracking comment, publishes both
in it, and only then lets the hook look. It knows nothing of claims itself: the handler hands it a
:class:`ClaimHook` (:attr:`workorder.loop.engine.WorkOrderLoop.scope_claim`).
"""

from __future__ import annotations

from typing import Protocol

from .state import State, TrackingState


class ClaimHook(Protocol):
    """What the handler's claim does (:class:`workorder.handlers.ownership.ScopeClaim`)."""

    def stamp(self, s: TrackingState) -> None:
        """Record the claim in ``s`` (its globs, and its time: now)."""

    def look(self, s: TrackingState) -> bool:
        """Look at the others' claims once ``s``'s claim is published; True when the work order was held back
        (it waits, or withdrew its claim: the hook has written that). Raises ForgeError."""


def claim_and_look(loop, s: TrackingState) -> bool:
    """Before ``loop`` (a :class:`workorder.loop.engine.WorkOrderLoop`) does any work: when it carries a claim
    hook (once per run), stamp the claim in ``s``, publish it with the running state (the label when ``s`` is
    not running yet, and the tracking comment: the loop's own first running write, so no request of its own),
    then let the hook look. Returns True when the work order was held back (the loop ends, nothing ran).
    Raises ForgeError (the loop records it)."""
    hook, loop.scope_claim = loop.scope_claim, None
    if hook is None:
        return False
    if s.state is not State.RUNNING:  # a resumed publication or the plan phase: not labelled running yet
        loop.publisher.set_state(s, State.RUNNING, check=False)
    hook.stamp(s)  # the claim's time after the label, right before the write that makes it visible
    loop._publish(s)
    if not hook.look(s):
        return False
    loop._event(s, "loop.held", state=s.state.value, blockers=list(s.scope_blockers))
    return True
