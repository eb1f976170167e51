"""One MLflow run per backtest: everything needed to use, audit and compare the model.

The run holds the config, parameters, training-set dataset and fingerprint, git commit,
feature-definitions version, every metric of the model and its baselines, plots, and the
LightGBM model with its signature, registered under the model's name. `serving.json` next to
it carries what a consumer needs besides the booster (features, calibrator, definitions) and
the booster file's SHA-256, checked before LightGBM reads it.
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

from creatorscore.training import plots
from creatorscore.training.backtest import MODEL, Backtest
from creatorscore.training.metrics import HEADLINE
from creatorscore.training.registry import (
    BUNDLE,
    CHECKSUM,
    MODEL_FILE,
    checksum,
    client,
    store_lock,
    tracking_uri,
)

REPO = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class LoggedRun:
    run_id: str
    version: str
    experiment: str


def git_commit() -> str:
    """HEAD of the repository the package runs from, with '-dirty' when files differ from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        )
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
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


def serving_bundle(backtest: Backtest, definitions_version: str) -> dict:
    """What scoring, explanations and serving need besides the booster itself."""
    return {
        "name": backtest.config.name,
        "task": backtest.config.task,
        "target": backtest.config.target,
        "feature_names": backtest.features,
        "monotone_constraints": backtest.monotone,
        "definitions_version": definitions_version,
        "calibrator": backtest.calibrator.to_json(),
        "best_iteration": int(backtest.booster.best_iteration or backtest.booster.current_iteration()),
        "horizon_days": backtest.config.split.horizon_days,
        "test_period": [str(moment) for moment in backtest.plan.test_period],
        CHECKSUM: model_file_checksum(backtest.booster),
    }


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
    champion: tuple[str, dict[str, dict[str, float]]] | None = None,
) -> LoggedRun:
    """Log the run, register the model under its name and return the run id and version.

    `champion` is (version, metrics of the current champion re-scored on this run's test
    period): the promotion gate compares like with like from these.
    """
    import mlflow
    import mlflow.data
    import mlflow.lightgbm
    from mlflow.models import infer_signature

    config = backtest.config
    resolved = tracking_uri(uri)
    experiment = f"creatorscore-{config.name}"
    found = experiment_id(resolved, experiment)  # first: it also sets up a new store, under its lock
    mlflow.set_tracking_uri(resolved)
    mlflow.set_registry_uri(resolved)
    mlflow.set_experiment(experiment_id=found)
    plan = backtest.plan
    with mlflow.start_run(run_name=f"{config.name}-{training_set_key[:8]}") as run:
        mlflow.set_tags({
            "mlflow.source.git.commit": git_commit(),
            "definitions_version": definitions_version,
            "training_set_key": training_set_key,
            "compared_champion_version": champion[0] if champion else "none",
            "split_adapted": plan.adapted or "no",
        })  # fmt: skip
        mlflow.log_dict(config.model_dump(mode="json"), "config.yaml")
        mlflow.log_params({
            **{f"lightgbm.{k}": v for k, v in backtest.params.model_dump().items()},
            **{f"split.{k}": v for k, v in config.split.model_dump().items()},
            "features": len(backtest.features),
            "class_weight": config.class_weight,
            "calibration": config.calibration.method,
            "tuning_trials": backtest.tuning_trials,
            "best_iteration": int(backtest.booster.best_iteration),
            "definitions_version": definitions_version,
            "train_as_of": f"{plan.train[0]:%Y-%m-%d}..{plan.train[-1]:%Y-%m-%d} ({len(plan.train)})",
            "validation_as_of": f"{plan.validation[0]:%Y-%m-%d}..{plan.validation[-1]:%Y-%m-%d}",
            "test_as_of": f"{plan.test[0]:%Y-%m-%d}..{plan.test[-1]:%Y-%m-%d} ({len(plan.test)})",
        })  # fmt: skip
        dataset = training_dataset(training_set, source, f"training_set-{training_set_key}")
        # two trainings on one training set record the same dataset: MLflow looks it up, then
        # inserts it, and the slower of two at once fails on the unique key (seen in the suite)
        with store_lock(resolved):
            mlflow.log_input(dataset, context="training")
        mlflow.set_tags({
            "training_set_digest": dataset.digest,
            "training_set_rows": len(training_set),
            "training_set_target": config.target,
        })  # fmt: skip
        mlflow.log_metrics(flat_metrics(backtest.metrics, "test/"))
        if champion:
            mlflow.log_metrics(flat_metrics({"champion": champion[1]}, "test/"))
        mlflow.log_metrics({f"seconds/{k}": v for k, v in backtest.seconds.items()})
        mlflow.log_dict(backtest.metrics, "metrics.json")
        mlflow.log_dict(serving_bundle(backtest, definitions_version), BUNDLE)
        _log_figures(backtest)
        example = training_set[backtest.features].head(5)
        signature = infer_signature(example, backtest.booster.predict(example))
        with store_lock(resolved):  # registering numbers the version: one registration at a time
            model_info = mlflow.lightgbm.log_model(
                backtest.booster,
                name="model",
                signature=signature,
                input_example=example,
                registered_model_name=config.name,
                # stated, not inferred: inference re-imports the model in a subprocess, seconds a run
                pip_requirements=[f"lightgbm=={lightgbm.__version__}", f"pandas=={pd.__version__}"],
            )
    version = str(model_info.registered_model_version)
    mlflow.MlflowClient().set_model_version_tag(
        config.name, version, "definitions_version", definitions_version
    )
    return LoggedRun(run.info.run_id, version, experiment)


def _log_figures(backtest: Backtest) -> None:
    import mlflow

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
        mlflow.log_figure(figure, path)
