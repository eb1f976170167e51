"""The policy backtest on a small simulated market: models trained before the replay, queues that
keep their capacity, reviews whose outcomes follow the stated reviewer model, and a summary
whose counts add up."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creatorscore.errors import UserError
from creatorscore.features import snapshots
from creatorscore.policy import load_market_policies
from creatorscore.policy.actions import Action
from creatorscore.policy.backtest import (
    ACTION_COLUMNS,
    capacity_at,
    capacity_per_step,
    replay,
    replay_capacity,
    train_before,
)
from creatorscore.policy.reviewers import ReviewerModel
from creatorscore.policy.summary import summarise


@pytest.fixture(scope="module")
def market(training_market_dir):
    from creatorscore.contract.read import load_marketplace
    from creatorscore.training.dataset import read_ground_truth

    tables = load_marketplace(training_market_dir).tables
    end = snapshots.last_fact_at(tables).normalize()
    moments = list(pd.date_range(end - pd.Timedelta(days=28), periods=3, freq="7D"))
    return tables, read_ground_truth(training_market_dir), moments


@pytest.fixture(scope="module")
def models(market, definitions, fast_config):
    tables, _, moments = market
    configs = {name: fast_config(name) for name in ("abuse_risk", "content_quality")}
    return train_before(tables, moments[0], definitions, configs)


@pytest.fixture(scope="module")
def replayed(market, models, definitions):
    tables, truth, moments = market
    policies = load_market_policies()
    actions = replay(
        tables, moments, models, definitions, policies, ReviewerModel(), truth, review_capacity=0.5
    )
    return actions, policies


def test_the_replays_models_learn_only_labels_closed_before_it_starts(models, market, fast_config):
    _, _, moments = market
    horizon = pd.Timedelta(days=fast_config("abuse_risk").split.horizon_days)
    assert models.trained_until + horizon <= moments[0]
    for model in (models.abuse, models.quality):
        assert max(model.record.refit_snapshots) == models.trained_until


def test_a_replay_starting_before_any_label_closes_is_refused_in_one_line(market, definitions, fast_config):
    tables, _, _ = market
    start = snapshots.first_fact_at(tables) + pd.Timedelta(days=40)
    configs = {name: fast_config(name) for name in ("abuse_risk", "content_quality")}
    with pytest.raises(UserError, match="start the replay later") as caught:
        train_before(tables, start, definitions, configs)
    assert "\n" not in str(caught.value)


def test_each_step_reviews_at_most_each_markets_capacity(replayed, market):
    actions, policies = replayed
    tables, _, moments = market
    assert list(actions.columns) == ACTION_COLUMNS and not actions.duplicated(["creator_id", "as_of"]).any()
    reviews = actions[actions["reviewed"]].groupby(["as_of", "market"]).size()
    for (moment, market_name), count in reviews.items():
        capacity = capacity_at(policies, tables["creators"], moment, 0.5, 7, moments.index(moment))
        assert count <= capacity[market_name].governance.queue.capacity_per_day
    assert actions["reviewed"].any() and actions["exploration"].any()
    assert not (actions["exploration"] & ~actions["reviewed"]).any()


def test_a_confirmed_creator_is_actioned_and_leaves_the_replay(replayed):
    actions, policies = replayed
    confirmed = actions[actions["confirmed"]]
    assert len(confirmed) and confirmed["reviewed"].all() and confirmed["penalty"].all()
    assert (confirmed["action"] == confirmed["market"].map(
        lambda m: policies[m].governance.tier_actions.restrict.value
    )).all()  # fmt: skip
    first = confirmed.groupby("creator_id")["as_of"].min()
    later = actions[actions["creator_id"].isin(first.index)]
    assert (later["as_of"] <= later["creator_id"].map(first)).all()
    assert (actions["penalty"] == actions["action"].map(lambda a: Action(a).penalty)).all()


def test_a_creator_a_review_cleared_is_not_queued_again_until_the_recheck_is_due(replayed):
    actions, policies = replayed
    reviews = actions[actions["reviewed"]]
    span = (reviews["as_of"].max() - reviews["as_of"].min()).days
    assert all(p.governance.queue.recheck_after_days > span for p in policies.values())
    # half of every market reviewed each step: three steps would review someone twice without it
    assert reviews["as_of"].nunique() == 3 and not reviews["creator_id"].duplicated().any()


def test_without_ground_truth_reviews_take_their_outcome_from_later_facts(market, models, definitions):
    tables, _, moments = market
    actions = replay(tables, moments[:1], models, definitions, load_market_policies(), ReviewerModel(),
                     None, review_capacity=0.5)  # fmt: skip
    reviewed = actions[actions["reviewed"]]
    later = pd.concat([
        tables["abuse_cases"].loc[(tables["abuse_cases"]["outcome"] == "confirmed")
                                  & (tables["abuse_cases"]["closed_at"] >= moments[0]), "creator_id"],
        tables["violations"].loc[tables["violations"]["decided_at"] >= moments[0], "creator_id"],
    ])  # fmt: skip
    assert len(reviewed)
    assert reviewed.loc[reviewed["confirmed"], "creator_id"].isin(later).all()


def test_the_summary_counts_add_up(replayed, market):
    actions, policies = replayed
    tables, truth, moments = market
    capacity = replay_capacity(policies, tables["creators"], moments, 0.5)
    summary = summarise(actions, tables["creators"], moments, capacity, truth, tables["orders"])
    overall = summary["segments"]["overall"]
    assert (
        overall["caught"] <= overall["turned_abusive"] and overall["healthy_actioned"] <= overall["healthy"]
    )
    assert overall["reviews"] == int(actions["reviewed"].sum()) <= overall["review_capacity"]
    markets = [s for name, s in summary["segments"].items() if name.startswith("market=")]
    assert sum(s["creators"] for s in markets) == overall["creators"]
    assert sum(s["reviews"] for s in markets) == overall["reviews"]
    bands = [s for name, s in summary["segments"].items() if name.startswith("tenure_band=")]
    assert sum(s["creators"] for s in bands) == overall["creators"]
    assert summary["replay"]["outcomes_from"] == "ground truth"


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 500), st.floats(0.001, 0.2), st.integers(1, 20))
def test_a_review_share_is_kept_on_average_never_rounded_up_every_step(creators, share, steps):
    policies = load_market_policies()
    onboarded = pd.Series(["SG"] * creators)
    per_step = [
        capacity_per_step(policies, onboarded, share, 7, step)["SG"].governance.queue.capacity_per_day
        for step in range(steps)
    ]
    assert sum(per_step) == math.floor(share * creators * steps + 1e-9)
    assert max(per_step) <= math.ceil(share * creators)
