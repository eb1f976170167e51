"""What is done about a creator: one action (or none) and any rewards, each with its grounds.

Three things can call for an action, and the most severe one wins: the account's health rating
falling to a threshold, an escalation rule over the enforcement record (the same policy broken
again and again), and the abuse model's risk tier. The first two are facts; the model only ever
proposes, so its tiers queue a creator for a human reviewer, and restrict without one only where
the policy lists the action as automatable (the statement then says `automated_decision`).
A creator too new to score is in the cold-start band: the model says nothing about them, and a
lack of history is never by itself a ground for a penalty; facts on their record still count.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from creatorscore.contract.schema import POLICIES


class Action(StrEnum):
    """Actions from mildest to most severe; the order is what "most severe wins" compares."""

    NONE = "none"
    WATCH = "watch"
    QUEUE_FOR_REVIEW = "queue_for_review"
    RESTRICT_LIVE_SELLING = "restrict_live_selling"
    FREEZE_COMMISSION = "freeze_commission"
    SUSPEND = "suspend"

    @property
    def severity(self) -> int:
        return list(Action).index(self)

    @property
    def penalty(self) -> bool:
        """Whether the action restricts or takes something from the creator."""
        return self.severity >= Action.RESTRICT_LIVE_SELLING.severity


class Reward(StrEnum):
    TRAFFIC_BOOST = "traffic_boost"
    CAMPAIGN_ELIGIBILITY = "campaign_eligibility"
    ONBOARDING_FAST_TRACK = "onboarding_fast_track"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Effect(_Strict):
    """What an action does to a creator, in the words its statement of reasons uses, and the
    Transparency Database codes the structured statement records."""

    effect: str = Field(description="What the creator is told the action does.")
    visibility: (
        Literal["DECISION_VISIBILITY_CONTENT_DEMOTED", "DECISION_VISIBILITY_CONTENT_DISABLED"] | None
    ) = None
    monetary: Literal["DECISION_MONETARY_SUSPENSION", "DECISION_MONETARY_TERMINATION"] | None = None
    provision: (
        Literal["DECISION_PROVISION_PARTIAL_SUSPENSION", "DECISION_PROVISION_TOTAL_SUSPENSION"] | None
    ) = None
    account: Literal["DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED"] | None = None
    appeal_window_days: int | None = Field(
        None, gt=0, description="Days an appeal may be lodged before a monetary action becomes final."
    )


class Escalation(_Strict):
    """`count` standing violations within `days` (of one policy, or of any) trigger `action`."""

    policy: str | None = Field(None, description="A policy of the contract; none counts every policy.")
    count: int = Field(gt=0)
    days: int = Field(gt=0)
    action: Action

    @field_validator("policy")
    @classmethod
    def _known_policy(cls, policy: str | None) -> str | None:
        if policy is not None and policy not in POLICIES:
            raise ValueError(f"policy {policy!r} is not one of {', '.join(POLICIES)}")
        return policy

    def describe(self) -> str:
        which = f"{self.policy} violations" if self.policy else "violations of any policy"
        return f"{self.count} or more standing {which} within {self.days} days"


class TierActions(_Strict):
    """What each abuse-risk tier calls for, and which actions may apply without a human review."""

    monitor: Action = Action.WATCH
    review: Action = Action.QUEUE_FOR_REVIEW
    restrict: Action = Action.RESTRICT_LIVE_SELLING
    automated: list[Action] = Field(
        default_factory=list, description="Penalties that may apply on the model's word alone."
    )


class RewardRule(_Strict):
    """Creators who sell well and honestly: high content quality, low risk, healthy account."""

    min_quality_pct: float = Field(ge=0, le=1, description="Content quality percentile within market.")
    max_abuse_risk: float = Field(ge=0, le=1)
    min_health: int = Field(ge=0, le=1000)
    rewards: list[Reward]
    new_creator_reward: Reward | None = Field(
        Reward.ONBOARDING_FAST_TRACK,
        description="What a cold-start creator meeting the same bars gets instead.",
    )


class ColdStart(_Strict):
    """Who the model does not speak for yet."""

    tenure_days: int = Field(30, ge=0, description="Creators onboarded fewer days ago than this.")


def standing_at(violations: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Violations known at `as_of` and still standing: decided before it, not overturned before it
    (an appeal won later was not known yet)."""
    return (violations["decided_at"] < as_of) & ~(violations["overturned_at"] < as_of)


def escalations(
    creator_ids: pd.Series, violations: pd.DataFrame, as_of: pd.Timestamp, rules: list[Escalation]
) -> pd.DataFrame:
    """The most severe escalation each creator's record triggers at `as_of`: action and ground
    (None where no rule is met). Reads violations decided before `as_of` and not overturned by then."""
    out = pd.DataFrame({"action": Action.NONE.value, "ground": None}, index=pd.Index(creator_ids))
    standing = violations[standing_at(violations, as_of)]
    for rule in sorted(rules, key=lambda r: r.action.severity):  # more severe rules overwrite
        recent = standing[standing["decided_at"] >= as_of - pd.Timedelta(days=rule.days)]
        if rule.policy:
            recent = recent[recent["policy"] == rule.policy]
        counts = recent.groupby("creator_id").size()
        met = counts.index[counts >= rule.count].intersection(out.index)
        out.loc[met, "action"] = rule.action.value
        out.loc[met, "ground"] = rule.describe()
    return out


def strongest(*candidates: pd.Series) -> pd.Series:
    """Element-wise the most severe of several action columns (names of `Action`)."""
    levels = np.column_stack([_severities(c) for c in candidates])
    winner = levels.argmax(axis=1)
    stacked = np.column_stack([c.to_numpy(dtype=object) for c in candidates])
    return pd.Series(stacked[np.arange(len(winner)), winner], index=candidates[0].index)


def _severities(actions: pd.Series) -> np.ndarray:
    """Each action's severity, looked up per distinct value: `Action(a)` per row cost most of a
    100,000-creator day's decisions. An unknown name still fails, naming it."""
    codes, names = pd.factorize(actions, use_na_sentinel=False)
    return np.array([Action(name).severity for name in names], dtype=int)[codes]


def _penalties(actions: pd.Series) -> np.ndarray:
    """Whether each action is a penalty, looked up per distinct value as `_severities` does."""
    return _severities(actions) >= Action.RESTRICT_LIVE_SELLING.severity


def decide(
    creators: pd.DataFrame, tiers: TierActions, rewards: RewardRule, cold_start: ColdStart
) -> pd.DataFrame:
    """One decision per creator from facts and scores already computed.

    `creators` holds creator_id, tenure_days, abuse_risk, risk_tier, content_quality_market_pct,
    health, health_action (None above every threshold), escalation_action and escalation_ground.
    Returns creator_id, band, action, penalty, automated_decision, basis (`model` or `record`:
    which called for the action; None without one), grounds and rewards."""
    new = creators["tenure_days"] < cold_start.tenure_days
    band = creators["risk_tier"].where(~new, "cold_start")
    by_tier = {"monitor": tiers.monitor, "review": tiers.review, "restrict": tiers.restrict}
    proposed = band.map(lambda tier: by_tier.get(tier, Action.NONE).value)
    # the model proposes; a penalty it proposes goes to a reviewer unless the policy automates it
    automatable = {action.value for action in tiers.automated}
    needs_review = _penalties(proposed) & ~proposed.isin(automatable).to_numpy()
    model_action = proposed.where(~needs_review, Action.QUEUE_FOR_REVIEW.value)
    health_action = creators["health_action"].fillna(Action.NONE.value)
    action = strongest(model_action, health_action, creators["escalation_action"])

    grounds = _grounds(creators, band, model_action, health_action, cold_start)
    # the record's facts outrank the model's estimate as a basis when both call for the action
    by_record = (action == health_action) | (action == creators["escalation_action"])
    automated = (action == model_action) & action.isin(automatable) & ~by_record
    basis = np.where(action == Action.NONE.value, None, np.where(by_record, "record", "model"))
    return pd.DataFrame({
        "creator_id": creators["creator_id"].to_numpy(),
        "band": band.to_numpy(),
        "action": action.to_numpy(),
        "penalty": _penalties(action),
        "automated_decision": automated.to_numpy(dtype=bool),
        "basis": basis,
        "grounds": grounds,
        "rewards": _rewards(creators, action, new, rewards),
    })  # fmt: skip


def _grounds(
    creators: pd.DataFrame,
    band: pd.Series,
    model_action: pd.Series,
    health_action: pd.Series,
    cold_start: ColdStart,
) -> list[list[str]]:
    """Each creator's grounds in words, empty where nothing calls for an action. The columns are
    read as plain arrays: iterating pandas' Arrow-backed strings row by row took most of a
    100,000-creator day's decisions."""
    none = Action.NONE.value
    columns = (
        creators["health"], creators["escalation_ground"], creators["abuse_risk"],
        band, model_action, health_action,
    )  # fmt: skip
    grounds = []
    for health, escalation, risk, tier, by_model, by_health in zip(
        *(column.to_numpy(dtype=object) for column in columns), strict=True
    ):
        reasons = []
        if by_health != none:
            reasons.append(f"account health {health} reached the {by_health} threshold")
        if isinstance(escalation, str):
            reasons.append(f"enforcement record: {escalation}")
        if by_model != none:
            reasons.append(f"abuse risk {risk:.0%} is in the {tier} tier")
        if not reasons and tier == "cold_start":
            reasons.append(f"new creator (under {cold_start.tenure_days} days): not scored, no penalty")
        grounds.append(reasons)
    return grounds


def _rewards(creators: pd.DataFrame, action: pd.Series, new: pd.Series, rule: RewardRule) -> list[list[str]]:
    """Rewards go only to creators no action is taken against."""
    clean = (action == Action.NONE.value).to_numpy()
    strong = (creators["content_quality_market_pct"] >= rule.min_quality_pct).to_numpy()
    honest = (creators["abuse_risk"] <= rule.max_abuse_risk).to_numpy() & (
        creators["health"] >= rule.min_health
    ).to_numpy()
    established = [str(r) for r in rule.rewards]
    fast_track = [str(rule.new_creator_reward)] if rule.new_creator_reward else []
    return [
        (fast_track if is_new else established) if ok else []
        for ok, is_new in zip(clean & strong & honest, new.to_numpy(), strict=True)
    ]
