"""Model configs: the typed form of `training/<model>.yaml`, checked on load so a typo fails loudly."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from creatorscore.errors import UserError
from creatorscore.locations import folder
from creatorscore.yaml_files import read_mapping

MODEL_NAMES = ("abuse_risk", "content_quality")

# Test metrics the gate can compare, named as training/metrics.py logs them: only those where
# higher is better (brier, ece and rmse are not), since the gate asks the candidate to beat.
BinaryGateMetric = Literal[
    "roc_auc", "pr_auc", "recall_at_1pct", "precision_at_1pct", "recall_at_5pct", "precision_at_5pct"
]
RegressionGateMetric = Literal["spearman", "ndcg_at_100"]
GateMetric = Literal[BinaryGateMetric, RegressionGateMetric]
GATE_METRICS = {"binary": get_args(BinaryGateMetric), "regression": get_args(RegressionGateMetric)}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeatureSelection(_Strict):
    """Which feature columns the model sees; empty families and names mean every feature."""

    families: list[str] = Field(default_factory=list, description="Feature families to include.")
    names: list[str] = Field(default_factory=list, description="Single features to include as well.")
    exclude: list[str] = Field(default_factory=list, description="Features to leave out after selection.")


class LightGBMParams(_Strict):
    """LightGBM hyperparameters; fixed seed, thread count and deterministic mode make reruns identical."""

    num_leaves: int = Field(15, ge=2, description="Leaves per tree.")
    learning_rate: float = Field(0.05, gt=0, le=1, description="Shrinkage per boosting round.")
    max_rounds: int = Field(
        400, ge=1, description="Rounds each fold grows; the folds' pooled validation curve keeps fewer."
    )
    early_stopping_rounds: int = Field(
        40, ge=1, description="Rounds without validation gain before a tuning trial stops."
    )
    validation_metric: Literal["auc", "average_precision", "binary_logloss", "l2", "l1"] | None = Field(
        None,
        description="Validation metric whose pooled fold curve chooses the rounds, and which stops "
        "tuning trials (default: average_precision or l2).",
    )
    min_child_samples: int = Field(40, ge=1, description="Rows a leaf must hold (min_data_in_leaf).")
    feature_fraction: float = Field(0.8, gt=0, le=1, description="Share of features sampled per tree.")
    bagging_fraction: float = Field(0.8, gt=0, le=1, description="Share of rows sampled per bagging round.")
    bagging_freq: int = Field(1, ge=0, description="Resample rows every this many rounds (0: never).")
    lambda_l2: float = Field(1.0, ge=0, description="L2 penalty on leaf values.")
    max_bin: int = Field(63, ge=4, description="Histogram bins per feature; fewer is faster.")
    seed: int = Field(7, description="Seed for every random draw in LightGBM.")
    num_threads: int = Field(2, ge=1, description="Threads; fixed so results do not depend on the machine.")


class TimeSplit(_Strict):
    """Snapshots and the future periods they fall into; see `split.py` for the purge rule."""

    snapshot_every_days: int = Field(7, ge=1, description="Days between as-of snapshots.")
    horizon_days: int = Field(30, ge=1, description="Label horizon H: labels look at (as_of, as_of + H].")
    test_snapshots: int = Field(3, ge=1, description="Latest labelled snapshots held out as the future.")
    validation_snapshots: int = Field(
        3, ge=1, description="Snapshots before the test period for early stopping, calibration and tuning."
    )
    purge_validation: bool = Field(
        True, description="Also keep training label windows out of the validation period."
    )
    folds: int = Field(
        3,
        ge=1,
        description="Rolling-origin folds: test blocks stepping back in time, each with its own purged "
        "training and validation periods; fewer are used where the history is short.",
    )


class Calibration(_Strict):
    """How raw scores become probabilities, fitted on the validation period only."""

    method: Literal["platt", "isotonic", "none"] = Field(
        "platt", description="platt keeps the ranking intact; isotonic can tie scores at few positives."
    )


class Tuning(_Strict):
    """Optuna search on the validation period; stops at whichever budget runs out first."""

    trials: int = Field(0, ge=0, description="Trials to run; 0 trains with the configured parameters.")
    minutes: float = Field(2.0, gt=0, description="Wall-clock budget for the search.")
    seed: int = Field(7, description="Seed of the TPE sampler.")


class Promotion(_Strict):
    """What a candidate must show on the test period to take the `champion` alias."""

    metric: GateMetric = Field(description="Test metric compared with the champion (higher is better).")
    margin: float = Field(0.0, ge=0, description="The candidate must beat the champion by at least this.")
    market_metric: GateMetric = Field(
        description="Per-market metric that may not drop by more than the tolerance."
    )
    market_tolerance: float = Field(0.05, ge=0, description="Largest allowed per-market drop.")
    market_min_positives: int = Field(
        10, ge=0, description="Markets with fewer test positives (abuse) are reported but do not gate."
    )


class ModelConfig(_Strict):
    """Everything that decides how one model is trained, evaluated and promoted."""

    name: Literal["abuse_risk", "content_quality"] = Field(description="Registered model name.")
    target: Literal["abuse_label", "quality_label"] = Field(description="Label column to learn.")
    task: Literal["binary", "regression"] = Field(description="LightGBM objective family.")
    features: FeatureSelection = Field(default_factory=FeatureSelection)
    monotone_from_definitions: bool = Field(
        True, description="Constrain features by the definitions' risk_direction (binary task only)."
    )
    class_weight: Literal["none", "balanced"] = Field(
        "none", description="balanced weighs positives by negatives/positives before calibration."
    )
    lightgbm: LightGBMParams = Field(default_factory=LightGBMParams)
    split: TimeSplit = Field(default_factory=TimeSplit)
    calibration: Calibration = Field(default_factory=Calibration)
    tuning: Tuning = Field(default_factory=Tuning)
    promotion: Promotion

    @model_validator(mode="after")
    def _consistent(self) -> ModelConfig:
        expected = {
            "abuse_risk": ("abuse_label", "binary"),
            "content_quality": ("quality_label", "regression"),
        }
        if (self.target, self.task) != expected[self.name]:
            target, task = expected[self.name]
            raise ValueError(f"{self.name} needs target {target} and task {task}")
        metric = self.lightgbm.validation_metric
        if metric and (metric in ("l2", "l1")) != (self.task == "regression"):
            raise ValueError(f"lightgbm.validation_metric {metric} does not fit the {self.task} task")
        return self

    @model_validator(mode="after")
    def _gate_metrics_fit_the_task(self) -> ModelConfig:
        allowed = GATE_METRICS[self.task]
        for field in ("metric", "market_metric"):
            metric = getattr(self.promotion, field)
            if metric not in allowed:
                choices = ", ".join(allowed)
                raise ValueError(
                    f"promotion.{field} {metric} is not a {self.task} metric; choose one of {choices}"
                )
        return self


def load_config(path: Path | str) -> ModelConfig:
    """Read and check a model config; any problem is a UserError naming the file and field."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"no model config at {path}")
    raw = read_mapping(path)
    try:
        return ModelConfig.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise UserError(f"{path.name}: {field + ': ' if field else ''}{message}") from None


def default_config(name: str) -> ModelConfig:
    """The config of a registered model name in $CREATORSCORE_TRAINING, else the checked-in one."""
    if name not in MODEL_NAMES:
        raise UserError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")
    return load_config(folder("training") / f"{name}.yaml")
