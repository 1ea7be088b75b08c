"""Subcommands of the ``yinling`` command, one module each (see :mod:`assessment.cli`)."""
