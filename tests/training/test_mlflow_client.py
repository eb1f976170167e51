"""Runs and registered LightGBM models through a bound client, on a real SQLite store."""

from __future__ import annotations

import os
from pathlib import Path

import lightgbm
import numpy as np
import pandas as pd
import pytest

from creatorscore.training import mlflow_client

NAME = "abuse_risk"


@pytest.fixture(scope="module")
def booster_and_frame() -> tuple[lightgbm.Booster, pd.DataFrame]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(200, 3)), columns=["orders_28d", "reports_56d", "tenure_days"])
    target = (frame["reports_56d"] + rng.normal(scale=0.5, size=200) > 0.5).astype(int)
    params = {"objective": "binary", "num_leaves": 4, "verbose": -1, "num_threads": 1, "seed": 0}
    return lightgbm.train(params, lightgbm.Dataset(frame, target), num_boost_round=5), frame


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A client on a SQLite store in its own folder, run from another, empty one, with MLflow's
    globals and environment untouched, so anything written beside the working directory shows."""
    from mlflow import MlflowClient

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    (tmp_path / "store").mkdir()
    uri = f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    artifacts = (tmp_path / "store" / "mlartifacts").as_uri()
    return client, client.create_experiment("creatorscore-abuse_risk", artifact_location=artifacts), elsewhere


def log_run(client, experiment_id: str, booster: lightgbm.Booster, frame: pd.DataFrame):
    from mlflow.models import infer_signature

    example = frame.head(5)
    with mlflow_client.run(client, experiment_id, "abuse_risk-test", {"definitions_version": "v1"}) as run_id:
        mlflow_client.log_values(client, run_id, params={"features": 3}, metrics={"test/model/auc": 0.8})
        logged = mlflow_client.log_lightgbm_model(
            client,
            run_id,
            experiment_id,
            booster,
            infer_signature(example, booster.predict(example)),
            example,
            [f"lightgbm=={lightgbm.__version__}"],
            NAME,
        )
    return run_id, logged


def test_a_registered_booster_loads_back_and_no_global_state_changes(booster_and_frame, store, tmp_path):
    import mlflow
    import mlflow.lightgbm

    booster, frame = booster_and_frame
    client, experiment_id, cwd = store
    environment = dict(os.environ)
    global_uris = (mlflow.get_tracking_uri(), mlflow.get_registry_uri())

    run_id, logged = log_run(client, experiment_id, booster, frame)
    _, second = log_run(client, experiment_id, booster, frame)

    assert (mlflow.get_tracking_uri(), mlflow.get_registry_uri()) == global_uris
    assert dict(os.environ) == environment
    assert list(cwd.iterdir()) == []  # no stray mlflow.db or mlruns/ where the command ran
    assert (logged.version, second.version) == ("1", "2")
    local = mlflow_client.download_model_version(client, NAME, logged.version, tmp_path / "download")
    loaded = mlflow.lightgbm.load_model(str(local))
    np.testing.assert_array_equal(loaded.predict(frame), booster.predict(frame))
    assert (local / "input_example.json").is_file()
    assert f"lightgbm=={lightgbm.__version__}" in (local / "requirements.txt").read_text().split()
    assert mlflow.models.Model.load(str(local)).signature.inputs.input_names() == list(frame.columns)
    booster_file = mlflow_client.download_model_version(client, NAME, "2", tmp_path / "one", "model.lgb")
    assert lightgbm.Booster(model_file=booster_file).num_trees() == booster.num_trees()


def test_the_version_names_its_run_and_ready_logged_model(booster_and_frame, store):
    from mlflow.entities import LoggedModelStatus

    booster, frame = booster_and_frame
    client, experiment_id, _ = store

    run_id, logged = log_run(client, experiment_id, booster, frame)

    version = client.get_model_version(NAME, logged.version)
    model = client.get_logged_model(logged.model_id)
    run = client.get_run(run_id)
    assert version.run_id == run_id
    assert version.tags[mlflow_client.MODEL_ID_TAG] == logged.model_id
    assert client.get_model_version_download_uri(NAME, logged.version) == model.artifact_location
    assert (model.status, model.source_run_id) == (LoggedModelStatus.READY, run_id)
    assert [output.model_id for output in run.outputs.model_outputs] == [logged.model_id]
    assert run.info.status == "FINISHED"
    assert (run.data.params["features"], run.data.metrics["test/model/auc"]) == ("3", 0.8)
    assert run.data.tags["definitions_version"] == "v1"


def test_a_model_version_downloads_by_the_standard_models_uri(
    booster_and_frame, store, monkeypatch, tmp_path
):
    """Someone with the store as their tracking URI reaches the version by MLflow's own URI."""
    import mlflow.lightgbm

    booster, frame = booster_and_frame
    client, experiment_id, _ = store
    _, logged = log_run(client, experiment_id, booster, frame)

    monkeypatch.setenv("MLFLOW_TRACKING_URI", client.tracking_uri)
    loaded = mlflow.lightgbm.load_model(f"models:/{NAME}/{logged.version}", dst_path=str(tmp_path))
    np.testing.assert_array_equal(loaded.predict(frame), booster.predict(frame))


def test_a_failing_block_ends_its_run_failed(store):
    client, experiment_id, _ = store

    with pytest.raises(RuntimeError), mlflow_client.run(client, experiment_id, "broken") as run_id:
        raise RuntimeError("training failed")

    assert client.get_run(run_id).info.status == "FAILED"


def test_a_model_that_cannot_be_saved_is_marked_failed_and_not_registered(store):
    from mlflow.entities import LoggedModelStatus
    from mlflow.exceptions import MlflowException

    client, experiment_id, _ = store
    with mlflow_client.run(client, experiment_id, "unsaveable") as run_id, pytest.raises(MlflowException):
        mlflow_client.log_lightgbm_model(client, run_id, experiment_id, object(), None, None, [], NAME)

    [model] = client.search_logged_models([experiment_id])
    assert model.status == LoggedModelStatus.FAILED
    assert client.search_model_versions(f"name = '{NAME}'") == []


def test_a_dataset_is_the_runs_training_input(store):
    import mlflow.data

    client, experiment_id, _ = store
    dataset = mlflow.data.from_pandas(pd.DataFrame({"x": [1, 2]}), source="/data/training.parquet", name="ts")

    with mlflow_client.run(client, experiment_id, "with-data") as run_id:
        mlflow_client.log_dataset(client, run_id, dataset, "training")

    [logged] = client.get_run(run_id).inputs.dataset_inputs
    assert (logged.dataset.name, logged.dataset.digest) == ("ts", dataset.digest)
    assert {tag.key: tag.value for tag in logged.tags}["mlflow.data.context"] == "training"
