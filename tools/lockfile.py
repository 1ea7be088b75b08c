#!/usr/bin/env python3
"""Add sha256 hashes to ``requirements.lock`` for every platform the project installs on.

    python tools/lockfile.py            # rewrite requirements.lock with fresh hashes
    python tools/lockfile.py --check    # only report dependencies the lock does not pin

For each pinned requirement and each target (CPython 3.11–3.13 on Linux x86-64 and Windows
x86-64) the wheel pip would install there is fetched with ``pip download`` into a cache
folder, and its sha256 (what ``pip hash`` prints) is written after the pin, so that
``pip install --require-hashes`` (which ``tools/run.py`` uses) refuses any other file. A
requirement whose environment marker excludes a target (``; sys_platform == "win32"``) is not
fetched for it. Each wheel's own dependencies are then evaluated for that target: one the lock
does not pin is reported, because hash-checking mode would refuse to install it.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from email.parser import Parser
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
PYTHONS = ("3.11", "3.12", "3.13")
INDEX = "https://pypi.org/simple"
# Debian 12 has glibc 2.36: pip there accepts manylinux wheels for glibc 2.36 down to 2.5,
# preferring the newest; ``pip download --platform`` does not widen a tag by itself.
_MANYLINUX = (*(f"manylinux_2_{minor}_x86_64" for minor in range(36, 16, -1)),
              "manylinux2014_x86_64", "manylinux_2_12_x86_64", "manylinux2010_x86_64",
              "manylinux_2_5_x86_64", "manylinux1_x86_64")
# (name, pip --platform tags, marker environment)
PLATFORMS: tuple[tuple[str, tuple[str, ...], dict[str, str]], ...] = (
    ("linux", _MANYLINUX,
     {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
      "platform_machine": "x86_64"}),
    ("windows", ("win_amd64",),
     {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt",
      "platform_machine": "AMD64"}),
)
HEADER = """\
# Pinned versions that CI tested; tools/run.py installs exactly these files: pip runs in
# hash-checking mode and refuses any file whose sha256 is not listed. The hashes cover the
# wheels for CPython {pythons} on Linux x86-64 and Windows x86-64; lines with a marker
# (; sys_platform == "win32") are installed only there. After changing a pin, run
#     python tools/lockfile.py
# to fetch the new files from PyPI and rewrite the hashes.
"""


@dataclass
class Pin:
    """One pinned requirement of the lock file and the hashes found for it."""

    requirement: Requirement
    hashes: set[str] = field(default_factory=set)

    @property
    def version(self) -> str:
        return next(iter(self.requirement.specifier)).version

    def line(self) -> str:
        """The requirement with its marker, as it stands in the lock file."""
        text = f"{self.requirement.name}=={self.version}"
        if self.requirement.marker is not None:
            text += f" ; {self.requirement.marker}"
        return text


def read_pins(text: str) -> list[Pin]:
    """The pins of a lock file, with or without hashes (continuation lines joined)."""
    joined = re.sub(r"\\\n", " ", text)
    pins = []
    for raw in joined.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        spec = re.sub(r"\s--hash=\S+", "", line).strip()
        pins.append(Pin(Requirement(spec)))
    return pins


def environment(python: str, markers: dict[str, str]) -> dict[str, str]:
    """A marker environment for one target."""
    return {"python_version": python, "python_full_version": f"{python}.0",
            "implementation_name": "cpython", "platform_python_implementation": "CPython",
            **markers}


def download(pin: Pin, python: str, label: str, platforms: tuple[str, ...],
             cache: Path) -> Path:
    """The wheel pip chooses for ``pin`` on one target (fetched from PyPI once into ``cache``;
    the machine's pip configuration is ignored, so the hashes are PyPI's files)."""
    dest = cache / f"{label}-{python}"
    dest.mkdir(parents=True, exist_ok=True)
    before = set(dest.iterdir())
    spec = f"{pin.requirement.name}=={pin.version}"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--isolated", "--quiet", "--no-deps",
         "--index-url", INDEX, "--only-binary=:all:",
         *(f"--platform={tag}" for tag in platforms), "--python-version", python,
         "--implementation", "cp", "--dest", str(dest), spec],
        capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{spec} for {label} / Python {python}: no wheel\n{result.stderr}")
    name = canonicalize_name(pin.requirement.name)
    new = set(dest.iterdir()) - before
    candidates = new or {p for p in dest.iterdir()
                         if canonicalize_name(p.name.split("-")[0]) == name
                         and p.name.split("-")[1] == pin.version}
    if len(candidates) != 1:
        raise SystemExit(f"{spec}: cannot tell which file pip chose: {sorted(candidates)}")
    return candidates.pop()


def requires(wheel: Path) -> list[Requirement]:
    """The ``Requires-Dist`` entries of a wheel."""
    with zipfile.ZipFile(wheel) as archive:
        meta = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        message = Parser().parsestr(archive.read(meta).decode("utf-8"))
    return [Requirement(value) for value in message.get_all("Requires-Dist") or []]


def resolve(pins: list[Pin], cache: Path) -> list[str]:
    """Fill in every pin's hashes; return the dependencies the lock does not pin."""
    pinned = {canonicalize_name(p.requirement.name) for p in pins}
    problems: set[str] = set()
    for python in PYTHONS:
        for label, platforms, markers in PLATFORMS:
            env = environment(python, markers)
            for pin in pins:
                marker = pin.requirement.marker
                if marker is not None and not marker.evaluate(env):
                    continue
                wheel = download(pin, python, label, platforms, cache)
                pin.hashes.add(hashlib.sha256(wheel.read_bytes()).hexdigest())
                for dep in requires(wheel):
                    wanted = dep.marker is None or dep.marker.evaluate({**env, "extra": ""})
                    if wanted and canonicalize_name(dep.name) not in pinned:
                        problems.add(f"{dep.name} (needed by {pin.requirement.name} on "
                                     f"{label}, Python {python}: {dep})")
    return sorted(problems)


def render(pins: list[Pin]) -> str:
    """The lock file text: header, then each pin with its sorted hashes."""
    out = [HEADER.format(pythons="–".join((PYTHONS[0], PYTHONS[-1])))]
    for pin in pins:
        hashes = sorted(pin.hashes)
        out.append(" \\\n".join([pin.line(), *(f"    --hash=sha256:{h}" for h in hashes)]))
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Rewrite the lock file with hashes (or, with ``--check``, only report gaps)."""
    parser = argparse.ArgumentParser(prog="python tools/lockfile.py")
    parser.add_argument("--check", action="store_true", help="report unpinned dependencies")
    parser.add_argument("--cache", type=Path, default=None, help="folder for downloaded wheels")
    args = parser.parse_args(argv)
    pins = read_pins(LOCK.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as scratch:
        problems = resolve(pins, args.cache or Path(scratch))
    for problem in problems:
        print(f"not pinned: {problem}", file=sys.stderr)
    if problems:
        return 1
    if not args.check:
        LOCK.write_text(render(pins), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

