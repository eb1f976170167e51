"""MLflow runs and the registry on a real SQLite store: everything needed to use a model is logged."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import mlflow
import numpy as np
import pytest

from creatorscore.errors import UserError
from creatorscore.features import DEFAULT_DIR, load
from creatorscore.training.pipeline import train_model
from creatorscore.training.promote import FORCED_TAG, promote
from creatorscore.training.record import PREDICTIONS_FILE, RECORD_FILE
from creatorscore.training.registry import CHAMPION, client, load_champion, load_model, read_test_predictions
from creatorscore.training.tracking import content_digest
from tests.training.copies import copy_store, logged_model_file


@pytest.fixture(scope="module")
def store(tmp_path_factory, training_frame, fast_config, definitions, training_market_dir, tiers):
    """A tracking store holding one trained abuse_risk version, promoted to champion."""
    from creatorscore.training.dataset import read_ground_truth

    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow')}/mlflow.db"
    config = fast_config("abuse_risk")
    trained = train_model(
        training_frame, config, definitions, "test-key", str(training_market_dir),
        read_ground_truth(training_market_dir), uri, tiers=tiers,
    )  # fmt: skip
    return uri, trained, config


def test_the_dataset_digest_changes_with_any_value_and_only_with_values(training_frame):
    frame = training_frame.head(500)
    changed = frame.copy()
    changed.iloc[250, changed.columns.get_loc("sessions_28d")] += 1
    assert content_digest(frame) == content_digest(frame.copy())
    assert content_digest(changed) != content_digest(frame)


def test_run_logs_config_dataset_commit_definitions_baselines_and_evidence(
    store, definitions, training_frame
):
    uri, trained, _ = store
    client = mlflow.MlflowClient(tracking_uri=uri)
    run = client.get_run(trained.run.run_id)
    assert run.data.tags["definitions_version"] == definitions.version
    assert len(run.data.tags["mlflow.source.git.commit"]) >= 40
    assert run.inputs.dataset_inputs[0].dataset.digest == run.data.tags["training_set_digest"]
    assert run.data.tags["training_set_digest"] == content_digest(training_frame)
    for scorer in ("lightgbm", "rule_baseline", "linear_baseline", "lightgbm_defaults"):
        assert f"test/{scorer}/overall/roc_auc" in run.data.metrics
    assert run.data.tags["beats_default_lightgbm"] in ("yes", "no")
    assert any(k.startswith("test/lightgbm/market_") for k in run.data.metrics)
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"config.yaml", RECORD_FILE, PREDICTIONS_FILE, "metrics.json", "plots", "evidence"} <= artifacts
    plots = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert {
        "plots/roc_pr.png",
        "plots/calibration.png",
        "plots/importance.png",
        "plots/baselines.png",
    } <= plots


def test_the_record_holds_the_evidence_and_the_refit_model_served(store, training_frame):
    uri, trained, config = store
    record = load_model("abuse_risk", trained.run.version, uri).record
    backtest = trained.backtest
    assert record == trained.record and record.version == trained.run.version
    assert [fold.test for fold in record.folds] == [tuple(f.plan.test) for f in backtest.folds]
    labelled = training_frame.loc[training_frame[config.target].notna(), "as_of"]
    assert record.refit and list(record.refit_snapshots) == sorted(labelled.unique())
    assert record.rounds == record.folds[-1].best_iteration  # chosen on every fold's curve
    assert record.gate_metrics[f"overall/{config.promotion.metric}"].estimate == pytest.approx(
        backtest.metrics["lightgbm"][f"overall/{config.promotion.metric}"]
    )
    recorded = read_test_predictions(client(uri), record)
    assert len(recorded) == len(backtest.test_scores) and set(recorded["as_of"]) == set(record.test_moments)


def test_first_model_becomes_champion_only_by_beating_the_rules_beyond_noise(store):
    uri, trained, config = store
    version, decision = promote("abuse_risk", None, config, uri)
    assert version == trained.run.version
    assert "rule baseline" in decision.reason and "95% interval" in decision.reason


def test_loaded_model_scores_exactly_like_the_trained_one(store, training_frame):
    uri, trained, _ = store
    loaded = load_model("abuse_risk", trained.run.version, uri)
    rows = training_frame.tail(300)
    np.testing.assert_allclose(loaded.predict(rows), trained.backtest.predict(rows), rtol=1e-9)
    assert list(loaded.record.feature_names) == trained.backtest.features


def test_unknown_model_says_to_train_first(store):
    uri, _, _ = store
    with pytest.raises(UserError, match="run `creatorscore train --model content_quality`"):
        load_champion("content_quality", uri)


def _run_folder(uri: str, run_id: str) -> Path:
    return Path(mlflow.MlflowClient(uri).get_run(run_id).info.artifact_uri.removeprefix("file://"))


def test_the_record_holds_the_checksum_of_the_logged_model_file(store):
    uri, trained, config = store
    model_file = logged_model_file(uri, config.name, trained.run.version)
    assert trained.record.model_sha256 == hashlib.sha256(model_file.read_bytes()).hexdigest()


def test_a_model_logged_before_records_is_refused_in_one_line(store, tmp_path):
    uri, trained, config = copy_store(store[0], tmp_path / "store"), store[1], store[2]
    (_run_folder(uri, trained.run.run_id) / RECORD_FILE).unlink()
    with pytest.raises(UserError, match="logged before model records") as refused:
        load_model(config.name, trained.run.version, uri)
    assert "train it again" in str(refused.value) and "\n" not in str(refused.value)


def test_a_record_with_an_unknown_field_is_refused(store, tmp_path):
    uri, trained, config = copy_store(store[0], tmp_path / "store"), store[1], store[2]
    path = _run_folder(uri, trained.run.run_id) / RECORD_FILE
    path.write_text(json.dumps({**json.loads(path.read_text()), "best_iteration": 3}))
    with pytest.raises(UserError, match="unreadable model record.*best_iteration"):
        load_model(config.name, trained.run.version, uri)


def _other_definitions(tmp_path):
    """The checked-in definitions without one family: another definitions version."""
    folder = tmp_path / "features"
    shutil.copytree(DEFAULT_DIR, folder)
    (folder / "campaigns.yaml").unlink()
    return load(folder)


def test_a_champion_on_other_definitions_is_compared_through_its_recorded_predictions(
    store, training_frame, training_market_dir, tmp_path, tiers
):
    uri, trained, config = copy_store(store[0], tmp_path / "store"), store[1], store[2]
    client(uri).set_registered_model_alias(config.name, CHAMPION, trained.run.version)
    candidate = train_model(
        training_frame, config, _other_definitions(tmp_path), "other", str(training_market_dir), None, uri,
        tiers=tiers,
    )  # fmt: skip
    assert candidate.record.compared_champion_version is None  # its evidence models cannot score these
    assert candidate.record.test_rows_digest == trained.record.test_rows_digest
    _, decision = promote(config.name, None, config, uri)
    assert f"champion v{trained.run.version} (its recorded predictions)" in decision.reason


def test_a_champion_tested_on_other_rows_is_not_compared_unless_forced_with_a_reason(
    store, training_frame, fast_config, training_market_dir, tmp_path, tiers
):
    uri, trained, config = copy_store(store[0], tmp_path / "store"), store[1], store[2]
    client(uri).set_registered_model_alias(config.name, CHAMPION, trained.run.version)
    shorter = fast_config("abuse_risk", split={"test_snapshots": 1})
    candidate = train_model(
        training_frame, shorter, _other_definitions(tmp_path), "other", str(training_market_dir), None, uri,
        tiers=tiers,
    )  # fmt: skip
    assert candidate.record.test_rows_digest != trained.record.test_rows_digest
    version, decision = promote(config.name, None, config, uri)
    assert not decision.promote and "tested on different rows" in decision.reason
    assert "--force --reason" in decision.reason
    version, decision = promote(config.name, None, config, uri, "rolling back to last month's model")
    assert decision.promote and version == candidate.run.version
    tags = client(uri).get_model_version(config.name, version).tags
    assert tags[FORCED_TAG] == "rolling back to last month's model"


def test_training_leaves_no_mlflow_global_state_behind(store):
    """Two stores in one process (a notebook, the test suite) must not leak into each other."""
    uri, _, _ = store
    assert mlflow.get_tracking_uri() != uri and mlflow.get_registry_uri() != uri
    assert os.environ.get("MLFLOW_TRACKING_URI") != uri and mlflow.active_run() is None
