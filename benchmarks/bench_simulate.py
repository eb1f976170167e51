"""Simulator throughput and peak memory at the issue's target size (100,000 creators, 180 days).

Each repetition runs `creatorscore simulate` in a fresh process, so peak RSS is that run's own
(getrusage of the child). The goal: at most 180 s and 6 GB on 2 cores.

    .venv/bin/python benchmarks/bench_simulate.py [--creators 100000] [--days 180] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq


def run_once(creators: int, days: int, seed: int, out: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB) of one simulate run in its own process."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "creatorscore.cli",
            "simulate",
            "--out",
            str(out),
            "--creators",
            str(creators),
            "--days",
            str(days),
            "--seed",
            str(seed),
        ],
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage, not all children's
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"simulate failed with exit code {os.waitstatus_to_exitcode(status)}")
    return elapsed, usage.ru_maxrss / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creators", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    times, peaks = [], []
    for seed in range(args.repeat):
        out = Path(tempfile.mkdtemp(prefix="bench-sim-"))
        try:
            elapsed, peak = run_once(args.creators, args.days, seed, out)
            rows = {p.stem: pq.read_metadata(p).num_rows for p in sorted(out.glob("*.parquet"))}
        finally:
            shutil.rmtree(out, ignore_errors=True)
        times.append(elapsed)
        peaks.append(peak)
        print(f"seed {seed}: {elapsed:.1f} s, peak RSS {peak:.2f} GB, rows {rows}", flush=True)
    print(
        f"simulate {args.creators:,} creators x {args.days} days: median {statistics.median(times):.1f} s, "
        f"max peak RSS {max(peaks):.2f} GB over {args.repeat} run(s); nproc={os.cpu_count()}"
    )


if __name__ == "__main__":
    main()
