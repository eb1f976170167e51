"""What the service's logs may say about a refused request: its path and why, nothing it carried.

BentoML logs every rejected request as an error with a traceback whose message repeats the
request's values; a client's mistake is not a server error, and a request body may hold
anything (a pasted key, a buyer id). Rejections are logged as one warning line that names the
fields at fault and never their values.
"""

from __future__ import annotations

import logging
import re

from pydantic import ValidationError

BENTOML_REQUEST_LOGGER = "bentoml._internal.server.http_app"


class RejectedRequestFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, ValidationError):
            fields = sorted({".".join(map(_field, problem["loc"])) or "body" for problem in error.errors()})
            path = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            record.msg, record.args = "rejected request on %s: invalid %s", (path, ", ".join(fields[:10]))
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = None
        return True


def _field(part: str | int) -> str:
    """A location part that is a field name or index; anything else may be a client's data."""
    return str(part) if isinstance(part, int) or _NAME.fullmatch(part) else "?"


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def install() -> None:
    logging.getLogger(BENTOML_REQUEST_LOGGER).addFilter(RejectedRequestFilter())


def log_rejection(path: str, why: str) -> None:
    """One line for a request refused before it reached an endpoint, in the same words."""
    logging.getLogger(BENTOML_REQUEST_LOGGER).warning("rejected request on %s: %s", path, why)
