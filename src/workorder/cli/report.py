"""``workorder report [--since DATE] [--json]``: the outcome report (:mod:`workorder.handlers.report`) from
GitHub (``GITHUB_TOKEN``/``GH_TOKEN`` and ``--github-repo`` or ``GITHUB_REPOSITORY``) or, without them, from the
local forge of ``workorder run`` (``<repo>/.workorder/forge``)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO


def _since(text: str | None) -> datetime | None:
    if not text:
        return None
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def cmd_report(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
    """Print the report (text, or JSON with ``--json``); exit 0, 1 when the forge fails, 2 on a bad --since."""
    from ..contracts.forge import ForgeError
    from ..handlers.report import build_report
    from ..templates import Templates

    templates = Templates()
    try:
        since = _since(args.since)
    except ValueError:
        out.write(templates.render("outcome_report.txt.j2", error=f"--since {args.since!r} is not a date "
                                   "(YYYY-MM-DD or an ISO 8601 time)", report=None))
        return 2
    token = environ.get("GITHUB_TOKEN") or environ.get("GH_TOKEN") or ""
    repository = args.github_repo or environ.get("GITHUB_REPOSITORY")
    if token and repository:
        from ..github.forge import GitHubForge

        throttle = {"seconds_between_requests": None, "seconds_between_writes": None} \
            if environ.get("WORKORDER_NO_THROTTLE") == "1" else {}
        forge = GitHubForge(token, repository, environ.get("GITHUB_API_URL") or "https://api.github.com", **throttle)
        bot = args.bot_login or environ.get("WORKORDER_BOT_LOGIN") or "github-actions[bot]"
    else:
        from ..local.forge import LocalForge

        folder = Path(args.forge).resolve() if args.forge else Path(args.repo).resolve() / ".workorder" / "forge"
        if not (folder / "forge.json").is_file():
            out.write(templates.render("outcome_report.txt.j2", error=f"no local forge at {folder}", report=None))
            return 1
        forge = LocalForge(folder)
        bot = args.bot_login or forge.bot_login
    try:
        report = build_report(forge, bot, since)
    except ForgeError as exc:
        out.write(templates.render("outcome_report.txt.j2", error=str(exc), report=None))
        return 1
    if args.json:
        out.write(report.model_dump_json(indent=2) + "\n")
    else:
        out.write(templates.render("outcome_report.txt.j2", error=None, report=report))
    return 0


def add_report_command(sub) -> None:
    """Add ``workorder report`` to the CLI's subparsers ``sub``."""
    report = sub.add_parser("report", help="outcomes per work order and in total: cycles, cost, time to PASS, "
                            "PASS → merged rate, FAIL reasons by rule")
    report.add_argument("--since", help="only work orders started on or after this date (YYYY-MM-DD)")
    report.add_argument("--json", action="store_true", help="print JSON")
    report.add_argument("--repo", default=".", help="the repository of a local forge (default: the current folder)")
    report.add_argument("--forge", help="a local forge folder (default: <repo>/.workorder/forge; the demo's: DIR/forge)")
    report.add_argument("--github-repo", help="OWNER/NAME on GitHub (default: GITHUB_REPOSITORY; needs GITHUB_TOKEN)")
    report.add_argument("--bot-login", help="author of the tracking comments (default github-actions[bot])")
