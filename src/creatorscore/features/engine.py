"""The one engine that executes feature definitions, in DuckDB, point in time.

For every (creator, as-of t) it aggregates the facts of each source whose knowledge time is
strictly before t and whose event time falls in the feature's window [t - lag - w, t - lag).
Creators onboarded at or after t have no row at t. The result is a pandas DataFrame; nothing
here reads files or keeps state between calls.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Sequence
from itertools import groupby
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from creatorscore.contract.schema import TABLES, Kind
from creatorscore.features.definitions import DefinitionError, Definitions, Feature, Source

KEYS = ["creator_id", "as_of"]
_MIN_MEMORY = 2**30
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
        except duckdb.Error as error:
            _name_the_culprit(con, definitions)
            raise DefinitionError(f"feature definitions do not compile: {_first_line(error)}") from None
    return definitions


def _name_the_culprit(con: duckdb.DuckDBPyConnection, definitions: Definitions) -> None:
    """Compile each feature alone, against a row holding every feature name, and name the
    first that fails (an expression that uses a feature defined after it fails only as a whole)."""
    every_name = ", ".join(f"null::double as {f.name}" for f in definitions.features)
    row = f"select s.*, {every_name} from spine s"
    for feature in definitions.features:
        if feature.kind == "aggregate":
            sql = _aggregate_sql(definitions, [feature])
        elif feature.kind == "expression":
            sql = f"select ({feature.expression})::double from ({row})"
        else:
            sql = f"select percent_rank() over (order by {feature.peer_of}) from ({row})"
        _try(con, f"select * from ({sql}) limit 0", f"feature {feature.name}")


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
    # DuckDB's working memory is capped at the input's own size, spilling beyond it, so a
    # build peaks at about 3x its input tables (tables, engine, result) however large they are
    budget = max(_MIN_MEMORY, sum(int(f.memory_usage(deep=True).sum()) for f in tables.values()))
    # a folder of its own, which DuckDB creates on the first spill and removes on close
    spill = Path(tempfile.gettempdir()) / f"creatorscore-duckdb-{uuid.uuid4().hex}"
    con.execute(f"set memory_limit = '{budget // 2**20}MB'; set temp_directory = '{spill}'")
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
    """Each (source, window, lag) group is one aggregate query into a temp table, joined onto
    the spine; expressions and then peer percentiles are projections on top. Small
    queries keep DuckDB's planning cheap, which dominates on small data."""
    for source in definitions.sources.values():  # in file order: a source may use earlier ones
        _source_view(con, source)
    aggregates = [f for f in definitions.features if f.kind == "aggregate"]

    def group_key(f: Feature) -> tuple:
        return (f.source, f.window or 0, f.lag)

    joins, filled = [], []
    for i, (_, members) in enumerate(groupby(sorted(aggregates, key=group_key), key=group_key)):
        group = list(members)
        con.execute(f"create or replace temp table aggregate_{i} as {_aggregate_sql(definitions, group)}")
        joins.append(f"left join aggregate_{i} g{i} using (creator_id, as_of)")
        filled += [
            f"coalesce(g{i}.{f.name}, {f.neutral})::double as {f.name}"
            if f.neutral is not None
            else f"g{i}.{f.name}"
            for f in group
        ]
    relation = f"select s.*{''.join(', ' + f for f in filled)} from spine s {' '.join(joins)}"
    # one projection: DuckDB lets an expression use the aliases defined before it
    expressions = [
        f"({f.expression})::double as {f.name}" for f in definitions.features if f.kind == "expression"
    ]
    if expressions:
        relation = f"select *, {', '.join(expressions)} from ({relation})"
    con.execute(f"create or replace temp table features as {relation}")
    peers = [f for f in definitions.features if f.kind == "peer"]
    if peers:
        # ranked on a narrow projection: each window sorts its rows, and the wide ones are costly
        ranks = ", ".join(
            f"case when {f.peer_of} is null then null else percent_rank() over (partition by as_of, "
            f"market, category, {f.peer_of} is null order by {f.peer_of}) end as {f.name}"
            for f in peers
        )
        ranked = dict.fromkeys(f.peer_of for f in peers)
        narrow = ", ".join(["creator_id", "as_of", "market", "category", *ranked])
        con.execute(
            f"create or replace temp table peers as select creator_id, as_of, {ranks} "
            f"from (select {narrow} from features)"
        )
        relation = "select * from features join peers using (creator_id, as_of)"
    else:
        relation = "select * from features"
    columns = ", ".join([*SPINE_COLUMNS, *definitions.names])
    query = f"select {columns} from ({relation}) order by as_of, creator_id"
    return _tidy(con.sql(query).to_arrow_table().to_pandas(), definitions)


def _tidy(frame: pd.DataFrame, definitions: Definitions) -> pd.DataFrame:
    """UTC timestamps as the contract has them; every feature a float column (NaN = missing)."""
    for column in ("as_of", "onboarded_at"):
        frame[column] = frame[column].dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    values = frame[definitions.names].astype("float64").replace([np.inf, -np.inf], np.nan)
    frame[definitions.names] = values
    return frame
