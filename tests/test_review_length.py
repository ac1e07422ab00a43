"""Posts a maintainer reads on a phone (#20 item 7), measured on what `workorder demo` really posts.

The measure (``visible_lines``): the lines of the posted markdown a reader sees before opening any
``<details>`` block: every non-blank line outside a ``<details>`` body, the ``<summary>`` line of each
block counting as one, hidden HTML comments (the action's markers) not counted. A table row or a list
item is one line; a phone may wrap a long one, so this counts lines of text, not screen lines.
``total_lines`` is every line of the body, collapsed or not.
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pytest

from conftest import WORK_ORDER, agent_command
from test_demo import DEMO_AGENT, VERIFY
from test_loop_local import run_loop, tracking_body
from test_single_run import run
from workorder.cli import main
from workorder.demo.run import WORK_ORDER as DEMO_ORDER

MAX_VISIBLE = 40
FAILING_LINE = "AssertionError: 8 != -2"  # a line of the failing test's output in the demo's first cycle


def visible_lines(markdown: str) -> list[str]:
    """The lines of ``markdown`` seen with every <details> closed: non-blank, outside <details> bodies
    (a block's <summary> line counts), hidden HTML comment lines left out."""
    shown, depth = [], 0
    for line in markdown.splitlines():
        opens, closes = line.count("<details>"), line.count("</details>")
        if depth == 0 and line.strip() and not re.fullmatch(r"\s*<!--.*-->\s*", line):
            shown.append(line)
        depth = max(0, depth + opens - closes)
    return shown


def shown_text(body: str) -> str:
    """``body`` without its hidden state block (JSON a reader never sees; it holds the findings)."""
    return body.split("<!-- workorder:state", 1)[0]


def details_blocks(markdown: str) -> dict[str, str]:
    """Each top-level <details> block of ``markdown``: its summary → its body."""
    found = re.findall(r"<details><summary>(.*?)</summary>\n(.*?)\n</details>", markdown, re.DOTALL)
    return dict(found)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("posts") / "demo"
    out = io.StringIO()
    code = main(["demo", "--dir", str(root)], environ=dict(os.environ), out=out)
    assert code == 0, out.getvalue()
    return root, out.getvalue()


def fail_review(root: Path) -> str:
    [path] = sorted((root / "posts").glob("*-pr-2-review-cycle-1.md"))
    return path.read_text(encoding="utf-8")


def test_the_demo_prints_where_each_posted_body_is(demo):
    root, out = demo
    posts = sorted((root / "posts").glob("*.md"))
    assert f"{root / 'posts'}/" in out and all(p.name in out for p in posts)
    names = [re.sub(r"^\d\d-", "", p.stem) for p in posts]
    assert names[0] == "issue-1-tracking-running" and "pr-2-body" in names
    assert "pr-2-review-cycle-1" in names and "pr-2-review-cycle-2" in names and "issue-1-tracking-approved" in names
    forge = json.loads((root / "forge" / "forge.json").read_text())
    fail, passed = forge["pulls"]["2"]["reviews"]
    assert fail["body"] == fail_review(root), "the file is the body as posted"


def test_the_demos_fail_review_is_under_40_lines_with_details_closed(demo):
    body = fail_review(demo[0])
    assert "❌ FAIL" in body
    assert len(visible_lines(body)) < MAX_VISIBLE, "\n".join(visible_lines(body))


def test_each_finding_is_one_line_with_its_location_once(demo):
    root = demo[0]
    body = fail_review(root)
    verdict = json.loads((root / "runs" / "1" / "1-review" / "verdict.json").read_text())
    shown = visible_lines(body)
    assert len(verdict["findings"]) == 9
    for f in verdict["findings"]:
        [line] = [s for s in shown if s.startswith(f"- **{f['rule']}**") and f["message"] in s]
        if f["path"]:
            assert line.count(f["path"]) == 1, line
        if f["line"]:
            assert f"`{f['path']}:{f['line']}` — " in line
    for severity in ("BLOCKERS (3)", "MAJORS (6)"):
        assert f"### {severity}" in shown


def test_the_failing_output_is_shown_once_collapsed_and_the_prompt_is_collapsed(demo):
    root = demo[0]
    body = fail_review(root)
    blocks = details_blocks(body)
    prompt = blocks.pop("Corrective prompt (paste into any agent)")
    verdict = json.loads((root / "runs" / "1" / "1-review" / "verdict.json").read_text())
    assert verdict["corrective_prompt"].strip() in prompt and prompt.strip().startswith("```text")
    outside_prompt = body.replace(prompt, "")
    assert outside_prompt.count(FAILING_LINE) == 1, "the failing output once in the review"
    assert prompt.count(FAILING_LINE) == 1, "and once in the prompt to paste, not once per finding"
    [evidence] = [text for summary, text in blocks.items() if summary.startswith("Output")]
    assert FAILING_LINE in evidence and not [line for line in visible_lines(body) if FAILING_LINE in line]
    assert "**verify.failed**, **dod.commands**:" in evidence, "one block for the findings that share an output"


def test_the_criterion_table_stays(demo):
    shown = visible_lines(fail_review(demo[0]))
    assert "| # | Criterion | Evidence | Verified |" in shown
    assert [line for line in shown if line.startswith("| 2 | the tests cover subtract | none | ❌")]


def test_tracking_comments_after_the_review_do_not_repeat_it(demo):
    root = demo[0]
    verdict = json.loads((root / "runs" / "1" / "1-review" / "verdict.json").read_text())
    after = [shown_text(p.read_text()) for p in sorted((root / "posts").glob("*-issue-1-tracking-*.md"))
             if "| pull request | #2" in p.read_text()]
    assert after
    for body in after:
        assert not [f for f in verdict["findings"] if f["message"] in body]
    assert "see the review on #2" in after[-1]


def test_a_blocked_tracking_comment_names_the_pending_rules_once(tmp_path, workspace, python_bin):
    outcome, forge, _ = run_loop(tmp_path, workspace, python_bin, f"{DEMO_AGENT} --stubborn",
                                 body=DEMO_ORDER.format(verify=VERIFY), config_text="max_cycles: 4\n")
    body = shown_text(tracking_body(forge))
    assert outcome.state.handoff.reason == "not_converging"
    assert "findings of the review on #2: `scope.excluded`, `verify.failed`" in body
    for f in outcome.state.findings:
        assert f.message not in body, f"{f.rule} repeated in the tracking comment"
    assert body.count("loop.not_converging") == 1, "the loop's own finding is not in the review: listed once"


def test_a_local_run_gives_local_next_steps(workspace, base_env, python_bin, capsys):
    from workorder.demo.run import git_env

    env = {**git_env(base_env), "PATH": f"{python_bin}:{base_env['PATH']}", "WORKORDER_ISOLATION": "none"}
    (workspace / "ISSUE.md").write_text(WORK_ORDER)
    code, out = run((workspace, env), str(workspace / "ISSUE.md"), "--runner-command", agent_command("always-fail"))
    assert code == 1 and "blocked" in out
    forge = json.loads((workspace / ".workorder" / "forge" / "forge.json").read_text())
    [tracking] = forge["issues"]["1"]["comments"]
    body = shown_text(tracking["body"])
    assert "run `workorder run ISSUE.md` again" in body and "git log -p HEAD..wo/1-" in body
    assert "/wo " not in body and "trigger label" not in body and "workflow artifacts" not in body


def _finding(rule: str, evidence: str | None):
    from workorder.contracts.packet import Finding, Severity

    return Finding(severity=Severity.MAJOR, rule=rule, message=rule, evidence=evidence)


@pytest.mark.parametrize("evidences, blocks, shared", [
    (["a\nb\nc", "\nb\nc\n", "x"], [("a\nb\nc", ["r0", "r1"]), ("x", ["r2"])], [None, 1, None]),
    (["b", "a\nb"], [("b", ["r0"]), ("a\nb", ["r1"])], [None, None]),  # only an earlier text holds a later one
    ([None, "", "y", "y"], [("y", ["r2", "r3"])], [None, None, None, 3]),
])
def test_each_evidence_text_is_kept_once(evidences, blocks, shared):
    from workorder.templates.findings_view import evidence_blocks, evidence_shared

    findings = [_finding(f"r{i}", e) for i, e in enumerate(evidences)]
    assert [(b.text, [f.rule for f in b.findings]) for b in evidence_blocks(findings)] == blocks
    assert evidence_shared(findings) == shared
