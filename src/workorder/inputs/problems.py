"""Turn validation failures of untrusted input into problems a person can act on.

Every outside input (issue body, repo config, DoD packet, event payload) is validated by a pydantic
model. A failure becomes a list of :class:`Problem` (field, what is wrong, what is expected), never a
traceback.
"""

from __future__ import annotations

from pydantic import BaseModel, ValidationError


class Problem(BaseModel):
    """One thing wrong with an input.

    field: dotted path of the offending key (``in_scope``, ``runner.timeout``, ``issue.number``),
        or a pseudo-field such as ``body`` or ``front matter`` when the whole input is malformed.
    message: what is wrong, in plain words.
    expected: what a valid value looks like, or None when the message says it.
    """

    field: str
    message: str
    expected: str | None = None


class InvalidInput(Exception):
    """Raised when an outside input fails validation.

    ``what`` names the input ("work order", "repo config .github/workorder.yml", "DoD packet"),
    ``problems`` lists every problem found (never empty).
    """

    def __init__(self, what: str, problems: list[Problem]):
        self.what = what
        self.problems = problems
        super().__init__(f"{what}: " + "; ".join(f"{p.field}: {p.message}" for p in problems))


_MESSAGES = {
    "missing": "is required but missing",
    "extra_forbidden": "is not a known key",
    "too_short": "must not be empty",
    "string_too_short": "must not be empty",
    "literal_error": "has a value that is not allowed",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "int_parsing": "must be a whole number",
    "int_parsing_size": "is a number with too many digits",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "finite_number": "must be a finite number",
    "string_too_long": "is too long",
    "int_type": "must be a whole number",
    "list_type": "must be a list",
    "string_type": "must be text",
    "greater_than_equal": "is too small",
    "less_than_equal": "is too large",
    "dict_type": "must be a mapping of keys to values",
    "model_type": "must be a mapping of keys to values",
}


def _field_path(loc: tuple) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def _hint(model: type[BaseModel], loc: tuple) -> str | None:
    """The field's own description (its ``expected`` text), followed through nested models."""
    current: type[BaseModel] | None = model
    hint = None
    for item in loc:
        if current is None or not isinstance(item, str):
            continue
        field = current.model_fields.get(item)
        if field is None:
            if current.model_config.get("extra") == "forbid":
                return unknown_key_hint(item, list(current.model_fields))
            return None
        hint = field.description
        annotation = field.annotation
        current = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    return hint


def unknown_key_hint(key: str, known: list[str]) -> str:
    """What to write instead of the unknown ``key``: the closest known key (difflib, cutoff 0.6) as
    "did you mean …?", then every key of ``known``."""
    import difflib

    close = difflib.get_close_matches(key, known, n=1)
    return (f"did you mean {close[0]}? " if close else "") + "one of: " + ", ".join(known)


def problems_from_validation_error(error: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """Convert a pydantic ``ValidationError`` raised by ``model`` into problems.

    Takes the error and the model class that raised it; returns one :class:`Problem` per error,
    with the field's description as ``expected``. Custom validators raise ``ValueError`` whose text
    becomes the message as is.
    """
    problems: list[Problem] = []
    for err in error.errors(include_url=False):
        loc = tuple(err.get("loc", ()))
        kind = err.get("type", "")
        if kind == "value_error":
            message = str(err.get("ctx", {}).get("error", err.get("msg", "is not valid")))
        else:
            message = _MESSAGES.get(kind, err.get("msg", "is not valid").lower())
        problems.append(Problem(field=_field_path(loc), message=message, expected=_hint(model, loc)))
    return problems
