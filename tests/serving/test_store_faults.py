"""The scoring service while its online store fails under it: replaced by `features materialize`
under load, held locked by another process, missing when a worker starts. The service answers
from the last generation it holds and says so in /readyz; only while it holds none does it answer
503 with Retry-After; never a 500. /readyz shows where its files live to the governance role only.

One service of its own (the session's `service` reads the shared store, which this one spoils),
started as `creatorscore serve` execs BentoML, but on a store that does not exist yet.
"""

from __future__ import annotations

import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pandas as pd
import pytest

from creatorscore.cli.serve import bentoml_serve
from creatorscore.features.store import open_store
from tests.features.locking import held_exclusively
from tests.servers import free_port, running
from tests.serving.conftest import CREATORSCORE, Service, serve_command, service_env

pytestmark = pytest.mark.xdist_group("serving")
IDS = ["cr000001", "cr000002", "cr000003"]


@dataclass(frozen=True)
class LateStore:
    service: Service
    path: Path
    before: dict[str, httpx.Response]  # the answers while the store did not exist


def _until(ask: Callable[[], httpx.Response], done: Callable[[httpx.Response], bool], timeout=90):
    deadline = time.monotonic() + timeout
    while True:
        answer = ask()
        if done(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


@pytest.fixture(scope="module")
def late_store(tmp_path_factory, champion_store, online_store, keys_file) -> LateStore:
    folder = tmp_path_factory.mktemp("late-store")
    path, port = folder / "store.sqlite", free_port()
    service = Service(
        f"http://127.0.0.1:{port}", folder / "service.log", f"sqlite:///{path}", champion_store, folder
    )
    env = service_env(
        keys_file, folder / "bentoml", CREATORSCORE_STORE=service.store, MLFLOW_TRACKING_URI=champion_store
    )
    command = bentoml_serve("127.0.0.1", port)  # as `serve` runs it, without its checks first
    with (
        running(command, f"{service.url}/livez", service.log, env=env, timeout=180),
        service.client(None) as anyone,
        service.client("recommendation") as caller,
    ):
        readyz = _until(lambda: anyone.get("/readyz"), lambda answer: "store_problem" in answer.json())
        before = {"readyz": readyz, "score": caller.post("/score", json={"creator_ids": IDS})}
        shared = open_store(online_store)
        open_store(service.store).write(
            shared.read_all(), shared.metadata().features, shared.metadata().definitions_version
        )
        _until(lambda: anyone.get("/readyz"), lambda answer: answer.status_code == 200)
        yield LateStore(service, path, before)


def test_a_worker_started_before_its_store_answers_503_with_retry_after_until_it_is_written(late_store):
    for answer in late_store.before.values():
        assert answer.status_code == 503 and int(answer.headers["retry-after"]) > 0
    refused = late_store.before["score"]
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "urn:creatorscore:problem:not-ready"
    assert "no online store at" in late_store.before["readyz"].json()["store_problem"]
    with late_store.service.client("recommendation") as caller:
        ready, scored = caller.get("/readyz"), caller.post("/score", json={"creator_ids": IDS})
    assert ready.status_code == 200 and ready.json()["store_problem"] is None
    assert scored.status_code == 200 and len(scored.json()["items"]) == len(IDS)


def test_readyz_shows_file_paths_to_the_governance_role_only(late_store, tmp_path_factory):
    service, folders = late_store.service, str(tmp_path_factory.getbasetemp())
    for role in (None, "recommendation"):
        with service.client(role) as caller:
            answer = caller.get("/readyz")
        assert folders not in answer.text
        assert answer.json()["store"]["uri"] == "store.sqlite" and answer.json()["registry"] == "mlflow.db"
    with service.client("governance") as governance:
        full = governance.get("/readyz").json()
    assert full["store"]["uri"] == service.store and full["registry"] == service.tracking_uri


def _as_of(service: Service) -> str:
    with service.client(None) as anyone:
        return anyone.get("/readyz").json()["store"]["as_of"]


def test_scores_never_fail_while_materialize_replaces_the_store(
    late_store, online_store, training_market_dir
):
    service = late_store.service
    statuses, stop = [], threading.Event()

    def load() -> None:
        with service.client("recommendation") as caller:
            while not stop.is_set():
                statuses.append(caller.post("/score", json={"creator_ids": IDS}).status_code)

    loop = threading.Thread(target=load)
    loop.start()
    try:
        served = pd.Timestamp(_as_of(service))
        moments = [served - pd.Timedelta(days=days) for days in (21, 14, 7)]
        shared = open_store(online_store)
        for moment in moments[:-1]:  # quick replacements in-process, then the command itself
            vectors = shared.read_all().assign(as_of=moment)
            open_store(service.store).write(
                vectors, shared.metadata().features, shared.metadata().definitions_version
            )
            time.sleep(0.5)
        command = [CREATORSCORE, "features", "materialize", "--data", str(training_market_dir)]
        command += ["--store", service.store, "--as-of", f"{moments[-1]:%Y-%m-%d}"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        with service.client(None) as anyone:
            _until(
                lambda: anyone.get("/readyz"),
                lambda answer: answer.json()["store"]["as_of"] == moments[-1].isoformat(),
            )
    finally:
        stop.set()
        loop.join()
    assert pd.Timestamp(_as_of(service)) == moments[-1]
    assert len(statuses) > 20 and set(statuses) == {200}


def test_a_store_held_locked_is_served_from_memory_and_reported(late_store, online_store):
    service, latencies, statuses = late_store.service, [], []
    with held_exclusively(late_store.path), service.client("recommendation") as caller:
        ready = _until(
            lambda: caller.get("/readyz"), lambda answer: answer.json()["store_problem"] is not None
        )
        for _ in range(20):
            started = time.monotonic()
            statuses.append(caller.post("/score", json={"creator_ids": IDS}).status_code)
            latencies.append(time.monotonic() - started)
        # a new generation is renamed onto the path: the lock stays on the old file
        shared = open_store(online_store)
        vectors = shared.read_all().assign(as_of=pd.Timestamp("2027-01-01", tz="UTC"))
        open_store(service.store).write(
            vectors, shared.metadata().features, shared.metadata().definitions_version
        )
        renewed = _until(lambda: caller.get("/readyz"), lambda answer: answer.json()["store_problem"] is None)
    assert ready.status_code == 200 and ready.json()["degraded"]
    assert "locked by another process" in ready.json()["store_problem"]
    assert set(statuses) == {200} and max(latencies) < 1.0
    assert renewed.json()["store"]["as_of"] == "2027-01-01T00:00:00+00:00" and not renewed.json()["degraded"]
    assert "Traceback" not in service.log.read_text()


def test_serve_refuses_a_store_cut_short_in_one_line(tmp_path, keys_file):
    """As a writer killed between emptying and refilling the store left it, before the fix; a
    locked or corrupt store is the same one-line error from the store (tests/features/test_store.py)."""
    path = tmp_path / "store.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("create table meta (key TEXT PRIMARY KEY, value TEXT)")
    env = service_env(keys_file, tmp_path / "bentoml")
    command = serve_command(f"sqlite:///{path}", f"sqlite:///{tmp_path / 'mlflow.db'}", free_port())
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert str(path) in done.stderr


def test_a_generation_of_other_definitions_written_while_serving_is_reported_with_its_fix(
    late_store, online_store
):
    """The last generation stays served, /readyz names `features materialize`, and a good
    generation written after it is served again; the ETag follows the generation served."""
    service, shared = late_store.service, open_store(online_store)
    meta = shared.metadata()
    with service.client("recommendation") as caller:
        etag_before = caller.post("/v1/score", json={"creator_ids": IDS}).headers["etag"]
        open_store(service.store).write(shared.read_all(), meta.features, "0123456789abcdef")
        stale = _until(
            lambda: caller.get("/readyz"), lambda answer: answer.json()["store_problem"] is not None
        )
        still = caller.post("/v1/score", json={"creator_ids": IDS})
        open_store(service.store).write(shared.read_all(), meta.features, meta.definitions_version)
        fixed = _until(lambda: caller.get("/readyz"), lambda answer: answer.json()["store_problem"] is None)
        etag_after = caller.post("/v1/score", json={"creator_ids": IDS}).headers["etag"]
    assert stale.status_code == 200 and stale.json()["degraded"]
    assert stale.json()["store_problem"].startswith(
        "the online store was materialised with feature definitions 0123456789abcdef but the service uses "
        f"{meta.definitions_version}: run `creatorscore features materialize --data DIR --store "
    )
    assert still.status_code == 200 and still.headers["etag"] == etag_before
    assert fixed.status_code == 200 and etag_after != etag_before
    assert open_store(service.store).metadata().generation in etag_after
    assert "Traceback" not in service.log.read_text()
