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
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TextIO

import yaml

from ..contracts.config import CONFIG_PATH, RepoConfig, parse_repo_config
from ..inputs.problems import InvalidInput
from ..loop.state import STATUS_CONTEXT

if TYPE_CHECKING:
    from ..templates import Templates

Status = Literal["ok", "miss", "warn", "skip"]
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


# outcome kind -> the parts of templates/doctor_check.txt.j2 it has besides the title (which the check id picks)
PARTS: dict[str, tuple[str, ...]] = {
    "config_ok": ("detail",), "config_absent": ("detail", "fix"), "config_invalid": ("detail", "fix"),
    "issue_form_ok": ("detail",), "issue_form_absent": ("detail", "fix"), "issue_form_invalid": ("detail", "fix"),
    "workflow_ok": ("detail",), "workflow_absent": ("detail", "fix"),
    "triggers_ok": ("detail",), "triggers_pull_request": ("detail", "fix"), "triggers_missing": ("detail", "fix"),
    "permissions_ok": ("detail",), "permissions_workflow_write": ("detail", "fix"),
    "permissions_job_lacks": ("detail", "fix"),
    "pins_ok": (), "pins_loose": ("detail", "fix"),
    "timeouts_ok": (), "timeouts_missing": ("detail", "fix"),
    "route_ok": (), "route_mismatch": ("detail", "fix"),
    "rules_ok": ("detail",), "rules_absent": ("detail", "fix"),
    "labels_ok": ("detail",), "labels_unknown": ("detail",), "labels_missing": ("detail", "fix"),
    "protection_ok": (), "protection_unknown": ("detail", "fix"), "protection_missing": ("detail", "fix"),
    "secrets_none": ("detail",), "secrets_ok": ("detail",), "secrets_unknown": ("detail", "fix"),
    "secrets_missing": ("detail", "fix"),
    "token_ok": (), "token_unknown": ("detail",), "token_denied": ("detail", "fix"),
    "online_failed": ("detail",), "online_offline": ("detail",), "online_no_token": ("detail",),
}


@lru_cache(maxsize=1)
def _templates() -> Templates:
    from ..templates import Templates

    return Templates()


def check_text(part: str, kind: str, **facts: object) -> str:
    """``part`` (title, detail or fix) of a checklist line: ``templates/doctor_check.txt.j2`` rendered whole
    with ``kind`` (for a title the check id, else an outcome of :data:`PARTS`) and ``facts``, without its
    line end (facts such as a YAML error keep their own line breaks). Raises ``jinja2.UndefinedError`` for
    an unknown kind or a missing fact (a bug)."""
    return _templates().render("doctor_check.txt.j2", part=part, kind=kind, **facts).removesuffix("\n")


def _check(id_: str, status: Status, kind: str, **facts: object) -> Check:
    """The check ``id_`` with ``status``: title from ``id_``, detail and fix from ``kind`` (:data:`PARTS`)."""
    parts = PARTS[kind]
    text = {part: check_text(part, kind, **facts) for part in parts}
    return Check(id_, check_text("title", id_, **facts), status, text.get("detail", ""), text.get("fix", ""))


# ---- offline -------------------------------------------------------------------------------------

def check_config(repo: Path) -> tuple[Check, RepoConfig]:
    """The repo config parses (absent: the defaults apply). Returns the check and the config."""
    path = repo / CONFIG_PATH
    if not path.exists():
        return _check("config", "warn", "config_absent", config_path=CONFIG_PATH), RepoConfig()
    try:
        config = parse_repo_config(path.read_text(encoding="utf-8"))
    except InvalidInput as exc:
        return _check("config", "miss", "config_invalid", config_path=CONFIG_PATH, problems=exc.problems), RepoConfig()
    return _check("config", "ok", "config_ok", config_path=CONFIG_PATH), config


def check_issue_form(repo: Path) -> Check:
    """The issue form exists and an issue written with it (placeholders as answers) is a valid work order."""
    from ..contracts.workorder import parse_work_order_body

    forms = sorted((repo / ".github" / "ISSUE_TEMPLATE").glob("*.y*ml"))
    form = next((f for f in forms if "work" in f.name), None)
    if form is None:
        return _check("issue_form", "miss", "issue_form_absent")
    try:
        body = _sample_issue_body(yaml.safe_load(form.read_text(encoding="utf-8")))
        parse_work_order_body(body)
    except (InvalidInput, yaml.YAMLError, AttributeError, TypeError) as exc:
        problems = exc.problems if isinstance(exc, InvalidInput) else []
        return _check("issue_form", "miss", "issue_form_invalid", form=str(form.relative_to(repo)),
                      problems=problems, error=str(exc))
    return _check("issue_form", "ok", "issue_form_ok", form=str(form.relative_to(repo)))


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
        return [_check("workflow", "miss", "workflow_absent")]
    path, flow = found
    rel = str(path.relative_to(repo))
    return [_check("workflow", "ok", "workflow_ok", rel=rel), _check_triggers(flow, rel),
            _check_permissions(flow, rel), _check_pins(flow, rel), _check_timeouts(flow, rel),
            _check_route(flow, rel, config or RepoConfig())]


def _check_triggers(flow: dict, rel: str) -> Check:
    triggers = _triggers(flow)
    missing = []
    for event, action in NEEDED_TRIGGERS.items():
        types = (triggers.get(event) or {}).get("types") if isinstance(triggers.get(event), dict) else None
        if event not in triggers or (types is not None and action not in types):
            missing.append((event, action))
    if "pull_request" in triggers:
        return _check("triggers", "miss", "triggers_pull_request", rel=rel)
    if missing:
        return _check("triggers", "miss", "triggers_missing", rel=rel, missing=missing)
    return _check("triggers", "ok", "triggers_ok", triggers=list(NEEDED_TRIGGERS))


def _check_permissions(flow: dict, rel: str) -> Check:
    top = flow.get("permissions")
    if top not in ({}, None, "read-all") and (not isinstance(top, dict) or "write" in top.values()):
        return _check("permissions", "miss", "permissions_workflow_write", rel=rel)
    jobs = flow.get("jobs") or {}
    runners = [j for j in jobs.values() if isinstance(j, dict) and _runs_handle(j)]
    granted = [(j.get("permissions") or {}) for j in runners]
    if not granted or not any(all(g.get(p) == "write" for p in NEEDED_WRITE) for g in granted):
        return _check("permissions", "miss", "permissions_job_lacks", needed=NEEDED_WRITE)
    return _check("permissions", "ok", "permissions_ok")


def _runs_handle(job: dict) -> bool:
    for step in job.get("steps") or []:
        if isinstance(step, dict) and "workorder" in str(step.get("uses", "")):
            return (step.get("with") or {}).get("mode", "handle") == "handle"
    return False


def _check_pins(flow: dict, rel: str) -> Check:
    loose = sorted({u for u in _uses(flow.get("jobs")) if not u.startswith("./") and not OWN_ACTION.search(u)
                    and not SHA_REF.match(u)})
    if loose:
        return _check("pins", "miss", "pins_loose", loose=loose)
    return _check("pins", "ok", "pins_ok")


def _check_timeouts(flow: dict, rel: str) -> Check:
    jobs = flow.get("jobs") or {}
    missing = [name for name, job in jobs.items() if isinstance(job, dict) and "timeout-minutes" not in job]
    if missing:
        return _check("timeouts", "miss", "timeouts_missing", jobs=missing)
    return _check("timeouts", "ok", "timeouts_ok")


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

    wanted = route_inputs(config)
    defaults = route_inputs(RepoConfig())
    for job, given in _route_jobs(flow):
        inputs = [(name, given.get(name, defaults[name]), value) for name, value in wanted.items()
                  if str(given.get(name, defaults[name])) != value]
        condition = str(job.get("if", ""))
        needed = [config.label_prefix, config.command_prefix, config.branch_prefix]
        needed += [] if config.trigger.startswith(config.label_prefix) else [config.trigger]
        lacking = [text for text in needed if condition and f"'{text}'" not in condition]
        if inputs or lacking:
            return _check("route", "miss", "route_mismatch", rel=rel, inputs=inputs, lacking=lacking)
    return _check("route", "ok", "route_ok")


def check_rules_file(repo: Path, config: RepoConfig) -> Check:
    """The team's rules file (config ``rules_file``, else AGENTS.md, AGENT_RULES.md, CONTRIBUTING.md)."""
    from ..contracts.defaultbranch import RULES_FILES

    candidates = [config.rules_file] if config.rules_file else list(RULES_FILES)
    found = next((c for c in candidates if (repo / c).is_file()), None)
    if found:
        return _check("rules", "ok", "rules_ok", found=found)
    status: Status = "miss" if config.rules_file else "warn"
    return _check("rules", status, "rules_absent", candidates=candidates)


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
    from ..loop.state import LABEL_STYLE, LabelNames

    names = probe.label_names()
    if names is None:
        return _check("labels", "skip", "labels_unknown")
    wanted = [LabelNames(config.label_prefix, config.trigger).label(s) for s in LABEL_STYLE]
    missing = [n for n in wanted if n not in names]
    if missing:
        return _check("labels", "miss", "labels_missing", missing=missing)
    return _check("labels", "ok", "labels_ok", count=len(wanted))


def _check_protection(probe: RepoProbe, branch: str) -> Check:
    contexts = probe.required_status_checks(branch)
    if contexts is None:
        return _check("protection", "skip", "protection_unknown", branch=branch, context=STATUS_CONTEXT)
    if STATUS_CONTEXT not in contexts:
        return _check("protection", "miss", "protection_missing", branch=branch, context=STATUS_CONTEXT,
                      contexts=contexts)
    return _check("protection", "ok", "protection_ok", branch=branch, context=STATUS_CONTEXT)


def secrets_named(config: RepoConfig) -> list[str]:
    """The secret names the config relies on: the runner's and reviewer's key variables and extra env."""
    from ..presets import agent_key_names

    names = [*agent_key_names(config.runner.preset, config.runner.api_key_env, config.runner.env)]
    if config.reviewer.preset != "none":
        names += agent_key_names(config.reviewer.preset, config.reviewer.api_key_env, config.reviewer.env)
    return sorted(set(names))


def _check_secrets(probe: RepoProbe, config: RepoConfig) -> Check:
    wanted = secrets_named(config)
    if not wanted:
        return _check("secrets", "ok", "secrets_none")
    have = probe.secret_names()
    if have is None:
        return _check("secrets", "skip", "secrets_unknown", wanted=wanted)
    missing = [n for n in wanted if n not in have]
    if missing:
        return _check("secrets", "miss", "secrets_missing", missing=missing)
    return _check("secrets", "ok", "secrets_ok", wanted=wanted)


def _check_token(probe: RepoProbe) -> Check:
    push = probe.can_push()
    if push is None:
        return _check("token", "skip", "token_unknown")
    if not push:
        return _check("token", "miss", "token_denied")
    return _check("token", "ok", "token_ok")


def is_ready(checks: list[Check]) -> bool:
    """True when no check is a ``miss``."""
    return all(c.status != "miss" for c in checks)


ONLINE = ("labels", "protection", "secrets", "token")  # the ids of the online checks, in checklist order


def cmd_doctor(args: Any, environ: Mapping[str, str], out: TextIO) -> int:
    """``workorder doctor``: print the checklist (templates/doctor.txt.j2); exit 0 when ready, 1 when
    a check missed. The token (``WORKORDER_GITHUB_TOKEN``, ``GITHUB_TOKEN`` or ``GH_TOKEN``) and the
    repository (``--github-repo``, else ``GITHUB_REPOSITORY``) come from the entry point's ``environ``;
    without them, or with ``--offline``, the online checks are skipped."""
    repo = Path(args.repo).resolve()
    checks, config = offline_checks(repo)
    token = environ.get("WORKORDER_GITHUB_TOKEN") or environ.get("GITHUB_TOKEN") or environ.get("GH_TOKEN") or ""
    repository = args.github_repo or environ.get("GITHUB_REPOSITORY") or ""
    if token and repository and not args.offline:
        from ..github.probe import RestProbe

        probe = RestProbe(token, repository, environ.get("GITHUB_API_URL") or "https://api.github.com")
        try:
            checks += online_checks(probe, config, args.default_branch)
        except (OSError, ValueError, KeyError, TypeError) as exc:  # requests' errors are OSErrors
            checks += [_check(i, "skip", "online_failed", context=STATUS_CONTEXT, error_type=type(exc).__name__)
                       for i in ONLINE]
    else:
        why = "online_offline" if args.offline else "online_no_token"
        checks += [_check(i, "skip", why, context=STATUS_CONTEXT) for i in ONLINE]
    out.write(_templates().render("doctor.txt.j2", repo=repo, checks=checks))
    return 0 if is_ready(checks) else 1
