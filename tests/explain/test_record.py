"""The enforcement record a statement accounts for: point in time, the record first."""

from __future__ import annotations

import pandas as pd

from creatorscore.explain.record import enforcement_record


def test_the_record_hides_decisions_and_outcomes_after_the_as_of_time(small_tables):
    cases = small_tables["abuse_cases"].dropna(subset=["closed_at"])
    case = cases.loc[(cases["closed_at"] - cases["opened_at"]).idxmax()]
    as_of = case["opened_at"] + (case["closed_at"] - case["opened_at"]) / 2
    record = enforcement_record(small_tables, str(case["creator_id"]), as_of)
    [seen] = [c for c in record.cases if c.case_id == str(case["case_id"])]
    assert seen.outcome == "open" and seen.closed_at is None and seen.abuse_type is None
    assert all(v.decided_at < as_of for v in record.violations)
    assert all(c.opened_at < as_of for c in record.cases)
    assert all(v.overturned_at is None or v.overturned_at < as_of for v in record.violations)
    assert "an open abuse investigation" in record.summary()


def test_a_confirmed_case_closed_before_the_as_of_time_is_in_the_record_and_calls_for_review(small_tables):
    cases = small_tables["abuse_cases"]
    case = cases[cases["outcome"] == "confirmed"].sort_values("closed_at").iloc[0]
    after = case["closed_at"] + pd.Timedelta(days=1)
    record = enforcement_record(small_tables, str(case["creator_id"]), after)
    assert [c.case_id for c in record.confirmed_cases] == [str(case["case_id"])]
    assert record.calls_for_review
    assert f"closed {case['closed_at']:%Y-%m-%d}" in record.summary()
    before = enforcement_record(small_tables, str(case["creator_id"]), case["opened_at"])
    assert not any(c.case_id == str(case["case_id"]) for c in before.cases)


def test_an_overturned_violation_is_not_standing_once_the_appeal_is_known(training_market_dir):
    from creatorscore.contract.read import load_marketplace

    tables = load_marketplace(training_market_dir).tables
    violations = tables["violations"].dropna(subset=["overturned_at"])
    violation = violations.iloc[0]
    creator, vid = str(violation["creator_id"]), str(violation["violation_id"])
    during = enforcement_record(tables, creator, violation["overturned_at"])
    after = enforcement_record(tables, creator, violation["overturned_at"] + pd.Timedelta(hours=1))
    assert any(v.violation_id == vid and v.standing for v in during.violations)
    assert any(v.violation_id == vid and not v.standing for v in after.violations)


def test_an_empty_record_says_so(small_tables):
    record = enforcement_record(small_tables, "nobody", pd.Timestamp("2025-08-01", tz="UTC"))
    assert record.summary() == "no violation and no abuse case before 2025-08-01"
    assert not record.calls_for_review
