"""The shapes exchanged with the outside: the DoD packet and verdict (packet), the work order, the repo config,
event payloads, JSON schemas, milestones, the default branch, and the Forge protocol with its records."""

from __future__ import annotations

from .. import lazy_face

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


__getattr__ = lazy_face(__name__, _HOMES)
