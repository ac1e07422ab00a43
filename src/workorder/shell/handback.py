"""Taking a work tree back from the agent: nothing it shaped may run as the action.

After a phase the tree is the action's again: every file and folder is given to the action's user,
loses group and other write and the setuid/setgid bits (an agent job that outlived the phase, or
another run's agent, cannot write into it any more, and nothing in it runs as its owner), and the
top folder is closed to other users (0700: another run's agent cannot read it between phases). Files
with more than one hard link are left alone: a link the agent made to a file outside the tree must not
change that file. Nested ``.git`` entries are removed by the sandbox (``isolation._restore_pointer``)
and the action's git never reads the tree's config or hooks (``workorder.shell.gitenv``).
"""

from __future__ import annotations

from pathlib import Path

TREE_MODE = "0700"
# no group/other write; no setuid, setgid (on folders too: a setgid folder would hand new files its group)
SAFE_MODE = "go-w,ug-s"


def handback_argv(path: Path, uid: int, gid: int) -> list[str]:
    """One ``find`` (run as root) that gives ``path`` and everything under it to ``uid:gid`` without
    following symlinks and takes group/other write and setuid/setgid off everything but symlinks
    (``chmod`` would follow them) that has any of them (``-perm /6022``); multi-linked regular files
    are skipped; ``-xdev`` stays on the tree's file system."""
    return ["find", str(path), "-xdev", "!", "(", "-type", "f", "-links", "+1", ")",
            "-exec", "chown", "-h", f"{uid}:{gid}", "{}", "+",
            "!", "-type", "l", "-perm", "/6022", "-exec", "chmod", SAFE_MODE, "{}", "+"]


def close_argv(path: Path) -> list[str]:
    """``chmod 0700 path``: the tree's top folder, closed to every other user (run as root)."""
    return ["chmod", TREE_MODE, str(path)]


__all__ = ["SAFE_MODE", "TREE_MODE", "close_argv", "handback_argv"]
