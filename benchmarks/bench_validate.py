"""Load-and-validate time for a data folder whose `orders` table has 10 million rows.

The folder comes from the simulator; its orders are resampled to the target size with fresh
ids, so values stay realistic. Next to each validation the script times plain
`pd.read_parquet` of the same files: the floor any loader pays, for a same-run ratio.

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


def build_folder(orders: int, out: Path) -> None:
    market = simulate(SimulationConfig(creators=5_000, days=180, seed=1))
    write_marketplace(market, out)
    source = market.tables["orders"]
    picked = np.random.default_rng(0).integers(0, len(source), orders)
    big = source.iloc[picked].reset_index(drop=True)
    big["order_id"] = pd.Series(format_ids("od", np.arange(orders)).to_pandas(), dtype="str")
    big.to_parquet(out / "orders.parquet", index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-validate-"))
    try:
        build_folder(args.orders, folder)
        reads, loads = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            read_tables(folder)
            reads.append(time.perf_counter() - started)
            started = time.perf_counter()
            validated = load_marketplace(folder)
            loads.append(time.perf_counter() - started)
        assert validated.summary["orders"].accepted == args.orders
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    read, load = statistics.median(reads), statistics.median(loads)
    print(f"read only (floor):   median {read:.2f} s  runs {[round(t, 2) for t in reads]}")
    print(f"read + validate:     median {load:.2f} s  runs {[round(t, 2) for t in loads]}")
    print(f"orders={args.orders:,}: validation costs {load / read:.1f}x the bare read; nproc={os.cpu_count()}")


if __name__ == "__main__":
    main()
