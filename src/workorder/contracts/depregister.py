"""The dependency register: the packages a repository allows, read from the default branch.

Format (YAML, at the path of the config's ``dependency_register``, e.g. ``.github/workorder-deps.yml``)::

    packages:
      - name: requests          # PyPI names compare normalised (PEP 503)
        ecosystem: pypi         # pypi, npm, go or cargo
        version: ">=2.31,<3"    # a PEP 440 specifier set; "*" (the default) allows any version
        approved_by: alice
        approved_on: 2026-11-02
        expires: 2026-12-31     # optional: a waiver, refused after this day
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..inputs.bounded import InputLimitExceeded
from ..inputs.problems import InvalidInput, Problem, problems_from_validation_error
from ..inputs.yamlload import safe_load

__all__ = ["DependencyRegister", "RegisterEntry", "parse_register"]


class RegisterEntry(BaseModel):
    """One allowed package: name, ecosystem, version range, who approved it and when; ``expires`` makes it a
    waiver that is refused after that day."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=214)
    ecosystem: Literal["pypi", "npm", "go", "cargo"]
    version: str = Field(default="*", max_length=200)
    approved_by: str = Field(min_length=1, max_length=100)
    approved_on: date
    expires: date | None = None

    def key(self) -> tuple[str, str]:
        """(ecosystem, name) as compared with a manifest's package (PyPI names normalised)."""
        return self.ecosystem, normalise_name(self.ecosystem, self.name)


class DependencyRegister(BaseModel):
    """The register file: its ``packages``."""

    model_config = ConfigDict(extra="forbid")

    packages: list[RegisterEntry] = Field(default_factory=list, max_length=5000)

    def find(self, ecosystem: str, name: str) -> list[RegisterEntry]:
        """The entries for ``name`` in ``ecosystem`` (several may give different ranges)."""
        key = (ecosystem, normalise_name(ecosystem, name))
        return [e for e in self.packages if e.key() == key]


def normalise_name(ecosystem: str, name: str) -> str:
    """PyPI names per PEP 503 (lower case, runs of ``-_.`` as ``-``); others as they are."""
    return re.sub(r"[-_.]+", "-", name).lower() if ecosystem == "pypi" else name


def parse_register(text: str | None, source: str) -> DependencyRegister:
    """Parse the register's YAML ``text`` read from ``source``; None (no file) or empty text is an empty register.

    Raises :class:`InvalidInput` naming each bad entry field and what is expected."""
    if text is None or not text.strip():
        return DependencyRegister()
    try:
        data = safe_load(text, source)
    except InputLimitExceeded as exc:
        raise InvalidInput(source, exc.problems) from None
    except yaml.YAMLError as exc:
        raise InvalidInput(source, [Problem(field="(file)", message=f"not valid YAML: {exc}")]) from None
    if not isinstance(data, dict):
        raise InvalidInput(source, [Problem(field="(file)", message="must be a mapping",
                                            expected="packages: [{name, ecosystem, version, approved_by, approved_on}]")])
    try:
        return DependencyRegister.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(source, problems_from_validation_error(exc, DependencyRegister)) from None
