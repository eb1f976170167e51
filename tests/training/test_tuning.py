"""Optuna tuning: a few trials on the test marketplace pick the best trial's parameters, which
train the booster that is logged to MLflow and registered."""

from __future__ import annotations

import mlflow
import pytest

from creatorscore.training.models import lightgbm_params
from creatorscore.training.pipeline import train_model
from creatorscore.training.registry import load_model
from creatorscore.training.tuning import TUNED, tuning_study
from tests.training.copies import copy_store

TRIALS = 4
# configured parameters that underfit (tiny, slow trees), so the search has something to beat
UNDERFIT = {"num_leaves": 3, "learning_rate": 0.01, "min_child_samples": 400, "max_rounds": 30}


@pytest.fixture(scope="module")
def tuned(
    tmp_path_factory, champion_store, training_frame, fast_config, definitions, training_market_dir, tiers
):
    """A tuned abuse_risk version logged to a copy of the session's store (copied: creating a
    new MLflow store costs seconds)."""
    config = fast_config("abuse_risk", lightgbm=UNDERFIT, tuning={"trials": TRIALS, "minutes": 1})
    uri = copy_store(champion_store, tmp_path_factory.mktemp("tuning") / "store")
    trained = train_model(
        training_frame, config, definitions, "tuning-key", str(training_market_dir), uri=uri, tiers=tiers
    )
    return config, trained, uri


def test_the_tuned_parameters_are_the_best_trials_and_train_the_booster(tuned, training_frame):
    config, trained, _ = tuned
    backtest = trained.backtest
    labelled = training_frame[training_frame[config.target].notna()]
    period = backtest.folds[0].plan.period_of(labelled["as_of"])  # tuned on the oldest fold
    train, validation = (
        (labelled.loc[period == name, backtest.features], labelled.loc[period == name, config.target])
        for name in ("train", "validation")
    )
    study = tuning_study(config, backtest.monotone, train, validation)  # seeded: the backtest's search
    assert len(study.trials) == backtest.tuning_trials == TRIALS
    assert study.best_trial.number > 0  # a trial beat the configured parameters
    assert backtest.params == config.lightgbm.model_copy(update=study.best_trial.params)
    expected = lightgbm_params(config, backtest.params, backtest.monotone)
    for name in ("num_leaves", "learning_rate", "min_data_in_leaf", "feature_fraction", "lambda_l2"):
        assert backtest.booster.params[name] == expected[name]


def test_the_tuned_parameters_are_logged_and_the_registered_booster_uses_them(tuned):
    config, trained, uri = tuned
    params = trained.backtest.params
    logged = mlflow.MlflowClient(tracking_uri=uri).get_run(trained.run.run_id).data.params
    assert logged["tuning_trials"] == str(TRIALS)
    for name in TUNED:
        assert logged[f"lightgbm.{name}"] == str(getattr(params, name))
    assert params != config.lightgbm
    registered = load_model(config.name, trained.run.version, uri).booster  # the refit, served
    assert registered.params["num_leaves"] == params.num_leaves
    assert registered.params["min_data_in_leaf"] == params.min_child_samples
    assert registered.params["learning_rate"] == pytest.approx(
        params.learning_rate, rel=1e-5
    )  # the model file keeps 6 significant digits
