"""The policy backtest: history replayed as-of date by as-of date under a policy, with models
trained only on what was known before the replay starts.

At each as-of date the features of that date are scored, the market policies decide (without
the statements of reasons, which a replay never reads), each market's queue is reviewed by a
stated reviewer model, and a confirmed creator is actioned (the policy's restrict-tier action)
and leaves the replay. Each review becomes an abuse case closed that day, as on the platform,
so the next dates know whom a reviewer cleared lately. What happened is one row per creator
and date (`ACTION_COLUMNS`), the form others can check; `summary.py` turns it into the goals.
The status quo is the same policy with the rule baseline's score in the model's place: the
rules fill the same queue.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from creatorscore.errors import UserError
from creatorscore.explain.tiers import Tier
from creatorscore.features import Definitions, compute_features, snapshots
from creatorscore.features.training_set import build_training_set
from creatorscore.policy.actions import Action
from creatorscore.policy.apply import apply_policies
from creatorscore.policy.legal import MarketPolicy, tiers_of
from creatorscore.policy.reviewers import ReviewerModel, reviews_from_later_facts, reviews_from_truth
from creatorscore.scoring.batch import SCORES, score_creators
from creatorscore.training.backtest import latent_truth, run_backtest
from creatorscore.training.baselines import RuleBaseline
from creatorscore.training.config import ModelConfig
from creatorscore.training.registry import RegisteredModel
from creatorscore.training.split import snapshot_step
from creatorscore.training.tracking import model_record

ACTION_COLUMNS = [
    "creator_id",
    "as_of",
    "market",
    "action",
    "reviewed",
    "confirmed",
    "penalty",
    "exploration",
]
Scorer = Literal["model", "rules"]
RULES_FLAG = 0.25  # the rule baseline's score once one threshold is crossed: the rules call for review


@dataclass(frozen=True)
class ReplayModels:
    """Both models, trained on snapshots whose label window closed before the replay starts."""

    abuse: RegisteredModel
    quality: RegisteredModel
    trained_until: pd.Timestamp
    snapshots: int


def train_before(
    tables: dict[str, pd.DataFrame],
    start: pd.Timestamp,
    definitions: Definitions,
    configs: dict[str, ModelConfig],
    on_stage: Callable[[str], None] = lambda stage: None,
) -> ReplayModels:
    """Train both models as of `start`: only snapshots t with t + horizon <= start, so every label
    (a case closed in (t, t + horizon]) and every feature was known before the replay. The
    snapshots come as often as the history before `start` needs (`split.snapshot_step`), as
    `creatorscore train` does on a short history."""
    horizon = max(config.split.horizon_days for config in configs.values())
    history = (start - snapshots.first_fact_at(tables)).days
    step = min(snapshot_step(history, config.split) for config in configs.values())
    moments = [t for t in snapshots.every(tables, step) if t + pd.Timedelta(days=horizon) <= start]
    if len(moments) < 2:
        raise UserError(
            f"--from {start:%Y-%m-%d} leaves {len(moments)} training snapshot(s) whose {horizon}-day label "
            "window closes before it; start the replay later"
        )
    frame = build_training_set(tables, moments, definitions, horizon)
    models = {}
    for name in SCORES:
        on_stage(f"training {name} on {len(moments)} snapshots before {start:%Y-%m-%d}")
        backtest = run_backtest(frame, configs[name], definitions)
        record = model_record(
            backtest, "replay", "replay", definitions.version, "replay", "replay", len(frame), None
        )
        models[name] = RegisteredModel(record, backtest.booster)
    return ReplayModels(models["abuse_risk"], models["content_quality"], max(moments), len(moments))


def capacity_per_step(
    policies: dict[str, MarketPolicy], creators: pd.Series, share: float | None, days: int, step: int
) -> dict:
    """Each market's policy with its queue sized for replay step `step` (0 first): `days` of the
    policy's daily capacity, or `share` of the market's onboarded creators (`--review-capacity`).
    A share is kept on average, not rounded up each step: step k gets the whole reviews that
    share x creators x (k + 1) adds to share x creators x k, so a market of 118 creators at 1%
    reviews one creator most weeks and two some weeks, never two every week (1.7%, which would
    queue its healthy creators more often than a large market's)."""
    counts = creators.value_counts()
    sized = {}
    for market, policy in policies.items():
        rule = policy.governance.queue
        per_step = share * int(counts.get(market, 0)) if share is not None else None
        capacity = (
            math.floor(per_step * (step + 1) + 1e-9) - math.floor(per_step * step + 1e-9)
            if per_step is not None
            else rule.capacity_per_day * days
        )
        queue = rule.model_copy(update={"capacity_per_day": capacity})
        sized[market] = policy.model_copy(
            update={"governance": policy.governance.model_copy(update={"queue": queue})}
        )
    return sized


def capacity_at(
    policies: dict[str, MarketPolicy],
    creators: pd.DataFrame,
    moment: pd.Timestamp,
    share: float | None,
    days: int,
    step: int,
) -> dict:
    """`capacity_per_step` for the creators (the contract's table) onboarded before `moment`."""
    onboarded = creators.loc[creators["onboarded_at"] < moment, "market"]
    return capacity_per_step(policies, onboarded, share, days, step)


def replay_capacity(
    policies: dict[str, MarketPolicy],
    creators: pd.DataFrame,
    moments: Sequence[pd.Timestamp],
    share: float | None,
) -> dict[str, int]:
    """Each market's reviews over the whole replay, as `replay` sizes its queues step by step."""
    days = _step_days(moments)
    steps = [capacity_at(policies, creators, at, share, days, step) for step, at in enumerate(moments)]
    return {m: sum(step[m].governance.queue.capacity_per_day for step in steps) for m in policies}


def _step_days(moments: Sequence[pd.Timestamp]) -> int:
    return int(np.diff(moments).min() / pd.Timedelta(days=1)) if len(moments) > 1 else 7


def replay(
    tables: dict[str, pd.DataFrame],
    moments: Sequence[pd.Timestamp],
    models: ReplayModels,
    definitions: Definitions,
    policies: dict[str, MarketPolicy],
    reviewer: ReviewerModel,
    truth: pd.DataFrame | None = None,
    scorer: Scorer = "model",
    review_capacity: float | None = None,
    seed: int = 0,
    on_stage: Callable[[str], None] = lambda stage: None,
) -> pd.DataFrame:
    """Every as-of date of `moments` in turn: ACTION_COLUMNS rows wherever an action was taken or a
    review made. With `truth` (the simulator's creators), reviews follow the reviewer model on it;
    without, they take their outcome from the contract's later facts."""
    tiers = tiers_of(policies)
    step_days = _step_days(moments)
    confirmed_before: set[str] = set()
    happened = []
    for number, moment in enumerate(moments):
        on_stage(f"as of {moment:%Y-%m-%d} ({number + 1} of {len(moments)}), {scorer}")
        features = compute_features(tables, [moment], definitions)
        features = features[~features["creator_id"].isin(confirmed_before)].reset_index(drop=True)
        scored = score_creators(features, models.abuse, models.quality, tiers)
        if scorer == "rules":
            scored = _scored_by_rules(scored, features)
        sized = capacity_at(policies, tables["creators"], moment, review_capacity, step_days, number)
        applied = apply_policies(
            features, scored, tables, models.abuse, definitions, sized, seed + number, statements=False
        )
        queue = applied.queue
        if truth is not None:
            abusing = latent_truth(queue.assign(as_of=moment), truth, "binary").astype(bool)
            confirmed = reviews_from_truth(queue, pd.Series(abusing.to_numpy(), index=queue["creator_id"]),
                                           reviewer, seed + number)  # fmt: skip
        else:
            confirmed = reviews_from_later_facts(queue, tables, moment, reviewer)
        happened.append(_what_happened(applied.decisions, queue, confirmed, sized, moment))
        confirmed_before |= set(queue.loc[confirmed.to_numpy(), "creator_id"])
        tables = {**tables, "abuse_cases": _with_reviews(tables["abuse_cases"], queue, confirmed, moment)}
    return pd.concat(happened, ignore_index=True)[ACTION_COLUMNS]


def _with_reviews(
    cases: pd.DataFrame, queue: pd.DataFrame, confirmed: pd.Series, moment: pd.Timestamp
) -> pd.DataFrame:
    """The contract's abuse cases with one case per review made at `moment`, opened and closed then."""
    reviews = pd.DataFrame({
        "case_id": f"replay-{moment:%Y%m%d}-" + queue["creator_id"].astype(str),
        "creator_id": queue["creator_id"].to_numpy(),
        "opened_at": moment,
        "closed_at": moment,
        "outcome": np.where(confirmed.to_numpy(), "confirmed", "cleared"),
        "abuse_type": None,
    })  # fmt: skip
    return pd.concat([cases, reviews.astype(cases.dtypes.to_dict())], ignore_index=True)


def _scored_by_rules(scored: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """The status quo: the rule baseline's score in the model's place, a crossed threshold
    sending the creator to review."""
    rules = RuleBaseline().fit(features)
    score = rules.risk_score(features)
    tier = np.where(score >= RULES_FLAG, Tier.REVIEW.value, Tier.LOW.value)
    return scored.assign(abuse_risk=score, risk_tier=tier)


def _what_happened(
    decisions: pd.DataFrame,
    queue: pd.DataFrame,
    confirmed: pd.Series,
    policies: dict[str, MarketPolicy],
    moment: pd.Timestamp,
) -> pd.DataFrame:
    """One as-of date's rows: the decision, and for a reviewed creator the review's outcome; a
    confirmed creator gets the market's restrict-tier action."""
    reviewed = queue["creator_id"]
    rows = decisions[["creator_id", "market", "action"]].copy()
    rows["reviewed"] = rows["creator_id"].isin(reviewed)
    rows["confirmed"] = rows["creator_id"].isin(reviewed[confirmed.to_numpy()])
    rows["exploration"] = rows["creator_id"].isin(reviewed[queue["exploration"].to_numpy()])
    restrict = rows["market"].map(lambda m: policies[m].governance.tier_actions.restrict.value)
    rows["action"] = rows["action"].where(~rows["confirmed"], restrict)
    rows["penalty"] = rows["action"].map(lambda a: Action(a).penalty).astype(bool)
    rows["as_of"] = moment
    return rows[(rows["action"] != Action.NONE.value) | rows["reviewed"]]
