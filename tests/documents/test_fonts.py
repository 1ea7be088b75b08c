"""Font discovery: Windows and Linux candidates, settings path first, built-in fallback."""

from __future__ import annotations

import sys
from pathlib import Path, PureWindowsPath

from assessment.documents.fonts import (
    BUILTIN_FONT,
    builtin_font,
    candidate_paths,
    find_cjk_font,
    register_truetype,
)


def test_windows_candidates_come_from_the_windows_fonts_folder() -> None:
    found = list(candidate_paths("win32", {"WINDIR": r"D:\Windows"}))
    names = [PureWindowsPath(str(path)).name for path, _, _ in found]
    assert names[:3] == ["simsun.ttc", "simsun.ttf", "simhei.ttf"]
    assert "msyh.ttc" in names
    assert all(str(path).startswith("D:") for path, _, _ in found)


def test_linux_candidates_include_truetype_cjk_families() -> None:
    names = [path.name for path, _, _ in candidate_paths("linux", {"HOME": "/home/x"})]
    assert "wqy-zenhei.ttc" in names
    assert "uming.ttc" in names


def test_cff_and_missing_fonts_are_refused(tmp_path: Path) -> None:
    assert register_truetype(tmp_path / "none.ttf") is None
    bogus = tmp_path / "bogus.ttf"
    bogus.write_bytes(b"OTTO" + bytes(100))  # an OpenType/CFF signature
    assert register_truetype(bogus) is None
    noto = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")  # fonts-noto-cjk
    if sys.platform.startswith("linux"):
        assert noto.is_file(), "fonts-noto-cjk is missing (tools/run.py installs it)"
        assert register_truetype(noto, 2) is None  # CFF outlines cannot be embedded


def test_fallback_is_the_builtin_cid_font() -> None:
    choice = find_cjk_font(candidates=[])
    assert choice.name == BUILTIN_FONT
    assert not choice.embedded
    assert "STSong-Light" in choice.description
    assert builtin_font() == choice


def test_settings_path_wins(tmp_path: Path) -> None:
    system = find_cjk_font()
    # tools/run.py installs WenQuanYi Zen Hei on Linux; Windows has SimSun.
    assert system.path is not None, "no CJK TrueType font found on this machine"
    chosen = find_cjk_font(system.path, candidates=[])
    assert chosen.path == system.path
    assert chosen.embedded
    assert "已嵌入" in chosen.description
