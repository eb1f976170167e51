"""`creatorscore policy ...`: the market policies applied to the scores, as decisions and queues."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable

from creatorscore.cli.options import (
    MOMENT_FORMATS,
    AsOfOption,
    DataOption,
    DefinitionsOption,
    PoliciesOption,
    TrackingOption,
    err,
    load_for_features,
    refuse_output_in_inputs,
    span,
    utc,
)
from creatorscore.cli.progress import step
from creatorscore.locations import folder as located

policy_app = typer.Typer(
    help="Governance: the market policies turned into decisions and review queues.", no_args_is_help=True
)
DECISIONS_FILE = "decisions.parquet"
ACTIONS_FILE = "actions.parquet"
SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.html"
QUEUE_FILE = "queue.parquet"
TOP = 10


@policy_app.command("apply")
def policy_apply(
    data: DataOption,
    out: Annotated[Path, typer.Option(help=f"Folder to write {DECISIONS_FILE} and {QUEUE_FILE} to.")],
    as_of: AsOfOption = None,
    policy: PoliciesOption = None,
    market: Annotated[
        str | None, typer.Option(help="Market whose queue to print (default: the longest queue).")
    ] = None,
    # policy.apply.QUEUE_SEED, the service's too; importing it here would load pandas for --help
    seed: Annotated[int, typer.Option(help="Seed of the queue's exploration sample.")] = 0,
    tracking_uri: TrackingOption = None,
    definitions: DefinitionsOption = None,
) -> None:
    """Decide every creator under their market's policy at one as-of time: health rating, band,
    action or rewards, reasons and statement; and each market's review queue."""
    from creatorscore.features import compute_features, snapshots
    from creatorscore.outputs import write_table
    from creatorscore.policy import load_market_policies
    from creatorscore.policy.apply import apply_policies
    from creatorscore.policy.legal import tiers_of
    from creatorscore.scoring.batch import SCORES, check_definitions, score_creators
    from creatorscore.training.registry import load_champion

    refuse_output_in_inputs(out, data, definitions, also=[("--policy", located("policies", policy))])
    policies = load_market_policies(policy)
    champions = [load_champion(name, tracking_uri) for name in SCORES]
    tables, defs = load_for_features(data, definitions)
    check_definitions(champions, defs.version)
    moment = utc([as_of])[0] if as_of else snapshots.default_as_of(tables)
    with step(f"computing features and scoring as of {moment:%Y-%m-%d %H:%M}"):
        features = compute_features(tables, [moment], defs)
        scored = score_creators(features, *champions, tiers_of(policies))
    with step("applying each market's policy: health, actions, rewards, statements, queues"):
        applied = apply_policies(features, scored, tables, champions[0], defs, policies, seed)
    out.mkdir(parents=True, exist_ok=True)
    write_table(out / DECISIONS_FILE, applied.decisions)
    write_table(out / QUEUE_FILE, applied.queue)
    wide = Console()
    wide.width = max(wide.width, 110)
    wide.print(_actions_by_market(applied.decisions))
    queue = applied.queue
    shown = market or (queue["market"].value_counts().idxmax() if len(queue) else None)
    if shown is not None:
        wide.print(_top_of_queue(queue[queue["market"] == shown], shown))
    err.print(
        f"{len(applied.decisions):,} creators decided as of {moment:%Y-%m-%d}, {len(queue):,} queued "
        f"-> {out / DECISIONS_FILE}, {out / QUEUE_FILE}",
        highlight=False,
    )


def _actions_by_market(decisions) -> RichTable:
    """Creators per action in each market, and how many get a reward."""
    from creatorscore.policy.actions import Action

    counts = decisions.groupby(["market", "action"]).size().unstack(fill_value=0)
    rewarded = decisions.groupby("market")["rewards"].apply(lambda r: int(r.map(len).gt(0).sum()))
    actions = [a.value for a in Action]
    table = RichTable(title="Decisions by market")
    for column in ("market", *(a.replace("_", " ") for a in actions), "rewarded", "all"):
        table.add_column(column, justify="left" if column == "market" else "right")
    for name, row in counts.iterrows():
        cells = [f"{row.get(a, 0):,}" for a in actions]
        table.add_row(str(name), *cells, f"{rewarded[name]:,}", f"{row.sum():,}")
    return table


def _top_of_queue(queue, market: str) -> RichTable:
    """The first cases a market's reviewers take today."""
    shown = min(TOP, len(queue))
    table = RichTable(title=f"Review queue of {market}: the first {shown} of {len(queue):,} cases")
    for column in ("rank", "creator", "expected harm", "why", "exploration"):
        table.add_column(column, justify="right" if column in ("rank", "expected harm") else "left")
    for row in queue.nsmallest(TOP, "rank").itertuples():
        table.add_row(
            str(row.rank),
            row.creator_id,
            f"{row.expected_harm:,.1f}",
            row.why,
            "yes" if row.exploration else "",
        )
    return table


@policy_app.command("backtest")
def policy_backtest(
    data: DataOption,
    start: Annotated[
        datetime, typer.Option("--from", formats=MOMENT_FORMATS, help="First as-of date replayed.")
    ],
    end: Annotated[datetime, typer.Option("--to", formats=MOMENT_FORMATS, help="Last as-of date replayed.")],
    out: Annotated[
        Path, typer.Option(help=f"Folder to write {ACTIONS_FILE}, {SUMMARY_FILE} and {REPORT_FILE} to.")
    ],
    every: Annotated[str, typer.Option(help="Days between replayed as-of dates, such as 7d.")] = "7d",
    policy: PoliciesOption = None,
    compare: Annotated[
        Path | None, typer.Option(help="A second policies folder replayed beside the first.")
    ] = None,
    review_capacity: Annotated[
        float | None,
        typer.Option(
            min=0,
            max=1,
            help="Each market's reviews per step as a share of its onboarded creators, "
            "overriding the policies' capacity (0.01: 1%).",
        ),
    ] = None,
    sensitivity: Annotated[
        float, typer.Option(min=0, max=1, help="Chance a reviewed abuser is confirmed.")
    ] = 0.9,
    specificity: Annotated[
        float, typer.Option(min=0, max=1, help="Chance a reviewed healthy creator is cleared.")
    ] = 0.98,
    seed: Annotated[int, typer.Option(help="Seed of the queues' exploration and the simulated reviews.")] = 0,
    definitions: DefinitionsOption = None,
) -> None:
    """Replay history as-of date by as-of date under a policy, with models trained only on what was
    known before --from, beside a second policy and the status quo (the rule baseline filling the
    same queue)."""
    import json

    import pandas as pd

    from creatorscore.errors import UserError
    from creatorscore.outputs import write_table, write_text
    from creatorscore.policy import load_market_policies
    from creatorscore.policy.backtest import replay, replay_capacity, train_before
    from creatorscore.policy.reviewers import FROM_LATER_FACTS, FROM_TRUTH, ReviewerModel
    from creatorscore.policy.summary import summarise
    from creatorscore.reports.html import render
    from creatorscore.reports.policy_backtest import backtest_report
    from creatorscore.scoring.batch import SCORES
    from creatorscore.training.config import default_config
    from creatorscore.training.dataset import read_ground_truth

    read = [("--policy", located("policies", policy)), *([("--compare", compare)] if compare else [])]
    refuse_output_in_inputs(out, data, definitions, also=read)
    first, last = utc([start, end])
    if last < first:
        raise UserError(f"--to {last:%Y-%m-%d} is before --from {first:%Y-%m-%d}")
    spacing = span(every, "--every", units="d")
    moments = list(pd.date_range(first, last, freq=spacing))
    replayed = {"policy": load_market_policies(policy)}
    if compare is not None:
        replayed["compare"] = load_market_policies(compare)
    tables, defs = load_for_features(data, definitions)
    truth = read_ground_truth(data)
    reviewer = ReviewerModel(sensitivity=sensitivity, specificity=specificity)
    configs = {name: default_config(name) for name in SCORES}
    models = train_before(
        tables, first, defs, configs, on_stage=lambda stage: err.print(stage, highlight=False)
    )
    runs = [(name, policies, "model") for name, policies in replayed.items()]
    runs.append(("status_quo", replayed["policy"], "rules"))
    summaries = {}
    out.mkdir(parents=True, exist_ok=True)
    for name, policies, scorer in runs:
        with step(f"replaying {len(moments)} as-of dates: {name}"):
            actions = replay(
                tables, moments, models, defs, policies, reviewer, truth, scorer, review_capacity, seed
            )
        capacity = replay_capacity(policies, tables["creators"], moments, review_capacity)
        summaries[name] = summarise(actions, tables["creators"], moments, capacity, truth, tables["orders"])
        write_table(out / (ACTIONS_FILE if name == "policy" else f"actions-{name}.parquet"), actions)
    document = {
        "reviews": FROM_TRUTH if truth is not None else FROM_LATER_FACTS,
        "reviewer_model": reviewer.model_dump(),
        "models_trained_until": f"{models.trained_until:%Y-%m-%d}",
        "policies": summaries,
    }
    write_text(out / SUMMARY_FILE, json.dumps(document, indent=2, default=str))
    write_text(out / REPORT_FILE, render(backtest_report(summaries)))
    wide = Console()
    wide.width = max(wide.width, 110)
    wide.print(_goals(summaries))
    for name, summary in summaries.items():
        err.print(f"fairness, {name}: {fairness_verdict(summary['fairness'])}", highlight=False)
    if truth is None:
        err.print(f"no ground_truth/ in --data: reviews take their outcome from {FROM_LATER_FACTS}")
    err.print(f"-> {out / ACTIONS_FILE}, {out / SUMMARY_FILE}, {out / REPORT_FILE}", highlight=False)


def fairness_verdict(audit: dict | None) -> str:
    """One line: whether the fairness goal holds, and which groups miss it."""
    if audit is None:
        return "not audited without ground truth"
    if audit["goal_met"]:
        return f"no group queued or actioned beyond {audit['goal_ratio']}x the others of its behaviour"
    missed = (
        f"{g['group']} ({g['behaviour']}, {g['outcome']} {g['ratio']:.2f}x)" if g["ratio"] is not None
        else f"{g['group']} ({g['behaviour']}, {g['outcome']}, none among the others)"
        for g in audit["flagged"]
    )  # fmt: skip
    return "goal missed by " + "; ".join(missed)


def _goals(summaries: dict[str, dict]) -> RichTable:
    """The overall figures the goals read, one column per replayed policy."""
    from creatorscore.reports.html import cell
    from creatorscore.reports.policy_backtest import FIGURES

    table = RichTable(title="Policy backtest, all markets")
    table.add_column("")
    for name in summaries:
        table.add_column(name, justify="right")
    for key, heading, spec in FIGURES:
        cells = [summaries[name]["segments"]["overall"].get(key) for name in summaries]
        table.add_row(heading, *(cell(v, spec) for v in cells))
    return table
