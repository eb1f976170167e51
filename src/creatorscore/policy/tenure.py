"""Tenure bands: how long a creator has sold, in the bands the fairness goal compares and the
review queue shares its spare capacity across."""

from __future__ import annotations

import numpy as np
import pandas as pd

TENURE_BANDS = ((0, 30, "under 30 days"), (30, 90, "30-89 days"), (90, np.inf, "90 days or more"))


def tenure_band(days: pd.Series) -> pd.Series:
    bands = pd.Series("", index=days.index, dtype=object)
    for low, high, name in TENURE_BANDS:
        bands[(days >= low) & (days < high)] = name
    return bands
