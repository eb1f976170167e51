"""A market with a few months of history trains with the checked-in configs, or says what it lacks."""

from __future__ import annotations

import mlflow
import pytest

from creatorscore.simulate import SimulationConfig, simulate, write_marketplace
from creatorscore.training.config import default_config
from creatorscore.training.registry import read_record
from creatorscore.training.split import minimum_history_days
from tests.cli.test_main import run

# A 91-day simulation holds 90 days of history (first to last fact): what a newly launched market has.
DAYS = 91


@pytest.fixture(scope="module")
def short_market(tmp_path_factory):
    """A newly launched market: 90 days of history; seed 1 confirms abusers in every period."""
    market = simulate(SimulationConfig(creators=500, days=DAYS, seed=1))
    folder = tmp_path_factory.mktemp("short-market")
    return write_marketplace(market, folder / "data"), folder


def _train(name: str, data, folder):
    """`creatorscore train` as a user runs it, with the checked-in config."""
    uri = f"sqlite:///{folder}/mlflow.db"
    result = run(
        "train", "--model", name, "--data", str(data), "--tracking-uri", uri,
        "--cache-dir", str(folder / "cache"),
    )  # fmt: skip
    return result, uri


@pytest.mark.parametrize("name", ["abuse_risk", "content_quality"])
def test_both_models_train_on_90_days_of_history_with_the_checked_in_configs_and_say_how(short_market, name):
    assert minimum_history_days(default_config(name).split) > DAYS - 1  # weekly snapshots do not fit
    result, uri = _train(name, *short_market)
    assert result.returncode == 0, result.stderr
    assert "split adapted to the history: " in result.stderr
    assert "snapshots every 2 days, not 7" in result.stderr and f"{name} v1 registered" in result.stderr
    registry = mlflow.MlflowClient(tracking_uri=uri)
    experiment = registry.get_experiment_by_name(f"creatorscore-{name}").experiment_id
    record = read_record(registry, registry.search_runs([experiment])[0].info.run_id, name)
    assert record.snapshot_every_days == 2 and record.split_adapted.startswith("snapshots every 2 days")


def test_a_history_below_the_minimum_names_the_minimum_and_the_history_found(tmp_path):
    market = simulate(SimulationConfig(creators=300, days=81, seed=1))
    result, _ = _train("content_quality", write_marketplace(market, tmp_path / "data"), tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    refusal = result.stderr.strip().splitlines()[-1]
    assert "at least 100 days of history" in refusal and "89 with daily snapshots" in refusal
