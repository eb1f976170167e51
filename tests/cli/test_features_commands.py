"""`creatorscore features build` and `features materialize` on real simulated files."""

from __future__ import annotations

import pandas as pd

from creatorscore.features.store import open_store

from .test_main import _one_line_error, run


def test_features_build_writes_one_row_per_creator_and_as_of(clean_market_dir, tmp_path, definitions):
    out = tmp_path / "train.parquet"
    result = run("features", "build", "--data", str(clean_market_dir), "--out", str(out), "--every", "14d")
    assert result.returncode == 0, result.stderr
    frame = pd.read_parquet(out)
    assert not frame.duplicated(["creator_id", "as_of"]).any()
    assert frame["as_of"].nunique() >= 2
    assert {"abuse_label", "quality_label", *definitions.names} <= set(frame.columns)
    assert "creators" in result.stdout and definitions.version in result.stderr


def test_features_build_at_explicit_as_of_times(clean_market_dir, tmp_path):
    out = tmp_path / "train.parquet"
    result = run(
        "features", "build", "--data", str(clean_market_dir), "--out", str(out),
        "--as-of", "2025-07-20", "--as-of", "2025-07-27",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert sorted(pd.read_parquet(out)["as_of"].dt.strftime("%Y-%m-%d").unique()) == [
        "2025-07-20",
        "2025-07-27",
    ]


def test_as_of_and_every_together_is_a_one_line_error(clean_market_dir, tmp_path):
    result = run(
        "features", "build", "--data", str(clean_market_dir), "--out", str(tmp_path / "t.parquet"),
        "--as-of", "2025-07-20", "--every", "7d",
    )  # fmt: skip
    _one_line_error(result, "--as-of", "--every")


def test_a_malformed_every_is_a_one_line_error(clean_market_dir, tmp_path):
    result = run(
        "features",
        "build",
        "--data",
        str(clean_market_dir),
        "--out",
        str(tmp_path / "t.parquet"),
        "--every",
        "weekly",
    )
    _one_line_error(result, "weekly")


def test_materialize_fills_the_online_store_as_of_the_end_of_the_data(
    clean_market_dir, tmp_path, definitions
):
    uri = f"sqlite:///{tmp_path / 'store.sqlite'}"
    result = run("features", "materialize", "--data", str(clean_market_dir), "--store", uri)
    assert result.returncode == 0, result.stderr
    meta = open_store(uri).metadata()
    assert meta.features == definitions.names and meta.creators > 0
    last_fact = max(
        frame[column].max()
        for path in clean_market_dir.glob("*.parquet")
        for frame in [pd.read_parquet(path)]
        for column in frame.columns
        if column.endswith("_at")
    )
    assert meta.as_of == last_fact.floor("D") + pd.Timedelta(days=1)  # the midnight after the last fact


def test_materialize_rejects_an_unknown_store_scheme(clean_market_dir):
    _one_line_error(
        run("features", "materialize", "--data", str(clean_market_dir), "--store", "redis://x"), "redis://x"
    )
