"""Time splits: no label window of a training or validation snapshot reaches into a later period."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from creatorscore.errors import UserError
from creatorscore.features.snapshots import WARMUP_DAYS
from creatorscore.training.config import TimeSplit, default_config
from creatorscore.training.split import minimum_history_days, plan_split

START = pd.Timestamp("2026-06-01", tz="UTC")
CHECKED_IN = [default_config(name).split for name in ("abuse_risk", "content_quality")]


def labelled_snapshots(history_days: int, split: TimeSplit) -> list[pd.Timestamp]:
    """As-of times after the warm-up whose label window ends within the history, as training sets have."""
    last = history_days - split.horizon_days
    return [START + pd.Timedelta(days=day) for day in range(WARMUP_DAYS, last + 1, split.snapshot_every_days)]


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


def _assert_purged(plan, split: TimeSplit, moments: list[pd.Timestamp]) -> None:
    horizon = pd.Timedelta(days=split.horizon_days)
    test_start = plan.test[0]
    assert plan.train and plan.validation and plan.test
    assert all(m + horizon <= test_start for m in (*plan.train, *plan.validation))
    assert max(plan.train) < min(plan.validation) <= max(plan.validation) < test_start
    if split.purge_validation:
        assert all(m + horizon <= plan.validation[0] for m in plan.train)
    assert plan.test == tuple(moments[-len(plan.test) :])
    assert len(plan.test) <= split.test_snapshots and len(plan.validation) <= split.validation_snapshots
    configured = (split.test_snapshots, split.validation_snapshots)
    assert (plan.adapted is None) == ((len(plan.test), len(plan.validation)) == configured)


@given(schedules())
def test_no_training_label_window_reaches_test_period(schedule):
    moments, split = schedule
    try:
        plan = plan_split(moments, split)
    except UserError:
        return  # too short a history is refused, never split with leakage
    _assert_purged(plan, split, moments)


@given(
    split=st.one_of(
        st.sampled_from(CHECKED_IN),
        st.builds(
            TimeSplit,
            snapshot_every_days=st.integers(1, 14),
            horizon_days=st.integers(1, 45),
            test_snapshots=st.integers(1, 6),
            validation_snapshots=st.integers(1, 6),
            purge_validation=st.booleans(),
        ),
    ),
    extra_days=st.integers(0, 120),
)
def test_every_history_of_the_minimum_or_longer_gets_a_purged_split(split, extra_days):
    moments = labelled_snapshots(minimum_history_days(split) + extra_days, split)
    _assert_purged(plan_split(moments, split), split, moments)


@given(split=st.sampled_from(CHECKED_IN), short_by=st.integers(1, 60))
def test_a_history_below_the_minimum_is_refused_naming_both_lengths(split, short_by):
    minimum = minimum_history_days(split)
    moments = labelled_snapshots(minimum - short_by, split)
    with pytest.raises(UserError) as refusal:
        plan_split(moments, split)
    message = str(refusal.value)
    assert "\n" not in message and f"at least {minimum} days of history" in message
    covered = WARMUP_DAYS + (moments[-1] - moments[0]).days + split.horizon_days if moments else 0
    assert f"cover {covered} days" in message and covered < minimum


def test_the_checked_in_minimums_follow_from_warm_up_horizon_and_weekly_snapshots():
    # abuse_risk: train at day 28, validation a week later, test 35 days after that (30 rounded
    # to weeks), its label window observed: 28 + 7 + 35 + 30. content_quality also purges training
    # labels from validation: 28 + 35 + 35 + 30.
    assert [minimum_history_days(split) for split in CHECKED_IN] == [100, 128]


def test_a_split_that_fits_is_not_adapted():
    split = CHECKED_IN[0]
    plan = plan_split(labelled_snapshots(180, split), split)
    assert plan.adapted is None and (len(plan.test), len(plan.validation)) == (3, 3)


def test_too_short_a_history_is_refused_with_a_reason():
    moments = [START + pd.Timedelta(days=7 * i) for i in range(5)]
    with pytest.raises(UserError, match="needs at least"):
        plan_split(moments, TimeSplit(horizon_days=60, test_snapshots=2, validation_snapshots=1))
