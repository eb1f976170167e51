"""Schemathesis against the running service's own OpenAPI document: every endpoint of the
versioned API, valid and invalid bodies alike, must answer without a server error and as the
document describes; the document is the project's, its unversioned aliases deprecated, and
every refusal the one problem-details shape.

Operations are listed here rather than collected by schemathesis' pytest loader, which does
not run on pytest 9; a test fails if the document gains an operation this list lacks.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from creatorscore.serving.paths import ALIASES
from tests.serving.conftest import KEYS

pytestmark = pytest.mark.xdist_group("serving")

OPERATIONS = [
    ("POST", "/v1/score"),
    ("POST", "/v1/explain"),
    ("POST", "/v1/score_features"),
    ("POST", "/v1/policy"),
    ("GET", "/v1/queue"),
    ("GET", "/healthz"),
    ("GET", "/livez"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
]
COMMON = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CHECKS = {
    GenerationMode.POSITIVE: [*COMMON, positive_data_acceptance],
    GenerationMode.NEGATIVE: [*COMMON, negative_data_rejection],
}


@pytest.fixture(scope="module")
def service_schema(service):
    return schemathesis.openapi.from_url(f"{service.url}/docs.json")


@pytest.fixture(scope="module")
def document(service) -> dict:
    with service.client(None) as client:
        return client.get("/docs.json").json()


def test_every_documented_operation_is_fuzzed_but_the_deprecated_aliases(service_schema, document):
    documented = {(op.ok().method.upper(), op.ok().path) for op in service_schema.get_all_operations()}
    deprecated = {path for path, item in document["paths"].items() if item.get("post", {}).get("deprecated")}
    assert documented - {("POST", alias) for alias in deprecated} == set(OPERATIONS)
    assert deprecated == set(ALIASES)


def test_the_document_describes_the_project_not_bentoml(document):
    from importlib.metadata import version

    info = document["info"]
    assert info["title"] == "creatorscore" and info["version"] == version("creatorscore")
    assert "BentoML" not in info["description"] and "contact" not in info
    assert "IODescriptor" not in json.dumps(document["components"]["schemas"].get("Problem"))


def test_every_refusal_is_documented_as_a_problem(document):
    operations = [(path, "post") for path in [*ALIASES.values(), *ALIASES, "/v1/policy"]]
    for path, method in [*operations, ("/v1/queue", "get")]:
        responses = document["paths"][path][method]["responses"]
        bodies = {"413", "415"} if method == "post" else set()
        deciding = {"409"} if path in ("/v1/policy", "/v1/queue") else set()
        assert {"400", "401", "403", "503", *bodies, *deciding} == set(responses) - {"200"}, path
        for code, answer in responses.items():
            if not code.startswith("2"):
                assert answer["content"] == {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                }, (path, code)


def test_an_alias_answers_as_its_versioned_path_and_says_it_is_deprecated(service):
    with service.client("recommendation") as client:
        alias = client.post("/score", json={"creator_ids": ["cr000001"]})
        versioned = client.post("/v1/score", json={"creator_ids": ["cr000001"]})
    assert alias.json() == versioned.json() and alias.headers["etag"] == versioned.headers["etag"]
    assert alias.headers["deprecation"] == "true" and "deprecation" not in versioned.headers
    assert alias.headers["link"] == '</v1/score>; rel="successor-version"'


# a GET without parameters has no invalid form: only bodies and query parameters are fuzzed both ways
WITH_INPUT = {path for method, path in OPERATIONS if method == "POST"} | {"/v1/queue"}
CASES = [
    (method, path, mode)
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if path in WITH_INPUT or mode is GenerationMode.POSITIVE
]


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_the_service_never_fails_and_answers_as_documented(service_schema, method, path, mode):
    operation = service_schema[path][method]

    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(case=operation.as_strategy(mode))
    def answers_as_documented(case):
        case.call_and_validate(headers={"Authorization": f"Bearer {KEYS['governance']}"}, checks=CHECKS[mode])

    answers_as_documented()
