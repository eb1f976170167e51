"""When each contract table's facts become known, and the tables as they stood at a moment.

One map for every point-in-time test: the feature leakage properties edit facts known at or
after t, and the policy tests cut the tables down to what was known before t.
"""

from __future__ import annotations

import pandas as pd

# when each table's facts become known (the contract's `known_at`): the row at the first
# column, and where listed, a later outcome at the second (an order's status, an appeal, a
# case's result)
KNOWN = {
    "creators": ("onboarded_at", None),
    "live_sessions": ("started_at", None),
    "orders": ("created_at", "resolved_at"),
    "buyer_reports": ("created_at", None),
    "violations": ("decided_at", "overturned_at"),
    "quality_reviews": ("reviewed_at", None),
    "abuse_cases": ("opened_at", "closed_at"),
    "account_links": ("first_seen_at", None),
    "campaign_participation": ("joined_at", None),
}
# what a row says while its outcome is not known yet: the contract's pending values
UNRESOLVED = {
    "orders": {"status": "pending"},
    "violations": {},  # standing: not overturned
    "abuse_cases": {"outcome": "open", "abuse_type": None},
}


def known_before(tables: dict[str, pd.DataFrame], moment: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The tables as the platform knew them just before `moment`: rows known later are dropped,
    and an outcome known later is blanked (the row stays, as it was then: pending, open, standing)."""
    cut = {}
    for name, frame in tables.items():
        row_known, outcome_known = KNOWN[name]
        frame = frame[(frame[row_known] < moment).to_numpy()].copy()
        if outcome_known:
            later = (frame[outcome_known] >= moment).to_numpy()
            frame.loc[later, outcome_known] = pd.NaT
            for column, value in UNRESOLVED[name].items():
                frame.loc[later, column] = value
        cut[name] = frame
    return cut
