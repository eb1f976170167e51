"""Peer references: each feature's median among creators of the same market and category.

A reason reads "3.1x the ID beauty median" only if the median is taken over comparable creators
at the same point in time, so medians are computed per (as_of, market, category) from the same
feature frame that is scored, and a creator is compared with the latest peer snapshot at or
before its own as-of time (never a later one: that would leak the future into a reason).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

PEER_GROUP = ["market", "category"]


def peer_medians(frame: pd.DataFrame, feature_names: Sequence[str]) -> pd.DataFrame:
    """One row per (as_of, market, category): the median of each feature over creators with a value."""
    names = list(feature_names)
    medians = frame.groupby(["as_of", *PEER_GROUP], observed=True, sort=True)[names].median()
    return pd.concat([medians.index.to_frame(index=False), medians.reset_index(drop=True)], axis=1)


@dataclass(frozen=True)
class PeerIndex:
    """Peer medians arranged for lookups without pandas: one (as-of times, medians) pair per group.

    Built once per peer table; a lookup for one creator then costs microseconds, which the
    service's single-creator latency needs.
    """

    feature_names: tuple[str, ...]
    groups: dict[str, tuple[np.ndarray, np.ndarray]]  # group key -> as_of (ns, sorted), medians

    @classmethod
    def build(cls, peers: pd.DataFrame, feature_names: Sequence[str]) -> PeerIndex:
        names = tuple(feature_names)
        absent = [name for name in names if name not in peers.columns]
        if absent:
            raise ValueError(f"the peer table lacks {len(absent)} model features, e.g. {absent[:3]}")
        ordered = peers.sort_values("as_of", kind="stable")
        as_of = _nanoseconds(ordered["as_of"])
        medians = ordered[list(names)].to_numpy(dtype=np.float64, na_value=np.nan)
        keys, inverse = np.unique(_group_keys(ordered["market"], ordered["category"]), return_inverse=True)
        groups = {str(key): (as_of[inverse == i], medians[inverse == i]) for i, key in enumerate(keys)}
        return cls(names, groups)

    def lookup(self, as_of: np.ndarray, market: Sequence[str], category: Sequence[str]) -> np.ndarray:
        """(rows, features) medians of each row's group at the latest snapshot at or before its as-of."""
        out = np.full((len(as_of), len(self.feature_names)), np.nan)
        keys, inverse = np.unique(_group_keys(market, category), return_inverse=True)
        for i, key in enumerate(keys):  # a loop over market x category groups, vectorised over rows
            if str(key) not in self.groups:
                continue
            times, medians = self.groups[str(key)]
            rows = np.flatnonzero(inverse == i)
            at = np.searchsorted(times, as_of[rows], side="right") - 1
            found = at >= 0
            out[rows[found]] = medians[at[found]]
        return out


def peer_values(
    frame: pd.DataFrame, peers: pd.DataFrame | PeerIndex, feature_names: Sequence[str]
) -> np.ndarray:
    """(rows, features) peer medians aligned with `frame`'s rows; NaN where no peer snapshot applies."""
    index = peers if isinstance(peers, PeerIndex) else PeerIndex.build(peers, feature_names)
    if index.feature_names != tuple(feature_names):
        raise ValueError("the peer index was built for other features than the model's")
    return index.lookup(_nanoseconds(frame["as_of"]), frame["market"], frame["category"])


def _group_keys(market: Sequence[str], category: Sequence[str]) -> np.ndarray:
    return np.char.add(np.char.add(np.asarray(market, dtype=str), "/"), np.asarray(category, dtype=str))


def _nanoseconds(as_of: pd.Series) -> np.ndarray:
    return pd.DatetimeIndex(as_of).as_unit("ns").asi8
