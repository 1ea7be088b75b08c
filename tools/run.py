#!/usr/bin/env python3
"""One entry point for a fresh machine: set up what is needed, then run the app or the tests.

    python3 tools/run.py app     # the desktop client (demo township on first run)
    python3 tools/run.py test    # ruff, mypy --strict and the whole pytest suite
    python3 tools/run.py bench   # the benchmarks (JSON lines)
    python3 tools/run.py shell … # any command inside the project's virtual environment

On Debian (and derivatives) every command first installs, with ``apt-get``, the system
packages it needs and lacks: ``python3-venv`` when this Python cannot make a virtual
environment, the libraries Qt links to for ``app``, and for ``test`` and ``bench`` also the
tools the suite reads back with (CJK fonts, poppler, zbar, PostgreSQL, CUPS with cups-pdf,
binutils and libpython for the PyInstaller build). It waits for another package manager
(an automatic update) to finish instead of failing. Then it creates ``.venv`` beside this repository
(rebuilding one that an interrupted run left half-made), installs the pinned versions from
``requirements.lock`` with pip's hash checking, and the project itself. Only the standard
library is used here, because this runs before anything is installed.
"""

from __future__ import annotations

import glob
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import venv
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements.lock"
STAMP = VENV / ".yinling-lock-sha256"

PY = f"{sys.version_info.major}.{sys.version_info.minor}"
LIB = Path("/usr/lib") / (sysconfig.get_config_var("MULTIARCH") or "x86_64-linux-gnu")
DEBIAN_PYTHON = sys.base_prefix == "/usr"  # the interpreter comes from Debian's packages
QT = "Qt 运行库"
XCB = "Qt 窗口系统（xcb，桌面窗口必需）"

# A Debian package: (package, what proves it is installed, why it is needed). The proof is a
# file (a glob pattern allowed) that the package installs, a command on PATH, or
# "python:MODULE" for a module this interpreter can import.
Deb = tuple[str, str, str]

VENV_DEBS: list[Deb] = [
    (f"python{PY}-venv", "python:ensurepip", "创建虚拟环境"),
] if DEBIAN_PYTHON else []
RUNTIME_DEBS: list[Deb] = [
    ("libglib2.0-0", f"{LIB}/libglib-2.0.so.0", QT),
    ("libegl1", f"{LIB}/libEGL.so.1", QT),
    ("libgl1", f"{LIB}/libGL.so.1", QT),
    ("libxkbcommon0", f"{LIB}/libxkbcommon.so.0", QT),
    ("libfontconfig1", f"{LIB}/libfontconfig.so.1", QT),
    ("libdbus-1-3", f"{LIB}/libdbus-1.so.3", QT),
    ("libxcb-cursor0", f"{LIB}/libxcb-cursor.so.0", QT),
    ("libcups2", f"{LIB}/libcups.so.2", "Qt 打印支持（CUPS）"),
    ("libxcb-icccm4", f"{LIB}/libxcb-icccm.so.4", XCB),
    ("libxcb-keysyms1", f"{LIB}/libxcb-keysyms.so.1", XCB),
    ("libxcb-image0", f"{LIB}/libxcb-image.so.0", XCB),
    ("libxcb-randr0", f"{LIB}/libxcb-randr.so.0", XCB),
    ("libxcb-render-util0", f"{LIB}/libxcb-render-util.so.0", XCB),
    ("libxcb-shape0", f"{LIB}/libxcb-shape.so.0", XCB),
    ("libxcb-xfixes0", f"{LIB}/libxcb-xfixes.so.0", XCB),
    ("libxcb-sync1", f"{LIB}/libxcb-sync.so.1", XCB),
    ("libxcb-shm0", f"{LIB}/libxcb-shm.so.0", XCB),
    ("libxcb-xkb1", f"{LIB}/libxcb-xkb.so.1", XCB),
    ("libxcb-glx0", f"{LIB}/libxcb-glx.so.0", XCB),
    ("libxkbcommon-x11-0", f"{LIB}/libxkbcommon-x11.so.0", XCB),
    ("libx11-xcb1", f"{LIB}/libX11-xcb.so.1", XCB),
    ("fonts-noto-cjk", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "中文字体"),
    ("fonts-wqy-zenhei", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "中文字体（证书嵌入）"),
]
TEST_DEBS: list[Deb] = [
    ("poppler-utils", "pdftotext", "PDF 读回检查"),
    ("libzbar0", f"{LIB}/libzbar.so.0", "二维码解码检查"),
    ("postgresql", "/usr/lib/postgresql/*/bin/initdb", "服务端 PostgreSQL 测试"),
    ("binutils", "objdump", "PyInstaller 打包测试"),
    ("cups", "/usr/sbin/cupsd", "经 CUPS 打印的测试"),
    ("cups-client", "lpadmin", "经 CUPS 打印的测试"),
    # Debian's name of the cups-pdf driver (the queue that prints into PDF files).
    ("printer-driver-cups-pdf", "/usr/lib/cups/backend/cups-pdf", "经 CUPS 打印的测试"),
    *([(f"libpython{PY}", f"{LIB}/libpython{PY}.so.1.0", "PyInstaller 打包测试")]
      if DEBIAN_PYTHON else []),
]

# The locks apt and dpkg hold while they work (fcntl record locks on these files).
APT_LOCKS = (
    Path("/var/lib/dpkg/lock-frontend"),
    Path("/var/lib/dpkg/lock"),
    Path("/var/lib/apt/lists/lock"),
    Path("/var/cache/apt/archives/lock"),
)
LOCK_WAIT_S = 1800.0


def say(message: str) -> None:
    """Print a progress line that stands out from tool output."""
    print(f"[yinling] {message}", flush=True)


def present(probe: str) -> bool:
    """True when the file, folder, command or Python module named by ``probe`` exists."""
    if probe.startswith("python:"):
        importlib.invalidate_caches()  # apt may have added the module since the last look
        return importlib.util.find_spec(probe.removeprefix("python:")) is not None
    if probe.startswith("/"):
        return any(glob.iglob(probe))
    return shutil.which(probe) is not None


def busy_locks(paths: Sequence[Path]) -> list[Path]:
    """The lock files among ``paths`` that another process holds right now.

    A file we may not open (not root) or that does not exist counts as free: apt's own
    ``DPkg::Lock::Timeout`` then does the waiting.
    """
    import fcntl  # POSIX only; this runs only where apt-get exists

    held = []
    for path in paths:
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            held.append(path)
        else:
            fcntl.lockf(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    return held


def wait_for_package_manager(paths: Sequence[Path] = APT_LOCKS, poll_s: float = 2.0,
                             limit_s: float = LOCK_WAIT_S) -> bool:
    """Wait while another apt or dpkg (an automatic update) holds its locks, saying so.

    Returns False when the locks are still held after ``limit_s`` seconds.
    """
    waited = 0.0
    told = -1.0
    while held := busy_locks(paths):
        if waited >= limit_s:
            return False
        if told < 0 or waited - told >= 30:
            say("另一个软件包管理程序（如系统自动更新）正在运行，等待它结束…"
                f"（已等待 {int(waited)} 秒，占用 {held[0]}）")
            told = waited
        time.sleep(poll_s)
        waited += poll_s
    return True


def ensure_debs(debs: Sequence[Deb]) -> None:
    """Install missing Debian packages with apt-get, or explain how when that is not possible."""
    if not sys.platform.startswith("linux"):
        return
    missing = [(name, why) for name, probe, why in debs if not present(probe)]
    if not missing:
        return
    names = list(dict.fromkeys(name for name, _ in missing))
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
    say("现在用 apt-get 安装它们" + ("（通过 sudo）" if sudo else "") + ": " + " ".join(names))
    if not wait_for_package_manager():
        say("软件包管理程序长时间被占用。请稍后重试，或手动运行: apt-get install -y "
            + " ".join(names))
        sys.exit(3)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    wait = ["-o", f"DPkg::Lock::Timeout={int(LOCK_WAIT_S)}"]
    update = subprocess.run([*sudo, apt, *wait, "update", "-q"], env=env, check=False)
    result = subprocess.run(
        [*sudo, apt, *wait, "install", "-y", "-q", "--no-install-recommends", *names], env=env,
        check=False)
    if update.returncode != 0 or result.returncode != 0:
        say("系统软件包安装失败。请手动运行: apt-get install -y " + " ".join(names))
        sys.exit(3)


def venv_python() -> Path:
    """Path of the virtual environment's interpreter on this platform."""
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def venv_works(python: Path) -> bool:
    """True when the environment's interpreter starts and has pip."""
    try:
        probe = subprocess.run([str(python), "-c", "import pip"], capture_output=True,
                               check=False, timeout=120)
    except OSError:
        return False
    return probe.returncode == 0


def create_venv() -> None:
    """Create ``.venv`` with pip; a failed attempt leaves nothing behind."""
    if not present("python:ensurepip"):
        say(f"此 Python 无法创建虚拟环境（缺少 ensurepip）。请安装 python{PY}-venv 后重试")
        sys.exit(3)
    say(f"创建虚拟环境 {VENV}")
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        ok = venv_works(venv_python())
    except (OSError, subprocess.CalledProcessError, SystemExit):
        ok = False
    if not ok:
        shutil.rmtree(VENV, ignore_errors=True)
        say("创建虚拟环境失败（见上方输出），已删除未完成的 .venv")
        sys.exit(3)


def pip_install(python: Path, args: list[str]) -> None:
    """Run pip; on failure say what happened and stop (the next run retries)."""
    pip = [str(python), "-m", "pip", "--disable-pip-version-check", "-q"]
    code = subprocess.run([*pip, "install", *args], cwd=ROOT, check=False).returncode
    if code != 0:
        say(f"安装依赖失败（pip 退出码 {code}）。请检查网络后重新运行同一命令，"
            "已装好的部分不会重复下载")
        sys.exit(3)


def ensure_venv() -> Path:
    """Create ``.venv`` and install the locked packages and the project, once per lock change."""
    python = venv_python()
    if (VENV.exists() or python.exists()) and not venv_works(python):
        say("虚拟环境 .venv 不完整（上次创建可能被中断），重新创建")
        shutil.rmtree(VENV, ignore_errors=True)
    if not python.exists():
        create_venv()
    digest = hashlib.sha256(LOCK.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return python
    say("安装依赖（版本与校验值见 requirements.lock）")
    pip_install(python, ["--require-hashes", "--only-binary=:all:", "-r", str(LOCK)])
    pip_install(python, ["--no-deps", "--no-build-isolation", "-e", str(ROOT)])
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
        ensure_debs(VENV_DEBS + RUNTIME_DEBS)
        python = ensure_venv()
        return run([str(python), "-m", "app", *rest])
    if command == "test":
        ensure_debs(VENV_DEBS + RUNTIME_DEBS + TEST_DEBS)
        ensure_venv()
        return run_tests(rest)
    if command == "bench":
        ensure_debs(VENV_DEBS + RUNTIME_DEBS + TEST_DEBS)
        python = ensure_venv()
        return run([str(python), "-m", "benchmarks", *rest])
    if command == "shell":
        ensure_debs(VENV_DEBS)
        ensure_venv()
        return run(rest or ["bash"])
    say(f"未知命令 {command}; 可用: app, test, bench, shell")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
