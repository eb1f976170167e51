"""The promotion gate: the `champion` alias moves only to a model that is better on the same future.

"Same future": when a model is trained, the current champion's evidence models score the new
run's test rows (`pipeline.champion_scores`), recorded beside the candidate's own scores; a
champion that could not be scored that way (other feature definitions) is compared through its
own recorded predictions, which needs the same test rows. Comparing metrics from different test
periods would reward whichever model happened to face the easier weeks, so the gate refuses
that, unless forced with a reason that is recorded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from creatorscore.errors import UserError
from creatorscore.training.backtest import MODEL, RULES
from creatorscore.training.config import ModelConfig
from creatorscore.training.metrics import segment_metrics
from creatorscore.training.pipeline import CHAMPION as CHAMPION_COLUMN
from creatorscore.training.registry import (
    CHAMPION,
    client,
    read_record,
    read_test_predictions,
    registry_error,
    store_lock,
    tracking_uri,
)
from creatorscore.training.uncertainty import paired_difference

FORCED_TAG = "promoted_by_force"


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str


def decide(
    scores: pd.DataFrame, candidate: str, incumbent: str, incumbent_name: str, config: ModelConfig
) -> Decision:
    """Compare two score columns on the same test rows: the lead must hold beyond noise.

    The rule: the lower end of the 95% interval of the candidate's gain on the gate metric
    (paired bootstrap, resampling creators, so both scores face the same resampled rows) must
    exceed the configured margin, and no market with enough positives may drop by more than the
    tolerance on the market metric with the whole 95% interval of its change below zero."""
    rule, target, task = config.promotion, config.target, config.task
    gain = paired_difference(scores, target, candidate, incumbent, rule.metric)
    if gain.low is None or not gain.low > rule.margin:
        return Decision(
            False,
            f"{rule.metric} gain over the {incumbent_name} is {gain.describe('+')}; "
            f"its lower end must exceed the margin {rule.margin:g}",
        )
    new = segment_metrics(scores, target, scores[candidate], task)
    old = segment_metrics(scores, target, scores[incumbent], task)
    drops = []
    for segment_key, old_value in sorted(old.items()):
        segment, _, metric = segment_key.partition("/")
        if not segment.startswith("market_") or metric != rule.market_metric:
            continue
        if old.get(f"{segment}/positives", math.inf) < rule.market_min_positives:
            continue  # one creator moves recall at 1% by a third in a market with three positives
        new_value = new.get(segment_key, math.nan)
        if math.isnan(new_value) or math.isnan(old_value) or old_value - new_value <= rule.market_tolerance:
            continue
        market = segment.removeprefix("market_")
        # a drop counts only beyond noise: tens of positives move recall at 1% by more than the tolerance
        change = paired_difference(
            scores[scores["market"] == market], target, candidate, incumbent, rule.market_metric
        )
        if change.high is not None and change.high < 0:
            drops.append(f"{market} {old_value:.3f} -> {new_value:.3f} (change {change.describe('+')})")
    if drops:
        return Decision(
            False,
            f"{rule.market_metric} drops by more than {rule.market_tolerance:g} in: {', '.join(drops)}",
        )
    return Decision(True, f"{rule.metric} gain over the {incumbent_name} is {gain.describe('+')}")


def promote(
    name: str,
    version: str | None,
    config: ModelConfig,
    uri: str | None = None,
    force_reason: str | None = None,
) -> tuple[str, Decision]:
    """Move `champion` to the candidate version if it passes the gate; return (version, decision).

    `force_reason` lets a candidate in when no like-for-like comparison exists (the test periods
    differ); the reason is recorded on the version with the alias move. It never lets in a
    candidate that lost a comparison.

    Of simultaneous promotions exactly one may say it won. On a SQLite store the gate's
    read-compare-set runs under the store's lock, so the second reads the first's champion and
    is judged against it. A server offers no compare-and-set: the alias is read back after it
    is set, and the decision reports the version the alias holds then."""
    from mlflow.exceptions import MlflowException

    resolved = tracking_uri(uri)
    mlflow_client = client(resolved)
    try:
        with store_lock(resolved):
            chosen, decision = _gate(mlflow_client, name, version, config, force_reason)
            if not decision.promote:
                return chosen, decision
            if force_reason:
                mlflow_client.set_model_version_tag(name, chosen, FORCED_TAG, force_reason)
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


def _candidate_version(mlflow_client, name: str, version: str | None):
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
    return matches[0]


def _gate(
    mlflow_client, name: str, version: str | None, config: ModelConfig, force_reason: str | None
) -> tuple[str, Decision]:
    """The candidate version and whether it beats the current champion (or, without one, the rules)."""
    found = _candidate_version(mlflow_client, name, version)
    chosen = str(found.version)
    candidate = read_record(mlflow_client, found.run_id, f"{name} v{chosen}")
    champion = _champion(mlflow_client, name)
    if champion is not None and str(champion.version) == chosen:
        return chosen, Decision(False, f"{name} v{chosen} is already the champion")
    scores = read_test_predictions(mlflow_client, candidate)
    if champion is None:
        return chosen, decide(scores, MODEL, RULES, "rule baseline", config)
    label = f"champion v{champion.version}"
    if candidate.compared_champion_version == str(champion.version):
        return chosen, decide(scores, MODEL, CHAMPION_COLUMN, label, config)
    incumbent = read_record(mlflow_client, champion.run_id, label)
    if incumbent.test_rows_digest == candidate.test_rows_digest:
        theirs = read_test_predictions(mlflow_client, incumbent)[["creator_id", "as_of", MODEL]]
        joined = scores.merge(theirs, on=["creator_id", "as_of"], suffixes=("", "_champion"))
        return chosen, decide(
            joined, MODEL, f"{MODEL}_champion", f"{label} (its recorded predictions)", config
        )
    if force_reason:
        return chosen, Decision(True, f"promoted without a comparison, by force: {force_reason}")
    return chosen, Decision(
        False,
        f"v{chosen} and {label} were tested on different rows ({candidate.describe_test_period()} "
        f"against {incumbent.describe_test_period()}) and the champion's evidence models could not score "
        f"v{chosen}'s; train the candidate on the champion's training set {incumbent.training_set_key} "
        "to compare them, or pass --force --reason TEXT",
    )
