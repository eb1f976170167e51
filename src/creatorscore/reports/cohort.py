"""What drives scores in one market (or one category of it), against the whole platform.

Mean contributions per fact group say which facts push a cohort's scores up or down on
average, in the same groups reason codes use; the score distributions and tier shares say
whether the cohort is riskier or better than the platform, not merely different.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from creatorscore.errors import UserError
from creatorscore.explain import SCORE_KINDS, TIERS, Contributions, MarketTiers, Tier, tree_contributions
from creatorscore.explain.reasons import fact_group
from creatorscore.features import Definitions
from creatorscore.reports import charts
from creatorscore.reports.html import Chart, Page, Section, Table, number
from creatorscore.training.registry import RegisteredModel


def cohort_mask(features: pd.DataFrame, market: str, category: str | None) -> np.ndarray:
    """Rows of the cohort; an unknown market or category is the user's mistake, named with the options."""
    markets = sorted(features["market"].astype(str).unique())
    if market not in markets:
        raise UserError(f"--market {market} is not in the data; markets: {', '.join(markets)}")
    mask = (features["market"].astype(str) == market).to_numpy()
    if category is None:
        return mask
    categories = sorted(features.loc[mask, "category"].astype(str).unique())
    if category not in categories:
        raise UserError(
            f"--category {category} has no creators in {market}; categories: {', '.join(categories)}"
        )
    return mask & (features["category"].astype(str) == category).to_numpy()


def group_contributions(contributions: Contributions, definitions: Definitions) -> pd.DataFrame:
    """Each row's net contribution per fact group."""
    names = list(contributions.feature_names)
    groups = pd.Series([fact_group(definitions.by_name(name), definitions) for name in names], index=names)
    return pd.DataFrame(contributions.values, columns=names).T.groupby(groups).sum().T


def cohort_report(
    features: pd.DataFrame,
    definitions: Definitions,
    abuse: RegisteredModel,
    quality: RegisteredModel,
    tiers: MarketTiers,
    market: str,
    category: str | None = None,
) -> Page:
    """The cohort report at the as-of time of `features` (every creator of the platform, one as-of);
    each creator's tier is cut at its own market's `tiers`."""
    mask = cohort_mask(features, market, category)
    label = f"{market} {category}" if category else market
    as_of = pd.Timestamp(features["as_of"].iloc[0])
    sections = []
    for model in (abuse, quality):
        kind = SCORE_KINDS[model.record.name]
        by_group = group_contributions(tree_contributions(model.booster, features), definitions)
        drivers = pd.DataFrame({label: by_group[mask].mean(), "whole platform": by_group.mean()})
        drivers = drivers.reindex(drivers[label].abs().sort_values(ascending=False).index)
        score = model.predict(features)
        towards = "higher risk" if kind.adverse_sign > 0 else "higher quality"
        sections.append(
            Section(
                f"{model.record.name.replace('_', ' ')} (v{model.record.version})",
                paragraphs=[
                    f"Mean contribution per fact group, in {kind.space}: positive values push the score "
                    f"up ({towards}). A group whose cohort bar differs from the platform's is what sets the "
                    "cohort apart."
                ],
                tables=[
                    _quantiles_table(
                        score[mask], score, label, ".2%" if model.record.task == "binary" else ".2f"
                    ),
                    *(
                        [_tiers_table(tiers.tiers(score, features["market"].to_numpy()), mask, label)]
                        if model.record.task == "binary"
                        else []
                    ),
                ],
                charts=[
                    Chart(
                        "Drivers by fact group",
                        charts.data_uri(
                            charts.grouped_bars(
                                drivers, f"mean contribution ({kind.space})", f"{label} against the platform"
                            )
                        ),
                    ),
                    Chart(
                        "Score distribution",
                        charts.data_uri(
                            charts.distributions(
                                score[mask], score, kind.score, label, log=model.record.task == "binary"
                            )
                        ),
                    ),
                ],
            )
        )
    return Page(
        title=f"Cohort report: {label}",
        subtitle=(
            f"{int(mask.sum()):,} of {len(features):,} creators; data as of {as_of:%Y-%m-%d %H:%M} UTC; "
            f"{abuse.record.name} v{abuse.record.version}, {quality.record.name} v{quality.record.version}"
        ),
        sections=sections,
    )


def _quantiles_table(cohort: np.ndarray, platform: np.ndarray, label: str, spec: str) -> Table:
    quantiles = [0.1, 0.25, 0.5, 0.75, 0.9, 0.99]
    return Table(
        ["", "creators", "mean", *(f"p{round(q * 100)}" for q in quantiles)],
        [
            [
                name,
                f"{len(scores):,}",
                number(float(np.mean(scores)), spec),
                *(number(float(v), spec) for v in np.quantile(scores, quantiles)),
            ]  # fmt: skip
            for name, scores in ((label, cohort), ("whole platform", platform))
        ],
        caption="Score distribution",
    )


def _tiers_table(row_tiers: list[Tier], mask: np.ndarray, label: str) -> Table:
    platform = pd.Series(row_tiers)
    shares = {
        name: tiers.value_counts(normalize=True)
        for name, tiers in ((label, platform[mask]), ("whole platform", platform))
    }
    return Table(
        ["", *(str(t) for t in TIERS)],
        [[name, *(f"{share.get(t, 0.0):.1%}" for t in TIERS)] for name, share in shares.items()],
        caption="Share of creators per risk tier",
    )
