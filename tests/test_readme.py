"""The README and the docs/ pages stay true: the Quickstart has exactly two commands, the README fits on a first
screen and links every docs page, relative links resolve, the state diagram is the transition table, and the
config reference lists every key."""

from __future__ import annotations

import re
from pathlib import Path

from workorder.loop.state import TRANSITIONS

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
DOCS = ROOT / "docs"


def test_quickstart_has_exactly_two_commands_and_ci_runs_the_test_one():
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", quickstart, re.DOTALL)
    assert commands == ["pip install . && workorder demo", "pip install -e '.[test]' && python -m pytest"]
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    assert commands[1] in ci


def test_state_diagram_shows_every_transition_of_the_table():
    states = (DOCS / "states.md").read_text()
    diagram = states.split("```mermaid", 1)[1].split("```", 1)[0]
    shown = set(re.findall(r"^\s+(\w+) --> (\w+)", diagram, re.MULTILINE))
    table = {(a.value.replace("-", "_"), b.value.replace("-", "_"))
             for a, targets in TRANSITIONS.items() if a is not None for b in targets if b is not a}
    assert shown - {("[*]", "ready")} == table


def test_config_reference_lists_every_key():
    from pydantic import BaseModel

    from workorder.contracts.config import RepoConfig

    reference = (DOCS / "config.md").read_text()

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


def test_the_readme_is_under_1500_words():
    words = len(README.split())
    assert words < 1500, f"README.md has {words} words; move reference text to a docs/ page"


def test_the_readme_links_every_docs_page():
    pages = sorted(p.name for p in DOCS.glob("*.md"))
    assert pages, "docs/ has no pages"
    missing = [name for name in pages if f"](docs/{name})" not in README and f"](docs/{name}#" not in README]
    assert not missing, f"README.md does not link {missing}"


def _relative_links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.DOTALL)  # links in code are not links
    return [t for t in re.findall(r"\]\(([^)\s]+)\)", text) if not re.match(r"[a-z][a-z0-9+.-]*:", t)]


def _anchors(path: Path) -> set[str]:
    """GitHub's heading ids of a Markdown file: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.DOTALL)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in re.findall(r"^#+ (.*)$", text, re.M)}


def test_relative_links_in_readme_docs_and_contributing_resolve():
    files = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted(DOCS.glob("*.md"))]
    broken = []
    for md in files:
        for link in _relative_links(md):
            target, _, anchor = link.partition("#")
            dest = (md.parent / target).resolve() if target else md
            if not dest.exists():
                broken.append(f"{md.relative_to(ROOT)}: {link}")
            elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
                broken.append(f"{md.relative_to(ROOT)}: {link} (no heading #{anchor})")
    assert not broken, broken
