"""``workorder init``: the files a repository needs, written from templates, and its labels.

Writes ``.github/workflows/workorder.yml`` (the example workflow, its action reference pinned when a
commit SHA is given), ``.github/workorder.yml`` (a small config whose first line points editors at the
published schema) and ``.github/ISSUE_TEMPLATE/work-order.yml`` (the issue form). The templates are
in ``workorder/templates/init/``; they are YAML full of GitHub's ``${{ }}`` expressions, so they use
the delimiters ``<$ $>`` (values) and ``<% %>`` (blocks) instead of Jinja's defaults.
With a forge (a token), it also creates every state label that is missing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from ..contracts.schemas import schema_id

if TYPE_CHECKING:  # jinja2 and the config (pydantic) load when init runs, not when the CLI parses its arguments
    import jinja2

    from ..contracts.config import RepoConfig

ACTION = "workorder-dev/workorder"
# The examples' pin (examples/*workflow.yml): a well-formed placeholder until a release's commit replaces it
EXAMPLE_SHA = "0" * 40
EXAMPLE_VERSION = "v0.1.0"
WORKFLOW_PATH = ".github/workflows/workorder.yml"
CONFIG_PATH = ".github/workorder.yml"
FORM_PATH = ".github/ISSUE_TEMPLATE/work-order.yml"
SHA = re.compile(r"[0-9a-f]{40}")


class LabelForge(Protocol):
    """The part of :class:`workorder.contracts.forge.Forge` that init and doctor use for labels."""

    def list_repo_labels(self) -> list[str]: ...

    def create_label(self, spec: object) -> None: ...


@dataclass
class InitResult:
    """What init did: repository-relative paths ``written`` and ``kept`` (existed, no --force),
    label names ``labels_created``; ``labels_checked`` is True when a forge was given, ``labels_error``
    says why GitHub refused them. ``ruleset`` (``--require-verdict``): created, present, refused
    (``ruleset_error`` says why), no_token, or empty when not asked."""

    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    labels_created: list[str] = field(default_factory=list)
    labels_checked: bool = False
    labels_error: str = ""
    ruleset: str = ""
    ruleset_error: str = ""
    action: str = ""  # the ``uses:`` value written, e.g. workorder-dev/workorder@<sha>
    action_version: str = ""  # the tag of that SHA (empty for a tag ref)
    action_source: str = ""  # release, git, dev or given (workorder.cli.release.ActionRef)


def _environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("workorder", "templates/init"), undefined=jinja2.StrictUndefined,
        variable_start_string="<$", variable_end_string="$>", block_start_string="<%", block_end_string="%>",
        comment_start_string="<#", comment_end_string="#>", trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, autoescape=False)


def route_inputs(config: RepoConfig) -> dict[str, str]:
    """The ``with:`` inputs of the workflow's route step (action.yml, mode ``route``) that must equal
    ``config``'s: ``trigger-label``, ``branch-prefix`` and ``command-prefix``."""
    return {"trigger-label": config.trigger, "branch-prefix": config.branch_prefix,
            "command-prefix": config.command_prefix}


def render_init_files(action_ref: str = EXAMPLE_SHA, version: str = EXAMPLE_VERSION, runner_command: str = "",
                      prefix: str = "wo:", example: bool = False) -> dict[str, str]:
    """The files init writes, ``{repository path: text}``. ``action_ref`` is a tag or a 40-hex commit
    SHA; with a SHA the ``uses:`` line is pinned and carries ``# <version>`` (default: the examples'
    placeholder pin, :data:`EXAMPLE_SHA` ``# v0.1.0``). ``example`` renders examples/workflow.yml's header instead of init's."""
    env = _environment()
    from ..contracts.config import RepoConfig

    defaults = RepoConfig()
    pinned = bool(SHA.fullmatch(action_ref))
    values = {"action": ACTION, "ref": action_ref, "pinned": pinned, "version": version or EXAMPLE_VERSION,
              "example": example, "trigger": f"{prefix}ready", "prefix": prefix,
              "branch_prefix": defaults.branch_prefix, "command_prefix": defaults.command_prefix,
              "schema_url": schema_id("config"), "runner_command": runner_command}
    return {
        WORKFLOW_PATH: env.get_template("workflow.yml.j2").render(**values),
        CONFIG_PATH: env.get_template("workorder.yml.j2").render(**values),
        FORM_PATH: env.get_template("work-order.yml.j2").render(**values),
    }


# ``workorder init --cleanup-workflow``: the optional scheduled retention workflow (templates/init/
# cleanup-workflow.yml.j2), the action's ``mode: cleanup`` (``workorder cleanup``, :mod:`workorder.cli.cleanup`)
# once a week with the least permissions it needs (contents: write to delete branches; issues and
# pull-requests: read to know which are done), pinned like the main workflow, dry-run unless --cleanup-apply.
CLEANUP_WORKFLOW_PATH = ".github/workflows/workorder-cleanup.yml"
CLEANUP_CRON = "17 4 * * 1"  # Mondays 04:17 UTC: off the hour, when GitHub's scheduler is least loaded


def render_cleanup_workflow(action_ref: str = EXAMPLE_SHA, version: str = EXAMPLE_VERSION, days: int = 30,
                            apply: bool = False, example: bool = False, cron: str = CLEANUP_CRON) -> str:
    """The cleanup workflow's text. ``action_ref`` is a tag or a 40-hex commit SHA (pinned, with ``# <version>``);
    ``days`` the run records kept; ``apply`` False writes ``dry-run: "true"`` (it only prints what would go);
    ``example`` renders examples/cleanup-workflow.yml's header. Raises ValueError when ``days`` < 1."""
    if days < 1:
        raise ValueError("--cleanup-days must be at least 1")
    from ..contracts.config import RepoConfig

    values = {"action": ACTION, "ref": action_ref, "pinned": bool(SHA.fullmatch(action_ref)),
              "version": version or EXAMPLE_VERSION, "example": example, "days": days, "apply": apply, "cron": cron,
              "branch_prefix": RepoConfig().branch_prefix}
    return _environment().get_template("cleanup-workflow.yml.j2").render(**values)


def write_init_files(repo: Path, files: dict[str, str], force: bool = False) -> InitResult:
    """Write ``files`` under ``repo`` (creating folders); an existing file is kept unless ``force``."""
    result = InitResult()
    for rel, text in files.items():
        path = repo / rel
        if path.exists() and not force:
            result.kept.append(rel)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        result.written.append(rel)
    return result


def create_missing_labels(forge: LabelForge, prefix: str = "wo:", trigger: str | None = None) -> list[str]:
    """Create every state label (``<prefix><state>``, the trigger label for ready) the repository
    lacks, with workorder's colours and descriptions; returns the names created. Raises what the
    forge raises (:class:`workorder.contracts.forge.ForgeError`)."""
    from ..contracts.forge import LabelSpec
    from ..loop.state import LABEL_STYLE, LabelNames

    names = LabelNames(prefix, trigger or f"{prefix}ready")
    existing = set(forge.list_repo_labels())
    created = []
    for state, (color, description) in LABEL_STYLE.items():
        name = names.label(state)
        if name not in existing:
            forge.create_label(LabelSpec(name=name, color=color, description=description))
            created.append(name)
    return created


RULESET_NAME = "workorder verdict"


class RulesetForge(Protocol):
    """The part of :class:`workorder.github.forge.GitHubForge` that ``--require-verdict`` uses."""

    def list_ruleset_names(self) -> list[str]: ...

    def create_ruleset(self, ruleset: dict[str, Any]) -> None: ...


def verdict_ruleset() -> dict[str, Any]:
    """The body of ``POST /repos/{owner}/{repo}/rulesets`` (docs.github.com/en/rest/repos/rules) for a
    ruleset named :data:`RULESET_NAME` that makes the default branch (``~DEFAULT_BRANCH``) require the
    commit status ``workorder/verdict`` (not strict: the branch need not be up to date)."""
    from ..loop.state import STATUS_CONTEXT

    return {"name": RULESET_NAME, "target": "branch", "enforcement": "active",
            "conditions": {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []}},
            "rules": [{"type": "required_status_checks", "parameters": {
                "strict_required_status_checks_policy": False,
                "required_status_checks": [{"context": STATUS_CONTEXT}]}}]}


def require_verdict(forge: RulesetForge) -> str:
    """Make the default branch require ``workorder/verdict`` through the ruleset :func:`verdict_ruleset`,
    unless a ruleset of that name exists. Returns ``created`` or ``present``; raises what the forge
    raises (:class:`workorder.contracts.forge.ForgeError`, e.g. 403 without the administration permission)."""
    if RULESET_NAME in forge.list_ruleset_names():
        return "present"
    forge.create_ruleset(verdict_ruleset())
    return "created"


def _set_up_github(forge: Any, args: Any, result: InitResult) -> int:
    """The labels and, with ``--require-verdict``, the ruleset; records what happened in ``result``.
    Returns 0, or 1 when GitHub refused either."""
    from ..contracts.forge import ForgeError

    code = 0
    try:
        result.labels_created = create_missing_labels(forge, args.label_prefix)
        result.labels_checked = True
    except ForgeError as exc:
        result.labels_error, code = str(exc), 1
    if args.require_verdict:
        try:
            result.ruleset = require_verdict(forge)
        except ForgeError as exc:
            result.ruleset, result.ruleset_error, code = "refused", str(exc), 1
    return code


def cmd_init(args: Any, environ: Mapping[str, str], out: TextIO) -> int:
    """``workorder init``: write the files (kept when present, unless ``--force``), with the action
    pinned to the installed release's commit (:func:`workorder.cli.release.installed_ref`; ``--action-ref``
    overrides it; a development install writes the tag ``v<major>`` and says so) and, with a token
    (``GITHUB_TOKEN``/``GH_TOKEN`` from the entry point's ``environ``) and a repository
    (``--github-repo`` or ``GITHUB_REPOSITORY``), create the missing state labels. Prints what it did
    (templates/init_report.txt.j2); with ``--require-verdict`` also the ruleset that makes the default
    branch require ``workorder/verdict``. Exit 0, or 1 when GitHub refused (or no token allowed) them."""
    from ..templates import Templates

    from .release import given_ref, installed_ref

    repo = Path(args.repo).resolve()
    ref = given_ref(args.action_ref, args.version or "") if args.action_ref else installed_ref()
    files = render_init_files(ref.ref, ref.version, args.runner_command or "", args.label_prefix)
    if getattr(args, "cleanup_workflow", False):  # the optional scheduled retention workflow
        files[CLEANUP_WORKFLOW_PATH] = render_cleanup_workflow(ref.ref, ref.version, args.cleanup_days,
                                                               args.cleanup_apply)
    result = write_init_files(repo, files, args.force)
    result.action, result.action_version, result.action_source = f"{ACTION}@{ref.ref}", ref.version, ref.source
    token = environ.get("GITHUB_TOKEN") or environ.get("GH_TOKEN") or ""
    repository = args.github_repo or environ.get("GITHUB_REPOSITORY") or ""
    code = 0
    if token and repository:
        from ..github.forge import GitHubForge

        throttle = {"seconds_between_requests": None, "seconds_between_writes": None} \
            if environ.get("WORKORDER_NO_THROTTLE") == "1" else {}
        forge = GitHubForge(token, repository, environ.get("GITHUB_API_URL") or "https://api.github.com", **throttle)
        code = _set_up_github(forge, args, result)
    elif args.require_verdict:
        result.ruleset, code = "no_token", 1
    out.write(Templates().render("init_report.txt.j2", result=result))
    return code
