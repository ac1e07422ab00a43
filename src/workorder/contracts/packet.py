"""The DoD packet (what the SE runner hands back) and the PO verdict (what the review posts).

Formats are the project's contract (docs/contracts.md); JSON Schemas come from
``DoDPacket.model_json_schema()`` and ``Verdict.model_json_schema()``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..inputs.bounded import load_json
from ..inputs.problems import InvalidInput, Problem, problems_from_validation_error

_M = TypeVar("_M", bound=BaseModel)


class CommandRun(BaseModel):
    """A command the runner says it ran, with its exit code."""

    model_config = ConfigDict(extra="forbid")

    cmd: str = Field(min_length=1, description="the command line")
    exit_code: int = Field(description="its exit code")


class RunnerQuestion(BaseModel):
    """A question the runner asks a person instead of guessing."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, description="the question")
    context: str | None = Field(default=None, description="what the runner saw")
    options: list[str] = Field(default_factory=list, description="possible answers")
    recommended: str | None = Field(default=None, description="the runner's suggestion")


MAX_EVIDENCE = 200  # entries in a DoD packet's evidence list


class CriterionEvidence(BaseModel):
    """One piece of evidence the runner names for a done_when criterion; the action checks each."""

    model_config = ConfigDict(extra="forbid")

    criterion: str = Field(min_length=1, max_length=2000,
                           description="the done_when criterion: its number (1 = first) or its text")
    kind: Literal["test", "command", "path"] = Field(
        description="test: a test id the action's verify run ran and passed; command: a verify command that "
                    "exited 0; path: path:line (or path:start-end) of a line the diff adds")
    ref: str = Field(min_length=1, max_length=1000, description="the test id, command line, or path:line")


class DoDPacket(BaseModel):
    """The Definition-of-Done packet, written by the SE runner to ``$WORKORDER_RESULT_FILE``.

    These are claims, never evidence: the PO gates compare them with what the action saw.
    """

    model_config = ConfigDict(extra="forbid")

    status: Literal["done", "blocked", "question"] = Field(description="one of: done, blocked, question")
    summary: str = Field(min_length=1, description="what was done, in a few sentences")
    files_changed: list[str] = Field(default_factory=list, description="repo-relative paths the runner changed")
    commands_run: list[CommandRun] = Field(default_factory=list, description="list of {cmd, exit_code}")
    tests_run: list[str] = Field(default_factory=list, description="test files or test ids the runner ran")
    assumptions: list[str] = Field(default_factory=list, description="assumptions made")
    limitations: list[str] = Field(default_factory=list, description="known limitations")
    question: RunnerQuestion | None = Field(default=None, description="required when status is question")
    evidence: list[CriterionEvidence] = Field(default_factory=list, max_length=MAX_EVIDENCE,
                                              description="each done_when criterion mapped to its evidence")
    reported_by: Literal["runner", "action"] = Field(
        default="runner", description="runner, or action when the action built the packet from the diff"
    )

    @model_validator(mode="after")
    def _question_present(self) -> DoDPacket:
        if self.status == "question" and self.question is None:
            raise ValueError("status is question but the question field is missing")
        return self


def parse_dod_packet(text: str) -> DoDPacket:
    """Parse the JSON text of a DoD packet (at most 1 MiB, held to :mod:`workorder.inputs.bounded`'s limits).

    Raises :class:`InvalidInput` naming each bad field, or ``(file)`` with the JSON error's line and
    column; never anything else.
    """
    return _parse_json_model(text, DoDPacket, "DoD packet")


def _parse_json_model(text: str, model: type[_M], what: str) -> _M:
    """``model`` from JSON ``text`` held to workorder.inputs.bounded's limits; InvalidInput names ``what``."""
    data = load_json(text, what)
    if not isinstance(data, dict):
        raise InvalidInput(what, [Problem(field="(file)", message="is not a JSON object")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(what, problems_from_validation_error(exc, model)) from None


class Severity(StrEnum):
    """Finding severities. BLOCKER and MAJOR fail the verdict; MINOR does not."""

    BLOCKER = "BLOCKER"
    MAJOR = "MAJOR"
    MINOR = "MINOR"


class Finding(BaseModel):
    """One problem a PO gate found, with the evidence the action itself gathered."""

    severity: Severity
    rule: str = Field(description="rule id, e.g. scope.outside, verify.failed")
    message: str
    path: str | None = None
    line: int | None = Field(default=None, description="1-based line in the new version of path")
    evidence: str | None = Field(default=None, description="what the action saw (command output, diff line)")
    source: Literal["gate", "llm"] = Field(default="gate", description="a deterministic gate, or the LLM reviewer")


class EvidenceRow(BaseModel):
    """One row of the review's evidence table: done_when criterion ``number`` (1-based) and its text,
    one piece of evidence the runner named for it (``kind``/``ref``; None when it named none), whether
    the action's own evidence backs it, and what the action saw (``detail``)."""

    number: int
    criterion: str
    kind: str | None = None
    ref: str | None = None
    verified: bool
    detail: str


class Verdict(BaseModel):
    """The PO verdict: FAIL if any finding is a BLOCKER or MAJOR, else PASS."""

    verdict: Literal["PASS", "FAIL"]
    findings: list[Finding] = Field(default_factory=list)
    corrective_prompt: str | None = Field(default=None, description="pasteable prompt for a fix cycle; FAIL only")
    notes: list[str] = Field(default_factory=list, description="remarks on how the verdict was reached")
    evidence: list[EvidenceRow] = Field(default_factory=list, description="done_when criterion → evidence → verified")

    def count(self, severity: Severity) -> int:
        """Number of findings of ``severity``."""
        return sum(1 for f in self.findings if f.severity == severity)


def verdict_for(findings: list[Finding]) -> Literal["PASS", "FAIL"]:
    """FAIL if any finding is a BLOCKER or MAJOR, else PASS."""
    return "FAIL" if any(f.severity in (Severity.BLOCKER, Severity.MAJOR) for f in findings) else "PASS"


def parse_verdict(text: str) -> Verdict:
    """Parse the JSON text of a PO verdict (the LLM reviewer's answer), held to the limits of
    :mod:`workorder.inputs.bounded` (1 MiB, 64 levels, 100-digit integers).

    Returns the :class:`Verdict`. Raises :class:`InvalidInput` naming each bad field, or ``(file)``
    for text that is not a JSON object; never anything else.
    """
    return _parse_json_model(text, Verdict, "PO verdict")
