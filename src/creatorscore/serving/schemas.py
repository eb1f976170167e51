"""The scoring API's requests and responses: the contract its consumers code against.

BentoML turns these models into the OpenAPI document, and validates every request with them
before any scoring code runs: unknown fields, wrong types, empty or oversized batches and
non-finite numbers are refused with a 400 naming the field. Requests are strict: `"k": "4"` or
`"explain": "yes"` is a client's bug to report, not to guess at; an integer is still a number
for a float field (pydantic's strict JSON mode takes it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from creatorscore.contract.schema import MARKETS
from creatorscore.explain.explanation import Explanation
from creatorscore.explain.statement import StatementOfReasons
from creatorscore.explain.tiers import Tier
from creatorscore.features.definitions import Definitions
from creatorscore.policy.actions import Action, Reward

MAX_SCORE_BATCH = 1000
MAX_EXPLAIN_BATCH = 50  # explanations cost a TreeSHAP pass per model; review tools ask for a page
MAX_FEATURE_ROWS = 100
UNKNOWN_CREATOR = "unknown creator"

CreatorId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)


class ScoreRequest(_Request):
    creator_ids: list[CreatorId] = Field(min_length=1, max_length=MAX_SCORE_BATCH)


class ExplainRequest(_Request):
    creator_ids: list[CreatorId] = Field(min_length=1, max_length=MAX_EXPLAIN_BATCH)
    k: int = Field(4, ge=1, le=10, description="Reasons and mitigating factors per model.")


def score_features_request(definitions: Definitions) -> type[BaseModel]:
    """The /score_features request, its feature fields generated from `features/`.

    Every defined feature is a required field (null where the creator has no value, as the
    online store holds NaN), so the OpenAPI document lists each one with its description and a
    row missing a column or naming an unknown one is refused before any model sees it.
    """
    features = create_model(
        "FeatureVector",
        __config__=_Request.model_config,
        **{
            feature.name: (float | None, Field(description=feature.description))
            for feature in definitions.features
        },
    )

    class FeatureRow(_Request):
        # one of the contract's markets: a tier is cut at the market's thresholds, and only the
        # contract's markets have a policy
        market: Literal[MARKETS] = Field(description="The market whose thresholds cut the row's tier.")
        category: Label
        features: features  # type: ignore[valid-type]

    class ScoreFeaturesRequest(_Request):
        rows: list[FeatureRow] = Field(min_length=1, max_length=MAX_FEATURE_ROWS)
        explain: bool = Field(False, description="Also return reason codes for each row.")

    return ScoreFeaturesRequest


class ModelVersions(BaseModel):
    abuse_risk: str
    content_quality: str


class CreatorScore(BaseModel):
    """Both scores of one creator from the online store's latest features."""

    creator_id: str
    market: str
    as_of: datetime = Field(description="As-of time of the features scored.")
    abuse_risk: float = Field(
        description="Calibrated probability of a confirmed abuse case within the horizon."
    )
    abuse_risk_market_pct: float = Field(description="Percentile (0-1, 1 = riskiest) within the market.")
    risk_tier: Tier
    content_quality: float = Field(description="Expected mean human review score (1-5).")
    content_quality_market_pct: float = Field(description="Percentile (0-1, 1 = best) within the market.")


class ColdStartCreator(BaseModel):
    """A creator in the contract's creators table but not yet in the online store: the prior of
    their market and category (docs/serving.md, "Cold start"), never their own features."""

    creator_id: str
    market: str
    category: str
    as_of: datetime = Field(description="As-of time of the store generation the prior comes from.")
    abuse_risk: float = Field(description="The median abuse risk of the creators the prior is taken from.")
    abuse_risk_market_pct: float | None = Field(description="None when the market is not in the store.")
    risk_tier: Tier
    content_quality: float = Field(description="The median content quality of the same creators.")
    content_quality_market_pct: float | None
    cold_start: Literal[True] = True
    prior: str = Field(description="Whose median the scores are, e.g. 'median of 42 ID beauty creators'.")


class UnknownCreator(BaseModel):
    creator_id: str
    error: Literal["unknown creator"] = UNKNOWN_CREATOR


class ScoreResponse(BaseModel):
    model_versions: ModelVersions
    items: list[CreatorScore | ColdStartCreator | UnknownCreator] = Field(
        description="One item per id, in request order."
    )


class ExplainedCreator(CreatorScore):
    explanations: list[Explanation] = Field(description="One per model: abuse_risk, content_quality.")


class ExplainResponse(BaseModel):
    model_versions: ModelVersions
    items: list[ExplainedCreator | ColdStartCreator | UnknownCreator] = Field(
        description="One item per id, in request order; a cold start has no features to explain."
    )


class RowScore(BaseModel):
    """Scores of one explicit feature row; percentiles place it within the current market."""

    market: str
    abuse_risk: float
    abuse_risk_market_pct: float | None = Field(description="None when the market is not in the store.")
    risk_tier: Tier
    content_quality: float
    content_quality_market_pct: float | None
    explanations: list[Explanation] | None = None


class ScoreFeaturesResponse(BaseModel):
    model_versions: ModelVersions
    as_of: datetime = Field(description="The store's as-of time, used for peer references.")
    items: list[RowScore]


class PolicyRequest(_Request):
    creator_ids: list[CreatorId] = Field(min_length=1, max_length=MAX_SCORE_BATCH)


class PolicyDecision(BaseModel):
    """One creator's decision under their market's policy, as `creatorscore policy apply` makes it
    (docs/governance.md), for the store generation served."""

    creator_id: str
    market: str
    as_of: datetime = Field(description="As-of time of the features and facts the decision rests on.")
    health: int = Field(ge=0, le=1000, description="Account health, from the enforcement record alone.")
    band: str = Field(description="The risk tier, or `cold_start` for a creator too new for the model.")
    action: Action = Field(description="The most severe action called for by health, escalation or tier.")
    penalty: bool = Field(description="Whether the action restricts or takes something from the creator.")
    automated_decision: bool = Field(description="Taken on the model's word alone, as the policy allows.")
    basis: Literal["record", "model"] | None = Field(
        description="What called for the action: the enforcement record or the model; None without one."
    )
    grounds: list[str]
    rewards: list[Reward]
    reason_codes: list[str] = Field(description="The abuse model's reasons (features), for an action taken.")
    queued: bool = Field(description="In today's review queue of the market.")
    queue_rank: int | None = Field(description="Place in that queue, 1 first; None when not queued.")
    statement: StatementOfReasons | None = Field(description="Statement of reasons; None without an action.")


class PolicyResponse(BaseModel):
    model_versions: ModelVersions
    items: list[PolicyDecision | UnknownCreator] = Field(
        description="One item per id, in request order; a creator not in the served store generation "
        "(unknown, or onboarded since) has no decision."
    )


class QueueCase(BaseModel):
    """One case of a market's review queue."""

    market: str
    rank: int = Field(ge=1, description="1 is taken first.")
    creator_id: str
    expected_harm: float = Field(description="Abuse probability x 28-day GMV (at least 1) x severity.")
    why: str
    exploration: bool = Field(description="Drawn at random for unbiased labels, not for its risk.")
    review_probability: float = Field(description="Probability the case had of being queued.")


class QueueResponse(BaseModel):
    model_versions: ModelVersions
    market: str
    as_of: datetime = Field(description="As-of time of the store generation the queue was made from.")
    items: list[QueueCase] = Field(description="The market's queue by rank; empty when nothing is queued.")
