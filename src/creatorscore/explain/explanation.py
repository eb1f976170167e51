"""Per-creator explanations: score, TreeSHAP reason codes and mitigating factors, in one batch call.

The same function serves batch scoring, the CLI and the HTTP service: it takes the model, the
feature frame, the definitions and the peer medians as plain inputs (the caller loads the model
from the registry, so the explanation is of exactly the model that scored). Everything but the
k texts per creator is computed on whole matrices.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import lightgbm as lgb
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from creatorscore.contract.schema import POLICY_CLAUSES
from creatorscore.explain.contributions import Contributions, tree_contributions
from creatorscore.explain.peers import PeerIndex, peer_values
from creatorscore.explain.reasons import FactGroups, RankedFacts, Reason, rank_facts, render
from creatorscore.explain.tiers import MarketTiers, Tier
from creatorscore.features.definitions import Definitions


@dataclass(frozen=True)
class ScoreKind:
    """How a model's output reads: which direction is adverse and what its margin means."""

    adverse_sign: int  # +1: a higher margin is worse (abuse); -1: a lower one is (quality)
    space: str  # the space contributions add up in
    score: str  # what the reported score is
    no_policy: str  # the policy cell of a reason no single policy covers: said by design


SCORE_KINDS = {
    "abuse_risk": ScoreKind(
        +1,
        "log-odds of the uncalibrated model",
        "calibrated probability of a confirmed abuse case within the horizon",
        "No single policy: part of the overall abuse-risk pattern",
    ),
    "content_quality": ScoreKind(
        -1,
        "expected review score (1-5), the model's own output",
        "expected mean human review score (1-5) over the horizon",
        "No policy: content quality is not a ground for restriction",
    ),
}
# The policy cell of a mitigating factor: a fact weighing against the outcome is no ground.
NOT_A_GROUND = "Not a ground: weighs against the outcome"


class Explanation(BaseModel):
    """Why one creator scored what it did: the facts pushing the score each way."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    creator_id: str
    as_of: datetime
    market: str
    category: str
    model_name: str
    model_version: str | None = Field(description="Registry version of the model explained (and served).")
    definitions_version: str
    space: str = Field(description="Contributions add up in this space: base_value + their sum = margin.")
    base_value: float
    margin: float
    score: float
    score_meaning: str
    tier: Tier | None = Field(
        description="Risk tier of the calibrated abuse probability at its market's thresholds; None for "
        "other models."
    )
    reasons: list[Reason] = Field(
        description="Up to k facts pushing towards the adverse outcome, strongest first."
    )
    mitigating: list[Reason] = Field(description="Up to k facts pushing away from it, strongest first.")


def explain_creators(
    model: lgb.Booster | lgb.LGBMModel,
    frame: pd.DataFrame,
    definitions: Definitions,
    peers: pd.DataFrame | PeerIndex,
    *,
    tiers: MarketTiers,
    model_name: str = "abuse_risk",
    model_version: str | None = None,
    calibrate: Callable[[np.ndarray], np.ndarray] | None = None,
    k: int = 4,
) -> list[Explanation]:
    """One explanation per row of `frame` (keys, market, category and the model's features).

    `peers` comes from `peer_medians`; `tiers` are the markets' thresholds (each row's tier is
    that of its market's policy); `calibrate` maps raw margins to the served probability
    (the registry's calibrator; a plain sigmoid when None). Contributions are explained in
    margin space because a calibrated probability is not a sum of per-feature parts.
    """
    _kind(model_name)  # an unknown model fails before TreeSHAP runs
    contributions = tree_contributions(model, frame)
    return explanations_from(
        contributions,
        frame,
        definitions,
        peers,
        tiers=tiers,
        model_name=model_name,
        model_version=model_version,
        calibrate=calibrate,
        k=k,
    )


def explanations_from(
    contributions: Contributions,
    frame: pd.DataFrame,
    definitions: Definitions,
    peers: pd.DataFrame | PeerIndex,
    *,
    tiers: MarketTiers,
    model_name: str = "abuse_risk",
    model_version: str | None = None,
    calibrate: Callable[[np.ndarray], np.ndarray] | None = None,
    k: int = 4,
) -> list[Explanation]:
    """Explanations from contributions already computed (reports reuse them for waterfall charts)."""
    kind = _kind(model_name)
    with _collection_deferred():
        return _explanations(
            contributions,
            frame,
            definitions,
            peers,
            kind,
            model_name,
            model_version,
            calibrate,
            k,
            tiers,
        )


def _explanations(
    contributions: Contributions,
    frame: pd.DataFrame,
    definitions: Definitions,
    peers: pd.DataFrame | PeerIndex,
    kind: ScoreKind,
    model_name: str,
    model_version: str | None,
    calibrate: Callable[[np.ndarray], np.ndarray] | None,
    k: int,
    tiers: MarketTiers,
) -> list[Explanation]:
    groups, version = _prepared(definitions, contributions.feature_names)
    margin = contributions.margin
    if kind.adverse_sign > 0:
        score = (calibrate or _sigmoid)(margin)
        row_tiers: list[Tier | None] = list(tiers.tiers(score, frame["market"].to_numpy()))
    else:
        score, row_tiers = margin, [None] * len(margin)
    peer = peer_values(frame, peers, contributions.feature_names)
    unfavourable = groups.risky_values(contributions.features, peer)
    up, down = rank_facts(contributions.values, groups.index, kind.adverse_sign, k, unfavourable)
    markets, categories = _texts(frame["market"]), _texts(frame["category"])
    to_score = (
        (calibrate or _sigmoid) if kind.adverse_sign > 0 else None
    )  # the score of a margin; content quality's score is its margin
    side_reasons = [
        _reasons(ranked, contributions, peer, groups, markets, categories, to_score, policy_cell)
        for ranked, policy_cell in ((up, kind.no_policy), (down, None))
    ]
    base, margin_, score_ = (
        contributions.base.tolist(),
        margin.tolist(),
        np.asarray(score, dtype=float).tolist(),
    )
    as_of = pd.DatetimeIndex(frame["as_of"]).to_pydatetime().tolist()
    # validated in one call: pydantic's core builds every model and nested reason without a
    # Python-level __init__ per object, a third faster than constructing them one by one
    return _EXPLANATIONS.validate_python(
        [
            dict(
                creator_id=creator_id,
                as_of=as_of[row],
                market=markets[row],
                category=categories[row],
                model_name=model_name,
                model_version=model_version,
                definitions_version=version,
                space=kind.space,
                base_value=base[row],
                margin=margin_[row],
                score=score_[row],
                score_meaning=kind.score,
                tier=row_tiers[row],
                reasons=side_reasons[0][row],
                mitigating=side_reasons[1][row],
            )
            for row, creator_id in enumerate(_texts(frame["creator_id"]))
        ]
    )


def _reasons(
    ranked: RankedFacts,
    contributions: Contributions,
    peer: np.ndarray,
    groups: FactGroups,
    markets: list[str],
    categories: list[str],
    to_score: Callable[[np.ndarray], np.ndarray] | None,
    no_policy: str | None,
) -> list[list[dict]]:
    """Each row's reasons on one side (as Reason fields): numbers gathered as whole matrices,
    then only the texts per row.

    `no_policy` is the policy cell of a reason no policy covers; None marks the mitigating
    side, where no fact is a ground under any policy.
    """
    chosen = np.maximum(ranked.feature, 0)
    value = np.take_along_axis(contributions.features, chosen, axis=1).tolist()
    reference = np.take_along_axis(peer, chosen, axis=1).tolist()
    contribution = np.take_along_axis(contributions.values, chosen, axis=1).tolist()
    group_sum = ranked.group_contribution.tolist()
    margin = contributions.margin[:, None]
    if to_score is None:
        effect = ranked.group_contribution.tolist()
    else:
        without = margin - ranked.group_contribution
        effect = (
            to_score(margin.ravel())[:, None] - to_score(without.ravel()).reshape(without.shape)
        ).tolist()
    out = []
    for row, features in enumerate(ranked.feature.tolist()):
        reasons = []
        for slot, j in enumerate(features):
            if j < 0:
                break
            feature, v, r = groups.features[j], value[row][slot], reference[row][slot]
            defined, has_peer = math.isfinite(v), math.isfinite(r)
            template = groups.templates[j]
            policy = feature.policy if no_policy is not None else None  # mitigating: no ground
            reasons.append(
                dict(
                    feature=feature.name,
                    label=groups.labels[j],
                    family=groups.names[groups.index[j]],
                    value=v if defined else None,
                    value_text=template.value_text(v),
                    peer_value=r if has_peer else None,
                    peer_value_text=template.value_text(r),
                    peer_ratio=v / r if defined and has_peer and r != 0 else None,
                    contribution=contribution[row][slot],
                    family_contribution=group_sum[row][slot],
                    score_effect=effect[row][slot],
                    policy=policy,
                    policy_text=policy_text(policy, no_policy),
                    text=render(template, v, r, markets[row], categories[row]),
                )
            )
        out.append(reasons)
    return out


def policy_text(policy: str | None, no_policy: str | None) -> str:
    """The policy cell a reviewer reads: the policy's name and clause, or why there is none."""
    if policy is not None:
        name, clause = POLICY_CLAUSES[policy]
        return f"{name}: {clause}"
    return no_policy if no_policy is not None else NOT_A_GROUND


def _sigmoid(margin: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-margin))


@contextmanager
def _collection_deferred() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch's objects are built.

    About twenty objects per creator trigger the collector again and again, and each run walks
    every live object, the feature frames included: a third of the time outside TreeSHAP. The
    objects built here form no cycles, so nothing is lost by collecting after the batch.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _texts(column: pd.Series) -> list[str]:
    # str() per value: a tenth of `astype(str)`'s cost on the one-row frames the service explains
    return [str(value) for value in column.tolist()]


def _kind(model_name: str) -> ScoreKind:
    if model_name not in SCORE_KINDS:
        raise ValueError(f"no explanation settings for model {model_name!r}; known: {', '.join(SCORE_KINDS)}")
    return SCORE_KINDS[model_name]


_EXPLANATIONS = TypeAdapter(list[Explanation])
_PREPARED: dict[tuple[int, tuple[str, ...]], tuple[Definitions, FactGroups, str]] = {}


def _prepared(definitions: Definitions, names: tuple[str, ...]) -> tuple[FactGroups, str]:
    """Fact groups and the definitions hash, built once per definitions object and model.

    Both cost more than explaining one creator, so the service must not rebuild them per call.
    """
    key = (id(definitions), names)
    cached = _PREPARED.get(key)
    if cached is None or cached[0] is not definitions:
        cached = (definitions, FactGroups.build(definitions, names), definitions.version)
        _PREPARED[key] = cached
    return cached[1], cached[2]
