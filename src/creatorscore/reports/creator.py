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

from creatorscore.contract.schema import POLICY_CLAUSES
from creatorscore.errors import UserError
from creatorscore.explain import (
    SCORE_KINDS,
    Contributions,
    Explanation,
    MarketTiers,
    PeerIndex,
    Reason,
    StatementOfReasons,
    explanations_from,
    market_percentiles,
    peer_medians,
    statement_of_reasons,
    tree_contributions,
)
from creatorscore.explain.reasons import ReasonTemplate
from creatorscore.explain.record import EnforcementRecord, enforcement_record
from creatorscore.explain.statement import CODE_WORDING, readable_statement
from creatorscore.features import Definitions, compute_features
from creatorscore.policy.legal import LegalFrame, load_market_policy
from creatorscore.reports import charts
from creatorscore.reports.html import Chart, Page, Section, Table
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
    model: RegisteredModel,
    row: pd.DataFrame,
    definitions: Definitions,
    peers: pd.DataFrame,
    tiers: MarketTiers,
) -> tuple[Explanation, Contributions]:
    contributions = tree_contributions(model.booster, row)
    explanation = explanations_from(
        contributions,
        row,
        definitions,
        PeerIndex.build(peers, contributions.feature_names),
        tiers=tiers,
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
    tables: dict[str, pd.DataFrame],
    tiers: MarketTiers,
    legal: LegalFrame | None = None,
) -> CreatorStatement:
    """Both explanations and the statement of reasons of one creator.

    `features` holds every creator at one as-of time (`compute_features`): the peer medians and
    market percentiles a reviewer reads are those of the whole market, not of a sample. The
    creator's record is read from `tables` at that time; its tier is cut at its market's
    `tiers`. `legal` is the frame of the creator's market; without it, that of the default
    `policies/` folder.
    """
    return _explained(features, definitions, abuse, quality, creator_id, tables, tiers, legal)[0]


def _explained(
    features: pd.DataFrame,
    definitions: Definitions,
    abuse: RegisteredModel,
    quality: RegisteredModel,
    creator_id: str,
    tables: dict[str, pd.DataFrame],
    tiers: MarketTiers,
    legal: LegalFrame | None,
) -> tuple[CreatorStatement, dict[str, Contributions]]:
    """The statement, and each model's contributions for the waterfall charts."""
    row = creator_row(features, creator_id)
    names = list(abuse.record.feature_names)
    for extra in quality.record.feature_names:
        if extra not in names:
            names.append(extra)
    peers = peer_medians(features, names)
    abuse_expl, abuse_contributions = _explain(abuse, row, definitions, peers, tiers)
    quality_expl, quality_contributions = _explain(quality, row, definitions, peers, tiers)
    mine = (features["creator_id"].astype(str) == creator_id).to_numpy()
    pct = {
        model.record.name: float(
            market_percentiles(model.predict(features), features["market"].to_numpy())[mine][0]
        )
        for model in (abuse, quality)
    }
    record = enforcement_record(tables, creator_id, abuse_expl.as_of)
    # the CLI passes no frame yet: the market's file of the default policies folder is read here
    legal = legal or load_market_policy(abuse_expl.market).legal
    statement = CreatorStatement(
        statement=statement_of_reasons(abuse_expl, quality_expl, record=record, legal=legal),
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


def creator_case_file(
    tables: dict[str, pd.DataFrame],
    features: pd.DataFrame,
    definitions: Definitions,
    abuse: RegisteredModel,
    quality: RegisteredModel,
    creator_id: str,
    tiers: MarketTiers,
    legal: LegalFrame | None = None,
) -> Page:
    """The case file of one creator at the as-of time of `features` (every creator, one as-of).

    Written for the policy reviewer who signs the statement: the record first, then the scores,
    every number in the unit it is read in (probabilities, percentages, currency, counts), every
    feature by its label, every reason beside the policy and clause it relies on.
    """
    statement, contributions = _explained(
        features, definitions, abuse, quality, creator_id, tables, tiers, legal
    )
    as_of = pd.Timestamp(features["as_of"].iloc[0])
    abuse_expl, quality_expl = statement.abuse_risk, statement.content_quality
    history = feature_history(tables, definitions, creator_id, as_of)
    shown = key_features(statement, definitions)
    sor = statement.statement
    labels = {f.name: f.window_label for f in definitions.features}
    percents = {f.name for f in definitions.features if ReasonTemplate.build(f, "").unit[1].endswith("%")}

    def waterfall(model, explanation, axis: str) -> str:
        """One model's contributions from its base to the creator's score, on the served scale."""
        name = model.record.name
        calibrate = model.record.calibrator.apply if model.record.task == "binary" else None
        return charts.data_uri(charts.waterfall(
            [labels[n] for n in contributions[name].feature_names], contributions[name].values[0],
            explanation.base_value, SCORE_KINDS[name].adverse_sign, axis, calibrate,
        ))  # fmt: skip

    return Page(
        title=f"Case file: creator {creator_id}",
        subtitle=(
            f"{abuse_expl.market} {abuse_expl.category}; data as of {as_of:%Y-%m-%d %H:%M} UTC; "
            f"abuse-risk model v{abuse.record.version}, content-quality model v{quality.record.version}; "
            f"feature definitions {abuse_expl.definitions_version}"
        ),
        sections=[
            _record_section(sor.record, sor.record_summary),
            Section(
                "Scores",
                tables=[
                    Table(
                        ["score", "value", "market percentile", "tier / meaning", "model version"],
                        [
                            [
                                "abuse risk",
                                f"{abuse_expl.score:.1%}",
                                f"{statement.abuse_risk_market_pct:.0%}",
                                f"{abuse_expl.tier}: {sor.proposed_action}",
                                f"v{abuse.record.version}",
                            ],
                            [
                                "content quality",
                                f"{quality_expl.score:.2f} of 5",
                                f"{statement.content_quality_market_pct:.0%}",
                                quality_expl.score_meaning,
                                f"v{quality.record.version}",
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
                    "Contributions are exact TreeSHAP values. For abuse risk they add up in log-odds, "
                    "which the chart turns into the probability served: each bar is the change in "
                    "probability its contribution makes, taken in order of size, from the base "
                    "probability to the creator's, with its log-odds step beside it."
                ],
                charts=[
                    Chart(
                        "Abuse risk waterfall, in calibrated probability",
                        waterfall(abuse, abuse_expl, "calibrated probability of a confirmed abuse case"),
                        "red pushes towards abuse, blue away from it",
                    ),
                    Chart(
                        "Content quality waterfall, in expected review score (1-5)",
                        waterfall(quality, quality_expl, "expected review score (1-5)"),
                        "red pushes towards lower quality, blue towards higher",
                    ),
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
                        charts.data_uri(charts.timelines(history, shown, labels, percents)),
                    )
                ]
                if shown and len(history)
                else [],
            ),
            Section(
                "Statement of reasons",
                paragraphs=[
                    f"What the creator in {abuse_expl.market} is sent, in the legal frame of the market "
                    f"({sor.wording_status.rstrip('.')}). The structured export (`creatorscore explain "
                    "--format json`) keeps the transparency-database codes beside these words."
                ],
                tables=[
                    Table(["", "statement"], [[heading, text] for heading, text in readable_statement(sor)]),
                    Table(
                        ["field", "value"],
                        [
                            ["statement id", sor.puid],
                            ["restriction proposed", "yes" if sor.restriction_proposed else "no"],
                            ["queued for a human reviewer", "yes" if sor.queued_for_review else "no"],
                            ["decision ground", CODE_WORDING[sor.decision_ground]],
                            ["detection / decision", f"automated / {CODE_WORDING[sor.automated_decision]}"],
                            ["source", CODE_WORDING[sor.source_type]],
                            ["territorial scope", ", ".join(sor.territorial_scope)],
                        ],
                        caption="For the reviewer",
                    ),
                ],
            ),
        ],
    )


def _record_section(record: EnforcementRecord, summary: str) -> Section:
    """Violations and abuse cases as known at the as-of time: the first thing a reviewer reads."""
    return Section(
        "The record",
        paragraphs=[
            f"Known before {record.as_of:%Y-%m-%d}: {summary}. Later decisions, appeals and case "
            "outcomes are not shown."
        ],
        tables=[
            Table(
                ["violation", "decided", "policy", "severity", "points", "standing"],
                [
                    [
                        v.violation_id,
                        _date(v.decided_at),
                        POLICY_CLAUSES[v.policy][0],
                        v.severity,
                        f"{v.points:g}",
                        "yes" if v.standing else f"no, overturned {_date(v.overturned_at)}",
                    ]
                    for v in record.violations
                ]
                or [["none", "", "", "", "", ""]],
                caption=f"Violations ({len(record.violations)})",
            ),
            Table(
                ["case", "opened", "closed", "outcome", "abuse type"],
                [
                    [c.case_id, _date(c.opened_at), _date(c.closed_at), c.outcome, c.abuse_type or "-"]
                    for c in record.cases
                ]
                or [["none", "", "", "", ""]],
                caption=f"Abuse cases ({len(record.cases)})",
            ),
        ],
    )


def _reasons_section(title: str, explanation: Explanation) -> Section:
    probability = explanation.tier is not None

    def effect(r: Reason) -> str:
        if probability:
            return f"{_signed(r.score_effect * 100, 1)} pts (log-odds {_signed(r.family_contribution, 2)})"
        return f"{_signed(r.score_effect, 2)} of the 1-5 score"

    def rows(reasons: list[Reason]) -> list[list[str]]:
        return [[r.text, r.policy_text, r.value_text, r.peer_value_text, effect(r)] for r in reasons] or [
            ["none", "", "", "", ""]
        ]

    columns = ["fact", "policy and clause", "value", "peer median", "effect on the score"]
    space = (
        "percentage points of the calibrated probability (with the log-odds the model adds up)"
        if probability
        else "points of the expected review score"
    )
    return Section(
        title,
        paragraphs=[
            f"The effect of a fact is what the score owes to it, in {space}: the score minus the score "
            "without the fact's contributions. Mitigating factors are no ground under any policy."
        ],
        tables=[
            Table(columns, rows(explanation.reasons), caption="Reasons"),
            Table(columns, rows(explanation.mitigating), caption="Mitigating factors"),
        ],
    )


def _signed(value: float, digits: int) -> str:
    """A signed number that never reads "-0.0"."""
    return f"{round(value, digits) + 0.0:+.{digits}f}"


def _date(moment) -> str:
    return "-" if moment is None or pd.isna(moment) else f"{pd.Timestamp(moment):%Y-%m-%d}"
