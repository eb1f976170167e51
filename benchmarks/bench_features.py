"""Training-set build throughput and peak memory at the issue's target size (100,000 creators, 180 days).

Goal from the issue: at least 5 million input event rows per second end to end (Parquet read,
validation, features and labels) on 2 cores, with peak RSS at most 3x the in-memory size of
the loaded tables. The as-of times are `--snapshots` (6) snapshots `--step-days` (7) apart,
the last at `snapshots.default_as_of` (midnight after the last fact): the heaviest placement,
as every creator is onboarded and every 90-day window is full of history.

1. End to end: each repetition (--e2e-repeat, default 1: one run takes over two minutes) runs
   load_marketplace + build_training_set in a fresh process; peak RSS is that child's own
   (os.wait4 rusage). Input rows = rows of every table read. Then, in this process, the bare
   Parquet read (the floor any loader pays) and load_marketplace, --repeat times each.
2. Naive pandas baseline: boolean masks per snapshot + groupby for a subset of the features,
   next to the engine restricted to the same subset, on the same loaded tables; the values are
   checked to agree.
3. Where the engine's time goes: all features, aggregates only, labels; then the engine
   restricted to each aggregate group (one source, window and lag: one join + group-by), rolled
   up per source; then DuckDB's own profile of one full run, per statement and per operator
   (profiling slows DuckDB down: read it for shares, not absolute times).

Timings move with whatever else runs on the 2 cores, so the load average is printed alongside.
The data folder is simulated once (about a minute) and reused when it already holds Parquet.

    .venv/bin/python benchmarks/bench_features.py [--data /tmp/bench-features-100k] [--creators 100000]
        [--days 180] [--snapshots 6] [--step-days 7] [--repeat 3] [--e2e-repeat 1] [--skip-groups]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from itertools import groupby
from pathlib import Path

import numpy as np
import pandas as pd

from creatorscore.contract import load_marketplace, read_tables
from creatorscore.features import compute_features, engine, load, snapshots
from creatorscore.features.definitions import Definitions, Feature
from creatorscore.features.labels import compute_labels
from creatorscore.features.training_set import build_training_set

GOAL_ROWS_PER_S = 5_000_000
GOAL_PEAK_RATIO = 3.0
BASELINE_FEATURES = [
    "sessions_7d",
    "sessions_28d",
    "sessions_90d",
    "orders_28d",
    "gmv_usd_28d",
    "cancel_rate_90d",
    "reports_90d",
    "active_violation_points_90d",
    "top_buyer_share_28d",
]
BASELINE_TABLES = ["creators", "live_sessions", "orders", "buyer_reports", "violations"]


def ensure_data(folder: Path, creators: int, days: int, seed: int) -> None:
    """Simulate the benchmark folder unless it already holds Parquet tables."""
    if any(folder.glob("*.parquet")):
        return
    print(f"simulating {creators:,} creators x {days} days into {folder} ...", flush=True)
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "creatorscore.cli",
            "simulate",
            "--out",
            str(folder),
            "--creators",
            str(creators),
            "--days",
            str(days),
            "--seed",
            str(seed),
        ],
        check=True,
        stderr=subprocess.DEVNULL,
    )
    print(f"simulated in {time.perf_counter() - started:.0f} s", flush=True)


def as_of_times(tables: dict[str, pd.DataFrame], count: int, step_days: int) -> list[pd.Timestamp]:
    """`count` as-of times `step_days` apart, the last at the default as-of time."""
    end = snapshots.default_as_of(tables)
    return [end - pd.Timedelta(days=step_days * k) for k in range(count - 1, -1, -1)]


def table_bytes(tables: dict[str, pd.DataFrame]) -> int:
    return int(sum(frame.memory_usage(deep=True).sum() for frame in tables.values()))


def peak_rss_gb() -> float:
    """This process's peak resident set so far (Linux VmHWM): where in a run the peak falls."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    return float("nan")


def child(data: Path, count: int, step_days: int) -> None:
    """One end-to-end build, as the CLI does it minus writing the output; prints a JSON line."""
    started = time.perf_counter()
    validated = load_marketplace(data)
    loaded = time.perf_counter()
    peak_after_load = peak_rss_gb()
    tables = validated.tables
    definitions = load()  # parse and compile the YAML definitions, as the CLI does
    defined = time.perf_counter()
    frame = build_training_set(tables, as_of_times(tables, count, step_days), definitions)
    built = time.perf_counter()
    result = {
        "read_validate_s": loaded - started,
        "definitions_s": defined - loaded,
        "features_labels_s": built - defined,
        "total_s": built - started,
        "rows_read": {name: s.read for name, s in validated.summary.items()},
        "table_bytes": table_bytes(tables),
        "peak_after_load_gb": peak_after_load,
        "output_shape": list(frame.shape),
    }
    print(json.dumps(result), flush=True)


def run_child(data: Path, count: int, step_days: int) -> tuple[dict, float, float]:
    """Result, wall seconds and peak RSS (GB) of one end-to-end build in its own process."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", "--data", str(data)]
        + ["--snapshots", str(count), "--step-days", str(step_days)],
        stdout=subprocess.PIPE,
        text=True,
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage, not all children's
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"end-to-end child failed with exit code {proc.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    return result, elapsed, usage.ru_maxrss / 1024 / 1024


def naive_pandas(tables: dict[str, pd.DataFrame], as_of: Sequence[pd.Timestamp]) -> pd.DataFrame:
    """BASELINE_FEATURES the straightforward pandas way: masks per snapshot, then groupby."""
    creators = tables["creators"]
    sessions = tables["live_sessions"]
    orders = tables["orders"]
    reports = tables["buyer_reports"]
    violations = tables["violations"]
    session_known = sessions["started_at"] + pd.to_timedelta(sessions["duration_s"], unit="s")
    parts = []
    for t in as_of:
        ids = creators.loc[creators["onboarded_at"] < t, "creator_id"].sort_values()
        out = pd.DataFrame({"creator_id": ids.to_numpy(), "as_of": t})
        out.index = pd.Index(ids.to_numpy())

        def window(frame: pd.DataFrame, event: str, days: int, t=t) -> pd.DataFrame:
            return frame[(frame[event] >= t - pd.Timedelta(days=days)) & (frame[event] < t)]

        ended = sessions[session_known < t]
        for days in (7, 28, 90):
            seen = window(ended, "started_at", days)
            out[f"sessions_{days}d"] = seen.groupby("creator_id").size().reindex(out.index, fill_value=0)
        recent = window(orders, "created_at", 28)
        by_creator = recent.groupby("creator_id")
        out["orders_28d"] = by_creator.size().reindex(out.index, fill_value=0)
        out["gmv_usd_28d"] = by_creator["amount_usd"].sum().reindex(out.index, fill_value=0)
        resolved = orders[orders["resolved_at"].notna() & (orders["resolved_at"] < t)]
        resolved = window(resolved, "created_at", 90)
        cancelled = (resolved["status"] == "cancelled").astype("float64")
        out["cancel_rate_90d"] = cancelled.groupby(resolved["creator_id"]).mean().reindex(out.index)
        filed = window(reports, "created_at", 90)
        out["reports_90d"] = filed.groupby("creator_id").size().reindex(out.index, fill_value=0)
        decided = window(violations, "decided_at", 90)
        standing = decided["overturned_at"].isna() | (decided["overturned_at"] >= t)
        points = decided["points"].where(standing, 0.0)
        out["active_violation_points_90d"] = (
            points.groupby(decided["creator_id"]).sum().reindex(out.index, fill_value=0)
        )
        per_buyer = recent.groupby(["creator_id", "buyer_id"]).size()
        per_creator = per_buyer.groupby(level="creator_id")
        out["top_buyer_share_28d"] = (per_creator.max() / per_creator.sum()).reindex(out.index)
        parts.append(out.reset_index(drop=True))
    frame = pd.concat(parts, ignore_index=True)
    frame[BASELINE_FEATURES] = frame[BASELINE_FEATURES].astype("float64")
    return frame


def compare(engine: pd.DataFrame, naive: pd.DataFrame) -> list[str]:
    """Features where the baseline and the engine disagree, with by how much."""
    keys = ["creator_id", "as_of"]
    both = engine[keys + BASELINE_FEATURES].merge(
        naive.astype({"as_of": engine["as_of"].dtype}),
        on=keys,
        how="outer",
        suffixes=("_engine", "_naive"),
        indicator=True,
    )
    problems = []
    unmatched = int((both["_merge"] != "both").sum())
    if unmatched:
        problems.append(f"{unmatched:,} (creator, as_of) rows are in only one of the two outputs")
    for name in BASELINE_FEATURES:
        a = both[f"{name}_engine"].to_numpy(dtype="float64")
        b = both[f"{name}_naive"].to_numpy(dtype="float64")
        close = np.isclose(a, b, equal_nan=True)
        if not close.all():
            diff = np.abs(a - b)[~close]
            problems.append(
                f"{name}: {(~close).sum():,} of {len(a):,} rows differ, "
                f"max |diff| {np.nanmax(diff) if np.isfinite(diff).any() else float('nan'):.6g}, "
                f"NaN on one side only: {int(np.isnan(a).sum() != np.isnan(b).sum())} "
                f"(engine NaN {int(np.isnan(a).sum()):,}, naive NaN {int(np.isnan(b).sum()):,})"
            )
    return problems


def timed(fn: Callable[[], object], repeat: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        result = None  # let the previous result go before the next run
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return times, result


def fmt(times: list[float]) -> str:
    return f"median {statistics.median(times):.2f} s {[round(t, 2) for t in times]}"


def restricted(definitions: Definitions, features: list[Feature]) -> Definitions:
    return Definitions(sources=definitions.sources, features=features)


def time_subset(tables, moments, definitions: Definitions, repeat: int) -> list[float]:
    return timed(lambda: compute_features(tables, moments, definitions), repeat)[0]


def group_key(feature: Feature) -> tuple:
    """The engine's aggregate grouping: one join + group-by per (source, window, lag)."""
    return (feature.source, feature.window or 0, feature.lag)


def end_to_end(data: Path, args: argparse.Namespace) -> dict:
    print(
        f"== 1. end to end: load_marketplace + build_training_set, {args.snapshots} as-of times "
        f"{args.step_days} d apart ending at default_as_of, {args.e2e_repeat} fresh process(es)",
        flush=True,
    )
    walls, peaks, results = [], [], []
    for i in range(args.e2e_repeat):
        result, wall, peak = run_child(data, args.snapshots, args.step_days)
        walls.append(wall)
        peaks.append(peak)
        results.append(result)
        print(
            f"run {i}: process wall {wall:.1f} s, read+validate {result['read_validate_s']:.1f} s, "
            f"load definitions {result['definitions_s']:.1f} s, "
            f"features+labels {result['features_labels_s']:.1f} s, peak RSS {peak:.2f} GB "
            f"({result['peak_after_load_gb']:.2f} GB by the end of read+validate), "
            f"CPU {result['cpu_s']:.0f} s = {result['cpu_s'] / wall:.2f} cores busy on average, "
            f"load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
    first = results[0]
    rows = sum(first["rows_read"].values())
    in_memory = first["table_bytes"] / 1024**3
    total = statistics.median(r["total_s"] for r in results)
    load_s = statistics.median(r["read_validate_s"] for r in results)
    build_s = statistics.median(r["features_labels_s"] for r in results)
    defs_s = statistics.median(r["definitions_s"] for r in results)
    peak = max(peaks)
    print(f"input rows per table: {first['rows_read']}")
    print(f"output: {first['output_shape'][0]:,} rows x {first['output_shape'][1]} columns")
    print(
        f"input event rows {rows:,}; in-process time median {total:.1f} s "
        f"(process wall median {statistics.median(walls):.1f} s, includes imports)"
    )
    print(
        f"  split: read+validate {load_s:.1f} s ({load_s / total:.0%}), load definitions "
        f"{defs_s:.1f} s ({defs_s / total:.0%}), features+labels {build_s:.1f} s ({build_s / total:.0%})"
    )
    print(
        f"  throughput {rows / total / 1e6:.2f} M input rows/s end to end "
        f"(goal >= {GOAL_ROWS_PER_S / 1e6:.0f} M/s: {rows / total / GOAL_ROWS_PER_S:.2f}x of goal); "
        f"read+validate alone {rows / load_s / 1e6:.2f} M rows/s, features+labels alone "
        f"{rows / build_s / 1e6:.2f} M rows/s"
    )
    print(
        f"  memory: tables in memory {in_memory:.2f} GB, max peak RSS {peak:.2f} GB = "
        f"{peak / in_memory:.2f}x (goal <= {GOAL_PEAK_RATIO:.0f}x)",
        flush=True,
    )
    return first


def baseline(tables, moments, definitions, repeat: int) -> None:
    rows = sum(len(tables[name]) for name in BASELINE_TABLES)
    subset = restricted(definitions, [definitions.by_name(n) for n in BASELINE_FEATURES])
    print(
        f"\n== 2. naive pandas baseline vs engine on {len(BASELINE_FEATURES)} features "
        f"({', '.join(BASELINE_FEATURES)}); input rows of {'+'.join(BASELINE_TABLES)} = {rows:,}; "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    naive_times, naive = timed(lambda: naive_pandas(tables, moments), repeat)
    print(f"naive pandas: {fmt(naive_times)}, {rows / statistics.median(naive_times) / 1e6:.2f} M rows/s")
    engine_times, engine = timed(lambda: compute_features(tables, moments, subset), repeat)
    print(f"engine subset: {fmt(engine_times)}, {rows / statistics.median(engine_times) / 1e6:.2f} M rows/s")
    print(
        f"engine / naive time: {statistics.median(engine_times) / statistics.median(naive_times):.2f}x "
        "(below 1 = engine faster)"
    )
    problems = compare(engine, naive)
    if problems:
        print("VALUES DIFFER between engine and baseline:")
        for problem in problems:
            print(f"  {problem}")
    else:
        print(f"values agree: {len(engine):,} rows x {len(BASELINE_FEATURES)} features (allclose, NaN equal)")
    sys.stdout.flush()


def profile(tables, moments, definitions, repeat: int, *, groups: bool) -> None:
    print(
        f"\n== 3. where the engine's time goes (each restricted run: {repeat} repeat(s), median); "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    spine_only = restricted(definitions, [definitions.by_name("tenure_days")])
    spine_times = time_subset(tables, moments, spine_only, repeat)
    overhead = statistics.median(spine_times)
    print(f"spine + output only (tenure_days, no aggregate): {fmt(spine_times)}", flush=True)
    full_times = time_subset(tables, moments, definitions, repeat)
    full = statistics.median(full_times)
    print(f"all {len(definitions.features)} features (compute_features): {fmt(full_times)}", flush=True)
    aggregates = sorted((f for f in definitions.features if f.kind == "aggregate"), key=group_key)
    aggregate_times = time_subset(tables, moments, restricted(definitions, aggregates), repeat)
    print(f"the {len(aggregates)} aggregate features only: {fmt(aggregate_times)}")
    print(
        f"  so expressions + peer percentiles cost {full - statistics.median(aggregate_times):.2f} s "
        "(all features minus aggregates only)"
    )
    label_times, _ = timed(lambda: compute_labels(tables, moments), repeat)
    print(f"labels (compute_labels): {fmt(label_times)}", flush=True)
    if not groups:
        return
    group_cost = {}
    print(
        "\nper aggregate group (source, window days or 0 = all history, lag), each computed alone; "
        f"net = median minus the {overhead:.2f} s spine+output run"
    )
    for key, members in groupby(aggregates, key=group_key):
        members = list(members)
        times = time_subset(tables, moments, restricted(definitions, members), repeat)
        group_cost[key] = statistics.median(times) - overhead
        print(
            f"  {str(key):<28} {len(members):>3} features: {fmt(times)}, net {group_cost[key]:.2f} s",
            flush=True,
        )
    total = sum(group_cost.values())
    print(
        f"sum over {len(group_cost)} groups {total:.2f} s net + spine {overhead:.2f} s, against "
        f"{statistics.median(aggregate_times):.2f} s for all aggregates in one call; top 10 groups:"
    )
    for key, cost in sorted(group_cost.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  {str(key):<28} {cost:6.2f} s  {cost / total:5.1%}")
    source_cost: dict[str, float] = {}
    for (source, _, _), cost in group_cost.items():
        source_cost[source] = source_cost.get(source, 0.0) + cost
    print("per source (sum of its groups, net):")
    for source, cost in sorted(source_cost.items(), key=lambda kv: -kv[1]):
        n_groups = sum(1 for key in group_cost if key[0] == source)
        print(f"  {source:<20} {n_groups} group(s) {cost:6.2f} s  {cost / total:5.1%}")


class _Profiled:
    """A DuckDB connection that keeps the JSON profile of every statement run through it."""

    def __init__(self, con, path: Path) -> None:
        self._con, self._path, self.profiles = con, path, []

    def _harvest(self) -> None:
        if self._path.exists():
            self.profiles.append(json.loads(self._path.read_text()))
            self._path.unlink()

    def execute(self, *args, **kwargs):
        self._harvest()
        return self._con.execute(*args, **kwargs)

    def sql(self, *args, **kwargs):
        self._harvest()
        return self._con.sql(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)


def _operators(profile: dict) -> list[tuple[float, str, int, str]]:
    nodes = []

    def walk(node: dict) -> None:
        info = node.get("extra_info") or {}
        what = info.get("Projections") if isinstance(info.get("Projections"), str) else ""
        what = what or info.get("Join Type") or info.get("Conditions") or info.get("Groups") or ""
        nodes.append((node.get("timing", 0.0), node.get("type"), node.get("intermediate_rows"), str(what)))
        for child_node in node.get("children", []):
            walk(child_node)

    for root in profile.get("operator", profile.get("children", [])):
        walk(root)
    return nodes


def _statement_label(sql: str) -> str:
    names = re.findall(r"::double as (\w+)", sql)
    sources = sorted(set(re.findall(r"join (source_\w+)", sql)))
    if sql.lstrip().lower().startswith("create or replace temp view"):
        return "view " + sql.split()[5]
    if "percent_rank" in sql or not sources:
        return "final select: groups joined onto the spine, expressions, peer percentiles"
    return (
        f"{'+'.join(sources)}: {names[0] if names else '?'}{f' +{len(names) - 1}' if len(names) > 1 else ''}"
    )


def operator_profile(tables, moments, definitions: Definitions, top: int = 12) -> None:
    """DuckDB's own profile of every statement one compute_features call runs.

    Uses the engine's internals (connect, _run) to switch profiling on, so it is best effort."""
    print("\nDuckDB profile of one full compute_features (operator times summed over both threads):")
    path = Path(f"/tmp/bench-features-profile-{os.getpid()}.json")
    try:
        with engine.connect(tables, moments) as con:
            con.execute(f"pragma enable_profiling = 'json'; pragma profiling_output = '{path}'")
            profiled = _Profiled(con, path)
            started = time.perf_counter()
            engine._run(profiled, definitions)
            wall = time.perf_counter() - started
            profiled._harvest()
    except Exception as error:  # the engine's internals may change under this benchmark
        print(f"  unavailable: {type(error).__name__}: {error}")
        return
    finally:
        path.unlink(missing_ok=True)
    statements = []
    for profile in profiled.profiles:
        query = profile.get("query") if isinstance(profile.get("query"), dict) else profile
        sql = query.get("sql") or query.get("query_name") or ""
        statements.append((query.get("total_time", 0.0), _statement_label(sql), _operators(profile), profile))
    nodes = [node for _, _, ops, _ in statements for node in ops]
    cpu = sum(n[0] for n in nodes)
    peak = max((p.get("system") or {}).get("peak_buffer_memory", 0) for *_, p in statements)
    in_statements = sum(t for t, *_ in statements)
    print(
        f"  run {wall:.2f} s wall, {len(statements)} statements taking {in_statements:.2f} s, "
        f"operator time {cpu:.2f} s, max peak buffer {peak / 1024**3:.2f} GB"
    )
    print("  slowest statements:")
    for seconds, label, _, _ in sorted(statements, key=lambda st: -st[0])[:top]:
        print(f"    {seconds:6.2f} s  {label[:100]}")
    by_type: dict[str, float] = {}
    for timing, kind, _, _ in nodes:
        by_type[kind] = by_type.get(kind, 0.0) + timing
    print("  operator time by type:")
    for kind, timing in sorted(by_type.items(), key=lambda kv: -kv[1])[:8]:
        print(f"    {kind:<16} {timing:7.2f} s  {timing / cpu:5.1%}")
    print(f"  top {top} operators:")
    for timing, kind, rows, what in sorted(nodes, key=lambda n: -n[0])[:top]:
        print(f"    {timing:6.2f} s {kind:<14} {rows or 0:>12,} rows  {what[:80]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/tmp/bench-features-100k"))
    parser.add_argument("--creators", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--snapshots", type=int, default=6)
    parser.add_argument("--step-days", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of the in-process timings")
    parser.add_argument("--e2e-repeat", type=int, default=1, help="end-to-end runs (each over a minute)")
    parser.add_argument("--skip-groups", action="store_true", help="skip the per-group breakdown")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.data, args.snapshots, args.step_days)
        return
    args.data.mkdir(parents=True, exist_ok=True)
    ensure_data(args.data, args.creators, args.days, args.seed)
    source = Path(engine.__file__).read_bytes()
    print(
        f"data {args.data}; engine.py sha256 {hashlib.sha256(source).hexdigest()[:12]}; "
        f"load average at start {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    first = end_to_end(args.data, args)
    rows = sum(first["rows_read"].values())
    reads, _ = timed(lambda: len(read_tables(args.data)), args.repeat)
    loads, validated = timed(lambda: load_marketplace(args.data), args.repeat)
    read, load_s = statistics.median(reads), statistics.median(loads)
    print(
        f"in this process: bare read (read_tables, the floor) {fmt(reads)}, {rows / read / 1e6:.2f} M rows/s"
    )
    print(f"in this process: load_marketplace (read + validate) {fmt(loads)}, {rows / load_s / 1e6:.2f} M/s")
    print(
        f"  the {GOAL_ROWS_PER_S / 1e6:.0f} M rows/s goal allows {rows / GOAL_ROWS_PER_S:.1f} s end to end; "
        f"the bare read alone takes {read / (rows / GOAL_ROWS_PER_S):.0%} of it",
        flush=True,
    )
    tables = validated.tables  # parts 2 and 3 use these
    definitions = load()
    moments = as_of_times(tables, args.snapshots, args.step_days)
    print(f"\nas-of times: {', '.join(f'{m:%Y-%m-%d}' for m in moments)}")
    baseline(tables, moments, definitions, args.repeat)
    profile(tables, moments, definitions, args.repeat, groups=not args.skip_groups)
    operator_profile(tables, moments, definitions)
    print(f"\nnproc={os.cpu_count()}; load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
