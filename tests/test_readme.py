"""The README stays true: its Quickstart has exactly two commands, and its diagram is the transition table."""

from __future__ import annotations

import re
from pathlib import Path

from workorder.loop.state import TRANSITIONS

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_quickstart_has_exactly_two_commands_and_ci_runs_the_test_one():
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", quickstart, re.DOTALL)
    assert commands == ["pip install . && workorder demo", "pip install -e '.[test]' && python -m pytest"]
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    assert commands[1] in ci


def test_state_diagram_shows_every_transition_of_the_table():
    diagram = README.split("```mermaid", 1)[1].split("```", 1)[0]
    shown = set(re.findall(r"^\s+(\w+) --> (\w+)", diagram, re.MULTILINE))
    table = {(a.value.replace("-", "_"), b.value.replace("-", "_"))
             for a, targets in TRANSITIONS.items() if a is not None for b in targets if b is not a}
    assert shown - {("[*]", "ready")} == table


def test_config_reference_lists_every_key():
    from pydantic import BaseModel

    from workorder.contracts.config import RepoConfig

    reference = README.split("## Config", 1)[1].split("\n## ", 1)[0]

    def keys(model: type[BaseModel], prefix: str = "") -> list[str]:
        found = []
        for name, field in model.model_fields.items():
            annotation = field.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                found += keys(annotation, f"{prefix}{name}.")
            else:
                found.append(prefix + name)
        return found

    missing = [k for k in keys(RepoConfig) if f"`{k}`" not in reference]
    assert not missing, missing
