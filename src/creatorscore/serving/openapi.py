"""The OpenAPI document as the service really behaves: BentoML's, completed where it falls short.

BentoML documents request bodies as optional, a 400 body whose `detail` is a string (it is
pydantic's list of problems), no API keys, and a /readyz without a body. Consumers generate
clients from this document and schemathesis holds the service to it, so `complete` states
what is true: bodies are required, keys are Bearer tokens refused with 401 or 403, bodies over
the size cap get 413 and bodies that are not JSON 415, and what 400 and /readyz return. It is
applied to the document BentoML serves at /docs.json.
"""

from __future__ import annotations

import copy
import json

from creatorscore.serving.access import PROTECTED
from creatorscore.serving.limits import MAX_BODY_VARIABLE

DOCUMENT_PATH = "/docs.json"
_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string", "description": "What is wrong, naming the field."}},
}
_REJECTED = {
    "description": "Bad Request: the body is not valid JSON or breaks the request schema.",
    "anyOf": [
        {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {"type": "string"},
                "detail": {
                    "type": "array",
                    "description": "One entry per problem; `loc` is the path to the field.",
                    "items": {
                        "type": "object",
                        "properties": {"loc": {"type": "array"}, "msg": {"type": "string"}},
                    },
                },
            },
        },
        {"type": "array", "items": _ERROR},  # BentoML's other 4xx bodies
    ],
}
_READINESS = {
    "type": "object",
    "required": ["ready"],
    "properties": {
        "ready": {"type": "boolean"},
        "degraded": {
            "type": "boolean",
            "description": "Serving, but kept models or an older store generation: the problems say why.",
        },
        "model_source": {"type": "string", "enum": ["registry", "model store"]},
        "registry": {"type": "string"},
        "registry_problem": {
            "type": "string",
            "nullable": True,
            "description": "Why the registry was not used.",
        },
        "models": {"type": "object"},
        "store_problem": {
            "type": "string",
            "nullable": True,
            "description": "Why the latest store generation is not served.",
        },
        "store": {"type": "object"},
        "error": {"type": "string"},
    },
}


def complete(document: dict) -> dict:
    done = copy.deepcopy(document)
    components = done.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearer"] = {"type": "http", "scheme": "bearer"}
    components.setdefault("schemas", {})["InvalidArgument"] = _REJECTED
    components["schemas"]["Error"] = _ERROR
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for path, roles in PROTECTED.items():
        operation = done["paths"].get(path, {}).get("post")
        if operation is None:
            continue
        operation["requestBody"]["required"] = True
        operation["security"] = [{"bearer": []}]
        operation["description"] = f"{operation.get('description', '')} Roles: {', '.join(sorted(roles))}."
        operation["responses"]["401"] = {"description": "Missing or unknown API key.", **error}
        operation["responses"]["403"] = {"description": "The key's role may not call this endpoint.", **error}
        operation["responses"]["413"] = {
            "description": f"The body is over the size cap ({MAX_BODY_VARIABLE}, 1 MB by default).",
            **error,
        }
        operation["responses"]["415"] = {"description": "The body is not application/json.", **error}
        operation["responses"]["503"] = {
            "description": "No store generation held yet (see /readyz); retry after the Retry-After seconds.",
            **error,
        }
    if "/readyz" in done["paths"]:
        body = {"content": {"application/json": {"schema": _READINESS}}}
        done["paths"]["/readyz"]["get"]["responses"] = {
            "200": {"description": "Serving; says from which models and store.", **body},
            "503": {"description": "Starting, or no store generation held yet; see Retry-After.", **body},
        }
    return done


class OpenApiMiddleware:
    """ASGI middleware: passes /docs.json through `complete` on its way out."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != DOCUMENT_PATH:
            return await self.app(scope, receive, send)
        start: dict = {}
        chunks: list[bytes] = []

        async def buffer(message):
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, buffer)
        body = b"".join(chunks)
        if start.get("status") == 200:
            body = json.dumps(complete(json.loads(body))).encode()
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
