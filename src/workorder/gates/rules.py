"""What a gate is, as data: its rules (:class:`Rule`: id, severity, meaning, docs anchor) and its entry in
the registry (:class:`GateSpec`: the function, its rules, its place in the report).

A rule's severity lives in exactly one place, its :class:`Rule`; a gate builds every finding with
:meth:`Rule.finding`. Where a gate raises or lowers a severity at run time (a criterion whose only evidence
does not discriminate is a BLOCKER, not a MAJOR; covered-enough changed lines are a MINOR note), the rule
lists the other severity in ``also`` and the gate passes it explicitly: :meth:`Rule.finding` refuses any
severity the rule does not declare. docs/gates.md's table is checked against these values
(tests/test_gate_registry.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..contracts.packet import Finding, Severity

if TYPE_CHECKING:
    from .context import GateContext

__all__ = ["GateSpec", "Rule"]


@dataclass(frozen=True)
class Rule:
    """One rule id of a gate: ``id`` (``area.name``, what a finding's ``rule`` says), its default
    ``severity``, the severities a gate may deliberately choose instead at run time (``also``), a one-line
    ``meaning`` and the ``anchor`` of the docs/gates.md section that explains it."""

    id: str
    severity: Severity
    meaning: str
    anchor: str = "the-gates"
    also: tuple[Severity, ...] = ()

    @property
    def severities(self) -> tuple[Severity, ...]:
        """The default severity first, then the run-time alternatives (docs/gates.md's "MAJOR / BLOCKER")."""
        return (self.severity, *self.also)

    def finding(self, message: str, *, path: str | None = None, line: int | None = None,
                evidence: str | None = None, severity: Severity | None = None) -> Finding:
        """A :class:`Finding` of this rule: ``message``, ``path``, ``line``, ``evidence`` as given; the
        rule's severity unless ``severity`` (one of :attr:`severities`) is passed. Raises ValueError for a
        severity the rule does not declare (a bug in the gate, not input)."""
        chosen = self.severity if severity is None else severity
        if chosen not in self.severities:
            raise ValueError(f"rule {self.id} does not declare severity {chosen}")
        return Finding(severity=chosen, rule=self.id, message=message, path=path, line=line, evidence=evidence)


@dataclass(frozen=True)
class GateSpec:
    """A gate in the registry: ``name``; ``run`` (``GateContext -> list[Finding]``); the ``rules`` its
    findings use; ``order`` (its place in the report: lower first; gaps left for new gates); and
    ``judges_packet`` (it judges the agent's DoD packet or its empty diff, so it is skipped on commits a
    person pushed). A gate module registers itself by holding ``GATE = GateSpec(...)`` (or ``GATE_SPECS``,
    a tuple, for a module of several) at module level: :mod:`.registry` finds it."""

    name: str
    run: Callable[[GateContext], list[Finding]]
    rules: tuple[Rule, ...]
    order: int
    judges_packet: bool = False

    def __call__(self, ctx: GateContext) -> list[Finding]:
        """Run the gate on ``ctx``; returns its findings (raises what the gate raises)."""
        return self.run(ctx)
