"""MLflow runs and registered LightGBM models through one bound `MlflowClient`, never the globals.

MLflow's fluent API (`mlflow.start_run`, `mlflow.log_*`, `mlflow.lightgbm.log_model`) works on
a process-wide tracking URI, and `mlflow.set_tracking_uri` also writes MLFLOW_TRACKING_URI into
`os.environ`. Everything here goes through the client the caller built for its store, so two
stores can be used in one process and nothing leaks into the next command or test.

Registration passes the logged model's storage location as the version's source, not
`models:/<model_id>`: for a `models:/` source, MLflow 3's SQLAlchemy registry store looks the
logged model up with `MlflowClient()` on the *global* tracking URI (a known TODO in
`create_model_version`, mlflow/mlflow#23367), which fails, or opens a stray `mlflow.db` in the
working directory, whenever the store is not the global default. With the location as source,
the version still names its run and model id, and `get_model_version_download_uri` (what a
`models:/<name>/<version>` URI resolves to) returns the model's folder for versions
registered either way.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MODEL_ID_TAG = "model_id"  # on each version: the logged model it was registered from


@dataclass(frozen=True)
class RegisteredLightGBM:
    """A LightGBM model logged to a run and registered: its logged-model id and version number."""

    model_id: str
    version: str


@contextlib.contextmanager
def run(client, experiment_id: str, run_name: str, tags: Mapping[str, Any] | None = None) -> Iterator[str]:
    """A run open for the block, ended FINISHED, or FAILED when the block raises: `mlflow.start_run`
    without the active-run global."""
    created = client.create_run(
        experiment_id, run_name=run_name, tags={k: str(v) for k, v in (tags or {}).items()}
    )
    run_id = created.info.run_id
    try:
        yield run_id
    except BaseException:
        client.set_terminated(run_id, "FAILED")
        raise
    client.set_terminated(run_id, "FINISHED")


def log_values(
    client,
    run_id: str,
    params: Mapping[str, Any] | None = None,
    metrics: Mapping[str, float] | None = None,
    tags: Mapping[str, Any] | None = None,
) -> None:
    """Params, metrics (step 0) and tags in one batched call; the client splits it to MLflow's
    per-request limits."""
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.utils.time import get_current_time_millis

    now = get_current_time_millis()
    client.log_batch(
        run_id,
        metrics=[Metric(key, float(value), now, 0) for key, value in (metrics or {}).items()],
        params=[Param(key, str(value)) for key, value in (params or {}).items()],
        tags=[RunTag(key, str(value)) for key, value in (tags or {}).items()],
    )


def log_dataset(client, run_id: str, dataset, context: str) -> None:
    """An `mlflow.data` dataset as the run's input, tagged with its context ("training"), as
    `mlflow.log_input` records it."""
    from mlflow.entities import DatasetInput, InputTag
    from mlflow.utils.mlflow_tags import MLFLOW_DATASET_CONTEXT

    tags = [InputTag(key=MLFLOW_DATASET_CONTEXT, value=context)]
    client.log_inputs(run_id, datasets=[DatasetInput(dataset=dataset._to_mlflow_entity(), tags=tags)])


def log_lightgbm_model(
    client,
    run_id: str,
    experiment_id: str,
    booster,
    signature,
    input_example,
    pip_requirements: list[str],
    registered_name: str,
    name: str = "model",
) -> RegisteredLightGBM:
    """Log a booster as an MLflow 3 LoggedModel of the run and register it as a new version.

    The steps `mlflow.lightgbm.log_model(registered_model_name=...)` takes, on the given client:
    create the logged model (PENDING), link it to the run as an output, save the flavor into a
    local folder that records the model id, upload it, mark it READY (FAILED if any step
    raises), then register. Callers that number versions concurrently hold the store's lock.
    """
    import mlflow.lightgbm
    from mlflow.entities import LoggedModelOutput, LoggedModelStatus
    from mlflow.models import Model

    logged = client.create_logged_model(experiment_id, name=name, source_run_id=run_id)
    try:
        client.log_outputs(run_id, [LoggedModelOutput(logged.model_id, step=0)])
        with tempfile.TemporaryDirectory() as scratch:
            local = Path(scratch) / name
            description = Model(
                artifact_path=logged.artifact_location,
                model_uuid=logged.model_id,
                run_id=run_id,
                model_id=logged.model_id,
            )
            mlflow.lightgbm.save_model(
                booster,
                str(local),
                mlflow_model=description,
                signature=signature,
                input_example=input_example,
                pip_requirements=pip_requirements,
            )
            client.log_model_artifacts(logged.model_id, str(local))
    except BaseException:
        client.finalize_logged_model(logged.model_id, LoggedModelStatus.FAILED)
        raise
    client.finalize_logged_model(logged.model_id, LoggedModelStatus.READY)
    version = register(client, registered_name, logged.artifact_location, run_id, logged.model_id)
    return RegisteredLightGBM(logged.model_id, version)


def register(client, name: str, location: str, run_id: str, model_id: str) -> str:
    """A new version of `name` (created if need be) pointing at a logged model's files."""
    from mlflow.exceptions import MlflowException

    try:
        client.create_registered_model(name)
    except MlflowException as error:
        if error.error_code not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
            raise
    created = client.create_model_version(
        name, source=location, run_id=run_id, model_id=model_id, tags={MODEL_ID_TAG: model_id}
    )
    return str(created.version)


def download_model_version(client, name: str, version: str, destination: Path, path: str = "") -> Path:
    """The files of a registered version (all, or one `path` inside it) in `destination`: what
    `models:/<name>/<version>` resolves to, without that URI's lookup on the global registry."""
    import mlflow.artifacts

    location = client.get_model_version_download_uri(name, version)
    artifact_uri = f"{location.rstrip('/')}/{path}" if path else location
    return Path(
        mlflow.artifacts.download_artifacts(
            artifact_uri=artifact_uri, dst_path=str(destination), tracking_uri=client.tracking_uri
        )
    )
