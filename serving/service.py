"""The creatorscore scoring service: BentoML endpoints over `creatorscore.serving`.

Start it with `creatorscore serve` (or `bentoml serve service:CreatorScore` from this folder).
Configuration is the environment: CREATORSCORE_API_KEYS or CREATORSCORE_API_KEYS_FILE,
CREATORSCORE_STORE (default sqlite:///data/demo-features/online_store.sqlite), MLFLOW_TRACKING_URI,
CREATORSCORE_POLICIES (the policies folder whose risk tier thresholds cut each market's tiers
and whose rules decide), CREATORSCORE_DATA (the contract's folder: cold starts, and the enforcement
record /v1/policy and /v1/queue decide from),
CREATORSCORE_MAX_BODY_BYTES (default 1 MB), and BENTOML_HOME, whose model store keeps the last
champions loaded for when the registry is down.
"""

from __future__ import annotations

import os
from typing import Annotated, Literal

import anyio
import bentoml
from fastapi import FastAPI, Query, Response
from fastapi.exceptions import RequestValidationError

from creatorscore.contract.schema import MARKETS
from creatorscore.features import DEFAULT_DIR, load
from creatorscore.serving import log_policy
from creatorscore.serving.access import AccessMiddleware
from creatorscore.serving.limits import BodyLimitMiddleware, max_body_bytes
from creatorscore.serving.metrics import MetricsMiddleware, ServiceMetrics
from creatorscore.serving.openapi import OpenApiMiddleware
from creatorscore.serving.paths import VERSION_PREFIX, AliasMiddleware, route
from creatorscore.serving.problems import ProblemMiddleware, invalid_parameters
from creatorscore.serving.schemas import (
    ExplainRequest,
    ExplainResponse,
    PolicyRequest,
    PolicyResponse,
    QueueResponse,
    ScoreFeaturesResponse,
    ScoreRequest,
    ScoreResponse,
    score_features_request,
)
from creatorscore.serving.scoring_service import ScoringService

log_policy.install()
# features/ (inside a Bento, where CREATORSCORE_FEATURES points): the schema of /score_features
# and the reason templates
DEFINITIONS = load(os.environ.get("CREATORSCORE_FEATURES") or DEFAULT_DIR)
ScoreFeaturesRequest = score_features_request(DEFINITIONS)
INLINE_EXPLAIN = 2  # ids explained on the event loop; more go to a worker thread
# BentoML's own endpoints take POST only: GET /v1/queue is a FastAPI route mounted under /v1
# (BentoML's way to add one), whose refusals become problems as BentoML's do
versioned = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
versioned.add_exception_handler(RequestValidationError, invalid_parameters)


# one worker by default; each holds its own scored store and models
@bentoml.asgi_app(versioned, path=VERSION_PREFIX)
@bentoml.service(
    name="creatorscore", workers=int(os.environ.get("CREATORSCORE_WORKERS", "1")), traffic={"timeout": 30}
)
class CreatorScore:
    def __init__(self) -> None:
        self.service = ScoringService.start(DEFINITIONS)
        self.metrics = ServiceMetrics()

    @bentoml.api(input_spec=ScoreRequest, route=route("score"))
    async def score(self, creator_ids: list[str], ctx: bentoml.Context) -> ScoreResponse:
        """Both scores of up to 1,000 creators by id (recommendation and governance)."""
        # a dictionary lookup per id: cheaper on the event loop than a hop to a worker thread
        body, headers = self.service.score(creator_ids)
        ctx.response.headers.update(headers)
        return ScoreResponse.model_validate(body)

    @bentoml.api(input_spec=ExplainRequest, route=route("explain"))
    async def explain(self, creator_ids: list[str], k: int, ctx: bentoml.Context) -> ExplainResponse:
        """Scores with reason codes and mitigating factors of both models (governance)."""
        # a case page asks for one creator: a few milliseconds, a third of which a hop to a worker
        # thread would add; a batch goes to a thread so /score calls keep flowing meanwhile
        if len(creator_ids) <= INLINE_EXPLAIN:
            body, headers = self.service.explain(creator_ids, k)
        else:
            body, headers = await anyio.to_thread.run_sync(self.service.explain, creator_ids, k)
        ctx.response.headers.update(headers)
        return ExplainResponse.model_validate(body)

    @bentoml.api(input_spec=ScoreFeaturesRequest, route=route("score_features"))
    def score_features(self, rows: list, explain: bool, ctx: bentoml.Context) -> ScoreFeaturesResponse:
        """Scores of explicit feature rows, for what-if analysis (governance)."""
        body, headers = self.service.score_features([row.model_dump() for row in rows], explain)
        ctx.response.headers.update(headers)
        return ScoreFeaturesResponse.model_validate(body)

    @bentoml.api(input_spec=PolicyRequest, route=route("policy"))
    async def policy(self, creator_ids: list[str], ctx: bentoml.Context) -> PolicyResponse:
        """Each creator's decision under their market's policy: action, health, reasons and
        statement, as of the store generation served (governance)."""
        body, headers = self.service.policy(creator_ids)
        ctx.response.headers.update(headers)
        return PolicyResponse.model_validate(body)

    @versioned.get("/queue", response_model=QueueResponse, operation_id="queue")
    async def queue(
        self,
        market: Annotated[Literal[MARKETS], Query(description="The market whose queue to list.")],
        response: Response,
    ) -> QueueResponse:
        """Today's review queue of one market, by rank (governance)."""
        body, headers = self.service.queue(market)
        response.headers.update(headers)
        return QueueResponse.model_validate(body)


def _service() -> ScoringService | None:
    instance = bentoml.get_current_service()
    return instance.service if instance is not None else None


def _metered() -> tuple[ScoringService, ServiceMetrics] | None:
    instance = bentoml.get_current_service()
    return (instance.service, instance.metrics) if instance is not None else None


# the first added is the outermost: an alias becomes its /v1 path before anything else sees it,
# then bodies are capped before anything reads them; BentoML's own refusals become problems
CreatorScore.add_asgi_middleware(AliasMiddleware)
CreatorScore.add_asgi_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes())
CreatorScore.add_asgi_middleware(AccessMiddleware, service=_service)
CreatorScore.add_asgi_middleware(OpenApiMiddleware)
CreatorScore.add_asgi_middleware(MetricsMiddleware, service=_metered)
CreatorScore.add_asgi_middleware(ProblemMiddleware)
