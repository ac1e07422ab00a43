"""`workorder init` and `workorder doctor` as a user runs them: a real git repository in a temp dir,
GitHub faked at REST level (tests/fakegithub.py, plus the endpoints only doctor reads)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
import responses
import yaml
from fakegithub import FakeGitHub

from workorder.cli.main import build_parser, main
from workorder.cli.init import CONFIG_PATH, FORM_PATH, WORKFLOW_PATH, render_init_files

ROOT = Path(__file__).parent.parent
TOKEN = "ghs_" + "Z9y8X7w6V5u4T3s2R1q0" * 2


def run(*argv: str, environ: dict[str, str] | None = None) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), environ=environ or {}, out=out)
    return code, out.getvalue()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty git repository."""
    path = tmp_path / "repo"
    path.mkdir()
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


def statuses(text: str) -> dict[str, str]:
    """{check title: ok|MISS|warn|skip} from doctor's checklist."""
    found = {}
    for line in text.splitlines():
        if line.startswith("["):
            mark, _, rest = line.partition("]")
            found[rest.strip().split(":")[0]] = mark.strip("[ ")
    return found


def test_init_in_an_empty_repository_then_doctor_passes_every_offline_check(repo):
    code, out = run("init", "--repo", str(repo))
    assert code == 0
    for rel in (WORKFLOW_PATH, CONFIG_PATH, FORM_PATH):
        assert (repo / rel).is_file() and f"wrote    {rel}" in out
    assert (repo / CONFIG_PATH).read_text().startswith("# yaml-language-server: $schema=https://")
    code, out = run("doctor", "--repo", str(repo))
    assert code == 0, out
    marks = statuses(out)
    assert "MISS" not in marks.values()
    offline = [t for t in marks if not t.startswith(("state labels", "default branch", "secrets", "the token"))]
    assert all(marks[t] in ("ok", "warn") for t in offline) and len(offline) == 9
    assert out.rstrip().endswith("ready (offline checks only; give a token for the rest)")


def test_the_files_init_writes_are_lint_clean(repo):
    from test_lint import run_lint

    run("init", "--repo", str(repo), "--action-ref", "a" * 40, "--version", "v0.1.0")
    result = run_lint(repo / WORKFLOW_PATH, repo / FORM_PATH)
    assert result.returncode == 0, result.stdout + result.stderr


def test_init_keeps_existing_files_unless_forced(repo):
    (repo / ".github").mkdir()
    (repo / CONFIG_PATH).write_text("max_cycles: 5\n")
    _, out = run("init", "--repo", str(repo))
    assert "kept     .github/workorder.yml" in out and (repo / CONFIG_PATH).read_text() == "max_cycles: 5\n"
    run("init", "--repo", str(repo), "--force")
    assert "label_prefix" in (repo / CONFIG_PATH).read_text()


def test_init_pins_the_action_by_sha_with_a_version_comment():
    sha = "0123456789abcdef0123456789abcdef01234567"
    workflow = render_init_files(sha, "v0.1.0")[WORKFLOW_PATH]
    assert workflow.count(f"uses: workorder-dev/workorder@{sha} # v0.1.0\n") == 2
    assert "zizmor: ignore" not in workflow.split("jobs:")[1].split("uses: workorder-dev")[1]


def test_the_examples_are_what_init_writes():
    files = render_init_files(example=True)
    assert files[WORKFLOW_PATH] == (ROOT / "examples" / "workflow.yml").read_text()
    assert files[FORM_PATH] == (ROOT / ".github" / "ISSUE_TEMPLATE" / "work-order.yml").read_text()


def test_init_with_a_token_creates_the_missing_labels(repo):
    fake = FakeGitHub()
    fake.labels["wo:ready"] = {"color": "0e8a16", "description": ""}
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": fake.repo, "WORKORDER_NO_THROTTLE": "1"}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.install(rsps)
        code, out = run("init", "--repo", str(repo), environ=env)
    assert code == 0
    assert {"wo:running", "wo:review", "wo:passed", "wo:blocked", "wo:invalid"} <= set(fake.labels)
    assert "label    wo:running created" in out and "label    wo:ready created" not in out
    assert [c for c in fake.calls if c[0] == "POST"].__len__() == len(fake.labels) - 1


# ---- each offline check that fails --------------------------------------------------------------

def _init(repo: Path) -> None:
    assert run("init", "--repo", str(repo))[0] == 0


def _edit_workflow(repo: Path, change) -> None:
    path = repo / WORKFLOW_PATH
    flow = yaml.safe_load(path.read_text())
    change(flow)
    path.write_text(yaml.safe_dump(flow, sort_keys=False))


def _drop_timeout(flow):
    del flow["jobs"]["route"]["timeout-minutes"]


def _unpin(flow):
    flow["jobs"]["workorder"]["steps"][0]["uses"] = "actions/checkout@v4"


def _route_trigger(flow):
    flow["jobs"]["route"]["steps"][0]["with"]["trigger-label"] = "go"


def _route_if(flow):
    flow["jobs"]["route"]["if"] = flow["jobs"]["route"]["if"].replace("'wo/'", "'work/'")


def _write_at_top(flow):
    flow["permissions"] = {"contents": "write"}


def _no_job_write(flow):
    flow["jobs"]["workorder"]["permissions"] = {"contents": "read"}


def _pull_request(flow):
    flow[True]["pull_request"] = {"types": ["synchronize"]}


def _no_comments(flow):
    del flow[True]["issue_comment"]


@pytest.mark.parametrize(("change", "title", "fix"), [
    (_drop_timeout, "every job has timeout-minutes", "timeout-minutes"),
    (_unpin, "actions pinned by commit SHA", "40-character commit SHA"),
    (_write_at_top, "least permissions per job", "permissions: {}"),
    (_no_job_write, "least permissions per job", "statuses: write"),
    (_pull_request, "workflow triggers", "pull_request_target"),
    (_no_comments, "workflow triggers", "add the triggers"),
    (_route_trigger, "route step matches the config", "trigger-label: go (config: wo:ready)"),
    (_route_if, "route step matches the config", "if: lacks 'wo/'"),
], ids=["timeout", "pins", "workflow-level-write", "job-lacks-write", "pull_request", "missing-trigger",
        "route-input", "route-if"])
def test_a_workflow_miss_fails_doctor_with_its_fix(repo, change, title, fix):
    _init(repo)
    _edit_workflow(repo, change)
    code, out = run("doctor", "--repo", str(repo), "--offline")
    assert code == 1 and statuses(out)[title] == "MISS", out
    assert fix in out and "not ready: 1 check failed" in out


@pytest.mark.parametrize(("setup", "title", "fix"), [
    (lambda r: (r / CONFIG_PATH).write_text("max_cycle: 2\n"), "repo config", "workorder validate --config"),
    (lambda r: (r / FORM_PATH).unlink(), "issue form gives a valid work order", "workorder init"),
    (lambda r: (r / FORM_PATH).write_text((r / FORM_PATH).read_text().replace("label: Objective", "label: Goal")),
     "issue form gives a valid work order", "field labels"),
    (lambda r: (r / WORKFLOW_PATH).unlink(), "workflow runs the action", "workorder init"),
    (lambda r: (r / CONFIG_PATH).write_text("rules_file: TEAM.md\n"), "rules file for the agent and reviewer",
     "AGENTS.md"),
    (lambda r: (r / CONFIG_PATH).write_text("branch_prefix: agent/\n"), "route step matches the config",
     "branch-prefix: wo/ (config: agent/)"),
    (lambda r: (r / CONFIG_PATH).write_text("trigger_label: go\n"), "route step matches the config", "if: lacks 'go'"),
], ids=["bad-config", "no-form", "form-without-objective", "no-workflow", "configured-rules-file-missing",
        "config-branch-prefix", "config-trigger-outside-the-prefix"])
def test_a_repository_miss_fails_doctor_with_its_fix(repo, setup, title, fix):
    _init(repo)
    setup(repo)
    code, out = run("doctor", "--repo", str(repo), "--offline")
    assert code == 1 and statuses(out)[title] == "MISS", out
    assert fix in out


def test_a_bad_config_names_the_key(repo):
    _init(repo)
    (repo / CONFIG_PATH).write_text("max_cycle: 2\n")
    assert "max_cycle" in run("doctor", "--repo", str(repo), "--offline")[1]


# ---- online checks against the fake GitHub ------------------------------------------------------

class DoctorGitHub(FakeGitHub):
    """The fake plus what only doctor reads: branch protection, rulesets, secrets, the repository."""

    def __init__(self) -> None:
        super().__init__()
        self.protection: list[str] | None = None  # None: the branch is not protected (404)
        self.ruleset_checks: list[str] = []
        self.secrets: list[str] | None = []       # None: the token may not list them (403)
        self.push = True
        self.rulesets: list[dict] = []            # created through POST /rulesets
        self.admin = True                         # False: rulesets answer 403 (no administration permission)

    def _routes(self):
        return [
            ("GET", r"/branches/([^/]+)/protection/required_status_checks", self._protection),
            ("GET", r"/rules/branches/([^/]+)", self._rules),
            ("GET", r"/actions/secrets", self._secrets),
            ("GET", r"/rulesets", self._list_rulesets),
            ("POST", r"/rulesets", self._create_ruleset),
            ("GET", r"/actions/organization-secrets", lambda b, q: self._json(200, {"total_count": 0, "secrets": []})),
            ("GET", r"", lambda b, q: self._json(200, {"full_name": self.repo, "permissions": {"push": self.push}})),
            *super()._routes(),
        ]

    def _protection(self, body, query, branch):
        if self.protection is None:
            return self._json(404, {"message": "Branch not protected"})
        return self._json(200, {"strict": False, "contexts": self.protection, "checks": []})

    def _rules(self, body, query, branch):
        params = {"required_status_checks": [{"context": c} for c in self.ruleset_checks], "strict_required_status_checks_policy": False}
        return self._json(200, [{"type": "required_status_checks", "parameters": params}] if self.ruleset_checks else [])

    def _list_rulesets(self, body, query):
        if not self.admin:
            return self._json(403, {"message": "Resource not accessible by integration"})
        return self._page([{"id": i + 1, "name": r["name"]} for i, r in enumerate(self.rulesets)], query, "/rulesets")

    def _create_ruleset(self, body, query):
        if not self.admin:
            return self._json(403, {"message": "Resource not accessible by integration"})
        if any(r["name"] == body["name"] for r in self.rulesets):
            return self._json(422, {"message": "Validation Failed", "errors": ["Name must be unique"]})
        self.rulesets.append(body)
        for rule in body["rules"]:  # what GET /rules/branches/{branch} then reports for the default branch
            if rule["type"] == "required_status_checks" and "~DEFAULT_BRANCH" in body["conditions"]["ref_name"]["include"]:
                self.ruleset_checks += [c["context"] for c in rule["parameters"]["required_status_checks"]]
        return self._json(201, {"id": len(self.rulesets), **body})

    def _secrets(self, body, query):
        if self.secrets is None:
            return self._json(403, {"message": "Resource not accessible by integration"})
        return self._json(200, {"total_count": len(self.secrets), "secrets": [{"name": n} for n in self.secrets]})


@pytest.fixture
def ready_github(repo) -> DoctorGitHub:
    """A repository after `workorder init` with a token, whose default branch requires the verdict
    through a ruleset, and whose config names the secret OPENAI_API_KEY (preset codex), which exists."""
    fake = DoctorGitHub()
    fake.ruleset_checks = ["workorder/verdict"]
    fake.secrets = ["OPENAI_API_KEY"]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.install(rsps)
        run("init", "--repo", str(repo), environ={"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": fake.repo,
                                                  "WORKORDER_NO_THROTTLE": "1"})
    (repo / CONFIG_PATH).write_text((repo / CONFIG_PATH).read_text() + "runner:\n  preset: codex\n")
    return fake


def doctor_online(repo: Path, fake: DoctorGitHub) -> tuple[int, str]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.install(rsps)
        return run("doctor", "--repo", str(repo), environ={"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": fake.repo})


def test_a_ready_repository_passes_the_online_checks(repo, ready_github):
    code, out = doctor_online(repo, ready_github)
    assert code == 0, out
    marks = statuses(out)
    assert marks["state labels exist"] == marks["main requires the status workorder/verdict"] == "ok"
    assert marks["secrets the config names exist"] == marks["the token may push"] == "ok"
    assert out.rstrip().endswith("ready")


def _no_labels(fake):
    fake.labels.clear()


def _no_required_status(fake):
    fake.ruleset_checks = []
    fake.protection = ["ci/test"]


def _no_secret(fake):
    fake.secrets = ["ANTHROPIC_API_KEY"]


def _read_only(fake):
    fake.push = False


@pytest.mark.parametrize(("change", "title", "detail"), [
    (_no_labels, "state labels exist", "wo:ready"),
    (_no_required_status, "main requires the status workorder/verdict", "required: ci/test"),
    (_no_secret, "secrets the config names exist", "OPENAI_API_KEY"),
    (_read_only, "the token may push", "no push"),
], ids=["labels", "protection", "secrets", "token"])
def test_an_online_miss_fails_doctor(repo, ready_github, change, title, detail):
    change(ready_github)
    code, out = doctor_online(repo, ready_github)
    assert code == 1 and statuses(out)[title] == "MISS", out
    assert detail in out


def test_secrets_the_token_cannot_list_are_skipped_not_passed(repo, ready_github):
    ready_github.secrets = None
    code, out = doctor_online(repo, ready_github)
    assert code == 0 and statuses(out)["secrets the config names exist"] == "skip"
    assert "check by hand" in out


@pytest.mark.parametrize("command", ["init", "doctor"])
def test_setup_commands_have_help_and_a_description(command):
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert sub.choices[command].description and len(sub.choices[command].description) > 40


# ---- init --require-verdict: the ruleset that makes the default branch require the verdict --------

def init_online(repo: Path, fake: DoctorGitHub, *extra: str) -> tuple[int, str]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.install(rsps)
        return run("init", "--repo", str(repo), "--require-verdict", *extra,
                   environ={"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": fake.repo, "WORKORDER_NO_THROTTLE": "1"})


def test_init_require_verdict_creates_the_ruleset_once_and_doctor_then_passes(repo):
    from workorder.cli.init import verdict_ruleset

    fake = DoctorGitHub()
    fake.secrets = ["OPENAI_API_KEY"]
    code, out = init_online(repo, fake)
    assert code == 0, out
    assert 'ruleset  "workorder verdict" created' in out
    assert fake.rulesets == [verdict_ruleset()] and fake.ruleset_checks == ["workorder/verdict"]
    code, out = doctor_online(repo, fake)
    assert code == 0 and statuses(out)["main requires the status workorder/verdict"] == "ok", out
    code, out = init_online(repo, fake)
    assert code == 0 and "exists (nothing changed)" in out and len(fake.rulesets) == 1


def test_init_require_verdict_creates_one_ruleset_when_github_applied_it_and_answered_502(repo):
    from fakegithub import fault

    fake = DoctorGitHub()
    fake.fault_on("POST", r".*/rulesets$", fault("applied-502"))
    code, out = init_online(repo, fake)
    assert code == 0, out
    assert not fake.faults_on, "the 502 was injected"
    assert len(fake.rulesets) == 1 and fake.count("POST", r"/rulesets$") == 1


def test_init_require_verdict_without_administration_says_how_to_do_it_by_hand(repo):
    fake = DoctorGitHub()
    fake.admin = False
    code, out = init_online(repo, fake)
    assert code == 1 and not fake.rulesets
    assert "ruleset  not created:" in out and "403" in out and "administration permission" in out
    assert "label    wo:ready created" in out, "the labels are still created"


def test_init_require_verdict_without_a_token_fails_and_says_why(repo):
    code, out = run("init", "--repo", str(repo), "--require-verdict", environ={})
    assert code == 1 and "ruleset  not created (no token" in out
