"""The hidden state is checked against GitHub and git before anything acts on it.

The tracking comment is the action's own, but a person with write access can edit any comment, and
a bug could let text through: so what a run would act on is authenticated where it is true, not
where it is written. A state fails (is *tampered*) when

* its issue is not the issue it was read from;
* its branch is not one the action names (``<branch_prefix><issue>-<slug>``, see
  :func:`workorder.loop.start.branch_name`);
* its pull request is not the one whose head is that branch in this repository;
* (in the loop, :func:`check_against_branch`) its base is not an ancestor of both the branch and the
  default branch, its recorded head is not a commit of the branch, or a verdict waiting to be
  published is not for the branch's tip.

Callers never act on a tampered state: commands refuse with ``state_tampered`` and say why.
"""

from __future__ import annotations

import re

from ..contracts.forge import Forge
from ..shell.gitops import Git, GitError
from .state import TrackingState

SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"


class StateTampered(Exception):
    """The hidden state names something the action did not make; ``why`` is its reason code
    (issue, branch, pull_request, base, head, publication, unreadable)."""

    kind = "state_tampered"  # the Failure kind a loop stopped by it records

    def __init__(self, why: str, detail: str = ""):
        super().__init__(f"the hidden state failed its check ({why}): {detail}")
        self.why = why
        self.detail = detail


def own_branch(branch: str, number: int, prefix: str) -> bool:
    """True when ``branch`` is a work branch the action names for issue ``number``."""
    return re.fullmatch(re.escape(prefix) + str(number) + "-" + SLUG, branch) is not None


def authenticate(s: TrackingState, number: int, branch_prefix: str, forge: Forge) -> str | None:
    """Why ``s``, read from issue ``number``'s tracking comment, is not to be trusted (a reason code of
    :class:`StateTampered`), or None. Asks GitHub for the pull request of the branch when ``s`` names
    one (one request). Raises ForgeError when that request fails."""
    if s.issue != number:
        return "issue"
    if s.branch is not None and not own_branch(s.branch, number, branch_prefix):
        return "branch"
    if s.pr_number is not None:
        if s.branch is None:
            return "pull_request"
        pr = forge.find_pull_request(s.branch)
        if pr is None or pr.number != s.pr_number or pr.head != s.branch:
            return "pull_request"
    return None


def _is_ancestor(git: Git, sha: str, ref: str) -> bool:
    """True when ``sha`` (a full commit id) is ``ref`` or one of its ancestors."""
    if not re.fullmatch(r"[0-9a-f]{40}", sha):
        return False
    try:
        git.run("merge-base", "--is-ancestor", sha, ref)
    except GitError:  # exit 1: not an ancestor; 128: unknown commit
        return False
    return True


def check_against_branch(s: TrackingState, wt: Git, base_ref: str) -> None:
    """Check ``s`` against its work tree ``wt`` (checked out at the branch's tip) and the default
    branch ``base_ref``. Raises :class:`StateTampered` when it names a base, head or pending verdict
    that is not of this branch."""
    tip = wt.rev("HEAD") or ""
    check_base(s, wt, base_ref)
    if s.head_sha and not _is_ancestor(wt, s.head_sha, "HEAD"):
        raise StateTampered("head", s.head_sha)
    pub = s.publication
    if pub is not None and not pub.done and pub.head_sha != tip:
        raise StateTampered("publication", pub.head_sha)


def check_base(s: TrackingState, wt: Git, base_ref: str) -> None:
    """Raise :class:`StateTampered` unless ``s.base_sha`` (when set) is an ancestor of both the branch's
    tip (``wt`` HEAD) and ``base_ref``: the diff the gates judge starts there."""
    if s.base_sha and not (_is_ancestor(wt, s.base_sha, "HEAD") and _is_ancestor(wt, s.base_sha, base_ref)):
        raise StateTampered("base", s.base_sha)
