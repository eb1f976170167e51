"""The scoring service over HTTP: access by role, per-item unknown ids, parity with batch
scoring, explanations, what-if rows, refusals of malformed requests, and clean logs."""

from __future__ import annotations

import json
import math

import pytest

from tests.serving.conftest import KEYS

pytestmark = pytest.mark.xdist_group("serving")

BODIES = {
    "/score": {"creator_ids": ["x"]},
    "/explain": {"creator_ids": ["x"]},
    "/v1/policy": {"creator_ids": ["x"]},
}
QUEUE = "/v1/queue?market=ID"  # the one GET endpoint of the matrix


@pytest.fixture(scope="module")
def batch(champion_store, online_store, tiers):
    """Batch scoring of the online store's features, as `creatorscore score` computes them."""
    from creatorscore.features.store import open_store
    from creatorscore.scoring.batch import score_creators
    from creatorscore.training.registry import load_champion

    features = open_store(online_store).read_all()
    models = [load_champion(name, champion_store) for name in ("abuse_risk", "content_quality")]
    return score_creators(features, *models, tiers).set_index("creator_id"), features


@pytest.fixture(scope="module")
def what_if_body(batch, definitions):
    """/score_features rows holding two stored creators' own feature vectors."""
    _, features = batch
    rows = []
    for _, creator in features.head(2).iterrows():
        values = {
            f.name: (None if math.isnan(creator[f.name]) else float(creator[f.name]))
            for f in definitions.features
        }
        rows.append({"market": creator["market"], "category": creator["category"], "features": values})
    return {"rows": rows, "explain": True}


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        (None, "/score", 401),
        ("recommendation", "/score", 200),
        ("recommendation", "/explain", 403),
        ("recommendation", "/score_features", 403),
        ("governance", "/score", 200),
        ("governance", "/explain", 200),
        ("governance", "/score_features", 200),
        (None, "/v1/policy", 401),
        ("recommendation", "/v1/policy", 403),
        ("governance", "/v1/policy", 200),
        (None, QUEUE, 401),
        ("recommendation", QUEUE, 403),
        ("governance", QUEUE, 200),
    ],
)
def test_each_role_reaches_only_its_endpoints(service, what_if_body, role, path, status):
    with service.client(role) as client:
        if path == QUEUE:
            response = client.get(path)
        else:
            response = client.post(path, json=BODIES.get(path, what_if_body))
    assert response.status_code == status, response.text


def test_an_unknown_key_or_scheme_is_refused_with_401(service):
    with service.client(None) as client:
        wrong = client.post(
            "/score", json=BODIES["/score"], headers={"Authorization": "Bearer not-a-key-at-all"}
        )
        basic = client.post(
            "/score", json=BODIES["/score"], headers={"Authorization": f"Basic {KEYS['governance']}"}
        )
    assert (wrong.status_code, basic.status_code) == (401, 401)
    assert wrong.headers["www-authenticate"] == "Bearer"


def test_scores_equal_batch_scoring_and_unknown_ids_fail_alone(service, batch):
    scored, _ = batch
    ids = [*scored.index[:150], "no-such-creator", scored.index[0]]
    with service.client("recommendation") as client:
        body = client.post("/score", json={"creator_ids": ids}).json()
    assert body["model_versions"] == {
        "abuse_risk": scored["abuse_risk_version"].iloc[0],
        "content_quality": scored["content_quality_version"].iloc[0],
    }
    items = body["items"]
    assert [item["creator_id"] for item in items] == ids
    assert items[150] == {"creator_id": "no-such-creator", "error": "unknown creator"}
    for item in items[:150] + items[151:]:
        expected = scored.loc[item["creator_id"]]
        for field in ("abuse_risk", "abuse_risk_market_pct", "content_quality", "content_quality_market_pct"):
            assert item[field] == pytest.approx(expected[field], rel=1e-12, abs=1e-12), field
        assert item["market"] == expected["market"]
        assert item["as_of"].startswith(str(expected["as_of"].date()))
        assert item["risk_tier"] in {"low", "monitor", "review", "restrict"}


def test_explain_gives_both_models_reasons_for_the_served_versions(service, batch):
    scored, _ = batch
    riskiest = scored["abuse_risk"].idxmax()
    with service.client() as client:
        body = client.post("/explain", json={"creator_ids": [riskiest, "ghost"], "k": 3}).json()
    explained, ghost = body["items"]
    assert ghost == {"creator_id": "ghost", "error": "unknown creator"}
    assert [e["model_name"] for e in explained["explanations"]] == ["abuse_risk", "content_quality"]
    abuse = explained["explanations"][0]
    assert abuse["model_version"] == body["model_versions"]["abuse_risk"]
    assert abuse["score"] == pytest.approx(explained["abuse_risk"], rel=1e-12)
    assert 1 <= len(abuse["reasons"]) <= 3 and abuse["reasons"][0]["text"]


def test_what_if_rows_of_stored_vectors_score_as_the_stored_creators(service, batch, what_if_body):
    scored, features = batch
    with service.client() as client:
        body = client.post("/score_features", json=what_if_body).json()
    for item, creator in zip(body["items"], features["creator_id"].head(2), strict=True):
        assert item["abuse_risk"] == pytest.approx(scored.loc[creator, "abuse_risk"], rel=1e-12)
        assert item["content_quality"] == pytest.approx(scored.loc[creator, "content_quality"], rel=1e-12)
        assert 0 < item["abuse_risk_market_pct"] <= 1
        assert item["explanations"][0]["reasons"] or item["explanations"][0]["mitigating"]


@pytest.mark.parametrize(
    ("path", "content", "field"),
    [
        ("/score", b'{"creator_ids": [', "json_invalid"),
        ("/score", b'{"creator_ids": []}', "creator_ids"),
        ("/score", b'{"creator_ids": "abc"}', "creator_ids"),
        ("/score", b'{"creator_ids": ["a"], "limit": 3}', "limit"),
        ("/score", json.dumps({"creator_ids": ["a"] * 1001}).encode(), "creator_ids"),
        ("/explain", b'{"creator_ids": ["a"], "k": NaN}', "k"),
        ("/explain", b"[]", "Input should be an object"),
        # strict: a mistyped value is refused, not coerced
        ("/explain", b'{"creator_ids": ["a"], "k": "4"}', "k"),
        ("/explain", b'{"creator_ids": ["a"], "k": true}', "k"),
        ("/explain", b'{"creator_ids": ["a"], "k": 4.0}', "k"),
        ("/score", b'{"creator_ids": "cr000001"}', "creator_ids"),
        ("/score", b'{"creator_ids": [1]}', "creator_ids"),
        ("/v1/policy", b'{"creator_ids": []}', "creator_ids"),
        ("/v1/policy", b'{"creator_ids": ["a"], "market": "ID"}', "market"),
        ("/v1/policy", json.dumps({"creator_ids": ["a"] * 1001}).encode(), "creator_ids"),
        ("/v1/policy", b'{"creator_ids": [', "json_invalid"),
    ],
)
def test_malformed_requests_get_400_naming_the_field(service, path, content, field):
    with service.client() as client:
        response = client.post(path, content=content, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert field in response.text


@pytest.mark.parametrize("explain", ["yes", 1, "true"])
def test_a_mistyped_explain_flag_is_refused_not_coerced(service, what_if_body, explain):
    with service.client() as client:
        response = client.post("/score_features", json={**what_if_body, "explain": explain})
    assert response.status_code == 400 and "explain" in response.text


def test_integers_are_numbers_for_feature_fields(service, what_if_body):
    """Strict is about types, and a JSON integer is a number: `0` where a rate is `0.0`."""
    row = what_if_body["rows"][0]
    whole = {name: None if value is None else round(value) for name, value in row["features"].items()}
    with service.client() as client:
        response = client.post("/score_features", json={"rows": [{**row, "features": whole}]})
    assert response.status_code == 200, response.text
    assert any(isinstance(value, int) for value in whole.values())


def test_a_feature_row_missing_a_column_or_not_finite_is_refused(service, what_if_body):
    row = what_if_body["rows"][0]
    missing = {**row, "features": {k: v for k, v in row["features"].items() if k != "refund_rate_28d"}}
    infinite = dict(row["features"], refund_rate_28d=1e999)
    with service.client() as client:
        gap = client.post("/score_features", json={"rows": [missing]})
        inf = client.post(
            "/score_features",
            content=json.dumps({"rows": [{**row, "features": infinite}]}).encode(),
            headers={"content-type": "application/json"},
        )
    assert gap.status_code == 400 and "refund_rate_28d" in gap.text
    assert inf.status_code == 400 and "finite" in inf.text


def test_readyz_says_what_is_served_and_healthz_answers(service):
    with service.client(None) as client:
        ready = client.get("/readyz").json()
        health = client.get("/healthz")
        metrics = client.get("/metrics")
    assert ready["ready"] and ready["model_source"] == "registry" and ready["registry_problem"] is None
    assert set(ready["models"]) == {"abuse_risk", "content_quality"}
    assert health.status_code == 200 and metrics.status_code == 200
    assert "bentoml_service_request" in metrics.text


def test_logs_hold_no_key_and_no_traceback_for_client_mistakes(service):
    with service.client() as client:
        client.post("/score", content=b'{"creator_ids": [', headers={"content-type": "application/json"})
        client.post("/score", json={"creator_ids": [KEYS["recommendation"]], "secret": KEYS["governance"]})
    log = service.log.read_text()
    assert "rejected request on /v1/score" in log
    for key in KEYS.values():
        assert key not in log
    assert "Traceback" not in log


def test_scoring_answers_carry_the_generation_and_models_as_etag_and_the_as_of_as_last_modified(
    service, what_if_body
):
    from creatorscore.features.store import open_store

    meta = open_store(service.store).metadata()
    with service.client() as client:
        answers = [
            client.post("/v1/score", json={"creator_ids": ["cr000001"]}),
            client.post("/v1/explain", json={"creator_ids": ["cr000001"], "k": 2}),
            client.post("/v1/score_features", json=what_if_body),
        ]
    versions = answers[0].json()["model_versions"]
    abuse, quality = versions["abuse_risk"], versions["content_quality"]
    expected = f'"{meta.generation}-abuse_risk.{abuse}-content_quality.{quality}"'
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert answer.headers["etag"] == expected
        assert answer.headers["last-modified"] == meta.as_of.strftime("%a, %d %b %Y %H:%M:%S GMT")


def test_what_if_rows_of_missing_values_score_without_pandas_warnings_in_the_log(service, what_if_body):
    row = what_if_body["rows"][0]
    empty = {**row, "features": dict.fromkeys(row["features"])}  # every feature null: no value known
    with service.client() as client:
        response = client.post("/v1/score_features", json={"rows": [empty, empty], "explain": True})
    assert response.status_code == 200, response.text
    assert "PerformanceWarning" not in service.log.read_text()
