"""Milestones: discover work orders in issue files and order them by their dependencies.

An issue file (``docs/projects/**/issues/*.md`` by default) is YAML front matter with ``id`` (a
positive whole number), ``title``, ``milestone``, optional ``blocked_by`` / ``blocking`` (lists of
ids), and the work order fields; the text after the front matter is free. Every problem in every
file is reported before anything runs.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..inputs.yamlload import safe_load
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..inputs.globs import compile_globs
from ..inputs.problems import InvalidInput, Problem, problems_from_validation_error
from .workorder import WorkOrder

DEFAULT_ISSUE_FILES = "docs/projects/**/issues/*.md"
META_KEYS = ("id", "title", "milestone", "blocked_by", "blocking")


class IssueFileMeta(BaseModel):
    """The orchestration keys of an issue file's front matter."""

    model_config = ConfigDict(extra="ignore")

    id: int = Field(ge=1, description="a positive whole number, unique in the repository")
    title: str = Field(min_length=1, description="the issue title")
    milestone: str = Field(min_length=1, description="the milestone name, e.g. M1")
    blocked_by: list[int] = Field(default_factory=list, description="ids of issues this one waits for")
    blocking: list[int] = Field(default_factory=list, description="ids of issues that wait for this one")


@dataclass(frozen=True)
class IssueFile:
    """A discovered work order: its file (repo-relative), metadata, work order and raw body text."""

    path: str
    meta: IssueFileMeta
    order: WorkOrder
    body: str


def _split_front_matter(text: str) -> tuple[str | None, str]:
    if not text.startswith("---"):
        return None, text
    parts = text.split("\n---", 1)
    if len(parts) < 2:
        return None, text
    head = parts[0][3:]
    rest = parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
    return head, rest


def parse_issue_file(path: str, text: str) -> tuple[IssueFile | None, list[Problem]]:
    """Parse one issue file. Returns (the issue file or None, problems with ``path: field`` names)."""
    head, _ = _split_front_matter(text.replace("\r\n", "\n"))
    if head is None:
        return None, [Problem(field=f"{path}: front matter", message="is missing",
                              expected="YAML between --- lines at the top of the file")]
    try:
        data = safe_load(head)
    except yaml.YAMLError:
        return None, [Problem(field=f"{path}: front matter", message="is not valid YAML")]
    if not isinstance(data, dict):
        return None, [Problem(field=f"{path}: front matter", message="is not a mapping", expected="key: value lines")]
    problems: list[Problem] = []
    meta = order = None
    try:
        meta = IssueFileMeta.model_validate(data)
    except ValidationError as exc:
        problems += problems_from_validation_error(exc, IssueFileMeta)
    try:
        order = WorkOrder.model_validate({k: v for k, v in data.items() if k not in META_KEYS})
    except ValidationError as exc:
        problems += problems_from_validation_error(exc, WorkOrder)
    problems = [p.model_copy(update={"field": f"{path}: {p.field}"}) for p in problems]
    if problems or meta is None or order is None:
        return None, problems
    return IssueFile(path=path, meta=meta, order=order, body=text), []


def discover(root: Path, pattern: str = DEFAULT_ISSUE_FILES, files: Iterable[str] | None = None) -> list[IssueFile]:
    """Every issue file under ``root`` matching the gitignore-style ``pattern`` (``files``: the
    repo-relative paths to consider; default all files under ``root``), sorted by id.

    Raises :class:`InvalidInput` listing every problem in every file (and duplicate ids) at once.
    """
    spec = compile_globs([pattern])
    if files is None:
        files = (p.relative_to(root).as_posix() for p in root.rglob("*.md") if p.is_file())
    found: list[IssueFile] = []
    problems: list[Problem] = []
    for rel in sorted(f for f in files if spec.match_file(f)):
        issue, file_problems = parse_issue_file(rel, (root / rel).read_text(encoding="utf-8", errors="replace"))
        problems += file_problems
        if issue:
            found.append(issue)
    seen: dict[int, str] = {}
    for issue in found:
        if issue.meta.id in seen:
            problems.append(Problem(field=f"{issue.path}: id", message=f"{issue.meta.id} is also the id of {seen[issue.meta.id]}",
                                    expected="ids unique in the repository"))
        seen.setdefault(issue.meta.id, issue.path)
    if problems:
        raise InvalidInput("issue files", problems)
    return sorted(found, key=lambda i: i.meta.id)


@dataclass(frozen=True)
class IgnoredEdge:
    """A dependency edge ``blocker`` → ``dependent`` left out of the order, and why (unknown_id, cycle)."""

    blocker: int
    dependent: int
    reason: str


@dataclass(frozen=True)
class Ordering:
    """Ids in the order to work them, the dependency edges used (blocker → dependent), the edges
    ignored with their reason, and whether a cycle forced the stable linear order by id."""

    order: list[int]
    edges: list[tuple[int, int]] = field(default_factory=list)
    ignored: list[IgnoredEdge] = field(default_factory=list)
    linear_fallback: bool = False

    def blockers_of(self, node: int) -> list[int]:
        """The ids ``node`` waits for (by the edges used)."""
        return sorted(b for b, d in self.edges if d == node)


def order_dag(nodes: Iterable[int], dependencies: Iterable[tuple[int, int]]) -> Ordering:
    """Order ``nodes`` so every blocker comes before its dependents (``dependencies``: pairs
    (blocker, dependent)). Ties go to the smaller id, so the order is stable.

    Edges naming an unknown id are ignored (reason ``unknown_id``). If the rest has a cycle, the
    order falls back to the stable linear order by id and the edges on cycles are ignored (reason
    ``cycle``). Runs in O((V + E) log V).
    """
    ids = sorted(set(nodes))
    known = set(ids)
    edges: list[tuple[int, int]] = []
    ignored: list[IgnoredEdge] = []
    for blocker, dependent in sorted(set(dependencies)):
        if blocker not in known or dependent not in known:
            ignored.append(IgnoredEdge(blocker, dependent, "unknown_id"))
        elif blocker != dependent:
            edges.append((blocker, dependent))
        else:
            ignored.append(IgnoredEdge(blocker, dependent, "cycle"))
    out: dict[int, list[int]] = {n: [] for n in ids}
    indegree = {n: 0 for n in ids}
    for blocker, dependent in edges:
        out[blocker].append(dependent)
        indegree[dependent] += 1
    ready = [n for n in ids if indegree[n] == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        for dependent in out[node]:
            indegree[dependent] -= 1
            if indegree[dependent] == 0:
                heapq.heappush(ready, dependent)
    if len(order) == len(ids):
        return Ordering(order=order, edges=edges, ignored=ignored)
    stuck = {n for n in ids if indegree[n] > 0}
    cyclic = [(b, d) for b, d in edges if b in stuck and d in stuck]
    ignored += [IgnoredEdge(b, d, "cycle") for b, d in cyclic]
    kept = [e for e in edges if e not in cyclic]
    return Ordering(order=ids, edges=kept, ignored=ignored, linear_fallback=True)


def file_dependencies(issues: Iterable[IssueFile]) -> list[tuple[int, int]]:
    """(blocker, dependent) pairs from the files' ``blocked_by`` and ``blocking`` lists."""
    pairs: list[tuple[int, int]] = []
    for issue in issues:
        pairs += [(b, issue.meta.id) for b in issue.meta.blocked_by]
        pairs += [(issue.meta.id, d) for d in issue.meta.blocking]
    return pairs


def as_payload(value: Any) -> Any:
    """JSON-ready form of an :class:`Ordering` (for ``--json`` and the audit log)."""
    if isinstance(value, Ordering):
        return {"order": value.order, "edges": value.edges, "linear_fallback": value.linear_fallback,
                "ignored": [vars(e) for e in value.ignored]}
    return value
