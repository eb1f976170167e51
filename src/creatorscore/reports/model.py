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
from creatorscore.explain import SCORE_KINDS, Contributions, tree_contributions
from creatorscore.features import Definitions
from creatorscore.features.training_set import build_training_set
from creatorscore.reports import charts
from creatorscore.reports.cohort import group_contributions
from creatorscore.reports.html import Chart, Page, Section, Table, number
from creatorscore.training import plots
from creatorscore.training.backtest import MODEL
from creatorscore.training.calibration import realised_by_tier, top_quantile_bins
from creatorscore.training.metrics import HEADLINE, NEW_CREATOR_DAYS
from creatorscore.training.registry import RegisteredModel

TOP_FEATURES = 15
DEPENDENCE_FEATURES = 4
# The beeswarm and dependence plots show this many test rows at most: enough to see the shape.
PLOTTED_ROWS = 3000
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
) -> Page:
    """The model report from its test rows, the metrics its run logged and its recorded predictions."""
    record = model.record
    target, test_period = record.target, record.describe_test_period()
    if rows.empty:
        raise UserError(f"no labelled rows in the test period {test_period}")
    kind = SCORE_KINDS[record.name]
    contributions = tree_contributions(model.booster, rows)
    per_feature, per_group = mean_abs_contributions(contributions, definitions)
    top = list(per_feature.index[:TOP_FEATURES])
    columns = [contributions.feature_names.index(name) for name in top]
    sample = np.random.default_rng(0).permutation(len(rows))[:PLOTTED_ROWS]
    task_metrics = HEADLINE[record.task]
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
                                per_feature.head(TOP_FEATURES),
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
                                top,
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
                                top[:DEPENDENCE_FEATURES],
                                kind.space,
                            )
                        ),
                    ),
                ],
            ),
            Section(
                "Test-period performance",
                paragraphs=[
                    "Logged by the training run on its held-out future weeks. New creators joined less "
                    f"than {NEW_CREATOR_DAYS} days before the as-of time."
                ],
                tables=[
                    _segments_table(metrics.get(MODEL, {}), task_metrics),
                    _baselines_table(metrics, task_metrics),
                ],
                charts=[
                    Chart(
                        "Model against baselines",
                        charts.data_uri(
                            plots.baseline_comparison(
                                {
                                    _SCORER_NAMES.get(n, n): {
                                        k.removeprefix("overall/"): v for k, v in m.items()
                                    }
                                    for n, m in metrics.items()
                                },
                                task_metrics,
                            )
                        ),
                    )
                ],
            ),
            Section(
                "Calibration" if record.task == "binary" else "Predicted against observed",
                tables=_tier_tables(predictions, target) if record.task == "binary" else [],
                paragraphs=[
                    "The backtest's scores on its test rows, each from the fold model that had not seen "
                    "them (the served model was refit on these weeks too): for abuse risk the calibrated "
                    "probability (deciles, log scales), for content quality the predicted review score."
                ],
                charts=[
                    Chart(
                        "Calibration" if record.task == "binary" else "Predicted against observed",
                        charts.data_uri(
                            plots.calibration(predictions, target, MODEL)
                            if record.task == "binary"
                            else plots.predicted_vs_observed(predictions, target, MODEL)
                        ),
                    )
                ],
            ),
        ],
    )


def _tier_tables(predictions: pd.DataFrame, target: str) -> list[Table]:
    """Calibration where the tiers act: the realised rate per tier and over the top 5% of scores."""
    y, p = predictions[target].to_numpy(), predictions[MODEL].to_numpy()
    tables = {
        "Realised confirmation rate per risk tier (95% Wilson interval)": realised_by_tier(y, p),
        "Equal-count bins over the top 5% of scores, where review and restrict act": top_quantile_bins(y, p),
    }
    return [
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


def _segments_table(metrics: dict[str, float], names: list[str]) -> Table:
    segments = ["overall"] + sorted({key.split("/")[0] for key in metrics if key.startswith("market_")})
    segments.append("new_creators")
    return Table(
        ["segment", *names],
        [
            [
                segment.removeprefix("market_").replace("_", " "),
                *(number(metrics.get(f"{segment}/{m}"), ".4f") for m in names),
            ]
            for segment in segments
        ],
        caption="This model per market and for new creators",
    )


def _baselines_table(metrics: dict[str, dict[str, float]], names: list[str]) -> Table:
    return Table(
        ["scorer", *names],
        [
            [_SCORER_NAMES.get(scorer, scorer), *(number(values.get(f"overall/{m}"), ".4f") for m in names)]
            for scorer, values in metrics.items()
        ],
        caption="Against the baselines, whole test period",
    )
