"""The JSON file behind :class:`workorder.local.forge.LocalForge`: load it, save it, find an issue in it.

Layout of ``<dir>/forge.json``: ``labels`` {name: {color, description}}, ``issues`` {number: {title,
body, labels, author, state, comments: [{id, author, body}]}}, ``pulls`` {number: {head, base, title,
body, draft, reviews: [{commit_id, event, body, comments}]}}, ``statuses`` {sha: [{state, context,
description, target_url}]}, ``next_id``, ``next_number``. Issues and pull requests share one numbering,
as on GitHub.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..contracts.forge import ForgeError


class LocalStore:
    """The base of the local forge's parts: ``path`` (``<directory>/forge.json``) and ``bot_login``
    (the author of what the forge posts), both set by :class:`workorder.local.forge.LocalForge`."""

    path: Path
    bot_login: str

    def _load(self) -> dict[str, Any]:
        """The whole stored state (a fresh dict each time)."""
        return json.loads(self.path.read_text(encoding="utf-8"))

    def _save(self, data: dict[str, Any]) -> None:
        """Write ``data`` as the whole stored state (indented, keys sorted)."""
        self.path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    def _issue(self, data: dict[str, Any], number: int) -> dict[str, Any]:
        """The issue or pull request ``number`` in ``data`` (to change in place); raises ForgeError (404)."""
        issue = data["issues"].get(str(number)) or data["pulls"].get(str(number))
        if issue is None:
            raise ForgeError(f"issue #{number} not found", status=404)
        return issue

    def read(self) -> dict[str, Any]:
        """The whole stored state (for the demo's report and tests)."""
        return self._load()
