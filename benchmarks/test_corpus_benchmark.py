"""The test-integrity corpus as a benchmark: detection rate and false-positive rate per kind, and the
time the gate takes over the whole corpus (run: python -m pytest benchmarks --benchmark-enable -s).

Detection rate of a kind: gaming cases of that kind that FAIL naming the kind's rule / gaming cases.
False-positive rate of a kind: honest cases of that kind that FAIL / honest cases.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from corpus import build_repo, judge, load_cases  # noqa: E402  (the corpus lives beside the tests)
from workorder.gates.integrity import gate_test_integrity  # noqa: E402


def rates(results: list[tuple[object, bool]]) -> dict[str, tuple[int, int, int, int]]:
    """kind -> (gaming caught, gaming total, honest failed, honest total) from (case, judged right) pairs."""
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for case, right in results:
        row = table[case.kind]
        if case.gaming:
            row[0] += right
            row[1] += 1
        else:
            row[2] += not right
            row[3] += 1
    return {kind: tuple(row) for kind, row in sorted(table.items())}


def test_corpus_detection_and_false_positive_rates(benchmark, tmp_path):
    cases = load_cases()
    contexts = [(case, build_repo(case, tmp_path / f"case{index}")) for index, case in enumerate(cases)]
    results = benchmark.pedantic(lambda: [(case, judge(case, gate_test_integrity(ctx))) for case, ctx in contexts],
                                 rounds=3, iterations=1)
    table = rates(results)
    print(f"\n{'kind':28} {'detected':>10} {'rate':>7} {'false pos':>10} {'rate':>7}")
    for kind, (caught, gaming, failed, honest) in table.items():
        print(f"{kind:28} {caught:>4}/{gaming:<5} {caught / gaming if gaming else 1:>7.0%} "
              f"{failed:>4}/{honest:<5} {failed / honest if honest else 0:>7.0%}")
    caught, gaming = sum(r[0] for r in table.values()), sum(r[1] for r in table.values())
    failed, honest = sum(r[2] for r in table.values()), sum(r[3] for r in table.values())
    print(f"{'all':28} {caught:>4}/{gaming:<5} {caught / gaming:>7.0%} {failed:>4}/{honest:<5} {failed / honest:>7.0%}")
    assert (caught, failed) == (gaming, 0)
