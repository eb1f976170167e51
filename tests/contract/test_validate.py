"""The validator: every bad-row kind is quarantined with its reason, and nothing is lost."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creatorscore.contract import (
    TABLES,
    TABLES_BY_NAME,
    Reason,
    TimeBounds,
    load_marketplace,
    read_tables,
    validate,
)
from creatorscore.contract.read import write_quarantine
from creatorscore.errors import ContractError
from creatorscore.simulate.corrupt import applicable_kinds

CASCADES = {Reason.UNKNOWN_CREATOR, Reason.CREATOR_QUARANTINED}


def test_every_injected_row_is_quarantined_under_the_kind_injected(corrupted_market):
    market, data_dir = corrupted_market
    validated = load_marketplace(data_dir)
    log = market.ground_truth["corruptions"]
    for table in TABLES:
        injected = log[log["table"] == table.name].set_index("row")["kind"]
        rejected = validated.quarantine[table.name].set_index("_source_row")["_reason"]
        missed = injected.index.difference(rejected.index)
        assert missed.empty, f"{table.name}: injected rows accepted: {list(missed)[:5]}"
        wrong = injected[rejected.loc[injected.index].to_numpy() != injected.to_numpy()]
        assert wrong.empty, f"{table.name}: quarantined under another reason: {wrong.head().to_dict()}"


def test_only_rows_of_corrupted_creators_are_quarantined_beyond_the_injected(corrupted_market):
    market, data_dir = corrupted_market
    validated = load_marketplace(data_dir)
    log = market.ground_truth["corruptions"]
    raw_creators = read_tables(data_dir)["creators"]
    bad_creator_rows = log.loc[log["table"] == "creators", "row"]
    clean = raw_creators.drop(index=bad_creator_rows)
    for table in TABLES[1:]:
        rejected = validated.quarantine[table.name]
        extra = rejected[~rejected["_source_row"].isin(log.loc[log["table"] == table.name, "row"])]
        assert set(extra["_reason"]) <= set(CASCADES), table.name
        assert not extra["creator_id"].isin(clean["creator_id"]).any(), table.name
    assert validated.summary["live_sessions"].reasons.get(Reason.CREATOR_QUARANTINED, 0) > 0


def test_every_bad_row_kind_is_exercised_in_every_table_it_applies_to(corrupted_market):
    market, _ = corrupted_market
    log = market.ground_truth["corruptions"]
    for table in TABLES:
        kinds = set(log.loc[log["table"] == table.name, "kind"])
        assert kinds == {str(k) for k in applicable_kinds(table)}, table.name
    assert set(log["kind"]) | CASCADES == {str(r) for r in Reason}


def test_read_equals_accepted_plus_quarantined_and_reasons_add_up(corrupted_market):
    _, data_dir = corrupted_market
    validated = load_marketplace(data_dir)
    for name, s in validated.summary.items():
        assert s.read == s.accepted + s.quarantined == len(read_tables(data_dir)[name])
        assert sum(s.reasons.values()) == s.quarantined
        assert len(validated.tables[name]) == s.accepted
        assert len(validated.quarantine[name]) == s.quarantined


def test_accepted_rows_have_the_contract_types(corrupted_market):
    _, data_dir = corrupted_market
    orders = load_marketplace(data_dir).tables["orders"]
    assert str(orders["created_at"].dtype) == "datetime64[us, UTC]"
    assert orders["amount_usd"].dtype == np.float64
    sessions = load_marketplace(data_dir).tables["live_sessions"]
    assert sessions["duration_s"].dtype == np.int64
    assert orders["order_id"].is_unique


def test_quarantine_files_keep_each_row_as_read_with_its_reasons(corrupted_market, tmp_path):
    _, data_dir = corrupted_market
    validated = load_marketplace(data_dir)
    write_quarantine(validated, tmp_path)
    stored = pd.read_parquet(tmp_path / "orders.parquet")
    raw = read_tables(data_dir)["orders"]
    assert len(stored) == validated.summary["orders"].quarantined
    row = stored.iloc[0]
    assert raw.iloc[row["_source_row"]]["order_id"] == row["order_id"]
    assert row["_reason"] in row["_details"]


def _orders(**columns) -> dict[str, pd.DataFrame]:
    creators = pd.DataFrame(
        {
            "creator_id": ["c1"],
            "market": ["ID"],
            "category": ["beauty"],
            "onboarded_at": ["2026-01-01T00:00:00Z"],
        }
    )
    base = {
        "order_id": ["o1"],
        "creator_id": ["c1"],
        "session_id": [None],
        "buyer_id": ["b1"],
        "created_at": ["2026-02-01T10:00:00Z"],
        "amount_usd": ["12.5"],
        "status": ["completed"],
        "resolved_at": ["2026-02-09T10:00:00Z"],
    }
    orders = pd.DataFrame({**base, **columns})
    empty = {t.name: pd.DataFrame({c.name: pd.Series([], dtype=object) for c in t.columns}) for t in TABLES}
    return {**empty, "creators": creators, "orders": orders}


def test_exact_copies_keep_the_first_and_conflicting_ids_lose_all():
    raw = _orders(
        order_id=["o1", "o1", "o2", "o2"],
        amount_usd=["1", "1", "2", "3"],
        creator_id=["c1"] * 4,
        session_id=[None] * 4,
        buyer_id=["b1"] * 4,
        created_at=["2026-02-01T10:00:00Z"] * 4,
        status=["completed"] * 4,
        resolved_at=["2026-02-09T10:00:00Z"] * 4,
    )
    validated = validate(raw)
    assert validated.tables["orders"]["order_id"].tolist() == ["o1"]
    assert validated.summary["orders"].reasons == {"duplicate_row": 1, "duplicate_id": 2}


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("amount_usd", "twelve", Reason.BAD_TYPE),
        ("amount_usd", "-3", Reason.OUT_OF_RANGE),
        ("amount_usd", "inf", Reason.OUT_OF_RANGE),
        ("created_at", "yesterday", Reason.BAD_TYPE),
        ("created_at", "now", Reason.BAD_TYPE),
        ("created_at", "today", Reason.BAD_TYPE),
        ("buyer_id", "  ", Reason.MISSING_VALUE),
        ("status", "Completed", Reason.NOT_ALLOWED),
        ("resolved_at", "2026-01-01T00:00:00Z", Reason.TIME_ORDER),
        ("resolved_at", None, Reason.INCONSISTENT_STATUS),
        ("creator_id", "c404", Reason.UNKNOWN_CREATOR),
    ],
)
def test_each_bad_value_is_quarantined_with_its_reason(column, value, reason):
    validated = validate(_orders(**{column: [value]}))
    assert validated.summary["orders"].reasons == {str(reason): 1}
    assert validated.quarantine["orders"]["_column"].iloc[0] == column


def test_a_pending_order_with_a_resolution_time_is_inconsistent():
    validated = validate(_orders(status=["pending"]))
    assert validated.summary["orders"].reasons == {"inconsistent_status": 1}


def test_fractional_counts_are_not_integers():
    raw = _orders()
    raw["live_sessions"] = pd.DataFrame(
        {
            "session_id": ["s1"],
            "creator_id": ["c1"],
            "started_at": ["2026-02-01T10:00:00+07:00"],
            "duration_s": [3600.5],
            "peak_viewers": [10],
            "comments": [3],
        }
    )
    assert validate(raw).summary["live_sessions"].reasons == {"bad_type": 1}


def test_naive_and_offset_timestamps_are_read_as_utc():
    raw = _orders(created_at=[pd.Timestamp("2026-02-01 10:00")])
    raw["creators"]["onboarded_at"] = ["2026-01-01T07:00:00+07:00"]
    validated = validate(raw)
    assert validated.tables["orders"]["created_at"].iloc[0] == pd.Timestamp("2026-02-01 10:00", tz="UTC")
    assert validated.tables["creators"]["onboarded_at"].iloc[0] == pd.Timestamp("2026-01-01 00:00", tz="UTC")


def test_extra_columns_pass_through_untouched():
    validated = validate(_orders(voucher_code=["SALE11"]))
    assert validated.tables["orders"]["voucher_code"].tolist() == ["SALE11"]


def test_a_missing_required_table_is_a_contract_error_naming_it():
    raw = _orders()
    del raw["violations"]
    with pytest.raises(ContractError, match="violations"):
        validate(raw)


def test_a_missing_column_is_a_contract_error_naming_table_and_column():
    raw = _orders()
    raw["orders"] = raw["orders"].drop(columns="buyer_id")
    with pytest.raises(ContractError, match="orders.*buyer_id"):
        validate(raw)


def test_timestamps_stored_as_numbers_are_a_contract_error():
    with pytest.raises(ContractError, match="created_at"):
        validate(_orders(created_at=[1_767_000_000]))


def test_optional_tables_may_be_absent():
    raw = _orders()
    del raw["account_links"], raw["campaign_participation"]
    assert set(validate(raw).summary) == {t.name for t in TABLES if t.required}


# --------------------------------------------------------------------------- time bounds

NOW = pd.Timestamp("2026-12-02 12:00", tz="UTC")
GOOD_TIME = "2026-02-01T10:00:00Z"


def _pending(order_ids: list[str], created_at: list) -> dict[str, pd.DataFrame]:
    """Pending orders of one creator created at `created_at`: no resolution, so no time-order check."""
    n = len(order_ids)
    return _orders(
        order_id=order_ids,
        created_at=created_at,
        creator_id=["c1"] * n,
        session_id=[None] * n,
        buyer_id=["b1"] * n,
        amount_usd=["1"] * n,
        status=["pending"] * n,
        resolved_at=[None] * n,
    )


def _two_orders(created_at: str) -> dict[str, pd.DataFrame]:
    return _pending(["good", "odd"], [GOOD_TIME, created_at])


@pytest.mark.parametrize(
    "created_at",
    ["2099-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2015-12-31T23:59:59Z", "1970-01-01T00:00:00Z"],
)
def test_a_time_outside_the_platform_s_life_is_quarantined_as_implausible_naming_the_column(created_at):
    validated = validate(_two_orders(created_at), TimeBounds(now=NOW))
    assert validated.summary["orders"].reasons == {"implausible_time": 1}
    rejected = validated.quarantine["orders"].iloc[0]
    assert (rejected["order_id"], rejected["_column"]) == ("odd", "created_at")
    assert validated.tables["orders"]["order_id"].tolist() == ["good"]


def test_an_implausible_later_time_is_reported_before_the_time_order_it_also_breaks():
    validated = validate(_orders(resolved_at=["2099-02-09T10:00:00Z"]), TimeBounds(now=NOW))
    assert validated.quarantine["orders"]["_column"].tolist() == ["resolved_at"]
    assert validated.summary["orders"].reasons == {"implausible_time": 1}


def test_a_creator_onboarded_in_an_implausible_year_takes_its_rows_with_it():
    raw = _orders()
    raw["creators"]["onboarded_at"] = ["1900-01-01T00:00:00Z"]
    validated = validate(raw, TimeBounds(now=NOW))
    assert validated.summary["creators"].reasons == {"implausible_time": 1}
    assert validated.summary["orders"].reasons == {"creator_quarantined": 1}


def test_the_bound_moves_with_now_and_the_allowed_skew():
    two_hours_ahead = (NOW + pd.Timedelta(hours=2)).isoformat()
    raw = _two_orders(two_hours_ahead)
    assert validate(raw, TimeBounds(now=NOW)).summary["orders"].quarantined == 0
    one_hour = pd.Timedelta(hours=1)
    assert validate(raw, TimeBounds(now=NOW, max_future_skew=one_hour)).summary["orders"].reasons == {
        "implausible_time": 1
    }
    later = TimeBounds(now=NOW + pd.Timedelta(hours=1), max_future_skew=one_hour)
    assert validate(raw, later).summary["orders"].quarantined == 0, "exactly at the bound is accepted"
    assert validate(_two_orders("2017-06-01T00:00:00Z"), TimeBounds(earliest="2018-01-01", now=NOW)).summary[
        "orders"
    ].reasons == {"implausible_time": 1}


def test_without_bounds_the_wall_clock_plus_a_day_is_the_limit():
    now = pd.Timestamp.now(tz="UTC")
    raw = _pending(["soon", "later"], [(now + pd.Timedelta(hours=h)).isoformat() for h in (20, 28)])
    assert validate(raw).quarantine["orders"]["order_id"].tolist() == ["later"]


def test_time_bounds_refuse_a_misspelt_setting_and_read_naive_times_as_utc():
    with pytest.raises(ValueError, match="earlist"):
        TimeBounds(earlist="2016-01-01")
    assert TimeBounds(earliest="2017-01-01T00:00:00").earliest == pd.Timestamp("2017-01-01", tz="UTC")
    with pytest.raises(ValueError, match="earliest"):
        TimeBounds(earliest="2027-01-01", now=NOW)


def _write_folder(raw: dict[str, pd.DataFrame], folder) -> None:
    for name, frame in raw.items():
        frame.to_csv(folder / f"{name}.csv", index=False)


def test_extreme_timestamps_in_csv_text_are_quarantined_without_a_traceback(tmp_path):
    extremes = ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "+10000-01-01"]
    raw = _pending(["good", "max", "min", "expanded"], [GOOD_TIME, *extremes])
    _write_folder(raw, tmp_path)
    validated = load_marketplace(tmp_path, TimeBounds(now=NOW))
    s = validated.summary["orders"]
    assert s.read == 4 == s.accepted + s.quarantined
    reasons = validated.quarantine["orders"].set_index("order_id")["_reason"].to_dict()
    # a year past 9999 cannot even be parsed, so it is a bad timestamp rather than an implausible one
    assert reasons == {"max": "implausible_time", "min": "implausible_time", "expanded": "bad_type"}
    assert validated.tables["orders"]["order_id"].tolist() == ["good"]


YEAR_9999 = 253_402_300_799  # 9999-12-31T23:59:59Z, seconds since the epoch
YEAR_1 = -62_135_596_800  # 0001-01-01T00:00:00Z
YEAR_300000 = 300_000 * 365 * 86_400  # holds in seconds, overflows microseconds
GOOD_SECONDS = int(pd.Timestamp(GOOD_TIME).timestamp())
# 2^64 ns later, in 2610: held in nanoseconds, as INT96 is read by default, it wraps onto GOOD_TIME
WRAPS_ONTO_GOOD = GOOD_SECONDS + 18_446_744_074


@pytest.mark.parametrize(
    ("unit", "tz", "int96"),
    [("s", "UTC", False), ("ms", "UTC", False), ("s", None, False), ("ms", "Asia/Jakarta", False),
     ("ms", None, True)],
)  # fmt: skip
def test_extreme_parquet_timestamps_are_quarantined_without_a_traceback(tmp_path, unit, tz, int96):
    seconds = [GOOD_SECONDS, YEAR_9999, YEAR_1, WRAPS_ONTO_GOOD]
    seconds += [] if unit == "ms" else [YEAR_300000, -YEAR_300000]
    per_second = 1_000 if unit == "ms" else 1
    n = len(seconds)
    raw = _pending([f"o{k}" for k in range(n)], [GOOD_TIME] * n)
    _write_folder({name: frame for name, frame in raw.items() if name != "orders"}, tmp_path)
    orders = pa.Table.from_pandas(raw["orders"].drop(columns="created_at"), preserve_index=False)
    created_at = pa.array([s * per_second for s in seconds], type=pa.timestamp(unit, tz=tz))
    pq.write_table(
        orders.append_column("created_at", created_at),
        tmp_path / "orders.parquet",
        use_deprecated_int96_timestamps=int96,
    )
    validated = load_marketplace(tmp_path, TimeBounds(now=NOW))
    s = validated.summary["orders"]
    assert s.read == n == s.accepted + s.quarantined
    assert s.reasons == {"implausible_time": n - 1}
    assert validated.tables["orders"]["order_id"].tolist() == ["o0"]
    assert validated.tables["orders"]["created_at"].tolist() == [pd.Timestamp(GOOD_TIME)]


def test_csv_tables_are_accepted_like_parquet(clean_market_dir, tmp_path):
    for name, frame in read_tables(clean_market_dir).items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    from_csv = load_marketplace(tmp_path)
    from_parquet = load_marketplace(clean_market_dir)
    for name in from_parquet.tables:
        assert from_csv.summary[name].quarantined == 0, name
        pd.testing.assert_frame_equal(from_csv.tables[name], from_parquet.tables[name], check_dtype=False)


def test_a_table_given_twice_is_a_contract_error(clean_market_dir, tmp_path):
    for name, frame in read_tables(clean_market_dir).items():
        frame.to_parquet(tmp_path / f"{name}.parquet")
    (tmp_path / "orders.csv").write_text("order_id\n")
    with pytest.raises(ContractError, match="orders"):
        read_tables(tmp_path)


def test_an_unreadable_file_is_a_contract_error_naming_it(clean_market_dir, tmp_path):
    for name, frame in read_tables(clean_market_dir).items():
        frame.to_parquet(tmp_path / f"{name}.parquet")
    (tmp_path / "orders.parquet").write_bytes(b"not parquet")
    with pytest.raises(ContractError, match="orders.parquet"):
        read_tables(tmp_path)


cells = st.one_of(
    st.none(),
    st.sampled_from(
        ["", " ", "x", "-1", "0", "7", "2.5", "nan", "inf", "completed", "pending", "2026-02-01T00:00:00Z"]
        + ["2099-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(*[cells] * 8), min_size=0, max_size=25))
def test_any_rows_are_either_accepted_or_quarantined_with_a_reason(rows):
    columns = [c.name for c in TABLES_BY_NAME["orders"].columns]
    raw = _orders()
    raw["orders"] = pd.DataFrame(rows, columns=columns, dtype=object)
    validated = validate(raw)
    s = validated.summary["orders"]
    assert s.read == len(rows) == s.accepted + s.quarantined
    assert sum(s.reasons.values()) == s.quarantined
    assert set(s.reasons) <= {str(r) for r in Reason}
    accepted = validated.tables["orders"]
    assert accepted["order_id"].is_unique
    assert (accepted["amount_usd"] >= 0).all()
    assert not accepted[["order_id", "creator_id", "buyer_id", "created_at", "status"]].isna().any().any()
