"""The work order: its model and the parser for an issue body.

An issue body is a work order in one of two forms (the contract in docs/work-order.md):

* YAML front matter between ``---`` lines at the top of the body;
* the ``### Heading`` sections that the issue form ``.github/ISSUE_TEMPLATE/work-order.yml``
  produces, where an empty optional field reads ``_No response_``.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from ..inputs.bounded import MAX_ISSUE_NUMBER, check_size, parse_bounded_int, yaml_error_message
from ..inputs.globs import check_glob
from ..inputs.problems import InvalidInput, Problem, problems_from_validation_error
from ..inputs.yamlload import safe_load

NO_RESPONSE = "_No response_"


def _as_lines(value: Any) -> Any:
    """Accept a list, or text with one item per line (bullets and backticks stripped)."""
    if value is None:
        return []
    if isinstance(value, str):
        items = []
        for raw in value.splitlines():
            line = raw.strip()
            if not line or line.startswith("```") or line == NO_RESPONSE:
                continue
            line = re.sub(r"^(?:[-*+]|\d+[.)])\s+", "", line)
            if len(line) >= 2 and line.startswith("`") and line.endswith("`"):
                line = line[1:-1]
            if line:
                items.append(line)
        return items
    return value


def _as_issue_numbers(value: Any) -> Any:
    """Accept ``[12, 14]``, ``"#12, #14"`` or one number; leave anything else for pydantic to reject."""
    if value is None:
        return []
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, str):
        tokens = [t for t in re.split(r"[\s,]+", value.replace(NO_RESPONSE, " ").strip()) if t]
        numbers = []
        for token in tokens:
            number = parse_bounded_int(token.lstrip("#"), MAX_ISSUE_NUMBER)
            if number is None:
                raise ValueError(f"'{token[:20]}' is not an issue number")
            numbers.append(number)
        return numbers
    if isinstance(value, list):
        return [_as_issue_number(v) for v in value]
    return value


def _as_issue_number(value: Any) -> Any:
    """``"#12"`` → 12; anything else is left for pydantic to check (ge=1, le=MAX_ISSUE_NUMBER)."""
    if isinstance(value, str):
        number = parse_bounded_int(value.strip().lstrip("#"), MAX_ISSUE_NUMBER)
        if number is None:
            raise ValueError(f"'{value[:20]}' is not an issue number")
        return number
    return value


def _as_optional_text(value: Any) -> Any:
    if isinstance(value, str) and value.strip() in ("", NO_RESPONSE):
        return None
    return value


def _as_bool(value: Any) -> Any:
    """Accept a YAML bool, or the issue form's checkbox markdown (``- [X] ...``)."""
    if isinstance(value, str):
        text = value.strip()
        if text in ("", NO_RESPONSE):
            return False
        if "[" in text:
            return bool(re.search(r"\[[xX]\]", text))
        if text.lower() in ("yes", "true", "y"):
            return True
        if text.lower() in ("no", "false", "n"):
            return False
    return value


def _as_risk(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().lower()
        return "low" if text in ("", NO_RESPONSE.lower()) else text
    return value


Lines = Annotated[list[str], BeforeValidator(_as_lines)]
OptionalText = Annotated[str | None, BeforeValidator(_as_optional_text)]


class WorkOrder(BaseModel):
    """A work order, parsed from an issue body. Unknown keys are errors.

    The hash of its parsed content (:meth:`content_hash`) locks the order when work starts.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    objective: str = Field(
        min_length=1, description="one or two sentences saying what must be true when the work is done"
    )
    why: OptionalText = Field(default=None, description="optional text: why this matters")
    in_scope: Lines = Field(
        min_length=1,
        description="at least one gitignore-style glob of paths the agent may change, one per line, e.g. src/calc/**",
    )
    out_of_scope: Lines = Field(
        default_factory=list,
        description="gitignore-style globs of paths the agent must not change, one per line",
    )
    done_when: Lines = Field(
        min_length=1, description="at least one checkable criterion, one per line, e.g. `subtract(5, 3) == 2`"
    )
    verify: Lines = Field(
        default_factory=list,
        description="shell commands the action runs to check the work, one per line, e.g. python -m pytest -q",
    )
    risk: Annotated[Literal["low", "medium", "high"], BeforeValidator(_as_risk)] = Field(
        default="low", description="one of: low, medium, high"
    )
    blocked_by: Annotated[list[Annotated[int, Field(ge=1, le=MAX_ISSUE_NUMBER)]], BeforeValidator(_as_issue_numbers)] = Field(
        default_factory=list, description="issue numbers this work waits for, e.g. #12, #14"
    )
    allow_dependencies: Annotated[bool, BeforeValidator(_as_bool)] = Field(
        default=False, description="true or false: may the agent add or change dependencies"
    )
    notes: OptionalText = Field(default=None, description="optional free text for the agent")

    @field_validator("in_scope", "out_of_scope")
    @classmethod
    def _globs_are_valid(cls, value: list[str]) -> list[str]:
        return [check_glob(p) for p in value]

    @field_validator("verify", "done_when")
    @classmethod
    def _no_blank_items(cls, value: list[str]) -> list[str]:
        return [v for v in (item.strip() for item in value) if v]

    def content_hash(self) -> str:
        """SHA-256 hex digest of the canonical JSON of the parsed fields (the lock of the order)."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


# Issue form heading labels (and field names) → WorkOrder field. Matching ignores case,
# punctuation and any text in parentheses.
_HEADINGS = {
    "objective": "objective",
    "why": "why",
    "in scope": "in_scope",
    "out of scope": "out_of_scope",
    "done when": "done_when",
    "verify": "verify",
    "verify commands": "verify",
    "risk": "risk",
    "blocked by": "blocked_by",
    "dependencies": "allow_dependencies",
    "allow dependencies": "allow_dependencies",
    "notes": "notes",
}

_FRONT_MATTER = re.compile(r"\A\ufeff?\s*---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_HEADING = re.compile(r"^###[ \t]+(.+?)[ \t#]*$")


def _normalise_heading(text: str) -> str:
    text = re.sub(r"\(.*?\)", " ", text.lower())
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return text.strip()


def _sections(body: str) -> tuple[dict[str, str], list[Problem]]:
    """Split an issue-form body into {field: raw text}; unknown or repeated headings are problems."""
    fields: dict[str, list[str]] = {}
    problems: list[Problem] = []
    current: str | None = None
    in_fence = False
    for line in body.splitlines():
        if line.strip().startswith("```"):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match:
            heading = match.group(1)
            name = _HEADINGS.get(_normalise_heading(heading))
            if name is None:
                problems.append(
                    Problem(
                        field=f"### {heading}",
                        message="is not a work order section",
                        expected="sections: " + ", ".join(sorted(set(_HEADINGS.values()))),
                    )
                )
                current = None
            elif name in fields:
                problems.append(Problem(field=name, message="appears twice", expected="each section once"))
                current = None
            else:
                fields[name] = []
                current = name
            continue
        if current is not None:
            fields[current].append(line)
    return {k: "\n".join(v).strip() for k, v in fields.items()}, problems


def parse_work_order_body(body: str | None) -> WorkOrder:
    """Parse an issue body into a :class:`WorkOrder`.

    Takes the raw issue body (markdown, at most 1 MiB; None for an empty body). Returns the validated
    work order. Raises :class:`InvalidInput` listing every problem by field, with what is expected;
    front matter is held to the limits of :mod:`workorder.inputs.bounded` (nesting, integer digits).
    """
    check_size(body or "", "work order", "body")
    text = (body or "").replace("\r\n", "\n")
    front = _FRONT_MATTER.match(text)
    if front:
        try:
            data = safe_load(front.group(1), "work order", "front matter")
        except InvalidInput:
            raise
        except yaml.YAMLError as exc:
            raise InvalidInput(
                "work order",
                [Problem(field="front matter", message=yaml_error_message(exc, first_line=2), expected="key: value lines")],
            ) from None
        if not isinstance(data, dict):
            raise InvalidInput(
                "work order",
                [Problem(field="front matter", message="is not a mapping", expected="key: value lines")],
            )
        structure_problems: list[Problem] = []
    elif _HEADING.search(text.split("\n", 1)[0]) or re.search(r"^###[ \t]", text, re.MULTILINE):
        data, structure_problems = _sections(text)
    else:
        raise InvalidInput(
            "work order",
            [
                Problem(
                    field="body",
                    message="is not a work order",
                    expected="YAML front matter between --- lines, or the ### sections of the work order issue form",
                )
            ],
        )
    try:
        order = WorkOrder.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput("work order", structure_problems + problems_from_validation_error(exc, WorkOrder)) from None
    if structure_problems:
        raise InvalidInput("work order", structure_problems)
    return order
