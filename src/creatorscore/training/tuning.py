"""Hyperparameter search with Optuna on the validation period, inside the config's budget."""

from __future__ import annotations

import logging

import optuna
import pandas as pd
from sklearn.metrics import average_precision_score

from creatorscore.training.config import LightGBMParams, ModelConfig
from creatorscore.training.models import fit_booster, raw_score


def validation_score(config: ModelConfig, y: pd.Series, margin) -> float:
    """Higher is better: PR-AUC for abuse (rare positives), negative RMSE for quality."""
    if config.task == "binary":
        return float(average_precision_score(y, margin))
    return -float(((y.to_numpy() - margin) ** 2).mean() ** 0.5)


TUNED = ("num_leaves", "learning_rate", "min_child_samples", "feature_fraction", "lambda_l2")


def tune(
    config: ModelConfig,
    monotone: list[int],
    train: tuple[pd.DataFrame, pd.Series],
    validation: tuple[pd.DataFrame, pd.Series],
) -> tuple[LightGBMParams, int]:
    """The best parameters found (the configured ones when no trial beats them) and trials run."""
    study = tuning_study(config, monotone, train, validation)
    return config.lightgbm.model_copy(update=study.best_params), len(study.trials)


def tuning_study(
    config: ModelConfig,
    monotone: list[int],
    train: tuple[pd.DataFrame, pd.Series],
    validation: tuple[pd.DataFrame, pd.Series],
) -> optuna.Study:
    """The finished search, its first trial the configured parameters: seeded TPE over the
    parameters in TUNED, each trial scored on the validation period."""
    optuna.logging.set_verbosity(logging.WARNING)
    base = config.lightgbm

    def objective(trial: optuna.Trial) -> float:
        params = base.model_copy(
            update={
                "num_leaves": trial.suggest_int("num_leaves", 3, 63, log=True),
                "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.2, log=True),
                "min_child_samples": trial.suggest_int("min_child_samples", 10, 400, log=True),
                "feature_fraction": trial.suggest_float("feature_fraction", 0.1, 1.0),
                "lambda_l2": trial.suggest_float("lambda_l2", 1e-3, 100.0, log=True),
            }
        )
        booster = fit_booster(config, params, monotone, train, validation)
        return validation_score(config, validation[1], raw_score(booster, validation[0]))

    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=config.tuning.seed)
    )
    study.enqueue_trial({name: getattr(base, name) for name in TUNED})
    study.optimize(objective, n_trials=config.tuning.trials, timeout=config.tuning.minutes * 60)
    return study
