"""The online feature store: the latest feature vector per creator, for scoring by id.

One small interface (`OnlineStore`) with SQLite behind it first; another backend (Redis)
implements the same five methods. Vectors are written by `features materialize` from the
same engine output as the training sets, so the two cannot disagree.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from creatorscore.errors import UserError
from creatorscore.outputs import replacing

T = TypeVar("T")


@dataclass(frozen=True)
class StoreMetadata:
    as_of: pd.Timestamp
    features: list[str]
    definitions_version: str
    creators: int
    generation: str  # changes with every materialisation: what a cache of derived values keys on


class OnlineStore(ABC):
    @abstractmethod
    def write(self, vectors: pd.DataFrame, features: list[str], definitions_version: str) -> None:
        """Replace the store's contents with one row per creator (keys plus `features`)."""

    @abstractmethod
    def read(self, creator_ids: Sequence[str]) -> pd.DataFrame:
        """Vectors of the creators found, in the order asked; unknown ids are absent."""

    @abstractmethod
    def read_all(self) -> pd.DataFrame:
        """Every creator's vector: the whole market that percentiles and peer medians rank against."""

    @abstractmethod
    def generation(self) -> str:
        """The latest materialisation's id, cheaply: a change means the vectors changed."""

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
    """One row per creator, the vector packed as float64 bytes; readers hold a snapshot.

    A packed vector is one value to store instead of a hundred, and float64 bytes round-trip
    exactly, NaN included. A reader loads the current materialisation once, as one float64
    matrix with a creator -> row index (about a second and 8 bytes per value: 90 MB for 100,000
    creators x 112 features), and answers reads from it; each read first checks that the path
    still names the file it holds open (a stat) and the file's `generation` (a one-row query),
    and reloads after every materialisation by any process.
    Fetching 500 random blobs from SQLite instead costs more than the 5 ms read budget.

    A generation is written whole into a hidden file beside the store and renamed onto it, so
    the live file is never written: a reader sees the old file or the new one and nothing
    between, a writer killed at any moment leaves the previous store as it was, and a process
    holding a lock on the live file (a reader, a foreign writer) never blocks a materialisation.
    """

    def __init__(self, path: Path):
        self.path = path
        self._con: sqlite3.Connection | None = None
        self._held: tuple[int, int] | None = None  # (device, inode) of the file `_con` reads
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()

    def write(self, vectors: pd.DataFrame, features: list[str], definitions_version: str) -> None:
        if vectors["creator_id"].duplicated().any():
            raise ValueError("an online store holds one vector per creator")
        as_of = vectors["as_of"].unique()
        if len(as_of) != 1:
            raise ValueError("materialise one as-of time at a time")
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
        try:
            with replacing(self.path) as temporary:
                _build(temporary, rows, meta)
        except sqlite3.Error as error:  # "database or disk is full", among others
            raise UserError(
                f"cannot write the online store {self.path} ({error}); the previous store is "
                "untouched: free disk space or give --store a writable folder"
            ) from None

    def generation(self) -> str:
        with self._lock:
            return self._reading(lambda con: _latest_generation(con, self.path))

    def metadata(self) -> StoreMetadata:
        with self._lock:
            return self._current().meta

    def read(self, creator_ids: Sequence[str]) -> pd.DataFrame:
        with self._lock:
            snapshot = self._current()
        row = snapshot.row
        return snapshot.frame(np.fromiter((row[c] for c in creator_ids if c in row), dtype=np.int64))

    def read_all(self) -> pd.DataFrame:
        with self._lock:
            snapshot = self._current()
        return snapshot.frame(np.arange(len(snapshot.row)))

    def _current(self) -> _Snapshot:
        """The snapshot of the latest materialisation; call under the lock."""
        return self._reading(self._snapshot_of)

    def _snapshot_of(self, con: sqlite3.Connection) -> _Snapshot:
        generation = _latest_generation(con, self.path)
        if self._snapshot is None or self._snapshot.meta.generation != generation:
            con.execute("begin")  # metadata and vectors from the same materialisation
            try:
                meta = dict(con.execute("select key, value from meta").fetchall())
                rows = con.execute("select creator_id, market, category, features from vectors")
                ids, markets, categories, blobs = list(zip(*rows.fetchall(), strict=True)) or [()] * 4
            finally:
                con.rollback()
            self._snapshot = _Snapshot.of(meta, ids, markets, categories, blobs)
        return self._snapshot

    def _reading(self, read: Callable[[sqlite3.Connection], T]) -> T:
        """`read` on a connection to the file the path names now; store faults as one UserError."""
        try:
            return read(self._connection())
        except FileNotFoundError:
            raise StoreUnavailable(
                f"no online store at {self.path}: run `creatorscore features materialize` first"
            ) from None
        except (OSError, sqlite3.Error, KeyError, ValueError) as error:
            raise StoreUnavailable(_unreadable(self.path, error)) from None

    def _connection(self) -> sqlite3.Connection:
        """The open connection, reopened when the path names another file than the one held.

        A materialisation renames a new file onto the path, and a connection keeps reading the
        file it opened, so a reader compares the path's device and inode with the held file's.
        """
        now = _identity(self.path)
        if self._con is not None and self._held == now:
            return self._con
        if self._con is not None:
            self._con.close()
            self._con = None
        con = sqlite3.connect(
            f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=LOCK_WAIT, check_same_thread=False
        )
        try:
            con.execute("select 1 from sqlite_master limit 1").fetchall()  # opens and reads the file
            held = _identity(self.path)
        except (sqlite3.Error, OSError):
            con.close()
            raise
        if held != now:  # replaced while opening: which file `con` reads is unknown, so ask again
            con.close()
            return self._connection()
        self._con, self._held = con, held
        return con


LOCK_WAIT = 1.0  # seconds a read waits on a store another process holds locked, then says so


class StoreUnavailable(UserError):
    """The store cannot be read now (missing, locked, not a store): what a server waits out."""


def _identity(path: Path) -> tuple[int, int]:
    status = os.stat(path)
    return status.st_dev, status.st_ino


def _latest_generation(con: sqlite3.Connection, path: Path) -> str:
    row = con.execute("select value from meta where key = 'generation'").fetchone()
    if row is None:
        raise StoreUnavailable(
            f"the online store {path} holds no generation: run `creatorscore features materialize` again"
        )
    return row[0]


def _unreadable(path: Path, error: Exception) -> str:
    """One line for a store that exists but cannot be read: locked by another process, or not a
    store at all (not SQLite, an empty schema, meta rows missing or vectors cut short)."""
    message = _reason(error)
    operational = isinstance(error, sqlite3.OperationalError)
    if operational and "locked" in message:
        return f"the online store {path} is locked by another process: let it finish or stop it"
    if (operational and "no such" in message) or (
        not operational and isinstance(error, sqlite3.DatabaseError | KeyError | ValueError)
    ):
        return (
            f"{path} is not a readable online store ({message}): "
            "run `creatorscore features materialize` to write it again"
        )
    return f"cannot read the online store {path} ({message})"


def _reason(error: Exception) -> str:
    return (error.strerror if isinstance(error, OSError) else None) or str(error)


def _build(path: Path, rows: Iterable[tuple], meta: dict[str, str]) -> None:
    """A whole generation in a new SQLite file, in one transaction."""
    con = sqlite3.connect(path, isolation_level=None)
    try:
        # no journal and no syncs while building: a failed file is deleted, never recovered, and
        # the finished file is synced once before it is renamed into place
        con.execute("pragma journal_mode = off")
        con.execute("pragma synchronous = off")
        con.execute("begin")
        con.execute(
            "create table vectors (creator_id TEXT UNIQUE, market TEXT, category TEXT, features BLOB)"
        )
        con.execute("create table meta (key TEXT PRIMARY KEY, value TEXT)")
        con.executemany("insert into vectors values (?, ?, ?, ?)", rows)
        con.executemany("insert into meta values (?, ?)", meta.items())
        con.execute("commit")
    finally:
        con.close()


@dataclass(frozen=True)
class _Snapshot:
    """One materialisation as a reader holds it in memory."""

    meta: StoreMetadata
    row: dict[str, int]
    keys: dict[str, pd.api.extensions.ExtensionArray]  # creator_id, as_of, market, category
    matrix: np.ndarray

    @classmethod
    def of(cls, meta: dict[str, str], ids, markets, categories, blobs) -> _Snapshot:
        """From the rows of one materialisation's meta and vectors tables."""
        features, as_of = json.loads(meta["features"]), pd.Timestamp(meta["as_of"])
        return cls(
            meta=StoreMetadata(
                as_of=as_of,
                features=features,
                definitions_version=meta["definitions_version"],
                creators=int(meta["creators"]),
                generation=meta["generation"],
            ),
            row={creator: i for i, creator in enumerate(ids)},
            keys={
                "creator_id": pd.array(ids, dtype="str"),
                "as_of": pd.DatetimeIndex([as_of] * len(ids), dtype="datetime64[us, UTC]").array,
                "market": pd.array(markets, dtype="str"),
                "category": pd.array(categories, dtype="str"),
            },
            matrix=np.frombuffer(b"".join(blobs), dtype="<f8").reshape(len(ids), len(features)),
        )

    def frame(self, rows: np.ndarray) -> pd.DataFrame:
        # per-column takes and one concat: inserting columns one by one costs 3 ms a read
        keys = pd.DataFrame({name: column.take(rows) for name, column in self.keys.items()})
        values = pd.DataFrame(self.matrix[rows], columns=self.meta.features, copy=False)
        return pd.concat([keys, values], axis=1)
