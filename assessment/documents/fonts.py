"""The Chinese font of printed documents: find a TrueType CJK font, register it, embed it.

A certificate must print the same on every computer, so the font is embedded in the PDF. That
needs a font with TrueType (``glyf``) outlines: reportlab cannot embed OpenType/CFF fonts
such as the Noto CJK ``.ttc`` files, so those are tried and skipped when reportlab refuses
them. The search order is: a path from the settings, then the usual Windows fonts (宋体, 黑体,
微软雅黑), then the Linux and macOS families (AR PL UMing/UKai, 文泉驿正黑/微米黑, …). When
none is usable, the built-in CID font ``STSong-Light`` is used: it is not embedded, so the PDF
viewer or printer supplies the glyphs. :attr:`FontChoice.description` says which one is in use
(for the settings dialog).

Registration with reportlab is done once per process and font (it parses the font file, which
costs a tenth of a second).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from assessment.settings import FONT_PATH

SETTING_KEY = FONT_PATH.key
BUILTIN_FONT = "STSong-Light"
# Characters every certificate prints; a font lacking any of them is not used.
REQUIRED_CHARS = ("老年人能力评估报告编号基准日期原因姓名性别出生公民身份号码"
                  "（）：～、“”0123456789AX")

# (file name, index inside a .ttc, display name), in order of preference: 宋体 looks most
# official, then 黑体-style faces.
_WINDOWS_FONTS: tuple[tuple[str, int, str], ...] = (
    ("simsun.ttc", 0, "宋体 SimSun"),
    ("simsun.ttf", 0, "宋体 SimSun"),
    ("simhei.ttf", 0, "黑体 SimHei"),
    ("msyh.ttc", 0, "微软雅黑 Microsoft YaHei"),
    ("msyh.ttf", 0, "微软雅黑 Microsoft YaHei"),
    ("simfang.ttf", 0, "仿宋 FangSong"),
    ("simkai.ttf", 0, "楷体 KaiTi"),
)
_UNIX_FONTS: tuple[tuple[str, int, str], ...] = (
    ("truetype/arphic/uming.ttc", 0, "AR PL UMing"),
    ("truetype/arphic-uming/uming.ttc", 0, "AR PL UMing"),
    ("truetype/wqy/wqy-zenhei.ttc", 0, "文泉驿正黑 WenQuanYi Zen Hei"),
    ("truetype/wqy/wqy-microhei.ttc", 0, "文泉驿微米黑 WenQuanYi Micro Hei"),
    ("truetype/arphic/ukai.ttc", 0, "AR PL UKai"),
    ("truetype/arphic-ukai/ukai.ttc", 0, "AR PL UKai"),
    ("opentype/noto/NotoSerifCJK-Regular.ttc", 2, "Noto Serif CJK SC"),
    ("opentype/noto/NotoSansCJK-Regular.ttc", 2, "Noto Sans CJK SC"),
    ("truetype/noto/NotoSansSC-Regular.ttf", 0, "Noto Sans SC"),
)
_MAC_FONTS: tuple[tuple[str, int, str], ...] = (
    ("Songti.ttc", 0, "宋体-简 Songti SC"),
    ("STHeiti Medium.ttc", 0, "华文黑体 STHeiti"),
    ("Hiragino Sans GB.ttc", 0, "冬青黑体 Hiragino Sans GB"),
)


@dataclass(frozen=True, slots=True)
class FontChoice:
    """The font documents are drawn with, and how it got there."""

    name: str  # the reportlab font name to draw with
    display_name: str
    path: Path | None  # None for the built-in CID font
    subfont_index: int
    embedded: bool

    @property
    def description(self) -> str:
        """A Chinese sentence for the settings dialog."""
        if self.embedded and self.path is not None:
            return f"证书字体：{self.display_name}（{self.path}），已嵌入 PDF"
        return (f"未找到可嵌入的中文 TrueType 字体，证书使用内置字体 {BUILTIN_FONT}"
                "（不嵌入 PDF，显示效果取决于阅读或打印软件）；可在设置中指定字体文件")


def candidate_paths(platform: str | None = None,
                    environ: dict[str, str] | None = None) -> Iterator[tuple[Path, int, str]]:
    """Every place a CJK font may be, in order of preference, for ``platform``."""
    platform = platform or sys.platform
    env = dict(os.environ) if environ is None else environ
    if platform.startswith("win"):
        roots = [Path(env.get("WINDIR", env.get("SystemRoot", r"C:\Windows"))) / "Fonts"]
        local = env.get("LOCALAPPDATA")
        if local:
            roots.append(Path(local) / "Microsoft" / "Windows" / "Fonts")
        for root in roots:
            for name, index, display in _WINDOWS_FONTS:
                yield root / name, index, display
        return
    if platform == "darwin":
        for root in (Path("/System/Library/Fonts"), Path("/Library/Fonts"),
                     Path("/System/Library/Fonts/Supplemental")):
            for name, index, display in _MAC_FONTS:
                yield root / name, index, display
        return
    roots = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts")]
    home = env.get("HOME")
    if home:
        roots += [Path(home) / ".local/share/fonts", Path(home) / ".fonts"]
    for root in roots:
        for name, index, display in _UNIX_FONTS:
            yield root / name, index, display


_lock = threading.Lock()
_registered: dict[tuple[str, int], tuple[FontChoice, TTFont]] = {}
_unusable: set[tuple[str, int]] = set()
_chosen: dict[str, FontChoice] = {}


def _font_name(path: Path, index: int) -> str:
    return f"YL-{path.stem}-{index}"


def _covers(font: TTFont, chars: str) -> bool:
    cmap = font.face.charToGlyph
    return all(ord(ch) in cmap for ch in chars)


def _load(path: Path, index: int) -> TTFont | None:
    try:
        return TTFont(_font_name(path, index), str(path), subfontIndex=index)
    except (TTFError, OSError, ValueError, KeyError, IndexError):
        return None


def register_truetype(path: Path, index: int = 0, display_name: str | None = None,
                      required: str = REQUIRED_CHARS) -> FontChoice | None:
    """Register one TrueType font file with reportlab; ``None`` when it cannot be embedded.

    Refused: a missing file, a CFF-outline (OpenType PostScript) font, a damaged file, a font
    lacking any of ``required``. In a collection (``.ttc``) the face ``index`` is tried, then
    the first face.
    """
    with _lock:
        for face in dict.fromkeys((index, 0)):
            key = (str(path), face)
            if key in _registered:
                choice, font = _registered[key]
                if _covers(font, required):
                    return choice
                continue
            if key in _unusable or not path.is_file():
                continue
            loaded = _load(path, face)
            if loaded is None:
                _unusable.add(key)
                continue
            pdfmetrics.registerFont(loaded)
            choice = FontChoice(loaded.fontName, display_name or path.stem, path, face, True)
            _registered[key] = (choice, loaded)
            if _covers(loaded, required):
                return choice
        return None


def builtin_font() -> FontChoice:
    """The built-in, non-embedded CID font ``STSong-Light``, registered."""
    with _lock:
        if BUILTIN_FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(BUILTIN_FONT))
    return FontChoice(BUILTIN_FONT, "华文宋体 STSong-Light（内置）", None, 0, False)


def find_cjk_font(preferred: str | Path | None = None,
                  candidates: Iterable[tuple[Path, int, str]] | None = None) -> FontChoice:
    """The best usable CJK font: ``preferred`` (from settings) first, then the system's.

    The result is cached per ``preferred`` value when ``candidates`` is not given, so a batch
    of documents registers the font once.
    """
    cache_key = str(preferred or "")
    if candidates is None and cache_key in _chosen:
        return _chosen[cache_key]
    choice: FontChoice | None = None
    if preferred:
        path = Path(preferred)
        choice = register_truetype(path, 0, path.stem)
    if choice is None:
        for path, index, display in (candidates if candidates is not None
                                     else candidate_paths()):
            choice = register_truetype(path, index, display)
            if choice is not None:
                break
    result = choice or builtin_font()
    if candidates is None:
        _chosen[cache_key] = result
    return result


_SYMBOL_FONTS: dict[str, tuple[tuple[str, str], ...]] = {
    "win": (("seguisym.ttf", "Segoe UI Symbol"), ("arialuni.ttf", "Arial Unicode MS")),
    "darwin": (("Apple Symbols.ttf", "Apple Symbols"),),
    "other": (("truetype/dejavu/DejaVuSans.ttf", "DejaVu Sans"),
              ("TTF/DejaVuSans.ttf", "DejaVu Sans")),
}
_symbol_cache: dict[str, str | None] = {}


def find_symbol_font(font: FontChoice, platform: str | None = None) -> str | None:
    """The reportlab name of a font with ☑ and □: ``font`` itself when it has them, else a
    system symbol font (registered once), else ``None``."""
    if font.name in _symbol_cache:
        return _symbol_cache[font.name]
    result: str | None = None
    if font.path is not None:
        own = register_truetype(font.path, font.subfont_index, font.display_name,
                                REQUIRED_CHARS + "☑□")
        result = own.name if own is not None else None
    if result is None:
        platform = platform or sys.platform
        if platform.startswith("win"):
            roots = [Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"]
            names = _SYMBOL_FONTS["win"]
        elif platform == "darwin":
            roots = [Path("/System/Library/Fonts"), Path("/Library/Fonts")]
            names = _SYMBOL_FONTS["darwin"]
        else:
            roots = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts")]
            names = _SYMBOL_FONTS["other"]
        for root in roots:
            for name, display in names:
                choice = register_truetype(root / name, 0, display, "☑□")
                if choice is not None:
                    result = choice.name
                    break
            if result is not None:
                break
    _symbol_cache[font.name] = result
    return result
