"""One backtest: split by time, fit the model and its baselines, score all of them on the future.

Pure apart from the clock: a training set (and optional ground truth) in, a `Backtest` out.
Logging to MLflow and printing happen elsewhere.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from creatorscore.errors import UserError
from creatorscore.features import Definitions
from creatorscore.training.baselines import (
    PastReviewBaseline,
    RuleBaseline,
    linear_baseline,
    logistic_baseline,
)
from creatorscore.training.config import LightGBMParams, ModelConfig
from creatorscore.training.metrics import segment_metrics
from creatorscore.training.models import (
    Calibrator,
    fit_booster,
    fit_calibrator,
    monotone_constraints,
    raw_score,
    select_features,
)
from creatorscore.training.split import SplitPlan, plan_split
from creatorscore.training.tuning import tune

MODEL = "lightgbm"
RULES = "rule_baseline"
LINEAR = "linear_baseline"
HGB = "hist_gradient_boosting"


@dataclass
class Backtest:
    """A fitted model with everything needed to use it, and its test-period evidence."""

    config: ModelConfig
    params: LightGBMParams
    features: list[str]
    monotone: list[int]
    plan: SplitPlan
    booster: lgb.Booster
    calibrator: Calibrator
    test_scores: pd.DataFrame  # keys, market, onboarded_at, target, truth and one column per scorer
    metrics: dict[str, dict[str, float]]  # scorer -> "<segment>/<metric>" -> value
    seconds: dict[str, float] = field(default_factory=dict)
    tuning_trials: int = 0

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        """The served score: a calibrated probability for abuse, a review score for quality."""
        margin = raw_score(self.booster, x[self.features])
        return self.calibrator.apply(margin) if self.config.task == "binary" else margin


def latent_truth(frame: pd.DataFrame, creators: pd.DataFrame, task: str) -> pd.Series:
    """Ground truth per row: an abuser whose abuse began before as-of and who had not churned;
    or the creator's latent quality."""
    truth = frame[["creator_id", "as_of"]].merge(creators, on="creator_id", how="left")
    if task == "regression":
        return pd.Series(truth["latent_quality"].to_numpy(), index=frame.index)
    active = (
        truth["is_abuser"].fillna(False).astype(bool)
        & (truth["abuse_onset"] < truth["as_of"])
        & ~(truth["churned_at"] < truth["as_of"])
    )
    return pd.Series(active.astype(float).to_numpy(), index=frame.index)


def run_backtest(
    frame: pd.DataFrame,
    config: ModelConfig,
    definitions: Definitions,
    truth_creators: pd.DataFrame | None = None,
) -> Backtest:
    """Fit on the training period, stop early and calibrate on validation, evaluate on test."""
    seconds: dict[str, float] = {}
    features = select_features(config, definitions)
    monotone = monotone_constraints(config, definitions, features)
    labelled = frame[frame[config.target].notna()]
    plan = plan_split(labelled["as_of"].unique(), config.split)
    period = plan.period_of(labelled["as_of"])
    parts = {name: labelled[period == name] for name in ("train", "validation", "test")}
    xy = {name: (rows[features], rows[config.target]) for name, rows in parts.items()}
    if config.task == "binary":
        _require_both_classes({name: y for name, (_, y) in xy.items()}, config.target)

    params, trials = config.lightgbm, 0
    if config.tuning.trials:
        started = time.perf_counter()
        params, trials = tune(config, monotone, xy["train"], xy["validation"])
        seconds["tuning"] = time.perf_counter() - started

    started = time.perf_counter()
    booster = fit_booster(config, params, monotone, xy["train"], xy["validation"])
    seconds["lightgbm_fit"] = time.perf_counter() - started
    calibrator = (
        fit_calibrator(
            config.calibration.method, raw_score(booster, xy["validation"][0]), xy["validation"][1]
        )
        if config.task == "binary"
        else Calibrator("none")
    )
    fitted = Backtest(config, params, features, monotone, plan, booster, calibrator, pd.DataFrame(), {})
    scorers = _fit_baselines(config, xy["train"], seconds)

    test = parts["test"]
    scores = test[["creator_id", "as_of", "market", "onboarded_at", config.target]].copy()
    scores[MODEL] = fitted.predict(test)
    for name, scorer in scorers.items():
        scores[name] = scorer(test[features])
    truth = latent_truth(test, truth_creators, config.task) if truth_creators is not None else None
    if truth is not None:
        scores["truth"] = truth
    fitted.test_scores = scores
    fitted.metrics = {
        name: segment_metrics(scores, config.target, scores[name], config.task, truth)
        for name in (MODEL, *scorers)
    }
    fitted.seconds = seconds
    fitted.tuning_trials = trials
    return fitted


def _require_both_classes(labels: dict[str, pd.Series], target: str) -> None:
    """A period with one class cannot train, stop early, calibrate or be evaluated."""
    for period, y in labels.items():
        if y.nunique() < 2:
            raise UserError(
                f"the {period} period has only {'negative' if (y == 0).all() else 'positive'} {target}s "
                f"({len(y):,} rows); simulate or collect more creators or days"
            )


def _fit_baselines(config: ModelConfig, train: tuple[pd.DataFrame, pd.Series], seconds: dict) -> dict:
    """Fit the rule, linear and HistGradientBoosting comparisons; return a scoring function each."""
    x, y = train
    seed = config.lightgbm.seed
    if config.task == "binary":
        rules = RuleBaseline().fit(x, y)
        linear = logistic_baseline(seed)
        hgb = HistGradientBoostingClassifier(random_state=seed, early_stopping=False, max_iter=100)
    else:
        rules = PastReviewBaseline().fit(x, y)
        linear = linear_baseline()
        hgb = HistGradientBoostingRegressor(random_state=seed, early_stopping=False, max_iter=100)
    started = time.perf_counter()
    linear.fit(x, y)
    seconds["linear_fit"] = time.perf_counter() - started
    started = time.perf_counter()
    with threadpool_limits(limits=config.lightgbm.num_threads, user_api="openmp"):  # same cores as LightGBM
        hgb.fit(x, y)
    seconds["hist_gradient_boosting_fit"] = time.perf_counter() - started

    def scorer(model):
        if config.task == "binary":
            return lambda rows: model.predict_proba(rows)[:, 1]
        return model.predict

    return {RULES: scorer(rules), LINEAR: scorer(linear), HGB: scorer(hgb)}
