"""Jinja filters that lay findings out for a reader on a phone: each piece of evidence once.

Two findings often rest on the same output: ``verify.failed`` quotes the end of a failing verify
command's output, and ``dod.commands`` (the DoD packet claimed that command passed) quotes the last
lines of the same output. The review shows each distinct evidence text once (:func:`evidence_blocks`),
and the corrective prompt points back to the earlier finding instead of quoting it again
(:func:`evidence_shared`). Evidence B counts as already shown when its text, without surrounding
blank lines, is contained in an earlier finding's evidence A.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EvidenceBlock", "evidence_blocks", "evidence_shared"]


@dataclass
class EvidenceBlock:
    """One evidence text (``text``, stripped of surrounding blank lines) and the findings it backs
    (``findings``, in the order given; the first is the one that quoted it)."""

    text: str
    findings: list[Any] = field(default_factory=list)


def _text(finding: Any) -> str:
    return (getattr(finding, "evidence", None) or "").strip("\n")


def evidence_blocks(findings: Iterable[Any]) -> list[EvidenceBlock]:
    """The distinct evidence texts of ``findings`` (objects with ``evidence``, e.g.
    :class:`workorder.contracts.packet.Finding`), in order: a finding whose evidence is contained in an
    earlier block's text joins that block instead of making a new one. Findings without evidence
    are left out. Returns the blocks."""
    blocks: list[EvidenceBlock] = []
    for finding in findings:
        text = _text(finding)
        if not text.strip():
            continue
        holder = next((b for b in blocks if text in b.text), None)
        if holder is None:
            blocks.append(EvidenceBlock(text=text, findings=[finding]))
        else:
            holder.findings.append(finding)
    return blocks


def evidence_shared(findings: Iterable[Any]) -> list[int | None]:
    """For each of ``findings`` (a list, in the order it is numbered), the 1-based number of the
    earlier finding whose evidence already contains its own, or None when its evidence is new (or it
    has none). Returns a list as long as ``findings``."""
    shown: list[tuple[int, str]] = []
    shared: list[int | None] = []
    for number, finding in enumerate(findings, start=1):
        text = _text(finding)
        earlier = next((n for n, t in shown if text.strip() and text in t), None)
        shared.append(earlier)
        if earlier is None and text.strip():
            shown.append((number, text))
    return shared

