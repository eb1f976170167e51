"""Loading registered models with everything needed to use them, assuming nothing.

Every consumer loads a model through `load_model` (or `load_champion`): the booster and the
model's record (`record.py`) come from the run that produced the version, so a consumer never
re-derives features, calibration or periods from params, tags or loose JSON.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import lightgbm as lgb
import numpy as np
import pandas as pd

from creatorscore.errors import UserError
from creatorscore.redact import redact
from creatorscore.training.mlflow_client import download_model_version
from creatorscore.training.models import predict, raw_score
from creatorscore.training.record import (
    PREDICTIONS_FILE,
    RECORD_FILE,
    ModelRecord,
    legacy_model,
    parse_record,
)

CHAMPION = "champion"
SQLITE = "sqlite:///"
DEFAULT_TRACKING_URI = f"{SQLITE}mlflow.db"
MODEL_FILE = "model.lgb"  # the booster file `mlflow.lightgbm.log_model` writes in the logged model
BOOSTER_FILE = "booster.txt"  # a kept copy's booster, beside its own record


def tracking_uri(given: str | None = None) -> str:
    """The flag if given, else MLFLOW_TRACKING_URI, else the SQLite store in the working directory."""
    return given or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


@dataclass(frozen=True)
class RegisteredModel:
    """One registered model version: its record and the served booster, ready to score feature frames."""

    record: ModelRecord
    booster: lgb.Booster

    def raw_score(self, features: pd.DataFrame) -> np.ndarray:
        """Booster margin on exactly the recorded feature columns, in the recorded order."""
        return raw_score(self.booster, self._columns(features))

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Calibrated abuse probability, or predicted mean review score."""
        record = self.record
        return predict(self.booster, record.calibrator, record.task, self._columns(features))

    def _columns(self, features: pd.DataFrame) -> pd.DataFrame:
        names = list(self.record.feature_names)
        missing = [name for name in names if name not in features.columns]
        if missing:
            record = self.record
            raise UserError(f"{record.name} v{record.version} needs features the frame lacks: {missing[:5]}")
        return features[names]


def client(uri: str | None = None):
    """An MLflow client bound to the given (or default) tracking URI, without touching global state.

    Built under the store's lock: making the client sets up a new SQLite store's schema, and
    two commands doing that at once collide (`duplicate column name`)."""
    from mlflow import MlflowClient

    resolved = tracking_uri(uri)
    with store_lock(resolved):
        return MlflowClient(tracking_uri=resolved, registry_uri=resolved)


@contextlib.contextmanager
def store_lock(uri: str, wait_seconds: float = 60) -> Iterator[None]:
    """Hold an inter-process lock on a SQLite store (a `.lock` file beside the database).

    Serialises what SQLite transactions alone do not: a new store's schema set-up, creating an
    experiment, and promotion's read-compare-set of the alias. The lock dies with its process:
    a killed command never leaves it held."""
    handle = _lock_file(uri)
    if handle is None:
        yield
        return
    with handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise UserError(
                        f"the MLflow store {uri} has been locked by another creatorscore command for "
                        f"{wait_seconds:g} s ({handle.name}); wait for it to finish and try again"
                    ) from None
                time.sleep(0.05)
        yield


def _lock_file(uri: str) -> IO[str] | None:
    """The open lock file of a SQLite store; None for a server, which is its own arbiter, and for
    a store on a read-only disk, where nothing can be set up or written."""
    if not uri.startswith(SQLITE):
        return None
    path = Path(uri.removeprefix(SQLITE).partition("?")[0] + ".lock")
    try:
        return path.open("a")
    except FileNotFoundError:
        raise UserError(
            f"no folder {path.parent} for the MLflow store {uri}: create it or give another --tracking-uri"
        ) from None
    except OSError:
        return None


def registry_error(error: Exception, uri: str) -> UserError:
    """An MLflow failure as one line, without any credentials its text carries."""
    first = (str(error).strip().splitlines() or [""])[0]
    return UserError(f"cannot reach the model registry at {redact(uri)}: {redact(first)[:200]}")


def load_model(name: str, version: str | None = None, uri: str | None = None) -> RegisteredModel:
    """A model version by number, or the champion when no version is given."""
    from mlflow.exceptions import MlflowException

    resolved = tracking_uri(uri)
    mlflow_client = client(resolved)
    try:
        found = (
            mlflow_client.get_model_version(name, str(version))
            if version
            else mlflow_client.get_model_version_by_alias(name, CHAMPION)
        )
    except MlflowException as error:
        if error.error_code not in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            raise registry_error(error, resolved) from None
        what = f"version {version} of {name}" if version else f"champion for {name}"
        raise UserError(
            f"no {what} in {redact(resolved)}; run `creatorscore train --model {name}` "
            f"then `creatorscore promote --model {name}` first"
        ) from None
    what = f"{name} v{found.version} in the registry at {redact(resolved)}"
    with tempfile.TemporaryDirectory() as scratch:
        try:
            record = read_record(mlflow_client, found.run_id, what)
            model_file = download_model_version(
                mlflow_client, name, str(found.version), Path(scratch), MODEL_FILE
            )
        except (MlflowException, OSError) as error:
            raise registry_error(error, resolved) from None
        booster = verified_booster(
            Path(model_file).read_bytes(), record.model_sha256, f"{what} ({MODEL_FILE})"
        )
    return RegisteredModel(record, booster)


def read_record(mlflow_client, run_id: str, what: str) -> ModelRecord:
    """The model record a training run logged; one line refuses a run logged before records."""
    from mlflow.exceptions import MlflowException

    with tempfile.TemporaryDirectory() as scratch:
        try:
            path = mlflow_client.download_artifacts(run_id, RECORD_FILE, scratch)
        except (MlflowException, OSError) as error:
            if _artifact_missing(error):
                raise legacy_model(what) from None
            raise
        return parse_record(Path(path).read_text(), what)


def _artifact_missing(error: Exception) -> bool:
    text = str(error).lower()
    return isinstance(error, FileNotFoundError) or any(
        words in text for words in ("no such file", "not found", "failed to download artifacts")
    )


def read_evidence(mlflow_client, record: ModelRecord) -> tuple[lgb.Booster, ...]:
    """The run's fold boosters (the evidence models), each checked against its recorded checksum."""
    boosters = []
    with tempfile.TemporaryDirectory() as scratch:
        for number, fold in enumerate(record.folds):
            path = mlflow_client.download_artifacts(record.run_id, evidence_file(number), scratch)
            what = f"{record.name} v{record.version}'s fold {number} booster"
            boosters.append(verified_booster(Path(path).read_bytes(), fold.booster_sha256, what))
    return tuple(boosters)


def read_test_predictions(mlflow_client, record: ModelRecord) -> pd.DataFrame:
    """The pooled test rows the run scored, one column per scorer: what the gate compares."""
    with tempfile.TemporaryDirectory() as scratch:
        return pd.read_parquet(mlflow_client.download_artifacts(record.run_id, PREDICTIONS_FILE, scratch))


def evidence_file(number: int) -> str:
    return f"evidence/fold_{number}.lgb"


def checksum(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def verified_booster(raw: bytes, expected: str, what: str) -> lgb.Booster:
    """A booster parsed from exactly the bytes checked, and only when they match the checksum.

    LightGBM aborts the whole process (it does not raise) on a model file cut inside its trees,
    so no unchecked byte may reach it."""
    if checksum(raw) != expected:
        raise UserError(
            f"{what} is corrupt: its SHA-256 {checksum(raw)[:12]} is not the {expected[:12]} recorded "
            f"when it was logged; restore it or log the model again"
        )
    try:
        return lgb.Booster(model_str=raw.decode())
    except (UnicodeDecodeError, lgb.basic.LightGBMError) as error:
        raise UserError(f"{what} is not a LightGBM model ({error}); log the model again") from None


def save_model_files(model: RegisteredModel, directory: Path) -> None:
    """Write a loaded model as two plain files, so it can be served again without the registry;
    its record (with the booster's checksum) goes with it, so a copy damaged since is refused."""
    (directory / BOOSTER_FILE).write_bytes(model.booster.model_to_string().encode())
    (directory / RECORD_FILE).write_text(model.record.model_dump_json())


def load_model_files(directory: Path) -> RegisteredModel:
    """The model `save_model_files` wrote, exactly as it was loaded from the registry."""
    what = f"the kept copy in the BentoML model store at {directory}"
    try:
        text = (directory / RECORD_FILE).read_text()
    except FileNotFoundError:
        raise legacy_model(what) from None
    except OSError as error:
        raise UserError(f"{what} is unreadable ({error.strerror})") from None
    record = parse_record(text, what)
    what = f"the kept copy of {record.name} v{record.version} in the BentoML model store"
    try:
        raw = (directory / BOOSTER_FILE).read_bytes()
    except OSError as error:
        raise UserError(f"{what} is unreadable ({error.strerror})") from None
    return RegisteredModel(record, verified_booster(raw, record.model_sha256, what))


def load_champion(name: str, uri: str | None = None) -> RegisteredModel:
    """The model version holding the `champion` alias: what scoring, explanations and serving use."""
    return load_model(name, None, uri)
