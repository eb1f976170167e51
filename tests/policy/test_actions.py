"""Decisions: the most severe ground wins, the model only proposes, and newness is never a penalty."""

from __future__ import annotations

import pandas as pd
import pytest

from creatorscore.policy.actions import (
    Action,
    ColdStart,
    Escalation,
    RewardRule,
    TierActions,
    decide,
    escalations,
)

REWARDS = RewardRule(
    min_quality_pct=0.8,
    max_abuse_risk=0.02,
    min_health=900,
    rewards=["traffic_boost", "campaign_eligibility"],
)
T = pd.Timestamp("2025-10-01", tz="UTC")


def _creator(**values) -> dict:
    base = {
        "creator_id": "c1", "tenure_days": 200, "abuse_risk": 0.01, "risk_tier": "low",
        "content_quality_market_pct": 0.5, "health": 1000, "health_action": None,
        "escalation_action": "none", "escalation_ground": None,
    }  # fmt: skip
    return {**base, **values}


DEFAULT_TIERS = TierActions()


def _decide(*rows, tiers=DEFAULT_TIERS) -> pd.DataFrame:
    return decide(pd.DataFrame(list(rows)), tiers, REWARDS, ColdStart()).set_index("creator_id")


def test_a_new_creator_the_model_calls_risky_is_not_penalised_for_it():
    decided = _decide(_creator(tenure_days=5, abuse_risk=0.9, risk_tier="restrict"))
    row = decided.loc["c1"]
    assert row["band"] == "cold_start" and row["action"] == "none" and not row["penalty"]
    assert "not scored, no penalty" in row["grounds"][0]


def test_a_new_creator_with_facts_on_record_is_actioned_on_the_facts():
    ground = "6 or more standing fake_engagement violations within 90 days"
    decided = _decide(_creator(tenure_days=5, escalation_action="suspend", escalation_ground=ground))
    assert decided.loc["c1", "action"] == "suspend" and decided.loc["c1", "penalty"]
    assert decided.loc["c1", "grounds"] == [f"enforcement record: {ground}"]


@pytest.mark.parametrize(
    ("automated", "action", "flag"),
    [([], "queue_for_review", False), (["restrict_live_selling"], "restrict_live_selling", True)],
)
def test_the_model_restricts_only_where_the_policy_automates_it(automated, action, flag):
    decided = _decide(_creator(abuse_risk=0.6, risk_tier="restrict"), tiers=TierActions(automated=automated))
    assert decided.loc["c1", "action"] == action and decided.loc["c1", "automated_decision"] == flag
    assert decided.loc["c1", "grounds"] == ["abuse risk 60% is in the restrict tier"]


def test_the_most_severe_ground_wins_and_every_ground_is_stated():
    decided = _decide(_creator(abuse_risk=0.3, risk_tier="review", health=40, health_action="suspend"))
    assert decided.loc["c1", "action"] == "suspend" and not decided.loc["c1", "automated_decision"]
    assert len(decided.loc["c1", "grounds"]) == 2


def test_rewards_go_to_clean_strong_creators_and_new_ones_get_the_fast_track():
    decided = _decide(
        _creator(creator_id="star", content_quality_market_pct=0.95),
        _creator(creator_id="newstar", content_quality_market_pct=0.95, tenure_days=3),
        _creator(creator_id="watched", content_quality_market_pct=0.95, risk_tier="monitor", abuse_risk=0.01),
        _creator(creator_id="average"),
    )
    assert decided.loc["star", "rewards"] == ["traffic_boost", "campaign_eligibility"]
    assert decided.loc["newstar", "rewards"] == ["onboarding_fast_track"]
    assert decided.loc["watched", "rewards"] == [] and decided.loc["watched", "action"] == "watch"
    assert decided.loc["average", "rewards"] == []


def _violations(*rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["creator_id", "days_before", "policy", "overturned_days_before"])
    return pd.DataFrame({
        "creator_id": frame["creator_id"],
        "policy": frame["policy"],
        "decided_at": T - pd.to_timedelta(frame["days_before"], unit="D"),
        "overturned_at": T - pd.to_timedelta(frame["overturned_days_before"].astype(float), unit="D"),
    })  # fmt: skip


RULES = [
    Escalation(policy="fake_engagement", count=6, days=90, action="suspend"),
    Escalation(count=3, days=30, action="restrict_live_selling"),
]


def test_the_same_policy_broken_six_times_in_ninety_days_suspends():
    six = [("a", d, "fake_engagement", None) for d in (1, 10, 20, 40, 60, 80)]
    spread = [("b", d, "fake_engagement", None) for d in (1, 10, 20, 40, 60, 100)]  # one is too old
    found = escalations(pd.Series(["a", "b"]), _violations(*six, *spread), T, RULES)
    assert found.loc["a", "action"] == "suspend" and "6 or more" in found.loc["a", "ground"]
    assert found.loc["b", "action"] == "restrict_live_selling"  # three of any policy within 30 days


def test_escalations_read_only_standing_violations_known_before_the_as_of_time():
    rows = [
        ("a", 1, "counterfeit", None),
        ("a", 2, "counterfeit", 1),  # overturned before T: does not count
        ("a", 0, "counterfeit", None),  # decided at T: not yet known
        ("a", 3, "other", -5),  # overturned after T: still counts at T
    ]
    found = escalations(pd.Series(["a"]), _violations(*rows), T, RULES)
    assert found.loc["a", "action"] == "none"
    rows.append(("a", 4, "other", None))
    assert escalations(pd.Series(["a"]), _violations(*rows), T, RULES).loc["a", "action"] == (
        Action.RESTRICT_LIVE_SELLING
    )


def test_an_escalation_naming_an_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="policy 'brushing' is not one of"):
        Escalation(policy="brushing", count=2, days=30, action="watch")


def test_every_code_an_action_may_record_has_the_words_a_creator_reads():
    from typing import get_args

    from creatorscore.explain.statement import CODE_WORDING
    from creatorscore.policy.actions import Effect

    codes = {
        code
        for name in ("visibility", "monetary", "provision", "account")
        for code in get_args(get_args(Effect.model_fields[name].annotation)[0])
    }
    assert len(codes) == 8 and codes <= set(CODE_WORDING)
