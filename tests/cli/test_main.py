"""The `creatorscore` command as a user runs it: real processes, real files, one-line errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from creatorscore.contract import TABLES

CLI = str(Path(sys.executable).with_name("creatorscore"))


def run(*args: str, **popen) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300, **popen)


@pytest.mark.parametrize("command", [[], ["simulate"], ["validate"], ["contract"], ["contract", "docs"]])
def test_every_subcommand_has_help(command):
    result = run(*command, "--help")
    assert result.returncode == 0
    assert "Usage" in result.stdout and "--help" in result.stdout


def test_simulate_writes_contract_tables_and_ground_truth_apart(tmp_path):
    result = run("simulate", "--out", str(tmp_path), "--creators", "60", "--days", "40", "--seed", "1")
    assert result.returncode == 0, result.stderr
    assert {p.stem for p in tmp_path.glob("*.parquet")} == {t.name for t in TABLES}
    truth = pd.read_parquet(tmp_path / "ground_truth" / "creators.parquet")
    assert len(truth) == 60 and "archetype" in truth
    assert json.loads((tmp_path / "ground_truth" / "simulation.json").read_text())["seed"] == 1


def test_validate_json_accounts_for_every_row_and_writes_quarantine(corrupted_market, tmp_path):
    _, data_dir = corrupted_market
    result = run("validate", "--data", str(data_dir), "--json", "--quarantine", str(tmp_path))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)["tables"]
    for name, counts in summary.items():
        assert (
            counts["read"]
            == counts["accepted"] + counts["quarantined"]
            == len(pd.read_parquet(data_dir / f"{name}.parquet"))
        )
        assert sum(counts["reasons"].values()) == counts["quarantined"]
        assert len(pd.read_parquet(tmp_path / f"{name}.parquet")) == counts["quarantined"]


def test_validate_prints_a_table_per_contract_table(clean_market_dir, tmp_path):
    result = run("validate", "--data", str(clean_market_dir), "--quarantine", str(tmp_path))
    assert result.returncode == 0, result.stderr
    for table in ("creators", "orders", "abuse_cases"):
        assert table in result.stdout
    assert not list(tmp_path.glob("*.parquet")), "a clean folder quarantines nothing"


FINISHED_STAGE = re.compile(r"^done \d+:\d\d:\d\d ")


def error_lines(stderr: str) -> list[str]:
    """stderr without the lines of stages that finished before the error (cli/progress.py)."""
    return [line for line in stderr.strip().splitlines() if not FINISHED_STAGE.match(line)]


def _one_line_error(result: subprocess.CompletedProcess, *names: str) -> None:
    assert result.returncode == 2
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr  # the failing stage leaves no line of its own
    assert "Traceback" not in result.stderr
    for name in names:
        assert name in lines[0]


def test_a_missing_table_stops_with_exit_2_naming_it(clean_market_dir, tmp_path):
    for path in clean_market_dir.glob("*.parquet"):
        if path.stem != "violations":
            (tmp_path / path.name).write_bytes(path.read_bytes())
    _one_line_error(run("validate", "--data", str(tmp_path)), "violations")


def test_a_missing_column_stops_with_exit_2_naming_it(clean_market_dir, tmp_path):
    for path in clean_market_dir.glob("*.parquet"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    orders = pd.read_parquet(tmp_path / "orders.parquet").drop(columns="amount_usd")
    orders.to_parquet(tmp_path / "orders.parquet")
    _one_line_error(run("validate", "--data", str(tmp_path)), "orders", "amount_usd")


def test_a_missing_data_folder_is_one_line(tmp_path):
    _one_line_error(run("validate", "--data", str(tmp_path / "nope")), "nope")


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--creators", "3"], "--creators"),
        (["--corrupt-rate", "2"], "--corrupt-rate"),
        (["--emerging-after", "2020-01-01"], "emerging_after"),
    ],
)
def test_bad_simulate_flags_are_one_line_errors(tmp_path, flags, named):
    _one_line_error(run("simulate", "--out", str(tmp_path / "m"), *flags), named)
    assert not (tmp_path / "m").exists(), "nothing is written when the flags are wrong"


def test_simulate_refuses_a_file_as_output_folder(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    _one_line_error(run("simulate", "--out", str(target), "--creators", "20", "--days", "30"), str(target))
    assert target.read_text() == "keep me"


def test_time_bounds_given_to_the_command_decide_what_is_quarantined(clean_market_dir, tmp_path):
    first_day = pd.read_parquet(clean_market_dir / "live_sessions.parquet")["started_at"].min().date()
    later = first_day + pd.Timedelta(days=20)
    result = run("--earliest", str(later), "validate", "--data", str(clean_market_dir), "--json",
                 "--quarantine", str(tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["tables"]["live_sessions"]["reasons"]["implausible_time"] > 0
    _one_line_error(run("--max-future-skew", "2 weeks", "validate", "--data", str(clean_market_dir)),
                    "--max-future-skew", "such as 7d or 6h or 30m")  # fmt: skip
    _one_line_error(run("--max-future-skew", "90d", "validate", "--data", str(clean_market_dir)),
                    "--max-future-skew", "30 days")  # fmt: skip
