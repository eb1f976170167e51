"""Every refusal over HTTP is one RFC 9457 problem: `application/problem+json` with type, title,
status and detail (and `errors` naming each field of a body that breaks the schema), whichever
layer refused it, and no internal name of BentoML's in any of them."""

from __future__ import annotations

import pytest

from creatorscore.serving.problems import PROBLEM_JSON, TYPE_PREFIX
from tests.serving.conftest import KEYS

pytestmark = pytest.mark.xdist_group("serving")
JSON = {"content-type": "application/json"}


def refusals(service) -> dict[str, object]:
    """One refused request of each kind, by what it shows."""
    with service.client(None) as anyone, service.client("recommendation") as recommendation:
        return {
            "invalid-request": anyone.post(
                "/v1/score",
                content=b'{"creator_ids": [1], "limit": 3}',
                headers={**JSON, "Authorization": f"Bearer {KEYS['governance']}"},
            ),
            "unauthenticated": anyone.post("/v1/score", json={"creator_ids": ["x"]}),
            "forbidden": recommendation.post("/v1/explain", json={"creator_ids": ["x"]}),
            "body-too-large": recommendation.post("/v1/score", content=b" " * 1_100_000, headers=JSON),
            "unsupported-media-type": recommendation.post(
                "/v1/score", content=b"x", headers={"content-type": "text/plain"}
            ),
            "not-found": anyone.get("/v1/no-such-endpoint"),
        }


@pytest.fixture(scope="module")
def refused(service):
    return refusals(service)


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("invalid-request", 400),
        ("unauthenticated", 401),
        ("forbidden", 403),
        ("body-too-large", 413),
        ("unsupported-media-type", 415),
        ("not-found", 404),
    ],
)
def test_each_refusal_is_a_problem_of_its_type(refused, kind, status):
    answer = refused[kind]
    body = answer.json()
    assert answer.status_code == status
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert body["type"] == f"{TYPE_PREFIX}{kind}" and body["status"] == status
    assert body["title"] and body["detail"]
    assert "IODescriptor" not in answer.text and "error" not in body


def test_a_body_breaking_the_schema_names_each_field_at_fault_by_its_path(refused):
    body = refused["invalid-request"].json()
    assert {(e["field"], e["code"]) for e in body["errors"]} == {
        ("creator_ids.0", "string_type"),
        ("limit", "extra_forbidden"),
    }
    assert body["detail"] == "invalid creator_ids.0, limit"


def test_a_refusal_for_a_missing_key_still_says_how_to_authenticate(refused):
    assert refused["unauthenticated"].headers["www-authenticate"] == "Bearer"
