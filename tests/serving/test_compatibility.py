"""A store, definitions and models that do not belong together: named with their fix, and
`creatorscore serve` refuses them at once in one line instead of starting a crash loop."""

from __future__ import annotations

import dataclasses
import subprocess
import time

import pytest

from creatorscore.features.store import open_store
from creatorscore.serving.compatibility import mismatch
from creatorscore.training.registry import load_champion
from tests.policy_files import policies_with
from tests.servers import free_port
from tests.serving.conftest import serve_command, service_env

pytestmark = pytest.mark.xdist_group("serving")


@pytest.fixture(scope="module")
def champions(champion_store):
    return [load_champion(name, champion_store) for name in ("abuse_risk", "content_quality")]


def test_a_store_models_and_definitions_that_agree_have_no_mismatch(online_store, definitions, champions):
    assert mismatch(open_store(online_store).metadata(), definitions, champions, "sqlite:///s") is None


def test_a_store_of_older_definitions_names_materialize_as_the_fix(online_store, definitions, champions):
    meta = dataclasses.replace(open_store(online_store).metadata(), definitions_version="0ld")
    problem = mismatch(meta, definitions, champions, "sqlite:///s.sqlite", data="data/m")
    assert problem == (
        f"the online store was materialised with feature definitions 0ld but the service uses "
        f"{definitions.version}: run `creatorscore features materialize --data data/m --store sqlite:///s.sqlite`"
    )


def test_a_model_of_older_definitions_names_train_and_promote_as_the_fix(
    online_store, definitions, champions
):
    abuse, quality = champions
    older = dataclasses.replace(abuse, record=abuse.record.model_copy(update={"definitions_version": "0ld"}))
    problem = mismatch(open_store(online_store).metadata(), definitions, [older, quality], "sqlite:///s")
    assert problem.startswith(f"abuse_risk v{abuse.record.version} was trained on feature definitions 0ld")
    assert problem.endswith(
        "`creatorscore train --model abuse_risk` and `creatorscore promote --model abuse_risk`"
    )


def test_serve_on_a_stale_store_exits_at_once_with_one_line_naming_materialize(
    tmp_path, online_store, champion_store, keys_file, definitions
):
    stale = f"sqlite:///{tmp_path / 'stale.sqlite'}"
    open_store(stale).write(open_store(online_store).read_all(), definitions.names, "0123456789abcdef")
    started = time.monotonic()
    done = subprocess.run(
        serve_command(stale, champion_store, free_port()),
        env=service_env(keys_file, tmp_path / "bentoml"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert time.monotonic() - started < 15
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr and "serving" not in done.stderr
    assert lines[0] == (
        f"error: the online store was materialised with feature definitions 0123456789abcdef but the "
        f"service uses {definitions.version}: run "
        f"`creatorscore features materialize --data DIR --store {stale}`"
    )


def test_serve_with_a_malformed_policy_exits_at_once_with_one_line_naming_file_and_field(
    tmp_path, online_store, champion_store, keys_file
):
    policies = policies_with(tmp_path, "SG", "\ntiers: {review: 0.9}\n")
    done = subprocess.run(
        [*serve_command(online_store, champion_store, free_port()), "--policy", str(policies)],
        env=service_env(keys_file, tmp_path / "bentoml"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0] == (
        "error: policies/markets/SG.yaml: tiers: thresholds must satisfy monitor <= review <= restrict"
    )
