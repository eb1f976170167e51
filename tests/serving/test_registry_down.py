"""Starting while the MLflow registry is unreachable: serve the models kept at the last good
start and say so in /readyz; with no kept models, refuse to start and say why. The registry's
credentials appear in neither."""

from __future__ import annotations

import subprocess

import httpx
import pytest

from tests.servers import free_port, running
from tests.serving.conftest import KEYS, serve_command, service_env

pytestmark = pytest.mark.xdist_group("serving")
PASSWORD = "s3cret-pw"


def dead_registry() -> str:
    """A registry URI with credentials, on a port nothing listens on."""
    return f"http://user:{PASSWORD}@127.0.0.1:{free_port()}"


def test_an_unreachable_registry_serves_the_kept_models_and_says_so_without_its_password(
    service, tmp_path, keys_file
):
    with service.client("recommendation") as client:  # the first service kept both champions
        expected = client.post("/score", json={"creator_ids": ["cr000001", "cr000002"]}).json()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = service_env(keys_file, service.bentoml_home)
    command = serve_command(service.store, dead_registry(), port)
    with running(command, f"{url}/readyz", tmp_path / "service.log", env=env, timeout=180):
        answer = httpx.get(f"{url}/readyz")
        ready = answer.json()
        scored = httpx.post(
            f"{url}/score",
            json={"creator_ids": ["cr000001", "cr000002"]},
            headers={"Authorization": f"Bearer {KEYS['recommendation']}"},
        ).json()
    assert ready["model_source"] == "model store"
    assert "cannot reach the model registry" in ready["registry_problem"]
    assert scored == expected  # the same versions, the same scores
    assert PASSWORD not in answer.text
    log = (tmp_path / "service.log").read_text()
    assert "cannot reach the model registry" in log and PASSWORD not in log


def test_no_registry_and_no_kept_models_refuses_to_start_and_says_why_without_its_password(
    service, tmp_path, keys_file
):
    env = service_env(keys_file, tmp_path / "empty-bentoml-home")
    command = serve_command(service.store, dead_registry(), free_port())
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "holds no earlier copy" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "http://127.0.0.1:" in done.stderr and PASSWORD not in done.stderr
