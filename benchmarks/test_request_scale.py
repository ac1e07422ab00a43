"""A 256-order milestone matrix (GitHub's maximum of jobs per matrix) within one hour's REST budget.

The planning job (``workflow_dispatch`` with ``milestone``) runs for real over 256 open work orders; of
the 256 matrix jobs (``workflow_dispatch`` with the issue, one work order each, a first-cycle PASS), a
handful run for real against the fake GitHub and the rest is extrapolated from their measured cost
(256 real agent runs would take many minutes). Path ownership is on (the default): the 256 orders claim
disjoint paths, as a milestone the matrix can run at once must (overlapping ones wait for each other);
the scripted agent of a real job changes ``calc``, so that job's order is the calc work order. The
requests counted are the rate-limited ones (every
answer but a 304). Budgets (docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api):
a GitHub App installation has 5,000 requests an hour (up to 12,500 on large organisations), a
repository's ``GITHUB_TOKEN`` 1,000 an hour.

Run: python -m pytest benchmarks/test_request_scale.py --benchmark-enable -s
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from conftest import WORK_ORDER, ActionRun, base_env, load_payload, python_bin, workspace  # noqa: E402,F401

from workorder.loop.state import LABEL_STYLE, LabelNames  # noqa: E402

ORDERS = 256  # GitHub's matrix maximum: 256 jobs per workflow run
REAL_JOBS = 3  # matrix jobs run for real; the other 253 are extrapolated from their mean
APP_INSTALLATION_PER_HOUR = 5000
GITHUB_TOKEN_PER_HOUR = 1000


def dispatch(run: ActionRun, issue: int | None = None) -> dict:
    """Handle a ``workflow_dispatch`` of milestone M1 (a matrix job when ``issue``); returns the outcome."""
    payload = load_payload("other/workflow_dispatch.none")
    payload["inputs"] = {"milestone": "M1", "mode": "matrix"}
    payload["sender"] = {"login": "Codertocat", "type": "User"}
    run.env.pop("WORKORDER_ISSUE", None)
    if issue is not None:
        run.env["WORKORDER_ISSUE"] = str(issue)
    code, out = run.handle(payload, event="workflow_dispatch")
    assert code == 0, out
    return json.loads(out[out.index("{"):])


def own_paths(n: int) -> str:
    """A work order of its own: the calc work order, in_scope ``pkg<n>/**`` (no other order claims it)."""
    scoped = WORK_ORDER.replace("  - calc/**\n  - tests/**\n", f"  - pkg{n}/**\n")
    assert scoped != WORK_ORDER
    return scoped


def test_a_256_order_milestone_matrix_stays_within_an_app_installations_hour(
        benchmark, tmp_path, workspace, base_env, python_bin):
    run = ActionRun(tmp_path, workspace, base_env, python_bin)
    fake = run.fake
    names = LabelNames("wo:", "wo:ready")
    for state, (color, description) in LABEL_STYLE.items():  # as `workorder init` creates them
        fake.labels[names.label(state)] = {"color": color, "description": description}
    fake.milestones = {1: "M1"}
    for n in range(1, ORDERS + 1):
        fake.add_issue(n, f"Order {n}", own_paths(n), [], milestone=1)

    plan = benchmark.pedantic(lambda: dispatch(run), rounds=1, iterations=1)
    assert plan["reason_code"] == "milestone_planned" and len(plan["matrix"]) == ORDERS, plan
    planning = fake.rate_limited()

    per_job = []
    for n in plan["matrix"][:REAL_JOBS]:
        fake.issues[n]["body"] = WORK_ORDER  # what the scripted agent can do (the one before it has passed)
        before, calls_before, free_before = fake.rate_limited(), len(fake.calls), fake.not_modified
        result = dispatch(run, issue=n)
        assert result["reason_code"] == "ran" and fake.issues[n]["labels"] == ["wo:passed"], result
        per_job.append(fake.rate_limited() - before)
        if len(per_job) == 1:
            first_log = [f"{m} {path.removeprefix('/repos/' + fake.repo)}" for m, path in fake.calls[calls_before:]]
            first_free = fake.not_modified - free_before
    per_order = max(per_job)
    total = planning + ORDERS * per_order
    print(f"\nplanning job: {planning} rate-limited requests for {ORDERS} work orders")
    print(f"matrix jobs run for real: {REAL_JOBS}, requests each: {per_job} (first-cycle PASS)")
    print(f"one matrix job's requests ({first_free} of them a free 304):\n" + "\n".join("  " + line for line in first_log))
    print(f"requests per order: {per_order} (+{planning / ORDERS:.2f} of planning)")
    print(f"{ORDERS}-order matrix: {planning} + {ORDERS} x {per_order} = {total} requests "
          f"(extrapolated from {REAL_JOBS} real jobs); GitHub App installation: {APP_INSTALLATION_PER_HOUR}/hour "
          f"-> {total / APP_INSTALLATION_PER_HOUR:.0%} of one hour")
    print(f"GITHUB_TOKEN ({GITHUB_TOKEN_PER_HOUR}/hour): {GITHUB_TOKEN_PER_HOUR // per_order} first-cycle PASS orders an hour")
    benchmark.extra_info.update(requests_per_order=per_order, planning=planning, matrix_total=total)
    assert total <= APP_INSTALLATION_PER_HOUR
