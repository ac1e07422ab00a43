"""The shapes exchanged with the outside: the DoD packet and verdict (packet), the work order, the repo config,
event payloads, JSON schemas, milestones, the default branch, and the Forge protocol with its records."""

from __future__ import annotations

from importlib import import_module

# name -> the module of this package that defines it; imported on first use, so importing one module of
# this package never loads the others (start-up stays fast; ``workorder --version`` loads no pydantic).
_HOMES = {
    "CONFIG_PATH": "config", "RepoConfig": "config", "parse_repo_config": "config",
    "Trusted": "defaultbranch",
    "Comment": "forge", "CommitStatus": "forge", "Forge": "forge", "ForgeError": "forge", "Issue": "forge",
    "LabelSpec": "forge", "PullRequest": "forge", "Review": "forge", "ReviewComment": "forge",
    "DoDPacket": "packet", "Finding": "packet", "Severity": "packet", "Verdict": "packet", "verdict_for": "packet",
    "WorkOrder": "workorder", "parse_work_order_body": "workorder",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> object:
    """``from workorder.contracts import X``: ``X`` from the module that defines it (see ``_HOMES``).
    Raises AttributeError for a name this face does not export."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_HOMES[name]}", __name__), name)
