"""A day's governed decisions on a small simulated market, with real trained models: one decision
per creator, a complete statement for every action, markets decided by their own policy alone."""

from __future__ import annotations

import pandas as pd
import pytest

from creatorscore.explain import StatementOfReasons, tree_contributions
from creatorscore.features import compute_features
from creatorscore.policy import load_market_policies, market_tiers
from creatorscore.policy.actions import Action
from creatorscore.policy.apply import DECISION_COLUMNS, REACH, apply_policies, leading_families
from creatorscore.policy.queue import SPARE, expected_harm
from creatorscore.scoring.batch import score_creators
from creatorscore.training.backtest import run_backtest
from creatorscore.training.registry import RegisteredModel
from creatorscore.training.tracking import model_record
from tests.known_facts import known_before
from tests.policy_files import policies_with


@pytest.fixture(scope="module")
def models(training_frame, fast_config, definitions):
    """Both models, trained on the whole training set: what they learnt is not under test here."""
    trained = []
    for name in ("abuse_risk", "content_quality"):
        backtest = run_backtest(training_frame, fast_config(name), definitions)
        record = model_record(backtest, "run", "1", definitions.version, "key", "digest", 0, None)
        trained.append(RegisteredModel(record, backtest.booster))
    return trained


@pytest.fixture(scope="module")
def tables(training_market_dir):
    from creatorscore.contract.read import load_marketplace

    return load_marketplace(training_market_dir).tables


@pytest.fixture(scope="module")
def day(training_frame, tables, models):
    """The latest snapshot's features, scores and tables, and the abuse model that scored them."""
    features = training_frame[training_frame["as_of"] == training_frame["as_of"].max()]
    features = features.reset_index(drop=True)
    return features, score_creators(features, *models, market_tiers()), tables, models[0]


def _apply(day, definitions, policies=None, scored=None):
    features, default_scored, tables, abuse = day
    chosen = default_scored if scored is None else scored
    return apply_policies(features, chosen, tables, abuse, definitions, load_market_policies(policies))


@pytest.fixture(scope="module")
def applied(day, definitions):
    return _apply(day, definitions)


def test_every_scored_creator_gets_exactly_one_decision(applied, day):
    decisions = applied.decisions
    assert list(decisions.columns) == DECISION_COLUMNS
    assert decisions["creator_id"].tolist() == day[1]["creator_id"].tolist()
    assert set(decisions["action"]) <= {a.value for a in Action}
    assert decisions["health"].between(0, 1000).all()
    # the small market has actions to justify, or the statement test below proves nothing
    assert (decisions["action"] != "none").sum() >= 3


def test_each_action_carries_a_complete_statement_of_the_decision_taken(applied):
    policies = load_market_policies()
    acted = applied.decisions[applied.decisions["action"] != "none"]
    for row in acted.itertuples():
        statement = StatementOfReasons.model_validate_json(row.statement)
        effect = policies[row.market].governance.effects[Action(row.action)]
        assert statement.action == row.action and statement.grounds == list(row.grounds) != []
        assert statement.proposed_action.startswith(effect.effect)
        assert statement.decision_provision == effect.provision
        assert statement.decision_account == effect.account
        assert statement.decision_monetary == effect.monetary
        assert statement.redress == policies[row.market].legal.redress and statement.laws_named
        assert statement.territorial_scope == [row.market]
        assert list(row.reason_codes) == [fact.feature for fact in statement.facts]
    assert applied.decisions.loc[applied.decisions["action"] == "none", "statement"].isna().all()


def test_a_markets_override_changes_no_other_markets_decisions(day, definitions, applied, tmp_path):
    market = applied.decisions["market"].value_counts().idxmax()
    policies = policies_with(
        tmp_path, market, "\nqueue:\n  capacity_per_day: 1\ntier_actions:\n  monitor: queue_for_review\n"
    )
    changed = _apply(day, definitions, policies)
    before, after = applied.decisions, changed.decisions
    others = (before["market"] != market).to_numpy()
    pd.testing.assert_frame_equal(before[others], after[others])
    assert not before[~others].equals(after[~others])
    kept = lambda queue: queue[queue["market"] != market].reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(kept(applied.queue), kept(changed.queue))
    assert (changed.queue["market"] == market).sum() <= 1


def test_a_creator_without_history_is_never_penalised_for_it(day, definitions):
    features, scored, tables, _ = day
    new = (features["tenure_days"] < 30).to_numpy()
    assert new.any()
    # the model is made to say the worst of every new creator: it must not count
    alarming = scored.assign(
        abuse_risk=scored["abuse_risk"].where(~new, 0.99),
        risk_tier=scored["risk_tier"].where(~new, "restrict"),
    )
    decisions = _apply(day, definitions, scored=alarming).decisions
    newcomers = decisions[new]
    assert (newcomers["band"] == "cold_start").all()
    assert newcomers.loc[newcomers["basis"] != "record", "action"].eq("none").all()
    assert not newcomers.loc[newcomers["penalty"], "basis"].ne("record").any()


def test_the_queue_keeps_each_markets_capacity_and_skips_the_penalised(applied):
    capacity = {m: p.governance.queue.capacity_per_day for m, p in load_market_policies().items()}
    queue = applied.queue
    sizes = queue.groupby("market").size()
    assert (sizes <= sizes.index.map(capacity)).all()
    queued = applied.decisions[applied.decisions["queued"]]
    assert len(queued) == len(queue) and not queued["penalty"].any()
    flagged = applied.decisions.loc[applied.decisions["action"] == "queue_for_review", "creator_id"]
    exploit = queue[~queue["exploration"]]
    # the flagged first, then (the shipped policy fills spare capacity) the highest harm below them
    assert (exploit["creator_id"].isin(flagged) | exploit["why"].str.startswith(SPARE)).all()


def test_harm_and_family_are_those_treeshap_of_every_creator_gives_where_filled(applied, day, definitions):
    features, scored, _, abuse = day
    at = pd.Index(features["creator_id"]).get_indexer(scored["creator_id"])
    rows = features.iloc[at].reset_index(drop=True)
    families = leading_families(tree_contributions(abuse.booster, rows), definitions)
    policies = load_market_policies()
    weights = [
        policies[m].governance.severity.get(f, 1.0) for m, f in zip(scored["market"], families, strict=True)
    ]
    harm = expected_harm(scored["abuse_risk"], rows[REACH], pd.Series(weights, dtype=float))
    decisions = applied.decisions
    filled = decisions["expected_harm"].notna()
    # every creator acted on or queued is filled; those left empty could never take a slot by harm
    assert filled[(decisions["action"] != "none") | decisions["queued"]].all() and not filled.all()
    assert decisions.loc[filled, "leading_family"].tolist() == families[filled].tolist()
    assert decisions.loc[filled, "expected_harm"].to_numpy() == pytest.approx(harm[filled].to_numpy())
    queued = applied.queue.set_index("creator_id")["expected_harm"]
    assert queued.to_numpy() == pytest.approx(harm.set_axis(scored["creator_id"])[queued.index].to_numpy())


def test_a_restriction_applies_on_the_models_word_only_where_the_policy_automates_it(
    day, definitions, tmp_path
):
    features, scored, _, _ = day
    market = scored["market"].value_counts().idxmax()
    rows = ((scored["market"] == market) & (features["tenure_days"] >= 30)).to_numpy()
    forced = scored.assign(
        risk_tier=scored["risk_tier"].where(~rows, "restrict"),
        abuse_risk=scored["abuse_risk"].where(~rows, 0.9),
    )
    reviewed = _apply(day, definitions, scored=forced).decisions
    policies = policies_with(tmp_path, market, "\ntier_actions:\n  automated: [restrict_live_selling]\n")
    automated = _apply(day, definitions, policies, scored=forced).decisions
    model_only = rows & (reviewed["basis"] == "model").to_numpy()
    assert model_only.sum() >= 10
    assert reviewed.loc[model_only, "action"].eq("queue_for_review").all()
    assert not reviewed.loc[model_only, "automated_decision"].any()
    assert automated.loc[model_only, "action"].eq("restrict_live_selling").all()
    assert automated.loc[model_only, "automated_decision"].all()
    for text in automated.loc[model_only, "statement"]:
        statement = StatementOfReasons.model_validate_json(text)
        assert statement.automated_decision == "AUTOMATED_DECISION_FULLY"
        assert statement.decision_provision == "DECISION_PROVISION_PARTIAL_SUSPENSION"


def test_a_day_without_creators_decides_nothing_and_queues_nothing(day, definitions):
    features, scored, tables, abuse = day
    empty = apply_policies(features, scored.iloc[0:0], tables, abuse, definitions, load_market_policies())
    assert empty.decisions.empty and list(empty.decisions.columns) == DECISION_COLUMNS
    assert empty.queue.empty


def test_decisions_at_t_read_only_facts_known_before_t(tables, models, training_frame, definitions):
    """Features, scores, decisions, statements and queue at t come out the same from the full
    tables and from the tables cut to what was known before t: nothing in apply_policies (health,
    escalations, records, reach) reads a later fact."""
    moment = max(t for t in training_frame["as_of"].unique() if _outcomes_pending(tables, t))
    cut = known_before(tables, moment)
    assert all(len(cut[name]) < len(frame) for name, frame in tables.items() if name != "creators")
    policies = load_market_policies()

    def decide(known: dict[str, pd.DataFrame]):
        features = compute_features(known, [moment], definitions)
        scored = score_creators(features, *models, market_tiers())
        return features, scored, apply_policies(features, scored, known, models[0], definitions, policies)

    full, known = decide(tables), decide(cut)
    pd.testing.assert_frame_equal(full[0], known[0])
    pd.testing.assert_frame_equal(full[1], known[1])
    pd.testing.assert_frame_equal(full[2].decisions, known[2].decisions)
    pd.testing.assert_frame_equal(full[2].queue, known[2].queue)
    assert (full[2].decisions["action"] != "none").sum() >= 3  # statements were compared too


def _outcomes_pending(tables: dict[str, pd.DataFrame], moment: pd.Timestamp) -> bool:
    """Whether a violation decided before `moment` is overturned after it and a case opened before
    it is confirmed after it: the outcomes a reader of the future would count too early."""
    violations, cases = tables["violations"], tables["abuse_cases"]
    overturned = (violations["decided_at"] < moment) & (violations["overturned_at"] >= moment)
    closed_later = (cases["opened_at"] < moment) & (cases["closed_at"] >= moment)
    return bool(overturned.any() and (closed_later & (cases["outcome"] == "confirmed")).any())


def test_decisions_without_statements_are_the_same_decisions(day, definitions, applied):
    """The decisions-only path (a backtest's) skips explanations and statements and nothing else."""
    features, scored, tables, abuse = day
    policies = load_market_policies()
    bare = apply_policies(features, scored, tables, abuse, definitions, policies, statements=False)
    stated = ["reason_codes", "statement"]
    pd.testing.assert_frame_equal(bare.decisions.drop(columns=stated), applied.decisions.drop(columns=stated))
    pd.testing.assert_frame_equal(bare.queue, applied.queue)
    assert bare.decisions["statement"].isna().all() and applied.decisions["statement"].notna().any()
    assert (bare.decisions["reason_codes"].map(len) == 0).all()
