"""Parsing work orders from issue bodies: YAML front matter and the issue form's ### sections."""

from __future__ import annotations

from pathlib import Path

import pytest

from workorder.inputs.problems import InvalidInput
from workorder.contracts.workorder import parse_work_order_body

ROOT = Path(__file__).parent.parent

# What GitHub renders for the shipped issue form (.github/ISSUE_TEMPLATE/work-order.yml).
FORM_BODY = """### Objective

Add a subtract(a, b) function to calc.ops.

### Why

_No response_

### In scope (paths)

calc/**
tests/**

### Out of scope (paths)

README.md

### Done when

- subtract(5, 3) == 2
- tests cover subtract

### Verify commands

```shell
python -m unittest discover -s tests -t .
```

### Risk

Medium

### Blocked by

#12, #14

### Dependencies

- [X] Allow new dependencies

### Notes

_No response_
"""


def problems(body: str) -> dict[str, str]:
    with pytest.raises(InvalidInput) as info:
        parse_work_order_body(body)
    return {p.field: p.message for p in info.value.problems}


def test_issue_form_body_parses_every_field():
    order = parse_work_order_body(FORM_BODY)
    assert order.objective == "Add a subtract(a, b) function to calc.ops."
    assert order.why is None and order.notes is None
    assert order.in_scope == ["calc/**", "tests/**"]
    assert order.out_of_scope == ["README.md"]
    assert order.done_when == ["subtract(5, 3) == 2", "tests cover subtract"]
    assert order.verify == ["python -m unittest discover -s tests -t ."]
    assert order.risk == "medium"
    assert order.blocked_by == [12, 14]
    assert order.allow_dependencies is True


def test_issue_form_with_optional_fields_left_empty():
    body = FORM_BODY.replace("Medium", "_No response_").replace("#12, #14", "_No response_")
    body = body.replace("- [X] Allow new dependencies", "- [ ] Allow new dependencies")
    order = parse_work_order_body(body)
    assert order.risk == "low" and order.blocked_by == [] and order.allow_dependencies is False


def test_front_matter_parses_and_free_text_after_it_is_ignored():
    order = parse_work_order_body(
        "---\nobjective: Do X\nin_scope: src/**\ndone_when: [it works]\nblocked_by: [3]\n---\nAnything here."
    )
    assert order.in_scope == ["src/**"] and order.blocked_by == [3]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ("---\nin_scope: [a]\ndone_when: [b]\n---", "objective", "is required but missing"),
        ("---\nobjective: ' '\nin_scope: [a]\ndone_when: [b]\n---", "objective", "must not be empty"),
        ("---\nobjective: x\ndone_when: [b]\n---", "in_scope", "is required but missing"),
        ("---\nobjective: x\nin_scope: []\ndone_when: [b]\n---", "in_scope", "must not be empty"),
        ("---\nobjective: x\nin_scope: ['../etc']\ndone_when: [b]\n---", "in_scope", "'../etc' must not contain '..'"),
        ("---\nobjective: x\nin_scope: [a]\nout_of_scope: ['~/x']\ndone_when: [b]\n---", "out_of_scope",
         "'~/x' must be a path inside the repository"),
        ("---\nobjective: x\nin_scope: [a]\n---", "done_when", "is required but missing"),
        ("---\nobjective: x\nin_scope: [a]\ndone_when: [b]\nverify: 3\n---", "verify", "must be a list"),
        ("---\nobjective: x\nin_scope: [a]\ndone_when: [b]\nrisk: extreme\n---", "risk", "has a value that is not allowed"),
        ("---\nobjective: x\nin_scope: [a]\ndone_when: [b]\nblocked_by: 'soon'\n---", "blocked_by",
         "'soon' is not an issue number"),
        ("---\nobjective: x\nin_scope: [a]\ndone_when: [b]\nallow_dependencies: perhaps\n---", "allow_dependencies",
         "must be true or false"),
        ("---\nobjective: x\nin_scope: [a]\ndone_when: [b]\nnotes: [1, 2]\n---", "notes", "must be text"),
        ("---\nobjective: x\nin_scope: [a]\ndone_when: [b]\nwhy: [1]\n---", "why", "must be text"),
        ("---\nobjective: x\nin_scope: [a]\ndone_when: [b]\ncolour: blue\n---", "colour", "is not a known key"),
    ],
)
def test_each_invalid_field_is_named_with_what_is_wrong(body, field, message):
    assert problems(body)[field] == message


def test_every_problem_is_listed_at_once_with_what_is_expected():
    with pytest.raises(InvalidInput) as info:
        parse_work_order_body("---\nrisk: extreme\nfoo: 1\n---")
    found = {p.field: p for p in info.value.problems}
    assert set(found) == {"objective", "in_scope", "done_when", "risk", "foo"}
    assert "low, medium, high" in found["risk"].expected
    assert "objective" in found["foo"].expected


def test_body_that_is_not_a_work_order():
    assert problems("It looks like you accidently spelled 'commit' with two 't's.") == {"body": "is not a work order"}
    assert problems("") == {"body": "is not a work order"}


def test_front_matter_that_is_not_yaml_or_not_a_mapping():
    assert problems("---\nobjective: [unclosed\n---\n")["front matter"].startswith("is not valid YAML")
    assert problems("---\n- a\n- b\n---\n") == {"front matter": "is not a mapping"}


def test_unknown_and_repeated_form_sections_are_problems():
    found = problems(FORM_BODY + "\n### Budget\n\n100\n\n### Risk\n\nlow\n")
    assert found["### Budget"] == "is not a work order section"
    assert found["risk"] == "appears twice"


def test_headings_inside_code_fences_are_content():
    body = FORM_BODY.replace("_No response_\n\n### In scope", "```\n### not a heading\n```\n\n### In scope", 1)
    order = parse_work_order_body(body)
    assert "### not a heading" in order.why


def test_hash_locks_parsed_content_not_formatting():
    a = parse_work_order_body(FORM_BODY)
    b = parse_work_order_body(FORM_BODY.replace("calc/**\ntests/**", "- `calc/**`\n- `tests/**`"))
    c = parse_work_order_body(FORM_BODY.replace("calc/**", "calc/ops.py"))
    assert a.content_hash() == b.content_hash() != c.content_hash()


def test_shipped_issue_form_produces_bodies_the_parser_reads():
    import yaml

    form = yaml.safe_load((ROOT / ".github" / "ISSUE_TEMPLATE" / "work-order.yml").read_text())
    labels = [item["attributes"]["label"] for item in form["body"] if item["type"] != "markdown"]
    rendered = "\n\n".join(f"### {label}\n\nx" for label in labels)
    with pytest.raises(InvalidInput) as info:
        parse_work_order_body(rendered)
    assert not any(p.field.startswith("###") for p in info.value.problems), "every form label maps to a field"
    assert "wo:ready" not in form.get("labels", []), "a person with write access starts the work, not the author"
