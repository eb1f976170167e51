"""The scoring service over loopback HTTP, next to a bare BentoML endpoint in the same run.

Starts `benchmarks/serving/bare_service.py` (returns a constant) and `creatorscore serve` on
the 100,000-creator online store, then measures sequential single calls (p50/p99, both
services interleaved in rounds so drift hits both alike), /score with 500 ids, /explain for
one creator, where the time goes in-process, and 60 s of mixed load at 200 requests/s from
locust in its own process. Needs champions in the MLflow store (`make demo` makes them).

    .venv/bin/python benchmarks/bench_serving.py [--data /tmp/bench-features-100k] [--tracking-uri sqlite:///mlflow.db]
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from creatorscore.serving.access import HASHED, digest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the tests' server helper: one way to start and stop servers
from tests.servers import free_port, running  # noqa: E402

BIN = Path(sys.executable).parent
KEY = "benchmark-governance-key-0001"


def materialise(data: Path, store: Path) -> str:
    uri = f"sqlite:///{store}"
    if not store.exists():
        from creatorscore.contract.read import load_marketplace
        from creatorscore.features import compute_features, load, snapshots
        from creatorscore.features.store import open_store

        definitions = load()
        tables = load_marketplace(data).tables
        vectors = compute_features(tables, [snapshots.default_as_of(tables)], definitions)
        open_store(uri).write(vectors, definitions.names, definitions.version)
    return uri


class Client:
    """One keep-alive connection through the standard library: httpx adds about 1.5 ms a call
    here, which would hide the server's own latency in both services' figures."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port)
        self.headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        self.connection.request("POST", path, body=body, headers=self.headers)
        response = self.connection.getresponse()
        return response.status, response.read()


def timed_calls(client: Client, path: str, bodies: list[bytes]) -> list[float]:
    """Milliseconds per call, one call at a time; every answer must be a 200."""
    out = []
    for body in bodies:
        started = time.perf_counter()
        status, content = client.post(path, body)
        out.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"{path} answered {status}: {content[:300]!r}")
    return out


def summary(ms: list[float]) -> str:
    p50, p99 = np.percentile(ms, [50, 99])
    return f"p50 {p50:.2f} ms, p99 {p99:.2f} ms ({len(ms)} calls)"


def where_the_time_goes(store: str, uri: str, ids: list[str]) -> None:
    """In-process costs of one /score and one /explain call, step by step (medians of 300)."""
    from creatorscore.features import load
    from creatorscore.serving.online import OnlineScorer
    from creatorscore.serving.schemas import ExplainResponse, ScoreRequest, ScoreResponse
    from creatorscore.serving.scoring_service import ScoringService

    service = ScoringService.start(
        load(),
        {
            "CREATORSCORE_API_KEYS": f"{KEY}=governance",
            "CREATORSCORE_STORE": store,
            "MLFLOW_TRACKING_URI": uri,
        },
    )
    for n in (1, 500):
        body = json.dumps({"creator_ids": random.sample(ids, n)}).encode()
        steps = {"parse + validate request": [], "lookup": [], "validate + serialise response": []}
        for _ in range(300):
            t0 = time.perf_counter()
            request = ScoreRequest.model_validate_json(body)
            t1 = time.perf_counter()
            answer, _ = service.score(request.creator_ids)
            t2 = time.perf_counter()
            ScoreResponse.model_validate(answer).model_dump_json()
            t3 = time.perf_counter()
            for step, seconds in zip(steps, (t1 - t0, t2 - t1, t3 - t2), strict=True):
                steps[step].append(seconds * 1e6)
        parts = ", ".join(f"{k} {statistics.median(v):.0f} us" for k, v in steps.items())
        print(f"  /score {n} id(s) in-process: {parts}")
    explain, serialise = [], []
    for creator in random.sample(ids, 300):
        t0 = time.perf_counter()
        answer, _ = service.explain([creator], 4)
        t1 = time.perf_counter()
        ExplainResponse.model_validate(answer).model_dump_json()
        explain.append((t1 - t0) * 1e3)
        serialise.append((time.perf_counter() - t1) * 1e3)
    print(f"  /explain 1 id in-process: TreeSHAP + reasons (2 models) {statistics.median(explain):.2f} ms, "
          f"validate + serialise {statistics.median(serialise):.2f} ms")  # fmt: skip
    started = time.perf_counter()
    scorer = service.scorer
    OnlineScorer(scorer.store, *scorer.models.values(), scorer.definitions, scorer.tiers)
    print(f"  scoring the whole store once per generation: {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/tmp/bench-features-100k"))
    parser.add_argument("--store", type=Path, default=Path("/tmp/creatorscore-bench-serving/store.sqlite"))
    parser.add_argument("--tracking-uri", default=f"sqlite:///{Path.cwd() / 'mlflow.db'}")
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--load-seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2, help="service worker processes (2 cores: 2)")
    args = parser.parse_args()
    args.store.parent.mkdir(parents=True, exist_ok=True)
    store = materialise(args.data, args.store)
    from creatorscore.features.store import open_store

    ids = open_store(store).read_all()["creator_id"].tolist()
    random.seed(0)
    scratch = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    keys = scratch / "keys"
    keys.write_text(f"{HASHED}{digest(KEY)}=governance\n")
    env = {**os.environ, "CREATORSCORE_API_KEYS_FILE": str(keys), "BENTOML_HOME": str(scratch / "bentoml")}
    bare_port, port = free_port(), free_port()
    bare_cmd = [str(BIN / "bentoml"), "serve", "bare_service:Bare", "--port", str(bare_port),
                "--working-dir", str(HERE / "serving")]  # fmt: skip
    serve_cmd = [str(BIN / "creatorscore"), "serve", "--store", store, "--tracking-uri", args.tracking_uri,
                 "--port", str(port), "--workers", str(args.workers)]  # fmt: skip
    bare_url, url = f"http://127.0.0.1:{bare_port}", f"http://127.0.0.1:{port}"
    with (
        running(bare_cmd, f"{bare_url}/readyz", scratch / "bare.log", env=env, timeout=180),
        running(serve_cmd, f"{url}/readyz", scratch / "service.log", env=env, timeout=300),
    ):
        bare, service = Client(bare_port), Client(port)
        singles = [json.dumps({"creator_ids": [c]}).encode() for c in random.choices(ids, k=args.calls)]
        timed_calls(bare, "/score", singles[:200])  # warm-up
        timed_calls(service, "/v1/score", singles[:200])
        floor, ours = [], []
        for start in range(0, args.calls, 250):  # interleaved rounds
            floor += timed_calls(bare, "/score", singles[start : start + 250])
            ours += timed_calls(service, "/v1/score", singles[start : start + 250])
        print(f"nproc {os.cpu_count()}, {len(ids):,} creators in the store")
        print(f"bare endpoint, 1 id:    {summary(floor)}")
        print(f"/score, 1 id:           {summary(ours)}")
        print(f"  p99 ratio to bare: {np.percentile(ours, 99) / np.percentile(floor, 99):.2f}x "
              f"(p50 ratio {np.percentile(ours, 50) / np.percentile(floor, 50):.2f}x)")  # fmt: skip
        batches = [json.dumps({"creator_ids": random.sample(ids, 500)}).encode() for _ in range(300)]
        ms = timed_calls(service, "/v1/score", batches)
        rate = 500 / (statistics.median(ms) / 1000)
        print(f"/score, 500 ids:        {summary(ms)}; {rate:,.0f} creator scores/s")
        explains = [json.dumps({"creator_ids": [c]}).encode() for c in random.choices(ids, k=1000)]
        timed_calls(service, "/v1/explain", explains[:50])
        print(f"/explain, 1 id:         {summary(timed_calls(service, '/v1/explain', explains))}")
        sample = scratch / "ids.json"
        sample.write_text(json.dumps(random.sample(ids, 5000)))
        locust_env = {
            **env,
            "BENCH_CREATOR_IDS_FILE": str(sample),
            "BENCH_API_KEY": KEY,
            "BENCH_RATE_PER_USER": "10",
        }
        subprocess.run(
            [str(BIN / "locust"), "-f", str(HERE / "serving" / "locustfile.py"), "--headless", "--host", url,
             "--users", "20", "--spawn-rate", "20", "--run-time", f"{args.load_seconds}s", "--only-summary",
             "--csv", str(scratch / "load"), "--loglevel", "WARNING"],
            env=locust_env, check=False, capture_output=True,
        )  # fmt: skip
        with (scratch / "load_stats.csv").open() as stats:
            for row in csv.DictReader(stats):
                print(f"load {row['Name']:<22} {int(row['Request Count']):>6} requests, "
                      f"{int(row['Failure Count'])} failures, {float(row['Requests/s']):.1f}/s, "
                      f"p50 {row['50%']} ms, p99 {row['99%']} ms")  # fmt: skip
    print("where the time goes:")
    where_the_time_goes(store, args.tracking_uri, ids)


if __name__ == "__main__":
    main()
