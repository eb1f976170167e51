"""/metrics over HTTP: the models served as labels, the store's age, the served generation's
score distribution per model as histogram buckets, and the package version as service_version."""

from __future__ import annotations

import re
import time
from importlib.metadata import version

import numpy as np
import pytest

from creatorscore.features.store import open_store
from creatorscore.serving.metrics import cumulative_buckets

pytestmark = pytest.mark.xdist_group("serving")


@pytest.fixture(scope="module")
def metrics(service) -> str:
    with service.client("recommendation") as client:
        client.post("/v1/score", json={"creator_ids": ["cr000001"]})
        return client.get("/metrics").text


def _value(text: str, series: str) -> float:
    found = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    assert found, f"{series} not in /metrics"
    return float(found[1])


def test_metrics_label_the_models_served_with_their_versions(service, metrics):
    with service.client(None) as client:
        models = client.get("/readyz").json()["models"]
    for name, model in models.items():
        series = (
            f'creatorscore_model_info{{model="{name}",run_id="{model["run_id"]}",'
            f'source="registry",version="{model["version"]}"}}'
        )
        assert _value(metrics, series) == 1


def test_metrics_give_the_store_age_and_the_served_scores_per_model(service, metrics):
    meta = open_store(service.store).metadata()
    age = _value(metrics, "creatorscore_store_age_seconds")
    assert abs(age - (time.time() - meta.as_of.timestamp())) < 120
    assert _value(metrics, "creatorscore_store_creators") == meta.creators
    for name in ("abuse_risk", "content_quality"):
        total = re.search(
            rf'^creatorscore_store_scores_bucket{{le="\+Inf",model="{name}",version="\w+"}} (\S+)$',
            metrics,
            re.M,
        )
        assert total and float(total[1]) == meta.creators, name


def test_bentoml_metrics_carry_the_package_version_not_not_available(metrics):
    assert 'service_version="not available"' not in metrics
    assert f'service_version="{version("creatorscore")}"' in metrics


def test_buckets_count_the_scores_at_most_each_bound_and_all_under_inf():
    scores = np.array([0.001, 0.004, 0.004, 0.3])
    assert cumulative_buckets(scores, (0.001, 0.005, 0.1)) == [
        ("0.001", 1),
        ("0.005", 3),
        ("0.1", 3),
        ("+Inf", 4),
    ]
