"""What the service takes in: JSON bodies up to a size cap, refused before anything reads them.

BentoML reads a whole request body into memory and only then validates it: a 240 MB body took
35 s to refuse and left the worker 600 MB larger, and a multipart body reached a serde that
answers 500. The cap comes from `CREATORSCORE_MAX_BODY_BYTES` (1 MB by default, far above the
largest valid request) and is checked twice: against the announced `Content-Length`, refused
without reading a byte, and against the bytes really received, so a chunked body is stopped as
soon as it passes the cap instead of being buffered whole.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from creatorscore.errors import UserError
from creatorscore.serving import log_policy
from creatorscore.serving.problems import send_problem

MAX_BODY_VARIABLE = "CREATORSCORE_MAX_BODY_BYTES"
DEFAULT_MAX_BODY_BYTES = 1_048_576
JSON = "application/json"


def max_body_bytes(environ: Mapping[str, str] = os.environ) -> int:
    """The body cap from the environment; a malformed value stops the start, in one line."""
    text = environ.get(MAX_BODY_VARIABLE, "").strip()
    if not text:
        return DEFAULT_MAX_BODY_BYTES
    if not re.fullmatch(r"[0-9]+", text) or int(text) == 0:
        raise UserError(
            f"{MAX_BODY_VARIABLE}={text!r} is not a positive whole number of bytes; "
            f"set e.g. {DEFAULT_MAX_BODY_BYTES} or unset it for the default of 1 MB"
        )
    return int(text)


def refusal(method: str, headers: Mapping[bytes, bytes], max_bytes: int) -> tuple[int, str] | None:
    """(status, message) for a request its headers already rule out; None when it may go on.

    A request without a Content-Type is taken as JSON, as BentoML takes it.
    """
    content_type = headers.get(b"content-type", b"").decode("latin-1")
    media_type = content_type.partition(";")[0].strip().lower()
    if method == "POST" and media_type not in ("", JSON):
        return 415, f"Content-Type {media_type} is not accepted: send the body as {JSON}"
    length = headers.get(b"content-length", b"")
    if length.isdigit() and int(length) > max_bytes:  # the server refuses a malformed length itself
        return 413, too_large(max_bytes)
    return None


def too_large(max_bytes: int) -> str:
    return f"the request body is over the limit of {max_bytes:,} bytes ({MAX_BODY_VARIABLE})"


class BodyLimitMiddleware:
    """ASGI middleware: refuses what `refusal` rules out, then counts the body while receiving it.

    The body (at most `max_bytes` of it) is read here and handed on whole, so the application
    never sees a body over the cap and never has to be interrupted halfway through one.
    Refusals close the connection: the rest of a body over the cap is never read.
    """

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        refused = refusal(scope["method"], dict(scope["headers"]), self.max_bytes)
        if refused is not None:
            return await _refuse(scope, send, *refused)
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None  # the client went away before its body was complete: nobody to answer
            chunks.append(message.get("body", b""))
            received += len(chunks[-1])
            if received > self.max_bytes:
                return await _refuse(scope, send, 413, too_large(self.max_bytes))
            if not message.get("more_body", False):
                break
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        del chunks  # not held twice while the endpoint runs

        async def replay():
            nonlocal body
            if body is None:
                return await receive()  # after the body: the server's own disconnect message
            message, body = body, None
            return message

        return await self.app(scope, replay, send)


async def _refuse(scope, send, status: int, message: str) -> None:
    """A problem answer, with the connection closed after it."""
    log_policy.log_rejection(scope["path"], message)

    async def closing(reply):
        if reply["type"] == "http.response.start":
            reply = {**reply, "headers": [*reply["headers"], (b"connection", b"close")]}
        await send(reply)

    await send_problem(closing, status, message)
