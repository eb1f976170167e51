"""The base policy loads typed, and a market's override changes only what it names."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from creatorscore.locations import folder
from creatorscore.policy.governance import Governance, with_overrides
from creatorscore.yaml_files import read_mapping

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
