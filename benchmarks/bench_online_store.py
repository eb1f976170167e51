"""Online store read latency: 500 creators' feature vectors out of a 100,000-creator store.

The store holds the real feature names (from features/) and random values; reads ask for
500 random ids. The write of the generation, and the first read after it, which loads the
reader's in-memory snapshot, are timed on their own. Next to `store.read` the script times,
in the same run, a bare SQLite query fetching the same rows: what a reader without the
snapshot would pay at least.

    .venv/bin/python benchmarks/bench_online_store.py [--creators 100000] [--batch 500] [--reads 200]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from creatorscore.features import load
from creatorscore.features.store import open_store

BLOCK = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creators", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()
    names = load().names
    rng = np.random.default_rng(0)
    ids = [f"cr{i:06d}" for i in range(args.creators)]
    vectors = pd.DataFrame(rng.random((args.creators, len(names))), columns=names)
    vectors.insert(0, "creator_id", ids)
    vectors.insert(1, "as_of", pd.Timestamp("2025-12-17", tz="UTC"))
    vectors.insert(2, "market", "ID")
    vectors.insert(3, "category", "beauty")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "store.sqlite"
        store = open_store(f"sqlite:///{path}")
        started = time.perf_counter()
        store.write(vectors, names, "bench")
        written = time.perf_counter() - started
        batches = [list(rng.choice(ids, args.batch, replace=False)) for _ in range(args.reads)]
        started = time.perf_counter()
        store.read(batches[0])
        first = time.perf_counter() - started
        reads, floors = [], []
        # alternating blocks share the machine's noise without one path evicting the other's caches
        for start in range(0, len(batches), BLOCK):
            for batch in batches[start : start + BLOCK]:
                started = time.perf_counter()
                frame = store.read(batch)
                reads.append(time.perf_counter() - started)
                assert len(frame) == args.batch
            with sqlite3.connect(path) as con:
                for batch in batches[start : start + BLOCK]:
                    started = time.perf_counter()
                    marks = ",".join("?" * len(batch))
                    rows = con.execute(
                        f"select * from vectors where creator_id in ({marks})", batch
                    ).fetchall()
                    floors.append(time.perf_counter() - started)
                    assert len(rows) == args.batch
    read, floor = statistics.median(reads), statistics.median(floors)
    p99 = float(np.percentile(reads, 99))
    print(f"write (a whole generation, synced and renamed into place): {written * 1000:.0f} ms")
    print(f"first read (loads the snapshot): {first * 1000:.0f} ms")
    print(f"bare sqlite fetch:         median {floor * 1000:.2f} ms")
    print(f"store.read:                median {read * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms")
    print(
        f"{args.batch} of {args.creators:,} creators x {len(names)} features: "
        f"read costs {read / floor:.1f}x the bare fetch; nproc={os.cpu_count()}"
    )


if __name__ == "__main__":
    main()
