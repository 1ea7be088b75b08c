"""``python -m assessment`` runs the ``yinling`` command."""

import sys

from assessment.cli import main

# Guarded: a worker process started with ``spawn`` imports this module again.
if __name__ == "__main__":
    sys.exit(main())
