"""Both champions in a temporary MLflow store, the data they were trained on, and the three
reports written once through the CLI for the rendering and PII tests.

The reports are written in-process (typer's runner): a fresh process per command would spend
most of its time importing MLflow. Exit codes and one-line errors are tested on real processes
in `test_commands.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest


@dataclass(frozen=True)
class Scored:
    tables: dict[str, pd.DataFrame]
    features: pd.DataFrame  # every creator at the default as-of time
    abuse: object
    quality: object


@pytest.fixture(scope="session")
def scored(champion_store, training_market_dir, definitions) -> Scored:
    from creatorscore.contract.read import load_marketplace
    from creatorscore.features import compute_features, snapshots
    from creatorscore.training.registry import load_champion

    tables = load_marketplace(training_market_dir).tables
    features = compute_features(tables, [snapshots.default_as_of(tables)], definitions)
    return Scored(
        tables,
        features,
        load_champion("abuse_risk", champion_store),
        load_champion("content_quality", champion_store),
    )


def confirmed_before(scored: Scored) -> tuple[str, str]:
    """A creator with an abuse case confirmed and closed before the as-of time, and the case."""
    as_of = scored.features["as_of"].iloc[0]
    cases = scored.tables["abuse_cases"]
    known = cases[(cases["outcome"] == "confirmed") & (cases["closed_at"] < as_of)]
    known = known[known["creator_id"].isin(scored.features["creator_id"])]
    latest = known.sort_values("closed_at").iloc[-1]
    return str(latest["creator_id"]), str(latest["case_id"])


@pytest.fixture(scope="session")
def reports(tmp_path_factory, champion_store, training_market_dir, scored) -> dict[str, Path]:
    """Case files (of the highest abuse risk, and of a creator with a confirmed case on record),
    the abuse-risk model report and a cohort report."""
    folder = tmp_path_factory.mktemp("reports")
    data, uri = str(training_market_dir), champion_store
    confirmed, _ = confirmed_before(scored)
    commands = {
        "creator": ["report", "creator", "--top", "1", "--out", str(folder / "cases")],
        "model": ["report", "model", "--model", "abuse_risk", "--out", str(folder / "model.html")],
        "cohort": [
            "report",
            "cohort",
            "--market",
            "ID",
            "--out",
            str(folder / "cohort.html"),
            "--data",
            data,
        ],
    }
    commands["creator"] += ["--data", data]
    commands["confirmed"] = ["report", "creator", "--id", confirmed, "--out", str(folder / "confirmed.html")]
    commands["confirmed"] += ["--data", data]
    written = {}
    for name, command in commands.items():
        result = invoke(*command, "--tracking-uri", uri)
        written[name] = Path(result.stdout.strip().splitlines()[-1])
    return written


def invoke(*args: str):
    """Run a command in this process; it must succeed."""
    from typer.testing import CliRunner

    from creatorscore.cli.main import app

    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result
