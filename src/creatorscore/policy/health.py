"""Account health: a 0-1,000 rating per creator from the enforcement record, never from a model.

Shaped after TikTok Shop's Creator Health Rating: every creator starts at full health, each
confirmed violation deducts points by its severity (a confirmed abuse case as a severe one),
clean time earns points back, and falling to a threshold triggers the action the policy names.
The rating at as-of t reads only facts known before t: a violation decided before t counts
unless its appeal was won before t (then it never happened), and a case counts once it closed
as confirmed before t. A creator with no record sits at the start value: a lack of history is
never a deduction.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from creatorscore.contract.schema import SEVERITIES
from creatorscore.policy.actions import Action, standing_at

SCALE = 1000
DAY = pd.Timedelta(days=1)


class HealthRule(BaseModel):
    """How violations move the rating and where enforcement starts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: int = Field(SCALE, ge=0, le=SCALE, description="Rating of a creator with a clean record.")
    deductions: dict[str, int] = Field(
        description="Points deducted per confirmed violation, by the contract's severity tier."
    )
    confirmed_case_severity: str = Field(
        "severe", description="The severity tier a confirmed abuse case deducts as."
    )
    recovery_points: int = Field(
        ge=0, description="Points earned back per `recovery_days` without a new deduction."
    )
    recovery_days: int = Field(gt=0, description="Clean days that earn `recovery_points` back.")
    thresholds: dict[Action, int] = Field(
        description="Action -> rating at or below which it applies; the lowest threshold reached wins."
    )

    @model_validator(mode="after")
    def _known_severities(self) -> HealthRule:
        named = {*self.deductions, self.confirmed_case_severity}
        unknown = sorted(named - set(SEVERITIES))
        if unknown:
            raise ValueError(f"severity {unknown[0]!r} is not one of {', '.join(SEVERITIES)}")
        missing = [severity for severity in SEVERITIES if severity not in self.deductions]
        if missing:
            raise ValueError(f"deductions: no points for severity {missing[0]!r}")
        outside = [action for action, rating in self.thresholds.items() if not 0 <= rating <= SCALE]
        if outside:
            raise ValueError(f"thresholds: {outside[0]} is outside 0..{SCALE}")
        return self


def deductions(tables: dict[str, pd.DataFrame], as_of: pd.Timestamp, rule: HealthRule) -> pd.DataFrame:
    """Every deduction known before `as_of`: creator_id, at, points (oldest first)."""
    violations = tables["violations"]
    standing = standing_at(violations, as_of)
    from_violations = pd.DataFrame({
        "creator_id": violations.loc[standing, "creator_id"],
        "at": violations.loc[standing, "decided_at"],
        "points": violations.loc[standing, "severity"].map(rule.deductions),
    })  # fmt: skip
    cases = tables["abuse_cases"]
    confirmed = (cases["outcome"] == "confirmed") & (cases["closed_at"] < as_of)
    from_cases = pd.DataFrame({
        "creator_id": cases.loc[confirmed, "creator_id"],
        "at": cases.loc[confirmed, "closed_at"],
        "points": rule.deductions[rule.confirmed_case_severity],
    })  # fmt: skip
    found = pd.concat([from_violations, from_cases], ignore_index=True)
    return found.sort_values(["creator_id", "at"], kind="stable").reset_index(drop=True)


def health_ratings(
    creator_ids: pd.Series, tables: dict[str, pd.DataFrame], as_of: pd.Timestamp, rule: HealthRule
) -> pd.Series:
    """Each creator's rating at `as_of` (indexed by creator_id), in 0..SCALE.

    The rating is a path, not a sum: recovery never lifts it above `start` and a deduction never
    takes it below 0, so a creator with years of clean history does not bank credit against the
    next violation. Creators with no deduction are at `start` without being visited."""
    ratings = pd.Series(float(rule.start), index=pd.Index(creator_ids, name="creator_id"))
    found = deductions(tables, as_of, rule)
    found = found[ratings.index.get_indexer(found["creator_id"]) >= 0]  # isin: 10x slower on str
    if found.empty:
        return ratings.round().astype(int)
    # the path walked for every creator at once: round k applies each creator's k-th deduction
    per_day = rule.recovery_points / rule.recovery_days
    creator, ids = pd.factorize(found["creator_id"])
    by_creator = found.groupby(creator, sort=True)
    nth = by_creator.cumcount().to_numpy()
    earned = (by_creator["at"].diff() / DAY).fillna(0).to_numpy() * per_day
    points = found["points"].to_numpy(dtype=float)
    rating = np.full(len(ids), float(rule.start))
    order = np.argsort(nth, kind="stable")
    for lo, hi in pairwise(np.searchsorted(nth[order], np.arange(nth.max() + 2))):
        rows = order[lo:hi]
        who = creator[rows]
        rating[who] = np.maximum(0.0, np.minimum(rule.start, rating[who] + earned[rows]) - points[rows])
    clean_days = ((as_of - by_creator["at"].max()) / DAY).to_numpy()
    ratings[ids] = np.minimum(rule.start, rating + per_day * clean_days)
    return ratings.round().astype(int)


def enforcement(ratings: pd.Series, rule: HealthRule) -> pd.Series:
    """The action each rating triggers: the one with the lowest threshold at or above the rating,
    or None above every threshold."""
    ordered = sorted(rule.thresholds.items(), key=lambda item: item[1])  # lowest (harshest) first
    actions = np.full(len(ratings), None, dtype=object)
    for action, threshold in reversed(ordered):  # harsher thresholds overwrite milder ones
        actions[ratings.to_numpy() <= threshold] = action.value
    return pd.Series(actions, index=ratings.index, name="health_action", dtype=object)
