"""The feature engine: point in time, neutral when there is nothing, and equal to a hand count."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from creatorscore.features import compute_features

from .handmade import DAY, T, market, order, session


def features_at(tables, definitions, when=T) -> pd.DataFrame:
    return compute_features(tables, [when], definitions).set_index("creator_id")


def test_a_creator_with_no_events_gets_zero_counts_and_missing_rates(definitions):
    row = features_at(market(), definitions).loc["c1"]
    assert row["sessions_28d"] == 0 and row["orders_90d"] == 0 and row["active_violation_points_90d"] == 0
    assert np.isnan(row["refund_rate_28d"]) and np.isnan(row["avg_peak_viewers_28d"])
    assert row["tenure_days"] == pytest.approx(200)


def test_a_creator_onboarded_after_the_as_of_time_has_no_row(definitions):
    assert "late" not in features_at(market(), definitions).index


def test_a_refund_after_the_as_of_time_is_not_counted(definitions):
    tables = market(
        orders=[
            order(1, T - 10 * DAY, "completed", T - 2 * DAY),
            order(2, T - 10 * DAY, "refunded", T + DAY),  # placed before t, refunded after it
        ]
    )
    row = features_at(tables, definitions).loc["c1"]
    assert row["orders_28d"] == 2  # both were placed before t
    assert row["resolved_orders_28d"] == 1  # only one outcome was known at t
    assert row["refund_rate_28d"] == 0
    later = features_at(tables, definitions, T + 2 * DAY).loc["c1"]
    assert later["refund_rate_28d"] == 0.5


def test_a_violation_overturned_after_the_as_of_time_still_counts(definitions):
    violation = {
        "violation_id": "v1",
        "creator_id": "c1",
        "decided_at": T - 5 * DAY,
        "policy": "counterfeit",
        "severity": "severe",
        "points": 6.0,
        "overturned_at": T + 3 * DAY,
    }
    tables = market(violations=[violation])
    assert features_at(tables, definitions).loc["c1", "active_violation_points_90d"] == 6
    after = features_at(tables, definitions, T + 4 * DAY).loc["c1"]
    assert after["active_violation_points_90d"] == 0
    assert after["overturned_violations_all"] == 1


def test_violation_points_expire_after_90_days(definitions):
    violation = {
        "violation_id": "v1",
        "creator_id": "c1",
        "decided_at": T - 91 * DAY,
        "policy": "other",
        "severity": "minor",
        "points": 1.0,
        "overturned_at": None,
    }
    row = features_at(market(violations=[violation]), definitions).loc["c1"]
    assert row["active_violation_points_90d"] == 0 and row["violations_all"] == 1


def test_a_stream_still_live_at_the_as_of_time_is_not_counted(definitions):
    tables = market(live_sessions=[session(1, T - DAY), session(2, T - 600 * pd.Timedelta(seconds=1))])
    assert features_at(tables, definitions).loc["c1", "sessions_7d"] == 1


def test_windows_include_their_start_and_exclude_the_as_of_time(definitions):
    tables = market(
        orders=[
            order(1, T - 7 * DAY, "pending"),
            order(2, T - 7 * DAY - pd.Timedelta(seconds=1), "pending"),
            order(3, T, "pending"),
        ]
    )
    row = features_at(tables, definitions).loc["c1"]
    assert row["orders_7d"] == 1 and row["orders_28d"] == 2


def test_a_confirmed_linked_abuser_counts_only_once_confirmed(definitions):
    links = [
        {"creator_id": c, "link_type": "device", "link_value": "d1", "first_seen_at": T - 50 * DAY}
        for c in ("c1", "c2")
    ]
    case = {
        "case_id": "k1",
        "creator_id": "c2",
        "opened_at": T - 20 * DAY,
        "closed_at": T + 2 * DAY,
        "outcome": "confirmed",
        "abuse_type": "brushing",
    }
    tables = market(account_links=links, abuse_cases=[case])
    now = features_at(tables, definitions).loc["c1"]
    assert now["linked_creators_device"] == 1 and now["links_to_confirmed_abusers"] == 0
    assert features_at(tables, definitions, T + 3 * DAY).loc["c1", "links_to_confirmed_abusers"] == 1


def test_buyer_concentration_is_measured_without_exposing_buyers(definitions):
    buyers = ["b1"] * 6 + ["b2", "b3", "b4", "b5"]
    tables = market(orders=[order(i, T - 3 * DAY, "pending", buyer=b) for i, b in enumerate(buyers)])
    frame = features_at(tables, definitions)
    assert frame.loc["c1", "top_buyer_share_28d"] == pytest.approx(0.6)
    assert frame.loc["c1", "distinct_buyers_28d"] == 5
    assert frame.loc["c1", "repeat_buyer_order_share_28d"] == pytest.approx(0.6)
    shares = np.array([6, 1, 1, 1, 1]) / 10
    assert frame.loc["c1", "buyer_entropy_28d"] == pytest.approx(-(shares * np.log(shares)).sum())
    assert not frame.isin(buyers).any().any()
    assert not any(c == "buyer_id" for c in frame.columns)


def test_peer_percentiles_rank_within_market_and_category(definitions):
    tables = market(
        orders=[order(1, T - DAY, "pending", creator="c1"), order(2, T - DAY, "pending", creator="c1")]
    )
    frame = features_at(tables, definitions)
    assert frame.loc["c1", "orders_28d_peer_pct"] == 1.0
    assert frame.loc["c2", "orders_28d_peer_pct"] == 0.0


def test_features_equal_a_hand_count_on_the_simulator(small_tables, definitions):
    when = pd.Timestamp("2025-08-20", tz="UTC")
    frame = features_at(small_tables, definitions, when)
    sessions = small_tables["live_sessions"]
    ended = sessions["started_at"] + pd.to_timedelta(sessions["duration_s"], unit="s")
    recent = sessions[(ended < when) & (sessions["started_at"] >= when - 28 * DAY)]
    expected = recent.groupby("creator_id").size().reindex(frame.index, fill_value=0)
    pd.testing.assert_series_equal(frame["sessions_28d"], expected.astype(float), check_names=False)
    orders = small_tables["orders"]
    settled = orders[(orders["resolved_at"] < when) & (orders["created_at"] >= when - 90 * DAY)]
    rate = settled.assign(r=settled["status"].eq("refunded")).groupby("creator_id")["r"].mean()
    pd.testing.assert_series_equal(
        frame["refund_rate_90d"].dropna(), rate.reindex(frame.index).dropna(), check_names=False
    )


def test_features_are_identical_run_after_run(small_tables, definitions):
    moments = [pd.Timestamp("2025-08-01", tz="UTC"), pd.Timestamp("2025-08-20", tz="UTC")]
    first = compute_features(small_tables, moments, definitions)
    for _ in range(3):
        pd.testing.assert_frame_equal(
            compute_features(small_tables, moments, definitions), first, check_exact=True
        )
