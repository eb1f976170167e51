"""The health rating: point in time, bounded, recovering, and never a penalty for a lack of history."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from creatorscore.policy.health import HealthRule, enforcement, health_ratings

RULE = HealthRule(
    deductions={"minor": 50, "moderate": 150, "severe": 400},
    recovery_points=50,
    recovery_days=30,
    thresholds={"restrict_live_selling": 150, "freeze_commission": 100, "suspend": 0},
)
T0 = pd.Timestamp("2025-06-01", tz="UTC")


def _tables(violations=(), cases=()) -> dict[str, pd.DataFrame]:
    """Contract tables holding only what the rating reads: (creator, day, severity, overturned day)
    violations and (creator, closed day, outcome) cases, days counted from T0."""

    def frame(rows, columns: list[str], times: list[str]) -> pd.DataFrame:
        table = pd.DataFrame(list(rows), columns=columns, dtype=object)
        for name in times:
            days = pd.to_numeric(table[name], errors="coerce").astype(float)
            table[name] = T0 + pd.to_timedelta(days, unit="D")
        return table

    return {
        "violations": frame(violations, ["creator_id", "decided_at", "severity", "overturned_at"],
                            ["decided_at", "overturned_at"]),
        "abuse_cases": frame(cases, ["creator_id", "closed_at", "outcome"], ["closed_at"]),
    }  # fmt: skip


def _rating(tables, day: float, creator: str = "a") -> int:
    return int(health_ratings(pd.Series([creator]), tables, T0 + pd.Timedelta(days=day), RULE)[creator])


def test_a_creator_without_history_is_at_full_health_and_not_actioned():
    ratings = health_ratings(pd.Series(["new"]), _tables(), T0, RULE)
    assert ratings["new"] == 1000 and enforcement(ratings, RULE)["new"] is None


def test_deductions_by_severity_then_recovery_over_clean_time():
    tables = _tables([("a", 0, "severe", None), ("a", 10, "moderate", None)])
    assert _rating(tables, 0) == 1000  # decided at the as-of time: not yet known
    assert _rating(tables, 1) == 1000 - 400 + round(50 / 30)
    # 10 clean days earn 50/30 per day back, then 150 more go; 60 more clean days earn 100
    assert _rating(tables, 70) == round(1000 - 400 + 50 * 10 / 30 - 150 + 50 * 60 / 30)


def test_recovery_never_banks_credit_above_the_start():
    tables = _tables([("a", 0, "minor", None), ("a", 400, "severe", None)])
    assert _rating(tables, 399) == 1000
    assert _rating(tables, 401) == 600 + round(50 / 30)  # from 1000, not from 1000 + a year's credit


def test_an_appeal_won_before_the_as_of_time_undoes_the_violation_and_one_won_after_does_not():
    tables = _tables([("a", 0, "severe", 20)])
    assert _rating(tables, 10) < 1000
    assert _rating(tables, 21) == 1000


def test_a_confirmed_case_deducts_once_closed_and_an_open_or_cleared_one_never():
    tables = _tables(cases=[("a", 5, "confirmed"), ("b", 5, "cleared")])
    assert _rating(tables, 5) == 1000 and _rating(tables, 6) == 600 + round(50 / 30)
    assert _rating(tables, 6, "b") == 1000


def test_the_harshest_threshold_reached_decides_the_action():
    ratings = pd.Series({"ok": 151, "at_150": 150, "at_99": 99, "zero": 0})
    actions = enforcement(ratings, RULE)
    assert actions.to_dict() == {
        "ok": None, "at_150": "restrict_live_selling", "at_99": "freeze_commission", "zero": "suspend"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"deductions": {"minor": 1, "moderate": 2}}, "no points for severity 'severe'"),
        ({"confirmed_case_severity": "critical"}, "severity 'critical' is not one of"),
        ({"thresholds": {"suspend": -1}}, "suspend is outside 0..1000"),
        ({"recovery_dayz": 3}, "Extra inputs are not permitted"),
        ({"thresholds": {"banish": 10}}, "thresholds.banish"),
    ],
)
def test_a_bad_rule_is_refused_naming_what_is_wrong(change, message):
    with pytest.raises(ValidationError, match=message):
        HealthRule.model_validate({**RULE.model_dump(), **change})


_VIOLATION = st.tuples(
    st.sampled_from(["a", "b"]),
    st.integers(0, 200),
    st.sampled_from(["minor", "moderate", "severe"]),
    st.one_of(st.none(), st.integers(0, 300)),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_VIOLATION, max_size=12), st.lists(_VIOLATION, max_size=6), st.integers(1, 200))
def test_the_rating_at_t_ignores_facts_known_at_or_after_t(known, later, day):
    """Violations decided at or after t, and appeals won at or after t, change nothing at t."""
    before = [(c, d, s, o if o is None or o >= d else d) for c, d, s, o in known if d < day]
    # the same record, plus later violations and later appeals of known ones
    future = [(c, day + d, s, None) for c, d, s, _ in later]
    appealed = [(c, d, s, o if o is not None and o < day else day + 1) for c, d, s, o in before]
    now = health_ratings(pd.Series(["a", "b"]), _tables(before), T0 + pd.Timedelta(days=day), RULE)
    then = health_ratings(
        pd.Series(["a", "b"]), _tables(appealed + future), T0 + pd.Timedelta(days=day), RULE
    )
    assert now.equals(then)
    assert ((now >= 0) & (now <= 1000)).all()


def _walked(record: list[tuple[int, str]], day: int) -> int:
    """One creator's rating walked deduction by deduction, as the rule reads: recover, then deduct."""
    rating, last = 1000.0, None
    for at, severity in sorted(record):
        if last is not None:
            rating = min(1000.0, rating + 50 / 30 * (at - last))
        rating, last = max(0.0, rating - RULE.deductions[severity]), at
    return round(rating if last is None else min(1000.0, rating + 50 / 30 * (day - last)))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abcde"), st.integers(0, 199), st.sampled_from(list(RULE.deductions))),
        max_size=40,
    )
)
def test_rating_many_creators_at_once_equals_walking_each_path_alone(violations):
    tables = _tables([(c, d, s, None) for c, d, s in violations])
    ratings = health_ratings(pd.Series(list("abcdef")), tables, T0 + pd.Timedelta(days=200), RULE)
    for creator in "abcdef":
        record = [(d, s) for c, d, s in violations if c == creator]
        assert ratings[creator] == _walked(record, 200), creator
