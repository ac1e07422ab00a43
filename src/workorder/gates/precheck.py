"""The pre-work check: mistakes in a work order that would cost agent cycles, found before any agent runs.

Run by the loop at the start of a fresh work order (:meth:`workorder.loop.engine.WorkOrderLoop.run`; the Action,
``workorder run`` and the demo alike) and by ``workorder validate --repo``. Against the repository at the
base commit, it refuses:

* an ``in_scope`` / ``out_of_scope`` glob that matches no file, unless it is marked as new with a
  trailing ``(new)`` (:data:`workorder.inputs.globs.NEW_MARK`, e.g. ``calc/evaluate.py (new)``); the problem
  says why when the glob looks like an absolute path or uses ``{a,b}`` (gitignore globs have neither);
* a ``verify`` command whose program is neither on the runner's PATH nor a file of the repository.

Every problem names its field (``in_scope[1]``, ``verify[0]``) and the fix (:class:`workorder.inputs.problems.Problem`).
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Iterable, Sequence

from ..inputs.globs import compile_globs, split_new
from ..inputs.problems import Problem
from ..contracts.workorder import WorkOrder

# Words a shell runs itself (builtins and keywords): never looked up on PATH.
SHELL_WORDS = frozenset(
    "! { } ( ) [ [[ ]] . : alias bg break builtin case cd command continue declare do done echo elif else "
    "esac eval exec exit export false fi for function getopts hash if in local printf pwd read readonly "
    "return set shift source test then time trap true type ulimit umask unalias unset until wait while".split()
)
_BEFORE_COMMAND = frozenset({"!", "{", "(", "if", "then", "do", "else", "elif", "while", "until", "time", "exec",
                             "command", "builtin"})
_OPERATORS = frozenset({"&&", "||", ";", "|", "&", ";;", "|&", "(", ")"})


def precheck(order: WorkOrder, files: Sequence[str], path_env: str | None, *,
             config_verify: Iterable[str] = ()) -> list[Problem]:
    """The problems of ``order`` against the repository's ``files`` (repo-relative POSIX paths at the base
    commit) and the runner's ``path_env`` (the PATH verify commands run with; None: this process's).
    ``config_verify`` (the config's ``verify``) is checked too, under the field ``verify (config)``.
    Returns every problem (empty: ready to work); never raises for the order's content."""
    problems = _glob_problems("in_scope", order.in_scope, files)
    problems += _glob_problems("out_of_scope", order.out_of_scope, files)
    for i, command in enumerate(order.verify):
        problems += _program_problems(f"verify[{i}]", command, files, path_env)
    for i, command in enumerate(config_verify):
        problems += _program_problems(f"verify (config) [{i}]", command, files, path_env)
    return problems


def files_at(git, ref: str) -> list[str]:
    """The repo-relative paths of every file at ``ref`` (``git ls-tree -r``) of the checkout ``git``."""
    return [p for p in git.run("ls-tree", "-r", "-z", "--full-tree", "--name-only", ref).split("\0") if p]


def _glob_problems(field: str, globs: Sequence[str], files: Sequence[str]) -> list[Problem]:
    problems = []
    for i, raw in enumerate(globs):
        glob, new = split_new(raw)
        if new or glob.startswith("!"):
            continue
        spec = compile_globs([glob])
        if any(spec.match_file(f) for f in files):
            continue
        message = _no_match_message(glob)
        problems.append(Problem(field=f"{field}[{i}]", message=message,
                                expected=_no_match_fix(glob, plain=message.startswith(f"'{glob}' matches"))))
    return problems


def _no_match_message(glob: str) -> str:
    if glob.startswith("/") and glob.count("/") > 1 and glob.split("/")[1] in _ROOT_DIRS:
        return f"'{glob}' looks like an absolute path; it matches no file of the repository"
    if "{" in glob and "}" in glob:
        return f"'{glob}' uses {{a,b}}, which gitignore globs do not have; it matches no file of the repository"
    return f"'{glob}' matches no file of the repository"


_ROOT_DIRS = frozenset({"home", "Users", "usr", "tmp", "var", "opt", "etc", "root", "work", "workspace", "mnt",
                        "srv", "github", "runner", "private"})


def _no_match_fix(glob: str, plain: bool) -> str:
    fix = "a glob relative to the repository root, one per line (e.g. src/** and tests/**)"
    return f"{fix}, or '{glob} (new)' when the work creates it" if plain else fix


def _program_problems(field: str, command: str, files: Sequence[str], path_env: str | None) -> list[Problem]:
    missing = [p for p in programs_of(command) if not _exists(p, files, path_env)]
    return [Problem(field=field, message=f"runs '{p}', which is not on the runner's PATH nor a file of the repository",
                    expected="a program installed on the runner before workorder runs (a setup step of the "
                             "workflow), or a script committed in the repository")
            for p in dict.fromkeys(missing)]


def programs_of(command: str) -> list[str]:
    """The programs a shell ``command`` line starts: the first word of each simple command (after
    ``NAME=value`` assignments), leaving out shell builtins and keywords and words with expansions
    (``$``, backticks). Empty when the line cannot be split (it is left for the shell to judge)."""
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words = list(lexer)
    except ValueError:
        return []
    programs, expecting = [], True
    for word in words:
        if word in _OPERATORS or set(word) <= set("&|;()<>"):
            expecting = True
            continue
        if not expecting:
            continue
        if "=" in word and not word.startswith("=") and word.split("=", 1)[0].isidentifier():
            continue  # an assignment before the program
        expecting = word in _BEFORE_COMMAND
        if word in SHELL_WORDS or word.startswith("-") or any(c in word for c in "$`*?"):
            continue
        programs.append(word)
    return programs


def _exists(program: str, files: Sequence[str], path_env: str | None) -> bool:
    if program.startswith("/"):
        return os.path.exists(program)
    if "/" in program:
        return os.path.normpath(program) in set(files)
    return shutil.which(program, path=path_env if path_env is not None else os.environ.get("PATH")) is not None


def precheck_in_repo(order: WorkOrder, repo, environ) -> list[Problem] | None:
    """``workorder validate``'s pre-work check: ``order`` against the git checkout ``repo`` at HEAD, with
    PATH from ``environ``. Returns the problems, or None when ``repo`` is not a git checkout with a
    commit (then only the format was checked)."""
    from ..shell.gitops import Git, GitError

    git = Git(repo=repo, env=dict(environ))
    try:
        if git.rev("HEAD") is None:
            return None
        files = files_at(git, "HEAD")
    except (GitError, OSError):
        return None
    return precheck(order, files, environ.get("PATH"))
