import numpy as np
import pytest

from creatorscore.contract.schema import POLICIES
from creatorscore.explain import (
    StatementOfReasons,
    Tier,
    TierThresholds,
    explain_creators,
    statement_of_reasons,
)
from creatorscore.explain.statement import POLICY_CATEGORIES

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
def statements(explained, definitions):
    scores = [
        e.score for e in explain_creators(explained.abuse, explained.latest, definitions, explained.peers)
    ]
    # thresholds at the score quartiles, so that every tier occurs in the small marketplace
    monitor, review, restrict = np.quantile(scores, [0.25, 0.5, 0.75])
    cuts = TierThresholds(monitor=monitor, review=review, restrict=restrict)
    explanations = explain_creators(
        explained.abuse, explained.latest, definitions, explained.peers, thresholds=cuts
    )
    return [(e, statement_of_reasons(e)) for e in explanations]


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


def test_a_quality_explanation_cannot_ground_a_statement(explained, definitions):
    quality = explain_creators(
        explained.quality,
        explained.latest.head(1),
        definitions,
        explained.peers,
        model_name="content_quality",
    )[0]
    with pytest.raises(ValueError, match="abuse-risk explanations"):
        statement_of_reasons(quality)
