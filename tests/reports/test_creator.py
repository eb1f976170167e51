"""Case files and statements of reasons through the Python API: the served model, point in time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from creatorscore.errors import UserError
from creatorscore.features import compute_features
from creatorscore.reports.creator import (
    creator_case_file,
    explain_creator,
    feature_history,
    neighbourhood,
)
from creatorscore.reports.html import render

# one worker builds the champions and the reports (see tests/reports/conftest.py)
pytestmark = pytest.mark.xdist_group("reports")


def _most_linked(tables: dict) -> str:
    links = tables["account_links"]
    shared = links.merge(links, on=["link_type", "link_value"])
    shared = shared[shared["creator_id_x"] != shared["creator_id_y"]]
    return str(shared["creator_id_x"].value_counts().index[0])


def test_timelines_on_the_neighbourhood_equal_market_wide_features(small_tables, definitions):
    creator = _most_linked(small_tables)
    as_of = pd.Timestamp("2025-08-20", tz="UTC")
    history = feature_history(small_tables, definitions, creator, as_of, days=14, step_days=7)
    everyone = compute_features(small_tables, list(history["as_of"]), definitions)
    mine = everyone[everyone["creator_id"] == creator].sort_values("as_of").reset_index(drop=True)
    assert len(history) == 3 and history["linked_creators"].max() > 0
    pd.testing.assert_frame_equal(history, mine[history.columns], check_dtype=False)


def test_neighbourhood_holds_no_unrelated_creator(small_tables):
    creator = _most_linked(small_tables)
    kept = neighbourhood(small_tables, creator)
    assert 1 < kept["creators"]["creator_id"].nunique() < len(small_tables["creators"])


def test_explanations_are_of_the_served_models(scored, definitions, tiers):
    creator = str(scored.features["creator_id"].iloc[0])
    explained = explain_creator(
        scored.features, definitions, scored.abuse, scored.quality, creator, scored.tables, tiers
    )
    row = scored.features[scored.features["creator_id"] == creator]
    for explanation, model in (
        (explained.abuse_risk, scored.abuse),
        (explained.content_quality, scored.quality),
    ):
        assert explanation.model_version == model.record.version
        np.testing.assert_allclose(explanation.margin, model.raw_score(row)[0], atol=1e-6)
        np.testing.assert_allclose(explanation.score, model.predict(row)[0], atol=1e-9)
    statement = explained.statement
    assert (
        statement.tier == explained.abuse_risk.tier
        and statement.quality_score == explained.content_quality.score
    )
    assert 0 < explained.abuse_risk_market_pct <= 1


def test_an_unknown_creator_is_a_user_error(scored, definitions, tiers):
    with pytest.raises(UserError, match="creator nobody is not in the data"):
        explain_creator(
            scored.features, definitions, scored.abuse, scored.quality, "nobody", scored.tables, tiers
        )


def test_case_file_escapes_what_the_data_holds(scored, definitions, tiers):
    creator = str(scored.features["creator_id"].iloc[0])
    page = creator_case_file(
        scored.tables, scored.features, definitions, scored.abuse, scored.quality, creator, tiers
    )
    html = render(page)
    assert "log-odds" in html and "calibrated probability" in html and "Statement of reasons" in html
    hostile = render(type(page)("<script>alert(1)</script>", page.subtitle, []))
    assert "<script>" not in hostile and "&lt;script&gt;" in hostile
