"""Diff coverage for Go: which added lines of changed ``.go`` files ran under the review's own ``go test`` runs.

A language probe of :mod:`workorder.evidence.coverage_probe` (``suffixes``, ``env``, ``read``). The verify
commands stay as the project wrote them; the probe adds to ``GOFLAGS`` (``go help environment``: flags
every ``go`` command applies when it knows them):

* ``-cover``: coverage on, with ``go test``'s default scope: each package is measured by its own tests.
  Not ``-coverprofile``, which ``go test`` refuses with ``-fuzz`` (the verify run would fail), and no
  ``-coverpkg``, which would change what a verify command that measures coverage itself reports (a
  percentage a threshold checks); a change only another package's tests run is named as never run (a
  hint; the project's own ``-coverpkg`` is used as given). ``go build``/``go run`` know ``-cover`` too and
  instrument the binaries they build: ``GOCOVERDIR`` (set when the environment has none) gives them a
  folder, so they do not print "GOCOVERDIR not set" into the project's output; it is not read.
* ``-exec=<hook>/go-exec`` (``go help test``: "Run the test binary using xprog"): a POSIX shell script
  that runs each test binary, its exit code unchanged. A binary built with coverage (``go test`` passes
  it ``-test.gocoverdir=``) and not fuzzing is given ``-test.coverprofile=<data>/run.XXXXXX/profile.txt``
  first (a new folder, ``mktemp -d``), so a later one of the project's own wins; when the project asked
  for a profile (``go test -coverprofile``: ``go test`` passes the binary ``-test.coverprofile=<build
  dir>/_cover_.out`` and merges it into the project's file), a copy of it is kept there after the run.
  The binary writes it when tests fail too. Several packages and several ``go test`` commands each leave
  a profile; none is overwritten. ``go run`` runs its binary through the script too, unchanged.
  ``-exec`` also keeps ``go test`` from replaying cached results, which would leave no profile.

The data folder is new for every review (``tempfile.mkdtemp`` under the work tree's results folder, the
one place a sandboxed verify run may write; mode 0o777, as the agent user writes there), so nothing the
agent committed or an earlier run left can count. When ``GOFLAGS`` already sets ``-exec`` the probe
leaves the run alone (no data: not measured). A changed file no profile names, when profiles came back
(its package has no test files, or no verify command tested it), never ran, as coverage.py reports a
changed module nothing imported: its blocks come from ``go tool cover -mode=set`` (the tool's source
mode, which ships built with Go; run by the action on the file, outside the tree).

Profiles are ``go tool cover``'s text format (``golang.org/x/tools/cover``, ``ParseProfiles``): a ``mode:``
line, then ``<import path>/<file>.go:<startLine>.<startCol>,<endLine>.<endCol> <numStmts> <count>`` per
block, columns 1-based bytes, the end exclusive. File names are import paths; each changed file's is its
module's path (the ``module`` line of the nearest ``go.mod`` at or above it in the tree, a sub-folder
module too) joined with its path inside that module. An added line is executable when a block covers
code on it (not only blanks, braces or a ``//`` comment), and ran when such a block has a count > 0 in
any profile. The profiles are written by a run of the agent's code: a hint, never proof.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path

from .testresults import RESULTS_DIR, read_bounded

MAX_PROFILE_BYTES = 16 * 1024 * 1024  # larger profiles are not read
MAX_UNSEEN = 100  # changed files no profile names that go tool cover reads, at most
_BLOCK = re.compile(rb"^(?P<name>.+\.go):(?P<sl>\d+)\.(?P<sc>\d+),(?P<el>\d+)\.(?P<ec>\d+) (?P<n>\d+) (?P<count>\d+)$")
_MODULE = re.compile(r'^\s*module\s+"?([^"\s]+)"?', re.MULTILINE)
_SKIP_DIRS = {"vendor", "testdata"}  # not the module's own packages (go help packages)
_BRACES = b"{}()[] \t\r;,"  # a line of only these is no code

Block = tuple[int, int, int, int, int]  # start line, start column, end line, end column, count

EXEC = """#!/bin/sh
# workorder diff coverage (go test -exec): run the test binary, its exit code unchanged, and keep its coverage profile
bin=$1
shift
profile= covered= fuzz=
for arg do
  case $arg in
    -test.coverprofile=*) profile=${arg#-test.coverprofile=} ;;
    -test.gocoverdir=*) covered=1 ;;
    -test.fuzz=*) fuzz=1 ;;
  esac
done
if [ -n "$covered" ] && [ -z "$profile$fuzz" ] && keep=$(mktemp -d %(data)s/run.XXXXXX); then
  chmod 777 "$keep"
  "$bin" "-test.coverprofile=$keep/profile.txt" "$@"
  status=$?
  chmod 644 "$keep/profile.txt" 2>/dev/null
  exit $status
fi
"$bin" "$@"
status=$?
if [ -n "$profile" ] && [ -f "$profile" ] && keep=$(mktemp -d %(data)s/run.XXXXXX); then
  chmod 777 "$keep" && cp "$profile" "$keep/profile.txt" && chmod 644 "$keep/profile.txt"
fi
exit $status
"""


def module_of(root: Path, path: str) -> tuple[str, str] | None:
    """The Go module that holds ``path`` (relative to ``root``): its module path (the ``module`` line of
    the nearest ``go.mod`` at or above the file, not above ``root``) and its folder relative to ``root``
    (``""`` at the top). None without one, or when that ``go.mod`` names no module."""
    parts = Path(path).parts[:-1]
    for depth in range(len(parts), -1, -1):
        folder = "/".join(parts[:depth])
        gomod = root / folder / "go.mod"
        if gomod.is_file() and not gomod.is_symlink():
            found = _MODULE.search(gomod.read_text(encoding="utf-8", errors="replace")[:65536])
            return (found.group(1), folder) if found else None
    return None


def import_names(root: Path, paths: list[str]) -> dict[str, str]:
    """The name each Go file of ``paths`` (relative to ``root``) has in a coverage profile (its module
    path and its path inside the module) -> the path. Files outside a module, test files and files under
    ``vendor``/``testdata`` are left out."""
    names = {}
    for path in paths:
        parts = Path(path).parts
        if not path.endswith(".go") or path.endswith("_test.go") or _SKIP_DIRS & set(parts[:-1]):
            continue
        module = module_of(root, path)
        if module is not None:
            inside = path[len(module[1]) + 1:] if module[1] else path
            names[f"{module[0]}/{inside}"] = path
    return names


def parse_profile(text: bytes) -> dict[str, list[Block]]:
    """The blocks of one coverage profile (text format, see the module docstring) per file name (an
    import path). Lines that are not blocks (the ``mode:`` line, a damaged line) are skipped."""
    blocks: dict[str, list[Block]] = {}
    for line in text.splitlines():
        found = _BLOCK.match(line.strip())
        if found:
            name = found.group("name").decode("utf-8", errors="replace")
            blocks.setdefault(name, []).append(tuple(int(found.group(k)) for k in ("sl", "sc", "el", "ec", "count")))
    return blocks


def covered_lines(blocks: list[Block], source: bytes) -> tuple[set[int], set[int]]:
    """Lines of ``source`` (a Go file's bytes) the ``blocks`` cover with code (not only blanks, braces
    or a ``//`` comment), and those of them a block with a count > 0 covers: ``(executable, ran)``."""
    lines = source.split(b"\n")
    executable: set[int] = set()
    ran: set[int] = set()
    for start, start_col, end, end_col, count in blocks:
        for number in range(max(start, 1), min(end, len(lines)) + 1):
            text = lines[number - 1]
            part = text[start_col - 1 if number == start else 0:end_col - 1 if number == end else len(text)]
            part = part.strip(_BRACES)
            if part and not part.startswith(b"//"):
                executable.add(number)
                if count > 0:
                    ran.add(number)
    return executable, ran


class GoProbe:
    """Measures the changed Go files ``names`` (profile name -> path relative to ``worktree``) in one
    verify run: ``env`` before it, ``read`` after it (which removes what it set up)."""

    suffixes = (".go",)

    def __init__(self, worktree: Path, names: dict[str, str]):
        import tempfile  # here: imported (about 20 ms) only by a review that measures Go

        self.worktree, self.names = worktree, names
        results = worktree / RESULTS_DIR
        results.mkdir(parents=True, exist_ok=True)
        self.home = Path(tempfile.mkdtemp(prefix="coverage-go-", dir=results))  # new: nothing left over counts
        self.home.chmod(0o755)
        self.data = self.home / "data"
        (self.data / "binaries").mkdir(parents=True)
        for folder in (self.data, self.data / "binaries"):
            folder.chmod(0o777)  # a sandboxed verify run writes here as the agent user
        self.exec = self.home / "go-exec"
        self.exec.write_text(EXEC % {"data": shlex.quote(str(self.data))}, encoding="utf-8")
        self.exec.chmod(0o755)
        self.tool_env: dict[str, str] = {}

    def env(self, env: dict[str, str]) -> dict[str, str]:
        """``GOFLAGS`` (``env``'s value first) and ``GOCOVERDIR`` (when ``env`` has none) that make every
        ``go test`` of the run leave a profile; nothing when ``env``'s ``GOFLAGS`` already sets ``-exec``."""
        self.tool_env = env  # read finds go where the run did
        flags = env.get("GOFLAGS", "")
        if re.search(r"(^|\s)--?exec\b", flags):
            return {}
        extra = {} if env.get("GOCOVERDIR") else {"GOCOVERDIR": str(self.data / "binaries")}
        return {"GOFLAGS": f"{flags} -cover -exec={self.exec}".strip(), **extra}

    def read(self, added: dict[str, set[int]]) -> dict[str, tuple[set[int], set[int]]] | None:
        """Per changed Go file of ``added`` (path -> added line numbers): ``(added executable lines, those
        that ran)``, every profile counted (a block ran when it ran in any); a file no profile names (its
        package's tests never ran) with its blocks from ``go tool cover``, none ran. None when no
        ``go test`` left a profile."""
        try:
            blocks = self._profiled(added)
            if blocks is None:
                return None
            unseen = [p for p in sorted(set(self.names.values()) & set(added)) if p not in blocks]
            for path in unseen[:MAX_UNSEEN]:
                found = static_blocks(self.tool_env, self.worktree, self.worktree / path)
                if found is not None:
                    blocks[path] = found
            result = {}
            for path, found in sorted(blocks.items()):
                source = self.worktree / path
                if source.is_file() and not source.is_symlink():
                    executable, ran = covered_lines(found, source.read_bytes())
                    result[path] = (executable & added[path], ran & added[path])
            return result
        finally:
            shutil.rmtree(self.home, ignore_errors=True)

    def _profiled(self, added: dict[str, set[int]]) -> dict[str, list[Block]] | None:
        """The blocks of the files of ``added`` in the run's profiles; None when there is no profile."""
        texts = [read_bounded(p, MAX_PROFILE_BYTES) for p in self.data.glob("run.*/profile.txt")]
        texts = [t for t in texts if t is not None]  # not a regular file, too big or unreadable: as if none
        if not texts:
            return None
        blocks: dict[str, list[Block]] = {}
        for text in texts:
            for name, found in parse_profile(text).items():
                if self.names.get(name) in added:
                    blocks.setdefault(self.names[name], []).extend(found)
        return blocks


def static_blocks(env: dict[str, str], worktree: Path, source: Path) -> list[Block] | None:
    """The blocks of the Go file ``source`` with count 0, from ``go tool cover -mode=set`` (its source
    mode: the instrumented file ends with a ``Pos`` table of start line, end line and ``endCol<<16 |
    startCol`` per block). ``go`` comes from ``env``'s ``PATH`` (the verify run's), never from inside
    ``worktree``; it runs outside the tree, with no toolchain switch. None when that fails."""
    import subprocess

    go = shutil.which("go", path=env.get("PATH", ""))
    if go is None or Path(go).resolve().is_relative_to(worktree):
        return None
    var = f"WorkorderCover{os.urandom(8).hex()}"  # the file cannot name it: its own text never matches
    tool_env = {**{k: env[k] for k in ("PATH", "GOROOT") if k in env}, "GOTOOLCHAIN": "local", "GOENV": "off"}
    try:
        done = subprocess.run([go, "tool", "cover", "-mode=set", f"-var={var}", str(source)], cwd="/", env=tool_env,
                              capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    at = done.stdout.rfind(f"\nvar {var} = struct".encode())
    table = re.search(rb"Pos: \[[^]]*\]uint32\{(.*?)\}", done.stdout[at:], re.DOTALL) if at >= 0 else None
    if done.returncode != 0 or table is None:
        return None
    return [(int(start), int(cols, 16) & 0xFFFF, int(end), int(cols, 16) >> 16, 0)
            for start, end, cols in re.findall(rb"(\d+), (\d+), 0x([0-9a-fA-F]+),", table.group(1))]


def start_go_probe(worktree: Path, paths: list[str]) -> GoProbe | None:
    """A :class:`GoProbe` for the changed code files ``paths`` (relative to ``worktree``, tests left out)
    when some are Go files of a module in the tree and the tree's path fits into ``GOFLAGS`` (no
    whitespace); else None (also when the results folder is a link the agent committed: it could point
    anywhere)."""
    root = worktree.resolve()
    names = import_names(root, paths)
    if not names or re.search(r"\s", str(root)) or (root / RESULTS_DIR).is_symlink():
        return None
    return GoProbe(root, names)
