"""``python -m server``: run the county server (same as ``yinling serve``)."""

import sys

from server.run import main

sys.exit(main())
