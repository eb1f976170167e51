"""How much a test metric would move on another draw of creators: bootstrap intervals by creator.

A test period holds a few dozen positive creators, each seen at several snapshots, so rows are
not independent draws and a metric's noise is far larger than the row count suggests. The
intervals here resample creators with replacement (every row of a drawn creator comes in, as
many times as the creator is drawn) and recompute the metric; a paired difference applies the
same draws to both scores, so the noise both share cancels. Review capacity (top k% per as-of)
is recomputed on each resampled snapshot, duplicates included, as a queue over that population
would be.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from creatorscore.training.metrics import metric, snapshot_codes
from creatorscore.training.record import Interval

RESAMPLES = 200
LEVEL = 0.95
SEED = 0


def creator_draws(creators: pd.Series, resamples: int, seed: int) -> list[np.ndarray]:
    """Row indices of each resample: creators drawn with replacement, all their rows each time."""
    codes, unique = pd.factorize(creators)
    by_creator = np.argsort(codes, kind="stable")  # each creator's rows, contiguous
    sizes = np.bincount(codes, minlength=len(unique))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(resamples):
        drawn = rng.integers(0, len(unique), len(unique))
        lengths = sizes[drawn]
        # the k-th row of a drawn creator sits at its start + k in `by_creator`
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        draws.append(by_creator[np.repeat(starts[drawn], lengths) + offsets])
    return draws


def bootstrap_interval(
    frame: pd.DataFrame,
    target: str,
    column: str,
    name: str,
    *,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    level: float = LEVEL,
) -> Interval:
    """A metric of one score on the test rows, with its percentile interval over creator resamples."""
    return _interval(frame, target, [column], name, resamples, seed, level)


def paired_difference(
    frame: pd.DataFrame,
    target: str,
    candidate: str,
    incumbent: str,
    name: str,
    *,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    level: float = LEVEL,
) -> Interval:
    """The candidate's gain over the incumbent on one metric, with its paired bootstrap interval."""
    return _interval(frame, target, [candidate, incumbent], name, resamples, seed, level)


def _interval(
    frame: pd.DataFrame, target: str, columns: list[str], name: str, resamples: int, seed: int, level: float
) -> Interval:
    rows = frame[frame[target].notna()]
    y, as_of = rows[target].to_numpy(dtype=float), snapshot_codes(rows["as_of"])
    scores = [rows[column].to_numpy(dtype=float) for column in columns]

    def value(index: np.ndarray | slice) -> float:
        values = [metric(name, y[index], score[index], as_of[index]) for score in scores]
        return values[0] - values[1] if len(values) == 2 else values[0]

    estimate = value(slice(None))
    samples = np.array([value(index) for index in creator_draws(rows["creator_id"], resamples, seed)])
    samples = samples[~np.isnan(samples)]
    if np.isnan(estimate) or len(samples) < resamples / 2:
        return Interval(estimate=None if np.isnan(estimate) else estimate, low=None, high=None)
    low, high = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2])
    return Interval(estimate=float(estimate), low=float(low), high=float(high))
