"""``python -m app`` starts the desktop client."""

import sys

from app.shell.main import main

# Guarded: a worker process started with ``spawn`` imports this module again.
if __name__ == "__main__":
    sys.exit(main())
