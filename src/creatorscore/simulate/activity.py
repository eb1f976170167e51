"""Livestreams: how often each creator goes live, for how long, and who watches and comments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from creatorscore.simulate.calendar import MARKET_UTC_OFFSET, sale_factor, weekday_factor
from creatorscore.simulate.config import SimulationConfig
from creatorscore.simulate.population import EMERGING, Population


@dataclass(frozen=True)
class Sessions:
    creator: np.ndarray
    start: np.ndarray  # float days since the start of history
    duration_s: np.ndarray
    peak_viewers: np.ndarray  # as the platform counts them, bots included
    real_viewers: np.ndarray  # the people who could buy
    comments: np.ndarray

    def __len__(self) -> int:
        return len(self.creator)


def draw_sessions(config: SimulationConfig, pop: Population, rng: np.random.Generator) -> Sessions:
    """Poisson streams per creator-day from lifecycle x weekday x sale calendar, then their audience."""
    days = np.arange(config.days, dtype=np.float32)
    sales = sale_factor(config.start, config.days)
    calendar = (weekday_factor(config.start, config.days) * sales).astype(np.float32)
    age = days[None, :] - pop.onboard_day[:, None].astype(np.float32)
    ramp = np.clip(1 - np.exp(-age / pop.ramp_days[:, None].astype(np.float32)), 0, None)
    alive = (age >= 0) & (days[None, :] < pop.churn_day[:, None])
    rate = pop.session_rate[:, None].astype(np.float32) * calendar[None, :] * ramp * alive
    counts = rng.poisson(rate)
    del age, ramp, alive, rate

    creator_of_cell, day_of_cell = np.nonzero(counts)
    per_cell = counts[creator_of_cell, day_of_cell]
    creator = np.repeat(creator_of_cell, per_cell)
    day = np.repeat(day_of_cell, per_cell)
    n = len(creator)

    # streams cluster in the local evening; markets are UTC+7 or UTC+8
    offset = np.vectorize(MARKET_UTC_OFFSET.get)(pop.market)[creator]
    local_hour = np.clip(rng.normal(20, 2.5, n), 6, 23.9)
    start = np.clip(day + (local_hour - offset) / 24, 0, config.days - 1e-6)

    ramp_now = np.clip(1 - np.exp(-(start - pop.onboard_day[creator]) / pop.ramp_days[creator]), 0.05, 1)
    real_viewers = (
        pop.audience[creator] * ramp_now**0.7 * np.exp(rng.normal(0, 0.45, n)) * np.sqrt(sales[day])
    )
    botting = pop.abusing(creator, start, EMERGING)
    counted = real_viewers * np.where(botting, rng.uniform(3, 6, n), 1.0)
    peak_viewers = rng.poisson(np.maximum(counted, 0.5))

    comment_rate = 0.6 * np.exp(0.3 * pop.quality_z[creator])
    diverting = pop.abusing(creator, start, "off_platform_diversion")
    comment_rate = comment_rate * np.where(diverting, np.where(pop.mimic[creator], 1.6, 3.0), 1.0)
    bot_comments = np.where(botting, 2.0 * (counted - real_viewers), 0.0)
    comments = rng.poisson(real_viewers * comment_rate + bot_comments)

    duration_s = np.clip(np.exp(rng.normal(np.log(5_400), 0.55, n)), 600, 6 * 3_600).astype(np.int64)
    return Sessions(creator, start, duration_s, peak_viewers, real_viewers, comments)
