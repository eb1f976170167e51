"""A small simulated marketplace, its training set and two small LightGBM models (fixed seeds)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import lightgbm as lgb
import pandas as pd
import pytest

from creatorscore.contract import validate
from creatorscore.explain import peer_medians
from creatorscore.features.snapshots import every
from creatorscore.features.training_set import build_training_set
from creatorscore.simulate import SimulationConfig, simulate


@dataclass(frozen=True)
class Explained:
    tables: dict[str, pd.DataFrame]
    frame: pd.DataFrame  # every snapshot, features and labels
    latest: pd.DataFrame  # the last snapshot: what would be scored today
    abuse: lgb.Booster
    quality: lgb.Booster
    peers: pd.DataFrame


def _fit(frame: pd.DataFrame, names: list[str], target: str, objective: str, rounds: int) -> lgb.Booster:
    labelled = frame[frame[target].notna()]
    params = {
        "objective": objective,
        "num_leaves": 7,
        "min_data_in_leaf": 10,
        "learning_rate": 0.1,
        "seed": 7,
        "deterministic": True,
        "num_threads": 1,
        "verbosity": -1,
    }
    return lgb.train(params, lgb.Dataset(labelled[names], labelled[target]), num_boost_round=rounds)


@pytest.fixture(scope="session")
def explained(definitions) -> Explained:
    # the window these small models' expectations were measured on, fixed against the default's moves
    config = SimulationConfig(creators=300, days=120, seed=11, start=date(2026, 6, 20))
    tables = validate(simulate(config).tables).tables
    frame = build_training_set(tables, every(tables, 14), definitions)
    names = definitions.names
    latest = frame[frame["as_of"] == frame["as_of"].max()].reset_index(drop=True)
    return Explained(
        tables=tables,
        frame=frame,
        latest=latest,
        abuse=_fit(frame, names, "abuse_label", "binary", 40),
        quality=_fit(frame, names, "quality_label", "regression", 30),
        peers=peer_medians(frame, names),
    )
