"""Creators the contract knows but the online store does not hold yet: a prior, flagged as one.

A creator onboarded after the last `features materialize` has no feature vector, but the
contract's creators table already says where they sell. They are scored with the prior of
their peers: the median of each score over the store's creators of the same market and
category, else of the market, else of every creator (`basis` says which, with how many). The
prior is taken from the scored store generation itself, so it always comes from the served
models and moves with every materialisation; it needs no models at materialisation time.
The service learns of new creators by reading the creators table of `serve --data DIR` at
start and again whenever the file changes, so onboarding needs no materialisation to be
known; only an id in neither the store nor that table is an unknown creator.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from creatorscore.contract.read import read_table, table_path  # CSV read as every command reads it
from creatorscore.contract.schema import TABLES
from creatorscore.contract.validate import validate
from creatorscore.errors import ContractError, UserError

logger = logging.getLogger(__name__)
DATA_VARIABLE = "CREATORSCORE_DATA"
MIN_PEERS = 5  # fewer creators than this in a market and category: the market's prior instead


@dataclass(frozen=True)
class Prior:
    abuse_risk: float
    content_quality: float
    basis: str  # whose median it is, e.g. "median of 42 ID beauty creators"


@dataclass(frozen=True)
class Priors:
    by_segment: dict[tuple[str, str], Prior]
    by_market: dict[str, Prior]
    overall: Prior

    @classmethod
    def of(cls, scored: pd.DataFrame) -> Priors:
        """From one generation's scores: creator_id, market, category, abuse_risk, content_quality."""

        def prior(rows: pd.DataFrame, who: str) -> Prior:
            return Prior(
                float(rows["abuse_risk"].median()),
                float(rows["content_quality"].median()),
                f"median of {len(rows):,} {who}creators",
            )

        segments = scored.groupby(["market", "category"], sort=False)
        return cls(
            by_segment={
                (market, category): prior(rows, f"{market} {category} ")
                for (market, category), rows in segments
                if len(rows) >= MIN_PEERS
            },
            by_market={market: prior(rows, f"{market} ") for market, rows in scored.groupby("market")},
            overall=prior(scored, ""),
        )

    def for_creator(self, market: str, category: str) -> Prior:
        return self.by_segment.get((market, category)) or self.by_market.get(market) or self.overall


class CreatorsTable:
    """The contract's creators table, read again whenever its file changes.

    Only rows the contract accepts are known; a table that cannot be read keeps the last one
    read, and says so once in the log.
    """

    def __init__(self, data_dir: Path):
        path = table_path(data_dir, "creators")
        if path is None:
            raise UserError(f"no creators table in {data_dir}: give `serve --data` the contract's folder")
        self.path = path
        self._seen: tuple[int, int] | None = None  # (mtime, size) of the file last read
        self.known: dict[str, tuple[str, str]] = {}  # creator id -> (market, category)
        self.refresh()
        if not self.known:
            raise UserError(f"{path} holds no creator the data contract accepts")

    def refresh(self) -> None:
        """Read the table again if its file changed since the last read."""
        try:
            status = os.stat(self.path)
        except OSError as error:
            return logger.warning("cannot read the creators table %s: %s", self.path, error.strerror)
        seen = (status.st_mtime_ns, status.st_size)
        if seen == self._seen:
            return None
        try:
            creators = accepted_creators(self.path)
        except ContractError as error:
            return logger.warning("the creators table %s was not read again: %s", self.path, error)
        segments = zip(creators["market"], creators["category"], strict=True)
        self.known = dict(zip(creators["creator_id"], segments, strict=True))
        self._seen = seen
        return None


def accepted_creators(path: Path) -> pd.DataFrame:
    """The creators rows the contract accepts, validated alone: every other table given empty
    (as text, which the contract reads every kind from, as from a CSV file)."""
    empty = {
        table.name: pd.DataFrame({column.name: pd.Series([], dtype="str") for column in table.columns})
        for table in TABLES
        if table.required
    }
    return validate({**empty, "creators": read_table(path)}).tables["creators"]
