"""The model proxy (workorder.shell.model_proxy): the agent holds a placeholder, the proxy adds the key.

Against the local stand-ins of the three APIs the presets use (tests/agents/standins): the stand-in
sees the real key and never the placeholder, the proxy's own count equals what the stand-in billed
(streamed and not), a request without this run's secret path is refused before it reaches the
model, and once the run's budget is spent the proxy refuses further requests itself.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from agents.standins.anthropic import AnthropicStandIn, Turn
from agents.standins.base import Reply, StandIn
from agents.standins.openai_chat import ChatScript
from agents.standins.openai_chat import Turn as ChatTurn
from agents.standins.openai_responses import ResponsesStandIn, Step, Usage, message

from workorder.shell.model_proxy import PLACEHOLDER_KEY, ModelProxy, Upstream, UsageMeter

KEY = "sk-real-" + "r" * 40


def post(url: str, body: dict, headers: dict[str, str]) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"content-type": "application/json", **headers})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


ASK = {"model": "claude-stand-in", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
def test_anthropic_messages_through_the_proxy(stream):
    with AnthropicStandIn(lambda c: Turn(text="hello", tokens_in=1234, tokens_out=56)) as api, \
            ModelProxy(Upstream.for_api("anthropic", api.url, KEY)) as proxy:
        status, body = post(f"{proxy.base_url}/v1/messages?beta=true", {**ASK, "stream": stream},
                            {"x-api-key": PLACEHOLDER_KEY, "anthropic-version": "2023-06-01"})
        assert status == 200, body
        assert (b"message_stop" in body) == stream
        [seen] = api.requests
        assert seen.headers["x-api-key"] == KEY and PLACEHOLDER_KEY not in json.dumps(seen.headers)
        assert seen.path == "/v1/messages?beta=true"
        assert (proxy.usage.tokens_in, proxy.usage.tokens_out) == (1234, 56) == (api.billed.tokens_in,
                                                                                  api.billed.tokens_out)


def test_openai_responses_streamed_through_the_proxy():
    steps = [Step(items=(message("done"),), usage=Usage(700, 30)), Step(items=(message("again"),), usage=Usage(800, 40))]
    with ResponsesStandIn(steps) as api, ModelProxy(Upstream.for_api("openai", api.url, KEY)) as proxy:
        for _ in steps:
            status, body = post(f"{proxy.base_url}/responses", {"model": "gpt-x", "stream": True, "input": "hi"},
                                {"authorization": f"Bearer {PLACEHOLDER_KEY}"})
            assert status == 200 and b"response.completed" in body
        assert {r.headers["authorization"] for r in api.requests} == {f"Bearer {KEY}"}
        assert (proxy.usage.tokens_in, proxy.usage.tokens_out) == (1500, 70) == (api.billed.input_tokens,
                                                                                  api.billed.output_tokens)


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
def test_chat_completions_through_the_proxy_with_prices(stream):
    script = ChatScript([ChatTurn(content="ok", tokens_in=1_000_000, tokens_out=100_000)], model="gpt-4o-mini-2024")
    with StandIn(script) as api, ModelProxy(Upstream.for_api("openai", api.url + "/v1", KEY),
                                            prices={"gpt-4o": (2.5, 10.0), "gpt-4o-mini": (0.15, 0.6)}) as proxy:
        status, body = post(f"{proxy.base_url}/chat/completions",
                            {"model": "gpt-4o-mini", "stream": stream, "messages": [{"role": "user", "content": "x"}]},
                            {"authorization": f"Bearer {PLACEHOLDER_KEY}"})
        assert status == 200, body
        assert script.chat_requests[0].headers["authorization"] == f"Bearer {KEY}"
        assert (proxy.usage.tokens_in, proxy.usage.tokens_out) == script.billed
        assert proxy.usage.cost_usd == pytest.approx(0.15 + 0.06), "the longest matching price prefix"


def test_a_request_without_this_runs_secret_never_reaches_the_model():
    with AnthropicStandIn(lambda c: Turn(text="hi")) as api, \
            ModelProxy(Upstream.for_api("anthropic", api.url, KEY)) as mine, \
            ModelProxy(Upstream.for_api("anthropic", api.url, KEY)) as other:
        port = mine.base_url.split("/")[2]
        for url in (f"http://{port}/v1/messages", f"{other.base_url}/v1/messages".replace(other.base_url.split("/")[2], port),
                    f"http://{port}/{mine.secret}x/v1/messages"):
            status, body = post(url, ASK, {"x-api-key": PLACEHOLDER_KEY})
            assert status == 403 and b"not the proxy of this run" in body, url
        assert api.requests == []
        status, _ = post(f"{mine.base_url}/v1/messages", ASK, {"x-api-key": PLACEHOLDER_KEY})
        assert status == 200 and len(api.requests) == 1, "the control: with the secret it goes through"


def test_the_proxy_holds_the_token_budget_itself():
    with AnthropicStandIn(lambda c: Turn(text="hi", tokens_in=600, tokens_out=50)) as api, \
            ModelProxy(Upstream.for_api("anthropic", api.url, KEY), max_tokens=1000) as proxy:
        codes = [post(f"{proxy.base_url}/v1/messages", ASK, {"x-api-key": "x"})[0] for _ in range(2)]
        status, body = post(f"{proxy.base_url}/v1/messages", ASK, {"x-api-key": "x"})
        assert codes == [200, 200] and status == 403
        error = json.loads(body)
        assert error["type"] == "error" and error["error"]["type"] == "budget_exceeded"
        assert "token budget is spent (1300 of 1000 tokens)" in error["error"]["message"]
        assert api.billed.calls == 2 and proxy.usage.refused == 1


def test_the_cost_budget_and_an_unreachable_upstream():
    with StandIn(lambda rec: Reply(body={"model": "m1", "usage": {"prompt_tokens": 10, "completion_tokens": 10}})) as api, \
            ModelProxy(Upstream.for_api("openai", api.url, KEY), max_cost_usd=0.01, prices={"m1": (1000.0, 0.0)}) as p:
        assert post(f"{p.base_url}/chat/completions", {}, {})[0] == 200
        status, body = post(f"{p.base_url}/chat/completions", {}, {})
        assert status == 403 and b"cost budget is spent ($0.0100 of $0.01)" in body
    with ModelProxy(Upstream.for_api("openai", "http://127.0.0.1:9", KEY)) as p:
        status, body = post(f"{p.base_url}/chat/completions", {}, {})
        assert status == 502 and b"could not be reached" in body and KEY.encode() not in body


def test_usage_meter_reads_split_sse_and_takes_cumulative_maxima():
    meter = UsageMeter()
    stream = (b'event: message_start\ndata: {"type":"message_start","message":{"model":"c","usage":{"input_tokens":9,'
              b'"output_tokens":1}}}\n\nevent: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":7}}\n\n'
              b'data: [DONE]\n\n')
    for i in range(0, len(stream), 5):
        meter.feed_sse(stream[i:i + 5])
    assert (meter.model, meter.tokens_in, meter.tokens_out) == ("c", 9, 7)


def test_upstream_is_validated():
    with pytest.raises(ValueError, match="not an http"):
        Upstream.for_api("openai", "file:///etc/passwd", KEY)
    with pytest.raises(ValueError, match="unknown model API"):
        Upstream.for_api("gemini", "https://x", KEY)
