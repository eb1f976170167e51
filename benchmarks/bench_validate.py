"""Load-and-validate time for a data folder whose `orders` table has 10 million rows.

The folder comes from the simulator; its orders are resampled to the target size with fresh
ids, so values stay realistic; both id layouts are measured, sorted and shuffled. Next to
each validation the script times plain `pd.read_parquet` of the same files: the floor any
loader pays, for a same-run ratio.

    .venv/bin/python benchmarks/bench_validate.py [--orders 10000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from creatorscore.contract import load_marketplace
from creatorscore.contract.read import read_tables
from creatorscore.simulate import SimulationConfig, simulate, write_marketplace
from creatorscore.simulate.ids import format_ids


def build_folder(orders: int, out: Path, *, shuffled: bool) -> None:
    """A simulated folder whose orders are resampled to `orders` rows with fresh ids, in id
    order (as most exports come) or shuffled (the worst case for the uniqueness check)."""
    market = simulate(SimulationConfig(creators=5_000, days=180, seed=1))
    write_marketplace(market, out)
    source = market.tables["orders"]
    rng = np.random.default_rng(0)
    big = source.iloc[rng.integers(0, len(source), orders)].reset_index(drop=True)
    numbers = rng.permutation(orders) if shuffled else np.arange(orders)
    big["order_id"] = pd.Series(format_ids("od", numbers).to_pandas(), dtype="str")
    big.to_parquet(out / "orders.parquet", index=False)


def measure(orders: int, repeat: int, *, shuffled: bool) -> tuple[list[float], list[float]]:
    folder = Path(tempfile.mkdtemp(prefix="bench-validate-"))
    try:
        build_folder(orders, folder, shuffled=shuffled)
        reads, loads = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            read_tables(folder)
            reads.append(time.perf_counter() - started)
            started = time.perf_counter()
            validated = load_marketplace(folder)
            loads.append(time.perf_counter() - started)
        assert validated.summary["orders"].accepted == orders
        return reads, loads
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for shuffled in (False, True):
        reads, loads = measure(args.orders, args.repeat, shuffled=shuffled)
        read, load = statistics.median(reads), statistics.median(loads)
        layout = "shuffled ids" if shuffled else "sorted ids"
        print(f"{layout}: read only (floor) median {read:.2f} s {[round(t, 2) for t in reads]}")
        print(f"{layout}: read + validate   median {load:.2f} s {[round(t, 2) for t in loads]}")
        print(f"{layout}: orders={args.orders:,}, validation costs {load / read:.1f}x the bare read")
    print(f"nproc={os.cpu_count()}")


if __name__ == "__main__":
    main()
