"""Statements of reasons: a structured export in the DSA's shape, read in each market's legal frame.

The structured record's field names and values follow the DSA Transparency Database's statement
API (https://transparency.dsa.ec.europa.eu/page/api-documentation), so a decision is logged in
a form regulators already read. The markets here are outside the EU: the shape is borrowed for
its discipline (decision, facts, automation, ground, redress), not as a legal claim, and what a
creator reads comes from the market's legal frame (`policies/markets/<MARKET>.yaml`): its ground,
the law it names and its redress routes, never another jurisdiction's articles. Fields the
database lacks but a reviewer needs (the record, scores, tier, model version, structured facts)
are added after them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from creatorscore.contract.schema import POLICY_CLAUSES
from creatorscore.explain.explanation import Explanation
from creatorscore.explain.reasons import Reason
from creatorscore.explain.record import EnforcementRecord
from creatorscore.explain.tiers import Tier

if TYPE_CHECKING:  # policies type the governance rules on the tiers defined in explain/
    from creatorscore.policy.legal import LegalFrame

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

# The human wording of every Transparency Database code a statement carries: the structured
# export keeps the codes, everything a person reads shows these words instead.
CODE_WORDING = {
    "DECISION_GROUND_INCOMPATIBLE_CONTENT": "Incompatible with the platform's terms and policies",
    "DECISION_VISIBILITY_CONTENT_DEMOTED": "Livestreams demoted in recommendations",
    "DECISION_MONETARY_SUSPENSION": "Payments suspended (campaign incentives or commission)",
    "DECISION_MONETARY_TERMINATION": "Payments terminated",
    "DECISION_VISIBILITY_CONTENT_DISABLED": "Livestreams disabled",
    "DECISION_PROVISION_PARTIAL_SUSPENSION": "Live selling suspended",
    "DECISION_PROVISION_TOTAL_SUSPENSION": "Selling suspended",
    "DECISION_ACCOUNT_SUSPENDED": "Account suspended",
    "DECISION_ACCOUNT_TERMINATED": "Account terminated",
    "AUTOMATED_DECISION_FULLY": "Fully automated: applied on the model's assessment, as the policy allows",
    "ACCOUNT_TYPE_BUSINESS": "Business account (the creator sells)",
    "SOURCE_VOLUNTARY": "Detected on the platform's own initiative, not on a notice",
    "AUTOMATED_DECISION_PARTIALLY": "Partly automated: a model proposes, a human reviewer decides",
    "CONTENT_TYPE_VIDEO": "Livestreams",
    "CONTENT_TYPE_PRODUCT": "Products sold in them",
    "STATEMENT_CATEGORY_CONSUMER_INFORMATION": "Consumer information",
    "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS": "Intellectual property infringements",
    "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS": "Unsafe and prohibited products",
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD": "Scams and fraud",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE": "Abusive conduct",
    "STATEMENT_CATEGORY_OTHER_VIOLATION_TC": "Other breach of the terms",
}


class StatedDecision(BaseModel):
    """A decision the market's policy took (`policy.apply`): what a statement then records instead
    of what the tier alone proposes. Plain values, so that explain/ needs nothing from policy/."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: str = Field(description="The action taken (`policy.actions.Action`).")
    effect: str = Field(description="What it does, in the policy's words.")
    grounds: list[str] = Field(min_length=1, description="Why, one ground per rule that called for it.")
    penalty: bool = Field(description="Whether it restricts or takes something from the creator.")
    automated: bool = Field(description="Applied on the model's word alone, as the policy allows.")
    from_record: bool = Field(description="Called for by the enforcement record, not by the model.")
    visibility: str | None = None
    monetary: str | None = None
    provision: str | None = None
    account: str | None = None
    appeal_window_days: int | None = None

    def describe(self) -> str:
        window = (
            f" An appeal lodged within {self.appeal_window_days} days stops it becoming final."
            if self.appeal_window_days
            else ""
        )
        return f"{self.effect}{window} Grounds: {'; '.join(self.grounds)}."


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
    # --- the market's legal frame and the case file ------------------------------------------
    decision_ground_text: str = Field(description="The ground in words, from the market's legal frame.")
    policies_relied_on: list[str] = Field(description="Each policy relied on, with its clause text.")
    laws_named: list[str] = Field(description="The market's law the statement names (its legal frame).")
    no_illegality_finding: str
    automation_notice: str
    wording_status: str = Field(description="Whether the market's wording is approved or a draft.")
    redress: list[str] = Field(description="Redress available to the creator, from the market's legal frame.")
    record: EnforcementRecord = Field(description="Violations and abuse cases known at the as-of time.")
    record_summary: str
    proposed_action: str = Field(description="What is proposed or decided, accounting for the record.")
    action: str | None = Field(None, description="The action the market's policy took, if one was.")
    grounds: list[str] = Field(default_factory=list, description="The policy's grounds for that action.")
    queued_for_review: bool = Field(
        description="A human reviewer decides: the tier or the record calls for it."
    )
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
    record: EnforcementRecord,
    legal: LegalFrame,
    decision: StatedDecision | None = None,
    platform_name: str = "creatorscore",
    policy_url: str | None = None,
) -> StatementOfReasons:
    """The statement for the decision the market's policy took, or, without one, for what an
    abuse-risk explanation's tier and the record propose.

    `record` is the creator's enforcement record at the explanation's as-of time and `legal`
    the frame of the creator's market (`load_market_policy(market).legal`).
    """
    if abuse.tier is None:
        raise ValueError(f"statements are built from abuse-risk explanations, not {abuse.model_name}")
    if record.creator_id != abuse.creator_id:
        raise ValueError(f"the record is that of {record.creator_id}, not {abuse.creator_id}")
    policies = list(dict.fromkeys(r.policy for r in abuse.reasons if r.policy is not None))
    categories = list(dict.fromkeys(POLICY_CATEGORIES[p] for p in policies))
    restrict = abuse.tier == Tier.RESTRICT
    ground = ", ".join(policies) if policies else "overall abuse-risk pattern, no single policy"
    if decision is None:
        decided = {
            "decision_visibility": ["DECISION_VISIBILITY_CONTENT_DEMOTED"] if restrict else [],
            "decision_monetary": "DECISION_MONETARY_SUSPENSION" if restrict else None,
            "proposed_action": proposed_action(abuse.tier, record),
            "queued_for_review": abuse.tier in (Tier.REVIEW, Tier.RESTRICT) or record.calls_for_review,
            "restriction_proposed": restrict,
            "automation_notice": legal.automation_notice,
        }
    else:
        decided = {
            "decision_visibility": [decision.visibility] if decision.visibility else [],
            "decision_monetary": decision.monetary,
            "decision_provision": decision.provision,
            "decision_account": decision.account,
            "automated_decision": "AUTOMATED_DECISION_FULLY"
            if decision.automated
            else "AUTOMATED_DECISION_PARTIALLY",
            "proposed_action": decision.describe(),
            "action": decision.action,
            "grounds": decision.grounds,
            "queued_for_review": decision.action == "queue_for_review",
            "restriction_proposed": decision.penalty,
            "automation_notice": _how_decided(decision, legal),
        }
    return StatementOfReasons(
        puid=":".join(
            [
                abuse.creator_id,
                f"{abuse.as_of:%Y%m%dT%H%M%SZ}",
                abuse.model_name,
                abuse.model_version or "unversioned",
            ]
        ),
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
        decision_facts=decision_facts(abuse, record),
        platform_name=platform_name,
        decision_ground_text=legal.decision_ground,
        policies_relied_on=[f"{POLICY_CLAUSES[p][0]}: {POLICY_CLAUSES[p][1]}" for p in policies]
        or ["No single policy: the overall abuse-risk pattern of the facts below, under " + legal.terms],
        laws_named=legal.laws,
        no_illegality_finding=legal.no_illegality_finding,
        wording_status=legal.wording_status,
        redress=legal.redress,
        record=record,
        record_summary=record.summary(),
        **decided,
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


def _how_decided(decision: StatedDecision, legal: LegalFrame) -> str:
    if decision.automated:
        return legal.automated_decision_notice
    return legal.record_decision_notice if decision.from_record else legal.automation_notice


def proposed_action(tier: Tier, record: EnforcementRecord) -> str:
    """What the tier proposes, accounting for the record: a confirmed case is never passed over.

    A confirmed or open abuse case or a standing severe violation sends the creator to a reviewer
    whatever the score; the statement says so, and says what the model alone would have proposed.
    A restriction still needs the reviewer's decision, and the statement says that too.
    """
    if not record.cases and not record.violations:
        return f"{PROPOSED_ACTIONS[tier]} The record holds {record.summary()}."
    if tier == Tier.RESTRICT:
        return f"{PROPOSED_ACTIONS[tier]} The reviewer decides with the record: {record.summary()}."
    if tier == Tier.REVIEW or record.calls_for_review:
        why = "the model's estimate and the record" if tier == Tier.REVIEW else "the record"
        alone = "" if tier == Tier.REVIEW else f" The model alone would propose: {PROPOSED_ACTIONS[tier]}"
        return (
            f"Queued for a human reviewer because of {why}: {record.summary()}. No restriction applies "
            f"until the reviewer decides, since a restriction needs a human decision.{alone}"
        )
    return (
        f"{PROPOSED_ACTIONS[tier]} The record ({record.summary()}) holds no confirmed or open case "
        "and no standing severe violation, so it does not call for review on its own."
    )


def decision_facts(abuse: Explanation, record: EnforcementRecord) -> str:
    """The facts and circumstances, as one paragraph a creator can read: the record first."""
    facts = (
        "; ".join(f"({i}) {r.text}" for i, r in enumerate(abuse.reasons, start=1))
        or "none above the baseline"
    )
    mitigating = "; ".join(r.text for r in abuse.mitigating) or "none"
    return (
        f"The record before {abuse.as_of:%Y-%m-%d}: {record.summary()}. "
        f"An automated abuse-risk model estimated a {abuse.score:.0%} probability of a confirmed abuse "
        f"case (tier: {abuse.tier}) for this creator in {abuse.market} {abuse.category}, from facts known "
        f"before {abuse.as_of:%Y-%m-%d}. Facts weighing most towards this estimate: {facts}. "
        f"Facts weighing against it: {mitigating}."
    )


def readable_statement(statement: StatementOfReasons) -> list[tuple[str, str]]:
    """The statement as the creator reads it: each heading and its text, in words, no codes."""
    decision = [CODE_WORDING[c] for c in statement.decision_visibility]
    for code in (statement.decision_monetary, statement.decision_provision, statement.decision_account):
        if code is not None:
            decision.append(CODE_WORDING[code])
    categories = [CODE_WORDING[c] for c in [statement.category, *statement.category_addition]]
    return [
        ("Decision" if statement.action else "Proposed action", statement.proposed_action),
        ("Restrictions", "; ".join(decision) or ("None" if statement.action else "None proposed")),
        ("Your record", statement.record_summary),
        ("Facts and circumstances", statement.decision_facts),
        ("Ground", f"{statement.decision_ground_text} {statement.no_illegality_finding}"),
        ("Policies relied on", " ".join(statement.policies_relied_on)),
        ("Kind of breach", ", ".join(categories)),
        ("Law", "; ".join(statement.laws_named)),
        ("How this was decided", statement.automation_notice),
        ("What you can do", " ".join(f"({i}) {r}" for i, r in enumerate(statement.redress, start=1))),
    ]
