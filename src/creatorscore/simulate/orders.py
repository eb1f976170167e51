"""Orders: organic sales driven by audience and quality, plus the fake orders abusers inject."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from creatorscore.contract.schema import ORDER_STATUSES
from creatorscore.simulate.activity import Sessions
from creatorscore.simulate.calendar import sale_days
from creatorscore.simulate.config import SimulationConfig
from creatorscore.simulate.ids import mix64
from creatorscore.simulate.population import Population

PENDING, COMPLETED, CANCELLED, RETURNED, REFUNDED = (ORDER_STATUSES.index(s) for s in ORDER_STATUSES)
ORGANIC, SHOWCASE, BRUSH, SELF = range(4)  # where an order came from (int8 codes keep memory low)
BRUSH_POOL = 64  # buyer ids reserved per brushing creator or ring
SELF_POOL = 4  # buyer ids reserved per incentive abuser for self-purchases


@dataclass(frozen=True)
class Orders:
    creator: np.ndarray
    session: np.ndarray  # index into sessions; -1 for video and showcase orders
    buyer: np.ndarray
    created: np.ndarray  # float days
    amount: np.ndarray
    status: np.ndarray  # index into ORDER_STATUSES
    resolved: np.ndarray  # float days; nan while pending
    fake: np.ndarray  # brushing or self-purchase: known only to the simulator

    def __len__(self) -> int:
        return len(self.creator)


@dataclass(frozen=True)
class _Batch:
    session: np.ndarray
    created: np.ndarray
    kind: int


def draw_orders(
    config: SimulationConfig, pop: Population, sessions: Sessions, rng: np.random.Generator
) -> Orders:
    s_creator, s_start = sessions.creator, sessions.start
    misleading = pop.abusing(s_creator, s_start, "misleading_claims")
    diverting = pop.abusing(s_creator, s_start, "off_platform_diversion")
    mimic = pop.mimic[s_creator]
    conversion = 0.035 * np.exp(0.35 * pop.quality_z[s_creator])
    conversion *= np.where(misleading, 1.35, 1.0) * np.where(diverting, np.where(mimic, 0.7, 0.35), 1.0)
    organic = sessions.real_viewers * conversion

    brushing = pop.abusing(s_creator, s_start, "brushing") | pop.abusing(
        s_creator, s_start, "coordinated_ring"
    )
    burst = np.where(brushing, np.where(mimic, 2 + 0.2 * organic, 6 + 0.5 * organic), 0.0)
    campaign = np.isin(np.floor(s_start).astype(np.int64), _around(sale_days(config.start, config.days)))
    self_buying = pop.abusing(s_creator, s_start, "incentive_abuse") & campaign
    self_rate = np.where(self_buying, np.where(mimic, 4.0, 10.0), 0.0)

    during = sessions.duration_s / 86_400
    batches = [
        _in_session(rng, organic, s_start, during, ORGANIC),
        _in_session(rng, 0.25 * organic, s_start, 2.0, SHOWCASE),
        _in_session(rng, burst, s_start, during, BRUSH),
        _in_session(rng, self_rate, s_start, during, SELF),
    ]
    session = np.concatenate([b.session for b in batches])
    created = np.concatenate([b.created for b in batches])
    kind = np.concatenate([np.full(len(b.session), b.kind, dtype=np.int8) for b in batches])
    del batches
    keep = created < config.days
    session, created, kind = session[keep], created[keep], kind[keep]
    creator = s_creator[session]
    n = len(session)

    buyer = _buyers(pop, rng, creator, kind)
    price = pop.price[creator] * np.where(pop.abusing(creator, created, "counterfeit"), 0.65, 1.0)
    scale = np.array([1.0, 1.0, 0.35, 2.0])[kind]
    amount = np.round(price * scale * np.exp(rng.normal(0, 0.55, n)), 2)
    status, resolved = _outcomes(config, pop, rng, creator, created, kind)
    return Orders(
        creator=creator,
        session=np.where(kind == SHOWCASE, -1, session),
        buyer=buyer,
        created=created,
        amount=amount,
        status=status,
        resolved=resolved,
        fake=kind >= BRUSH,
    )


def _around(days: list[int]) -> np.ndarray:
    """Campaign windows: each sale day and the day either side."""
    return np.unique(np.concatenate([np.array(days, dtype=np.int64) + k for k in (-1, 0, 1)]))


def _in_session(
    rng: np.random.Generator, rate: np.ndarray, start: np.ndarray, spread: np.ndarray | float, kind: int
) -> _Batch:
    counts = rng.poisson(rate)
    session = np.repeat(np.arange(len(rate)), counts)
    spread = np.broadcast_to(spread, rate.shape)[session]
    return _Batch(session, start[session] + rng.random(len(session)) * spread, kind)


def _buyers(pop: Population, rng: np.random.Generator, creator: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """Organic buyers come from the market or the creator's fans; fake ones from small pools."""
    n = len(creator)
    market_buyers = max(5_000, 30 * pop.n)
    buyer = rng.integers(0, market_buyers, n)
    fan_order = np.flatnonzero(rng.random(n) < 0.3)
    fan_of = creator[fan_order]
    fans = np.maximum(5, pop.audience[fan_of] // 4).astype(np.int64)
    buyer[fan_order] = mix64(fan_of * 1_000_003 + rng.integers(0, fans)) % np.uint64(market_buyers)

    brush = np.flatnonzero(kind == BRUSH)
    brusher = creator[brush]
    pool = np.where(pop.mimic[brusher], BRUSH_POOL, 8 + brusher % 24)  # mimics spread wider
    ring = pop.ring[brusher]
    owner = np.where(ring >= 0, pop.n + ring, brusher)  # a ring shares one pool
    buyer[brush] = market_buyers + owner * BRUSH_POOL + rng.integers(0, pool)

    own = np.flatnonzero(kind == SELF)
    self_buyer = creator[own]
    self_base = market_buyers + 2 * pop.n * BRUSH_POOL
    buyer[own] = self_base + self_buyer * SELF_POOL + rng.integers(0, 1 + self_buyer % (SELF_POOL - 1))
    return buyer


def _outcomes(
    config: SimulationConfig,
    pop: Population,
    rng: np.random.Generator,
    creator: np.ndarray,
    created: np.ndarray,
    kind: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Final status and when it is reached; an outcome after the end of history is still pending."""
    n = len(creator)
    mimic = pop.mimic[creator]
    poor = 1 - (pop.latent_quality[creator] - 1) / 4
    brush = kind == BRUSH
    misleading = pop.abusing(creator, created, "misleading_claims")
    counterfeit = pop.abusing(creator, created, "counterfeit")

    cancel = np.where(brush, np.where(mimic, 0.08, 0.45), np.where(kind == SELF, 0.1, 0.04))
    ret = (
        0.02
        + 0.06 * poor
        + np.where(misleading, np.where(mimic, 0.07, 0.22), 0)
        + np.where(counterfeit, 0.06, 0)
    )
    refund = np.where(brush, np.where(mimic, 0.05, 0.3), 0.015 + 0.03 * poor)
    refund = refund + np.where(counterfeit, np.where(mimic, 0.05, 0.16), 0)
    u = rng.random(n)
    status = np.select(
        [u < cancel, u < cancel + ret, u < cancel + ret + refund], [CANCELLED, RETURNED, REFUNDED], COMPLETED
    ).astype(np.int8)
    del cancel, ret, refund, u, poor, misleading, counterfeit
    resolved = created.copy()
    for code, draw_delay in (
        (CANCELLED, lambda k: rng.uniform(0.02, 2, k)),
        (RETURNED, lambda k: 10 + rng.gamma(3, 3, k)),  # ship, deliver, send back, inspect
        (REFUNDED, lambda k: 4 + rng.gamma(2, 4, k)),
        (COMPLETED, lambda k: 7 + rng.gamma(2, 2, k)),  # the buyer-confirmation window
    ):
        at = np.flatnonzero(status == code)
        resolved[at] += draw_delay(len(at))
    pending = resolved >= config.days
    return np.where(pending, PENDING, status), np.where(pending, np.nan, resolved)
