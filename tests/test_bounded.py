"""Table tests for the input limits of workorder.inputs.bounded: each limit, on each parser, refused with a
message that names the field (never a traceback, never a crash of libyaml)."""

from __future__ import annotations

import json

import pytest

from workorder.inputs.bounded import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_INT_DIGITS,
    InputLimitExceeded,
    load_json,
    load_yaml,
)
from workorder.contracts.config import parse_repo_config
from workorder.contracts.packet import parse_dod_packet, parse_verdict
from workorder.handlers.route import issue_of_pull_request
from workorder.inputs.problems import InvalidInput
from workorder.contracts.workorder import parse_work_order_body
from workorder.inputs.yamlload import safe_load

HUGE = "9" * 5000  # over Python's own 4,300-digit limit for int()
LONG = "9" * (MAX_INT_DIGITS + 1)
DEEP = 100_000  # libyaml's composer segfaulted at this depth before the event-stream check


def front(text: str) -> str:
    return "---\nobjective: o\nin_scope: [src/**]\ndone_when: [d]\n" + text + "\n---\n"


def packet(**fields) -> str:
    return json.dumps({"status": "done", "summary": "s", **fields})


def fields_of(call) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as info:
        call()
    return [(p.field, p.message) for p in info.value.problems]


CASES = [
    # (name, call, field, words in the message)
    ("yaml size", lambda: load_yaml("a: " + "x" * MAX_BYTES, "doc"), "(file)", "1 MiB"),
    ("yaml depth", lambda: load_yaml("key: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "doc"), "key", "64 levels"),
    ("yaml depth, huge", lambda: load_yaml("key: " + "[" * DEEP + "]" * DEEP, "doc"), "key", "64 levels"),
    ("yaml depth, block", lambda: load_yaml("key:\n" + "- " * DEEP + "x", "doc"), "key", "64 levels"),
    ("yaml int", lambda: load_yaml(f"a:\n  b: [1, {LONG}]", "doc"), "a.b[1]", "100 digits"),
    ("yaml int over python's limit", lambda: safe_load(f"a: {HUGE}"), "a", "100 digits"),
    ("yaml hex int", lambda: load_yaml("a: 0x" + "f" * 120, "doc"), "a", "100 digits"),
    ("yaml sexagesimal int", lambda: load_yaml("a: 1" + ":1" * 200_000, "doc"), "a", "100 digits"),
    ("yaml int key", lambda: load_yaml(f"a: {{{LONG}: 1}}", "doc"), "a", "100 digits"),
    ("yaml alias loop", lambda: load_yaml("a: &x [*x]", "doc"), "a", "refers to itself"),
    ("yaml billion laughs", lambda: load_yaml(
        "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
            f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n" for p, n in zip("abcde", "bcdef")), "doc"),
     "(file)", "100000 values"),
    ("yaml merge keys", lambda: load_yaml("a: &a {k: 1}\n" + "".join(
        f"m{i}: {{<<: *a}}\n" for i in range(101)), "doc"), "(file)", "merge keys"),
    ("yaml bad date", lambda: load_yaml("a: 2001-02-30", "doc"), "(file)", "as a date"),
    ("yaml bad !!int", lambda: load_yaml('a: !!int ""', "doc"), "(file)", "as an integer"),
    ("json size", lambda: load_json('"' + "x" * MAX_BYTES + '"', "doc"), "(file)", "1 MiB"),
    ("json depth", lambda: load_json('{"k": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}", "doc"),
     "k", "64 levels"),
    ("json depth, huge", lambda: load_json('{"k": ' + "[" * DEEP + "]" * DEEP + "}", "doc"), "(file)", "64 levels"),
    ("json int", lambda: load_json('{"k": [' + HUGE + "]}", "doc"), "k[0]", "100 digits"),
    ("json NaN", lambda: load_json("[NaN]", "doc"), "(file)", "NaN"),
    ("json not utf-8", lambda: load_json(b"\xff\xfe\xfd", "doc"), "(file)", "not valid JSON"),
    ("work order body size", lambda: parse_work_order_body("### Objective\n" + "x" * MAX_BYTES), "body", "1 MiB"),
    ("work order blocked_by int", lambda: parse_work_order_body(front(f"blocked_by: [{HUGE}]")),
     "blocked_by[0]", "100 digits"),
    ("work order blocked_by text", lambda: parse_work_order_body(front(f"blocked_by: '#{HUGE}'")),
     "blocked_by", "is not an issue number"),
    ("work order blocked_by list text", lambda: parse_work_order_body(front(f"blocked_by: ['#{HUGE}']")),
     "blocked_by", "is not an issue number"),
    ("work order blocked_by over 2**31", lambda: parse_work_order_body(front("blocked_by: [2147483648]")),
     "blocked_by[0]", "too large"),
    ("work order issue form blocked_by", lambda: parse_work_order_body(
        f"### Objective\no\n### In scope\nsrc/**\n### Done when\nd\n### Blocked by\n#{HUGE}"),
     "blocked_by", "is not an issue number"),
    ("work order unicode digit", lambda: parse_work_order_body(front("blocked_by: '#\u00b2'")),
     "blocked_by", "is not an issue number"),
    ("work order front matter depth", lambda: parse_work_order_body(front("notes: " + "[" * DEEP + "]" * DEEP)),
     "notes", "64 levels"),
    ("work order bad date", lambda: parse_work_order_body(front("notes: 2001-02-30")),
     "front matter", "line 5"),
    ("repo config int", lambda: parse_repo_config(f"runner:\n  timeout: {HUGE}\n"), "runner.timeout", "100 digits"),
    ("dod packet int", lambda: parse_dod_packet(packet(commands_run=[{"cmd": "x", "exit_code": 0}])
                                                .replace("0}", HUGE + "}")), "commands_run[0].exit_code", "100 digits"),
    ("dod packet depth", lambda: parse_dod_packet('{"summary": ' + "[" * DEEP + "]" * DEEP + "}"), "(file)", "64 levels"),
    ("dod packet size", lambda: parse_dod_packet(packet(summary="x" * MAX_BYTES)), "(file)", "1 MiB"),
    ("verdict not json", lambda: parse_verdict("PASS"), "(file)", "not valid JSON"),
    ("verdict int", lambda: parse_verdict('{"verdict": "PASS", "findings": [{"severity": "MINOR", "rule": "r", '
                                          '"message": "m", "line": ' + HUGE + "}]}"), "findings[0].line", "100 digits"),
    ("verdict field", lambda: parse_verdict('{"verdict": "MAYBE"}'), "verdict", "not allowed"),
]


@pytest.mark.parametrize(("name", "call", "field", "words"), CASES, ids=[c[0] for c in CASES])
def test_each_limit_is_refused_naming_the_field(name, call, field, words):
    problems = fields_of(call)
    assert any(f == field and words in m for f, m in problems), problems


def test_a_limit_breach_is_also_a_yaml_error_for_callers_that_expect_only_those():
    import yaml

    with pytest.raises(yaml.YAMLError) as info:
        safe_load("a: " + HUGE)
    assert isinstance(info.value, InputLimitExceeded) and info.value.problems[0].field == "a"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: " + "9" * MAX_INT_DIGITS, {"a": int("9" * MAX_INT_DIGITS)}),
        ("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1), {"a": eval("[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1))}),
        ("a: &x [1, 2]\nb: [*x, *x]", {"a": [1, 2], "b": [[1, 2], [1, 2]]}),
        ("a: 0x10\nb: 1:30\nc: '2001-02-30'", {"a": 16, "b": 90, "c": "2001-02-30"}),
    ],
)
def test_inputs_at_the_limits_are_accepted(text, expected):
    assert load_yaml(text, "doc") == expected


def test_json_at_the_limits_is_accepted():
    text = json.dumps({"a": [int("9" * MAX_INT_DIGITS)], "b": eval("[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1))})
    assert load_json(text, "doc") == json.loads(text)


@pytest.mark.parametrize(
    ("head_ref", "body", "expected"),
    [
        ("wo/12-add", None, 12),
        (f"wo/{HUGE}-add", None, None),
        ("wo/2147483648-add", None, None),
        ("wo/0-add", None, None),
        (None, "text <!-- workorder:issue 7 -->", 7),
        (None, f"<!-- workorder:issue {HUGE} -->", None),
        (None, "<!-- workorder:issue \u0661\u0662 -->", None),  # Arabic-Indic digits are not a marker
        (None, None, None),
    ],
)
def test_issue_of_pull_request_never_raises(head_ref, body, expected):
    assert issue_of_pull_request(head_ref, body, "wo/") == expected
