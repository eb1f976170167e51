"""The online feature store: the latest feature vector per creator, for scoring by id.

One small interface (`OnlineStore`) with SQLite behind it first; another backend (Redis)
implements the same three methods. Vectors are written by `features materialize` from the
same engine output as the training sets, so the two cannot disagree.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from creatorscore.errors import UserError


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
    """One row per creator, the vector packed as float64 bytes, plus an in-process key index.

    A packed vector is one value to fetch instead of a hundred, and float64 bytes round-trip
    exactly, NaN included. Each reader keeps creator_id -> (rowid, market, category) in
    memory, so a read is integer-key lookups of blobs; the index reloads whenever the store's
    `generation` changes, i.e. after every materialisation, by this process or another.
    """

    CHUNK = 900  # ids per query, under SQLite's limit on bound parameters

    def __init__(self, path: Path):
        self.path = path
        self._con: sqlite3.Connection | None = None
        self._generation: str | None = None
        self._meta: StoreMetadata | None = None
        self._index: dict[str, tuple[int, str, str]] = {}
        self._lock = threading.Lock()

    def write(self, vectors: pd.DataFrame, features: list[str], definitions_version: str) -> None:
        if vectors["creator_id"].duplicated().any():
            raise ValueError("an online store holds one vector per creator")
        as_of = vectors["as_of"].unique()
        if len(as_of) != 1:
            raise ValueError("materialise one as-of time at a time")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        packed = np.ascontiguousarray(vectors[features].to_numpy(dtype="<f8"))
        rows = zip(
            vectors["creator_id"].tolist(),
            vectors["market"].tolist(),
            vectors["category"].tolist(),
            (row.tobytes() for row in packed),
            strict=True,
        )
        meta = {
            "as_of": pd.Timestamp(as_of[0]).isoformat(),
            "features": json.dumps(features),
            "definitions_version": definitions_version,
            "creators": str(len(vectors)),
            "generation": uuid.uuid4().hex,
        }
        with sqlite3.connect(self.path) as con:  # one transaction: readers see old or new
            con.execute("drop table if exists vectors")
            con.execute("drop table if exists meta")
            con.execute(
                "create table vectors (creator_id TEXT UNIQUE, market TEXT, category TEXT, features BLOB)"
            )
            con.execute("create table meta (key TEXT PRIMARY KEY, value TEXT)")
            con.executemany("insert into vectors values (?, ?, ?, ?)", rows)
            con.executemany("insert into meta values (?, ?)", meta.items())

    def _fresh(self) -> sqlite3.Connection:
        """The connection, with metadata and key index current; call under the lock."""
        if self._con is None:
            if not self.path.is_file():
                raise UserError(
                    f"no online store at {self.path}: run `creatorscore features materialize` first"
                )
            self._con = sqlite3.connect(self.path, check_same_thread=False)
            # memory-mapped pages skip a read() call per page: twice as fast on a 500-id batch
            self._con.execute("pragma mmap_size = 1073741824")
        (generation,) = self._con.execute("select value from meta where key = 'generation'").fetchone()
        if generation != self._generation:
            meta = dict(self._con.execute("select key, value from meta").fetchall())
            self._meta = StoreMetadata(
                as_of=pd.Timestamp(meta["as_of"]),
                features=json.loads(meta["features"]),
                definitions_version=meta["definitions_version"],
                creators=int(meta["creators"]),
            )
            keys = self._con.execute("select creator_id, rowid, market, category from vectors")
            self._index = {creator: (rowid, market, category) for creator, rowid, market, category in keys}
            self._generation = generation
        return self._con

    def metadata(self) -> StoreMetadata:
        with self._lock:
            self._fresh()
            return self._meta

    def read(self, creator_ids: Sequence[str]) -> pd.DataFrame:
        with self._lock:
            con = self._fresh()
            meta, index = self._meta, self._index
            found = [index[c] for c in creator_ids if c in index]
            rowids = sorted({rowid for rowid, _, _ in found})
            blobs: dict[int, bytes] = {}
            for start in range(0, len(rowids), self.CHUNK):
                chunk = rowids[start : start + self.CHUNK]
                marks = ",".join("?" * len(chunk))
                blobs.update(
                    con.execute(f"select rowid, features from vectors where rowid in ({marks})", chunk)
                )
        values = np.frombuffer(b"".join(blobs[r] for r, _, _ in found), dtype="<f8")
        frame = pd.DataFrame(
            values.reshape(len(found), len(meta.features)), columns=meta.features, copy=False
        )
        frame.insert(0, "category", pd.array([c for _, _, c in found], dtype="str"))
        frame.insert(0, "market", pd.array([m for _, m, _ in found], dtype="str"))
        frame.insert(
            0, "as_of", pd.DatetimeIndex([meta.as_of], dtype="datetime64[us, UTC]").repeat(len(found))
        )
        frame.insert(0, "creator_id", pd.array([c for c in creator_ids if c in index], dtype="str"))
        return frame
