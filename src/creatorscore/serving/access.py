"""API keys and roles: who may call which endpoint of the scoring service.

Keys come from `CREATORSCORE_API_KEYS` (`key=role,key=role`) or from the file named by
`CREATORSCORE_API_KEYS_FILE` (one `key=role` per line, `#` comments), where a key is best
written as `sha256:HEX` so the file holds no usable secret. Only SHA-256 digests are kept in
memory, and neither a key nor its digest is ever written to a log line or an error message:
configuration errors name the entry by its position.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from creatorscore.errors import UserError
from creatorscore.serving.paths import route
from creatorscore.serving.problems import RETRY_AFTER, send_problem

KEYS_VARIABLE = "CREATORSCORE_API_KEYS"
KEYS_FILE_VARIABLE = "CREATORSCORE_API_KEYS_FILE"
HASHED = "sha256:"
MIN_KEY_LENGTH = 16


class Role(StrEnum):
    RECOMMENDATION = "recommendation"  # ranks candidates: scores only
    GOVERNANCE = "governance"  # review queues and case pages: everything


# endpoints that need a key, and the roles allowed on each; everything else (health, metrics,
# the OpenAPI document) is open
# (the unversioned aliases reach this check as their /v1 paths: see `paths`)
PROTECTED: dict[str, frozenset[Role]] = {
    route("score"): frozenset({Role.RECOMMENDATION, Role.GOVERNANCE}),
    route("explain"): frozenset({Role.GOVERNANCE}),
    route("score_features"): frozenset({Role.GOVERNANCE}),
    route("policy"): frozenset({Role.GOVERNANCE}),
    route("queue"): frozenset({Role.GOVERNANCE}),
}
# endpoints answered from the policies' decisions, which need the contract's tables (`serve --data`)
DECIDING = frozenset({route("policy"), route("queue")})


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class ApiKeys:
    roles: dict[str, Role]  # SHA-256 hex digest of a key -> its role

    @classmethod
    def parse(cls, text: str, where: str) -> ApiKeys:
        """Entries separated by commas or new lines; `where` names the source in errors."""
        entries = [e.strip() for line in text.splitlines() for e in line.split("#")[0].split(",")]
        roles: dict[str, Role] = {}
        for number, entry in enumerate((e for e in entries if e), start=1):
            key, sep, role = entry.rpartition("=")
            key, role = key.strip(), role.strip()
            if not sep or not key:
                raise UserError(f"entry {number} of {where} is not key=role")
            if role not in Role.__members__.values():
                raise UserError(
                    f"entry {number} of {where} has unknown role {role!r}; roles: {', '.join(Role)}"
                )
            if key.startswith(HASHED):
                hexdigest = key.removeprefix(HASHED).lower()
                if len(hexdigest) != 64 or any(c not in "0123456789abcdef" for c in hexdigest):
                    raise UserError(f"entry {number} of {where}: a hashed key is sha256: and 64 hex digits")
            elif len(key) < MIN_KEY_LENGTH:
                raise UserError(
                    f"entry {number} of {where}: keys must be at least {MIN_KEY_LENGTH} characters"
                )
            else:
                hexdigest = digest(key)
            roles[hexdigest] = Role(role)
        if not roles:
            raise UserError(f"{where} holds no key=role entries")
        return cls(roles)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> ApiKeys:
        if environ.get(KEYS_FILE_VARIABLE):
            path = Path(environ[KEYS_FILE_VARIABLE])
            if not path.is_file():
                raise UserError(f"{KEYS_FILE_VARIABLE} names {path}, which is not a file")
            return cls.parse(path.read_text(), str(path))
        if environ.get(KEYS_VARIABLE):
            return cls.parse(environ[KEYS_VARIABLE], KEYS_VARIABLE)
        raise UserError(
            f"no API keys: set {KEYS_VARIABLE}=KEY=ROLE,... or {KEYS_FILE_VARIABLE}=FILE "
            f"(roles: {', '.join(Role)}; `creatorscore api-key` makes one)"
        )

    def role(self, authorization: str | None) -> Role | None:
        """The role of the key in an Authorization header; None without a known key."""
        key = _bearer(authorization)
        return self.roles.get(digest(key)) if key else None

    def refusal(self, path: str, authorization: str | None) -> tuple[int, str] | None:
        """(status, message) when the caller may not call `path`; None when it may."""
        allowed = PROTECTED.get(path.rstrip("/"))
        if allowed is None:
            return None
        if not _bearer(authorization):
            return 401, "missing API key: send Authorization: Bearer KEY"
        role = self.role(authorization)
        if role is None:
            return 401, "unknown API key"
        if role not in allowed:
            return 403, f"the {role} role may not call {path}"
        return None


def _bearer(authorization: str | None) -> str | None:
    scheme, _, key = (authorization or "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" and key.strip() else None


class Guarded(Protocol):
    """What the middleware needs of the running service."""

    keys: ApiKeys

    @property
    def serving(self) -> bool: ...

    @property
    def deciding(self) -> bool: ...

    def readiness(self, full: bool) -> tuple[int, dict]: ...


class AccessMiddleware:
    """ASGI middleware: refuses calls without a key of an allowed role, before the body is read.

    Also answers GET /readyz with what the service is serving, since BentoML's own probe can
    only say yes or no, in full to the governance role only; and 503 with Retry-After, not a
    500, while the service starts or holds no store generation to score from; and 409 on the
    decision endpoints of a service started without the contract's data, which no retry mends.
    `service` returns the running service, or None while it starts.
    """

    def __init__(self, app, service: Callable[[], Guarded | None]):
        self.app = app
        self.service = service

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        guarded = scope["path"].rstrip("/") in PROTECTED
        if not guarded and scope["path"] != "/readyz":
            return await self.app(scope, receive, send)
        service = self.service()
        if service is None and not guarded:
            return await json_response(send, 503, {"ready": False, "error": "the service is starting"})
        if service is None:
            return await send_problem(send, 503, "the service is starting")
        header = dict(scope["headers"]).get(b"authorization")
        authorization = header.decode("latin-1") if header else None
        if not guarded:
            status, body = service.readiness(full=service.keys.role(authorization) is Role.GOVERNANCE)
            return await json_response(send, status, body)
        refused = service.keys.refusal(scope["path"], authorization)
        if refused is not None:
            return await send_problem(send, *refused)
        if scope["path"].rstrip("/") in DECIDING and not service.deciding:
            detail = (
                "the service was started without --data, so it holds no decisions: restart it with --data DIR"
            )
            return await send_problem(send, 409, detail)
        if not service.serving:
            return await send_problem(send, 503, "no online store generation to score yet: see /readyz")
        return await self.app(scope, receive, send)


async def json_response(send, status: int, body: dict) -> None:
    """A /readyz answer: a readiness body, with Retry-After on a 503."""
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if status == 503:
        headers.append((b"retry-after", str(RETRY_AFTER).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
