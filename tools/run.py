#!/usr/bin/env python3
"""One entry point for a fresh machine: set up what is needed, then run the app or the tests.

    python3 tools/run.py app     # the desktop client (demo township on first run)
    python3 tools/run.py test    # ruff, mypy --strict and the whole pytest suite
    python3 tools/run.py bench   # the benchmarks (JSON lines)
    python3 tools/run.py shell … # any command inside the project's virtual environment

It creates ``.venv`` beside this repository, installs the pinned versions from
``requirements.lock`` (the versions CI tested) and the project itself, and, for the tests,
installs the Debian packages the suite reads back with (CJK fonts, poppler, zbar, PostgreSQL,
CUPS with cups-pdf) when they are missing and the user may install them. Only the standard
library is used here, because this runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements.lock"
STAMP = VENV / ".yinling-lock-sha256"

XCB = "Qt 窗口系统（xcb，桌面窗口必需）"

# Debian packages: (package, file or command that proves it is there, why it is needed).
RUNTIME_DEBS = [
    ("libegl1", "/usr/lib/x86_64-linux-gnu/libEGL.so.1", "Qt 运行库"),
    ("libgl1", "/usr/lib/x86_64-linux-gnu/libGL.so.1", "Qt 运行库"),
    ("libxkbcommon0", "/usr/lib/x86_64-linux-gnu/libxkbcommon.so.0", "Qt 运行库"),
    ("libfontconfig1", "/usr/lib/x86_64-linux-gnu/libfontconfig.so.1", "Qt 运行库"),
    ("libdbus-1-3", "/usr/lib/x86_64-linux-gnu/libdbus-1.so.3", "Qt 运行库"),
    ("libxcb-cursor0", "/usr/lib/x86_64-linux-gnu/libxcb-cursor.so.0", "Qt 运行库"),
    ("libxcb-icccm4", "/usr/lib/x86_64-linux-gnu/libxcb-icccm.so.4", XCB),
    ("libxcb-keysyms1", "/usr/lib/x86_64-linux-gnu/libxcb-keysyms.so.1", XCB),
    ("libxcb-image0", "/usr/lib/x86_64-linux-gnu/libxcb-image.so.0", XCB),
    ("libxcb-randr0", "/usr/lib/x86_64-linux-gnu/libxcb-randr.so.0", XCB),
    ("libxcb-render-util0", "/usr/lib/x86_64-linux-gnu/libxcb-render-util.so.0", XCB),
    ("libxcb-shape0", "/usr/lib/x86_64-linux-gnu/libxcb-shape.so.0", XCB),
    ("libxcb-xfixes0", "/usr/lib/x86_64-linux-gnu/libxcb-xfixes.so.0", XCB),
    ("libxcb-sync1", "/usr/lib/x86_64-linux-gnu/libxcb-sync.so.1", XCB),
    ("libxcb-shm0", "/usr/lib/x86_64-linux-gnu/libxcb-shm.so.0", XCB),
    ("libxcb-xkb1", "/usr/lib/x86_64-linux-gnu/libxcb-xkb.so.1", XCB),
    ("libxkbcommon-x11-0", "/usr/lib/x86_64-linux-gnu/libxkbcommon-x11.so.0", XCB),
    ("libx11-xcb1", "/usr/lib/x86_64-linux-gnu/libX11-xcb.so.1", XCB),
    ("fonts-noto-cjk", "/usr/share/fonts/opentype/noto", "中文字体"),
    ("fonts-wqy-zenhei", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "中文字体（证书嵌入）"),
]
TEST_DEBS = [
    ("poppler-utils", "pdftotext", "PDF 读回检查"),
    ("libzbar0", "/usr/lib/x86_64-linux-gnu/libzbar.so.0", "二维码解码检查"),
    ("postgresql", "/usr/lib/postgresql", "服务端 PostgreSQL 测试"),
    ("xvfb", "Xvfb", "屏幕截图"),
    ("cups", "/usr/sbin/cupsd", "经 CUPS 打印的测试"),
    ("cups-client", "lpadmin", "经 CUPS 打印的测试"),
    # Debian's name of the cups-pdf driver (the queue that prints into PDF files).
    ("printer-driver-cups-pdf", "/usr/lib/cups/backend/cups-pdf", "经 CUPS 打印的测试"),
]


def say(message: str) -> None:
    """Print a progress line that stands out from tool output."""
    print(f"[yinling] {message}", flush=True)


def present(probe: str) -> bool:
    """True when a file, folder or command named by ``probe`` exists."""
    if probe.startswith("/"):
        return Path(probe).exists()
    return shutil.which(probe) is not None


def ensure_debs(debs: list[tuple[str, str, str]]) -> None:
    """Install missing Debian packages with apt-get, or explain how when that is not possible."""
    if not sys.platform.startswith("linux"):
        return
    missing = [(name, why) for name, probe, why in debs if not present(probe)]
    if not missing:
        return
    names = [name for name, _ in missing]
    say("缺少系统软件包: " + ", ".join(f"{n}（{w}）" for n, w in missing))
    apt = shutil.which("apt-get")
    sudo: list[str] = []
    if os.geteuid() != 0:
        if shutil.which("sudo") is None:
            apt = None
        else:
            sudo = ["sudo", "-n"]
    if apt is None:
        say("无法自动安装。请以管理员身份运行: apt-get install -y " + " ".join(names))
        sys.exit(3)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    update = subprocess.run([*sudo, apt, "update", "-q"], env=env, check=False)
    result = subprocess.run(
        [*sudo, apt, "install", "-y", "-q", "--no-install-recommends", *names], env=env, check=False
    )
    if update.returncode != 0 or result.returncode != 0:
        say("系统软件包安装失败。请手动运行: apt-get install -y " + " ".join(names))
        sys.exit(3)


def venv_python() -> Path:
    """Path of the virtual environment's interpreter on this platform."""
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def ensure_venv() -> Path:
    """Create ``.venv`` and install the locked packages and the project, once per lock change."""
    python = venv_python()
    if not python.exists():
        say(f"创建虚拟环境 {VENV}")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    digest = hashlib.sha256(LOCK.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return python
    say("安装依赖（版本见 requirements.lock）")
    pip = [str(python), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "-r", str(LOCK)], check=True)
    subprocess.run([*pip, "install", "--no-deps", "--no-build-isolation", "-e", str(ROOT)],
                   check=True)
    STAMP.write_text(digest)
    return python


def run(cmd: list[str]) -> int:
    """Run a command in the repository with the venv first on PATH; return its exit code."""
    env = dict(os.environ)
    env["PATH"] = str(venv_python().parent) + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = str(VENV)
    return subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode


def run_tests(extra: list[str]) -> int:
    """ruff, mypy --strict and pytest; the first failure fails the whole run."""
    python = str(venv_python())
    steps = [
        ("ruff", [python, "-m", "ruff", "check", "."]),
        ("mypy --strict", [python, "-m", "mypy"]),
        ("pytest", [python, "-m", "pytest", *extra]),
    ]
    for name, cmd in steps:
        say(f"运行 {name}")
        code = run(cmd)
        if code != 0:
            say(f"{name} 失败（退出码 {code}）")
            return code
    return 0


def main(argv: list[str]) -> int:
    """Dispatch ``app`` (default), ``test``, ``bench`` or ``shell``."""
    command = argv[0] if argv else "app"
    rest = argv[1:]
    if sys.version_info < (3, 11):  # noqa: UP036 - this script must explain itself on old Pythons
        say("需要 Python 3.11 或更高版本")
        return 2
    if command == "app":
        ensure_debs(RUNTIME_DEBS)
        python = ensure_venv()
        return run([str(python), "-m", "app", *rest])
    if command == "test":
        ensure_debs(RUNTIME_DEBS + TEST_DEBS)
        ensure_venv()
        return run_tests(rest)
    if command == "bench":
        ensure_debs(RUNTIME_DEBS + TEST_DEBS)
        python = ensure_venv()
        return run([str(python), "-m", "benchmarks", *rest])
    if command == "shell":
        ensure_venv()
        return run(rest or ["bash"])
    say(f"未知命令 {command}; 可用: app, test, bench, shell")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
