"""Commands run at once against one MLflow store: real `creatorscore` processes on a new SQLite
store, started together."""

from __future__ import annotations

import os
import subprocess

import pytest

from creatorscore.training.registry import CHAMPION, client
from tests.cli.test_main import CLI

MODEL = "content_quality"
ROUNDS = int(os.environ.get("PROMOTION_ROUNDS", "1"))


def simultaneously(*commands: list[str]) -> list[subprocess.CompletedProcess]:
    """Start every command before waiting for any, and collect how each ended."""
    processes = [
        subprocess.Popen([CLI, *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for command in commands
    ]
    results = []
    for command, process in zip(commands, processes, strict=True):
        stdout, stderr = process.communicate(timeout=300)
        results.append(subprocess.CompletedProcess(command, process.returncode, stdout, stderr))
    return results


@pytest.fixture(scope="module")
def raced_store(tmp_path_factory, training_market_dir, training_frame, config_file):
    """Two trainings of the same model started together on a store that does not exist yet."""
    folder = tmp_path_factory.mktemp("raced")
    training_set = folder / "training_set.parquet"
    training_frame.to_parquet(training_set)
    uri = f"sqlite:///{folder}/mlflow.db"
    train = [
        "train", "--model", MODEL, "--data", str(training_market_dir), "--config", str(config_file(MODEL)),
        "--training-set", str(training_set), "--tracking-uri", uri,
    ]  # fmt: skip
    return uri, simultaneously(train, train)


def test_two_trainings_on_a_new_store_both_register(raced_store):
    uri, results = raced_store
    for result in results:
        assert result.returncode == 0, result.stderr
    versions = client(uri).search_model_versions(f"name = '{MODEL}'")
    assert sorted(int(v.version) for v in versions) == [1, 2]
    assert len({v.run_id for v in versions}) == 2


def test_of_simultaneous_promotions_exactly_one_wins_and_the_others_say_to_whom(raced_store, config_file):
    uri, _ = raced_store
    registry = client(uri)
    # both versions were trained with no champion, so each beats the rules on its own
    rule = str(config_file(MODEL, promotion={"margin": 0.0, "market_tolerance": 1.0}))
    promote = ["promote", "--model", MODEL, "--config", rule, "--tracking-uri", uri]
    for _ in range(ROUNDS):  # each round: both versions, each promoted twice, at once
        if registry.get_registered_model(MODEL).aliases:
            registry.delete_registered_model_alias(MODEL, CHAMPION)
        results = simultaneously(*([*promote, "--version", version] for version in "1212"))
        champion = registry.get_model_version_by_alias(MODEL, CHAMPION).version
        winners = [result for result in results if "is now champion" in result.stderr]
        assert len(winners) == 1, [result.stderr for result in results]
        assert winners[0].returncode == 0 and f"{MODEL} v{champion} is now champion" in winners[0].stderr
        for loser in (result for result in results if result is not winners[0]):
            assert loser.returncode == 2 and "Traceback" not in loser.stderr, loser.stderr
            # the other version is identical, trained on the same rows: no lead over the new champion
            lost = (f"gain over the champion v{champion} ", f"v{champion} is already the champion")
            assert "not promoted" in loser.stderr and any(reason in loser.stderr for reason in lost)
