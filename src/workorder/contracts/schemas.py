"""The JSON Schemas workorder publishes (``schemas/*.schema.json``, ``workorder schema NAME``).

Each is the pydantic model's ``model_json_schema()`` plus ``$schema`` (draft 2020-12, what pydantic
emits) and a ``$id``: the raw URL of the committed file on the ``main`` branch, which an editor reads
from a ``# yaml-language-server: $schema=<$id>`` line (YAML language server, VS Code's YAML extension).
"""

from __future__ import annotations

from typing import Any

SCHEMA_BASE = "https://raw.githubusercontent.com/workorder-dev/workorder/main/schemas"
NAMES = ("work-order", "config", "dod-packet", "verdict")
PUBLISHED = ("config", "work-order")  # committed under schemas/


def schema_id(name: str) -> str:
    """The ``$id`` of schema ``name`` (one of :data:`NAMES`): ``<SCHEMA_BASE>/<name>.schema.json``."""
    return f"{SCHEMA_BASE}/{name}.schema.json"


def schema_of(name: str) -> dict[str, Any]:
    """The JSON Schema of contract ``name`` (one of :data:`NAMES`) with ``$schema`` and ``$id`` first.
    Raises KeyError for another name."""
    from .config import RepoConfig
    from .packet import DoDPacket, Verdict
    from .workorder import WorkOrder

    models = {"work-order": WorkOrder, "config": RepoConfig, "dod-packet": DoDPacket, "verdict": Verdict}
    body = models[name].model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": schema_id(name), **body}
