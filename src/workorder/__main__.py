"""``python -m workorder``: the same as the ``workorder`` command."""

import sys

from .cli.main import main

sys.exit(main())
