"""Point-in-time training sets: features at each as-of time next to what happened after it."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from creatorscore.features.definitions import Definitions
from creatorscore.features.engine import KEYS, compute_features
from creatorscore.features.labels import compute_labels


def build_training_set(
    tables: dict[str, pd.DataFrame],
    as_of: Sequence[pd.Timestamp],
    definitions: Definitions,
    horizon_days: int = 30,
) -> pd.DataFrame:
    """One row per (creator_id, as_of): keys, market and category, features, both labels."""
    features = compute_features(tables, as_of, definitions)
    labels = compute_labels(tables, as_of, horizon_days)
    return features.merge(labels, on=KEYS, how="left", validate="one_to_one")
