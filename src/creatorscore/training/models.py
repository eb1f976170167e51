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
        "metric": params.early_stopping_metric or ("average_precision" if config.task == "binary" else "l2"),
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
    validation: tuple[pd.DataFrame, pd.Series],
) -> lgb.Booster:
    """Boost on the training period, stopping when the validation period stops improving."""
    (x_train, y_train), (x_valid, y_valid) = train, validation
    weights = None
    if config.task == "binary":
        w = positive_weight(config, y_train)
        weights = np.where(y_train.to_numpy() == 1, w, 1.0)
    train_set = lgb.Dataset(x_train, y_train, weight=weights, free_raw_data=False)
    valid_set = lgb.Dataset(x_valid, y_valid, reference=train_set, free_raw_data=False)
    return lgb.train(
        lightgbm_params(config, params, monotone),
        train_set,
        num_boost_round=params.max_rounds,
        valid_sets=[valid_set],
        callbacks=[lgb.early_stopping(params.early_stopping_rounds, verbose=False)],
    )


def raw_score(booster: lgb.Booster, x: pd.DataFrame) -> np.ndarray:
    """The booster's margin (log-odds for binary) at its best iteration."""
    return booster.predict(x, raw_score=True, num_iteration=booster.best_iteration or None)


@dataclass(frozen=True)
class Calibrator:
    """Maps a raw LightGBM margin to a probability; stored as plain JSON so any consumer can apply it."""

    method: str
    platt: tuple[float, float] = (1.0, 0.0)
    thresholds: tuple[tuple[float, ...], tuple[float, ...]] = ((), ())

    def apply(self, margin: np.ndarray) -> np.ndarray:
        margin = np.asarray(margin, dtype=float)
        if self.method == "platt":
            slope, intercept = self.platt
            return 1 / (1 + np.exp(-(slope * margin + intercept)))
        if self.method == "isotonic":
            xs, ys = self.thresholds
            return np.interp(margin, xs, ys)
        return 1 / (1 + np.exp(-margin))

    def to_json(self) -> dict:
        return {
            "method": self.method,
            "platt": list(self.platt),
            "thresholds": [list(t) for t in self.thresholds],
        }

    @classmethod
    def from_json(cls, data: dict) -> Calibrator:
        xs, ys = data.get("thresholds") or ([], [])
        return cls(data["method"], tuple(data["platt"]), (tuple(xs), tuple(ys)))


def fit_calibrator(method: str, margin: np.ndarray, y: pd.Series) -> Calibrator:
    """Fit Platt scaling or isotonic regression on validation margins (never on training rows)."""
    if method == "platt":
        model = LogisticRegression(C=1e6, max_iter=1000).fit(margin.reshape(-1, 1), y.to_numpy())
        return Calibrator("platt", platt=(float(model.coef_[0, 0]), float(model.intercept_[0])))
    if method == "isotonic":
        model = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(margin, y.to_numpy())
        return Calibrator(
            "isotonic",
            thresholds=(tuple(map(float, model.X_thresholds_)), tuple(map(float, model.y_thresholds_))),
        )
    return Calibrator("none")
