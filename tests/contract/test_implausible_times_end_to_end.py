"""One mistyped year in a data folder, through the real `creatorscore` commands.

Before the contract bounded time, a single livestream dated 2099 moved every creator's as-of time
to 2099 and `features build --every 7d` made a hundred times the rows; a year-9999 order was a
traceback. Now both rows are quarantined and every command sees the history as if they were absent.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from creatorscore.contract import load_marketplace
from creatorscore.features import snapshots
from creatorscore.features.store import open_store
from creatorscore.features.training_set import build_training_set

from ..cli.test_main import run


@pytest.fixture(scope="module")
def mistyped_dir(clean_market_dir, tmp_path_factory):
    """The clean folder plus a livestream in 2099 and a pending order in the year 9999, as Parquet."""
    folder = tmp_path_factory.mktemp("mistyped")
    for path in clean_market_dir.glob("*.parquet"):
        shutil.copy(path, folder / path.name)
    sessions = pd.read_parquet(folder / "live_sessions.parquet")
    stream = sessions.iloc[[0]].assign(session_id="s-2099", started_at=pd.Timestamp("2099-01-01", tz="UTC"))
    pd.concat([sessions, stream]).to_parquet(folder / "live_sessions.parquet", index=False)
    orders = pd.read_parquet(folder / "orders.parquet")
    order = orders.iloc[[0]].assign(
        order_id="o-9999",
        session_id=None,
        created_at=pd.Timestamp("9999-12-31 23:59:59", tz="UTC"),
        status="pending",
        resolved_at=pd.NaT,
    )
    pd.concat([orders, order]).to_parquet(folder / "orders.parquet", index=False)
    return folder


def test_validate_quarantines_a_2099_stream_and_a_year_9999_order_naming_their_columns(
    mistyped_dir, clean_market_dir, tmp_path
):
    result = run("validate", "--data", str(mistyped_dir), "--json", "--quarantine", str(tmp_path))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)["tables"]
    clean = load_marketplace(clean_market_dir).summary
    for table, column, row_id in (
        ("live_sessions", "started_at", "s-2099"),
        ("orders", "created_at", "o-9999"),
    ):
        assert summary[table]["reasons"] == {"implausible_time": 1}, table
        assert summary[table]["accepted"] == clean[table].accepted, "the other rows are untouched"
        quarantined = pd.read_parquet(tmp_path / f"{table}.parquet")
        assert quarantined.iloc[0][[quarantined.columns[0], "_column"]].tolist() == [row_id, column]


def test_materialize_and_build_see_the_history_as_if_the_bad_rows_were_absent(
    mistyped_dir, clean_market_dir, tmp_path, definitions
):
    clean_tables = load_marketplace(clean_market_dir).tables
    as_of = snapshots.default_as_of(clean_tables)  # the midnight after the last accepted fact
    uri = f"sqlite:///{tmp_path / 'store.sqlite'}"
    result = run("features", "materialize", "--data", str(mistyped_dir), "--store", uri)
    assert result.returncode == 0, result.stderr
    assert f"as of {as_of:%Y-%m-%d %H:%M} UTC" in result.stderr
    assert open_store(uri).metadata().as_of == as_of

    out = tmp_path / "train.parquet"
    result = run("features", "build", "--data", str(mistyped_dir), "--every", "7d", "--out", str(out))
    assert result.returncode == 0, result.stderr
    expected = build_training_set(clean_tables, snapshots.every(clean_tables, 7), definitions, 30)
    pd.testing.assert_frame_equal(pd.read_parquet(out), expected, check_dtype=False)
