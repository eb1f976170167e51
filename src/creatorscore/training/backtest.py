"""One backtest: rolling-origin folds by time, the model and its baselines scored on each fold's future,
then the served model refit on every labelled snapshot.

Pure apart from the clock: a training set (and optional ground truth) in, a `Backtest` out.
Logging to MLflow and printing happen elsewhere.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import lightgbm as lgb
import numpy as np
import pandas as pd

from creatorscore.errors import UserError
from creatorscore.features import Definitions
from creatorscore.training.baselines import (
    PastReviewBaseline,
    RuleBaseline,
    linear_baseline,
    logistic_baseline,
)
from creatorscore.training.config import LightGBMParams, ModelConfig
from creatorscore.training.metrics import segment_metrics
from creatorscore.training.models import (
    best_rounds,
    default_lightgbm,
    fit_booster,
    fit_calibrator,
    grow_booster,
    monotone_constraints,
    pooled_rounds,
    predict,
    raw_score,
    select_features,
    truncated,
)
from creatorscore.training.record import Calibrator, Interval
from creatorscore.training.split import SplitPlan, plan_folds
from creatorscore.training.tuning import tune
from creatorscore.training.uncertainty import bootstrap_interval

MODEL = "lightgbm"
RULES = "rule_baseline"
LINEAR = "linear_baseline"
DEFAULTS = "lightgbm_defaults"
REFIT_RULE = (
    "refit on every labelled snapshot with the configured parameters for the rounds that do best on "
    "every fold's validation curve averaged; fold k's evidence model keeps the rounds that do best on "
    "folds 1..k averaged, so no fold's evidence is chosen on a later period; the calibrator is the "
    "configured method fitted on the latest fold's margins on its validation and test periods: "
    "scores of the model trained most like the served one (the same rounds, the most history; older "
    "folds' models, trained on less, score on a narrower scale) on rows it was not trained on, both "
    "periods so that a young market's few positives all count"
)


@dataclass(frozen=True)
class FoldFit:
    """One fold's evidence model: fitted on its training period, cut to its rounds and calibrated on
    its validation period."""

    plan: SplitPlan
    booster: lgb.Booster
    calibrator: Calibrator


@dataclass(frozen=True)
class _GrownFold:
    """A fold before its rounds are chosen: the booster grown for every round, its validation curve,
    and its test rows scored by the baselines."""

    plan: SplitPlan
    booster: lgb.Booster
    curve: np.ndarray
    scores: pd.DataFrame


@dataclass
class Backtest:
    """The evidence (rolling-origin folds and their pooled test scores) and the model that is served."""

    config: ModelConfig
    params: LightGBMParams
    features: list[str]
    monotone: list[int]
    folds: tuple[FoldFit, ...]  # oldest first
    booster: lgb.Booster  # the served booster: refit on every labelled snapshot
    calibrator: Calibrator  # the served calibrator
    refit_snapshots: tuple[pd.Timestamp, ...]
    test_scores: pd.DataFrame  # keys, fold, market, onboarded_at, target, truth and one column per scorer
    metrics: dict[str, dict[str, float]]  # scorer -> "<segment>/<metric>" -> value, pooled over folds
    seconds: dict[str, float] = field(default_factory=dict)
    tuning_trials: int = 0
    intervals: dict[str, Interval] = field(default_factory=dict)  # the model's gate metrics, bootstrapped

    @property
    def plan(self) -> SplitPlan:
        """The latest fold's periods: the split nearest the future."""
        return self.folds[-1].plan

    @property
    def rounds(self) -> int:
        return best_rounds(self.booster)

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        """The served score: a calibrated probability for abuse, a review score for quality."""
        return predict(self.booster, self.calibrator, self.config.task, x[self.features])

    def beats_default_lightgbm(self) -> bool | None:
        """Whether the shipped config beat LightGBM with library defaults on the gate metric."""
        key = f"overall/{self.config.promotion.metric}"
        ours, theirs = self.metrics[MODEL].get(key, np.nan), self.metrics[DEFAULTS].get(key, np.nan)
        return None if np.isnan(ours) or np.isnan(theirs) else bool(ours >= theirs)


def latent_truth(frame: pd.DataFrame, creators: pd.DataFrame, task: str) -> pd.Series:
    """Ground truth per row: an abuser whose abuse began before as-of and who had not churned;
    or the creator's latent quality."""
    truth = frame[["creator_id", "as_of"]].merge(creators, on="creator_id", how="left")
    if task == "regression":
        return pd.Series(truth["latent_quality"].to_numpy(), index=frame.index)
    active = (
        truth["is_abuser"].fillna(False).astype(bool)
        & (truth["abuse_onset"] < truth["as_of"])
        & ~(truth["churned_at"] < truth["as_of"])
    )
    return pd.Series(active.astype(float).to_numpy(), index=frame.index)


def run_backtest(
    frame: pd.DataFrame,
    config: ModelConfig,
    definitions: Definitions,
    truth_creators: pd.DataFrame | None = None,
    on_stage: Callable[[str], None] = lambda stage: None,
) -> Backtest:
    """Evaluate the config fold by fold on the future, then refit the served model on everything.
    `on_stage` is told as each stage starts, for progress output."""
    seconds: dict[str, float] = {}
    features = select_features(config, definitions)
    monotone = monotone_constraints(config, definitions, features)
    labelled = frame[frame[config.target].notna()]
    plans = _with_both_classes(labelled, plan_folds(labelled["as_of"].unique(), config.split), config)
    plans = _say_schedule(plans, labelled["as_of"], config.split.snapshot_every_days)

    params, trials = config.lightgbm, 0
    if config.tuning.trials:
        # on the oldest fold: its validation period precedes every fold's test period
        xy = _periods(labelled, plans[0], features, config.target)
        on_stage(f"tuning: {config.tuning.trials} trials on the oldest fold")
        started = time.perf_counter()
        params, trials = tune(config, monotone, xy["train"], xy["validation"])
        seconds["tuning"] = time.perf_counter() - started

    grown = []
    for number, plan in enumerate(plans):
        test = f"{plan.test[0]:%Y-%m-%d}..{plan.test[-1]:%Y-%m-%d}"
        on_stage(f"fold {number + 1} of {len(plans)}: LightGBM and baselines, test {test}")
        grown.append(_grow_fold(labelled, plan, config, params, features, monotone, seconds))
    folds, scored = [], []
    for number, fold in enumerate(grown):
        rounds = pooled_rounds([f.curve for f in grown[: number + 1]])
        evidence, scores = _cut_fold(labelled, fold, rounds, config, features)
        folds.append(evidence)
        scored.append(scores.assign(fold=number))
    scores = pd.concat(scored, ignore_index=True)
    truth = latent_truth(scores, truth_creators, config.task) if truth_creators is not None else None
    if truth is not None:
        scores["truth"] = truth
    scorers = [name for name in scores.columns if name in (MODEL, RULES, LINEAR, DEFAULTS)]
    on_stage(f"metrics of {len(scorers)} scorers on {len(scores):,} test rows, by segment")
    started = time.perf_counter()
    metrics = {
        name: segment_metrics(scores, config.target, scores[name], config.task, truth) for name in scorers
    }
    _add(seconds, "metrics", started)

    rounds = best_rounds(folds[-1].booster)  # chosen on every fold's curve: the served rounds
    on_stage(f"refit on all {labelled['as_of'].nunique()} labelled snapshots, {rounds} rounds")
    started = time.perf_counter()
    booster = fit_booster(
        config, params, monotone, (labelled[features], labelled[config.target]), rounds=rounds
    )
    calibrator = (
        _served_calibrator(labelled, folds[-1], config, features)
        if config.task == "binary"
        else Calibrator(method="none")
    )
    seconds["refit"] = time.perf_counter() - started
    refit_snapshots = tuple(sorted(labelled["as_of"].unique()))
    gate = config.promotion.metric
    on_stage(f"bootstrap interval of {gate} by creator")
    started = time.perf_counter()
    intervals = {f"overall/{gate}": bootstrap_interval(scores, config.target, MODEL, gate)}
    _add(seconds, "bootstrap", started)
    return Backtest(
        config, params, features, monotone, tuple(folds), booster, calibrator, refit_snapshots,
        scores, metrics, seconds, trials, intervals,
    )  # fmt: skip


def _periods(
    labelled: pd.DataFrame,
    plan: SplitPlan,
    features: list[str],
    target: str,
    names: tuple[str, ...] = ("train", "validation", "test"),
) -> dict[str, tuple[pd.DataFrame, pd.Series]]:
    period = plan.period_of(labelled["as_of"])
    return {
        name: (labelled.loc[period == name, features], labelled.loc[period == name, target]) for name in names
    }


def _grow_fold(
    labelled: pd.DataFrame,
    plan: SplitPlan,
    config: ModelConfig,
    params: LightGBMParams,
    features: list[str],
    monotone: list[int],
    seconds: dict[str, float],
) -> _GrownFold:
    """Grow the model and fit the baselines on one fold; its test rows scored by the baselines."""
    xy = _periods(labelled, plan, features, config.target)
    if config.task == "binary":
        _require_both_classes({name: y for name, (_, y) in xy.items()}, config.target, plan)
    started = time.perf_counter()
    booster, curve = grow_booster(config, params, monotone, xy["train"], xy["validation"])
    _add(seconds, "lightgbm_fit", started)
    test_x = xy["test"][0]
    test = labelled.loc[test_x.index]
    scores = test[["creator_id", "as_of", "market", "onboarded_at", config.target]].reset_index(drop=True)
    for name, scorer in _fit_baselines(config, xy["train"], seconds).items():
        scores[name] = scorer(test_x)
    return _GrownFold(plan, booster, curve, scores)


def _cut_fold(
    labelled: pd.DataFrame, grown: _GrownFold, rounds: int, config: ModelConfig, features: list[str]
) -> tuple[FoldFit, pd.DataFrame]:
    """The fold's evidence model (cut to `rounds`, calibrated on validation) and its test rows scored
    by it and by the baselines."""
    xy = _periods(labelled, grown.plan, features, config.target, ("validation", "test"))
    booster = truncated(grown.booster, rounds)
    calibrator = (
        fit_calibrator(
            config.calibration.method, raw_score(booster, xy["validation"][0]), xy["validation"][1]
        )
        if config.task == "binary"
        else Calibrator(method="none")
    )
    test_x = xy["test"][0]
    scores = grown.scores.copy()
    scores.insert(
        scores.columns.get_loc(config.target) + 1, MODEL, predict(booster, calibrator, config.task, test_x)
    )
    return FoldFit(grown.plan, booster, calibrator), scores


def _served_calibrator(
    labelled: pd.DataFrame, latest: FoldFit, config: ModelConfig, features: list[str]
) -> Calibrator:
    """The configured calibration of the latest fold's booster on every row it was not trained on."""
    xy = _periods(labelled, latest.plan, features, config.target, ("validation", "test"))
    x = pd.concat([xy["validation"][0], xy["test"][0]])
    y = pd.concat([xy["validation"][1], xy["test"][1]])
    return fit_calibrator(config.calibration.method, raw_score(latest.booster, x), y)


def snapshot_spacing(as_of: pd.Series) -> int | None:
    """Days between a training set's snapshots (the smallest gap), None with a single snapshot."""
    gaps = np.diff(np.sort(as_of.unique()))
    return int(gaps.min() / np.timedelta64(1, "D")) if len(gaps) else None


def _say_schedule(plans: tuple[SplitPlan, ...], as_of: pd.Series, configured: int) -> tuple:
    """Note in the plans when the snapshots come more often than configured (a short history)."""
    spacing = snapshot_spacing(as_of)
    if spacing is None or spacing >= configured:
        return plans
    note = f"snapshots every {spacing} days, not {configured}: the history is too short for weekly periods"
    adapted = "; ".join(filter(None, (note, plans[-1].adapted)))
    return tuple(replace(plan, adapted=adapted) for plan in plans)


def _with_both_classes(labelled: pd.DataFrame, plans: tuple[SplitPlan, ...], config: ModelConfig) -> tuple:
    """The folds whose periods all hold both classes: older folds on a young market may hold no
    confirmed abuser yet, and are dropped (oldest first, and said); the latest must hold both."""
    if config.task != "binary":
        return plans
    kept = []
    for plan in reversed(plans):
        labels = plan.period_of(labelled["as_of"])
        counts = labelled.groupby(labels)[config.target].agg(["min", "max"])
        if len(counts) == 3 and (counts["min"] < counts["max"]).all():
            kept.append(plan)
        elif kept:
            break
        else:
            return plans[-1:]  # the latest fold's refusal names the period and its rows
    if len(kept) == len(plans):
        return plans
    note = f"{len(kept)} of {config.split.folds} folds: older test blocks hold no positive {config.target}"
    adapted = "; ".join(filter(None, (note, plans[-1].adapted)))
    return tuple(replace(plan, adapted=adapted) for plan in reversed(kept))


def _add(seconds: dict[str, float], key: str, started: float) -> None:
    seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - started


def _require_both_classes(labels: dict[str, pd.Series], target: str, plan: SplitPlan) -> None:
    """A period with one class cannot train, stop early, calibrate or be evaluated."""
    for period, y in labels.items():
        if y.nunique() < 2:
            moments = getattr(plan, period)
            raise UserError(
                f"the {period} period {moments[0]:%Y-%m-%d}..{moments[-1]:%Y-%m-%d} has only "
                f"{'negative' if (y == 0).all() else 'positive'} {target}s ({len(y):,} rows); "
                "simulate or collect more creators or days"
            )


def _fit_baselines(config: ModelConfig, train: tuple[pd.DataFrame, pd.Series], seconds: dict) -> dict:
    """Fit the rule, linear and default-LightGBM comparisons; return a scoring function each."""
    x, y = train
    seed = config.lightgbm.seed
    if config.task == "binary":
        rules = RuleBaseline().fit(x, y)
        linear = logistic_baseline(seed)
    else:
        rules = PastReviewBaseline().fit(x, y)
        linear = linear_baseline()
    started = time.perf_counter()
    linear.fit(x, y)
    _add(seconds, "linear_fit", started)
    started = time.perf_counter()
    defaults = default_lightgbm(config, x, y)
    _add(seconds, "lightgbm_defaults_fit", started)

    def scorer(model):
        if config.task == "binary":
            return lambda rows: model.predict_proba(rows)[:, 1]
        return model.predict

    return {RULES: scorer(rules), LINEAR: scorer(linear), DEFAULTS: defaults.predict}
