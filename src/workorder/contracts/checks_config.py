"""Config of the behavioural checks of the PO review (issue 19): FAIL_TO_PASS evidence, held-out
acceptance tests, diff coverage. Keys of ``.github/workorder.yml``; every key has a default."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..inputs.globs import check_glob

Risk = Literal["low", "medium", "high"]
JS_COVERAGE_REPORTS = ("coverage/coverage-final.json", "coverage/lcov.info")  # Jest's and Vitest's default places


class FailToPassConfig(BaseModel):
    """``fail_to_pass``: which done_when criteria need a test that tells the change apart.

    A criterion tagged ``[test]`` (or ``[behaviour]``) always does, one tagged ``[no-test]`` (or
    ``[docs]``, ``[config]``, ``[refactor]``) never does; an untagged one does when the work order's risk
    is in ``test_required`` (by default every tier: every untagged criterion is behaviour)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="run evidence tests on the base source under the head's tests")
    test_required: list[Risk] = Field(
        default_factory=lambda: ["low", "medium", "high"],
        description="risk tiers whose untagged done_when criteria need a FAIL_TO_PASS test or verify command "
                    "(default every tier; [] makes only criteria tagged [test] need one)")


class AcceptanceConfig(BaseModel):
    """``acceptance``: held-out acceptance tests, read from the default branch only."""

    model_config = ConfigDict(extra="forbid")

    paths: list[str] = Field(
        default_factory=list,
        description="gitignore-style globs of held-out test files, e.g. acceptance/**: never shown to the agent")
    commands: list[str] = Field(
        default_factory=list,
        description="commands that run the held-out tests (default: the verify commands, with the files put back)")

    @field_validator("paths")
    @classmethod
    def _globs(cls, value: list[str]) -> list[str]:
        return [check_glob(p) for p in value]


class DiffCoverageConfig(BaseModel):
    """``diff_coverage``: changed source lines must run under the passing tests (Python with coverage.py, Go with go test, JS/TS from Jest/Vitest reports)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="measure which changed lines the tests execute (Python, Go, JS/TS)")
    min_percent: float = Field(default=0.0, ge=0, le=100,
                               description="percent of changed lines that must run, else MAJOR (default 0: "
                                           "lines that never ran are named as a MINOR note)")
    reports: list[str] = Field(
        default_factory=lambda: list(JS_COVERAGE_REPORTS), max_length=20,
        description="Jest/Vitest coverage reports (Istanbul JSON or LCOV) the verify run writes, relative to the "
                    "repository: deleted before the run, read after it (default coverage/coverage-final.json, "
                    "coverage/lcov.info; [] measures no JavaScript)")

    @field_validator("reports")
    @classmethod
    def _report_paths(cls, value: list[str]) -> list[str]:
        return [check_report_path(p) for p in value]


def check_report_path(path: str) -> str:
    """One ``diff_coverage.reports`` entry, stripped. Raises ``ValueError`` (naming what is expected) for an
    empty path, an absolute one, a ``..`` or empty segment, a backslash or a glob character."""
    value = path.strip()
    parts = value.split("/")
    if not value or value.startswith(("/", "~")) or "" in parts or ".." in parts or "." in parts:
        raise ValueError(f"'{value}' must be a plain file path inside the repository, e.g. coverage/lcov.info")
    if any(c in value for c in "\\*?[]\x00"):
        raise ValueError(f"'{value}' must name one file: no glob characters or backslashes")
    return value
