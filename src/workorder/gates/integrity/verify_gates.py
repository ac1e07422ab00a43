"""Gates on what decides a verify run's outcome: runner/CI config changed (verify.config_changed),
exit statuses masked (verify.masked), quality bars lowered (quality.threshold_lowered), checks
switched off by comments (quality.suppression_added)."""

from __future__ import annotations

import configparser
import json
import re
import tomllib
from pathlib import PurePosixPath

from ...contracts.packet import Finding
from .policy import (CODE_SUFFIXES, PACKAGE_JSON_KEYS, PYPROJECT_SECTIONS, SETUP_CFG_SECTIONS, Policy, is_script,
                     verify_file_kind)
from .report import finding
from .sources import Source

_MASKS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(regex)) for name, regex in (
    ("|| true", r"\|\|\s*(?:true|:)(?=$|[\s;)\"'`&|])"),
    ("|| exit 0", r"\|\|\s*exit\s+0\b"),
    ("; exit 0", r";\s*exit\s+0\b"),
    ("|| echo", r"\|\|\s*echo\b"),
    ("set +e", r"^\s*set\s+[+]e\b"),
    ("continue-on-error: true", r"\bcontinue-on-error:\s*true\b"),
    ("--exit-zero", r"--exit-zero\b"),
    ("--passWithNoTests", r"--passWithNoTests\b"),
    ("exitstatus = 0", r"\bexitstatus\s*=\s*0\b"),
    ("sys.exit(0)", r"\b(?:sys\.exit|os\._exit)\(\s*0?\s*\)"),
    ("make's - prefix", r"^\t-\s*\S"),
))
# commands whose failure is routinely ignored (cleanup): `rm -f x || true` masks nothing the verify checks
HOUSEKEEPING = ("rm", "rmdir", "mkdir", "kill", "pkill", "unlink", "docker", "pip", "true")

_LOWER_IS_LOOSER = r"fail_under|fail-under|cov-fail-under|min_coverage|min-coverage|minimum_coverage|branches|functions|lines|statements"
_HIGHER_IS_LOOSER = (r"max-line-length|max_line_length|line-length|line_length|max-complexity|max_complexity|"
                     r"max-args|max_args|max-warnings|max-statements|max-branches")
_THRESHOLD = re.compile(rf"(?<!\w)(?P<key>{_LOWER_IS_LOOSER}|{_HIGHER_IS_LOOSER})[\"']?\s*[:= ]\s*[\"']?(?P<num>\d+(?:\.\d+)?)")
_COVERAGE_FILES = re.compile(r"^(?:package\.json|jest\.config\..*|vitest\.config\..*|vite\.config\..*|\.nycrc.*|\.c8rc.*)$")
_SUPPRESSIONS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(regex)) for name, regex in (
    ("noqa", r"#\s*noqa\b"), ("type: ignore", r"#\s*type:\s*ignore\b"), ("pragma: no cover", r"#\s*pragma:\s*no\s*cover"),
    ("pylint: disable", r"#\s*pylint:\s*disable"), ("nosec", r"#\s*nosec\b"), ("eslint-disable", r"eslint-disable"),
    ("@ts-ignore", r"@ts-ignore\b"), ("@ts-nocheck", r"@ts-nocheck\b"), ("@ts-expect-error", r"@ts-expect-error\b"),
    ("nolint", r"//\s*nolint\b"), ("istanbul ignore", r"istanbul\s+ignore"), ("c8 ignore", r"c8\s+ignore"),
))


def _sections_changed(name: str, base: str | None, head: str | None) -> str | None:
    """For pyproject.toml/setup.cfg/package.json: which verify-relevant part differs, else None."""
    def pick(text: str | None) -> dict[str, object]:
        if not text:
            return {}
        if name == "pyproject.toml":
            tool = tomllib.loads(text).get("tool", {})
            return {f"tool.{k}": v for k, v in tool.items() if f"tool.{k}".startswith(PYPROJECT_SECTIONS)}
        if name == "setup.cfg":
            parser = configparser.ConfigParser(interpolation=None)
            parser.read_string(text)
            return {s: dict(parser[s]) for s in parser.sections() if s.startswith(SETUP_CFG_SECTIONS)}
        data = json.loads(text)
        return {k: data.get(k) for k in PACKAGE_JSON_KEYS if isinstance(data, dict) and k in data}
    try:
        before, after = pick(base), pick(head)
    except (ValueError, configparser.Error, tomllib.TOMLDecodeError):
        return f"{name} (unreadable)"
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    return f"{name} [{', '.join(changed)}]" if changed else None


def _first_added(source: Source) -> int | None:
    return min(source.added) if source.added else None


def gate_config_changed(sources: list[Source], policy: Policy, verify_cmds: list[str]) -> list[Finding]:
    """MAJOR verify.config_changed for each changed verify-relevant file (see
    :func:`workorder.gates.integrity.policy.verify_file_kind`; pyproject.toml, setup.cfg and package.json
    only when their runner/coverage/lint/scripts sections differ) the work order does not put in scope."""
    findings = []
    for source in sources:
        name = PurePosixPath(source.path).name
        if name in ("pyproject.toml", "setup.cfg", "package.json"):
            what = _sections_changed(name, source.base, source.head)
        else:
            what = verify_file_kind(source.path, verify_cmds) or (
                source.old_path and verify_file_kind(source.old_path, verify_cmds))
        if what and not policy.in_scope_by_name(source.path):
            line = _first_added(source)
            text = (source.head or "").splitlines()[line - 1] if line and source.head else f"{source.status} {source.path}"
            findings.append(finding("verify.config_changed", "config_changed", source.path, line, text, what=what))
    return findings


def _added_lines(source: Source) -> list[tuple[int, str]]:
    lines = (source.head or "").splitlines()
    return [(n, lines[n - 1]) for n in sorted(source.added) if 0 < n <= len(lines)]


def _housekeeping(line: str, start: int) -> bool:
    command = re.split(r"&&|;|\|\||\$\(|`", line[:start])[-1].strip().lstrip("@-\t ")
    return command.split(" ", 1)[0] in HOUSEKEEPING


def gate_masked(sources: list[Source], verify_cmds: list[str]) -> list[Finding]:
    """BLOCKER verify.masked for each added line in a script or verify-relevant file that hides a
    failing exit status (``|| true``, ``; exit 0``, ``set +e``, ``continue-on-error``, ``--exit-zero``,
    ``session.exitstatus = 0`` ...), except ``|| true`` after a cleanup command (``rm -f x || true``)."""
    findings = []
    for source in sources:
        if not (is_script(source.path) or verify_file_kind(source.path, verify_cmds)):
            continue
        for number, text in _added_lines(source):
            for name, regex in _MASKS:
                match = regex.search(text)
                if match and not (name == "|| true" and _housekeeping(text, match.start())):
                    findings.append(finding("verify.masked", "masked", source.path, number, text, pattern=name))
                    break
    return findings


def _thresholds(text: str | None) -> list[tuple[str, float, int]]:
    if not text:
        return []
    return [(m.group("key").replace("_", "-"), float(m.group("num")), text.count("\n", 0, m.start()) + 1)
            for m in _THRESHOLD.finditer(text)]


def _thresholds_looser(source: Source) -> list[Finding]:
    """Threshold findings for one file: each bar compared with the same key's bar on the base, in order."""
    coverage_file = bool(_COVERAGE_FILES.match(PurePosixPath(source.path).name))
    generic = ("branches", "functions", "lines", "statements")  # coverage keys only in coverage config files
    before = [t for t in _thresholds(source.base) if coverage_file or t[0] not in generic]
    after = [t for t in _thresholds(source.head) if coverage_file or t[0] not in generic]
    findings = []
    for key in dict.fromkeys(k for k, _, _ in before):
        old = [v for k, v, _ in before if k == key]
        new = [(v, n) for k, v, n in after if k == key]
        higher_is_looser = bool(re.fullmatch(_HIGHER_IS_LOOSER, key))
        for value, (head_value, line) in zip(old, new, strict=False):
            if (head_value > value) if higher_is_looser else (head_value < value):
                text = (source.head or "").splitlines()[line - 1]
                findings.append(finding("quality.threshold_lowered", "threshold_lowered", source.path, line, text,
                                        key=key, before=f"{value:g}", after=f"{head_value:g}"))
        if len(new) < len(old):
            findings.append(finding("quality.threshold_lowered", "threshold_removed", source.path, _first_added(source),
                                    f"{key} = {old[-1]:g} on the base, absent now", key=key, before=f"{old[-1]:g}"))
    return findings


def gate_thresholds(sources: list[Source], verify_cmds: list[str]) -> list[Finding]:
    """MAJOR quality.threshold_lowered for each coverage bar lowered (fail_under, --cov-fail-under,
    coverageThreshold's branches/functions/lines/statements) or lint bar raised (max-line-length,
    max-complexity, --max-warnings ...) or removed, in verify-relevant and config files (not .py)."""
    findings = []
    for source in sources:
        name = PurePosixPath(source.path).name
        relevant = verify_file_kind(source.path, verify_cmds) or name in ("pyproject.toml", "setup.cfg", "package.json")
        if relevant and not name.endswith(".py"):
            findings += _thresholds_looser(source)
    return findings


def gate_suppressions(sources: list[Source], policy: Policy) -> list[Finding]:
    """MAJOR quality.suppression_added for each added ``# noqa``, ``# type: ignore``, ``# pragma: no
    cover``, ``eslint-disable``, ``@ts-ignore``, ``//nolint`` ... in a code file, when the file now has
    more of that marker than on the base and the work order does not name the marker."""
    findings = []
    for source in sources:
        if not source.path.endswith(CODE_SUFFIXES) or source.head is None:
            continue
        for name, regex in _SUPPRESSIONS:
            extra = len(regex.findall(source.head)) - len(regex.findall(source.base or ""))
            if extra <= 0 or policy.mentions(name):
                continue
            hits = [(n, t) for n, t in _added_lines(source) if regex.search(t)][:extra]
            findings += [finding("quality.suppression_added", "suppression_added", source.path, n, t, marker=name)
                         for n, t in hits]
    return findings
