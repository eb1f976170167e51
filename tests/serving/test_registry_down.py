"""Starting while the MLflow registry is unreachable: serve the models kept at the last good
start and say so in /readyz; with no kept models, refuse to start and say why. The registry's
credentials appear in neither. The second service started here also carries a small body cap,
to show that `serve --max-body-bytes` is the cap enforced."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port, running
from tests.serving.conftest import KEYS, serve_command, service_env

pytestmark = pytest.mark.xdist_group("serving")
PASSWORD = "s3cret-pw"
SMALL_CAP = 4096  # bytes: a few hundred ids


def dead_registry() -> str:
    """A registry URI with credentials, on a port nothing listens on."""
    return f"http://user:{PASSWORD}@127.0.0.1:{free_port()}"


@dataclass(frozen=True)
class KeptCopyService:
    url: str
    log: Path
    expected: dict  # /score of two creators from the session's service, on the registry's models


@pytest.fixture(scope="module")
def kept_copy_service(service, tmp_path_factory, keys_file):
    """A second service, started while its registry is unreachable, with a small body cap."""
    with service.client("recommendation") as client:  # the first service kept both champions
        expected = client.post("/score", json={"creator_ids": ["cr000001", "cr000002"]}).json()
    port, log = free_port(), tmp_path_factory.mktemp("kept-copies") / "service.log"
    url = f"http://127.0.0.1:{port}"
    env = service_env(keys_file, service.bentoml_home)
    command = [*serve_command(service.store, dead_registry(), port), "--max-body-bytes", str(SMALL_CAP)]
    with running(command, f"{url}/readyz", log, env=env, timeout=180):
        yield KeptCopyService(url, log, expected)


def test_an_unreachable_registry_serves_the_kept_models_and_says_so_without_its_password(kept_copy_service):
    url = kept_copy_service.url
    answer = httpx.get(f"{url}/readyz")
    ready = answer.json()
    scored = httpx.post(
        f"{url}/score",
        json={"creator_ids": ["cr000001", "cr000002"]},
        headers={"Authorization": f"Bearer {KEYS['recommendation']}"},
    ).json()
    assert ready["model_source"] == "model store"
    assert "cannot reach the model registry" in ready["registry_problem"]
    assert scored == kept_copy_service.expected  # the same versions, the same scores
    assert PASSWORD not in answer.text
    log = kept_copy_service.log.read_text()
    assert "cannot reach the model registry" in log and PASSWORD not in log


def test_the_body_cap_given_to_serve_is_the_one_enforced(kept_copy_service):
    headers = {"Authorization": f"Bearer {KEYS['recommendation']}"}
    ids = {"creator_ids": [f"cr{i:06d}" for i in range(SMALL_CAP // 10)]}  # about 12 bytes an id
    refused = httpx.post(f"{kept_copy_service.url}/score", json=ids, headers=headers)
    assert refused.status_code == 413 and f"{SMALL_CAP:,} bytes" in refused.json()["detail"]
    within = httpx.post(f"{kept_copy_service.url}/score", json={"creator_ids": ["cr000001"]}, headers=headers)
    assert within.status_code == 200


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
