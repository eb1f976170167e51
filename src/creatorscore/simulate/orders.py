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
    kind: str


def draw_orders(config: SimulationConfig, pop: Population, sessions: Sessions, rng: np.random.Generator) -> Orders:
    s_creator, s_start = sessions.creator, sessions.start
    misleading = pop.abusing(s_creator, s_start, "misleading_claims")
    diverting = pop.abusing(s_creator, s_start, "off_platform_diversion")
    mimic = pop.mimic[s_creator]
    conversion = 0.035 * np.exp(0.35 * pop.quality_z[s_creator])
    conversion *= np.where(misleading, 1.35, 1.0) * np.where(diverting, np.where(mimic, 0.7, 0.35), 1.0)
    organic = sessions.real_viewers * conversion

    brushing = pop.abusing(s_creator, s_start, "brushing") | pop.abusing(s_creator, s_start, "coordinated_ring")
    burst = np.where(brushing, np.where(mimic, 2 + 0.2 * organic, 6 + 0.5 * organic), 0.0)
    campaign = np.isin(np.floor(s_start).astype(np.int64), _around(sale_days(config.start, config.days)))
    self_buying = pop.abusing(s_creator, s_start, "incentive_abuse") & campaign
    self_rate = np.where(self_buying, np.where(mimic, 4.0, 10.0), 0.0)

    during = sessions.duration_s / 86_400
    batches = [
        _in_session(rng, organic, s_start, during, "organic"),
        _in_session(rng, 0.25 * organic, s_start, 2.0, "showcase"),
        _in_session(rng, burst, s_start, during, "brush"),
        _in_session(rng, self_rate, s_start, during, "self"),
    ]
    session = np.concatenate([b.session for b in batches])
    created = np.concatenate([b.created for b in batches])
    kind = np.concatenate([np.full(len(b.session), b.kind) for b in batches])
    keep = created < config.days
    session, created, kind = session[keep], created[keep], kind[keep]
    creator = s_creator[session]
    n = len(session)

    buyer = _buyers(config, pop, rng, creator, kind)
    price = pop.price[creator] * np.where(pop.abusing(creator, created, "counterfeit"), 0.65, 1.0)
    scale = np.select([kind == "brush", kind == "self"], [0.35, 2.0], 1.0)
    amount = np.round(price * scale * np.exp(rng.normal(0, 0.55, n)), 2)
    status, resolved = _outcomes(config, pop, rng, creator, created, kind)
    return Orders(
        creator=creator,
        session=np.where(kind == "showcase", -1, session),
        buyer=buyer,
        created=created,
        amount=amount,
        status=status,
        resolved=resolved,
        fake=(kind == "brush") | (kind == "self"),
    )


def _around(days: list[int]) -> np.ndarray:
    """Campaign windows: each sale day and the day either side."""
    return np.unique(np.concatenate([np.array(days, dtype=np.int64) + k for k in (-1, 0, 1)]))


def _in_session(
    rng: np.random.Generator, rate: np.ndarray, start: np.ndarray, spread: np.ndarray | float, kind: str
) -> _Batch:
    counts = rng.poisson(rate)
    session = np.repeat(np.arange(len(rate)), counts)
    spread = np.broadcast_to(spread, rate.shape)[session]
    return _Batch(session, start[session] + rng.random(len(session)) * spread, kind)


def _buyers(
    config: SimulationConfig, pop: Population, rng: np.random.Generator, creator: np.ndarray, kind: np.ndarray
) -> np.ndarray:
    """Organic buyers come from the market or the creator's fans; fake ones from small pools."""
    n = len(creator)
    market_buyers = max(5_000, 30 * pop.n)
    fans = np.maximum(5, pop.audience[creator] // 4).astype(np.int64)
    fan = (mix64(creator * 1_000_003 + rng.integers(0, fans)) % np.uint64(market_buyers)).astype(np.int64)
    buyer = np.where(rng.random(n) < 0.3, fan, rng.integers(0, market_buyers, n))

    pool = np.where(pop.mimic[creator], BRUSH_POOL, 8 + creator % 24)  # mimics spread wider
    ring = pop.ring[creator]
    brush_owner = np.where(ring >= 0, pop.n + ring, creator)  # rings share one pool
    brush = market_buyers + brush_owner * BRUSH_POOL + rng.integers(0, pool)
    self_base = market_buyers + 2 * pop.n * BRUSH_POOL
    own = self_base + creator * SELF_POOL + rng.integers(0, 1 + creator % (SELF_POOL - 1), n)
    return np.select([kind == "brush", kind == "self"], [brush, own], buyer)


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
    brush = kind == "brush"
    misleading = pop.abusing(creator, created, "misleading_claims")
    counterfeit = pop.abusing(creator, created, "counterfeit")

    cancel = np.where(brush, np.where(mimic, 0.08, 0.45), np.where(kind == "self", 0.1, 0.04))
    ret = 0.02 + 0.06 * poor + np.where(misleading, np.where(mimic, 0.07, 0.22), 0) + np.where(counterfeit, 0.06, 0)
    refund = np.where(brush, np.where(mimic, 0.05, 0.3), 0.015 + 0.03 * poor)
    refund = refund + np.where(counterfeit, np.where(mimic, 0.05, 0.16), 0)
    u = rng.random(n)
    status = np.select(
        [u < cancel, u < cancel + ret, u < cancel + ret + refund], [CANCELLED, RETURNED, REFUNDED], COMPLETED
    )
    delay = np.select(
        [status == CANCELLED, status == RETURNED, status == REFUNDED],
        [rng.uniform(0.02, 2, n), 10 + rng.gamma(3, 3, n), 4 + rng.gamma(2, 4, n)],
        7 + rng.gamma(2, 2, n),
    )
    resolved = created + delay
    pending = resolved >= config.days
    return np.where(pending, PENDING, status), np.where(pending, np.nan, resolved)
