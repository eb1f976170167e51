"""Figures logged with every run: curves, calibration, importance and the baseline comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve, roc_curve

# Figures are built as plain `Figure` objects, not through pyplot: no global backend or figure
# registry to set up on import, and headless runs need nothing else to save them.


def curves(scores: pd.DataFrame, target: str, scorers: list[str]) -> Figure:
    """ROC and precision-recall curves of the model and every baseline on the test period."""
    labelled = scores[scores[target].notna()]
    fig = Figure(figsize=(11, 4.5))
    roc_ax, pr_ax = fig.subplots(1, 2)
    for name in scorers:
        fpr, tpr, _ = roc_curve(labelled[target], labelled[name])
        precision, recall, _ = precision_recall_curve(labelled[target], labelled[name])
        roc_ax.plot(fpr, tpr, label=name)
        pr_ax.plot(recall, precision, label=name)
    roc_ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    roc_ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC, test period")
    pr_ax.set(xlabel="recall", ylabel="precision", title="Precision-recall, test period")
    pr_ax.legend(loc="upper right")
    fig.tight_layout()
    return fig


def calibration(scores: pd.DataFrame, target: str, column: str, bins: int = 10) -> Figure:
    """Observed confirmation rate against the calibrated probability, on a log scale as rates are small."""
    labelled = scores[scores[target].notna()]
    edges = np.quantile(labelled[column], np.linspace(0, 1, bins + 1))
    groups = pd.cut(labelled[column], np.unique(edges), include_lowest=True)
    table = labelled.groupby(groups, observed=True).agg(predicted=(column, "mean"), observed=(target, "mean"))
    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    floor = max(table["predicted"].min() / 2, 1e-5)
    ax.plot([floor, 1], [floor, 1], color="grey", linestyle=":")
    ax.scatter(table["predicted"], table["observed"].clip(lower=floor))
    ax.set(xscale="log", yscale="log", xlabel="mean predicted probability", ylabel="observed rate",
           title="Calibration, test period (deciles)")  # fmt: skip
    fig.tight_layout()
    return fig


def predicted_vs_observed(scores: pd.DataFrame, target: str, column: str) -> Figure:
    """Predicted against observed mean review score on the test period."""
    labelled = scores[scores[target].notna()]
    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    ax.scatter(labelled[target], labelled[column], s=4, alpha=0.4)
    ax.plot([1, 5], [1, 5], color="grey", linestyle=":")
    ax.set(xlabel="observed mean review score", ylabel="predicted", title="Content quality, test period")
    fig.tight_layout()
    return fig


def importance(names: list[str], gain: np.ndarray, top: int = 20) -> Figure:
    """The features carrying most of the model's split gain."""
    ranked = pd.Series(gain, index=names).sort_values().tail(top)
    fig = Figure(figsize=(7, 0.3 * len(ranked) + 1))
    ax = fig.subplots()
    ax.barh(ranked.index, ranked.to_numpy())
    ax.set(xlabel="total split gain", title=f"Top {len(ranked)} features")
    fig.tight_layout()
    return fig


def baseline_comparison(metrics: dict[str, dict[str, float]], keys: list[str]) -> Figure:
    """Side-by-side bars of the headline test metrics of the model and its baselines."""
    table = pd.DataFrame({name: [values.get(k, np.nan) for k in keys] for name, values in metrics.items()},
                         index=keys)  # fmt: skip
    fig = Figure(figsize=(8, 4))
    ax = fig.subplots()
    width = 0.8 / len(table.columns)
    positions = np.arange(len(table.index))
    for offset, name in enumerate(table.columns):
        ax.bar(positions + offset * width, table[name].to_numpy(), width, label=name)
    ax.set_xticks(positions + width * (len(table.columns) - 1) / 2, table.index)
    ax.legend()
    ax.set(title="Test period: model against baselines")
    fig.tight_layout()
    return fig
