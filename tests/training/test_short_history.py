"""A market with a few months of history trains with the checked-in configs, or says what it lacks."""

from __future__ import annotations

import mlflow
import pytest

from creatorscore.simulate import SimulationConfig, simulate, write_marketplace
from creatorscore.training.config import default_config
from creatorscore.training.split import minimum_history_days
from tests.cli.test_main import run

# A 101-day simulation holds 100 days of history (first to last fact): abuse_risk's minimum.
DAYS = 101


@pytest.fixture(scope="module")
def short_market(tmp_path_factory):
    """A newly launched market: 100 days of history; seed 1 confirms abusers in every period."""
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


def test_abuse_risk_trains_on_a_short_history_with_shorter_periods_and_says_so(short_market):
    assert minimum_history_days(default_config("abuse_risk").split) == DAYS - 1
    result, uri = _train("abuse_risk", *short_market)
    assert result.returncode == 0, result.stderr
    assert "split adapted to the history: test 1 of 3 snapshots, validation 1 of 3" in result.stderr
    assert "abuse_risk v1 registered" in result.stderr
    run_tags = (
        mlflow.MlflowClient(tracking_uri=uri)
        .search_runs(
            [
                mlflow.MlflowClient(tracking_uri=uri)
                .get_experiment_by_name("creatorscore-abuse_risk")
                .experiment_id
            ]
        )[0]
        .data.tags
    )
    assert run_tags["split_adapted"].startswith("test 1 of 3 snapshots, validation 1 of 3")


def test_content_quality_below_its_minimum_names_the_minimum_and_the_history_found(short_market):
    # content_quality also purges training labels from validation: 128 days, more than the market has
    result, _ = _train("content_quality", *short_market)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    refusal = result.stderr.strip().splitlines()[-1]
    assert "at least 128 days of history" in refusal and "cover 100 days" in refusal
