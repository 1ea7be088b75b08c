"""``tools/run.py``'s Debian package lists against what actually gets loaded.

The suite runs Qt offscreen on machines that happen to have many libraries, so without
these checks a machine could pass every test and a fresh Debian still fail with "Could not
load the Qt platform plugin xcb" or "libglib-2.0.so.0: cannot open shared object file". Each
check runs ``ldd`` on what the app, the wheels, PyInstaller and the test suite load, maps
every system library to the Debian package that installed it, and requires that package to
be on a fresh Debian after ``tools/run.py`` ran: a package of the minimal system, python3,
git, ca-certificates, one the script installs, or one of their dependencies.
"""

from __future__ import annotations

import ast
import ctypes.util
import glob
import importlib.util
import shutil
import sys
import sysconfig
from collections.abc import Iterable
from pathlib import Path

import PySide6
import pytest

from tests import debian

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("ldd") is None
    or shutil.which("dpkg-query") is None, reason="checks Debian's package lists (ldd, dpkg)")

run = debian.load_run_script()
SITE = Path(sysconfig.get_paths()["purelib"])
QT = Path(PySide6.__file__).parent
# Qt plugins the desktop client can load on Linux (the others are left out of the build too).
PLUGINS = (
    "platforms/libqxcb.so", "platforms/libqoffscreen.so", "platforms/libqminimal.so",
    "xcbglintegrations/*.so", "iconengines/*.so", "printsupport/*.so",
    "platformthemes/libqxdgdesktopportal.so",
    "platforminputcontexts/libcomposeplatforminputcontextplugin.so",
    "platforminputcontexts/libibusplatforminputcontextplugin.so",
    *(f"imageformats/libq{name}.so" for name in ("gif", "ico", "jpeg", "svg", "tga", "tiff",
                                                 "wbmp", "webp", "icns")),
)


def app_qt_modules() -> set[str]:
    """The PySide6 modules the client imports (read from the source of ``app/``)."""
    modules = set()
    for source in (debian.ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("PySide6."):
                modules.add((node.module or "").split(".")[1])
            elif isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[1] for alias in node.names
                            if alias.name.startswith("PySide6.")}
    return modules


def runtime_objects() -> list[Path]:
    """What ``python3 tools/run.py app`` loads: the client's Qt modules and plugins, and every
    compiled module of the other wheels (sqlcipher3, psycopg-binary, cryptography, numpy …)."""
    objects = [QT / f"{module}.abi3.so" for module in sorted(app_qt_modules())]
    for pattern in PLUGINS:
        found = sorted((QT / "Qt" / "plugins").glob(pattern))
        assert found, f"Qt plugin {pattern} is missing from the PySide6 wheel"
        objects += found
    objects += sorted(p for p in SITE.rglob("*.so*")
                      if p.is_file() and QT not in p.parents and "PySide6" not in p.name)
    return objects


def bundled(path: str) -> bool:
    """True for a library shipped inside a wheel or with a Python not from Debian."""
    return path.startswith(str(SITE)) or (
        sys.base_prefix != "/usr" and path.startswith(sys.base_prefix))


def problems(objects: Iterable[Path], allowed: set[str]) -> list[str]:
    """Libraries the objects need that are missing, or that come from a package outside
    ``allowed``."""
    found = []
    for binary in objects:
        for soname, path in debian.linked(binary):
            if path is None:
                found.append(f"{binary.name}: {soname} not found")
            elif not bundled(path):
                owners = debian.owners(path)
                if not owners & allowed:
                    found.append(f"{binary.name}: {soname} from {sorted(owners) or 'no package'}")
    return sorted(set(found))


def test_runtime_libraries_come_from_the_app_commands_packages() -> None:
    allowed = debian.fresh_debian(run.VENV_DEBS, run.RUNTIME_DEBS)
    assert problems(runtime_objects(), allowed) == []


def test_the_app_loads_the_xcb_plugin_it_checks() -> None:
    # Guards the list above: the X11 plugin and the printing plugin are among the objects.
    names = {p.name for p in runtime_objects()}
    assert {"libqxcb.so", "libcupsprintersupport.so", "QtWidgets.abi3.so",
            "QtPrintSupport.abi3.so"} <= names


def test_tools_of_the_suite_come_from_the_test_commands_packages() -> None:
    from PyInstaller.depend.bindepend import get_python_library_path

    allowed = debian.fresh_debian(run.VENV_DEBS, run.RUNTIME_DEBS, run.TEST_DEBS)
    commands = ["pdftotext", "pdffonts", "pdftoppm", "objdump", "ldd"]
    paths = [Path(shutil.which(name) or f"/missing/{name}") for name in commands]
    postgres = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    assert postgres, "PostgreSQL (initdb, postgres) is not installed"
    paths += [postgres[-1] / "initdb", postgres[-1] / "postgres"]
    zbar = ctypes.util.find_library("zbar")  # how pyzbar finds it
    assert zbar is not None, "libzbar (read by pyzbar) is not installed"
    paths.append(Path(run.LIB) / zbar)
    python_library = get_python_library_path()
    assert python_library is not None, "PyInstaller finds no libpython"
    paths.append(Path(python_library))
    paths += sorted((SITE / "PyInstaller" / "bootloader").glob("Linux-64bit-*/run*"))
    missing = [str(p) for p in paths if not p.exists()]
    assert missing == []
    outside = [f"{p}: {sorted(debian.owners(p)) or 'no package'}" for p in paths
               if not bundled(str(p.resolve())) and not debian.owners(p) & allowed]
    assert outside == []
    assert problems(paths, allowed) == []


def test_each_probe_proves_its_own_package() -> None:
    # tools/run.py decides what to install by probing a file or command: the probe must be a
    # file that the package (or one it depends on) installs, not a folder other packages share
    # (a bare /usr/lib/postgresql is there with the client alone, without initdb).
    wrong = []
    for name, probe, _ in run.VENV_DEBS + run.RUNTIME_DEBS + run.TEST_DEBS:
        if probe.startswith("python:"):
            spec = importlib.util.find_spec(probe.removeprefix("python:"))
            path = spec.origin if spec is not None else None
        elif probe.startswith("/"):
            path = next(iter(sorted(glob.glob(probe))), None)
        else:
            path = shutil.which(probe)
        if path is None or not Path(path).is_file():
            wrong.append(f"{name}: {probe} is not a file here")
        elif not debian.owners(path) & debian.closure([name]):
            wrong.append(f"{name}: {probe} belongs to {sorted(debian.owners(path))}")
    assert wrong == []


def test_no_package_is_listed_twice_or_for_nothing() -> None:
    names = [name for name, _, _ in run.VENV_DEBS + run.RUNTIME_DEBS + run.TEST_DEBS]
    assert len(names) == len(set(names))
    assert "xvfb" not in names  # nothing runs Xvfb: Qt runs offscreen in the suite
