"""Logging without personal data.

Uvicorn's access log is replaced by one that records the method, the path *without* its
query, the status and the time taken; request and response bodies are never logged anywhere,
and error answers name fields, not values.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])|"
                        r"(?<![0-9A-Za-z])[0-9]{15}(?![0-9A-Za-z])")


def scrub_path(path: str) -> str:
    """A request path as the access log may keep it: no query string, and anything shaped
    like a resident ID number replaced (paths take opaque ids, but a mistaken request may
    still carry one)."""
    return _ID_NUMBER.sub("[身份证号已隐去]", path.split("?", 1)[0])


class PathOnlyAccessFormatter(logging.Formatter):
    """Formats uvicorn access records as ``client "METHOD /path" status`` (no query string,
    no ID numbers: :func:`scrub_path`)."""

    def format(self, record: logging.LogRecord) -> str:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            client, method, path, _version, status = args
            record.msg = '%s "%s %s" %s'
            record.args = (client, method, scrub_path(str(path)), status)
        return super().format(record)


def log_config(level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` mapping for uvicorn."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "default": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
            "access": {"()": "server.logconfig.PathOnlyAccessFormatter",
                       "format": "%(asctime)s %(levelname)s access: %(message)s"},
        },
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": "default",
                        "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "access",
                       "stream": "ext://sys.stderr"},
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": ["access"], "level": level, "propagate": False},
            "server": {"handlers": ["default"], "level": level, "propagate": False},
        },
    }
