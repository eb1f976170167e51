"""Time splits: no label window of a training or validation snapshot reaches into a later period."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from creatorscore.errors import UserError
from creatorscore.features.snapshots import WARMUP_DAYS
from creatorscore.training.config import TimeSplit, default_config
from creatorscore.training.split import minimum_history_days, plan_folds, plan_split, snapshot_step

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
    # train at day 28, validation a week later, test 35 days after that (30 rounded to weeks),
    # its label window observed: 28 + 7 + 35 + 30
    assert [minimum_history_days(split) for split in CHECKED_IN] == [100, 100]


def test_a_history_too_short_for_weekly_snapshots_is_snapshotted_more_often():
    split = CHECKED_IN[0]
    assert snapshot_step(180, split) == 7 and snapshot_step(100, split) == 7
    # 90 days: 28 + 2 + 30 (rounded to two-day steps) + 30
    assert snapshot_step(90, split) == 2 and snapshot_step(89, split) == 1
    assert snapshot_step(80, split) == 7  # nothing fits: the weekly split refuses, naming the minimum


def test_a_split_that_fits_is_not_adapted():
    split = CHECKED_IN[0]
    plan = plan_split(labelled_snapshots(180, split), split)
    assert plan.adapted is None and (len(plan.test), len(plan.validation)) == (3, 3)


def test_too_short_a_history_is_refused_with_a_reason():
    moments = [START + pd.Timedelta(days=7 * i) for i in range(5)]
    with pytest.raises(UserError, match="needs at least"):
        plan_split(moments, TimeSplit(horizon_days=60, test_snapshots=2, validation_snapshots=1))


def _assert_folds_purged(plans, split: TimeSplit) -> None:
    horizon = pd.Timedelta(days=split.horizon_days)
    for plan in plans:
        assert plan.train and plan.validation and plan.test
        assert max(plan.train) < min(plan.validation) <= max(plan.validation) < min(plan.test)
        assert max(plan.validation) + horizon <= min(plan.test)
        assert max(plan.train) + horizon <= min(plan.test)
        if split.purge_validation:
            assert max(plan.train) + horizon <= min(plan.validation)
    for older, newer in zip(plans, plans[1:], strict=False):
        assert max(older.test) < min(newer.test)  # disjoint test blocks, oldest fold first
    assert len({(len(p.test), len(p.validation)) for p in plans}) == 1


@given(schedules(), st.integers(1, 5))
def test_every_fold_is_purged_and_the_test_blocks_step_back_in_time(schedule, folds):
    moments, split = schedule
    split = split.model_copy(update={"folds": folds})
    try:
        plans = plan_folds(moments, split)
    except UserError:
        return
    _assert_folds_purged(plans, split)
    latest = plan_split(moments, split)
    assert (plans[-1].train, plans[-1].validation, plans[-1].test) == (
        latest.train,
        latest.validation,
        latest.test,
    ) or (
        len(plans[-1].test) < len(latest.test)  # sizes shared by all folds may be below the one-fold sizes
    )
    assert plans[-1].test == tuple(moments[-len(plans[-1].test) :])
    for older, newer in zip(plans, plans[1:], strict=False):
        assert moments.index(newer.test[0]) - 1 == moments.index(older.test[-1])  # adjacent blocks


def test_a_long_history_gets_every_fold_the_latest_being_the_one_fold_plan():
    split = CHECKED_IN[0]
    moments = labelled_snapshots(365, split)
    plans = plan_folds(moments, split)
    assert len(plans) == split.folds == 3 and all(p.adapted is None for p in plans)
    assert plans[-1] == plan_split(moments, split)  # nothing adapted, so even the record matches
    assert plans[0].test == tuple(moments[-9:-6]) and plans[1].test == tuple(moments[-6:-3])


def test_a_short_history_drops_folds_before_it_shortens_periods_and_says_so():
    split = CHECKED_IN[0]
    # the shortest history whose latest fold has the configured sizes: no room for a second fold
    needed = next(
        d
        for d in range(minimum_history_days(split), 365)
        if plan_split(labelled_snapshots(d, split), split).adapted is None
    )
    plans = plan_folds(labelled_snapshots(needed, split), split)
    assert len(plans) == 1 and (len(plans[0].test), len(plans[0].validation)) == (3, 3)
    assert plans[0].adapted.startswith("1 of 3 folds:")
    shortest = plan_folds(labelled_snapshots(minimum_history_days(split), split), split)
    assert len(shortest) == 1
    assert shortest[0].adapted.startswith("1 of 3 folds; test 1 of 3 snapshots, validation 1 of 3")


def test_the_minimum_history_gives_one_fold_and_one_day_less_is_refused():
    for split in CHECKED_IN:
        minimum = minimum_history_days(split)
        assert len(plan_folds(labelled_snapshots(minimum, split), split)) == 1
        with pytest.raises(UserError, match=f"at least {minimum} days"):
            plan_folds(labelled_snapshots(minimum - 1, split), split)
