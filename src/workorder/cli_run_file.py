"""``workorder run FILE``: the command line of one work order run (:mod:`workorder.single_run`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from .cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, ConsoleReporter, _publish


def cmd_run_file(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
    """Run the work order ``args.file`` in ``args.repo``; print its progress (stderr) and a summary
    (templates/single_run_summary.txt.j2, or JSON with ``--json``). Returns 0 when it PASSed, 1 when
    it did not or could not start (the reason on stderr, templates/local_run_error.txt.j2), 2 for a
    usage error of ``--push``/``--open-prs``."""
    from .localrun import LocalRunError
    from .single_run import run_single
    from .templates import Templates

    templates = Templates()
    repo = Path(args.repo).resolve()
    reporter = None if args.json else ConsoleReporter(templates, sys.stderr, repo / ".workorder" / "runs")
    try:
        result = run_single(repo, Path(args.file), dict(environ), rerun=args.rerun,
                            runner_command=args.runner_command, reporter=reporter,
                            holds_credential=bool(args.push or args.open_prs),
                            isolation=environ.get("WORKORDER_ISOLATION", "").strip() or None)
    except LocalRunError as exc:
        sys.stderr.write(templates.render("local_run_error.txt.j2", code=exc.code, problems=exc.problems,
                                          values=exc.values))
        return EXIT_INVALID
    if (args.push or args.open_prs) and _publish(args, environ, repo, result, templates) is None:
        return EXIT_USAGE
    [row] = result.results
    if args.json:
        out.write(json.dumps({"file": result.milestone, "ok": result.ok, **vars(row)}, indent=2) + "\n")
    else:
        out.write(templates.render("single_run_summary.txt.j2", file=result.milestone, x=row))
    return EXIT_OK if result.ok else EXIT_INVALID
