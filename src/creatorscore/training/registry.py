"""Loading registered models with everything needed to use them, assuming nothing.

Explanations and serving load models through `load_champion`: the booster, the calibrator,
the exact feature list and the feature-definitions version all come from the run that
produced the model version, so a consumer never re-derives any of them.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from creatorscore.errors import UserError
from creatorscore.training.models import Calibrator

CHAMPION = "champion"
DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
BUNDLE = "serving.json"


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
    """An MLflow client bound to the given (or default) tracking URI, without touching global state."""
    from mlflow import MlflowClient

    resolved = tracking_uri(uri)
    return MlflowClient(tracking_uri=resolved, registry_uri=resolved)


def load_model(name: str, version: str | None = None, uri: str | None = None) -> RegisteredModel:
    """A model version by number, or the champion when no version is given."""
    import mlflow.artifacts
    import mlflow.lightgbm
    from mlflow.exceptions import MlflowException

    mlflow_client = client(uri)
    try:
        found = (
            mlflow_client.get_model_version(name, str(version))
            if version
            else mlflow_client.get_model_version_by_alias(name, CHAMPION)
        )
    except MlflowException as error:
        if error.error_code not in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            first = (str(error).splitlines() or [""])[0]
            raise UserError(
                f"cannot reach the model registry at {tracking_uri(uri)}: {first[:200]}"
            ) from None
        what = f"version {version} of {name}" if version else f"champion for {name}"
        raise UserError(
            f"no {what} in {tracking_uri(uri)}; run `creatorscore train --model {name}` "
            f"then `creatorscore promote --model {name}` first"
        ) from None
    resolved = tracking_uri(uri)
    with tempfile.TemporaryDirectory() as scratch:
        # the logged model's own location: a `models:/` URI would resolve against the global registry
        model_id = found.model_id or found.source.removeprefix("models:/")
        location = mlflow_client.get_logged_model(model_id).artifact_location
        model_dir = mlflow.artifacts.download_artifacts(
            artifact_uri=location, dst_path=scratch, tracking_uri=resolved
        )
        booster = mlflow.lightgbm.load_model(model_dir)
        bundle_path = mlflow.artifacts.download_artifacts(
            run_id=found.run_id, artifact_path=BUNDLE, dst_path=scratch, tracking_uri=resolved
        )
        bundle = json.loads(Path(bundle_path).read_text())
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


BOOSTER_FILE = "booster.txt"


def save_model_files(model: RegisteredModel, directory: Path) -> None:
    """Write a loaded model as two plain files, so it can be served again without the registry."""
    (directory / BOOSTER_FILE).write_text(model.booster.model_to_string())
    bundle = {
        "name": model.name,
        "version": model.version,
        "run_id": model.run_id,
        "task": model.task,
        "calibrator": model.calibrator.to_json(),
        "feature_names": model.feature_names,
        "definitions_version": model.definitions_version,
        "best_iteration": model.best_iteration,
    }
    (directory / BUNDLE).write_text(json.dumps(bundle))


def load_model_files(directory: Path) -> RegisteredModel:
    """The model `save_model_files` wrote, exactly as it was loaded from the registry."""
    bundle = json.loads((directory / BUNDLE).read_text())
    return RegisteredModel(
        name=bundle["name"],
        version=bundle["version"],
        run_id=bundle["run_id"],
        task=bundle["task"],
        booster=lgb.Booster(model_file=str(directory / BOOSTER_FILE)),
        calibrator=Calibrator.from_json(bundle["calibrator"]),
        feature_names=list(bundle["feature_names"]),
        definitions_version=bundle["definitions_version"],
        best_iteration=int(bundle["best_iteration"]),
    )


def load_champion(name: str, uri: str | None = None) -> RegisteredModel:
    """The model version holding the `champion` alias: what scoring, explanations and serving use."""
    return load_model(name, None, uri)
