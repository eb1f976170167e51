"""abuse_risk against the truth on every marketplace variant x seed: shipped model, rules, reference.

For each variant and seed: simulate (cached under --work), build the training set with the project's
API, backtest with the checked-in config (or --config FILE, for choosing between candidates), and
score the test rows against the ground truth: ROC-AUC, PR-AUC and recall at 2% (top 2% per as-of)
for the shipped model, the rule baseline and the hand-feature reference (reference.py), plus the
labels' PR-AUC. The held-out variant (simulate/variants.py) runs only with --held-out. Usage:

    .venv/bin/python benchmarks/bench_variants.py --out /tmp/variants.md [--seeds 7 8] [--creators 3000]
        [--variants baseline rare_abuse ...] [--config benchmarks/configs/leaves15.yaml] [--held-out]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import average_precision_score, roc_auc_score

from creatorscore.contract.read import load_marketplace
from creatorscore.errors import UserError
from creatorscore.features import load
from creatorscore.simulate import SimulationConfig, simulate, write_marketplace
from creatorscore.simulate.variants import HELD_OUT, VARIANTS
from creatorscore.training.backtest import MODEL, RULES, run_backtest
from creatorscore.training.config import default_config, load_config
from creatorscore.training.dataset import build_or_reuse, read_ground_truth
from creatorscore.training.metrics import snapshot_codes, top_share_flags

sys.path.insert(0, str(Path(__file__).parent))
from reference import reference_scores  # noqa: E402

REFERENCE = "reference"


def truth_metrics(scores: pd.DataFrame, scorer: str, target: str) -> dict[str, float]:
    """Ranking of truly abusing rows by `scorer`; NaN when the test rows hold one class."""
    truth = scores["truth"].astype(int)
    if truth.nunique() < 2:
        return dict.fromkeys(("roc_auc", "pr_auc", "recall_at_2pct", "label_pr_auc"), float("nan"))
    flags = top_share_flags(scores[scorer].to_numpy(), snapshot_codes(scores["as_of"]), 0.02)
    return {
        "roc_auc": roc_auc_score(truth, scores[scorer]),
        "pr_auc": average_precision_score(truth, scores[scorer]),
        "recall_at_2pct": float(flags[truth.to_numpy() == 1].mean()),
        "label_pr_auc": average_precision_score(scores[target].astype(int), scores[scorer]),
    }


def run_one(variant: str, seed: int, creators: int | None, work: Path, config_path: Path | None) -> dict:
    """One variant x seed: simulate once (cached), build once (cached), backtest and score."""
    overrides = {"seed": seed} | ({"creators": creators} if creators and variant != HELD_OUT else {})
    data = work / f"{variant}-s{seed}-n{overrides.get('creators', 'own')}"
    if not (data / "creators.parquet").is_file():
        write_marketplace(simulate(SimulationConfig.from_variant(variant, **overrides)), data)
    config = load_config(config_path) if config_path else default_config("abuse_risk")
    definitions = load()
    tables = load_marketplace(data).tables
    frame, _, _ = build_or_reuse(data, definitions, config.split, work / "cache", lambda: tables)
    try:
        backtest = run_backtest(frame, config, definitions, read_ground_truth(data))
    except UserError as error:  # a world the checked-in split cannot train on is a finding: keep it
        return {"variant": variant, "seed": seed, "refused": str(error)}
    scores = backtest.test_scores.copy()
    scores[REFERENCE] = reference_scores(tables, frame, backtest.folds, scores, config.target)
    row = {
        "variant": variant,
        "seed": seed,
        "test rows": len(scores),
        "truly abusing": int(scores["truth"].sum()),
    }
    for scorer in (MODEL, RULES, REFERENCE):
        for metric, value in truth_metrics(scores, scorer, config.target).items():
            row[f"{metric} {scorer}"] = value
    row["quality spearman"] = _quality_spearman(frame, definitions, data)
    return row


def _quality_spearman(frame: pd.DataFrame, definitions, data: Path) -> float:
    """content_quality's Spearman against latent quality on its test rows (NaN if it cannot train)."""
    try:
        backtest = run_backtest(
            frame, default_config("content_quality"), definitions, read_ground_truth(data)
        )
    except UserError:  # a history too short for this model is a finding, not a crash
        return float("nan")
    return float(spearmanr(backtest.test_scores[MODEL], backtest.test_scores["truth"]).statistic)


def markdown(table: pd.DataFrame) -> str:
    """A Markdown table without extra dependencies."""
    lines = ["| " + " | ".join(table.columns) + " |", "|" + " --- |" * len(table.columns)]
    for row in table.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=Path("/tmp/creatorscore-variants"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 8])
    parser.add_argument("--creators", type=int, default=3000, help="size of every variant but the held-out")
    parser.add_argument("--variants", nargs="+", default=[v for v in VARIANTS if v != HELD_OUT])
    parser.add_argument("--config", type=Path, default=None, help="an abuse_risk config to try")
    parser.add_argument("--held-out", action="store_true", help=f"run only the held-out {HELD_OUT}")
    args = parser.parse_args()
    variants = [HELD_OUT] if args.held_out else args.variants
    rows = pd.DataFrame(
        [run_one(v, s, args.creators, args.work, args.config) for v in variants for s in args.seeds]
    )
    numeric = rows.drop(columns=["seed", "refused"], errors="ignore")
    medians = numeric.groupby("variant", sort=False).median().reset_index()
    medians.insert(1, "seed", "median")
    text = markdown(pd.concat([rows, medians], ignore_index=True))
    summary = medians.reindex(
        columns=["variant", f"pr_auc {MODEL}", f"pr_auc {REFERENCE}", f"pr_auc {RULES}"]
    )
    text += "\n\nMedian truth PR-AUC per variant:\n\n" + markdown(summary) + "\n"
    print(text)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
