"""Policies per market, typed on load from the top-level `policies/` folder."""

from creatorscore.policy.legal import (
    LegalFrame,
    MarketPolicy,
    PolicyError,
    load_market_policies,
    load_market_policy,
    market_tiers,
)

__all__ = [
    "LegalFrame",
    "MarketPolicy",
    "PolicyError",
    "load_market_policies",
    "load_market_policy",
    "market_tiers",
]
