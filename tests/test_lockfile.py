"""``requirements.lock``: every pin carries its hashes (pip's hash-checking mode refuses the
whole install otherwise), and every dependency the project declares is pinned."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"


def lock_entries() -> list[tuple[Requirement, list[str]]]:
    """Each pin of the lock file with its hashes."""
    text = re.sub(r"\\\n", " ", LOCK.read_text(encoding="utf-8"))
    entries = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", line)
            entries.append((Requirement(re.sub(r"\s--hash=\S+", "", line)), hashes))
    return entries


def test_every_pin_is_exact_and_hashed() -> None:
    # A pin added without hashes makes `tools/run.py` fail on every machine: after changing
    # requirements.lock, run `python tools/lockfile.py` (it fetches the files and hashes them).
    unhashed = [str(req) for req, hashes in lock_entries() if not hashes]
    assert unhashed == []
    loose = [str(req) for req, _ in lock_entries()
             if len(req.specifier) != 1 or next(iter(req.specifier)).operator != "=="]
    assert loose == []


def test_every_declared_dependency_is_pinned() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [Requirement(text) for text in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        declared += [Requirement(text) for text in extra]
    pinned = {canonicalize_name(req.name): req for req, _ in lock_entries()}
    missing = [str(req) for req in declared if canonicalize_name(req.name) not in pinned]
    assert missing == []
    outside = [f"{req} (lock: {pinned[canonicalize_name(req.name)]})" for req in declared
               if not req.specifier.contains(
                   next(iter(pinned[canonicalize_name(req.name)].specifier)).version)]
    assert outside == []


def test_windows_only_pins_carry_their_marker() -> None:
    markers = {canonicalize_name(req.name): str(req.marker) for req, _ in lock_entries()
               if req.marker is not None}
    windows = 'sys_platform == "win32"'
    assert markers == dict.fromkeys(("colorama", "pefile", "pywin32-ctypes"), windows)
