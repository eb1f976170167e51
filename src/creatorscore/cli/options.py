"""What every stage's commands share: option types, the contract's time bounds, and reading inputs.

Defined once here so the stage modules import from this one module and never from each other.
It imports nothing heavy at module level (`creatorscore --help` loads it): pandas, the contract
loader and the feature definitions are imported inside the functions that use them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextvars import ContextVar
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError

from creatorscore.cli.console import err
from creatorscore.cli.progress import step
from creatorscore.errors import UserError
from creatorscore.locations import VARIABLES

if TYPE_CHECKING:
    import pandas as pd

    from creatorscore.contract.schema import TimeBounds
    from creatorscore.features import Definitions

MOMENT_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]

DataOption = Annotated[
    Path, typer.Option(help="Folder holding the contract tables (see `creatorscore validate`).")
]
DefinitionsOption = Annotated[
    Path | None,
    typer.Option(
        envvar=VARIABLES["features"],
        help="Feature definitions folder (default: the checkout's features/, else the installed copy).",
    ),
]
AsOfOption = Annotated[
    datetime | None,
    typer.Option(formats=MOMENT_FORMATS, help="As-of time (default: after the last fact)."),
]
AsOfTimesOption = Annotated[
    list[datetime] | None,
    typer.Option("--as-of", formats=MOMENT_FORMATS, help="As-of time (UTC); repeat for more."),
]
PoliciesOption = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        envvar=VARIABLES["policies"],
        help="Policies folder: base.yaml and markets/ (default: the checkout's policies/, else the "
        "installed copy).",
    ),
]
TrackingOption = Annotated[
    str | None,
    typer.Option(help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db)."),
]
ModelOption = Annotated[str, typer.Option(help="Model name: abuse_risk or content_quality.")]


def time_bounds(
    earliest: Annotated[
        datetime | None,
        typer.Option(
            formats=MOMENT_FORMATS,
            help="Quarantine facts dated before this (UTC; default 2016-01-01, see docs/data-contract.md).",
        ),
    ] = None,
    max_future_skew: Annotated[
        str | None,
        typer.Option(help="Quarantine facts dated later than now plus this, such as 1d or 6h (default 1d)."),
    ] = None,
) -> None:
    """The contract's time bounds, for every command that reads data (they come before it)."""
    given = {
        "earliest": earliest,
        "max_future_skew": span(max_future_skew, "--max-future-skew") if max_future_skew else None,
    }
    chosen = {name: value for name, value in given.items() if value is not None}
    if not chosen:  # the defaults: bounds() makes them, so a bare command does not load pandas here
        _TIME_BOUNDS.set(None)
        return
    from creatorscore.contract.schema import TimeBounds

    try:
        _TIME_BOUNDS.set(TimeBounds(**chosen))
    except ValidationError as error:
        raise config_error(error) from None


# set by the root command for the one command it runs; every read of a data folder validates with it
_TIME_BOUNDS: ContextVar[TimeBounds | None] = ContextVar("time_bounds", default=None)


def bounds() -> TimeBounds:
    """The time bounds given on the command line, else the contract's defaults."""
    from creatorscore.contract.schema import TimeBounds

    return _TIME_BOUNDS.get() or TimeBounds()


def config_error(error: ValidationError) -> UserError:
    """A pydantic error on flags as one line naming each flag, as a user typed it."""

    def one(problem: dict) -> str:
        flag = "-".join(str(part) for part in problem["loc"]).replace("_", "-")
        message = problem["msg"].removeprefix("Value error, ")
        return f"--{flag}: {message}" if flag else message

    return UserError("; ".join(one(problem) for problem in error.errors()))


_UNIT_SECONDS = {"d": 86_400, "h": 3_600, "m": 60}
_UNIT_EXAMPLES = {"d": "7d", "h": "6h", "m": "30m"}


def span(text: str, flag: str, units: str = "dhm") -> timedelta:
    """'7d', '6h' or '30m' as a timedelta; a malformed one is a one-line error naming its flag."""
    match = re.fullmatch(r"(\d+)([a-z])", text.strip().lower())
    if match is None or match[2] not in units:
        examples = " or ".join(_UNIT_EXAMPLES[unit] for unit in units)
        raise UserError(f"{flag} {text!r}: give a whole number and a unit, such as {examples}")
    return timedelta(seconds=int(match[1]) * _UNIT_SECONDS[match[2]])


def utc(moments: list[datetime]) -> list[pd.Timestamp]:
    """Flag times, which are naive, as the UTC timestamps the feature engine takes."""
    import pandas as pd

    return [pd.Timestamp(m).tz_localize("UTC") for m in moments]


def refuse_output_in_inputs(
    output: Path,
    data: Path | None,
    definitions: Path | None,
    flag: str = "--out",
    also: Sequence[tuple[str, Path]] = (),
) -> None:
    """UserError when `output` lands in the data, the feature definitions or any other input
    (`also`: flag and folder) the command reads."""
    from creatorscore.features import DEFAULT_DIR
    from creatorscore.outputs import refuse_inside_inputs

    read = [*([("--data", data)] if data else []), ("--definitions", definitions or DEFAULT_DIR), *also]
    refuse_inside_inputs(output, flag, read)


def load_for_features(data: Path, definitions: Path | None) -> tuple[dict[str, pd.DataFrame], Definitions]:
    """Validated tables and checked definitions, with a one-line account of quarantined rows."""
    from creatorscore.contract.read import load_marketplace
    from creatorscore.features import DEFAULT_DIR, load

    with step("reading and validating"):
        validated = load_marketplace(data, bounds())
    quarantined = sum(s.quarantined for s in validated.summary.values())
    if quarantined:
        err.print(f"{quarantined:,} rows quarantined and left out; `creatorscore validate` lists them")
    return validated.tables, load(definitions or DEFAULT_DIR)
