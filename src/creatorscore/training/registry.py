"""Loading registered models with everything needed to use them, assuming nothing.

Explanations and serving load models through `load_champion`: the booster, the calibrator,
the exact feature list and the feature-definitions version all come from the run that
produced the model version, so a consumer never re-derives any of them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
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
from creatorscore.training.models import Calibrator

logger = logging.getLogger(__name__)
CHAMPION = "champion"
SQLITE = "sqlite:///"
DEFAULT_TRACKING_URI = f"{SQLITE}mlflow.db"
BUNDLE = "serving.json"
MODEL_FILE = "model.lgb"  # the booster file `mlflow.lightgbm.log_model` writes in the logged model
BOOSTER_FILE = "booster.txt"  # a kept copy's booster, beside its own serving.json
CHECKSUM = "model_sha256"  # in serving.json: the SHA-256 of the booster file LightGBM reads
TREES_END = b"end of trees"


def tracking_uri(given: str | None = None) -> str:
    """The flag if given, else MLFLOW_TRACKING_URI, else the SQLite store in the working directory."""
    return given or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


@dataclass(frozen=True)
class RegisteredModel:
    """One registered model version, ready to score feature frames."""

    name: str
    version: str
    run_id: str
    task: str
    booster: lgb.Booster
    calibrator: Calibrator
    feature_names: list[str]
    definitions_version: str
    best_iteration: int

    def raw_score(self, features: pd.DataFrame) -> np.ndarray:
        """Booster margin on exactly the logged feature columns, in the logged order."""
        missing = [name for name in self.feature_names if name not in features.columns]
        if missing:
            raise UserError(f"{self.name} v{self.version} needs features the frame lacks: {missing[:5]}")
        return self.booster.predict(
            features[self.feature_names], raw_score=True, num_iteration=self.best_iteration or None
        )

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Calibrated abuse probability, or predicted mean review score."""
        margin = self.raw_score(features)
        return self.calibrator.apply(margin) if self.task == "binary" else margin


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
    import mlflow.artifacts
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
            # the logged model's own location: a `models:/` URI would resolve against the global registry
            model_id = found.model_id or found.source.removeprefix("models:/")
            location = mlflow_client.get_logged_model(model_id).artifact_location
            model_file = mlflow.artifacts.download_artifacts(
                artifact_uri=f"{location}/{MODEL_FILE}", dst_path=scratch, tracking_uri=resolved
            )
            bundle_path = mlflow.artifacts.download_artifacts(
                run_id=found.run_id, artifact_path=BUNDLE, dst_path=scratch, tracking_uri=resolved
            )
        except (MlflowException, OSError) as error:
            raise registry_error(error, resolved) from None
        bundle = _read_bundle(Path(bundle_path), what)
        booster = verified_booster(
            Path(model_file).read_bytes(), bundle.get(CHECKSUM), f"{what} ({MODEL_FILE})"
        )
    return RegisteredModel(
        name=name,
        version=str(found.version),
        run_id=found.run_id,
        task=bundle["task"],
        booster=booster,
        calibrator=Calibrator.from_json(bundle["calibrator"]),
        feature_names=list(bundle["feature_names"]),
        definitions_version=bundle["definitions_version"],
        best_iteration=int(bundle["best_iteration"]),
    )


def checksum(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def verified_booster(raw: bytes, expected: str | None, what: str) -> lgb.Booster:
    """A booster parsed from exactly the bytes checked, and only when they match the checksum.

    LightGBM aborts the whole process (it does not raise) on a model file cut inside its trees,
    so no unchecked byte may reach it. Models logged before checksums were recorded have none:
    they still load, with a warning, once their text at least reaches its end of trees."""
    if expected is None:
        logger.warning("%s has no recorded checksum (logged before checksums were): loaded unverified", what)
        if TREES_END not in raw:
            raise UserError(f"{what} is cut short (no end of trees): log the model again")
    elif checksum(raw) != expected:
        raise UserError(
            f"{what} is corrupt: its SHA-256 {checksum(raw)[:12]} is not the {expected[:12]} recorded "
            f"when it was logged; restore it or log the model again"
        )
    try:
        return lgb.Booster(model_str=raw.decode())
    except (UnicodeDecodeError, lgb.basic.LightGBMError) as error:
        raise UserError(f"{what} is not a LightGBM model ({error}); log the model again") from None


def _read_bundle(path: Path, what: str) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise UserError(f"{what}: {path.name} is unreadable ({error}); log the model again") from None


def save_model_files(model: RegisteredModel, directory: Path) -> None:
    """Write a loaded model as two plain files, so it can be served again without the registry;
    the booster's checksum goes with it, so a copy damaged since is refused, not loaded."""
    booster = model.booster.model_to_string().encode()
    (directory / BOOSTER_FILE).write_bytes(booster)
    bundle = {
        "name": model.name,
        "version": model.version,
        "run_id": model.run_id,
        "task": model.task,
        "calibrator": model.calibrator.to_json(),
        "feature_names": model.feature_names,
        "definitions_version": model.definitions_version,
        "best_iteration": model.best_iteration,
        CHECKSUM: checksum(booster),
    }
    (directory / BUNDLE).write_text(json.dumps(bundle))


def load_model_files(directory: Path) -> RegisteredModel:
    """The model `save_model_files` wrote, exactly as it was loaded from the registry."""
    bundle = _read_bundle(directory / BUNDLE, "a kept copy in the BentoML model store")
    what = f"the kept copy of {bundle['name']} v{bundle['version']} in the BentoML model store"
    try:
        raw = (directory / BOOSTER_FILE).read_bytes()
    except OSError as error:
        raise UserError(f"{what} is unreadable ({error.strerror})") from None
    return RegisteredModel(
        name=bundle["name"],
        version=bundle["version"],
        run_id=bundle["run_id"],
        task=bundle["task"],
        booster=verified_booster(raw, bundle.get(CHECKSUM), what),
        calibrator=Calibrator.from_json(bundle["calibrator"]),
        feature_names=list(bundle["feature_names"]),
        definitions_version=bundle["definitions_version"],
        best_iteration=int(bundle["best_iteration"]),
    )


def load_champion(name: str, uri: str | None = None) -> RegisteredModel:
    """The model version holding the `champion` alias: what scoring, explanations and serving use."""
    return load_model(name, None, uri)
