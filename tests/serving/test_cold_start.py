"""Creators onboarded after the last materialisation, over HTTP: in the creators table of
`serve --data` but not in the store, they get their peers' median scores flagged `cold_start`,
from the market and category, else the market; an id in neither stays an unknown creator."""

from __future__ import annotations

import subprocess
import time

import pandas as pd
import pytest

from creatorscore.serving.cold_start import MIN_PEERS, Priors
from tests.servers import free_port
from tests.serving.conftest import ONBOARDED, serve_command, service_env

pytestmark = pytest.mark.xdist_group("serving")


@pytest.fixture(scope="module")
def population(champion_store, online_store, tiers) -> pd.DataFrame:
    """The store's creators scored by batch scoring, with their categories."""
    from creatorscore.features.store import open_store
    from creatorscore.scoring.batch import score_creators
    from creatorscore.training.registry import load_champion

    features = open_store(online_store).read_all()
    models = [load_champion(name, champion_store) for name in ("abuse_risk", "content_quality")]
    return score_creators(features, *models, tiers).assign(category=features["category"])


def test_a_creator_onboarded_since_materialisation_gets_the_median_of_their_market_and_category(
    service, population
):
    with service.client("recommendation") as client:
        body = client.post("/v1/score", json={"creator_ids": ["cr900001", "cr000001", "ghost"]}).json()
    cold, stored, ghost = body["items"]
    peers = population[(population["market"] == "ID") & (population["category"] == "beauty")]
    assert cold["cold_start"] is True and "cold_start" not in stored  # batch scoring's fields only
    assert (cold["market"], cold["category"]) == ONBOARDED["cr900001"]
    assert cold["abuse_risk"] == pytest.approx(peers["abuse_risk"].median(), rel=1e-12)
    assert cold["content_quality"] == pytest.approx(peers["content_quality"].median(), rel=1e-12)
    assert cold["prior"] == f"median of {len(peers)} ID beauty creators"
    assert 0 < cold["abuse_risk_market_pct"] <= 1 and cold["risk_tier"] in {
        "low",
        "monitor",
        "review",
        "restrict",
    }
    assert ghost == {"creator_id": "ghost", "error": "unknown creator"}


def test_a_category_without_peers_in_the_store_takes_the_market_prior(service, population):
    with service.client() as client:
        (cold,) = client.post("/v1/explain", json={"creator_ids": ["cr900002"]}).json()["items"]
    market = population[population["market"] == "ID"]
    assert cold["cold_start"] is True and "explanations" not in cold
    assert cold["abuse_risk"] == pytest.approx(market["abuse_risk"].median(), rel=1e-12)
    assert cold["prior"] == f"median of {len(market)} ID creators"


def test_a_creator_added_to_the_creators_table_while_serving_is_scored_cold_without_a_restart(service):
    path = service.data / "creators.parquet"
    creators = pd.read_parquet(path)
    latest = creators.tail(1).assign(creator_id="cr900003", market="TH", category="fashion")
    ask = {"creator_ids": ["cr900003"]}
    with service.client("recommendation") as client:
        before = client.post("/v1/score", json=ask).json()["items"][0]
        pd.concat([creators, latest], ignore_index=True).to_parquet(path)
        deadline = time.monotonic() + 30
        while (after := client.post("/v1/score", json=ask).json()["items"][0]).get("cold_start") is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert before == {"creator_id": "cr900003", "error": "unknown creator"}
    assert after["cold_start"] is True and after["market"] == "TH"


def test_a_segment_of_too_few_creators_falls_back_to_the_market_then_to_everyone():
    rows = [("ID", "beauty")] * MIN_PEERS + [("ID", "food")] * (MIN_PEERS - 1) + [("TH", "home")]
    scored = pd.DataFrame(rows, columns=["market", "category"]).assign(
        abuse_risk=[0.1 * i for i in range(len(rows))], content_quality=3.0
    )
    priors = Priors.of(scored)
    assert priors.for_creator("ID", "beauty").basis == f"median of {MIN_PEERS} ID beauty creators"
    assert priors.for_creator("ID", "food").basis == f"median of {2 * MIN_PEERS - 1} ID creators"
    assert priors.for_creator("VN", "home").basis == f"median of {len(rows)} creators"
    assert priors.for_creator("ID", "beauty").abuse_risk == pytest.approx(0.2)


def test_serve_with_a_data_folder_without_a_creators_table_refuses_in_one_line(
    tmp_path, online_store, champion_store, keys_file
):
    command = [*serve_command(online_store, champion_store, free_port()), "--data", str(tmp_path)]
    done = subprocess.run(
        command, env=service_env(keys_file, tmp_path / "bentoml"), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    assert (
        done.stderr.strip()
        == f"error: no creators table in {tmp_path}: give `serve --data` the contract's folder"
    )
