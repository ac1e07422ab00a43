""":class:`workorder.cli.doctor.RepoProbe` over GitHub's REST API (docs.github.com/en/rest), with requests.

Endpoints: ``GET /repos/{repo}/labels``, ``GET /repos/{repo}/branches/{branch}/protection/
required_status_checks`` (404: no protection), ``GET /repos/{repo}/rules/branches/{branch}`` (rulesets
in force; ``required_status_checks`` rules), ``GET /repos/{repo}/actions/secrets`` and
``/actions/organization-secrets`` (names only; needs admin or the secrets permission),
``GET /repos/{repo}`` (``permissions.push`` for a user's token). A 401/403/404 where a
permission is missing answers None: doctor shows the check as skipped, never as passed.
"""

from __future__ import annotations

from typing import Any

import requests

TIMEOUT_S = 20


class RestProbe:
    """Asks ``api_url`` (``https://api.github.com`` or GHES ``…/api/v3``) about ``repository`` (OWNER/NAME)."""

    def __init__(self, token: str, repository: str, api_url: str = "https://api.github.com"):
        self._base = f"{api_url.rstrip('/')}/repos/{repository}"
        self._session = requests.Session()
        self._session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                                      "X-GitHub-Api-Version": "2022-11-28"})

    def _get(self, path: str, **params: Any) -> tuple[int, Any]:
        response = self._session.get(self._base + path, params=params or None, timeout=TIMEOUT_S)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None

    def _pages(self, path: str, key: str | None = None) -> list[Any] | None:
        found: list[Any] = []
        for page in range(1, 11):
            status, body = self._get(path, per_page=100, page=page)
            if status != 200:
                return None
            items = body.get(key, []) if key else body
            found += items
            if len(items) < 100:
                break
        return found

    def label_names(self) -> list[str] | None:
        """Every label name of the repository, or None."""
        labels = self._pages("/labels")
        return None if labels is None else [label["name"] for label in labels]

    def required_status_checks(self, branch: str) -> list[str] | None:
        """Status contexts required on ``branch`` by branch protection and rulesets; None if neither
        could be read."""
        contexts: list[str] = []
        status, body = self._get(f"/branches/{branch}/protection/required_status_checks")
        readable = status in (200, 404)
        if status == 200:
            contexts += body.get("contexts") or [c["context"] for c in body.get("checks") or []]
        status, rules = self._get(f"/rules/branches/{branch}")
        if status == 200:
            readable = True
            for rule in rules:
                if rule.get("type") == "required_status_checks":
                    contexts += [c["context"] for c in (rule.get("parameters") or {}).get("required_status_checks", [])]
        return sorted(set(contexts)) if readable else None

    def secret_names(self) -> list[str] | None:
        """Names of the repository's and its organisation's Actions secrets available to it, or None."""
        own = self._pages("/actions/secrets", "secrets")
        if own is None:
            return None
        shared = self._pages("/actions/organization-secrets", "secrets") or []
        return sorted({s["name"] for s in own + shared})

    def can_push(self) -> bool | None:
        """``permissions.push`` of the repository for this token, or None when GitHub does not say."""
        status, body = self._get("")
        if status != 200 or not isinstance(body.get("permissions"), dict):
            return None
        return bool(body["permissions"].get("push"))
