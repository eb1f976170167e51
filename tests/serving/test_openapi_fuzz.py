"""Schemathesis against the running service's own OpenAPI document: every endpoint, valid and
invalid bodies alike, must answer without a server error and as the document describes.

Operations are listed here rather than collected by schemathesis' pytest loader, which does
not run on pytest 9; a test fails if the document gains an operation this list lacks.
"""

from __future__ import annotations

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

from tests.serving.conftest import KEYS

pytestmark = pytest.mark.xdist_group("serving")

OPERATIONS = [
    ("POST", "/score"),
    ("POST", "/explain"),
    ("POST", "/score_features"),
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


def test_every_documented_operation_is_fuzzed(service_schema):
    documented = {(op.ok().method.upper(), op.ok().path) for op in service_schema.get_all_operations()}
    assert documented == set(OPERATIONS)


def test_every_body_taking_operation_documents_its_size_and_type_refusals(service):
    with service.client(None) as client:
        paths = client.get("/docs.json").json()["paths"]
    for path in ("/score", "/explain", "/score_features"):
        responses = paths[path]["post"]["responses"]
        assert {"413", "415"} <= set(responses), path
        assert responses["413"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }


# a GET without parameters has no invalid form: only bodies are fuzzed both ways
CASES = [
    (method, path, mode)
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if method == "POST" or mode is GenerationMode.POSITIVE
]


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_the_service_never_fails_and_answers_as_documented(service_schema, method, path, mode):
    operation = service_schema[path][method]

    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(case=operation.as_strategy(mode))
    def answers_as_documented(case):
        case.call_and_validate(headers={"Authorization": f"Bearer {KEYS['governance']}"}, checks=CHECKS[mode])

    answers_as_documented()
