"""``python -m app`` starts the desktop client."""

import sys

from app.shell.main import main

sys.exit(main())
