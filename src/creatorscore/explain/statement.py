"""Statements of reasons shaped after the EU Digital Services Act, Article 17.

Field names and values follow the DSA Transparency Database's statement API
(https://transparency.dsa.ec.europa.eu/page/api-documentation), so a decision can be logged
and communicated in the form regulators already read. The markets here are outside the EU: the
shape is borrowed for its discipline (decision, facts, automation, ground, redress), not as a
legal claim. Fields the database does not have but Article 17(3) asks for (redress) or that a
reviewer needs (scores, tier, model version, structured facts) are added after them.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from creatorscore.explain.explanation import Explanation
from creatorscore.explain.reasons import Reason
from creatorscore.explain.tiers import Tier

# Transparency Database `category` for each policy of the data contract (contract.schema.POLICIES).
POLICY_CATEGORIES = {
    "not_as_described": "STATEMENT_CATEGORY_CONSUMER_INFORMATION",
    "counterfeit": "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    "prohibited_item": "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
    "misleading_claim": "STATEMENT_CATEGORY_CONSUMER_INFORMATION",
    "off_platform_transaction": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "fake_engagement": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "abusive_conduct": "STATEMENT_CATEGORY_CYBER_VIOLENCE",
    "other": "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
}
# Abuse risk is itself a terms-of-service matter when no single policy stands out.
DEFAULT_CATEGORY = "STATEMENT_CATEGORY_SCAMS_AND_FRAUD"

# What each tier proposes: only `restrict` restricts anything, and only after a reviewer confirms.
PROPOSED_ACTIONS = {
    Tier.LOW: "No action.",
    Tier.MONITOR: "No restriction; the creator's scores are watched at each new as-of time.",
    Tier.REVIEW: "No restriction yet; the case is queued for a human reviewer.",
    Tier.RESTRICT: (
        "Proposed: demote the creator's livestreams in recommendations and suspend campaign "
        "incentives, pending confirmation by a human reviewer."
    ),
}

REDRESS = [
    "Internal complaint: appeal this decision in the creator centre within six months (DSA Art. 20).",
    "Out-of-court dispute settlement by a certified body (DSA Art. 21).",
    "Judicial redress before the courts of the creator's market.",
]


class StatementOfReasons(BaseModel):
    """One statement per decision (taken or proposed) about a creator."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # --- Transparency Database fields -------------------------------------------------------
    puid: str = Field(description="Platform-unique id of this statement: creator, as-of time, model version.")
    decision_visibility: list[str] = Field(description="DECISION_VISIBILITY_* restrictions; empty if none.")
    decision_visibility_other: str | None = None
    decision_monetary: str | None = Field(description="DECISION_MONETARY_*; None if no monetary restriction.")
    decision_monetary_other: str | None = None
    decision_provision: str | None = None
    decision_account: str | None = None
    account_type: str = Field("ACCOUNT_TYPE_BUSINESS", description="Creators sell: they are business users.")
    decision_ground: str = Field(
        description="DECISION_GROUND_INCOMPATIBLE_CONTENT: the platform's own policies."
    )
    decision_ground_reference_url: str | None = None
    incompatible_content_ground: str = Field(description="The policies relied on (the features' `policy`).")
    incompatible_content_explanation: str
    incompatible_content_illegal: str = Field("No", description="No finding of illegality is made.")
    category: str = Field(description="STATEMENT_CATEGORY_* of the strongest policy-bearing reason.")
    category_addition: list[str] = Field(default_factory=list)
    content_type: list[str] = Field(description="Livestreams (video) and the products sold in them.")
    content_date: date = Field(description="The as-of date: facts relied on are all known before it.")
    application_date: date
    territorial_scope: list[str] = Field(description="The creator's market (ISO 3166 country code).")
    decision_facts: str = Field(description="Facts and circumstances relied on, in policy language.")
    source_type: str = Field("SOURCE_VOLUNTARY", description="Own-initiative detection, not a notice.")
    automated_detection: str = Field("Yes", description="Detected by the abuse-risk model.")
    automated_decision: str = Field(
        "AUTOMATED_DECISION_PARTIALLY", description="The model proposes; a human reviewer decides."
    )
    platform_name: str
    # --- Article 17(3)(f) and the case file -------------------------------------------------
    redress: list[str] = Field(description="Redress available to the creator (Art. 17(3)(f)).")
    proposed_action: str
    restriction_proposed: bool
    tier: Tier
    abuse_probability: float
    quality_score: float | None = None
    model_name: str
    model_version: str | None
    definitions_version: str
    as_of: datetime
    explanation_space: str = Field(description="Where the contributions in `facts` add up.")
    facts: list[Reason] = Field(description="The reason codes the decision relies on, strongest first.")
    mitigating_factors: list[Reason]


def statement_of_reasons(
    abuse: Explanation,
    quality: Explanation | None = None,
    *,
    platform_name: str = "creatorscore",
    policy_url: str | None = None,
) -> StatementOfReasons:
    """The statement for the decision an abuse-risk explanation's tier proposes."""
    if abuse.tier is None:
        raise ValueError(f"statements are built from abuse-risk explanations, not {abuse.model_name}")
    policies = list(dict.fromkeys(r.policy for r in abuse.reasons if r.policy is not None))
    categories = list(dict.fromkeys(POLICY_CATEGORIES[p] for p in policies))
    restrict = abuse.tier == Tier.RESTRICT
    ground = ", ".join(policies) if policies else "platform terms of service (abuse risk)"
    return StatementOfReasons(
        puid=":".join(
            [
                abuse.creator_id,
                f"{abuse.as_of:%Y%m%dT%H%M%SZ}",
                abuse.model_name,
                abuse.model_version or "unversioned",
            ]
        ),
        decision_visibility=["DECISION_VISIBILITY_CONTENT_DEMOTED"] if restrict else [],
        decision_monetary="DECISION_MONETARY_SUSPENSION" if restrict else None,
        decision_ground="DECISION_GROUND_INCOMPATIBLE_CONTENT",
        decision_ground_reference_url=policy_url,
        incompatible_content_ground=f"Creator policies: {ground}",
        incompatible_content_explanation=" ".join(f"{r.text}." for r in abuse.reasons)
        or "No single fact stands out.",
        category=categories[0] if categories else DEFAULT_CATEGORY,
        category_addition=categories[1:],
        content_type=["CONTENT_TYPE_VIDEO", "CONTENT_TYPE_PRODUCT"],
        content_date=abuse.as_of.date(),
        application_date=abuse.as_of.date(),
        territorial_scope=[abuse.market],
        decision_facts=decision_facts(abuse),
        platform_name=platform_name,
        redress=REDRESS,
        proposed_action=PROPOSED_ACTIONS[abuse.tier],
        restriction_proposed=restrict,
        tier=abuse.tier,
        abuse_probability=abuse.score,
        quality_score=quality.score if quality is not None else None,
        model_name=abuse.model_name,
        model_version=abuse.model_version,
        definitions_version=abuse.definitions_version,
        as_of=abuse.as_of,
        explanation_space=abuse.space,
        facts=abuse.reasons,
        mitigating_factors=abuse.mitigating,
    )


def decision_facts(abuse: Explanation) -> str:
    """The facts and circumstances, as one paragraph a creator can read."""
    facts = (
        "; ".join(f"({i}) {r.text}" for i, r in enumerate(abuse.reasons, start=1))
        or "none above the baseline"
    )
    mitigating = "; ".join(r.text for r in abuse.mitigating) or "none"
    return (
        f"An automated abuse-risk model estimated a {abuse.score:.0%} probability of a confirmed abuse "
        f"case (tier: {abuse.tier}) for this creator in {abuse.market} {abuse.category}, from facts known "
        f"before {abuse.as_of:%Y-%m-%d}. Facts weighing most towards this estimate: {facts}. "
        f"Facts weighing against it: {mitigating}."
    )
