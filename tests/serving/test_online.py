"""Online scoring in-process: lookups equal batch scoring, a new store generation is picked up
without stalling requests, and one the models cannot score, or a store that cannot be read, is
reported while the last generation is served."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from creatorscore.errors import UserError
from creatorscore.explain import MarketTiers, TierThresholds, risk_tiers
from creatorscore.features.store import open_store
from creatorscore.scoring.batch import score_creators
from creatorscore.serving.online import SCORE_FIELDS, OnlineScorer
from creatorscore.training.registry import load_champion
from tests.features.locking import held_exclusively


@pytest.fixture(scope="module")
def champions(champion_store):
    return load_champion("abuse_risk", champion_store), load_champion("content_quality", champion_store)


@pytest.fixture
def store_uri(tmp_path, online_store):
    """A private copy of the session's store, free to rewrite."""
    vectors = open_store(online_store).read_all()
    meta = open_store(online_store).metadata()
    uri = f"sqlite:///{tmp_path / 'store.sqlite'}"
    open_store(uri).write(vectors, meta.features, meta.definitions_version)
    return uri


@pytest.fixture
def scorer_of(champions, definitions, tiers):
    """Scorers of a store, their watchers stopped after the test."""
    made = []

    def make(uri: str, market_tiers: MarketTiers | None = None) -> OnlineScorer:
        made.append(OnlineScorer(open_store(uri), *champions, definitions, market_tiers or tiers))
        return made[-1]

    yield make
    for scorer in made:
        scorer.close()


def _generation_served(scorer: OnlineScorer, generation: str, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        scored = scorer.scored
        if scored is not None and scored.meta.generation == generation:
            return True
        time.sleep(0.05)
    return False


def test_lookups_equal_batch_scores_of_the_whole_store(store_uri, scorer_of, champions, definitions, tiers):
    scorer = scorer_of(store_uri)
    batch = score_creators(open_store(store_uri).read_all(), *champions, tiers).set_index("creator_id")
    ids = batch.index[::7].tolist()
    items = pd.DataFrame([item.model_dump() for item in scorer.score(ids)]).set_index("creator_id")
    columns = list(SCORE_FIELDS[1:])
    pd.testing.assert_frame_equal(
        items[columns], batch.loc[ids, columns], check_exact=True, check_dtype=False
    )


def test_what_if_rows_of_stored_vectors_get_the_batch_percentiles_and_tier_ties_included(
    store_uri, scorer_of, champions, definitions, tiers
):
    scorer = scorer_of(store_uri)
    vectors = open_store(store_uri).read_all()
    batch = score_creators(vectors, *champions, tiers)
    tied = batch[batch.duplicated(["market", "abuse_risk"], keep=False)].index[:10]
    rows = vectors.loc[[*tied, *batch.index[::97]]]
    assert len(tied) > 1  # ties within a market are where two percentile rules part
    items = pd.DataFrame(scorer.score_rows(rows[["market", "category", *definitions.names]]))
    columns = list(SCORE_FIELDS[1:])
    expected = batch.loc[rows.index, columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(items[columns], expected, check_exact=True, check_dtype=False)


def test_scores_explanations_and_what_if_rows_take_the_tier_of_their_markets_policy(
    store_uri, scorer_of, definitions, tiers
):
    everything_restricted = TierThresholds(monitor=0.0, review=0.0, restrict=0.0)
    cuts = MarketTiers({**tiers.by_market, "VN": everything_restricted})
    scorer = scorer_of(store_uri, cuts)
    vectors = open_store(store_uri).read_all()
    ids = [vectors.loc[vectors["market"] == market, "creator_id"].iloc[0] for market in ("VN", "TH")]
    shipped = tiers.thresholds("TH")
    vn, th = scorer.score(ids)
    assert vn.risk_tier == "restrict" and th.risk_tier == _tier_at(th.abuse_risk, shipped)
    explained = scorer.explain(ids)
    assert [item.explanations[0].tier for item in explained] == [vn.risk_tier, th.risk_tier]
    rows = vectors.set_index("creator_id").loc[ids, ["market", "category", *definitions.names]]
    assert [item["risk_tier"] for item in scorer.score_rows(rows)] == [vn.risk_tier, th.risk_tier]


def _tier_at(abuse_risk: float, thresholds: TierThresholds) -> str:
    return risk_tiers(np.array([abuse_risk]), thresholds)[0].value


def test_explaining_only_unknown_ids_answers_each_as_unknown(store_uri, scorer_of):
    scorer = scorer_of(store_uri)
    assert [item.model_dump() for item in scorer.explain(["nobody", "nobody either"])] == [
        {"creator_id": "nobody", "error": "unknown creator"},
        {"creator_id": "nobody either", "error": "unknown creator"},
    ]


def test_a_new_generation_is_served_once_scored_in_the_background(
    store_uri, scorer_of, champions, definitions, tiers
):
    scorer = scorer_of(store_uri)
    vectors = open_store(store_uri).read_all()
    creator = vectors["creator_id"].iloc[0]
    changed = vectors.copy()
    changed.loc[0, "refund_rate_28d"] = 0.9
    open_store(store_uri).write(changed, definitions.names, definitions.version)
    assert _generation_served(scorer, open_store(store_uri).metadata().generation)
    rescored = score_creators(changed, *champions, tiers).set_index("creator_id")
    assert scorer.score([creator])[0].abuse_risk == rescored.loc[creator, "abuse_risk"]
    assert scorer.problem is None


def test_a_generation_of_other_definitions_is_reported_and_the_last_kept(store_uri, scorer_of, definitions):
    scorer = scorer_of(store_uri)
    served = scorer.current().meta.generation
    open_store(store_uri).write(open_store(store_uri).read_all(), definitions.names, "other-definitions")
    deadline = time.monotonic() + 60
    while scorer.problem is None and time.monotonic() < deadline:
        scorer.current()
        time.sleep(0.05)
    assert scorer.problem.startswith(
        f"the online store was materialised with feature definitions other-definitions "
        f"but the service uses {definitions.version}: run `creatorscore features materialize"
    )
    assert scorer.current().meta.generation == served


def test_a_scorer_started_on_a_store_of_other_definitions_holds_nothing_and_names_the_fix(
    store_uri, scorer_of, definitions
):
    open_store(store_uri).write(open_store(store_uri).read_all(), definitions.names, "older-definitions")
    scorer = scorer_of(store_uri)
    assert scorer.scored is None
    assert "materialised with feature definitions older-definitions" in scorer.problem
    assert "creatorscore features materialize" in scorer.problem


def test_a_locked_or_vanished_store_leaves_the_last_generation_served_and_says_why(
    store_uri, scorer_of, tmp_path
):
    scorer = scorer_of(store_uri)
    served = scorer.current().meta.generation
    path = tmp_path / "store.sqlite"
    with held_exclusively(path):
        assert _problem_reported(scorer, "locked by another process")
        started = time.monotonic()
        assert scorer.current().meta.generation == served
        assert len(scorer.score(["cr000001"])) == 1
        assert time.monotonic() - started < 0.1  # answered from memory, not after the lock's wait
    path.rename(tmp_path / "moved.sqlite")
    assert _problem_reported(scorer, "no online store at")
    assert scorer.current().meta.generation == served
    (tmp_path / "moved.sqlite").rename(path)
    assert _problem_reported(scorer, None)


def test_a_scorer_started_before_its_store_holds_nothing_until_it_appears(store_uri, scorer_of, tmp_path):
    path = tmp_path / "store.sqlite"
    path.rename(tmp_path / "later.sqlite")
    scorer = scorer_of(store_uri)
    with pytest.raises(UserError, match="no online store at"):
        scorer.current()
    assert scorer.scored is None and "no online store at" in scorer.problem
    (tmp_path / "later.sqlite").rename(path)
    assert _generation_served(scorer, open_store(store_uri).metadata().generation)
    assert scorer.problem is None


def _problem_reported(scorer: OnlineScorer, expected: str | None, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        problem = scorer.problem
        if (problem is None) if expected is None else (problem is not None and expected in problem):
            return True
        time.sleep(0.05)
    return False
