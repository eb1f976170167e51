"""Train one model end to end: training set, backtest and refit, the champion scored alongside, MLflow run.

The CLI, the notebook and the benchmark all call `train_model`, so none of them holds
training logic of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from creatorscore.errors import UserError
from creatorscore.explain.tiers import MarketTiers
from creatorscore.features import Definitions
from creatorscore.training.backtest import Backtest, run_backtest
from creatorscore.training.config import ModelConfig
from creatorscore.training.metrics import segment_metrics
from creatorscore.training.models import predict
from creatorscore.training.record import ModelRecord
from creatorscore.training.registry import client, load_champion, read_evidence, registry_error, tracking_uri
from creatorscore.training.tracking import LoggedRun, log_backtest

CHAMPION = "champion"


@dataclass(frozen=True)
class TrainedModel:
    backtest: Backtest
    run: LoggedRun
    record: ModelRecord
    seconds: dict[str, float]


def champion_scores(
    backtest: Backtest, frame: pd.DataFrame, definitions: Definitions, uri: str | None
) -> tuple[str, pd.Series] | None:
    """The champion's evidence models scored on this backtest's test rows, or None when they cannot be.

    The served champion was refit on every labelled snapshot it had, this run's test weeks
    possibly among them, so it is never what is compared. Each test fold is scored instead by the
    champion's latest fold whose own test period starts no later: that fold's model was trained
    before it, so it has not seen these labels either. A champion on other definitions, or one
    with no such fold for some test rows, is compared at promotion through its own recorded
    predictions (same test rows) or not at all."""
    config = backtest.config
    try:
        champion = load_champion(config.name, uri)
    except UserError:
        return None
    record = champion.record
    if record.definitions_version != definitions.version:
        return None
    starts = [pd.Timestamp(fold.test[0]) for fold in record.folds]
    chosen = [max((i for i, start in enumerate(starts) if start <= fold.plan.test[0]), default=None)
              for fold in backtest.folds]  # fmt: skip
    if None in chosen:
        return None
    boosters = read_evidence(client(uri), record)
    scores = backtest.test_scores
    keyed = scores[["creator_id", "as_of"]].merge(frame, on=["creator_id", "as_of"], how="left")
    out = pd.Series(np.nan, index=scores.index)
    for number, index in enumerate(chosen):
        rows = (scores["fold"] == number).to_numpy()
        fold = record.folds[index]
        x = keyed.loc[rows, list(record.feature_names)]
        out[rows] = predict(boosters[index], fold.calibrator, record.task, x)
    return record.version, out


def train_model(
    frame: pd.DataFrame,
    config: ModelConfig,
    definitions: Definitions,
    training_set_key: str,
    source: str,
    truth: pd.DataFrame | None = None,
    uri: str | None = None,
    on_stage: Callable[[str], None] = lambda stage: None,
    *,
    tiers: MarketTiers,
) -> TrainedModel:
    """Backtest the config on the training set, score the champion alongside, log and register.
    `on_stage` is told as each stage starts, for progress output; `tiers` are the markets'
    thresholds the run's calibration per tier is judged at."""
    missing = [name for name in ("creator_id", "as_of", config.target) if name not in frame.columns]
    if missing:
        raise UserError(
            f"the training set lacks columns {missing}; build it with `creatorscore features build`"
        )
    from mlflow.exceptions import MlflowException

    backtest = run_backtest(frame, config, definitions, truth, on_stage)
    on_stage("the champion, if any, on the same test rows")
    champion = champion_scores(backtest, frame, definitions, uri)
    if champion:
        scores = backtest.test_scores
        scores[CHAMPION] = champion[1].to_numpy()
        truth_rows = scores.get("truth")
        backtest.metrics[CHAMPION] = segment_metrics(
            scores, config.target, scores[CHAMPION], config.task, truth_rows
        )
    on_stage("logging the run, its evidence and the model to MLflow")
    started = time.perf_counter()
    try:
        run, record = log_backtest(
            backtest,
            frame,
            training_set_key,
            definitions.version,
            source,
            uri,
            champion and champion[0],
            tiers=tiers,
        )
    except MlflowException as error:
        raise registry_error(error, tracking_uri(uri)) from None
    seconds = {**backtest.seconds, "mlflow_logging": time.perf_counter() - started}
    return TrainedModel(backtest, run, record, seconds)


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
