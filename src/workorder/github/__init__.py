"""GitHubForge: the Forge protocol over GitHub's REST API (PyGithub), one module per group of endpoints.

Only the CLI imports this package (lazily): the loop, the gates and the handlers know GitHub only as
:class:`workorder.contracts.forge.Forge`.
"""
