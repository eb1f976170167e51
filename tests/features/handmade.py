"""Hand-written marketplaces: a few rows per table, validated like real data."""

from __future__ import annotations

import pandas as pd

from creatorscore.contract import TABLES, validate

T = pd.Timestamp("2026-03-01", tz="UTC")
DAY = pd.Timedelta(days=1)


def market(**rows: list[dict]) -> dict[str, pd.DataFrame]:
    """Validated tables from a few hand-written rows; every table not given is empty."""
    creators = [
        {"creator_id": "c1", "market": "ID", "category": "beauty", "onboarded_at": T - 200 * DAY},
        {"creator_id": "c2", "market": "ID", "category": "beauty", "onboarded_at": T - 100 * DAY},
        {"creator_id": "late", "market": "TH", "category": "food", "onboarded_at": T + DAY},
    ]
    raw = {}
    for table in TABLES:
        given = rows.get(table.name, creators if table.name == "creators" else [])
        columns = [c.name for c in table.columns]
        raw[table.name] = pd.DataFrame(given, columns=columns).astype(
            {c.name: "datetime64[us, UTC]" for c in table.columns if c.kind == "timestamp"}
        )
    validated = validate(raw)
    assert all(s.quarantined == 0 for s in validated.summary.values()), validated.summary
    return validated.tables


def order(i: int, created: pd.Timestamp, status: str = "completed", resolved=None, creator="c1", buyer="b1"):
    return {
        "order_id": f"o{i}",
        "creator_id": creator,
        "session_id": None,
        "buyer_id": buyer,
        "created_at": created,
        "amount_usd": 10.0,
        "status": status,
        "resolved_at": resolved if status != "pending" else None,
    }


def session(i: int, started: pd.Timestamp, creator="c1", duration_s=3600):
    return {
        "session_id": f"s{i}",
        "creator_id": creator,
        "started_at": started,
        "duration_s": duration_s,
        "peak_viewers": 100,
        "comments": 50,
    }
