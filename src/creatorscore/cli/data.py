"""`creatorscore simulate`, `validate` and `contract docs`: making, checking and describing the data."""

from __future__ import annotations

import json
from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from creatorscore.cli.options import bounds, config_error, err
from creatorscore.cli.progress import step
from creatorscore.errors import UserError
from creatorscore.simulate.config import SimulationConfig

if TYPE_CHECKING:
    from rich.progress import Progress

contract_app = typer.Typer(help="The data contract platforms' tables must meet.", no_args_is_help=True)

# the simulator's defaults and help texts live in SimulationConfig; the flags only point at them
_SIM_HELP = {name: field.description for name, field in SimulationConfig.model_fields.items()}
_SIM_DEFAULT = SimulationConfig()
_SIM_START = datetime.combine(_SIM_DEFAULT.start, time())


def _stages() -> Progress:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


def simulate(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Folder to write the tables to (created if absent).")],
    creators: Annotated[int, typer.Option(help=_SIM_HELP["creators"])] = _SIM_DEFAULT.creators,
    days: Annotated[int, typer.Option(help=_SIM_HELP["days"])] = _SIM_DEFAULT.days,
    seed: Annotated[int, typer.Option(help=_SIM_HELP["seed"])] = _SIM_DEFAULT.seed,
    start: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help=_SIM_HELP["start"])] = _SIM_START,
    emerging_after: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help=_SIM_HELP["emerging_after"])
    ] = None,
    corrupt_rate: Annotated[float, typer.Option(help=_SIM_HELP["corrupt_rate"])] = _SIM_DEFAULT.corrupt_rate,
    variant: Annotated[
        str | None,
        typer.Option(help="A named marketplace variant (see simulate/variants.py); flags given override it."),
    ] = None,
) -> None:
    """Simulate a live-shopping marketplace: contract tables plus ground truth in OUT/ground_truth/."""
    from creatorscore.simulate import simulate as run_simulation
    from creatorscore.simulate import write_marketplace
    from creatorscore.simulate.marketplace import STAGES

    flags = {
        "creators": creators,
        "days": days,
        "seed": seed,
        "start": start.date(),
        "emerging_after": emerging_after.date() if emerging_after else None,
        "corrupt_rate": corrupt_rate,
    }
    # flags typed on the command line override the variant; their defaults do not
    given = {k: v for k, v in flags.items() if ctx.get_parameter_source(k).name != "DEFAULT"}
    try:
        config = SimulationConfig.from_variant(variant, **given)
    except ValidationError as error:
        raise config_error(error) from None
    except ValueError as error:  # an unknown variant name
        raise UserError(f"--variant: {error}") from None
    _writable(out)
    with _stages() as progress:
        task = progress.add_task("simulating", total=len(STAGES) + 1)

        def advance(stage: str) -> None:
            progress.update(task, description=stage, advance=1)

        market = run_simulation(config, on_stage=advance)
        progress.update(task, description="writing")
        write_marketplace(market, out)
        progress.update(task, description="done", advance=1)
    sizes = ", ".join(f"{name} {len(frame):,}" for name, frame in market.tables.items())
    err.print(f"wrote {out}: {sizes}", highlight=False, soft_wrap=True)


def _writable(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; give a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create --out {out}: {error.strerror}") from None


def validate(
    data: Annotated[Path, typer.Option(help="Folder holding one <table>.parquet or <table>.csv per table.")],
    quarantine: Annotated[
        Path | None, typer.Option(help="Where rejected rows go (default: DATA-quarantine beside DATA).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")] = False,
) -> None:
    """Check every table against the data contract; quarantine bad rows with their reasons."""
    from rich.table import Table as RichTable

    from creatorscore.contract.read import default_quarantine, load_marketplace, write_quarantine
    from creatorscore.outputs import refuse_inside_inputs

    target = quarantine or default_quarantine(data)
    refuse_inside_inputs(target, "--quarantine", [("--data", data)])
    with step("reading and validating"):
        validated = load_marketplace(data, bounds())
    written = write_quarantine(validated, target)
    if as_json:
        typer.echo(json.dumps(validated.summary_json(), indent=2))
        return
    table = RichTable(title=f"Validation of {data}")
    for column in ("table", "read", "accepted", "quarantined", "reasons"):
        table.add_column(column, justify="right" if column in ("read", "accepted", "quarantined") else "left")
    for name, s in validated.summary.items():
        reasons = "\n".join(f"{reason} {count:,}" for reason, count in sorted(s.reasons.items()))
        table.add_row(name, f"{s.read:,}", f"{s.accepted:,}", f"{s.quarantined:,}", reasons or "-")
    Console().print(table)
    if written:
        err.print(f"quarantined rows written to {target}", highlight=False)


@contract_app.command("docs")
def contract_docs(
    out: Annotated[Path | None, typer.Option(help="Write the Markdown here instead of stdout.")] = None,
) -> None:
    """Render the data contract as Markdown from the schema in the code."""
    from creatorscore.contract.docs import render as render_contract
    from creatorscore.outputs import write_text

    text = render_contract()
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_text(out, text)
