"""Creators and their hidden traits: quality, audience, lifecycle and abuse archetype.

Every later table is generated from these traits, and the traits are the ground truth that
evaluation compares the models with. Times are float days since the start of history.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from creatorscore.simulate.calendar import MARKET_ACTIVITY
from creatorscore.simulate.config import ARCHETYPES, SimulationConfig

CATEGORIES = {
    # share of creators, typical order value in USD
    "beauty": (0.22, 14.0),
    "fashion": (0.24, 11.0),
    "electronics": (0.1, 38.0),
    "home": (0.12, 17.0),
    "food": (0.12, 7.0),
    "health": (0.08, 19.0),
    "mother_baby": (0.07, 15.0),
    "sports": (0.05, 24.0),
}

NONE = "none"
EMERGING = "engagement_botting"
ARCHETYPE_NAMES = (NONE, *ARCHETYPES, EMERGING)
RING_SIZE = (3, 8)


@dataclass(frozen=True)
class Population:
    market: np.ndarray
    category: np.ndarray
    onboard_day: np.ndarray
    churn_day: np.ndarray  # inf for creators still active at the end
    ramp_days: np.ndarray
    quality_z: np.ndarray  # latent content quality on a standard-normal scale
    audience: np.ndarray  # typical peak viewers per stream once ramped up
    session_rate: np.ndarray  # streams per day once ramped up, before calendar effects
    price: np.ndarray  # typical order value
    archetype: np.ndarray  # index into ARCHETYPE_NAMES
    onset_day: np.ndarray  # inf for creators who never abuse
    mimic: np.ndarray  # abusers who keep their footprint small
    ring: np.ndarray  # ring index, -1 outside rings

    @property
    def n(self) -> int:
        return len(self.market)

    @property
    def latent_quality(self) -> np.ndarray:
        """Quality on the 1-5 scale of human reviews."""
        return 1 + 4 / (1 + np.exp(-(0.35 + 0.9 * self.quality_z)))

    def is_archetype(self, name: str) -> np.ndarray:
        return self.archetype == ARCHETYPE_NAMES.index(name)

    def abusing(self, creator: np.ndarray, day: np.ndarray, name: str) -> np.ndarray:
        """Whether `creator` practises archetype `name` at time `day` (vectorised over events)."""
        return (self.archetype[creator] == ARCHETYPE_NAMES.index(name)) & (day >= self.onset_day[creator])


def draw_population(config: SimulationConfig, rng: np.random.Generator) -> Population:
    n, days = config.creators, config.days
    markets = np.array(list(config.markets))
    market = rng.choice(markets, size=n, p=list(config.markets.values()))
    categories = np.array(list(CATEGORIES))
    shares = np.array([share for share, _ in CATEGORIES.values()])
    category_index = rng.choice(len(categories), size=n, p=shares / shares.sum())
    typical_price = np.array([price for _, price in CATEGORIES.values()])[category_index]

    # most creators were onboarded before the window opens; the rest join during it
    joins_during = rng.random(n) < 0.35
    onboard_day = np.where(joins_during, rng.uniform(0, days - 14, n), -rng.uniform(1, 540, n))
    churns = rng.random(n) < 0.4
    churn_day = np.where(churns, np.maximum(onboard_day, 0) + rng.exponential(75, n), np.inf)

    quality_z = rng.normal(size=n)
    market_activity = np.vectorize(MARKET_ACTIVITY.get)(market)
    audience = np.exp(rng.normal(3.6, 1.35, n) + 0.4 * quality_z)
    session_rate = np.minimum(3.0, np.exp(rng.normal(np.log(0.22), 0.8, n)) * market_activity)

    archetype, onset_day, ring = _draw_abuse(config, rng, onboard_day)
    abuser = archetype != 0
    return Population(
        market=market,
        category=categories[category_index],
        onboard_day=onboard_day,
        churn_day=np.where(abuser, np.maximum(churn_day, onset_day + 45), churn_day),
        ramp_days=rng.uniform(7, 35, n),
        quality_z=quality_z,
        audience=audience,
        session_rate=session_rate,
        price=typical_price * np.exp(rng.normal(0, 0.35, n)) * config.price_scale,
        archetype=archetype,
        onset_day=onset_day,
        mimic=abuser & (rng.random(n) < config.mimic_share),
        ring=ring,
    )


def _draw_abuse(
    config: SimulationConfig, rng: np.random.Generator, onboard_day: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Archetype, onset day and ring of every creator; abuse starts mid-history, not on day one."""
    n, days = config.creators, config.days
    archetype = np.zeros(n, dtype=np.int64)
    u = rng.random(n)
    abusive = u < config.abuser_share
    mix = [config.archetypes.get(name, 0.0) for name in ARCHETYPES]
    archetype[abusive] = 1 + rng.choice(len(ARCHETYPES), size=abusive.sum(), p=mix)
    emerging = (u >= config.abuser_share) & (u < config.abuser_share + config.emerging_share)
    archetype[emerging] = ARCHETYPE_NAMES.index(EMERGING)

    onset_day = np.full(n, np.inf)
    established = np.maximum(onboard_day, 0) + 10  # an account abuses only once it is running
    onset_day[abusive] = np.maximum(rng.uniform(0.15, 0.85, n) * days, established)[abusive]
    late = rng.uniform(config.emerging_day, days, n)
    onset_day[emerging] = np.maximum(late, established)[emerging]

    ring = np.full(n, -1)
    members = np.flatnonzero(archetype == ARCHETYPE_NAMES.index("coordinated_ring"))
    rng.shuffle(members)
    start, ring_id = 0, 0
    while start < len(members):  # one iteration per ring, not per event
        size = int(rng.integers(RING_SIZE[0], RING_SIZE[1] + 1))
        if len(members) - (start + size) < RING_SIZE[0]:  # too few left for a ring of their own
            size = len(members) - start
        group = members[start : start + size]
        ring[group] = ring_id
        shared = onset_day[group].min() + rng.uniform(0, 5, len(group))
        onset_day[group] = np.maximum(shared, established[group])
        start, ring_id = start + size, ring_id + 1
    return archetype, onset_day, ring
