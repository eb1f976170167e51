"""Report figures as PNG data URIs, so an HTML report is one file that opens anywhere offline."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

# Plain `Figure` objects, as in training/plots.py: no pyplot backend or figure registry to set up.

ADVERSE, FAVOURABLE = "#c0392b", "#2e86c1"


def data_uri(figure: Figure) -> str:
    """The figure as an embedded PNG."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def waterfall(
    labels: list[str],
    values: np.ndarray,
    base: float,
    adverse_sign: int,
    score_label: str,
    score_of: Callable[[np.ndarray], np.ndarray] | None = None,
    top: int = 10,
) -> Figure:
    """From the model's base score to this creator's, the largest contributions one by one.

    With `score_of` (abuse risk: the calibrated probability of a margin) the bars are drawn in
    that score, not in log-odds: each is the change its contribution makes, taken in order of
    size, so together they run from the base probability to the one served, and the log-odds
    step is printed beside it. Without it the margin is the score (content quality). Bars are
    coloured by what they do to the policy outcome (red: towards abuse or lower quality), and
    the smallest contributions are pooled so the chart stays readable yet still adds up.
    """
    order = np.argsort(-np.abs(values), kind="stable")
    shown = order[:top]
    names = [labels[i] for i in shown]
    steps = [float(values[i]) for i in shown]
    if len(order) > top:
        names.append(f"{len(order) - top} other features")
        steps.append(float(values[order[top:]].sum()))
    margins = base + np.concatenate([[0.0], np.cumsum(steps)])
    scores = margins if score_of is None else np.asarray(score_of(margins), dtype=float)
    starts, changes = scores[:-1], np.diff(scores)
    fig = Figure(figsize=(9, 0.4 * len(steps) + 1.6))
    ax = fig.subplots()
    y = np.arange(len(steps))[::-1]
    colours = [ADVERSE if step * adverse_sign > 0 else FAVOURABLE for step in steps]
    ax.barh(y, changes, left=starts, color=colours)
    for row, start, change, step in zip(y, starts, changes, steps, strict=True):
        text = f" {change:+.2f}" if score_of is None else f" {change * 100:+.1f} pts (log-odds {step:+.2f})"
        ax.text(start + change, row, text, va="center", fontsize=8)
    ax.set_yticks(y, names, fontsize=8)
    ax.margins(x=0.3)  # room for the printed steps
    ax.axvline(scores[0], color="grey", linestyle=":", linewidth=1)
    ax.axvline(scores[-1], color="black", linewidth=1)
    if score_of is None:
        title = f"From the average {scores[0]:.2f} to {scores[-1]:.2f}"
    else:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        title = f"From the base probability {scores[0]:.1%} to {scores[-1]:.1%}"
    ax.set(xlabel=score_label, title=title)
    fig.tight_layout()
    return fig


def timelines(
    history: pd.DataFrame, features: list[str], labels: dict[str, str], percents: set[str]
) -> Figure:
    """One small panel per feature over the as-of times in `history`, titled by its label.

    Features in `percents` (rates and shares) get a percent axis, as their reason text reads.
    """
    columns = 3
    rows = max(1, -(-len(features) // columns))
    fig = Figure(figsize=(11, 2.6 * rows))
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax, name in zip(axes.flat, features, strict=False):
        ax.plot(history["as_of"], history[name], marker="o", markersize=3)
        ax.set_title(labels[name], fontsize=9)
        if name in percents:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
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


def calibration(bins: dict[str, pd.DataFrame], served_max: float, thresholds: dict[str, float]) -> Figure:
    """Observed rate against the calibrated probability, over the whole range of scores served.

    `bins` maps a label to a table of `mean_predicted`, `observed` and its 95% interval
    (`observed_low`, `observed_high`): deciles show the bulk, the top-quantile bins the few
    scores where review and restrict act. The axis runs to the highest probability served now
    (`served_max`, marked), so a case file's 48% is on the chart even when the test period held
    no score that high; the tier thresholds are marked where they fall.
    """
    fig = Figure(figsize=(7, 5))
    ax = fig.subplots()
    low = min(float(table["mean_predicted"].min()) for table in bins.values() if len(table))
    floor = max(low / 2, 1e-5)
    top = min(1.0, max(served_max, max(float(t["mean_predicted"].max()) for t in bins.values())) * 1.5)
    ax.plot([floor, top], [floor, top], color="grey", linestyle=":", label="perfect calibration")
    for (label, table), marker in zip(bins.items(), "os^", strict=False):
        table = table.dropna(subset=["mean_predicted", "observed"])
        observed = table["observed"].clip(lower=floor)
        errors = np.vstack(
            [
                observed - table["observed_low"].clip(lower=floor),
                table["observed_high"].clip(lower=floor) - observed,
            ]
        )
        ax.errorbar(table["mean_predicted"], observed, yerr=np.clip(errors, 0, None), fmt=marker, capsize=2,
                    label=label)  # fmt: skip
    for name, cut in thresholds.items():
        if floor < cut < top:
            ax.axvline(cut, color="#999", linewidth=0.8)
            ax.text(cut, floor * 1.3, f" {name}", rotation=90, fontsize=7, va="bottom")
    ax.axvline(served_max, color="black", linestyle="--", linewidth=1,
               label=f"highest probability served now ({served_max:.0%})")  # fmt: skip
    ax.set(xscale="log", yscale="log", xlim=(floor, top), ylim=(floor, 1.0),
           xlabel="mean calibrated probability", ylabel="observed confirmation rate (95% interval)",
           title="Calibration, test period")  # fmt: skip
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig
