"""The promotion gate: the `champion` alias moves only to a model that is better on the same future.

"Same future": when a model is trained, the current champion is re-scored on the new run's
test period and logged beside it (`test/champion/...`), so promotion compares two models on
identical rows. Comparing metrics logged on different test periods would reward whichever
model happened to face the easier weeks. If the champion changed after the candidate was
trained, the candidate must be retrained (or re-evaluated) against it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from creatorscore.errors import UserError
from creatorscore.training.backtest import MODEL, RULES
from creatorscore.training.config import Promotion
from creatorscore.training.registry import CHAMPION, client


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str


def decide(
    candidate: dict[str, float], incumbent: dict[str, float], incumbent_name: str, rule: Promotion
) -> Decision:
    """Compare `<segment>/<metric>` dicts of the candidate and the incumbent on the same test rows."""
    key = f"overall/{rule.metric}"
    if key not in candidate or key not in incumbent:
        return Decision(False, f"{rule.metric} is missing for the candidate or the {incumbent_name}")
    new, old = candidate[key], incumbent[key]
    gain = new - old
    if not (gain > 0 and gain >= rule.margin):
        return Decision(
            False,
            f"{rule.metric} {new:.4f} does not beat the {incumbent_name}'s {old:.4f} "
            f"by the required margin {rule.margin:g}",
        )
    drops = []
    for segment_key, old_value in sorted(incumbent.items()):
        segment, _, metric = segment_key.partition("/")
        if not segment.startswith("market_") or metric != rule.market_metric:
            continue
        if incumbent.get(f"{segment}/positives", math.inf) < rule.market_min_positives:
            continue  # one creator moves recall at 1% by a third in a market with three positives
        new_value = candidate.get(segment_key, math.nan)
        if (
            not math.isnan(new_value)
            and not math.isnan(old_value)
            and old_value - new_value > rule.market_tolerance
        ):
            drops.append(f"{segment.removeprefix('market_')} {old_value:.3f} -> {new_value:.3f}")
    if drops:
        return Decision(
            False,
            f"{rule.market_metric} drops by more than {rule.market_tolerance:g} in: {', '.join(drops)}",
        )
    return Decision(True, f"{rule.metric} {new:.4f} beats the {incumbent_name}'s {old:.4f}")


def _segment_metrics(run_metrics: dict[str, float], scorer: str) -> dict[str, float]:
    prefix = f"test/{scorer}/"
    return {k.removeprefix(prefix): v for k, v in run_metrics.items() if k.startswith(prefix)}


def promote(name: str, version: str | None, rule: Promotion, uri: str | None = None) -> tuple[str, Decision]:
    """Move `champion` to the candidate version if it passes the gate; return (version, decision)."""
    from mlflow.exceptions import MlflowException

    mlflow_client = client(uri)
    try:
        versions = mlflow_client.search_model_versions(f"name = '{name}'")
    except MlflowException:
        versions = []
    if not versions:
        raise UserError(f"no registered {name} model; run `creatorscore train --model {name}` first")
    chosen = version or str(max(int(v.version) for v in versions))
    matches = [v for v in versions if str(v.version) == str(chosen)]
    if not matches:
        raise UserError(
            f"{name} has no version {chosen}; versions: {', '.join(sorted(v.version for v in versions))}"
        )
    candidate_run = mlflow_client.get_run(matches[0].run_id)
    metrics, tags = candidate_run.data.metrics, candidate_run.data.tags
    try:
        champion = mlflow_client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        champion = None
    if champion is not None and str(champion.version) == str(chosen):
        return chosen, Decision(False, f"{name} v{chosen} is already the champion")
    compared = tags.get("compared_champion_version", "none")
    if champion is None or compared == "stale-definitions":
        incumbent, label = _segment_metrics(metrics, RULES), "rule baseline"
    elif compared != str(champion.version):
        return chosen, Decision(
            False,
            f"v{chosen} was evaluated against champion {compared}, but the champion is now "
            f"v{champion.version}; train again so both are compared on the same test period",
        )
    else:
        incumbent, label = _segment_metrics(metrics, "champion"), f"champion v{champion.version}"
    decision = decide(_segment_metrics(metrics, MODEL), incumbent, label, rule)
    if decision.promote:
        mlflow_client.set_registered_model_alias(name, CHAMPION, chosen)
    return chosen, decision
