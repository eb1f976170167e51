"""The hand-feature reference: what an analyst builds in an afternoon, to hold the shipped model to.

About a dozen features computed with plain pandas straight from the contract tables, at each as-of,
from facts strictly before it; then a LightGBM with library defaults trained on the same labels and
the same training snapshots as the shipped model's backtest, and scored on the same test rows.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd

from creatorscore.contract.schema import POLICIES

DAY = pd.Timedelta(days=1)


def hand_features(tables: dict[str, pd.DataFrame], keys: pd.DataFrame) -> pd.DataFrame:
    """One row per (creator_id, as_of) in `keys`, in its order, from facts before as-of only."""
    parts = [_at(tables, as_of) for as_of in keys["as_of"].unique()]
    features = pd.concat(parts, ignore_index=True)
    return keys[["creator_id", "as_of"]].merge(features, on=["creator_id", "as_of"], how="left")


def _window(frame: pd.DataFrame, column: str, as_of: pd.Timestamp, days: int | None) -> pd.DataFrame:
    before = frame[column] < as_of
    return frame[before & (frame[column] >= as_of - days * DAY)] if days else frame[before]


def _at(tables: dict[str, pd.DataFrame], as_of: pd.Timestamp) -> pd.DataFrame:
    creators = tables["creators"]
    out = pd.DataFrame({"creator_id": creators["creator_id"], "as_of": as_of})
    out["tenure_days"] = ((as_of - creators["onboarded_at"]) / DAY).to_numpy()
    out = out.set_index("creator_id")

    sessions = _window(tables["live_sessions"], "started_at", as_of, 28).groupby("creator_id")
    out["sessions_28d"] = sessions.size()
    out["viewers_28d"] = sessions["peak_viewers"].sum()

    orders = _window(tables["orders"], "created_at", as_of, 28)
    settled = orders["resolved_at"] < as_of  # an outcome after as-of is not yet known
    by_creator = orders.assign(
        cancelled=settled & (orders["status"] == "cancelled"),
        returned=settled & orders["status"].isin(["returned", "refunded"]),
    ).groupby("creator_id")
    out["orders_28d"] = by_creator.size()
    out["cancel_rate_28d"] = by_creator["cancelled"].mean()
    out["return_rate_28d"] = by_creator["returned"].mean()
    top = orders.groupby(["creator_id", "buyer_id"]).size().groupby("creator_id").max()
    out["top_buyer_share_28d"] = top / out["orders_28d"]

    reports = _window(tables["buyer_reports"], "created_at", as_of, 56)
    counts = reports.groupby(["creator_id", "reason"]).size().unstack(fill_value=0)
    for reason in POLICIES:
        out[f"reports_56d_{reason}"] = counts.get(reason, 0)

    violations = _window(tables["violations"], "decided_at", as_of, 90)
    standing = ~(violations["overturned_at"] < as_of)
    out["violation_points_90d"] = violations[standing].groupby("creator_id")["points"].sum()

    reviews = _window(tables["quality_reviews"], "reviewed_at", as_of, None)
    out["review_mean"] = reviews.groupby("creator_id")["score"].mean()
    counts_filled = [c for c in out.columns if c.startswith(("sessions", "viewers", "orders", "reports"))]
    out[counts_filled + ["violation_points_90d"]] = out[counts_filled + ["violation_points_90d"]].fillna(0)
    return out.reset_index()


def reference_scores(
    tables: dict[str, pd.DataFrame], frame: pd.DataFrame, folds, test_scores: pd.DataFrame, target: str
) -> np.ndarray:
    """The analyst's model, fitted fold by fold like the shipped one: on each fold's training
    snapshots, stopped early on its validation snapshots (the one step beyond library defaults an
    analyst takes: with defaults it fits a few dozen positives perfectly and ranks at chance),
    scoring that fold's test rows."""
    out = np.full(len(test_scores), np.nan)
    for number, fold in enumerate(folds):
        periods = {
            name: frame[frame["as_of"].isin(list(getattr(fold.plan, name))) & frame[target].notna()]
            for name in ("train", "validation")
        }
        x = {
            name: hand_features(tables, rows).drop(columns=["creator_id", "as_of"])
            for name, rows in periods.items()
        }
        model = lgb.LGBMClassifier(n_estimators=500, random_state=0, n_jobs=2, verbose=-1)
        model.fit(
            x["train"], periods["train"][target].astype(int).to_numpy(),
            eval_X=(x["validation"],), eval_y=(periods["validation"][target].astype(int).to_numpy(),),
            eval_metric="auc", callbacks=[lgb.early_stopping(50, first_metric_only=True, verbose=False)],
        )  # fmt: skip
        rows = (test_scores["fold"] == number).to_numpy()
        x_test = hand_features(tables, test_scores[rows]).drop(columns=["creator_id", "as_of"])
        out[rows] = model.predict_proba(x_test)[:, 1]
    return out
