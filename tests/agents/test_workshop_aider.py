"""The workshop with the real aider: behind the boundary, through the model proxy (``OPENAI_API_BASE``
is the proxy's, the key a placeholder) and the egress allow-list, against the Chat Completions
stand-in, through the whole loop. aider finds its repository (the agent's own): with and without a
``.gitignore`` in the project it edits none, and the branch holds only the work."""

from __future__ import annotations

import json

import pytest
from agents.standins.base import StandIn
from agents.standins.openai_chat import ChatScript
from agents.test_real_aider import KEY, MODEL, PRICE_IN, PRICE_OUT, RIGHT, assert_only_the_work_is_on_the_branch, \
    assert_usage, develop, runner_done
from agents.workshop_kit import open_copy, open_folder
from conftest import labeled_payload

from workorder.shell import egress
from workorder.shell.model_proxy import PLACEHOLDER_KEY

pytestmark = [pytest.mark.agents, pytest.mark.skipif(egress.availability() is not None,
                                                     reason=f"no network namespace: {egress.availability()}")]
pytestmark.append(pytest.mark.xdist_group("agent-clis"))  # one worker fills the CLI cache


@pytest.mark.parametrize("gitignore", [True, False], ids=["with-gitignore", "without-gitignore"])
def test_aider_in_its_workshop(action, gitignore):
    exe = open_copy("aider")
    base = open_folder()
    metadata = base / "aider-models.json"
    metadata.write_text(json.dumps({f"openai/{MODEL}": {
        "max_input_tokens": 128000, "max_output_tokens": 16384, "litellm_provider": "openai", "mode": "chat",
        "input_cost_per_token": PRICE_IN, "output_cost_per_token": PRICE_OUT}}))
    script = ChatScript([develop(RIGHT, 1234, 567)], model=MODEL)
    with StandIn(script) as stand_in:
        if not gitignore:
            action.git("rm", "-q", ".gitignore") if hasattr(action, "git") else __import__("subprocess").run(
                ["git", "rm", "-q", ".gitignore"], cwd=action.workspace, check=True, env=action.env)
        home = base / "action-home"
        home.mkdir()
        action.env.update(HOME=str(home), OPENAI_API_KEY=KEY, OPENAI_API_BASE=f"{stand_in.url}/v1",
                          LITELLM_LOCAL_MODEL_COST_MAP="True", WORKORDER_ISOLATION="user",
                          PATH=f"{base}/bin:{action.env['PATH']}")
        del action.env["WORKORDER_RUNNER_COMMAND"]
        args = json.dumps(["--model-metadata-file", str(metadata)])
        action.commit_config(
            f"runner:\n  preset: aider\n  command: {exe}\n  model: openai/{MODEL}\n  timeout: 240\n"
            "  env: [OPENAI_API_KEY, OPENAI_API_BASE, LITELLM_LOCAL_MODEL_COST_MAP]\n"
            f"  extra_args: {args}\nmax_cycles: 1\nnetwork:\n  enforce: refuse\n")
        action.handle(labeled_payload())
    tracking = action.tracking()
    assert action.fake.issues[1]["labels"] == ["wo:passed"], tracking
    [request] = script.chat_requests
    assert request.headers["authorization"] == f"Bearer {KEY}", "the proxy added the real key"
    assert PLACEHOLDER_KEY not in json.dumps(request.headers)
    [done] = runner_done(action)
    assert_usage([done], script, turns=1)
    assert_only_the_work_is_on_the_branch(action, gitignore)
    output = (action.tmp_path / "state" / "runs" / "1" / "1-dev" / "output.log").read_text()
    assert "Git repo: .git" in output and "none" not in output.split("Git repo:")[1].splitlines()[0], output[-2000:]
