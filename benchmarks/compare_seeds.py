"""abuse_risk against its baselines on the future, for simulator seeds 7, 8 and 9 at demo size.

Writes the table `docs/models.md` quotes. Simulated folders and training sets are cached under
--work, so reruns after a config change only retrain. Usage:

    .venv/bin/python benchmarks/compare_seeds.py [--work /tmp/creatorscore-seeds] [--seeds 7 8 9]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from creatorscore.contract.read import load_marketplace
from creatorscore.features import load
from creatorscore.simulate import SimulationConfig, simulate, write_marketplace
from creatorscore.training.backtest import LINEAR, MODEL, RULES, run_backtest
from creatorscore.training.config import default_config
from creatorscore.training.dataset import build_or_reuse, read_ground_truth

METRICS = ("pr_auc", "recall_at_1pct")


def backtest_seed(seed: int, work: Path, creators: int, days: int) -> dict[str, float]:
    """Simulate (once), build the training set (once) and backtest abuse_risk for one seed."""
    data = work / f"seed{seed}"
    if not (data / "creators.parquet").is_file():
        write_marketplace(simulate(SimulationConfig(creators=creators, days=days, seed=seed)), data)
    config, definitions = default_config("abuse_risk"), load()
    frame, _, _ = build_or_reuse(
        data, definitions, config.split, work / "cache", lambda: load_marketplace(data).tables
    )
    backtest = run_backtest(frame, config, definitions, read_ground_truth(data))
    row: dict[str, float] = {"seed": seed, "test positives": backtest.metrics[MODEL]["overall/positives"]}
    for key in [f"overall/{m}" for m in METRICS] + ["truth/pr_auc"]:
        for scorer in (MODEL, RULES, LINEAR):
            row[f"{key.replace('overall/', '')} {scorer}"] = backtest.metrics[scorer][key]
    return row


def markdown(table: pd.DataFrame) -> str:
    """A Markdown table without extra dependencies."""
    lines = ["| " + " | ".join(table.columns) + " |", "|" + " --- |" * len(table.columns)]
    for row in table.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/creatorscore-seeds"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 8, 9])
    parser.add_argument("--creators", type=int, default=2000)
    parser.add_argument("--days", type=int, default=180)
    args = parser.parse_args()
    table = pd.DataFrame([backtest_seed(s, args.work, args.creators, args.days) for s in args.seeds])
    beats = all(
        (table[f"{m} {MODEL}"] > table[f"{m} {RULES}"]).all()
        and (table[f"{m} {MODEL}"] > table[f"{m} {LINEAR}"]).all()
        for m in METRICS
    )
    print(markdown(table))
    print(f"\nabuse_risk beats both baselines on {' and '.join(METRICS)} for every seed: {beats}")


if __name__ == "__main__":
    main()
