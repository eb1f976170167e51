"""The base policy loads typed, and a market's override changes only what it names."""

from __future__ import annotations

import re

import numpy as np
import pytest
import yaml
from pydantic import ValidationError

from creatorscore.contract.schema import MARKETS
from creatorscore.explain import Tier, TierThresholds
from creatorscore.locations import folder
from creatorscore.policy import PolicyError, load_market_policies, load_market_policy, market_tiers
from creatorscore.policy.governance import Governance, with_overrides
from creatorscore.yaml_files import read_mapping
from tests.policy_files import copied_policies

BASE = read_mapping(folder("policies") / "base.yaml")


def test_the_checked_in_base_policy_loads():
    policy = Governance.model_validate(BASE)
    assert policy.queue.exploration_share == 0.05 and policy.health.start == 1000
    assert policy.tier_actions.automated == []  # no market restricts on the model's word by default


def test_an_override_changes_only_the_fields_it_names():
    merged = Governance.model_validate(with_overrides(BASE, {"queue": {"capacity_per_day": 5}}))
    base = Governance.model_validate(BASE)
    assert merged.queue.capacity_per_day == 5
    assert merged.queue.sla_days == base.queue.sla_days and merged.health == base.health


def test_a_misspelt_override_is_refused_not_ignored():
    with pytest.raises(ValidationError, match="capacity_per_dya"):
        Governance.model_validate(with_overrides(BASE, {"queue": {"capacity_per_dya": 5}}))


def test_one_markets_override_changes_that_market_alone(tmp_path):
    policies = copied_policies(tmp_path)
    path = policies / "markets" / "VN.yaml"
    path.write_text(path.read_text() + "\nqueue:\n  capacity_per_day: 7\n")
    loaded, before = load_market_policies(policies), load_market_policies()
    assert loaded["VN"].governance.queue.capacity_per_day == 7
    assert {m: p for m, p in loaded.items() if m != "VN"} == {m: p for m, p in before.items() if m != "VN"}


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        (
            "markets/TH.yaml",
            "\nqueue:\n  capacity_per_dya: 7\n",
            "policies/markets/TH.yaml: queue.capacity_per_dya:",
        ),
        ("base.yaml", "\nsurprise: 1\n", "policies/base.yaml: surprise:"),
        (
            "markets/TH.yaml",
            "\nescalations: [{policy: brushing, count: 2, days: 9, action: watch}]\n",
            "policies/markets/TH.yaml: escalations.0.policy: policy 'brushing' is not one of",
        ),
    ],
)
def test_a_bad_rule_names_the_file_it_came_from(tmp_path, file, text, message):
    policies = copied_policies(tmp_path)
    (policies / file).write_text((policies / file).read_text() + text)
    with pytest.raises(PolicyError, match=message):
        load_market_policy("TH", policies)


def test_the_base_sets_every_markets_risk_tiers():
    tiers = market_tiers()
    assert set(tiers.by_market) == set(MARKETS)
    assert set(tiers.by_market.values()) == {TierThresholds(monitor=0.05, review=0.20, restrict=0.50)}


def test_one_markets_tier_override_changes_that_markets_tiers_alone(tmp_path):
    policies = copied_policies(tmp_path)
    path = policies / "markets" / "VN.yaml"
    path.write_text(path.read_text() + "\ntiers:\n  review: 0.15\n")
    tiers, before = market_tiers(policies), market_tiers()
    assert tiers.thresholds("VN") == TierThresholds(monitor=0.05, review=0.15, restrict=0.50)
    assert {m: t for m, t in tiers.by_market.items() if m != "VN"} == {
        m: t for m, t in before.by_market.items() if m != "VN"
    }
    p, market = np.array([0.17, 0.17]), np.array(["VN", "TH"])
    assert tiers.tiers(p, market) == [Tier.REVIEW, Tier.MONITOR]


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        (
            "markets/TH.yaml",
            "\ntiers: {reveiw: 0.1}\n",
            "policies/markets/TH.yaml: tiers.reveiw: Extra inputs are not permitted",
        ),
        (
            "markets/TH.yaml",
            "\ntiers: {review: 0.6}\n",
            "policies/markets/TH.yaml: tiers: thresholds must satisfy monitor <= review <= restrict",
        ),
        ("markets/TH.yaml", "\ntiers: {restrict: 1.5}\n", "policies/markets/TH.yaml: tiers.restrict:"),
    ],
)
def test_a_bad_tier_threshold_fails_on_load_in_one_line_naming_file_and_field(tmp_path, file, text, message):
    policies = copied_policies(tmp_path)
    (policies / file).write_text((policies / file).read_text() + text)
    with pytest.raises(PolicyError, match=re.escape(message)) as error:
        market_tiers(policies)
    assert "\n" not in str(error.value)


def test_the_tier_thresholds_live_in_the_base_and_nowhere_else(tmp_path):
    """Without the base's `tiers:` no market has thresholds: code holds no fallback numbers."""
    policies = copied_policies(tmp_path)
    base = read_mapping(policies / "base.yaml")
    del base["tiers"]
    (policies / "base.yaml").write_text(yaml.safe_dump(base))
    with pytest.raises(PolicyError, match=re.escape("policies/base.yaml: tiers: Field required")):
        market_tiers(policies)
