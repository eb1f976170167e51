"""Copies of a real SQLite MLflow store for tests that damage one, so shared stores stay intact."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

# where a SQLite MLflow store records the absolute locations of its artifacts
ARTIFACT_COLUMNS = {
    "experiments": "artifact_location",
    "runs": "artifact_uri",
    "logged_models": "artifact_location",
    "model_versions": "storage_location",
}


def copy_store(uri: str, folder: Path) -> str:
    """A copy of a SQLite MLflow store and its artifacts whose records point at the copy."""
    source = Path(uri.removeprefix("sqlite:///")).parent
    shutil.copytree(source, folder)
    with sqlite3.connect(folder / "mlflow.db") as database:
        for table, column in ARTIFACT_COLUMNS.items():
            database.execute(
                f"UPDATE {table} SET {column} = replace({column}, ?, ?)", (f"{source}/", f"{folder}/")
            )
    return f"sqlite:///{folder}/mlflow.db"


def logged_model_file(uri: str, name: str, version: str | None = None) -> Path:
    """The model.lgb a registered version (or the champion) was logged with."""
    from creatorscore.training.registry import CHAMPION, MODEL_FILE, client

    registry = client(uri)
    found = (
        registry.get_model_version(name, version)
        if version
        else registry.get_model_version_by_alias(name, CHAMPION)
    )
    location = registry.get_model_version_download_uri(name, str(found.version))
    return Path(location.removeprefix("file://")) / MODEL_FILE


def cut_in_half(path: Path) -> None:
    """Truncate a LightGBM model text inside its trees (the header is far shorter than half)."""
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    assert b"Tree=" in raw[: len(raw) // 2] and b"end of trees" not in raw[: len(raw) // 2]
