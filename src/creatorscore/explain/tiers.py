"""Risk tiers: the one place calibrated abuse probabilities become actions.

Statements of reasons, reports and the service all call `risk_tiers`, so a threshold changes
in one place. Tiers are cut on the calibrated probability, not on a market percentile: a
probability means the same in every market, while "top 1% of VN" would restrict a fixed share
of creators however clean a market is. Market percentiles are context for reviewers.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator


class Tier(StrEnum):
    """What the platform proposes to do about a creator's abuse risk."""

    LOW = "low"  # nothing
    MONITOR = "monitor"  # no action; watched at each new as-of time
    REVIEW = "review"  # queued for a human reviewer; no restriction yet
    RESTRICT = "restrict"  # restriction proposed; a reviewer confirms before it applies


TIERS = (Tier.LOW, Tier.MONITOR, Tier.REVIEW, Tier.RESTRICT)


class TierThresholds(BaseModel):
    """Lowest calibrated probability of confirmed abuse within the horizon for each tier."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    monitor: float = Field(0.05, ge=0, le=1, description="About five times the simulator's base rate of ~1%.")
    review: float = Field(
        0.20, ge=0, le=1, description="One in five flagged creators confirmed: worth a reviewer."
    )
    restrict: float = Field(0.50, ge=0, le=1, description="Confirmation more likely than not.")

    @model_validator(mode="after")
    def _increasing(self) -> TierThresholds:
        if not self.monitor <= self.review <= self.restrict:
            raise ValueError("thresholds must satisfy monitor <= review <= restrict")
        return self


DEFAULT_THRESHOLDS = TierThresholds()


def risk_tiers(probability: np.ndarray, thresholds: TierThresholds = DEFAULT_THRESHOLDS) -> list[Tier]:
    """The tier of each calibrated abuse probability; a missing probability is an error, not a tier."""
    p = np.asarray(probability, dtype=np.float64)
    if np.isnan(p).any():
        raise ValueError("a missing probability has no tier")
    cuts = np.array([thresholds.monitor, thresholds.review, thresholds.restrict])
    return [TIERS[i] for i in np.searchsorted(cuts, p, side="right")]


def share_at_most(market_scores: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The percentile of each value within a market: the share of the market's scores at most it.

    `market_scores` must be sorted. Ties share one percentile, the highest of their ranks
    (pandas' `rank(pct=True, method="max")`), so the market's top score is 1 however many hold
    it, and every score of the market itself lies in (0, 1]. Batch scoring ranks a batch
    against itself through this function and the service places what-if rows with it, so both
    give the same number for the same score.
    """
    return np.searchsorted(market_scores, np.asarray(values, dtype=np.float64), side="right") / len(
        market_scores
    )


def sorted_by_market(score: np.ndarray, market: np.ndarray) -> dict[str, np.ndarray]:
    """Each market's scores, sorted: what `share_at_most` places a value against."""
    score = np.asarray(score, dtype=np.float64)
    return {name: np.sort(score[rows]) for name, rows in _rows_by_market(market).items()}


def market_percentiles(score: np.ndarray, market: np.ndarray) -> np.ndarray:
    """Each score's percentile (0-1, 1 = highest) among creators of its market in the same batch."""
    score = np.asarray(score, dtype=np.float64)
    out = np.empty(len(score))
    for rows in _rows_by_market(market).values():
        out[rows] = share_at_most(np.sort(score[rows]), score[rows])
    return out


def _rows_by_market(market: np.ndarray) -> dict[str, np.ndarray]:
    market = np.asarray(market).astype(str)
    return pd.Series(np.arange(len(market))).groupby(market).indices
