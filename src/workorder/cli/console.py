"""The loop's events as console lines (:class:`ConsoleReporter`), for ``workorder demo`` and ``workorder run``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

__all__ = ["ConsoleReporter"]


class ConsoleReporter:
    """Prints loop events as lines (templates/console.txt.j2); after each verdict, the findings and
    corrective prompt read back from the run records under ``runs_root``."""

    def __init__(self, templates: Any, stream: TextIO, runs_root: Path, show_verdicts: bool = True):
        self.templates = templates
        self.stream = stream
        self.runs_root = runs_root
        self.show_verdicts = show_verdicts

    def __call__(self, event: str, data: dict[str, Any]) -> None:
        text = self.templates.render("console.txt.j2", event=event, d=data)
        if text.strip():
            self.stream.write(text)
        if event == "verdict" and self.show_verdicts:
            from ..contracts.packet import Verdict

            path = self.runs_root / str(data["issue"]) / f"{data['cycle']}-review" / "verdict.json"
            verdict = Verdict.model_validate_json(path.read_text(encoding="utf-8"))
            self.stream.write(self.templates.render("demo_verdict.txt.j2", verdict=verdict, cycle=data["cycle"]))
        self.stream.flush()
