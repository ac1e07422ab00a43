"""The environment and configuration the action's own git runs with: nothing from the agent, no token.

The action's git runs on work trees the agent had; it must never run code or read config the agent
wrote, and must not hand the action's credentials to whatever it starts. So every git command gets:

- a minimal environment (:func:`git_environment`): only locale, PATH, HOME, TMPDIR, the commit identity
  and dates, TLS and proxy settings; never ``GITHUB_TOKEN`` or any other variable of the action's
  environment. The token reaches git only for fetch and push, as an ``http.extraheader`` in
  ``GIT_CONFIG_*`` variables of that one command (``workorder.shell.gitops.Git.run``): only that process (and
  root) can read its environment; it is never in argv or in a file.
- no system or global config (``GIT_CONFIG_NOSYSTEM=1``, ``GIT_CONFIG_GLOBAL=/dev/null``);
- command-line overrides of every setting that runs code (:data:`HARDENING`): hooks from ``/dev/null``
  (there are none), no fsmonitor, no credential helper, no ``ext::`` transport, no signing program.

A fetch or push with no token given (``workorder run --push`` on a laptop) authenticates the way the
person's own git does: for that one command the global config (credential helpers) is read and no
helper is reset (``user_credentials``). Hooks and fsmonitor stay off for it too.

The repository config the action reads is its own (the workspace's ``.git``, closed to other users for
the run); a ``.git`` the agent made in a work tree is removed before git runs there
(``workorder.shell.isolation``). Format of the overrides: git-config(1) ``-c name=value``; the variables:
git(1) ENVIRONMENT VARIABLES.
"""

from __future__ import annotations

from collections.abc import Mapping

# Code-running settings neutralised on every command (git-config(1)): command-line scope beats the
# repository's config.
SETTINGS: tuple[str, ...] = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "credential.helper=",
    "protocol.ext.allow=never",
    "commit.gpgSign=false",
    "tag.gpgSign=false",
)
HARDENING: tuple[str, ...] = tuple(part for setting in SETTINGS for part in ("-c", setting))
KEPT = frozenset({
    "PATH", "HOME", "TMPDIR", "LANG", "LANGUAGE", "TZ",
    "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE",
    "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_COMMITTER_DATE",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "GIT_SSL_CAINFO", "GIT_SSL_CAPATH",
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy",
    "SSH_AUTH_SOCK", "GIT_SSH", "GIT_SSH_COMMAND",
})
FIXED = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_TERMINAL_PROMPT": "0"}


def git_environment(env: Mapping[str, str], user_credentials: bool = False) -> dict[str, str]:
    """The variables of ``env`` git may see (:data:`KEPT` and ``LC_*``) plus :data:`FIXED`; with
    ``user_credentials`` the global config of ``env`` (its ``GIT_CONFIG_GLOBAL``, else the HOME's) is
    read. Returns a new dict; never raises."""
    out = {k: v for k, v in env.items() if k in KEPT or k.startswith("LC_")}
    out.update(FIXED)
    if user_credentials:
        out.pop("GIT_CONFIG_GLOBAL")
        if "GIT_CONFIG_GLOBAL" in env:
            out["GIT_CONFIG_GLOBAL"] = env["GIT_CONFIG_GLOBAL"]
    return out


def process_git_environment() -> dict[str, str]:
    """:func:`git_environment` of this process's environment, for the few git commands run where no
    :class:`workorder.shell.gitops.Git` is at hand (the integrity gates read blobs with it)."""
    import os

    return git_environment(os.environ)


def git_argv(*args: str, user_credentials: bool = False) -> list[str]:
    """``["git", *HARDENING, *args]``: one git command with the code-running settings neutralised
    (with ``user_credentials``, the credential helpers of the global config are kept)."""
    kept = [x for x in SETTINGS if not (user_credentials and x.startswith("credential.helper="))]
    return ["git", *(part for setting in kept for part in ("-c", setting)), *args]


__all__ = ["FIXED", "HARDENING", "KEPT", "SETTINGS", "git_argv", "git_environment", "process_git_environment"]
