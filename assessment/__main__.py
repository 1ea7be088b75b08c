"""``python -m assessment`` runs the ``yinling`` command."""

import sys

from assessment.cli import main

sys.exit(main())
