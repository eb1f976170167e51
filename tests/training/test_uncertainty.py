"""Bootstrap intervals resample creators, not rows, and a paired difference shares its draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from creatorscore.training.uncertainty import creator_draws, paired_difference


@given(st.lists(st.sampled_from("abcdef"), min_size=1, max_size=60), st.integers(0, 2**16))
def test_a_resample_takes_every_row_of_each_drawn_creator(creators, seed):
    series = pd.Series(creators)
    for rows in creator_draws(series, resamples=3, seed=seed):
        drawn = series.iloc[rows]
        counts = series.value_counts()
        # a creator drawn k times brings all its rows k times: row counts are multiples of its size
        for creator, seen in drawn.value_counts().items():
            assert seen % counts[creator] == 0
        assert drawn.nunique() <= series.nunique()
        # each drawn creator's rows come in position order, once per draw
        for creator in drawn.unique():
            positions = rows[drawn.to_numpy() == creator]
            own = np.flatnonzero(series.to_numpy() == creator)
            assert (positions.reshape(-1, len(own)) == own).all()


def test_a_score_against_itself_gains_nothing_on_any_draw():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "creator_id": np.repeat([f"c{i}" for i in range(50)], 2),
        "as_of": pd.Timestamp("2025-01-01", tz="UTC"),
        "label": np.tile([0.0, 1.0], 50) * (rng.random(100) < 0.5),
        "model": rng.random(100),
    })  # fmt: skip
    frame["copy"] = frame["model"]
    gain = paired_difference(frame, "label", "model", "copy", "pr_auc", resamples=50)
    assert gain.estimate == gain.low == gain.high == 0.0
