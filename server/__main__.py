"""``python -m server``: run the county server (same as ``yinling serve``)."""

import sys

from server.run import main

# Guarded: a worker process started with ``spawn`` imports this module again.
if __name__ == "__main__":
    sys.exit(main())
