"""One MLflow run per backtest: everything needed to use, audit and compare the model.

The run holds the config, parameters, training-set dataset and fingerprint, git commit,
feature-definitions version, every metric of the model and its baselines, plots, the fold
boosters and pooled test predictions (the evidence), and the served LightGBM model with its
signature, registered under the model's name. `model_record.json` beside them is the model's
one typed record (`record.py`), which every consumer reads.
"""

from __future__ import annotations

import hashlib
import math
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import lightgbm
import pandas as pd

from creatorscore import locations
from creatorscore.explain.tiers import MarketTiers
from creatorscore.training import plots
from creatorscore.training.backtest import MODEL, REFIT_RULE, Backtest, snapshot_spacing
from creatorscore.training.calibration import realised_by_tier, top_quantile_bins
from creatorscore.training.metrics import HEADLINE
from creatorscore.training.mlflow_client import log_dataset, log_lightgbm_model, log_values
from creatorscore.training.mlflow_client import run as mlflow_run
from creatorscore.training.models import best_rounds
from creatorscore.training.record import PREDICTIONS_FILE, RECORD_FILE, Fold, Interval, ModelRecord
from creatorscore.training.registry import (
    MODEL_FILE,
    checksum,
    client,
    evidence_file,
    store_lock,
    tracking_uri,
)

TIER_CALIBRATION = "calibration_where_tiers_act.json"


@dataclass(frozen=True)
class LoggedRun:
    run_id: str
    version: str
    experiment: str


def git_commit() -> str:
    """HEAD of the checkout the package runs from, with '-dirty' when files differ from it; an
    installed wheel's build commit; else "unknown" (never the git repository of the cwd)."""
    repo = locations.checkout()
    if repo is None:
        return locations.build_commit() or "unknown"
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
        )
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                                capture_output=True, text=True, check=True)  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head.stdout.strip() + ("-dirty" if status.stdout.strip() else "")


def artifact_location(uri: str) -> str | None:
    """Artifacts beside a SQLite store (not in whatever directory the command ran from); a
    server decides for itself."""
    if not uri.startswith("sqlite:///"):
        return None
    return (Path(uri.removeprefix("sqlite:///")).resolve().parent / "mlartifacts").as_uri()


def flat_metrics(metrics: dict[str, dict[str, float]], prefix: str = "") -> dict[str, float]:
    """`<scorer>/<segment>/<metric>` -> value, without the undefined ones MLflow cannot chart."""
    return {
        f"{prefix}{scorer}/{key}": float(value)
        for scorer, values in metrics.items()
        for key, value in values.items()
        if value is not None and not math.isnan(value)
    }


def content_digest(frame: pd.DataFrame) -> str:
    """An 8-character fingerprint of every value, the form MLflow's dataset digests take."""
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.md5(hashed.tobytes(), usedforsecurity=False).hexdigest()[:8]


def training_dataset(frame: pd.DataFrame, source: str, name: str):
    """The MLflow dataset record of a training set: source, digest and schema, computed column-wise.

    MLflow's pandas dataset visits every cell in Python twice, once to digest (mapping `type`
    over the frame) and once to infer which columns are required: together about four minutes
    for the 100,000-creator benchmark's training set, longer than training. Here the column
    types come from a thousand rows and requiredness and the digest from whole-column
    operations, a couple of seconds; the record logged is the same kind.
    """
    import mlflow.data
    from mlflow.data.meta_dataset import MetaDataset
    from mlflow.models import infer_signature
    from mlflow.types import ColSpec, Schema

    with warnings.catch_warnings():  # MLflow registers its local source twice and warns it is ambiguous
        warnings.simplefilter("ignore", UserWarning)
        resolved = mlflow.data.from_pandas(frame.head(0), source=source, name=name, digest="-").source
    types = infer_signature(frame.head(1000)).inputs.inputs
    present = frame.notna().all()
    schema = Schema([ColSpec(spec.type, spec.name, required=bool(present[spec.name])) for spec in types])
    return MetaDataset(resolved, name=name, digest=content_digest(frame), schema=schema)


def model_record(
    backtest: Backtest,
    run_id: str,
    version: str,
    definitions_version: str,
    training_set_key: str,
    training_set_digest: str,
    training_rows: int,
    champion_version: str | None,
) -> ModelRecord:
    """The one record of a trained model, from its backtest and where it was logged."""
    config, metrics = backtest.config, backtest.metrics[MODEL]
    gate = (config.promotion.metric, config.promotion.market_metric, "positives")
    intervals = backtest.intervals
    return ModelRecord(
        name=config.name,
        version=version,
        run_id=run_id,
        target=config.target,
        task=config.task,
        feature_names=tuple(backtest.features),
        monotone_constraints=tuple(backtest.monotone),
        definitions_version=definitions_version,
        calibrator=backtest.calibrator,
        rounds=backtest.rounds,
        horizon_days=config.split.horizon_days,
        snapshot_every_days=snapshot_spacing(pd.Series(backtest.refit_snapshots))
        or config.split.snapshot_every_days,
        folds=tuple(
            Fold(
                train=fold.plan.train,
                validation=fold.plan.validation,
                test=fold.plan.test,
                best_iteration=best_rounds(fold.booster),
                calibrator=fold.calibrator,
                booster_sha256=model_file_checksum(fold.booster),
            )
            for fold in backtest.folds
        ),
        split_adapted=backtest.plan.adapted,
        refit=True,
        refit_snapshots=backtest.refit_snapshots,
        refit_rule=REFIT_RULE,
        training_set_key=training_set_key,
        training_set_digest=training_set_digest,
        training_rows=training_rows,
        test_rows_digest=test_rows_digest(backtest.test_scores, config.target),
        gate_metrics={
            key: intervals.get(key, Interval(estimate=value, low=None, high=None))
            for key, value in metrics.items()
            if key.rpartition("/")[2] in gate and not math.isnan(value)
        },
        compared_champion_version=champion_version,
        beats_default_lightgbm=backtest.beats_default_lightgbm(),
        git_commit=git_commit(),
        model_sha256=model_file_checksum(backtest.booster),
    )


def test_rows_digest(scores: pd.DataFrame, target: str) -> str:
    """The same creators, as-of times and labels give the same digest, whatever scored them."""
    keys = scores[["creator_id", "as_of", target]].sort_values(["as_of", "creator_id"], ignore_index=True)
    return content_digest(keys)


def model_file_checksum(booster: lightgbm.Booster) -> str:
    """The SHA-256 of the model file `mlflow.lightgbm.log_model` writes, made by the same call
    (`Booster.save_model`), so loaders can check every byte before LightGBM parses one."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / MODEL_FILE
        booster.save_model(path)
        return checksum(path.read_bytes())


def experiment_id(uri: str, name: str) -> str:
    """The experiment's id, creating it if need be; two commands creating it at once both get it.

    A SQLite store is locked while it is looked up and created; a server may still answer
    "already exists" to the slower of two, which then reads the winner's."""
    from mlflow.exceptions import MlflowException

    mlflow_client = client(uri)
    with store_lock(uri):
        found = mlflow_client.get_experiment_by_name(name)
        if found is not None:
            return found.experiment_id
        try:
            return mlflow_client.create_experiment(name, artifact_location=artifact_location(uri))
        except MlflowException as error:
            if error.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
            return mlflow_client.get_experiment_by_name(name).experiment_id


def log_backtest(
    backtest: Backtest,
    training_set: pd.DataFrame,
    training_set_key: str,
    definitions_version: str,
    source: str,
    uri: str | None = None,
    champion_version: str | None = None,
    *,
    tiers: MarketTiers,
) -> tuple[LoggedRun, ModelRecord]:
    """Log the run, register the served model under its name, and log the model's record.

    `champion_version` names the champion whose evidence models scored this run's test rows
    (their scores are in `backtest.test_scores` as the `champion` column); `tiers` cut the
    test rows' tiers for the calibration per tier. Everything goes
    through one client bound to the store: no MLflow global is read or set."""
    from mlflow.models import infer_signature

    config = backtest.config
    resolved = tracking_uri(uri)
    experiment = f"creatorscore-{config.name}"
    found = experiment_id(resolved, experiment)  # first: it also sets up a new store, under its lock
    mlflow_client = client(resolved)
    beats = backtest.beats_default_lightgbm()
    tests = [moment for fold in backtest.folds for moment in fold.plan.test]
    dataset = training_dataset(training_set, source, f"training_set-{training_set_key}")
    tags = {
        "mlflow.source.git.commit": git_commit(),
        "definitions_version": definitions_version,
        "training_set_key": training_set_key,
        "split_adapted": backtest.plan.adapted or "no",
        "beats_default_lightgbm": {True: "yes", False: "no", None: "undefined"}[beats],
        "training_set_digest": dataset.digest,
        "training_set_rows": len(training_set),
        "training_set_target": config.target,
    }
    with mlflow_run(mlflow_client, found, f"{config.name}-{training_set_key[:8]}", tags) as run_id:
        log_values(
            mlflow_client,
            run_id,
            params={
                **{f"lightgbm.{k}": v for k, v in backtest.params.model_dump().items()},
                **{f"split.{k}": v for k, v in config.split.model_dump().items()},
                "features": len(backtest.features),
                "class_weight": config.class_weight,
                "calibration": config.calibration.method,
                "tuning_trials": backtest.tuning_trials,
                "folds": len(backtest.folds),
                "served_rounds": backtest.rounds,
                "definitions_version": definitions_version,
                "test_as_of": f"{tests[0]:%Y-%m-%d}..{tests[-1]:%Y-%m-%d} ({len(tests)})",
            },
            metrics={
                **flat_metrics(backtest.metrics, "test/"),
                **{f"seconds/{k}": v for k, v in backtest.seconds.items()},
            },
        )
        # two trainings on one training set record the same dataset: MLflow looks it up, then
        # inserts it, and the slower of two at once fails on the unique key (seen in the suite)
        with store_lock(resolved):
            log_dataset(mlflow_client, run_id, dataset, "training")
        mlflow_client.log_dict(run_id, config.model_dump(mode="json"), "config.yaml")
        mlflow_client.log_dict(run_id, backtest.metrics, "metrics.json")
        if config.task == "binary":
            _log_tier_calibration(mlflow_client, run_id, backtest, tiers)
        _log_figures(mlflow_client, run_id, backtest)
        _log_evidence(mlflow_client, run_id, backtest)
        example = training_set[backtest.features].head(5)
        with store_lock(resolved):  # registering numbers the version: one registration at a time
            registered = log_lightgbm_model(
                mlflow_client,
                run_id,
                found,
                backtest.booster,
                signature=infer_signature(example, backtest.booster.predict(example)),
                input_example=example,
                # stated, not inferred: inference re-imports the model in a subprocess, seconds a run
                pip_requirements=[f"lightgbm=={lightgbm.__version__}", f"pandas=={pd.__version__}"],
                registered_name=config.name,
            )
        record = model_record(
            backtest, run_id, registered.version, definitions_version, training_set_key,
            dataset.digest, len(training_set), champion_version,
        )  # fmt: skip
        mlflow_client.log_text(run_id, record.model_dump_json(indent=2), RECORD_FILE)
    mlflow_client.set_model_version_tag(
        config.name, registered.version, "definitions_version", definitions_version
    )
    return LoggedRun(run_id, registered.version, experiment), record


def _log_tier_calibration(mlflow_client, run_id: str, backtest: Backtest, tiers: MarketTiers) -> None:
    """Calibration where the tiers act: the realised rate per tier as metrics, both tables as JSON."""
    scores, target = backtest.test_scores, backtest.config.target
    y, p = scores[target].to_numpy(), scores[MODEL].to_numpy()
    tables = {
        "by_tier": realised_by_tier(y, p, scores["market"].to_numpy(), tiers),
        "top_5pct": top_quantile_bins(y, p),
    }
    log_values(
        mlflow_client,
        run_id,
        metrics={
            f"test/{MODEL}/tier_{row.group}/{field}": getattr(row, field)
            for row in tables["by_tier"].itertuples()
            for field in ("rows", "mean_predicted", "observed")
            if not math.isnan(getattr(row, field))
        },
    )
    mlflow_client.log_dict(
        run_id, {name: table.to_dict(orient="records") for name, table in tables.items()}, TIER_CALIBRATION
    )


def _log_evidence(mlflow_client, run_id: str, backtest: Backtest) -> None:
    """The fold boosters and the pooled test predictions: what a later gate re-scores and compares."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for number, fold in enumerate(backtest.folds):
            path = folder / Path(evidence_file(number)).name
            fold.booster.save_model(path)
            mlflow_client.log_artifact(run_id, str(path), str(Path(evidence_file(number)).parent))
        predictions = folder / PREDICTIONS_FILE
        backtest.test_scores.to_parquet(predictions, index=False)
        mlflow_client.log_artifact(run_id, str(predictions))


def _log_figures(mlflow_client, run_id: str, backtest: Backtest) -> None:
    scores, target, task = backtest.test_scores, backtest.config.target, backtest.config.task
    scorers = list(backtest.metrics)
    figures = {
        "plots/importance.png": plots.importance(
            backtest.features, backtest.booster.feature_importance("gain")
        ),
        "plots/baselines.png": plots.baseline_comparison(
            {n: {k.removeprefix("overall/"): v for k, v in m.items()} for n, m in backtest.metrics.items()},
            HEADLINE[task],
        ),
    }
    if task == "binary":
        figures["plots/roc_pr.png"] = plots.curves(scores, target, scorers)
        figures["plots/calibration.png"] = plots.calibration(scores, target, MODEL)
    else:
        figures["plots/predicted_vs_observed.png"] = plots.predicted_vs_observed(scores, target, MODEL)
    for path, figure in figures.items():
        mlflow_client.log_figure(run_id, figure, path)
