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
from creatorscore.training.registry import CHAMPION, client, registry_error, store_lock, tracking_uri


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
    """Move `champion` to the candidate version if it passes the gate; return (version, decision).

    Of simultaneous promotions exactly one may say it won. On a SQLite store the gate's
    read-compare-set runs under the store's lock, so the second reads the first's champion and
    is judged against it. A server offers no compare-and-set: the alias is read back after it
    is set, and the decision reports the version the alias holds then."""
    from mlflow.exceptions import MlflowException

    resolved = tracking_uri(uri)
    mlflow_client = client(resolved)
    try:
        with store_lock(resolved):
            chosen, decision = _gate(mlflow_client, name, version, rule)
            if not decision.promote:
                return chosen, decision
            mlflow_client.set_registered_model_alias(name, CHAMPION, chosen)
            holder = _champion(mlflow_client, name)
    except MlflowException as error:
        raise registry_error(error, resolved) from None
    if holder is None or str(holder.version) != chosen:
        now = f"v{holder.version}" if holder is not None else "no version"
        return chosen, Decision(False, f"a simultaneous promotion won: the champion is {now}")
    return chosen, decision


def _champion(mlflow_client, name: str):
    from mlflow.exceptions import MlflowException

    try:
        return mlflow_client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException as error:
        if error.error_code not in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            raise
        return None


def _gate(mlflow_client, name: str, version: str | None, rule: Promotion) -> tuple[str, Decision]:
    """The candidate version and whether it beats the current champion (or the rules)."""
    from mlflow.exceptions import MlflowException

    try:
        versions = mlflow_client.search_model_versions(f"name = '{name}'")
    except MlflowException as error:
        if error.error_code not in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            raise
        versions = []
    if not versions:
        raise UserError(f"no registered {name} model; run `creatorscore train --model {name}` first")
    chosen = version or str(max(int(v.version) for v in versions))
    matches = [v for v in versions if str(v.version) == str(chosen)]
    if not matches:
        raise UserError(
            f"{name} has no version {chosen}; versions: {', '.join(sorted(str(v.version) for v in versions))}"
        )
    candidate_run = mlflow_client.get_run(matches[0].run_id)
    metrics, tags = candidate_run.data.metrics, candidate_run.data.tags
    champion = _champion(mlflow_client, name)
    if champion is not None and str(champion.version) == str(chosen):
        return chosen, Decision(False, f"{name} v{chosen} is already the champion")
    compared = tags.get("compared_champion_version", "none")
    if champion is None or compared == "stale-definitions":
        incumbent, label = _segment_metrics(metrics, RULES), "rule baseline"
    elif compared != str(champion.version):
        against = "the rules (there was no champion)" if compared == "none" else f"champion v{compared}"
        return chosen, Decision(
            False,
            f"v{chosen} was evaluated against {against}, but v{champion.version} has become champion "
            f"since; train again so both are compared on the same test period",
        )
    else:
        incumbent, label = _segment_metrics(metrics, "champion"), f"champion v{champion.version}"
    return chosen, decide(_segment_metrics(metrics, MODEL), incumbent, label, rule)
