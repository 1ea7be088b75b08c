"""The ``yinling`` command: everything a supervisor can do headless, over the same core.

Each subcommand lives in its own module under :mod:`assessment.commands` and exposes
``register(subparsers)``; this module only collects them, and those of the county server
(:data:`EXTENSIONS`) when it is installed. Exit codes: 0 success, 1 bad input
(refused, nothing written or half-printed), 2 usage error, 3 environment error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from assessment import __version__
from assessment.errors import InputRejected

# Subcommand modules, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "assessment.commands.score",
    "assessment.commands.match",
    "assessment.commands.roster",
    "assessment.commands.lists",
    "assessment.commands.sync",
    "assessment.commands.demo",
    "assessment.commands.certificate",
    "assessment.commands.backup",
    "assessment.commands.stats",
    "assessment.commands.registry",
    "assessment.commands.visits",
)


# Shells installed beside the core that add subcommands of their own: the county server's
# ``serve``, ``county …`` and ``import-bundle`` (its parsers live in that package). They are
# found by module name, so the core never imports them; without one, its commands still parse
# and say that the component is not installed (exit code 3).
EXTENSIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("server.commands", ("serve", "county", "import-bundle")),
)
MISSING = "错误：本机未安装县级服务器组件（server 包）"


def _not_installed(args: argparse.Namespace) -> int:
    print(MISSING, file=sys.stderr)
    return 3


def _add_extension(subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
                   module_name: str, commands: tuple[str, ...]) -> None:
    """Register an installed shell's subcommands, or stand-ins that explain its absence."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or module_name.split(".")[0] != exc.name.split(".")[0]:
            raise
        for command in commands:
            stand_in = subparsers.add_parser(command, help="（未安装）", add_help=False,
                                             prefix_chars="\x00")
            stand_in.add_argument("rest", nargs="*")
            stand_in.set_defaults(handler=_not_installed)
        return
    module.register(subparsers)


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
    for module_name, commands in EXTENSIONS:
        _add_extension(subparsers, module_name, commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen subcommand; return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = args.handler
    try:
        code: int = handler(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (``yinling … | head``): stop quietly, like other tools.
        _discard_stdout()
        return 1
    except InputRejected as exc:
        # Every command refuses bad input itself; this is the net under all of them.
        for problem in exc.problems:
            print(f"错误：{problem}", file=sys.stderr)
        return 1
    return code


def _discard_stdout() -> None:
    """Point standard output at the null device so the flush at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (tests capture stdout)
        pass


if __name__ == "__main__":
    sys.exit(main())
