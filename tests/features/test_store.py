"""The online store serves exactly the vectors the training sets are built from, and says in one
line when what it finds is not a store it can read."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pandas as pd
import pytest

from creatorscore.errors import UserError
from creatorscore.features import compute_features
from creatorscore.features.store import open_store
from creatorscore.features.training_set import build_training_set
from tests.features.locking import held_exclusively

WHEN = pd.Timestamp("2025-08-20", tz="UTC")


@pytest.fixture(scope="module")
def store(small_tables, definitions, tmp_path_factory):
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('store') / 'features.sqlite'}")
    store.write(compute_features(small_tables, [WHEN], definitions), definitions.names, definitions.version)
    return store


def test_online_vectors_equal_the_offline_training_rows_value_for_value(store, small_tables, definitions):
    offline = build_training_set(small_tables, [WHEN], definitions).set_index("creator_id")
    ids = offline.index.tolist()
    online = store.read(ids).set_index("creator_id")
    columns = ["as_of", "market", "category", *definitions.names]
    pd.testing.assert_frame_equal(online[columns], offline.loc[ids, columns], check_exact=True)


def test_reads_keep_the_order_asked_and_leave_out_unknown_ids(store, small_tables):
    ids = small_tables["creators"]["creator_id"].tolist()
    asked = [ids[3], "nobody", ids[0], ids[3]]
    assert store.read(asked)["creator_id"].tolist() == [ids[3], ids[0], ids[3]]


def test_the_store_records_what_it_holds(store, definitions, small_tables):
    meta = store.metadata()
    assert meta.as_of == WHEN
    assert meta.features == definitions.names
    assert meta.definitions_version == definitions.version
    assert meta.creators == (small_tables["creators"]["onboarded_at"] < WHEN).sum()


def test_reading_all_gives_every_creator_as_reading_them_by_id(store):
    everyone = store.read_all()
    assert len(everyone) == store.metadata().creators
    pd.testing.assert_frame_equal(everyone, store.read(everyone["creator_id"].tolist()))


def test_an_unsupported_store_uri_is_a_user_error():
    with pytest.raises(UserError, match="redis://x"):
        open_store("redis://x")


def test_reading_a_store_never_materialized_says_what_to_run(tmp_path):
    with pytest.raises(UserError, match="features materialize"):
        open_store(f"sqlite:///{tmp_path / 'none.sqlite'}").read(["a"])


def test_a_reader_sees_a_new_materialisation_without_reopening(small_tables, definitions, tmp_path):
    uri = f"sqlite:///{tmp_path / 'store.sqlite'}"
    reader = open_store(uri)
    first = compute_features(small_tables, [WHEN], definitions)
    open_store(uri).write(first, definitions.names, definitions.version)
    some = first["creator_id"].tolist()[:5]
    assert reader.read(some)["as_of"].iloc[0] == WHEN
    later = compute_features(small_tables, [WHEN + pd.Timedelta(days=7)], definitions)
    generation = reader.metadata().generation
    open_store(uri).write(later, definitions.names, definitions.version)  # another writer
    assert reader.generation() != generation
    assert reader.metadata().generation == reader.generation()
    assert reader.metadata().as_of == WHEN + pd.Timedelta(days=7)
    online = reader.read(some).set_index("creator_id")[definitions.names]
    pd.testing.assert_frame_equal(online, later.set_index("creator_id").loc[some, definitions.names])


def _no_generation_row(path: Path) -> None:
    with sqlite3.connect(path) as con:
        con.execute("create table meta (key TEXT PRIMARY KEY, value TEXT)")


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda path: path.write_bytes(b"not a database, just text" * 100), id="not-sqlite"),
        pytest.param(lambda path: path.write_bytes(b""), id="empty-schema"),
        pytest.param(_no_generation_row, id="no-generation-row"),
    ],
)
def test_a_store_that_is_not_one_is_a_one_line_error_naming_it(tmp_path, spoil):
    path = tmp_path / "store.sqlite"
    spoil(path)
    store = open_store(f"sqlite:///{path}")
    for read in (store.generation, store.metadata, store.read_all):
        with pytest.raises(UserError, match="features materialize") as raised:
            read()
        assert str(path) in str(raised.value) and "\n" not in str(raised.value)


def test_a_reader_holding_the_store_open_sees_a_file_renamed_onto_it(store, tmp_path, definitions):
    """As a materialisation by any writer does: the new file replaces the path, not the contents."""
    path = tmp_path / "store.sqlite"
    vectors = store.read_all()
    open_store(f"sqlite:///{path}").write(vectors, definitions.names, definitions.version)
    reader = open_store(f"sqlite:///{path}")
    before = reader.metadata().generation
    elsewhere = open_store(f"sqlite:///{tmp_path / 'elsewhere' / 'store.sqlite'}")
    elsewhere.write(vectors.head(5), definitions.names, definitions.version)
    after = elsewhere.generation()
    os.replace(tmp_path / "elsewhere" / "store.sqlite", path)
    assert reader.generation() == after != before
    assert reader.read_all()["creator_id"].tolist() == vectors["creator_id"].head(5).tolist()


def test_a_store_another_process_holds_locked_is_reported_after_a_bounded_wait(store, tmp_path, definitions):
    path = tmp_path / "store.sqlite"
    open_store(f"sqlite:///{path}").write(store.read_all(), definitions.names, definitions.version)
    with held_exclusively(path):
        started = time.monotonic()
        with pytest.raises(UserError, match="locked by another process"):
            open_store(f"sqlite:///{path}").metadata()
        assert time.monotonic() - started < 2  # seconds: waited on, not for sqlite3's default 5
