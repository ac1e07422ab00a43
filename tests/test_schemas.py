"""The published JSON Schemas (schemas/*.schema.json) are the models' schemas, with an ``$id`` an
editor can point at. After a model change, regenerate them:
``workorder schema config > schemas/config.schema.json`` (and ``work-order``)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml

from workorder.cli import main
from workorder.contracts.schemas import NAMES, PUBLISHED, schema_id, schema_of

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize("name", PUBLISHED)
def test_committed_schema_equals_the_model(name):
    committed = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))
    assert committed == schema_of(name), f"regenerate: workorder schema {name} > schemas/{name}.schema.json"


@pytest.mark.parametrize("name", NAMES)
def test_schema_command_prints_the_id(name):
    out = io.StringIO()
    assert main(["schema", name], environ={}, out=out) == 0
    schema = json.loads(out.getvalue())
    assert schema["$id"] == schema_id(name) and schema["$id"].endswith(f"/schemas/{name}.schema.json")
    assert schema["$schema"].startswith("https://json-schema.org/")


def test_the_example_config_is_valid_against_the_published_schema():
    import jsonschema
    schema = json.loads((ROOT / "schemas" / "config.schema.json").read_text(encoding="utf-8"))
    example = yaml.safe_load((ROOT / "examples" / "workorder.yml").read_text(encoding="utf-8"))
    jsonschema.validate(example, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**example, "max_cycle": 2}, schema)


def test_the_action_page_shows_the_editor_line():
    assert f"# yaml-language-server: $schema={schema_id('config')}" in (ROOT / "docs" / "action.md").read_text()
