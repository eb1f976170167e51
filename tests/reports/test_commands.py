"""`creatorscore report ...` and `creatorscore explain` as a user runs them."""

from __future__ import annotations

import json

import pytest
from mlflow import MlflowClient

from creatorscore.errors import UserError
from creatorscore.reports.cohort import cohort_mask
from creatorscore.training.registry import load_champion
from tests.cli.test_main import _one_line_error, run
from tests.reports.conftest import invoke

# one worker builds the champions and the reports (see tests/reports/conftest.py)
pytestmark = pytest.mark.xdist_group("reports")


def test_model_report_is_logged_with_the_models_run(reports, champion_store):
    run_id = load_champion("abuse_risk", champion_store).record.run_id
    logged = MlflowClient(tracking_uri=champion_store).list_artifacts(run_id, "reports")
    assert [a.path for a in logged] == [f"reports/{reports['model'].name}"]


def test_explain_json_holds_the_statement_and_both_explanations(champion_store, training_market_dir, reports):
    creator = reports["creator"].stem.removeprefix("case-")
    data, uri = str(training_market_dir), champion_store
    explained = json.loads(
        invoke("explain", "--id", creator, "--data", data, "--format", "json", "--tracking-uri", uri).stdout
    )
    assert explained["statement"]["puid"].startswith(f"{creator}:")
    assert explained["abuse_risk"]["space"] == "log-odds of the uncalibrated model"
    assert explained["content_quality"]["model_name"] == "content_quality"
    assert explained["statement"]["redress"]
    text = invoke("explain", "--id", creator, "--data", data, "--tracking-uri", uri).stdout
    assert "automated abuse-risk model" in text and "Proposed:" in text


def test_unknown_creator_is_a_one_line_error(champion_store, training_market_dir, tmp_path):
    _one_line_error(
        run(
            "report",
            "creator",
            "--id",
            "nobody",
            "--data",
            str(training_market_dir),
            "--out",
            str(tmp_path / "c.html"),
            "--tracking-uri",
            champion_store,
        ),  # fmt: skip
        "creator nobody",
    )


def test_unknown_market_or_category_names_the_options(scored):
    with pytest.raises(UserError, match="--market XX is not in the data; markets: ID"):
        cohort_mask(scored.features, "XX", None)
    with pytest.raises(UserError, match="--category nothing has no creators in ID; categories: "):
        cohort_mask(scored.features, "ID", "nothing")


def test_reports_without_a_trained_model_say_train_first(tmp_path):
    empty = f"sqlite:///{tmp_path}/empty.db"
    _one_line_error(run("report", "model", "--model", "abuse_risk", "--out", str(tmp_path / "m.html"),
                        "--tracking-uri", empty), "creatorscore train --model abuse_risk")  # fmt: skip
