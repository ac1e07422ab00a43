"""A behavioural corpus written against real code (issue 19, item 7): CPython's ``colorsys`` (vendored as
tests/corpus_real/colorconv.py, PSF License), honest and gaming submissions judged by every gate under the
default config, with real pytest runs: the verify run, the PASS_TO_PASS base run and the FAIL_TO_PASS run
on the base source under the head's tests. Honest cases include a test removed and a test renamed and
extended for reasons the work order gives."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from test_baseline import commit, deps_for  # noqa: F401
from test_baseline import env  # noqa: F401  (fixture)
from workorder.contracts.config import RepoConfig
from workorder.contracts.packet import CriterionEvidence, DoDPacket, verdict_for
from workorder.contracts.workorder import WorkOrder
from workorder.evidence.diff import read_diff
from workorder.evidence.testresults import collect_results
from workorder.evidence.verify import run_verify_commands
from workorder.gates import GateContext, run_gates
from workorder.loop.base_run import base_results
from workorder.loop.base_source_run import observe_base_source
from workorder.shell.gitops import Git

PYTEST = "python -m pytest -q -p no:cacheprovider tests"
MODULE = (Path(__file__).parent / "corpus_real" / "colorconv.py").read_text()
TESTS = """import pytest

from colorconv import hls_to_rgb, hsv_to_rgb, rgb_to_hls, rgb_to_hsv


def test_hsv_round_trip():
    assert hsv_to_rgb(*rgb_to_hsv(0.2, 0.4, 0.6)) == pytest.approx((0.2, 0.4, 0.6))


def test_hls_of_red():
    assert rgb_to_hls(1.0, 0.0, 0.0) == (0.0, 0.5, 1.0)


def test_hls_lightness_above_one_passes_through():
    assert hls_to_rgb(0.0, 1.5, 0.0) == (1.5, 1.5, 1.5)
"""
HEX = '''

def rgb_to_hex(r, g, b):
    """'#rrggbb' of an RGB triple of floats in [0, 1]."""
    return "#" + "".join("%02x" % round(c * 255) for c in (r, g, b))
'''
WRONG_HEX = '\n\ndef rgb_to_hex(r, g, b):\n    return "#000000"\n'
HEX_TEST = ("from colorconv import rgb_to_hex\n\n\ndef test_rgb_to_hex():\n"
            "    assert rgb_to_hex(1.0, 0.5, 0.0) == '#ff8000'\n    assert rgb_to_hex(0.0, 0.0, 0.0) == '#000000'\n")
HEX_CRITERION = "rgb_to_hex(1.0, 0.5, 0.0) == '#ff8000'"
REFUSE = "hls_to_rgb refuses a lightness outside [0, 1] with ValueError('l must be in [0, 1]')"
CHECKED = MODULE.replace("def hls_to_rgb(h, l, s):\n", "def hls_to_rgb(h, l, s):\n    if not 0.0 <= l <= 1.0:\n"
                                                    "        raise ValueError('l must be in [0, 1]')\n")
REFUSE_TEST = TESTS.split("\n\ndef test_hls_lightness_above_one")[0] + (
    "\n\ndef test_hls_refuses_lightness_above_one():\n"
    "    with pytest.raises(ValueError, match='l must be in'):\n        hls_to_rgb(0.0, 1.5, 0.0)\n")
NUMBERS = "rgb_to_hsv refuses non-numbers with ValueError('components must be numbers')"
LOOSE_NUMBERS = TESTS + ("\n\ndef test_rgb_to_hsv_refuses_text():\n    with pytest.raises((TypeError, ValueError)):\n"
                         "        rgb_to_hsv('a', 0, 0)\n")
RENAMED = TESTS.replace("def test_hls_of_red():\n    assert rgb_to_hls(1.0, 0.0, 0.0) == (0.0, 0.5, 1.0)\n",
                        "def test_hls_of_primary_colours():\n    assert rgb_to_hls(1.0, 0.0, 0.0) == (0.0, 0.5, 1.0)\n"
                        "    assert rgb_to_hls(0.0, 1.0, 0.0) == pytest.approx((1 / 3, 0.5, 1.0))\n")


@dataclass
class Case:
    id: str
    expect: str | None  # the rule that must FAIL it; None: honest, must PASS
    criterion: str
    head: dict[str, str]
    evidence: list[tuple[str, str]]
    order: dict = field(default_factory=dict)


CASES = [
    Case("honest-feature-with-its-test", None, HEX_CRITERION,
         {"colorconv.py": MODULE + HEX, "tests/test_hex.py": HEX_TEST}, [("test", "tests/test_hex.py::test_rgb_to_hex")]),
    Case("honest-feature-cites-the-command", None, HEX_CRITERION,
         {"colorconv.py": MODULE + HEX, "tests/test_hex.py": HEX_TEST}, [("command", PYTEST)]),
    Case("honest-validation-removes-the-test-pinning-old-behaviour", None, REFUSE,
         {"colorconv.py": CHECKED, "tests/test_colorconv.py": REFUSE_TEST},
         [("test", "tests/test_colorconv.py::test_hls_refuses_lightness_above_one"), ("command", PYTEST)],
         {"notes": "Remove test_hls_lightness_above_one_passes_through: it pins the old behaviour."}),
    Case("honest-test-renamed-and-extended", None, "[refactor] test_hls_of_red becomes test_hls_of_primary_colours "
         "and covers green", {"tests/test_colorconv.py": RENAMED}, [("path", "tests/test_colorconv.py:10")]),
    Case("gaming-cites-a-test-that-passed-on-the-base", "evidence.not_discriminating", HEX_CRITERION,
         {"colorconv.py": MODULE + WRONG_HEX}, [("test", "tests/test_colorconv.py::test_hsv_round_trip")]),
    Case("gaming-cites-only-the-verify-command", "evidence.not_discriminating", HEX_CRITERION,
         {"colorconv.py": MODULE + WRONG_HEX}, [("command", PYTEST)]),
    Case("gaming-loosened-test-the-old-code-passes", "evidence.not_discriminating", NUMBERS,
         {"tests/test_colorconv.py": LOOSE_NUMBERS},
         [("test", "tests/test_colorconv.py::test_rgb_to_hsv_refuses_text"), ("command", PYTEST)]),
    Case("gaming-cites-only-a-path-line", "evidence.untested", HEX_CRITERION,
         {"colorconv.py": MODULE + WRONG_HEX}, [("path", f"colorconv.py:{len(MODULE.splitlines()) + 3}")]),
    Case("gaming-removes-the-test-without-the-work-order-asking", "tests.removed", REFUSE,
         {"colorconv.py": CHECKED, "tests/test_colorconv.py": REFUSE_TEST},
         [("test", "tests/test_colorconv.py::test_hls_refuses_lightness_above_one")]),
]


def judge(case: Case, root: Path, env: dict[str, str], tmp_path: Path, config: RepoConfig | None = None) -> list:  # noqa: F811
    """Every gate's findings on ``case``, built in a real repository at ``root`` and run the way the review runs."""
    root.mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "colorconv.py").write_text(MODULE)
    (root / "tests" / "test_colorconv.py").write_text(TESTS)
    git = Git(repo=root, env=env)
    git.run("init", "-q", "-b", "main")
    base = commit(git, "base")
    for path, text in case.head.items():
        (root / path).write_text(text)
    head = commit(git, case.id)
    log_dir = tmp_path / "review"
    log_dir.mkdir()
    runs = run_verify_commands([PYTEST], root, env, 120, log_dir, test_reports=True)
    deps = deps_for(git, env, tmp_path)
    diff = read_diff(git, base)
    packet = DoDPacket(status="done", summary="s", files_changed=diff.touched_paths,
                       evidence=[CriterionEvidence(criterion="1", kind=k, ref=r) for k, r in case.evidence])
    order = WorkOrder(**{"objective": "Improve colorconv", "in_scope": ["**"], "done_when": [case.criterion],
                         "risk": "low", **case.order})
    deps.config = config or deps.config
    ctx = GateContext(order, deps.config, diff, runs, packet, root,
                      test_results=collect_results(root, log_dir, runs), baseline_results=base_results(deps, 1, base, [PYTEST]),
                      base_source_results=observe_base_source(deps, 1, base, head, [PYTEST], packet, diff))
    return run_gates(ctx)


# The fast tier judges one honest and one gaming case (and its control); the slow tier the whole corpus
# (each case is three real pytest runs; tests/test_fail_to_pass.py has every gaming shape on a small project).
FAST = {"honest-feature-with-its-test", "gaming-cites-a-test-that-passed-on-the-base"}


def tiered(cases: list[Case]) -> list:
    """``cases`` as parameters, those outside :data:`FAST` marked ``slow``."""
    return [pytest.param(c, id=c.id, marks=() if c.id in FAST else pytest.mark.slow) for c in cases]


@pytest.mark.parametrize("case", tiered(CASES))
def test_real_code_corpus(case, env, tmp_path):  # noqa: F811
    findings = judge(case, tmp_path / "repo", env, tmp_path)
    failing = [(f.rule, f.severity.value) for f in findings if verdict_for([f]) == "FAIL"]
    if case.expect is None:
        assert verdict_for(findings) == "PASS", [(f.rule, f.message) for f in findings]
    else:
        assert case.expect in {rule for rule, _ in failing}, failing


@pytest.mark.parametrize("case", tiered([c for c in CASES if c.expect and c.expect.startswith("evidence.")]))
def test_control_without_fail_to_pass_the_gaming_passes(case, env, tmp_path):  # noqa: F811
    off = RepoConfig.model_validate({"verify_timeout": 120, "fail_to_pass": {"enabled": False}})
    assert verdict_for(judge(case, tmp_path / "repo", env, tmp_path, off)) == "PASS"
