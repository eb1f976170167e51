"""Training against a real `mlflow server` over HTTP, as a team would run it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from creatorscore.training.pipeline import train_model
from creatorscore.training.registry import load_model

MLFLOW = str(Path(sys.executable).with_name("mlflow"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mlflow_server(tmp_path):
    port = _free_port()
    log = (tmp_path / "server.log").open("w")  # a file, not a pipe: an unread pipe fills and stalls it
    server = subprocess.Popen(
        [MLFLOW, "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--backend-store-uri", f"sqlite:///{tmp_path}/server.db",
         "--artifacts-destination", str(tmp_path / "artifacts")],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,  # its own group: workers too
    )  # fmt: skip
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"mlflow server did not start: {(tmp_path / 'server.log').read_text()[-2000:]}"
                    )
                time.sleep(0.5)
        yield uri
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server, its uvicorn worker and job consumers
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def test_training_logs_and_registers_on_a_real_mlflow_server(
    mlflow_server, training_frame, fast_config, definitions, training_market_dir
):
    trained = train_model(
        training_frame, fast_config("content_quality"), definitions, "server-key", str(training_market_dir),
        None, mlflow_server,
    )  # fmt: skip
    loaded = load_model("content_quality", trained.run.version, mlflow_server)
    assert loaded.definitions_version == definitions.version
    rows = training_frame.tail(50)
    assert abs(loaded.predict(rows) - trained.backtest.predict(rows)).max() < 1e-9
