"""Risk tiers: the one place calibrated abuse probabilities become actions.

Statements of reasons, reports and the service all cut tiers with `risk_tiers`, and the
thresholds they cut at are each market's policy (`policies/base.yaml` with the market's
override, loaded by `creatorscore.policy.market_tiers`), so a threshold lives in one place.
Tiers are cut on the calibrated probability, not on a market percentile: a probability means
the same in every market, while "top 1% of VN" would restrict a fixed share of creators however
clean a market is. Market percentiles are context for reviewers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

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
    """Lowest calibrated probability of confirmed abuse within the horizon for each tier.

    No defaults: the numbers are policy and live in `policies/base.yaml` (a market's file may
    override them), never in code.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    monitor: float = Field(ge=0, le=1, description="Lowest probability watched at each new as-of time.")
    review: float = Field(ge=0, le=1, description="Lowest probability queued for a human reviewer.")
    restrict: float = Field(ge=0, le=1, description="Lowest probability for which a restriction is proposed.")

    @model_validator(mode="after")
    def _increasing(self) -> TierThresholds:
        if not self.monitor <= self.review <= self.restrict:
            raise ValueError("thresholds must satisfy monitor <= review <= restrict")
        return self


def risk_tiers(probability: np.ndarray, thresholds: TierThresholds) -> list[Tier]:
    """The tier of each calibrated abuse probability in one market; a missing probability is an
    error, not a tier."""
    p = np.asarray(probability, dtype=np.float64)
    if np.isnan(p).any():
        raise ValueError("a missing probability has no tier")
    cuts = np.array([thresholds.monitor, thresholds.review, thresholds.restrict])
    return [TIERS[i] for i in np.searchsorted(cuts, p, side="right")]


@dataclass(frozen=True)
class MarketTiers:
    """Each market's tier thresholds, as its policy sets them: what every reader of a tier cuts with.

    Built once at the edge (`creatorscore.policy.market_tiers`) and passed down, so batch
    scoring, the service, explanations and reports cut a row at its own market's thresholds.
    """

    by_market: Mapping[str, TierThresholds]

    def __post_init__(self) -> None:
        # a read-only copy: a caller's dict changing later cannot change tiers already handed out
        object.__setattr__(self, "by_market", MappingProxyType(dict(self.by_market)))

    def thresholds(self, market: str) -> TierThresholds:
        """The thresholds of one market; a market without a policy is an error naming it."""
        try:
            return self.by_market[market]
        except KeyError:
            raise ValueError(
                f"no risk tier thresholds for market {market!r}; known: {', '.join(self.by_market)}"
            ) from None

    def tiers(self, probability: np.ndarray, market: np.ndarray) -> list[Tier]:
        """The tier of each probability at the thresholds of its row's market."""
        p = np.asarray(probability, dtype=np.float64)
        market = np.asarray(market).astype(str)
        if len(p) != len(market):
            raise ValueError(f"{len(p)} probabilities but {len(market)} markets")
        out = np.empty(len(p), dtype=object)
        for name, rows in _rows_by_market(market).items():
            out[rows] = risk_tiers(p[rows], self.thresholds(name))
        return out.tolist()


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
