"""What a trained model is: one typed record, written once when the model is logged.

Promotion, batch scoring, explanations, reports and the service all read a model through
this record (via `registry.load_model` or `read_record`), never through MLflow params,
tags or loose JSON keys. It holds both halves of a training run: the evidence (the backtest
folds, each with its own periods, booster checksum and calibrator) and the model that is
served (refit on every labelled snapshot, with the rounds and calibration carried over from
the evidence by the rule in `refit_rule`).
"""

from __future__ import annotations

import json
from typing import Literal

import numpy as np
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from creatorscore.errors import UserError

RECORD_FILE = "model_record.json"
PREDICTIONS_FILE = "test_predictions.parquet"  # the pooled test rows, one column per scorer
RECORD_FORMAT = 1


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Calibrator(_Record):
    """Maps a raw LightGBM margin to a probability; plain numbers so any consumer can apply it."""

    method: Literal["platt", "isotonic", "none"]
    platt: tuple[float, float] = (1.0, 0.0)
    thresholds: tuple[tuple[float, ...], tuple[float, ...]] = ((), ())

    def apply(self, margin: np.ndarray) -> np.ndarray:
        margin = np.asarray(margin, dtype=float)
        if self.method == "platt":
            slope, intercept = self.platt
            return 1 / (1 + np.exp(-(slope * margin + intercept)))
        if self.method == "isotonic":
            xs, ys = self.thresholds
            return np.interp(margin, xs, ys)
        return 1 / (1 + np.exp(-margin))


class Fold(_Record):
    """One rolling-origin backtest fold: its own purged periods and the model fitted on them."""

    train: tuple[AwareDatetime, ...]
    validation: tuple[AwareDatetime, ...]
    test: tuple[AwareDatetime, ...]
    best_iteration: int = Field(ge=1)
    calibrator: Calibrator
    booster_sha256: str = Field(description="SHA-256 of the fold's booster file, logged under evidence/.")


class Interval(_Record):
    """A metric's point estimate and its bootstrap interval (resampling creators)."""

    estimate: float | None
    low: float | None
    high: float | None

    def describe(self, sign: str = "") -> str:
        """'+0.0123 (95% interval +0.0010..+0.0231 by creator)', with 'undefined' for what is missing."""
        shown = "undefined" if self.estimate is None else f"{self.estimate:{sign}.4f}"
        if self.low is None or self.high is None:
            return f"{shown} (interval undefined)"
        return f"{shown} (95% interval {self.low:{sign}.4f}..{self.high:{sign}.4f} by creator)"


class ModelRecord(_Record):
    """Everything a consumer needs besides the booster, and everything the gate reads."""

    record_format: Literal[1] = RECORD_FORMAT
    name: Literal["abuse_risk", "content_quality"]
    version: str
    run_id: str
    target: Literal["abuse_label", "quality_label"]
    task: Literal["binary", "regression"]
    feature_names: tuple[str, ...]
    monotone_constraints: tuple[int, ...]
    definitions_version: str
    calibrator: Calibrator = Field(description="The served model's calibrator.")
    rounds: int = Field(ge=1, description="Boosting rounds of the served booster.")
    horizon_days: int
    snapshot_every_days: int
    folds: tuple[Fold, ...] = Field(min_length=1, description="The evidence, oldest fold first.")
    split_adapted: str | None = Field(description="What the split shortened to fit the history, if anything.")
    refit: bool = Field(description="Whether the served booster was refit on every labelled snapshot.")
    refit_snapshots: tuple[AwareDatetime, ...]
    refit_rule: str
    training_set_key: str
    training_set_digest: str
    training_rows: int
    test_rows_digest: str = Field(description="Fingerprint of the pooled test rows (creator, as-of, label).")
    gate_metrics: dict[str, Interval] = Field(
        description="`<segment>/<metric>` of the model on the pooled test rows, as the gate reads them."
    )
    compared_champion_version: str | None = Field(
        description="The champion whose evidence models were re-scored on this run's test rows."
    )
    beats_default_lightgbm: bool | None = Field(
        description="Whether the shipped config beat LightGBM with library defaults on the gate metric."
    )
    git_commit: str
    model_sha256: str = Field(description="SHA-256 of the served booster file; checked before parsing.")

    @property
    def test_moments(self) -> tuple[AwareDatetime, ...]:
        """Every test as-of time of the evidence, oldest first."""
        return tuple(moment for fold in self.folds for moment in fold.test)

    def describe_test_period(self) -> str:
        """The test as-of range and fold count, for messages and reports."""
        moments = self.test_moments
        span = f"{moments[0]:%Y-%m-%d}..{moments[-1]:%Y-%m-%d}"
        return f"{span} ({len(moments)} snapshots, {len(self.folds)} folds)"


def parse_record(text: str, what: str) -> ModelRecord:
    """The record a run logged; a model logged before records existed is refused in one line."""
    try:
        return ModelRecord.model_validate(json.loads(text))
    except (ValueError, ValidationError) as error:
        first = error.errors()[0] if isinstance(error, ValidationError) else {"loc": (), "msg": str(error)}
        field = ".".join(str(part) for part in first["loc"])
        raise UserError(
            f"{what} has an unreadable model record ({field + ': ' if field else ''}{first['msg']}); "
            "train the model again"
        ) from None


def legacy_model(what: str) -> UserError:
    """A model version without a record: it predates typed records and cannot be read safely."""
    return UserError(
        f"{what} was logged before model records ({RECORD_FILE}) existed; train it again with "
        "`creatorscore train` and promote the new version"
    )
