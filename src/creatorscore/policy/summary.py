"""What a policy backtest achieved, per market and tenure band, from its actions and the truth.

The goals read it: abusers who turned abusive during the replay caught (confirmed and actioned)
and how soon after onset, healthy creators actioned and the sales that touched, and the reviews
spent against the capacity. Without ground truth only what the actions themselves say is
counted, and the summary says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from creatorscore.policy.fairness import backtest_fairness
from creatorscore.policy.tenure import tenure_band

CAUGHT_WITHIN_DAYS = 14
DAY = pd.Timedelta(days=1)


def summarise(
    actions: pd.DataFrame,
    creators: pd.DataFrame,
    moments: list[pd.Timestamp],
    capacity: dict[str, int],
    truth: pd.DataFrame | None,
    orders: pd.DataFrame,
) -> dict:
    """The backtest's figures overall and per market and tenure band (at the replay's start).

    `creators` is the contract's table (creator_id, market, onboarded_at), `capacity` each
    market's reviews over the replay (`backtest.replay_capacity`), `truth` the simulator's
    creators (or None), `orders` the contract's orders (for the sales of healthy creators
    actioned)."""
    start, end = moments[0], moments[-1]
    population = replay_population(actions, creators, moments, truth)
    groups = {"overall": population.index}
    for column in ("market", "tenure_band"):
        for value, rows in population.groupby(column, observed=True):
            groups[f"{column}={value}"] = rows.index
    out = {
        "replay": {
            "from": f"{start:%Y-%m-%d}",
            "to": f"{end:%Y-%m-%d}",
            "as_of_dates": len(moments),
            "outcomes_from": "ground truth" if truth is not None else "later facts of the contract",
        },
        "segments": {},
    }
    healthy_sales = _sales_before(orders, population.set_index("creator_id")["penalised_at"].dropna())
    reviews = actions[actions["reviewed"]].groupby("market").size()
    for name, index in groups.items():
        rows = population.loc[index]
        segment = _counts(rows, actions, truth, healthy_sales, start, end)
        if name == "overall" or name.startswith("market="):
            markets = list(capacity) if name == "overall" else [name.removeprefix("market=")]
            segment["reviews"] = int(reviews.reindex(markets).fillna(0).sum())
            segment["review_capacity"] = int(sum(capacity.get(m, 0) for m in markets))
        out["segments"][name] = segment
    out["fairness"] = backtest_fairness(population) if truth is not None else None
    return out


def replay_population(
    actions: pd.DataFrame, creators: pd.DataFrame, moments: list[pd.Timestamp], truth: pd.DataFrame | None
) -> pd.DataFrame:
    """One row per creator onboarded before the replay's end: market, tenure (days and band) at its
    start, when first confirmed and first penalised, whether ever queued or actioned, and with
    `truth` the behaviour (healthy, or the archetype of abuse begun before the replay's end)."""
    start, end = moments[0], moments[-1]
    population = creators[creators["onboarded_at"] < end].copy()
    population["tenure_days"] = ((start - population["onboarded_at"]) / DAY).clip(lower=0)
    population["tenure_band"] = tenure_band(population["tenure_days"])
    if truth is not None:
        population = population.merge(
            truth[["creator_id", "is_abuser", "abuse_onset", "archetype"]],
            on="creator_id",
            how="left",
        )
        abusing = population["is_abuser"].fillna(False).astype(bool) & (population["abuse_onset"] < end)
        population["behaviour"] = population["archetype"].where(abusing, "healthy")
    for column, happened in (("confirmed_at", actions["confirmed"]), ("penalised_at", actions["penalty"])):
        first = actions[happened].groupby("creator_id")["as_of"].min().rename(column)
        population = population.merge(first, left_on="creator_id", right_index=True, how="left")
    population["queued"] = population["creator_id"].isin(actions.loc[actions["reviewed"], "creator_id"])
    population["actioned"] = population["penalised_at"].notna()
    return population


def _counts(
    rows: pd.DataFrame,
    actions: pd.DataFrame,
    truth: pd.DataFrame | None,
    healthy_sales: pd.Series,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> dict:
    mine = actions[actions["creator_id"].isin(rows["creator_id"])]
    counts = {
        "creators": len(rows),
        "actioned": int(rows["penalised_at"].notna().sum()),
        "confirmed": int(rows["confirmed_at"].notna().sum()),
        "actions": int((mine["action"] != "none").sum()),
    }
    if truth is None:
        return counts
    onset = rows["abuse_onset"]
    turned = rows["is_abuser"].fillna(False).astype(bool) & (onset >= start) & (onset <= end)
    caught_after = rows["confirmed_at"] >= onset  # caught once abusive, not before
    delay = ((rows["confirmed_at"] - onset) / DAY)[turned & caught_after]
    healthy = rows["behaviour"] == "healthy"
    wrongly = healthy & rows["penalised_at"].notna()
    at_stake = healthy_sales.reindex(rows.loc[wrongly, "creator_id"]).fillna(0).sum()
    counts.update({
        "turned_abusive": int(turned.sum()),
        "caught": int((turned & caught_after).sum()),
        "caught_within_14_days": int((turned & caught_after & (delay <= CAUGHT_WITHIN_DAYS)).sum()),
        "share_caught_within_14_days": _share((turned & caught_after & (delay <= CAUGHT_WITHIN_DAYS)).sum(),
                                              turned.sum()),
        "days_onset_to_action_median": _quantile(delay, 0.5),
        "days_onset_to_action_p90": _quantile(delay, 0.9),
        "healthy": int(healthy.sum()),
        "healthy_actioned": int(wrongly.sum()),
        "healthy_actioned_share": _share(wrongly.sum(), healthy.sum()),
        "healthy_gmv_affected_usd": float(at_stake),
        "expected_appeals": int(wrongly.sum()),  # a healthy creator penalised appeals, and should win
    })  # fmt: skip
    return counts


def _sales_before(orders: pd.DataFrame, penalised_at: pd.Series) -> pd.Series:
    """Each penalised creator's sales (USD) over the 28 days before their first penalty
    (`penalised_at`, by creator_id): what the penalty put at stake."""
    placed = orders[orders["creator_id"].isin(penalised_at.index)]
    at = placed["creator_id"].map(penalised_at)
    recent = placed[(placed["created_at"] < at) & (placed["created_at"] >= at - 28 * DAY)]
    return recent.groupby("creator_id")["amount_usd"].sum()


def _share(part, whole) -> float | None:
    return float(part / whole) if whole else None


def _quantile(values: pd.Series, q: float) -> float | None:
    return float(np.quantile(values, q)) if len(values) else None
