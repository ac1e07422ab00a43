"""Performance budgets, measured with pytest-benchmark (run: python -m pytest benchmarks --benchmark-enable).

Budgets: `workorder --version` starts in under 0.5 s (start-up is a feature of an Action); the PO gates
over a 2,000-file, 20,000-added-line diff finish in under 1 s.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from workorder.contracts.config import RepoConfig
from workorder.contracts.packet import DoDPacket
from workorder.evidence.diff import AddedLine, ChangedFile, Diff
from workorder.gates import run_gates
from workorder.gates.context import GateContext
from workorder.evidence.testresults_model import VerifyRun
from workorder.contracts.workorder import WorkOrder


def test_cli_start_up(benchmark):
    benchmark.pedantic(
        lambda: subprocess.run([sys.executable, "-m", "workorder", "--version"], check=True, capture_output=True),
        rounds=5, iterations=1,
    )
    assert benchmark.stats["mean"] < 0.5


def test_gates_on_a_large_diff(benchmark):
    files = [ChangedFile(path=f"src/pkg{i % 50}/mod{i}.py", status="M") for i in range(2000)]
    added = [AddedLine(path=files[i % 2000].path, line=i, text=f"value_{i} = compute({i})  # fine") for i in range(20000)]
    order = WorkOrder(objective="x", in_scope=["src/**"], out_of_scope=["src/pkg7/**"], done_when=["y"], risk="high")
    packet = DoDPacket(status="done", summary="s", files_changed=[f.path for f in files])
    ctx = GateContext(order, RepoConfig(), Diff(files=files, added_lines=added),
                      [VerifyRun(cmd="pytest", exit_code=0, duration_s=1.0)], packet, Path("/nonexistent"))
    findings = benchmark(run_gates, ctx)
    assert len([f for f in findings if f.rule == "scope.excluded"]) == 40
    assert benchmark.stats["mean"] < 1.0


def test_discover_and_order_2000_issue_files(benchmark, tmp_path):
    """Budget: discovering and ordering 2,000 issue files takes under 0.5 s."""
    from workorder.contracts.milestone import discover, file_dependencies, order_dag

    folder = tmp_path / "docs" / "projects" / "big" / "issues"
    folder.mkdir(parents=True)
    for n in range(1, 2001):
        blocked = f"blocked_by: [{n - 1}]\n" if n % 3 and n > 1 else ""
        (folder / f"{n}.md").write_text(
            f"---\nid: {n}\ntitle: Issue {n}\nmilestone: M\n{blocked}objective: do {n}\nin_scope: [src/m{n}/**]\n"
            f"done_when: [it works]\nverify: [make test]\n---\nBody.\n")
    files = [p.relative_to(tmp_path).as_posix() for p in folder.iterdir()]

    def discover_and_order():
        issues = discover(tmp_path, files=files)
        return order_dag([i.meta.id for i in issues], file_dependencies(issues))

    ordering = benchmark.pedantic(discover_and_order, rounds=3, iterations=1)
    assert len(ordering.order) == 2000 and not ordering.linear_fallback
    assert benchmark.stats["mean"] < 0.5
