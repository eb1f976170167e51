"""Explanations: TreeSHAP reason codes in policy language, risk tiers and statements of reasons."""

from creatorscore.explain.contributions import Contributions, tree_contributions
from creatorscore.explain.explanation import SCORE_KINDS, Explanation, explain_creators, explanations_from
from creatorscore.explain.peers import PeerIndex, peer_medians, peer_values
from creatorscore.explain.reasons import Reason
from creatorscore.explain.record import EnforcementRecord, enforcement_record
from creatorscore.explain.statement import StatementOfReasons, readable_statement, statement_of_reasons
from creatorscore.explain.tiers import (
    TIERS,
    MarketTiers,
    Tier,
    TierThresholds,
    market_percentiles,
    risk_tiers,
)

__all__ = [
    "EnforcementRecord",
    "SCORE_KINDS",
    "TIERS",
    "Contributions",
    "Explanation",
    "MarketTiers",
    "PeerIndex",
    "Reason",
    "StatementOfReasons",
    "Tier",
    "TierThresholds",
    "enforcement_record",
    "explain_creators",
    "explanations_from",
    "market_percentiles",
    "peer_medians",
    "peer_values",
    "readable_statement",
    "risk_tiers",
    "statement_of_reasons",
    "tree_contributions",
]
