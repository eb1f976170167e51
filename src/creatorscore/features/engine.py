"""The one engine that executes feature definitions, in DuckDB, point in time.

For every (creator, as-of t) it aggregates the facts of each source whose knowledge time is
strictly before t and whose event time falls in the feature's window [t - lag - w, t - lag).
Creators onboarded at or after t have no row at t. The result is a pandas DataFrame; nothing
here reads files or keeps state between calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

import duckdb
import numpy as np
import pandas as pd

from creatorscore.contract.schema import TABLES, Kind
from creatorscore.features.definitions import DefinitionError, Definitions, Feature, Source

KEYS = ["creator_id", "as_of"]
SPINE_COLUMNS = ["creator_id", "as_of", "market", "category", "onboarded_at"]
_DUCK_TYPES = {
    Kind.ID: "VARCHAR",
    Kind.STRING: "VARCHAR",
    Kind.TIMESTAMP: "TIMESTAMPTZ",
    Kind.FLOAT: "DOUBLE",
    Kind.INT: "BIGINT",
}


def compute_features(
    tables: dict[str, pd.DataFrame], as_of: Sequence[pd.Timestamp], definitions: Definitions
) -> pd.DataFrame:
    """Features for every creator onboarded before each as-of time: one row per (creator, as_of)."""
    with connect(tables, as_of) as con:
        return _run(con, definitions)


def verify(definitions: Definitions) -> Definitions:
    """Compile every source and feature against empty contract tables, so a definition that
    names an unknown table or column fails at load time, naming the definition."""
    with connect({}, []) as con:
        for source in definitions.sources.values():
            _try(
                con,
                f"select creator_id, event_at, known_at from ({source.sql}) limit 0",
                f"source {source.name}",
            )
            _source_view(con, source)
        try:
            _run(con, definitions)
        except duckdb.Error:
            _name_the_culprit(con, definitions)
    return definitions


def _name_the_culprit(con: duckdb.DuckDBPyConnection, definitions: Definitions) -> None:
    """Add features in evaluation order until the query breaks; the last one added is at fault."""
    order = {"aggregate": 0, "expression": 1, "peer": 2}
    done: list[Feature] = []
    for feature in sorted(definitions.features, key=lambda f: order[f.kind]):
        try:
            _run(con, Definitions(sources=definitions.sources, features=[*done, feature]))
        except duckdb.Error as error:
            raise DefinitionError(f"feature {feature.name}: {_first_line(error)}") from None
        done.append(feature)


def _try(con: duckdb.DuckDBPyConnection, sql: str, where: str) -> None:
    try:
        con.execute(sql)
    except duckdb.Error as error:
        raise DefinitionError(f"{where}: {_first_line(error)}") from None


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]


def connect(tables: dict[str, pd.DataFrame], as_of: Sequence[pd.Timestamp]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'; set enable_progress_bar = false")
    for table in TABLES:
        frame = tables.get(table.name)
        if frame is None:  # optional tables may be absent: an empty table with contract columns
            columns = ", ".join(f"{c.name} {_DUCK_TYPES[c.kind]}" for c in table.columns)
            con.execute(f"create table {table.name} ({columns})")
        else:
            con.register(table.name, frame)
    moments = pd.DataFrame({"as_of": pd.to_datetime(list(as_of), utc=True).astype("datetime64[us, UTC]")})
    con.register("as_of_times", moments)
    con.execute(
        "create temp table spine as select c.creator_id, t.as_of, c.market, c.category, c.onboarded_at "
        "from creators c join as_of_times t on c.onboarded_at < t.as_of"
    )
    return con


def _source_view(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    con.execute(f"create or replace temp view source_{source.name} as {source.sql}")


def _window_join(view: str, feature: Feature) -> str:
    """Facts of `view` visible at each spine row's as-of, inside the feature's window."""
    conditions = ["f.creator_id = s.creator_id", "f.known_at < s.as_of"]
    if feature.lag:
        conditions.append(f"f.event_at < s.as_of - interval {feature.lag} day")
    if feature.window is not None:
        conditions.append(f"f.event_at >= s.as_of - interval {feature.window + feature.lag} day")
    return f"select f.*, s.as_of from spine s join {view} f on {' and '.join(conditions)}"


def _aggregate_sql(definitions: Definitions, group: list[Feature]) -> str:
    first = group[0]
    source = definitions.sources[first.source]
    facts = _window_join(f"source_{source.name}", first)
    if source.group_by:
        measures = ", ".join(f"{sql} as {name}" for name, sql in source.measures.items())
        facts = (
            f"select creator_id, as_of, {source.group_by}, {measures} from ({facts}) "
            f"group by creator_id, as_of, {source.group_by}"
        )
    values = ", ".join(f"({f.value})::double as {f.name}" for f in group)
    return f"select creator_id, as_of, {values} from ({facts}) group by creator_id, as_of"


def _run(con: duckdb.DuckDBPyConnection, definitions: Definitions) -> pd.DataFrame:
    for source in definitions.sources.values():  # in file order: a source may use earlier ones
        _source_view(con, source)
    aggregates = [f for f in definitions.features if f.kind == "aggregate"]

    def group_key(f: Feature) -> tuple:
        return (f.source, f.window or 0, f.lag)

    relation = "select * from spine"
    for i, (_, members) in enumerate(groupby(sorted(aggregates, key=group_key), key=group_key)):
        group = list(members)
        filled = ", ".join(
            f"coalesce(g{i}.{f.name}, {f.neutral})::double as {f.name}"
            if f.neutral is not None
            else f"g{i}.{f.name}"
            for f in group
        )
        relation = (
            f"select base.*, {filled} from ({relation}) base "
            f"left join ({_aggregate_sql(definitions, group)}) g{i} using (creator_id, as_of)"
        )
    # expressions read aggregates (and expressions before them); peers may read either
    for feature in (f for f in definitions.features if f.kind == "expression"):
        relation = f"select *, ({feature.expression})::double as {feature.name} from ({relation})"
    for feature in (f for f in definitions.features if f.kind == "peer"):
        x = feature.peer_of
        relation = (
            f"select *, case when {x} is null then null else percent_rank() over "
            f"(partition by as_of, market, category, {x} is null order by {x}) end as {feature.name} "
            f"from ({relation})"
        )
    columns = ", ".join([*SPINE_COLUMNS, *definitions.names])
    frame = (
        con.sql(f"select {columns} from ({relation}) order by as_of, creator_id").to_arrow_table().to_pandas()
    )
    return _tidy(frame, definitions)


def _tidy(frame: pd.DataFrame, definitions: Definitions) -> pd.DataFrame:
    """UTC timestamps as the contract has them; every feature a float column (NaN = missing)."""
    for column in ("as_of", "onboarded_at"):
        frame[column] = frame[column].dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    values = frame[definitions.names].astype("float64").replace([np.inf, -np.inf], np.nan)
    frame[definitions.names] = values
    return frame
