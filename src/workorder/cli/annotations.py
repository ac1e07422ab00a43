"""What a run tells the Actions log and UI besides its JSON: annotations, groups, step outputs.

Formats from GitHub's "Workflow commands for GitHub Actions" (docs.github.com/en/actions/reference/
workflow-commands-for-github-actions): ``::error file=F,line=L,title=T::message`` (also ``warning``,
``notice``), ``::group::title`` / ``::endgroup::``, and ``$GITHUB_OUTPUT`` lines ``name<<DELIM`` /
value / ``DELIM`` for values of any shape. Every title and message comes from the template
``annotation.txt.j2`` (first line: the title; the rest: the message); this module only encodes them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from ..handlers.outcome import Outcome
from ..templates import Templates

BLOCKING = ("BLOCKER", "MAJOR")


@dataclass(frozen=True)
class Annotation:
    """One workflow command: level error | warning | notice, title, message, and where (file, line)."""

    level: str
    title: str
    message: str
    file: str | None = None
    line: int | None = None


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_command(annotation: Annotation) -> str:
    """The ``::level file=…,line=…,title=…::message`` line (newline-terminated), escaped as GitHub's
    runner expects (``%``, CR, LF in the message; also ``:`` and ``,`` in properties)."""
    props = [f"file={_escape_property(annotation.file)}"] if annotation.file else []
    if annotation.file and annotation.line:
        props.append(f"line={annotation.line}")
    props.append(f"title={_escape_property(annotation.title)}")
    return f"::{annotation.level} {','.join(props)}::{_escape_data(annotation.message)}\n"


def _make(templates: Templates, level: str, file: str | None = None, line: int | None = None,
          **context: object) -> Annotation:
    title, _, message = templates.render("annotation.txt.j2", **context).strip().partition("\n")
    return Annotation(level, title.strip(), message.strip() or title.strip(), file, line)


def annotations_for(outcome: Outcome, templates: Templates, config_path: str = ".github/workorder.yml") -> list[Annotation]:
    """The annotations an outcome deserves: a warning for a refusal; an error per problem of an
    invalid work order or config (config problems point at ``config_path``); an error for ``error``;
    for a FAIL verdict an error, plus one annotation per finding at its file and line (BLOCKER and
    MAJOR: error, MINOR: warning); an error when the loop stopped on a failure. Others: none."""
    base = {"reason": outcome.reason or "", "code": outcome.reason_code or "", "issue": outcome.issue}
    found: list[Annotation] = []
    if outcome.decision == "refused":
        found.append(_make(templates, "warning", kind="refused", **base))
    elif outcome.decision == "invalid":
        problems = outcome.problems or (outcome.state.problems if outcome.state else [])
        file = config_path if outcome.reason_code == "invalid_config" else None
        found.append(_make(templates, "error", file, kind="invalid", **base))
        found += [_make(templates, "error", file, kind="problem", problem=_Problem.of(p), **base) for p in problems]
    elif outcome.decision == "error":
        found.append(_make(templates, "error", kind="error", **base))
    state = outcome.state
    if state is not None and state.verdict == "FAIL":
        found.append(_make(templates, "error", kind="verdict", state=state, **base))
        for finding in state.findings:
            level = "error" if finding.severity.value in BLOCKING else "warning"
            found.append(_make(templates, level, finding.path, finding.line, kind="finding", finding=finding, **base))
    if state is not None and state.failure is not None and outcome.decision != "error":
        found.append(_make(templates, "error", kind="failure", state=state, **base))
    return found


@dataclass(frozen=True)
class _Problem:
    field: str
    message: str
    expected: str | None = None

    @classmethod
    def of(cls, raw: Mapping[str, object]) -> _Problem:
        expected = raw.get("expected")
        return cls(str(raw.get("field", "")), str(raw.get("message", "")), str(expected) if expected else None)


def workflow_commands(outcome: Outcome, templates: Templates, config_path: str = ".github/workorder.yml") -> str:
    """All annotation commands for ``outcome`` as one text ('' when there is nothing to say)."""
    return "".join(render_command(a) for a in annotations_for(outcome, templates, config_path))


def group(title: str, text: str) -> str:
    """``text`` folded in the log under ``title`` (``::group::`` … ``::endgroup::``)."""
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"::group::{_escape_data(title)}\n{body}::endgroup::\n"


def format_outputs(outputs: Mapping[str, str], delimiter: str | None = None) -> str:
    """Step outputs for ``$GITHUB_OUTPUT``: ``name=value`` for a one-line value, else ``name<<DELIM`` /
    value / ``DELIM`` (GitHub's multi-line syntax). ``delimiter`` defaults to a random
    ``ghadelimiter_<uuid4>``; raises ValueError when a value contains it."""
    parts = []
    for name, value in outputs.items():
        if "\n" not in value and "\r" not in value:
            parts.append(f"{name}={value}\n")
            continue
        delim = delimiter or f"ghadelimiter_{uuid.uuid4()}"
        if delim in value:
            raise ValueError(f"output {name} contains the delimiter")
        parts.append(f"{name}<<{delim}\n{value}\n{delim}\n")
    return "".join(parts)


class PhaseGroups:
    """Wraps a loop reporter (``reporter(event, data)``, e.g. :class:`workorder.cli.console.ConsoleReporter`)
    so that each phase's lines fold in the Actions log: a ``::group::`` opens at ``runner.start`` (the
    SE runner's dev or fix phase), at the first ``verify`` of a review, and at ``push`` (publishing);
    the open group closes before the next one and at ``loop.end``/``loop.error``. Writes to ``stream``
    (the same stream as the reporter). Titles come from annotation.txt.j2 (kind ``group``)."""

    def __init__(self, reporter: object, stream: object, templates: Templates):
        self.reporter = reporter
        self.stream = stream
        self.templates = templates
        self.open: str | None = None
        self.issue: object = None

    def _title(self, phase: str, data: dict) -> str:
        return self.templates.render("annotation.txt.j2", kind="group", phase=phase, issue=self.issue,
                                     cycle=data.get("cycle")).strip()

    def _switch(self, phase: str | None, data: dict) -> None:
        if self.open is not None:
            self.stream.write("::endgroup::\n")  # type: ignore[attr-defined]
        self.open = phase
        if phase is not None:
            self.stream.write(f"::group::{_escape_data(self._title(phase, data))}\n")  # type: ignore[attr-defined]

    def __call__(self, event: str, data: dict) -> None:
        """Open or close a group for ``event``, then pass the event on to the wrapped reporter."""
        self.issue = data.get("issue", self.issue)
        if event == "runner.start":
            self._switch(str(data.get("phase", "dev")), data)
        elif event == "verify" and self.open != "review":
            self._switch("review", data)
        elif event == "push":
            self._switch("publish", data)
        self.reporter(event, data)  # type: ignore[operator]
        if event in ("loop.end", "loop.error") and self.open is not None:
            self._switch(None, data)
