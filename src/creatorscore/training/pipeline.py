"""Train one model end to end: training set, backtest, champion comparison, MLflow run.

The CLI, the notebook and the benchmark all call `train_model`, so none of them holds
training logic of its own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from creatorscore.errors import UserError
from creatorscore.features import Definitions
from creatorscore.training.backtest import Backtest, latent_truth, run_backtest
from creatorscore.training.config import ModelConfig
from creatorscore.training.metrics import segment_metrics
from creatorscore.training.registry import load_champion, registry_error, tracking_uri
from creatorscore.training.tracking import LoggedRun, log_backtest

STALE = "stale-definitions"


@dataclass(frozen=True)
class TrainedModel:
    backtest: Backtest
    run: LoggedRun
    champion_version: str | None
    champion_metrics: dict[str, float]
    seconds: dict[str, float]


def champion_on_test_period(
    backtest: Backtest,
    frame: pd.DataFrame,
    definitions: Definitions,
    truth: pd.DataFrame | None,
    uri: str | None,
) -> tuple[str, dict[str, float]] | None:
    """The current champion re-scored on this backtest's test rows, or None without a champion."""
    config = backtest.config
    try:
        champion = load_champion(config.name, uri)
    except UserError:
        return None
    if champion.definitions_version != definitions.version:
        return STALE, {}
    rows = frame[frame["as_of"].isin(backtest.plan.test) & frame[config.target].notna()]
    scores = pd.Series(champion.predict(rows), index=rows.index)
    truth_rows = latent_truth(rows, truth, config.task) if truth is not None else None
    return champion.version, segment_metrics(rows, config.target, scores, config.task, truth_rows)


def train_model(
    frame: pd.DataFrame,
    config: ModelConfig,
    definitions: Definitions,
    training_set_key: str,
    source: str,
    truth: pd.DataFrame | None = None,
    uri: str | None = None,
) -> TrainedModel:
    """Backtest the config on the training set, compare with the champion, log and register."""
    missing = [name for name in ("creator_id", "as_of", config.target) if name not in frame.columns]
    if missing:
        raise UserError(
            f"the training set lacks columns {missing}; build it with `creatorscore features build`"
        )
    from mlflow.exceptions import MlflowException

    backtest = run_backtest(frame, config, definitions, truth)
    champion = champion_on_test_period(backtest, frame, definitions, truth, uri)
    started = time.perf_counter()
    try:
        run = log_backtest(backtest, frame, training_set_key, definitions.version, source, uri, champion)
    except MlflowException as error:
        raise registry_error(error, tracking_uri(uri)) from None
    seconds = {**backtest.seconds, "mlflow_logging": time.perf_counter() - started}
    version, metrics = champion or (None, {})
    return TrainedModel(backtest, run, version, metrics, seconds)


def training_set_from_file(path: Path, definitions: Definitions) -> pd.DataFrame:
    """A training set written by `features build`, checked against the current definitions."""
    if not path.is_file():
        raise UserError(f"--training-set {path} does not exist")
    frame = pd.read_parquet(path)
    missing = [name for name in definitions.names if name not in frame.columns]
    if missing:
        raise UserError(
            f"--training-set {path} lacks {len(missing)} current features (e.g. {missing[0]}); rebuild it"
        )
    return frame
