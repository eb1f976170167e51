"""`creatorscore serve` and `creatorscore api-key`: run the scoring service and give it keys."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from creatorscore.cli.options import PoliciesOption, TrackingOption, err
from creatorscore.errors import UserError
from creatorscore.locations import VARIABLES, folder
from creatorscore.redact import redact, redact_uri
from creatorscore.serving.access import HASHED, ApiKeys, Role, digest
from creatorscore.serving.store_uri import DEFAULT_STORE, STORE_VARIABLE


def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 3000,
    host: Annotated[str, typer.Option(help="Interface to bind; 0.0.0.0 exposes the service.")] = "127.0.0.1",
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (each holds the scored store).")] = 1,
    store: Annotated[
        str, typer.Option(help="Online store URI (written by `features materialize`).")
    ] = DEFAULT_STORE,
    data: Annotated[
        Path | None,
        typer.Option(
            help="The contract's folder: creators in its creators table but not yet in the store get a "
            "cold-start score (re-read when the file changes), and its enforcement record lets "
            "/v1/policy and /v1/queue decide. Without it they are unknown and there are no decisions."
        ),
    ] = None,
    tracking_uri: TrackingOption = None,
    policies: PoliciesOption = None,
    max_body_bytes_: Annotated[
        int | None,
        typer.Option(
            "--max-body-bytes",
            min=1,
            help="Largest request body taken (default: $CREATORSCORE_MAX_BODY_BYTES, else 1 MB).",
        ),
    ] = None,
) -> None:
    """Serve both champion models over HTTP (BentoML); keys from $CREATORSCORE_API_KEYS[_FILE].

    The service is serving/service.py of $CREATORSCORE_SERVING, else of the checkout, else the
    installed copy; its feature definitions are found likewise ($CREATORSCORE_FEATURES), and so
    are the policies whose risk tier thresholds it cuts tiers at and that decide (--policy)."""
    from creatorscore.contract.read import load_marketplace
    from creatorscore.features import load
    from creatorscore.features.store import open_store
    from creatorscore.policy import market_tiers
    from creatorscore.serving.cold_start import DATA_VARIABLE, CreatorsTable
    from creatorscore.serving.compatibility import mismatch
    from creatorscore.serving.limits import MAX_BODY_VARIABLE, max_body_bytes
    from creatorscore.serving.model_source import SERVICE_MLFLOW_ENV, load_models
    from creatorscore.training import registry

    ApiKeys.from_environment()  # a missing or malformed key list fails here, in one line
    body_cap = max_body_bytes_ or max_body_bytes()  # and so does a malformed body cap
    policies = folder("policies", policies).resolve()  # absolute: the service runs from serving/
    market_tiers(policies)  # a malformed policy fails here too, not in every worker BentoML starts
    given_store, store = store, _absolute(store)
    meta = open_store(store).metadata()
    serving_dir = service_folder()
    definitions = load(folder("features"))  # the definitions the service will load
    shown = {"store_uri": redact_uri(given_store), "data": str(data) if data else None}
    _refuse_mismatch(mismatch(meta, definitions, [], **shown))  # before the slow part
    creators = CreatorsTable(data) if data else None  # a folder without a creators table stops here
    if data:
        load_marketplace(data)  # and one the policies cannot decide from (a table missing, unreadable)
    for name, value in SERVICE_MLFLOW_ENV.items():  # for this check and the service started below
        os.environ.setdefault(name, value)
    loaded = load_models(registry.tracking_uri(tracking_uri))  # no model, no start: say why here, in one line
    _refuse_mismatch(mismatch(meta, definitions, loaded.models.values(), **shown))
    models = ", ".join(f"{m.record.name} v{m.record.version}" for m in loaded.models.values())
    if loaded.problem:
        err.print(
            f"[bold yellow]registry unavailable[/] ({escape(redact(loaded.problem))}); serving kept copies",
            highlight=False,
            soft_wrap=True,
        )
    err.print(f"models: {models} from the {loaded.source}", highlight=False, soft_wrap=True)
    if creators is not None:
        err.print(
            f"cold start: {len(creators.known):,} creators known from {creators.path}",
            highlight=False,
            soft_wrap=True,
        )
    env = {
        **os.environ,
        STORE_VARIABLE: store,
        "CREATORSCORE_WORKERS": str(workers),
        MAX_BODY_VARIABLE: str(body_cap),
        VARIABLES["policies"]: str(policies),
        "MLFLOW_TRACKING_URI": _absolute(registry.tracking_uri(tracking_uri)),
        **({DATA_VARIABLE: str(data.resolve())} if data else {}),
    }
    where = f"http://{host}:{port} (OpenAPI: /docs.json, readiness: /readyz)"
    err.print(f"serving {redact_uri(store)} on {where}", highlight=False, soft_wrap=True)
    os.execve(sys.executable, bentoml_serve(host, port, serving_dir), env)


def _refuse_mismatch(problem: str | None) -> None:
    """A store, definitions and models that do not belong together stop the start here, in one
    line, rather than in every worker BentoML would start and restart."""
    if problem is not None:
        raise UserError(problem)


def service_folder() -> Path:
    """The folder holding service.py; UserError naming the variable to set when there is none."""
    found = folder("serving")
    if not (found / "service.py").is_file():
        raise UserError(
            f"no service.py in {found}: set ${VARIABLES['serving']} to a folder holding creatorscore's "
            "serving/service.py"
        )
    return found


def bentoml_serve(host: str, port: int, serving_dir: Path | None = None) -> list[str]:
    """The BentoML command `serve` becomes once it has checked keys, store and models."""
    service = ["service:CreatorScore", "--working-dir", str(serving_dir or service_folder())]
    return [sys.executable, "-m", "bentoml", "serve", *service, "--host", host, "--port", str(port)]


def api_key(role: Annotated[Role, typer.Option(help="What the key may call.")]) -> None:
    """Make a new API key: the key on stdout (give it to the client), its file line on stderr."""
    key = secrets.token_urlsafe(24)
    err.print(
        f"line for $CREATORSCORE_API_KEYS_FILE: {HASHED}{digest(key)}={role}", highlight=False, soft_wrap=True
    )
    typer.echo(key)


def _absolute(uri: str) -> str:
    """SQLite URIs with the path made absolute: the service runs from serving/, not from here."""
    prefix = "sqlite:///"
    if not uri.startswith(prefix):
        return uri
    return prefix + str(Path(uri.removeprefix(prefix)).resolve())
