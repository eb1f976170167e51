"""Time-based backtest splits: train on the past, stop early on a later period, test on the future.

A snapshot at as-of a carries a label about (a, a + H]. A training row whose label window
reaches past the start of the test period would have been fitted on outcomes from the test
period, so such rows are purged, and (by default) the same rule keeps training labels out of
the validation period that early stopping, calibration and tuning rely on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from creatorscore.errors import UserError
from creatorscore.training.config import TimeSplit


@dataclass(frozen=True)
class SplitPlan:
    """As-of times of each period, oldest first."""

    train: tuple[pd.Timestamp, ...]
    validation: tuple[pd.Timestamp, ...]
    test: tuple[pd.Timestamp, ...]
    horizon: pd.Timedelta

    @property
    def test_period(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """From the first test as-of to the end of the last test label window."""
        return self.test[0], self.test[-1] + self.horizon

    def period_of(self, as_of: pd.Series) -> pd.Series:
        """'train', 'validation', 'test' or missing (purged or unlabelled) for each row's as-of."""
        names = {**dict.fromkeys(self.train, "train"), **dict.fromkeys(self.validation, "validation")}
        names.update(dict.fromkeys(self.test, "test"))
        return as_of.map(names)


def plan_split(labelled_as_of: Sequence[pd.Timestamp], split: TimeSplit) -> SplitPlan:
    """Assign labelled snapshots to periods so no label window reaches into a later period."""
    moments = sorted(set(labelled_as_of))
    horizon = pd.Timedelta(days=split.horizon_days)
    if len(moments) < split.test_snapshots + 2:
        raise UserError(
            f"only {len(moments)} labelled snapshots; the split needs {split.test_snapshots} for test "
            "and at least one each for validation and training (simulate more days or snapshot more often)"
        )
    test = moments[-split.test_snapshots :]
    before_test = [m for m in moments if m + horizon <= test[0]]
    validation = before_test[-split.validation_snapshots :]
    if not validation:
        raise UserError(f"no snapshot's {split.horizon_days}-day label window ends before the test period")
    train_end = validation[0] if split.purge_validation else test[0]
    train = [m for m in moments if m < validation[0] and m + horizon <= train_end]
    if not train:
        raise UserError(
            "no training snapshot is left after purging label windows that reach the validation period; "
            "use fewer validation snapshots or a longer history"
        )
    return SplitPlan(tuple(train), tuple(validation), tuple(test), horizon)
