"""The governance rules of a market: `policies/base.yaml` with the market file's overrides on top.

A go-to-market change for one market is a diff in that market's file: it repeats only what
differs from the base (a capacity, a threshold, an automated action), and the merged result
is typed here like every config, so a misspelt override fails instead of silently keeping the
base value. The risk tiers' thresholds are part of it (`tiers`): scoring, the service,
explanations and reports all cut a creator's tier at the thresholds of the creator's market.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from creatorscore.explain.tiers import TierThresholds
from creatorscore.policy.actions import Action, ColdStart, Effect, Escalation, Reward, RewardRule, TierActions
from creatorscore.policy.health import HealthRule
from creatorscore.policy.queue import QueueRule


class Governance(BaseModel):
    """What is done with the scores and the record in one market."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tiers: TierThresholds = Field(
        description="Lowest calibrated abuse probability of each risk tier in this market."
    )
    tier_actions: TierActions = Field(description="What each tier calls for; which penalties are automated.")
    health: HealthRule
    escalations: list[Escalation] = Field(default_factory=list)
    rewards: RewardRule
    cold_start: ColdStart = Field(default_factory=ColdStart)
    queue: QueueRule
    severity: dict[str, float] = Field(
        description="Weight of each reason family in the queue's expected harm; unlisted families weigh 1."
    )
    effects: dict[Action, Effect] = Field(description="What each action does; every action has one.")
    reward_effects: dict[Reward, str] = Field(description="What each reward gives; every reward has one.")

    @field_validator("effects")
    @classmethod
    def _every_action(cls, effects: dict[Action, Effect]) -> dict[Action, Effect]:
        return _complete(effects, Action)

    @field_validator("reward_effects")
    @classmethod
    def _every_reward(cls, effects: dict[Reward, str]) -> dict[Reward, str]:
        return _complete(effects, Reward)


def _complete(stated: dict, members: type[Action] | type[Reward]) -> dict:
    """A statement cannot tell a creator what an action does if the policy never says."""
    missing = [member.value for member in members if member not in stated]
    if missing:
        raise ValueError(f"no effect stated for {', '.join(missing)}")
    return stated


def with_overrides(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`base` with `overrides` on top: mappings merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = with_overrides(merged[key], value)
        else:
            merged[key] = value
    return merged
