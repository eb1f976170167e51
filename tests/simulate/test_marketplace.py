"""Properties the marketplace simulator must have for the data to be worth modelling.

One small marketplace is simulated once for the whole module; a few tests need a second,
smaller one (determinism, the emerging-tactic date, the default window). Every threshold
sits well clear of the measured value at the pinned seed, and well clear of what a
simulator without the property would give, so each test can fail.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pandas.testing as pdt
import pytest

from creatorscore.contract import TABLES, validate
from creatorscore.simulate import SimulationConfig, simulate

CONFIG = SimulationConfig(creators=3_000, days=180, seed=11)
DAY = pd.Timedelta(days=1)
ARCHETYPES = (
    "brushing",
    "misleading_claims",
    "counterfeit",
    "off_platform_diversion",
    "incentive_abuse",
    "coordinated_ring",
)
TRUTH_COLUMNS = (
    "creator_id",
    "latent_quality",
    "archetype",
    "is_abuser",
    "abuse_onset",
    "mimics_healthy",
    "ring_id",
    "churned_at",
)
MEGA_SALES = (date(2025, 9, 9), date(2025, 10, 10), date(2025, 11, 11), date(2025, 12, 12))


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def market():
    return simulate(CONFIG)


@pytest.fixture(scope="module")
def window(market):
    start = pd.Timestamp(market.config.start, tz="UTC")
    return start, start + market.config.days * DAY


@pytest.fixture(scope="module")
def truth(market) -> pd.DataFrame:
    return market.ground_truth["creators"].set_index("creator_id")


def _with_truth(frame: pd.DataFrame, truth: pd.DataFrame, at: str) -> pd.DataFrame:
    """`frame` with each creator's archetype and mimic flag, and whether the row is past onset."""
    joined = frame.join(
        truth[["archetype", "abuse_onset", "mimics_healthy", "latent_quality"]], on="creator_id"
    )
    joined["after_onset"] = (joined[at] >= joined["abuse_onset"]).fillna(False).astype(bool)
    return joined


@pytest.fixture(scope="module")
def sessions(market, truth) -> pd.DataFrame:
    """Streams with their orders counted, and the creator's truth attached."""
    frame = market.tables["live_sessions"]
    per_session = market.tables["orders"]["session_id"].value_counts()
    frame = frame.assign(orders=frame["session_id"].map(per_session).fillna(0).astype(int))
    return _with_truth(frame, truth, "started_at")


@pytest.fixture(scope="module")
def orders(market, truth) -> pd.DataFrame:
    return _with_truth(market.tables["orders"], truth, "created_at")


@pytest.fixture(scope="module")
def reports(market, truth) -> pd.DataFrame:
    return _with_truth(market.tables["buyer_reports"], truth, "created_at")


@pytest.fixture(scope="module")
def campaigns(market, truth) -> pd.DataFrame:
    """Campaign sign-ups with the campaign's sale day; "after onset" means a campaign after onset."""
    joins = market.tables["campaign_participation"]
    sale_day = pd.to_datetime(joins["campaign_id"].str.removeprefix("cmp-")).dt.tz_localize("UTC")
    return _with_truth(joins.assign(sale_day=sale_day), truth, "sale_day")


# --------------------------------------------------------------------------- helpers


def _after_onset(rows: pd.DataFrame, archetype: str, *, mimic: bool = False) -> pd.DataFrame:
    return rows[(rows["archetype"] == archetype) & (rows["mimics_healthy"] == mimic) & rows["after_onset"]]


def _before_onset(rows: pd.DataFrame, archetype: str) -> pd.DataFrame:
    return rows[(rows["archetype"] == archetype) & ~rows["after_onset"]]


def _non_abusers(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["archetype"] == "none"]


def _median_rate(rows: pd.DataFrame, flag: pd.Series, min_rows: int = 10) -> float:
    """Median over creators (with at least `min_rows` rows) of the share of their rows flagged."""
    by_creator = flag.astype(float).groupby(rows["creator_id"])
    rates = by_creator.mean()[by_creator.size() >= min_rows]
    assert len(rates) >= 5, f"too few creators to measure: {len(rates)}"
    return float(rates.median())


def _median_ratio(rows: pd.DataFrame, numerator: str, denominator: str, min_rows: int = 5) -> float:
    """Median over creators of sum(numerator) / sum(denominator)."""
    sums = rows.groupby("creator_id")[[numerator, denominator]].sum()
    sums = sums[(rows.groupby("creator_id").size() >= min_rows) & (sums[denominator] > 0)]
    assert len(sums) >= 5, f"too few creators to measure: {len(sums)}"
    return float((sums[numerator] / sums[denominator]).median())


def _repeat_buyer_share(rows: pd.DataFrame) -> float:
    """Median share of a creator's orders placed by buyers who ordered from them 3+ times."""
    times = rows.groupby(["creator_id", "buyer_id"])["order_id"].transform("size")
    return _median_rate(rows, times >= 3)


def _top_buyers_share(rows: pd.DataFrame, top: int = 3, min_rows: int = 10) -> float:
    """Median share of a creator's orders placed by their `top` most frequent buyers."""
    per_buyer = rows.groupby(["creator_id", "buyer_id"]).size().sort_values(ascending=False)
    leaders = per_buyer.groupby(level="creator_id").head(top).groupby(level="creator_id").sum()
    totals = rows.groupby("creator_id").size()
    shares = (leaders / totals)[totals >= min_rows]
    assert len(shares) >= 5, f"too few creators to measure: {len(shares)}"
    return float(shares.median())


def _spearman(a: pd.Series, b: pd.Series) -> float:
    return float(a.rank().corr(b.rank()))


def _double_days(start: pd.Timestamp, end: pd.Timestamp) -> list[pd.Timestamp]:
    """Every m.m day in the window: the platform's sale campaigns."""
    return [d for d in pd.date_range(start, end - DAY, freq="D") if d.month == d.day]


def _campaign_window(start: pd.Timestamp, end: pd.Timestamp) -> set[date]:
    """Each double day and the day either side of it."""
    return {(d + k * DAY).date() for d in _double_days(start, end) for k in (-1, 0, 1)}


def _daily(times: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    days = pd.date_range(start, end - DAY, freq="D")
    return times.dt.floor("D").value_counts().reindex(days, fill_value=0)


def _ordinary_days(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """Days that are not a double day, its eve or the day after it."""
    special = {d + k * DAY for d in _double_days(start, end) for k in (-1, 0, 1)}
    return pd.DatetimeIndex([d for d in pd.date_range(start, end - DAY, freq="D") if d not in special])


# --------------------------------------------------------------------------- heavy tails and lifecycle


def _gmv_per_creator(market) -> pd.Series:
    orders = market.tables["orders"]
    kept = orders[orders["status"] != "cancelled"]
    gmv = kept.groupby("creator_id")["amount_usd"].sum()
    return gmv.reindex(market.tables["creators"]["creator_id"], fill_value=0.0).sort_values(ascending=False)


def test_top_one_percent_of_creators_carry_a_fifth_of_gmv(market):
    gmv = _gmv_per_creator(market)
    top = gmv.iloc[: len(gmv) // 100].sum() / gmv.sum()  # measured 0.42 at seed 11
    assert top >= 0.2, f"top 1% of creators carry only {top:.1%} of GMV"


def test_creator_gmv_has_a_heavy_right_tail(market):
    gmv = _gmv_per_creator(market)
    selling = gmv[gmv > 0]
    mean_over_median = selling.mean() / selling.median()  # measured 7.9
    max_over_median = selling.max() / selling.median()  # measured ~1,900
    assert mean_over_median >= 3, f"mean/median GMV only {mean_over_median:.1f}"
    assert max_over_median >= 100, f"max/median GMV only {max_over_median:.0f}"


def test_creator_activity_is_heavy_tailed(market):
    creators = market.tables["creators"]["creator_id"]
    streams = market.tables["live_sessions"].groupby("creator_id").size()
    streams = streams.reindex(creators, fill_value=0).sort_values(ascending=False)
    top_decile = streams.iloc[: len(streams) // 10].sum() / streams.sum()  # measured 0.40
    active = streams[streams > 0]
    assert top_decile >= 0.3, f"top 10% of creators hold only {top_decile:.1%} of streams"
    assert active.max() >= 8 * active.median(), (active.max(), active.median())


def test_many_streaming_creators_go_quiet_in_the_last_30_days(market, window):
    _, end = window
    last_stream = market.tables["live_sessions"].groupby("creator_id")["started_at"].max()
    quiet = (last_stream < end - 30 * DAY).mean()  # measured 0.29
    assert quiet >= 0.15, f"only {quiet:.1%} of streaming creators are quiet in the last 30 days"


def test_many_creators_churn_and_then_stop_streaming(market, truth, window):
    start, end = window
    churned = truth["churned_at"].dropna()
    assert len(churned) / len(truth) >= 0.2, f"only {len(churned) / len(truth):.1%} churned"  # measured 0.33
    assert churned.between(start, end, inclusive="left").all()
    streams = market.tables["live_sessions"].join(churned, on="creator_id", how="inner")
    # a stream may start later on the day the creator churns, never a day after
    late = streams[streams["started_at"] > streams["churned_at"] + DAY]
    assert late.empty, f"{len(late)} streams long after their creator churned"


def test_new_creators_ramp_up_after_onboarding(market, window):
    start, end = window
    creators = market.tables["creators"]
    joined = creators[(creators["onboarded_at"] >= start) & (creators["onboarded_at"] < end - 56 * DAY)]
    assert len(joined) >= 100, len(joined)
    streams = market.tables["live_sessions"].merge(joined[["creator_id", "onboarded_at"]], on="creator_id")
    age = (streams["started_at"] - streams["onboarded_at"]) / DAY
    first_two_weeks = ((age >= 0) & (age < 14)).sum() / 2
    weeks_five_to_eight = ((age >= 28) & (age < 56)).sum() / 4
    ratio = first_two_weeks / weeks_five_to_eight  # measured 0.38
    assert ratio < 0.7, f"streams/week in weeks 1-2 are {ratio:.2f} of weeks 5-8: no ramp-up"


# --------------------------------------------------------------------------- markets and calendar


def test_markets_have_different_activity_base_rates(market):
    creators = market.tables["creators"].set_index("creator_id")
    streams = (
        market.tables["live_sessions"].groupby("creator_id").size().reindex(creators.index, fill_value=0)
    )
    per_market = streams.groupby(creators["market"]).mean()
    ratio = per_market["ID"] / per_market["SG"]  # measured 1.67 (44.6 vs 26.7 streams per creator)
    assert ratio >= 1.3, (
        f"ID creators stream only {ratio:.2f}x as often as SG creators: {per_market.to_dict()}"
    )


def test_weekends_have_more_sessions_than_monday_and_tuesday(market, window):
    start, end = window
    daily = _daily(market.tables["live_sessions"]["started_at"], start, end)
    ordinary = daily[_ordinary_days(start, end)]
    by_weekday = ordinary.groupby(ordinary.index.day_of_week).mean()
    ratio = by_weekday[[5, 6]].mean() / by_weekday[[0, 1]].mean()  # measured 1.44
    assert ratio >= 1.25, f"weekend/Mon-Tue streams only {ratio:.2f}: {by_weekday.round(0).to_dict()}"


@pytest.mark.parametrize("sale", MEGA_SALES, ids=lambda d: f"{d.month}.{d.day}")
@pytest.mark.parametrize(
    ("table", "column", "floor"), [("live_sessions", "started_at", 1.8), ("orders", "created_at", 2.0)]
)
def test_mega_sales_spike_above_surrounding_ordinary_days(market, window, sale, table, column, floor):
    start, end = window
    day = pd.Timestamp(sale, tz="UTC")
    assert start <= day < end, f"{sale} is outside the simulated window"
    daily = _daily(market.tables[table][column], start, end)
    ordinary = _ordinary_days(start, end)
    around = ordinary[abs(ordinary - day) <= 7 * DAY]
    spike = daily[day] / daily[around].mean()  # measured 2.2-3.7x streams, 3.4-6.5x orders
    assert spike >= floor, f"{table} on {sale} only {spike:.2f}x the surrounding ordinary days"


def test_default_window_includes_all_four_mega_sales():
    default = SimulationConfig()
    assert default.start + timedelta(days=default.days) > date(2025, 12, 12), (
        f"default window {default.start} + {default.days} days ends before 12.12"
    )
    small = simulate(SimulationConfig(creators=300, seed=3))
    stream_days = set(small.tables["live_sessions"]["started_at"].dt.date)
    missing = [d for d in MEGA_SALES if d not in stream_days]
    assert not missing, f"no streams on {missing}"


def test_the_default_history_ends_in_the_past_so_validation_accepts_all_of_it():
    # the contract quarantines facts from the future, so a default run must not reach past today
    assert SimulationConfig().end <= datetime.now(UTC).date()


# --------------------------------------------------------------------------- latent quality


def test_review_scores_track_latent_quality(market, truth):
    reviews = market.tables["quality_reviews"]
    mean_score = reviews.groupby("creator_id")["score"].mean()
    quality = truth.loc[mean_score.index, "latent_quality"]
    rho = _spearman(quality, mean_score)  # measured 0.81 over ~1,650 reviewed creators
    assert rho >= 0.6, f"Spearman(latent quality, mean review score) only {rho:.2f}"


def test_high_quality_creators_have_fewer_returns_and_refunds(orders):
    settled = _non_abusers(orders[orders["status"] != "pending"])
    quartile = pd.qcut(settled["latent_quality"], 4, labels=False)
    unhappy = settled["status"].isin(["returned", "refunded"]).groupby(quartile).mean()
    # measured 9.1%, 7.5%, 6.2%, 4.7% from the lowest to the highest quality quartile
    assert unhappy.is_monotonic_decreasing, unhappy.round(3).to_dict()
    assert unhappy[3] <= 0.75 * unhappy[0], unhappy.round(3).to_dict()


def _by_quality(sessions: pd.DataFrame, per_creator: pd.Series) -> tuple[pd.Series, float]:
    """Medians of a healthy-creator metric by latent-quality quartile, and its Spearman with quality."""
    quality = sessions.groupby("creator_id")["latent_quality"].first()[per_creator.index]
    return per_creator.groupby(pd.qcut(quality, 4, labels=False)).median(), _spearman(quality, per_creator)


def _per_viewer(sessions: pd.DataFrame, column: str) -> pd.Series:
    sums = _non_abusers(sessions).groupby("creator_id")[[column, "peak_viewers"]].sum()
    sums = sums[sums["peak_viewers"] > 0]
    return sums[column] / sums["peak_viewers"]


def test_higher_quality_streams_convert_more_viewers_into_orders(sessions):
    by_quartile, rho = _by_quality(sessions, _per_viewer(sessions, "orders"))
    # measured Spearman 0.72; orders per peak viewer 0.023 -> 0.053 by quality quartile
    assert rho >= 0.4, f"Spearman(quality, conversion) only {rho:.2f}"
    assert by_quartile[3] >= 1.5 * by_quartile[0], by_quartile.round(4).to_dict()


def test_higher_quality_streams_draw_more_comments_per_viewer(sessions):
    by_quartile, rho = _by_quality(sessions, _per_viewer(sessions, "comments"))
    # measured Spearman 0.92; comments per peak viewer 0.42 -> 0.85 by quality quartile
    assert rho >= 0.5, f"Spearman(quality, comments per viewer) only {rho:.2f}"
    assert by_quartile[3] >= 1.5 * by_quartile[0], by_quartile.round(3).to_dict()


def test_higher_quality_creators_draw_larger_audiences(sessions):
    by_quartile, rho = _by_quality(
        sessions, _non_abusers(sessions).groupby("creator_id")["peak_viewers"].median()
    )
    # measured Spearman 0.27; median peak viewers 20 -> 56 by quality quartile
    assert rho >= 0.1, f"Spearman(quality, median peak viewers) only {rho:.2f}"
    assert by_quartile[3] >= 1.5 * by_quartile[0], by_quartile.to_dict()


def test_reviews_sample_under_a_tenth_of_sessions(market):
    reviews, streams = market.tables["quality_reviews"], market.tables["live_sessions"]
    share = reviews["session_id"].nunique() / len(streams)  # measured 3.8%
    assert 0.01 <= share < 0.1, f"reviews cover {share:.1%} of streams"
    reviewed = reviews.merge(streams, on="session_id", suffixes=("", "_stream"))
    assert len(reviewed) == len(reviews), "a review names a stream that does not exist"
    assert (reviewed["creator_id"] == reviewed["creator_id_stream"]).all()
    assert (reviewed["reviewed_at"] > reviewed["started_at"]).all()


def test_the_same_creator_gets_different_review_scores(market):
    scores = market.tables["quality_reviews"].groupby("creator_id")["score"]
    often = scores.size() >= 3
    varied = (scores.nunique()[often] > 1).mean()  # measured 0.91
    spread = scores.std()[often].mean()  # measured 0.65 points
    assert varied >= 0.5, f"only {varied:.1%} of creators reviewed 3+ times got differing scores"
    assert spread >= 0.3, f"mean within-creator score spread only {spread:.2f}"


# --------------------------------------------------------------------------- abuse archetypes


def test_six_abuse_archetypes_are_simulated(truth):
    counts = truth.loc[truth["is_abuser"], "archetype"].value_counts()
    missing = [a for a in ARCHETYPES if counts.get(a, 0) < 10]
    assert not missing, f"archetypes with fewer than 10 creators: {missing}; counts {counts.to_dict()}"
    assert (truth["is_abuser"] == (truth["archetype"] != "none")).all()


def test_abuse_starts_mid_history_not_on_day_zero(truth, window):
    start, end = window
    onset = (truth.loc[truth["is_abuser"], "abuse_onset"] - start) / (end - start)
    assert onset.notna().all()
    # measured: earliest 15% into history, median 62%, latest just before the end
    assert onset.min() >= 0.1, f"an abuser starts {onset.min():.1%} into history"
    assert onset.max() < 1
    assert 0.3 <= onset.median() <= 0.7, f"median onset {onset.median():.1%} into history"


def test_brushers_sell_to_a_small_repeating_buyer_pool_after_onset(orders):
    after = _repeat_buyer_share(_after_onset(orders, "brushing"))  # measured 0.65
    before = _repeat_buyer_share(_before_onset(orders, "brushing"))  # measured 0.08
    healthy = _repeat_buyer_share(_non_abusers(orders))  # measured 0.17
    assert after >= 0.4, f"repeat-buyer share after onset only {after:.2f}"
    assert after >= 3 * max(healthy, before, 0.05), (after, before, healthy)


def test_brushed_orders_are_often_cancelled_or_refunded(orders):
    def bounced(rows):
        return _median_rate(rows, rows["status"].isin(["cancelled", "refunded"]))

    after, healthy = bounced(_after_onset(orders, "brushing")), bounced(_non_abusers(orders))
    # measured 0.59 vs 0.06
    assert after >= 0.3, f"brushers' cancel+refund rate after onset only {after:.2f}"
    assert after >= 4 * healthy, (after, healthy)


def _reason_rate(reports: pd.DataFrame, denominator: pd.DataFrame, reasons: list[str]) -> float:
    """Reports with one of `reasons` per 1,000 rows of `denominator` (same creators and phase)."""
    return 1_000 * reports["reason"].isin(reasons).sum() / max(len(denominator), 1)


def test_misleading_claims_bring_returns_after_onset(orders):
    def returned(rows):
        settled = rows[rows["status"] != "pending"]
        return _median_rate(settled, settled["status"] == "returned")

    after = returned(_after_onset(orders, "misleading_claims"))
    before = returned(_before_onset(orders, "misleading_claims"))
    healthy = returned(_non_abusers(orders))
    # measured 0.25 after onset vs 0.04 before and 0.04 for healthy creators
    assert after >= 0.12, f"misleading creators' return rate after onset only {after:.2f}"
    assert after >= 3 * max(before, healthy), (after, before, healthy)


def test_misleading_claims_draw_misleading_and_not_as_described_reports(orders, reports):
    reasons = ["misleading_claim", "not_as_described"]
    after = _reason_rate(
        _after_onset(reports, "misleading_claims"), _after_onset(orders, "misleading_claims"), reasons
    )
    healthy = _reason_rate(_non_abusers(reports), _non_abusers(orders), reasons)
    # measured ~130 vs ~4 such reports per 1,000 orders
    assert after >= 5 * healthy, f"{after:.1f} vs {healthy:.1f} reports per 1,000 orders"


def test_counterfeiters_draw_counterfeit_reports_only_after_onset(orders, reports):
    after = _reason_rate(
        _after_onset(reports, "counterfeit"), _after_onset(orders, "counterfeit"), ["counterfeit"]
    )
    before = _reason_rate(
        _before_onset(reports, "counterfeit"), _before_onset(orders, "counterfeit"), ["counterfeit"]
    )
    healthy = _reason_rate(_non_abusers(reports), _non_abusers(orders), ["counterfeit"])
    # measured 125 per 1,000 orders after onset; none before onset or from healthy creators
    assert after >= 20, f"only {after:.1f} counterfeit reports per 1,000 orders after onset"
    assert after >= 10 * max(before, healthy, 0.1), (after, before, healthy)


def test_counterfeiters_sell_cheaper_after_onset(orders):
    rows = orders[(orders["archetype"] == "counterfeit") & ~orders["mimics_healthy"]]
    price = rows.groupby(["creator_id", "after_onset"])["amount_usd"].median().unstack().dropna()
    assert len(price) >= 10, len(price)
    ratio = (price[True] / price[False]).median()  # same creator after/before onset: 0.58
    assert ratio <= 0.85, f"counterfeiters' median order value only falls to {ratio:.2f}x after onset"


def test_off_platform_diverters_have_chatty_streams_that_do_not_convert(sessions):
    after = _after_onset(sessions, "off_platform_diversion")
    before = _before_onset(sessions, "off_platform_diversion")
    healthy = _non_abusers(sessions)
    chat = [_median_ratio(rows, "comments", "peak_viewers") for rows in (after, before, healthy)]
    buys = [_median_ratio(rows, "orders", "peak_viewers") for rows in (after, before, healthy)]
    # measured comments per viewer 1.81 after vs 0.57 before and 0.61 healthy;
    # orders per viewer 0.011 after vs 0.037 before and 0.035 healthy
    assert chat[0] >= 2 * max(chat[1:]), f"comments per viewer after/before/healthy {chat}"
    assert buys[0] <= 0.6 * min(buys[1:]), f"orders per viewer after/before/healthy {buys}"


def test_off_platform_diverters_are_reported_for_off_platform_transactions(sessions, reports):
    reason = ["off_platform_transaction"]
    after = _reason_rate(
        _after_onset(reports, "off_platform_diversion"),
        _after_onset(sessions, "off_platform_diversion"),
        reason,
    )
    before = _reason_rate(
        _before_onset(reports, "off_platform_diversion"),
        _before_onset(sessions, "off_platform_diversion"),
        reason,
    )
    healthy = _reason_rate(_non_abusers(reports), _non_abusers(sessions), reason)
    # measured ~700 per 1,000 streams after onset; none before onset or from healthy creators
    assert after >= 100, f"only {after:.0f} off-platform reports per 1,000 streams after onset"
    assert after >= 10 * max(before, healthy, 1), (after, before, healthy)


def test_incentive_abusers_join_every_campaign(market, truth, window, campaigns):
    start, end = window
    sales = pd.Series(_double_days(start, end))
    since = truth["abuse_onset"].fillna(market.tables["creators"].set_index("creator_id")["onboarded_at"])
    eligible = since.map(lambda at: int((sales >= at).sum()))
    counted = campaigns[campaigns["sale_day"] >= campaigns["creator_id"].map(since)]
    joined = counted.groupby("creator_id").size().reindex(truth.index, fill_value=0)
    share = (joined / eligible)[eligible > 0]  # of the campaigns since onset (or onboarding)
    group = truth.loc[share.index, "archetype"]
    abusers, healthy = share[group == "incentive_abuse"], share[group == "none"]
    # measured mean 0.93 of campaigns joined after onset vs 0.16 for healthy creators
    assert abusers.mean() >= 0.75, f"incentive abusers join only {abusers.mean():.0%} of campaigns"
    assert healthy.mean() <= 0.5 * abusers.mean(), (abusers.mean(), healthy.mean())


def test_incentive_abusers_concentrate_orders_on_campaign_days_from_tiny_buyer_pools(orders, window):
    campaign_days = _campaign_window(*window)
    on_campaign = orders["created_at"].dt.date.isin(campaign_days)
    after, healthy = _after_onset(orders, "incentive_abuse"), _non_abusers(orders)
    share = [_median_rate(rows, on_campaign[rows.index]) for rows in (after, healthy)]
    # measured 0.59 vs 0.17 of orders within a day of a double-day sale
    assert share[0] >= 2 * share[1], f"campaign-day order share abusers/healthy {share}"
    pools = [_top_buyers_share(rows[on_campaign[rows.index]]) for rows in (after, healthy)]
    # measured 0.91 vs 0.31 of campaign-day orders from the creator's top 3 buyers
    assert pools[0] >= 0.6, f"top-3 buyers place only {pools[0]:.0%} of abusers' campaign-day orders"
    assert pools[0] >= 2 * pools[1], pools


def _ring_mates_sharing(market, truth) -> tuple[set[str], pd.DataFrame]:
    links = market.tables["account_links"]
    links = links[links["link_type"].isin(["device", "payment"])].join(truth["ring_id"], on="creator_id")
    pairs = links.merge(links, on=["link_type", "link_value"])
    pairs = pairs[pairs["creator_id_x"] != pairs["creator_id_y"]]
    same_ring = pairs["ring_id_x"].notna() & (pairs["ring_id_x"] == pairs["ring_id_y"])
    return set(pairs.loc[same_ring, "creator_id_x"]), pairs


def test_ring_members_share_device_or_payment_identifiers(market, truth):
    sharing, pairs = _ring_mates_sharing(market, truth)
    members = truth.index[truth["ring_id"].notna()]
    rings = truth.loc[members, "ring_id"]
    multi = rings[rings.map(rings.value_counts()) >= 2]
    share = multi.index.isin(list(sharing)).mean()  # measured 0.95 (36 of 38 in rings of 2+)
    assert share >= 0.75, f"only {share:.0%} of ring members share a device/payment with a ring-mate"
    assert multi.groupby(multi).apply(lambda ring: ring.index.isin(list(sharing)).any()).all()
    same_ring = pairs["ring_id_x"].notna() & (pairs["ring_id_x"] == pairs["ring_id_y"])
    ring_values = pairs.loc[same_ring, ["link_type", "link_value", "ring_id_x"]].drop_duplicates()
    holders = ring_values.merge(pairs, on=["link_type", "link_value"], suffixes=("", "_pair"))
    crossing = holders[holders["ring_id_y"] != holders["ring_id_x"]]
    assert crossing.empty, "an identifier a ring shares is also held outside the ring"
    others = truth.index[truth["ring_id"].isna()]
    outsiders = pairs.loc[pairs["ring_id_x"].isna(), "creator_id_x"].nunique() / len(others)
    assert outsiders <= 0.05, f"{outsiders:.1%} of creators outside rings share devices/payments"  # 0.019


def test_coordinated_rings_have_at_least_three_members(truth):
    sizes = truth["ring_id"].value_counts()
    assert (sizes >= 3).all(), f"ring sizes {sizes.to_dict()}"


def test_some_abusers_mimic_healthy_metrics(truth):
    abusers = truth[truth["is_abuser"]]
    share = abusers["mimics_healthy"].mean()  # measured 0.29
    assert 0.15 <= share <= 0.45, f"{share:.0%} of abusers mimic healthy metrics"
    assert not truth.loc[~truth["is_abuser"], "mimics_healthy"].any()


def _pooled_share(rows: pd.DataFrame, statuses: list[str], *, settled: bool = False) -> float:
    if settled:
        rows = rows[rows["status"] != "pending"]
    return float(rows["status"].isin(statuses).mean())


def _cancelled_or_refunded(rows: pd.DataFrame) -> float:
    return _pooled_share(rows, ["cancelled", "refunded"])


def _returned(rows: pd.DataFrame) -> float:
    return _pooled_share(rows, ["returned"], settled=True)


def _refunded(rows: pd.DataFrame) -> float:
    return _pooled_share(rows, ["refunded"], settled=True)


def _comments_per_viewer(rows: pd.DataFrame) -> float:
    return rows["comments"].sum() / rows["peak_viewers"].sum()


def _mean_incentive(rows: pd.DataFrame) -> float:
    return rows["incentive_usd"].mean()


# archetype -> (table, footprint over all the cohort's rows after onset; bigger is more visible).
# Pooled over the cohort rather than a per-creator median: a cohort holds only ~5-15 mimics.
MIMIC_FOOTPRINTS = {
    # measured at seed 11, mimics vs other abusers of the same archetype:
    "brushing": ("orders", _cancelled_or_refunded),  # 0.06 vs 0.44
    "coordinated_ring": ("orders", _cancelled_or_refunded),  # 0.09 vs 0.44
    "misleading_claims": ("orders", _returned),  # 0.10 vs 0.26
    "counterfeit": ("orders", _refunded),  # 0.04 vs 0.19
    "off_platform_diversion": ("sessions", _comments_per_viewer),  # 0.84 vs 2.52
    "incentive_abuse": ("campaigns", _mean_incentive),  # 22 vs 62 USD
}


@pytest.mark.parametrize("archetype", ARCHETYPES)
def test_mimics_leave_a_weaker_footprint_than_other_abusers(archetype, orders, sessions, campaigns):
    table, footprint = MIMIC_FOOTPRINTS[archetype]
    rows = {"orders": orders, "sessions": sessions, "campaigns": campaigns}[table]
    mimic_rows = _after_onset(rows, archetype, mimic=True)
    assert mimic_rows["creator_id"].nunique() >= 3, "too few mimics to measure"
    mimics, others = footprint(mimic_rows), footprint(_after_onset(rows, archetype, mimic=False))
    # measured ratios 0.14-0.40 at seed 11, at most 0.70 over seeds 1-8
    assert mimics <= 0.8 * others, f"{archetype}: mimics {mimics:.3f} vs other abusers {others:.3f}"


# --------------------------------------------------------------------------- labels


def test_abuse_cases_open_days_to_weeks_after_onset(market, truth):
    cases = market.tables["abuse_cases"].join(truth, on="creator_id")
    cases = cases[cases["is_abuser"]]
    delay = (cases["opened_at"] - cases["abuse_onset"]) / DAY
    assert len(delay) >= 30, len(delay)
    # measured min 4.3, median 21, max 83 days
    assert delay.min() >= 1, f"a case opened {delay.min():.1f} days after onset"
    assert 3 <= delay.median() <= 56, f"median case delay {delay.median():.1f} days"
    assert (delay > 14).any() and (delay < 14).any()


def test_only_part_of_the_abusers_is_ever_confirmed(market, truth):
    cases = market.tables["abuse_cases"]
    confirmed = set(cases.loc[cases["outcome"] == "confirmed", "creator_id"])
    abusers = truth.index[truth["is_abuser"]]
    share = abusers.isin(list(confirmed)).mean()  # measured 0.28
    assert 0.1 <= share <= 0.8, f"{share:.0%} of abusers are confirmed"


def test_some_investigated_creators_are_cleared(market, truth):
    cases = market.tables["abuse_cases"].join(truth, on="creator_id")
    closed = cases[cases["outcome"] != "open"]
    cleared = closed["outcome"] == "cleared"
    # measured 87 of 175 closed cases cleared: 60 innocent creators and 27 abusers
    assert 0.1 <= cleared.mean() <= 0.9, f"{cleared.mean():.0%} of closed cases cleared"
    assert (cleared & ~closed["is_abuser"]).any(), "no innocent creator was investigated and cleared"
    assert (cleared & closed["is_abuser"]).any(), "every investigated abuser was caught"


def test_violations_follow_a_report_after_a_decision_delay(market):
    violations = market.tables["violations"].sort_values("decided_at")
    reports = market.tables["buyer_reports"].rename(columns={"reason": "policy", "created_at": "reported_at"})
    reports = reports.sort_values("reported_at")
    cutoff = violations.assign(cutoff=violations["decided_at"] - DAY).sort_values("cutoff")
    matched = pd.merge_asof(
        cutoff,
        reports[["creator_id", "policy", "reported_at"]],
        left_on="cutoff",
        right_on="reported_at",
        by=["creator_id", "policy"],
        direction="backward",
    )
    assert len(violations) >= 50, len(violations)
    orphans = matched["reported_at"].isna().sum()
    assert orphans == 0, f"{orphans} violations without a same-policy report a day or more before"


def test_some_violations_are_overturned_on_appeal(market, window):
    _, end = window
    violations = market.tables["violations"]
    overturned = violations["overturned_at"].notna()
    assert 0 < overturned.mean() < 0.5, f"{overturned.mean():.0%} overturned"  # measured 0.13
    won = violations[overturned]
    assert (won["overturned_at"] > won["decided_at"]).all()
    assert (won["overturned_at"] < end).all()


def test_returns_and_refunds_resolve_days_after_the_order(market):
    orders = market.tables["orders"]
    lag = ((orders["resolved_at"] - orders["created_at"]) / DAY).groupby(orders["status"])
    low, typical = lag.min(), lag.median()
    # measured medians: returned 17.9, refunded 10.6, completed 10.3, cancelled 1.0 days
    assert low["returned"] >= 1 and low["refunded"] >= 1, low.to_dict()
    assert typical["returned"] >= 5 and typical["refunded"] >= 3, typical.to_dict()
    assert typical["cancelled"] < typical["refunded"] < typical["returned"], typical.to_dict()


def test_orders_unresolved_at_the_end_are_pending(market, window):
    _, end = window
    orders = market.tables["orders"]
    pending = orders["status"] == "pending"
    assert pending.any()
    assert (pending == orders["resolved_at"].isna()).all(), "pending must mean no resolved_at"
    assert (orders["resolved_at"].dropna() < end).all(), "an order resolved after the end of history"
    assert (orders.loc[pending, "created_at"] >= end - 60 * DAY).all(), "an old order still pending"
    last_week = orders[orders["created_at"] >= end - 7 * DAY]
    assert (last_week["status"] == "pending").mean() >= 0.8  # measured 0.97


# --------------------------------------------------------------------------- emerging tactic


def test_engagement_botting_starts_only_after_emerging_after():
    start = date(2026, 6, 15)
    emerging_after = start + timedelta(days=50)
    config = SimulationConfig(
        creators=1_500, days=120, seed=11, start=start, emerging_after=emerging_after, emerging_share=0.04
    )
    truth = simulate(config).ground_truth["creators"]
    botting = truth[truth["archetype"] == "engagement_botting"]
    assert len(botting) >= 20, len(botting)
    onset = botting["abuse_onset"].dt.date
    assert (onset >= emerging_after).all(), f"botting starts on {onset.min()}, before {emerging_after}"
    others = truth[truth["is_abuser"] & (truth["archetype"] != "engagement_botting")]
    assert (others["abuse_onset"].dt.date < emerging_after).any(), "older tactics must not wait for it"


def test_engagement_botting_starts_late_by_default(truth, window):
    start, end = window
    onset = truth.loc[truth["archetype"] == "engagement_botting", "abuse_onset"]
    assert len(onset) >= 10, len(onset)
    default_day = start + int(0.7 * CONFIG.days) * DAY
    assert (onset >= default_day).all(), f"botting starts {onset.min()}, before 70% of history"


def test_engagement_botting_inflates_viewers_without_orders(sessions):
    def buys(rows):
        return _median_ratio(rows, "orders", "peak_viewers")

    after = buys(_after_onset(sessions, "engagement_botting"))
    before = buys(_before_onset(sessions, "engagement_botting"))
    # measured 0.009 orders per counted viewer after onset vs 0.038 before
    assert after <= 0.5 * before, (after, before)


# --------------------------------------------------------------------------- determinism and truth


SMALL = SimulationConfig(creators=400, days=60, seed=5)


def test_same_seed_gives_identical_tables():
    first, second = simulate(SMALL), simulate(SMALL)
    assert first.tables.keys() == second.tables.keys()
    for name in first.tables:
        pdt.assert_frame_equal(first.tables[name], second.tables[name], obj=name)
    pdt.assert_frame_equal(first.ground_truth["creators"], second.ground_truth["creators"])


def test_different_seed_gives_different_tables():
    first, second = simulate(SMALL), simulate(SMALL.model_copy(update={"seed": 6}))
    for name in ("creators", "live_sessions", "orders", "quality_reviews"):
        assert not first.tables[name].equals(second.tables[name]), f"{name} identical across seeds"
    assert not first.ground_truth["creators"].equals(second.ground_truth["creators"])


def test_ground_truth_has_one_row_per_creator_aligned_with_the_creators_table(market):
    truth = market.ground_truth["creators"]
    creators = market.tables["creators"]
    assert tuple(truth.columns) == TRUTH_COLUMNS
    assert truth["creator_id"].is_unique
    pdt.assert_series_equal(truth["creator_id"], creators["creator_id"], check_names=False)
    assert truth["latent_quality"].between(1, 5).all()
    assert set(truth["archetype"]) <= {"none", *ARCHETYPES, "engagement_botting"}
    assert (truth["abuse_onset"].notna() == truth["is_abuser"]).all()
    assert (truth["ring_id"].notna() == (truth["archetype"] == "coordinated_ring")).all()


def test_contract_tables_carry_no_ground_truth(market):
    leaked = set(TRUTH_COLUMNS) - {"creator_id"}
    for table in TABLES:
        columns = list(market.tables[table.name].columns)
        assert columns == [c.name for c in table.columns], f"{table.name} columns {columns}"
        assert not leaked & set(columns), f"{table.name} leaks {leaked & set(columns)}"


def test_every_simulated_table_passes_the_validator_untouched(market):
    summary = validate(market.tables).summary
    assert set(summary) == {t.name for t in TABLES}
    for name, table in summary.items():
        assert table.quarantined == 0, f"{name}: {table.reasons}"
        assert table.accepted == table.read == len(market.tables[name]), name
