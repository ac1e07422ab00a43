"""What a vulnerability lookup found for the packages a change adds or re-versions (``dependency_audit``):
the model the gate judges (:class:`DepAudit`), which packages can be audited, and the parser of the tool's output.

pip-audit (https://github.com/pypa/pip-audit, maintained by PyPA) writes with ``--format json`` either
``{"dependencies": [{"name", "version", "vulns": [{"id", "fix_versions", "aliases", "description"}]}], "fixes": []}``
(2.x) or the bare list of dependencies (1.x); a dependency it could not audit has ``skip_reason`` instead of a
version. The run itself lives in :mod:`workorder.loop.dep_audit`, the judgement in :mod:`workorder.gates.dep_audit`.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from ..inputs.bounded import load_json
from ..inputs.problems import InvalidInput, Problem

# Only names and pinned versions of this shape reach the tool's requirements file: a requirements line can
# also carry options (--index-url, -r FILE), so anything else in a manifest is never written there.
PACKAGE_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?")
_PINNED = re.compile(r"\s*===?\s*([0-9][0-9A-Za-z.+!_-]{0,60})\s*")


class Advisory(BaseModel):
    """One known vulnerability of ``package`` at ``version``: the advisory ``id`` (PYSEC-…, GHSA-…), its
    ``aliases`` (CVE-…) and the versions that fix it."""

    package: str
    version: str
    id: str
    aliases: list[str] = Field(default_factory=list)
    fix_versions: list[str] = Field(default_factory=list)


class DepAudit(BaseModel):
    """One lookup: the ``tool``, the ``audited`` packages (``name==version``), the ``skipped`` ones (no pinned
    version, or a name the tool must not see; or the tool's own skips), the ``advisories`` found, and ``error``
    when the tool could not answer (not installed, no network, bad output)."""

    tool: str
    audited: list[str] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list)
    advisories: list[Advisory] = Field(default_factory=list)
    error: str | None = None


def pinned(name: str, spec: str | None) -> str | None:
    """``name==version`` when ``spec`` pins one exact version (``==1.2.3``) and both are of a safe shape, else None."""
    match = _PINNED.fullmatch(spec or "")
    if not match or not PACKAGE_NAME.fullmatch(name):
        return None
    return f"{name}=={match.group(1)}"


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _texts(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)][:20] if isinstance(value, list) else []


def parse_pip_audit(text: str) -> tuple[list[Advisory], list[str]]:
    """The advisories in pip-audit's JSON output ``text`` (either format) and the dependencies it skipped
    (``name: reason``). Raises :class:`InvalidInput` when it is not JSON of that shape."""
    data = load_json(text, "pip-audit output")
    deps = data.get("dependencies") if isinstance(data, dict) else data
    if not isinstance(deps, list):
        raise InvalidInput("pip-audit output", [Problem(field="dependencies", message="is not a list",
                                                        expected="pip-audit --format json")])
    advisories, skipped = [], []
    for dep in deps:
        if not isinstance(dep, dict):
            continue
        name, version = _text(dep.get("name")), _text(dep.get("version"))
        if dep.get("skip_reason"):
            skipped.append(f"{name}: {_text(dep.get('skip_reason'))}"[:200])
        for vuln in dep.get("vulns") or []:
            if isinstance(vuln, dict) and _text(vuln.get("id")):
                advisories.append(Advisory(package=name, version=version, id=_text(vuln["id"])[:100],
                                           aliases=_texts(vuln.get("aliases")),
                                           fix_versions=_texts(vuln.get("fix_versions"))))
    return advisories, skipped
