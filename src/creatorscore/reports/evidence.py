"""How much each market's test metrics can be trusted: sample sizes and bootstrap intervals.

A market with a handful of confirmed cases gives a ROC-AUC of 0.3 or a recall of 0 by chance
alone, and a table of point estimates says nothing about that. So every segment shows its rows,
its positive rows and positive creators, a 95% interval beside each metric (creators resampled
with replacement, `training.uncertainty.bootstrap_interval`, on the run's recorded test
predictions), and a mark when it holds too few cases to judge.

The mark is set at fewer than MIN_POSITIVE_CREATORS confirmed creators for abuse risk: the
bootstrap resamples creators, and with under about twenty of them a recall at 1% moves in steps
of five points or more and its interval spans most of [0, 1]. Content quality has a label on
every reviewed creator, so there the count is of creators, with a higher bar.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from creatorscore.training.metrics import NEW_CREATOR_DAYS
from creatorscore.training.record import Interval
from creatorscore.training.uncertainty import bootstrap_interval

MIN_POSITIVE_CREATORS = 20  # abuse risk: fewer confirmed creators than this are too few to judge
MIN_CREATORS = 50  # content quality: fewer labelled creators than this are too few to judge
# metrics the bootstrap can recompute (training.metrics.metric); the rest are shown as logged
BOOTSTRAPPED = {
    "binary": ["roc_auc", "pr_auc", "recall_at_1pct", "precision_at_1pct", "recall_at_5pct"],
    "regression": ["spearman", "ndcg_at_100"],
}
# A metric at review capacity rebuilds each snapshot's queue on every resample, about fifty times
# the cost of a ROC-AUC (14 s for 200 resamples of 8,000 rows on one core): those intervals are
# drawn from fewer resamples, enough for their width, which is what a reader needs from them.
CAPACITY_RESAMPLES = 50
METRIC_NAMES = {
    "roc_auc": "ROC-AUC",
    "pr_auc": "PR-AUC",
    "recall_at_1pct": "recall at 1%",
    "precision_at_1pct": "precision at 1%",
    "recall_at_5pct": "recall at 5%",
    "brier": "Brier score",
    "ece": "calibration error (ECE)",
    "spearman": "Spearman correlation",
    "rmse": "RMSE",
    "ndcg_at_100": "NDCG at 100",
}


@dataclass(frozen=True)
class SegmentEvidence:
    """One segment's sample and its metrics with their intervals."""

    segment: str
    rows: int
    positives: int  # positive rows (abuse risk); labelled rows (content quality)
    creators: int  # positive creators (abuse risk); labelled creators (content quality)
    too_small: bool
    intervals: dict[str, Interval]


def segments(predictions: pd.DataFrame) -> dict[str, np.ndarray]:
    """Row masks of the whole test period, each market, and creators newer than NEW_CREATOR_DAYS."""
    out = {"overall": np.ones(len(predictions), dtype=bool)}
    for market in sorted(predictions["market"].astype(str).unique()):
        out[market] = (predictions["market"].astype(str) == market).to_numpy()
    age = pd.to_datetime(predictions["as_of"]) - pd.to_datetime(predictions["onboarded_at"])
    out["new creators"] = (age < pd.Timedelta(days=NEW_CREATOR_DAYS)).to_numpy()
    return out


def segment_evidence(predictions: pd.DataFrame, target: str, column: str, task: str) -> list[SegmentEvidence]:
    """Sample sizes and bootstrap intervals of each segment's metrics, from the test predictions."""
    labelled = predictions[predictions[target].notna()].reset_index(drop=True)
    out = []
    for name, mask in segments(labelled).items():
        rows = labelled[mask]
        if task == "binary":
            positive = rows[target] == 1
            positives, creators = int(positive.sum()), int(rows.loc[positive, "creator_id"].nunique())
            too_small = creators < MIN_POSITIVE_CREATORS
        else:
            positives, creators = len(rows), int(rows["creator_id"].nunique())
            too_small = creators < MIN_CREATORS
        intervals = {
            metric: bootstrap_interval(rows, target, column, metric, **_resamples(metric))
            for metric in BOOTSTRAPPED[task]
        }
        out.append(SegmentEvidence(name, len(rows), positives, creators, too_small, intervals))
    return out


def _resamples(metric: str) -> dict[str, int]:
    return {"resamples": CAPACITY_RESAMPLES} if "_at_" in metric and "pct" in metric else {}


def interval_text(interval: Interval) -> str:
    """'0.812 (0.701-0.893)'; '-' when the metric is undefined, no interval when it could not be drawn."""
    if interval.estimate is None:
        return "-"
    if interval.low is None or interval.high is None:
        return f"{interval.estimate:.3f} (no interval)"
    return f"{interval.estimate:.3f} ({interval.low:.3f}-{interval.high:.3f})"
