"""The `creatorscore` command: one subcommand per pipeline stage.

User mistakes (bad paths, flags, tables) end as one line on stderr and exit code 2; only a
bug in creatorscore itself shows a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from contextvars import ContextVar
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from creatorscore.cli.reports import explain, report_app
from creatorscore.cli.serve import api_key, serve
from creatorscore.contract import TimeBounds
from creatorscore.contract.docs import render as render_contract
from creatorscore.contract.read import default_quarantine, load_marketplace, write_quarantine
from creatorscore.errors import UserError
from creatorscore.outputs import refuse_inside_inputs, write_table, write_text
from creatorscore.simulate.config import SimulationConfig

app = typer.Typer(
    help="Score live-shopping creators for content quality and abuse risk.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
contract_app = typer.Typer(help="The data contract platforms' tables must meet.", no_args_is_help=True)
app.add_typer(contract_app, name="contract")
features_app = typer.Typer(
    help="Point-in-time features: training sets and the online store.", no_args_is_help=True
)
app.add_typer(features_app, name="features")
app.add_typer(report_app, name="report")
app.command()(explain)
app.command()(serve)
app.command("api-key")(api_key)
err = Console(stderr=True)


def main() -> None:
    """Entry point: run the app, turning user errors into one line and exit code 2."""
    # MLflow narrates store creation and registration at INFO (it reads this on import); the
    # commands say what matters, and MLFLOW_LOGGING_LEVEL=INFO brings the narration back
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        app()
    except UserError as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        sys.exit(2)


@app.callback()
def time_bounds(
    earliest: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"],
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
        "max_future_skew": _span(max_future_skew, "--max-future-skew") if max_future_skew else None,
    }
    try:
        _TIME_BOUNDS.set(TimeBounds(**{name: value for name, value in given.items() if value is not None}))
    except ValidationError as error:
        raise _config_error(error) from None


# set by the root command for the one command it runs; every read of a data folder validates with it
_TIME_BOUNDS: ContextVar[TimeBounds | None] = ContextVar("time_bounds", default=None)


def _bounds() -> TimeBounds:
    return _TIME_BOUNDS.get() or TimeBounds()


def _config_error(error: ValidationError) -> UserError:
    def one(problem: dict) -> str:
        flag = "-".join(str(part) for part in problem["loc"]).replace("_", "-")
        message = problem["msg"].removeprefix("Value error, ")
        return f"--{flag}: {message}" if flag else message

    return UserError("; ".join(one(problem) for problem in error.errors()))


def _stages() -> Progress:
    return Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


# the simulator's defaults and help texts live in SimulationConfig; the flags only point at them
_SIM_HELP = {name: field.description for name, field in SimulationConfig.model_fields.items()}
_SIM_DEFAULT = SimulationConfig()
_SIM_START = datetime.combine(_SIM_DEFAULT.start, time())


@app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="Folder to write the tables to (created if absent).")],
    creators: Annotated[int, typer.Option(help=_SIM_HELP["creators"])] = _SIM_DEFAULT.creators,
    days: Annotated[int, typer.Option(help=_SIM_HELP["days"])] = _SIM_DEFAULT.days,
    seed: Annotated[int, typer.Option(help=_SIM_HELP["seed"])] = _SIM_DEFAULT.seed,
    start: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help=_SIM_HELP["start"])] = _SIM_START,
    emerging_after: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help=_SIM_HELP["emerging_after"])
    ] = None,
    corrupt_rate: Annotated[float, typer.Option(help=_SIM_HELP["corrupt_rate"])] = _SIM_DEFAULT.corrupt_rate,
) -> None:
    """Simulate a live-shopping marketplace: contract tables plus ground truth in OUT/ground_truth/."""
    from creatorscore.simulate import simulate as run_simulation
    from creatorscore.simulate import write_marketplace
    from creatorscore.simulate.marketplace import STAGES

    try:
        config = SimulationConfig(
            creators=creators,
            days=days,
            seed=seed,
            start=start.date(),
            emerging_after=emerging_after.date() if emerging_after else None,
            corrupt_rate=corrupt_rate,
        )
    except ValidationError as error:
        raise _config_error(error) from None
    _writable(out)
    with _stages() as progress:
        task = progress.add_task("simulating", total=len(STAGES) + 1)

        def advance(stage: str) -> None:
            progress.update(task, description=stage, advance=1)

        market = run_simulation(config, on_stage=advance)
        progress.update(task, description="writing")
        write_marketplace(market, out)
        progress.update(task, description="done", advance=1)
    sizes = ", ".join(f"{name} {len(frame):,}" for name, frame in market.tables.items())
    err.print(f"wrote {out}: {sizes}", highlight=False, soft_wrap=True)


def _writable(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; give a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create --out {out}: {error.strerror}") from None


@app.command()
def validate(
    data: Annotated[Path, typer.Option(help="Folder holding one <table>.parquet or <table>.csv per table.")],
    quarantine: Annotated[
        Path | None, typer.Option(help="Where rejected rows go (default: DATA-quarantine beside DATA).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")] = False,
) -> None:
    """Check every table against the data contract; quarantine bad rows with their reasons."""
    target = quarantine or default_quarantine(data)
    refuse_inside_inputs(target, "--quarantine", [("--data", data)])
    with err.status("reading and validating"):
        validated = load_marketplace(data, _bounds())
    written = write_quarantine(validated, target)
    if as_json:
        typer.echo(json.dumps(validated.summary_json(), indent=2))
        return
    table = RichTable(title=f"Validation of {data}")
    for column in ("table", "read", "accepted", "quarantined", "reasons"):
        table.add_column(column, justify="right" if column in ("read", "accepted", "quarantined") else "left")
    for name, s in validated.summary.items():
        reasons = "\n".join(f"{reason} {count:,}" for reason, count in sorted(s.reasons.items()))
        table.add_row(name, f"{s.read:,}", f"{s.accepted:,}", f"{s.quarantined:,}", reasons or "-")
    Console().print(table)
    if written:
        err.print(f"quarantined rows written to {target}", highlight=False)


@contract_app.command("docs")
def contract_docs(
    out: Annotated[Path | None, typer.Option(help="Write the Markdown here instead of stdout.")] = None,
) -> None:
    """Render the data contract as Markdown from the schema in the code."""
    text = render_contract()
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_text(out, text)


DataOption = Annotated[
    Path, typer.Option(help="Folder holding the contract tables (see `creatorscore validate`).")
]
DefinitionsOption = Annotated[
    Path | None, typer.Option(help="Feature definitions folder (default: features/).")
]
AsOfOption = Annotated[
    list[datetime] | None,
    typer.Option(
        "--as-of", formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"], help="As-of time (UTC); repeat for more."
    ),
]


def _inputs(data: Path | None, definitions: Path | None) -> list[tuple[str, Path]]:
    """The folders a command reads, which its outputs must stay out of."""
    from creatorscore.features import DEFAULT_DIR

    return [*([("--data", data)] if data else []), ("--definitions", definitions or DEFAULT_DIR)]


def _load_for_features(data: Path, definitions: Path | None):
    """Validated tables and checked definitions, with a one-line account of quarantined rows."""
    from creatorscore.features import DEFAULT_DIR, load

    with err.status("reading and validating"):
        validated = load_marketplace(data, _bounds())
    quarantined = sum(s.quarantined for s in validated.summary.values())
    if quarantined:
        err.print(f"{quarantined:,} rows quarantined and left out; `creatorscore validate` lists them")
    return validated.tables, load(definitions or DEFAULT_DIR)


def _utc(moments: list[datetime]) -> list:
    import pandas as pd

    return [pd.Timestamp(m).tz_localize("UTC") for m in moments]


@features_app.command("build")
def features_build(
    data: DataOption,
    out: Annotated[Path, typer.Option(help="Parquet file to write the training set to.")],
    as_of: AsOfOption = None,
    every: Annotated[
        str | None, typer.Option(help="Snapshot spacing such as 7d (default 7d when no --as-of is given).")
    ] = None,
    horizon: Annotated[int, typer.Option(min=1, help="Label horizon in days.")] = 30,
    definitions: DefinitionsOption = None,
) -> None:
    """Build a point-in-time training set: one row per (creator, as-of) with features and labels."""
    from creatorscore.features import snapshots
    from creatorscore.features.labels import LABELS
    from creatorscore.features.training_set import build_training_set

    if as_of and every:
        raise UserError("give --as-of or --every, not both")
    refuse_inside_inputs(out, "--out", _inputs(data, definitions))
    tables, defs = _load_for_features(data, definitions)
    moments = _utc(as_of) if as_of else snapshots.every(tables, _span(every or "7d", "--every", "d").days)
    with err.status(f"computing {len(defs.features)} features at {len(moments)} as-of times"):
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


_UNIT_SECONDS = {"d": 86_400, "h": 3_600, "m": 60}
_UNIT_EXAMPLES = {"d": "7d", "h": "6h", "m": "30m"}


def _span(text: str, flag: str, units: str = "dhm") -> timedelta:
    """'7d', '6h' or '30m' as a timedelta; a malformed one is a one-line error naming its flag."""
    match = re.fullmatch(r"(\d+)([a-z])", text.strip().lower())
    if match is None or match[2] not in units:
        examples = " or ".join(_UNIT_EXAMPLES[unit] for unit in units)
        raise UserError(f"{flag} {text!r}: give a whole number and a unit, such as {examples}")
    return timedelta(seconds=int(match[1]) * _UNIT_SECONDS[match[2]])


@features_app.command("materialize")
def features_materialize(
    data: DataOption,
    store: Annotated[str, typer.Option(help="Online store URI.")] = "sqlite:///feature_store.sqlite",
    as_of: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"],
            help="As-of time (default: the day after the last fact).",
        ),
    ] = None,
    definitions: DefinitionsOption = None,
) -> None:
    """Write the latest feature vector per creator to the online store."""
    from creatorscore.features import compute_features, snapshots
    from creatorscore.features.store import open_store

    target = open_store(store)
    if store.startswith("sqlite:///"):
        refuse_inside_inputs(Path(store.removeprefix("sqlite:///")), "--store", _inputs(data, definitions))
    tables, defs = _load_for_features(data, definitions)
    moment = _utc([as_of])[0] if as_of else snapshots.default_as_of(tables)
    with err.status(f"computing {len(defs.features)} features as of {moment:%Y-%m-%d %H:%M}"):
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

    text = render(load(definitions or DEFAULT_DIR))
    if out is None:
        typer.echo(text, nl=False)
    else:
        refuse_inside_inputs(out, "--out", _inputs(None, definitions))
        write_text(out, text)


ModelOption = Annotated[str, typer.Option(help="Model name: abuse_risk or content_quality.")]
TrackingOption = Annotated[
    str | None,
    typer.Option(help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db)."),
]


def _model_config(model: str, config: Path | None):
    from creatorscore.training.config import default_config, load_config

    chosen = load_config(config) if config else default_config(model)
    if chosen.name != model:
        raise UserError(f"--config {config} configures {chosen.name}, not --model {model}")
    return chosen


@app.command()
def train(
    model: ModelOption,
    data: DataOption,
    config: Annotated[Path | None, typer.Option(help="Model config (default: training/MODEL.yaml).")] = None,
    tracking_uri: TrackingOption = None,
    training_set: Annotated[
        Path | None,
        typer.Option(help="Use this training set (from `features build`) instead of building one."),
    ] = None,
    cache_dir: Annotated[Path, typer.Option(help="Where built training sets are kept for reuse.")] = Path(
        "data/training-sets"
    ),
    definitions: DefinitionsOption = None,
) -> None:
    """Backtest a model on the future, beside its baselines; log and register it in MLflow."""
    import hashlib

    from creatorscore.features import DEFAULT_DIR, load
    from creatorscore.training.dataset import build_or_reuse, read_ground_truth
    from creatorscore.training.pipeline import train_model, training_set_from_file

    chosen = _model_config(model, config)
    if not data.is_dir():
        raise UserError(f"--data {data} is not a folder")
    if not training_set:
        refuse_inside_inputs(cache_dir, "--cache-dir", _inputs(data, definitions))
    defs = load(definitions or DEFAULT_DIR)
    if training_set:
        frame = training_set_from_file(training_set, defs)
        key = f"{hashlib.sha256(training_set.read_bytes()).hexdigest()[:16]}-{defs.version}"
    else:
        with err.status("building or reusing the training set"):
            frame, key, reused = build_or_reuse(
                data, defs, chosen.split, cache_dir, lambda: _load_for_features(data, definitions)[0]
            )
        err.print(
            f"training set {key} ({'reused' if reused else 'built'}): {len(frame):,} rows", highlight=False
        )
    with err.status(f"training {model}, its baselines and logging to MLflow"):
        trained = train_model(frame, chosen, defs, key, str(data), read_ground_truth(data), tracking_uri)
    wide = Console()  # pipes default to 80 columns, too few for a column per scorer
    wide.width = max(wide.width, 130)
    wide.print(_metrics_table(trained))
    if trained.backtest.plan.adapted:
        err.print(
            f"split adapted to the history: {trained.backtest.plan.adapted}", highlight=False, soft_wrap=True
        )
    run = trained.run
    err.print(
        f"{model} v{run.version} registered (run {run.run_id}, experiment {run.experiment}); "
        f"next: creatorscore promote --model {model}",
        highlight=False,
        soft_wrap=True,
    )


_SCORER_LABELS = {
    "lightgbm": "LightGBM",
    "rule_baseline": "rules",
    "linear_baseline": "linear",
    "hist_gradient_boosting": "sklearn HGB",
}


def _metrics_table(trained) -> RichTable:
    """Headline test metrics of the model beside its baselines (and the champion, re-scored)."""
    from creatorscore.training.metrics import HEADLINE

    backtest = trained.backtest
    plan = backtest.plan
    columns = {_SCORER_LABELS[name]: metrics for name, metrics in backtest.metrics.items()}
    if trained.champion_metrics:
        columns[f"champion v{trained.champion_version}"] = trained.champion_metrics
    table = RichTable(
        title=f"{backtest.config.name} on the future: {len(plan.test)} test snapshots "
        f"{plan.test[0]:%Y-%m-%d}..{plan.test[-1]:%Y-%m-%d}, trained on {len(plan.train)}"
    )
    table.add_column("metric", no_wrap=True)
    for label in columns:
        table.add_column(label, justify="right", no_wrap=True)
    headline = HEADLINE[backtest.config.task]
    rows = [(m, f"overall/{m}") for m in headline]
    rows += [(f"truth {m}", f"truth/{m}") for m in headline[:3]]
    rows += [(f"new creators {m}", f"new_creators/{m}") for m in headline[:2]]
    for label, key in rows:
        values = [metrics.get(key) for metrics in columns.values()]
        if all(v is None for v in values):
            continue
        table.add_row(label, *("-" if v is None or v != v else f"{v:.4f}" for v in values))
    return table


@app.command()
def promote(
    model: ModelOption,
    version: Annotated[str | None, typer.Option(help="Candidate version (default: the latest).")] = None,
    config: Annotated[Path | None, typer.Option(help="Config holding the promotion rule.")] = None,
    tracking_uri: TrackingOption = None,
) -> None:
    """Move the `champion` alias to a version that beats the champion on the same future test period."""
    from creatorscore.training.promote import promote as run_gate

    rule = _model_config(model, config).promotion
    chosen, decision = run_gate(model, version, rule, tracking_uri)
    if not decision.promote:
        raise UserError(f"{model} v{chosen} not promoted: {decision.reason}")
    err.print(f"{model} v{chosen} is now champion: {decision.reason}", highlight=False, soft_wrap=True)


@app.command()
def score(
    data: DataOption,
    out: Annotated[Path, typer.Option(help="Parquet (or .csv) file to write the scores to.")],
    as_of: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"], help="As-of time (default: after the last fact)."
        ),
    ] = None,
    tracking_uri: TrackingOption = None,
    definitions: DefinitionsOption = None,
) -> None:
    """Score every creator with both champion models at one as-of time."""
    from creatorscore.features import compute_features, snapshots
    from creatorscore.scoring.batch import SCORES, check_definitions, score_creators
    from creatorscore.training.registry import load_champion

    refuse_inside_inputs(out, "--out", _inputs(data, definitions))
    champions = [load_champion(name, tracking_uri) for name in SCORES]
    tables, defs = _load_for_features(data, definitions)
    check_definitions(champions, defs.version)
    moment = _utc([as_of])[0] if as_of else snapshots.default_as_of(tables)
    with err.status(f"computing features and scoring as of {moment:%Y-%m-%d %H:%M}"):
        scored = score_creators(compute_features(tables, [moment], defs), *champions)
    write_table(out, scored)
    versions = ", ".join(f"{m.name} v{m.version}" for m in champions)
    err.print(
        f"{len(scored):,} creators scored as of {moment:%Y-%m-%d} ({versions}) -> {out}", highlight=False
    )
