"""A model file cut inside its trees: LightGBM aborts the process on one, so it must never reach
LightGBM. The registry's copy that fails its checksum falls back to the kept copy, as a registry
outage does; with no good kept copy, `serve` and `score` refuse in one line."""

from __future__ import annotations

import shutil
import subprocess

import httpx
import pytest

from tests.cli.test_main import _one_line_error, run
from tests.servers import free_port, running
from tests.serving.conftest import serve_command, service_env
from tests.training.copies import copy_store, cut_in_half, logged_model_file

pytestmark = pytest.mark.xdist_group("serving")


@pytest.fixture(scope="module")
def corrupt_store(tmp_path_factory, champion_store) -> str:
    """The session's champions copied, with abuse_risk's logged model.lgb cut inside its trees."""
    uri = copy_store(champion_store, tmp_path_factory.mktemp("corrupt") / "store")
    cut_in_half(logged_model_file(uri, "abuse_risk"))
    return uri


def test_score_with_a_corrupt_champion_file_exits_2_in_one_line(corrupt_store, training_market_dir, tmp_path):
    result = run(
        "score", "--data", str(training_market_dir), "--out", str(tmp_path / "scores.parquet"),
        "--tracking-uri", corrupt_store,
    )  # fmt: skip
    _one_line_error(result, "abuse_risk v1", "is corrupt")
    assert not (tmp_path / "scores.parquet").exists()


def test_a_corrupt_registry_file_serves_the_kept_copies_and_says_why(
    service, corrupt_store, tmp_path, keys_file
):
    home = tmp_path / "bentoml"
    shutil.copytree(service.bentoml_home, home)  # the session service kept both champions there
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = serve_command(service.store, corrupt_store, port)
    with running(command, f"{url}/readyz", tmp_path / "service.log", env=service_env(keys_file, home)):
        ready = httpx.get(f"{url}/readyz").json()
    assert ready["model_source"] == "model store"
    assert "abuse_risk v1" in ready["registry_problem"] and "is corrupt" in ready["registry_problem"]
    assert set(ready["models"]) == {"abuse_risk", "content_quality"}


def test_a_corrupt_registry_file_with_no_good_kept_copy_refuses_in_one_line(
    service, corrupt_store, tmp_path, keys_file
):
    home = tmp_path / "bentoml"
    shutil.copytree(service.bentoml_home, home)
    for booster in (home / "models" / "creatorscore-abuse_risk").glob("*/booster.txt"):
        cut_in_half(booster)  # its own checksum fails
    shutil.rmtree(home / "models" / "creatorscore-content_quality")  # no copy at all
    done = subprocess.run(
        serve_command(service.store, corrupt_store, free_port()),
        env=service_env(keys_file, home),
        capture_output=True,
        text=True,
    )
    _one_line_error(
        done,
        "abuse_risk v1 in the registry",
        "the kept copy of abuse_risk v1 in the BentoML model store is corrupt",
        "holds no earlier copy of content_quality",
    )
