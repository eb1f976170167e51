"""Report figures as PNG data URIs, so an HTML report is one file that opens anywhere offline."""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

# Plain `Figure` objects, as in training/plots.py: no pyplot backend or figure registry to set up.

ADVERSE, FAVOURABLE = "#c0392b", "#2e86c1"


def data_uri(figure: Figure) -> str:
    """The figure as an embedded PNG."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def waterfall(
    names: list[str], values: np.ndarray, base: float, space: str, adverse_sign: int, top: int = 10
) -> Figure:
    """From the model's base value to this creator's margin, the largest contributions one by one.

    Bars are coloured by what they do to the policy outcome (red: towards abuse or lower quality),
    and the smallest contributions are pooled so the chart stays readable yet still adds up.
    """
    order = np.argsort(-np.abs(values), kind="stable")
    shown = order[:top]
    labels = [names[i] for i in shown]
    steps = [float(values[i]) for i in shown]
    if len(order) > top:
        labels.append(f"{len(order) - top} other features")
        steps.append(float(values[order[top:]].sum()))
    starts = base + np.concatenate([[0.0], np.cumsum(steps)[:-1]])
    fig = Figure(figsize=(8, 0.4 * len(steps) + 1.6))
    ax = fig.subplots()
    y = np.arange(len(steps))[::-1]
    colours = [ADVERSE if step * adverse_sign > 0 else FAVOURABLE for step in steps]
    ax.barh(y, steps, left=starts, color=colours)
    for row, start, step in zip(y, starts, steps, strict=True):
        ax.text(start + step, row, f" {step:+.3f}", va="center", fontsize=8)
    ax.set_yticks(y, labels, fontsize=8)
    ax.axvline(base, color="grey", linestyle=":", linewidth=1)
    end = base + float(values.sum())
    ax.axvline(end, color="black", linewidth=1)
    ax.set(xlabel=space, title=f"From base value {base:.3f} to {end:.3f} ({space})")
    fig.tight_layout()
    return fig


def timelines(history: pd.DataFrame, features: list[str]) -> Figure:
    """One small panel per feature over the as-of times in `history`."""
    columns = 3
    rows = max(1, -(-len(features) // columns))
    fig = Figure(figsize=(11, 2.6 * rows))
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax, name in zip(axes.flat, features, strict=False):
        ax.plot(history["as_of"], history[name], marker="o", markersize=3)
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.tick_params(axis="x", rotation=30)
    for ax in list(axes.flat)[len(features) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def bars(values: pd.Series, xlabel: str, title: str, signed: bool = False) -> Figure:
    """Horizontal bars, largest at the top; signed bars are coloured by direction."""
    ordered = values.iloc[::-1]
    fig = Figure(figsize=(8, 0.3 * len(values) + 1.4))
    ax = fig.subplots()
    colours = [ADVERSE if v > 0 else FAVOURABLE for v in ordered] if signed else FAVOURABLE
    ax.barh(ordered.index.astype(str), ordered.to_numpy(), color=colours)
    if signed:
        ax.axvline(0, color="grey", linewidth=1)
    ax.set(xlabel=xlabel, title=title)
    ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    return fig


def grouped_bars(table: pd.DataFrame, xlabel: str, title: str) -> Figure:
    """Horizontal bars per row, one colour per column (e.g. cohort against platform)."""
    fig = Figure(figsize=(8, 0.45 * len(table) + 1.6))
    ax = fig.subplots()
    table.iloc[::-1].plot.barh(ax=ax)
    ax.axvline(0, color="grey", linewidth=1)
    ax.set(xlabel=xlabel, title=title)
    ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    return fig


def beeswarm(values: np.ndarray, features: np.ndarray, names: list[str], space: str, seed: int = 0) -> Figure:
    """Each row's contribution per feature, coloured by the feature's value rank (grey: missing).

    Value ranks rather than raw values put counts, rates and amounts on one colour scale.
    """
    rng = np.random.default_rng(seed)
    fig = Figure(figsize=(9, 0.45 * len(names) + 1.6))
    ax = fig.subplots()
    for slot, j in enumerate(range(len(names))):
        row = len(names) - 1 - slot
        x = values[:, j]
        v = pd.Series(features[:, j])
        rank = v.rank(pct=True).to_numpy()
        jitter = rng.uniform(-0.3, 0.3, size=len(x))
        missing = np.isnan(rank)
        ax.scatter(x[missing], row + jitter[missing], s=4, color="lightgrey")
        points = ax.scatter(
            x[~missing], row + jitter[~missing], s=4, c=rank[~missing], cmap="coolwarm", vmin=0, vmax=1
        )
    ax.set_yticks(np.arange(len(names))[::-1], names, fontsize=8)
    ax.axvline(0, color="grey", linewidth=1)
    ax.set(xlabel=f"contribution ({space})", title="Contributions per creator (colour: value rank)")
    fig.colorbar(points, ax=ax, label="feature value rank (low to high)")
    fig.tight_layout()
    return fig


def dependence(values: np.ndarray, features: np.ndarray, names: list[str], space: str) -> Figure:
    """Contribution against the feature's value, one panel per feature: how the model bends."""
    fig = Figure(figsize=(3.6 * len(names), 3.2))
    axes = fig.subplots(1, len(names), squeeze=False)
    for ax, j, name in zip(axes.flat, range(len(names)), names, strict=True):
        ax.scatter(features[:, j], values[:, j], s=4, alpha=0.5)
        ax.axhline(0, color="grey", linewidth=1)
        ax.set(xlabel=name, ylabel=f"contribution ({space})" if j == 0 else None)
        ax.xaxis.label.set_size(8)
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def distributions(
    cohort: np.ndarray, platform: np.ndarray, xlabel: str, cohort_label: str, log: bool = False
) -> Figure:
    """Score densities of a cohort and of the whole platform on shared bins.

    Probabilities of a rare outcome crowd near zero, so they are binned on a log scale.
    """
    finite = platform[np.isfinite(platform)]
    if log:
        edges = np.geomspace(max(finite.min(), 1e-6), finite.max(), 31)
    else:
        edges = np.histogram_bin_edges(finite, bins=30)
    fig = Figure(figsize=(7, 3.4))
    ax = fig.subplots()
    if log:
        ax.set_xscale("log")
    ax.hist(platform, bins=edges, density=True, alpha=0.5, label="whole platform", color="grey")
    ax.hist(cohort, bins=edges, density=True, alpha=0.6, label=cohort_label, color=FAVOURABLE)
    ax.set(xlabel=xlabel, ylabel="density")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
