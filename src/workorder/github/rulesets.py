"""Repository rulesets on GitHub (docs.github.com/en/rest/repos/rules): what ``workorder init
--require-verdict`` reads and creates. Both need a token with the repository's administration
permission (a fine-grained token's "Administration: write", or an admin's classic token)."""

from __future__ import annotations

from typing import Any

from .client import GitHubClient


class GitHubRulesets(GitHubClient):
    """The ruleset methods of :class:`workorder.github.forge.GitHubForge`; each raises ForgeError."""

    def list_ruleset_names(self) -> list[str]:
        """Names of the repository's own rulesets (``GET /repos/{owner}/{repo}/rulesets``, every page;
        rulesets inherited from the organisation are not included)."""
        url = f"/repos/{self.repository}/rulesets"
        return self._call("listing rulesets", lambda: [str(r.get("name", "")) for r in self._pages(url, {})])

    def create_ruleset(self, ruleset: dict[str, Any]) -> None:
        """Create a repository ruleset from ``ruleset`` (the request body of
        ``POST /repos/{owner}/{repo}/rulesets``: name, target, enforcement, conditions, rules)."""
        url = f"/repos/{self.repository}/rulesets"
        name = str(ruleset.get("name"))

        def created_before() -> bool | None:  # after a 5xx GitHub may have created it: never twice
            return True if name in [str(r.get("name", "")) for r in self._pages(url, {})] else None

        self._call(f"creating ruleset {name}",
                   lambda: self._gh.requester.requestJsonAndCheck("POST", url, input=ruleset), created_before)
