"""The one shape of every error the service answers: RFC 9457 problem details.

A client handles one body for every refusal, whichever layer refused: the access check (401,
403), the body limits (413, 415), request validation (400), a service without decisions to
serve (409) or a worker holding no store yet (503). Each answer is `application/problem+json`
with `type` (a URI per kind of problem, listed in docs/serving.md), `title` (the same for
every problem of that type), `status`, `detail` (this occurrence, in words) and, for a body
that breaks the request schema, `errors`: one entry per field at fault with its path.
BentoML's own error bodies are rewritten into this shape by `ProblemMiddleware`, so no internal
class name reaches a client.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from fastapi.encoders import jsonable_encoder
from starlette.responses import JSONResponse

from creatorscore.serving.log_policy import log_rejection

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER = 5  # seconds a client is told to wait on a 503: a start-up or a store being scored

# status -> (type slug, title); the slug ends the type URI
KINDS: dict[int, tuple[str, str]] = {
    400: ("invalid-request", "The request body is not valid JSON, or the request breaks its schema"),
    401: ("unauthenticated", "Missing or unknown API key"),
    403: ("forbidden", "The API key's role may not call this endpoint"),
    404: ("not-found", "No such endpoint"),
    405: ("method-not-allowed", "The endpoint does not take this method"),
    409: ("no-decisions", "The service was started without the contract's data: it makes no decisions"),
    413: ("body-too-large", "The request body is over the size cap"),
    415: ("unsupported-media-type", "The request body is not application/json"),
    422: ("invalid-request", "The request body is not valid JSON, or the request breaks its schema"),
    503: ("not-ready", "The service holds no online store generation to score from yet"),
}
TYPE_PREFIX = "urn:creatorscore:problem:"


def problem(status: int, detail: str, errors: Sequence[dict] | None = None) -> dict:
    """The problem-details body of one refusal."""
    slug, title = KINDS.get(status, ("http-error", "The request was refused"))
    body = {"type": TYPE_PREFIX + slug, "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = list(errors)
    return body


def field_errors(pydantic_errors: Iterable[dict]) -> list[dict]:
    """pydantic's problems as `{field, message, code}`: the path to the field, never the value."""
    return [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())) or "body",
            "message": str(error.get("msg", "")),
            "code": str(error.get("type", "")),
        }
        for error in pydantic_errors
    ]


async def invalid_parameters(request, error) -> JSONResponse:
    """FastAPI's refusal of a query parameter, as BentoML refuses a body: 400 with pydantic's
    problems (FastAPI would say 422), which `ProblemMiddleware` turns into a problem naming each,
    and one warning line naming the parameters, never their values."""
    problems = jsonable_encoder(error.errors())
    fields = ", ".join(dict.fromkeys(e["field"] for e in field_errors(problems)))
    log_rejection(request.url.path, f"invalid {fields}")
    return JSONResponse({"detail": problems}, status_code=400)


def headers_for(status: int, length: int, extra: Iterable[tuple[bytes, bytes]] = ()) -> list:
    headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(length).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    if status == 503:
        headers.append((b"retry-after", str(RETRY_AFTER).encode()))
    return [*headers, *extra]


async def send_problem(send, status: int, detail: str, errors: Sequence[dict] | None = None) -> None:
    """Answer an ASGI request with one problem."""
    payload = json.dumps(problem(status, detail, errors)).encode()
    await send(
        {"type": "http.response.start", "status": status, "headers": headers_for(status, len(payload))}
    )
    await send({"type": "http.response.body", "body": payload})


class ProblemMiddleware:
    """ASGI middleware: BentoML's and Starlette's own 4xx answers, rewritten as problems.

    BentoML answers a body that breaks the request schema with `{"error": "1 validation error
    for ScoreRequestIODescriptor", "detail": [pydantic's problems]}`; the problems become
    `errors`, and the class name is dropped. Only error answers are buffered: a 200 streams on.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start: dict = {}
        chunks: list[bytes] = []

        async def rewriting(message):
            if message["type"] == "http.response.start":
                if 400 <= message["status"] < 500:
                    start.update(message)
                    return None
                return await send(message)
            if not start or message["type"] != "http.response.body":
                return await send(message)
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return None
            status = start["status"]
            payload = json.dumps(_problem_of(status, b"".join(chunks))).encode()
            kept = [(k, v) for k, v in start.get("headers", []) if k.lower() not in _REPLACED]
            await send({**start, "headers": headers_for(status, len(payload), kept)})
            return await send({"type": "http.response.body", "body": payload})

        return await self.app(scope, receive, rewriting)


_REPLACED = {b"content-type", b"content-length", b"www-authenticate", b"retry-after"}


def _problem_of(status: int, body: bytes) -> dict:
    """A problem from an error body BentoML or Starlette wrote (JSON, or plain text)."""
    try:
        answer = json.loads(body)
    except ValueError:
        return problem(status, body.decode("utf-8", "replace").strip() or KINDS.get(status, ("", ""))[1])
    if isinstance(answer, list) and answer and isinstance(answer[0], dict):  # BentoML's `({"error": ..},)`
        answer = answer[0]
    if not isinstance(answer, dict):
        return problem(status, str(answer))
    detail = answer.get("detail")
    if isinstance(detail, list):  # pydantic's problems, each naming its field
        errors = field_errors(d for d in detail if isinstance(d, dict))
        fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
        return problem(status, f"invalid {fields}" if fields else "invalid request body", errors)
    return problem(status, str(answer.get("error") or detail or KINDS.get(status, ("", ""))[1]))
