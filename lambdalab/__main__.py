"""``python -m lambdalab simulate ...``: see :mod:`lambdalab.cli`."""

import sys

from .cli import main

sys.exit(main())
