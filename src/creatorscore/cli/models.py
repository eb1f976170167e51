"""`creatorscore train`, `promote` and `score`: models backtested, gated and used."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from creatorscore.cli.options import (
    AsOfOption,
    DataOption,
    DefinitionsOption,
    ModelOption,
    PoliciesOption,
    TrackingOption,
    err,
    load_for_features,
    refuse_output_in_inputs,
    utc,
)
from creatorscore.cli.progress import stages, step
from creatorscore.errors import UserError

if TYPE_CHECKING:
    from rich.table import Table as RichTable

    from creatorscore.training.config import ModelConfig


def _model_config(model: str, config: Path | None) -> ModelConfig:
    from creatorscore.training.config import default_config, load_config

    chosen = load_config(config) if config else default_config(model)
    if chosen.name != model:
        raise UserError(f"--config {config} configures {chosen.name}, not --model {model}")
    return chosen


def train(
    model: ModelOption,
    data: DataOption,
    config: Annotated[
        Path | None,
        typer.Option(help="Model config (default: MODEL.yaml in $CREATORSCORE_TRAINING, else training/)."),
    ] = None,
    tracking_uri: TrackingOption = None,
    training_set: Annotated[
        Path | None,
        typer.Option(help="Use this training set (from `features build`) instead of building one."),
    ] = None,
    cache_dir: Annotated[Path, typer.Option(help="Where built training sets are kept for reuse.")] = Path(
        "data/training-sets"
    ),
    definitions: DefinitionsOption = None,
    policies: PoliciesOption = None,
) -> None:
    """Backtest a model on the future, beside its baselines; log and register it in MLflow."""
    import hashlib

    from creatorscore.features import DEFAULT_DIR, load
    from creatorscore.policy import market_tiers
    from creatorscore.training.dataset import build_or_reuse, read_ground_truth
    from creatorscore.training.pipeline import train_model, training_set_from_file

    chosen = _model_config(model, config)
    if not data.is_dir():
        raise UserError(f"--data {data} is not a folder")
    if not training_set:
        refuse_output_in_inputs(cache_dir, data, definitions, "--cache-dir")
    defs = load(definitions or DEFAULT_DIR)
    tiers = market_tiers(policies)  # the run's calibration per tier is judged at these
    if training_set:
        frame = training_set_from_file(training_set, defs)
        key = f"{hashlib.sha256(training_set.read_bytes()).hexdigest()[:16]}-{defs.version}"
    else:
        with step("building or reusing the training set"):
            frame, key, reused = build_or_reuse(
                data, defs, chosen.split, cache_dir, lambda: load_for_features(data, definitions)[0]
            )
        err.print(
            f"training set {key} ({'reused' if reused else 'built'}): {len(frame):,} rows", highlight=False
        )
    with stages() as on_stage:
        trained = train_model(
            frame, chosen, defs, key, str(data), read_ground_truth(data), tracking_uri, on_stage, tiers=tiers
        )
    wide = Console()  # pipes default to 80 columns, too few for a column per scorer
    wide.width = max(wide.width, 130)
    wide.print(_metrics_table(trained))
    record = trained.record
    gate = chosen.promotion.metric
    err.print(
        f"{gate} on the pooled test folds: {record.gate_metrics[f'overall/{gate}'].describe()}",
        highlight=False,
    )
    if record.split_adapted:
        err.print(f"split adapted to the history: {record.split_adapted}", highlight=False, soft_wrap=True)
    if record.beats_default_lightgbm is False:
        err.print(
            f"warning: the shipped config loses to LightGBM with library defaults on "
            f"{chosen.promotion.metric} over the test folds; revisit training/{model}.yaml",
            highlight=False,
            soft_wrap=True,
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
    "lightgbm_defaults": "LightGBM defaults",
    "champion": "champion",
}


def _metrics_table(trained) -> RichTable:
    """Headline test metrics of the model beside its baselines (and the champion's evidence models)."""
    from rich.table import Table as RichTable

    from creatorscore.training.metrics import HEADLINE

    backtest, record = trained.backtest, trained.record
    champion = f"champion v{record.compared_champion_version}"
    columns = {
        champion if name == "champion" else _SCORER_LABELS[name]: metrics
        for name, metrics in backtest.metrics.items()
    }
    table = RichTable(
        title=f"{backtest.config.name} on the future: test {record.describe_test_period()}, "
        f"each fold trained on its past; served model refit on {len(record.refit_snapshots)} snapshots"
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


def promote(
    model: ModelOption,
    version: Annotated[str | None, typer.Option(help="Candidate version (default: the latest).")] = None,
    config: Annotated[Path | None, typer.Option(help="Config holding the promotion rule.")] = None,
    tracking_uri: TrackingOption = None,
    force: Annotated[
        bool, typer.Option(help="Promote although no like-for-like comparison exists (needs --reason).")
    ] = False,
    reason: Annotated[
        str | None, typer.Option(help="Why --force is justified; recorded on the version with the move.")
    ] = None,
) -> None:
    """Move the `champion` alias to a version whose lead over the champion holds beyond noise on the same
    future test rows."""
    from creatorscore.training.promote import promote as run_gate

    if force != bool(reason and reason.strip()):
        raise UserError("--force and --reason TEXT go together: say why the comparison is skipped")
    chosen, decision = run_gate(
        model, version, _model_config(model, config), tracking_uri, reason.strip() if force else None
    )
    if not decision.promote:
        raise UserError(f"{model} v{chosen} not promoted: {decision.reason}")
    err.print(f"{model} v{chosen} is now champion: {decision.reason}", highlight=False, soft_wrap=True)


def score(
    data: DataOption,
    out: Annotated[Path, typer.Option(help="Parquet (or .csv) file to write the scores to.")],
    as_of: AsOfOption = None,
    tracking_uri: TrackingOption = None,
    definitions: DefinitionsOption = None,
    policies: PoliciesOption = None,
) -> None:
    """Score every creator with both champion models at one as-of time, each tier at its market's
    thresholds."""
    from creatorscore.features import compute_features, snapshots
    from creatorscore.outputs import write_table
    from creatorscore.policy import market_tiers
    from creatorscore.scoring.batch import SCORES, check_definitions, score_creators
    from creatorscore.training.registry import load_champion

    refuse_output_in_inputs(out, data, definitions)
    tiers = market_tiers(policies)  # a malformed policy fails before any data is read
    champions = [load_champion(name, tracking_uri) for name in SCORES]
    tables, defs = load_for_features(data, definitions)
    check_definitions(champions, defs.version)
    moment = utc([as_of])[0] if as_of else snapshots.default_as_of(tables)
    with step(f"computing features and scoring as of {moment:%Y-%m-%d %H:%M}"):
        scored = score_creators(compute_features(tables, [moment], defs), *champions, tiers)
    write_table(out, scored)
    wide = Console()
    wide.width = max(wide.width, 110)
    wide.print(_tiers_by_market(scored))
    wide.print(_top_creators(scored))
    versions = ", ".join(f"{m.record.name} v{m.record.version}" for m in champions)
    err.print(
        f"{len(scored):,} creators scored as of {moment:%Y-%m-%d} ({versions}) -> {out}", highlight=False
    )


def _tiers_by_market(scored) -> RichTable:
    """Creators per risk tier in each market: what the review and restrict tiers will ask of reviewers."""
    from rich.table import Table as RichTable

    from creatorscore.explain.tiers import TIERS

    counts = scored.groupby(["market", "risk_tier"]).size().unstack(fill_value=0)
    tiers = [str(tier) for tier in TIERS]
    table = RichTable(title="Creators by risk tier and market")
    for column in ("market", *tiers, "all"):
        table.add_column(column, justify="left" if column == "market" else "right")
    for market, row in counts.iterrows():
        table.add_row(str(market), *(f"{row.get(tier, 0):,}" for tier in tiers), f"{row.sum():,}")
    totals = counts.sum()
    table.add_row("all", *(f"{totals.get(tier, 0):,}" for tier in tiers), f"{len(scored):,}", style="bold")
    return table


TOP = 10


def _top_creators(scored) -> RichTable:
    """The highest abuse risks: who the governance team will look at first."""
    from rich.table import Table as RichTable

    table = RichTable(title=f"Top {TOP} creators by abuse risk")
    columns = ("creator", "market", "abuse risk", "risk tier", "market percentile", "content quality")
    for column in columns:
        table.add_column(column, justify="left" if column in ("creator", "market", "risk tier") else "right")
    for row in scored.nlargest(TOP, "abuse_risk").itertuples():
        table.add_row(
            row.creator_id,
            row.market,
            f"{row.abuse_risk:.1%}",
            row.risk_tier,
            f"{row.abuse_risk_market_pct:.1%}",
            f"{row.content_quality:.2f}",
        )
    return table
