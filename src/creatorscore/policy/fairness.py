"""Fairness of governance decisions: equal behaviour, equal treatment, across markets and tenure bands.

Creators who behave alike (all healthy ones; each abuse archetype) should be queued and actioned
at about the same rate wherever they sell and however long they have sold. The audit uses
fairlearn's MetricFrame with the behaviour as the control feature, so each comparison is made
within one behaviour: a market full of abusers is expected to be actioned more, a market whose
healthy creators are actioned more is not. A group is flagged when its rate exceeds the pooled
rate of the other groups of the same behaviour by more than the goal's ratio, and by more than
chance: a handful of healthy creators actioned in a small market makes any ratio, so the excess
must also be significant (Fisher's exact test, one-sided), as a market's drop must be beyond
noise to gate a model's promotion. An audit makes dozens of comparisons at once (two outcomes,
two attributes, each behaviour, each group), so the p-values are adjusted for it
(Benjamini-Hochberg, `q_value`): unadjusted, one group in twenty would be flagged by chance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, count, selection_rate
from scipy.stats import false_discovery_control, fisher_exact

from creatorscore.policy.tenure import tenure_band

GOAL_RATIO = 1.2
OUTCOMES = ("queued", "actioned")
COLUMNS = [
    "outcome", "attribute", "behaviour", "group", "creators", "rate", "others_rate", "ratio", "p_value",
    "q_value", "flagged",
]  # fmt: skip
MIN_ROWS = 30  # a group with fewer creators of a behaviour is reported, not judged
SIGNIFICANCE = 0.05  # false discovery rate of the groups flagged


def audit(decisions: pd.DataFrame, ratio: float = GOAL_RATIO) -> pd.DataFrame:
    """Rates of being queued and actioned per (outcome, attribute, behaviour, group).

    `decisions` holds market, tenure_days, behaviour (e.g. "healthy" or an archetype) and the
    booleans queued and actioned, one row per creator and decision date. Returns one row per
    group with its rate, the other groups' pooled rate, their ratio, the excess's p-value, and
    its q-value across every judged group, and `flagged` where the ratio exceeds `ratio`,
    significantly, on at least MIN_ROWS creators."""
    attributes = {"market": decisions["market"], "tenure band": tenure_band(decisions["tenure_days"])}
    rows = []
    for outcome in OUTCOMES:
        y = decisions[outcome].astype(int).to_numpy()
        for attribute, groups in attributes.items():
            frame = MetricFrame(
                metrics={"rate": selection_rate, "creators": count},
                y_true=y,
                y_pred=y,
                sensitive_features=groups.rename(attribute),
                control_features=decisions["behaviour"].rename("behaviour"),
            ).by_group
            rows.append(_against_the_others(frame.reset_index(), outcome, attribute))
    judged = pd.concat(rows, ignore_index=True)
    large = judged["creators"] >= MIN_ROWS
    judged["q_value"] = 1.0
    if large.any():
        judged.loc[large, "q_value"] = false_discovery_control(judged.loc[large, "p_value"].to_numpy())
    judged["flagged"] = (judged["ratio"] > ratio) & large & (judged["q_value"] < SIGNIFICANCE)
    return judged[COLUMNS]


def _against_the_others(by_group: pd.DataFrame, outcome: str, attribute: str) -> pd.DataFrame:
    by_group = by_group.rename(columns={attribute: "group"})
    by_group = by_group[by_group["creators"] > 0].reset_index(drop=True)  # no such creators there
    by_group["creators"] = by_group["creators"].astype(int)
    hits = (by_group["rate"] * by_group["creators"]).round().astype(int)
    behaviour = by_group["behaviour"]
    other_hits = hits.groupby(behaviour).transform("sum") - hits
    other_creators = by_group["creators"].groupby(behaviour).transform("sum") - by_group["creators"]
    others = other_hits / other_creators.replace(0, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(others > 0, by_group["rate"] / others, np.where(by_group["rate"] > 0, np.inf, 1.0))
    p_values = [
        fisher_exact([[h, n - h], [oh, on - oh]], alternative="greater").pvalue if on > 0 else 1.0
        for h, n, oh, on in zip(hits, by_group["creators"], other_hits, other_creators, strict=True)
    ]
    return by_group.assign(
        outcome=outcome,
        attribute=attribute,
        others_rate=others,
        ratio=ratios,
        p_value=p_values,
    )


def backtest_fairness(population: pd.DataFrame, ratio: float = GOAL_RATIO) -> dict:
    """The audit of a policy backtest, one row per creator of `summary.replay_population`, as the
    summary records it: the goal is met when no group is flagged."""
    judged = audit(population, ratio)
    judged = judged.replace([np.inf], np.nan).astype(object)
    judged = judged.where(judged.notna(), None)  # JSON has no infinity and no NaN
    return {
        "goal_ratio": ratio,
        "goal_met": not bool(judged["flagged"].any()),
        "flagged": judged[judged["flagged"]].to_dict("records"),
        "groups": judged.to_dict("records"),
    }
