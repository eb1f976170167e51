import re
from datetime import timedelta

import numpy as np
import pytest

from creatorscore.contract.schema import POLICIES
from creatorscore.explain import (
    MarketTiers,
    StatementOfReasons,
    Tier,
    TierThresholds,
    explain_creators,
    statement_of_reasons,
)
from creatorscore.explain.record import EnforcementRecord, PriorCase, PriorViolation, enforcement_record
from creatorscore.explain.statement import CODE_WORDING, POLICY_CATEGORIES, readable_statement
from creatorscore.policy import load_market_policies

# Fields of a statement of reasons in the DSA Transparency Database API
# (https://transparency.dsa.ec.europa.eu/page/api-documentation).
TRANSPARENCY_DATABASE_FIELDS = {
    "puid",
    "decision_visibility",
    "decision_visibility_other",
    "decision_monetary",
    "decision_monetary_other",
    "decision_provision",
    "decision_account",
    "account_type",
    "decision_ground",
    "decision_ground_reference_url",
    "incompatible_content_ground",
    "incompatible_content_explanation",
    "incompatible_content_illegal",
    "category",
    "category_addition",
    "content_type",
    "content_date",
    "application_date",
    "territorial_scope",
    "decision_facts",
    "source_type",
    "automated_detection",
    "automated_decision",
    "platform_name",
}


@pytest.fixture(scope="module")
def statements(explained, definitions, tiers):
    scores = [
        e.score
        for e in explain_creators(
            explained.abuse, explained.latest, definitions, explained.peers, tiers=tiers
        )
    ]
    # thresholds at the score quartiles, so that every tier occurs in the small marketplace
    monitor, review, restrict = np.quantile(scores, [0.25, 0.5, 0.75])
    cuts = TierThresholds(monitor=monitor, review=review, restrict=restrict)
    quartiles = MarketTiers(dict.fromkeys(tiers.by_market, cuts))
    explanations = explain_creators(
        explained.abuse, explained.latest, definitions, explained.peers, tiers=quartiles
    )
    legal = {market: policy.legal for market, policy in load_market_policies().items()}
    return [
        (
            e,
            statement_of_reasons(
                e, record=enforcement_record(explained.tables, e.creator_id, e.as_of), legal=legal[e.market]
            ),
        )
        for e in explanations
    ]


def _with_record(statement, explanation, record: EnforcementRecord):
    legal = load_market_policies()[explanation.market].legal
    return statement_of_reasons(explanation, record=record, legal=legal)


def _confirmed_case(explanation) -> EnforcementRecord:
    return EnforcementRecord(
        creator_id=explanation.creator_id,
        as_of=explanation.as_of,
        violations=[],
        cases=[
            PriorCase(
                case_id="case-1",
                opened_at=explanation.as_of - timedelta(days=120),
                closed_at=explanation.as_of - timedelta(days=90),
                outcome="confirmed",
                abuse_type="brushing",
            )
        ],
    )


def test_statement_has_every_transparency_database_field(statements):
    dumped = statements[0][1].model_dump(mode="json")
    assert set(dumped) >= TRANSPARENCY_DATABASE_FIELDS
    assert {"redress", "facts", "tier", "model_version", "explanation_space"} <= set(dumped)


def test_every_tier_occurs_and_only_restrict_restricts(statements):
    assert {s.tier for _, s in statements} == set(Tier)
    for _, statement in statements:
        restricting = statement.tier == Tier.RESTRICT
        assert statement.restriction_proposed == restricting
        assert bool(statement.decision_visibility) == restricting
        assert (statement.decision_monetary is not None) == restricting


def test_statement_says_detection_is_automated_and_a_human_decides(statements):
    for _, statement in statements:
        assert statement.automated_detection == "Yes"
        assert statement.automated_decision == "AUTOMATED_DECISION_PARTIALLY"
        assert statement.source_type == "SOURCE_VOLUNTARY"
        assert len(statement.redress) == 3


def test_statement_grounds_are_the_policies_of_its_reasons(statements):
    for _, statement in statements:
        policies = {r.policy for r in statement.facts if r.policy}
        for policy in policies:
            assert policy in statement.incompatible_content_ground
        if policies:
            assert statement.category in {POLICY_CATEGORIES[p] for p in policies}


def test_statement_facts_are_the_reason_texts_and_scope_is_the_market(statements):
    for explanation, statement in statements:
        assert statement.facts == explanation.reasons
        for reason in statement.facts:
            assert reason.text in statement.decision_facts
        assert statement.territorial_scope == [explanation.market]
        assert statement.explanation_space == "log-odds of the uncalibrated model"


def test_every_policy_maps_to_a_transparency_database_category():
    assert set(POLICY_CATEGORIES) == set(POLICIES)


def test_statement_round_trips_through_json(statements):
    statement = statements[0][1]
    assert StatementOfReasons.model_validate_json(statement.model_dump_json()) == statement


def test_a_confirmed_case_sends_a_low_tier_creator_to_review_and_says_why(statements):
    explanation, statement = next((e, s) for e, s in statements if s.tier in (Tier.LOW, Tier.MONITOR))
    with_case = _with_record(statement, explanation, _confirmed_case(explanation))
    assert with_case.queued_for_review and not with_case.restriction_proposed
    assert "confirmed abuse case (brushing" in with_case.proposed_action
    assert "because of the record" in with_case.proposed_action
    assert "would propose" in with_case.proposed_action
    assert "brushing" in with_case.decision_facts and "brushing" in with_case.record_summary
    assert not statement.queued_for_review and "brushing" not in statement.proposed_action


def test_in_review_the_statement_says_why_there_is_no_restriction_yet(statements):
    explanation, _ = next((e, s) for e, s in statements if s.tier == Tier.REVIEW)
    with_case = _with_record(None, explanation, _confirmed_case(explanation))
    assert "No restriction applies until the reviewer decides" in with_case.proposed_action
    assert "confirmed abuse case" in with_case.proposed_action


def test_a_standing_minor_violation_is_told_but_does_not_force_review(statements):
    explanation, _ = next((e, s) for e, s in statements if s.tier == Tier.LOW)
    minor = PriorViolation(
        violation_id="v-1",
        decided_at=explanation.as_of - timedelta(days=30),
        policy="not_as_described",
        severity="minor",
        points=2,
        overturned_at=None,
    )
    record = EnforcementRecord(
        creator_id=explanation.creator_id, as_of=explanation.as_of, violations=[minor], cases=[]
    )
    statement = _with_record(None, explanation, record)
    assert not statement.queued_for_review
    assert "standing minor violation of the not as described policy" in statement.proposed_action
    assert "does not call for review on its own" in statement.proposed_action


def test_a_record_of_another_creator_is_refused(statements):
    explanation, _ = statements[0]
    other = EnforcementRecord(creator_id="someone-else", as_of=explanation.as_of, violations=[], cases=[])
    with pytest.raises(ValueError, match="record is that of someone-else"):
        _with_record(None, explanation, other)


def test_every_abuse_reason_names_its_policy_and_clause_or_says_there_is_none(statements):
    for _, statement in statements:
        assert statement.policies_relied_on and all(statement.policies_relied_on)
        for reason in statement.facts:
            assert reason.policy_text
            if reason.policy is not None:
                assert any(reason.policy_text == relied for relied in statement.policies_relied_on)


def test_a_quality_explanation_cannot_ground_a_statement(explained, definitions, tiers):
    quality = explain_creators(
        explained.quality,
        explained.latest.head(1),
        definitions,
        explained.peers,
        model_name="content_quality",
        tiers=tiers,
    )[0]
    legal = load_market_policies()[quality.market].legal
    record = EnforcementRecord(creator_id=quality.creator_id, as_of=quality.as_of, violations=[], cases=[])
    with pytest.raises(ValueError, match="abuse-risk explanations"):
        statement_of_reasons(quality, record=record, legal=legal)


@pytest.mark.parametrize("market", ["ID", "TH", "VN", "MY", "PH", "SG"])
def test_the_readable_statement_is_in_its_markets_legal_frame(statements, market):
    """What the creator reads names its own country's law, never the DSA, and no raw code."""
    explanation, statement = statements[0]
    local = explanation.model_copy(update={"market": market})
    legal = load_market_policies()[market].legal
    record = EnforcementRecord(creator_id=local.creator_id, as_of=local.as_of, violations=[], cases=[])
    readable = readable_statement(statement_of_reasons(local, record=record, legal=legal))
    text = " ".join(f"{heading} {body}" for heading, body in readable)
    assert legal.country.lower() in text.lower() and all(law in text for law in legal.laws)
    assert all(route in text for route in legal.redress)
    assert not re.search(r"\bDSA\b|Digital Services Act|\bArt(icle)?\.? ?\d+|\bEU\b", text), text
    assert not re.search(r"\b[A-Z]+(?:_[A-Z]+)+\b", text), "a raw code is shown"
    others = {m: p.legal.country for m, p in load_market_policies().items() if m != market}
    assert not any(f"courts of {country}" in text for country in others.values())


def test_every_code_a_statement_can_carry_has_its_wording(statements):
    codes = set(POLICY_CATEGORIES.values()) | {
        "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "DECISION_VISIBILITY_CONTENT_DEMOTED",
        "DECISION_MONETARY_SUSPENSION",
        "AUTOMATED_DECISION_PARTIALLY",
        "SOURCE_VOLUNTARY",
    }
    assert codes <= set(CODE_WORDING)


def test_the_structured_export_keeps_the_transparency_database_codes(statements):
    for _, statement in statements:
        assert statement.decision_ground == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
        assert statement.category.startswith("STATEMENT_CATEGORY_")
