"""Training and batch-scoring time on the 100,000-creator, 180-day simulation.

Trains both models with their baselines, test-period evaluation and MLflow logging (tuning
off, then timed on its own), and times batch scoring of every creator once features exist.
The training set is built once (14-day snapshots) and cached next to the other scratch files,
so reruns time training alone. Usage:

    .venv/bin/python benchmarks/bench_train.py [--data /tmp/bench-features-100k] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from creatorscore.contract.read import load_marketplace
from creatorscore.features import compute_features, load, snapshots
from creatorscore.policy import market_tiers
from creatorscore.scoring.batch import score_creators
from creatorscore.training.config import default_config
from creatorscore.training.dataset import build_or_reuse, read_ground_truth
from creatorscore.training.pipeline import train_model
from creatorscore.training.registry import load_model
from creatorscore.training.tuning import tune


def bench_config(name: str, trials: int = 0):
    """The checked-in config with fortnightly snapshots (6+ labelled at 180 days) and the given tuning."""
    config = default_config(name)
    return config.model_copy(
        update={
            "split": config.split.model_copy(
                update={"snapshot_every_days": 14, "test_snapshots": 2, "validation_snapshots": 2}
            ),
            "tuning": config.tuning.model_copy(update={"trials": trials}),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/tmp/bench-features-100k"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/creatorscore-bench-train"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tuning-trials", type=int, default=10)
    args = parser.parse_args()
    definitions = load()
    tiers = market_tiers()
    tables: dict = {}

    def tables_once() -> dict:
        if not tables:
            tables.update(load_marketplace(args.data).tables)
        return tables

    started = time.perf_counter()
    frame, key, reused = build_or_reuse(
        args.data, definitions, bench_config("abuse_risk").split, args.cache, tables_once
    )
    print(f"training set {key}: {len(frame):,} rows, {frame['as_of'].nunique()} snapshots, "
          f"{'reused' if reused else 'built'} in {time.perf_counter() - started:.1f} s")  # fmt: skip
    truth = read_ground_truth(args.data)
    uri = f"sqlite:///{tempfile.mkdtemp(prefix='bench-train-')}/mlflow.db"
    versions = {}
    for name in ("abuse_risk", "content_quality"):
        runs = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            trained = train_model(
                frame, bench_config(name), definitions, key, str(args.data), truth, uri, tiers=tiers
            )
            runs.append(time.perf_counter() - started)
            versions[name] = trained.run.version
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in trained.seconds.items())
        rounds = [fold.booster.current_iteration() for fold in trained.backtest.folds]
        print(
            f"train {name}: median {statistics.median(runs):.1f} s of {[round(r, 1) for r in runs]} "
            f"({parts}; rounds per fold {rounds}, served {trained.backtest.rounds})"
        )
        config = bench_config(name, args.tuning_trials)
        started = time.perf_counter()
        backtest = trained.backtest
        labelled = frame[frame[config.target].notna()]
        period = backtest.plan.period_of(labelled["as_of"])
        xy = {p: (labelled.loc[period == p, backtest.features], labelled.loc[period == p, config.target])
              for p in ("train", "validation")}  # fmt: skip
        _, trials = tune(config, backtest.monotone, xy["train"], xy["validation"])
        print(f"tune {name}: {trials} trials in {time.perf_counter() - started:.1f} s")

    models = [load_model(name, versions[name], uri) for name in ("abuse_risk", "content_quality")]
    moment = snapshots.default_as_of(tables_once())
    started = time.perf_counter()
    features = compute_features(tables_once(), [moment], definitions)
    elapsed = time.perf_counter() - started
    print(f"features for {len(features):,} creators: {elapsed:.1f} s (not part of the scoring goal)")
    runs = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        scored = score_creators(features, *models, tiers)
        runs.append(time.perf_counter() - started)
    times = [round(r, 2) for r in runs]
    print(f"score {len(scored):,} creators: median {statistics.median(runs):.2f} s of {times}")
    print(f"nproc {os.cpu_count()}, pandas {pd.__version__}")


if __name__ == "__main__":
    main()
