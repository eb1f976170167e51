"""Fitting the LightGBM models and the calibrator that turns raw abuse scores into probabilities."""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from creatorscore.features import Definitions
from creatorscore.training.config import LightGBMParams, ModelConfig
from creatorscore.training.record import Calibrator


def select_features(config: ModelConfig, definitions: Definitions) -> list[str]:
    """Feature columns the config asks for, in definition order."""
    chosen = config.features
    everything = not chosen.families and not chosen.names
    names = [
        f.name
        for f in definitions.features
        if everything or f.family in chosen.families or f.name in chosen.names
    ]
    return [name for name in names if name not in set(chosen.exclude)]


def monotone_constraints(config: ModelConfig, definitions: Definitions, features: list[str]) -> list[int]:
    """+1 for features whose definition says they may only raise risk, -1 for only lower, else 0."""
    if not config.monotone_from_definitions:
        return [0] * len(features)
    sign = {"up": 1, "down": -1}
    return [sign.get(definitions.by_name(name).risk_direction or "", 0) for name in features]


def lightgbm_params(config: ModelConfig, params: LightGBMParams, monotone: list[int]) -> dict:
    """The LightGBM parameter dict: typed config in, deterministic single-machine settings added."""
    objective = {"binary": "binary", "regression": "regression"}[config.task]
    return {
        "objective": objective,
        "metric": validation_metric(config, params),
        "num_leaves": params.num_leaves,
        "learning_rate": params.learning_rate,
        "min_data_in_leaf": params.min_child_samples,
        "feature_fraction": params.feature_fraction,
        "bagging_fraction": params.bagging_fraction,
        "bagging_freq": params.bagging_freq,
        "lambda_l2": params.lambda_l2,
        "max_bin": params.max_bin,
        "seed": params.seed,
        "num_threads": params.num_threads,
        "deterministic": True,
        "force_col_wise": True,
        "verbosity": -1,
        "monotone_constraints": monotone,
    }


def validation_metric(config: ModelConfig, params: LightGBMParams) -> str:
    return params.validation_metric or ("average_precision" if config.task == "binary" else "l2")


def positive_weight(config: ModelConfig, y: pd.Series) -> float:
    """Weight of a positive row: 1, or negatives/positives when the config balances classes."""
    positives = float(y.sum())
    if config.class_weight == "none" or positives == 0:
        return 1.0
    return (len(y) - positives) / positives


def fit_booster(
    config: ModelConfig,
    params: LightGBMParams,
    monotone: list[int],
    train: tuple[pd.DataFrame, pd.Series],
    validation: tuple[pd.DataFrame, pd.Series] | None = None,
    rounds: int | None = None,
) -> lgb.Booster:
    """Boost on the training rows until the validation period stops improving (a tuning trial) or,
    for the refit, for the rounds the backtest chose."""
    train_set = _training_set(config, train)
    lgb_params = lightgbm_params(config, params, monotone)
    if validation is None:
        return lgb.train(lgb_params, train_set, num_boost_round=rounds or params.max_rounds)
    return lgb.train(
        lgb_params,
        train_set,
        num_boost_round=params.max_rounds,
        valid_sets=[lgb.Dataset(*validation, reference=train_set, free_raw_data=False)],
        callbacks=[lgb.early_stopping(params.early_stopping_rounds, verbose=False)],
    )


def grow_booster(
    config: ModelConfig,
    params: LightGBMParams,
    monotone: list[int],
    train: tuple[pd.DataFrame, pd.Series],
    validation: tuple[pd.DataFrame, pd.Series],
) -> tuple[lgb.Booster, np.ndarray]:
    """A fold's booster grown for every configured round, and its validation curve (the metric
    after each round, oriented so that higher is better).

    One fold's validation weeks hold tens of positives, so its own early stop lands anywhere (round
    8 on one fold and 247 on the next of the same run); `pooled_rounds` chooses from the folds'
    curves together instead, and `truncated` cuts a grown booster to that choice for free."""
    train_set = _training_set(config, train)
    lgb_params = lightgbm_params(config, params, monotone)
    history: dict = {}
    booster = lgb.train(
        lgb_params,
        train_set,
        num_boost_round=params.max_rounds,
        valid_sets=[lgb.Dataset(*validation, reference=train_set, free_raw_data=False)],
        valid_names=["validation"],
        callbacks=[lgb.record_evaluation(history)],
    )
    curve = np.asarray(history["validation"][lgb_params["metric"]], dtype=float)
    return booster, curve if lgb_params["metric"] in HIGHER_IS_BETTER else -curve


HIGHER_IS_BETTER = frozenset({"auc", "average_precision"})


def pooled_rounds(curves: list[np.ndarray]) -> int:
    """Rounds that do best on the folds' validation curves averaged (each higher-is-better); the
    earliest such round on a tie."""
    return int(np.mean(np.stack(curves), axis=0).argmax()) + 1


def truncated(booster: lgb.Booster, rounds: int) -> lgb.Booster:
    """The booster's first `rounds` trees as a booster of its own."""
    return lgb.Booster(model_str=booster.model_to_string(num_iteration=rounds))


def _training_set(config: ModelConfig, train: tuple[pd.DataFrame, pd.Series]) -> lgb.Dataset:
    x_train, y_train = train
    weights = None
    if config.task == "binary":
        w = positive_weight(config, y_train)
        weights = np.where(y_train.to_numpy() == 1, w, 1.0)
    return lgb.Dataset(x_train, y_train, weight=weights, free_raw_data=False)


def best_rounds(booster: lgb.Booster) -> int:
    """Rounds the booster scores with: its early-stopping best, else every round it holds (a booster
    read from text says -1 for no best, one trained without validation 0)."""
    return int(booster.best_iteration if booster.best_iteration > 0 else booster.current_iteration())


def raw_score(booster: lgb.Booster, x: pd.DataFrame) -> np.ndarray:
    """The booster's margin (log-odds for binary) at the rounds it scores with."""
    return booster.predict(x, raw_score=True, num_iteration=best_rounds(booster))


def fit_calibrator(method: str, margin: np.ndarray, y: pd.Series) -> Calibrator:
    """Fit Platt scaling or isotonic regression on validation margins (never on training rows)."""
    if method == "platt":
        model = LogisticRegression(C=1e6, max_iter=1000).fit(margin.reshape(-1, 1), y.to_numpy())
        return Calibrator(method="platt", platt=(float(model.coef_[0, 0]), float(model.intercept_[0])))
    if method == "isotonic":
        model = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(margin, y.to_numpy())
        return Calibrator(
            method="isotonic",
            thresholds=(tuple(map(float, model.X_thresholds_)), tuple(map(float, model.y_thresholds_))),
        )
    return Calibrator(method="none")


def predict(booster: lgb.Booster, calibrator: Calibrator, task: str, x: pd.DataFrame) -> np.ndarray:
    """The served score of a booster: a calibrated probability for abuse, a review score for quality.

    The backtest's folds, the refit, the registry's models and the service all score through here."""
    margin = raw_score(booster, x)
    return calibrator.apply(margin) if task == "binary" else margin


@dataclass(frozen=True)
class DefaultLightGBM:
    """LightGBM as an analyst would first run it: library defaults (100 rounds, 31 leaves), no early
    stopping, on the same features. The shipped config must earn its settings against this."""

    booster: lgb.Booster

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        return self.booster.predict(x)


def default_lightgbm(config: ModelConfig, x: pd.DataFrame, y: pd.Series) -> DefaultLightGBM:
    params = {
        "objective": config.task,
        "seed": config.lightgbm.seed,
        "num_threads": config.lightgbm.num_threads,
        "deterministic": True,
        "verbosity": -1,
    }
    return DefaultLightGBM(lgb.train(params, lgb.Dataset(x, y)))
