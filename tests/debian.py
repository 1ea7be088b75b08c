"""What a fresh Debian would have: the packages of a minimal system plus those that
``tools/run.py`` installs, with everything they depend on; and which package owns a file.

Used by the tests that check ``tools/run.py``'s package lists against what the wheels,
PyInstaller and the test suite link to (``ldd``), on the machine's own dpkg database. A
minimal Debian (``debootstrap --variant=minbase``) holds the packages of priority
"required" and apt; the README's starting point adds python3, git and ca-certificates.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
STARTING_POINT = ("apt", "python3", "git", "ca-certificates")
DPKG_INFO = Path("/var/lib/dpkg/info")


def load_run_script() -> ModuleType:
    """``tools/run.py``, the two README commands' own script (not a package)."""
    spec = importlib.util.spec_from_file_location("yinling_run", ROOT / "tools" / "run.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Package:
    """An installed package: its priority, what it provides, and its dependency groups
    (each group a tuple of alternatives)."""

    name: str
    priority: str
    provides: tuple[str, ...]
    depends: tuple[tuple[str, ...], ...]


def _names(field: str) -> list[list[str]]:
    """``a (>= 1) | b:any, c`` → [["a", "b"], ["c"]]."""
    groups = []
    for group in filter(None, (g.strip() for g in field.split(","))):
        alternatives = [re.sub(r"\s*\(.*?\)|:\w+", "", alt).strip() for alt in group.split("|")]
        groups.append([a for a in alternatives if a])
    return groups


@cache
def installed() -> dict[str, Package]:
    """Every installed package, by name."""
    out = subprocess.run(
        ["dpkg-query", "-W", "-f",
         "${db:Status-Abbrev}\t${Package}\t${Priority}\t${Provides}\t${Pre-Depends}\t"
         "${Depends}\n"], capture_output=True, text=True, check=True).stdout
    packages = {}
    for line in out.splitlines():
        status, name, priority, provides, pre, depends = line.split("\t")
        if not status.startswith("ii"):
            continue
        packages[name] = Package(
            name, priority, tuple(alt for group in _names(provides) for alt in group),
            tuple(tuple(group) for group in _names(pre) + _names(depends)))
    return packages


def closure(roots: set[str] | list[str] | tuple[str, ...]) -> set[str]:
    """``roots`` and every installed package they depend on, directly or not."""
    db = installed()
    providers: dict[str, set[str]] = {}
    for package in db.values():
        for virtual in package.provides:
            providers.setdefault(virtual, set()).add(package.name)
    seen: set[str] = set()
    todo = [name for name in roots if name in db]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for group in db[name].depends:
            for alternative in group:
                for real in ({alternative} if alternative in db else set()) | providers.get(
                        alternative, set()):
                    if real not in seen:
                        todo.append(real)
    return seen


def fresh_debian(*lists: list[tuple[str, str, str]]) -> set[str]:
    """The packages a fresh Debian has after ``tools/run.py`` installed ``lists``."""
    required = {p.name for p in installed().values() if p.priority == "required"}
    named = {name for debs in lists for name, _, _ in debs}
    return closure(required | set(STARTING_POINT) | named)


@cache
def _file_owners() -> dict[str, frozenset[str]]:
    owners: dict[str, set[str]] = {}
    for listing in DPKG_INFO.glob("*.list"):
        package = listing.stem.split(":")[0]
        for line in listing.read_text(encoding="utf-8", errors="replace").splitlines():
            owners.setdefault(line, set()).add(package)
    return {path: frozenset(names) for path, names in owners.items()}


def owners(path: str | Path) -> frozenset[str]:
    """The packages that installed ``path`` (following links; /lib and /usr/lib alike)."""
    table = _file_owners()
    candidates = {str(path), os.path.realpath(path)}
    for candidate in list(candidates):
        if candidate.startswith("/usr/"):
            candidates.add(candidate.removeprefix("/usr"))
        else:
            candidates.add("/usr" + candidate)
    found: set[str] = set()
    for candidate in candidates:
        found |= table.get(candidate, frozenset())
    return frozenset(found)


def linked(binary: Path) -> list[tuple[str, str | None]]:
    """Every shared library ``binary`` needs (directly or not): soname and resolved path,
    None when the loader does not find it."""
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True,
                         check=False).stdout
    libraries = []
    for line in out.splitlines():
        parts = line.split()
        if "=>" not in parts:
            continue
        target = parts[2] if len(parts) > 2 else "not"
        libraries.append((parts[0], None if target == "not" else target))
    return libraries
