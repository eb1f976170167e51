import json
import math
import re

import numpy as np
import pytest

from creatorscore.contract.schema import POLICY_CLAUSES
from creatorscore.explain import SCORE_KINDS, explain_creators, tree_contributions
from creatorscore.explain.explanation import NOT_A_GROUND
from creatorscore.explain.peers import PeerIndex
from creatorscore.explain.reasons import (
    MIN_PUSH,
    FactGroups,
    ReasonTemplate,
    fact_group,
    missing_text,
    rank_facts,
    render,
)


@pytest.fixture(scope="module")
def abuse_explanations(explained, definitions, tiers):
    return explain_creators(explained.abuse, explained.latest, definitions, explained.peers, tiers=tiers)


@pytest.fixture(scope="module")
def quality_explanations(explained, definitions, tiers):
    return explain_creators(
        explained.quality,
        explained.latest,
        definitions,
        explained.peers,
        model_name="content_quality",
        tiers=tiers,
    )


def template(definitions, name):
    feature = definitions.by_name(name)
    return ReasonTemplate.build(feature, missing_text(feature, definitions))


def test_four_reasons_are_four_different_facts(abuse_explanations):
    assert max(len(e.reasons) for e in abuse_explanations) == 4
    for explanation in abuse_explanations:
        families = [r.family for r in explanation.reasons]
        mitigating = [r.family for r in explanation.mitigating]
        assert len(set(families)) == len(families)
        assert len(set(mitigating)) == len(mitigating)
        assert not set(families) & set(mitigating)


def test_reasons_push_risk_up_and_mitigating_factors_push_it_down(abuse_explanations):
    for explanation in abuse_explanations:
        assert all(r.family_contribution > 0 and r.contribution > 0 for r in explanation.reasons)
        assert all(r.family_contribution < 0 and r.contribution < 0 for r in explanation.mitigating)
        strengths = [r.family_contribution for r in explanation.reasons]
        assert strengths == sorted(strengths, reverse=True)


def test_quality_reasons_are_what_pulls_the_expected_score_down(quality_explanations):
    assert any(e.reasons for e in quality_explanations)
    for explanation in quality_explanations:
        assert explanation.tier is None
        assert all(r.family_contribution < 0 for r in explanation.reasons)
        assert all(r.family_contribution > 0 for r in explanation.mitigating)
        assert explanation.space.startswith("expected review score")


def test_a_fact_group_is_told_through_its_strongest_feature(explained, definitions, abuse_explanations):
    contributions = tree_contributions(explained.abuse, explained.latest)
    names = list(contributions.feature_names)
    group_of = np.array([fact_group(definitions.by_name(n), definitions) for n in names])
    for row, explanation in enumerate(abuse_explanations):
        for reason in explanation.reasons:
            members = contributions.values[row, group_of == reason.family]
            assert reason.contribution == pytest.approx(members.max())
            assert reason.family_contribution == pytest.approx(members.sum())


def test_a_peer_percentile_joins_the_fact_group_of_what_it_ranks(definitions):
    assert fact_group(definitions.by_name("refund_rate_90d_peer_pct"), definitions) == "Refund rate"
    assert fact_group(definitions.by_name("refund_rate_28d"), definitions) == "Refund rate"
    groups = FactGroups.build(definitions, tuple(definitions.names))
    assert not any("percentile" in name for name in groups.names)


def test_a_refund_rate_far_above_peers_is_a_reason_though_its_family_nets_out(definitions):
    """Summed per family, a low cancellation rate cancelled the refund rate's push towards risk."""
    names = tuple(definitions.names)
    groups = FactGroups.build(definitions, names)
    values = np.zeros((1, len(names)))
    values[0, names.index("refund_rate_28d")] = 0.6
    values[0, names.index("cancel_rate_28d")] = -0.5
    values[0, names.index("gmv_usd_28d")] = 0.2
    up, down = rank_facts(values, groups.index, +1, 4)
    told = [names[j] for j in up.feature[0] if j >= 0]
    assert told == ["refund_rate_28d", "gmv_usd_28d"]
    assert [names[j] for j in down.feature[0] if j >= 0] == ["cancel_rate_28d"]


def test_a_favourable_push_too_small_to_weigh_is_no_mitigating_factor_but_any_adverse_one_is_a_reason(
    definitions,
):
    names = tuple(definitions.names)
    groups = FactGroups.build(definitions, names)
    values = np.zeros((1, len(names)))
    values[0, names.index("refund_rate_28d")] = 0.3
    values[0, names.index("gmv_usd_28d")] = MIN_PUSH / 2
    values[0, names.index("cancel_rate_28d")] = -MIN_PUSH / 2
    values[0, names.index("tenure_days")] = -MIN_PUSH
    up, down = rank_facts(values, groups.index, +1, 4)
    assert [names[j] for j in up.feature[0] if j >= 0] == ["refund_rate_28d", "gmv_usd_28d"]
    assert [names[j] for j in down.feature[0] if j >= 0] == ["tenure_days"]


def test_a_value_on_the_risky_side_of_its_peers_is_never_mitigating(definitions):
    names = tuple(definitions.names)
    groups = FactGroups.build(definitions, names)
    values = np.zeros((1, len(names)))
    values[0, names.index("refund_rate_28d")] = -0.4  # the model leant on it the favourable way
    values[0, names.index("tenure_days")] = -0.1
    features = np.full((1, len(names)), np.nan)
    peer = np.full((1, len(names)), np.nan)
    features[0, names.index("refund_rate_28d")], peer[0, names.index("refund_rate_28d")] = 0.23, 0.0
    risky = groups.risky_values(features, peer)
    _, down = rank_facts(values, groups.index, +1, 4, risky)
    assert [names[j] for j in down.feature[0] if j >= 0] == ["tenure_days"]
    _, unmasked = rank_facts(values, groups.index, +1, 4)
    assert names[unmasked.feature[0][0]] == "refund_rate_28d"


def test_no_explained_mitigating_factor_is_risky_against_its_peers(
    abuse_explanations, quality_explanations, definitions
):
    checked = 0
    for reason in (r for e in abuse_explanations + quality_explanations for r in e.mitigating):
        direction = definitions.by_name(reason.feature).risk_direction
        if direction is not None and reason.value is not None and reason.peer_value is not None:
            checked += 1
            risky = (
                reason.value > reason.peer_value if direction == "up" else reason.value < reason.peer_value
            )
            assert not risky, reason
    assert checked


def test_every_reason_has_a_policy_cell_and_no_mitigating_factor_a_policy(abuse_explanations):
    for explanation in abuse_explanations:
        for reason in explanation.reasons:
            if reason.policy is None:
                assert reason.policy_text == SCORE_KINDS["abuse_risk"].no_policy
            else:
                name, clause = POLICY_CLAUSES[reason.policy]
                assert reason.policy_text == f"{name}: {clause}"
        for reason in explanation.mitigating:
            assert reason.policy is None and reason.policy_text == NOT_A_GROUND


def test_a_reasons_effect_is_in_probability_and_adds_to_the_score_without_it(abuse_explanations):
    for explanation in abuse_explanations:
        for reason in explanation.reasons:
            without = 1 / (1 + math.exp(-(explanation.margin - reason.family_contribution)))
            assert reason.score_effect == pytest.approx(explanation.score - without)
            assert 0 < reason.score_effect < 1


def test_values_read_with_their_unit(definitions):
    for name, value, text in [
        ("refund_rate_28d", 0.23, "23%"),
        ("gmv_usd_28d", 1240.0, "$1,240"),
        ("review_mean_90d", 4.21, "4.2 of 5"),
        ("gmv_usd_trend_7v28", 1.6, "1.6x"),
        ("orders_28d", 3.0, "3"),
    ]:
        assert template(definitions, name).value_text(value) == text
    assert template(definitions, "orders_28d").value_text(None) == "-"


def test_a_count_of_one_reads_singular(definitions):
    assert (
        render(template(definitions, "review_count_all"), 1.0, math.nan, "ID", "food") == "1 stream reviewed"
    )
    assert (
        render(template(definitions, "review_count_all"), 2.0, math.nan, "ID", "food") == "2 streams reviewed"
    )


def test_no_reason_text_or_label_shows_a_column_name(definitions, abuse_explanations, quality_explanations):
    columns = set(definitions.names) | set(POLICY_CLAUSES)
    for reason in (r for e in abuse_explanations + quality_explanations for r in e.reasons + e.mitigating):
        words = set(re.findall(r"[A-Za-z0-9_]+", f"{reason.text} {reason.label} {reason.policy_text}"))
        assert not words & columns, reason


def test_explanations_are_of_the_log_odds_and_add_up(abuse_explanations):
    for explanation in abuse_explanations:
        assert explanation.space == "log-odds of the uncalibrated model"
        assert explanation.score == pytest.approx(1 / (1 + math.exp(-explanation.margin)))


def test_reason_text_uses_the_creators_value_and_peer_median(definitions):
    text = render(template(definitions, "refund_rate_28d"), 0.18, 0.058, "ID", "beauty")
    assert text == "Refund rate over the last 28 days is 18%, 3.1x the ID beauty median"


def test_reason_texts_in_explanations_carry_the_value_and_ratio(abuse_explanations, definitions):
    checked = 0
    for reason in (r for e in abuse_explanations for r in e.reasons + e.mitigating):
        if "{peer_ratio" in definitions.by_name(reason.feature).reason and reason.peer_ratio is not None:
            assert f"{reason.peer_ratio:.1f}x the" in reason.text
            checked += 1
    assert checked


def test_missing_value_renders_without_nan(definitions):
    for feature in definitions.features:
        reason = template(definitions, feature.name)
        for value, peer in [(math.nan, math.nan), (math.nan, 2.0), (1.5, math.nan), (1.5, 0.0), (0.0, 0.0)]:
            text = render(reason, value, peer, "ID", "beauty")
            assert text and not re.search(r"\bnan\b|\binf\b|nan%|nanx", text, re.IGNORECASE), (
                feature.name,
                text,
            )


def test_missing_rate_reads_as_its_label_and_the_absence_of_its_facts(definitions):
    assert render(template(definitions, "refund_rate_28d"), math.nan, 0.05, "ID", "beauty") == (
        "Refund rate: no orders with a known outcome in the last 28 days"
    )
    assert render(template(definitions, "cancel_rate_28d"), math.nan, 0.05, "ID", "beauty") == (
        "Cancellation rate: no orders with a known outcome in the last 28 days"
    )
    assert render(template(definitions, "incentive_per_order_90d"), math.nan, 1.0, "ID", "beauty") == (
        "Incentives per order (USD): no orders in the last 90 days"
    )
    assert render(template(definitions, "days_since_last_live"), math.nan, 3.0, "ID", "beauty") == (
        "Days since the last livestream: no livestreams in the creator's history"
    )
    assert render(template(definitions, "review_mean_90d"), math.nan, 4.0, "ID", "beauty") == (
        "Mean review score: no reviews in the last 90 days"
    )


def test_a_zero_peer_median_states_the_median_instead_of_a_ratio(definitions):
    text = render(template(definitions, "refund_rate_28d"), 0.18, 0.0, "ID", "beauty")
    assert text == "Refund rate over the last 28 days is 18%, against the ID beauty median of 0%"
    text = render(template(definitions, "avg_order_value_28d"), 12.5, math.nan, "ID", "beauty")
    assert text == "Average order of $12.50 over the last 28 days"


def test_explaining_one_creator_gives_what_the_batch_gives(explained, definitions, abuse_explanations, tiers):
    index = PeerIndex.build(explained.peers, explained.abuse.feature_name())
    for row in (0, 17):
        one = explain_creators(explained.abuse, explained.latest.iloc[[row]], definitions, index, tiers=tiers)
        assert one[0] == abuse_explanations[row]


def test_renaming_a_creator_changes_nothing_but_its_id(explained, definitions, abuse_explanations, tiers):
    renamed = explained.latest.iloc[[3]].assign(creator_id="someone-else")
    one = explain_creators(explained.abuse, renamed, definitions, explained.peers, tiers=tiers)[0]
    assert one.model_dump(exclude={"creator_id"}) == abuse_explanations[3].model_dump(exclude={"creator_id"})


def test_k_sets_how_many_reasons_are_given(explained, definitions, tiers):
    two = explain_creators(explained.abuse, explained.latest, definitions, explained.peers, k=2, tiers=tiers)
    assert max(len(e.reasons) for e in two) == 2 and max(len(e.mitigating) for e in two) == 2


def test_no_rows_give_no_explanations(explained, definitions, tiers):
    assert (
        explain_creators(explained.abuse, explained.latest.head(0), definitions, explained.peers, tiers=tiers)
        == []
    )


def test_explanations_never_mention_buyer_ids(explained, definitions, abuse_explanations, tiers):
    buyers = set(explained.tables["orders"]["buyer_id"].astype(str))
    careless = explained.latest.copy()
    careless["buyer_id"] = explained.tables["orders"]["buyer_id"].iloc[0]
    explanations = explain_creators(explained.abuse, careless, definitions, explained.peers, tiers=tiers)
    text = json.dumps([e.model_dump(mode="json") for e in explanations + abuse_explanations])
    tokens = set(re.findall(r"[A-Za-z0-9_\-]+", text))
    assert not tokens & buyers
    assert "buyer_id" not in text


def test_an_unknown_model_name_is_refused(explained, definitions, tiers):
    with pytest.raises(ValueError, match="no explanation settings"):
        explain_creators(
            explained.abuse, explained.latest, definitions, explained.peers, model_name="churn", tiers=tiers
        )


def test_explaining_leaves_the_garbage_collector_as_it_found_it(explained, definitions, tiers):
    import gc

    assert gc.isenabled()
    explain_creators(explained.abuse, explained.latest.head(3), definitions, explained.peers, tiers=tiers)
    assert gc.isenabled()
    gc.disable()
    try:
        explain_creators(explained.abuse, explained.latest.head(3), definitions, explained.peers, tiers=tiers)
        assert not gc.isenabled()
    finally:
        gc.enable()
