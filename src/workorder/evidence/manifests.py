"""Per-package diff of dependency manifests: which package was added, removed or changed version.

Formats read (the files' own formats): ``pyproject.toml`` (PEP 621 ``[project] dependencies`` and
``optional-dependencies``, PEP 508 strings), ``requirements*.txt`` (pip's requirement lines), ``package.json``
(``dependencies``, ``devDependencies``, ``optionalDependencies``, ``peerDependencies``), ``package-lock.json``
(top-level ``node_modules/<name>`` of ``packages``, or v1 ``dependencies``), ``go.mod`` (``require``) and
``Cargo.toml`` (``[dependencies]``, ``[dev-dependencies]``, ``[build-dependencies]``). Other manifests are
not read (the manifest gate still sees that they changed).
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..shell.gitops import Git

__all__ = ["PackageChange", "ecosystem_of", "package_changes", "parse_manifest"]

_PEP508_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")
_NPM_SECTIONS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")
_CARGO_SECTIONS = ("dependencies", "dev-dependencies", "build-dependencies")


@dataclass(frozen=True)
class PackageChange:
    """One package's change in one manifest: ``kind`` is added, removed or changed; ``old``/``new`` the
    version spec before and after ("" when the manifest names no version, None when absent)."""

    path: str
    ecosystem: str
    name: str
    kind: str
    old: str | None
    new: str | None


def ecosystem_of(path: str) -> str | None:
    """The ecosystem (pypi, npm, go, cargo) of a manifest path this module reads, else None."""
    name = PurePosixPath(path).name
    if name == "pyproject.toml" or (name.startswith("requirements") and name.endswith(".txt")):
        return "pypi"
    if name in ("package.json", "package-lock.json"):
        return "npm"
    return {"go.mod": "go", "Cargo.toml": "cargo"}.get(name)


def _pypi_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pep508(line: str) -> tuple[str, str] | None:
    match = _PEP508_NAME.match(line.split(";", 1)[0])
    if not match:
        return None
    return _pypi_name(match.group(1)), match.group(3).strip().strip("()").strip()


def _pyproject(text: str) -> dict[str, str]:
    project = tomllib.loads(text).get("project", {})
    lines = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        lines.extend(extra)
    return dict(p for p in map(_pep508, (str(line) for line in lines)) if p)


def _requirements(text: str) -> dict[str, str]:
    found = {}
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")) or "://" in line:
            continue
        parsed = _pep508(line)
        if parsed:
            found[parsed[0]] = parsed[1]
    return found


def _package_json(text: str) -> dict[str, str]:
    data = json.loads(text)
    found: dict[str, str] = {}
    for section in _NPM_SECTIONS:
        found.update({k: str(v) for k, v in (data.get(section) or {}).items()})
    return found


def _package_lock(text: str) -> dict[str, str]:
    data = json.loads(text)
    packages = data.get("packages")
    if isinstance(packages, dict):
        return {key[len("node_modules/"):]: str(v.get("version", ""))
                for key, v in packages.items()
                if key.startswith("node_modules/") and "/node_modules/" not in key and isinstance(v, dict)}
    return {k: str(v.get("version", "")) for k, v in (data.get("dependencies") or {}).items() if isinstance(v, dict)}


def _go_mod(text: str) -> dict[str, str]:
    found, block = {}, False
    for raw in text.splitlines():
        line = raw.split("//", 1)[0].strip()
        if block and line == ")":
            block = False
            continue
        if line.startswith("require ("):
            block = True
            continue
        if line.startswith("require "):
            line = line[len("require "):].strip()
        elif not block:
            continue
        parts = line.split()
        if len(parts) >= 2:
            found[parts[0]] = parts[1]
    return found


def _cargo(text: str) -> dict[str, str]:
    data = tomllib.loads(text)
    found = {}
    for section in _CARGO_SECTIONS:
        for name, spec in (data.get(section) or {}).items():
            found[name] = spec if isinstance(spec, str) else str((spec or {}).get("version", ""))
    return found


def parse_manifest(path: str, text: str) -> dict[str, str]:
    """The packages a manifest at ``path`` names, as {name: version spec} (PyPI names normalised per PEP 503).

    Returns {} for a manifest this module does not read. Raises ValueError (json, toml) on a malformed file."""
    name = PurePosixPath(path).name
    if name == "pyproject.toml":
        return _pyproject(text)
    if ecosystem_of(path) == "pypi":
        return _requirements(text)
    parser = {"package.json": _package_json, "package-lock.json": _package_lock, "go.mod": _go_mod,
              "Cargo.toml": _cargo}.get(name)
    return parser(text) if parser else {}


def _parse_or_empty(path: str, text: str | None) -> dict[str, str]:
    if text is None:
        return {}
    try:
        return parse_manifest(path, text)
    except ValueError:
        return {}


def package_changes(git: Git, base: str, head: str, paths: list[str]) -> list[PackageChange]:
    """Per-package changes of each manifest in ``paths`` between commits ``base`` and ``head`` of ``git``:
    added, removed and version-changed packages, sorted by path and name. A manifest that does not parse on
    one side counts as empty there. Raises GitError only when git itself fails."""
    changes = []
    for path in paths:
        ecosystem = ecosystem_of(path)
        if ecosystem is None:
            continue
        old = _parse_or_empty(path, git.show_file(base, path))
        new = _parse_or_empty(path, git.show_file(head, path))
        for name in sorted(old.keys() | new.keys()):
            before, after = old.get(name), new.get(name)
            if before == after:
                continue
            kind = "added" if before is None else "removed" if after is None else "changed"
            changes.append(PackageChange(path, ecosystem, name, kind, before, after))
    return changes
