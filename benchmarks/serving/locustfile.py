"""Mixed load on the scoring service, as its two consumers call it.

Recommendation ranks candidate lists (/score with 50-500 ids) and single creators; governance
opens case pages (/explain, one creator). Each simulated user keeps a fixed rate, so the total
rate is users x RATE_PER_USER whatever the latency.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

from locust import FastHttpUser, constant_throughput, task

IDS = json.loads(Path(os.environ["BENCH_CREATOR_IDS_FILE"]).read_text())
RATE_PER_USER = float(os.environ.get("BENCH_RATE_PER_USER", "10"))
HEADERS = {"Authorization": f"Bearer {os.environ['BENCH_API_KEY']}", "Content-Type": "application/json"}


class Consumer(FastHttpUser):
    wait_time = constant_throughput(RATE_PER_USER)

    @task(6)
    def rank_candidates(self):
        body = {"creator_ids": random.sample(IDS, random.randint(50, 500))}
        self.client.post("/v1/score", data=json.dumps(body), headers=HEADERS, name="/v1/score (50-500 ids)")

    @task(3)
    def score_one(self):
        self.client.post("/v1/score", data=json.dumps({"creator_ids": [random.choice(IDS)]}), headers=HEADERS)

    @task(1)
    def explain_one(self):
        body = json.dumps({"creator_ids": [random.choice(IDS)]})
        self.client.post("/v1/explain", data=body, headers=HEADERS)
