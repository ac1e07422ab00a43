"""``workorder cleanup``: remove old local run records and the work branches of closed or merged work orders
(:mod:`workorder.handlers.cleanup`); dry-run unless ``--apply``. On GitHub when a token and a repository are
given (``GITHUB_TOKEN``/``GH_TOKEN`` and ``--github-repo`` or ``GITHUB_REPOSITORY``), else on the local forge
of ``workorder run`` (``<repo>/.workorder``) and the repository's own branches."""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO


def _forge(args: argparse.Namespace, environ: Mapping[str, str], repo: Path, git):
    token = environ.get("GITHUB_TOKEN") or environ.get("GH_TOKEN") or ""
    repository = args.github_repo or environ.get("GITHUB_REPOSITORY")
    if token and repository:
        from ..github.forge import GitHubForge

        throttle = {"seconds_between_requests": None, "seconds_between_writes": None} \
            if environ.get("WORKORDER_NO_THROTTLE") == "1" else {}
        return GitHubForge(token, repository, environ.get("GITHUB_API_URL") or "https://api.github.com", **throttle)
    from ..local.forge import LocalForge

    return LocalForge(repo / ".workorder" / "forge", git=git)


def cmd_cleanup(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
    """Print (and with ``--apply`` do) what cleanup removes; exit 0, or 1 when the forge or a removal fails."""
    from ..contracts.config import RepoConfig
    from ..contracts.defaultbranch import read_default_branch
    from ..contracts.forge import ForgeError
    from ..handlers.cleanup import apply_cleanup, plan_cleanup
    from ..shell.gitops import Git
    from ..templates import Templates

    repo = Path(args.repo).resolve()
    git = Git(repo=repo, env=dict(environ))
    is_repo = (repo / ".git").exists()
    config = read_default_branch(git, args.default_branch).config if is_repo and git.rev("HEAD") else RepoConfig()
    runs = Path(args.runs).resolve() if args.runs else repo / ".workorder" / "runs"
    templates = Templates()
    try:
        forge = _forge(args, environ, repo, git if is_repo else None)
        plan = plan_cleanup(forge, runs, args.days, time.time(), config.branch_prefix)
        out.write(templates.render("cleanup_report.txt.j2", plan=plan, days=args.days, apply=args.apply, runs=runs))
        if args.apply:
            apply_cleanup(forge, plan)
    except (ForgeError, OSError) as exc:
        out.write(templates.render("cleanup_report.txt.j2", plan=None, error=str(exc), days=args.days,
                                   apply=args.apply, runs=runs))
        return 1
    return 0


def add_cleanup_command(sub) -> None:
    """Add ``workorder cleanup`` to the CLI's subparsers ``sub``."""
    cleanup = sub.add_parser("cleanup", help="remove old run records and the wo/ branches of closed or merged "
                             "work orders (dry-run unless --apply)")
    cleanup.add_argument("--days", type=int, default=30, help="keep run records newer than this (default 30)")
    cleanup.add_argument("--apply", action="store_true", help="remove (default: only print what would go)")
    cleanup.add_argument("--repo", default=".", help="the repository (default: the current folder)")
    cleanup.add_argument("--runs", help="the run records folder (default: <repo>/.workorder/runs)")
    cleanup.add_argument("--github-repo", help="OWNER/NAME on GitHub (default: GITHUB_REPOSITORY; needs GITHUB_TOKEN)")
    cleanup.add_argument("--default-branch", default="main", help="branch whose config is read (default main)")
