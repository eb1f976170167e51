"""Malformed rows of every kind the validator catches, injected where the log says.

The log is the ground truth for the validator's tests: each injected row must come back
quarantined under its kind, and nothing else may be quarantined except the rows of a
creator whose own row was corrupted.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from creatorscore.contract.schema import TABLES, Kind, Reason, Table

GARBAGE = np.array(["n/a", "12,50 USD", "yesterday", "#REF!", "--"], dtype=object)
# an epoch-zero placeholder, a mistyped year and a "never" sentinel: real timestamps, implausible ones
IMPLAUSIBLE_TIMES = pd.to_datetime(
    ["1970-01-01", "2099-03-01", "9999-12-31 23:59:59"], utc=True, format="ISO8601"
).to_numpy()


def applicable_kinds(table: Table) -> list[Reason]:
    """The reasons a row of this table can be injected with (cascades excluded)."""
    kinds = [Reason.MISSING_VALUE, Reason.BAD_TYPE, Reason.DUPLICATE_ROW]
    if any(c.allowed for c in table.columns):
        kinds.append(Reason.NOT_ALLOWED)
    if any(c.min_value is not None or c.max_value is not None for c in table.columns):
        kinds.append(Reason.OUT_OF_RANGE)
    if _required_times(table):
        kinds.append(Reason.IMPLAUSIBLE_TIME)
    if table.id_column is not None:
        kinds.append(Reason.DUPLICATE_ID)
    if table.time_orders:
        kinds.append(Reason.TIME_ORDER)
    if table.null_when:
        kinds.append(Reason.INCONSISTENT_STATUS)
    if table.name != "creators":
        kinds.append(Reason.UNKNOWN_CREATOR)
    return kinds


def corrupt(
    tables: dict[str, pd.DataFrame], rate: float, rng: np.random.Generator
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Copies of `tables` with about `rate` of each table's rows malformed (at least one row
    per kind), and the log of (table, row, kind, column) for every row injected."""
    out, logs = {}, []
    for table in TABLES:
        frame, log = _corrupt_table(table, tables[table.name], rate, rng)
        out[table.name] = frame
        logs.append(log)
    return out, pd.concat(logs, ignore_index=True)


def _corrupt_table(
    table: Table, frame: pd.DataFrame, rate: float, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = frame.copy()
    kinds = applicable_kinds(table)
    per_kind = max(1, round(rate * len(frame) / len(kinds)))
    unused = np.ones(len(frame), dtype=bool)
    log: list[tuple[int, Reason, str]] = []
    appended: list[pd.DataFrame] = []
    text_column = None

    def pick(candidates: np.ndarray | None = None) -> np.ndarray:
        pool = np.flatnonzero(unused & (True if candidates is None else candidates))
        rows = rng.choice(pool, size=min(per_kind, len(pool)), replace=False)
        unused[rows] = False
        return rows

    for kind in kinds:
        if kind == Reason.MISSING_VALUE:
            required = [c.name for c in table.columns if not c.nullable]
            rows = pick()
            columns = rng.choice(required, size=len(rows))
            for name in required:
                if pd.api.types.is_integer_dtype(frame[name].dtype):
                    frame[name] = frame[name].astype("float64")  # an integer column cannot hold null
                frame.loc[rows[columns == name], name] = None
            log += [(r, kind, c) for r, c in zip(rows, columns, strict=True)]
        elif kind == Reason.BAD_TYPE:
            typed = [c.name for c in table.columns if c.kind in (Kind.TIMESTAMP, Kind.INT, Kind.FLOAT)]
            text_column = str(rng.choice(typed))
            bad_rows = pick(frame[text_column].notna().to_numpy())
            log += [(r, kind, text_column) for r in bad_rows]
        elif kind == Reason.NOT_ALLOWED:
            column = next(c for c in table.columns if c.allowed)
            rows = pick()
            frame.loc[rows, column.name] = rng.choice(
                ["unknown", column.allowed[0].upper() + " "], size=len(rows)
            )
            log += [(r, kind, column.name) for r in rows]
        elif kind == Reason.OUT_OF_RANGE:
            column = next(c for c in table.columns if c.min_value is not None or c.max_value is not None)
            rows = pick()
            too_big = column.max_value is not None
            frame.loc[rows, column.name] = column.max_value + 2 if too_big else -rng.integers(1, 9, len(rows))
            log += [(r, kind, column.name) for r in rows]
        elif kind == Reason.IMPLAUSIBLE_TIME:
            rows = pick()
            columns = rng.choice(_required_times(table), size=len(rows))
            times = rng.choice(IMPLAUSIBLE_TIMES, size=len(rows))
            for name in set(columns):
                frame.loc[rows[columns == name], name] = times[columns == name]
            log += [(r, kind, c) for r, c in zip(rows, columns, strict=True)]
        elif kind in (Reason.DUPLICATE_ROW, Reason.DUPLICATE_ID):
            rows = pick()
            copies = frame.iloc[rows].copy()
            if kind == Reason.DUPLICATE_ID:
                changed = next(c.name for c in table.columns if c.kind == Kind.TIMESTAMP)
                copies[changed] = copies[changed] + timedelta(hours=1)
                log += [(r, kind, table.id_column.name) for r in rows]
            first_new = len(frame) + sum(len(a) for a in appended)
            log += [
                (first_new + k, kind, table.id_column.name if kind == Reason.DUPLICATE_ID else "")
                for k in range(len(rows))
            ]
            appended.append(copies)
        elif kind == Reason.TIME_ORDER:
            rule = table.time_orders[0]
            settled = _settled(table, frame, rule.later)
            rows = pick(settled & frame[rule.earlier].notna().to_numpy())
            frame.loc[rows, rule.later] = frame.loc[rows, rule.earlier] - timedelta(days=1)
            log += [(r, kind, rule.later) for r in rows]
        elif kind == Reason.INCONSISTENT_STATUS:
            rule = table.null_when[0]
            rows = pick(_settled(table, frame, rule.column))
            frame.loc[rows, rule.column] = pd.NaT
            log += [(r, kind, rule.column) for r in rows]
        elif kind == Reason.UNKNOWN_CREATOR:
            rows = pick()
            frame.loc[rows, "creator_id"] = [f"cr-unknown-{k}" for k in range(len(rows))]
            log += [(r, kind, "creator_id") for r in rows]

    frame = pd.concat([frame, *appended], ignore_index=True)
    # the bad values need a text column, as in a spreadsheet export; the rest stay readable
    frame[text_column] = _as_text(frame[text_column])
    frame.loc[bad_rows, text_column] = rng.choice(GARBAGE, size=len(bad_rows))
    rows, reasons, columns = zip(*log, strict=True) if log else ((), (), ())
    return frame, pd.DataFrame(
        {
            "table": pd.array([table.name] * len(rows), dtype="str"),
            "row": np.array(rows, dtype=np.int64),
            "kind": pd.array([str(r) for r in reasons], dtype="str"),
            "column": pd.array(columns, dtype="str"),
        }
    )


def _required_times(table: Table) -> list[str]:
    return [c.name for c in table.columns if c.kind == Kind.TIMESTAMP and not c.nullable]


def _settled(table: Table, frame: pd.DataFrame, column: str) -> np.ndarray:
    """Rows whose status says `column` must be set (a resolved order, a closed case)."""
    rules = [r for r in table.null_when if r.column == column]
    settled = np.ones(len(frame), dtype=bool)
    for rule in rules:
        settled &= (frame[rule.when_column] != rule.when_value).to_numpy(dtype=bool, na_value=False)
    return settled


def _as_text(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        text = values.dt.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    else:
        text = values.astype("str")
    return text.where(values.notna(), None).astype(object)
