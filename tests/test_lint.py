"""The ecosystem's own linters (zizmor, actionlint, check-jsonschema, shellcheck) find nothing in
the shipped action, workflows, example workflows, issue form and dependabot config (``.ci/lint``),
and they do fail on a workflow with the mistakes the linters exist for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
# the slow tier (.ci/run): the first run downloads the pinned linters from PyPI
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("lint-venv")]  # one worker fills the linters' venv
LINT = ROOT / ".ci" / "lint"


def run_lint(*extra: Path) -> subprocess.CompletedProcess[str]:
    """Run .ci/lint (installs its pinned linters once into a cached venv) with extra files."""
    return subprocess.run(["bash", str(LINT), *map(str, extra)], check=False, capture_output=True, text=True, timeout=600,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "PYTHON": sys.executable})


def test_every_user_facing_file_is_lint_clean():
    result = run_lint()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lint: clean" in result.stdout


BAD_WORKFLOW = """\
name: bad
on:
  pull_request_target:
permissions:
  contents: write
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
"""


def test_lint_fails_on_an_unpinned_overprivileged_workflow(tmp_path):
    bad = tmp_path / "bad-workflow.yml"
    bad.write_text(BAD_WORKFLOW, encoding="utf-8")
    result = run_lint(bad)
    assert result.returncode != 0
    assert "unpinned-uses" in result.stdout + result.stderr
    assert "template-injection" in result.stdout + result.stderr
