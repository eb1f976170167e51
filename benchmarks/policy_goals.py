"""The governance goals on the simulator's ground truth: `creatorscore policy backtest` at every
size x seed, and the table docs/governance.md records.

For each size and seed: simulate 270 days (cached under --work, so the replay has a training
history before it), replay 12 weekly dates from 2026-01-01 at 1% weekly review capacity under
the shipped policies (plus --compare, at the smallest size only, where it is cheap) beside the
status quo, and read each run's summary.json. Usage:

    .venv/bin/python benchmarks/policy_goals.py --work /tmp/goals [--sizes 2000 20000] [--seeds 7 11 23]
        [--compare FOLDER]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

FAIRNESS = "fairness (<= 1.2x, significant)"
CLI = str(Path(sys.executable).with_name("creatorscore"))
DAYS, FROM, TO, CAPACITY = 270, "2026-01-01", "2026-03-19", "0.01"
ROWS = [
    ("turned abusive", lambda s: f"{s['turned_abusive']:,}"),
    ("caught", lambda s: f"{s['caught']:,}"),
    ("caught within 14 days (goal >= 80%)", lambda s: f"{s['share_caught_within_14_days']:.1%}"),
    ("days onset to action, median", lambda s: _days(s["days_onset_to_action_median"])),
    (
        "healthy actioned (goal <= 0.5%)",
        lambda s: f"{s['healthy_actioned']} ({s['healthy_actioned_share']:.2%})",
    ),
    ("reviews / capacity", lambda s: f"{s['reviews']:,} / {s['review_capacity']:,}"),
]


def _days(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def run(work: Path, creators: int, seed: int, compare: Path | None) -> dict:
    """One size x seed: its backtest's summary.json (the replay reused when already written)."""
    data = work / f"sim-{creators // 1000}k-s{seed}"
    out = work / f"out-{creators // 1000}k-s{seed}"
    if not data.exists():
        simulate = [CLI, "simulate", "--creators", str(creators), "--days", str(DAYS), "--seed", str(seed)]
        subprocess.run([*simulate, "--out", str(data)], check=True)
    if not (out / "summary.json").exists():
        extra = ["--compare", str(compare)] if compare else []
        subprocess.run(
            [CLI, "policy", "backtest", "--data", str(data), "--from", FROM, "--to", TO,
             "--review-capacity", CAPACITY, "--out", str(out), *extra],
            check=True,
        )  # fmt: skip
    return json.loads((out / "summary.json").read_text())


def table(results: dict[tuple[int, int], dict]) -> str:
    """Markdown: one row per (size, seed, replayed policy), one column per goal figure."""
    headings = ["creators", "seed", "policy", *(label for label, _ in ROWS), FAIRNESS]
    lines = ["| " + " | ".join(headings) + " |", "|---" * len(headings) + "|"]
    for (creators, seed), summary in sorted(results.items()):
        for name, replayed in summary["policies"].items():
            overall = replayed["segments"]["overall"]
            fairness = replayed["fairness"]
            fair = "met" if fairness["goal_met"] else f"missed ({len(fairness['flagged'])} groups)"
            cells = [f"{creators:,}", str(seed), name, *(show(overall) for _, show in ROWS), fair]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 11, 23])
    parser.add_argument(
        "--compare", type=Path, help="A second policies folder, replayed at the smallest size."
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    smallest = min(args.sizes)
    results = {
        (size, seed): run(args.work, size, seed, args.compare if size == smallest else None)
        for size in args.sizes
        for seed in args.seeds
    }
    print(table(results))


if __name__ == "__main__":
    main()
