"""A creator's case file and statement of reasons: everything a reviewer checks before deciding.

Pure functions of the contract tables, the definitions and the two registered models; the CLI
reads and writes. Peers and market percentiles need every creator's features at the as-of
time, so those are computed market-wide; the 90-day timelines need only the creator's own
history and that of the accounts linked to it (network features count links), so they are
computed on that neighbourhood alone, which is what makes a case file take seconds.
"""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel, ConfigDict

from creatorscore.errors import UserError
from creatorscore.explain import (
    SCORE_KINDS,
    Contributions,
    Explanation,
    PeerIndex,
    Reason,
    StatementOfReasons,
    explanations_from,
    market_percentiles,
    peer_medians,
    statement_of_reasons,
    tree_contributions,
)
from creatorscore.features import Definitions, compute_features
from creatorscore.reports import charts
from creatorscore.reports.html import Chart, Page, Section, Table, number
from creatorscore.training.registry import RegisteredModel

TIMELINE_DAYS = 90
TIMELINE_STEP_DAYS = 7
TIMELINE_FEATURES = 6


class CreatorStatement(BaseModel):
    """What `creatorscore explain` returns: the statement of reasons and both explanations."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    statement: StatementOfReasons
    abuse_risk: Explanation
    content_quality: Explanation
    abuse_risk_market_pct: float
    content_quality_market_pct: float


def creator_row(features: pd.DataFrame, creator_id: str) -> pd.DataFrame:
    """The creator's one row of a market-wide feature frame; an unknown id is the user's mistake."""
    row = features[features["creator_id"].astype(str) == creator_id]
    if row.empty:
        raise UserError(
            f"creator {creator_id} is not in the data at {features['as_of'].iloc[0]:%Y-%m-%d} "
            "(unknown id, or onboarded later)"
        )
    return row.reset_index(drop=True)


def _explain(
    model: RegisteredModel, row: pd.DataFrame, definitions: Definitions, peers: pd.DataFrame
) -> tuple[Explanation, Contributions]:
    contributions = tree_contributions(model.booster, row)
    explanation = explanations_from(
        contributions,
        row,
        definitions,
        PeerIndex.build(peers, contributions.feature_names),
        model_name=model.record.name,
        model_version=model.record.version,
        calibrate=model.record.calibrator.apply if model.record.task == "binary" else None,
    )[0]
    return explanation, contributions


def explain_creator(
    features: pd.DataFrame,
    definitions: Definitions,
    abuse: RegisteredModel,
    quality: RegisteredModel,
    creator_id: str,
) -> CreatorStatement:
    """Both explanations and the statement of reasons of one creator.

    `features` holds every creator at one as-of time (`compute_features`): the peer medians and
    market percentiles a reviewer reads are those of the whole market, not of a sample.
    """
    return _explained(features, definitions, abuse, quality, creator_id)[0]


def _explained(
    features: pd.DataFrame,
    definitions: Definitions,
    abuse: RegisteredModel,
    quality: RegisteredModel,
    creator_id: str,
) -> tuple[CreatorStatement, dict[str, Contributions]]:
    """The statement, and each model's contributions for the waterfall charts."""
    row = creator_row(features, creator_id)
    names = list(abuse.record.feature_names)
    for extra in quality.record.feature_names:
        if extra not in names:
            names.append(extra)
    peers = peer_medians(features, names)
    abuse_expl, abuse_contributions = _explain(abuse, row, definitions, peers)
    quality_expl, quality_contributions = _explain(quality, row, definitions, peers)
    mine = (features["creator_id"].astype(str) == creator_id).to_numpy()
    pct = {
        model.record.name: float(
            market_percentiles(model.predict(features), features["market"].to_numpy())[mine][0]
        )
        for model in (abuse, quality)
    }
    statement = CreatorStatement(
        statement=statement_of_reasons(abuse_expl, quality_expl),
        abuse_risk=abuse_expl,
        content_quality=quality_expl,
        abuse_risk_market_pct=pct[abuse.record.name],
        content_quality_market_pct=pct[quality.record.name],
    )
    return statement, {abuse.record.name: abuse_contributions, quality.record.name: quality_contributions}


def neighbourhood(tables: dict[str, pd.DataFrame], creator_id: str) -> dict[str, pd.DataFrame]:
    """The rows of the creator and of every account sharing an identifier with it.

    Every feature but peer percentiles reads only these: the creator's own facts, and for
    network features the links and confirmed cases of linked accounts.
    """
    ids = {creator_id}
    links = tables.get("account_links")
    if links is not None and len(links):
        own = links[links["creator_id"].astype(str) == creator_id][["link_type", "link_value"]]
        shared = links.merge(own, on=["link_type", "link_value"])
        ids |= set(shared["creator_id"].astype(str))
    return {name: table[table["creator_id"].astype(str).isin(ids)] for name, table in tables.items()}


def feature_history(
    tables: dict[str, pd.DataFrame],
    definitions: Definitions,
    creator_id: str,
    as_of: pd.Timestamp,
    days: int = TIMELINE_DAYS,
    step_days: int = TIMELINE_STEP_DAYS,
) -> pd.DataFrame:
    """The creator's features at weekly as-of times over the last `days` days, oldest first.

    Peer percentiles are left out: on the neighbourhood they would rank the creator among its
    linked accounts, not its market.
    """
    moments = sorted(as_of - pd.Timedelta(days=d) for d in range(0, days + 1, step_days))
    history = compute_features(neighbourhood(tables, creator_id), moments, definitions)
    history = history[history["creator_id"].astype(str) == creator_id]
    peer_columns = [f.name for f in definitions.features if f.peer_of is not None]
    return history.drop(columns=peer_columns).sort_values("as_of").reset_index(drop=True)


def key_features(statement: CreatorStatement, definitions: Definitions, limit: int = TIMELINE_FEATURES):
    """The features behind the reasons, strongest first: a peer percentile stands for what it ranks."""
    chosen: list[str] = []
    explanations = (statement.abuse_risk, statement.content_quality)
    for reasons in [e.reasons for e in explanations] + [e.mitigating for e in explanations]:
        for reason in reasons:
            name = definitions.by_name(reason.feature).peer_of or reason.feature
            if name not in chosen:
                chosen.append(name)
    return chosen[:limit]


def enforcement_history(
    tables: dict[str, pd.DataFrame], creator_id: str, as_of: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Violations and abuse cases as known at the as-of time: later decisions and outcomes are hidden."""
    violations = tables["violations"]
    violations = violations[
        (violations["creator_id"].astype(str) == creator_id) & (violations["decided_at"] < as_of)
    ].sort_values("decided_at")
    violations = violations.assign(
        overturned_at=violations["overturned_at"].where(violations["overturned_at"] < as_of)
    )
    cases = tables["abuse_cases"]
    cases = cases[(cases["creator_id"].astype(str) == creator_id) & (cases["opened_at"] < as_of)]
    closed = cases["closed_at"] < as_of
    cases = cases.assign(
        closed_at=cases["closed_at"].where(closed),
        outcome=cases["outcome"].where(closed, "open"),
        abuse_type=cases["abuse_type"].where(closed),
    ).sort_values("opened_at")
    return (
        violations[["violation_id", "decided_at", "policy", "severity", "points", "overturned_at"]],
        cases[["case_id", "opened_at", "closed_at", "outcome", "abuse_type"]],
    )


def creator_case_file(
    tables: dict[str, pd.DataFrame],
    features: pd.DataFrame,
    definitions: Definitions,
    abuse: RegisteredModel,
    quality: RegisteredModel,
    creator_id: str,
) -> Page:
    """The case file of one creator at the as-of time of `features` (every creator, one as-of)."""
    statement, contributions = _explained(features, definitions, abuse, quality, creator_id)
    as_of = pd.Timestamp(features["as_of"].iloc[0])
    abuse_expl, quality_expl = statement.abuse_risk, statement.content_quality
    history = feature_history(tables, definitions, creator_id, as_of)
    shown = key_features(statement, definitions)
    violations, cases = enforcement_history(tables, creator_id, as_of)
    sor = statement.statement
    return Page(
        title=f"Case file: creator {creator_id}",
        subtitle=(
            f"{abuse_expl.market} {abuse_expl.category}; data as of {as_of:%Y-%m-%d %H:%M} UTC; "
            f"{abuse.record.name} v{abuse.record.version}, {quality.record.name} v{quality.record.version}; "
            f"feature definitions {abuse_expl.definitions_version}"
        ),
        sections=[
            Section(
                "Scores",
                tables=[
                    Table(
                        ["score", "value", "market percentile", "tier / meaning", "model"],
                        [
                            [
                                "abuse risk",
                                f"{abuse_expl.score:.1%}",
                                f"{statement.abuse_risk_market_pct:.0%}",
                                f"{abuse_expl.tier}: {sor.proposed_action}",
                                f"{abuse.record.name} v{abuse.record.version}",
                            ],
                            [
                                "content quality",
                                f"{quality_expl.score:.2f}",
                                f"{statement.content_quality_market_pct:.0%}",
                                quality_expl.score_meaning,
                                f"{quality.record.name} v{quality.record.version}",
                            ],
                        ],
                    )
                ],
                paragraphs=[
                    f"Abuse risk is the {abuse_expl.score_meaning}. Market percentiles rank the creator "
                    f"among the {int((features['market'] == abuse_expl.market).sum()):,} creators of "
                    f"{abuse_expl.market} at the same as-of time (100% = highest score)."
                ],
            ),
            _reasons_section("Abuse risk: reasons and mitigating factors", abuse_expl),
            _reasons_section("Content quality: reasons and mitigating factors", quality_expl),
            Section(
                "How each score was reached",
                paragraphs=[
                    "Contributions are exact TreeSHAP values. They add up in the model's margin space, "
                    "not in the calibrated probability: for abuse risk that space is log-odds."
                ],
                charts=[
                    Chart(
                        f"{name.replace('_', ' ')} waterfall, in {expl.space}",
                        charts.data_uri(
                            charts.waterfall(
                                list(contributions[name].feature_names),
                                contributions[name].values[0],
                                expl.base_value,
                                expl.space,
                                SCORE_KINDS[name].adverse_sign,
                            )
                        ),
                        "red pushes towards the adverse outcome, blue away from it",
                    )
                    for name, expl in ((abuse.record.name, abuse_expl), (quality.record.name, quality_expl))
                ],
            ),
            Section(
                f"The last {TIMELINE_DAYS} days",
                paragraphs=[
                    "The features behind the reasons, recomputed at weekly as-of times with only what was "
                    "known at each."
                ],
                charts=[
                    Chart(
                        "Key features over time",
                        charts.data_uri(charts.timelines(history, shown)),
                    )
                ]
                if shown and len(history)
                else [],
            ),
            Section(
                "Enforcement and case history",
                paragraphs=[
                    "As known at the as-of time: later decisions, appeals and case outcomes are not shown."
                ],
                tables=[
                    Table(
                        ["violation", "decided", "policy", "severity", "points", "overturned"],
                        [
                            [
                                str(v.violation_id),
                                _date(v.decided_at),
                                str(v.policy),
                                str(v.severity),
                                f"{v.points:g}",
                                _date(v.overturned_at),
                            ]
                            for v in violations.itertuples()
                        ]
                        or [["none", "", "", "", "", ""]],
                        caption=f"Violations ({len(violations)})",
                    ),
                    Table(
                        ["case", "opened", "closed", "outcome", "abuse type"],
                        [
                            [
                                str(c.case_id),
                                _date(c.opened_at),
                                _date(c.closed_at),
                                str(c.outcome),
                                "-" if pd.isna(c.abuse_type) else str(c.abuse_type),
                            ]
                            for c in cases.itertuples()
                        ]
                        or [["none", "", "", "", ""]],
                        caption=f"Abuse cases ({len(cases)})",
                    ),
                ],
            ),
            Section(
                "Statement of reasons (DSA Art. 17 shape)",
                paragraphs=[sor.decision_facts],
                tables=[
                    Table(
                        ["field", "value"],
                        [
                            ["puid", sor.puid],
                            ["proposed action", sor.proposed_action],
                            ["restriction proposed", "yes" if sor.restriction_proposed else "no"],
                            ["decision ground", sor.decision_ground],
                            ["ground", sor.incompatible_content_ground],
                            ["category", ", ".join([sor.category, *sor.category_addition])],
                            [
                                "automated detection / decision",
                                f"{sor.automated_detection} / {sor.automated_decision}",
                            ],
                            ["territorial scope", ", ".join(sor.territorial_scope)],
                        ],
                    )
                ],
                bullets=sor.redress,
            ),
        ],
    )


def _reasons_section(title: str, explanation: Explanation) -> Section:
    def rows(reasons: list[Reason]) -> list[list[str]]:
        return [
            [
                r.text,
                r.policy or "-",
                number(r.value, ".4g"),
                number(r.peer_value, ".4g"),
                number(r.contribution, "+.3f"),
                number(r.family_contribution, "+.3f"),
            ]
            for r in reasons
        ] or [["none", "", "", "", "", ""]]

    columns = ["fact", "policy", "value", "peer median", "contribution", "fact group"]
    return Section(
        title,
        paragraphs=[f"Contributions in {explanation.space}."],
        tables=[
            Table(columns, rows(explanation.reasons), caption="Reasons"),
            Table(columns, rows(explanation.mitigating), caption="Mitigating factors"),
        ],
    )


def _date(moment) -> str:
    return "-" if pd.isna(moment) else f"{pd.Timestamp(moment):%Y-%m-%d}"
