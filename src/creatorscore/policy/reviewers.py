"""What a review of a queued creator concludes, when the policy backtest replays history.

Two stated reviewer models. Where the simulator's ground truth exists, a reviewer confirms a
truly active abuser with probability `sensitivity` and clears a healthy creator with
probability `specificity` (reviewers miss some abuse and wrongly confirm some healthy
creators, as real ones do). On a platform's own data, with no ground truth, a review's outcome
is what the contract's later facts say: a confirmed abuse case closed, or a violation decided,
within the horizon after the review. That reads the future on purpose (it is the replay's
oracle, never a feature) and is said in every summary that uses it.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

FROM_TRUTH = "simulated reviewer on ground truth"
FROM_LATER_FACTS = "later facts of the contract (a confirmed case or a violation within the horizon)"


class ReviewerModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sensitivity: float = Field(0.9, ge=0, le=1, description="Chance a reviewed active abuser is confirmed.")
    specificity: float = Field(0.98, ge=0, le=1, description="Chance a reviewed healthy creator is cleared.")
    horizon_days: int = Field(30, gt=0, description="Window of later facts that confirm a review.")


def reviews_from_truth(
    reviewed: pd.DataFrame, truly_abusing: pd.Series, rule: ReviewerModel, seed: int
) -> pd.Series:
    """`confirmed` for each reviewed row (creator_id, market): drawn from the reviewer model on the
    truth (`truly_abusing`, a boolean Series by creator_id at the review date). Each market's
    reviewers draw from their own stream, as its queue does, so that one market's queue never
    changes another market's verdicts."""
    abusing = reviewed["creator_id"].map(truly_abusing).fillna(False).astype(bool).to_numpy()
    draw = np.empty(len(reviewed))
    for market, rows in reviewed.groupby("market", sort=False).indices.items():
        draw[rows] = np.random.default_rng([seed, zlib.crc32(str(market).encode())]).random(len(rows))
    confirmed = np.where(abusing, draw < rule.sensitivity, draw >= rule.specificity)
    return pd.Series(confirmed, index=reviewed.index, name="confirmed")


def reviews_from_later_facts(
    reviewed: pd.DataFrame, tables: dict[str, pd.DataFrame], as_of: pd.Timestamp, rule: ReviewerModel
) -> pd.Series:
    """`confirmed` for each reviewed row: a case closed as confirmed, or a violation decided,
    in [as_of, as_of + horizon) and not overturned within it."""
    end = as_of + pd.Timedelta(days=rule.horizon_days)
    cases = tables["abuse_cases"]
    confirmed_cases = cases.loc[
        (cases["outcome"] == "confirmed") & (cases["closed_at"] >= as_of) & (cases["closed_at"] < end),
        "creator_id",
    ]
    violations = tables["violations"]
    standing = violations.loc[
        (violations["decided_at"] >= as_of)
        & (violations["decided_at"] < end)
        & ~(violations["overturned_at"] < end),
        "creator_id",
    ]
    found = set(confirmed_cases) | set(standing)
    return pd.Series(reviewed["creator_id"].isin(found).to_numpy(), index=reviewed.index, name="confirmed")
