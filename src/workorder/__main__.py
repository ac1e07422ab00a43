"""``python -m workorder``: the same as the ``workorder`` command."""

import sys

from .cli import main

sys.exit(main())
