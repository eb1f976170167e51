"""Assemble a simulated marketplace into contract tables, and write it to a data folder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from creatorscore.contract.schema import LINK_TYPES, ORDER_STATUSES, POLICIES, SEVERITIES, TABLES
from creatorscore.outputs import write_table, write_text
from creatorscore.simulate.activity import Sessions, draw_sessions
from creatorscore.simulate.config import SimulationConfig
from creatorscore.simulate.corrupt import corrupt
from creatorscore.simulate.enforcement import draw_cases, draw_reports, draw_reviews, draw_violations
from creatorscore.simulate.ids import format_ids, hex_digests
from creatorscore.simulate.links import draw_campaigns, draw_links
from creatorscore.simulate.orders import Orders, draw_orders
from creatorscore.simulate.population import ARCHETYPE_NAMES, NONE, Population, draw_population

STAGES = ("creators", "sessions", "orders", "reports", "violations", "reviews", "cases", "links", "tables")


@dataclass(frozen=True)
class SimulatedMarketplace:
    config: SimulationConfig
    tables: dict[str, pd.DataFrame]
    ground_truth: dict[str, pd.DataFrame]
    """`creators`: latent traits per creator; `corruptions`: every malformed row injected."""


def simulate(
    config: SimulationConfig, on_stage: Callable[[str], None] = lambda stage: None
) -> SimulatedMarketplace:
    """Draw a whole marketplace. Each stage has its own random stream, so tuning one stage
    does not reshuffle the others, and the same seed always gives the same tables."""
    rng = dict(zip(STAGES, np.random.default_rng(config.seed).spawn(len(STAGES)), strict=True))
    on_stage("creators")
    pop = draw_population(config, rng["creators"])
    on_stage("sessions")
    sessions = draw_sessions(config, pop, rng["sessions"])
    on_stage("orders")
    orders = draw_orders(config, pop, sessions, rng["orders"])
    on_stage("reports")
    reports = draw_reports(config, pop, sessions, orders, rng["reports"])
    on_stage("violations")
    violations = draw_violations(config, pop, reports, rng["violations"])
    on_stage("reviews")
    reviews = draw_reviews(config, pop, sessions, rng["reviews"])
    on_stage("cases")
    cases = draw_cases(config, pop, rng["cases"])
    on_stage("links")
    links = draw_links(config, pop, rng["links"])
    campaigns = draw_campaigns(config, pop, rng["links"])

    on_stage("tables")
    at = _Clock(config)
    creator_ids = format_ids("cr", np.arange(pop.n))
    session_ids = format_ids("ls", np.arange(len(sessions)))
    order_ids = format_ids("od", np.arange(len(orders)))
    tables = {
        "creators": pd.DataFrame(
            {
                "creator_id": _text(creator_ids),
                "market": pd.array(pop.market, dtype="str"),
                "category": pd.array(pop.category, dtype="str"),
                "onboarded_at": at(pop.onboard_day),
            }
        ),
        "live_sessions": _sessions_table(sessions, creator_ids, session_ids, at),
        "orders": _orders_table(orders, creator_ids, session_ids, order_ids, at),
        "buyer_reports": pd.DataFrame(
            {
                "report_id": _text(format_ids("rp", np.arange(len(reports.creator)))),
                "creator_id": _take(creator_ids, reports.creator),
                "session_id": _take(session_ids, reports.session),
                "order_id": _take(order_ids, reports.order),
                "created_at": at(reports.created),
                "reason": _labels(POLICIES, reports.reason),
            }
        ),
        "violations": pd.DataFrame(
            {
                "violation_id": _text(format_ids("vi", np.arange(len(violations.creator)))),
                "creator_id": _take(creator_ids, violations.creator),
                "decided_at": at(violations.decided),
                "policy": _labels(POLICIES, violations.policy),
                "severity": _labels(SEVERITIES, violations.severity),
                "points": violations.points,
                "overturned_at": at(violations.overturned),
            }
        ),
        "quality_reviews": pd.DataFrame(
            {
                "review_id": _text(format_ids("qr", np.arange(len(reviews.creator)))),
                "creator_id": _take(creator_ids, reviews.creator),
                "session_id": _take(session_ids, reviews.session),
                "reviewed_at": at(reviews.reviewed),
                "score": reviews.score,
            }
        ),
        "abuse_cases": pd.DataFrame(
            {
                "case_id": _text(format_ids("ac", np.arange(len(cases.creator)))),
                "creator_id": _take(creator_ids, cases.creator),
                "opened_at": at(cases.opened),
                "closed_at": at(cases.closed),
                "outcome": pd.array(cases.outcome.astype(str), dtype="str"),
                "abuse_type": pd.array(cases.abuse_type, dtype="str"),
            }
        ),
        "account_links": pd.DataFrame(
            {
                "creator_id": _take(creator_ids, links.creator),
                "link_type": _labels(LINK_TYPES, links.link_type),
                "link_value": _text(hex_digests(links.value)),
                "first_seen_at": at(links.first_seen),
            }
        ),
        "campaign_participation": pd.DataFrame(
            {
                "creator_id": _take(creator_ids, campaigns.creator),
                "campaign_id": pd.array(
                    [f"cmp-{d:%Y-%m-%d}" for d in at(campaigns.campaign_day)], dtype="str"
                ),
                "joined_at": at(campaigns.joined),
                "incentive_usd": campaigns.incentive,
            }
        ),
    }
    truth = {"creators": _truth(pop, creator_ids, at, config.days)}
    if config.corrupt_rate > 0:
        tables, truth["corruptions"] = corrupt(tables, config.corrupt_rate, rng["tables"])
    return SimulatedMarketplace(config, tables, truth)


def write_marketplace(market: SimulatedMarketplace, out_dir: Path | str) -> Path:
    """Contract tables at the top of `out_dir`; ground truth in `out_dir/ground_truth/`."""
    out_dir = Path(out_dir)
    truth_dir = out_dir / "ground_truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        stale_csv = out_dir / f"{table.name}.csv"
        stale_csv.unlink(missing_ok=True)  # a leftover CSV would make the table ambiguous
        write_table(out_dir / f"{table.name}.parquet", market.tables[table.name])
    for name, frame in market.ground_truth.items():
        write_table(truth_dir / f"{name}.parquet", frame)
    write_text(truth_dir / "simulation.json", market.config.model_dump_json(indent=2) + "\n")
    return out_dir


class _Clock:
    """Float days since the start of history -> UTC timestamps (NaN -> NaT)."""

    def __init__(self, config: SimulationConfig):
        start = datetime.combine(config.start, time(), tzinfo=UTC)
        self.start_us = int(start.timestamp() * 1_000_000)

    def __call__(self, days: np.ndarray) -> pd.DatetimeIndex | pd.Series:
        days = np.asarray(days, dtype=np.float64)
        us = np.where(np.isnan(days), 0, np.round(days * 86_400e6)).astype(np.int64) + self.start_us
        stamps = np.where(np.isnan(days), np.iinfo(np.int64).min, us).view("datetime64[us]")
        return pd.Series(stamps).dt.tz_localize("UTC")


def _text(values: pa.Array) -> pd.Series:
    return pd.Series(values.to_pandas(), dtype="str")


def _take(ids: pa.Array, index: np.ndarray) -> pd.Series:
    """ids[index], with a negative index meaning null (an optional reference)."""
    index = np.asarray(index, dtype=np.int64)
    taken = ids.take(pa.array(np.maximum(index, 0)))
    return _text(pc.if_else(pa.array(index < 0), pa.scalar(None, pa.string()), taken))


def _labels(vocabulary: tuple[str, ...], index: np.ndarray) -> pd.Series:
    """vocabulary[index] as Arrow strings: no Python object per row."""
    return _text(pa.array(vocabulary).take(pa.array(np.asarray(index, dtype=np.int64))))


def _sessions_table(
    sessions: Sessions, creator_ids: pa.Array, session_ids: pa.Array, at: _Clock
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "session_id": _text(session_ids),
            "creator_id": _take(creator_ids, sessions.creator),
            "started_at": at(sessions.start),
            "duration_s": sessions.duration_s,
            "peak_viewers": sessions.peak_viewers,
            "comments": sessions.comments,
        }
    )


def _orders_table(
    orders: Orders, creator_ids: pa.Array, session_ids: pa.Array, order_ids: pa.Array, at: _Clock
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": _text(order_ids),
            "creator_id": _take(creator_ids, orders.creator),
            "session_id": _take(session_ids, orders.session),
            "buyer_id": _text(format_ids("by", orders.buyer)),
            "created_at": at(orders.created),
            "amount_usd": orders.amount,
            "status": _labels(ORDER_STATUSES, orders.status),
            "resolved_at": at(orders.resolved),
        }
    )


def _truth(pop: Population, creator_ids: pa.Array, at: _Clock, days: int) -> pd.DataFrame:
    names = np.array(ARCHETYPE_NAMES, dtype=object)
    ring = format_ids("ring", np.maximum(pop.ring, 0), width=4)
    return pd.DataFrame(
        {
            "creator_id": _text(creator_ids),
            "latent_quality": pop.latent_quality,
            "archetype": pd.array(names[pop.archetype].astype(str), dtype="str"),
            "is_abuser": names[pop.archetype] != NONE,
            "abuse_onset": at(np.where(np.isinf(pop.onset_day), np.nan, pop.onset_day)),
            "mimics_healthy": pop.mimic,
            "ring_id": _take(ring, np.where(pop.ring >= 0, np.arange(pop.n), -1)),
            "churned_at": at(np.where(pop.churn_day < days, pop.churn_day, np.nan)),
        }
    )
