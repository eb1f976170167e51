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


def market_percentiles(score: np.ndarray, market: np.ndarray) -> np.ndarray:
    """Each score's percentile (0-1, 1 = highest) among creators of its market in the same batch:
    the share scoring at most it, as the service's what-if rows are placed, so ties at the top are 1."""
    return (
        pd.Series(np.asarray(score, dtype=np.float64))
        .groupby(np.asarray(market))
        .rank(pct=True, method="max")
        .to_numpy()
    )
