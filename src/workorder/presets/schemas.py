"""Strict JSON Schemas (every property required, no others) for agents that enforce structured output
(``codex exec --output-schema``): the DoD packet and the PO verdict."""

# Strict JSON Schemas (every property required, no others) for agents that enforce structured output.
_NULLABLE_STR = {"type": ["string", "null"]}
DOD_OUTPUT_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["status", "summary", "files_changed", "commands_run", "tests_run", "assumptions", "limitations", "question",
                 "evidence"],
    "properties": {
        "status": {"type": "string", "enum": ["done", "blocked", "question"]},
        "summary": {"type": "string"},
        "files_changed": {"type": "array", "items": {"type": "string"}},
        "commands_run": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["cmd", "exit_code"],
            "properties": {"cmd": {"type": "string"}, "exit_code": {"type": "integer"}}}},
        "tests_run": {"type": "array", "items": {"type": "string"}},
        "assumptions": {"type": "array", "items": {"type": "string"}},
        "limitations": {"type": "array", "items": {"type": "string"}},
        "question": {"anyOf": [{"type": "null"}, {
            "type": "object", "additionalProperties": False,
            "required": ["question", "context", "options", "recommended"],
            "properties": {"question": {"type": "string"}, "context": _NULLABLE_STR,
                           "options": {"type": "array", "items": {"type": "string"}}, "recommended": _NULLABLE_STR}}]},
        "evidence": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["criterion", "kind", "ref"],
            "properties": {"criterion": {"type": "string"}, "kind": {"type": "string", "enum": ["test", "command", "path"]},
                           "ref": {"type": "string"}}}},
    },
}
VERDICT_OUTPUT_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["verdict", "findings", "corrective_prompt"],
    "properties": {
        "verdict": {"type": "string", "enum": ["PASS", "FAIL"]},
        "findings": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["severity", "rule", "message", "path", "line", "evidence"],
            "properties": {"severity": {"type": "string", "enum": ["BLOCKER", "MAJOR", "MINOR"]},
                           "rule": {"type": "string"}, "message": {"type": "string"}, "path": _NULLABLE_STR,
                           "line": {"type": ["integer", "null"]}, "evidence": _NULLABLE_STR}}},
        "corrective_prompt": _NULLABLE_STR,
    },
}
