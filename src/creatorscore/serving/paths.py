"""The service's paths: the versioned API under `/v1`, and the unversioned aliases it began with.

An integrator codes against `/v1/...`; a breaking change would add `/v2` beside it. The first
clients called `/score`, `/explain` and `/score_features`, so those stay as aliases, marked
deprecated in the OpenAPI document and answered with `Deprecation` and a `Link` to their
successor. Probes (`/readyz`, `/healthz`, `/livez`, `/metrics`) are the operator's, not the
API's, and are not versioned.
"""

from __future__ import annotations

VERSION_PREFIX = "/v1"
ENDPOINTS = ("score", "explain", "score_features")  # the first endpoints: those with an alias
ALIASES = {f"/{name}": f"{VERSION_PREFIX}/{name}" for name in ENDPOINTS}  # alias -> versioned path


def route(name: str) -> str:
    return f"{VERSION_PREFIX}/{name}"


class AliasMiddleware:
    """ASGI middleware: serves an alias as its versioned path, with the deprecation headers."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        versioned = ALIASES.get(scope["path"].rstrip("/")) if scope["type"] == "http" else None
        if versioned is None:
            return await self.app(scope, receive, send)
        deprecation = [
            (b"deprecation", b"true"),
            (b"link", f'<{versioned}>; rel="successor-version"'.encode()),
        ]

        async def deprecated(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *deprecation]}
            await send(message)

        scope = {**scope, "path": versioned, "raw_path": versioned.encode()}
        return await self.app(scope, receive, deprecated)
