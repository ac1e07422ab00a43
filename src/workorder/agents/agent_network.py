"""One run's agent network: the model proxy that holds the key and the egress allow-list (issue 18).

:func:`start` is called once per run by whoever builds the loop's dependencies, with the sandbox (the
credential boundary) and the SE runner's environment. It

- starts the :class:`workorder.shell.model_proxy.ModelProxy` for the runner's agent preset when config
  ``network.model_proxy`` is ``on``, or ``auto`` behind the boundary: the key variables in the
  runner's environment become :data:`~workorder.shell.model_proxy.PLACEHOLDER_KEY` and the base URL the CLI
  reads points at the proxy (``ANTHROPIC_BASE_URL`` for claude, ``OPENAI_API_BASE``/``OPENAI_BASE_URL``
  for aider, a ``-c model_providers.workorder`` provider for codex: :func:`runner_command`); the
  LLM reviewer's agent gets a proxy of its own the same way, counting against the same budget;
- when ``network.enforce`` is ``warn`` or ``refuse``, starts the :class:`workorder.shell.egress.EgressProxy`
  and gives the sandbox a :class:`workorder.shell.egress.Jail` (``sandbox.egress``), so every phase's
  command runs in a network namespace of its own; where that cannot be made, ``warn`` leaves the
  network open (:attr:`RunNetwork.warning`) and ``refuse`` makes the sandbox refuse to start anything.

The sandbox carries what the phases need (``sandbox.egress``, ``sandbox.network``); the action's
proxies are threads of the action's process and stop with :meth:`RunNetwork.close`.
"""

from __future__ import annotations

import atexit
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..shell.model_proxy import PLACEHOLDER_KEY, ModelProxy, Upstream
from ..presets import PRESETS, key_source
from ..presets.base import Usage

API_OF = {"claude": "anthropic", "codex": "openai", "aider": "openai"}
"""The model API family each agent preset speaks through the proxy."""
DEFAULT_UPSTREAM = {"anthropic": "https://api.anthropic.com", "openai": "https://api.openai.com/v1"}
KEY_VARS = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}
"""Where the key is when neither the config (``api_key_env``) nor the preset names a variable (aider)."""
BASE_URL_VARS = {"claude": ("ANTHROPIC_BASE_URL",), "aider": ("OPENAI_API_BASE", "OPENAI_BASE_URL"), "codex": ()}
"""The variables each CLI reads its API base URL from (codex 0.169 reads none: see :func:`runner_command`)."""
MODEL_URL_VAR = "WORKORDER_MODEL_URL"
_CODEX_PROVIDER = ('-c \'model_provider="workorder"\' -c "model_providers.workorder={name=\\"workorder\\", '
                   'base_url=\\"$' + MODEL_URL_VAR + '\\", env_key=\\"CODEX_API_KEY\\", wire_api=\\"responses\\"}"')


@dataclass
class RunNetwork:
    """What :func:`start` set up: the ``proxy`` (None: off), the egress ``egress_proxy`` and ``jail``
    (None: the network is open), ``warning`` (why the allow-list is not enforced though configured),
    ``allow`` (the hosts the agent may reach)."""

    proxy: ModelProxy | None = None
    reviewer_proxy: ModelProxy | None = None
    egress_proxy: Any = None
    jail: Any = None
    warning: str | None = None
    allow: list[str] = field(default_factory=list)

    def close(self) -> None:
        """Stop the proxies. Safe to call twice."""
        for server in (self.proxy, self.reviewer_proxy, self.egress_proxy):
            if server is not None:
                server.close()

    def usage_since(self, before: tuple[int, int, float, int, int]) -> Usage | None:
        """The proxy's count since ``before`` (a :meth:`snapshot`), or None without a proxy."""
        if self.proxy is None:
            return None
        now = self.snapshot()
        return Usage(tokens_in=now[0] - before[0], tokens_out=now[1] - before[1],
                     cost_usd=round(now[2] - before[2], 6), turns=now[3] - before[3])

    def snapshot(self) -> tuple[int, int, float, int, int]:
        """(tokens in, tokens out, cost, calls, refused) the proxy counted so far; zeros without a proxy."""
        u = self.proxy.usage if self.proxy else None
        return (u.tokens_in, u.tokens_out, u.cost_usd, u.calls, u.refused) if u else (0, 0, 0.0, 0, 0)

    def settle(self, before: tuple[int, int, float, int, int], outcome):
        """The SE runner's ``outcome`` (a :class:`workorder.runner.RunnerOutcome`) with the proxy's own
        count since ``before`` as its usage (the agent's reported cost kept when no model was priced),
        and, when the proxy refused a request over the run's budget during the phase, a ``budget``
        failure with the proxy's words. Unchanged without a proxy."""
        counted = self.usage_since(before)
        if counted is None:
            return outcome
        if not counted.cost_usd:
            counted = counted.model_copy(update={"cost_usd": outcome.usage.cost_usd})
        outcome = replace(outcome, usage=counted)
        if self.snapshot()[4] > before[4] and outcome.failure != "budget":
            outcome = replace(outcome, failure="budget", detail=self.proxy.over_budget() or outcome.detail)
        return outcome


def upstream_url(preset: str, config, env: dict[str, str], role: str = "se") -> str:
    """The real API base URL: ``network.model_upstream`` (the SE runner's; the reviewer's too when it
    is the same preset), else the base URL variable the agent is given (``runner.env``,
    ``reviewer.env``), else the API's public one."""
    if config.network.model_upstream and (role == "se" or preset == config.runner.preset):
        return config.network.model_upstream
    for name in BASE_URL_VARS.get(preset, ()):
        if env.get(name):
            return env[name]
    return DEFAULT_UPSTREAM[API_OF[preset]]


def wants_proxy(config, sandbox, role: str = "se") -> bool:
    """Whether the run's SE runner (``role`` se) or LLM reviewer (review) calls its model through the
    proxy (``network.model_proxy``)."""
    mode = config.network.model_proxy
    preset = config.runner.preset if role == "se" else config.reviewer.preset
    return preset in API_OF and (mode == "on" or (mode == "auto" and sandbox is not None))


def _serve(config, role: str, env: dict[str, str], shared: ModelProxy | None) -> ModelProxy:
    """Start the model proxy of ``role`` (se, review) and point ``env`` (rewritten in place) at it."""
    cfg = config.runner if role == "se" else config.reviewer
    preset = cfg.preset
    source = key_source(preset, cfg.api_key_env) or KEY_VARS[API_OF[preset]]
    upstream = Upstream.for_api(API_OF[preset], upstream_url(preset, config, env, role), env.get(source, ""))
    prices = {m: (p.input, p.output) for m, p in config.network.prices.items()}
    proxy = ModelProxy(upstream, max_tokens=config.budgets.max_tokens, max_cost_usd=config.budgets.max_cost_usd,
                       prices=prices, shared=shared).start()
    for name in {*PRESETS[preset].key_targets, source}:
        env[name] = PLACEHOLDER_KEY
    for name in BASE_URL_VARS[preset]:
        env[name] = proxy.base_url
    env[MODEL_URL_VAR] = proxy.base_url
    return proxy


def start(config, sandbox, runner_env: dict[str, str], reviewer_env: dict[str, str] | None = None) -> RunNetwork:
    """Set up the run's agent network (see the module docstring); rewrites ``runner_env`` in place.
    ``reviewer_env`` (the LLM reviewer's, rewritten too) gets a proxy of its own that counts against the
    same budget. Returns the :class:`RunNetwork` (also ``sandbox.network``), closed when the process exits. Raises
    ValueError when the model upstream is not an http(s) URL."""
    net = RunNetwork()
    reviewer_env = reviewer_env if reviewer_env is not None else {}
    if wants_proxy(config, sandbox):
        net.proxy = _serve(config, "se", runner_env, None)
    if wants_proxy(config, sandbox, "review"):
        net.reviewer_proxy = _serve(config, "review", reviewer_env, net.proxy)
    if config.network.enforce != "off" and sandbox is not None:
        _enforce(net, config, sandbox, runner_env, reviewer_env)
    if sandbox is not None:
        sandbox.network = net
    atexit.register(net.close)
    return net


def _model_host(preset: str, config, env: dict[str, str], role: str = "se") -> str:
    """``host:port`` of the model endpoint of ``preset`` with environment ``env``."""
    url = urlsplit(upstream_url(preset, config, env, role))
    return f"{url.hostname}:{url.port or (443 if url.scheme == 'https' else 80)}"


def _enforce(net: RunNetwork, config, sandbox, runner_env: dict[str, str], reviewer_env: dict[str, str]) -> None:
    """Start the egress proxy and give the sandbox its jail, or record why not (warn / refuse)."""
    from ..shell.egress import EgressProxy, Jail, availability

    reason = availability(sudo=sandbox.privilege == "sudo")
    if reason is not None:
        if config.network.enforce == "refuse":
            sandbox.refusal = f"network.enforce is refuse and {reason}; set network.enforce: warn to run with an open network"
        else:
            net.warning = reason
        return
    model_hosts = []
    if net.proxy is None and config.runner.preset in API_OF:
        model_hosts.append(_model_host(config.runner.preset, config, runner_env))
    if net.reviewer_proxy is None and config.reviewer.preset in API_OF:
        model_hosts.append(_model_host(config.reviewer.preset, config, reviewer_env, "review"))
    net.allow = [*config.network.hosts(), *model_hosts]
    folder = Path(sandbox.root) / "net"
    folder.mkdir(mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    net.egress_proxy = EgressProxy(folder / "egress.sock", net.allow).__enter__()
    agent_relays: list[tuple[int, str]] = [(EGRESS_PORT, str(net.egress_proxy.path))]
    for name, proxy in (("model.sock", net.proxy), ("review-model.sock", net.reviewer_proxy)):
        if proxy is not None:
            proxy.serve_unix(folder / name)
            agent_relays.append((proxy.port, str(folder / name)))
    verify = tuple(agent_relays[:1]) if config.network.verify == "allow-list" else ()
    net.jail = Jail(folder, agent=tuple(agent_relays), verify=verify, proxy_port=EGRESS_PORT)
    sandbox.egress = net.jail


EGRESS_PORT = 3128
"""The port of the egress proxy inside the agent's network namespace."""


def runner_command(preset: str, command: str, env: dict[str, str]) -> str:
    """The runner's command line with what the proxy needs: for codex, a model provider whose base URL
    is ``$WORKORDER_MODEL_URL`` (expanded by the shell, never on the action's argv); other presets and
    runs without the proxy are unchanged."""
    if preset != "codex" or MODEL_URL_VAR not in env or " exec " not in command:
        return command
    return command.replace(" exec ", f" exec {_CODEX_PROVIDER} ", 1)


__all__ = ["API_OF", "EGRESS_PORT", "MODEL_URL_VAR", "RunNetwork", "runner_command", "start", "upstream_url",
           "wants_proxy"]
