"""One day's governed decisions: each creator's health rating, band, action or rewards, the
reasons and statement behind them, and each market's review queue.

Pure: the scores, the features they were computed from, the contract tables, the abuse model
and the market policies in; two frames out. The CLI and the service read and write.
Every market is decided by its own policy only, so an override in one market's file changes
no other market's decisions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from creatorscore.errors import UserError
from creatorscore.explain import (
    Contributions,
    Explanation,
    PeerIndex,
    explanations_from,
    peer_medians,
    statement_of_reasons,
    tree_contributions,
)
from creatorscore.explain.record import enforcement_records
from creatorscore.explain.statement import StatedDecision
from creatorscore.explain.tiers import MarketTiers
from creatorscore.features import Definitions
from creatorscore.policy.actions import Action, decide, escalations
from creatorscore.policy.health import enforcement, health_ratings
from creatorscore.policy.legal import MarketPolicy, tiers_of
from creatorscore.policy.queue import (
    EXPLORED,
    QUEUE_COLUMNS,
    expected_harm,
    recently_reviewed,
    review_queue,
    spare_reach,
)
from creatorscore.policy.tenure import tenure_band
from creatorscore.training.registry import RegisteredModel

QUEUE_SEED = 0  # `policy apply` and the service draw the same exploration sample by default
REACH = "gmv_usd_28d"  # the queue's reach: recent sales, what abuse by this creator costs buyers
DECISION_COLUMNS = [
    "creator_id", "market", "as_of", "tenure_days", "band", "abuse_risk", "content_quality",
    "content_quality_market_pct", "health", "action", "penalty", "automated_decision", "basis",
    "grounds", "rewards", "reason_codes", "leading_family", "expected_harm", "queued", "queue_rank",
    "statement",
]  # fmt: skip


@dataclass(frozen=True)
class Applied:
    decisions: pd.DataFrame  # DECISION_COLUMNS, one row per scored creator
    queue: pd.DataFrame  # queue.QUEUE_COLUMNS, one row per queued case


def apply_policies(
    features: pd.DataFrame,
    scored: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    abuse: RegisteredModel,
    definitions: Definitions,
    policies: dict[str, MarketPolicy],
    seed: int = QUEUE_SEED,
    *,
    statements: bool = True,
) -> Applied:
    """Decide every creator of `scored` (one as-of time, from `scoring.batch.score_creators` on
    `features`) under their market's policy; a statement of reasons (JSON) accompanies every action
    other than none, and the queue draws its exploration sample with `seed`.

    `statements=False` leaves out the reason codes ([]) and statements (None), the costly part
    (explanations, peers, records), for callers that need only the decisions and the queue, such
    as a backtest replaying many days; every other column is the same either way."""
    markets = scored["market"].astype(str).reset_index(drop=True)
    missing = sorted(set(markets) - set(policies))
    if missing:
        raise UserError(f"no policy for market {', '.join(missing)}: add policies/markets/{missing[0]}.yaml")
    if REACH not in features.columns:
        raise UserError(f"the features lack {REACH}, the review queue's reach; it is defined in features/")
    if scored.empty:
        return Applied(pd.DataFrame(columns=DECISION_COLUMNS), pd.DataFrame(columns=QUEUE_COLUMNS))
    scored = scored.reset_index(drop=True)
    rows = features.iloc[pd.Index(features["creator_id"]).get_indexer(scored["creator_id"])]
    rows = rows.reset_index(drop=True)
    as_of = pd.Timestamp(scored["as_of"].iloc[0])
    by_market = [
        _decide_market(scored[markets == market], rows, tables, as_of, policies[market])
        for market in sorted(set(markets))
    ]
    decided = pd.concat(by_market).set_index("creator_id").loc[scored["creator_id"]].reset_index()
    acted = (decided["action"] != Action.NONE.value).to_numpy()
    rules = {m: p.governance.queue for m, p in policies.items()}
    candidates = pd.DataFrame({
        "creator_id": scored["creator_id"],
        "market": markets,
        "flagged": (decided["action"] == Action.QUEUE_FOR_REVIEW.value).astype(bool),
        "tenure_band": tenure_band(rows["tenure_days"]),
        **_harm_bounds(scored["abuse_risk"], rows[REACH], markets, policies),
    })  # fmt: skip
    # a creator already penalised, or cleared by a review lately, needs no reviewer's slot
    recheck = markets.map(lambda m: policies[m].governance.queue.recheck_after_days)
    reviewed = recently_reviewed(tables["abuse_cases"], scored["creator_id"], as_of, recheck)
    waiting = candidates[~decided["penalty"].astype(bool).to_numpy() & ~reviewed.to_numpy()]
    # TreeSHAP, for the leading family, only of the creators an action or a queue slot can reach
    reached = acted | spare_reach(waiting, rules).reindex(candidates.index, fill_value=False).to_numpy()
    contributions = tree_contributions(abuse.booster, rows[reached])
    families = pd.Series(None, index=scored.index, dtype=object)
    families[reached] = leading_families(contributions, definitions).to_numpy()
    reasons = _Reasons(scored["abuse_risk"], rows[REACH], markets, decided["action"], policies)
    harm, why = reasons.of(families, reached)
    queue = review_queue(candidates.assign(expected_harm=harm, why=why).loc[waiting.index], rules, seed)
    late = queue["expected_harm"].isna()  # exploration draws no slot by harm could reach
    if late.any():
        drawn = scored["creator_id"].isin(queue.loc[late, "creator_id"]).to_numpy()
        families[drawn] = leading_families(
            tree_contributions(abuse.booster, rows[drawn]), definitions
        ).to_numpy()
        harm, why = reasons.of(families, reached | drawn)
        at = pd.Index(scored["creator_id"]).get_indexer(queue.loc[late, "creator_id"])
        queue.loc[late, "expected_harm"] = harm.to_numpy()[at]
        queue.loc[late, "why"] = EXPLORED + why.iloc[at].to_numpy()
    rank = queue.set_index("creator_id")["rank"]
    decisions = pd.DataFrame({
        "creator_id": scored["creator_id"],
        "market": markets,
        "as_of": scored["as_of"],
        "tenure_days": rows["tenure_days"],
        **{name: scored[name] for name in ("abuse_risk", "content_quality", "content_quality_market_pct")},
        **{name: decided[name] for name in (
            "band", "health", "action", "penalty", "automated_decision", "basis", "grounds", "rewards",
        )},
        "leading_family": families,
        "expected_harm": harm,
        "queued": scored["creator_id"].isin(rank.index),
        "queue_rank": scored["creator_id"].map(rank).astype("Int64"),
    })  # fmt: skip
    codes, stated = {}, {}
    if statements:
        tiers = tiers_of(policies)
        explained = _explanations(
            contributions, acted[reached], rows[acted], features, definitions, abuse, tiers
        )
        stated = _statements(decisions[acted], explained, tables, policies)
        codes = {e.creator_id: [reason.feature for reason in e.reasons] for e in explained}
    decisions["reason_codes"] = [codes.get(c, []) for c in decisions["creator_id"]]
    decisions["statement"] = [stated.get(c) for c in decisions["creator_id"]]
    return Applied(decisions[DECISION_COLUMNS], queue)


def leading_families(contributions: Contributions, definitions: Definitions) -> pd.Series:
    """The feature family (`features/<family>.yaml`) pushing each creator's abuse risk up the most,
    None where nothing does: its severity weighs the queue's expected harm."""
    family_of = np.array([definitions.by_name(name).family for name in contributions.feature_names])
    names = np.unique(family_of)
    pushes = np.column_stack(
        [np.zeros(len(contributions.values))]
        + [contributions.values[:, family_of == name].sum(axis=1) for name in names]
    )
    best = pushes.argmax(axis=1)  # column 0 (no push) wins where every family pulls the risk down
    found = np.concatenate([[None], names.astype(object)])[best]
    return pd.Series(found, dtype=object)


def _decide_market(
    scored: pd.DataFrame, rows: pd.DataFrame, tables: dict, as_of: pd.Timestamp, policy: MarketPolicy
) -> pd.DataFrame:
    """`decide` on one market's creators under that market's rules, with its health ratings and
    escalations."""
    rules = policy.governance
    ids = scored["creator_id"]
    health = health_ratings(ids, tables, as_of, rules.health)
    escalated = escalations(ids, tables["violations"], as_of, rules.escalations)
    creators = pd.DataFrame({
        "creator_id": ids,
        "tenure_days": ids.map(rows.set_index("creator_id")["tenure_days"]),
        "abuse_risk": scored["abuse_risk"],
        "risk_tier": scored["risk_tier"],
        "content_quality_market_pct": scored["content_quality_market_pct"],
        "health": ids.map(health),
        "health_action": ids.map(enforcement(health, rules.health)).astype(object),
        "escalation_action": ids.map(escalated["action"]),
        "escalation_ground": ids.map(escalated["ground"]),
    }).reset_index(drop=True)  # fmt: skip
    return decide(creators, rules.tier_actions, rules.rewards, rules.cold_start).assign(
        health=creators["health"].to_numpy()
    )


@dataclass(frozen=True)
class _Reasons:
    """What the queue's expected harm and one-line reason read, for every creator of the day."""

    risk: pd.Series
    reach: pd.Series
    markets: pd.Series
    actions: pd.Series
    policies: dict[str, MarketPolicy]

    def of(self, families: pd.Series, known: np.ndarray) -> tuple[pd.Series, pd.Series]:
        """Expected harm and why of the creators whose leading family is `known` (missing elsewhere),
        the family weighed by its severity in the creator's market."""
        weights = pd.Series(np.nan, index=families.index)
        for market, policy in self.policies.items():
            here = known & (self.markets == market).to_numpy()
            weights[here] = families[here].map(policy.governance.severity)
        harm = expected_harm(self.risk, self.reach, weights.fillna(1.0)).where(known)
        why = pd.Series(None, index=families.index, dtype=object)
        why[known] = [_why(f, a) for f, a in zip(families[known], self.actions[known], strict=True)]
        return harm, why


def _harm_bounds(
    risk: pd.Series, reach: pd.Series, markets: pd.Series, policies: dict[str, MarketPolicy]
) -> dict[str, pd.Series]:
    """The lowest and highest expected harm each creator could have, whatever its leading family:
    `spare_reach` needs no TreeSHAP."""
    weights = {m: [1.0, *p.governance.severity.values()] for m, p in policies.items()}  # unlisted: 1
    unit = expected_harm(risk, reach, pd.Series(1.0, index=risk.index))
    return {
        "harm_low": unit * markets.map({m: min(w) for m, w in weights.items()}),
        "harm_high": unit * markets.map({m: max(w) for m, w in weights.items()}),
    }


def _why(family: str | None, action: str) -> str:
    """The queue's one-line reason for a case."""
    leading = f"abuse risk led by {family} facts" if family else "no fact raises the abuse risk"
    return f"{action.replace('_', ' ')}: {leading}"


def _explanations(
    contributions: Contributions,
    acted: np.ndarray,
    rows: pd.DataFrame,
    features: pd.DataFrame,
    definitions: Definitions,
    abuse: RegisteredModel,
    tiers: MarketTiers,
) -> list[Explanation]:
    """Reason codes of the creators an action is taken against (`acted` of the contributions' rows;
    `rows`, their features): the explanation's costly part (texts, peers) is spent only on them."""
    subset = Contributions(
        contributions.feature_names,
        contributions.features[acted],
        contributions.values[acted],
        contributions.base[acted],
    )
    names = list(contributions.feature_names)
    return explanations_from(
        subset,
        rows.reset_index(drop=True),
        definitions,
        PeerIndex.build(peer_medians(features, names), names),
        model_name=abuse.record.name,
        model_version=abuse.record.version,
        calibrate=abuse.record.calibrator.apply,
        tiers=tiers,
    )


def _statements(
    acted: pd.DataFrame, explained: list[Explanation], tables: dict, policies: dict[str, MarketPolicy]
) -> dict[str, str]:
    """Each acted-on creator's statement of reasons for the decision taken, as JSON."""
    if acted.empty:
        return {}
    records = enforcement_records(tables, list(acted["creator_id"]), pd.Timestamp(acted["as_of"].iloc[0]))
    statements = {}
    for row, explanation in zip(acted.itertuples(index=False), explained, strict=True):
        policy = policies[row.market]
        action = Action(row.action)
        effect = policy.governance.effects[action]
        decision = StatedDecision(
            action=action.value,
            grounds=list(row.grounds),
            penalty=bool(row.penalty),
            automated=bool(row.automated_decision),
            from_record=row.basis == "record",
            **effect.model_dump(),
        )
        statement = statement_of_reasons(
            explanation, record=records[row.creator_id], legal=policy.legal, decision=decision
        )
        statements[row.creator_id] = statement.model_dump_json()
    return statements
