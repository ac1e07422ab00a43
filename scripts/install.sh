#!/usr/bin/env bash
# The action's install step, run by action.yml exactly as benchmarks/test_install.py runs it:
#   install.sh key      the actions/cache key of the action's environment, written to $GITHUB_OUTPUT as key=
#   install.sh install  the environment $RUNNER_TEMP/workorder-venv, ready to run `workorder`
# Environment: ACTION_PATH (the action's folder), PYTHON (setup-python's interpreter), RUNNER_TEMP,
# INSTALL_AGENT (true: the environment gets pip, for install-agent), CACHE_HIT (actions/cache/restore's
# cache-hit output), RUNNER_OS and RUNNER_ARCH (the runner's), GITHUB_OUTPUT.
#
# The environment holds the locked dependencies only (action-requirements.txt, hashed); workorder itself
# runs from the action's folder ($ACTION_PATH/src, linked by a .pth file and a `workorder` launcher written
# on every run), so one cached environment serves every version of the action with the same lock.
# A restored environment is checked (scripts/link_venv.py: every pin of the lock at its version, and
# `workorder` imported from this action's folder) and used without uv; a missing or failed one is built
# afresh with uv, and the output save=true asks action.yml to save it, before anything else runs in the job.
set -euo pipefail

action="${ACTION_PATH:?ACTION_PATH is the action folder}"
python="${PYTHON:?PYTHON is the interpreter from setup-python}"
venv="${RUNNER_TEMP:?RUNNER_TEMP is the runner temp folder}/workorder-venv"
output="${GITHUB_OUTPUT:-/dev/null}"
seed=noseed
if [ "${INSTALL_AGENT:-false}" = "true" ]; then seed=seed; fi   # install-agent uses the environment's pip

# key: the lock, this script, the exact Python (version and the path its environment links to), the
# runner's OS and architecture, and whether pip is seeded. hashFiles() cannot read the action's folder
# (it hashes files inside GITHUB_WORKSPACE only), so the key is computed here.
cache_key() {
  "$python" -I - "$action/action-requirements.txt" "$action/scripts/install.sh" "$seed" <<'PY'
import hashlib, os, platform, sys
digest = hashlib.sha256()
for path in sys.argv[1:3]:
    with open(path, "rb") as f:
        digest.update(hashlib.sha256(f.read()).digest())
digest.update("\0".join([sys.argv[3], os.path.realpath(sys.executable), sys.version]).encode())
print(f"py{platform.python_version()}-{digest.hexdigest()[:20]}")
PY
}

# link and check: workorder from this action's folder (a .pth file and bin/workorder), and every pin of
# the lock installed at its version (scripts/link_venv.py)
link_and_check() {
  "$venv/bin/python" -I "$action/scripts/link_venv.py" "$action"
}

build() {
  local uv="$RUNNER_TEMP/workorder-uv/bin/uv" seed_flag=()
  if command -v uv >/dev/null 2>&1; then
    uv="$(command -v uv)"
  elif [ ! -x "$uv" ]; then
    # uv from PyPI (pinned and hashed) into a folder of its own; nothing lands on PATH or in the job's python
    "$python" -m pip install --quiet --disable-pip-version-check --only-binary :all: --require-hashes \
      --target "$RUNNER_TEMP/workorder-uv" -r "$action/action-uv-requirements.txt"
  fi
  if [ "$seed" = "seed" ]; then seed_flag=(--seed); fi
  rm -rf "$venv"
  UV_PYTHON_DOWNLOADS=never "$uv" venv --quiet "${seed_flag[@]}" --python "$python" "$venv"
  # the locked, hashed dependencies, byte-compiled (the cache keeps the .pyc files every job would write);
  # workorder itself is not installed but linked (see above)
  UV_PYTHON_DOWNLOADS=never "$uv" pip install --quiet --compile-bytecode --python "$venv/bin/python" --require-hashes \
    -r "$action/action-requirements.txt"
}

case "${1:-install}" in
  key)
    key="workorder-venv-${RUNNER_OS:-local}-${RUNNER_ARCH:-local}-$seed-$(cache_key)"
    echo "key=$key" >>"$output"
    echo "workorder: environment cache key $key"
    ;;
  install)
    # A restored (or, on a self-hosted runner, leftover) environment is used when it passes the check.
    if [ -x "$venv/bin/python" ] && link_and_check; then
      echo "workorder: using the cached environment (cache hit: ${CACHE_HIT:-false})"
      exit 0
    fi
    if [ "${CACHE_HIT:-}" = "true" ]; then
      echo "::warning::workorder: the restored environment failed its check; installing afresh"
    fi
    build
    link_and_check
    if [ "${CACHE_HIT:-}" != "true" ]; then echo "save=true" >>"$output"; fi
    ;;
  *)
    echo "usage: install.sh key|install" >&2
    exit 2
    ;;
esac
