"""Optional tables: identifiers accounts share (ring evidence) and incentive-campaign sign-ups."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from creatorscore.contract.schema import LINK_TYPES
from creatorscore.simulate.calendar import sale_days
from creatorscore.simulate.config import SimulationConfig
from creatorscore.simulate.population import Population

STUDIO_SHARE = 0.02  # creators streaming from a shared agency studio: benign shared devices
HOUSEHOLD_SHARE = 0.03  # creators sharing an address with another: benign
RING_SHARES = 0.7  # chance a ring member exposes each of the ring's device and payment


@dataclass(frozen=True)
class Links:
    creator: np.ndarray
    link_type: np.ndarray  # index into LINK_TYPES
    value: np.ndarray  # integer identity; hashed when written
    first_seen: np.ndarray


@dataclass(frozen=True)
class Campaigns:
    creator: np.ndarray
    campaign_day: np.ndarray
    joined: np.ndarray
    incentive: np.ndarray


def draw_links(config: SimulationConfig, pop: Population, rng: np.random.Generator) -> Links:
    n = pop.n
    creator = np.tile(np.arange(n), len(LINK_TYPES))
    link_type = np.repeat(np.arange(len(LINK_TYPES)), n)
    value = link_type.astype(np.int64) * n * 4 + creator  # each account's own identifiers
    first_seen = np.maximum(pop.onboard_day[creator], 0) + rng.uniform(0, 20, len(creator))

    device, payment, address = (LINK_TYPES.index(t) for t in ("device", "payment", "address"))
    studio = rng.random(n) < STUDIO_SHARE
    studio_id = rng.integers(0, max(1, int(n * STUDIO_SHARE / 4)), n)
    household = rng.random(n) < HOUSEHOLD_SHARE
    partner = rng.integers(0, n, n)
    ring = pop.ring[creator]
    in_ring = (ring >= 0) & np.isin(link_type, [device, payment]) & (rng.random(len(creator)) < RING_SHARES)

    own = value
    value = np.where((link_type == device) & studio[creator], n * 20 + studio_id[creator], value)
    value = np.where((link_type == address) & household[creator], own - creator + partner[creator], value)
    value = np.where(in_ring, n * 30 + ring * len(LINK_TYPES) + link_type, value)
    ring_seen = pop.onset_day[creator] - rng.uniform(0, 10, len(creator))
    first_seen = np.where(in_ring, np.maximum(ring_seen, first_seen - 20), first_seen)
    first_seen = np.maximum(first_seen, pop.onboard_day[creator])
    keep = first_seen < config.days
    return Links(creator[keep], link_type[keep], value[keep], first_seen[keep])


def draw_campaigns(config: SimulationConfig, pop: Population, rng: np.random.Generator) -> Campaigns:
    """Creators sign up for the double-day sale campaigns; incentive abusers join every one, big."""
    days = np.array(sale_days(config.start, config.days), dtype=np.float64)
    if len(days) == 0:
        empty = np.array([], dtype=np.float64)
        return Campaigns(empty.astype(np.int64), empty, empty, empty)
    joined = days[None, :] - rng.uniform(2, 10, (pop.n, len(days)))
    alive = (joined >= pop.onboard_day[:, None]) & (days[None, :] < pop.churn_day[:, None])
    reach = np.clip(0.15 + 0.1 * np.log1p(pop.audience / 50), 0.05, 0.8)
    abuser = pop.is_archetype("incentive_abuse")
    abusing = abuser[:, None] & (days[None, :] >= pop.onset_day[:, None])
    joins = alive & ((rng.random(joined.shape) < reach[:, None]) | abusing)
    incentive = np.exp(rng.normal(np.log(15), 0.7, joined.shape)) * (pop.audience[:, None] / 40) ** 0.3
    incentive = incentive * np.where(abusing & ~pop.mimic[:, None], 3.0, 1.0)
    creator, which = np.nonzero(joins & (joined < config.days) & (joined >= 0))
    return Campaigns(creator, days[which], joined[creator, which], np.round(incentive[creator, which], 2))
