"""`creatorscore policy ...`: the market policies applied to the scores, as decisions and queues."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable

from creatorscore.cli.options import (
    AsOfOption,
    DataOption,
    DefinitionsOption,
    PoliciesOption,
    TrackingOption,
    err,
    load_for_features,
    refuse_output_in_inputs,
    utc,
)
from creatorscore.cli.progress import step

policy_app = typer.Typer(
    help="Governance: the market policies turned into decisions and review queues.", no_args_is_help=True
)
DECISIONS_FILE = "decisions.parquet"
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

    refuse_output_in_inputs(out, data, definitions)
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
