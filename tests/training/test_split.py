"""Time splits: no label window of a training or validation snapshot reaches into a later period."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from creatorscore.errors import UserError
from creatorscore.training.config import TimeSplit
from creatorscore.training.split import plan_split

START = pd.Timestamp("2026-06-01", tz="UTC")


@st.composite
def schedules(draw):
    step = draw(st.integers(1, 14))
    count = draw(st.integers(3, 60))
    moments = [START + pd.Timedelta(days=step * i) for i in range(count)]
    split = TimeSplit(
        snapshot_every_days=step,
        horizon_days=draw(st.integers(1, 45)),
        test_snapshots=draw(st.integers(1, 6)),
        validation_snapshots=draw(st.integers(1, 6)),
        purge_validation=draw(st.booleans()),
    )
    return moments, split


@given(schedules())
def test_no_training_label_window_reaches_test_period(schedule):
    moments, split = schedule
    try:
        plan = plan_split(moments, split)
    except UserError:
        return  # too short a history is refused, never split with leakage
    horizon = pd.Timedelta(days=split.horizon_days)
    test_start = plan.test[0]
    assert all(m + horizon <= test_start for m in (*plan.train, *plan.validation))
    assert max(plan.train) < min(plan.validation) <= max(plan.validation) < test_start
    if split.purge_validation:
        assert all(m + horizon <= plan.validation[0] for m in plan.train)
    assert len(plan.test) == split.test_snapshots and plan.test == tuple(moments[-split.test_snapshots :])


def test_too_short_a_history_is_refused_with_a_reason():
    moments = [START + pd.Timedelta(days=7 * i) for i in range(5)]
    with pytest.raises(UserError, match="label window"):
        plan_split(moments, TimeSplit(horizon_days=60, test_snapshots=2, validation_snapshots=1))
