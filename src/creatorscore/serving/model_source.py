"""Where the service's models come from: the MLflow registry, or the last copy it served.

At start-up the champions are loaded from the registry and each is kept in the BentoML model
store (`BENTOML_HOME`). When the registry cannot be reached, or has no champion, the service
starts from the kept copies and says so in /readyz, as it does when the registry's model file
fails its checksum; with neither it refuses to start and says why. A kept copy is the
registry's model byte for byte (booster text plus the serving bundle, with the booster's
checksum), so its scores are the registry model's scores.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

from creatorscore.errors import UserError
from creatorscore.redact import redact
from creatorscore.scoring.batch import SCORES
from creatorscore.training.registry import (
    RegisteredModel,
    load_champion,
    load_model_files,
    save_model_files,
    tracking_uri,
)

logger = logging.getLogger(__name__)
KEPT_PREFIX = "creatorscore-"  # BentoML model names: creatorscore-abuse_risk, creatorscore-content_quality
# The MLflow settings a service process starts with unless its environment says otherwise: an
# unreachable registry should fail over in seconds, not after minutes of retries, and download
# progress bars have no place in a service's log. MLflow reads them only from the environment,
# so `creatorscore serve` (the edge) puts them there for itself and the service it starts.
SERVICE_MLFLOW_ENV = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "5",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}


@dataclass(frozen=True)
class LoadedModels:
    models: dict[str, RegisteredModel]
    source: str  # "registry" or "model store"
    registry: str  # the tracking URI tried, without credentials
    problem: str | None  # why the registry was not used, when it was not


def load_models(uri: str | None = None) -> LoadedModels:
    """Both champions from the registry, else the copies last kept; UserError when neither exists."""
    registry = tracking_uri(uri)
    try:
        models = {name: load_champion(name, registry) for name in SCORES}
    except Exception as error:  # noqa: BLE001 - any registry failure means: fall back, and say why
        problem = _one_line(error)
        kept, unusable = {}, []
        for name in SCORES:
            try:
                kept[name] = _kept(name)
            except UserError as kept_error:
                unusable.append(str(kept_error))
        if unusable:
            raise UserError(
                f"cannot load champions from the registry at {redact(registry)} ({problem}), and "
                f"{'; '.join(unusable)}: train and promote models (`creatorscore train`, "
                f"`creatorscore promote`), then start again"
            ) from None
        return LoadedModels(kept, "model store", redact(registry), problem)
    for model in models.values():
        try:
            keep(model)
        except Exception as error:  # noqa: BLE001 - a fallback copy must never stop serving
            logger.warning(
                "could not keep %s v%s in the BentoML model store: %s",
                model.record.name,
                model.record.version,
                redact(str(error)),
            )
    return LoadedModels(models, "registry", redact(registry), None)


def keep(model: RegisteredModel) -> None:
    """Store a copy under `creatorscore-NAME:vVERSION-RUN`; re-keeping makes it the latest again.

    Workers starting together may race to keep the same copy; the loser's error is harmless
    (`creatorscore serve` keeps the copies once before its workers start)."""
    import bentoml
    from bentoml.exceptions import NotFound

    tag = f"{KEPT_PREFIX}{model.record.name}:v{model.record.version}-{model.record.run_id[:12]}".lower()
    with contextlib.suppress(NotFound):
        bentoml.models.delete(tag)
    with bentoml.models.create(
        tag, labels={"registry_version": model.record.version}, metadata={"run_id": model.record.run_id}
    ) as kept:
        save_model_files(model, Path(kept.path))


def _kept(name: str) -> RegisteredModel:
    """The copy last kept; UserError when there is none or it fails its checksum."""
    import bentoml
    from bentoml.exceptions import NotFound

    try:
        kept = bentoml.models.get(f"{KEPT_PREFIX}{name}:latest".lower())
    except NotFound:
        raise UserError(f"the BentoML model store holds no earlier copy of {name}") from None
    return load_model_files(Path(kept.path))


def _one_line(error: Exception) -> str:
    text = redact(str(error)).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]
