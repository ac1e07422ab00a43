"""``workorder demo``: the whole loop offline, with no network, token or AI model.

It builds a temp git repository with a small Python project and a bare ``origin``, a local forge
with one work order issue labelled ``wo:ready``, and the scripted SE runner of
:mod:`workorder.demo.agent`; then it handles that ``issues`` ``labeled`` event with the same handler
and engine the GitHub Action uses.
"""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..loop.audit import Journal, Reporter
from ..contracts.config import CONFIG_PATH
from ..contracts.defaultbranch import read_default_branch
from ..shell.gitops import Git
from ..handlers.context import HandlerContext
from ..local.forge import LocalForge
from .posts import POSTS_DIR, RecordingForge
from ..loop.deps import LoopDeps
from ..handlers.outcome import Outcome
from ..shell.pythonshim import write_python_shim
from ..handlers.router import dispatch
from ..agents.runner import RunnerSpec, scrub_environment

DEMO_USER = "demo-maintainer"
BOT_LOGIN = "workorder[bot]"
# Fixed commit dates make two demo runs produce the same commits and the same audit log.
FIXED_DATE = "2026-01-01T00:00:00+00:00"

PROJECT_FILES = {
    "README.md": "# calc\n\nA tiny calculator library.\n",
    ".gitignore": "__pycache__/\n",
    "calc/__init__.py": '"""A tiny calculator."""\n',
    "calc/ops.py": '"""Arithmetic operations."""\n\n\ndef add(a: int, b: int) -> int:\n    """Return a plus b."""\n    return a + b\n',
    "tests/__init__.py": "",
    "tests/test_add.py": (
        "import unittest\n\nfrom calc.ops import add\n\n\nclass AddTest(unittest.TestCase):\n"
        "    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n"
    ),
}

WORK_ORDER = """---
objective: Add a subtract(a, b) function to calc.ops, with tests.
why: Users keep asking for it.
in_scope:
  - calc/**
  - tests/**
out_of_scope:
  - README.md
done_when:
  - subtract(5, 3) == 2 and subtract(3, 5) == -2
  - the tests cover subtract
verify:
  - {verify}
risk: medium
---
Please add subtraction to the calculator.
"""


@dataclass(frozen=True)
class DemoResult:
    """Where the demo ran and what came out: the outcome of the labelled issue, the outcome of the
    maintainer's ``/wo approve`` (None when the loop did not pass), the audit log, the forge file, and
    the files of the bodies it posted, in order (:mod:`workorder.demo.posts`)."""

    root: Path
    outcome: Outcome
    approval: Outcome | None
    audit_path: Path
    forge_path: Path
    posts: tuple[Path, ...] = ()


def git_env(base_env: dict[str, str]) -> dict[str, str]:
    """A git environment that ignores the user's git config and pins commit dates (deterministic SHAs)."""
    env = {k: v for k, v in base_env.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL="/dev/null",
        GIT_AUTHOR_NAME="demo",
        GIT_AUTHOR_EMAIL="demo@example.invalid",
        GIT_COMMITTER_NAME="demo",
        GIT_COMMITTER_EMAIL="demo@example.invalid",
        GIT_AUTHOR_DATE=FIXED_DATE,
        GIT_COMMITTER_DATE=FIXED_DATE,
    )
    return env


def build_demo_repo(root: Path, python: str, env: dict[str, str]) -> Git:
    """Create ``root/origin.git`` (bare) and ``root/project`` (a clone with the calc project and its
    config committed on main). Returns a :class:`Git` for the project."""
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(root / "origin.git")], check=True, env=env)
    project = root / "project"
    subprocess.run(["git", "init", "-q", "-b", "main", str(project)], check=True, env=env)
    git = Git(repo=project, env=env)
    config = (
        "# workorder config for the demo: the scripted SE runner stands in for a coding agent\n"
        f"runner:\n  command: {shlex.quote(python)} -m workorder.demo.agent\n  timeout: 120\n"
        "max_cycles: 2\n"
    )
    for rel, text in {**PROJECT_FILES, CONFIG_PATH: config}.items():
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git.run("add", "-A")
    git.run("commit", "-q", "--no-gpg-sign", "-m", "calc: add")
    git.run("remote", "add", "origin", str(root / "origin.git"))
    git.run("push", "-q", "origin", "main")
    git.run("fetch", "-q", "origin")
    return git


def run_demo(root: Path, python: str, base_env: dict[str, str], reporter: Reporter | None) -> DemoResult:
    """Run the demo in ``root`` (an empty or new folder). ``python`` is the interpreter for the SE
    runner and verify commands; ``base_env`` the caller's environment (scrubbed before the runner
    sees it); ``reporter`` gets each loop event. Returns a :class:`DemoResult`."""
    env = git_env(base_env)
    git = build_demo_repo(root, python, env)
    trusted = read_default_branch(git, "main")
    config = trusted.config
    forge = RecordingForge(root / "forge", root / POSTS_DIR, trusted.templates, bot_login=BOT_LOGIN,
                           permissions={DEMO_USER: "admin"})
    verify = "python -m unittest discover -s tests -t ."
    issue = forge.open_issue("Add subtract to calc", WORK_ORDER.format(verify=verify), [config.trigger], DEMO_USER)
    journal = Journal(root / "runs", reporter=reporter)
    # verify commands say "python": make sure that name is the demo's interpreter on PATH
    bin_dir = write_python_shim(root / "bin", python)
    tool_env = scrub_environment(env)
    tool_env["PATH"] = f"{bin_dir}:{tool_env.get('PATH', '')}"
    tool_env.update({k: v for k, v in env.items() if k.startswith("GIT_")})

    def deps() -> LoopDeps:
        return LoopDeps(
            forge=forge,
            git=git,
            config=config,
            templates=templates,
            runner=RunnerSpec(command=config.runner.command or "", timeout_s=config.runner.timeout, env=tool_env),
            verify_env=tool_env,
            journal=journal,
            worktrees=root / "worktrees",
            default_branch="main",
            base_ref=trusted.ref,
        )

    payload = {
        "action": "labeled",
        "issue": {"number": issue.number, "title": issue.title, "body": issue.body,
                  "labels": [{"name": config.trigger}], "user": {"login": DEMO_USER, "type": "User"}},
        "label": {"name": config.trigger},
        "repository": {"full_name": "demo/calc", "default_branch": "main"},
        "sender": {"login": DEMO_USER, "type": "User"},
    }
    templates = trusted.templates
    ctx = HandlerContext(templates=templates, config=config, bot_login=BOT_LOGIN, forge=forge, loop_deps=deps)
    outcome = dispatch("issues", payload, ctx)
    approval = None
    state = outcome.state
    if state is not None and state.verdict == "PASS" and state.pr_number:
        approval = dispatch("issue_comment", approve_payload(forge, state.pr_number, issue.number), ctx)
    return DemoResult(root=root, outcome=outcome, approval=approval, audit_path=journal.audit_path,
                      forge_path=forge.path, posts=tuple(forge.written))


def approve_payload(forge: LocalForge, pr_number: int, issue_number: int) -> dict:
    """The maintainer comments ``/wo approve`` on the pull request; returns the ``issue_comment``
    ``created`` payload GitHub would send for it."""
    comment = forge.add_comment_as(pr_number, DEMO_USER, "/wo approve")
    pr = forge.read()["pulls"][str(pr_number)]
    return {
        "action": "created",
        "issue": {"number": pr_number, "title": pr["title"], "body": pr["body"], "labels": [],
                  "pull_request": {"url": f"local://pulls/{pr_number}"}},
        "comment": {"id": comment.id, "body": comment.body, "user": {"login": DEMO_USER, "type": "User"}},
        "repository": {"full_name": "demo/calc", "default_branch": "main"},
        "sender": {"login": DEMO_USER, "type": "User"},
    }


MILESTONE_EXAMPLE = Path(__file__).parent / "examples" / "milestone" / "repo"


def build_milestone_repo(root: Path, env: dict[str, str]) -> Path:
    """Copy the shipped example milestone (three work orders, one blocked by another) into
    ``root/repo`` as a fresh git repository with one commit; returns its path."""
    import shutil

    repo = root / "repo"
    shutil.copytree(MILESTONE_EXAMPLE, repo, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=env)
    git = Git(repo=repo, env=env)
    git.run("add", "-A")
    git.run("commit", "-q", "--no-gpg-sign", "-m", "calc with milestone M1")
    return repo
