"""The release this copy of workorder was built from. Empty in the repository and in editable or
development installs; .github/workflows/release.yml rewrites this file before it builds the wheel and
sdist of a ``vX.Y.Z`` tag, so an installed release knows its commit (``workorder init`` pins to it)."""

COMMIT = ""
TAG = ""
