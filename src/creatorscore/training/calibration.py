"""Calibration judged where the tiers act, not on average.

Almost every creator scores near zero, so a 10-bin ECE is an average over the lowest bin and
says nothing about the few hundred creators the review and restrict tiers act on. These tables
look only there: quantile bins over the top of the scores, and the realised rate of each tier,
each observed rate with a Wilson interval (a handful of rows per bin is the common case).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from creatorscore.explain.tiers import TIERS, MarketTiers

Z = 1.959964  # two-sided 95%


def wilson(successes: float, n: float) -> tuple[float, float]:
    """95% Wilson score interval of a rate; (nan, nan) without rows."""
    if n == 0:
        return np.nan, np.nan
    rate = successes / n
    centre = (rate + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * np.sqrt(rate * (1 - rate) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return float(centre - half), float(centre + half)


def _summary(groups: pd.Series, y: np.ndarray, p: np.ndarray, order) -> pd.DataFrame:
    rows = []
    for name in order:
        mask = (groups == name).to_numpy()
        n, positives = int(mask.sum()), float(y[mask].sum())
        low, high = wilson(positives, n)
        rows.append({
            "group": str(name), "rows": n,
            "mean_predicted": float(p[mask].mean()) if n else np.nan,
            "observed": positives / n if n else np.nan, "observed_low": low, "observed_high": high,
        })  # fmt: skip
    return pd.DataFrame(rows)


def top_quantile_bins(y: np.ndarray, p: np.ndarray, top_share: float = 0.05, bins: int = 5) -> pd.DataFrame:
    """Equal-count bins over the highest `top_share` of scores, highest bin last."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    top = np.argsort(-p, kind="stable")[: max(bins, int(np.ceil(top_share * len(p))))]
    ranks = np.empty(len(top), dtype=int)
    ranks[np.argsort(p[top], kind="stable")] = np.arange(len(top))
    labels = pd.Series(ranks * bins // len(top)).map(lambda b: f"top {top_share:.0%}, bin {b + 1} of {bins}")
    order = [f"top {top_share:.0%}, bin {b + 1} of {bins}" for b in range(bins)]
    return _summary(labels, y[top], p[top], order)


def realised_by_tier(y: np.ndarray, p: np.ndarray, market: np.ndarray, tiers: MarketTiers) -> pd.DataFrame:
    """Rows, mean calibrated probability and the realised confirmation rate of each risk tier,
    each row in the tier its market's thresholds put it: the tier it was acted on in."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    row_tiers = pd.Series([str(tier) for tier in tiers.tiers(p, market)])
    return _summary(row_tiers, y, p, [str(tier) for tier in TIERS])
