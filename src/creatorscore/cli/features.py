"""`creatorscore features ...`: training sets, the online store and the feature catalogue."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from creatorscore.cli.options import (
    MOMENT_FORMATS,
    AsOfTimesOption,
    DataOption,
    DefinitionsOption,
    err,
    load_for_features,
    refuse_output_in_inputs,
    span,
    utc,
)
from creatorscore.cli.progress import step
from creatorscore.errors import UserError
from creatorscore.serving.store_uri import DEFAULT_STORE

features_app = typer.Typer(
    help="Point-in-time features: training sets and the online store.", no_args_is_help=True
)


@features_app.command("build")
def features_build(
    data: DataOption,
    out: Annotated[Path, typer.Option(help="Parquet file to write the training set to.")],
    as_of: AsOfTimesOption = None,
    every: Annotated[
        str | None, typer.Option(help="Snapshot spacing such as 7d (default 7d when no --as-of is given).")
    ] = None,
    horizon: Annotated[int, typer.Option(min=1, help="Label horizon in days.")] = 30,
    definitions: DefinitionsOption = None,
) -> None:
    """Build a point-in-time training set: one row per (creator, as-of) with features and labels."""
    from rich.table import Table as RichTable

    from creatorscore.features import snapshots
    from creatorscore.features.labels import LABELS
    from creatorscore.features.training_set import build_training_set
    from creatorscore.outputs import write_table

    if as_of and every:
        raise UserError("give --as-of or --every, not both")
    refuse_output_in_inputs(out, data, definitions)
    tables, defs = load_for_features(data, definitions)
    moments = utc(as_of) if as_of else snapshots.every(tables, span(every or "7d", "--every", "d").days)
    with step(f"computing {len(defs.features)} features at {len(moments)} as-of times"):
        frame = build_training_set(tables, moments, defs, horizon)
    write_table(out, frame)
    summary = RichTable(title=f"Training set {out}")
    for column in ("as_of", "creators", "abuse labelled", "abuse rate", "quality labelled", "mean quality"):
        summary.add_column(column, justify="left" if column == "as_of" else "right")
    for moment, rows in frame.groupby("as_of"):
        abuse, quality = rows[LABELS[0]], rows[LABELS[1]]
        summary.add_row(
            f"{moment:%Y-%m-%d}",
            f"{len(rows):,}",
            f"{abuse.notna().sum():,}",
            f"{abuse.mean():.2%}" if abuse.notna().any() else "-",
            f"{quality.notna().sum():,}",
            f"{quality.mean():.2f}" if quality.notna().any() else "-",
        )
    Console().print(summary)
    err.print(f"{len(frame):,} rows x {len(defs.features)} features (definitions {defs.version}) -> {out}")


@features_app.command("materialize")
def features_materialize(
    data: DataOption,
    store: Annotated[str, typer.Option(help="Online store URI.")] = DEFAULT_STORE,
    as_of: Annotated[
        datetime | None,
        typer.Option(formats=MOMENT_FORMATS, help="As-of time (default: the day after the last fact)."),
    ] = None,
    definitions: DefinitionsOption = None,
) -> None:
    """Write the latest feature vector per creator to the online store."""
    from creatorscore.features import compute_features, snapshots
    from creatorscore.features.store import open_store

    target = open_store(store)
    if store.startswith("sqlite:///"):
        refuse_output_in_inputs(Path(store.removeprefix("sqlite:///")), data, definitions, "--store")
    tables, defs = load_for_features(data, definitions)
    moment = utc([as_of])[0] if as_of else snapshots.default_as_of(tables)
    with step(f"computing {len(defs.features)} features as of {moment:%Y-%m-%d %H:%M}"):
        vectors = compute_features(tables, [moment], defs)
    target.write(vectors, defs.names, defs.version)
    shape = f"{len(vectors):,} creators x {len(defs.features)} features"
    err.print(f"{shape} as of {moment:%Y-%m-%d %H:%M} UTC -> {store}", highlight=False, soft_wrap=True)


@features_app.command("docs")
def features_docs(
    out: Annotated[Path | None, typer.Option(help="Write the Markdown here instead of stdout.")] = None,
    definitions: DefinitionsOption = None,
) -> None:
    """Render the feature catalogue and label rules as Markdown from the definitions."""
    from creatorscore.features import DEFAULT_DIR, load
    from creatorscore.features.docs import render
    from creatorscore.outputs import write_text

    text = render(load(definitions or DEFAULT_DIR))
    if out is None:
        typer.echo(text, nl=False)
    else:
        refuse_output_in_inputs(out, None, definitions)
        write_text(out, text)
