"""The OpenAPI document as the service really behaves: BentoML's, completed where it falls short.

BentoML's document carries BentoML's own `info` (its description and contact, version "None"),
documents request bodies as optional, a 400 body whose `detail` is a string, no API keys, and a
/readyz without a body. Consumers generate clients from this document and schemathesis holds
the service to it, so `complete` states what is true: the project's title, description and
package version; the versioned paths, with the unversioned aliases marked deprecated; bodies
required; keys as Bearer tokens; and every refusal (400, 401, 403, 409, 413, 415, 503) as the
one problem-details shape, FastAPI's too (GET /v1/queue is a FastAPI route: BentoML's own
endpoints take POST only). It is applied to the document BentoML serves at /docs.json.
"""

from __future__ import annotations

import copy
import json
from importlib.metadata import PackageNotFoundError, version

from creatorscore.serving.access import DECIDING, PROTECTED
from creatorscore.serving.limits import MAX_BODY_VARIABLE
from creatorscore.serving.paths import ALIASES
from creatorscore.serving.problems import KINDS, PROBLEM_JSON, TYPE_PREFIX

DOCUMENT_PATH = "/docs.json"
DESCRIPTION = (
    "Scores of live-shopping creators: the calibrated probability of a confirmed abuse case "
    "(`abuse_risk`) and the expected human review score (`content_quality`), each with its "
    "percentile within the creator's market and the risk tier, from the champion models and the "
    "online feature store. `/v1/score` is for recommendation systems; `/v1/explain`, "
    "`/v1/score_features`, `/v1/policy` (each creator's decision under their market's policy: action, "
    "health rating, reasons and statement) and `/v1/queue` (a market's review queue) are for "
    "governance tools. Authenticate with `Authorization: Bearer KEY`. "
    "Every refusal is an RFC 9457 problem (`application/problem+json`). Score responses carry "
    "an `ETag` (store generation and model versions) and `Last-Modified` (the store's as-of time)."
)
_PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details: the body of every refusal.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {
            "type": "string",
            "enum": sorted({TYPE_PREFIX + slug for slug, _ in KINDS.values()}),
            "description": "The kind of problem; docs/serving.md lists each.",
        },
        "title": {"type": "string", "description": "The same for every problem of this type."},
        "status": {"type": "integer", "description": "The HTTP status code."},
        "detail": {"type": "string", "description": "This occurrence, naming the field or limit."},
        "errors": {
            "type": "array",
            "description": "For a request that breaks its schema: one entry per field or parameter at fault.",
            "items": {
                "type": "object",
                "required": ["field", "message", "code"],
                "properties": {
                    "field": {"type": "string", "description": "Path to the field, e.g. rows.0.market."},
                    "message": {"type": "string"},
                    "code": {"type": "string", "description": "pydantic's error type, e.g. missing."},
                },
            },
        },
    },
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


def package_version() -> str:
    try:
        return version("creatorscore")
    except PackageNotFoundError:  # run from a folder that was never installed
        return "0+unknown"


def complete(document: dict) -> dict:
    done = _named_for_clients(document)
    done["info"] = {"title": "creatorscore", "description": DESCRIPTION, "version": package_version()}
    components = done.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearer"] = {"type": "http", "scheme": "bearer"}
    schemas = components.setdefault("schemas", {})
    for internal in (
        "InvalidArgument", "BadRequest", "NotFound", "InternalServerError",
        "HTTPValidationError", "ValidationError",
    ):  # fmt: skip
        schemas.pop(internal, None)  # BentoML's and FastAPI's error bodies, which the service never sends
    schemas["Problem"] = _PROBLEM

    for path, roles in PROTECTED.items():
        for method, operation in done["paths"].get(path, {}).items():
            _guarded(operation, method, roles, deciding=path in DECIDING)
    for alias, versioned in ALIASES.items():
        if versioned in done["paths"]:
            operation = copy.deepcopy(done["paths"][versioned]["post"])
            operation["deprecated"] = True
            operation["operationId"] = f"{operation.get('operationId', alias.strip('/'))}_unversioned"
            operation["description"] = (
                f"Deprecated alias of {versioned}, answered identically. {operation['description']}"
            )
            done["paths"][alias] = {"post": operation}
    if "/readyz" in done["paths"]:
        body = {"content": {"application/json": {"schema": _READINESS}}}
        done["paths"]["/readyz"]["get"]["responses"] = {
            "200": {"description": "Serving; says from which models and store.", **body},
            "503": {"description": "Starting, or no store generation held yet; see Retry-After.", **body},
        }
    return done


def _refusal(description: str) -> dict:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _guarded(operation: dict, method: str, roles: frozenset, deciding: bool) -> None:
    """A protected operation completed in place: its body required, the Bearer key, and each
    refusal it can meet as a problem, in place of BentoML's and FastAPI's error bodies."""
    operation["security"] = [{"bearer": []}]
    operation["description"] = f"{operation.get('description', '')} Roles: {', '.join(sorted(roles))}."
    responses = {code: answer for code, answer in operation["responses"].items() if code.startswith("2")}
    if method == "post":
        operation["requestBody"]["required"] = True
        responses["400"] = _refusal(
            "The body is not valid JSON or breaks the request schema: `errors` names each field."
        )
    else:  # FastAPI's 422 for a bad query parameter is answered 400 (`problems.invalid_parameters`)
        responses["400"] = _refusal("A query parameter is missing or invalid: `errors` names each.")
    responses["401"] = _refusal("Missing or unknown API key.")
    responses["403"] = _refusal("The key's role may not call this endpoint.")
    if deciding:
        responses["409"] = _refusal("The service was started without `--data`: it makes no decisions.")
    if method == "post":
        responses["413"] = _refusal(f"The body is over the size cap ({MAX_BODY_VARIABLE}, 1 MB by default).")
        responses["415"] = _refusal("The body is not application/json.")
    responses["503"] = _refusal(
        "No store generation held yet (see /readyz); retry after the Retry-After seconds."
    )
    operation["responses"] = responses


_INTERNAL_SUFFIX = "IODescriptor"  # BentoML's name for the model of a request or response


def _named_for_clients(document: dict) -> dict:
    """A copy with BentoML's schema names (`ScoreRequestIODescriptor`) cut to the model's own
    (`ScoreRequest`): clients generated from the document name their types after these."""
    text = json.dumps(document)
    for name in document.get("components", {}).get("schemas", {}):
        if name.endswith(_INTERNAL_SUFFIX):
            text = text.replace(f'"{name}"', f'"{name.removesuffix(_INTERNAL_SUFFIX)}"')
            text = text.replace(f"/schemas/{name}", f"/schemas/{name.removesuffix(_INTERNAL_SUFFIX)}")
    done = json.loads(text)
    done.get("components", {}).get("schemas", {}).pop("TaskStatusResponse", None)  # tasks: none here
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
