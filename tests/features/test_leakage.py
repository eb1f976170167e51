"""No leakage from the future: nothing known at or after the as-of time moves a feature.

The property test edits, adds and deletes facts whose knowledge time is at or after t in a
simulated marketplace and requires every feature at t to stay exactly as it was. The canary
test plants facts that encode the future label and checks a model cannot find them.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lightgbm import LGBMClassifier
from sklearn.metrics import roc_auc_score

from creatorscore.contract import validate
from creatorscore.features import compute_features
from creatorscore.features.training_set import build_training_set
from creatorscore.simulate import SimulationConfig, simulate
from tests.known_facts import KNOWN

T = pd.Timestamp("2025-08-10", tz="UTC")
DAY = pd.Timedelta(days=1)


ID_COLUMNS = {
    "creators": "creator_id",
    "live_sessions": "session_id",
    "orders": "order_id",
    "buyer_reports": "report_id",
    "violations": "violation_id",
    "quality_reviews": "review_id",
    "abuse_cases": "case_id",
}

edits = st.lists(
    st.tuples(
        st.sampled_from(sorted(KNOWN)),
        st.sampled_from(["delete", "move", "add", "outcome"]),
        st.integers(0, 10**6),  # which row
        st.integers(0, 10**6),  # which creator
        st.integers(0, 60 * 86_400),  # seconds after T
    ),
    min_size=1,
    max_size=4,
)


def apply_future_edits(tables: dict[str, pd.DataFrame], edits: list[tuple]) -> dict[str, pd.DataFrame]:
    """A copy of `tables` with facts known at or after T deleted, moved, added or resolved."""
    tables = {name: frame.copy() for name, frame in tables.items()}
    creators = tables["creators"]["creator_id"].tolist()
    for k, (name, action, row, creator, seconds) in enumerate(edits):
        frame = tables[name]
        row_known, outcome_known = KNOWN[name]
        after = T + pd.Timedelta(seconds=seconds)
        future = frame.index[frame[row_known] >= T]
        if action == "delete" and len(future) and name == "creators":  # with all their (future) facts
            gone = frame.loc[future[row % len(future)], "creator_id"]
            tables = {n: f[f["creator_id"] != gone] for n, f in tables.items()}
            creators.remove(gone)
        elif action == "delete" and len(future):
            tables[name] = frame.drop(index=future[row % len(future)])
        elif action == "move" and len(future) and name != "creators":
            frame.loc[future[row % len(future)], "creator_id"] = creators[creator % len(creators)]
        elif action == "add" and len(frame):
            copy = frame.iloc[[row % len(frame)]].copy()
            shift = after - copy[row_known].iloc[0]  # every timestamp moves together
            for column in copy.columns[copy.columns.str.endswith("_at")]:
                copy[column] = copy[column] + shift
            if name in ID_COLUMNS:
                copy[ID_COLUMNS[name]] = copy[ID_COLUMNS[name]] + f"-future{k}"  # unique per edit
            if name != "creators":
                copy["creator_id"] = creators[creator % len(creators)]
            tables[name] = pd.concat([frame, copy], ignore_index=True)
        elif action == "outcome" and outcome_known:
            undecided = frame.index[frame[outcome_known].isna() | (frame[outcome_known] >= T)]
            if len(undecided):
                at = undecided[row % len(undecided)]
                frame.loc[at, outcome_known] = max(after, frame.loc[at, row_known])
                if name == "orders":
                    frame.loc[at, "status"] = ["completed", "cancelled", "returned", "refunded"][creator % 4]
                elif name == "abuse_cases":
                    frame.loc[at, ["outcome", "abuse_type"]] = ["confirmed", "brushing"]
    return tables


@pytest.fixture(scope="module")
def baseline(small_tables, definitions):
    return compute_features(small_tables, [T], definitions)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=edits)
def test_facts_known_at_or_after_the_as_of_time_change_no_feature(small_tables, definitions, baseline, edits):
    edited = apply_future_edits(small_tables, edits)
    summary = validate(edited).summary
    assert all(s.quarantined == 0 for s in summary.values()), "the edit itself must be valid data"
    pd.testing.assert_frame_equal(compute_features(edited, [T], definitions), baseline, rtol=1e-12)


def test_the_same_edits_before_the_as_of_time_do_change_features(small_tables, definitions, baseline):
    """Control: the property above is not vacuous; moving a past fact does show."""
    edited = {name: frame.copy() for name, frame in small_tables.items()}
    orders = edited["orders"]
    past = orders.index[orders["created_at"] < T - DAY][:50]
    edited["orders"] = orders.drop(index=past)
    assert not compute_features(edited, [T], definitions).equals(baseline)


def test_a_canary_encoding_the_future_label_is_not_found_by_a_model(definitions):
    market = simulate(SimulationConfig(creators=1_500, days=120, seed=4, abuser_share=0.3))
    tables = validate(market.tables).tables
    when = pd.Timestamp("2025-08-25", tz="UTC")
    plain = build_training_set(tables, [when], definitions).dropna(subset=["abuse_label"])
    positive = plain.loc[plain["abuse_label"] == 1, "creator_id"]
    assert len(positive) >= 15, "the canary needs enough positives to be detectable"
    canary = pd.DataFrame(
        {
            "violation_id": "canary-" + positive,
            "creator_id": positive,
            "decided_at": when + DAY,  # inside the label window: known only after t
            "policy": "other",
            "severity": "severe",
            "points": 50.0,
            "overturned_at": pd.Series(pd.NaT, index=positive.index, dtype="datetime64[us, UTC]"),
        }
    )
    leaked = {**tables, "violations": pd.concat([tables["violations"], canary], ignore_index=True)}
    names = definitions.names

    def auc(frame: pd.DataFrame) -> float:
        model = LGBMClassifier(n_estimators=60, random_state=0, verbose=-1, n_jobs=1)
        model.fit(frame[names], frame["abuse_label"])
        return roc_auc_score(frame["abuse_label"], model.predict_proba(frame[names])[:, 1])

    with_canary = build_training_set(leaked, [when], definitions).dropna(subset=["abuse_label"])
    pd.testing.assert_frame_equal(with_canary[names], plain[names])
    # a pipeline that looked two days ahead would see the canary and separate perfectly
    peeking = compute_features(leaked, [when + 2 * DAY], definitions).set_index("creator_id")
    peeked = plain.set_index("creator_id")[["abuse_label"]].join(peeking[names])
    assert auc(peeked) > 0.99
    assert auc(with_canary) == auc(plain)
