"""Writing JSON output for the command line (input goes through :mod:`assessment.inputreader`)."""

from __future__ import annotations

import json
from typing import Any


def dump_json(value: Any) -> str:
    """Serialise ``value`` as compact UTF-8 JSON (Chinese kept readable)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
