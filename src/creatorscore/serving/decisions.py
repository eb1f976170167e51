"""Today's governed decisions, served: the policy engine run on each scored store generation.

A decision depends on the scores, the features they came from, the enforcement record (the
contract's tables of `serve --data DIR`) and the market policies. The first two change only with
a store generation, so when the scorer scores one it hands the scores to `apply_policies`, the
function `creatorscore policy apply` runs, with the tables read again at that moment (a new
generation is materialised from newer data, and health reads the facts known before its as-of
time). /policy and /queue are then lookups, and always describe the generation /score serves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pydantic import TypeAdapter

from creatorscore.contract.read import load_marketplace
from creatorscore.features.definitions import Definitions
from creatorscore.policy.apply import apply_policies
from creatorscore.policy.legal import MarketPolicy
from creatorscore.serving.schemas import PolicyDecision, QueueCase
from creatorscore.training.registry import RegisteredModel


@dataclass(frozen=True)
class Decided:
    """One store generation's decisions, ready to serialise."""

    decisions: dict[str, PolicyDecision]  # creator id -> decision
    queues: dict[str, list[QueueCase]]  # market -> its queue by rank; a market without one is absent


@dataclass(frozen=True)
class PolicyInputs:
    """What the policy engine needs beside the scores: the contract's folder and every market's policy."""

    data_dir: Path
    policies: dict[str, MarketPolicy]

    def decide(
        self, features: pd.DataFrame, scored: pd.DataFrame, abuse: RegisteredModel, definitions: Definitions
    ) -> Decided:
        """`apply_policies` on one generation's features and the scores computed from them."""
        tables = load_marketplace(self.data_dir).tables
        # the default exploration seed, as `policy apply`'s: the service queues the same creators
        applied = apply_policies(features, scored, tables, abuse, definitions, self.policies)
        rows = applied.decisions[list(PolicyDecision.model_fields)]
        # pandas holds a missing basis, rank or statement as NaN or NA; the answer says null
        rows = rows.astype(object).where(rows.notna(), None)
        records = [
            {
                **record,
                "queue_rank": None if record["queue_rank"] is None else int(record["queue_rank"]),
                "statement": None if record["statement"] is None else json.loads(record["statement"]),
            }
            for record in rows.to_dict("records")
        ]
        decisions = _DECISIONS.validate_python(records)
        cases = _CASES.validate_python(applied.queue.sort_values(["market", "rank"]).to_dict("records"))
        queues: dict[str, list[QueueCase]] = {}
        for case in cases:
            queues.setdefault(case.market, []).append(case)
        return Decided({d.creator_id: d for d in decisions}, queues)


_DECISIONS = TypeAdapter(list[PolicyDecision])
_CASES = TypeAdapter(list[QueueCase])
