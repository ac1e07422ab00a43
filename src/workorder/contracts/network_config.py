"""Config ``network``: the agent's egress allow-list and its model proxy (issue 18, the workshop).

```yaml
network:
  enforce: refuse          # off (default) | warn | refuse
  allow: [api.example.com, "*.internal.example:8443"]
  registries: [pypi, npm]
  verify: none             # none (default): verify commands get no network | allow-list
  model_proxy: auto        # auto (default): on behind the credential boundary | on | off
  model_upstream: https://gateway.example/v1
  prices: {claude-sonnet: {input: 3.0, output: 15.0}}
```

``enforce``: ``off`` runs the agent with the machine's network; ``warn`` and ``refuse`` run it in its
own network namespace whose only way out is the action's filtering proxy (:mod:`workorder.shell.egress`)
and, where that cannot be made (no root, no user namespaces), ``warn`` runs it open with a warning
and ``refuse`` does not start it.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

REGISTRY_HOSTS: dict[str, tuple[str, ...]] = {
    "pypi": ("pypi.org", "files.pythonhosted.org"),
    "npm": ("registry.npmjs.org",),
    "crates": ("crates.io", "index.crates.io", "static.crates.io"),
    "go": ("proxy.golang.org", "sum.golang.org"),
    "rubygems": ("rubygems.org", "index.rubygems.org"),
    "maven": ("repo.maven.apache.org", "repo1.maven.org"),
    "nuget": ("api.nuget.org",),
}
"""The hosts of each package registry ``network.registries`` may name (HTTPS, port 443)."""
_HOST = re.compile(r"^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*"
                   r"(:\d{1,5})?$")


class ModelPrice(BaseModel):
    """US dollars per million tokens, ``input`` and ``output``."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0, le=10_000)
    output: float = Field(ge=0, le=10_000)


class NetworkConfig(BaseModel):
    """What the agent may reach, and how its model key stays with the action."""

    model_config = ConfigDict(extra="forbid")

    enforce: Literal["off", "warn", "refuse"] = Field(
        default="off", description="egress allow-list for the agent: off, warn (enforce where possible, else run "
        "with a warning), refuse (enforce, or do not start the agent)")
    allow: list[str] = Field(default_factory=list, max_length=200,
                             description="hosts the agent may reach: host, host:port, *.domain (default port 443)")
    registries: list[Literal[tuple(REGISTRY_HOSTS)]] = Field(  # type: ignore[valid-type]
        default_factory=list, description="package registries the agent may reach: " + ", ".join(REGISTRY_HOSTS))
    verify: Literal["none", "allow-list"] = Field(
        default="none", description="network of the verify commands when enforced: none or the allow-list")
    model_proxy: Literal["auto", "on", "off"] = Field(
        default="auto", description="the agent calls its model through a local proxy that holds the key: auto "
        "(behind the credential boundary), on, off")
    model_upstream: str | None = Field(
        default=None, pattern=r"^https?://[^\s/]+(/\S*)?$",
        description="the model API's base URL the proxy forwards to (default: the preset's, or the base URL "
        "variable the runner is given)")
    prices: dict[str, ModelPrice] = Field(
        default_factory=dict, description="model name prefix: {input, output} US dollars per million tokens, for "
        "the proxy's cost count")

    @field_validator("allow")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        for entry in value:
            if not _HOST.match(entry) or int((entry.rsplit(":", 1) + ["443"])[1] if ":" in entry else 443) > 65535:
                raise ValueError(f"{entry!r} is not a host, host:port or *.domain")
        return [v.lower() for v in value]

    def hosts(self, model_host: str | None = None) -> list[str]:
        """Every allowed ``host[:port]`` pattern: ``allow``, the registries' hosts, and ``model_host``."""
        found = [*self.allow, *(h for r in self.registries for h in REGISTRY_HOSTS[r])]
        return [*found, model_host] if model_host else found
