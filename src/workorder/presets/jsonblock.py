"""Find the JSON object an agent handed back inside its final message."""

from __future__ import annotations

import json
import re

_FENCED = re.compile(r"```(?:json|JSON)?[ \t]*\n(.*?)\n[ \t]*```", re.DOTALL)


def extract_json_object(message: str | None, required_key: str) -> str | None:
    """The JSON text of the last object in ``message`` that has ``required_key``: the whole message
    if it is such an object, else the last fenced block that is. None when there is none."""
    if not message:
        return None
    candidates = [message.strip(), *reversed(_FENCED.findall(message))]
    for text in candidates:
        try:
            data = json.loads(text)
        except ValueError:
            continue
        if isinstance(data, dict) and required_key in data:
            return json.dumps(data)
    return None
