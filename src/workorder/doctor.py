"""``workorder doctor``: is this repository ready for work orders? A checklist, with the fix for each miss.

Offline checks read the checkout: the config parses (``.github/workorder.yml``), the issue form yields
a valid work order, a workflow runs the action with the triggers, permissions, pins and timeouts it
needs (the rules of examples/workflow.yml), the rules file exists. Online checks ask GitHub through a
:class:`RepoProbe` (docs.github.com/en/rest): the state labels exist, the default branch requires the
status ``workorder/verdict`` (branch protection or a ruleset), the secrets the config names exist (by
name), the token may push. A check that cannot run (no token, no permission to look) is ``skip``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TextIO

import yaml

from .config import CONFIG_PATH, RepoConfig, parse_repo_config
from .problems import InvalidInput

Status = Literal["ok", "miss", "warn", "skip"]
STATUS_CONTEXT = "workorder/verdict"
NEEDED_TRIGGERS = {"issues": "labeled", "issue_comment": "created", "pull_request_review": "submitted",
                   "pull_request_target": "synchronize"}
NEEDED_WRITE = ("contents", "issues", "pull-requests", "statuses")
SHA_REF = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")
OWN_ACTION = re.compile(r"(^|/)workorder@")


@dataclass(frozen=True)
class Check:
    """One line of the checklist: ``id`` (stable, e.g. ``config``), ``title``, ``status`` (ok, miss:
    not ready, warn: works but should change, skip: could not check), ``detail`` and the ``fix``."""

    id: str
    title: str
    status: Status
    detail: str = ""
    fix: str = ""


def _ok(id_: str, title: str, detail: str = "") -> Check:
    return Check(id_, title, "ok", detail)


# ---- offline -------------------------------------------------------------------------------------

def check_config(repo: Path) -> tuple[Check, RepoConfig]:
    """The repo config parses (absent: the defaults apply). Returns the check and the config."""
    path = repo / CONFIG_PATH
    if not path.exists():
        return Check("config", "repo config", "warn", f"no {CONFIG_PATH}; the defaults apply",
                     "run `workorder init` to write one with the schema line"), RepoConfig()
    try:
        return _ok("config", "repo config", CONFIG_PATH), parse_repo_config(path.read_text(encoding="utf-8"))
    except InvalidInput as exc:
        detail = "; ".join(f"{p.field}: {p.message}" for p in exc.problems)
        return Check("config", "repo config", "miss", detail,
                     f"fix {CONFIG_PATH} (`workorder validate --config {CONFIG_PATH}` lists every problem)"), RepoConfig()


def check_issue_form(repo: Path) -> Check:
    """The issue form exists and an issue written with it (placeholders as answers) is a valid work order."""
    from .workorder import parse_work_order_body

    title = "issue form gives a valid work order"
    forms = sorted((repo / ".github" / "ISSUE_TEMPLATE").glob("*.y*ml"))
    form = next((f for f in forms if "work" in f.name), None)
    if form is None:
        return Check("issue_form", title, "miss", "no .github/ISSUE_TEMPLATE/work-order.yml",
                     "run `workorder init` (or copy the issue form from the workorder repository)")
    try:
        body = _sample_issue_body(yaml.safe_load(form.read_text(encoding="utf-8")))
        parse_work_order_body(body)
    except (InvalidInput, yaml.YAMLError, AttributeError, TypeError) as exc:
        detail = "; ".join(f"{p.field}: {p.message}" for p in exc.problems) if isinstance(exc, InvalidInput) else str(exc)
        return Check("issue_form", title, "miss", f"{form.relative_to(repo)}: {detail}",
                     "keep the form's field labels (Objective, In scope, Done when, …) as `workorder init` writes them")
    return _ok("issue_form", title, str(form.relative_to(repo)))


def _sample_issue_body(form: dict) -> str:
    """The body GitHub makes from ``form`` when every field is answered with its placeholder (or a
    plain answer): ``### <label>`` then the answer, per field."""
    parts = []
    for field in form.get("body") or []:
        attrs = field.get("attributes") or {}
        if field.get("type") == "markdown":
            continue
        if field.get("type") == "dropdown":
            answer = (attrs.get("options") or ["_No response_"])[attrs.get("default", 0)]
        elif field.get("type") == "checkboxes":
            answer = "\n".join(f"- [ ] {o['label']}" for o in attrs.get("options") or [])
        elif (field.get("validations") or {}).get("required"):
            answer = attrs.get("placeholder") or "an answer"
        else:
            answer = "_No response_"  # what GitHub writes for an optional field left empty
        parts.append(f"### {attrs.get('label')}\n\n{str(answer).strip()}\n")
    return "\n".join(parts)


def find_workflow(repo: Path) -> tuple[Path, dict] | None:
    """The first workflow under .github/workflows that uses the workorder action, parsed; else None."""
    for path in sorted((repo / ".github" / "workflows").glob("*.y*ml")):
        try:
            flow = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            continue
        if isinstance(flow, dict) and any("workorder@" in u for u in _uses(flow.get("jobs"))):
            return path, flow
    return None


def _uses(node: object) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "uses" and isinstance(v, str)] + \
            [u for k, v in node.items() if k != "uses" for u in _uses(v)]
    if isinstance(node, list):
        return [u for item in node for u in _uses(item)]
    return []


def _triggers(flow: dict) -> dict:
    on = flow.get("on", flow.get(True))  # PyYAML reads the key `on` as True
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {name: None for name in on}
    return on if isinstance(on, dict) else {}


def check_workflow(repo: Path, config: RepoConfig | None = None) -> list[Check]:
    """The workflow's triggers, permissions, pins, timeouts and route step (one check each); the route
    step's inputs are compared with ``config`` (default: the config defaults)."""
    found = find_workflow(repo)
    if found is None:
        return [Check("workflow", "workflow runs the action", "miss", "no workflow in .github/workflows uses workorder",
                      "run `workorder init` (writes .github/workflows/workorder.yml)")]
    path, flow = found
    rel = str(path.relative_to(repo))
    return [_ok("workflow", "workflow runs the action", rel), _check_triggers(flow, rel),
            _check_permissions(flow, rel), _check_pins(flow, rel), _check_timeouts(flow, rel),
            _check_route(flow, rel, config or RepoConfig())]


def _check_triggers(flow: dict, rel: str) -> Check:
    triggers = _triggers(flow)
    missing = []
    for event, action in NEEDED_TRIGGERS.items():
        types = (triggers.get(event) or {}).get("types") if isinstance(triggers.get(event), dict) else None
        if event not in triggers or (types is not None and action not in types):
            missing.append(f"{event} ({action})")
    if "pull_request" in triggers:
        return Check("triggers", "workflow triggers", "miss", f"{rel} runs on pull_request",
                     "use pull_request_target (synchronize): pull_request runs the work branch's workflow")
    if missing:
        return Check("triggers", "workflow triggers", "miss", f"{rel} lacks " + ", ".join(missing),
                     "add the triggers of examples/workflow.yml (or re-run `workorder init --force`)")
    return _ok("triggers", "workflow triggers", ", ".join(NEEDED_TRIGGERS))


def _check_permissions(flow: dict, rel: str) -> Check:
    title = "least permissions per job"
    top = flow.get("permissions")
    if top not in ({}, None, "read-all") and (not isinstance(top, dict) or "write" in top.values()):
        return Check("permissions", title, "miss", f"{rel} grants write permissions at workflow level",
                     "set `permissions: {}` at the top and give each job only what it needs")
    jobs = flow.get("jobs") or {}
    runners = [j for j in jobs.values() if isinstance(j, dict) and _runs_handle(j)]
    granted = [(j.get("permissions") or {}) for j in runners]
    if not granted or not any(all(g.get(p) == "write" for p in NEEDED_WRITE) for g in granted):
        return Check("permissions", title, "miss", f"the job that runs workorder lacks {', '.join(NEEDED_WRITE)}: write",
                     "give that job `permissions:` contents, issues, pull-requests and statuses: write")
    return _ok("permissions", title, "write only where workorder handles the event")


def _runs_handle(job: dict) -> bool:
    for step in job.get("steps") or []:
        if isinstance(step, dict) and "workorder" in str(step.get("uses", "")):
            return (step.get("with") or {}).get("mode", "handle") == "handle"
    return False


def _check_pins(flow: dict, rel: str) -> Check:
    loose = sorted({u for u in _uses(flow.get("jobs")) if not u.startswith("./") and not OWN_ACTION.search(u)
                    and not SHA_REF.match(u)})
    if loose:
        return Check("pins", "actions pinned by commit SHA", "miss", ", ".join(loose),
                     "pin each to the full 40-character commit SHA of its release, with the version in a comment")
    return _ok("pins", "actions pinned by commit SHA")


def _check_timeouts(flow: dict, rel: str) -> Check:
    jobs = flow.get("jobs") or {}
    missing = [name for name, job in jobs.items() if isinstance(job, dict) and "timeout-minutes" not in job]
    if missing:
        return Check("timeouts", "every job has timeout-minutes", "miss", ", ".join(missing),
                     "add `timeout-minutes:` (the default is 360 minutes of runner time)")
    return _ok("timeouts", "every job has timeout-minutes")


def _route_jobs(flow: dict) -> list[tuple[dict, dict]]:
    """(job, the ``with:`` of its workorder step) for every job whose workorder step has ``mode: route``."""
    found = []
    for job in (flow.get("jobs") or {}).values():
        for step in (job.get("steps") or []) if isinstance(job, dict) else []:
            given = step.get("with") if isinstance(step, dict) and "workorder" in str(step.get("uses", "")) else None
            given = given if isinstance(given, dict) else {}
            if given.get("mode") == "route":
                found.append((job, given))
    return found


def _check_route(flow: dict, rel: str, config: RepoConfig) -> Check:
    """The route step runs without the config (stdlib only), so its inputs and its job's ``if:`` must
    name the config's trigger label, branch prefix and command prefix."""
    from .init import route_inputs

    title = "route step matches the config"
    wanted = route_inputs(config)
    defaults = route_inputs(RepoConfig())
    for job, given in _route_jobs(flow):
        wrong = [f"{name}: {given.get(name, defaults[name])} (config: {value})" for name, value in wanted.items()
                 if str(given.get(name, defaults[name])) != value]
        condition = str(job.get("if", ""))
        needed = [config.label_prefix, config.command_prefix, config.branch_prefix]
        needed += [] if config.trigger.startswith(config.label_prefix) else [config.trigger]
        wrong += [f"if: lacks '{text}'" for text in needed if condition and f"'{text}'" not in condition]
        if wrong:
            return Check("route", title, "miss", f"{rel}: " + "; ".join(wrong),
                         "set the route step's trigger-label, branch-prefix and command-prefix and its job's `if:` "
                         "to the config's values (or re-run `workorder init --force`)")
    return _ok("route", title)


def check_rules_file(repo: Path, config: RepoConfig) -> Check:
    """The team's rules file (config ``rules_file``, else AGENTS.md, AGENT_RULES.md, CONTRIBUTING.md)."""
    from .defaultbranch import RULES_FILES

    candidates = [config.rules_file] if config.rules_file else list(RULES_FILES)
    found = next((c for c in candidates if (repo / c).is_file()), None)
    if found:
        return _ok("rules", "rules file for the agent and reviewer", found)
    status: Status = "miss" if config.rules_file else "warn"
    return Check("rules", "rules file for the agent and reviewer", status, "none of " + ", ".join(candidates),
                 "write AGENTS.md with the team's rules (or set rules_file in the config)")


def offline_checks(repo: Path) -> tuple[list[Check], RepoConfig]:
    """Every check that needs only the checkout ``repo``; also returns the config read."""
    config_check, config = check_config(repo)
    return [config_check, check_issue_form(repo), *check_workflow(repo, config), check_rules_file(repo, config)], config


# ---- online --------------------------------------------------------------------------------------

class RepoProbe(Protocol):
    """What doctor asks GitHub. Each method returns None when the token may not look (403/404)."""

    def label_names(self) -> list[str] | None: ...

    def required_status_checks(self, branch: str) -> list[str] | None: ...

    def secret_names(self) -> list[str] | None: ...

    def can_push(self) -> bool | None: ...


def online_checks(probe: RepoProbe, config: RepoConfig, default_branch: str) -> list[Check]:
    """Labels, the required status check, the secrets the config names, the token's push permission."""
    return [_check_labels(probe, config), _check_protection(probe, default_branch),
            _check_secrets(probe, config), _check_token(probe)]


def _check_labels(probe: RepoProbe, config: RepoConfig) -> Check:
    from .state import LABEL_STYLE, LabelNames

    names = probe.label_names()
    if names is None:
        return Check("labels", "state labels exist", "skip", "the token cannot list labels")
    wanted = [LabelNames(config.label_prefix, config.trigger).label(s) for s in LABEL_STYLE]
    missing = [n for n in wanted if n not in names]
    if missing:
        return Check("labels", "state labels exist", "miss", ", ".join(missing),
                     "run `workorder init` with a token (creates them), or create them by hand")
    return _ok("labels", "state labels exist", f"{len(wanted)} labels")


def _check_protection(probe: RepoProbe, branch: str) -> Check:
    title = f"{branch} requires the status {STATUS_CONTEXT}"
    contexts = probe.required_status_checks(branch)
    if contexts is None:
        return Check("protection", title, "skip", "the token cannot read branch protection or rulesets",
                     "check by hand: Settings → Rules (or Branches) → require status checks")
    if STATUS_CONTEXT not in contexts:
        return Check("protection", title, "miss", "required: " + (", ".join(contexts) or "none"),
                     f"add a ruleset (or branch protection) on {branch} requiring the status check {STATUS_CONTEXT}")
    return _ok("protection", title)


def secrets_named(config: RepoConfig) -> list[str]:
    """The secret names the config relies on: the runner's and reviewer's key variables and extra env."""
    from .handle import agent_key_names

    names = [*agent_key_names(config.runner.preset, config.runner.api_key_env, config.runner.env)]
    if config.reviewer.preset != "none":
        names += agent_key_names(config.reviewer.preset, config.reviewer.api_key_env, config.reviewer.env)
    return sorted(set(names))


def _check_secrets(probe: RepoProbe, config: RepoConfig) -> Check:
    wanted = secrets_named(config)
    if not wanted:
        return _ok("secrets", "secrets the config names exist", "the config names none")
    have = probe.secret_names()
    if have is None:
        return Check("secrets", "secrets the config names exist", "skip", "the token cannot list secrets: " + ", ".join(wanted),
                     "check by hand: Settings → Secrets and variables → Actions")
    missing = [n for n in wanted if n not in have]
    if missing:
        return Check("secrets", "secrets the config names exist", "miss", ", ".join(missing),
                     "add them as repository (or organisation) secrets and pass them to the job's env")
    return _ok("secrets", "secrets the config names exist", ", ".join(wanted))


def _check_token(probe: RepoProbe) -> Check:
    push = probe.can_push()
    if push is None:
        return Check("token", "the token may push", "skip", "GitHub did not say")
    if not push:
        return Check("token", "the token may push", "miss", "no push (contents: write) permission",
                     "use a token with contents, issues, pull-requests and statuses write")
    return _ok("token", "the token may push")


def is_ready(checks: list[Check]) -> bool:
    """True when no check is a ``miss``."""
    return all(c.status != "miss" for c in checks)


ONLINE = (("labels", "state labels exist"), ("protection", f"default branch requires the status {STATUS_CONTEXT}"),
          ("secrets", "secrets the config names exist"), ("token", "the token may push"))


def cmd_doctor(args: Any, environ: Mapping[str, str], out: TextIO) -> int:
    """``workorder doctor``: print the checklist (templates/doctor.txt.j2); exit 0 when ready, 1 when
    a check missed. The token (``WORKORDER_GITHUB_TOKEN``, ``GITHUB_TOKEN`` or ``GH_TOKEN``) and the
    repository (``--github-repo``, else ``GITHUB_REPOSITORY``) come from the entry point's ``environ``;
    without them, or with ``--offline``, the online checks are skipped."""
    from .templates import Templates

    repo = Path(args.repo).resolve()
    checks, config = offline_checks(repo)
    token = environ.get("WORKORDER_GITHUB_TOKEN") or environ.get("GITHUB_TOKEN") or environ.get("GH_TOKEN") or ""
    repository = args.github_repo or environ.get("GITHUB_REPOSITORY") or ""
    if token and repository and not args.offline:
        from .doctor_probe import RestProbe

        probe = RestProbe(token, repository, environ.get("GITHUB_API_URL") or "https://api.github.com")
        try:
            checks += online_checks(probe, config, args.default_branch)
        except (OSError, ValueError, KeyError, TypeError) as exc:  # requests' errors are OSErrors
            checks += [Check(i, t, "skip", f"GitHub could not be asked: {type(exc).__name__}") for i, t in ONLINE]
    else:
        why = "--offline" if args.offline else "no token or repository (set GITHUB_TOKEN and --github-repo OWNER/NAME)"
        checks += [Check(i, t, "skip", why) for i, t in ONLINE]
    out.write(Templates().render("doctor.txt.j2", repo=repo, checks=checks))
    return 0 if is_ready(checks) else 1
