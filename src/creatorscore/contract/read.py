"""The I/O edge of the contract: find a data folder's tables, read them, write quarantine."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from creatorscore.contract.schema import TABLES, TimeBounds
from creatorscore.contract.validate import Validated, validate
from creatorscore.errors import ContractError

SUFFIXES = (".parquet", ".csv")


def table_path(data_dir: Path, table: str) -> Path | None:
    """The file holding `table`, or None; two candidates for one table is an error."""
    found = [
        data_dir / f"{table}{suffix}" for suffix in SUFFIXES if (data_dir / f"{table}{suffix}").is_file()
    ]
    if len(found) > 1:
        raise ContractError(f"table {table} is given twice ({found[0].name} and {found[1].name}); keep one")
    return found[0] if found else None


def read_tables(data_dir: Path | str) -> dict[str, pd.DataFrame]:
    """Every contract table present in the folder, exactly as stored."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise ContractError(f"data folder {data_dir} does not exist")
    raw = {}
    for table in TABLES:
        path = table_path(data_dir, table.name)
        if path is not None:
            raw[table.name] = _read(path)
    return raw


def _read(path: Path) -> pd.DataFrame:
    try:
        if path.suffix == ".csv":
            # everything as text, only empty cells as null: the validator decides what parses
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        # legacy INT96 timestamps are read as nanoseconds by default, which silently wraps
        # any year past 2262 into a plausible-looking one; microseconds hold them all
        return pd.read_parquet(path, coerce_int96_timestamp_unit="us")
    except (OSError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ContractError(f"cannot read {path}: {first_line}") from error


def load_marketplace(data_dir: Path | str, bounds: TimeBounds | None = None) -> Validated:
    """Read and validate a data folder: the one way every command gets its data."""
    return validate(read_tables(data_dir), bounds)


def write_quarantine(validated: Validated, out_dir: Path | str) -> list[Path]:
    """One Parquet file per table with rejected rows; text columns keep the values as read."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rejected in validated.quarantine.items():
        path = out_dir / f"{name}.parquet"
        if rejected.empty:
            path.unlink(missing_ok=True)
            continue
        mixed = [c for c in rejected.columns if rejected[c].dtype == object]
        rejected.astype({c: "str" for c in mixed}).to_parquet(path, index=False)
        written.append(path)
    return written
