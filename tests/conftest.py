"""Shared fixtures: small real marketplaces written to temporary folders, never mocks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from creatorscore.simulate import SimulatedMarketplace, SimulationConfig, simulate, write_marketplace

# property tests draw the same examples on every run, as every other seed here is fixed;
# HYPOTHESIS_PROFILE=explore draws fresh ones when hunting for new counterexamples
settings.register_profile("fixed", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fixed"))

# tests never send MLflow's usage telemetry; its client would also write a session id into
# os.environ, which whichever test first touches MLflow would see as global state changing
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"


@pytest.fixture(scope="session")
def corrupted_market(tmp_path_factory: pytest.TempPathFactory) -> tuple[SimulatedMarketplace, Path]:
    """A small marketplace with malformed rows of every kind, written as Parquet."""
    market = simulate(SimulationConfig(creators=500, days=90, seed=5, corrupt_rate=0.02))
    return market, write_marketplace(market, tmp_path_factory.mktemp("corrupted"))


@pytest.fixture(scope="session")
def clean_market_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    market = simulate(SimulationConfig(creators=200, days=45, seed=3))
    return write_marketplace(market, tmp_path_factory.mktemp("clean"))


@pytest.fixture(scope="session")
def definitions():
    from creatorscore.features import load

    return load()


@pytest.fixture(scope="session")
def tiers():
    """Each market's risk tier thresholds from the checked-in policies/ (all markets share the base's)."""
    from creatorscore.policy import market_tiers

    return market_tiers()


@pytest.fixture(scope="session")
def small_tables() -> dict:
    """Validated tables of a small marketplace: the input every feature test starts from."""
    from creatorscore.contract import validate

    return validate(simulate(SimulationConfig(creators=150, days=75, seed=21)).tables).tables


@pytest.fixture(scope="session")
def training_market_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A marketplace long enough for a train / validation / test split with abuse positives in each."""
    market = simulate(SimulationConfig(creators=400, days=150, seed=11))
    return write_marketplace(market, tmp_path_factory.mktemp("training-market"))


@pytest.fixture(scope="session")
def training_frame(training_market_dir, definitions):
    """The weekly training set of `training_market_dir`, built once for every model test."""
    from creatorscore.contract.read import load_marketplace
    from creatorscore.features import snapshots
    from creatorscore.features.training_set import build_training_set

    tables = load_marketplace(training_market_dir).tables
    return build_training_set(tables, snapshots.every(tables, 7), definitions, 30)


@pytest.fixture(scope="session")
def fast_config():
    """The checked-in config of a model with fewer rounds and one thread, so tests stay quick."""
    from creatorscore.training.config import default_config

    def make(name: str, **updates):
        config = default_config(name)
        raw = config.model_dump()
        raw["lightgbm"].update(max_rounds=60, early_stopping_rounds=20, num_threads=1)
        raw["split"].update(test_snapshots=2, validation_snapshots=2)
        raw["tuning"].update(trials=0)
        for key, value in updates.items():
            raw[key] = {**raw[key], **value} if isinstance(value, dict) else value
        return type(config).model_validate(raw)

    return make


@pytest.fixture(scope="session")
def config_file(tmp_path_factory: pytest.TempPathFactory, fast_config):
    """Write a fast config as YAML, for commands that read one from disk."""
    import yaml

    folder = tmp_path_factory.mktemp("configs")

    def write(name: str, **updates) -> Path:
        path = folder / f"{name}-{len(list(folder.iterdir()))}.yaml"
        path.write_text(yaml.safe_dump(fast_config(name, **updates).model_dump(mode="json")))
        return path

    return write


@pytest.fixture(scope="session")
def champion_store(
    tmp_path_factory, training_frame, fast_config, definitions, training_market_dir, tiers
) -> str:
    """A SQLite MLflow store in which both models are trained once and hold the champion alias.

    The alias is set directly: the promotion gate has its own tests, and a tiny market need not
    pass it for explanations and reports to be tested.
    """
    from creatorscore.scoring.batch import SCORES
    from creatorscore.training.dataset import read_ground_truth
    from creatorscore.training.pipeline import train_model
    from creatorscore.training.registry import CHAMPION, client

    uri = f"sqlite:///{tmp_path_factory.mktemp('champions')}/mlflow.db"
    truth = read_ground_truth(training_market_dir)
    for name in SCORES:
        trained = train_model(
            training_frame,
            fast_config(name),
            definitions,
            "test-key",
            str(training_market_dir),
            truth,
            uri,
            tiers=tiers,
        )
        client(uri).set_registered_model_alias(name, CHAMPION, trained.run.version)
    return uri
