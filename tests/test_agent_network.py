"""One run's agent network (workorder.agents.agent_network): which variables the agent gets, the codex
provider, and what network.enforce does where the allow-list cannot be made."""

from __future__ import annotations

import subprocess
from types import SimpleNamespace

import pytest

from workorder.agents import agent_network
from workorder.shell import egress
from workorder.contracts.config import parse_repo_config
from workorder.shell.model_proxy import PLACEHOLDER_KEY
from workorder.presets import PRESETS, AgentSettings

KEY = "sk-real-" + "k" * 30


def box(tmp_path, privilege="root"):
    return SimpleNamespace(root=tmp_path, privilege=privilege, refusal=None)


@pytest.mark.parametrize("preset,env,url_vars,upstream", [
    ("claude", {"ANTHROPIC_API_KEY": KEY}, ["ANTHROPIC_BASE_URL"], "https://api.anthropic.com"),
    ("claude", {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": "https://gw.example"}, ["ANTHROPIC_BASE_URL"],
     "https://gw.example"),
    ("codex", {"OPENAI_API_KEY": KEY, "CODEX_API_KEY": KEY}, [], "https://api.openai.com/v1"),
    ("aider", {"OPENAI_API_KEY": KEY, "OPENAI_API_BASE": "http://vllm:8000/v1"}, ["OPENAI_API_BASE", "OPENAI_BASE_URL"],
     "http://vllm:8000/v1"),
])
def test_the_agent_gets_a_placeholder_and_the_proxys_url(tmp_path, preset, env, url_vars, upstream):
    config = parse_repo_config(f"runner:\n  preset: {preset}\n")
    sandbox = box(tmp_path)
    net = agent_network.start(config, sandbox, env)
    try:
        assert KEY not in env.values() and PLACEHOLDER_KEY in env.values()
        assert all(env[v] == net.proxy.base_url for v in url_vars)
        assert env[agent_network.MODEL_URL_VAR] == net.proxy.base_url
        assert net.proxy.upstream.base_url == upstream and KEY in str(dict(net.proxy.upstream.headers))
        assert sandbox.network is net and not hasattr(sandbox, "egress"), "enforce is off by default"
    finally:
        net.close()


def test_without_a_boundary_auto_leaves_the_key_where_it_was(tmp_path):
    env = {"ANTHROPIC_API_KEY": KEY}
    net = agent_network.start(parse_repo_config("runner:\n  preset: claude\n"), None, env)
    assert net.proxy is None and env == {"ANTHROPIC_API_KEY": KEY}


def test_codex_gets_a_provider_at_the_proxy_expanded_by_the_shell(tmp_path):
    command = PRESETS["codex"].command("se", AgentSettings(executable="codex", model="gpt-5.5"))
    assert agent_network.runner_command("codex", command, {}) == command, "no proxy: unchanged"
    wrapped = agent_network.runner_command("codex", command, {agent_network.MODEL_URL_VAR: "x"})
    assert wrapped != command and "$WORKORDER_MODEL_URL" in wrapped
    out = subprocess.run(["sh", "-c", "printf '%s\\n' " + wrapped.split(" exec ", 1)[1].split(" --json")[0]],
                         capture_output=True, text=True, env={"WORKORDER_MODEL_URL": "http://127.0.0.1:1/s3cret"}).stdout
    assert out.splitlines() == ["-c", 'model_provider="workorder"', "-c",
                                'model_providers.workorder={name="workorder", base_url="http://127.0.0.1:1/s3cret", '
                                'env_key="CODEX_API_KEY", wire_api="responses"}']


@pytest.mark.parametrize("enforce", ["warn", "refuse"])
def test_where_no_namespace_can_be_made(tmp_path, monkeypatch, enforce):
    monkeypatch.setattr(egress, "availability", lambda sudo=False: "no root here")
    sandbox = box(tmp_path)
    net = agent_network.start(parse_repo_config(f"network:\n  enforce: {enforce}\n"), sandbox, {})
    assert net.jail is None and not hasattr(sandbox, "egress")
    if enforce == "warn":
        assert net.warning == "no root here" and sandbox.refusal is None
    else:
        assert "network.enforce is refuse and no root here" in sandbox.refusal


@pytest.mark.skipif(egress.availability() is not None, reason="no network namespace here")
@pytest.mark.parametrize("proxy", ["auto", "off"])
def test_enforced_the_allow_list_holds_the_config_the_registries_and_the_model_endpoints(tmp_path, proxy):
    """With the proxies the agents reach their models only through them (relayed into the namespace);
    without them, the endpoints are on the allow-list."""
    config = parse_repo_config("runner:\n  preset: claude\nreviewer:\n  preset: codex\n"
                               f"network:\n  enforce: refuse\n  allow: [api.example.com]\n  registries: [pypi]\n"
                               f"  model_proxy: \"{proxy}\"\n")
    sandbox = box(tmp_path)
    reviewer_env = {"OPENAI_API_KEY": "sk-reviewer-" + "r" * 20}
    net = agent_network.start(config, sandbox, {"ANTHROPIC_API_KEY": KEY}, reviewer_env)
    try:
        listed = ["api.example.com", "pypi.org", "files.pythonhosted.org"]
        assert sandbox.egress is net.jail and net.jail.verify == (), "verify commands get no network by default"
        assert oct((tmp_path / "net").stat().st_mode)[-3:] == "700"
        if proxy == "off":
            assert net.allow == [*listed, "api.anthropic.com:443", "api.openai.com:443"]
            assert [p for p, _ in net.jail.agent] == [agent_network.EGRESS_PORT]
            return
        assert net.allow == listed
        assert [p for p, _ in net.jail.agent] == [agent_network.EGRESS_PORT, net.proxy.port, net.reviewer_proxy.port]
        assert reviewer_env["OPENAI_API_KEY"] == PLACEHOLDER_KEY and reviewer_env["CODEX_API_KEY"] == PLACEHOLDER_KEY
        assert net.reviewer_proxy.upstream.base_url == "https://api.openai.com/v1"
        assert net.reviewer_proxy.usage is net.proxy.usage, "one budget for the run"
    finally:
        net.close()
