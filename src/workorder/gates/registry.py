"""The one registry of the PO gates, built from the gate modules themselves.

Every module of the :mod:`workorder.gates` package (subpackages included) that holds ``GATE`` (a
:class:`~.rules.GateSpec`) or ``GATE_SPECS`` (a tuple of them) is a gate; :func:`discover` imports the
package's modules and collects them in report order (:attr:`GateSpec.order`). So a new gate is one new
module (plus its test): nothing else names it.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from .rules import GateSpec, Rule

__all__ = ["discover", "rules_of"]


def _specs_of(module: ModuleType) -> list[GateSpec]:
    """The gate specs ``module`` registers (``GATE`` and ``GATE_SPECS``); [] for a module that is no gate."""
    found = [getattr(module, "GATE", None), *getattr(module, "GATE_SPECS", ())]
    return [spec for spec in found if isinstance(spec, GateSpec)]


def discover(package: ModuleType) -> tuple[GateSpec, ...]:
    """Import every module of ``package`` (one level, and the subpackages' ``__init__``) and return the
    gate specs they register, sorted by ``order`` then name. Raises ImportError as an import does, and
    ValueError when two gates share a name or a rule id (each must mean one thing)."""
    specs: list[GateSpec] = []
    for info in pkgutil.iter_modules(package.__path__):
        for spec in _specs_of(importlib.import_module(f"{package.__name__}.{info.name}")):
            if all(spec is not known for known in specs):  # a module may import another's spec
                specs.append(spec)
    specs.sort(key=lambda spec: (spec.order, spec.name))
    _check_unique([spec.name for spec in specs], "gate name")
    _check_unique([rule.id for rule in rules_of(specs)], "rule id")
    return tuple(specs)


def rules_of(specs: tuple[GateSpec, ...] | list[GateSpec]) -> tuple[Rule, ...]:
    """Every rule of ``specs``, in report order."""
    return tuple(rule for spec in specs for rule in spec.rules)


def _check_unique(names: list[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"two gates declare the {what} {name!r}")
        seen.add(name)
