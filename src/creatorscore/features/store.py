"""The online feature store: the latest feature vector per creator, for scoring by id.

One small interface (`OnlineStore`) with SQLite behind it first; another backend (Redis)
implements the same three methods. Vectors are written by `features materialize` from the
same engine output as the training sets, so the two cannot disagree.
"""

from __future__ import annotations

import json
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from creatorscore.errors import UserError

KEY_COLUMNS = ["creator_id", "as_of", "market", "category"]


@dataclass(frozen=True)
class StoreMetadata:
    as_of: pd.Timestamp
    features: list[str]
    definitions_version: str
    creators: int


class OnlineStore(ABC):
    @abstractmethod
    def write(self, vectors: pd.DataFrame, features: list[str], definitions_version: str) -> None:
        """Replace the store's contents with one row per creator (keys plus `features`)."""

    @abstractmethod
    def read(self, creator_ids: Sequence[str]) -> pd.DataFrame:
        """Vectors of the creators found, in the order asked; unknown ids are absent."""

    @abstractmethod
    def metadata(self) -> StoreMetadata:
        """What the store holds: as-of time, feature names and the definitions' version."""


def open_store(uri: str) -> OnlineStore:
    """A store from its URI; `sqlite:///PATH` is the embedded default."""
    prefix = "sqlite:///"
    if uri.startswith(prefix):
        return SqliteOnlineStore(Path(uri.removeprefix(prefix)))
    raise UserError(f"unsupported store URI {uri!r}: use sqlite:///PATH")


class SqliteOnlineStore(OnlineStore):
    """One row per creator with a REAL column per feature, keyed by creator_id."""

    def __init__(self, path: Path):
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path)

    def write(self, vectors: pd.DataFrame, features: list[str], definitions_version: str) -> None:
        if vectors["creator_id"].duplicated().any():
            raise ValueError("an online store holds one vector per creator")
        as_of = vectors["as_of"].unique()
        if len(as_of) != 1:
            raise ValueError("materialise one as-of time at a time")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        columns = ", ".join(f'"{name}" REAL' for name in features)
        rows = vectors[["creator_id", "market", "category", *features]].astype(object)
        rows = rows.where(rows.notna(), None)
        placeholders = ", ".join("?" * (3 + len(features)))
        meta = {
            "as_of": pd.Timestamp(as_of[0]).isoformat(),
            "features": json.dumps(features),
            "definitions_version": definitions_version,
            "creators": str(len(vectors)),
        }
        with self._connect() as con:  # one transaction: readers see the old or the new vectors
            con.execute("drop table if exists vectors")
            con.execute("drop table if exists meta")
            con.execute(
                f"create table vectors (creator_id TEXT PRIMARY KEY, market TEXT, category TEXT, {columns})"
            )
            con.execute("create table meta (key TEXT PRIMARY KEY, value TEXT)")
            con.executemany(f"insert into vectors values ({placeholders})", rows.itertuples(index=False))
            con.executemany("insert into meta values (?, ?)", meta.items())

    def metadata(self) -> StoreMetadata:
        if not self.path.is_file():
            raise UserError(f"no online store at {self.path}: run `creatorscore features materialize` first")
        with self._connect() as con:
            meta = dict(con.execute("select key, value from meta").fetchall())
        return StoreMetadata(
            as_of=pd.Timestamp(meta["as_of"]),
            features=json.loads(meta["features"]),
            definitions_version=meta["definitions_version"],
            creators=int(meta["creators"]),
        )

    def read(self, creator_ids: Sequence[str]) -> pd.DataFrame:
        meta = self.metadata()
        with self._connect() as con:
            con.execute("create temp table wanted (position INTEGER, creator_id TEXT)")
            con.executemany("insert into wanted values (?, ?)", enumerate(creator_ids))
            cursor = con.execute(
                "select v.* from wanted w join vectors v on v.creator_id = w.creator_id order by w.position"
            )
            names = [d[0] for d in cursor.description]
            frame = pd.DataFrame(cursor.fetchall(), columns=names)
        frame.insert(1, "as_of", pd.Series([meta.as_of] * len(frame), dtype="datetime64[us, UTC]"))
        frame[meta.features] = frame[meta.features].astype("float64").fillna(np.nan)
        return frame[[*KEY_COLUMNS, *meta.features]]
