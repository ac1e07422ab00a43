"""Run records: one folder per phase with raw output and parsed results, and an audit JSONL log.

Layout (outside the work tree)::

    <runs>/audit.jsonl                       one JSON object per line: ts, issue, cycle, phase, event, data
    <runs>/<issue>/<cycle>-<phase>/          prompt.md, output.log, dod.json, runner.json,
                                             verify-<n>.log, verify.json, diff.patch, verdict.json
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

Clock = Callable[[], datetime]
Reporter = Callable[[str, dict[str, Any]], None]


def utc_now() -> datetime:
    """The current time in UTC (the default clock)."""
    return datetime.now(timezone.utc)


class Journal:
    """Writes run records under ``root`` and tells a reporter (the console) about each event.

    ``clock`` gives the timestamp of each audit line; ``reporter(event, data)`` is called for every
    event (pass ``None`` for silence).
    """

    def __init__(self, root: Path, clock: Clock = utc_now, reporter: Reporter | None = None):
        self.root = root
        self.clock = clock
        self.reporter = reporter
        self.root.mkdir(parents=True, exist_ok=True)

    @property
    def audit_path(self) -> Path:
        """Path of the audit JSONL file."""
        return self.root / "audit.jsonl"

    def phase_dir(self, issue: int, cycle: int, phase: str) -> Path:
        """The folder of one phase's records (created)."""
        path = self.root / str(issue) / f"{cycle}-{phase}"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def event(self, issue: int, cycle: int, phase: str, event: str, **data: Any) -> None:
        """Append one audit line and report it. ``data`` must be JSON-serialisable."""
        record = {
            "ts": self.clock().isoformat(timespec="seconds"),
            "issue": issue,
            "cycle": cycle,
            "phase": phase,
            "event": event,
            "data": data,
        }
        with self.audit_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, sort_keys=True, default=str) + "\n")
        if self.reporter:
            self.reporter(event, {"issue": issue, "cycle": cycle, "phase": phase, **data})

    @staticmethod
    def write_json(path: Path, data: Any) -> None:
        """Write ``data`` as indented JSON to ``path``."""
        path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
