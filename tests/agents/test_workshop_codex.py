"""The workshop with the real Codex CLI: behind the boundary, through the model proxy (a provider
whose base URL is the proxy's, with the placeholder key) and the egress allow-list, against the
Responses API stand-in, through the whole loop. A hostile shell step finds no key, reaches neither the
outside host nor another run's proxy, and git works in its work tree (no --skip-git-repo-check needed)."""

from __future__ import annotations

import os

import pytest
from agents.standins.openai_responses import ResponsesStandIn, Step, Usage, input_text, shell
from agents.test_real_codex import KEY, MODEL, PASS, develop, review, usage_line
from agents.workshop_kit import OutsideHost, assert_contained, open_copy, open_folder, probe_report
from conftest import labeled_payload

from workorder.shell import egress
from workorder.shell.model_proxy import ModelProxy, Upstream

pytestmark = [pytest.mark.agents, pytest.mark.skipif(egress.availability() is not None,
                                                     reason=f"no network namespace: {egress.availability()}")]
pytestmark.append(pytest.mark.xdist_group("agent-clis"))  # one worker fills the CLI cache


@pytest.mark.parametrize("reviewer", [False, True], ids=["runner", "runner-and-reviewer"])
def test_codex_in_its_workshop(action, reviewer):
    """With ``reviewer`` codex is the LLM reviewer too, through a proxy of its own; its ``git diff``
    works in its own repository."""
    exe = open_copy("codex")
    base = open_folder()
    outside = OutsideHost()
    other = ModelProxy(Upstream.for_api("openai", "http://127.0.0.1:9", "sk-other-run")).start()
    probe = (f"/usr/bin/python3 {base}/workshop_probe.py {outside.url} "
             f"http://127.0.0.1:{other.port}/v1/responses sk-standin-")
    steps = [Step((shell(probe),), Usage(500, 5)), *develop(1000), *(review(PASS) if reviewer else [])]
    with ResponsesStandIn(steps) as stand_in:
        home = base / "action-home"
        home.mkdir()
        action.env.update(HOME=str(home), OPENAI_API_KEY=KEY, WORKORDER_ISOLATION="user",
                          PATH=f"{base}/bin:{action.env['PATH']}")
        del action.env["WORKORDER_RUNNER_COMMAND"]
        action.commit_config(f"runner:\n  preset: codex\n  command: {exe}\n  model: {MODEL}\n  timeout: 240\n"
                             + (f"reviewer:\n  preset: codex\n  command: {exe}\n  model: {MODEL}\n  timeout: 240\n"
                                if reviewer else "")
                             + f"network:\n  enforce: refuse\n  model_upstream: {stand_in.url}\n")
        action.handle(labeled_payload())
    other.close()
    outside.close()
    tracking = action.tracking()
    assert action.fake.issues[1]["labels"] == ["wo:passed"], tracking
    assert not stand_in.problems, stand_in.problems
    assert {r.headers.get("authorization") for r in stand_in.requests} == {f"Bearer {KEY}"}
    assert {r.body["model"] for r in stand_in.requests} == {MODEL}
    report = probe_report(input_text(stand_in.requests[1]))
    assert report["uid"] != os.getuid()
    assert_contained(report, KEY, placeholder=False, proxy_refusal=False)
    assert outside.hits == 0
    if reviewer:
        assert "calc/ops.py" in input_text(stand_in.requests[-1]), "the reviewer's git diff worked"
        return
    assert usage_line(stand_in.billed, 4) in tracking, "the proxy's own count"
