"""The command line: ``workorder`` (main), its console reporter, ``handle``, ``init``, ``doctor`` and the settings
read from the environment. Nothing else imports this package."""

from .main import main

__all__ = ["main"]
