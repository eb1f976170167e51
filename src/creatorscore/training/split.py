"""Time-based backtest splits: train on the past, stop early on a later period, test on the future.

A snapshot at as-of a carries a label about (a, a + H]. A training row whose label window
reaches past the start of the test period would have been fitted on outcomes from the test
period, so such rows are purged, and (by default) the same rule keeps training labels out of
the validation period that early stopping, calibration and tuning rely on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from creatorscore.errors import UserError
from creatorscore.features.snapshots import WARMUP_DAYS
from creatorscore.training.config import TimeSplit


@dataclass(frozen=True)
class SplitPlan:
    """As-of times of each period, oldest first."""

    train: tuple[pd.Timestamp, ...]
    validation: tuple[pd.Timestamp, ...]
    test: tuple[pd.Timestamp, ...]
    horizon: pd.Timedelta
    # None when the configured periods fit; else what was shortened and why, for the run's record
    adapted: str | None = None

    @property
    def test_period(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """From the first test as-of to the end of the last test label window."""
        return self.test[0], self.test[-1] + self.horizon

    def period_of(self, as_of: pd.Series) -> pd.Series:
        """'train', 'validation', 'test' or missing (purged or unlabelled) for each row's as-of."""
        names = {**dict.fromkeys(self.train, "train"), **dict.fromkeys(self.validation, "validation")}
        names.update(dict.fromkeys(self.test, "test"))
        return as_of.map(names)


def minimum_history_days(split: TimeSplit) -> int:
    """Days of history the smallest purged split needs: one snapshot per period.

    The warm-up comes before the first (training) snapshot; the validation snapshot follows it
    by one snapshot step, or by the horizon rounded up to whole steps when training labels are
    purged from validation; the test snapshot follows validation by the horizon rounded up to
    whole steps; and the test label window must be observed to its end.
    """
    step, horizon = split.snapshot_every_days, split.horizon_days
    steps_past_horizon = math.ceil(horizon / step)
    steps_to_validation = steps_past_horizon if split.purge_validation else 1
    return WARMUP_DAYS + step * (steps_to_validation + steps_past_horizon) + horizon


def snapshot_step(history_days: int, split: TimeSplit) -> int:
    """Days between snapshots: the configured step where the history fits it, else the largest
    shorter step that fits (a newly launched market has too few weekly snapshots for purged
    periods), else the configured one, whose split then refuses naming the minimum."""
    for step in range(split.snapshot_every_days, 0, -1):
        if minimum_history_days(split.model_copy(update={"snapshot_every_days": step})) <= history_days:
            return step
    return split.snapshot_every_days


def plan_split(labelled_as_of: Sequence[pd.Timestamp], split: TimeSplit) -> SplitPlan:
    """The one-fold plan: the latest test period and its own purged validation and training."""
    return plan_folds(labelled_as_of, split.model_copy(update={"folds": 1}))[0]


def plan_folds(labelled_as_of: Sequence[pd.Timestamp], split: TimeSplit) -> tuple[SplitPlan, ...]:
    """Rolling-origin folds, oldest first: several test periods so evidence is not one period's luck.

    The last fold tests on the latest labelled snapshots; each earlier fold tests on the
    `test_snapshots` snapshots just before the next fold's test block, so test blocks never
    overlap. Within a fold, validation is the latest snapshots whose label windows end by its
    test period and training the earlier ones (purged from validation too when
    `purge_validation`): each fold is planned as if its history ended with its test block.
    When the configured sizes leave a period empty, as on a few months of history, folds are
    dropped first (down to one), then test and validation shrink together, one snapshot at a
    time (each capped at its configured size); every fold keeps the same sizes and the purge is
    never relaxed. Each plan's `adapted` says what was given up. Below `minimum_history_days`
    not even one fold fits, and the refusal names both the minimum and the history found.
    """
    moments = sorted(set(labelled_as_of))
    horizon = pd.Timedelta(days=split.horizon_days)
    configured = (split.test_snapshots, split.validation_snapshots)
    for size in range(max(configured), 0, -1):
        test_size, validation_size = min(configured[0], size), min(configured[1], size)
        for folds in range(split.folds, 0, -1):
            ends = [len(moments) - test_size * back for back in range(folds - 1, -1, -1)]
            periods = [
                _periods(moments[: max(end, 0)], test_size, validation_size, horizon, split.purge_validation)
                for end in ends
            ]
            if all(periods):
                adapted = _adapted(folds, split.folds, (test_size, validation_size), configured)
                return tuple(SplitPlan(*fold, horizon, adapted) for fold in periods)
    raise UserError(_too_short(moments, split))


def _adapted(
    folds: int, configured_folds: int, sizes: tuple[int, int], configured: tuple[int, int]
) -> str | None:
    """One line for the run's record: the folds and period sizes given up, or None when none were."""
    parts = [f"{folds} of {configured_folds} folds"] if folds < configured_folds else []
    if sizes != configured:
        parts.append(
            f"test {sizes[0]} of {configured[0]} snapshots, validation {sizes[1]} of {configured[1]}"
        )
    if not parts:
        return None
    return "; ".join(parts) + ": the history is too short for the configured periods with the purge kept"


def _periods(
    moments: list[pd.Timestamp], test_size: int, validation_size: int, horizon: pd.Timedelta, purge: bool
) -> tuple[tuple[pd.Timestamp, ...], ...] | None:
    """(train, validation, test) with exactly the given test and validation sizes, or None."""
    if len(moments) < test_size + 2:  # also covers a fold whose history is cut to nothing
        return None
    test = moments[-test_size:]
    validation = [m for m in moments if m + horizon <= test[0]][-validation_size:]
    if len(validation) < validation_size:
        return None
    train_end = validation[0] if purge else test[0]
    train = [m for m in moments if m < validation[0] and m + horizon <= train_end]
    return (tuple(train), tuple(validation), tuple(test)) if train else None


def _too_short(moments: list[pd.Timestamp], split: TimeSplit) -> str:
    """One line: the minimum history, and the history that the labelled snapshots cover."""
    covered = WARMUP_DAYS + (moments[-1] - moments[0]).days + split.horizon_days if moments else 0
    daily = minimum_history_days(split.model_copy(update={"snapshot_every_days": 1}))
    return (
        f"the time split needs at least {minimum_history_days(split)} days of history "
        f"({WARMUP_DAYS}-day warm-up, snapshots every {split.snapshot_every_days} days, "
        f"{split.horizon_days}-day horizon, purged periods; {daily} with daily snapshots); the labelled "
        f"snapshots cover {covered} days (simulate or collect more days, or snapshot more often)"
    )
