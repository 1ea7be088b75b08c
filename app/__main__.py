"""``python -m app`` starts the desktop client."""

import sys

from app.main import main

sys.exit(main())
