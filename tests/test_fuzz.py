"""Property-based tests: hostile input to every parser, and to ``workorder handle --dry-run``, gives a
result or a refusal that names a field; never a traceback.

Seeded (``derandomize=True``: the same examples on every run, no example database). Corpus size, the
``max_examples`` of each test (each test asserts it ran at least that many):

    work order front matter (YAML)         2,000
    work order issue-form sections         1,200
    repo config (YAML)                     1,500
    DoD packet (JSON)                      1,500
    PO verdict (JSON)                        800
    slash commands                         1,000
    hidden tracking state block              400
    PR body marker / head branch             400
    event payloads (router.dispatch)       1,000
    handle --dry-run, generated bodies       300
    handle --dry-run, generated configs       60
    ------------------------------------------------
    total                                 10,160

About 35 s of CPU on this machine (wall time grows with the machine's load). With the loaders this
replaced (plain ``yaml.load``/``json.loads``), the same corpus crashed the interpreter (libyaml's
composer overflows its C stack on 100,000 nested ``[``); without that one input, 447 of the 2,000
front matters, 328 of the 1,500 configs and 416 of the 1,500 DoD packets raised a traceback.

Each generator mixes ordinary values with the inputs that once escaped as tracebacks: integers past
Python's 4,300-digit limit, nesting deeper than the recursion limit (and deep enough to crash libyaml),
YAML tags, aliases and dates that PyYAML cannot build, NaN, lone surrogates and PR body markers with
huge issue numbers.
"""

from __future__ import annotations

import copy
import io
import json
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workorder.cli import main
from workorder.handlers.slash import ParsedCommand, parse_commands
from workorder.contracts.config import RepoConfig, parse_repo_config
from workorder.contracts.packet import parse_dod_packet, parse_verdict
from workorder.handlers.context import HandlerContext
from workorder.handlers import route
from workorder.handlers.route import issue_of_pull_request, route_event
from workorder.handlers.outcome import Outcome
from workorder.inputs.problems import InvalidInput
from workorder.handlers.router import dispatch
from workorder.loop.state import decode_state
from workorder.templates import Templates
from workorder.contracts.workorder import WorkOrder, parse_work_order_body

HUGE = "9" * 5000
DEEP = 3000  # past Python's recursion limit (1,000)


def seeded(n: int) -> settings:
    return settings(max_examples=n, derandomize=True, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck))


def run(strategy: st.SearchStrategy, n: int, check) -> None:
    """Run ``check`` on ``n`` seeded examples of ``strategy``; assert all ``n`` ran."""
    calls = []

    @seeded(n)
    @given(strategy)
    def prop(value):
        calls.append(1)
        check(value)

    prop()
    assert len(calls) >= n


def refused_naming_fields(call, value) -> None:
    """``call(value)`` returns, or raises InvalidInput whose every problem names a field."""
    try:
        call(value)
    except InvalidInput as exc:
        assert exc.problems and all(p.field.strip() and p.message.strip() for p in exc.problems), exc.problems


# ---- building blocks -------------------------------------------------------------------------

YAML_HOSTILE = [
    HUGE, "-" + HUGE, "0x" + "f" * 4000, "0b" + "1" * 5000, "0o" + "7" * 4000, "1" + ":1" * 3000, "1_0" * 2000,
    "2001-02-30", "2001-13-01 25:61:61", "!!int ''", "!!int abc", "!!float x", "!!timestamp x", "!!binary '@@'",
    "!!python/name:os.system", "!!python/object:os.system {}", "!!set {[a]}", "!!omap [a]", "*undefined",
    "&a [*a]", ".nan", "-.inf", "~", "'#" + HUGE + "'", "'#\u00b2'", "'\ud800'", "[" * DEEP + "]" * DEEP,
    "{a: " * 200 + "}" * 200, "[" * 100_000, "? [a]\n: b", "{[a]: b}", "<<: *x", "| \n  text", "\t", "'",
]
JSON_HOSTILE = [
    HUGE, "-" + HUGE, "1e999999", "NaN", "-Infinity", "[" * DEEP + "]" * DEEP, '{"a":' * DEEP + "1" + "}" * DEEP,
    '"\\ud800"', '"' + "x" * 2000 + '"', "[", "}", "", "null", "true", '"\\u0000"', "1" + "0" * 4299,
]
WORDS = st.sampled_from(["objective", "why", "in_scope", "out_of_scope", "done_when", "verify", "risk",
                         "blocked_by", "allow_dependencies", "notes", "label_prefix", "branch_prefix", "runner",
                         "timeout", "preset", "command", "reviewer", "budget", "protected_paths", "labels",
                         "status", "summary", "files_changed", "commands_run", "cmd", "exit_code", "question",
                         "verdict", "findings", "severity", "rule", "message", "line", "x"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30),
                    st.sampled_from(["src/**", "!x", "[", "**/", "#12, #14", "low", "PASS", "MAJOR", "done"]))
JSONISH = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(WORDS, inner, max_size=3)), max_leaves=8)


@st.composite
def yaml_documents(draw) -> str:
    """YAML text: a dump of a generated mapping, with lines replaced by hostile ones, or raw text."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.text(max_size=200))
    import yaml

    doc = yaml.safe_dump(draw(st.dictionaries(WORDS, JSONISH, max_size=8)), allow_unicode=True)
    lines = doc.splitlines()
    for _ in range(draw(st.integers(0 if kind == 1 else 1, 3))):
        line = draw(WORDS) + ": " + draw(st.sampled_from(YAML_HOSTILE))
        lines.insert(draw(st.integers(0, len(lines))), line)
    return "\n".join(lines)


@st.composite
def json_documents(draw, keys: dict) -> str:
    """JSON text: an object with the contract's keys, values generated or hostile raw fragments."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.one_of(st.text(max_size=100), st.sampled_from(JSON_HOSTILE)))
    parts = []
    for key, value in {**keys, **draw(st.dictionaries(WORDS, JSONISH, max_size=3))}.items():
        if draw(st.integers(0, 3)) == 0:
            raw = draw(st.sampled_from(JSON_HOSTILE))
        else:
            raw = json.dumps(draw(st.one_of(st.just(value), JSONISH)))
        parts.append(json.dumps(key) + ": " + raw)
    text = "{" + ", ".join(parts) + "}"
    return text[: draw(st.integers(0, len(text)))] if draw(st.integers(0, 9)) == 0 else text


# ---- parsers ---------------------------------------------------------------------------------

def test_work_order_front_matter():
    def check(text):
        refused_naming_fields(lambda t: isinstance(parse_work_order_body(t), WorkOrder), "---\n" + text + "\n---\n")

    run(yaml_documents(), 2000, check)


HEADINGS = st.sampled_from(["Objective", "Why", "In scope", "Out of scope", "Done when", "Verify commands",
                            "Risk", "Blocked by", "Allow dependencies", "Notes", "Unknown", "In scope (globs)"])
SECTION_TEXT = st.one_of(st.text(max_size=60), st.sampled_from(
    ["_No response_", "#" + HUGE, "#12, #" + HUGE, "\u00b2", "- [X] yes", "```\n### Objective\n```", "src/[",
     "high", "HIGH", "- " + HUGE, "#0", "#2147483648", "12 14", "[" * DEEP]))


def test_work_order_issue_form_sections():
    body = st.lists(st.tuples(HEADINGS, SECTION_TEXT), max_size=8).map(
        lambda sections: "\n".join(f"### {h}\n\n{t}\n" for h, t in sections))
    run(body, 1200, lambda text: refused_naming_fields(parse_work_order_body, text))


def test_repo_config():
    def check(text):
        refused_naming_fields(lambda t: isinstance(parse_repo_config(t), RepoConfig), text)

    run(yaml_documents(), 1500, check)


def test_dod_packet():
    keys = {"status": "done", "summary": "s", "commands_run": [{"cmd": "x", "exit_code": 0}],
            "question": {"question": "q"}}
    run(json_documents(keys), 1500, lambda text: refused_naming_fields(parse_dod_packet, text))


def test_po_verdict():
    keys = {"verdict": "FAIL", "findings": [{"severity": "MAJOR", "rule": "r", "message": "m", "line": 3}]}
    run(json_documents(keys), 800, lambda text: refused_naming_fields(parse_verdict, text))


def test_slash_commands():
    lines = st.lists(st.one_of(st.text(max_size=40), st.sampled_from(
        ["/wo", "/WO FIX", "/wo fix " + HUGE, "```", "~~~~", "> /wo abort", "  /wo status", "/wo\u00a0help",
         "\r", "/wo answer 1"])), max_size=12)

    def check(parts):
        commands = parse_commands("\n".join(parts))
        assert all(isinstance(c, ParsedCommand) and c.line >= 1 for c in commands)

    run(lines, 1000, check)


def test_hidden_tracking_state_block():
    body = json_documents({"state": "running", "cycle": 1, "issue": 1}).map(
        lambda text: "<!-- workorder:tracking -->\n<!-- workorder:state " + text + " -->")
    # decode_state's own contract: the state, or None; deep nesting is left to the test below
    run(body.filter(lambda b: "[" * DEEP not in b and '{"a":' * DEEP not in b), 400, decode_state)


def test_hidden_tracking_state_block_nested_past_the_recursion_limit():
    assert decode_state("<!-- workorder:state {\"a\": " + "[" * DEEP + "]" * DEEP + "} -->") is None


def test_pull_request_body_marker_and_head_branch():
    numbers = st.one_of(st.integers(-5, 10**12).map(str), st.just(HUGE), st.sampled_from(["", "0", "\u0661", "1e3"]))
    inputs = st.tuples(numbers, st.text(max_size=20), st.booleans())

    def check(value):
        number, tail, from_body = value
        body = f"text <!-- workorder:issue {number} -->{tail}" if from_body else None
        head = None if from_body else f"wo/{number}-{tail}"
        result = issue_of_pull_request(head, body, "wo/")
        assert result is None or 1 <= result <= 2**31 - 1

    run(inputs, 400, check)


# ---- event payloads --------------------------------------------------------------------------

def example(name: str) -> dict:
    return json.loads((FIXTURES / "webhooks" / f"{name}.json").read_text())


EXAMPLES = {"issues": example("issues/labeled.1"), "issue_comment": example("other/issue_comment.created"),
            "pull_request_review": example("other/pull_request_review.submitted"),
            "pull_request": example("other/pull_request.synchronize")}
PATHS = ["action", "issue", "issue.number", "issue.body", "issue.labels", "issue.user", "issue.pull_request",
         "label", "label.name", "comment.id", "comment.body", "comment.user.login", "review.state", "review.body",
         "review.id", "pull_request.number", "pull_request.body", "pull_request.head.ref", "sender", "sender.login",
         "sender.type", "repository.default_branch", "repository.full_name"]
VALUES = st.one_of(JSONISH, st.sampled_from([10**4000, -(10**4000), 2**31, 2**64, "x" * 5000, "wo:ready",
                                             "CHANGES_REQUESTED", "/wo start", "labeled", "created", "submitted"]))


def mutate(payload: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    node = payload
    for key in parents:
        if not isinstance(node.get(key), dict):
            return
        node = node[key]
    node[last] = value


@st.composite
def payloads(draw) -> tuple[str, dict]:
    event = draw(st.sampled_from(sorted(EXAMPLES)))
    payload = copy.deepcopy(EXAMPLES[event])
    if event == "issues":
        payload["label"]["name"] = "wo:ready"
    for path, value in draw(st.lists(st.tuples(st.sampled_from(PATHS), VALUES), max_size=4)):
        mutate(payload, path, value)
    return event, payload


def test_event_payloads_through_the_router():
    ctx = HandlerContext(templates=Templates(), config=RepoConfig(), bot_login="github-actions[bot]",
                         config_problems=[], dry_run=True)

    def check(value):
        event, payload = value
        outcome = dispatch(event, payload, ctx)
        assert isinstance(outcome, Outcome)
        assert all(p["field"] for p in outcome.problems or [])
        routed = route_event(event, payload, ctx.config)  # the route job's stdlib router, same payload
        assert set(routed) == {"issue", "lane"} and routed["lane"] in ("loop", "now")

    run(payloads(), 1000, check)


# ---- workorder handle --dry-run, in process --------------------------------------------------

def dry_run(tmp_path: Path, event: str, payload: dict, workspace: Path) -> dict:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    env = {"GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(path), "PATH": "/usr/bin:/bin",
           "GITHUB_WORKSPACE": str(workspace)}
    out = io.StringIO()
    code = main(["handle", "--dry-run"], environ=env, out=out)
    result = json.loads(out.getvalue())
    assert code == 0 and result["decision"] and result["reason"], (code, result)
    assert all(p["field"] for p in result.get("problems") or [])
    return result


@st.composite
def bodies(draw) -> tuple[str, dict]:
    """A GitHub example payload whose issue, comment, review or PR body is generated."""
    event = draw(st.sampled_from(["issues", "issue_comment", "pull_request_review"]))
    payload = copy.deepcopy(EXAMPLES[event])
    body = draw(st.one_of(yaml_documents().map(lambda t: "---\n" + t + "\n---\n"), SECTION_TEXT,
                          st.sampled_from(["/wo fix " + HUGE, "/wo status", "/wo answer " + "[" * DEEP])))
    marker = draw(st.sampled_from(["", "<!-- workorder:issue 1 -->", "<!-- workorder:issue " + HUGE + " -->"]))
    if event == "issues":
        payload["label"]["name"] = "wo:ready"
        payload["issue"]["body"] = body
    elif event == "issue_comment":
        payload["comment"]["body"] = draw(st.sampled_from(["/wo status\n", "/wo fix\n", "/wo "])) + body
        payload["issue"]["body"] = marker
        payload["issue"]["pull_request"] = {"url": "u"} if draw(st.booleans()) else None
    else:
        payload["review"]["state"] = draw(st.sampled_from(["changes_requested", "approved", "commented"]))
        payload["review"]["body"] = body
        payload["pull_request"]["body"] = marker
        payload["pull_request"]["head"]["ref"] = draw(st.sampled_from(["wo/1-x", "wo/" + HUGE + "-x", "main"]))
    return event, payload


def test_handle_dry_run_with_generated_bodies(tmp_path):
    run(bodies(), 300, lambda value: dry_run(tmp_path, value[0], value[1], tmp_path))


@pytest.fixture(scope="module")
def config_repo(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("repo")
    env = {"PATH": "/usr/bin:/bin", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=env)
    (repo / ".github").mkdir()
    return repo


def commit_config(repo: Path, text: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    (repo / ".github" / "workorder.yml").write_text(text, encoding="utf-8", errors="surrogatepass")
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "--allow-empty", "-m", "config"], check=True, env=env)


def test_handle_dry_run_with_generated_default_branch_configs(tmp_path, config_repo):
    from conftest import WORK_ORDER

    def check(text):
        commit_config(config_repo, text)
        payload = copy.deepcopy(EXAMPLES["issues"])
        payload["label"]["name"] = "wo:ready"
        payload["issue"]["body"] = WORK_ORDER
        dry_run(tmp_path, "issues", payload, config_repo)

    configs = st.one_of(yaml_documents(), st.sampled_from([f"runner:\n  timeout: {HUGE}\n", "a: " + "[" * 100_000,
                                                           "runner: {timeout: 0x" + "f" * 200 + "}"]))
    run(configs, 60, check)


RAW_PAYLOADS = ['{"action": "labeled", "issue": ' + "[" * DEEP + "]" * DEEP + "}",
                '{"action": "labeled", "issue": {"number": ' + HUGE + "}}",
                '{"action": "labeled", "issue": {"number": 1e999}}', '{"action": "labeled"', "\ud800", ""]


@pytest.mark.parametrize("text", RAW_PAYLOADS, ids=["deep", "huge-int", "inf", "truncated", "surrogate", "empty"])
def test_handle_dry_run_with_a_hostile_payload_file_never_raises(tmp_path, text):
    path = tmp_path / "event.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    env = {"GITHUB_EVENT_NAME": "issues", "GITHUB_EVENT_PATH": str(path), "PATH": "/usr/bin:/bin",
           "GITHUB_WORKSPACE": str(tmp_path)}
    assert main(["handle", "--dry-run"], environ=env, out=io.StringIO()) in (0, 1, 2)


@pytest.mark.parametrize("text", RAW_PAYLOADS, ids=["deep", "huge-int", "inf", "truncated", "surrogate", "empty"])
def test_the_route_step_with_a_hostile_payload_file_says_why_in_one_line(tmp_path, text):
    path = tmp_path / "event.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    out = io.StringIO()
    code = route.main({"GITHUB_EVENT_NAME": "issues", "GITHUB_EVENT_PATH": str(path)}, out)
    said = out.getvalue()
    assert (code, said.count("\n")) in ((0, 2), (2, 1)), said
    assert code == 0 or said.startswith("::error::cannot read the event payload")


def test_route_with_a_payload_nested_past_the_recursion_limit(tmp_path):
    path = tmp_path / "event.json"
    path.write_text(RAW_PAYLOADS[0])
    env = {"GITHUB_EVENT_NAME": "issues", "GITHUB_EVENT_PATH": str(path), "PATH": "/usr/bin:/bin",
           "GITHUB_WORKSPACE": str(tmp_path)}
    assert main(["route"], environ=env, out=io.StringIO()) == 2
