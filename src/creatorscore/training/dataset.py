"""Training sets built once per (data, definitions, snapshot schedule) and reused from a cache."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from creatorscore.contract.schema import TABLES
from creatorscore.features import Definitions
from creatorscore.outputs import write_table
from creatorscore.training.config import TimeSplit
from creatorscore.training.split import snapshot_step

CHUNK = 1 << 20


def data_fingerprint(data_dir: Path) -> str:
    """Hash of every contract table file's name and bytes: any change to the data changes it."""
    digest = hashlib.sha256()
    files = sorted(
        p for t in TABLES for p in data_dir.glob(f"{t.name}.*") if p.suffix in (".parquet", ".csv")
    )
    for path in files:
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            while block := handle.read(CHUNK):
                digest.update(block)
    return digest.hexdigest()[:16]


def training_set_key(fingerprint: str, definitions: Definitions, split: TimeSplit) -> str:
    """Cache key: the same data, definitions and snapshot schedule give the same training set."""
    schedule = f"every{split.snapshot_every_days}d-h{split.horizon_days}d"
    return f"{fingerprint}-{definitions.version}-{schedule}"


def build_or_reuse(
    data_dir: Path, definitions: Definitions, split: TimeSplit, cache_dir: Path, tables_loader
):
    """The cached training set for this key, else one built from `tables_loader()` and cached.

    The key names the configured schedule; a history too short for it is snapshotted more
    often (`split.snapshot_step`), which the backtest reports. Returns (frame, key, reused).
    """
    from creatorscore.features import snapshots
    from creatorscore.features.training_set import build_training_set

    key = training_set_key(data_fingerprint(data_dir), definitions, split)
    path = cache_dir / f"training_set-{key}.parquet"
    if path.is_file():
        return pd.read_parquet(path), key, True
    tables = tables_loader()
    history = (snapshots.last_fact_at(tables) - snapshots.first_fact_at(tables)).days
    moments = snapshots.every(tables, snapshot_step(history, split))
    frame = build_training_set(tables, moments, definitions, split.horizon_days)
    write_table(path, frame)
    return frame, key, False


def read_ground_truth(data_dir: Path) -> pd.DataFrame | None:
    """The simulator's per-creator truth when the folder has it; real platforms have none."""
    path = data_dir / "ground_truth" / "creators.parquet"
    return pd.read_parquet(path) if path.is_file() else None
