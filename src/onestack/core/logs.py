"""Structured logging: one ``key=value`` line per event, never a password or token (request
bodies and auth headers are not logged at all)."""
from __future__ import annotations

import logging
import sys


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = (f"ts={self.formatTime(record, '%Y-%m-%dT%H:%M:%S')} level={record.levelname} "
                f"logger={record.name} msg=\"{record.getMessage()}\"")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def setup_logging(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "oslo_policy", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
