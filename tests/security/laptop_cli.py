"""Running the real ``yinling`` command in a subprocess for the laptop attack tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

YINLING = [sys.executable, "-m", "assessment"]


def yinling(*args: str | Path, stdin: str | None = None,
            env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``yinling args`` as its own process; return the finished process (text mode)."""
    return subprocess.run([*YINLING, *map(str, args)], input=stdin, capture_output=True,
                          text=True, check=False, env={**os.environ, **(env or {})},
                          timeout=600)


def assert_refused(done: subprocess.CompletedProcess[str], *named: str) -> None:
    """Exit 1, nothing on standard output, a Chinese message naming ``named``, no traceback."""
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert done.stdout == ""
    assert "错误" in done.stderr, done.stderr
    for text in named:
        assert text in done.stderr, (text, done.stderr[-2000:])
