"""Batch scoring: percentiles within market, the fields of a /score item, and refusal on features
the models never saw."""

from __future__ import annotations

import pytest

from creatorscore.errors import UserError
from creatorscore.scoring.batch import check_definitions, score_creators
from creatorscore.serving.schemas import CreatorScore
from creatorscore.training.backtest import run_backtest
from creatorscore.training.registry import RegisteredModel
from creatorscore.training.tracking import model_record


def _registered(backtest, version: str, definitions_version: str) -> RegisteredModel:
    record = model_record(backtest, "run", version, definitions_version, "key", "digest", 0, None)
    return RegisteredModel(record, backtest.booster)


@pytest.fixture(scope="module")
def champions(training_frame, fast_config, definitions):
    return [
        _registered(run_backtest(training_frame, fast_config(name), definitions), "3", definitions.version)
        for name in ("abuse_risk", "content_quality")
    ]


def test_scores_every_creator_with_percentiles_within_market(champions, training_frame, tiers):
    latest = training_frame[training_frame["as_of"] == training_frame["as_of"].max()]
    scored = score_creators(latest, *champions, tiers)
    assert len(scored) == len(latest) and scored["creator_id"].is_unique
    assert scored["abuse_risk"].between(0, 1).all()
    for column in ("abuse_risk_market_pct", "content_quality_market_pct"):
        assert scored[column].between(0, 1, inclusive="right").all()
        assert (scored.groupby("market")[column].max() == 1.0).all()
    assert set(scored["abuse_risk_version"]) == {"3"}


def test_batch_scores_carry_every_field_of_a_score_item_the_risk_tier_included(
    champions, training_frame, tiers
):
    """Batch rows hold each /score item field, as_of per row where a response states it once;
    batch adds the model versions per row, which a response carries once as model_versions."""
    latest = training_frame[training_frame["as_of"] == training_frame["as_of"].max()]
    scored = score_creators(latest, *champions, tiers)
    assert set(CreatorScore.model_fields) <= set(scored.columns)
    assert set(scored.columns) - set(CreatorScore.model_fields) == {
        "abuse_risk_version",
        "content_quality_version",
    }
    assert scored["risk_tier"].tolist() == [
        tier.value for tier in tiers.tiers(scored["abuse_risk"].to_numpy(), scored["market"].to_numpy())
    ]
    CreatorScore.model_validate(scored.iloc[0].to_dict())


def test_scoring_refuses_features_the_champion_was_not_trained_on(champions):
    with pytest.raises(UserError, match="retrain with `creatorscore train --model abuse_risk`"):
        check_definitions(champions, "0123456789abcdef")
