"""The workshop with the real Claude Code CLI: behind the boundary, through the model proxy and the
egress allow-list, against the Anthropic Messages stand-in, through the whole loop (`workorder handle`).

The CLI holds a placeholder key and the proxy's URL; the stand-in sees the real key (added by the
proxy); a hostile Bash step (tests/agents/workshop_probe.py) finds no key, cannot reach the outside
host or another run's proxy, and can use git; the tracking comment's usage is the proxy's own count.
"""

from __future__ import annotations

import dataclasses
import os

import pytest
from agents.standins.anthropic import AnthropicStandIn, Conversation, ToolCall, Turn, results_text
from agents.test_real_claude import KEY, se_pass, usage_line
from agents.workshop_kit import OutsideHost, assert_contained, open_copy, open_folder, probe_report
from conftest import labeled_payload

from workorder.shell import egress
from workorder.shell.model_proxy import ModelProxy, Upstream

pytestmark = [pytest.mark.agents, pytest.mark.skipif(egress.availability() is not None,
                                                     reason=f"no network namespace: {egress.availability()}")]
pytestmark.append(pytest.mark.xdist_group("agent-clis"))  # one worker fills the CLI cache


@pytest.mark.parametrize("workshop", [True, False], ids=["workshop", "control-open"])
def test_claude_in_its_workshop(action, tmp_path, workshop):
    """The control (``network: {enforce: off, model_proxy: off}``): the same probe finds the key in its
    own environment and reaches the outside host, so the assertions of the workshop can fail."""
    exe = open_copy("claude")
    base = open_folder()
    outside = OutsideHost()
    other = ModelProxy(Upstream.for_api("anthropic", "http://127.0.0.1:9", "sk-other-run")).start()
    probe = (f"/usr/bin/python3 {base}/workshop_probe.py {outside.url} "
             f"http://127.0.0.1:{other.port}/v1/messages sk-ant-test")

    def script(c: Conversation) -> Turn:
        if c.turn == 0:
            return Turn(tools=(ToolCall("Bash", {"command": probe, "description": "look around"}),), tokens_in=500,
                        tokens_out=20)
        return se_pass(dataclasses.replace(c, turn=c.turn - 1))

    with AnthropicStandIn(script) as server:
        home = base / "action-home"
        home.mkdir()
        action.env.update(HOME=str(home), ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=server.url,
                          WORKORDER_ISOLATION="user", PATH=f"{base}/bin:{action.env['PATH']}")
        del action.env["WORKORDER_RUNNER_COMMAND"]
        action.commit_config(f"runner:\n  preset: claude\n  command: {exe}\n  timeout: 240\n"
                             "  env: [ANTHROPIC_BASE_URL]\nnetwork:\n" + (
                                 "  enforce: refuse\n" if workshop else "  enforce: \"off\"\n  model_proxy: \"off\"\n"))
        action.handle(labeled_payload())
    other.close()
    outside.close()
    tracking = action.tracking()
    assert action.fake.issues[1]["labels"] == ["wo:passed"], tracking
    assert {r.headers.get("x-api-key") for r in server.requests} == {KEY}, "the proxy added the real key"
    report = probe_report(results_text(server.conversations[1].tool_results[0]))
    assert report["uid"] != os.getuid()
    if not workshop:
        assert KEY in report["own_env"].values() and report["outside_direct"]["status"] == 200 and outside.hits
        return
    assert_contained(report, KEY)
    assert outside.hits == 0
    assert usage_line(server) in tracking, "the proxy's own count"


def test_the_proxy_holds_the_token_budget_against_claude(action):
    """``budgets.max_tokens: 1500``: the proxy forwards the first two calls (2210 tokens), refuses the
    third itself; the phase stops as a budget with the proxy's words, whatever Claude reports."""
    exe = open_copy("claude")
    base = open_folder()
    with AnthropicStandIn(se_pass) as server:
        home = base / "action-home"
        home.mkdir()
        action.env.update(HOME=str(home), ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=server.url,
                          WORKORDER_ISOLATION="user", PATH=f"{base}/bin:{action.env['PATH']}")
        del action.env["WORKORDER_RUNNER_COMMAND"]
        action.commit_config(f"runner:\n  preset: claude\n  command: {exe}\n  timeout: 240\n"
                             "  env: [ANTHROPIC_BASE_URL]\nbudgets:\n  max_tokens: 1500\n"
                             "network:\n  enforce: refuse\n")
        action.handle(labeled_payload())
    tracking = action.tracking()
    assert action.fake.issues[1]["labels"] == ["wo:blocked"], tracking
    assert server.billed.calls == 2, "the third call never reached the model"
    assert "**Stopped: budget**" in tracking
    assert "token budget is spent (2210 of 1500 tokens)" in tracking, tracking
    assert usage_line(server) in tracking


def test_claude_as_runner_and_reviewer_each_through_a_proxy(action):
    """The LLM reviewer's CLI also holds a placeholder: its proxy adds the key; the verdict is used."""
    from agents.test_real_claude import REVIEWER, final

    exe = open_copy("claude")
    base = open_folder()

    def script(c: Conversation) -> Turn:
        if REVIEWER in c.prompt:
            return final({"verdict": "PASS", "findings": []}, tokens_in=900, tokens_out=70)
        return se_pass(c)

    with AnthropicStandIn(script) as server:
        home = base / "action-home"
        home.mkdir()
        action.env.update(HOME=str(home), ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=server.url,
                          WORKORDER_ISOLATION="user", PATH=f"{base}/bin:{action.env['PATH']}")
        del action.env["WORKORDER_RUNNER_COMMAND"]
        action.commit_config(f"runner:\n  preset: claude\n  command: {exe}\n  timeout: 240\n"
                             "  env: [ANTHROPIC_BASE_URL]\n"
                             f"reviewer:\n  preset: claude\n  command: {exe}\n  timeout: 240\n"
                             "  env: [ANTHROPIC_BASE_URL]\nnetwork:\n  enforce: refuse\n")
        action.handle(labeled_payload())
    tracking = action.tracking()
    assert action.fake.issues[1]["labels"] == ["wo:passed"], tracking
    reviews = [c for c in server.conversations if REVIEWER in c.prompt]
    assert len(reviews) == 1 and "PASS" in action.fake.reviews[-1]["body"].splitlines()[0]
    assert {r.headers.get("x-api-key") for r in server.requests} == {KEY}, "each proxy added the real key"
