"""Tenure bands split where the fairness goal and the queue's spare capacity expect."""

from __future__ import annotations

import pandas as pd

from creatorscore.policy.tenure import tenure_band


def test_tenure_bands_split_at_30_and_90_days():
    bands = tenure_band(pd.Series([0, 29, 30, 89, 90, 900]))
    assert bands.tolist() == ["under 30 days"] * 2 + ["30-89 days"] * 2 + ["90 days or more"] * 2
