"""`creatorscore policy backtest` as a governance analyst runs it, on a small simulated market."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from creatorscore.policy.backtest import ACTION_COLUMNS
from tests.policy_files import copied_policies

from .test_main import _one_line_error, run


@pytest.fixture(scope="module")
def window(training_market_dir):
    from creatorscore.contract.read import load_marketplace
    from creatorscore.features import snapshots

    end = snapshots.last_fact_at(load_marketplace(training_market_dir).tables).normalize()
    return f"{end - pd.Timedelta(days=21):%Y-%m-%d}", f"{end - pd.Timedelta(days=7):%Y-%m-%d}"


def test_policy_backtest_writes_actions_summary_and_report_beside_the_status_quo(
    training_market_dir, window, tmp_path, fast_config
):
    import os

    import yaml

    configs = tmp_path / "training"  # the fast configs, found as $CREATORSCORE_TRAINING
    configs.mkdir()
    for name in ("abuse_risk", "content_quality"):
        (configs / f"{name}.yaml").write_text(yaml.safe_dump(fast_config(name).model_dump(mode="json")))
    other = copied_policies(tmp_path, "policies-b")
    base = other / "base.yaml"
    base.write_text(base.read_text().replace("  monitor: watch", "  monitor: queue_for_review"))
    out = tmp_path / "backtest"
    result = run(
        "policy", "backtest", "--data", str(training_market_dir), "--from", window[0], "--to", window[1],
        "--review-capacity", "0.2", "--compare", str(other), "--out", str(out),
        env={**os.environ, "CREATORSCORE_TRAINING": str(configs)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    actions = pd.read_parquet(out / "actions.parquet")
    assert list(actions.columns) == ACTION_COLUMNS and len(actions)
    assert set(actions["as_of"].dt.strftime("%Y-%m-%d")) <= {
        window[0],
        window[1],
        f"{pd.Timestamp(window[0]) + pd.Timedelta(days=7):%Y-%m-%d}",
    }
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["policies"]) == {"policy", "compare", "status_quo"}
    assert summary["reviews"] == "simulated reviewer on ground truth"
    for name in ("compare", "status_quo"):
        assert (out / f"actions-{name}.parquet").is_file()
    assert "Policy backtest" in (out / "report.html").read_text()
    assert "caught within 14 days" in result.stdout and "status_quo" in result.stdout
    for name, replayed in summary["policies"].items():
        audit = replayed["fairness"]
        assert isinstance(audit["goal_met"], bool) and audit["goal_met"] == (not audit["flagged"])
        assert {g["attribute"] for g in audit["groups"]} == {"market", "tenure band"}
        assert f"fairness, {name}:" in result.stderr
    assert "Fairness: status_quo" in (out / "report.html").read_text()

    # the same audit, alone, from the backtest's folder
    page = tmp_path / "fairness.html"
    alone = run(
        "report", "fairness", "--backtest", str(out), "--data", str(training_market_dir), "--out", str(page)
    )
    assert alone.returncode == 0, alone.stderr
    html = page.read_text()
    assert all(f"Fairness: {name}" in html for name in summary["policies"])
    for name, replayed in summary["policies"].items():
        verdict = "goal missed" if replayed["fairness"]["flagged"] else "no group queued or actioned"
        assert f"fairness, {name}: {verdict}" in alone.stderr.replace("\n", " ")


def test_report_fairness_refuses_a_folder_no_backtest_wrote(training_market_dir, tmp_path):
    (tmp_path / "empty").mkdir()
    result = run(
        "report", "fairness", "--backtest", str(tmp_path / "empty"), "--data", str(training_market_dir),
        "--out", str(tmp_path / "f.html"),
    )  # fmt: skip
    _one_line_error(result, "has no summary.json")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--from", "2025-10-01", "--to", "2025-09-01"], "--to 2025-09-01 is before --from 2025-10-01"),
        (["--from", "2025-10-01", "--to", "2025-10-20", "--every", "7x"], "--every '7x'"),
    ],
)
def test_policy_backtest_refuses_bad_dates_in_one_line(training_market_dir, tmp_path, flags, message):
    result = run(
        "policy", "backtest", "--data", str(training_market_dir), *flags, "--out", str(tmp_path / "o")
    )
    _one_line_error(result, message)


@pytest.mark.parametrize("command", ["apply", "backtest"])
def test_policy_commands_never_write_into_the_policies_they_read(training_market_dir, tmp_path, command):
    policies = copied_policies(tmp_path)
    dates = ["--from", "2025-10-01", "--to", "2025-10-08"] if command == "backtest" else []
    result = run("policy", command, "--data", str(training_market_dir), *dates,
                 "--policy", str(policies), "--out", str(policies / "out"))  # fmt: skip
    _one_line_error(result, f"is inside --policy {policies}")
    assert not (policies / "out").exists()
