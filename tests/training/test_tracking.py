"""MLflow runs and the registry on a real SQLite store: everything needed to use a model is logged."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import mlflow
import numpy as np
import pytest

from creatorscore.errors import UserError
from creatorscore.training.pipeline import train_model
from creatorscore.training.promote import promote
from creatorscore.training.registry import BUNDLE, CHECKSUM, load_champion, load_model
from creatorscore.training.tracking import content_digest
from tests.training.copies import copy_store, cut_in_half, logged_model_file


@pytest.fixture(scope="module")
def store(tmp_path_factory, training_frame, fast_config, definitions, training_market_dir):
    """A tracking store holding one trained abuse_risk version, promoted to champion."""
    from creatorscore.training.dataset import read_ground_truth

    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow')}/mlflow.db"
    config = fast_config("abuse_risk")
    trained = train_model(
        training_frame, config, definitions, "test-key", str(training_market_dir),
        read_ground_truth(training_market_dir), uri,
    )  # fmt: skip
    return uri, trained, config


def test_the_dataset_digest_changes_with_any_value_and_only_with_values(training_frame):
    frame = training_frame.head(500)
    changed = frame.copy()
    changed.iloc[250, changed.columns.get_loc("sessions_28d")] += 1
    assert content_digest(frame) == content_digest(frame.copy())
    assert content_digest(changed) != content_digest(frame)


def test_run_logs_config_dataset_commit_definitions_and_baselines(store, definitions, training_frame):
    uri, trained, _ = store
    client = mlflow.MlflowClient(tracking_uri=uri)
    run = client.get_run(trained.run.run_id)
    assert run.data.tags["definitions_version"] == definitions.version
    assert len(run.data.tags["mlflow.source.git.commit"]) >= 40
    assert run.inputs.dataset_inputs[0].dataset.digest == run.data.tags["training_set_digest"]
    assert run.data.tags["training_set_digest"] == content_digest(training_frame)
    for scorer in ("lightgbm", "rule_baseline", "linear_baseline", "hist_gradient_boosting"):
        assert f"test/{scorer}/overall/roc_auc" in run.data.metrics
    assert any(k.startswith("test/lightgbm/market_") for k in run.data.metrics)
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"config.yaml", "serving.json", "metrics.json", "plots"} <= artifacts
    plots = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert {
        "plots/roc_pr.png",
        "plots/calibration.png",
        "plots/importance.png",
        "plots/baselines.png",
    } <= plots


def test_first_model_becomes_champion_only_by_beating_the_rules(store):
    uri, trained, config = store
    version, decision = promote("abuse_risk", None, config.promotion, uri)
    assert version == trained.run.version
    rules = trained.backtest.metrics["rule_baseline"]["overall/pr_auc"]
    assert decision.promote == (trained.backtest.metrics["lightgbm"]["overall/pr_auc"] > rules)


def test_loaded_model_scores_exactly_like_the_trained_one(store, training_frame):
    uri, trained, _ = store
    loaded = load_model("abuse_risk", trained.run.version, uri)
    rows = training_frame.tail(300)
    np.testing.assert_allclose(loaded.predict(rows), trained.backtest.predict(rows), rtol=1e-9)
    assert loaded.feature_names == trained.backtest.features


def test_unknown_model_says_to_train_first(store):
    uri, _, _ = store
    with pytest.raises(UserError, match="run `creatorscore train --model content_quality`"):
        load_champion("content_quality", uri)


def test_serving_bundle_needs_no_assumptions(store):
    uri, trained, _ = store
    path = mlflow.artifacts.download_artifacts(
        run_id=trained.run.run_id, artifact_path="serving.json", tracking_uri=uri
    )
    bundle = json.loads(Path(path).read_text())
    assert bundle["calibrator"]["method"] == "platt" and bundle["feature_names"] == trained.backtest.features


def _bundle_file(uri: str, run_id: str) -> Path:
    return Path(mlflow.MlflowClient(uri).get_run(run_id).info.artifact_uri.removeprefix("file://")) / BUNDLE


def test_the_bundle_records_the_checksum_of_the_logged_model_file(store):
    uri, trained, config = store
    bundle = json.loads(_bundle_file(uri, trained.run.run_id).read_text())
    model_file = logged_model_file(uri, config.name, trained.run.version)
    assert bundle[CHECKSUM] == hashlib.sha256(model_file.read_bytes()).hexdigest()


def test_a_model_logged_before_checksums_loads_unverified_unless_cut_short(
    store, training_frame, tmp_path, caplog
):
    uri, trained, config = copy_store(store[0], tmp_path / "store"), store[1], store[2]
    bundle_file = _bundle_file(uri, trained.run.run_id)
    bundle = json.loads(bundle_file.read_text())
    del bundle[CHECKSUM]
    bundle_file.write_text(json.dumps(bundle))
    with caplog.at_level(logging.WARNING):
        legacy = load_model(config.name, trained.run.version, uri)
    assert "no recorded checksum" in caplog.text and "loaded unverified" in caplog.text
    rows = training_frame.tail(50)
    np.testing.assert_allclose(legacy.predict(rows), trained.backtest.predict(rows), rtol=1e-9)
    cut_in_half(logged_model_file(uri, config.name, trained.run.version))
    with pytest.raises(UserError, match="is cut short"):
        load_model(config.name, trained.run.version, uri)
