"""What a work order costs in GitHub's rate limit, counted against the fake GitHub (every answer but a 304).

A first-cycle PASS in a repository set up by ``workorder init`` (its state labels exist), with the default
path ownership (``ownership: wait``), costs at most 15 rate-limited requests: the sender's permission, the
issue (its comments are not listed when it says it has none), one label write per state change while the
labels were just read (running, review), the tracking comment created with the claim in it, one listing of
the open issues to find the others' claims, the issue read again at the phase boundary (the lock), the
verdict's tracking edit, the pull request opened at once, the review, the commit status, the final state
(its label added, review's removed: the labels were read before the gates ran, so a label a person added
meanwhile must stay), the final tracking edit, and the waiting orders (the dependents' look-up of the same
list is a free 304). ``ownership: off`` saves the listing; an issue with comments costs their listing; in a
repository that never ran workorder, each state label GitHub creates on the way is styled once more.
"""

from __future__ import annotations

import pytest
from conftest import labeled_payload

from workorder.loop.state import LABEL_STYLE, LabelNames, State
from workorder.loop.tracking import Tracker

FIRST_CYCLE_PASS_BUDGET = 15  # issue #20: ≤ 15 rate-limited requests (23 before; 17 with path ownership on)


def set_up_labels(fake) -> None:
    """The state labels as ``workorder init`` creates them (workorder.cli.init.create_missing_labels)."""
    names = LabelNames("wo:", "wo:ready")
    for state, (color, description) in LABEL_STYLE.items():
        fake.labels[names.label(state)] = {"color": color, "description": description}


def run_pass(action) -> list[str]:
    """Handle the trigger label once (the scripted agent passes at once); returns the request log."""
    code, out = action.handle(labeled_payload())
    assert code == 0, out
    assert action.fake.issues[1]["labels"] == ["wo:passed"], action.fake.issues[1]["labels"]
    return [f"{method} {path.removeprefix('/repos/Codertocat/Hello-World')}" for method, path in action.fake.calls]


def show(action, log: list[str], what: str) -> None:
    print(f"\n{what}: {action.fake.rate_limited()} rate-limited requests, {action.fake.not_modified} free (304)")
    print("\n".join("  " + line for line in log))


def test_a_first_cycle_pass_costs_at_most_15_rate_limited_requests(action):
    """The default config, path ownership on: the claim goes out in the loop's first tracking write (one
    POST, no edit before the agent runs), and the look at the others' claims comes after it."""
    set_up_labels(action.fake)
    log = run_pass(action)
    show(action, log, "first-cycle PASS")
    assert action.fake.rate_limited() <= FIRST_CYCLE_PASS_BUDGET, log
    assert log.index("POST /issues/1/comments") < log.index("GET /issues"), "claim, then look"
    assert action.fake.count("GET", r"/labels$") == 0, "the run does not list the repository's labels"
    assert action.fake.count("GET", r"/pulls$") == 0, "the pull request is opened at once, not looked up first"
    assert action.fake.count("GET", r"/issues/1/comments$") == 0, "the issue said it has no comments"
    assert action.fake.count("PATCH", r"/issues/comments/") == 2, "one tracking edit per state change after running"


def test_without_path_ownership_the_look_at_the_others_claims_is_saved(action):
    """``ownership: off``: one listing of the open issues fewer (the waiting dependents' is the only one)."""
    action.commit_config("ownership: off\n")
    set_up_labels(action.fake)
    log = run_pass(action)
    show(action, log, "first-cycle PASS, ownership: off")
    assert action.fake.rate_limited() <= FIRST_CYCLE_PASS_BUDGET - 1, log
    assert action.fake.count("GET", r"/issues$") == 1 and log[-1] == "GET /issues", log


def test_an_issue_with_comments_costs_their_listing(action):
    """The control of the comment count: a person's comment on the issue makes the run list the comments."""
    set_up_labels(action.fake)
    action.fake.add_comment(1, "Codertocat", "Looks good, go ahead.")
    log = run_pass(action)
    assert "GET /issues/1/comments" in log and action.fake.rate_limited() == FIRST_CYCLE_PASS_BUDGET + 1, log


def test_in_a_repository_that_never_ran_workorder_each_new_state_label_is_styled_once(action):
    log = run_pass(action)
    styled = [line for line in log if line.startswith("PATCH /labels/")]
    assert styled == ["PATCH /labels/wo:running", "PATCH /labels/wo:review", "PATCH /labels/wo:passed"], log
    assert action.fake.rate_limited() == FIRST_CYCLE_PASS_BUDGET + 3, log
    color, description = LABEL_STYLE[State.PASSED]
    assert action.fake.labels["wo:passed"] == {"color": color, "description": description}


@pytest.mark.parametrize("replace_when_stale", [False, True])
def test_a_label_a_person_adds_while_the_gates_run_stays(action, monkeypatch, replace_when_stale):
    """The final state change comes long after the labels were read, so it adds and removes instead of
    replacing the set. Control: replacing a stale set loses the person's label."""
    set_up_labels(action.fake)
    if replace_when_stale:
        original = Tracker.set_state

        def always_fresh(self, *args, **kwargs):
            self.labels_fresh = True
            return original(self, *args, **kwargs)

        monkeypatch.setattr(Tracker, "set_state", always_fresh)

    def person_labels(method, path):
        if method == "POST" and path.endswith("/pulls"):
            action.fake.issues[1]["labels"].append("priority")

    action.fake.before_request = person_labels
    code, out = action.handle(labeled_payload())
    assert code == 0, out
    kept = "priority" in action.fake.issues[1]["labels"]
    assert kept is not replace_when_stale, action.fake.issues[1]["labels"]
    assert "wo:passed" in action.fake.issues[1]["labels"]


@pytest.mark.parametrize("left", [60, 5000])
def test_a_run_with_few_requests_left_slows_down_and_still_passes(action, monkeypatch, left):
    """With 60 of the hour's requests left (below the reserve of 100) every request waits its share of
    the time to the reset, and the run still ends PASS; control: with 5,000 left nothing waits."""
    set_up_labels(action.fake)
    slept: list[float] = []
    monkeypatch.setattr("workorder.github.retry.default_sleep", slept.append)
    action.fake.rate_remaining = left
    run_pass(action)
    if left == 60:
        assert len(slept) >= FIRST_CYCLE_PASS_BUDGET - 1 and min(slept) > 60, slept
        assert action.fake.rate_remaining > 0
    else:
        assert slept == []


def test_a_pass_after_one_fix_cycle_costs_at_most_26(action):
    """FAIL, one fix cycle, PASS (38 rate-limited requests before issue #20): the second cycle adds the
    FAIL's state change and the boundary's read and label write, its tracking edits, the PR body, review
    and status."""
    set_up_labels(action.fake)
    action.env["WORKORDER_RUNNER_COMMAND"] = "python -m workorder.demo.agent"
    log = run_pass(action)
    print(f"\nFAIL, fix, PASS: {action.fake.rate_limited()} rate-limited requests")
    print("\n".join("  " + line for line in log))
    assert len(action.fake.reviews) == 2 and action.fake.rate_limited() <= 26, log
