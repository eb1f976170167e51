"""Labels look only at (t, t + H] and exist only where that window has been observed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from creatorscore.features.labels import compute_labels
from creatorscore.features.training_set import build_training_set

from .handmade import DAY, T, market


def case(creator: str, closed: pd.Timestamp, outcome: str = "confirmed") -> dict:
    return {
        "case_id": f"k-{creator}-{closed:%m%d}",
        "creator_id": creator,
        "opened_at": closed - 10 * DAY,
        "closed_at": closed,
        "outcome": outcome,
        "abuse_type": "brushing" if outcome == "confirmed" else None,
    }


def review(i: int, creator: str, when: pd.Timestamp, score: int) -> dict:
    return {
        "review_id": f"r{i}",
        "creator_id": creator,
        "session_id": "s",
        "reviewed_at": when,
        "score": score,
    }


def far_future_fact() -> dict:
    """A fact well after every label window, so those windows count as observed."""
    return {
        "report_id": "end",
        "creator_id": "c1",
        "session_id": None,
        "order_id": None,
        "created_at": T + 200 * DAY,
        "reason": "other",
    }


def labels_at(tables, when=T, horizon=30) -> pd.DataFrame:
    return compute_labels(tables, [when], horizon).set_index("creator_id")


def test_a_case_confirmed_inside_the_horizon_is_a_positive_label():
    tables = market(abuse_cases=[case("c1", T + 10 * DAY)], buyer_reports=[far_future_fact()])
    labels = labels_at(tables)
    assert labels.loc["c1", "abuse_label"] == 1 and labels.loc["c2", "abuse_label"] == 0


def test_cases_closing_after_the_horizon_or_cleared_are_negative():
    tables = market(
        abuse_cases=[case("c1", T + 31 * DAY), case("c2", T + 5 * DAY, "cleared")],
        buyer_reports=[far_future_fact()],
    )
    labels = labels_at(tables)
    assert labels.loc["c1", "abuse_label"] == 0 and labels.loc["c2", "abuse_label"] == 0


def test_a_creator_already_confirmed_at_the_as_of_time_has_no_abuse_label():
    tables = market(
        abuse_cases=[case("c1", T - DAY), case("c1", T + 5 * DAY)], buyer_reports=[far_future_fact()]
    )
    labels = labels_at(tables)
    assert np.isnan(labels.loc["c1", "abuse_label"])
    assert labels.loc["c2", "abuse_label"] == 0


def test_labels_are_missing_where_the_horizon_runs_past_the_data():
    tables = market(abuse_cases=[case("c1", T + 10 * DAY)])  # the last fact is at T + 10 days
    assert labels_at(tables)[["abuse_label", "quality_label"]].isna().all().all()


def test_quality_label_is_the_mean_review_score_inside_the_horizon():
    reviews = [
        review(1, "c1", T - DAY, 1),  # before t: a feature, not a label
        review(2, "c1", T + 2 * DAY, 4),
        review(3, "c1", T + 20 * DAY, 5),
        review(4, "c1", T + 40 * DAY, 1),  # after the horizon
    ]
    tables = market(quality_reviews=reviews, buyer_reports=[far_future_fact()])
    labels = labels_at(tables)
    assert labels.loc["c1", "quality_label"] == 4.5
    assert np.isnan(labels.loc["c2", "quality_label"])


def test_training_sets_hold_one_row_per_creator_and_as_of_with_both_labels(small_tables, definitions):
    moments = [pd.Timestamp("2025-07-25", tz="UTC"), pd.Timestamp("2025-08-08", tz="UTC")]
    frame = build_training_set(small_tables, moments, definitions)
    assert not frame.duplicated(["creator_id", "as_of"]).any()
    assert set(frame["as_of"]) == set(moments)
    assert {"abuse_label", "quality_label", *definitions.names} <= set(frame.columns)
    assert frame["quality_label"].notna().any()
