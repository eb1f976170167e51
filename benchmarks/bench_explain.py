"""Explanation speed and the model-size trade-off: creators explained per second, one creator's latency.

A simulated marketplace's point-in-time training set (default 2,000 creators, 180 days,
snapshots every 14 days) trains LightGBM abuse-risk models of several sizes (num_leaves x
trees [x max_depth], no early stopping, so each size is what it says). For each size the
script reports the test-period PR-AUC (the last labelled snapshots; training stops 30 days,
one label horizon, before them), then explains the latest snapshot (every creator) with
`explain_creators`: the TreeSHAP part alone and the whole call (contributions, peers, ranking,
texts, pydantic models), and one creator at a time (median and p99 over `--single` calls, peer
medians prepared once as the service does). Frames are consolidated, as the online store's
reads are: a frame of 100+ separate column blocks costs about 2 ms more per single call.

The machine may be shared: the load average before each size is printed with its figures, and
CPU time per creator (all threads) next to wall-clock rates.

    .venv/bin/python benchmarks/bench_explain.py [--creators 2000] [--days 180] \
        [--sizes 15x100,15x300,15x300x5,31x300,63x300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

from creatorscore.contract import validate
from creatorscore.explain import PeerIndex, explain_creators, peer_medians, tree_contributions
from creatorscore.features import load
from creatorscore.features.snapshots import every
from creatorscore.features.training_set import build_training_set
from creatorscore.policy import market_tiers
from creatorscore.simulate import SimulationConfig, simulate

TEST_SNAPSHOTS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creators", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--every", type=int, default=14, help="days between snapshots")
    parser.add_argument(
        "--sizes",
        default="4x600,15x100,15x300,15x300x5,31x300,63x300",
        help="num_leaves x trees [x max_depth], comma-separated",
    )
    parser.add_argument("--single", type=int, default=300, help="single-creator calls timed per size")
    parser.add_argument("--repeats", type=int, default=3, help="batch timings per size (the best is kept)")
    args = parser.parse_args()

    definitions = load()
    tiers = market_tiers()
    names = definitions.names
    started = time.perf_counter()
    tables = validate(
        simulate(SimulationConfig(creators=args.creators, days=args.days, seed=7)).tables
    ).tables
    frame = build_training_set(tables, every(tables, args.every), definitions)
    print(
        f"training set: {len(frame):,} rows in {time.perf_counter() - started:.1f} s; nproc {os.cpu_count()}"
    )
    labelled = frame[frame["abuse_label"].notna()]
    snapshots = sorted(labelled["as_of"].unique())
    test = labelled[labelled["as_of"].isin(snapshots[-TEST_SNAPSHOTS:])]
    # purged: a training label's 30-day horizon must end before the test period starts
    train = labelled[labelled["as_of"] <= snapshots[-TEST_SNAPSHOTS] - pd.Timedelta(days=30)]
    latest = frame[frame["as_of"] == frame["as_of"].max()].reset_index(drop=True).copy()
    peers = peer_medians(frame, names)
    index = PeerIndex.build(peers, names)
    print(
        f"train {len(train):,} rows, test {len(test):,} rows ({int(test['abuse_label'].sum())} positives); "
        f"explaining {len(latest):,} creators"
    )
    print(
        "| leaves x trees (x max depth) | test PR-AUC | TreeSHAP creators/s | TreeSHAP CPU ms/creator "
        "| explain_creators creators/s | explain_creators CPU ms/creator "
        "| single median ms | single p99 ms | single CPU median ms | load avg |"
    )
    print("|" + " --- |" * 10)
    for size in args.sizes.split(","):
        leaves, trees, *depth = (int(part) for part in size.split("x"))
        booster = fit(train, names, leaves, trees, depth[0] if depth else -1)
        pr_auc = average_precision_score(test["abuse_label"], booster.predict(test[names]))
        load_average = os.getloadavg()[0]
        shap_rates, full_rates = [], []
        for _ in range(args.repeats):
            shap_rates.append(rate(lambda b=booster: tree_contributions(b, latest), len(latest)))
            full_rates.append(
                rate(
                    lambda b=booster: explain_creators(b, latest, definitions, index, tiers=tiers),
                    len(latest),
                )
            )
        single, single_cpu = [], []
        rows = [latest.iloc[[i % len(latest)]] for i in range(args.single)]
        explain_creators(booster, rows[0], definitions, index, tiers=tiers)
        for row in rows:
            begun, cpu = time.perf_counter(), time.process_time()
            explain_creators(booster, row, definitions, index, tiers=tiers)
            single.append(time.perf_counter() - begun)
            single_cpu.append(time.process_time() - cpu)
        cells = [
            size.replace("x", " x "),
            f"{pr_auc:.3f}",
            f"{max(r for r, _ in shap_rates):,.0f}",
            f"{min(c for _, c in shap_rates):.3f}",
            f"{max(r for r, _ in full_rates):,.0f}",
            f"{min(c for _, c in full_rates):.3f}",
            f"{statistics.median(single) * 1e3:.2f}",
            f"{np.quantile(single, 0.99) * 1e3:.2f}",
            f"{statistics.median(single_cpu) * 1e3:.2f}",
            f"{load_average:.1f}",
        ]
        print("| " + " | ".join(cells) + " |")


def fit(train: pd.DataFrame, names: list[str], leaves: int, trees: int, max_depth: int) -> lgb.Booster:
    """The abuse-risk model at one size, with the project's settings (training/abuse_risk.yaml) otherwise."""
    y = train["abuse_label"]
    weight = np.where(y == 1, (len(y) - y.sum()) / max(y.sum(), 1), 1.0)
    params = {
        "objective": "binary",
        "num_leaves": leaves,
        "max_depth": max_depth,
        "learning_rate": 0.05,
        "min_data_in_leaf": 40,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
        "max_bin": 63,
        "seed": 7,
        "num_threads": 2,
        "deterministic": True,
        "verbosity": -1,
    }
    return lgb.train(params, lgb.Dataset(train[names], y, weight=weight), num_boost_round=trees)


def rate(call, rows: int) -> tuple[float, float]:
    """Creators per wall-clock second, and CPU milliseconds per creator (all threads)."""
    begun, cpu = time.perf_counter(), time.process_time()
    call()
    return rows / (time.perf_counter() - begun), (time.process_time() - cpu) * 1e3 / rows


if __name__ == "__main__":
    main()
