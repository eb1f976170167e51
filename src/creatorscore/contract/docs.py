"""Render the data contract as Markdown from the schema, so the document cannot drift from the code."""

from __future__ import annotations

from datetime import datetime, timedelta

from creatorscore.contract.schema import REASON_DESCRIPTIONS, TABLES, Table, TimeBounds

HEADER = """\
# Data contract

<!-- Generated from src/creatorscore/contract/schema.py by `make docs`; a test fails if it drifts. -->

A platform brings its creator history as a folder of tables, one file per table:
`<table>.parquet`, or `<table>.csv` with a header row (one of the two, not both).
Ids are strings. Timestamps are UTC: a timestamp type (naive values are read as UTC) or
ISO 8601 text. Columns beyond those listed are welcome and passed through untouched.

`creatorscore validate --data DIR` checks every table. A missing required table or column,
or a column whose type can never hold the values it should, stops with exit code 2 and a
message naming it. Bad **rows** never stop the run: each goes to
`DIR-quarantine/<table>.parquet` beside the data folder (never into it: inputs are read-only)
as it was read, with its position in the file (`_source_row`), the first check it failed
(`_reason`, `_column`) and every check it failed (`_details`). The summary counts each row
once, so that for every table `read = accepted + quarantined`. Every later command reads
data through the same loader and sees only accepted rows.

Each table says when its facts become **known** to the platform (its knowledge time).
Point-in-time features use a fact only when its knowledge time is before the as-of time.
"""


def render() -> str:
    parts = [HEADER, "## Tables\n"]
    for table in TABLES:
        parts.append(_table(table))
    parts.append(_time_bounds())
    parts.append("## Quarantine reasons\n")
    parts.append("Checks run in this order; a row is counted under the first it fails.\n")
    parts.append("| reason | meaning |\n| --- | --- |")
    parts.extend(f"| `{reason}` | {text} |" for reason, text in REASON_DESCRIPTIONS.items())
    return "\n".join(parts) + "\n"


def _table(table: Table) -> str:
    lines = [
        f"### `{table.name}` ({'required' if table.required else 'optional'})\n",
        table.description,
        f"Known at: {table.known_at}.\n",
        "| column | type | rules | description |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| `{c.name}` | {c.kind} | {c.rule_text()} | {c.description} |" for c in table.columns]
    for rule in table.time_orders:
        lines.append(f"\n`{rule.later}` may not be earlier than `{rule.earlier}`.")
    for rule in table.null_when:
        lines.append(f"\n`{rule.column}` is null exactly when `{rule.when_column}` is `{rule.when_value}`.")
    return "\n".join(line for line in lines if line != "") + "\n"


def _time_bounds() -> str:
    lines = [
        "## Time bounds\n",
        "Every timestamp column must lie at or after `earliest` and at or before the time of "
        "validation plus `max_future_skew`; a row outside is quarantined as `implausible_time`, so a "
        "mistyped year cannot move the as-of time of every creator. The bounds are settings "
        "(`TimeBounds`):\n",
        "| setting | default | why |",
        "| --- | --- | --- |",
    ]
    for name, field in TimeBounds.model_fields.items():
        default = "the wall clock" if field.default is None else _plain(field.default)
        lines.append(f"| `{name}` | {default} | {field.description} |")
    return "\n".join(lines) + "\n"


def _plain(value: datetime | timedelta) -> str:
    """A default as a reader writes it: `2016-01-01 00:00 UTC`, `1 day`."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if value.seconds or value.microseconds:
        return str(value)
    return f"{value.days} day" + ("" if value.days == 1 else "s")
