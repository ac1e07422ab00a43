"""Limits for YAML and JSON from any outside source, and loaders that enforce them.

Issue bodies, repo configs, DoD packets, PR bodies, verdicts and event payloads are written by people
or agents the action does not trust. Parsed without limits they can raise what no caller expects
(Python refuses to turn more than 4,300 digits into an ``int``; deep JSON raises ``RecursionError``;
deep YAML crashes libyaml's composer with a segmentation fault), or take minutes. Every input is held
to these limits, and a breach is an :class:`InputLimitExceeded` (an :class:`InvalidInput`) whose
problems name the field:

* ``MAX_BYTES`` (1 MiB): size of one document, in UTF-8 bytes. Field ``(file)`` (or the caller's name).
* ``MAX_DEPTH`` (64): lists and mappings nested inside each other. Field: the top-level key.
* ``MAX_INT_DIGITS`` (100): decimal digits of an integer, anywhere (keys included). Field: its path.
* ``MAX_VALUES`` (100,000): values in one document, a YAML alias counted each time it is used
  (so "billion laughs" documents are refused). Field ``(file)``.
* ``MAX_MERGE_KEYS`` (100): YAML merge keys ``<<`` in one document (each merge copies a mapping, so
  thousands of chained merges take minutes). Field ``(file)``.

GitHub's own numbers get tighter bounds: ``MAX_ISSUE_NUMBER`` (2**31 - 1; GitHub's GraphQL API types an
issue ``number`` as ``Int``, a signed 32-bit integer) and ``MAX_ID`` (2**63 - 1 for REST ids).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import yaml

from .bounded_int import MAX_ID, MAX_INT_DIGITS, MAX_ISSUE_NUMBER, int_text_fits, parse_bounded_int  # noqa: F401
from .problems import InvalidInput, Problem

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_VALUES = 100_000
MAX_MERGE_KEYS = 100
MAX_PROBLEMS = 20

_INT_LIMIT = 10**MAX_INT_DIGITS
# libyaml's composer recurses in C without a limit; below this many nesting indicators it cannot overflow
_SAFE_INDICATORS = 1000


class InputLimitExceeded(InvalidInput, yaml.YAMLError):
    """An input broke one of this module's limits. It is an :class:`InvalidInput` (``what`` and
    ``problems``), and also a ``yaml.YAMLError`` so that callers which only expect YAML errors
    still refuse the input instead of crashing."""


class _HugeInt:
    """Stands in for an integer literal with more than ``MAX_INT_DIGITS`` digits until the tree
    check reports it with its path (so the huge number is never built)."""

    def __init__(self, digits: int):
        self.digits = digits


def check_size(text: str | bytes, what: str, field: str = "(file)") -> None:
    """Raise :class:`InputLimitExceeded` naming ``field`` when ``text`` is over ``MAX_BYTES`` (UTF-8)."""
    size = len(text)
    if size > MAX_BYTES // 4 and isinstance(text, str):  # a character is at most 4 bytes
        size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise InputLimitExceeded(what, [Problem(field=field, message=_TOO_BIG, expected=_TOO_BIG_EXPECTED)])


def _key_path(path: str, key: Any) -> str:
    name = key if isinstance(key, str) else str(key)
    name = name if len(name) <= 60 else name[:60] + "…"
    return f"{path}.{name}" if path else name


def _children(node: Any, path: str) -> Iterator[tuple[Any, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, path  # a key is a scalar; it is checked where its mapping is
            yield value, _key_path(path, key) if _scalar_ok(key) else path
    else:
        for index, value in enumerate(node):
            yield value, f"{path}[{index}]"


def _scalar_ok(value: Any) -> bool:
    if isinstance(value, _HugeInt):
        return False
    return not (isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _INT_LIMIT)


def check_tree(data: Any, what: str, field: str = "(file)") -> None:
    """Check parsed YAML or JSON ``data`` against ``MAX_DEPTH``, ``MAX_INT_DIGITS`` and ``MAX_VALUES``.

    Takes the parsed value, the input's name (``what``) and the pseudo-field naming the whole document.
    Works without recursion, visits a shared (aliased) value once and refuses self-referencing values.
    Raises :class:`InputLimitExceeded` listing up to ``MAX_PROBLEMS`` problems, each naming the field.
    """
    walk = _Walk(field)
    walk.run(data)
    if walk.problems:
        raise InputLimitExceeded(what, walk.problems[:MAX_PROBLEMS])


class _Walk:
    """One iterative walk over a parsed document; collects problems."""

    def __init__(self, field: str):
        self.field = field
        self.problems: list[Problem] = []
        self.done: dict[int, tuple[int, int]] = {}  # id of a finished container -> (height, values)
        self.open: set[int] = set()
        self.stack: list[list[Any]] = []  # frames: [node, path, children, height, values before]
        self.total = 0

    def run(self, data: Any) -> None:
        self.visit(data, "")
        while self.stack and not self.problems and self.total <= MAX_VALUES:
            frame = self.stack[-1]
            step = next(frame[2], None)
            if step is not None:
                self.visit(*step)
                continue
            self.stack.pop()
            self.open.discard(id(frame[0]))
            self.total += 1
            self.done[id(frame[0])] = (frame[3] + 1, self.total - frame[4])
            self._raise_height(frame[3] + 1)
        if self.total > MAX_VALUES and not self.problems:
            self.problems.append(Problem(field=self.field, message=_TOO_MANY, expected=_TOO_MANY_EXPECTED))

    def visit(self, node: Any, path: str) -> None:
        if not isinstance(node, (dict, list, tuple, set, frozenset)):
            self.total += 1
            if not _scalar_ok(node):
                self.problems.append(Problem(field=path or self.field, message=_HUGE, expected=_HUGE_EXPECTED))
            return
        if id(node) in self.open:
            self.problems.append(Problem(field=_top(path, self.field), message=_LOOP))
            return
        if id(node) in self.done:
            height, values = self.done[id(node)]
            self.total += values
            if len(self.stack) + height > MAX_DEPTH:
                self.problems.append(Problem(field=_top(path, self.field), message=_DEEP, expected=_DEEP_EXPECTED))
            self._raise_height(height)
            return
        if len(self.stack) >= MAX_DEPTH:
            self.problems.append(Problem(field=_top(path, self.field), message=_DEEP, expected=_DEEP_EXPECTED))
            return
        self.open.add(id(node))
        self.stack.append([node, path, _children(node, path), 0, self.total])

    def _raise_height(self, height: int) -> None:
        if self.stack:
            self.stack[-1][3] = max(self.stack[-1][3], height)


_HUGE = f"is a number with more than {MAX_INT_DIGITS} digits"
_HUGE_EXPECTED = f"a number of at most {MAX_INT_DIGITS} digits"
_DEEP = f"nests lists or mappings more than {MAX_DEPTH} levels deep"
_DEEP_EXPECTED = f"at most {MAX_DEPTH} levels"
_LOOP = "refers to itself (a YAML alias loop)"
_TOO_MANY = f"holds more than {MAX_VALUES} values (a YAML alias counts each time it is used)"
_TOO_MANY_EXPECTED = f"at most {MAX_VALUES} values"
_TOO_BIG = "is larger than 1 MiB"
_TOO_BIG_EXPECTED = f"at most {MAX_BYTES} bytes"
_NOT_UNICODE = "holds a character that is not valid Unicode (a lone surrogate)"
_MERGES = f"uses more than {MAX_MERGE_KEYS} YAML merge keys (<<)"


def _top(path: str, field: str) -> str:
    """The top-level key of ``path`` (``runner`` of ``runner.env[0]``), or ``field`` at the root."""
    return re.split(r"[.\[]", path, maxsplit=1)[0] or field if path else field


def load_json(text: str | bytes, what: str, field: str = "(file)") -> Any:
    """Parse JSON ``text`` from an outside source, held to this module's limits.

    Takes the text (or UTF-8 bytes), the input's name for messages (``what``, e.g. "DoD packet") and
    the pseudo-field naming the whole document. Returns the parsed value (dict, list, str, int,
    float, bool or None). NaN and Infinity are refused (they are not JSON). Raises
    :class:`InvalidInput` (an :class:`InputLimitExceeded` for a broken limit) naming the field.
    """
    check_size(text, what, field)
    try:
        data = json.loads(text, parse_int=_json_int, parse_constant=_json_constant)
    except json.JSONDecodeError as exc:
        raise InvalidInput(what, [Problem(field=field, message=_json_message(exc))]) from None
    except _NotJson:
        raise InvalidInput(what, [Problem(field=field, message="holds NaN or Infinity, which JSON does not allow",
                                          expected="numbers")]) from None
    except RecursionError:
        raise InputLimitExceeded(what, [Problem(field=field, message=_DEEP, expected=_DEEP_EXPECTED)]) from None
    except ValueError:  # bytes that are not UTF-8/16/32
        raise InvalidInput(what, [Problem(field=field, message="is not valid JSON (not UTF-8 text)")]) from None
    check_tree(data, what, field)
    return data


class _NotJson(Exception):
    pass


def _json_int(text: str) -> int | _HugeInt:
    return int(text) if int_text_fits(text) else _HugeInt(len(text))


def _json_constant(text: str) -> Any:
    raise _NotJson(text)


def _json_message(exc: json.JSONDecodeError) -> str:
    return f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """PyYAML's safe loader (libyaml when present) whose scalar constructors cannot raise anything
    but ``yaml.YAMLError`` and never build an integer over the limit."""


def _guarded(kind: str, construct: Any) -> Any:
    def constructor(loader: Any, node: Any) -> Any:
        try:
            return construct(loader, node)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, AttributeError, IndexError, OverflowError):
            raise yaml.constructor.ConstructorError(None, None, f"cannot read {str(node.value)[:40]!r} as {kind}",
                                                    node.start_mark) from None
    return constructor


def _construct_int(loader: Any, node: Any) -> int | _HugeInt:
    text = loader.construct_scalar(node)
    digits = str(text).replace("_", "").lstrip("+-")
    if len(digits) > 2 * MAX_INT_DIGITS + 2:  # never build it; sexagesimal 1:2:3 parts count ~2 digits
        return _HugeInt(len(digits))
    return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)


_Loader.add_constructor("tag:yaml.org,2002:int", _guarded("an integer", _construct_int))
_Loader.add_constructor("tag:yaml.org,2002:float",
                        _guarded("a number", yaml.constructor.SafeConstructor.construct_yaml_float))
_Loader.add_constructor("tag:yaml.org,2002:timestamp",
                        _guarded("a date", yaml.constructor.SafeConstructor.construct_yaml_timestamp))


def parse_yaml(text: str, what: str, field: str = "(file)") -> Any:
    """Parse YAML ``text`` from an outside source with the safe loader, held to this module's limits.

    Returns what ``yaml.safe_load`` returns (None for an empty document). Raises ``yaml.YAMLError``
    for text that is not YAML (with ``problem_mark`` when libyaml knows the line), and
    :class:`InputLimitExceeded` (also a ``yaml.YAMLError``) for a broken limit, naming the field.
    """
    check_size(text, what, field)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # libyaml takes UTF-8 only; a JSON payload can carry a lone surrogate
        raise InvalidInput(what, [Problem(field=field, message=_NOT_UNICODE)]) from None
    if text.count("<<") > MAX_MERGE_KEYS:
        raise InputLimitExceeded(what, [Problem(field=field, message=_MERGES)])
    if sum(text.count(c) for c in "[{-?:") > _SAFE_INDICATORS:
        _check_event_depth(text, what, field)
    try:
        data = yaml.load(text, Loader=_Loader)
    except RecursionError:
        raise InputLimitExceeded(what, [Problem(field=field, message=_DEEP, expected=_DEEP_EXPECTED)]) from None
    check_tree(data, what, field)
    return data


def load_yaml(text: str, what: str, field: str = "(file)") -> Any:
    """Like :func:`parse_yaml`, but text that is not YAML is an :class:`InvalidInput` naming ``field``
    (with the line, counted from 1) too."""
    try:
        return parse_yaml(text, what, field)
    except InvalidInput:
        raise
    except yaml.YAMLError as exc:
        raise InvalidInput(what, [Problem(field=field, message=yaml_error_message(exc))]) from None


def yaml_error_message(exc: yaml.YAMLError, first_line: int = 1) -> str:
    """"is not valid YAML at line N: what libyaml found" for a YAML error; ``first_line`` is the number
    of the document's first line in the file it came from."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + first_line}" if mark else ""
    problem = getattr(exc, "problem", None)
    return f"is not valid YAML{where}" + (f": {problem}" if problem else "")


def _check_event_depth(text: str, what: str, field: str) -> None:
    """Refuse YAML nested deeper than ``MAX_DEPTH`` from libyaml's event stream (iterative, unlike its
    composer), before anything is built. Syntax errors propagate as ``yaml.YAMLError``."""
    depth, top_key, position = 0, None, 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth == 2:
                position += 1
            if depth > MAX_DEPTH:
                raise InputLimitExceeded(what, [Problem(field=top_key or field, message=_DEEP, expected=_DEEP_EXPECTED)])
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1
        elif depth == 1 and isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent)):
            if position % 2 == 0 and isinstance(event, yaml.ScalarEvent):
                top_key = event.value[:60]
            position += 1
