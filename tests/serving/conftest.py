"""The real scoring service: `creatorscore serve` (BentoML) on a free loopback port, serving the
session's champion models from a temporary MLflow store and an online store materialised from
the training market; clients call it over HTTP.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from creatorscore.serving.access import HASHED, digest
from tests.servers import free_port, running

CREATORSCORE = str(Path(sys.executable).with_name("creatorscore"))
KEYS = {"recommendation": "recommendation-test-key-1", "governance": "governance-test-key-0001"}


# creators onboarded after the store was materialised: in the creators table, not in the store
ONBOARDED = {"cr900001": ("ID", "beauty"), "cr900002": ("ID", "a category nobody sells in yet")}


@dataclass(frozen=True)
class Service:
    url: str
    log: Path
    store: str
    tracking_uri: str
    bentoml_home: Path
    data: Path | None = None  # `serve --data`: the contract's folder it reads creators and records from

    def client(self, role: str | None = "governance") -> httpx.Client:
        headers = {"Authorization": f"Bearer {KEYS[role]}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


@pytest.fixture(scope="session")
def online_store(tmp_path_factory, training_market_dir, definitions) -> str:
    from creatorscore.contract.read import load_marketplace
    from creatorscore.features import compute_features, snapshots
    from creatorscore.features.store import open_store

    tables = load_marketplace(training_market_dir).tables
    uri = f"sqlite:///{tmp_path_factory.mktemp('online')}/store.sqlite"
    vectors = compute_features(tables, [snapshots.default_as_of(tables)], definitions)
    open_store(uri).write(vectors, definitions.names, definitions.version)
    return uri


@pytest.fixture(scope="session")
def keys_file(tmp_path_factory) -> Path:
    """The governance key hashed at rest, the recommendation key in plain text."""
    path = tmp_path_factory.mktemp("keys") / "api-keys"
    path.write_text(
        "# creatorscore API keys\n"
        f"{HASHED}{digest(KEYS['governance'])}=governance\n"
        f"{KEYS['recommendation']}=recommendation\n"
    )
    return path


def service_env(keys_file: Path, bentoml_home: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CREATORSCORE_", "MLFLOW_"))}
    return {**env, "CREATORSCORE_API_KEYS_FILE": str(keys_file), "BENTOML_HOME": str(bentoml_home), **extra}


def serve_command(store: str, tracking_uri: str, port: int) -> list[str]:
    return [CREATORSCORE, "serve", "--store", store, "--tracking-uri", tracking_uri, "--port", str(port)]


@pytest.fixture(scope="session")
def contract_dir(tmp_path_factory, training_market_dir) -> Path:
    """The training market's tables, its creators table with the creators onboarded since it was
    materialised."""
    import shutil

    import pandas as pd

    folder = tmp_path_factory.mktemp("contract")
    for table in training_market_dir.glob("*.parquet"):
        shutil.copy(table, folder)
    creators = pd.read_parquet(training_market_dir / "creators.parquet")
    onboarded = pd.DataFrame(
        {
            "creator_id": list(ONBOARDED),
            "market": [market for market, _ in ONBOARDED.values()],
            "category": [category for _, category in ONBOARDED.values()],
            "onboarded_at": creators["onboarded_at"].max() + pd.Timedelta(days=1),
        }
    )
    pd.concat([creators, onboarded], ignore_index=True).to_parquet(folder / "creators.parquet")
    return folder


@pytest.fixture(scope="session")
def service(tmp_path_factory, champion_store, online_store, keys_file, contract_dir) -> Service:
    folder = tmp_path_factory.mktemp("service")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = service_env(keys_file, folder / "bentoml")
    command = [*serve_command(online_store, champion_store, port), "--data", str(contract_dir)]
    with running(command, f"{url}/readyz", folder / "service.log", env=env, timeout=180):
        yield Service(
            url, folder / "service.log", online_store, champion_store, folder / "bentoml", contract_dir
        )
