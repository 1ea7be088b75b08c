"""Logging without personal data.

Uvicorn's access log is replaced by one that records the method, the path *without* its
query, the status and the time taken; request and response bodies are never logged anywhere,
and error answers name fields, not values.
"""

from __future__ import annotations

import logging
from typing import Any


class PathOnlyAccessFormatter(logging.Formatter):
    """Formats uvicorn access records as ``client "METHOD /path" status`` (no query string)."""

    def format(self, record: logging.LogRecord) -> str:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            client, method, path, _version, status = args
            record.msg = '%s "%s %s" %s'
            record.args = (client, method, str(path).split("?", 1)[0], status)
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
