"""Decisions over HTTP: /v1/policy and /v1/queue answer what `apply_policies` decides on the store
generation the service scores (the same function `creatorscore policy apply` runs), for the
governance role only; a service started without the contract's data refuses both with 409."""

from __future__ import annotations

import json
import shutil
import time

import pandas as pd
import pytest

from creatorscore.contract.schema import MARKETS
from creatorscore.policy import load_market_policies
from creatorscore.serving.problems import PROBLEM_JSON, TYPE_PREFIX
from tests.servers import free_port, running
from tests.serving.conftest import ONBOARDED, Service, serve_command, service_env

pytestmark = pytest.mark.xdist_group("serving")


@pytest.fixture(scope="module")
def applied(champion_store, online_store, contract_dir, definitions):
    """The policies applied in-process to the service's store, scores and contract tables."""
    from creatorscore.contract.read import load_marketplace
    from creatorscore.features.store import open_store
    from creatorscore.policy.apply import apply_policies
    from creatorscore.policy.legal import tiers_of
    from creatorscore.scoring.batch import score_creators
    from creatorscore.training.registry import load_champion

    policies = load_market_policies()
    features = open_store(online_store).read_all()
    models = [load_champion(name, champion_store) for name in ("abuse_risk", "content_quality")]
    scored = score_creators(features, *models, tiers_of(policies))
    tables = load_marketplace(contract_dir).tables
    return apply_policies(features, scored, tables, models[0], definitions, policies)


def test_each_decision_is_the_one_policy_apply_makes_and_undecided_ids_fail_alone(service, applied):
    """Undecided: unknown, or onboarded since the materialisation (a cold start has no decision)."""
    decisions = applied.decisions.set_index("creator_id")
    decisions = decisions.astype(object).where(decisions.notna(), None)  # missing: null, as answered
    acted = decisions.index[decisions["action"] != "none"][:5].tolist()
    onboarded = next(iter(ONBOARDED))
    ids = [*acted, "no-such-creator", *decisions.index[:20], onboarded]
    with service.client() as client:
        answer = client.post("/v1/policy", json={"creator_ids": ids})
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert [item["creator_id"] for item in items] == ids
    assert items[len(acted)] == {"creator_id": "no-such-creator", "error": "unknown creator"}
    assert items[-1] == {"creator_id": onboarded, "error": "unknown creator"}
    assert acted, "the test market has actions to state, or the statements go untested"
    for item in items[: len(acted)] + items[len(acted) + 1 : -1]:
        expected = decisions.loc[item["creator_id"]]
        for field in ("market", "health", "band", "action", "penalty", "automated_decision", "basis"):
            assert item[field] == expected[field], field
        for field in ("grounds", "rewards", "reason_codes"):
            assert item[field] == list(expected[field]), field
        assert item["queued"] == expected["queued"]
        assert item["queue_rank"] == expected["queue_rank"]
        statement = item["statement"]
        assert statement == (None if expected["statement"] is None else json.loads(expected["statement"]))
        assert statement is None or statement["action"] == item["action"]


def test_each_market_queue_is_the_one_policy_apply_draws_in_rank_order(service, applied):
    capacity = {m: p.governance.queue.capacity_per_day for m, p in load_market_policies().items()}
    with service.client() as client:
        answers = {market: client.get("/v1/queue", params={"market": market}) for market in MARKETS}
    for market, answer in answers.items():
        assert answer.status_code == 200, answer.text
        body = answer.json()
        expected = applied.queue[applied.queue["market"] == market].sort_values("rank")
        assert body["market"] == market and body["model_versions"]
        assert [case["rank"] for case in body["items"]] == list(range(1, len(body["items"]) + 1))
        assert [case["creator_id"] for case in body["items"]] == expected["creator_id"].tolist()
        assert [case["exploration"] for case in body["items"]] == expected["exploration"].tolist()
        assert len(body["items"]) <= capacity[market]
    assert any(answer.json()["items"] for answer in answers.values())


def test_policy_and_queue_answers_carry_the_generation_as_scores_do(service):
    with service.client() as client:
        score = client.post("/v1/score", json={"creator_ids": ["cr000001"]})
        policy = client.post("/v1/policy", json={"creator_ids": ["cr000001"]})
        queue = client.get("/v1/queue", params={"market": MARKETS[0]})
    assert score.headers["etag"] == policy.headers["etag"] == queue.headers["etag"]
    assert score.headers["last-modified"] == queue.headers["last-modified"]


@pytest.mark.parametrize("query", [{"market": "XX"}, {"market": "id"}, {}])
def test_an_unknown_or_missing_market_is_a_400_problem_naming_the_markets(service, query):
    with service.client() as client:
        answer = client.get("/v1/queue", params=query)
    body = answer.json()
    assert answer.status_code == 400 and answer.headers["content-type"] == PROBLEM_JSON
    assert body["type"] == f"{TYPE_PREFIX}invalid-request" and body["detail"] == "invalid query.market"
    assert [error["field"] for error in body["errors"]] == ["query.market"]
    if query:
        assert all(f"'{market}'" in body["errors"][0]["message"] for market in MARKETS)
    log = service.log.read_text()
    assert "rejected request on /v1/queue: invalid query.market" in log and "Traceback" not in log


@pytest.fixture(scope="module")
def service_without_data(service, tmp_path_factory, keys_file) -> Service:
    """The same store and models, started without `--data`: no record to decide from."""
    folder = tmp_path_factory.mktemp("without-data")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = service_env(keys_file, service.bentoml_home)
    command = serve_command(service.store, service.tracking_uri, port)
    with running(command, f"{url}/readyz", folder / "service.log", env=env, timeout=180):
        yield Service(url, folder / "service.log", service.store, service.tracking_uri, service.bentoml_home)


def test_without_data_decisions_are_refused_with_409_and_scores_still_served(service_without_data):
    with service_without_data.client() as client:
        refused = [
            client.post("/v1/policy", json={"creator_ids": ["cr000001"]}),
            client.get("/v1/queue", params={"market": MARKETS[0]}),
        ]
        scored = client.post("/v1/score", json={"creator_ids": ["cr000001"]})
    for answer in refused:
        assert answer.status_code == 409 and answer.headers["content-type"] == PROBLEM_JSON
        assert answer.json()["type"] == f"{TYPE_PREFIX}no-decisions"
        assert "--data" in answer.json()["detail"]
    assert scored.status_code == 200
    assert "Traceback" not in service_without_data.log.read_text()


@pytest.fixture(scope="module")
def own_store_service(service, tmp_path_factory, keys_file, contract_dir) -> Service:
    """A service with `--data` on a copy of the store, for a test to materialise into."""
    folder = tmp_path_factory.mktemp("own-store")
    shutil.copy(service.store.removeprefix("sqlite:///"), folder / "store.sqlite")
    store, port = f"sqlite:///{folder / 'store.sqlite'}", free_port()
    url = f"http://127.0.0.1:{port}"
    env = service_env(keys_file, service.bentoml_home)
    command = [*serve_command(store, service.tracking_uri, port), "--data", str(contract_dir)]
    with running(command, f"{url}/readyz", folder / "service.log", env=env, timeout=180):
        yield Service(url, folder / "service.log", store, service.tracking_uri, service.bentoml_home)


def test_a_new_store_generation_is_decided_anew_without_a_restart(own_store_service):
    from creatorscore.features.store import open_store

    store = open_store(own_store_service.store)
    meta = store.metadata()
    earlier = meta.as_of - pd.Timedelta(days=7)
    ask = {"creator_ids": ["cr000001"]}
    with own_store_service.client() as client:
        before = client.post("/v1/policy", json=ask).json()["items"][0]
        store.write(store.read_all().assign(as_of=earlier), meta.features, meta.definitions_version)
        deadline = time.monotonic() + 60
        while (after := client.post("/v1/policy", json=ask)).json()["items"][0]["as_of"] == before["as_of"]:
            assert time.monotonic() < deadline, "the new generation was never decided"
            time.sleep(0.2)
        score = client.post("/v1/score", json=ask)
    assert pd.Timestamp(before["as_of"]) == meta.as_of
    assert pd.Timestamp(after.json()["items"][0]["as_of"]) == earlier
    assert after.headers["etag"] == score.headers["etag"]
