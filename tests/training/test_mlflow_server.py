"""Training against a real `mlflow server` over HTTP, as a team would run it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from creatorscore.training.pipeline import train_model
from creatorscore.training.registry import load_model
from tests.servers import free_port, running

MLFLOW = str(Path(sys.executable).with_name("mlflow"))


@pytest.fixture
def mlflow_server(tmp_path):
    port = free_port()
    command = [
        MLFLOW, "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--backend-store-uri", f"sqlite:///{tmp_path}/server.db",
        "--artifacts-destination", str(tmp_path / "artifacts"),
    ]  # fmt: skip
    uri = f"http://127.0.0.1:{port}"
    with running(command, f"{uri}/health", tmp_path / "server.log", timeout=90):
        yield uri


def test_training_logs_and_registers_on_a_real_mlflow_server(
    mlflow_server, training_frame, fast_config, definitions, training_market_dir, tiers
):
    trained = train_model(
        training_frame, fast_config("content_quality"), definitions, "server-key", str(training_market_dir),
        None, mlflow_server, tiers=tiers,
    )  # fmt: skip
    loaded = load_model("content_quality", trained.run.version, mlflow_server)
    assert loaded.record.definitions_version == definitions.version
    rows = training_frame.tail(50)
    assert abs(loaded.predict(rows) - trained.backtest.predict(rows)).max() < 1e-9
