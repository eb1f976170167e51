"""A model's global behaviour for the policy team that sets thresholds.

Performance per market, for new creators and against the baselines comes from the metrics the
training run logged (computed once, on the run's own test rows). Calibration comes from the
predictions the run recorded on its test rows. SHAP importance, beeswarm and dependence need the
feature rows themselves, which a run does not store: they are rebuilt from the data at the
record's test as-of times with the same definitions and horizon, then explained with the served
model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from creatorscore.errors import UserError
from creatorscore.explain import SCORE_KINDS, Contributions, MarketTiers, TierThresholds, tree_contributions
from creatorscore.features import Definitions
from creatorscore.features.training_set import build_training_set
from creatorscore.reports import charts
from creatorscore.reports.cohort import group_contributions
from creatorscore.reports.evidence import (
    BOOTSTRAPPED,
    CAPACITY_RESAMPLES,
    METRIC_NAMES,
    MIN_CREATORS,
    MIN_POSITIVE_CREATORS,
    SegmentEvidence,
    interval_text,
    segment_evidence,
)
from creatorscore.reports.html import Chart, Page, Section, Table, number
from creatorscore.training import plots
from creatorscore.training.backtest import MODEL
from creatorscore.training.calibration import realised_by_tier, top_quantile_bins, wilson
from creatorscore.training.metrics import HEADLINE, NEW_CREATOR_DAYS
from creatorscore.training.registry import RegisteredModel

TOP_FEATURES = 15
DEPENDENCE_FEATURES = 4
# The beeswarm and dependence plots show this many test rows at most: enough to see the shape.
PLOTTED_ROWS = 3000
_TIER_NAMES = tuple(TierThresholds.model_fields)  # monitor, review, restrict: the tiers with a threshold
_SCORER_NAMES = {
    MODEL: "LightGBM (this model)",
    "rule_baseline": "rule baseline",
    "linear_baseline": "linear baseline",
    "lightgbm_defaults": "LightGBM, library defaults",
    "champion": "champion (its evidence models)",
}


def held_out_rows(
    tables: dict[str, pd.DataFrame],
    definitions: Definitions,
    moments: list[pd.Timestamp],
    horizon_days: int,
    target: str,
) -> pd.DataFrame:
    """Labelled rows of the test period, as the training set had them."""
    frame = build_training_set(tables, moments, definitions, horizon_days)
    return frame[frame[target].notna()].reset_index(drop=True)


def mean_abs_contributions(
    contributions: Contributions, definitions: Definitions
) -> tuple[pd.Series, pd.Series]:
    """Mean |contribution| per feature and per fact group (the families reasons are told by)."""
    names = list(contributions.feature_names)
    per_feature = pd.Series(np.abs(contributions.values).mean(axis=0), index=names)
    per_group = group_contributions(contributions, definitions).abs().mean()
    return per_feature.sort_values(ascending=False), per_group.sort_values(ascending=False)


def model_report(
    model: RegisteredModel,
    definitions: Definitions,
    rows: pd.DataFrame,
    metrics: dict[str, dict[str, float]],
    predictions: pd.DataFrame,
    tiers: MarketTiers,
) -> Page:
    """The model report from its test rows, the metrics its run logged and its recorded predictions;
    each test row's tier is cut at its market's `tiers`."""
    record = model.record
    target, test_period = record.target, record.describe_test_period()
    if rows.empty:
        raise UserError(f"no labelled rows in the test period {test_period}")
    kind = SCORE_KINDS[record.name]
    contributions = tree_contributions(model.booster, rows)
    per_feature, per_group = mean_abs_contributions(contributions, definitions)
    top = list(per_feature.index[:TOP_FEATURES])
    columns = [contributions.feature_names.index(name) for name in top]
    labels = {f.name: f.window_label for f in definitions.features}
    top_labels = [labels[name] for name in top]
    sample = np.random.default_rng(0).permutation(len(rows))[:PLOTTED_ROWS]
    task_metrics = HEADLINE[record.task]
    evidence = segment_evidence(predictions, target, MODEL, record.task)
    return Page(
        title=f"Model report: {record.name} v{record.version}",
        subtitle=(
            f"run {record.run_id}; feature definitions {record.definitions_version}; test period "
            f"{test_period}, {len(rows):,} labelled rows; contributions in {kind.space}"
        ),
        sections=[
            Section(
                "What the model looks at",
                paragraphs=[
                    f"Mean absolute TreeSHAP contribution over the test rows, in {kind.space}. Fact "
                    "groups sum the features of one family, as reason codes do."
                ],
                charts=[
                    Chart(
                        "Importance per feature",
                        charts.data_uri(
                            charts.bars(
                                per_feature.head(TOP_FEATURES).rename(labels),
                                f"mean |contribution| ({kind.space})",
                                f"Top {len(top)} features",
                            )  # fmt: skip
                        ),
                    ),
                    Chart(
                        "Importance per fact group",
                        charts.data_uri(
                            charts.bars(per_group, f"mean |group contribution| ({kind.space})", "Fact groups")
                        ),
                    ),
                    Chart(
                        "Beeswarm",
                        charts.data_uri(
                            charts.beeswarm(
                                contributions.values[sample][:, columns],
                                contributions.features[sample][:, columns],
                                top_labels,
                                kind.space,
                            )
                        ),
                        "one dot per creator and snapshot; red dots are high values of the feature",
                    ),
                    Chart(
                        f"Dependence of the top {DEPENDENCE_FEATURES} features",
                        charts.data_uri(
                            charts.dependence(
                                contributions.values[sample][:, columns[:DEPENDENCE_FEATURES]],
                                contributions.features[sample][:, columns[:DEPENDENCE_FEATURES]],
                                top_labels[:DEPENDENCE_FEATURES],
                                kind.space,
                            )
                        ),
                    ),
                ],
            ),
            Section(
                "Test-period performance",
                paragraphs=[
                    "The run's held-out future weeks, scored by the fold models that had not seen them. "
                    f"New creators joined less than {NEW_CREATOR_DAYS} days before the as-of time. Beside "
                    "each metric, its 95% bootstrap interval (creators resampled with replacement): a "
                    "market's test period holds few confirmed creators, and the interval says how far "
                    "another draw of them could move the number.",
                    _too_small_note(evidence, record.task),
                ],
                tables=[
                    _evidence_table(evidence, metrics.get(MODEL, {}), task_metrics, record.task),
                    _baselines_table(metrics, task_metrics),
                ],
                charts=[
                    Chart(
                        "Model against baselines",
                        charts.data_uri(
                            plots.baseline_comparison(
                                {
                                    _SCORER_NAMES.get(n, n): {
                                        METRIC_NAMES.get(k.removeprefix("overall/"), k): v
                                        for k, v in m.items()
                                        if k.startswith("overall/")
                                    }
                                    for n, m in metrics.items()
                                },
                                [METRIC_NAMES.get(m, m) for m in task_metrics],
                            )
                        ),
                    )
                ],
            ),
            Section(
                "Calibration" if record.task == "binary" else "Predicted against observed",
                tables=_tier_tables(predictions, target, tiers) if record.task == "binary" else [],
                paragraphs=[
                    "The backtest's scores on its test rows, each from the fold model that had not seen "
                    "them (the served model was refit on these weeks too): for abuse risk the calibrated "
                    "probability (deciles and equal-count bins over the top 5%, log scales, to the highest "
                    "probability the served model gives on these rows), for content quality the predicted "
                    "review score."
                ],
                charts=[
                    Chart(
                        "Calibration" if record.task == "binary" else "Predicted against observed",
                        charts.data_uri(
                            _calibration_chart(predictions, target, float(np.max(model.predict(rows))), tiers)
                            if record.task == "binary"
                            else plots.predicted_vs_observed(predictions, target, MODEL)
                        ),
                    )
                ],
            ),
        ],
    )


def _tier_tables(predictions: pd.DataFrame, target: str, tiers: MarketTiers) -> list[Table]:
    """The thresholds each market's policy sets, then calibration where the tiers act: the realised
    rate per tier and over the top 5% of scores."""
    y, p = predictions[target].to_numpy(), predictions[MODEL].to_numpy()
    markets = predictions["market"].to_numpy()
    tables = {
        "Realised confirmation rate per risk tier (95% Wilson interval)": realised_by_tier(
            y, p, markets, tiers
        ),
        "Equal-count bins over the top 5% of scores, where review and restrict act": top_quantile_bins(y, p),
    }
    thresholds = Table(
        ["market", *_TIER_NAMES],
        [
            [market, *(f"{getattr(cuts, name) * 100:g}%" for name in _TIER_NAMES)]
            for market, cuts in tiers.by_market.items()
        ],
        caption="Lowest calibrated probability of each risk tier, per market "
        "(policies/base.yaml with the market's override)",
    )
    return [thresholds] + [
        Table(
            ["rows of", "rows", "mean predicted", "observed", "observed 95% interval"],
            [
                [
                    row.group,
                    f"{row.rows:,}",
                    number(row.mean_predicted, ".3f"),
                    number(row.observed, ".3f"),
                    f"{number(row.observed_low, '.3f')}..{number(row.observed_high, '.3f')}",
                ]
                for row in table.itertuples()
            ],  # fmt: skip
            caption=caption,
        )
        for caption, table in tables.items()
    ]


def _calibration_chart(predictions: pd.DataFrame, target: str, served_max: float, tiers: MarketTiers):
    labelled = predictions[predictions[target].notna()]
    y, p = labelled[target].to_numpy(dtype=float), labelled[MODEL].to_numpy(dtype=float)
    return charts.calibration(
        {"deciles": _deciles(y, p), "top 5%, five equal-count bins": top_quantile_bins(y, p)},
        served_max,
        _threshold_marks(tiers),
    )


def _threshold_marks(tiers: MarketTiers) -> dict[str, float]:
    """Each distinct threshold, labelled by its tier, with the markets holding it when they differ."""
    marks = {}
    for name in _TIER_NAMES:
        markets_at: dict[float, list[str]] = {}
        for market, cuts in tiers.by_market.items():
            markets_at.setdefault(getattr(cuts, name), []).append(market)
        for cut, markets in markets_at.items():
            marks[name if len(markets_at) == 1 else f"{name} ({', '.join(markets)})"] = cut
    return marks


def _deciles(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Equal-count bins over every score, each observed rate with its Wilson interval."""
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    groups = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
    rows = []
    for group in np.unique(groups):
        mask = groups == group
        low, high = wilson(float(y[mask].sum()), int(mask.sum()))
        rows.append({"mean_predicted": p[mask].mean(), "observed": y[mask].mean(), "observed_low": low,
                     "observed_high": high})  # fmt: skip
    return pd.DataFrame(rows)


def _too_small_note(evidence: list[SegmentEvidence], task: str) -> str:
    small = [e.segment for e in evidence if e.too_small]
    bar = (
        f"fewer than {MIN_POSITIVE_CREATORS} confirmed creators"
        if task == "binary"
        else f"fewer than {MIN_CREATORS} labelled creators"
    )
    if not small:
        return f"No segment is too small to judge (the bar: {bar})."
    return (
        f"Too few cases to judge ({bar}): {', '.join(small)}. Their metrics are shown for completeness; "
        "they rest on a handful of creators and must not be read as the model's quality there."
    )


def _evidence_table(
    evidence: list[SegmentEvidence], logged: dict[str, float], names: list[str], task: str
) -> Table:
    """Per segment: the sample, each metric with its interval, and whether it is too small to judge.

    Metrics the bootstrap recomputes are estimated on the recorded test predictions; the others
    (Brier score, ECE, RMSE) are as the run logged them, without an interval.
    """
    sizes = ["rows", "positive rows", "positive creators"] if task == "binary" else ["rows", "creators"]

    def logged_key(segment: str) -> str:
        if segment in ("overall", "new creators"):
            return segment.replace(" ", "_")
        return f"market_{segment}"

    body = []
    for e in evidence:
        counts = [f"{e.rows:,}", f"{e.positives:,}", f"{e.creators:,}"] if task == "binary" else [
            f"{e.rows:,}", f"{e.creators:,}"]  # fmt: skip
        cells = [
            interval_text(e.intervals[m])
            if m in BOOTSTRAPPED[task]
            else number(logged.get(f"{logged_key(e.segment)}/{m}"), ".4f")
            for m in names
        ]
        body.append([e.segment, *counts, "too few to judge" if e.too_small else "yes", *cells])
    return Table(
        ["segment", *sizes, "enough to judge", *(METRIC_NAMES.get(m, m) for m in names)],
        body,
        caption=(
            "This model per market and for new creators, with 95% bootstrap intervals "
            f"({CAPACITY_RESAMPLES} resamples for the metrics at review capacity, 200 for the others)"
        ),
    )


def _baselines_table(metrics: dict[str, dict[str, float]], names: list[str]) -> Table:
    return Table(
        ["scorer", *(METRIC_NAMES.get(m, m) for m in names)],
        [
            [_SCORER_NAMES.get(scorer, scorer), *(number(values.get(f"overall/{m}"), ".4f") for m in names)]
            for scorer, values in metrics.items()
        ],
        caption="Against the baselines, whole test period",
    )
