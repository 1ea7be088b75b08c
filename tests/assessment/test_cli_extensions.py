"""The ``yinling`` command adds the county server's subcommands only when it is installed."""

from __future__ import annotations

import sys

import pytest

from assessment.cli import EXTENSIONS, build_parser, main


def _subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return list(action.choices or {})


def test_county_commands_come_from_the_server_package() -> None:
    assert EXTENSIONS == (("server.commands", ("serve", "county", "import-bundle")),)
    names = _subcommands()
    assert {"serve", "county", "import-bundle"} <= set(names)
    args = build_parser().parse_args(["county", "account", "add", "li", "李四",
                                      "--township", "140421001", "--role", "supervisor"])
    assert (args.county_action, args.verb, args.role) == ("account", "add", "supervisor")
    assert args.handler.__module__ == "server.commands"


def test_without_the_server_its_commands_say_so(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    for name in [n for n in sys.modules if n.startswith("server.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "server", None)  # as on a laptop without the server
    stand_in = build_parser().parse_args(["county", "township", "list"])
    assert stand_in.handler.__module__ == "assessment.cli"
    assert main(["county", "township", "list"]) == 3
    assert main(["serve", "--port", "1"]) == 3
    assert capsys.readouterr().err.count("本机未安装县级服务器组件") == 2
    assert "score" in _subcommands()
