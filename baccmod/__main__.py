"""``python -m baccmod ...``: the ``baccmod`` command line (see :mod:`baccmod.cli`)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
