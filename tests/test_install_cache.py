"""Install once, reuse (issue 20): action.yml's cached environment and scripts/install.sh.

Offline: a "restored" environment is a venv made here (``python -m venv --without-pip``) that sees this
test run's site-packages, a stand-in for what actions/cache restores; uv and the bootstrap python are
fakes that record a call and fail, so a test shows whether the install step reached for them.
The timings are in benchmarks/test_install.py (``test_install_as_the_action_does_cold``/``_warm``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parent.parent
VENV_PATH = "${{ runner.temp }}/workorder-venv"


def fake_action(tmp_path: Path, pins: dict[str, str]) -> Path:
    """An action folder: the real scripts/ and src/ (linked), a lock pinning ``pins`` (name: version)."""
    action = tmp_path / "action"
    action.mkdir()
    shutil.copytree(ROOT / "scripts", action / "scripts")
    (action / "src").symlink_to(ROOT / "src")
    lock = "".join(f"{name}=={pinned} \\\n    --hash=sha256:{'0' * 64}\n    # via workorder\n"
                   for name, pinned in pins.items())
    (action / "action-requirements.txt").write_text("# locked\n" + lock, encoding="utf-8")
    return action


def restored_venv(temp: Path) -> Path:
    """``temp/workorder-venv`` as a cache restore leaves it: a venv whose packages are this run's."""
    venv = temp / "workorder-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "this-test-run.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    return venv


def fakes(tmp_path: Path) -> tuple[Path, Path]:
    """A PATH folder with a ``uv`` that records its call and fails, and a bootstrap ``python`` that does
    the same; returns (the folder, the record file)."""
    bin_dir, record = tmp_path / "fake-bin", tmp_path / "calls"
    bin_dir.mkdir()
    for name in ("uv", "python"):
        (bin_dir / name).write_text(f'#!/bin/sh\necho "{name} $*" >>"{record}"\nexit 1\n')
        (bin_dir / name).chmod(0o755)
    return bin_dir, record


def run_script(mode: str, action: Path, temp: Path, bin_dir: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """``bash scripts/install.sh MODE`` as action.yml runs it, with the fake uv first on PATH."""
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(temp), "ACTION_PATH": str(action),
           "PYTHON": str(bin_dir / "python"), "RUNNER_TEMP": str(temp), "GITHUB_OUTPUT": str(temp / "outputs"),
           "INSTALL_AGENT": "false", **extra}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(action / "scripts" / "install.sh"),
                           mode], env=env, capture_output=True, text=True, check=False)


def outputs(temp: Path) -> dict[str, str]:
    """The step outputs the script wrote (``name=value`` lines of $GITHUB_OUTPUT)."""
    path = temp / "outputs"
    return dict(line.split("=", 1) for line in path.read_text().splitlines()) if path.exists() else {}


@pytest.fixture
def temp(tmp_path: Path) -> Path:
    (tmp_path / "runner-temp").mkdir()
    return tmp_path / "runner-temp"


def test_a_restored_environment_is_used_without_uv_or_pip(tmp_path, temp):
    action = fake_action(tmp_path, {"PyYAML": version("PyYAML"), "jinja2": version("jinja2")})
    venv = restored_venv(temp)
    bin_dir, record = fakes(tmp_path)
    result = run_script("install", action, temp, bin_dir, CACHE_HIT="true")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not record.exists(), f"a cache hit ran uv or pip: {record.read_text()}"
    assert outputs(temp) == {}, "nothing to save on a hit"
    ran = subprocess.run([str(venv / "bin" / "workorder"), "--version"], capture_output=True, text=True, check=False)
    assert ran.stdout.strip() == "workorder 0.1.0", ran.stdout + ran.stderr
    assert any(venv.glob("lib/python*/site-packages/workorder-action.pth"))


def test_a_restored_environment_off_the_lock_is_rebuilt(tmp_path, temp):
    """The control: the same restore, but the lock pins another PyYAML: the check fails and the step
    goes to uv (here a fake that fails) instead of running workorder on the wrong dependencies."""
    action = fake_action(tmp_path, {"PyYAML": "0.0.1", "jinja2": version("jinja2")})
    restored_venv(temp)
    bin_dir, record = fakes(tmp_path)
    result = run_script("install", action, temp, bin_dir, CACHE_HIT="true")
    assert result.returncode != 0
    assert f"PyYAML {version('PyYAML')} (lock 0.0.1)" in result.stdout
    assert "::warning::workorder: the restored environment failed its check" in result.stdout
    assert record.read_text().startswith("uv venv"), "rebuilt with uv"


def test_a_fresh_environment_asks_to_be_saved(tmp_path, temp):
    """A miss builds with uv (a stand-in that makes the venv) and outputs save=true."""
    action = fake_action(tmp_path, {"jinja2": version("jinja2")})
    bin_dir, record = fakes(tmp_path)
    (bin_dir / "uv").write_text(f'#!/bin/sh\necho "uv $*" >>"{record}"\n'
                                f'if [ "$1" = venv ]; then {shlex_venv(temp)}; fi\n')
    result = run_script("install", action, temp, bin_dir, CACHE_HIT="")
    assert result.returncode == 0, result.stdout + result.stderr
    calls = record.read_text().splitlines()
    assert calls[0].startswith("uv venv") and "--require-hashes -r" in calls[1]
    assert outputs(temp) == {"save": "true"}


def shlex_venv(temp: Path) -> str:
    """Shell text that makes the restored-like venv of :func:`restored_venv` (a uv stand-in's work)."""
    site = sysconfig.get_path("purelib")
    return (f'"{sys.executable}" -m venv --without-pip "{temp}/workorder-venv" && '
            f'"{temp}/workorder-venv/bin/python" -c "import sysconfig, pathlib; '
            f"pathlib.Path(sysconfig.get_path('purelib'), 't.pth').write_text('{site}')\"")


def test_the_key_follows_the_lock_python_os_and_seed(tmp_path, temp):
    action = fake_action(tmp_path, {"jinja2": "3.1.6"})
    bin_dir, _ = fakes(tmp_path)

    def key(**extra: str) -> str:
        (temp / "outputs").unlink(missing_ok=True)
        result = run_script("key", action, temp, bin_dir, PYTHON=sys.executable, **extra)
        assert result.returncode == 0, result.stderr
        return outputs(temp)["key"]

    first = key(RUNNER_OS="Linux", RUNNER_ARCH="X64")
    assert first == key(RUNNER_OS="Linux", RUNNER_ARCH="X64"), "stable"
    python = ".".join(map(str, sys.version_info[:3]))
    assert first.startswith(f"workorder-venv-Linux-X64-noseed-py{python}-")
    assert key(RUNNER_OS="macOS", RUNNER_ARCH="ARM64") != first
    assert key(RUNNER_OS="Linux", RUNNER_ARCH="X64", INSTALL_AGENT="true") != first
    (action / "action-requirements.txt").write_text("jinja2==3.1.7 \\\n", encoding="utf-8")
    assert key(RUNNER_OS="Linux", RUNNER_ARCH="X64") != first, "a new lock is a new environment"


def cache_order_problems(steps: list[dict]) -> list[str]:
    """What is wrong with the order of action.yml's cache steps: the key before the restore, the restore
    before the install, and the save right after the install, before any step that runs other code
    (the agent's install, the agent, the handle step): a later step could write into the saved copy."""
    ids = [s.get("id") or s.get("uses", "").split("@")[0] or s.get("name") for s in steps]
    found = []
    for before, after in (("venv-key", "venv-cache"), ("venv-cache", "install"), ("install", "actions/cache/save")):
        if ids.index(before) >= ids.index(after):
            found.append(f"{before} after {after}")
    save = ids.index("actions/cache/save")
    found += [f"{late} before the save" for late in ("agent", "sandbox", "handle") if ids.index(late) < save]
    return found


def action_steps() -> list[dict]:
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["runs"]["steps"]


def test_the_environment_is_saved_before_anything_else_runs():
    steps = action_steps()
    assert cache_order_problems(steps) == []
    late = [s for s in steps if s.get("uses", "").startswith("actions/cache/save")]
    moved = [s for s in steps if s not in late] + late   # the control: saved at the job's end
    assert "handle before the save" in cache_order_problems(moved)


def test_the_cache_steps_agree_with_the_script():
    steps = {s.get("id") or s.get("uses", s.get("name", "")).split("@")[0]: s for s in action_steps()}
    restore, save = steps["venv-cache"], steps["actions/cache/save"]
    assert restore["uses"].startswith("actions/cache/restore@")
    assert restore["with"] == save["with"] == {"path": VENV_PATH, "key": "${{ steps.venv-key.outputs.key }}"}
    assert 'venv="${RUNNER_TEMP:?' in (ROOT / "scripts" / "install.sh").read_text()
    assert "/workorder-venv" in (ROOT / "scripts" / "install.sh").read_text()
    assert save["if"] == "inputs.mode != 'route' && inputs.cache != 'false' && steps.install.outputs.save == 'true'"
    assert restore["if"] == "inputs.mode != 'route' && inputs.cache != 'false'"
    assert steps["install"]["env"]["CACHE_HIT"] == "${{ steps.venv-cache.outputs.cache-hit }}"
    # a failed key step is reported on the issue as a failed install (handlers/job_failed.py)
    report = next(s for s in action_steps() if s.get("name") == "Report a failed job on the issue")
    assert "steps.venv-key.outcome == 'failure'" in report["env"]["WORKORDER_OUTCOME_INSTALL"]


def test_the_launcher_runs_this_actions_workorder(tmp_path, temp):
    """bin/workorder and the .pth point at the action folder of this run, not of the run that saved
    the environment: a restore written for another action folder is relinked."""
    action = fake_action(tmp_path, {"jinja2": version("jinja2")})
    venv = restored_venv(temp)
    stale = next(venv.glob("lib/python*/site-packages"))
    (stale / "workorder-action.pth").write_text("/nonexistent/older-action/src\n")
    bin_dir, _ = fakes(tmp_path)
    assert run_script("install", action, temp, bin_dir, CACHE_HIT="true").returncode == 0
    assert (stale / "workorder-action.pth").read_text().strip() == str(action.resolve() / "src")
    assert os.access(venv / "bin" / "workorder", os.X_OK)
