"""`policy apply` time on the 100,000-creator, 180-day simulation, once features and scores exist.

Goal from the issue: `policy apply` for 100,000 creators in at most 5 s after scoring, on 2
cores. Timed is `apply_policies` itself, the whole of what `policy apply` does between scoring
and writing: health ratings, escalations, TreeSHAP of the creators an action or the queue can
reach, the queue, and a statement of reasons for every action (`statements=True`), then the
decisions-only path a backtest takes (`statements=False`). Medians of `--repeat` runs each; one
further run under cProfile gives each stage's share (profiling slows Python code down: read it
for shares, not for seconds).

How long it takes depends on how many creators are acted on (each gets a statement), so the
models are the ones `policy backtest` would train on this data before the as-of time
(`train_before`, the checked-in configs; not timed): models trained fast on a small world act on
nearly everyone. The number acted on is printed. The data folder is simulated once (about a
minute) and reused when it already holds Parquet.

    .venv/bin/python benchmarks/bench_policy.py [--data /tmp/bench-features-100k] [--creators 100000]
        [--days 180] [--repeat 3]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

from creatorscore.contract import load_marketplace
from creatorscore.features import compute_features, load, snapshots
from creatorscore.policy import load_market_policies
from creatorscore.policy.apply import apply_policies
from creatorscore.policy.backtest import train_before
from creatorscore.policy.legal import tiers_of
from creatorscore.scoring.batch import SCORES, score_creators
from creatorscore.training.config import default_config

sys.path.insert(0, str(Path(__file__).parent))
from bench_features import ensure_data  # noqa: E402  the same 100k folder, simulated alike

GOAL_S = 5.0
# the stages of `apply_policies` the profile reports: (file, function) -> what the stage does
STAGES = {
    ("explain/contributions.py", "tree_contributions"): "TreeSHAP of the creators in reach",
    ("policy/apply.py", "_decide_market"): "health, escalations and actions",
    ("policy/queue.py", "review_queue"): "review queue",
    ("policy/apply.py", "_explanations"): "reason codes of the acted-on",
    ("policy/apply.py", "_statements"): "records and statements",
}


def timed(call, repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        runs.append(time.perf_counter() - started)
    return runs


def stage_seconds(call) -> tuple[float, dict[tuple[str, str], float]]:
    """The profiled call's seconds, and the cumulative seconds of each of `STAGES` in it."""
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.runcall(call)
    elapsed = time.perf_counter() - started
    found = {}
    for (path, _, function), (_, _, _, cumulative, _) in pstats.Stats(profile).stats.items():
        for stage in STAGES:
            if path.endswith(stage[0]) and function == stage[1]:
                found[stage] = found.get(stage, 0.0) + cumulative
    return elapsed, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/tmp/bench-features-100k"))
    parser.add_argument("--creators", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    definitions = load()
    policies = load_market_policies()
    tiers = tiers_of(policies)

    ensure_data(args.data, args.creators, args.days, seed=0)
    tables = load_marketplace(args.data).tables
    moment = snapshots.default_as_of(tables)
    started = time.perf_counter()
    replay_models = train_before(tables, moment, definitions, {n: default_config(n) for n in SCORES})
    models = [replay_models.abuse, replay_models.quality]
    print(f"models trained on {replay_models.snapshots} snapshots before {moment:%Y-%m-%d} "
          f"in {time.perf_counter() - started:.0f} s (not measured)")  # fmt: skip
    started = time.perf_counter()
    features = compute_features(tables, [moment], definitions)
    scored = score_creators(features, *models, tiers)
    print(f"features and scores of {len(scored):,} creators at {moment:%Y-%m-%d}: "
          f"{time.perf_counter() - started:.0f} s (not measured)")  # fmt: skip

    def apply(statements: bool):
        return apply_policies(
            features, scored, tables, models[0], definitions, policies, statements=statements
        )

    decisions = apply(True).decisions
    acted = int((decisions["action"] != "none").sum())
    print(f"{acted:,} creators acted on (each with a statement), {int(decisions['queued'].sum()):,} queued")
    load_average = os.getloadavg()[0]
    for statements in (True, False):
        runs = timed(lambda s=statements: apply(s), args.repeat)
        median = statistics.median(runs)
        verdict = f"{GOAL_S / median:.1f}x inside the goal" if median <= GOAL_S else "over the goal"
        print(f"apply_policies(statements={statements}): median {median:.2f} s of "
              f"{[round(r, 2) for r in runs]} ({verdict})")  # fmt: skip
    elapsed, seconds = stage_seconds(lambda: apply(True))
    print(f"one profiled apply_policies(statements=True): {elapsed:.2f} s, of which")
    for stage, what in STAGES.items():
        part = seconds.get(stage, 0.0)
        print(f"  {what} ({stage[1]}): {part:.2f} s, {part / elapsed:.0%}")
    print(f"nproc {os.cpu_count()}, load average before timing {load_average:.1f}, pandas {pd.__version__}")


if __name__ == "__main__":
    main()
