"""``workorder run FILE``: one work order file in the current repository, with the engine, gates and
records of the milestone run (:mod:`workorder.local.run`).

The file is a work order body (front matter or the issue form's sections) or a milestone issue file
(:mod:`workorder.contracts.orderfile`). It may be untracked or changed: its text is read from disk, and the work
starts from HEAD. Its issue number in the local forge (``.workorder/forge/``) is the file's ``id`` when
it has one, else a number kept per file in ``.workorder/orders.json`` so a second run resumes (a PASSed
order is skipped unless ``rerun`` or its text changed). Records go under ``.workorder/runs/<number>/``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..loop.audit import Reporter
from .forge import LocalForge
from .run import LOCAL_USER, MilestoneResult, issue_body, run_plan
from .plan import STATE_DIR, LocalRunError, MilestonePlan, check_repo
from ..contracts.milestone import IssueFile, IssueFileMeta, order_dag
from ..contracts.orderfile import OrderFile, parse_order_file
from ..inputs.problems import InvalidInput

ORDERS_FILE = "orders.json"


def run_single(repo: Path, file: Path, base_env: dict[str, str], *, rerun: bool = False,
               runner_command: str | None = None, reporter: Reporter | None = None,
               holds_credential: bool = False, isolation: str | None = None) -> MilestoneResult:
    """Run the work order in ``file`` in ``repo`` (``base_env``: the environment of git and the runner;
    ``runner_command`` overrides the config's; ``holds_credential``/``isolation`` as in
    :func:`workorder.local.run.run_milestone`). Returns a :class:`MilestoneResult` whose ``milestone`` is
    the file's name and whose one row is the order's.

    Raises :class:`LocalRunError` before anything runs when the file cannot be read (order_unreadable)
    or is not a valid work order (order_file, every problem listed), the repository is not a clean git
    checkout (the order file itself may differ from HEAD), its config is invalid, or no runner is
    configured.
    """
    shown = _shown_path(repo, file)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LocalRunError("order_unreadable", path=shown, error=str(exc)) from None
    git, trusted = check_repo(repo, base_env, allow=(shown,))
    try:
        parsed = parse_order_file(shown, text)
    except InvalidInput as exc:
        raise LocalRunError("order_file", exc.problems, path=shown) from None
    config = trusted.config
    command = runner_command or config.runner.command
    if not command and config.runner.preset == "command":
        raise LocalRunError("no_runner")
    title = parsed.title or Path(shown).stem.replace("-", " ").replace("_", " ").strip() or "work order"
    forge = LocalForge(repo / STATE_DIR / "forge", bot_login="workorder[bot]", permissions={LOCAL_USER: "admin"})
    number = _number_of(repo, forge, shown, parsed, title, config.trigger)
    item = IssueFile(path=shown, meta=IssueFileMeta(id=number, title=title, milestone=_label(parsed)),
                     order=parsed.order, body=text)
    if forge.has_issue(number) and forge.get_issue(number).body != issue_body(item):
        rerun = True  # the order changed since its last run: a fresh loop
    plan = MilestonePlan(git, trusted, [item], {number: item}, order_dag([number], []), command)
    return run_plan(repo, plan, shown, base_env, rerun=rerun, reporter=reporter,
                    holds_credential=holds_credential, isolation=isolation, file=shown)


def _shown_path(repo: Path, file: Path) -> str:
    """``file`` relative to ``repo`` (posix) when it is inside it, else as an absolute path."""
    resolved = file.resolve()
    try:
        return resolved.relative_to(repo.resolve()).as_posix()
    except ValueError:
        return str(resolved)


def _label(parsed: OrderFile) -> str:
    return parsed.meta.milestone if parsed.meta else "-"


def _number_of(repo: Path, forge: LocalForge, shown: str, parsed: OrderFile, title: str, trigger: str) -> int:
    """The local issue number of the order: its ``id`` (milestone issue file), else the number kept for
    this file in ``.workorder/orders.json``, else a new issue's (recorded there)."""
    if parsed.meta is not None:
        return parsed.meta.id
    index_path = repo / STATE_DIR / ORDERS_FILE
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        index = {}
    number = index.get(shown) if isinstance(index, dict) else None
    if isinstance(number, int) and forge.has_issue(number):
        return number
    number = forge.open_issue(title, "", [trigger], LOCAL_USER).number
    index = {**(index if isinstance(index, dict) else {}), shown: number}
    tmp = index_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(index, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, index_path)
    return number
