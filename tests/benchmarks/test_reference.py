"""The hand-feature reference sees only facts strictly before each as-of."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from reference import hand_features  # noqa: E402

AS_OF = pd.Timestamp("2025-09-01", tz="UTC")


def _tables(order_times: list[pd.Timestamp]) -> dict[str, pd.DataFrame]:
    t = pd.Timestamp("2025-08-01", tz="UTC")
    n = len(order_times)
    empty = lambda **cols: pd.DataFrame({k: pd.Series([], dtype=v) for k, v in cols.items()})  # noqa: E731
    return {
        "creators": pd.DataFrame({"creator_id": ["cr1"], "onboarded_at": [t]}),
        "live_sessions": empty(creator_id=object, started_at="datetime64[ns, UTC]", peak_viewers=float),
        "orders": pd.DataFrame(
            {
                "creator_id": ["cr1"] * n,
                "buyer_id": [f"b{i}" for i in range(n)],
                "created_at": order_times,
                "status": ["cancelled"] * n,
                "resolved_at": order_times,
            }
        ),
        "buyer_reports": empty(creator_id=object, created_at="datetime64[ns, UTC]", reason=object),
        "violations": empty(
            creator_id=object,
            decided_at="datetime64[ns, UTC]",
            overturned_at="datetime64[ns, UTC]",
            points=float,
        ),
        "quality_reviews": empty(creator_id=object, reviewed_at="datetime64[ns, UTC]", score=float),
    }


def test_an_order_at_as_of_exactly_is_not_counted():
    tables = _tables([AS_OF - pd.Timedelta(hours=1), AS_OF])
    row = hand_features(tables, pd.DataFrame({"creator_id": ["cr1"], "as_of": [AS_OF]})).iloc[0]
    assert row["orders_28d"] == 1
    assert row["tenure_days"] == 31
