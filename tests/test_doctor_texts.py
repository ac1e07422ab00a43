"""Table tests of the texts `workorder doctor` and the command line show: every kind (and for doctor every
part) of templates/doctor_check.txt.j2 and templates/cli_message.txt.j2 renders a non-empty line, the kinds
the code names are exactly the template's, and the facts keep their own whitespace."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest

from workorder.cli.doctor import ONLINE, PARTS, check_text
from workorder.cli.handle import cli_message
from workorder.inputs.problems import Problem

TEMPLATES = Path(__file__).parent.parent / "src" / "workorder" / "templates"
CHECK_IDS = ("config", "issue_form", "workflow", "triggers", "permissions", "pins", "timeouts", "route", "rules",
             *ONLINE)
FACTS: dict[str, object] = {
    "config_path": ".github/workorder.yml", "form": ".github/ISSUE_TEMPLATE/work-order.yml", "rel": "wf.yml",
    "problems": [Problem(field="max_cycles", message="must be a number")], "error": "bad input",
    "error_type": "ConnectionError", "missing": [("issues", "labeled")], "triggers": ["issues", "issue_comment"],
    "needed": ("contents", "issues"), "loose": ["actions/checkout@v4"], "jobs": ["work"],
    "inputs": [("trigger-label", "go", "wo:ready")], "lacking": ["wo/"], "found": "AGENTS.md",
    "candidates": ["AGENTS.md"], "count": 9, "branch": "main", "context": "workorder/verdict",
    "contexts": ["ci/test"], "wanted": ["OPENAI_API_KEY"], "path": "issue.md", "root": "/tmp/demo", "config": True,
}


def _kinds(text: str) -> list[str]:
    return re.findall(r'kind == "(\w+)"', text)


def _doctor_sections() -> dict[str, list[str]]:
    """{part: the kinds the template names for it}."""
    text = (TEMPLATES / "doctor_check.txt.j2").read_text(encoding="utf-8")
    chunks = re.split(r'{% (?:el)?if part == "(\w+)" %}', text)
    return {part: _kinds(body) for part, body in zip(chunks[1::2], chunks[2::2])}


def test_the_template_names_exactly_the_check_ids_and_outcomes_of_the_code():
    sections = _doctor_sections()
    assert sorted(sections["title"]) == sorted(CHECK_IDS)
    assert sorted(sections["detail"]) == sorted(k for k, parts in PARTS.items() if "detail" in parts)
    assert sorted(sections["fix"]) == sorted(k for k, parts in PARTS.items() if "fix" in parts)


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_every_title_renders(check_id):
    title = check_text("title", check_id, **FACTS)
    assert title.strip() and title == title.strip() and "\n" not in title


@pytest.mark.parametrize(("kind", "part"), [(k, p) for k, parts in PARTS.items() for p in parts])
def test_every_detail_and_fix_renders(kind, part):
    text = check_text(part, kind, **FACTS)
    assert text.strip() and text == text.strip() and "\n" not in text


@pytest.mark.parametrize("kind", _kinds((TEMPLATES / "cli_message.txt.j2").read_text(encoding="utf-8")))
def test_every_cli_message_renders(kind):
    text = cli_message(kind, **FACTS)
    assert text.strip() and text == text.strip() and "\n" not in text


@pytest.mark.parametrize(("part", "kind", "facts", "expected"), [
    ("title", "protection", {"context": "workorder/verdict"}, "default branch requires the status workorder/verdict"),
    ("title", "protection", {"branch": "trunk", "context": "x/y"}, "trunk requires the status x/y"),
    ("detail", "triggers_missing", {"rel": "w.yml", "missing": [("issues", "labeled"), ("issue_comment", "created")]},
     "w.yml lacks issues (labeled), issue_comment (created)"),
    ("detail", "route_mismatch", {"rel": "w.yml", "inputs": [("a", "1", "2"), ("b", True, "c")], "lacking": []},
     "w.yml: a: 1 (config: 2); b: True (config: c)"),
    ("detail", "route_mismatch", {"rel": "w.yml", "inputs": [("a", "1", "2")], "lacking": ["wo:", "go"]},
     "w.yml: a: 1 (config: 2); if: lacks 'wo:'; if: lacks 'go'"),
    ("detail", "route_mismatch", {"rel": "w.yml", "inputs": [], "lacking": ["go"]}, "w.yml: if: lacks 'go'"),
    ("detail", "protection_missing", {"contexts": []}, "required: none"),
    ("detail", "issue_form_invalid", {"form": "f.yml", "problems": [], "error": "while parsing\n  in line 2\n"},
     "f.yml: while parsing\n  in line 2\n"),
    ("detail", "config_invalid", {"problems": [Problem(field="a", message="x"), Problem(field="b", message="y  z")]},
     "a: x; b: y  z"),
    ("fix", "permissions_workflow_write", {}, "set `permissions: {}` at the top and give each job only what it needs"),
])
def test_texts_are_exact_and_keep_the_facts_whitespace(part, kind, facts, expected):
    assert check_text(part, kind, **facts) == expected


def test_cli_messages_are_exact():
    problems = [Problem(field="(file)", message="is not valid JSON"), Problem(field="a", message="too deep")]
    assert cli_message("event_invalid", path="e.json", problems=problems) == \
        "cannot read the event payload e.json: (file) is not valid JSON; a too deep"
    assert cli_message("crashed", error_type="ValueError", error=ValueError("bad\n  x ")) == "ValueError: bad\n  x "
    assert cli_message("subject", config=False) == "work order"


@pytest.mark.parametrize(("render", "args"), [
    (check_text, ("title", "no_such_check")), (check_text, ("detail", "no_such_kind")),
    (check_text, ("fix", "config_ok")), (check_text, ("no_such_part", "config_ok")), (cli_message, ("no_such_kind",)),
])
def test_an_unknown_kind_is_a_bug(render, args):
    with pytest.raises(jinja2.UndefinedError):
        render(*args, **FACTS)
