"""Inputs are read-only: no command writes, moves or deletes anything in a data folder it reads,
an output aimed into one is refused, and a failed write replaces nothing.

Commands run in-process (typer's runner) where a fresh process would spend its time importing
MLflow; exit codes and one-line errors are checked on real processes where they matter.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from creatorscore.cli.main import app
from creatorscore.errors import UserError
from tests.cli.test_main import _one_line_error, run
from tests.filesystems import full_disk, read_only

# shares its worker's champions with the report tests (see tests/reports/conftest.py)
pytestmark = pytest.mark.xdist_group("reports")


def checksums(folder: Path) -> dict[str, str]:
    """Every file under `folder` by relative path: its SHA-256."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def data(tmp_path, training_market_dir) -> Path:
    """A copy of the champions' training market, so a faulty command cannot spoil the shared one."""
    return Path(shutil.copytree(training_market_dir, tmp_path / "market"))


def test_no_command_changes_the_data_folder_it_reads(data, tmp_path, champion_store, config_file):
    before = checksums(data)
    out = tmp_path / "outputs"
    own_store = f"sqlite:///{out}/mlflow.db"
    quality = config_file("content_quality")
    commands = [
        ["validate", "--data", data],
        ["features", "build", "--data", data, "--every", "14d", "--out", out / "training_set.parquet"],
        ["features", "materialize", "--data", data, "--store", f"sqlite:///{out}/store.sqlite"],
        ["train", "--model", "content_quality", "--data", data, "--config", quality,
         "--tracking-uri", own_store, "--cache-dir", out / "cache"],
        ["report", "model", "--model", "content_quality", "--version", "1", "--data", data,
         "--out", out / "model.html", "--tracking-uri", own_store],
        ["score", "--data", data, "--out", out / "scores.csv", "--tracking-uri", champion_store],
        ["explain", "--id", "cr000001", "--data", data, "--tracking-uri", champion_store],
        ["report", "creator", "--top", "1", "--data", data, "--out", out / "cases",
         "--tracking-uri", champion_store],
        ["report", "cohort", "--market", "ID", "--data", data, "--out", out / "cohort.html",
         "--tracking-uri", champion_store],
    ]  # fmt: skip
    for command in commands:
        result = invoke(*command)
        assert result.exit_code == 0, (command, result.output, result.exception)
    promoted = invoke("promote", "--model", "content_quality", "--tracking-uri", own_store)
    assert promoted.exit_code == 0 or isinstance(promoted.exception, UserError)  # the gate may refuse
    assert checksums(data) == before
    assert (tmp_path / "market-quarantine" / "quarantine.json").is_file(), "quarantine goes beside the data"


@pytest.mark.parametrize(
    "command",
    [
        ["validate", "--data", "{data}", "--quarantine", "{data}"],
        ["validate", "--data", "{data}", "--quarantine", "{data}/quarantine"],
        ["features", "build", "--data", "{data}", "--out", "{data}/orders.parquet"],
        ["features", "materialize", "--data", "{data}", "--store", "sqlite:///{data}/store.sqlite"],
        ["train", "--model", "abuse_risk", "--data", "{data}", "--cache-dir", "{data}/cache"],
        ["score", "--data", "{data}", "--out", "{data}/ground_truth/scores.parquet"],
        ["report", "cohort", "--market", "ID", "--data", "{data}", "--out", "{data}/cohort.html"],
        ["report", "creator", "--top", "2", "--data", "{data}", "--out", "{data}"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_an_output_aimed_into_the_data_folder_is_refused_before_any_work(data, command):
    before = checksums(data)
    result = invoke(*(part.format(data=data) for part in command))
    assert isinstance(result.exception, UserError), result.output
    assert "which this command reads" in str(result.exception)
    assert "\n" not in str(result.exception)
    assert checksums(data) == before


def test_quarantine_into_another_datasets_folder_is_refused_and_loses_nothing(corrupted_market, data):
    _, corrupted = corrupted_market
    before = checksums(data)
    result = run("validate", "--data", str(corrupted), "--quarantine", str(data))
    _one_line_error(result, f"--quarantine {data} holds files a quarantine did not write")
    assert checksums(data) == before


def test_a_quarantine_folder_is_rewritten_whole_on_the_next_validation(corrupted_market, data, tmp_path):
    _, corrupted = corrupted_market
    target = tmp_path / "quarantine"
    assert invoke("validate", "--data", corrupted, "--quarantine", target).exit_code == 0
    assert len(list(target.glob("*.parquet"))) > 1
    assert invoke("validate", "--data", data, "--quarantine", target).exit_code == 0  # a clean folder
    assert [p.name for p in target.iterdir()] == ["quarantine.json"]


def _previous_output(name: str):
    def fill(folder: Path) -> None:
        previous = pd.DataFrame({"creator_id": ["kept"]})
        previous.to_csv(folder / name) if name.endswith(".csv") else previous.to_parquet(folder / name)

    return fill


@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("training_set.parquet", ["features", "build", "--every", "14d"]),
        ("scores.csv", ["score", "--tracking-uri", "{champions}"]),
    ],
    ids=["features build", "score"],
)
def test_a_full_disk_leaves_the_previous_output_and_says_so_in_one_line(
    data, tmp_path, champion_store, name, command
):
    with full_disk(tmp_path / "disk", 32_768, _previous_output(name)) as disk:
        target = disk.path / name
        before = target.read_bytes()
        flags = [part.format(champions=champion_store) for part in command]
        result = run(*flags, "--data", str(data), "--out", str(target), preexec_fn=disk.preexec)
        _one_line_error(result, f"cannot write {target}")
        assert target.read_bytes() == before
        assert [p.name for p in disk.path.iterdir()] == [name], "no partial file is left"


def test_a_read_only_output_folder_is_one_line_and_replaces_nothing(data, tmp_path):
    with read_only(tmp_path / "ro", _previous_output("training_set.parquet")) as folder:
        target = folder.path / "training_set.parquet"
        before = target.read_bytes()
        result = invoke("features", "build", "--data", data, "--every", "14d", "--out", target)
        assert isinstance(result.exception, UserError)
        assert str(result.exception).startswith(f"cannot write {target}")
        assert target.read_bytes() == before
