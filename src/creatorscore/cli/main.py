"""The `creatorscore` command: one subcommand per pipeline stage, assembled from the stage modules.

User mistakes (bad paths, flags, tables) end as one line on stderr and exit code 2; only a
bug in creatorscore itself shows a traceback. Each stage module imports its heavy libraries
inside its commands, so `creatorscore --help` loads none of them.
"""

from __future__ import annotations

import logging
import os
import sys

import typer

from creatorscore.cli import data, features, models, policy, reports, serve
from creatorscore.cli.options import err, time_bounds
from creatorscore.errors import UserError

app = typer.Typer(
    help="Score live-shopping creators for content quality and abuse risk.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.callback()(time_bounds)
app.add_typer(data.contract_app, name="contract")
app.add_typer(features.features_app, name="features")
app.add_typer(policy.policy_app, name="policy")
app.add_typer(reports.report_app, name="report")
app.command()(reports.explain)
app.command()(serve.serve)
app.command("api-key")(serve.api_key)
app.command()(data.simulate)
app.command()(data.validate)
app.command()(models.train)
app.command()(models.promote)
app.command()(models.score)


def main() -> None:
    """Entry point: run the app, turning user errors into one line and exit code 2."""
    # MLflow narrates store creation and registration at INFO (it reads this on import); the
    # commands say what matters, and MLFLOW_LOGGING_LEVEL=INFO brings the narration back
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        app()
    except UserError as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        sys.exit(2)
