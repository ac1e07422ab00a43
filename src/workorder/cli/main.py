"""The entry point: the only place that reads the environment and builds real clients.

Commands: ``workorder demo``, ``workorder run FILE | --milestone M``, ``workorder validate FILE``, ``workorder handle [--dry-run]``,
``workorder route``, ``workorder schema NAME``. Heavy imports (PyGithub) happen only in the command that needs them, so
start-up stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from .. import __version__
from .console import ConsoleReporter

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _error(templates: Any, message: str, stream: TextIO) -> None:
    stream.write(templates.render("error.txt.j2", message=message))


def _message(templates: Any, kind: str, **facts: object) -> str:
    """Message ``kind`` of templates/cli_message.txt.j2 rendered whole with ``facts``, without its line end."""
    return templates.render("cli_message.txt.j2", kind=kind, **facts).removesuffix("\n")


def _usage(templates: Any, kind: str, stream: TextIO, **facts: object) -> None:
    """Write the usage error ``kind`` (templates/cli_message.txt.j2 inside templates/error.txt.j2) to ``stream``."""
    _error(templates, _message(templates, kind, **facts), stream)


def cmd_demo(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
    """Run the offline demo; exit 0 when it ends in PASS."""
    from ..demo.run import run_demo
    from ..templates import Templates

    templates = Templates()
    root = Path(args.dir).resolve() if args.dir else Path(tempfile.mkdtemp(prefix="workorder-demo-"))
    if root.exists() and any(root.iterdir()):
        _usage(templates, "dir_not_empty", sys.stderr, root=root)
        return EXIT_USAGE
    if args.milestone:
        return _demo_milestone(root, environ, out)
    reporter = ConsoleReporter(templates, out, root / "runs")
    result = run_demo(root, sys.executable, dict(environ), reporter)
    out.write(
        templates.render(
            "demo_end.txt.j2", outcome=result.outcome, approval=result.approval, audit_path=result.audit_path,
            runs_path=root / "runs",
            forge_path=result.forge_path, root=root, posts=result.posts,
        )
    )
    final = result.approval.state if result.approval and result.approval.state else result.outcome.state
    return EXIT_OK if final is not None and final.state.value == "approved" else EXIT_INVALID


def cmd_run(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
    """Work through a milestone's issue files in dependency order; exit 0 when all PASSed."""
    from ..local.run import LocalRunError, run_milestone
    from ..contracts.milestone import as_payload
    from ..templates import Templates

    templates = Templates()
    if (args.file is None) == (args.milestone is None):
        _usage(templates, "run_file_or_milestone", sys.stderr)
        return EXIT_USAGE
    if args.file is not None:
        return cmd_run_file(args, environ, out)
    repo = Path(args.repo).resolve()
    reporter = None if args.json else ConsoleReporter(templates, sys.stderr, repo / ".workorder" / "runs",
                                                      show_verdicts=False)

    def progress(done: int, total: int, row: Any) -> None:
        sys.stderr.write(templates.render("milestone_progress.txt.j2", done=done, total=total, row=row))

    try:
        result = run_milestone(repo, args.milestone, dict(environ), rerun=args.rerun,
                               runner_command=args.runner_command, reporter=reporter, progress=progress,
                               holds_credential=bool(args.push or args.open_prs),
                               isolation=environ.get("WORKORDER_ISOLATION", "").strip() or None)
    except LocalRunError as exc:
        sys.stderr.write(templates.render("local_run_error.txt.j2", code=exc.code, problems=exc.problems,
                                          values=exc.values))
        return EXIT_INVALID
    if args.push or args.open_prs:
        published = _publish(args, environ, repo, result, templates)
        if published is None:
            return EXIT_USAGE
    if args.json:
        payload = {"milestone": result.milestone, "ok": result.ok, "ordering": as_payload(result.ordering),
                   "issues": [vars(r) for r in result.results]}
        out.write(json.dumps(payload, indent=2) + "\n")
    else:
        out.write(templates.render("milestone_summary.txt.j2", r=result))
    return EXIT_OK if result.ok else EXIT_INVALID


def cmd_run_file(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
    """Run the work order ``args.file`` in ``args.repo``; print its progress (stderr) and a summary
    (templates/single_run_summary.txt.j2, or JSON with ``--json``). Returns 0 when it PASSed, 1 when
    it did not or could not start (the reason on stderr, templates/local_run_error.txt.j2), 2 for a
    usage error of ``--push``/``--open-prs``."""
    from ..local.run import LocalRunError
    from ..local.single_run import run_single
    from ..templates import Templates

    templates = Templates()
    repo = Path(args.repo).resolve()
    reporter = None if args.json else ConsoleReporter(templates, sys.stderr, repo / ".workorder" / "runs")
    try:
        result = run_single(repo, Path(args.file), dict(environ), rerun=args.rerun,
                            runner_command=args.runner_command, reporter=reporter,
                            holds_credential=bool(args.push or args.open_prs),
                            isolation=environ.get("WORKORDER_ISOLATION", "").strip() or None)
    except LocalRunError as exc:
        sys.stderr.write(templates.render("local_run_error.txt.j2", code=exc.code, problems=exc.problems,
                                          values=exc.values))
        return EXIT_INVALID
    if (args.push or args.open_prs) and _publish(args, environ, repo, result, templates) is None:
        return EXIT_USAGE
    [row] = result.results
    if args.json:
        out.write(json.dumps({"file": result.milestone, "ok": result.ok, **vars(row)}, indent=2) + "\n")
    else:
        out.write(templates.render("single_run_summary.txt.j2", file=result.milestone, x=row))
    return EXIT_OK if result.ok else EXIT_INVALID


def _publish(args: argparse.Namespace, environ: Mapping[str, str], repo: Path, result: Any, templates: Any) -> list | None:
    """--push / --open-prs after a local run; None (with a message) when a token or repository is missing."""
    from ..shell.gitops import Git, basic_auth_header
    from ..local.run import publish_branches

    token = environ.get("GITHUB_TOKEN") or environ.get("GH_TOKEN") or ""
    server = environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    git = Git(repo=repo, env=dict(environ), auth_header=basic_auth_header(token) if token else None, auth_url=f"{server}/")
    forge = None
    if args.open_prs:
        repository = args.github_repo or environ.get("GITHUB_REPOSITORY")
        if not token or not repository:
            _usage(templates, "open_prs_needs_token", sys.stderr)
            return None
        from ..github.forge import GitHubForge

        throttle = {"seconds_between_requests": None, "seconds_between_writes": None} \
            if environ.get("WORKORDER_NO_THROTTLE") == "1" else {}
        from ..gates.secret_scan import MaskingForge

        forge = MaskingForge(GitHubForge(token, repository, environ.get("GITHUB_API_URL", "https://api.github.com"),
                                         **throttle), (token,))  # PR texts masked; a leaking branch never PASSes
    return publish_branches(result, git, forge, args.base, templates)


def _demo_milestone(root: Path, environ: Mapping[str, str], out: TextIO) -> int:
    """The example milestone: three work orders in dependency order with the scripted runner."""
    from ..demo.run import build_milestone_repo, git_env
    from ..shell.pythonshim import write_python_shim

    root.mkdir(parents=True, exist_ok=True)
    env = git_env(dict(environ))
    bin_dir = write_python_shim(root / "bin")
    env["PATH"] = f"{bin_dir}:{env.get('PATH', '')}"
    repo = build_milestone_repo(root, env)
    args = argparse.Namespace(repo=str(repo), file=None, milestone="M1", rerun=False, json=False, runner_command=None,
                              push=False, open_prs=False, github_repo=None, base="main")
    return cmd_run(args, env, out)


def cmd_validate(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
    """Validate a work order file (a work order body or a milestone issue file,
    :mod:`workorder.contracts.orderfile`; or ``--config`` a repo config); exit 1 listing every problem."""
    from ..inputs.problems import InvalidInput
    from ..templates import Templates

    templates = Templates()
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _usage(templates, "file_unreadable", sys.stderr, path=path, error=exc)
        return EXIT_USAGE
    if args.config:
        from ..contracts.config import parse_repo_config as parse
    else:
        from ..contracts.orderfile import parse_order_file

        def parse(text: str) -> object:
            return parse_order_file(str(path), text)
    what = _message(templates, "subject", config=args.config)
    try:
        parsed = parse(text)
    except InvalidInput as exc:
        out.write(templates.render("problems.txt.j2", source=str(path), what=what, problems=exc.problems))
        return EXIT_INVALID
    if not args.config:
        from ..gates.precheck import precheck_in_repo

        problems = precheck_in_repo(parsed.order, Path(args.repo) if args.repo else path.resolve().parent, environ)
        if problems:
            out.write(templates.render("problems.txt.j2", source=str(path), what=what, problems=problems,
                                       repo=args.repo or "it is in"))
            return EXIT_INVALID
    out.write(templates.render("problems.txt.j2", source=str(path), what=what, problems=[]))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
    """Print the JSON Schema of a contract, with its ``$id`` (workorder.contracts.schemas)."""
    from ..contracts.schemas import schema_of

    out.write(json.dumps(schema_of(args.name), indent=2) + "\n")
    return EXIT_OK


def _write_github_file(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)


def cmd_handle(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
    """Handle the event of this workflow run (``$GITHUB_EVENT_NAME``, ``$GITHUB_EVENT_PATH``): read the
    settings once, then :func:`workorder.cli.handle.run_handle`; whatever fails after that ends as a clear
    ``error`` outcome, never a traceback."""
    from .handle import UsageError, error_outcome, finish, run_handle
    from .settings import HandleSettings
    from ..templates import Templates

    settings = HandleSettings.from_environ(environ, args.event_name, args.event_path)
    try:
        return run_handle(settings, args.dry_run, out)
    except UsageError as exc:
        _error(Templates(), str(exc), sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # the last line of defence, around everything handle does
        if settings.debug:
            raise
        secrets = tuple(s for s in (settings.token, settings.reviewer_token) if len(s) >= 4)
        return finish(settings, Templates(), error_outcome(settings, exc, secrets), secrets, out)


def cmd_install_agent(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
    """Install the configured agent CLI at its pinned version (``--print`` only shows the command)."""
    import subprocess

    from ..contracts.config import RepoConfig
    from ..contracts.defaultbranch import read_default_branch
    from ..shell.gitops import Git
    from .handle import apply_action_inputs
    from ..presets import install_command
    from .settings import HandleSettings
    from ..templates import Templates

    settings = HandleSettings.from_environ(environ)
    git = Git(repo=settings.workspace, env=dict(environ))
    files = read_default_branch(git, args.default_branch) if git.rev("HEAD") else None
    templates = Templates()
    if files is not None and files.problems:  # an invalid config installs nothing and says why
        out.write(templates.render("problems.txt.j2", source=".github/workorder.yml",
                                   what=_message(templates, "subject", config=True),
                                   problems=files.problems))
        return EXIT_INVALID
    config = files.config if files is not None else RepoConfig()
    config = apply_action_inputs(config, settings.runner_preset, settings.agent_version)
    argv = install_command(config.runner.preset, config.runner.version, sys.executable)
    out.write(templates.render("install_agent.txt.j2", preset=config.runner.preset, argv=argv))
    _write_github_file(environ.get("GITHUB_OUTPUT"), f"user-namespaces={str(needs_user_namespaces(config)).lower()}\n")
    if argv is None or args.print_only:
        return EXIT_OK
    return subprocess.run(argv, check=False).returncode


def needs_user_namespaces(config: Any) -> bool:
    """Whether the config's runner or reviewer preset sandboxes with unprivileged user namespaces
    (:attr:`workorder.presets.base.AgentPreset.needs_user_namespaces`; codex's bubblewrap)."""
    from ..presets import PRESETS

    return any(getattr(PRESETS.get(name), "needs_user_namespaces", False)
               for name in (config.runner.preset, config.reviewer.preset))


def cmd_route(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
    """Print (and write to ``$GITHUB_OUTPUT``) the event's work order issue and lane."""
    from ..contracts.defaultbranch import read_default_branch
    from ..shell.gitops import Git
    from ..handlers.route import output_lines, route_event
    from ..templates import Templates

    event_name = environ.get("GITHUB_EVENT_NAME", "")
    if not event_name or not environ.get("GITHUB_EVENT_PATH"):
        _usage(Templates(), "route_no_event", sys.stderr)
        return EXIT_USAGE
    from .handle import UsageError, read_event_file

    try:
        payload = read_event_file(environ.get("GITHUB_EVENT_PATH", ""))
    except UsageError as exc:
        _error(Templates(), str(exc), sys.stderr)
        return EXIT_USAGE
    workspace = Path(environ.get("GITHUB_WORKSPACE") or os.getcwd())
    git = Git(repo=workspace, env=dict(environ))
    repo_info = payload.get("repository") if isinstance(payload, dict) and isinstance(payload.get("repository"), dict) else {}
    from ..contracts.config import RepoConfig

    config = read_default_branch(git, repo_info.get("default_branch") or "main").config if git.rev("HEAD") else RepoConfig()
    routed = route_event(event_name, payload, config)
    text = output_lines(routed)
    out.write(text)
    _write_github_file(environ.get("GITHUB_OUTPUT"), text)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``workorder`` command."""
    parser = argparse.ArgumentParser(prog="workorder", description="Run an AI coding agent under a strict PO loop.")
    parser.add_argument("--version", action="version", version=f"workorder {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the whole loop offline: FAIL, corrective cycle, PASS")
    demo.add_argument("--dir", help="folder to run in (new or empty; default: a new temp folder)")
    demo.add_argument("--milestone", action="store_true", help="run the example milestone (workorder run) instead")
    demo.set_defaults(func=cmd_demo)
    run = sub.add_parser("run", help="run one work order file, or a milestone's issue files in dependency order")
    run.add_argument("file", nargs="?", help="a work order file (front matter or issue-form sections, as validate "
                     "accepts) to run in the repository")
    run.add_argument("--milestone", help="milestone name in the issue files' front matter (instead of FILE)")
    run.add_argument("--repo", default=".", help="the repository (default: the current folder)")
    run.add_argument("--rerun", action="store_true", help="run PASSed work orders again")
    run.add_argument("--json", action="store_true", help="print the result as JSON")
    run.add_argument("--runner-command", help="SE runner command (default: runner.command in the config)")
    run.add_argument("--push", action="store_true", help="push the branches of PASSed issues to origin")
    run.add_argument("--open-prs", action="store_true", help="push and open draft PRs (needs GITHUB_TOKEN)")
    run.add_argument("--github-repo", help="OWNER/NAME for --open-prs (default: GITHUB_REPOSITORY)")
    run.add_argument("--base", default="main", help="base branch of the PRs (default main)")
    run.set_defaults(func=cmd_run)
    validate = sub.add_parser("validate", help="check a work order file (exit 1 listing every problem)")
    validate.add_argument("file")
    validate.add_argument("--config", action="store_true", help="the file is a repo config (.github/workorder.yml)")
    validate.add_argument("--repo", help="check the work order's globs and verify programs against this git "
                          "checkout at HEAD (default: the repository the file is in, if any)")
    validate.set_defaults(func=cmd_validate)
    handle = sub.add_parser("handle", help="handle this GitHub Actions event (reads GITHUB_* variables)")
    handle.add_argument("--dry-run", action="store_true", help="print the plan as JSON; write nothing, run nothing")
    handle.add_argument("--event-name", help="override GITHUB_EVENT_NAME")
    handle.add_argument("--event-path", help="override GITHUB_EVENT_PATH")
    handle.set_defaults(func=cmd_handle)
    install = sub.add_parser("install-agent", help="install the configured agent CLI at its pinned version")
    install.add_argument("--print", dest="print_only", action="store_true", help="only print the install command")
    install.add_argument("--default-branch", default="main", help="branch whose config is read (default main)")
    install.set_defaults(func=cmd_install_agent)
    route = sub.add_parser("route", help="print the event's work order issue and lane (for concurrency groups)")
    route.set_defaults(func=cmd_route)
    schema = sub.add_parser("schema", help="print the JSON Schema of a contract")
    schema.add_argument("name", choices=["work-order", "config", "dod-packet", "verdict"])
    schema.set_defaults(func=cmd_schema)
    _add_setup_commands(sub)
    from .cleanup import add_cleanup_command

    add_cleanup_command(sub)
    sub.choices["cleanup"].set_defaults(func=_lazy("cleanup", "cmd_cleanup"))
    from .replay import add_replay_command

    add_replay_command(sub)
    sub.choices["replay"].set_defaults(func=_lazy("replay", "cmd_replay"))
    from .report import add_report_command

    add_report_command(sub)
    sub.choices["report"].set_defaults(func=_lazy("report", "cmd_report"))
    for choice in sub._choices_actions:  # each subcommand's --help opens with its one-line help
        parser_of = sub.choices[choice.dest]
        parser_of.description = parser_of.description or f"workorder {choice.dest}: {choice.help}."
    return parser


def _at_least_one(text: str) -> int:
    """An argparse type: a whole number of at least 1 (else a usage error naming the value)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1")
    return value


def _add_setup_commands(sub: Any) -> None:
    """``workorder init`` and ``workorder doctor`` (workorder.cli.init, workorder.cli.doctor)."""
    init = sub.add_parser("init", help="write the workflow, config and issue form; create the labels",
                          description="Write .github/workflows/workorder.yml (pinned when --action-ref is a "
                          "commit SHA), .github/workorder.yml and the issue form; with GITHUB_TOKEN and a "
                          "repository, create the state labels.")
    init.add_argument("--repo", default=".", help="the repository folder (default: the current folder)")
    init.add_argument("--action-ref", help="40-hex commit SHA (or tag) of the action to use (default: the commit "
                      "of the installed release; a development install writes v<major> and says so)")
    init.add_argument("--version", help="version comment after a SHA ref (e.g. v0.1.0; default: the installed version)")
    init.add_argument("--runner-command", help="SE runner command to put into the config")
    init.add_argument("--label-prefix", default="wo:", help="prefix of the state labels (default wo:)")
    init.add_argument("--github-repo", help="OWNER/NAME for the labels (default: GITHUB_REPOSITORY)")
    init.add_argument("--force", action="store_true", help="overwrite files that exist")
    init.add_argument("--cleanup-workflow", action="store_true",
                      help="also write .github/workflows/workorder-cleanup.yml: workorder cleanup once a week")
    init.add_argument("--cleanup-days", type=_at_least_one, default=30, metavar="N",
                      help="(--cleanup-workflow) keep run records newer than this (default 30)")
    init.add_argument("--cleanup-apply", action="store_true",
                      help="(--cleanup-workflow) delete; default: the workflow only prints what would go (dry-run)")
    init.add_argument("--require-verdict", action="store_true",
                      help="also create the ruleset that makes the default branch require the status workorder/verdict "
                           "(needs the token's administration permission)")
    init.set_defaults(func=_lazy("init", "cmd_init"))
    doctor = sub.add_parser("doctor", help="check that the repository is ready; exit 1 listing each fix",
                            description="Check the config, the issue form, the workflow (triggers, permissions, "
                            "pins, timeouts), the rules file and, with a token, labels, required status, "
                            "secrets and token permissions. Exit 1 when a check misses.")
    doctor.add_argument("--repo", default=".", help="the repository folder (default: the current folder)")
    doctor.add_argument("--github-repo", help="OWNER/NAME (default: GITHUB_REPOSITORY)")
    doctor.add_argument("--default-branch", default="main", help="the branch that must require workorder/verdict")
    doctor.add_argument("--offline", action="store_true", help="skip the checks that ask GitHub")
    doctor.set_defaults(func=_lazy("doctor", "cmd_doctor"))


def _lazy(module: str, name: str) -> Any:
    """A command function imported only when it runs (start-up stays fast)."""

    def run(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
        import importlib

        return getattr(importlib.import_module(f".{module}", __package__), name)(args, environ, out)

    return run


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None, out: TextIO | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 invalid or failed, 2 usage)."""
    args = build_parser().parse_args(argv)
    return args.func(args, os.environ if environ is None else environ, out or sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
