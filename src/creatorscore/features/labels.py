"""Labels: what happens to each creator after the as-of time, over the horizon (t, t + H].

`abuse_label` is 1 when an abuse case with outcome confirmed closes in (t, t + H], else 0;
it is missing for creators already confirmed at t (they are no longer a prediction problem)
and wherever t + H reaches past the last fact, since the window is not fully observed.
`quality_label` is the mean human review score in (t, t + H], missing when no review falls
there or the window is not fully observed. Features use only facts known before t, so the
label window never overlaps the feature window.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from creatorscore.features.engine import KEYS, connect
from creatorscore.features.snapshots import last_fact_at

LABELS = ["abuse_label", "quality_label"]


def compute_labels(
    tables: dict[str, pd.DataFrame], as_of: Sequence[pd.Timestamp], horizon_days: int = 30
) -> pd.DataFrame:
    observed_until = last_fact_at(tables)
    with connect(tables, as_of) as con:
        con.execute(
            "create temp table horizon as select $end::timestamptz as observed_until", {"end": observed_until}
        )
        frame = (
            con.sql(
                f"""
            with abuse as (
                select s.creator_id, s.as_of,
                       bool_or(c.closed_at <= s.as_of) as confirmed_before,
                       bool_or(c.closed_at > s.as_of and c.closed_at <= s.as_of + interval {horizon_days} day)
                           as confirmed_in_horizon
                from spine s join abuse_cases c
                  on c.creator_id = s.creator_id and c.outcome = 'confirmed'
                group by s.creator_id, s.as_of
            ),
            quality as (
                select s.creator_id, s.as_of, avg(r.score)::double as mean_score
                from spine s join quality_reviews r
                  on r.creator_id = s.creator_id and r.reviewed_at > s.as_of
                 and r.reviewed_at <= s.as_of + interval {horizon_days} day
                group by s.creator_id, s.as_of
            )
            select s.creator_id, s.as_of,
                   case when coalesce(a.confirmed_before, false) then null
                        when s.as_of + interval {horizon_days} day > h.observed_until then null
                        else coalesce(a.confirmed_in_horizon, false)::double end as abuse_label,
                   case when s.as_of + interval {horizon_days} day > h.observed_until then null
                        else q.mean_score end as quality_label
            from spine s cross join horizon h
            left join abuse a using (creator_id, as_of)
            left join quality q using (creator_id, as_of)
            order by s.as_of, s.creator_id
            """
            )
            .to_arrow_table()
            .to_pandas()
        )
    frame["as_of"] = frame["as_of"].dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    return frame[[*KEYS, *LABELS]]
