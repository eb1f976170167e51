"""Score a feature frame with both champion models and rank creators within their market."""

from __future__ import annotations

import numpy as np
import pandas as pd

from creatorscore.errors import UserError
from creatorscore.explain.tiers import MarketTiers, market_percentiles
from creatorscore.training.registry import RegisteredModel

SCORES = ("abuse_risk", "content_quality")


def check_definitions(models: list[RegisteredModel], definitions_version: str) -> None:
    """Refuse to score features the models were not trained on."""
    for model in models:
        if model.record.definitions_version != definitions_version:
            raise UserError(
                f"{model.record.name} v{model.record.version} was trained on feature definitions "
                f"{model.record.definitions_version}, but features/ is now {definitions_version}; "
                f"retrain with `creatorscore train --model {model.record.name}` and promote it"
            )


def risk_tier_values(abuse_risk: np.ndarray, market: np.ndarray, tiers: MarketTiers) -> list[str]:
    """The risk tier of each abuse probability at its market's thresholds, as written out: batch
    files and /score items alike."""
    return [tier.value for tier in tiers.tiers(abuse_risk, market)]


def score_creators(
    features: pd.DataFrame, abuse: RegisteredModel, quality: RegisteredModel, tiers: MarketTiers
) -> pd.DataFrame:
    """creator_id, as_of, market, both scores, their percentiles within market, the abuse risk
    tier (at the market's thresholds) and model versions: every field of a /score item, so batch
    and online output agree."""
    scored = features[["creator_id", "as_of", "market"]].copy()
    for model in (abuse, quality):
        scored[model.record.name] = model.predict(features)
        scored[f"{model.record.name}_market_pct"] = market_percentiles(
            scored[model.record.name], scored["market"]
        )
        scored[f"{model.record.name}_version"] = model.record.version
    scored["risk_tier"] = risk_tier_values(
        scored[abuse.record.name].to_numpy(), scored["market"].to_numpy(), tiers
    )
    return scored.reset_index(drop=True)
