"""The platform's view of behaviour: buyer reports, violations, quality reviews and abuse cases.

These are the noisy, delayed labels a real governance team has: reports are partly noise,
violations follow reports after a decision delay and some are overturned, reviews sample a
few streams, and only part of the abusers is ever investigated and confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from creatorscore.contract.schema import POLICIES, SEVERITIES
from creatorscore.simulate.activity import Sessions
from creatorscore.simulate.config import SimulationConfig
from creatorscore.simulate.orders import CANCELLED, REFUNDED, RETURNED, Orders
from creatorscore.simulate.population import ARCHETYPE_NAMES, EMERGING, Population

POINTS = {"minor": 1.0, "moderate": 3.0, "severe": 6.0}
# reports that are noise, not evidence of abuse
NOISE_REASONS = {
    "not_as_described": 0.35,
    "other": 0.3,
    "abusive_conduct": 0.15,
    "misleading_claim": 0.1,
    "fake_engagement": 0.1,
}
# (probability a case is opened, probability an opened case is confirmed) per archetype
DETECTION = {
    "brushing": (0.75, 0.8),
    "misleading_claims": (0.6, 0.75),
    "counterfeit": (0.7, 0.85),
    "off_platform_diversion": (0.5, 0.7),
    "incentive_abuse": (0.55, 0.75),
    "coordinated_ring": (0.7, 0.8),
    EMERGING: (0.12, 0.6),  # the policy team has not learned to look for it yet
}
NON_ABUSER_INVESTIGATED = 0.03
NON_ABUSER_CONFIRMED = 0.06  # false positives do happen


@dataclass(frozen=True)
class Reports:
    creator: np.ndarray
    session: np.ndarray  # -1 when the report is about an order only
    order: np.ndarray  # -1 when the report is about a stream
    created: np.ndarray
    reason: np.ndarray  # index into POLICIES
    genuine: np.ndarray  # caused by abuse rather than noise: known only to the simulator


@dataclass(frozen=True)
class Violations:
    creator: np.ndarray
    decided: np.ndarray
    policy: np.ndarray
    severity: np.ndarray
    points: np.ndarray
    overturned: np.ndarray  # nan while standing


@dataclass(frozen=True)
class Reviews:
    creator: np.ndarray
    session: np.ndarray
    reviewed: np.ndarray
    score: np.ndarray


@dataclass(frozen=True)
class Cases:
    creator: np.ndarray
    opened: np.ndarray
    closed: np.ndarray  # nan while open
    outcome: np.ndarray  # "confirmed", "cleared" or "open"
    abuse_type: np.ndarray  # archetype name for confirmed cases, else None


def draw_reports(
    config: SimulationConfig, pop: Population, sessions: Sessions, orders: Orders, rng: np.random.Generator
) -> Reports:
    # order reports: unhappy buyers of real orders; fake buyers never complain
    o_creator, o_created = orders.creator, orders.created
    misleading = pop.abusing(o_creator, o_created, "misleading_claims")
    counterfeit = pop.abusing(o_creator, o_created, "counterfeit")
    unhappy = np.isin(orders.status, [RETURNED, REFUNDED]) & ~orders.fake
    p_report = np.where(
        unhappy, np.where(misleading | counterfeit, 0.45, 0.06), np.where(counterfeit, 0.04, 0.002)
    )
    p_report = p_report * np.where(pop.mimic[o_creator], 0.5, 1.0) * (orders.status != CANCELLED)
    reported = np.flatnonzero(rng.random(len(orders)) < p_report)
    genuine_order = (misleading | counterfeit)[reported]
    abuse_reason = np.where(
        counterfeit[reported],
        np.where(rng.random(len(reported)) < 0.85, "counterfeit", "prohibited_item"),
        np.where(rng.random(len(reported)) < 0.6, "misleading_claim", "not_as_described"),
    )
    order_reason = np.where(genuine_order, abuse_reason, _noise_reasons(rng, len(reported)))

    # stream reports: viewers flagging what they saw, proportional to audience
    s_creator, s_start = sessions.creator, sessions.start
    noise_rate = sessions.peak_viewers / 1_000 * 0.25
    abuse_rate = np.zeros(len(sessions))
    abuse_reason_s = np.full(len(sessions), "other", dtype=object)
    for archetype, reason, rate in (
        ("off_platform_diversion", "off_platform_transaction", 3.0),
        ("brushing", "fake_engagement", 0.3),
        ("coordinated_ring", "fake_engagement", 0.3),
        ("misleading_claims", "misleading_claim", 0.8),
        (EMERGING, "fake_engagement", 0.6),
    ):
        active = pop.abusing(s_creator, s_start, archetype)
        abuse_rate = np.where(active, rate * sessions.real_viewers / 1_000 + 0.05, abuse_rate)
        abuse_reason_s = np.where(active, reason, abuse_reason_s)
    abuse_rate = abuse_rate * np.where(pop.mimic[s_creator], 0.4, 1.0)
    noise_count = rng.poisson(noise_rate)
    abuse_count = rng.poisson(abuse_rate)
    noise_session = np.repeat(np.arange(len(sessions)), noise_count)
    abuse_session = np.repeat(np.arange(len(sessions)), abuse_count)

    session = np.concatenate([np.full(len(reported), -1), noise_session, abuse_session])
    order = np.concatenate([reported, np.full(len(noise_session) + len(abuse_session), -1)])
    from_stream = session >= 0
    creator = np.where(from_stream, s_creator[np.maximum(session, 0)], o_creator[np.maximum(order, 0)])
    stream_offset = rng.random(len(session)) * sessions.duration_s[np.maximum(session, 0)] / 86_400
    order_offset = rng.uniform(1, 14, len(session))  # after delivery
    created = np.where(
        from_stream,
        s_start[np.maximum(session, 0)] + stream_offset,
        o_created[np.maximum(order, 0)] + order_offset,
    )
    reason = np.concatenate(
        [order_reason, _noise_reasons(rng, len(noise_session)), abuse_reason_s[abuse_session]]
    )
    genuine = np.concatenate(
        [genuine_order, np.zeros(len(noise_session), bool), np.ones(len(abuse_session), bool)]
    )
    keep = created < config.days
    return Reports(
        creator=creator[keep],
        session=session[keep],
        order=order[keep],
        created=created[keep],
        reason=_policy_index(reason[keep]),
        genuine=genuine[keep],
    )


def draw_violations(
    config: SimulationConfig, pop: Population, reports: Reports, rng: np.random.Generator
) -> Violations:
    """Some reports escalate to a decided violation; noise-based ones are often overturned."""
    mimic = pop.mimic[reports.creator]
    p_escalate = np.where(reports.genuine, np.where(mimic, 0.1, 0.25), 0.02)
    escalated = np.flatnonzero(rng.random(len(reports.creator)) < p_escalate)
    n = len(escalated)
    decided = reports.created[escalated] + 1 + rng.gamma(2, 3, n)
    policy = reports.reason[escalated]
    serious = np.isin(policy, _policy_index(np.array(["counterfeit", "prohibited_item"])))
    u = rng.random(n)
    severity = np.where(
        serious, np.select([u < 0.1, u < 0.5], [0, 1], 2), np.select([u < 0.6, u < 0.9], [0, 1], 2)
    )
    overturn = rng.random(n) < np.where(reports.genuine[escalated], 0.05, 0.35)
    overturned = np.where(overturn, decided + rng.uniform(3, 21, n), np.nan)
    overturned = np.where(overturned < config.days, overturned, np.nan)  # appeal still pending
    keep = decided < config.days
    points = np.array([POINTS[s] for s in SEVERITIES])[severity]
    return Violations(
        creator=reports.creator[escalated][keep],
        decided=decided[keep],
        policy=policy[keep],
        severity=severity[keep],
        points=points[keep],
        overturned=overturned[keep],
    )


def draw_reviews(
    config: SimulationConfig, pop: Population, sessions: Sessions, rng: np.random.Generator
) -> Reviews:
    """Reviewers score a small sample of streams: latent quality plus rater noise."""
    sampled = np.flatnonzero(rng.random(len(sessions)) < config.review_rate)
    creator = sessions.creator[sampled]
    start = sessions.start[sampled]
    reviewed = start + rng.uniform(0.5, 7, len(sampled))
    harm = (
        0.6 * pop.abusing(creator, start, "misleading_claims")
        + 0.5 * pop.abusing(creator, start, "counterfeit")
        + 0.3 * pop.abusing(creator, start, "off_platform_diversion")
    ) * np.where(pop.mimic[creator], 0.3, 1.0)
    raw = pop.latent_quality[creator] - harm + rng.normal(0, 0.7, len(sampled))
    keep = reviewed < config.days
    return Reviews(
        creator=creator[keep],
        session=sampled[keep],
        reviewed=reviewed[keep],
        score=np.clip(np.round(raw), 1, 5).astype(np.int64)[keep],
    )


def draw_cases(config: SimulationConfig, pop: Population, rng: np.random.Generator) -> Cases:
    """Investigations open days to weeks after onset; some abusers are never caught or are cleared."""
    n = pop.n
    names = np.array(ARCHETYPE_NAMES, dtype=object)
    abuser = pop.archetype != 0
    p_open = np.zeros(n)
    p_confirm = np.full(n, NON_ABUSER_CONFIRMED)
    for name, (opens, confirms) in DETECTION.items():
        member = pop.is_archetype(name)
        p_open[member] = min(1.0, opens * config.detection_scale)
        p_confirm[member] = min(1.0, confirms * config.detection_scale)
    p_open = np.where(pop.mimic, 0.5 * p_open, p_open)
    p_open = np.where(abuser, p_open, NON_ABUSER_INVESTIGATED)
    delay = config.label_delay
    opened = np.where(
        abuser, pop.onset_day + 3 * delay + rng.gamma(2, 10, n) * delay, rng.uniform(0, config.days, n)
    )
    opened = np.maximum(opened, pop.onboard_day + 1)
    investigated = (rng.random(n) < p_open) & (opened < config.days)

    closed = opened + rng.uniform(5, 45, n) * delay
    confirmed = rng.random(n) < p_confirm
    still_open = closed >= config.days
    outcome = np.where(still_open, "open", np.where(confirmed, "confirmed", "cleared"))
    wrongly_named = names[1 + rng.integers(0, len(names) - 2, n)]
    abuse_type = np.where(outcome == "confirmed", np.where(abuser, names[pop.archetype], wrongly_named), None)
    at = np.flatnonzero(investigated)
    return Cases(
        creator=at,
        opened=opened[at],
        closed=np.where(still_open, np.nan, closed)[at],
        outcome=outcome[at],
        abuse_type=abuse_type[at],
    )


def _noise_reasons(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice(np.array(list(NOISE_REASONS)), size=n, p=list(NOISE_REASONS.values()))


def _policy_index(reason: np.ndarray) -> np.ndarray:
    vocabulary = np.array(POLICIES)
    order = np.argsort(vocabulary)
    return order[np.searchsorted(vocabulary[order], reason.astype(str))]
