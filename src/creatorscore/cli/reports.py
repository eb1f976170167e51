"""`creatorscore report ...` and `creatorscore explain`: reading data and models, writing reports.

The report builders in `creatorscore.reports` are pure; this module is the edge that loads the
champions and the data, and writes HTML or JSON.
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from creatorscore.cli.options import (
    AsOfOption,
    DataOption,
    DefinitionsOption,
    ModelOption,
    TrackingOption,
    err,
    load_for_features,
    refuse_output_in_inputs,
    utc,
)
from creatorscore.cli.progress import step
from creatorscore.errors import UserError

report_app = typer.Typer(
    help="Self-contained HTML reports: case files, model behaviour, cohorts.", no_args_is_help=True
)
OutOption = Annotated[Path, typer.Option(help="HTML file to write.")]


class Format(StrEnum):
    json = "json"
    text = "text"


def _tiers():
    """Each market's tier thresholds, from the policies folder the legal frames are read from."""
    from creatorscore.policy import market_tiers

    return market_tiers()


def _champions(tracking_uri: str | None):
    from creatorscore.scoring.batch import SCORES
    from creatorscore.training.registry import load_champion

    return [load_champion(name, tracking_uri) for name in SCORES]


def _features_at(data: Path, as_of: datetime | None, definitions: Path | None, champions):
    """Tables, definitions and every creator's features at the as-of time, checked against the models."""
    from creatorscore.features import compute_features, snapshots
    from creatorscore.scoring.batch import check_definitions

    tables, defs = load_for_features(data, definitions)
    check_definitions(champions, defs.version)
    moment = utc([as_of])[0] if as_of else snapshots.default_as_of(tables)
    with step(f"computing features of every creator as of {moment:%Y-%m-%d %H:%M}"):
        features = compute_features(tables, [moment], defs)
    if features.empty:
        raise UserError(f"no creator was onboarded before {moment:%Y-%m-%d}")
    return tables, defs, features


def _write(page, out: Path) -> None:
    from creatorscore.outputs import write_text
    from creatorscore.reports.html import render

    if out.is_dir():
        raise UserError(f"--out {out} is a folder; give an .html file")
    write_text(out, render(page))
    typer.echo(str(out))


@report_app.command("creator")
def report_creator(
    data: DataOption,
    out: Annotated[Path, typer.Option(help="HTML file to write (a folder with --top).")],
    creator_id: Annotated[str | None, typer.Option("--id", help="The creator's id.")] = None,
    top: Annotated[
        int | None, typer.Option(min=1, help="Instead of --id: case files of the N highest abuse risks.")
    ] = None,
    as_of: AsOfOption = None,
    tracking_uri: TrackingOption = None,
    definitions: DefinitionsOption = None,
) -> None:
    """A creator's case file: scores, reasons, waterfalls, 90-day timelines, enforcement history."""
    from creatorscore.reports.creator import creator_case_file

    if (creator_id is None) == (top is None):
        raise UserError("give --id or --top, not both and not neither")
    refuse_output_in_inputs(out, data, definitions)
    tiers = _tiers()
    champions = _champions(tracking_uri)
    tables, defs, features = _features_at(data, as_of, definitions, champions)
    if top is None:
        targets = {creator_id: out}
    else:
        risk = champions[0].predict(features)
        highest = features["creator_id"].astype(str).to_numpy()[(-risk).argsort(kind="stable")[:top]]
        targets = {cid: out / f"case-{cid}.html" for cid in highest}
    for cid, path in targets.items():
        with step(f"case file of {cid}"):
            page = creator_case_file(tables, features, defs, *champions, cid, tiers)
        _write(page, path)


@report_app.command("model")
def report_model(
    model: ModelOption,
    out: OutOption,
    data: Annotated[
        Path | None, typer.Option(help="Data the model was trained on (default: the run's recorded source).")
    ] = None,
    version: Annotated[str | None, typer.Option(help="Model version (default: the champion).")] = None,
    tracking_uri: TrackingOption = None,
    definitions: DefinitionsOption = None,
) -> None:
    """A model's global behaviour, logged to MLflow with the model's run under reports/."""
    import pandas as pd

    from creatorscore.reports.model import held_out_rows, model_report
    from creatorscore.scoring.batch import check_definitions
    from creatorscore.training.registry import client, load_model, read_test_predictions

    tiers = _tiers()
    registered = load_model(model, version, tracking_uri)
    record = registered.record
    mlflow_client = client(tracking_uri)
    run = mlflow_client.get_run(record.run_id)
    with tempfile.TemporaryDirectory() as scratch:
        metrics_path = mlflow_client.download_artifacts(record.run_id, "metrics.json", scratch)
        metrics = json.loads(Path(metrics_path).read_text())
    predictions = read_test_predictions(mlflow_client, record)
    data = data or _recorded_source(run)
    refuse_output_in_inputs(out, data, definitions)
    tables, defs = load_for_features(data, definitions)
    check_definitions([registered], defs.version)
    moments = [pd.Timestamp(moment) for moment in record.test_moments]
    with step(f"rebuilding {len(moments)} test snapshots and explaining them"):
        rows = held_out_rows(tables, defs, moments, record.horizon_days, record.target)
        page = model_report(registered, defs, rows, metrics, predictions, tiers)
    _write(page, out)
    mlflow_client.log_artifact(registered.record.run_id, str(out), "reports")
    err.print(f"logged to run {registered.record.run_id} under reports/{out.name}", highlight=False)


def _recorded_source(run) -> Path:
    """The data folder the run's training set was read from, as the run recorded it."""
    for dataset_input in run.inputs.dataset_inputs:
        try:
            uri = json.loads(dataset_input.dataset.source).get("uri", "")
        except (ValueError, AttributeError):
            continue
        path = Path(uri.removeprefix("file://"))
        if path.is_dir():
            return path
    raise UserError(f"the run {run.info.run_id} records no data folder that exists here; give --data")


@report_app.command("cohort")
def report_cohort(
    market: Annotated[str, typer.Option(help="Market code, e.g. ID.")],
    data: DataOption,
    out: OutOption,
    category: Annotated[str | None, typer.Option(help="One category within the market.")] = None,
    as_of: AsOfOption = None,
    tracking_uri: TrackingOption = None,
    definitions: DefinitionsOption = None,
) -> None:
    """What drives scores in one market or category, and its score distribution against the platform."""
    from creatorscore.reports.cohort import cohort_mask, cohort_report

    refuse_output_in_inputs(out, data, definitions)
    tiers = _tiers()
    champions = _champions(tracking_uri)
    _, defs, features = _features_at(data, as_of, definitions, champions)
    cohort_mask(features, market, category)  # an unknown market fails before TreeSHAP runs
    with step("explaining every creator"):
        page = cohort_report(features, defs, *champions, tiers, market, category)
    _write(page, out)


@report_app.command("fairness")
def report_fairness(
    backtest: Annotated[
        Path, typer.Option(help="Folder a `policy backtest` wrote.", exists=True, file_okay=False)
    ],
    data: DataOption,
    out: OutOption,
) -> None:
    """The fairness audit of a policy backtest's decisions: each policy's queued and actioned rates
    per market and tenure band, within each true behaviour."""
    import pandas as pd

    from creatorscore.cli.policy import ACTIONS_FILE, SUMMARY_FILE, fairness_verdict
    from creatorscore.contract.read import load_marketplace
    from creatorscore.policy.fairness import backtest_fairness
    from creatorscore.policy.summary import replay_population
    from creatorscore.reports.fairness import fairness_report
    from creatorscore.training.dataset import read_ground_truth

    refuse_output_in_inputs(out, data, None, also=[("--backtest", backtest)])
    summary_path = backtest / SUMMARY_FILE
    if not summary_path.is_file():
        raise UserError(f"--backtest {backtest} has no {SUMMARY_FILE}: give a folder `policy backtest` wrote")
    replay = next(iter(json.loads(summary_path.read_text())["policies"].values()))["replay"]
    moments = [pd.Timestamp(replay["from"], tz="UTC"), pd.Timestamp(replay["to"], tz="UTC")]
    creators = load_marketplace(data).tables["creators"]
    truth = read_ground_truth(data)
    audits = {}
    for path in sorted(backtest.glob("actions*.parquet")):
        name = "policy" if path.name == ACTIONS_FILE else path.stem.removeprefix("actions-")
        population = replay_population(pd.read_parquet(path), creators, moments, truth)
        audits[name] = backtest_fairness(population) if truth is not None else None
        err.print(f"fairness, {name}: {fairness_verdict(audits[name])}", highlight=False)
    _write(fairness_report(audits, replay), out)


def explain(
    creator_id: Annotated[str, typer.Option("--id", help="The creator's id.")],
    data: DataOption,
    as_of: AsOfOption = None,
    output: Annotated[
        Format,
        typer.Option(
            "--format",
            help="json: the statement of reasons and both explanations; text: the facts in a paragraph.",
        ),
    ] = Format.text,  # fmt: skip
    tracking_uri: TrackingOption = None,
    definitions: DefinitionsOption = None,
) -> None:
    """A creator's statement of reasons in their market's legal frame, with both explanations."""
    from creatorscore.reports.creator import explain_creator

    tiers = _tiers()
    champions = _champions(tracking_uri)
    tables, defs, features = _features_at(data, as_of, definitions, champions)
    explained = explain_creator(features, defs, *champions, creator_id, tables, tiers)
    if output == Format.json:
        typer.echo(explained.model_dump_json(indent=2))
        return
    sor = explained.statement
    typer.echo(sor.decision_facts)
    typer.echo(f"Proposed: {sor.proposed_action}")
    typer.echo(
        f"Content quality {explained.content_quality.score:.2f} "
        f"(market percentile {explained.content_quality_market_pct:.0%}); "
        f"abuse risk market percentile {explained.abuse_risk_market_pct:.0%}."
    )
