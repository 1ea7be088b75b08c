"""The ``yinling`` command: everything a supervisor can do headless, over the same core.

Each subcommand lives in its own module under :mod:`assessment.commands` and exposes
``register(subparsers)``; this module only collects them. Exit codes: 0 success, 1 bad input
(refused, nothing written or half-printed), 2 usage error, 3 environment error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from assessment import __version__

# Subcommand modules, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "assessment.commands.score",
    "assessment.commands.match",
    "assessment.commands.roster",
    "assessment.commands.lists",
    "assessment.commands.sync",
    "assessment.commands.serve",
    "assessment.commands.county",
    "assessment.commands.import_bundle",
    "assessment.commands.demo",
    "assessment.commands.certificate",
    "assessment.commands.stats",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="yinling",
        description="银龄评估：老年人能力评估（GB/T 42195-2022）命令行工具",
    )
    parser.add_argument("--version", action="version", version=f"yinling {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen subcommand; return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = args.handler
    code: int = handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
