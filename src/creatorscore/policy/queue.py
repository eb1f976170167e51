"""The review queue: a market's limited reviewer capacity spent where the expected harm is largest,
with a random share kept for exploration.

Reviewing only the top of the model's ranking would teach the next model nothing about the
creators it ranks low: their labels would never arrive. A fixed share of each market's capacity
therefore goes to creators drawn uniformly from those the ranking did not pick, each flagged as
exploration with the probability it had of being drawn, so that evaluation can weight it back to
the whole population (inverse propensity). Exploration cases are spread through the queue rather
than left at its end, where an overrun day would never reach them.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

QUEUE_COLUMNS = [
    "market", "rank", "creator_id", "expected_harm", "why", "exploration", "review_probability",
]  # fmt: skip

EXPLORED = "random sample, for unbiased labels; "
SPARE = "spare capacity, below the review tier; "


class QueueRule(BaseModel):
    """How many cases a market's reviewers take a day and how the queue is filled."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    capacity_per_day: int = Field(ge=0, description="Cases the market's reviewers can decide per day.")
    exploration_share: float = Field(
        0.05,
        ge=0,
        le=0.5,
        description="Share of the capacity drawn at random from the rest, for unbiased labels.",
    )
    sla_days: int = Field(gt=0, description="Days a queued case may wait for a decision.")
    recheck_after_days: int = Field(
        28,
        ge=0,
        description="Days a creator a review cleared waits before being queued again.",
    )
    fill_spare_capacity: bool = Field(
        False,
        description="Give capacity the flagged creators leave unused to the unflagged ones, by "
        "expected harm within each tenure band (`spare_cases`), rather than leave reviewers idle.",
    )


def expected_harm(abuse_risk: pd.Series, reach: pd.Series, severity: pd.Series) -> pd.Series:
    """Abuse probability x reach (recent GMV or audience, at least 1) x severity of the leading reason."""
    return abuse_risk * reach.fillna(0).clip(lower=1) * severity


def recently_reviewed(
    cases: pd.DataFrame, creators: pd.Series, as_of: pd.Timestamp, days: pd.Series
) -> pd.Series:
    """Whether each of `creators` needs no review slot at `as_of`: an investigation (abuse case)
    cleared within the creator's market's `days` (aligned with `creators`) before it, so that a
    reviewer's time goes to creators nobody has looked at lately. An open investigation keeps
    its slot: its outcome is not known yet."""
    cleared = cases[(cases["outcome"] == "cleared") & (cases["closed_at"] < as_of)]
    last_cleared = creators.map(cleared.groupby("creator_id")["closed_at"].max())
    waited = (as_of - last_cleared) / pd.Timedelta(days=1)
    return (waited < days).fillna(False).astype(bool)


def review_queue(candidates: pd.DataFrame, rules: dict[str, QueueRule], seed: int) -> pd.DataFrame:
    """One day's queue per market from candidates (creator_id, market, expected_harm, why, flagged,
    tenure_band). Expected harm may be missing where no slot taken by harm can reach the candidate
    (`spare_reach`); only an exploration draw can take such a case.

    Each market takes at most its capacity: the flagged creators (those a decision sends to a
    reviewer) with the highest expected harm first; where the rule fills spare capacity, the
    unflagged ones next (`spare_cases`); then an exploration sample drawn from every other
    candidate, flagged or not. A market without a rule queues nothing. The draw is seeded,
    so a replayed day queues the same creators, and each market draws from its own stream, so that
    one market's capacity never changes whom another market explores."""
    queues = []
    for market, rows in candidates.groupby("market", sort=True):
        rule = rules.get(str(market))
        if rule is None or rule.capacity_per_day == 0 or rows.empty:
            continue
        capacity = min(rule.capacity_per_day, len(rows))
        explore = int(np.floor(rule.exploration_share * capacity))
        ranked = rows.sort_values(["expected_harm", "creator_id"], ascending=[False, True], kind="stable")
        rng = np.random.default_rng([seed, zlib.crc32(str(market).encode())])
        flagged = ranked["flagged"].to_numpy(dtype=bool)
        exploit = ranked.loc[flagged].iloc[: capacity - explore]
        if rule.fill_spare_capacity:
            spare = spare_cases(ranked.loc[~flagged], capacity - explore - len(exploit), rng)
            exploit = pd.concat([exploit, spare.assign(why=SPARE + spare["why"])])
        # drawn in creator order: whom exploration samples never depends on anyone's harm
        rest = ranked.drop(exploit.index).sort_values("creator_id", kind="stable")
        drawn = rest.iloc[np.sort(rng.choice(len(rest), size=explore, replace=False))]
        chosen = pd.concat([
            exploit.assign(exploration=False, review_probability=1.0),
            drawn.assign(
                exploration=True,
                review_probability=explore / len(rest) if len(rest) else 1.0,
                why=EXPLORED + drawn["why"],
            ),
        ])  # fmt: skip
        chosen["rank"] = _ranks(len(exploit), explore)
        queues.append(chosen.sort_values("rank"))
    if not queues:  # typed like a full queue, so a day without cases filters and concatenates alike
        queues = [candidates.iloc[0:0].assign(rank=0, exploration=False, review_probability=0.0)]
    return pd.concat(queues, ignore_index=True)[QUEUE_COLUMNS]


def spare_reach(candidates: pd.DataFrame, rules: dict[str, QueueRule]) -> pd.Series:
    """Which unflagged candidates (market, flagged, tenure_band, and bounds `harm_low` and
    `harm_high` on the expected harm) a spare slot could go to, aligned with `candidates`.

    The severity in expected harm needs a creator's leading reason family, and that needs TreeSHAP
    of the creator: at 100,000 creators, more time than the rest of a day's decisions. A band never
    takes more spare cases than its market's capacity per day, by harm, so a creator whose highest
    possible harm is below that many others' lowest possible harm in its band can never be taken:
    its exact harm is not needed."""
    reach = pd.Series(False, index=candidates.index)
    for (market, _), rows in candidates[~candidates["flagged"]].groupby(["market", "tenure_band"]):
        rule = rules.get(str(market))
        if rule is None or not rule.fill_spare_capacity or rule.capacity_per_day == 0:
            continue
        lows = rows["harm_low"].to_numpy()
        if len(rows) <= rule.capacity_per_day:
            reach[rows.index] = True
            continue
        cut = np.partition(lows, len(lows) - rule.capacity_per_day)[len(lows) - rule.capacity_per_day]
        reach[rows.index[rows["harm_high"].to_numpy() >= cut]] = True
    return reach


def spare_cases(unflagged: pd.DataFrame, slots: int, rng: np.random.Generator) -> pd.DataFrame:
    """`slots` cases among creators below the review tier (ranked by harm, highest first): each
    tenure band gets as many as a uniform draw of `slots` of these creators holds of its own,
    and fills them by harm, highest first.

    Reach weighs expected harm, and established creators sell more, so by harm alone the spare
    capacity went to them: healthy creators of 90 days or more were queued up to 1.8x as often
    as newer ones in the policy backtest, past the fairness goal. Shares fixed by rounding would
    starve a small band for good (a band with 4% of the creators never wins one of three slots);
    drawn, every band's expected share is its share of the creators, step after step."""
    slots = min(slots, len(unflagged))
    if slots <= 0:
        return unflagged.iloc[0:0]
    bands = list(unflagged.groupby("tenure_band", sort=True))
    # the bands' counts in a uniform draw of `slots` creators, whatever order they are listed in
    quota = rng.multivariate_hypergeometric([len(rows) for _, rows in bands], slots)
    taken = [rows.iloc[:count] for (_, rows), count in zip(bands, quota, strict=True)]
    return pd.concat(taken).sort_values(
        ["expected_harm", "creator_id"], ascending=[False, True], kind="stable"
    )


def _ranks(exploit: int, explore: int) -> np.ndarray:
    """Ranks 1..n with the exploration cases (listed last) spread evenly among the others."""
    total = exploit + explore
    explore_at = np.floor((np.arange(explore) + 0.5) * total / max(explore, 1)).astype(int)
    slots = np.ones(total, dtype=bool)
    slots[explore_at] = False  # False: an exploration slot
    ranks = np.empty(total, dtype=int)
    ranks[:exploit] = np.flatnonzero(slots) + 1
    ranks[exploit:] = explore_at + 1
    return ranks
