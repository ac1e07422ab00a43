"""``workorder replay RUN_DIR``: re-run a recorded run's PO review and print the audit diff
(:mod:`workorder.local.replay`); exit 0 when nothing changed, 1 when the verdicts differ or replay fails."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO


def cmd_replay(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
    """Replay every review under ``RUN_DIR/runs`` (or ``RUN_DIR``) against ``--repo`` (default ``RUN_DIR/project``,
    the demo's, else the current folder); prints the unified diff of recorded → replayed verdicts."""
    from ..agents.runner import scrub_environment
    from ..local.replay import ReplayError, replay_runs
    from ..shell.gitops import Git
    from ..templates import Templates

    run_dir = Path(args.run_dir).resolve()
    runs = run_dir / "runs" if (run_dir / "runs").is_dir() else run_dir
    repo = Path(args.repo).resolve() if args.repo else (run_dir / "project" if (run_dir / "project").is_dir()
                                                         else Path.cwd())
    verify_env = scrub_environment(dict(environ))
    if (run_dir / "bin").is_dir():  # the demo's python shim: verify commands say "python"
        verify_env["PATH"] = f"{run_dir / 'bin'}:{verify_env.get('PATH', '')}"
    templates = Templates()
    try:
        replayed = replay_runs(Git(repo=repo, env=dict(environ)), runs, verify_env)
    except ReplayError as exc:
        out.write(templates.render("replay_report.txt.j2", error=str(exc), lines=[]))
        return 1
    lines = [line for r in replayed for line in r.diff()]
    out.write(templates.render("replay_report.txt.j2", error=None, lines=lines))
    return 1 if lines else 0


def add_replay_command(sub) -> None:
    """Add ``workorder replay`` to the CLI's subparsers ``sub``."""
    replay = sub.add_parser("replay", help="re-run a recorded run's gates and review; print the audit diff "
                            "(empty when unchanged)")
    replay.add_argument("run_dir", metavar="RUN_DIR", help="the run's folder (with runs/) or its runs folder")
    replay.add_argument("--repo", help="the repository with the base commit (default: RUN_DIR/project, else .)")
