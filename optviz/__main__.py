"""``python -m optviz``: the same command as ``optviz``."""

import sys

from optviz.cli import main

if __name__ == "__main__":
    sys.exit(main())
