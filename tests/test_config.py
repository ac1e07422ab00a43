"""The repo config .github/workorder.yml: defaults, and errors that name the key."""

from __future__ import annotations

import pytest

from workorder.contracts.config import CONFIG_PATH, parse_repo_config
from workorder.inputs.problems import InvalidInput


def problems(text: str) -> dict[str, str]:
    with pytest.raises(InvalidInput) as info:
        parse_repo_config(text)
    return {p.field: p.message for p in info.value.problems}


def test_no_file_gives_working_defaults():
    cfg = parse_repo_config(None)
    assert cfg.max_cycles == 2 and cfg.min_permission == "write" and cfg.verify == []
    assert cfg.trigger == "wo:ready" and cfg.protected == [".github/**", CONFIG_PATH]
    assert {"pyproject.toml", "package.json", "go.mod", "Cargo.toml", "package-lock.json"} <= set(cfg.dependency_manifests)
    assert {p.name for p in cfg.placeholder_patterns} >= {"TODO", "FIXME", "XXX", "NotImplementedError", "lorem ipsum"}
    assert parse_repo_config("") == cfg == parse_repo_config("# only a comment\n")


def test_keys_are_read():
    cfg = parse_repo_config(
        "label_prefix: 'po/'\nmax_cycles: 4\nrunner:\n  command: codex exec\n  timeout: 60\n  env: [OPENAI_API_KEY]\n"
        "placeholder_patterns:\n  - {name: HACK, regex: 'HACK'}\n"
    )
    assert cfg.trigger == "po/ready" and cfg.max_cycles == 4
    assert cfg.runner.command == "codex exec" and cfg.runner.env == ["OPENAI_API_KEY"]
    assert [p.name for p in cfg.placeholder_patterns] == ["HACK"]


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("labels: x\n", "labels", "is not a known key"),
        ("runner:\n  timout: 3\n", "runner.timout", "is not a known key"),
        ("max_cycles: 0\n", "max_cycles", "is too small"),
        ("max_cycles: many\n", "max_cycles", "must be a whole number"),
        ("min_permission: god\n", "min_permission", "has a value that is not allowed"),
        ("protected_paths: ['../x']\n", "protected_paths", "'../x' must not contain '..'"),
        ("placeholder_patterns:\n  - {name: bad, regex: '('}\n", "placeholder_patterns[0].regex",
         "'(' is not a valid regular expression (missing ), unterminated subpattern at position 0)"),
        ("runner: 5\n", "runner", "must be a mapping of keys to values"),
    ],
)
def test_bad_keys_and_values_are_named(text, field, message):
    assert problems(text)[field] == message


def test_unknown_key_says_which_keys_exist():
    with pytest.raises(InvalidInput) as info:
        parse_repo_config("runner:\n  comand: x\n")
    [problem] = info.value.problems
    assert "command" in problem.expected and "timeout" in problem.expected


def test_not_yaml_and_not_a_mapping():
    assert problems("a: [1\n")["(file)"].startswith("is not valid YAML")
    assert problems("- 1\n") == {"(file)": "is not a mapping"}
