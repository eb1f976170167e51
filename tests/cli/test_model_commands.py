"""`creatorscore train`, `promote` and `score` as a user runs them, on a real SQLite MLflow store."""

from __future__ import annotations

import re

import mlflow
import pandas as pd
import pytest

from creatorscore.policy import market_tiers
from tests.policy_files import policies_with

from .test_main import _one_line_error, run


@pytest.fixture(scope="module")
def trained_store(tmp_path_factory, training_market_dir, config_file):
    """Both models trained once through the CLI; abuse_risk promoted."""
    folder = tmp_path_factory.mktemp("cli-models")
    uri = f"sqlite:///{folder}/mlflow.db"
    results = {}
    for name in ("abuse_risk", "content_quality"):
        results[name] = run(
            "train", "--model", name, "--data", str(training_market_dir), "--config", str(config_file(name)),
            "--tracking-uri", uri, "--cache-dir", str(folder / "cache"),
        )  # fmt: skip
    return uri, folder, results


def test_train_prints_test_metrics_beside_the_baselines(trained_store):
    _, folder, results = trained_store
    for name, result in results.items():
        assert result.returncode == 0, result.stderr
        assert "rules" in result.stdout and "linear" in result.stdout and "LightGBM" in result.stdout
        assert f"{name} v1 registered" in result.stderr
    assert len(list((folder / "cache").glob("training_set-*.parquet"))) == 1  # built once, reused


def test_train_reports_each_stage_with_its_time(trained_store):
    _, _, results = trained_store
    stderr = results["abuse_risk"].stderr
    stages = [line for line in stderr.splitlines() if line.lstrip().startswith("done")]
    assert any("fold 1 of" in line for line in stages), stderr
    for stage in ("refit on all", "bootstrap interval of pr_auc", "logging the run"):
        assert any(stage in line for line in stages), (stage, stderr)
    assert all(re.search(r"\d+:\d\d:\d\d", line) for line in stages)  # each with its elapsed time


def test_score_without_champion_says_train_first(tmp_path, training_market_dir):
    result = run(
        "score", "--data", str(training_market_dir), "--out", str(tmp_path / "s.parquet"),
        "--tracking-uri", f"sqlite:///{tmp_path}/empty.db",
    )  # fmt: skip
    _one_line_error(result, "creatorscore train --model abuse_risk")


def test_score_every_creator_with_both_champions(trained_store, training_market_dir, tmp_path):
    uri, _, _ = trained_store
    # champions set directly: whether the tiny market's models pass the gate is the gate's tests' business
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    for name in ("abuse_risk", "content_quality"):
        client.set_registered_model_alias(name, "champion", "1")
    out = tmp_path / "scores.parquet"
    result = run("score", "--data", str(training_market_dir), "--out", str(out), "--tracking-uri", uri,
                 "--as-of", "2025-10-01")  # fmt: skip
    assert result.returncode == 0, result.stderr
    scores = pd.read_parquet(out)
    assert {"abuse_risk", "content_quality", "abuse_risk_market_pct", "content_quality_version"} <= set(
        scores
    )
    assert scores["creator_id"].is_unique and (scores["as_of"] == pd.Timestamp("2025-10-01", tz="UTC")).all()
    # the summary a data scientist reads: creators per tier in each market, and who ranks first
    counts = scores.groupby("market").size()
    lines = [line for line in result.stdout.splitlines() if line.count("│") > 3]
    tier_rows = {line.split("│")[1].strip(): line for line in lines}
    for market, count in counts.items():
        assert tier_rows[market].rstrip(" │").endswith(f"{count:,}"), result.stdout
    top = scores.nlargest(1, "abuse_risk").iloc[0]
    assert top["creator_id"] in result.stdout and f"{top['abuse_risk']:.1%}" in result.stdout


def test_score_cuts_each_market_at_its_own_policys_thresholds(trained_store, training_market_dir, tmp_path):
    uri, _, _ = trained_store
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    for name in ("abuse_risk", "content_quality"):
        client.set_registered_model_alias(name, "champion", "1")
    policies = policies_with(tmp_path, "VN", "\ntiers: {monitor: 0.0, review: 0.0, restrict: 0.0}\n")
    out = tmp_path / "scores.parquet"
    result = run("score", "--data", str(training_market_dir), "--out", str(out), "--tracking-uri", uri,
                 "--as-of", "2025-10-01", "--policy", str(policies))  # fmt: skip
    assert result.returncode == 0, result.stderr
    scores = pd.read_parquet(out)
    vn = scores["market"] == "VN"
    assert vn.any() and (scores.loc[vn, "risk_tier"] == "restrict").all()
    others = scores[~vn]
    shipped = market_tiers().tiers(others["abuse_risk"].to_numpy(), others["market"].to_numpy())
    assert others["risk_tier"].tolist() == [tier.value for tier in shipped]


def test_score_with_a_misspelt_tier_threshold_is_a_one_line_error(tmp_path, training_market_dir):
    policies = policies_with(tmp_path, "TH", "\ntiers: {reveiw: 0.1}\n")
    result = run(
        "score", "--data", str(training_market_dir), "--out", str(tmp_path / "s.parquet"),
        "--policy", str(policies), "--tracking-uri", f"sqlite:///{tmp_path}/empty.db",
    )  # fmt: skip
    _one_line_error(result, "policies/markets/TH.yaml: tiers.reveiw")


def test_policy_apply_writes_decisions_and_queues_and_prints_a_markets_queue(
    trained_store, training_market_dir, tmp_path
):
    uri, _, _ = trained_store
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    for name in ("abuse_risk", "content_quality"):
        client.set_registered_model_alias(name, "champion", "1")
    out = tmp_path / "policy"
    result = run("policy", "apply", "--data", str(training_market_dir), "--out", str(out),
                 "--tracking-uri", uri, "--as-of", "2025-10-01", "--market", "ID")  # fmt: skip
    assert result.returncode == 0, result.stderr
    decisions, queue = pd.read_parquet(out / "decisions.parquet"), pd.read_parquet(out / "queue.parquet")
    assert decisions["creator_id"].is_unique and set(decisions["market"]) >= set(queue["market"])
    assert "Review queue of ID" in result.stdout and "Decisions by market" in result.stdout
    for creator in queue.loc[queue["market"] == "ID"].nsmallest(10, "rank")["creator_id"]:
        assert creator in result.stdout
    assert f"{len(decisions):,} creators decided" in result.stderr


def test_policy_apply_names_the_bad_policy_file_in_one_line(trained_store, training_market_dir, tmp_path):
    policies = policies_with(tmp_path, "TH", "\nqueue:\n  capacity_per_dya: 3\n")
    result = run("policy", "apply", "--data", str(training_market_dir), "--out", str(tmp_path / "o"),
                 "--tracking-uri", trained_store[0], "--policy", str(policies))  # fmt: skip
    _one_line_error(result, "policies/markets/TH.yaml: queue.capacity_per_dya")


def test_promoting_a_model_twice_is_refused_with_a_reason(trained_store, config_file):
    uri, _, _ = trained_store
    rule = str(config_file("content_quality", promotion={"margin": 0.0, "market_tolerance": 1.0}))
    run("promote", "--model", "content_quality", "--tracking-uri", uri, "--config", rule)
    again = run("promote", "--model", "content_quality", "--tracking-uri", uri, "--config", rule)
    _one_line_error(again, "content_quality v1 not promoted")


def test_promotion_refuses_a_candidate_that_does_not_beat_the_champion(
    trained_store, training_market_dir, config_file
):
    uri, folder, _ = trained_store
    rule = str(config_file("content_quality", promotion={"margin": 0.0, "market_tolerance": 1.0}))
    run("promote", "--model", "content_quality", "--tracking-uri", uri, "--config", rule)
    # the same config again: identical model, so it cannot beat the champion by any margin
    retrain = run("train", "--model", "content_quality", "--data", str(training_market_dir), "--config", rule,
                  "--tracking-uri", uri, "--cache-dir", str(folder / "cache"))  # fmt: skip
    assert retrain.returncode == 0, retrain.stderr
    assert "champion v1" in retrain.stdout
    refused = run("promote", "--model", "content_quality", "--tracking-uri", uri, "--config", rule)
    _one_line_error(refused, "gain over the champion v1 is +0.0000", "lower end must exceed the margin")


def test_config_for_another_model_is_a_one_line_error(training_market_dir, config_file, tmp_path):
    result = run(
        "train", "--model", "abuse_risk", "--data", str(training_market_dir),
        "--config", str(config_file("content_quality")), "--tracking-uri", f"sqlite:///{tmp_path}/m.db",
    )  # fmt: skip
    _one_line_error(result, "configures content_quality, not --model abuse_risk")


def test_train_on_a_missing_folder_is_a_one_line_error(tmp_path):
    result = run("train", "--model", "abuse_risk", "--data", str(tmp_path / "nowhere"))
    _one_line_error(result, "nowhere")


def test_force_without_a_reason_is_a_one_line_error(trained_store):
    uri, _, _ = trained_store
    forced = run("promote", "--model", "content_quality", "--tracking-uri", uri, "--force")
    _one_line_error(forced, "--force and --reason TEXT go together")
