"""The I/O edge of the contract: find a data folder's tables, read them, write quarantine."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from creatorscore.contract.schema import TABLES, TimeBounds
from creatorscore.contract.validate import Validated, validate
from creatorscore.errors import ContractError
from creatorscore.outputs import PARTIAL, write_table, write_text

SUFFIXES = (".parquet", ".csv")
MANIFEST = "quarantine.json"  # which files of a quarantine folder the quarantine wrote


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
            raw[table.name] = read_table(path)
    return raw


def read_table(path: Path) -> pd.DataFrame:
    """One contract table's file as every reader takes it: the loader and the service's cold start."""
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


def default_quarantine(data_dir: Path) -> Path:
    """Beside the data folder, never in it: inputs are read-only."""
    data_dir = Path(data_dir)
    return data_dir.resolve().parent / f"{data_dir.resolve().name}-quarantine"


def write_quarantine(validated: Validated, out_dir: Path | str) -> list[Path]:
    """One Parquet file per table with rejected rows; text columns keep the values as read.

    The folder belongs to the quarantine: its manifest lists the files it holds, and a folder
    holding anything else (another dataset's tables, say) is refused, since replacing those
    files, or removing the ones of tables now clean, would lose data. The manifest is written
    before the files and again after, so a write cut short still leaves a folder it owns.
    """
    out_dir = Path(out_dir)
    previous = _quarantine_manifest(out_dir)
    rejected_tables = {name: rows for name, rows in validated.quarantine.items() if not rows.empty}
    write_text(out_dir / MANIFEST, json.dumps({"tables": sorted(previous | set(rejected_tables))}))
    for name in previous - set(rejected_tables):
        (out_dir / f"{name}.parquet").unlink(missing_ok=True)
    written = []
    for name, rejected in rejected_tables.items():
        mixed = [c for c in rejected.columns if rejected[c].dtype == object]
        written.append(out_dir / f"{name}.parquet")
        write_table(written[-1], rejected.astype({c: "str" for c in mixed}))
    write_text(out_dir / MANIFEST, json.dumps({"tables": sorted(rejected_tables)}))
    return written


def _quarantine_manifest(out_dir: Path) -> set[str]:
    """The tables an earlier quarantine left in `out_dir`; UserError when it holds other files."""
    if not out_dir.exists():
        return set()
    if not out_dir.is_dir():
        raise ContractError(f"--quarantine {out_dir} is a file; give a folder")
    manifest = out_dir / MANIFEST
    tables: set[str] = set()
    if manifest.is_file():
        try:
            # only contract tables: a crafted manifest must not name files elsewhere to remove
            tables = set(json.loads(manifest.read_text())["tables"]) & {t.name for t in TABLES}
        except (ValueError, KeyError, TypeError):
            raise ContractError(
                f"--quarantine {out_dir}: its {MANIFEST} is unreadable; give another folder"
            ) from None
    owned = {MANIFEST, *(f"{name}.parquet" for name in tables)}
    foreign = sorted(
        p.name for p in out_dir.iterdir() if p.name not in owned and not p.name.endswith(PARTIAL)
    )
    if foreign:
        raise ContractError(
            f"--quarantine {out_dir} holds files a quarantine did not write ({', '.join(foreign[:3])}"
            f"{', ...' if len(foreign) > 3 else ''}); give an empty folder or an earlier quarantine folder"
        )
    return tables
