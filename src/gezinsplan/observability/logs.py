"""Structured logs: one JSON line per record, with the request's id and trace id.

Every line is built from fields this module names, never from a request: no path, no query
string, no header, no body, so no name, BSN or token can reach a log line through them. The
message of a record is our own text; a traceback is kept as frames (file, line, function)
without the exception's message, which may echo input (a validation error, a database's
"Key (bsn)=(…) already exists"). As a last line of defence, anything that looks like a
bearer token, a JWT or a nine-digit number (a BSN) in a message is masked.
"""

import json
import logging
import re
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from gezinsplan.config import Settings

# The request a record was written under: its id and trace id, set by the middleware.
REQUEST: ContextVar[dict[str, str] | None] = ContextVar("gezinsplan_request", default=None)
# Fields a record may carry (``extra=``) that reach the line; nothing else does.
FIELDS = (
    "request_id",
    "trace_id",
    "method",
    "route",
    "status",
    "duration_ms",
    "organization_id",
)
MASKED = "[masked]"
SECRETS = re.compile(
    r"(?i)bearer\s+\S+"  # an Authorization header's value
    r"|eyJ[\w-]+\.[\w-]+\.[\w-]*"  # a JWT
    # A BSN: nine digits standing alone. Not nine digits inside a run of letters and digits:
    # a uuid's last group (twelve hex characters) often holds such a run.
    r"|(?<![0-9A-Za-z])\d{9}(?![0-9A-Za-z])"
)


def mask(text: str) -> str:
    return SECRETS.sub(MASKED, text)


def frames(exc: BaseException) -> list[str]:
    """Where an exception was raised, without what it said."""
    return [
        f"{frame.filename}:{frame.lineno} in {frame.name}"
        for frame in traceback.extract_tb(exc.__traceback__)
    ]


class JsonFormatter(logging.Formatter):
    """A record as one JSON object on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask(record.getMessage()),
        }
        line |= REQUEST.get() or {}
        line |= {name: getattr(record, name) for name in FIELDS if hasattr(record, name)}
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            line["error"] = type(exc).__name__
            line["stack"] = frames(exc)
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"), default=str)


def logging_config(settings: Settings) -> dict[str, Any]:
    """One configuration for ``gezinsplan serve`` (uvicorn's ``log_config``, applied in every
    worker process) and ``gezinsplan worker``: JSON lines on stderr, uvicorn's access log off
    (the request line of ``observability.middleware`` replaces it)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": settings.log_level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": settings.log_level},
    }
