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
def small_tables() -> dict:
    """Validated tables of a small marketplace: the input every feature test starts from."""
    from creatorscore.contract import validate

    return validate(simulate(SimulationConfig(creators=150, days=75, seed=21)).tables).tables
