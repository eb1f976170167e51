"""What /metrics says beyond BentoML's request counters: which models and store are served.

- `creatorscore_model_info{model, version, run_id, source}` is 1 for each champion served;
- `creatorscore_store_age_seconds` is how old the served generation's features are (now minus
  its as-of time), and `creatorscore_store_creators` how many creators it holds;
- `creatorscore_store_scores_bucket{model, version, le}` is the served generation's score
  distribution, per model, as the cumulative buckets of a Prometheus histogram
  (`histogram_quantile` reads it). It describes the whole scored store, not the requests: a
  /score answer is a lookup of a score computed once per generation, and observing each
  served item into a histogram cost 7 ms a 1,000-id request, longer than the lookup itself.
  They are gauges, replaced with every generation, so they describe the generation served
  rather than the sum of all generations since the start.

Values are set when /metrics is asked for (the age is then exact), from the worker answering;
every worker serves the same models and, within a second, the same generation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

# abuse risk is a probability with most of its mass under 5%; content quality a 1-5 review score
BUCKETS: dict[str, tuple[float, ...]] = {
    "abuse_risk": (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0),
    "content_quality": (1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0),
}
METRICS_PATH = "/metrics"


def cumulative_buckets(scores: np.ndarray, bounds: Sequence[float]) -> list[tuple[str, int]]:
    """(le, count of scores at most le) for each bound and +Inf, as a Prometheus histogram has."""
    ordered = np.sort(np.asarray(scores, dtype=np.float64))
    counts = np.searchsorted(ordered, np.asarray(bounds, dtype=np.float64), side="right")
    return [*((repr(float(b)), int(c)) for b, c in zip(bounds, counts, strict=True)), ("+Inf", len(ordered))]


class ServiceMetrics:
    """The service's own metrics; made in a worker, once BentoML has set up Prometheus for it."""

    def __init__(self) -> None:
        from prometheus_client import Gauge  # imported late: multiprocess mode is set per worker

        self.model_info = Gauge(
            "creatorscore_model_info",
            "1 for each champion model served.",
            ["model", "version", "run_id", "source"],
            multiprocess_mode="mostrecent",
        )
        self.store_age = Gauge(
            "creatorscore_store_age_seconds",
            "Seconds since the as-of time of the store generation served.",
            multiprocess_mode="mostrecent",
        )
        self.store_creators = Gauge(
            "creatorscore_store_creators",
            "Creators in the store generation served.",
            multiprocess_mode="mostrecent",
        )
        self.store_scores = Gauge(
            "creatorscore_store_scores_bucket",
            "Creators of the served store generation scoring at most `le`, per model (histogram buckets).",
            ["model", "version", "le"],
            multiprocess_mode="mostrecent",
        )
        self._generation: str | None = None  # the generation whose buckets are set

    def update(self, service, now: float | None = None) -> None:
        """Set every value from the running `ScoringService`."""
        loaded = service.loaded
        for name, model in loaded.models.items():
            self.model_info.labels(name, model.record.version, model.record.run_id, loaded.source).set(1)
        scored = service.scorer.scored
        if scored is None:
            return
        as_of = scored.meta.as_of.timestamp()
        self.store_age.set((time.time() if now is None else now) - as_of)
        self.store_creators.set(scored.meta.creators)
        if scored.meta.generation == self._generation:
            return
        for name, version in service.model_versions.items():
            scores = [values for (model, _), values in scored.market_scores.items() if model == name]
            for le, count in cumulative_buckets(np.concatenate(scores), BUCKETS[name]):
                self.store_scores.labels(name, version, le).set(count)
        self._generation = scored.meta.generation


class MetricsMiddleware:
    """ASGI middleware: brings the service's metrics up to date before BentoML renders /metrics.

    `service` returns (the ScoringService, its ServiceMetrics), or None while the worker starts.
    """

    def __init__(self, app, service: Callable[[], tuple | None]):
        self.app = app
        self.service = service
        _label_service_version()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] == METRICS_PATH:
            running = self.service()
            if running is not None:
                service, metrics = running
                metrics.update(service)
        return await self.app(scope, receive, send)


def _label_service_version() -> None:
    """BentoML labels its metrics `service_version="not available"` when it serves a folder
    rather than a Bento; the package's version is what this service is.

    Starlette builds the middlewares before the first message (the lifespan's) reaches them,
    and BentoML's metrics middleware makes its label set on that first message, so this is
    the moment to set it: after BentoML sets "not available", before anything is labelled.
    """
    from bentoml._internal.context import server_context

    from creatorscore.serving.openapi import package_version

    if server_context.bento_version == "not available":
        server_context.bento_version = package_version()
