"""When snapshots are taken: as-of schedules derived from the data itself."""

from __future__ import annotations

import pandas as pd

from creatorscore.contract.schema import TABLES, Kind
from creatorscore.errors import UserError

# Days of history before the first snapshot, so the 28-day feature windows start full.
WARMUP_DAYS = 28


def last_fact_at(tables: dict[str, pd.DataFrame]) -> pd.Timestamp:
    """The latest timestamp anywhere in the data: nothing after it is known.

    `tables` are accepted rows, whose times the contract bounds to the validation time plus a
    small skew: one row mistyped as 2099 is quarantined rather than moving every as-of time.
    """
    latest = [
        tables[t.name][c.name].max()
        for t in TABLES
        if t.name in tables
        for c in t.columns
        if c.kind == Kind.TIMESTAMP and len(tables[t.name])
    ]
    latest = [value for value in latest if pd.notna(value)]
    if not latest:
        raise UserError("the data holds no timestamps, so there is no history to build features from")
    return max(latest)


def first_fact_at(tables: dict[str, pd.DataFrame]) -> pd.Timestamp:
    """When the event history starts (the first livestream or order)."""
    starts = [
        tables[name][column].min()
        for name, column in (("live_sessions", "started_at"), ("orders", "created_at"))
    ]
    starts = [value for value in starts if pd.notna(value)]
    if not starts:
        raise UserError(
            "the data has no livestreams or orders, so there is no history to build features from"
        )
    return min(starts)


def default_as_of(tables: dict[str, pd.DataFrame]) -> pd.Timestamp:
    """Midnight UTC after the last fact: the as-of time at which all the data is known."""
    return last_fact_at(tables).floor("D") + pd.Timedelta(days=1)


def every(
    tables: dict[str, pd.DataFrame], step_days: int, warmup_days: int = WARMUP_DAYS
) -> list[pd.Timestamp]:
    """As-of times every `step_days` days, from `warmup_days` after history starts up to the
    default as-of; the last snapshots have labels only where their horizon is observed."""
    if step_days < 1:
        raise UserError(f"--every must be at least 1 day, got {step_days}")
    start = first_fact_at(tables).floor("D") + pd.Timedelta(days=warmup_days)
    end = default_as_of(tables)
    if start > end:
        raise UserError(
            f"the history is shorter than the {warmup_days}-day warm-up before the first snapshot"
        )
    return list(pd.date_range(start, end, freq=f"{step_days}D"))
