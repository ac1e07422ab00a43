"""The optional vulnerability lookup of the review (config ``dependency_audit``): run a maintained tool on the
packages a change adds or re-versions, where the runner has network.

``pip-audit`` (PyPA; it asks the PyPI JSON API's advisories, so it needs network to pypi.org) audits the PyPI
packages pinned to one version (``name==version``) in the changed manifests, with ``--no-deps --disable-pip``:
nothing is installed or resolved, no package code runs. Its requirements file is written by the action from
the parsed names and versions, of a checked shape only (:data:`workorder.evidence.dep_audit.PACKAGE_NAME`), in a
folder of its own; the tool runs as the action's user with ``PATH``, the proxy and CA variables of the verify
environment and nothing else (no token). What it finds, or why it could not look, becomes
:class:`workorder.evidence.dep_audit.DepAudit` for the gate (:mod:`workorder.gates.dep_audit`).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..evidence.dep_audit import DepAudit, parse_pip_audit, pinned
from ..evidence.manifests import package_changes
from ..inputs.globs import compile_globs
from ..inputs.problems import InvalidInput
from ..contracts.config import RepoConfig
from ..evidence.diff import Diff
from ..shell.gitops import Git

AUDIT_TIMEOUT_S = 300
PASSED_ENV = ("PATH", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy",
              "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "LANG")


def audit_dependencies(git: Git, diff: Diff, config: RepoConfig, env: dict[str, str],
                       timeout_s: float = AUDIT_TIMEOUT_S) -> DepAudit | None:
    """Look up the PyPI packages ``diff`` adds or re-versions in the manifests of ``config`` with the tool
    ``config.dependency_audit`` names; ``env`` is the verify environment (its ``PATH`` finds the tool).
    Returns None when the lookup is off or no PyPI package changed; never raises for the tool's failures
    (they are :attr:`DepAudit.error`). Raises GitError when the manifests cannot be read."""
    if config.dependency_audit == "off" or diff.base is None:
        return None
    manifests = compile_globs(config.dependency_manifests)
    changed = [p for p in diff.touched_paths if manifests.match_file(p)]
    changes = [c for c in package_changes(git, diff.base, diff.head, changed) if c.kind != "removed" and c.ecosystem == "pypi"]
    if not changes:
        return None
    audit = DepAudit(tool=config.dependency_audit)
    for change in changes:
        line = pinned(change.name, change.new)
        if line is None:
            audit.skipped.append(f"{change.name} {change.new or ''}".strip()[:120])
        elif line not in audit.audited:
            audit.audited.append(line)
    if audit.audited:
        _run_pip_audit(audit, {k: v for k, v in env.items() if k in PASSED_ENV}, timeout_s)
    return audit


def _run_pip_audit(audit: DepAudit, env: dict[str, str], timeout_s: float) -> None:
    """Run pip-audit on ``audit.audited`` and record its advisories, skips or error in ``audit``."""
    exe = shutil.which("pip-audit", path=env.get("PATH", ""))
    if exe is None:
        audit.error = "pip-audit is not on PATH (install it in the workflow, e.g. pip install pip-audit)"
        return
    with tempfile.TemporaryDirectory(prefix="workorder-audit-") as tmp:
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text("".join(f"{line}\n" for line in audit.audited), encoding="utf-8")
        argv = [exe, "--requirement", str(requirements), "--no-deps", "--disable-pip", "--format", "json",
                "--progress-spinner", "off"]
        try:
            done = subprocess.run(argv, cwd=tmp, env={**env, "HOME": tmp}, capture_output=True, text=True,
                                  timeout=timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            audit.error = f"pip-audit did not finish: {type(exc).__name__}"
            return
    try:
        audit.advisories, skipped = parse_pip_audit(done.stdout)
        audit.skipped += skipped
    except InvalidInput:
        tail = (done.stderr or done.stdout or "").strip().splitlines()[-1:] or [""]
        audit.error = f"pip-audit exited {done.returncode} without a JSON report: {tail[0][:300]}"


__all__ = ["audit_dependencies"]
