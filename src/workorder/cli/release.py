"""Which ref of the action ``workorder init`` writes: the commit of the installed release.

Where the commit comes from, first found wins:

1. ``workorder/cli/_release.py``, which the release workflow (.github/workflows/release.yml) writes
   into the wheel and sdist it builds from a ``vX.Y.Z`` tag (``COMMIT``, ``TAG``);
2. the installed distribution's ``direct_url.json`` (PEP 610, written by pip and uv for
   ``pip install git+https://github.com/workorder-dev/workorder@vX.Y.Z``): ``vcs_info.commit_id``,
   with ``requested_revision`` as the tag when it is one;
3. otherwise (an editable or development install, a build that is not a release) the commit is
   unknown and the ref is the major tag ``v<major>``, which ``workorder init`` says and
   ``workorder doctor`` fails on (pin with ``--action-ref``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .. import __version__

SHA = re.compile(r"[0-9a-f]{40}")
TAG = re.compile(r"v\d+\.\d+\.\d+")


@dataclass(frozen=True)
class ActionRef:
    """``ref`` (a 40-hex commit SHA, or a tag when the commit is unknown), ``version`` (the tag the
    SHA is, for the ``# vX.Y.Z`` comment; empty for a tag ref) and ``source``: release, git, dev or
    given (``--action-ref``)."""

    ref: str
    version: str
    source: str

    @property
    def pinned(self) -> bool:
        """Whether ``ref`` is a full commit SHA."""
        return bool(SHA.fullmatch(self.ref))


def major_tag(version: str = __version__) -> str:
    """``v<major>`` of a ``X.Y.Z`` version string (``0.1.0`` → ``v0``)."""
    return "v" + version.split(".", 1)[0]


def _from_release_module() -> ActionRef | None:
    from . import _release

    if SHA.fullmatch(_release.COMMIT or ""):
        return ActionRef(_release.COMMIT, _release.TAG or f"v{__version__}", "release")
    return None


def _from_direct_url() -> ActionRef | None:
    """The commit pip or uv recorded for a git install (PEP 610 ``direct_url.json``), else None."""
    from importlib import metadata

    try:
        text = metadata.distribution("workorder").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    try:
        info = json.loads(text or "{}").get("vcs_info") or {}
    except (ValueError, AttributeError):
        return None
    commit, asked = str(info.get("commit_id", "")), str(info.get("requested_revision", ""))
    if not SHA.fullmatch(commit):
        return None
    return ActionRef(commit, asked if TAG.fullmatch(asked) else f"v{__version__}", "git")


def installed_ref() -> ActionRef:
    """The ref of the installed version: its release commit with its tag, else ``v<major>`` (source
    ``dev``). Never raises."""
    return _from_release_module() or _from_direct_url() or ActionRef(major_tag(), "", "dev")


def given_ref(ref: str, version: str = "") -> ActionRef:
    """``--action-ref`` ``ref`` (and ``--version``) as an :class:`ActionRef` (source ``given``)."""
    pinned = bool(SHA.fullmatch(ref))
    return ActionRef(ref, (version or f"v{__version__}") if pinned else "", "given")
