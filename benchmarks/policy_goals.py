"""The governance goals on the simulator's ground truth: `creatorscore policy backtest` at every
size x seed, and the table docs/governance.md records.

For each size and seed: simulate 270 days (cached under --work, so the replay has a training
history before it), replay 12 weekly dates from 2026-01-01 at 1% weekly review capacity under
the shipped policies (plus --compare, at the smallest size only, where it is cheap) beside the
status quo, and read each run's summary.json. With --early, also what limits catching abuse
within 14 days: where the replay's abuse model ranks creators in their first two weeks of abuse
(the share in their market's top 1%, what 1% weekly capacity can reach). Usage:

    .venv/bin/python benchmarks/policy_goals.py --work /tmp/goals [--sizes 2000 20000] [--seeds 7 11 23]
        [--compare FOLDER] [--early]
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
        subprocess.run([*simulate, "--out", str(data)], check=True, stdout=sys.stderr)
    if not (out / "summary.json").exists():
        extra = ["--compare", str(compare)] if compare else []
        subprocess.run(
            [CLI, "policy", "backtest", "--data", str(data), "--from", FROM, "--to", TO,
             "--review-capacity", CAPACITY, "--out", str(out), *extra],
            check=True,
            stdout=sys.stderr,  # the console tables; stdout carries the markdown alone
        )  # fmt: skip
    return json.loads((out / "summary.json").read_text())


def early_ranks(data: Path) -> dict[str, float]:
    """Share of creators 0-6 and 7-13 days into their abuse whose abuse risk is in their market's
    top 1% (and top 5%) at a replay date, under models trained as the backtest trains them."""
    import pandas as pd

    from creatorscore.contract.read import load_marketplace
    from creatorscore.features import compute_features, load
    from creatorscore.policy import load_market_policies
    from creatorscore.policy.backtest import train_before
    from creatorscore.policy.legal import tiers_of
    from creatorscore.scoring.batch import SCORES, score_creators
    from creatorscore.training.config import default_config
    from creatorscore.training.dataset import read_ground_truth

    tables, definitions = load_marketplace(data).tables, load()
    truth = read_ground_truth(data)
    moments = list(pd.date_range(pd.Timestamp(FROM, tz="UTC"), pd.Timestamp(TO, tz="UTC"), freq="7D"))
    models = train_before(tables, moments[0], definitions, {n: default_config(n) for n in SCORES})
    features = compute_features(tables, moments, definitions)
    scored = score_creators(features, models.abuse, models.quality, tiers_of(load_market_policies()))
    scored = scored.merge(truth[["creator_id", "is_abuser", "abuse_onset"]], on="creator_id")
    scored["rank"] = scored.groupby(["as_of", "market"])["abuse_risk"].rank(pct=True, ascending=False)
    days_in = (scored["as_of"] - scored["abuse_onset"]) / pd.Timedelta(days=1)
    out = {}
    for low, high in ((0, 7), (7, 14)):
        new = scored[scored["is_abuser"].fillna(False).astype(bool) & (days_in >= low) & (days_in < high)]
        out[f"{low}-{high - 1} days: creators"] = len(new)
        for top in (0.01, 0.05):
            out[f"{low}-{high - 1} days: in top {top:.0%}"] = float((new["rank"] <= top).mean())
    return out


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
    parser.add_argument("--early", action="store_true", help="Also rank abusers early in their abuse.")
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
    if args.early:
        for seed in args.seeds:
            ranks = early_ranks(args.work / f"sim-{smallest // 1000}k-s{seed}")
            shown = (f"{k} {v:,}" if isinstance(v, int) else f"{k} {v:.1%}" for k, v in ranks.items())
            print(f"seed {seed}: " + ", ".join(shown))


if __name__ == "__main__":
    main()
